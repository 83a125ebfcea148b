"""``outliers`` and ``missing``: rates, exact outlier values, MAR/MNAR direction, contract.

Random rates are checked against a binomial tolerance of 4 standard deviations (seeded, so
deterministic); exact formulas (factor, z-score values, hypercube corners) exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import calmops_gen
from calmops_gen.drift.missing import mar_probability, reference_cdf
from calmops_gen.errors import ScenarioError
from calmops_gen.injector import inject

N = 4000
BLOCK = 1000


def frame(seed: int = 1) -> pd.DataFrame:
    """Four blocks of 1000 rows with float, int, string and bool features."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, N),
            "z": rng.normal(0.0, 1.0, N),
            "k": rng.integers(0, 50, N),
            "s": rng.choice(["u", "v", "w"], N),
            "f": rng.random(N) < 0.5,
            "y": rng.integers(0, 2, N),
            "b": np.repeat([0, 1, 2, 3], BLOCK),
        }
    )


def run(events: dict[str, Any], df: pd.DataFrame | None = None, seed: int = 11) -> Any:
    df = frame() if df is None else df
    return inject(df, events, seed=seed, block_column="b", target="y")


def differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-wise a != b, two missing values being equal (any dtype, pd.NA included)."""
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    out = na_a != na_b
    both = ~na_a & ~na_b
    out[both] = a[both].to_numpy(dtype=object) != b[both].to_numpy(dtype=object)
    return out


def check_contract(events: dict[str, Any], eid: str, df: pd.DataFrame | None = None) -> Any:
    """Same seed -> same output; unselected rows and other columns identical; ``__changed``
    marks exactly the rows that differ."""
    df = frame() if df is None else df
    out = run(events, df)
    pd.testing.assert_frame_equal(out.frame, run(events, df).frame)
    new = out.frame[df.columns]
    outside = out.ground_truth[eid].to_numpy() == 0
    pd.testing.assert_frame_equal(new[outside], df[outside], check_exact=True, check_dtype=False)
    info = {e.id: e for e in out.events}[eid]
    others = [c for c in df.columns if c not in info.features]
    pd.testing.assert_frame_equal(new[others], df[others], check_exact=True)
    changed = np.zeros(len(df), dtype=bool)
    for col in info.features:
        changed |= differs(new[col], df[col])
    assert np.array_equal(out.ground_truth[f"{eid}__changed"].to_numpy(), changed)
    assert info.rows_affected == int(changed.sum())
    return out


def binomial_ok(observed: float, p: float, n: int) -> bool:
    return abs(observed - p) <= 4 * np.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


# --------------------------------------------------------------------------------------------
# outliers
# --------------------------------------------------------------------------------------------


def test_outliers_zscore_values_are_exact() -> None:
    ev = {"kind": "outliers", "features": ["x", "z"], "method": "zscore", "z": 5.0, "rate": 0.1}
    out = check_contract({"o": ev}, "o")
    changed = out.ground_truth["o__changed"].to_numpy()
    prep = out.events[0].prepared
    for f in ("x", "z"):
        m, s = prep[f]["reference_mean"], prep[f]["reference_std"]
        zs = (out.frame[f].to_numpy()[changed] - m) / s
        np.testing.assert_allclose(np.abs(zs), 5.0, rtol=1e-9)
        assert 0.3 < (zs > 0).mean() < 0.7  # random sign
        real = out.events[0].realised[f]
        assert real["mean_abs_z"] == pytest.approx(5.0, rel=1e-9)
        assert real["expected_outlier_rate"] == pytest.approx(0.1)
        assert binomial_ok(real["outlier_rate"], 0.1, N)
        assert real["outlier_rate"] == changed.sum() / N


def test_outliers_factor_multiplies_the_deviation() -> None:
    ev = {
        "kind": "outliers",
        "features": ["x"],
        "method": "factor",
        "factor": 4.0,
        "rate": 0.3,
        "where": {"blocks": [2, 3]},
        "profile": {"kind": "incremental"},
    }
    out = check_contract({"o": ev}, "o")
    df = frame()
    m = out.events[0].prepared["x"]["reference_mean"]
    changed = out.ground_truth["o__changed"].to_numpy()
    np.testing.assert_allclose(
        out.frame["x"].to_numpy()[changed] - m, 4.0 * (df["x"].to_numpy()[changed] - m), rtol=1e-9
    )
    w = out.ground_truth["o"].to_numpy()
    active = w > 0
    real = out.events[0].realised["x"]
    expected = 0.3 * w[active].mean()
    assert real["expected_outlier_rate"] == pytest.approx(expected, rel=1e-12)
    assert binomial_ok(real["outlier_rate"], expected, int(active.sum()))


@pytest.mark.parametrize(("factor", "moved"), [(1.01, False), (1.3, None)])
def test_integer_outliers_that_round_back_in_place_are_not_counted(
    factor: float, moved: bool | None
) -> None:
    """A picked integer value whose move rounds away is no outlier: the outlier rate counts
    the values that changed, as the ground truth's flags do (it counted every pick)."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"age": rng.integers(20, 80, 4000)})
    ev = {"kind": "outliers", "features": ["age"], "method": "factor", "factor": factor,
          "rate": 0.5}  # fmt: skip
    out = inject(df, {"o": ev})
    real, info = out.events[0].realised["age"], out.events[0]
    changed = out.frame["age"].to_numpy() != df["age"].to_numpy()
    assert info.rows_affected == int(changed.sum()) == int(out.ground_truth["o__changed"].sum())
    assert real["outlier_rate"] == changed.mean()
    if moved is False:  # |x - m| <= 30: 1% of it is below half a unit
        assert real["outlier_rate"] == 0.0 and real["mean_abs_z"] is None
    else:
        assert 0.2 < real["outlier_rate"] < real["expected_outlier_rate"] == 0.5


