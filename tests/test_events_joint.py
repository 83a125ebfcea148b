"""Joint-structure events: correlation (Gaussian-copula re-ranking) and covariate_shift.

Injection into small seeded frames: the realised figures against the declared ones (stated
tolerances), the marginals kept exactly (each feature's values over the affected rows are a
permutation of the values before), untouched rows and columns identical, ``__changed``
exactly the rows that differ, weights equal the profile, same seed same output, bad input
naming ``drift.<id>.<key>``; one end-to-end run per kind through ``calmops_gen.run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

import calmops_gen
from calmops_gen.drift.joint import factor, ranks, recolour
from calmops_gen.errors import ScenarioError
from calmops_gen.injector import Injection, inject
from calmops_gen.profiles import Incremental

N = 3000


def make_frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.exponential(size=n),
            "k": rng.integers(0, 50, n),
            "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
            "y": rng.integers(0, 2, n),
            "blk": np.repeat(np.arange(3), n // 3),
        }
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


def run(frame: pd.DataFrame, event: dict[str, Any], seed: int = 7) -> Injection:
    return inject(frame, {"ev": event}, seed=seed, block_column="blk", target="y")


def copula(x: np.ndarray) -> np.ndarray:
    n = len(x)
    return np.corrcoef(ndtri((ranks(x) + 1) / (n + 1)), rowvar=False)


def row_differs(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    out = np.zeros(len(a), dtype=bool)
    for c in a.columns:
        out |= (a[c] != b[c]).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# correlation
# --------------------------------------------------------------------------------------------


def test_factor_and_recolour() -> None:
    t = np.array([[1.0, 1.0], [1.0, 1.0]])  # singular: still factored
    lt = factor(t)
    np.testing.assert_allclose(lt @ lt.T, t, atol=1e-6)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 3))
    goal = np.array([[1, 0.6, -0.3], [0.6, 1, 0.1], [-0.3, 0.1, 1]])
    moved, _ = recolour(x, goal, 3)
    np.testing.assert_array_equal(np.sort(moved, axis=0), np.sort(x, axis=0))
    np.testing.assert_allclose(copula(moved), goal, atol=0.01)
    np.testing.assert_array_equal(moved[:, 0], x[:, 0])  # the first feature keeps its order


def test_correlation_abrupt_keeps_marginals(frame: pd.DataFrame) -> None:
    target = [[1.0, 0.7, -0.4], [0.7, 1.0, -0.2], [-0.4, -0.2, 1.0]]
    ev = {"kind": "correlation", "features": ["a", "b", "k"], "target": target}
    ev["where"] = {"blocks": [1, 2]}
    out = run(frame, ev)
    new, old = out.frame, frame
    sel = old["blk"].to_numpy() >= 1
    feats = ["a", "b", "k"]
    # outside the selection and the other columns: identical
    pd.testing.assert_frame_equal(new[~sel], old[~sel], check_exact=True)
    others = ["region", "y", "blk"]
    pd.testing.assert_frame_equal(new[others], old[others], check_exact=True)
    assert new["k"].dtype == np.int64
    for b in (1, 2):
        blk = old["blk"].to_numpy() == b
        for f in feats:  # a permutation of the block's values: the marginal is kept exactly
            np.testing.assert_array_equal(np.sort(new[f][blk]), np.sort(old[f][blk]))
        # goal reached within each block (normal scores), ties in k aside
        np.testing.assert_allclose(copula(new[feats][blk].to_numpy()), target, atol=0.03)
    changed = row_differs(new[feats], old[feats])
    assert np.array_equal(out.ground_truth["ev__changed"].to_numpy(), changed)
    r = out.events[0].realised
    assert r["rows"] == 2000 and r["rows_skipped"] == 0
    assert np.abs(np.asarray(r["copula_after"]) - target).max() < 0.03
    assert r["max_abs_error"] < 0.03
    np.testing.assert_allclose(r["expected_copula"], target, atol=1e-12)
    assert abs(r["copula_before"][0][1]) < 0.1
    # Pearson, recomputed from the data, equals the recorded figure
    pearson_after = np.corrcoef(new[feats][sel].to_numpy(dtype=float), rowvar=False)
    np.testing.assert_allclose(r["pearson_after"], pearson_after, atol=1e-9)
    pearson_before = np.corrcoef(old[feats][sel].to_numpy(dtype=float), rowvar=False)
    np.testing.assert_allclose(r["pearson_before"], pearson_before, atol=1e-9)
    assert r["pearson_after"][0][1] > 0.55  # normal vs exponential: Pearson below the copula's
    again = run(frame, ev)
    pd.testing.assert_frame_equal(out.frame, again.frame, check_exact=True)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(10, 400),
    rho=st.floats(-0.95, 0.95),
    ties=st.booleans(),
)
def test_recolour_is_a_permutation_of_values(seed: int, n: int, rho: float, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    if ties:
        x = np.round(x)
    goal = np.array([[1.0, rho], [rho, 1.0]])
    moved, _ = recolour(x, goal, 2)
    np.testing.assert_array_equal(np.sort(moved, axis=0), np.sort(x, axis=0))


def test_correlation_incremental_buckets(frame: pd.DataFrame) -> None:
    target = [[1.0, -0.8], [-0.8, 1.0]]
    ev = {
        "kind": "correlation",
        "features": ["a", "b"],
        "target": target,
        "profile": {"kind": "incremental"},
        "buckets": 4,
    }
    out = run(frame, ev)
    w = out.ground_truth["ev"].to_numpy()
    np.testing.assert_array_equal(w, Incremental().weights(np.arange(N), N))
    new, old = out.frame, frame
    bucket = np.clip(np.ceil(w * 4), 1, 4)
    blocks = old["blk"].to_numpy()
    for b in range(3):
        for q in range(1, 5):
            rows = (blocks == b) & (bucket == q) & (w > 0)
            if rows.sum() < 4:
                continue
            for f in ("a", "b"):  # each weight bucket of each block keeps its marginal
                np.testing.assert_array_equal(np.sort(new[f][rows]), np.sort(old[f][rows]))
    # correlation grows with the weight: later rows are more strongly (negatively) correlated
    early = copula(new[["a", "b"]].to_numpy()[(w > 0) & (w <= 0.25)])[0, 1]
    late = copula(new[["a", "b"]].to_numpy()[w > 0.75])[0, 1]
    assert late < early - 0.4
    assert late == pytest.approx(-0.8 * 0.875, abs=0.08)
    r = out.events[0].realised
    assert r["max_abs_error"] < 0.03
    assert r["expected_copula"][0][1] == pytest.approx(-0.8 * 0.5, abs=0.05)


def test_correlation_leaves_missing_rows() -> None:
    df = make_frame(600)
    df.loc[::7, "a"] = np.nan
    ev = {"kind": "correlation", "features": ["a", "b"], "target": [[1, 0.5], [0.5, 1]]}
    out = inject(df, {"ev": ev}, target="y")
    miss = df["a"].isna().to_numpy()
    pd.testing.assert_frame_equal(out.frame[df.columns][miss], df[miss], check_exact=True)
    assert out.events[0].realised["rows"] == int((~miss).sum())


def test_correlation_ties_owe_nothing_to_row_order() -> None:
    """An integer code with three values, independent of a feature that trends with the row
    order: ties broken in row order would give the code a spurious copula correlation
    (about 0.27 here) and re-ranking toward 0 would then *create* one in the data. With
    random tie order both the recorded and the written correlations stay near 0
    (tolerance 0.06, about 3 standard errors at n = 3000)."""
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"k": rng.integers(0, 3, n), "x": np.arange(n) / n * 3 + rng.normal(0, 1, n)})
    out = inject(
        df, {"c": {"kind": "correlation", "features": ["k", "x"], "target": [[1, 0], [0, 1]]}}
    )
    rec = out.events[0].realised
    assert abs(rec["copula_before"][0][1]) < 0.06
    assert abs(rec["copula_after"][0][1]) < 0.06
    written = out.frame[["k", "x"]]
    assert abs(written.corr().iloc[0, 1]) < 0.06
    assert abs(written.corr("spearman").iloc[0, 1]) < 0.06
    # and a target of 0.6 is reached in the written values too (attenuated by the ties)
    out = inject(
        df, {"c": {"kind": "correlation", "features": ["k", "x"], "target": [[1, 0.6], [0.6, 1]]}}
    )
    assert out.events[0].realised["copula_after"][0][1] == pytest.approx(0.6, abs=0.02)
    assert 0.45 < out.frame[["k", "x"]].corr("spearman").iloc[0, 1] < 0.6


def test_correlation_leaves_a_constant_feature_alone() -> None:
    """A constant column has no correlation: its rows are skipped, not reported as
    correlated 1.0."""
    df = pd.DataFrame({"c": np.full(10, 3.0), "x": np.arange(10.0)})
    out = inject(
        df, {"e": {"kind": "correlation", "features": ["c", "x"], "target": [[1, 0.5], [0.5, 1]]}}
    )
    rec = out.events[0].realised
    assert (rec["rows"], rec["rows_skipped"]) == (0, 10)
    pd.testing.assert_frame_equal(out.frame, df)


def test_correlation_bad_input(frame: pd.DataFrame) -> None:
    good = [[1.0, 0.5], [0.5, 1.0]]
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {
                "target": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
                "features": ["a", "b", "k"],
            },
            "drift.ev.target",
            "positive semi-definite",
        ),
        ({"target": [[1, 0.5], [0.4, 1]]}, "drift.ev.target", "symmetric"),
        ({"target": [[2, 0.5], [0.5, 1]]}, "drift.ev.target", "unit diagonal"),
        ({"target": [[1, 0.5, 0], [0.5, 1, 0]]}, "drift.ev.target", "square"),
        ({"target": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}, "drift.ev.target", "3 features"[2:]),
        ({"target": [[1, 1.5], [1.5, 1]]}, "drift.ev.target", "[-1, 1]"),
        ({"features": ["a", "region"], "target": good}, "drift.ev.features", "not numeric"),
        ({"features": ["a", "nope"], "target": good}, "drift.ev.features", "no column"),
        ({"features": ["a", "a"], "target": good}, "drift.ev.features", "'a' more than once"),
        ({"features": ["a"], "target": [[1.0]]}, "drift.ev.features", ""),
    ]
    for params, path, text in cases:
        ev = {"kind": "correlation", "features": ["a", "b"], **params}
        with pytest.raises(ScenarioError) as err:
            run(frame, ev)
        assert err.value.path == path, (params, str(err.value))
        assert text in err.value.message, str(err.value)


# --------------------------------------------------------------------------------------------
# covariate_shift
# --------------------------------------------------------------------------------------------


def _rows(df: pd.DataFrame) -> set[tuple[Any, ...]]:
    return set(map(tuple, df.astype(object).to_numpy().tolist()))


def test_covariate_shift_logistic(frame: pd.DataFrame) -> None:
    ev = {"kind": "covariate_shift", "feature": "a", "strength": 2.0, "where": {"blocks": [1, 2]}}
    out = run(frame, ev)
    new, old = out.frame, frame
    sel = old["blk"].to_numpy() >= 1
    pd.testing.assert_frame_equal(new[~sel], old[~sel], check_exact=True)
    assert new["blk"].equals(old["blk"])
    cols = ["a", "b", "k", "region", "y"]
    for b in (1, 2):
        blk = old["blk"].to_numpy() == b
        # whole rows of the same block: P(y|x) is untouched
        assert _rows(new[cols][blk]) <= _rows(old[cols][blk])
    changed = row_differs(new[cols], old[cols])
    assert np.array_equal(out.ground_truth["ev__changed"].to_numpy(), changed)
    r = out.events[0].realised
    assert r["rows_resampled"] == int(changed.sum())
    assert r["feature_mean_before"] == pytest.approx(old["a"][sel].mean())
    assert r["feature_mean_after"] == pytest.approx(new["a"][sel].mean())
    # expected: the q-weighted mean; the realised one is a resample of 2000 rows (sd ~ 1/45)
    assert r["feature_mean_after"] == pytest.approx(r["expected_feature_mean"], abs=0.1)
    assert r["feature_mean_after"] > r["feature_mean_before"] + 0.5
    assert 0.3 < r["kept_share"] < 0.8
    assert 0 < r["kish_effective_share"] < r["kept_share"]
    assert r["kept_share"] == pytest.approx(1 - r["rows_resampled"] / 2000)
    again = run(frame, ev)
    pd.testing.assert_frame_equal(new, again.frame, check_exact=True)


def test_covariate_shift_weighting_and_profile(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "covariate_shift",
        "feature": "region",
        "weighting": {"north": 0.2},
        "profile": {"kind": "incremental"},
    }
    out = run(frame, ev)
    w = out.ground_truth["ev"].to_numpy()
    np.testing.assert_array_equal(w, Incremental().weights(np.arange(N), N))
    r = out.events[0].realised
    after = out.frame["region"][w > 0].value_counts(normalize=True)
    assert r["proportions_after"]["north"] == pytest.approx(after["north"])
    for c in ("north", "south", "east"):
        assert r["proportions_after"][c] == pytest.approx(r["expected_proportions"][c], abs=0.04)
    assert r["proportions_after"]["north"] < r["proportions_before"]["north"] - 0.1
    # the shift grows with the weight
    north = (out.frame["region"] == "north").to_numpy()
    assert north[: N // 3].mean() > north[-N // 3 :].mean()


def test_covariate_shift_copies_carry_their_concept(tmp_path: Path) -> None:
    """In a gradual SEA transition rows of two concepts mix; a resampled row takes its
    source's concept id with its content, so every row's label follows the SEA rule of the
    concept its ground truth names (SEA without noise: exact)."""
    scenario = {
        "name": "cs_concept", "seed": 3, "generator": {"kind": "sea"},
        "schedule": {"blocks": 2, "rows_per_block": 2000, "block_params": {1: {"variant": 3}},
                     "transition": {"kind": "gradual", "width": 2000, "shape": "linear"}},
        "drift": {"cs": {"kind": "covariate_shift", "feature": "x0", "strength": 3.0,
                         "where": {"blocks": [1]}}},
    }  # fmt: skip
    m = calmops_gen.run(scenario, root=tmp_path)
    data, truth = calmops_gen.read_frame(m), calmops_gen.read_ground_truth(m)
    assert truth["cs__changed"].sum() > 500
    threshold = np.array([8.0, 9.5])[truth["concept"].to_numpy()]  # concept 0: variant 0
    rule = (data["x0"] + data["x1"]).to_numpy() > threshold
    np.testing.assert_array_equal(data["y"].to_numpy().astype(bool), rule)


def test_covariate_shift_bad_input(frame: pd.DataFrame) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"feature": "a"}, "drift.ev.weighting"),
        ({"feature": "a", "strength": 1.0, "weighting": {"x": 1}}, "drift.ev.weighting"),
        ({"feature": "region", "strength": 1.0}, "drift.ev.feature"),
        ({"feature": "region", "weighting": {"mars": 1.0}}, "drift.ev.weighting"),
        ({"feature": "region", "weighting": {"north": -1.0}}, "drift.ev.weighting"),
        ({"feature": "nope", "strength": 1.0}, "drift.ev.feature"),
        ({"feature": "y", "strength": 1.0}, "drift.ev.feature"),
        ({"feature": "a", "strength": 1.0, "reference_block": 9}, "drift.ev.reference_block"),
    ]
    for params, path in cases:
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "covariate_shift", **params})
        assert err.value.path == path, (params, str(err.value))
    const = frame.assign(a=1.0)
    with pytest.raises(ScenarioError) as err:
        run(const, {"kind": "covariate_shift", "feature": "a", "strength": 1.0})
    assert err.value.path == "drift.ev.feature"


# --------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------


def test_end_to_end_loans(tmp_path: Path) -> None:
    sc = {
        "name": "loans_joint",
        "seed": 11,
        "generator": {
            "kind": "table",
            "params": {"source": "bundled:loans.csv", "target": "default"},
        },
        "schedule": {"blocks": 4},
        "drift": {
            "corr": {
                "kind": "correlation",
                "features": ["income", "loan_amount"],
                "target": [[1, -0.5], [-0.5, 1]],
                "where": {"blocks": [1]},
            },
            "cov": {
                "kind": "covariate_shift",
                "feature": "age",
                "strength": 1.5,
                "where": {"blocks": [3]},
            },
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    base = calmops_gen.run({**sc, "drift": {}}, root=tmp_path / "base")
    old, new = calmops_gen.read_frame(base), calmops_gen.read_frame(m)
    ev = {e.id: e for e in m.events}
    corr = ev["corr"].realised
    assert corr["copula_after"][0][1] == pytest.approx(-0.5, abs=0.03)
    assert corr["copula_before"][0][1] > 0.3
    b1 = (old["block"] == 1).to_numpy()
    for f in ("income", "loan_amount"):
        np.testing.assert_array_equal(np.sort(new[f][b1]), np.sort(old[f][b1]))
    cov = ev["cov"].realised
    b3 = (old["block"] == 3).to_numpy()
    assert cov["feature_mean_after"] == pytest.approx(new["age"][b3].mean())
    assert cov["feature_mean_after"] > cov["feature_mean_before"] + 3
    assert new["age"].dtype == old["age"].dtype
    pd.testing.assert_frame_equal(new[~b1 & ~b3], old[~b1 & ~b3], check_exact=True)
