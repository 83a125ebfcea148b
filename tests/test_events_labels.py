"""Label and concept events: class-conditional label_flip, prior_shift and concept.

Injection into small seeded frames (:func:`calmops_gen.injector.inject`): realised figures
against the declared ones (exact where exact, 4 binomial standard deviations where random),
untouched rows and columns identical to the input, ``__changed`` exactly the rows that
differ, ground-truth weights equal to the profile, same seed same output, bad input naming
``drift.<id>.<key>``; one end-to-end run per kind through ``calmops_gen.run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import calmops_gen
from calmops_gen.drift.concept import best_threshold
from calmops_gen.drift.labels import PriorShift
from calmops_gen.errors import ScenarioError
from calmops_gen.injector import Injection, inject
from calmops_gen.profiles import Incremental

N = 3000


def make_frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x": x,
            "z": z,
            "k": rng.integers(0, 10, n),
            "region": rng.choice(["north", "south"], n),
            "y": (x + 0.3 * rng.normal(size=n) > 0.2).astype(np.int64),
            "c": rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]),
            "blk": np.repeat(np.arange(3), n // 3),
        }
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


def run(frame: pd.DataFrame, event: dict[str, Any], target: str = "y", seed: int = 7) -> Injection:
    return inject(frame, {"ev": event}, seed=seed, block_column="blk", target=target)


def binomial_ok(count: float, p: np.ndarray) -> bool:
    sd = float(np.sqrt(np.sum(p * (1 - p))))
    return abs(count - p.sum()) <= 4 * sd + 1e-9


def only_target_changed(before: pd.DataFrame, out: Injection, target: str) -> np.ndarray:
    others = [c for c in before.columns if c != target]
    pd.testing.assert_frame_equal(out.frame[others], before[others], check_exact=True)
    changed = (out.frame[target] != before[target]).to_numpy()
    assert np.array_equal(out.ground_truth["ev__changed"].to_numpy(), changed)
    assert out.events[0].rows_affected == int(changed.sum())
    return changed


# --------------------------------------------------------------------------------------------
# label_flip: class-conditional
# --------------------------------------------------------------------------------------------


def test_label_flip_plain_rate_unchanged(frame: pd.DataFrame) -> None:
    plain = run(frame, {"kind": "label_flip", "rate": 0.3})
    r = plain.events[0].realised
    changed = only_target_changed(frame, plain, "y")
    assert r["rows_flipped"] == int(changed.sum())
    assert r["flip_rate"] == pytest.approx(changed.mean())
    assert r["expected_flip_rate"] == pytest.approx(0.3)
    # the same per-class rate for every class draws exactly the same flips
    same = run(frame, {"kind": "label_flip", "rates": {0: 0.3, 1: 0.3}})
    pd.testing.assert_frame_equal(plain.frame, same.frame, check_exact=True)
    multi = run(frame, {"kind": "label_flip", "rate": 0.4}, target="c")
    multi_same = run(frame, {"kind": "label_flip", "rates": {"red": 0.4}, "rate": 0.4}, target="c")
    pd.testing.assert_frame_equal(multi.frame, multi_same.frame, check_exact=True)


def test_label_flip_class_conditional_rates(frame: pd.DataFrame) -> None:
    rates = {"red": 0.1, "green": 0.5}
    out = run(frame, {"kind": "label_flip", "rates": rates, "where": {"blocks": [1, 2]}}, "c")
    changed = only_target_changed(frame, out, "c")
    sel = frame["blk"].to_numpy() >= 1
    assert not changed[~sel].any()
    old = frame["c"].to_numpy()
    r = out.events[0].realised
    for cls, rate in (*rates.items(), ("blue", 0.0)):
        rows = sel & (old == cls)
        assert r["per_class"][cls]["rows"] == int(rows.sum())
        assert r["per_class"][cls]["rows_flipped"] == int(changed[rows].sum())
        assert r["per_class"][cls]["expected_flip_rate"] == pytest.approx(rate)
        assert binomial_ok(changed[rows].sum(), np.full(int(rows.sum()), rate))
    expected = sum(rates[c] * (sel & (old == c)).sum() for c in rates) / sel.sum()
    assert r["expected_flip_rate"] == pytest.approx(expected)
    # multiclass: to one of the two others, uniformly
    green = out.frame["c"].to_numpy()[changed & (old == "green")]
    assert set(green) == {"red", "blue"}
    assert abs((green == "red").sum() - len(green) / 2) < 4 * np.sqrt(len(green) / 4)


def test_label_flip_from_classes_to(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "label_flip",
        "rate": 0.6,
        "from_classes": ["green", "blue"],
        "to": "red",
        "profile": {"kind": "incremental"},
    }
    out = run(frame, ev, "c")
    changed = only_target_changed(frame, out, "c")
    old = frame["c"].to_numpy()
    assert set(out.frame["c"][changed]) == {"red"}
    assert not changed[old == "red"].any()
    w = out.ground_truth["ev"].to_numpy()
    np.testing.assert_array_equal(w, Incremental().weights(np.arange(N), N))
    eligible = (old != "red") & (w > 0)
    assert binomial_ok(changed.sum(), 0.6 * w[eligible])
    r = out.events[0].realised
    assert r["expected_flip_rate"] == pytest.approx((0.6 * w[eligible]).sum() / (w > 0).sum())
    assert r["per_class"]["red"]["expected_flip_rate"] == 0.0
    # `to` alone: every class but `to` flips at `rate`, and YAML ids match by text
    out = run(frame, {"kind": "label_flip", "rate": 1.0, "to": "1"})
    assert (out.frame["y"] == 1).all()


def test_label_flip_bool_target_by_text(tmp_path: Path) -> None:
    sc = {
        "name": "sea_flip",
        "seed": 1,
        "generator": {"kind": "sea", "params": {"variant": 0, "noise": 0.0}},
        "schedule": {"blocks": 3, "rows_per_block": 500},
        "drift": {"fl": {"kind": "label_flip", "rates": {"true": 0.5}, "where": {"blocks": [1]}}},
    }
    m = calmops_gen.run(sc, root=tmp_path)
    r = m.events[0].realised
    assert set(r["per_class"]) == {"false", "true"}
    assert r["per_class"]["false"]["rows_flipped"] == 0
    n_true = r["per_class"]["true"]["rows"]
    assert binomial_ok(r["per_class"]["true"]["rows_flipped"], np.full(n_true, 0.5))
    new = calmops_gen.read_frame(m)
    assert new["y"].dtype == bool


def test_missing_labels_in_a_table_stay_missing(tmp_path: Path) -> None:
    """A table whose integer target and bool feature have missing values: every block gets
    them as pandas' nullable dtypes (pandas alone would make float and object blocks), label
    events leave the missing labels alone, and the dataset keeps them missing."""
    n = 600
    rng = np.random.default_rng(3)
    y = pd.array(rng.integers(0, 2, n), dtype="Int64")
    y[::7] = pd.NA  # blocks 0 and 2 hold missing labels; rows 200-399 too (7 does not divide)
    flag = pd.array(rng.random(n) < 0.5, dtype="boolean")
    flag[:200:5] = pd.NA  # only block 0
    source = tmp_path / "t.csv"
    pd.DataFrame({"x": rng.normal(size=n), "flag": flag, "y": y}).to_csv(source, index=False)
    sc = {
        "name": "nullable",
        "generator": {"kind": "table", "params": {"source": str(source), "target": "y"}},
        "schedule": {"rows_per_block": 200},
        "drift": {
            "fl": {"kind": "label_flip", "rate": 0.5},
            "cf": {"kind": "category_flip", "column": "flag", "rate": 1.0},
        },
    }
    m = calmops_gen.run(sc, root=tmp_path / "out")
    out = calmops_gen.read_frame(m)
    truth = calmops_gen.read_ground_truth(m)
    missing = np.asarray(y.isna())
    assert out["y"].isna().to_numpy().tolist() == missing.tolist()
    changed = truth["fl__changed"].to_numpy()
    assert not changed[missing].any()
    assert (out["y"].to_numpy()[changed] != np.asarray(y)[changed]).all()
    r = m.events[0].realised
    assert r["rows_flipped"] == int(changed.sum())
    assert binomial_ok(r["rows_flipped"], np.full(int((~missing).sum()), 0.5))
    # rate 1: every known bool flips, the missing ones stay missing
    f_missing = np.asarray(flag.isna())
    assert out["flag"].isna().to_numpy().tolist() == f_missing.tolist()
    known = ~f_missing
    assert (out["flag"].to_numpy()[known] != np.asarray(flag)[known]).all()
    assert {c.name: c.dtype for c in m.columns}["y"] == "int64"


def test_a_csv_tables_empty_strings_are_missing(tmp_path: Path) -> None:
    """In a CSV source an unquoted empty field (as pandas writes None) or NA is a missing
    label, not a class "": label flips leave it alone and the class counts omit it; a quoted
    "" stays the empty string."""
    source = tmp_path / "lab.csv"
    source.write_text('x,y,c\n1.0,yes,a\n2.0,,b\n3.0,no,""\n4.0,NA,a\n5.0,yes,\n6.0,no,b\n')
    sc = {
        "name": "csv_missing",
        "generator": {"kind": "table", "params": {"source": str(source), "target": "y"}},
        "drift": {"lf": {"kind": "label_flip", "rate": 1.0}},
    }
    m = calmops_gen.run(sc, root=tmp_path / "out")
    out = calmops_gen.read_frame(m)
    assert out["y"].isna().tolist() == [False, True, False, True, False, False]
    assert out["y"].dropna().tolist() == ["no", "yes", "no", "yes"]  # every known label flipped
    assert m.events[0].realised["rows_flipped"] == 4
    assert m.blocks[0].class_counts == {"no": 2, "yes": 2}
    assert out["c"].isna().tolist() == [False, False, False, False, True, False]
    assert out["c"][2] == ""


def test_a_float_target_is_not_classes() -> None:
    df = pd.DataFrame({"x": np.arange(6.0), "y": [0.0, 1.0, np.nan, 1.0, 0.0, 1.0]})
    with pytest.raises(ScenarioError, match=r"float column.*nullable Int64"):
        inject(df, {"ev": {"kind": "label_flip", "rate": 0.1}}, target="y")
    out = inject(df.astype({"y": "Int64"}), {"ev": {"kind": "label_flip", "rate": 1.0}}, target="y")
    assert out.frame["y"].tolist() == [1, 0, pd.NA, 0, 1, 0]


def test_label_flip_bad_input(frame: pd.DataFrame) -> None:
    cases = [
        ({}, "drift.ev.rate"),
        ({"rate": 0.1, "rates": {0: 0.2}, "from_classes": [0]}, "drift.ev.from_classes"),
        ({"from_classes": [0], "rates": {0: 0.1}}, "drift.ev.from_classes"),
        ({"rates": {5: 0.2}}, "drift.ev.rates"),
        ({"rates": {0: 1.2}}, "drift.ev.rates"),
        ({"rate": 0.1, "to": 7}, "drift.ev.to"),
        ({"rate": 0.1, "from_classes": [3]}, "drift.ev.from_classes"),
    ]
    for params, path in cases:
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "label_flip", **params})
        assert err.value.path == path, (params, str(err.value))
    with pytest.raises(ScenarioError) as err:
        inject(frame, {"ev": {"kind": "label_flip", "rate": 0.1}})
    assert err.value.path == "drift.ev" and "no target" in err.value.message


# --------------------------------------------------------------------------------------------
# prior_shift
# --------------------------------------------------------------------------------------------


def _rows(df: pd.DataFrame, cols: list[str]) -> set[tuple[Any, ...]]:
    return set(map(tuple, df[cols].astype(object).to_numpy().tolist()))


def test_prior_shift_exact_and_whole_rows(frame: pd.DataFrame) -> None:
    target = {"red": 0.2, "green": 0.2, "blue": 0.6}
    out = run(frame, {"kind": "prior_shift", "target": target, "where": {"blocks": [0, 2]}}, "c")
    new, old = out.frame, frame
    blocks = old["blk"].to_numpy()
    pd.testing.assert_frame_equal(new[blocks == 1], old[blocks == 1], check_exact=True)
    assert new["blk"].equals(old["blk"])  # block column never touched, sizes kept
    cols = ["x", "z", "k", "region", "y", "c"]
    moved = out.ground_truth["ev__changed"].to_numpy()
    for b in (0, 2):
        sel = blocks == b
        counts = new["c"][sel].value_counts()
        want = {"red": 200, "green": 200, "blue": 600}
        assert {c: int(counts[c]) for c in want} == want
        # every row is a whole row of the block as it was: features and label together
        assert _rows(new[sel], cols) <= _rows(old[sel], cols)
        # moved rows are copies of rows of the class they now have
        assert (new["c"][sel & moved].to_numpy() != old["c"][sel & moved].to_numpy()).all()
    differ = np.zeros(N, dtype=bool)
    for c in cols:
        differ |= (new[c] != old[c]).to_numpy()
    assert np.array_equal(moved, differ)
    r = out.events[0].realised
    assert r["proportions_after"] == pytest.approx(target, abs=1e-12)
    assert r["expected_proportions"] == pytest.approx(target, abs=1e-12)
    assert r["rows_resampled"] == int(moved.sum())
    before = old["c"][blocks != 1].value_counts(normalize=True)
    assert r["proportions_before"] == pytest.approx({c: before[c] for c in target})
    assert r["blocks_short"] == 0
    # the least rows moved: the surplus of the classes over their targets
    assert moved.sum() == sum(
        max(int((old["c"][blocks == b] == c).sum()) - int(1000 * p), 0)
        for b in (0, 2)
        for c, p in target.items()
    )
    again = run(frame, {"kind": "prior_shift", "target": target, "where": {"blocks": [0, 2]}}, "c")
    pd.testing.assert_frame_equal(out.frame, again.frame, check_exact=True)


def test_resampled_rows_carry_their_source_rows_ground_truth() -> None:
    """prior_shift overwrites rows with copies of other rows; the ground truth of the events
    before it (weights, changed flags) moves with the content. Every row's x, less the shift
    its ground truth records, is then the original x of the row its content came from, and
    its label flip flag says whether that row's label was flipped."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(0, 1, 1000), "y": (rng.random(1000) < 0.5).astype(int)})
    ramp = {"kind": "incremental"}
    events = {
        "sh": {"kind": "shift", "features": ["x"], "amount": 10.0, "profile": ramp},
        "lf": {"kind": "label_flip", "rate": 0.3},
        "ps": {"kind": "prior_shift", "target": {0: 0.9, 1: 0.1}},
    }
    out = inject(df, events, seed=1, target="y")
    gt = out.ground_truth
    assert gt["ps__changed"].sum() > 300  # many rows were overwritten
    base = out.frame["x"].to_numpy() - 10.0 * gt["sh"].to_numpy()
    src = np.abs(base[:, None] - df["x"].to_numpy()[None, :]).argmin(axis=1)  # nearest x
    np.testing.assert_allclose(df["x"].to_numpy()[src], base, rtol=0, atol=1e-12)
    moved = gt["ps__changed"].to_numpy()
    assert (src[moved] != np.flatnonzero(moved)).all()  # content from elsewhere
    assert (src[~moved] == np.flatnonzero(~moved)).all()
    flipped = out.frame["y"].to_numpy() != df["y"].to_numpy()[src]
    np.testing.assert_array_equal(gt["lf__changed"].to_numpy(), flipped)


