"""Missing values: ``missing`` blanks cells under MCAR, MAR or MNAR mechanisms.

Each selected cell (row x named feature) becomes missing with its own probability ``p``,
one independent draw per cell; ``w`` is the row's profile weight and ``r = rate * w``:

* ``mechanism: mcar``: ``p = r``: completely at random;
* ``mechanism: mar``: ``p = G(driver) ** ((1 - r) / r)``, driven by another column
  (``driver``, a numeric or bool feature that is not one of ``features``; ``True`` counts
  as 1), where ``G`` is the
  driver's empirical CDF in the reference block (``reference_block``, default 0;
  ``direction: high``) or ``1 - CDF`` (``direction: low``). For ``U`` uniform on [0, 1],
  ``E[U ** k] = 1 / (k + 1)``, so with ``k = (1 - r) / r`` the mean probability over rows
  whose driver is distributed as in the reference is exactly ``r``, every ``p`` stays in
  [0, 1], and ``p`` rises with the driver (falls, for ``low``): high-driver rows go missing
  first. ``r = 1`` makes every cell missing, ``r = 0`` none;
* ``mechanism: mnar``: the same formula driven by the feature's own value (before it is
  removed): high values (``direction: high``) are the likelier to go missing.

``G`` is stored in the manifest (``prepared``) as at most :data:`CDF_POINTS` points of the
reference distribution: the mid-rank CDF at each distinct value when there are few of them,
else the quantiles at evenly spaced probabilities; between points it is interpolated
linearly, below the reference minimum it is 0 and above the maximum 1. A missing driver
value counts as ``G = 1/2``. A driver with few distinct values (a flag, a count, a rating)
is not uniform under its own CDF, so ``E[G ** k] = 1 / (k + 1)`` would not hold (a 0/1 flag
at ``rate: 0.05`` would blank 0.2% of the cells): there the grid also holds each value's
share of the reference (``mass``), and a row whose driver equals a reference value takes
``G = cdf - mass / 2 + u * mass`` with ``u`` uniform on [0, 1] (one more draw per row, after
the cell draws), the randomised probability integral transform, which is exactly uniform
over the reference, so the mean probability is ``r`` again. Cells already missing stay
missing and are not counted as changed. Integer and boolean columns the event acts on
become pandas' nullable twins (``int32`` -> ``Int32``, ``bool`` -> ``boolean``), whether or
not a draw blanked a cell (the dtype never depends on the draws), so later events still see
integers (and round to them); the written type is unchanged, with
nulls. String columns get their dtype's missing value.

Realised effects per feature: ``missing_rate`` (cells made missing / selected cells) beside
``expected_missing_rate`` (the sum of ``p`` over the selected cells not already missing,
divided by the selected cells: the exact expectation for the rows as they were) and
``nominal_missing_rate`` (``rate`` times the mean weight); for MAR and MNAR also
``mean_driver_missing`` and ``mean_driver_observed``, the driver's mean over the rows whose
cell was made missing and over the other rows. The ground truth marks a row changed when any
of its cells was made missing.

Examples
--------
>>> import numpy as np
>>> grid = {"x": [0.0, 1.0], "cdf": [0.0, 1.0]}
>>> mar_probability(np.array([0.0, 0.5, 1.0]), np.full(3, 0.5), grid, "high").tolist()
[0.0, 0.5, 1.0]
>>> p = mar_probability(np.linspace(0, 1, 100001), np.full(100001, 0.2), grid, "high")
>>> round(float(p.mean()), 4)
0.2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from calmops_gen.drift.base import (
    Applied,
    DriftEvent,
    EventContext,
    Features,
    Site,
    require_block,
    require_columns,
)
from calmops_gen.drift.cells import at_rows
from calmops_gen.drift.registry import EVENTS
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.generators.base import nullable_twin
from calmops_gen.validation import key_error

CDF_POINTS = 201


def reference_cdf(values: np.ndarray) -> dict[str, list[float]]:
    """The compact CDF ``G`` of ``values`` (see the module docstring).

    Examples
    --------
    >>> reference_cdf(np.array([1.0, 1.0, 2.0, 4.0]))
    {'x': [1.0, 2.0, 4.0], 'cdf': [0.25, 0.625, 0.875], 'mass': [0.5, 0.25, 0.25]}
    """
    values = np.sort(values[~np.isnan(values)])
    distinct = np.unique(values)
    if distinct.size <= CDF_POINTS:
        below = np.searchsorted(values, distinct, side="left")
        upto = np.searchsorted(values, distinct, side="right")
        cdf = (below + upto) / (2.0 * values.size)
        mass = (upto - below) / values.size
        return {"x": distinct.tolist(), "cdf": cdf.tolist(), "mass": mass.tolist()}
    probs = np.linspace(0.0, 1.0, CDF_POINTS)
    return {"x": np.quantile(values, probs).tolist(), "cdf": probs.tolist()}


def mar_probability(
    driver: np.ndarray,
    r: np.ndarray,
    grid: Mapping[str, Any],
    direction: str,
    u: np.ndarray | None = None,
) -> np.ndarray:
    """Per-row missing probability ``G(driver) ** ((1 - r) / r)`` (0 where ``r == 0``);
    ``u`` (one uniform per row) spreads the rows at a reference value over its CDF step
    when ``grid`` has ``mass`` (see the module docstring).

    Examples
    --------
    >>> flag = np.tile([0.0, 1.0], 50_000)
    >>> grid = reference_cdf(flag)
    >>> u = np.random.default_rng(0).random(flag.size)
    >>> r = np.full(flag.size, 0.05)
    >>> round(float(mar_probability(flag, r, grid, "high").mean()), 4)  # G in {1/4, 3/4}
    0.0021
    >>> round(float(mar_probability(flag, r, grid, "high", u).mean()), 2)
    0.05
    """
    g = np.interp(driver, grid["x"], grid["cdf"], left=0.0, right=1.0)
    if u is not None and "mass" in grid:
        x = np.asarray(grid["x"], dtype=np.float64)
        at = np.minimum(np.searchsorted(x, driver), x.size - 1)
        on = x[at] == driver
        mass = np.asarray(grid["mass"], dtype=np.float64)[at]
        g = np.where(on, g + (u - 0.5) * mass, g)
    g = np.where(np.isnan(driver), 0.5, g)
    if direction == "low":
        g = 1.0 - g
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (1.0 - r) / r
        p = np.where(r > 0, np.power(g, np.where(r > 0, k, 1.0)), 0.0)
    out: np.ndarray = np.clip(p, 0.0, 1.0)
    return out


def with_missing(column: pd.Series, positions: np.ndarray) -> pd.Series:
    """A copy of ``column`` with missing values at ``positions`` (dtype widened if needed).

    Examples
    --------
    >>> out = with_missing(pd.Series([1, 2, 3], dtype="int32"), np.array([1]))
    >>> out.dtype, out.tolist()
    (Int32Dtype(), [1, <NA>, 3])
    >>> with_missing(pd.Series(["a", "b"]), np.array([0])).isna().tolist()
    [True, False]
    """
    dtype = column.dtype
    # integers and bools move to pandas' nullable twin: they stay integers for the events
    # after this one, and the written type is unchanged
    twin = nullable_twin(dtype) if isinstance(dtype, np.dtype) else None
    out = column.copy() if twin is None else column.astype(twin)
    if positions.size:
        out.iloc[positions] = None
    return out


@EVENTS.register("missing")
class Missing(DriftEvent):
    """Blank cells with probability ``rate * w`` (MCAR) or driven by a column (MAR, MNAR).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.arange(6.0)})
    >>> event = {"kind": "missing", "features": ["x"], "rate": 1.0, "where": {"rows": [0, 3]}}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [nan, nan, nan, 3.0, 4.0, 5.0]
    """

    kind: Literal["missing"] = "missing"
    features: Features
    rate: float = Field(ge=0.0, le=1.0)
    mechanism: Literal["mcar", "mar", "mnar"] = "mcar"
    driver: str | None = None
    direction: Literal["high", "low"] = "high"
    reference_block: int = Field(default=0, ge=0)

    changes_subset: ClassVar[bool] = True

    @model_validator(mode="after")
    def _driver(self) -> Missing:
        if self.mechanism == "mar" and self.driver is None:
            raise key_error("driver", "mechanism mar needs a driver column")
        if self.mechanism != "mar" and self.driver is not None:
            raise key_error(
                "driver", f"driver is for mechanism mar, not {self.mechanism}", self.driver
            )
        if self.mechanism == "mcar" and "direction" in self.model_fields_set:
            raise key_error(
                "direction", "direction is for mechanism mar or mnar, not mcar", self.direction
            )
        return self

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        return list(self.features)

    def check(self, ctx: EventContext, path: str) -> None:
        require_columns(
            ctx,
            self.features,
            join_path(path, "features"),
            numeric=True if self.mechanism == "mnar" else None,
        )
        if self.driver is not None:
            require_columns(ctx, [self.driver], join_path(path, "driver"))
            col = ctx.columns[self.driver]
            if not (col.numeric or col.dtype == "bool"):
                raise ScenarioError(
                    join_path(path, "driver"),
                    f"{self.driver!r} is not numeric or bool ({col.dtype}"
                    f"{', nominal: its codes have no order' if col.nominal else ''})",
                )
            if self.driver in self.features:
                raise ScenarioError(
                    join_path(path, "driver"),
                    f"{self.driver!r} is also one of the features; a MAR driver must be "
                    "another column (use mechanism mnar for missingness driven by the value)",
                )
        if self.mechanism != "mcar":
            require_block(ctx, self.reference_block, path)

    def drivers(self) -> list[str]:
        """The columns whose reference CDF the event needs."""
        if self.mechanism == "mar":
            assert self.driver is not None
            return [self.driver]
        return list(self.features) if self.mechanism == "mnar" else []

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        if self.mechanism == "mcar":
            return {}
        ref = ctx.reference(self.reference_block)
        cdfs: dict[str, Any] = {}
        for name in self.drivers():
            values = ref[name].to_numpy(dtype=np.float64)
            if np.isnan(values).all():
                raise ScenarioError(
                    join_path(path, "driver" if self.mechanism == "mar" else "features"),
                    f"column {name!r} has no values in block {self.reference_block}",
                )
            cdfs[name] = reference_cdf(values)
        return {"cdf": cdfs}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        r = self.rate * weights
        draws = rng.random((len(rows), len(self.features)))
        stats: dict[str, float] = {"rows": float(len(rows)), "sum_w": float(weights.sum())}
        shared = None
        if self.mechanism == "mar":
            assert self.driver is not None
            shared = at_rows(frame[self.driver], rows).to_numpy(dtype=np.float64)
        changed = np.zeros(len(rows), dtype=bool)
        for j, f in enumerate(self.features):
            column = frame[f]
            here = at_rows(column, rows)
            already = here.isna().to_numpy()
            driver = shared
            if self.mechanism == "mnar":
                driver = here.to_numpy(dtype=np.float64)
            if driver is None:
                p = r
            else:
                name = self.driver if self.mechanism == "mar" else f
                grid = prepared["cdf"][name]
                u = rng.random(len(rows)) if "mass" in grid else None
                p = mar_probability(driver, r, grid, self.direction, u)
            made = (draws[:, j] < p) & ~already
            frame[f] = with_missing(column, rows[made])
            changed |= made
            stats[f"{f}:missing"] = float(made.sum())
            stats[f"{f}:expected"] = float((p[~already] if already.any() else p).sum())
            stats[f"{f}:already"] = float(already.sum())
            if driver is not None:
                seen = ~np.isnan(driver)
                kept = ~made & ~already & seen
                stats[f"{f}:drv_missing"] = float(driver[made & seen].sum())
                stats[f"{f}:n_drv_missing"] = float((made & seen).sum())
                stats[f"{f}:drv_observed"] = float(driver[kept].sum())
                stats[f"{f}:n_drv_observed"] = float(kept.sum())
        return Applied(changed=changed, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        out: dict[str, Any] = {}
        for f in self.features:
            if not rows:
                out[f] = {"rows": 0}
                continue
            item: dict[str, Any] = {
                "rows": int(rows),
                "mechanism": self.mechanism,
                "cells_made_missing": int(totals[f"{f}:missing"]),
                "cells_already_missing": int(totals[f"{f}:already"]),
                "missing_rate": totals[f"{f}:missing"] / rows,
                "expected_missing_rate": totals[f"{f}:expected"] / rows,
                "nominal_missing_rate": self.rate * totals["sum_w"] / rows,
            }
            if self.mechanism != "mcar":
                n_m, n_o = totals[f"{f}:n_drv_missing"], totals[f"{f}:n_drv_observed"]
                item["driver"] = self.driver if self.mechanism == "mar" else f
                item["mean_driver_missing"] = totals[f"{f}:drv_missing"] / n_m if n_m else None
                item["mean_driver_observed"] = totals[f"{f}:drv_observed"] / n_o if n_o else None
            out[f] = item
        return out