def test_outliers_hypercube_lands_in_corners() -> None:
    ev = {
        "kind": "outliers",
        "features": ["x", "z", "k"],
        "method": "hypercube",
        "margin": 0.2,
        "rate": 0.05,
    }
    out = check_contract({"o": ev}, "o")
    changed = out.ground_truth["o__changed"].to_numpy()
    prep = out.events[0].prepared
    corners = []
    for f in ("x", "z", "k"):
        lo, hi = prep[f]["low"], prep[f]["high"]
        v = out.frame[f].to_numpy()[changed]
        above = v > hi
        assert (above | (v < lo)).all(), f
        if f != "k":
            gap = np.where(above, v - hi, lo - v) / (hi - lo)
            assert ((gap >= 0.2) & (gap <= 0.4)).all()
        corners.append(above)
        assert out.events[0].realised[f]["outside_range"] == 1.0
    assert out.frame["k"].dtype == np.int64
    assert len({tuple(c) for c in np.array(corners).T}) > 4  # several corners used


def test_outliers_leave_missing_cells_missing() -> None:
    gaps = {"kind": "missing", "features": ["x"], "rate": 0.3}
    spikes = {"kind": "outliers", "features": ["x"], "method": "zscore", "rate": 1.0}
    out = run({"gaps": gaps, "spikes": spikes})
    gone = out.ground_truth["gaps__changed"].to_numpy()
    assert out.frame["x"].isna().to_numpy().tolist() == gone.tolist()
    assert np.array_equal(out.ground_truth["spikes__changed"].to_numpy(), ~gone)