def test_prior_shift_partial_weight_and_profiles(frame: pd.DataFrame) -> None:
    ev = PriorShift(kind="prior_shift", target={0: 0.0, 1: 1.0})
    small = pd.DataFrame({"x": np.arange(1000.0), "y": [0] * 800 + [1] * 200})
    prep = ev.prepare_from([0, 1], ["x", "y"], "y")
    ev.apply(small, np.arange(1000), np.full(1000, 0.25), np.random.default_rng(0), prep)
    # a quarter of the way from 20% to 100% class 1: 40%
    assert int(small["y"].sum()) == 400
    assert set(small.loc[small["y"] == 1, "x"]) <= set(range(800, 1000))

    ev2 = {"kind": "prior_shift", "target": {0: 0.9, 1: 0.1}, "profile": {"kind": "incremental"}}
    out = run(frame, ev2)
    w = out.ground_truth["ev"].to_numpy()
    blocks = frame["blk"].to_numpy()
    np.testing.assert_array_equal(w, Incremental().weights(np.arange(N), N))
    r = out.events[0].realised
    assert r["proportions_after"]["0"] == pytest.approx(r["expected_proportions"]["0"], abs=3 / N)
    # later blocks have larger weights, so they move further toward the target
    share = [(out.frame["y"][blocks == b] == 0).mean() for b in range(3)]
    assert share[0] < share[1] < share[2]


