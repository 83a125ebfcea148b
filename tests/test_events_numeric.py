"""Numeric events: noise distributions, add, multiply, set, clip, range_violation and trend.

Each event is applied with :func:`calmops_gen.inject` to a small seeded frame (three blocks);
the checks: realised == declared (exact where the maths is exact, else a stated binomial
tolerance of 4 standard deviations), rows outside the selection and untouched columns are
identical to the input, the same seed gives the same output, ground-truth weights follow the
profile, ``__changed`` marks exactly the rows that differ, and bad input names
``drift.<id>.<key>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calmops_gen
from calmops_gen.drift import EVENTS
from calmops_gen.errors import ScenarioError
from calmops_gen.injector import inject
from calmops_gen.profiles import Gradual, Incremental, Recurrent

N = 3000
BLOCK = 1000


def frame(seed: int = 0) -> pd.DataFrame:
    """Three blocks of 1000 rows: floats ``x`` (N(5, 2)) and ``d`` (N(0, 1)), int ``k``
    (0-99), string ``s``, hourly ``t``, label ``y``, block label ``b``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(5.0, 2.0, N),
            "d": rng.normal(0.0, 1.0, N),
            "k": rng.integers(0, 100, N),
            "s": rng.choice(["a", "b", "c"], N),
            "t": pd.date_range("2024-01-01", periods=N, freq="h"),
            "y": rng.integers(0, 2, N),
            "b": np.repeat(["p", "q", "r"], BLOCK),
        }
    )


def run(events: dict[str, Any], df: pd.DataFrame | None = None, seed: int = 7) -> Any:
    df = frame() if df is None else df
    return inject(df, events, seed=seed, block_column="b", time_column="t", target="y")


def differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-wise a != b, two missing values counting as equal."""
    both = a.isna().to_numpy() & b.isna().to_numpy()
    return np.asarray((a.to_numpy() != b.to_numpy()) & ~both, dtype=bool)


def check_contract(events: dict[str, Any], eid: str, df: pd.DataFrame | None = None) -> Any:
    """Run ``events`` and check the parts of the contract that hold for every event."""
    df = frame() if df is None else df
    out = run(events, df)
    again = run(events, df)
    pd.testing.assert_frame_equal(out.frame, again.frame)
    new = out.frame[df.columns]
    weight = out.ground_truth[eid].to_numpy()
    outside = weight == 0
    pd.testing.assert_frame_equal(new[outside], df[outside], check_exact=True)
    info = {e.id: e for e in out.events}[eid]
    touched = set(info.features)
    others = [c for c in df.columns if c not in touched]
    pd.testing.assert_frame_equal(new[others], df[others], check_exact=True)
    row_changed = np.zeros(len(df), dtype=bool)
    for col in touched:
        row_changed |= differs(new[col], df[col])
    assert not row_changed[outside].any()
    cls = EVENTS.get(info.kind, "kind")
    if cls.changes_subset:
        subset = out.ground_truth[f"{eid}__changed"].to_numpy()
        assert np.array_equal(subset, row_changed)
        assert info.rows_affected == int(subset.sum())
    assert info.realised
    return out


def span_weights(profile: Any, start: int, stop: int) -> np.ndarray:
    w = np.zeros(N)
    w[start:stop] = profile.weights(np.arange(stop - start), stop - start)
    return w


# --------------------------------------------------------------------------------------------
# noise: gaussian and uniform
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("distribution", ["gaussian", "uniform"])
def test_noise_distributions(distribution: str) -> None:
    ev = {"kind": "noise", "features": ["d"], "amount": 0.5, "distribution": distribution}
    out = check_contract({"n": ev}, "n")
    delta = out.frame["d"].to_numpy() - frame()["d"].to_numpy()
    real = out.events[0].realised["d"]
    assert real["distribution"] == distribution
    assert real["expected_noise_rms"] == 0.5
    # RMS of 3000 draws: relative sd ~ sqrt(kurtosis - 1) / (2 sqrt(n)) < 1.3%; allow 5%
    assert real["noise_rms"] == pytest.approx(0.5, rel=0.05)
    if distribution == "uniform":
        bound = np.sqrt(3.0) * 0.5
        assert np.abs(delta).max() <= bound
        assert np.abs(delta).max() > 0.95 * bound
    else:
        assert np.abs(delta).max() > np.sqrt(3.0) * 0.5


def test_uniform_noise_scales_with_weight() -> None:
    ev = {
        "kind": "noise",
        "features": ["d"],
        "amount": 1.0,
        "distribution": "uniform",
        "profile": {"kind": "incremental"},
    }
    out = check_contract({"n": ev}, "n")
    w = out.ground_truth["n"].to_numpy()
    delta = out.frame["d"].to_numpy() - frame()["d"].to_numpy()
    assert np.all(np.abs(delta) <= np.sqrt(3.0) * w + 1e-12)


# --------------------------------------------------------------------------------------------
# add, multiply, set
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile",
    [
        Incremental(),
        Gradual(shape="cosine", width=300),
        Recurrent(period=200, duty=0.5, edge=10),
    ],
    ids=lambda p: p.kind,
)
def test_add_follows_the_profile_exactly(profile: Any) -> None:
    ev = {
        "kind": "add",
        "features": ["x"],
        "value": 3.0,
        "where": {"rows": [500, 2500]},
        "profile": profile.model_dump(),
    }
    out = check_contract({"a": ev}, "a")
    w = span_weights(profile, 500, 2500)
    assert np.array_equal(out.ground_truth["a"].to_numpy(), w)
    np.testing.assert_allclose(out.frame["x"], frame()["x"] + 3.0 * w, rtol=0, atol=1e-12)
    real = out.events[0].realised["x"]
    assert real["mean_shift"] == pytest.approx(real["expected_mean_shift"], abs=1e-12)


def test_add_keeps_int_columns_int() -> None:
    out = check_contract({"a": {"kind": "add", "features": ["k"], "value": 2.4}}, "a")
    assert out.frame["k"].dtype == np.int64
    assert (out.frame["k"] - frame()["k"] == 2).all()
    assert out.events[0].realised["k"]["mean_shift"] == 2.0


def test_multiply_formula_and_realised_factor() -> None:
    ev = {
        "kind": "multiply",
        "features": ["x", "d"],
        "factor": 1.5,
        "where": {"blocks": [1, 2]},
        "profile": {"kind": "incremental"},
    }
    out = check_contract({"m": ev}, "m")
    w = out.ground_truth["m"].to_numpy()
    for f in ("x", "d"):
        np.testing.assert_allclose(
            out.frame[f], frame()[f] * (1.0 + w * 0.5), rtol=1e-15, atol=1e-15
        )
        real = out.events[0].realised[f]
        assert real["realised_factor"] == pytest.approx(real["expected_factor"], rel=1e-12)


def test_multiply_abrupt_realises_the_factor() -> None:
    out = check_contract({"m": {"kind": "multiply", "features": ["x"], "factor": 0.25}}, "m")
    assert out.events[0].realised["x"]["realised_factor"] == pytest.approx(0.25, rel=1e-12)


def test_set_interpolates_below_full_weight() -> None:
    ev = {
        "kind": "set",
        "features": ["x"],
        "value": -1.0,
        "where": {"rows": [1000, 1400]},
        "profile": {"kind": "gradual", "shape": "linear", "width": 200},
    }
    out = check_contract({"s": ev}, "s")
    w = out.ground_truth["s"].to_numpy()
    x0 = frame()["x"].to_numpy()
    np.testing.assert_allclose(out.frame["x"], (1 - w) * x0 + w * -1.0, atol=1e-12)
    assert (out.frame["x"].to_numpy()[w == 1.0] == -1.0).all()
    real = out.events[0].realised["x"]
    assert real["share_at_value"] == (w == 1.0).sum() / (w > 0).sum()
    assert real["mean_after"] == pytest.approx(real["expected_mean_after"], abs=1e-12)


# --------------------------------------------------------------------------------------------
# clip and range_violation
# --------------------------------------------------------------------------------------------


def test_clip_saturates_into_the_range() -> None:
    ev = {"kind": "clip", "features": ["x", "k"], "low": 3.0, "high": 7.5}
    out = check_contract({"c": ev}, "c")
    df = frame()
    np.testing.assert_array_equal(out.frame["x"], df["x"].clip(3.0, 7.5))
    np.testing.assert_array_equal(out.frame["k"], df["k"].clip(3, 7))
    assert out.frame["k"].dtype == np.int64
    real = out.events[0].realised
    outside = ((df["x"] < 3.0) | (df["x"] > 7.5)).mean()
    assert real["x"]["outside_before"] == pytest.approx(outside)
    assert real["x"]["outside_after"] == 0.0
    assert real["x"]["clipped_rate"] == pytest.approx(outside)
    changed = out.ground_truth["c__changed"].to_numpy()
    assert changed.sum() == ((df["x"] < 3) | (df["x"] > 7.5) | (df["k"] < 3) | (df["k"] > 7)).sum()


def test_clip_quantile_bounds_and_partial_weight() -> None:
    ev = {
        "kind": "clip",
        "features": ["x"],
        "high_quantile": 0.9,
        "profile": {"kind": "incremental"},
    }
    out = check_contract({"c": ev}, "c")
    high = float(np.quantile(frame()["x"].to_numpy()[:BLOCK], 0.9))
    assert out.events[0].prepared["x"]["high"] == pytest.approx(high)
    assert out.events[0].realised["x"]["low"] is None
    w = out.ground_truth["c"].to_numpy()
    x0 = frame()["x"].to_numpy()
    np.testing.assert_allclose(out.frame["x"], x0 + w * (np.minimum(x0, high) - x0), atol=1e-12)


@pytest.mark.parametrize("side", ["high", "low", "both"])
def test_range_violation(side: str) -> None:
    ev = {
        "kind": "range_violation",
        "features": ["x", "k"],
        "rate": 0.2,
        "side": side,
        "excess": 0.5,
        "where": {"blocks": [1, 2]},
    }
    out = check_contract({"r": ev}, "r")
    prep = out.events[0].prepared
    picked = out.ground_truth["r__changed"].to_numpy()
    for f in ("x", "k"):
        lo, hi = prep[f]["low"], prep[f]["high"]
        ref = frame()[f].to_numpy()[:BLOCK]
        assert (lo, hi) == (ref.min(), ref.max())
        v = out.frame[f].to_numpy()[picked]
        beyond = np.maximum(v - hi, lo - v)
        assert (beyond > 0).all()
        if f == "x":
            assert (beyond >= 0.5).all() and (beyond <= 1.0).all()
        if side == "high":
            assert (v > hi).all()
        if side == "low":
            assert (v < lo).all()
    assert out.frame["k"].dtype == np.int64
    real = out.events[0].realised["x"]
    n = 2 * BLOCK
    assert real["expected_violation_rate"] == pytest.approx(0.2)
    assert abs(real["violation_rate"] - 0.2) < 4 * np.sqrt(0.2 * 0.8 / n)
    assert real["violation_rate"] == picked.sum() / n


def test_range_violation_rate_follows_the_weight() -> None:
    ev = {
        "kind": "range_violation",
        "features": ["d"],
        "rate": 0.6,
        "profile": {"kind": "incremental"},
    }
    out = check_contract({"r": ev}, "r")
    real = out.events[0].realised["d"]
    w = out.ground_truth["r"].to_numpy()
    expected = 0.6 * w[w > 0].mean()
    assert real["expected_violation_rate"] == pytest.approx(expected, rel=1e-12)
    assert abs(real["violation_rate"] - expected) < 4 * np.sqrt(0.3 * 0.7 / N)


def test_set_keeps_missing_values_and_refuses_a_fraction_on_integers() -> None:
    df = pd.DataFrame({"x": [np.nan, 1.0, np.nan, 3.0, np.nan], "k": [1, 2, 3, 4, 5]})
    ramp = {"kind": "incremental"}
    out = inject(df, {"s": {"kind": "set", "features": ["x"], "value": 5.0, "profile": ramp}})
    assert out.ground_truth["s"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    np.testing.assert_array_equal(out.frame["x"], [np.nan, 2.0, np.nan, 4.5, np.nan])
    assert out.events[0].realised["x"]["rows"] == 2
    out = inject(df, {"s": {"kind": "set", "features": ["k"], "value": 7}})
    assert out.frame["k"].tolist() == [7] * 5
    assert out.events[0].realised["k"]["share_at_value"] == 1.0
    with pytest.raises(ScenarioError) as err:
        inject(df, {"s": {"kind": "set", "features": ["x", "k"], "value": 2.5}})
    assert err.value.path == "drift.s.value"
    assert "'k' holds integers" in err.value.message


@pytest.mark.parametrize("kind", ["range_violation", "outliers"])
def test_violation_and_outlier_figures_count_only_rows_with_a_value(kind: str) -> None:
    """Half the values missing: a picked missing value stays missing, so it is neither a
    violation/outlier nor part of the mean excess (exact: rate 1 picks every row)."""
    x = np.arange(10.0)
    x[1::2] = np.nan
    ev: dict[str, Any] = {"kind": kind, "features": ["x"], "rate": 1.0}
    if kind == "range_violation":
        ev.update(excess=1.0, low=0.0, high=8.0)
    out = inject(pd.DataFrame({"x": x}), {"e": ev}, seed=0)
    real = out.events[0].realised["x"]
    new = out.frame["x"].to_numpy()
    assert np.isnan(new[1::2]).all() and out.events[0].rows_affected == 5
    rate = real["violation_rate" if kind == "range_violation" else "outlier_rate"]
    assert rate == 1.0  # all 5 values with a value were moved
    if kind == "range_violation":
        beyond = np.maximum(new[::2] - 8.0, 0.0 - new[::2])
        assert real["mean_excess"] == pytest.approx(beyond.mean(), rel=1e-12)
        assert 1.0 <= real["mean_excess"] <= 2.0


# --------------------------------------------------------------------------------------------
# trend
# --------------------------------------------------------------------------------------------


def flat(n: int = N) -> pd.DataFrame:
    """Zeros in ``x`` (so the drifted column is the trend itself), three blocks."""
    df = frame()
    df["x"] = 0.0
    return df


def test_linear_trend_over_rows_crosses_blocks() -> None:
    ev = {"kind": "trend", "features": ["x"], "form": "linear", "slope": 0.01}
    ev["where"] = {"rows": [500, 2500]}
    out = check_contract({"t": ev}, "t", flat())
    x = out.frame["x"].to_numpy()
    np.testing.assert_allclose(x[500:2500], 0.01 * np.arange(2000), rtol=0, atol=1e-12)
    real = out.events[0].realised["x"]
    assert real["slope"] == pytest.approx(0.01, rel=1e-9)
    assert real["expected_slope"] == pytest.approx(0.01, rel=1e-9)
    assert real["mean_shift"] == pytest.approx(real["expected_mean_shift"], abs=1e-12)


def test_trend_positions_skip_span_gaps() -> None:
    # blocks 0 and 2: the span has a gap; positions count span rows only, like profiles
    ev = {"kind": "trend", "features": ["x"], "form": "linear", "slope": 1.0}
    ev["where"] = {"blocks": [0, 2]}
    x = check_contract({"t": ev}, "t", flat()).frame["x"].to_numpy()
    assert np.array_equal(x[:BLOCK], np.arange(BLOCK))
    assert np.array_equal(x[2 * BLOCK :], np.arange(BLOCK, 2 * BLOCK))


def test_trend_condition_keeps_positions() -> None:
    df = flat()
    ev = {"kind": "trend", "features": ["x"], "form": "linear", "slope": 1.0}
    ev["where"] = {"condition": [{"column": "s", "op": "==", "value": "a"}]}
    x = check_contract({"t": ev}, "t", df).frame["x"].to_numpy()
    keep = (df["s"] == "a").to_numpy()
    assert np.array_equal(x[keep], np.arange(N)[keep])
    assert (x[~keep] == 0).all()


def test_cycle_and_sigmoid_over_rows() -> None:
    cycle = {"kind": "trend", "features": ["x"], "form": "cycle", "amplitude": 2.0}
    cycle.update(period=250.0, phase=0.25)
    x = check_contract({"c": cycle}, "c", flat()).frame["x"].to_numpy()
    p = np.arange(N)
    np.testing.assert_allclose(x, 2.0 * np.sin(2 * np.pi * (p / 250 + 0.25)), atol=1e-12)
    sig = {"kind": "trend", "features": ["x"], "form": "sigmoid", "amount": 4.0}
    sig.update(midpoint=1500.0, steepness=0.01)
    x = check_contract({"s": sig}, "s", flat()).frame["x"].to_numpy()
    np.testing.assert_allclose(x, 4.0 / (1 + np.exp(-0.01 * (p - 1500))), atol=1e-12)


def test_trend_over_time_with_a_time_window() -> None:
    ev = {"kind": "trend", "features": ["x"], "form": "linear", "slope": 2.0, "over": "time"}
    ev["where"] = {"time": ["2024-01-10", "2024-03-01"]}
    out = check_contract({"t": ev}, "t", flat())
    t = frame()["t"]
    days = (t - pd.Timestamp("2024-01-10")) / pd.Timedelta(days=1)
    inside = (t >= "2024-01-10") & (t < "2024-03-01")
    np.testing.assert_allclose(out.frame["x"][inside], 2.0 * days[inside], atol=1e-9)
    assert out.events[0].realised["x"]["slope"] == pytest.approx(2.0, rel=1e-9)
    assert out.events[0].prepared["_trend"]["origin"] == "2024-01-10T00:00:00"


def test_trend_over_time_origin_defaults_to_first_span_row() -> None:
    ev = {"kind": "trend", "features": ["x"], "form": "linear", "slope": 24.0, "over": "time"}
    ev["where"] = {"blocks": [1]}
    x = check_contract({"t": ev}, "t", flat()).frame["x"].to_numpy()
    np.testing.assert_allclose(x[BLOCK : 2 * BLOCK], np.arange(BLOCK), atol=1e-9)


def test_trend_over_time_on_a_scheduled_dataset(tmp_path: Path) -> None:
    sc = {
        "name": "trend_time",
        "seed": 3,
        "generator": {"kind": "sea"},
        "schedule": {
            "blocks": 3,
            "rows_per_block": 100,
            "start": "2024-01-01",
            "step": {"days": 1},
        },
        "drift": {
            "tr": {
                "kind": "trend",
                "features": ["x0"],
                "form": "linear",
                "slope": 1.0,
                "over": "time",
                "where": {"blocks": [1, 2]},
            }
        },
    }
    # Without an origin, time counts from the span's first row (block 1 starts 2024-01-02):
    # schedule timestamps are planned, so they are known before any block is produced.
    auto = calmops_gen.run(sc, root=tmp_path / "a")
    assert auto.events[0].prepared["_trend"]["origin"] == "2024-01-02T00:00:00"
    frame = calmops_gen.read_frame(auto)
    plain = calmops_gen.read_frame(calmops_gen.run({**sc, "drift": {}}, root=tmp_path / "c"))
    days = (frame["timestamp"] - pd.Timestamp("2024-01-02")) / pd.Timedelta(days=1)
    inside = frame["block"] >= 1
    np.testing.assert_allclose((frame["x0"] - plain["x0"])[inside], days[inside], atol=1e-9)
    assert (frame["x0"] == plain["x0"])[~inside].all()
    sc["drift"]["tr"]["origin"] = "2024-01-02"
    real = calmops_gen.run(sc, root=tmp_path / "b").events[0].realised["x0"]
    assert real["slope"] == pytest.approx(1.0, rel=1e-9)
    assert real["mean_shift"] == pytest.approx(real["expected_mean_shift"], rel=1e-12)


def test_random_walk_is_continuous_across_blocks() -> None:
    # 30 blocks of 100 rows: a walk restarted per block would jump by ~10 step_std at seams
    df = flat()
    df["b"] = np.repeat(np.arange(30), 100)
    ev = {"kind": "trend", "features": ["x"], "form": "random_walk", "step_std": 1.0}
    out = check_contract({"w": ev}, "w", df)
    x = out.frame["x"].to_numpy()
    assert x[0] == 0.0
    steps = np.diff(x)
    seams = steps[99::100]
    inner = np.delete(steps, np.arange(99, N - 1, 100))
    # 29 seam steps ~ N(0, 1): mean square in [0.3, 2.2] has chi2 probability > 0.999
    assert 0.3 < np.mean(seams**2) < 2.2
    assert np.std(inner) == pytest.approx(1.0, rel=0.06)
    real = out.events[0].realised["x"]
    assert real["expected_step_std"] == 1.0
    assert real["step_std"] == pytest.approx(np.sqrt(np.mean(inner**2)), rel=1e-9)
    other = run({"w": ev}, df, seed=8).frame["x"].to_numpy()
    assert not np.allclose(other, x)


def test_random_walk_features_share_the_walk_and_ints_round() -> None:
    ev = {"kind": "trend", "features": ["x", "k"], "form": "random_walk", "step_std": 0.5}
    df = flat()
    df["k"] = 0
    out = check_contract({"w": ev}, "w", df)
    assert out.frame["k"].dtype == np.int64
    assert np.array_equal(out.frame["k"], np.rint(out.frame["x"]))


def test_random_walk_is_the_same_with_any_executor(tmp_path: Path) -> None:
    sc = {
        "name": "walk_exec",
        "seed": 5,
        "generator": {"kind": "sea"},
        "schedule": {"blocks": 4, "rows_per_block": 300},
        "drift": {
            "w": {
                "kind": "trend",
                "features": ["x0", "x1"],
                "form": "random_walk",
                "step_std": 0.2,
                "where": {"rows": [100, 1100]},
            }
        },
    }
    seq = calmops_gen.run(sc, root=tmp_path / "seq")
    par = calmops_gen.run(
        {**sc, "executor": {"kind": "processes", "workers": 2}}, root=tmp_path / "par"
    )
    assert [(f.path, f.sha256) for f in seq.files] == [(f.path, f.sha256) for f in par.files]
    assert seq.events[0].realised == par.events[0].realised


def test_trend_end_to_end_manifest(tmp_path: Path) -> None:
    sc = {
        "name": "trend_loans",
        "seed": 1,
        "generator": {
            "kind": "table",
            "params": {"source": "bundled:loans.csv", "target": "default"},
        },
        "schedule": {"blocks": 4},
        "drift": {
            "drift_income": {
                "kind": "trend",
                "features": ["income", "credit_score"],
                "form": "linear",
                "slope": 0.5,
                "where": {"blocks": [2, 3]},
            },
            "cut": {"kind": "clip", "features": ["loan_amount"], "high_quantile": 0.8},
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    real = m.events[0].realised
    assert real["income"]["slope"] == pytest.approx(0.5, rel=1e-9)
    assert real["credit_score"]["slope"] == pytest.approx(0.5, rel=1e-2)
    assert m.events[1].realised["loan_amount"]["outside_after"] == 0.0
    data = calmops_gen.read_frame(m)
    assert data["credit_score"].dtype == np.int64


# --------------------------------------------------------------------------------------------
# property: selections x profiles
# --------------------------------------------------------------------------------------------

PROFILES = st.sampled_from(
    [
        {"kind": "abrupt"},
        {"kind": "incremental"},
        {"kind": "gradual", "shape": "sigmoid"},
        {"kind": "recurrent", "period": 50, "duty": 0.4},
    ]
)
KINDS = st.sampled_from(
    [
        {"kind": "add", "features": ["x"], "value": 1.0},
        {"kind": "multiply", "features": ["x"], "factor": 2.0},
        {"kind": "set", "features": ["x"], "value": 0.0},
        {"kind": "clip", "features": ["x"], "low": 4.0, "high": 6.0},
        {"kind": "range_violation", "features": ["x"], "rate": 0.5},
        {"kind": "trend", "features": ["x"], "form": "cycle", "amplitude": 1.0, "period": 9.0},
    ]
)


@st.composite
def selections(draw: Any) -> tuple[dict[str, Any], np.ndarray]:
    """A ``where`` and the span's rows (before filters)."""
    choice = draw(st.sampled_from(["rows", "blocks", "both"]))
    where: dict[str, Any] = {}
    span = np.ones(N, dtype=bool)
    if choice in ("rows", "both"):
        a = draw(st.integers(0, N - 100))
        b = draw(st.integers(a + 60, N))
        where["rows"] = [a, b]
        span[:a] = False
        span[b:] = False
    if choice in ("blocks", "both"):
        blocks = draw(st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True))
        where["blocks"] = blocks
        inb = np.isin(np.arange(N) // BLOCK, blocks)
        span &= inb
    if span.sum() < 60:
        where = {"rows": [0, 100]}
        span = np.zeros(N, dtype=bool)
        span[:100] = True
    return where, span


@settings(max_examples=25, deadline=None)
@given(event=KINDS, profile=PROFILES, sel=selections())
def test_selections_and_profiles(event: dict, profile: dict, sel: tuple) -> None:
    where, span = sel
    ev = {**event, "where": where, "profile": profile}
    out = check_contract({"e": ev}, "e")
    model = EVENTS.get(ev["kind"], "kind").model_validate(ev)
    expected = np.zeros(N)
    ranks = np.arange(int(span.sum()))
    expected[span] = model.profile.weights(ranks, int(span.sum()))
    assert np.array_equal(out.ground_truth["e"].to_numpy(), expected)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"kind": "add", "features": ["x"]}, "drift.e.value"),
        ({"kind": "add", "features": ["s"], "value": 1.0}, "drift.e.features"),
        ({"kind": "multiply", "features": ["nope"], "factor": 2.0}, "drift.e.features"),
        ({"kind": "multiply", "features": ["y"], "factor": 2.0}, "drift.e.features"),
        ({"kind": "set", "features": ["x"]}, "drift.e.value"),
        ({"kind": "noise", "features": ["x"], "amount": -1.0}, "drift.e.amount"),
        ({"kind": "noise", "features": ["x"], "amount": 1.0, "distribution": "t"}, None),
        ({"kind": "clip", "features": ["x"]}, "drift.e.high"),
        ({"kind": "clip", "features": ["x"], "low": 5.0, "high": 1.0}, "drift.e.high"),
        ({"kind": "clip", "features": ["x"], "high": 1.0, "high_quantile": 0.5}, None),
        ({"kind": "clip", "features": ["x"], "low_quantile": 1.5}, "drift.e.low_quantile"),
        ({"kind": "range_violation", "features": ["x"], "rate": 1.5}, "drift.e.rate"),
        (
            {"kind": "range_violation", "features": ["x"], "rate": 0.1, "excess": 1.0}
            | {"excess_std": 1.0},
            "drift.e.excess_std",
        ),
        ({"kind": "range_violation", "features": ["s"], "rate": 0.1}, "drift.e.features"),
        ({"kind": "trend", "features": ["x"], "form": "cycle", "amplitude": 1.0}, "drift.e.period"),
        ({"kind": "trend", "features": ["x"], "slope": 1.0, "step_std": 1.0}, "drift.e.step_std"),
        (
            {"kind": "trend", "features": ["x"], "form": "random_walk", "step_std": 1.0}
            | {"over": "time"},
            "drift.e.over",
        ),
        ({"kind": "trend", "features": ["x"], "slope": 1.0, "origin": "2024-01-01"}, None),
        ({"kind": "trend", "features": ["x"], "form": "linear"}, "drift.e.slope"),
        ({"kind": "trend", "features": ["s"], "slope": 1.0}, "drift.e.features"),
    ],
)
def test_bad_input_names_the_key(event: dict, path: str | None) -> None:
    with pytest.raises(ScenarioError) as err:
        run({"e": event})
    if path is None:
        assert err.value.path.startswith("drift.e")
    else:
        assert err.value.path == path, str(err.value)


