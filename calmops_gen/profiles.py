"""Transition shapes and drift profiles: the weight of a change at each row.

All curves are exact and deterministic. A ramp of ``width`` rows gives row ``p`` (0-based)
the weight ``shape(p / (width - 1))``, so the first row of the ramp has weight 0 and the
last has weight 1 (a ramp of one row has weight 1). Every shape goes fully from 0 to 1:

* ``linear``: ``t``
* ``cosine``: ``(1 - cos(pi t)) / 2``
* ``sigmoid``: a logistic of steepness 10 rescaled so that it starts at exactly 0 and ends
  at exactly 1 (river's sigmoid spans only about 0.12 to 0.88 of its width).

Profiles (DESIGN section 4) map a row's position inside an event's selection to a weight:

* ``abrupt``: 1 everywhere;
* ``gradual``: a ramp of ``shape`` over the first ``width`` rows (default: the whole
  selection), then 1;
* ``incremental``: linear from 0 at the first selected row to 1 at the last;
* ``recurrent``: ``period`` rows repeating, the first ``round(duty * period)`` rows of each
  period on (1) and the rest off (0); with ``edge > 0`` the on-phase ramps up over its first
  ``edge`` rows and down over its last ``edge`` rows, ramp row ``k`` having weight
  ``shape((k + 1) / (edge + 1))``.

Examples
--------
>>> import numpy as np
>>> Gradual(shape="linear", width=5).weights(np.arange(7), 7).tolist()
[0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
>>> Incremental().weights(np.arange(5), 5).tolist()
[0.0, 0.25, 0.5, 0.75, 1.0]
>>> Recurrent(period=4, duty=0.5).weights(np.arange(8), 8).tolist()
[1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
>>> ramp("sigmoid", np.array([0.0, 0.5, 1.0])).round(12).tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from calmops_gen.validation import ConfigModel, key_error

Shape = Literal["sigmoid", "linear", "cosine"]

SIGMOID_STEEPNESS = 10.0


def ramp(shape: Shape, t: np.ndarray) -> np.ndarray:
    """Evaluate ``shape`` at ``t`` in [0, 1]; returns exactly 0 at 0 and 1 at 1."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    if shape == "linear":
        return t
    if shape == "cosine":
        out = (1.0 - np.cos(np.pi * t)) / 2.0
    else:
        k = SIGMOID_STEEPNESS
        lo = 1.0 / (1.0 + np.exp(k / 2.0))
        hi = 1.0 / (1.0 + np.exp(-k / 2.0))
        out = (1.0 / (1.0 + np.exp(-k * (t - 0.5))) - lo) / (hi - lo)
    out = np.clip(out, 0.0, 1.0)
    out[t == 0.0] = 0.0
    out[t == 1.0] = 1.0
    return out


def ramp_weights(shape: Shape, positions: np.ndarray, width: int) -> np.ndarray:
    """Weights of a ``width``-row ramp at 0-based ``positions`` (1 past the ramp)."""
    positions = np.asarray(positions, dtype=np.int64)
    if width <= 1:
        return np.ones(positions.shape, dtype=np.float64)
    out = ramp(shape, positions / (width - 1))
    out[positions >= width] = 1.0
    return out


class _Profile(ConfigModel):
    def weights(self, positions: np.ndarray, total: int) -> np.ndarray:
        """Weights at ``positions`` (0-based ranks) in a selection of ``total`` rows."""
        raise NotImplementedError

    def min_rows(self) -> int:
        """Fewest selected rows this profile can be laid over."""
        return 1


class Abrupt(_Profile):
    """Full weight on every selected row."""

    kind: Literal["abrupt"] = "abrupt"

    def weights(self, positions: np.ndarray, total: int) -> np.ndarray:
        return np.ones(np.shape(positions), dtype=np.float64)


class Gradual(_Profile):
    """Ramp from 0 to 1 over the first ``width`` selected rows (default: all of them)."""

    kind: Literal["gradual"] = "gradual"
    shape: Shape = "sigmoid"
    width: int | None = Field(default=None, gt=0)

    def weights(self, positions: np.ndarray, total: int) -> np.ndarray:
        return ramp_weights(self.shape, positions, self.width or total)

    def min_rows(self) -> int:
        return self.width or 1


class Incremental(_Profile):
    """Linear rise from 0 at the first selected row to 1 at the last."""

    kind: Literal["incremental"] = "incremental"

    def weights(self, positions: np.ndarray, total: int) -> np.ndarray:
        return ramp_weights("linear", positions, total)


class Recurrent(_Profile):
    """On/off cycles of ``period`` rows, on for a ``duty`` share, optional ramped edges."""

    kind: Literal["recurrent"] = "recurrent"
    period: int = Field(gt=1)
    duty: float = Field(default=0.5, gt=0.0, le=1.0)
    edge: int = Field(default=0, ge=0)
    shape: Shape = "linear"

    @model_validator(mode="after")
    def _check_on_rows(self) -> Recurrent:
        if self.on_rows() == 0:
            raise key_error(
                "duty",
                f"{self.duty:g} of a {self.period}-row period is {self.duty * self.period:g} "
                f"rows, which rounds to none on; give a duty of at least {1 / self.period:g} "
                "or a longer period",
                self.duty,
            )
        # ramps of edge rows at both ends of the on-phase must leave a row at full weight,
        # else the event never reaches its size
        most = (self.on_rows() - 1) // 2
        if self.edge > most:
            raise key_error(
                "edge",
                f"ramps up and down over {self.edge} rows leave no row of the "
                f"{self.on_rows()} on-rows of a period at full weight; at most {most} fits",
                self.edge,
            )
        return self

    def on_rows(self) -> int:
        """Rows of each period that are on (``round(duty * period)``, at least 1: a duty
        that rounds to none is refused)."""
        return round(self.duty * self.period)

    def weights(self, positions: np.ndarray, total: int) -> np.ndarray:
        phase = np.asarray(positions, dtype=np.int64) % self.period
        on = self.on_rows()
        out = (phase < on).astype(np.float64)
        if self.edge:
            k_up = phase
            k_down = on - 1 - phase
            k = np.minimum(k_up, k_down)
            ramped = (k < self.edge) & (phase < on)
            out[ramped] = ramp(self.shape, (k[ramped] + 1) / (self.edge + 1))
        return out

    def min_rows(self) -> int:
        return self.period


Profile = Annotated[Abrupt | Gradual | Incremental | Recurrent, Field(discriminator="kind")]