def test_prior_shift_missing_class_in_block() -> None:
    df = pd.DataFrame(
        {"x": np.arange(600.0), "y": [0] * 300 + [0, 1] * 150, "blk": [0] * 300 + [1] * 300}
    )
    out = inject(
        df,
        {"ev": {"kind": "prior_shift", "target": {0: 0.5, 1: 0.5}}},
        block_column="blk",
        target="y",
    )
    r = out.events[0].realised
    assert r["blocks_short"] == 1
    pd.testing.assert_frame_equal(out.frame.iloc[:300], df.iloc[:300], check_exact=True)


def test_prior_shift_bad_input(frame: pd.DataFrame) -> None:
    for target, path, text in (
        ({0: 0.3, 1: 0.3}, "drift.ev.target", "sum to 1"),
        ({0: 0.5, 9: 0.5}, "drift.ev.target", "unknown class 9"),
        ({}, "drift.ev.target", "at least one"),
    ):
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "prior_shift", "target": target})
        assert err.value.path == path
        assert text in err.value.message
    with pytest.raises(ScenarioError) as err:
        inject(frame, {"ev": {"kind": "prior_shift", "target": {0: 1.0}}})
    assert err.value.path == "drift.ev"
    with pytest.raises(ScenarioError) as err:
        inject(frame, {"ev": {"kind": "prior_shift", "target": {0: 1.0}}}, target="x")
    assert "classification target" in err.value.message