def test_trend_over_time_needs_a_time_column() -> None:
    df = frame().drop(columns=["t"])
    ev = {"kind": "trend", "features": ["x"], "slope": 1.0, "over": "time"}
    with pytest.raises(ScenarioError) as err:
        inject(df, {"e": ev}, block_column="b")
    assert err.value.path == "drift.e.over"


def test_constant_reference_with_excess_std() -> None:
    df = frame()
    df["x"] = 1.0
    with pytest.raises(ScenarioError) as err:
        run({"e": {"kind": "range_violation", "features": ["x"], "rate": 0.1}}, df)
    assert err.value.path == "drift.e.excess_std"


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "noise", "features": ["t"], "amount": 0.5},
        {"kind": "scale", "features": ["t"], "factor": 2.0},
        {"kind": "shift", "features": ["t"], "amount": 3.0},
    ],
    ids=lambda e: e["kind"],
)
def test_recorded_spread_is_exact_far_from_zero(event: dict) -> None:
    """``std_before``/``std_after`` of a column near 1.7e9 (epoch seconds) equal numpy's
    over the selected rows to 1e-6 relative (E[x^2] - E[x]^2 would lose every digit)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": 1.7e9 + rng.normal(0.0, 1.0, 5000)})
    out = inject(df, {"e": {**event, "where": {"rows": [1000, 5000]}}}, seed=2)
    got = out.events[0].realised["t"]
    assert got["std_before"] == pytest.approx(df["t"][1000:].std(ddof=0), rel=1e-6)
    assert got["std_after"] == pytest.approx(out.frame["t"][1000:].std(ddof=0), rel=1e-6)


@pytest.mark.parametrize("amount", [1e6, 1e8])
def test_the_recorded_spread_keeps_its_digits_far_from_the_reference(amount: float) -> None:
    """``std_before``/``std_after`` are merged block by block from each block's own mean
    (they were taken about the reference mean: a shift of 1e8 recorded 0.0 for a std of
    0.98, a ``set`` to 1e6 recorded 0.07 for 0)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(0.0, 1.0, 1000), "b": np.repeat(np.arange(4), 250)})
    shift = {"kind": "shift", "features": ["x"], "amount": amount}
    out = inject(frame, {"s": shift}, block_column="b")
    got = out.events[0].realised["x"]
    assert got["std_before"] == pytest.approx(float(frame["x"].std(ddof=0)), rel=1e-12)
    assert got["std_after"] == pytest.approx(float(out.frame["x"].std(ddof=0)), rel=1e-9)
    to_value = {"kind": "set", "features": ["x"], "value": amount}
    assert (
        inject(frame, {"s": to_value}, block_column="b").events[0].realised["x"]["std_after"] == 0.0
    )
