"""Outliers: ``outliers`` moves a random share of the selected rows far from the bulk.

Each selected row becomes an outlier with probability ``rate * w`` (``w``: the profile
weight); an outlier row is changed on **every** named feature (one draw per row), and the
ground truth records which rows changed. With the reference mean ``m``, standard deviation
``s``, minimum ``lo`` and maximum ``hi`` of each feature in the reference block
(``reference_block``, default 0), an outlier's new value is:

* ``method: factor``: ``m + factor * (x - m)`` (default ``factor`` 5): the deviation from the
  reference mean is multiplied, so a value near the mean moves little;
* ``method: zscore``: ``m + sign * z * s`` (default ``z`` 4), ``sign`` +1 or -1 with
  probability 1/2 per row and feature;
* ``method: hypercube``: each feature of the row goes beyond its reference range, to
  ``hi + margin * (hi - lo) * (1 + u)`` or ``lo - margin * (hi - lo) * (1 + u)`` (side +/-
  with probability 1/2 per feature, so the row lands in a random corner of the hypercube
  around the reference range; ``u ~ U(0, 1)``; default ``margin`` 0.1). Integer columns step
  at least one unit outside the range.

Missing values stay missing. Integer columns are rounded half to even. The magnitude is not
scaled by ``w``: the weight only makes outliers rarer. Realised effects per feature:
``outlier_rate`` (share of the rows with a value that became outliers: picked, and moved,
which a small ``factor`` on an integer column may not do after rounding) beside
``expected_outlier_rate`` (mean of ``rate * w``), ``mean_abs_z`` (mean ``|x_new - m| / s``
over the outlier rows),
``outside_range`` (share of outlier values outside ``[lo, hi]``) and the shared figures of
numeric events (``mean_before``, ``std_after``, ...).

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = Outliers(kind="outliers", features=["a"], method="zscore", z=3.0, rate=1.0)
>>> frame = pd.DataFrame({"a": [0.0, 0.5, -0.5]})
>>> ref = {"a": {"reference_mean": 0.0, "reference_std": 1.0, "low": -1.0, "high": 1.0}}
>>> out = ev.apply(frame, np.arange(3), np.ones(3), np.random.default_rng(0), ref)
>>> np.abs(frame["a"]).tolist()
[3.0, 3.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from calmops_gen.drift.numeric import AtRate, Realised, push_outside
from calmops_gen.drift.registry import EVENTS
from calmops_gen.validation import key_error

DEFAULT_FACTOR = 5.0
DEFAULT_Z = 4.0


@EVENTS.register("outliers")
class Outliers(AtRate):
    """Turn a ``rate * w`` share of rows into outliers (by factor, z-score or hypercube).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.random.default_rng(0).normal(size=1000)})
    >>> event = {"kind": "outliers", "features": ["x"], "rate": 0.05, "z": 6.0}
    >>> out = inject(df, {"e": event}, seed=1)
    >>> int(out.ground_truth["e__changed"].sum()), bool((out.frame["x"].abs() > 5).sum() >= 40)
    (58, True)
    """

    kind: Literal["outliers"] = "outliers"
    method: Literal["factor", "zscore", "hypercube"] = "zscore"
    factor: float | None = Field(default=None, gt=0.0)
    z: float | None = Field(default=None, gt=0.0)
    margin: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _method_keys(self) -> Outliers:
        own = {"factor": "factor", "zscore": "z", "hypercube": "margin"}
        for method, key in own.items():
            if getattr(self, key) is not None and self.method != method:
                raise key_error(
                    key, f"belongs to method {method}, not {self.method}", getattr(self, key)
                )
        return self

    def needs_std(self) -> bool:
        return True

    def std_key(self) -> str:
        return "features"

    def constant_hint(self) -> str:
        return "a constant column has no outliers to make"

    def prepare_feature(
        self, feature: str, values: np.ndarray, std: float, path: str
    ) -> dict[str, Any]:
        return {"low": float(values.min()), "high": float(values.max())}

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
        m, s = float(ref["reference_mean"]), float(ref["reference_std"])
        if self.method == "factor":
            moved = m + (self.factor or DEFAULT_FACTOR) * (x - m)
        else:
            up = rng.random(len(x)) < 0.5
            if self.method == "zscore":
                moved = m + np.where(up, 1.0, -1.0) * (self.z or DEFAULT_Z) * s
            else:
                lo, hi = float(ref["low"]), float(ref["high"])
                offset = (self.margin or 0.1) * (hi - lo) * (1.0 + rng.random(len(x)))
                moved = push_outside(up, offset, lo, hi, integer)
        out: np.ndarray = np.where(picked & ~np.isnan(x), moved, x)
        return out

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        assert picked is not None
        m, s = float(ref["reference_mean"]), float(ref["reference_std"])
        outside = (r.new < float(ref["low"])) | (r.new > float(ref["high"]))
        # an outlier is a picked value that moved: rounding can keep a small move in place
        hit = picked & r.changed
        return {
            "picked": r.count(hit),
            "abs_z": r.total(np.where(hit, np.abs(r.new - m) / s, 0.0)),
            "outside": r.count(hit & outside),
        }

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        rows, n = totals["rows"], totals[f"{feature}:n"]
        picked = totals[f"{feature}:picked"]  # picked values that moved (missing ones stay)
        return {
            "method": self.method,
            "rate": self.rate,
            "outlier_rate": picked / n if n else 0.0,
            "expected_outlier_rate": totals["expected_picked"] / rows,
            "mean_abs_z": totals[f"{feature}:abs_z"] / picked if picked else None,
            "outside_range": totals[f"{feature}:outside"] / picked if picked else None,
        }