# --------------------------------------------------------------------------------------------
# concept
# --------------------------------------------------------------------------------------------


def test_best_threshold() -> None:
    x = np.arange(10.0)
    assert best_threshold(x, x > 6, both=False) == (6.5, False)
    assert best_threshold(x, x < 3, both=True) == (2.5, True)


def test_concept_absolute_threshold(frame: pd.DataFrame) -> None:
    ev = {"kind": "concept", "rule": "threshold", "feature": "x", "threshold": 1.0}
    out = run(frame, ev)
    changed = only_target_changed(frame, out, "y")
    assert np.array_equal(out.frame["y"].to_numpy(), (frame["x"] > 1.0).to_numpy().astype(int))
    r = out.events[0].realised
    assert r["labels_changed"] == int(changed.sum())
    assert r["share_changed"] == r["expected_share_changed"] == pytest.approx(changed.mean())
    assert r["counts_before"] == {"0": int((frame["y"] == 0).sum()), "1": int(frame["y"].sum())}
    assert r["counts_after"]["1"] == int((frame["x"] > 1.0).sum())


def test_concept_moved_threshold_relabels_only_between(frame: pd.DataFrame) -> None:
    ev = {"kind": "concept", "rule": "threshold", "feature": "x", "shift": 0.5}
    out = run(frame, ev)
    prep = out.events[0].prepared
    t0, t1 = prep["current_threshold"], prep["new_threshold"]
    assert t1 == pytest.approx(t0 + 0.5)
    assert abs(t0 - 0.2) < 0.15  # the labels were made with a cut at 0.2
    changed = only_target_changed(frame, out, "y")
    x = frame["x"].to_numpy()
    between = (x > t0) & (x <= t1)
    assert not changed[~between].any()
    assert (out.frame["y"].to_numpy()[between] == 0).all()
    r = out.events[0].realised
    assert r["rows_covered"] == int(between.sum())
    # a given current threshold and explicit classes are used as they are
    ev2 = {**ev, "threshold": 0.0, "shift": -1.0, "above": 0, "below": 1}
    out2 = run(frame, ev2)
    assert out2.events[0].prepared["current_threshold"] == 0.0
    changed2 = only_target_changed(frame, out2, "y")
    between2 = (x > -1.0) & (x <= 0.0)
    assert not changed2[~between2].any()
    assert (out2.frame["y"].to_numpy()[between2] == 0).all()