def test_outliers_end_to_end(tmp_path: Path) -> None:
    sc = {
        "name": "outliers_loans",
        "seed": 5,
        "generator": {
            "kind": "table",
            "params": {"source": "bundled:loans.csv", "target": "default"},
        },
        "schedule": {"blocks": 3},
        "drift": {
            "spikes": {
                "kind": "outliers",
                "features": ["income"],
                "method": "zscore",
                "z": 6.0,
                "rate": 0.05,
                "where": {"blocks": [1, 2]},
            }
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    ev = m.events[0]
    assert ev.realised["income"]["mean_abs_z"] == pytest.approx(6.0, rel=1e-9)
    assert ev.rows_affected == round(ev.realised["income"]["outlier_rate"] * ev.rows_selected)
    truth = calmops_gen.read_ground_truth(m)
    assert int(truth["spikes__changed"].sum()) == ev.rows_affected


# --------------------------------------------------------------------------------------------
# missing
# --------------------------------------------------------------------------------------------


def test_mcar_rates_per_feature_and_dtypes() -> None:
    ev = {"kind": "missing", "features": ["x", "k", "s", "f"], "rate": 0.2}
    out = check_contract({"m": ev}, "m")
    for f in ("x", "k", "s", "f"):
        real = out.events[0].realised[f]
        assert real["expected_missing_rate"] == pytest.approx(0.2)
        assert real["nominal_missing_rate"] == pytest.approx(0.2)
        assert binomial_ok(real["missing_rate"], 0.2, N), (f, real)
        assert real["missing_rate"] == out.frame[f].isna().mean()
    assert out.frame["k"].dropna().eq(frame()["k"][out.frame["k"].notna()]).all()
    # cells are drawn independently: the overlap of two features is about 0.2 * 0.2
    both = (out.frame["x"].isna() & out.frame["s"].isna()).mean()
    assert binomial_ok(both, 0.04, N)


def test_mcar_follows_a_gradual_profile() -> None:
    ev = {
        "kind": "missing",
        "features": ["z"],
        "rate": 0.5,
        "where": {"rows": [1000, 3000]},
        "profile": {"kind": "gradual", "shape": "linear", "width": 1000},
    }
    out = check_contract({"m": ev}, "m")
    w = out.ground_truth["m"].to_numpy()
    expected_w = np.zeros(N)
    expected_w[1000:3000] = np.minimum(np.arange(2000) / 999, 1.0)
    np.testing.assert_allclose(w, expected_w, rtol=0, atol=1e-15)
    real = out.events[0].realised["z"]
    active = w > 0
    assert real["expected_missing_rate"] == pytest.approx(0.5 * w[active].mean(), rel=1e-12)
    assert binomial_ok(real["missing_rate"], real["expected_missing_rate"], int(active.sum()))
    first, second = out.frame["z"].iloc[1000:1500], out.frame["z"].iloc[2500:3000]
    assert first.isna().mean() < second.isna().mean()


@pytest.mark.parametrize("direction", ["high", "low"])
def test_mar_is_driven_by_the_driver(direction: str) -> None:
    ev = {
        "kind": "missing",
        "features": ["x", "s"],
        "rate": 0.25,
        "mechanism": "mar",
        "driver": "z",
        "direction": direction,
    }
    out = check_contract({"m": ev}, "m")
    df = frame()
    for f in ("x", "s"):
        real = out.events[0].realised[f]
        # z has the reference block's distribution everywhere: expected rate ~ 0.25
        assert real["expected_missing_rate"] == pytest.approx(0.25, abs=0.02)
        assert binomial_ok(real["missing_rate"], real["expected_missing_rate"], N)
        gone = out.frame[f].isna().to_numpy()
        assert real["mean_driver_missing"] == pytest.approx(df["z"][gone].mean())
        assert real["mean_driver_observed"] == pytest.approx(df["z"][~gone].mean())
        if direction == "high":
            assert real["mean_driver_missing"] > real["mean_driver_observed"] + 0.5
        else:
            assert real["mean_driver_missing"] < real["mean_driver_observed"] - 0.5


def test_mar_probability_formula() -> None:
    # the exact per-row probability: G(d) ** ((1 - r) / r) with G the reference CDF
    ref = np.arange(1.0, 101.0)
    grid = reference_cdf(ref)
    d = np.array([0.0, 50.0, 100.5, np.nan])
    r = np.array([0.3, 0.3, 0.3, 0.3])
    g = np.interp(d[:3], grid["x"], grid["cdf"], left=0, right=1)
    expected = np.concatenate([g ** (0.7 / 0.3), [0.5 ** (0.7 / 0.3)]])
    np.testing.assert_allclose(mar_probability(d, r, grid, "high"), expected)
    assert mar_probability(d, np.zeros(4), grid, "high").tolist() == [0.0] * 4
    assert mar_probability(d, np.ones(4), grid, "low").tolist() == [1.0] * 4
    # mean over drivers distributed as the reference equals r (up to the reference sample's
    # own noise: 5000 values give a CDF within about 0.01 of the true one)
    rng = np.random.default_rng(0)
    cont = reference_cdf(rng.normal(size=5000))
    d = rng.normal(size=200_000)
    for rate in (0.05, 0.3, 0.7):
        for direction in ("high", "low"):
            p = mar_probability(d, np.full(d.size, rate), cont, direction)
            assert p.mean() == pytest.approx(rate, rel=0.1)


def test_mnar_high_values_go_missing() -> None:
    ev = {"kind": "missing", "features": ["x", "k"], "rate": 0.3, "mechanism": "mnar"}
    out = check_contract({"m": ev}, "m")
    df = frame()
    for f in ("x", "k"):
        real = out.events[0].realised[f]
        assert real["driver"] == f
        gone = out.frame[f].isna().to_numpy()
        assert real["mean_driver_missing"] == pytest.approx(df[f][gone].mean())
        assert real["mean_driver_missing"] > real["mean_driver_observed"]
        assert real["expected_missing_rate"] == pytest.approx(0.3, abs=0.02)
        assert binomial_ok(real["missing_rate"], real["expected_missing_rate"], N)
    # the observed part of x is visibly shifted down: a biased sample
    assert out.frame["x"].mean() < df["x"].mean() - 0.5


def test_missing_leaves_already_missing_cells_alone() -> None:
    first = {"kind": "missing", "features": ["x"], "rate": 0.5}
    second = {"kind": "missing", "features": ["x"], "rate": 1.0, "where": {"blocks": [0]}}
    out = run({"a": first, "b": second})
    gt = out.ground_truth
    real = out.events[1].realised["x"]
    already = int(gt["a__changed"].iloc[:BLOCK].sum())
    assert real["cells_already_missing"] == already
    assert real["cells_made_missing"] == BLOCK - already
    assert real["missing_rate"] + already / BLOCK == 1.0
    assert int(gt["b__changed"].sum()) == BLOCK - already
    assert out.frame["x"].iloc[:BLOCK].isna().all()


def test_missing_end_to_end(tmp_path: Path) -> None:
    sc = {
        "name": "missing_loans",
        "seed": 2,
        "generator": {
            "kind": "table",
            "params": {"source": "bundled:loans.csv", "target": "default"},
        },
        "schedule": {"blocks": 2},
        "drift": {
            "gaps": {
                "kind": "missing",
                "features": ["credit_score", "region"],
                "rate": 0.3,
                "mechanism": "mar",
                "driver": "age",
                "where": {"blocks": [1]},
            }
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    data = calmops_gen.read_frame(m)
    real = m.events[0].realised
    half = len(data) // 2
    for f in ("credit_score", "region"):
        assert real[f]["missing_rate"] == data[f].iloc[half:].isna().mean()
        assert data[f].iloc[:half].notna().all()
        assert real[f]["mean_driver_missing"] > real[f]["mean_driver_observed"]
    assert str(data["credit_score"].dtype) in ("Int64", "float64", "int64")


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"kind": "outliers", "features": ["x"], "rate": 1.5}, "drift.e.rate"),
        ({"kind": "outliers", "features": ["s"], "rate": 0.1}, "drift.e.features"),
        (
            {"kind": "outliers", "features": ["x"], "rate": 0.1, "z": 3.0, "method": "factor"},
            "drift.e.z",
        ),
        ({"kind": "outliers", "features": ["x"], "rate": 0.1, "method": "iqr"}, "drift.e.method"),
        ({"kind": "outliers", "features": ["nope"], "rate": 0.1}, "drift.e.features"),
        ({"kind": "missing", "features": ["x"], "rate": -0.1}, "drift.e.rate"),
        ({"kind": "missing", "features": ["x"], "rate": 0.1, "mechanism": "mar"}, "drift.e.driver"),
        ({"kind": "missing", "features": ["x"], "rate": 0.1, "driver": "z"}, "drift.e.driver"),
        (
            {"kind": "missing", "features": ["x"], "rate": 0.1, "mechanism": "mar", "driver": "s"},
            "drift.e.driver",
        ),
        (
            {"kind": "missing", "features": ["x"], "rate": 0.1, "mechanism": "mar", "driver": "x"},
            "drift.e.driver",
        ),
        (
            {"kind": "missing", "features": ["s"], "rate": 0.1, "mechanism": "mnar"},
            "drift.e.features",
        ),
        ({"kind": "missing", "features": ["y"], "rate": 0.1}, "drift.e.features"),
        (
            {"kind": "missing", "features": ["x"], "rate": 0.1, "mechanism": "x"},
            "drift.e.mechanism",
        ),
    ],
)
def test_bad_input_names_the_key(event: dict, path: str) -> None:
    with pytest.raises(ScenarioError) as err:
        run({"e": event})
    assert err.value.path == path, str(err.value)


