"""Range defects of numeric features: ``clip`` (a sensor saturating) and ``range_violation``
(values pushed outside their valid range); what they share with the other numeric events:
:mod:`calmops_gen.drift.numeric`.

* ``clip``: ``x + w * (clip(x, low, high) - x)``: a sensor saturating; at full weight values
  outside ``[low, high]`` are set to the nearer bound, at ``w < 1`` they move that share of
  the way; values inside are untouched. Bounds are absolute (``low``, ``high``) or quantiles
  of the reference block (``low_quantile``, ``high_quantile``); one side may be open. On an
  integer column the bounds are the integers inside them (``ceil(low)``, ``floor(high)``),
  so a clipped value stays inside ``[low, high]`` after rounding. The rows whose value
  changed are recorded as ``changed``;
* ``range_violation``: the opposite defect, values outside their valid range ``[low, high]``
  (default: the reference block's min and max; absolute or ``*_quantile``): each selected
  row is picked with probability ``rate * w``; every feature of a picked row moves to
  ``high + e * (1 + u)`` (``side: high``), ``low - e * (1 + u)`` (``side: low``) or either
  with probability 1/2 per feature (``side: both``), ``u ~ U(0, 1)``, with the excess
  ``e = excess`` or ``excess_std * std_ref`` (default ``excess_std`` 1). Missing values
  stay missing. Integer columns step at least one unit outside
  (``floor(high) + max(1, ceil(e * (1 + u)))``, mirrored below). The rows that changed
  (the picked ones, less any whose values were all missing) are recorded as ``changed``.

Realised effects per feature, beside the shared ones:

* ``clip``: ``outside_before``/``outside_after`` (shares of rows outside ``[low, high]``)
  and ``clipped_rate`` (share of rows changed);
* ``range_violation``: ``violation_rate`` (share of the rows with a value that were moved
  outside; a missing value stays missing) beside ``expected_violation_rate`` (mean of
  ``rate * w``), ``outside_after`` and ``mean_excess`` (mean distance outside the range of
  the moved rows).

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = Clip(kind="clip", features=["a"], low=-1.0, high=1.0)
>>> frame = pd.DataFrame({"a": [-3.0, 0.5, 3.0]})
>>> ref = {"a": {"reference_mean": 0.0, "reference_std": 1.0, "low": -1.0, "high": 1.0}}
>>> _ = ev.apply(frame, np.arange(3), np.ones(3), np.random.default_rng(0), ref)
>>> frame["a"].tolist()
[-1.0, 0.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from calmops_gen.drift.numeric import (
    AtRate,
    NumericEvent,
    Realised,
    push_outside,
)
from calmops_gen.drift.registry import EVENTS
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.validation import key_error


class _Range(NumericEvent):
    """Bounds ``[low, high]``: absolute or quantiles of the reference block."""

    low: float | None = None
    high: float | None = None
    low_quantile: float | None = Field(default=None, ge=0.0, le=1.0)
    high_quantile: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _bounds(self) -> _Range:
        if self.low is not None and self.low_quantile is not None:
            raise key_error("low_quantile", "give low or low_quantile, not both", self.low_quantile)
        if self.high is not None and self.high_quantile is not None:
            raise key_error(
                "high_quantile", "give high or high_quantile, not both", self.high_quantile
            )
        if (self.low is not None and self.high is not None and not self.low < self.high) or (
            self.low_quantile is not None
            and self.high_quantile is not None
            and not self.low_quantile < self.high_quantile
        ):
            key = "high" if self.high is not None else "high_quantile"
            raise key_error(key, "low must be below high", getattr(self, key))
        return self

    def default_bounds(self, values: np.ndarray) -> tuple[float | None, float | None]:
        """Bounds used when neither the absolute nor the quantile key is given."""
        return None, None

    def prepare_feature(
        self, feature: str, values: np.ndarray, std: float, path: str
    ) -> dict[str, Any]:
        low, high = self.default_bounds(values)
        if self.low is not None:
            low = self.low
        elif self.low_quantile is not None:
            low = float(np.quantile(values, self.low_quantile))
        if self.high is not None:
            high = self.high
        elif self.high_quantile is not None:
            high = float(np.quantile(values, self.high_quantile))
        if low is not None and high is not None and not low < high:
            raise ScenarioError(
                join_path(path, "high_quantile" if self.high_quantile is not None else "high"),
                f"the range of {feature!r} is empty: low {low:g} is not below high {high:g}",
            )
        return {"low": low, "high": high}

    @staticmethod
    def outside(x: np.ndarray, ref: Mapping[str, Any]) -> np.ndarray:
        """True where ``x`` is outside ``[low, high]``."""
        out = np.zeros(x.shape, dtype=bool)
        if ref["low"] is not None:
            out |= x < ref["low"]
        if ref["high"] is not None:
            out |= x > ref["high"]
        return out


@EVENTS.register("clip")
class Clip(_Range):
    """Clip each feature into ``[low, high]``: ``x + w * (clip(x, low, high) - x)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": [-3.0, 0.5, 3.0]})
    >>> event = {"kind": "clip", "features": ["x"], "low": -1.0, "high": 1.0}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [-1.0, 0.5, 1.0]
    """

    kind: Literal["clip"] = "clip"

    changes_subset: ClassVar[bool] = True

    @model_validator(mode="after")
    def _some_bound(self) -> Clip:
        if all(v is None for v in (self.low, self.high, self.low_quantile, self.high_quantile)):
            raise key_error("high", "give low and/or high (or low_quantile / high_quantile)")
        return self

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        low = -np.inf if ref["low"] is None else float(ref["low"])
        high = np.inf if ref["high"] is None else float(ref["high"])
        if integer:
            low, high = np.ceil(low), np.floor(high)
        clipped = np.clip(x, low, high)
        with np.errstate(invalid="ignore"):  # inf - inf below full weight: kept infinite
            out: np.ndarray = x + w * (clipped - x)
        full = w >= 1.0
        out[full] = clipped[full]
        endless = np.isinf(x) & ~full  # a share of an infinite distance is still infinite
        out[endless] = x[endless]
        return out

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        return {
            "outside_before": r.count(self.outside(r.old, ref)),
            "outside_after": r.count(self.outside(r.new, ref)),
            "clipped": r.count(r.new != r.old),
        }

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        n = totals[f"{feature}:n"]
        return {
            "low": ref["low"],
            "high": ref["high"],
            "outside_before": totals[f"{feature}:outside_before"] / n,
            "outside_after": totals[f"{feature}:outside_after"] / n,
            "clipped_rate": totals[f"{feature}:clipped"] / n,
        }


@EVENTS.register("range_violation")
class RangeViolation(_Range, AtRate):
    """Move a ``rate * w`` share of rows outside the valid range ``[low, high]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.linspace(0.0, 1.0, 100)})
    >>> event = {"kind": "range_violation", "features": ["x"], "rate": 1.0, "low": 0.0, "high": 1.0}
    >>> out = inject(df, {"e": event}, seed=1)
    >>> bool((out.frame["x"] > 1.0).all())
    True
    """

    kind: Literal["range_violation"] = "range_violation"
    side: Literal["high", "low", "both"] = "high"
    excess: float | None = Field(default=None, gt=0.0)
    excess_std: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _one_excess(self) -> RangeViolation:
        if self.excess is not None and self.excess_std is not None:
            raise key_error("excess_std", "give excess or excess_std, not both", self.excess_std)
        return self

    def needs_std(self) -> bool:
        return self.excess is None

    def std_key(self) -> str:
        return "excess_std"

    def constant_hint(self) -> str:
        return "give an absolute excess"

    def default_bounds(self, values: np.ndarray) -> tuple[float | None, float | None]:
        return float(values.min()), float(values.max())

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        assert picked is not None
        e = (
            self.excess
            if self.excess is not None
            else (self.excess_std or 1.0) * float(ref["reference_std"])
        )
        offset = e * (1.0 + rng.random(len(x)))
        if self.side == "both":
            up = rng.random(len(x)) < 0.5
        else:
            up = np.full(len(x), self.side == "high")
        moved = push_outside(up, offset, float(ref["low"]), float(ref["high"]), integer)
        out: np.ndarray = np.where(picked & ~np.isnan(x), moved, x)
        return out

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        assert picked is not None
        beyond = np.maximum(r.new - float(ref["high"]), float(ref["low"]) - r.new)
        return {
            "picked": r.count(picked),
            "outside_after": r.count(self.outside(r.new, ref)),
            "excess": r.total(np.where(picked, beyond, 0.0)),
        }

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        n, rows = totals[f"{feature}:n"], totals["rows"]
        picked = totals[f"{feature}:picked"]  # picked rows with a value (a missing one stays)
        return {
            "low": ref["low"],
            "high": ref["high"],
            "rate": self.rate,
            "violation_rate": picked / n if n else 0.0,
            "expected_violation_rate": totals["expected_picked"] / rows,
            "outside_after": totals[f"{feature}:outside_after"] / n if n else 0.0,
            "mean_excess": totals[f"{feature}:excess"] / picked if picked else None,
        }
