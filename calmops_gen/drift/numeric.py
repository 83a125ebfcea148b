"""Numeric feature events: ``shift``, ``scale`` and ``noise``.

Each acts on the named numeric features with a magnitude multiplied by the row's profile
weight ``w``:

* ``shift``: ``x + w * a``, with ``a = amount`` or ``a = amount_std * std_ref``;
* ``scale``: ``m_ref + (x - m_ref) * (1 + w * (factor - 1))``: spread around the reference
  mean grows by ``factor`` at full weight;
* ``noise``: ``x + w * s * z``, ``z ~ N(0, 1)``, ``s = amount`` or ``amount_std * std_ref``.

``m_ref`` and ``std_ref`` are the column's mean and (population) standard deviation in the
reference block (``reference_block``, default 0) as generated, before any event; they are
fixed once per run, so every block and every worker uses the same figures. Integer columns
stay integers: results are rounded half to even and the realised effect is measured after
rounding. Realised effects per feature (sums over every block, so exact whatever the
executor) go to the manifest: for every event ``rows``, ``mean_weight``, ``mean_before``,
``mean_after``, ``std_before``, ``std_after``; for ``shift`` ``mean_shift`` (mean of
``x_new - x_old``) beside ``expected_mean_shift`` (``amount`` times the mean weight); for
``scale`` ``scale_about_reference`` (RMS deviation from the reference mean after / before)
beside ``factor``; for ``noise`` ``noise_rms`` beside ``expected_noise_rms``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = Shift(kind="shift", features=["a"], amount=2.0)
>>> frame = pd.DataFrame({"a": [1.0, 1.0, 1.0]})
>>> ref = {"a": {"reference_mean": 1.0, "reference_std": 0.0}}
>>> out = ev.apply(frame, np.array([0, 2]), np.array([0.5, 1.0]), np.random.default_rng(0), ref)
>>> frame["a"].tolist()
[2.0, 1.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from calmops_gen.drift.base import Applied, DriftEvent, EventContext, require_columns
from calmops_gen.drift.registry import EVENTS
from calmops_gen.errors import ScenarioError, join_path


class NumericEvent(DriftEvent):
    """Shared behaviour of events that transform numeric feature values."""

    features: list[str] = Field(min_length=1)
    reference_block: int = Field(default=0, ge=0)

    def touched_columns(self) -> list[str]:
        return list(self.features)

    def check(self, ctx: EventContext, path: str) -> None:
        require_columns(ctx, self.features, join_path(path, "features"), numeric=True)
        if self.reference_block >= ctx.n_blocks:
            raise ScenarioError(
                join_path(path, "reference_block"),
                f"block {self.reference_block} does not exist (the dataset has {ctx.n_blocks})",
            )

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        ref = ctx.reference(self.reference_block)
        stats: dict[str, Any] = {}
        for f in self.features:
            values = ref[f].to_numpy(dtype=np.float64)
            values = values[~np.isnan(values)]
            if values.size == 0:
                raise ScenarioError(
                    join_path(path, "reference_block"),
                    f"column {f!r} has no values in block {self.reference_block}",
                )
            std = float(values.std())
            if self.needs_std() and std == 0.0:
                raise ScenarioError(
                    join_path(path, "amount_std"),
                    f"column {f!r} is constant in block {self.reference_block}; "
                    "give an absolute amount",
                )
            stats[f] = {"reference_mean": float(values.mean()), "reference_std": std}
        return stats

    def needs_std(self) -> bool:
        """True when the magnitude is given in units of the reference std."""
        return False

    def transform(
        self, x: np.ndarray, w: np.ndarray, rng: np.random.Generator, ref: Mapping[str, Any]
    ) -> np.ndarray:
        """New values of one feature at the selected rows."""
        raise NotImplementedError

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
    ) -> Applied:
        stats: dict[str, float] = {"rows": float(len(rows)), "sum_w": float(weights.sum())}
        for f in self.features:
            column = frame[f]
            values = column.to_numpy(copy=True)
            old = values[rows].astype(np.float64)
            new = self.transform(old, weights, rng, prepared[f])
            if np.issubdtype(values.dtype, np.integer):
                new = np.rint(new)
            values[rows] = new.astype(values.dtype)
            frame[f] = values
            new = values[rows].astype(np.float64)
            m = prepared[f]["reference_mean"]
            delta = new - old
            ok = ~(np.isnan(old) | np.isnan(new))
            for key, arr in (
                ("n", np.ones_like(old)),
                ("old", old),
                ("old2", old * old),
                ("new", new),
                ("new2", new * new),
                ("delta", delta),
                ("delta2", delta * delta),
                ("dev_old2", (old - m) ** 2),
                ("dev_new2", (new - m) ** 2),
                ("w", weights),
                ("w2", weights * weights),
            ):
                stats[f"{f}:{key}"] = float(arr[ok].sum())
        return Applied(stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.features:
            n = totals.get(f"{f}:n", 0.0)
            if n == 0:
                out[f] = {"rows": 0}
                continue
            mean = {k: totals[f"{f}:{k}"] / n for k in ("old", "old2", "new", "new2", "delta2")}
            std_before = float(np.sqrt(max(mean["old2"] - mean["old"] ** 2, 0.0)))
            std_after = float(np.sqrt(max(mean["new2"] - mean["new"] ** 2, 0.0)))
            out[f] = {
                "rows": int(n),
                "mean_weight": totals["sum_w"] / totals["rows"],
                "mean_before": mean["old"],
                "mean_after": mean["new"],
                "std_before": std_before,
                "std_after": std_after,
                **self.effect(totals, f, prepared[f]),
            }
        return out

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Declared and realised effect on one feature, in the event's own terms."""
        raise NotImplementedError