def test_constant_column_has_no_outliers() -> None:
    df = frame()
    df["x"] = 3.0
    with pytest.raises(ScenarioError) as err:
        run({"e": {"kind": "outliers", "features": ["x"], "rate": 0.1}}, df)
    assert err.value.path == "drift.e.features"


def test_events_after_missing_keep_an_integer_column_integer(tmp_path: Path) -> None:
    """``missing`` turns an integer column into its nullable twin, so a later numeric event
    still rounds to integers and the block is written as the planned int64 with nulls (the
    column became float and a later ``range_violation`` wrote 1.96 into it, which the writer
    refused)."""
    sc = {
        "name": "int_missing",
        "seed": 3001,
        "generator": {"kind": "agrawal"},
        "schedule": {"blocks": 2, "rows_per_block": 300},
        "drift": {
            "gone": {"kind": "missing", "features": ["age", "elevel"], "rate": 0.2},
            "out": {"kind": "range_violation", "features": ["age"], "rate": 0.3},
            "moved": {"kind": "shift", "features": ["age"], "amount": 0.4},
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    assert calmops_gen.verify_dataset(m.directory) == []
    assert {c.name: c.dtype for c in m.columns}["age"] == "int64"
    age = calmops_gen.read_frame(m)["age"]
    missing = age.isna().to_numpy()
    assert 0.1 < missing.mean() < 0.3
    assert (age[~missing] == age[~missing].round()).all()
    assert m.events[1].rows_affected > 0
    assert m.events[1].realised["age"]["outside_after"] > 0.2


@pytest.mark.parametrize(
    ("mechanism", "levels"), [("mar", 2), ("mar", 5), ("mnar", 3), ("mnar", 2)]
)
def test_mar_and_mnar_reach_the_rate_with_a_driver_of_few_values(
    mechanism: str, levels: int
) -> None:
    """A driver with few distinct values (a flag, a rating) still blanks ``rate`` of the
    cells: 0.05 within 0.006 (4 binomial standard deviations at 20,000 cells; seeded). The
    plain ``G ** k`` gave 0.002 for a flag."""
    rng = np.random.default_rng(0)
    n = 20_000
    df = pd.DataFrame({"a": rng.normal(size=n), "d": rng.integers(0, levels, n).astype(float)})
    event: dict[str, Any] = {"kind": "missing", "rate": 0.05, "mechanism": mechanism}
    event |= {"features": ["a"], "driver": "d"} if mechanism == "mar" else {"features": ["d"]}
    out = inject(df, {"m": event}, seed=1)
    got = out.events[0].realised[event["features"][0]]
    assert got["missing_rate"] == pytest.approx(0.05, abs=0.006)
    assert got["expected_missing_rate"] == pytest.approx(0.05, abs=0.006)
    # still driven: the high driver values go missing more often
    assert got["mean_driver_missing"] > got["mean_driver_observed"]


def test_a_bool_column_drives_mar_missingness_as_a_0_1_flag() -> None:
    """A true/false flag is a MAR driver (it was refused as not numeric): rows flagged
    ``True`` go missing first, and the mean rate is the declared one (within 4 binomial
    standard errors, 0.27 percentage points at 200,000 rows)."""
    rng = np.random.default_rng(0)
    n = 200_000
    frame = pd.DataFrame({"x": rng.normal(size=n), "flag": rng.random(n) < 0.3})
    event = {"kind": "missing", "features": ["x"], "mechanism": "mar", "driver": "flag"}
    out = inject(frame, {"m": {**event, "rate": 0.1}}, seed=3)
    gone = out.frame["x"].isna().to_numpy()
    assert abs(gone.mean() - 0.1) < 4 * np.sqrt(0.1 * 0.9 / n)
    assert gone[frame["flag"].to_numpy()].mean() > 10 * gone[~frame["flag"].to_numpy()].mean()
    assert out.events[0].realised["x"]["mean_driver_missing"] > 0.9
