"""Joint-structure events: ``correlation`` and ``covariate_shift``.

``correlation`` moves the dependence between numeric ``features`` toward a ``target``
correlation matrix while keeping every marginal exactly: per block, the selected rows are
re-ranked by a Gaussian copula (Iman-Conover):

1. each feature's values get normal scores ``z = Phi^-1((rank + 1) / (n + 1))`` (ordinal
   ranks, tied values in a random order, so that the scores of a tied column, such as
   integer codes, owe nothing to the row order; with heavy ties the Pearson and Spearman
   correlations of the written values are smaller in size than the copula figures, and
   both are recorded);
2. ``z`` is decorrelated with the Cholesky factor of its current correlation ``C`` and
   recoloured with the Cholesky factor of the goal ``G = (1 - w) C + w T`` (``T``: the
   target), ``z' = z L_C^-T L_G^T``, so that ``z'`` has correlation ``G`` exactly; the first
   feature's order is left as it is (both factors are lower triangular);
3. each feature's original values, sorted, are put back in the order of ``z'`` (the ``k``-th
   smallest value goes to the row with the ``k``-th smallest ``z'``); steps 1-3 are repeated
   ``iterations`` times (default 3) to remove the error the ranking adds.

Each feature's values over the affected rows are thus a permutation of its values before
(the marginal is kept exactly, ints stay ints). ``T`` is the correlation of the normal
scores (the Gaussian copula's; for near-normal marginals it is also Pearson's). The profile
weight ``w`` varies inside a block for gradual profiles: rows are grouped into ``buckets``
weight buckets (bucket ``ceil(w * buckets)``) and each bucket is re-ranked on its own with its
mean weight, so a bucket's goal is ``(1 - w_b) C_b + w_b T``; a bucket with fewer than
``len(features) + 2`` rows, or in which a feature is constant (its correlation is undefined),
is left alone (``rows_skipped``). Rows with a missing value in
any of the features are left alone. Realised: ``rows``, ``target``, ``pearson_before`` and
``pearson_after`` (Pearson correlation of the values over the affected rows, pooled over
blocks), ``copula_before``, ``copula_after`` and ``expected_copula`` (normal-score
correlations, averaged over buckets weighted by rows), ``max_abs_error`` (largest entry of
``|copula_after - expected_copula|``).

``covariate_shift`` moves P(x) through ``feature`` by biased resampling: per block, each
selected row with a value of ``feature`` is kept with probability
``q = 1 - w * (1 - p)``, where

* ``strength: s``: ``p = sigmoid(s * z) / max sigmoid(s * z)`` with ``z`` the feature
  standardised by its reference mean and std (``s > 0`` favours high values);
* ``weighting: {value: weight}``: ``p = weight / max weight`` for the row's value (a
  categorical or integer feature; unlisted values weigh 1),

(the maximum taken over the block's selected rows, so the most favoured row is always kept).
Every dropped row is then overwritten **whole** (every feature and the target; never the time
or block column) by a copy of a kept row of the same block, drawn uniformly with
replacement, so block sizes are kept and, because whole rows move, P(y|x) is unchanged. The
rows' distribution becomes about ``f(x) * q(x)`` normalised. Realised: ``rows``,
``rows_resampled``, ``kept_share`` (rows kept / rows) and ``kish_effective_share``
(``n / sum(c_i^2)`` with ``c_i`` the copies of original row ``i`` after the event: 1 when
nothing moved), and for a numeric feature ``feature_mean_before``, ``feature_mean_after`` and
``expected_feature_mean`` (``sum(q x) / sum(q)`` per block, pooled), for ``weighting``
``proportions_before``, ``proportions_after`` and ``expected_proportions`` of the values.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame(rng.normal(size=(2000, 2)), columns=["a", "b"])
>>> ev = Correlation(kind="correlation", features=["a", "b"], target=[[1, 0.8], [0.8, 1]])
>>> out = ev.apply(frame.copy(), np.arange(2000), np.ones(2000), rng, {})
>>> round(out.stats["copula_after:0:1"] / out.stats["copula_n"], 2)
0.8
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field, ValidationInfo, field_validator
from scipy.special import ndtri

from calmops_gen.drift.base import (
    Applied,
    DriftEvent,
    EventContext,
    Features,
    Site,
    require_block,
    require_columns,
)
from calmops_gen.drift.cells import at_rows, codes_of, rows_differ, take_rows
from calmops_gen.drift.labels import resampled_columns
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.values import (
    LabelMap,
    Value,
    by_label,
    category_set,
    get_counts,
    match_values,
    put_counts,
)
from calmops_gen.errors import ScenarioError, join_path

MATRIX_TOLERANCE = 1e-8


def factor(matrix: np.ndarray) -> np.ndarray:
    """Lower-triangular ``L`` with ``L L^T = matrix`` (a tiny ridge if only semi-definite)."""
    d = len(matrix)
    for ridge in (0.0, 1e-10, 1e-8, 1e-6):
        try:
            return np.linalg.cholesky(matrix + ridge * np.eye(d))
        except np.linalg.LinAlgError:
            continue
    vals, vecs = np.linalg.eigh(matrix)
    root = vecs * np.sqrt(np.clip(vals, 1e-12, None))
    _, r = np.linalg.qr(root.T)
    return np.asarray(r.T * np.sign(np.diag(r)), dtype=np.float64)


def ranks(x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Ordinal ranks (0-based) of every column of ``x``; ties in row order, or in a random
    order drawn from ``rng``.

    Examples
    --------
    >>> ranks(np.array([[3.0], [1.0], [3.0]]))[:, 0].tolist()
    [1, 0, 2]
    >>> sorted(ranks(np.array([[3.0], [1.0], [3.0]]), np.random.default_rng(0))[:, 0].tolist())
    [0, 1, 2]
    """
    perm = None if rng is None else rng.permutation(len(x))
    order = np.argsort(x if perm is None else x[perm], axis=0, kind="stable")
    if perm is not None:
        order = perm[order]
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(len(x))[:, None], axis=0)
    return out