class _Magnitude(NumericEvent):
    """An event whose magnitude is ``amount`` or ``amount_std`` reference stds."""

    amount: float | None = None
    amount_std: float | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> _Magnitude:
        if (self.amount is None) == (self.amount_std is None):
            raise ValueError("give exactly one of amount or amount_std")
        return self

    def needs_std(self) -> bool:
        return self.amount_std is not None

    def magnitude(self, ref: Mapping[str, Any]) -> float:
        """Absolute magnitude for a feature with reference figures ``ref``."""
        if self.amount is not None:
            return self.amount
        assert self.amount_std is not None
        return self.amount_std * float(ref["reference_std"])


@EVENTS.register("shift")
class Shift(_Magnitude):
    """Add ``w * amount`` (or ``w * amount_std * std_ref``) to each feature."""

    kind: Literal["shift"] = "shift"

    def transform(
        self, x: np.ndarray, w: np.ndarray, rng: np.random.Generator, ref: Mapping[str, Any]
    ) -> np.ndarray:
        return x + w * self.magnitude(ref)

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        a = self.magnitude(ref)
        n = totals[f"{feature}:n"]
        return {
            "amount": a,
            "mean_shift": totals[f"{feature}:delta"] / n,
            "expected_mean_shift": a * totals[f"{feature}:w"] / n,
        }


@EVENTS.register("scale")
class Scale(NumericEvent):
    """Stretch each feature around its reference mean by ``factor`` (at full weight)."""

    kind: Literal["scale"] = "scale"
    factor: float = Field(gt=0.0)

    def transform(
        self, x: np.ndarray, w: np.ndarray, rng: np.random.Generator, ref: Mapping[str, Any]
    ) -> np.ndarray:
        m = float(ref["reference_mean"])
        return m + (x - m) * (1.0 + w * (self.factor - 1.0))

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        old, new = totals[f"{feature}:dev_old2"], totals[f"{feature}:dev_new2"]
        return {
            "factor": self.factor,
            "scale_about_reference": float(np.sqrt(new / old)) if old > 0 else None,
        }


@EVENTS.register("noise")
class Noise(_Magnitude):
    """Add Gaussian noise of std ``w * amount`` (or ``w * amount_std * std_ref``)."""

    kind: Literal["noise"] = "noise"
    distribution: Literal["gaussian"] = "gaussian"

    def transform(
        self, x: np.ndarray, w: np.ndarray, rng: np.random.Generator, ref: Mapping[str, Any]
    ) -> np.ndarray:
        return x + w * self.magnitude(ref) * rng.standard_normal(len(x))

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        s = self.magnitude(ref)
        n = totals[f"{feature}:n"]
        return {
            "amount": s,
            "noise_rms": float(np.sqrt(totals[f"{feature}:delta2"] / n)),
            "expected_noise_rms": float(s * np.sqrt(totals[f"{feature}:w2"] / n)),
        }