def test_concept_gradual_share(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "concept",
        "rule": "threshold",
        "feature": "x",
        "threshold": 0.0,
        "above": 0,
        "below": 1,
        "where": {"blocks": [1, 2]},
        "profile": {"kind": "gradual", "shape": "linear", "width": 1500},
    }
    out = run(frame, ev)
    changed = only_target_changed(frame, out, "y")
    w = out.ground_truth["ev"].to_numpy()
    rule = (frame["x"] <= 0.0).to_numpy().astype(int)
    differs = (rule != frame["y"].to_numpy()) & (w > 0)
    assert not changed[~differs].any()
    assert binomial_ok(changed.sum(), w[differs])
    r = out.events[0].realised
    assert r["expected_share_changed"] == pytest.approx(w[differs].sum() / (w > 0).sum())
    # later rows are more often under the new concept
    assert changed[1000:1750].sum() < changed[2250:3000].sum()


def test_concept_linear_rules(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "concept",
        "rule": "linear",
        "features": ["x", "z"],
        "weights": [1.0, -2.0],
        "bias": 0.5,
    }
    out = run(frame, ev)
    only_target_changed(frame, out, "y")
    rule = (frame["x"] - 2 * frame["z"] + 0.5 > 0).to_numpy().astype(int)
    assert np.array_equal(out.frame["y"].to_numpy(), rule)

    rot = {"kind": "concept", "rule": "linear", "features": ["x", "z"], "angle": 40.0}
    out = run(frame, rot)
    changed = only_target_changed(frame, out, "y")
    prep = out.events[0].prepared
    zs = (frame[["x", "z"]].to_numpy() - prep["reference_mean"]) / prep["reference_std"]
    old_side = zs @ np.asarray(prep["normal"]) > 0
    new_side = zs @ np.asarray(prep["rotated_normal"]) > 0
    wedge = old_side != new_side
    assert not changed[~wedge].any()
    assert np.array_equal(out.frame["y"].to_numpy()[wedge], new_side[wedge].astype(int))
    # the class-mean normal points along x (the labels depend on x only): rotated by 40 deg
    n0, n1 = np.asarray(prep["normal"]), np.asarray(prep["rotated_normal"])
    cos = n0 @ n1 / np.linalg.norm(n0) / np.linalg.norm(n1)
    assert np.degrees(np.arccos(cos)) == pytest.approx(40.0)
    assert 0.05 < wedge.mean() < 0.4


