"""Counted and weighted picks of rows: largest-remainder rounding, weighted sampling without
replacement per class, and the fewest moves that take class counts toward target shares.

Examples
--------
>>> import numpy as np
>>> largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist()
[2, 1, 1]
"""

from __future__ import annotations

import numpy as np

from calmops_gen.drift.cells import known_rows


def largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` nearest to ``quotas`` (largest-remainder rounding).

    Floors first, then one more unit to the largest fractional parts (ties: lower index
    first). ``quotas`` should sum to about ``total``.
    """
    quotas = np.maximum(np.asarray(quotas, dtype=np.float64), 0.0)
    base = np.floor(quotas + 1e-9).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        frac = quotas - base
        order = np.argsort(-frac, kind="stable")
        base[order[:short]] += 1
    elif short < 0:
        frac = quotas - base
        order = np.argsort(frac, kind="stable")
        order = order[base[order] > 0][:-short]
        base[order] -= 1
    return base


def weighted_pick(
    codes: np.ndarray, weights: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Pick ``counts[k]`` rows among those with code ``k`` (probability proportional to weight,
    without replacement: Efraimidis-Spirakis keys); returns a boolean mask.

    Row ``i`` has key ``log(1 - u_i) / w_i`` (one uniform per row, drawn for every row); in
    each class the ``counts[k]`` largest keys are picked (equal keys: lower position
    first). Each class is a selection (``np.partition``), not a sort: linear in the rows.

    Examples
    --------
    >>> codes = np.array([0, 1, 0, 1, 0, -1])
    >>> pick = weighted_pick(codes, np.ones(6), np.array([2, 0]), np.random.default_rng(0))
    >>> int(pick[codes == 0].sum()), bool(pick[codes != 0].any())
    (2, False)
    """
    n = len(codes)
    u = rng.random(n)
    mask = np.zeros(n, dtype=bool)
    wanted = np.flatnonzero(counts > 0)
    if not len(wanted):
        return mask
    members = _members(codes, wanted, len(counts))
    for k, idx in zip(wanted.tolist(), members, strict=True):
        c = int(counts[k])
        if c >= len(idx):
            mask[idx] = True
            continue
        key = np.log1p(-u[idx]) / np.maximum(weights[idx], 1e-300)
        if np.isnan(key).any():
            mask[idx[_top_by_sort(key, c)]] = True
            continue
        cut = np.partition(key, len(key) - c)[len(key) - c]
        above = key > cut
        short = c - int(np.count_nonzero(above))
        if short:
            above[np.flatnonzero(key == cut)[:short]] = True
        mask[idx[above]] = True
    return mask


def _members(codes: np.ndarray, wanted: np.ndarray, k: int) -> list[np.ndarray]:
    """Positions (increasing) of the rows of each class in ``wanted``."""
    if len(wanted) <= 4:
        return [np.flatnonzero(codes == c) for c in wanted.tolist()]
    small = codes.astype(np.int16 if k < 2**15 else np.int64)
    order = np.argsort(small, kind="stable")
    bounds = np.searchsorted(small[order], np.stack([wanted, wanted + 1]))
    return [order[a:b] for a, b in zip(bounds[0].tolist(), bounds[1].tolist(), strict=True)]


def _top_by_sort(key: np.ndarray, c: int) -> np.ndarray:
    """Positions of the ``c`` largest keys, ordered as a stable sort of ``-key`` orders them
    (NaN last)."""
    return np.argsort(-key, kind="stable")[:c]


def reassign(
    codes: np.ndarray, weights: np.ndarray, target: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Fewest moves taking the counts of ``codes`` toward ``target`` proportions with weight.

    Returns the positions of the moved rows, their new codes and the figures (``counts``,
    ``target_counts``, ``expected_after``) described for ``category_frequency``.
    """
    k = len(target)
    known, w_known = known_rows(codes), known_rows(weights, codes)
    n = len(known)
    counts = np.bincount(known, minlength=k).astype(np.int64)
    t = largest_remainder(target * n, n) if n else np.zeros(k, dtype=np.int64)
    surplus = np.maximum(counts - t, 0)
    deficit = np.maximum(t - counts, 0)
    wsum = np.bincount(known, weights=w_known, minlength=k)
    share = np.divide(surplus, counts, out=np.zeros(k), where=counts > 0)
    real = share * wsum
    moved_total = int(np.floor(real.sum() + 0.5))
    removed = np.minimum(largest_remainder(real, moved_total), surplus)
    moved_total = int(removed.sum())
    d = int(deficit.sum())
    dest = (
        np.minimum(largest_remainder(moved_total * deficit / d, moved_total), deficit)
        if d
        else np.zeros(k, dtype=np.int64)
    )
    expected = counts - real + (real.sum() * deficit / d if d else 0.0)
    figures = {"counts": counts, "target_counts": t, "expected_after": expected}
    if moved_total == 0 or int(dest.sum()) != moved_total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), figures
    chosen = np.flatnonzero(weighted_pick(codes, weights, removed, rng))
    chosen = rng.permutation(chosen)
    new_codes = np.repeat(np.arange(k), dest)
    return chosen, new_codes, figures
