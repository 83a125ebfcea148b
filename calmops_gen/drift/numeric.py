"""What every numeric feature event shares: reference figures, integer storage, severity
calibration and the realised figures.

The events: :mod:`~calmops_gen.drift.arithmetic` (``shift``, ``add``, ``scale``,
``multiply``, ``noise``, ``set``), :mod:`~calmops_gen.drift.bounds` (``clip``,
``range_violation``), :mod:`~calmops_gen.drift.trend` and
:mod:`~calmops_gen.drift.outliers`.

Each acts on the named numeric features, at the selected rows, with the row's profile weight
``w`` (0 < w <= 1). Events with a magnitude apply it times ``w``; events with a rate
(``range_violation``, ``outliers``) use ``rate * w`` as the per-row probability.

``m_ref``, ``std_ref``, the reference min, max and quantiles are those of the column in the
reference block (``reference_block``, default 0) as generated, before any event; they are
fixed once per run, so every block and every worker uses the same figures. Integer columns
stay integers: results are rounded half to even and the realised effect is measured after
rounding.

``shift``, ``add``, ``scale``, ``multiply`` and ``noise`` accept ``severity: {metric, target,
direction}`` instead of their amount or factor (exactly one of them): the parameter is solved
per feature at plan time so that the distance between the reference values and the reference
values drifted at full weight equals ``target`` (see :mod:`calmops_gen.drift.severity`). The
calibration sees the reference block as generated, not the rows the event writes: events
applied before this one, other blocks' distributions and weights below 1 are not part of it,
so the distance on the written data is measured and recorded as well (``by_block`` below).

Realised effects per feature (sums over every block, so exact whatever the executor) go to
the manifest: for every event ``rows``, ``mean_weight``, ``mean_before``, ``mean_after``,
``std_before``, ``std_after`` (each block's moments merged, so a spread far smaller than
the values keeps its digits); then figures in each event's own terms (see its module) and:

* with ``severity``: the ``severity`` record (metric, target, solved parameter, achieved)
  and ``by_block``: for each block the event acts on, ``{block, full_weight_rows,
  distance}``, the distance (same metric and bins as the solve) between the reference values
  the solve used and the block's selected rows at full weight (``w == 1``) with a finite
  value, as this event writes them (``distance`` ``None`` when the block has no such row).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from calmops_gen.drift.arithmetic import Set, Shift
>>> ev = Shift(kind="shift", features=["a"], amount=2.0)
>>> frame = pd.DataFrame({"a": [1.0, 1.0, 1.0]})
>>> ref = {"a": {"reference_mean": 1.0, "reference_std": 0.0}}
>>> out = ev.apply(frame, np.array([0, 2]), np.array([0.5, 1.0]), np.random.default_rng(0), ref)
>>> frame["a"].tolist()
[2.0, 1.0, 3.0]
>>> ev = Set(kind="set", features=["a"], value=5.0)
>>> out = ev.apply(frame, np.array([0, 1]), np.array([1.0, 0.25]), np.random.default_rng(0), ref)
>>> frame["a"].tolist()
[5.0, 2.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
from pydantic import Field

from calmops_gen.drift.base import (
    Applied,
    DriftEvent,
    EventContext,
    Features,
    Moments,
    Site,
    Unrecorded,
    integer_overflow,
    require_block,
    require_columns,
    write_rows,
)
from calmops_gen.drift.selection import contiguous
from calmops_gen.drift.severity import (
    BRACKET_STDS,
    Severity,
    distance,
    solve,
)
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.validation import key_error


class Realised:
    """Sums over one feature's selected rows for the realised statistics, taken over the
    rows where both the old and the new value are present and finite, without a per-row
    temporary per
    figure: sums of squares and products are ``einsum`` dot products (deterministic, no
    BLAS threads), and the mask is applied only when a value is missing.

    ``old``, ``new``: the values before and after (float64), ``w``: the profile weights.
    """

    def __init__(self, old: np.ndarray, new: np.ndarray, w: np.ndarray) -> None:
        self.old, self.new, self.w = old, new, w
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, left out below
            self.delta: np.ndarray = new - old
            total = np.add.reduce(self.delta)
        # a NaN (or an infinity) anywhere makes a sum non-finite: only then build the masks
        if np.isfinite(total):
            self.ok: np.ndarray | None = None
            self.changed: np.ndarray = self.delta != 0
            self.n = float(len(old))
            return
        nan_old, nan_new = np.isnan(old), np.isnan(new)
        ok = np.isfinite(old) & np.isfinite(new)  # an infinite value has no mean or spread
        self.changed = ~((old == new) | (nan_old & nan_new))
        self.ok = None if ok.all() else ok
        self.n = float(np.count_nonzero(ok))

    def _masked(self, x: np.ndarray) -> np.ndarray:
        return x if self.ok is None else x[self.ok]

    def total(self, x: np.ndarray) -> float:
        """Sum of ``x`` over the rows with both values."""
        return float(np.add.reduce(self._masked(x)))

    def dot(self, x: np.ndarray, y: np.ndarray) -> float:
        """Sum of ``x * y`` over the rows with both values."""
        return float(np.einsum("i,i->", self._masked(x), self._masked(y)))

    def moments(self, x: np.ndarray) -> Moments:
        """:class:`Moments` of ``x`` over the rows with both values."""
        return Moments.of(self._masked(x))

    def count(self, mask: np.ndarray) -> float:
        """Rows with both values where ``mask`` holds."""
        return float(np.count_nonzero(self._masked(mask)))


def fits_integer(values: np.ndarray, dtype: np.dtype, name: str) -> None:
    """Raise unless every value fits the integer ``dtype`` of column ``name`` (numpy would
    wrap an out-of-range value around silently).

    Examples
    --------
    >>> fits_integer(np.array([1.0, 255.0]), np.dtype(np.uint8), "u")
    >>> fits_integer(np.array([256.0]), np.dtype(np.uint8), "u")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: features: 'u' is uint8 (0 to 255): ... write 256; ...
    """
    if not len(values):
        return
    low, high = values.min(), values.max()
    problem = integer_overflow(name, dtype, low, high)
    if problem:
        bad = low if integer_overflow(name, dtype, high, high) is None else high
        raise ScenarioError(
            "features",
            f"{problem}: the event would write {bad:.0f}; cast the column to a wider type first",
        )


#: Integers up to this magnitude are exact in float64 (numeric events compute in float64).
FLOAT_EXACT = 2**53


def exact_in_float(low: Any, high: Any, name: str) -> None:
    """Raise when integers from ``low`` to ``high`` (column ``name``'s selected values; NA
    when all are missing) are not all exact in float64, where numeric events compute: past
    2**53 they would be rounded, and so changed, without a word.

    Examples
    --------
    >>> exact_in_float(-(2**53), 2**53, "v")
    >>> exact_in_float(0, 2**60, "v")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: features: 'v' holds integers beyond 2**53 (115...), ...
    """
    if pd.isna(low) or pd.isna(high):
        return
    bad = high if abs(int(high)) >= abs(int(low)) else low
    if abs(int(bad)) > FLOAT_EXACT:
        raise ScenarioError(
            "features",
            f"{name!r} holds integers beyond 2**53 ({int(bad)}), which the event's float64 "
            "arithmetic cannot keep exact; scale or offset the column first",
        )


def as_stored(dtype: Any) -> Callable[[np.ndarray], np.ndarray]:
    """What storing float64 results in a column of ``dtype`` does to them: rounding half to
    even for integers, to the nearest float32 for float32 columns (saturating at its largest
    finite value); nothing for float64.

    Examples
    --------
    >>> as_stored(np.dtype(np.int16))(np.array([0.5, 1.5])).tolist()
    [0.0, 2.0]
    >>> as_stored(pd.Float32Dtype())(np.array([0.1])).tolist() == [float(np.float32(0.1))]
    True
    >>> as_stored(np.dtype(np.float64))(np.array([0.1])).tolist()
    [0.1]
    """
    if pd.api.types.is_integer_dtype(dtype):
        return np.rint
    stored = getattr(dtype, "numpy_dtype", dtype)
    if isinstance(stored, np.dtype) and stored.kind == "f" and stored.itemsize < 8:
        big = float(np.finfo(stored).max)
        return lambda x: np.clip(x, -big, big).astype(stored).astype(np.float64)
    return lambda x: x


def push_outside(
    up: np.ndarray, offset: np.ndarray, low: float, high: float, integer: bool
) -> np.ndarray:
    """``high + offset`` where ``up``, else ``low - offset``; integer columns step at least
    one whole unit beyond the bound (``floor(high) + max(1, ceil(offset))``, mirrored).

    Examples
    --------
    >>> push_outside(np.array([True, False]), np.array([0.2, 0.2]), 0.0, 10.0, True).tolist()
    [11.0, -1.0]
    """
    out: np.ndarray
    if integer:
        step = np.maximum(1.0, np.ceil(offset))
        out = np.where(up, np.floor(high) + step, np.ceil(low) - step)
    else:
        out = np.where(up, high + offset, low - offset)
    return out


def spread(ref: Mapping[str, Any]) -> float:
    """The reference std, or for a constant column its magnitude (at least 1)."""
    return float(ref["reference_std"]) or max(abs(float(ref["reference_mean"])), 1.0)


class NumericEvent(DriftEvent):
    """Shared behaviour of events that transform numeric feature values."""

    features: Features
    reference_block: int = Field(default=0, ge=0)

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        return list(self.features)

    def check(self, ctx: EventContext, path: str) -> None:
        require_columns(ctx, self.features, join_path(path, "features"), numeric=True)
        require_block(ctx, self.reference_block, path)

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        ref = ctx.reference(self.reference_block)
        stats: dict[str, Any] = {}
        for f in self.features:
            values = ref[f].to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.isfinite(values)  # missing and infinite values are left out
            if not finite.all():
                values = values[finite]
            if values.size == 0:
                raise ScenarioError(
                    join_path(path, "reference_block"),
                    f"column {f!r} has no finite values in block {self.reference_block}",
                )
            with np.errstate(over="ignore"):  # values near the float limit: inf, no warning
                std = float(values.std())
            if std == 0.0 and self.needs_std():
                raise ScenarioError(
                    join_path(path, self.std_key()),
                    f"column {f!r} is constant in block {self.reference_block}; "
                    f"{self.constant_hint()}",
                )
            stats[f] = {
                "reference_mean": float(values.mean()),
                "reference_std": std,
                **self.prepare_feature(f, values, std, path),
            }
            severity = self.severity_spec()
            if severity is not None:
                stats[f]["severity"] = self._solve(
                    severity, f, values, stats[f], ref[f].dtype, path
                )
                # the values the solve used, for the distance on the written data (a copy:
                # a view would keep the whole reference frame alive)
                stats[f]["severity_reference"] = Unrecorded(values.copy())
        return stats

    def needs_std(self) -> bool:
        """True when a magnitude is given in units of the reference std."""
        return False

    def std_key(self) -> str:
        """The key to blame when the reference std is 0 but needed."""
        return "amount_std"

    def constant_hint(self) -> str:
        """What to do when the reference std is 0 but needed."""
        return "give an absolute amount"

    def prepare_feature(
        self, feature: str, values: np.ndarray, std: float, path: str
    ) -> dict[str, Any]:
        """Extra reference figures of one feature (``values``: its reference values)."""
        return {}

    # -- severity -------------------------------------------------------------------------

    def severity_spec(self) -> Severity | None:
        """The ``severity`` key, for the events that accept one."""
        return None

    def at_full_weight(
        self, x: np.ndarray, p: float, ref: Mapping[str, Any], z: np.ndarray | None
    ) -> np.ndarray:
        """The event applied at weight 1 with parameter ``p`` (severity solve)."""
        raise NotImplementedError

    def severity_bracket(self, severity: Severity, ref: Mapping[str, Any]) -> tuple[float, float]:
        """Neutral parameter (distance 0) and far end of the search."""
        far = BRACKET_STDS * spread(ref)
        return 0.0, far if severity.direction == "up" else -far

    def severity_unit(self, ref: Mapping[str, Any]) -> float:
        """The change of the parameter that moves values by about one reference std (the
        solve resolves the parameter to a fraction of it): one std for an amount."""
        return spread(ref)

    def severity_draws(self, n: int) -> np.ndarray | None:
        """The per-row random draws the event makes, fixed for its severity solve (one
        row of ``n`` per draw); ``None`` for an event without any."""
        return None

    def _solve(
        self,
        severity: Severity,
        feature: str,
        values: np.ndarray,
        ref: Mapping[str, Any],
        dtype: Any,
        path: str,
    ) -> dict[str, Any]:
        """Solve the parameter of ``feature`` (reference ``values``, column ``dtype``): the
        event at full weight on the reference block, stored as the column stores it, with
        the event's per-row draws fixed (:meth:`severity_draws`)."""
        z = self.severity_draws(values.size)
        neutral, far = self.severity_bracket(severity, ref)
        store = as_stored(dtype)

        def drift(x: np.ndarray, p: float) -> np.ndarray:
            if p == neutral:  # exactly the reference (m + (x - m) * 1 may differ by an ulp)
                return x
            with np.errstate(over="ignore"):  # far out of a narrow float's range: saturated
                return store(self.at_full_weight(x, p, ref, z))

        return solve(
            severity,
            values,
            drift,
            neutral,
            far,
            self.kind,
            join_path(path, "severity.target"),
            self.severity_unit(ref),
            f"column {feature!r} in block {self.reference_block}",
        )

    def _written_distance(
        self, feature: str, new: np.ndarray, weights: np.ndarray, ref: Mapping[str, Any], block: int
    ) -> dict[str, float]:
        """Stats of ``severity.by_block``: the block's rows at full weight with a finite value
        as written (``new``) and their distance to the reference values the solve used."""
        full = new[weights >= 1.0]
        full = full[np.isfinite(full)]
        key = f"{feature}:severity:{block}"
        out = {f"{key}:rows": float(full.size)}
        if full.size:
            reference = ref["severity_reference"].value
            out[f"{key}:distance"] = distance(ref["severity"]["metric"], reference, full)
        return out

    @staticmethod
    def _by_block(totals: Mapping[str, float], feature: str) -> list[dict[str, Any]]:
        """``severity.by_block`` from the summed stats (each block is applied once)."""
        prefix = f"{feature}:severity:"
        blocks = sorted(
            int(k[len(prefix) : -len(":rows")])
            for k in totals
            if k.startswith(prefix) and k.endswith(":rows")
        )
        return [
            {
                "block": b,
                "full_weight_rows": int(totals[f"{prefix}{b}:rows"]),
                "distance": totals.get(f"{prefix}{b}:distance"),
            }
            for b in blocks
        ]

    # -- applying ---------------------------------------------------------------------------

    def draw(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> tuple[Any, dict[str, float]]:
        """Row-level figures computed once for all features (the rows a rate event picks,
        a trend's value per row), passed to :meth:`transform` as ``picked``."""
        return None, {}

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        """New values of one feature at the selected rows (rounded afterwards for ints), as
        a new array: ``x`` may be a read-only view of the column."""
        raise NotImplementedError

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        """Sums of per-row figures of one feature (beyond the shared ones), taken with
        ``r.total``, ``r.dot`` and ``r.count`` over the rows where both values are present."""
        return {}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        picked, stats = self.draw(frame, rows, weights, rng, prepared, site)
        stats = {"rows": float(len(rows)), "sum_w": float(weights.sum()), **stats}
        at = contiguous(rows)
        changed: np.ndarray | None = None
        moments: dict[str, Moments] = {}
        unmasked_w: tuple[float, float] | None = None  # the weight sums over every row
        for f in self.features:
            ref = prepared[f]
            # an overflow is found below and reported as the user's error, not as warnings
            with np.errstate(over="ignore", invalid="ignore"):
                old, new = self._write(frame, f, rows, at, weights, rng, ref, picked)
                r = Realised(old, new, weights)
            # every value finite (r.ok is None) cannot have overflowed; else look
            if r.ok is not None and np.isinf(new[np.isfinite(old)]).any():
                raise ScenarioError(
                    "features",
                    f"{f!r}: drifted values overflow the column's float range; use a smaller "
                    "magnitude",
                )
            changed = r.changed if changed is None else changed | r.changed
            if r.ok is not None:
                w_sums = (r.total(weights), r.dot(weights, weights))
            else:
                if unmasked_w is None:
                    unmasked_w = (stats["sum_w"], r.dot(weights, weights))
                w_sums = unmasked_w
            with np.errstate(over="ignore", invalid="ignore"):  # an infinite value's figures
                sums = self._sums(r, w_sums, ref, picked)
                moments[f"{f}:spread_old"] = r.moments(r.old)
                moments[f"{f}:spread_new"] = r.moments(r.new)
            for key, value in sums.items():
                stats[f"{f}:{key}"] = value
            if "severity_reference" in ref:
                if site is None:
                    raise ValueError("a severity event needs the engine's site (its block)")
                stats.update(self._written_distance(f, new, weights, ref, site.block))
        if changed is None:
            changed = np.zeros(len(rows), dtype=bool)
        stats["changed"] = float(np.count_nonzero(changed))
        return Applied(
            changed=changed if self.changes_subset else None, stats=stats, moments=moments
        )

    def _sums(
        self,
        r: Realised,
        w_sums: tuple[float, float],
        ref: Mapping[str, Any],
        picked: Any,
    ) -> dict[str, float]:
        """The additive figures of one feature in one block (summed over blocks, then
        turned into the realised effect by :meth:`realised`)."""
        return {
            "n": r.n,
            "delta": r.total(r.delta),
            "delta2": r.dot(r.delta, r.delta),
            "w": w_sums[0],
            "w2": w_sums[1],
            **self.extra_stats(r, ref, picked),
        }

    def _write(
        self,
        frame: pd.DataFrame,
        f: str,
        rows: np.ndarray,
        at: slice | np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Transform feature ``f`` at ``rows`` (``at``: the same rows as a slice when they
        are contiguous) and write it back; returns the old and the new values as float64
        (the new ones as stored: rounded for integers, in the column's precision)."""
        column = frame[f]
        dtype = column.dtype
        if not (isinstance(dtype, np.dtype) and dtype.kind in "iuf"):
            # a nullable extension dtype (Int64, Float32, int64[pyarrow], ...): through a
            # float64 copy, missing values as NaN (they stay missing), then back into the
            # same dtype
            # float64 copy of the selected rows, missing values as NaN (they stay missing);
            # only those rows are written back, in the column's own dtype
            integer = pd.api.types.is_integer_dtype(dtype)
            picked_rows = pd.Series(column.array[rows], copy=False)
            if integer and len(rows):
                exact_in_float(picked_rows.min(), picked_rows.max(), f)
            old = np.asarray(picked_rows.to_numpy(dtype=np.float64, na_value=np.nan))
            new = self.transform(old, weights, rng, ref, picked, integer)
            if integer:
                new = np.rint(new)
                fits_integer(new[~np.isnan(new)], np.dtype(cast(Any, dtype).numpy_dtype), f)
            stored = pd.array(new, dtype=cast(Any, dtype))
            restored = column.array.copy()
            restored[rows] = stored
            frame[f] = pd.Series(restored, index=frame.index, name=f)
            # as stored (a Float32 column rounds), as the numpy branch returns them
            return old, np.asarray(stored.to_numpy(dtype=np.float64, na_value=np.nan))
        source = column.to_numpy()
        integer = dtype.kind in "iu"
        # a slice is a view: no gather (the column is replaced below, never written to)
        if integer and len(rows):
            exact_in_float(source[at].min(), source[at].max(), f)
        old = source[at].astype(np.float64, copy=False)
        new = self.transform(old, weights, rng, ref, picked, integer)
        if integer:
            new = np.rint(new)
            fits_integer(new, dtype, f)
        stored = new.astype(dtype, copy=False)
        if len(rows) == 0:
            return old, stored.astype(np.float64)
        values = write_rows(frame, f, at, stored)
        if isinstance(at, slice):
            return old, stored.astype(np.float64, copy=False)
        return old, values[rows].astype(np.float64, copy=False)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.features:
            n = totals.get(f"{f}:n", 0.0)
            if n == 0:
                out[f] = {"rows": 0}
                continue
            out[f] = {
                "rows": int(n),
                "mean_weight": totals["sum_w"] / totals["rows"],
                # merged block by block (|x| > 1e154: inf, not a crash)
                "mean_before": totals[f"{f}:spread_old:mean"],
                "mean_after": totals[f"{f}:spread_new:mean"],
                "std_before": totals[f"{f}:spread_old:std"],
                "std_after": totals[f"{f}:spread_new:std"],
                **self.effect(totals, f, prepared[f]),
            }
            if "severity" in prepared[f]:
                by_block = self._by_block(totals, f)
                out[f]["severity"] = {**prepared[f]["severity"], "by_block": by_block}
        return out

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Declared and realised effect on one feature, in the event's own terms."""
        raise NotImplementedError


def exactly_one(event: object, keys: tuple[str, ...]) -> None:
    given = [k for k in keys if getattr(event, k) is not None]
    if len(given) != 1:
        blame = given[1] if len(given) > 1 else keys[0]
        raise key_error(
            blame,
            f"give exactly one of {', '.join(keys)}"
            + (f"; {' and '.join(given)} are given" if given else ""),
            getattr(event, blame),
        )


def pick_at_rate(
    rate: float, weights: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, float]]:
    """Rows picked independently with probability ``rate * w``, and the picked and
    expected counts for the realised effect.

    Examples
    --------
    >>> import numpy as np
    >>> picked, counts = pick_at_rate(0.5, np.ones(1000), np.random.default_rng(0))
    >>> counts["expected_picked"], bool(abs(counts["picked"] - 500) < 60)
    (500.0, True)
    """
    p = rate * weights
    picked = rng.random(len(weights)) < p
    return picked, {"picked": float(picked.sum()), "expected_picked": float(p.sum())}


class AtRate(NumericEvent):
    """An event changing each selected row with probability ``rate * w`` (one draw per row,
    shared by its features): a random subset, flagged in the ground truth."""

    rate: float = Field(ge=0.0, le=1.0)

    changes_subset: ClassVar[bool] = True

    def draw(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> tuple[Any, dict[str, float]]:
        return pick_at_rate(self.rate, weights, rng)