def test_concept_swap_in_region(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "concept",
        "rule": "swap",
        "classes": ["red", "blue"],
        "condition": [{"column": "region", "op": "==", "value": "north"}],
        "where": {"blocks": [2]},
    }
    out = run(frame, ev, "c")
    changed = only_target_changed(frame, out, "c")
    region = frame["region"].to_numpy()
    old = frame["c"].to_numpy()
    inside = (region == "north") & (frame["blk"].to_numpy() == 2) & (old != "green")
    assert np.array_equal(changed, inside)
    swapped = {"red": "blue", "blue": "red"}
    assert (out.frame["c"].to_numpy()[inside] == [swapped[v] for v in old[inside]]).all()
    r = out.events[0].realised
    assert r["share_changed"] == pytest.approx(inside.sum() / 1000)
    assert r["counts_after"]["red"] == r["counts_before"]["red"] - int(
        (inside & (old == "red")).sum()
    ) + int((inside & (old == "blue")).sum())


def test_concept_bad_input(frame: pd.DataFrame) -> None:
    base = {"kind": "concept"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"rule": "threshold"}, "drift.ev.feature", "y"),
        ({"rule": "threshold", "feature": "x"}, "drift.ev.shift", "y"),
        ({"rule": "threshold", "feature": "region", "threshold": 0}, "drift.ev.feature", "y"),
        ({"rule": "threshold", "feature": "x", "threshold": 0, "angle": 3}, "drift.ev.angle", "y"),
        ({"rule": "linear", "features": ["x", "z"], "weights": [1.0]}, "drift.ev.weights", "y"),
        ({"rule": "linear", "features": ["x", "z"], "angle": 9, "bias": 1}, "drift.ev.angle", "y"),
        ({"rule": "linear", "features": ["x"], "angle": 9}, "drift.ev.angle", "y"),
        ({"rule": "swap", "classes": [0, 1]}, "drift.ev.condition", "y"),
        ({"rule": "swap", "classes": [0], "condition": []}, "drift.ev.classes", "y"),
        (
            {
                "rule": "swap",
                "classes": [0, 5],
                "condition": [{"column": "x", "op": ">", "value": 0}],
            },
            "drift.ev.classes",
            "y",
        ),
        (
            {
                "rule": "swap",
                "classes": [0, 1],
                "condition": [{"column": "q", "op": ">", "value": 0}],
            },
            "drift.ev.condition.0.column",
            "y",
        ),
        (  # the value's type is checked against the column's, as in where.condition
            {
                "rule": "swap",
                "classes": [0, 1],
                "condition": [{"column": "x", "op": ">", "value": "2"}],
            },
            "drift.ev.condition.0.value",
            "y",
        ),
        ({"rule": "threshold", "feature": "x", "threshold": 0.0}, "drift.ev.above", "c"),
        ({"rule": "spin"}, "drift.ev.rule", "y"),
    ]
    for params, path, target in cases:
        with pytest.raises(ScenarioError) as err:
            run(frame, {**base, **params}, target)
        paths = [e.path for e in getattr(err.value, "errors", [err.value])]
        assert path in paths, (params, str(err.value))
    with pytest.raises(ScenarioError) as err:
        inject(frame, {"ev": {**base, "rule": "threshold", "feature": "x", "threshold": 0}})
    assert err.value.path == "drift.ev" and "no target" in err.value.message