def _corr(z: np.ndarray) -> np.ndarray:
    c = np.corrcoef(z, rowvar=False)
    return np.atleast_2d(np.nan_to_num(c, nan=0.0))


def recolour(
    x: np.ndarray, goal: np.ndarray, iterations: int, start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank the columns of ``x`` so that their normal scores have correlation ``goal``.

    ``start``: the ranks of ``x`` to begin from (default: ties in row order). Returns the
    permuted values and the final ranks.
    """
    n = len(x)
    scores = ndtri(np.arange(1, n + 1) / (n + 1))
    r = ranks(x) if start is None else start
    lt = factor(goal)
    for _ in range(iterations):
        z = scores[r]
        lc = factor(_corr(z))
        r = ranks(z @ (np.linalg.solve(lc, np.eye(len(goal))).T @ lt.T))
    sorted_x = np.sort(x, axis=0)
    return np.take_along_axis(sorted_x, r, axis=0), r


@EVENTS.register("correlation")
class Correlation(DriftEvent):
    """Move the copula correlation of ``features`` toward ``target``, keeping the marginals.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.normal(size=5000), "b": rng.normal(size=5000)})
    >>> event = {"kind": "correlation", "features": ["a", "b"],
    ...          "target": [[1.0, 0.8], [0.8, 1.0]]}
    >>> out = inject(df, {"e": event}, seed=1)
    >>> round(float(out.frame["a"].corr(out.frame["b"])), 1)  # each marginal kept
    0.8
    >>> sorted(out.frame["a"]) == sorted(df["a"])
    True
    """

    kind: Literal["correlation"] = "correlation"
    features: Annotated[Features, Field(min_length=2)]
    target: list[list[float]]
    buckets: int = Field(default=10, ge=1, le=1000)
    iterations: int = Field(default=3, ge=1, le=20)

    changes_subset: ClassVar[bool] = True

    @field_validator("target")
    @classmethod
    def _check_target(cls, value: list[list[float]], info: ValidationInfo) -> list[list[float]]:
        d = len(value)
        if d == 0 or any(len(row) != d for row in value):
            raise ValueError("must be a square matrix (a list of equal-length rows)")
        feats = info.data.get("features")
        if feats is not None and len(feats) != d:
            raise ValueError(f"is {d}x{d} but there are {len(feats)} features")
        t = np.asarray(value, dtype=np.float64)
        if not np.isfinite(t).all():
            raise ValueError("must hold finite numbers")
        if np.abs(t - t.T).max() > MATRIX_TOLERANCE:
            raise ValueError("must be symmetric")
        if np.abs(np.diag(t) - 1.0).max() > MATRIX_TOLERANCE:
            raise ValueError("must have a unit diagonal")
        if np.abs(t).max() > 1.0 + MATRIX_TOLERANCE:
            raise ValueError("entries must be in [-1, 1]")
        low = float(np.linalg.eigvalsh(t).min())
        if low < -MATRIX_TOLERANCE:
            raise ValueError(
                f"is not positive semi-definite (smallest eigenvalue {low:.3g}): "
                "not a correlation matrix"
            )
        return value

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        return list(self.features)

    def check(self, ctx: EventContext, path: str) -> None:
        require_columns(ctx, self.features, join_path(path, "features"), numeric=True)

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        feats = self.features
        d = len(feats)
        target = np.asarray(self.target, dtype=np.float64)
        x = frame[feats].iloc[rows].to_numpy(dtype=np.float64)
        ok = ~np.isnan(x).any(axis=1)
        bucket = np.clip(np.ceil(weights * self.buckets), 1, self.buckets).astype(np.int64)
        new = x.copy()
        affected = np.zeros(len(rows), dtype=bool)
        stats: dict[str, float] = {"rows": 0.0, "skipped": 0.0, "copula_n": 0.0}
        zero = np.zeros((d, d))
        cop_before, cop_after, expected = zero.copy(), zero.copy(), zero.copy()
        for b in np.unique(bucket[ok]):
            idx = np.flatnonzero(ok & (bucket == b))
            xb = x[idx]
            if len(idx) < d + 2 or (xb == xb[0]).all(axis=0).any():
                stats["skipped"] += len(idx)  # too few rows, or a constant feature
                continue
            wb = float(weights[idx].mean())
            n = len(idx)
            scores = ndtri(np.arange(1, n + 1) / (n + 1))
            start = ranks(xb, rng)  # random tie order: scores independent of row order
            current = _corr(scores[start])
            goal = (1.0 - wb) * current + wb * target
            moved, r = recolour(xb, goal, self.iterations, start)
            new[idx] = moved
            affected[idx] = True
            cop_before += n * current
            cop_after += n * _corr(scores[r])
            expected += n * goal
            stats["copula_n"] += n
        for j, f in enumerate(feats):
            column = frame[f]
            values = column.to_numpy(copy=True)
            values[rows[affected]] = new[affected, j].astype(values.dtype)
            frame[f] = pd.Series(values, index=frame.index, name=f, dtype=column.dtype, copy=False)
        changed = affected & (new != x).any(axis=1)
        xa, na = x[affected], new[affected]
        stats["rows"] = float(affected.sum())
        for j in range(d):
            stats[f"sum:{j}"] = float(xa[:, j].sum())
            stats[f"sum_new:{j}"] = float(na[:, j].sum())
            for k in range(j, d):
                stats[f"prod_before:{j}:{k}"] = float((xa[:, j] * xa[:, k]).sum())
                stats[f"prod_after:{j}:{k}"] = float((na[:, j] * na[:, k]).sum())
                stats[f"copula_before:{j}:{k}"] = float(cop_before[j, k])
                stats[f"copula_after:{j}:{k}"] = float(cop_after[j, k])
                stats[f"expected:{j}:{k}"] = float(expected[j, k])
        return Applied(changed=changed, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        d = len(self.features)
        n = totals.get("rows", 0.0)
        out: dict[str, Any] = {
            "rows": int(n),
            "rows_skipped": int(totals.get("skipped", 0.0)),
            "features": list(self.features),
            "target": self.target,
        }
        if not n:
            return out

        def pearson(prod: str, total: str) -> list[list[float]]:
            mean = np.array([totals[f"{total}:{j}"] / n for j in range(d)])
            cov = np.zeros((d, d))
            for j in range(d):
                for k in range(j, d):
                    cov[j, k] = cov[k, j] = totals[f"{prod}:{j}:{k}"] / n - mean[j] * mean[k]
            sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = cov / np.outer(sd, sd)
            return [[float(v) for v in row] for row in np.nan_to_num(corr)]

        def pooled(key: str) -> np.ndarray:
            m = np.zeros((d, d))
            for j in range(d):
                for k in range(j, d):
                    m[j, k] = m[k, j] = totals[f"{key}:{j}:{k}"] / totals["copula_n"]
            return m

        after, expected = pooled("copula_after"), pooled("expected")
        out.update(
            pearson_before=pearson("prod_before", "sum"),
            pearson_after=pearson("prod_after", "sum_new"),
            copula_before=pooled("copula_before").tolist(),
            copula_after=after.tolist(),
            expected_copula=expected.tolist(),
            max_abs_error=float(np.abs(after - expected).max()),
        )
        return out


@EVENTS.register("covariate_shift")
class CovariateShift(DriftEvent):
    """Biased resampling of whole rows on ``feature``: P(x) moves, P(y|x) stays.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.arange(1000.0), "y": np.arange(1000) % 2})
    >>> event = {"kind": "covariate_shift", "feature": "x", "strength": 1.0}
    >>> out = inject(df, {"e": event}, seed=1, target="y")
    >>> bool(out.frame["x"].mean() > df["x"].mean())
    True
    """

    kind: Literal["covariate_shift"] = "covariate_shift"
    feature: str
    strength: float | None = None
    weighting: LabelMap | None = Field(default=None, validate_default=True)
    reference_block: int = Field(default=0, ge=0)

    @field_validator("weighting")
    @classmethod
    def _one_mode(
        cls, value: dict[Value, float] | None, info: ValidationInfo
    ) -> dict[Value, float] | None:
        if "strength" not in info.data:
            return value
        strength = info.data["strength"]
        if (value is None) == (strength is None):
            raise ValueError("give exactly one of strength (numeric feature) or weighting")
        if value is not None:
            if not value:
                raise ValueError("give at least one value")
            if any(w < 0 for w in value.values()) or not any(w > 0 for w in value.values()):
                raise ValueError("weights must be >= 0 with at least one > 0")
        return value

    changes_subset: ClassVar[bool] = True

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        # whole rows move: every feature and the target (known once planned)
        return list(prepared["columns"]) if prepared else []

    def check(self, ctx: EventContext, path: str) -> None:
        require_columns(
            ctx, [self.feature], join_path(path, "feature"), numeric=self.strength is not None
        )
        typ = ctx.columns[self.feature].pa_type()
        if self.weighting is not None and pa.types.is_nested(typ):
            raise ScenarioError(
                join_path(path, "feature"),
                f"{self.feature!r} is a {typ} column: weighting needs single values to weigh",
            )
        require_block(ctx, self.reference_block, path)

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        ref = ctx.reference(self.reference_block)
        col = ctx.columns[self.feature]
        out: dict[str, Any] = {
            "columns": resampled_columns(ctx),
            "numeric": pa.types.is_integer(col.pa_type()) or pa.types.is_floating(col.pa_type()),
        }
        if self.strength is not None:
            x = ref[self.feature].to_numpy(dtype=np.float64)
            x = x[~np.isnan(x)]
            if x.size == 0 or x.std() == 0.0:
                raise ScenarioError(
                    join_path(path, "feature"),
                    f"{self.feature!r} is constant or empty in block {self.reference_block}",
                )
            out.update(reference_mean=float(x.mean()), reference_std=float(x.std()))
        else:
            assert self.weighting is not None
            cats = category_set(ref, self.feature)
            idx = match_values(list(self.weighting), cats, join_path(path, "weighting"), "category")
            vec = np.ones(len(cats))
            vec[idx] = list(self.weighting.values())
            out.update(categories=cats, weights=vec.tolist())
        return out

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        series = at_rows(frame[self.feature], rows)
        n = len(rows)
        codes = np.full(n, -1, dtype=np.int64)
        if self.strength is not None:
            x = series.to_numpy(dtype=np.float64)
            ok = ~np.isnan(x)
            z = (x - prepared["reference_mean"]) / prepared["reference_std"]
            p = 1.0 / (1.0 + np.exp(-self.strength * np.where(ok, z, 0.0)))
        else:
            cats = prepared["categories"]
            codes = codes_of(series, cats)
            ok = series.notna().to_numpy()
            p = np.where(codes >= 0, np.asarray(prepared["weights"])[np.maximum(codes, 0)], 1.0)
        top = p[ok].max() if ok.any() else 0.0
        p = p / top if top > 0 else np.ones(n)
        q = 1.0 - weights * (1.0 - p)
        kept = (rng.random(n) < q) | ~ok
        if ok.any():
            kept[np.flatnonzero(ok)[np.argmax(p[ok])]] = True
        dropped = ok & ~kept
        donors = np.flatnonzero(ok & kept)
        src = donors[rng.integers(0, len(donors), size=int(dropped.sum()))]
        columns = list(prepared["columns"])
        dst = np.flatnonzero(dropped)
        before = frame[columns].iloc[rows[dst]].reset_index(drop=True)
        take_rows(frame, columns, rows[dst], rows[src])
        after = frame[columns].iloc[rows[dst]].reset_index(drop=True)
        changed = np.zeros(n, dtype=bool)
        changed[dst[rows_differ(before, after)]] = True
        copies = ok & kept
        mult = copies.astype(np.float64) + np.bincount(src, minlength=n)
        stats: dict[str, float] = {
            "rows": float(ok.sum()),
            "kept": float((ok & kept).sum()),
            "resampled": float(len(dst)),
            "sum_c2": float((mult[ok] ** 2).sum()),
        }
        qs = q[ok].sum()
        if prepared["numeric"]:
            xv = series.to_numpy(dtype=np.float64)[ok]
            xn = frame[self.feature].iloc[rows].to_numpy(dtype=np.float64)[ok]
            stats["sum_before"] = float(xv.sum())
            stats["sum_after"] = float(xn.sum())
            stats["sum_expected"] = float(len(xv) * (q[ok] * xv).sum() / qs) if qs else 0.0
        if self.weighting is not None:
            cats = prepared["categories"]
            k = len(cats)
            new_codes = codes_of(at_rows(frame[self.feature], rows), cats)
            old_ok = codes >= 0
            before_c = np.bincount(codes[old_ok], minlength=k)
            after_c = np.bincount(new_codes[new_codes >= 0], minlength=k)
            exp_c = np.bincount(codes[old_ok], weights=q[old_ok], minlength=k)
            exp_c = exp_c * (old_ok.sum() / exp_c.sum()) if exp_c.sum() else exp_c
            put_counts(stats, before=before_c, after=after_c, expected=exp_c)
            stats["known"] = float(old_ok.sum())
        return Applied(changed=changed, stats=stats, copies=(rows[dst], rows[src]))

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        n = totals.get("rows", 0.0)
        if not n:
            return {"rows": 0}
        out: dict[str, Any] = {
            "rows": int(n),
            "rows_resampled": int(totals.get("resampled", 0.0)),
            "kept_share": totals.get("kept", 0.0) / n,
            "kish_effective_share": n / totals["sum_c2"] if totals.get("sum_c2") else 1.0,
        }
        if "sum_before" in totals:
            out.update(
                feature_mean_before=totals["sum_before"] / n,
                feature_mean_after=totals["sum_after"] / n,
                expected_feature_mean=totals["sum_expected"] / n,
            )
        if self.weighting is not None and totals.get("known"):
            cats = prepared["categories"]
            for key, name in (
                ("before", "proportions_before"),
                ("after", "proportions_after"),
                ("expected", "expected_proportions"),
            ):
                out[name] = by_label(cats, get_counts(totals, key, len(cats)) / totals["known"])
        return out