# --------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------


def test_end_to_end_loans(tmp_path: Path) -> None:
    sc = {
        "name": "loans_labels",
        "seed": 5,
        "generator": {
            "kind": "table",
            "params": {"source": "bundled:loans.csv", "target": "default"},
        },
        "schedule": {"blocks": 4},
        "drift": {
            "flip": {"kind": "label_flip", "rates": {0: 0.05, 1: 0.3}, "where": {"blocks": [0]}},
            "prior": {"kind": "prior_shift", "target": {0: 0.5, 1: 0.5}, "where": {"blocks": [1]}},
            "relabel": {
                "kind": "concept",
                "rule": "threshold",
                "feature": "credit_score",
                "shift": 40,
                "where": {"blocks": [2, 3]},
            },
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    base = calmops_gen.run({**sc, "drift": {}}, root=tmp_path / "base")
    old, new = calmops_gen.read_frame(base), calmops_gen.read_frame(m)
    truth = calmops_gen.read_ground_truth(m)
    ev = {e.id: e for e in m.events}
    flip = ev["flip"].realised
    assert flip["rows_flipped"] == int(truth["flip__changed"].sum())
    assert flip["per_class"]["1"]["expected_flip_rate"] == pytest.approx(0.3)
    prior = ev["prior"].realised
    assert prior["proportions_after"] == {"0": 0.5, "1": 0.5}
    b1 = (old["block"] == 1).to_numpy()
    assert new["default"][b1].mean() == 0.5
    concept = ev["relabel"].realised
    assert concept["labels_changed"] == int(truth["relabel__changed"].sum()) > 0
    assert concept["share_changed"] == pytest.approx(concept["labels_changed"] / 1500)
    prep = ev["relabel"].prepared
    assert prep["new_threshold"] == prep["current_threshold"] + 40
    b23 = (old["block"] >= 2).to_numpy()
    pd.testing.assert_frame_equal(
        new[b23].drop(columns="default"), old[b23].drop(columns="default"), check_exact=True
    )


def test_labels_keyed_by_floats_are_one_clear_error() -> None:
    """A regression target (float) has no classes: one line, not one per key and type."""
    df = pd.DataFrame({"x": [1.0, 2.0], "y": [0.5, 1.5]})
    with pytest.raises(ScenarioError) as err:
        inject(df, {"e": {"kind": "prior_shift", "target": {0.5: 0.5, 1.5: 0.5}}}, target="y")
    assert err.value.path == "drift.e.target"
    assert "a float column has no classes" in err.value.message
    assert str(err.value).count("\n") == 0


def test_label_flip_onto_the_only_class_it_flips_from_is_refused() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    with pytest.raises(ScenarioError, match="changes nothing") as err:
        inject(
            df, {"e": {"kind": "label_flip", "rate": 0.5, "from_classes": [1], "to": 1}}, target="y"
        )
    assert err.value.path == "drift.e.to"
