"""Categorical feature events: category_flip, category_frequency, new_category,
merge_categories and typos.

Every test injects into a small seeded frame with :func:`calmops_gen.injector.inject`
(three blocks of 1000 rows) and checks: the realised figures against the declared ones
(exact where the maths is exact, otherwise within 4 binomial standard deviations), that rows
outside the selection and columns the event does not touch are identical to the input, that
the ground truth's ``__changed`` marks exactly the rows that differ, that the weights equal
the declared profile, the same seed gives the same output, and bad input names
``drift.<id>.<key>``. One end-to-end run per kind goes through ``calmops_gen.run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calmops_gen
from calmops_gen.drift.categorical import CategoryFrequency, Typos
from calmops_gen.drift.picks import largest_remainder, reassign
from calmops_gen.errors import ScenarioError
from calmops_gen.injector import Injection, inject
from calmops_gen.profiles import Gradual, Incremental, Recurrent

N = 3000
REGIONS = ["north", "south", "east", "west"]


def make_frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "region": rng.choice(REGIONS, n, p=[0.4, 0.3, 0.2, 0.1]),
            "code": rng.integers(0, 5, n),
            "cat": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "flag": rng.random(n) < 0.3,
            "name": rng.choice(["alice", "bob", "charlotte", "dave", "x"], n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 2, n),
            "blk": np.repeat(np.arange(3), n // 3),
        }
    )


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


def run(frame: pd.DataFrame, event: dict[str, Any], seed: int = 7) -> Injection:
    return inject(frame, {"ev": event}, seed=seed, block_column="blk", target="y")


def differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-wise a != b, two missing values being equal."""
    both = a.isna().to_numpy() & b.isna().to_numpy()
    ne = a.astype(object).to_numpy() != b.astype(object).to_numpy()
    return np.asarray(ne, dtype=bool) & ~both


def assert_contract(
    before: pd.DataFrame, out: Injection, column: str, selected: np.ndarray
) -> np.ndarray:
    """Untouched rows/columns identical, ``__changed`` exact; returns the changed mask."""
    after = out.frame
    others = [c for c in before.columns if c != column]
    pd.testing.assert_frame_equal(after[others], before[others], check_exact=True)
    pd.testing.assert_series_equal(
        after[column][~selected].astype(object),
        before[column][~selected].astype(object),
        check_exact=True,
    )
    changed = differs(before[column], after[column])
    assert np.array_equal(out.ground_truth["ev__changed"].to_numpy(), changed)
    assert not changed[~selected].any()
    assert out.events[0].rows_affected == int(changed.sum())
    return changed


def binomial_ok(count: float, p: np.ndarray) -> bool:
    """``count`` within 4 standard deviations of a Poisson-binomial with probabilities ``p``."""
    sd = float(np.sqrt(np.sum(p * (1 - p))))
    return abs(count - p.sum()) <= 4 * sd + 1e-9


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def test_largest_remainder_is_exact() -> None:
    q = np.array([0.1, 0.2, 0.3, 0.4]) * 7
    r = largest_remainder(q, 7)
    assert r.sum() == 7 and np.all(np.abs(r - q) < 1)
    assert largest_remainder(np.array([2.0, 3.0]), 5).tolist() == [2, 3]


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, 60), min_size=2, max_size=5),
    raw=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
    seed=st.integers(0, 1000),
)
def test_reassign_reaches_the_target_with_the_fewest_moves(
    counts: list[int], raw: list[float], seed: int
) -> None:
    k = len(counts)
    target = np.asarray(raw[:k]) + 1e-3
    target /= target.sum()
    codes = np.repeat(np.arange(k), counts)
    rng = np.random.default_rng(seed)
    codes = rng.permutation(codes)
    moved, new, fig = reassign(codes, np.ones(len(codes)), target, rng)
    after = codes.copy()
    after[moved] = new
    n = len(codes)
    assert np.bincount(after, minlength=k).tolist() == largest_remainder(target * n, n).tolist()
    # least moves: half the L1 distance between the counts
    assert len(moved) == int(
        np.abs(np.bincount(codes, minlength=k) - fig["target_counts"]).sum() // 2
    )
    assert np.all(after[moved] != codes[moved])


# --------------------------------------------------------------------------------------------
# category_flip
# --------------------------------------------------------------------------------------------


def test_category_flip_rate_and_contract(frame: pd.DataFrame) -> None:
    rate = 0.3
    out = run(
        frame,
        {"kind": "category_flip", "column": "region", "rate": rate, "where": {"blocks": [1, 2]}},
    )
    selected = frame["blk"].to_numpy() >= 1
    changed = assert_contract(frame, out, "region", selected)
    r = out.events[0].realised
    assert r["rows_flipped"] == int(changed.sum())
    assert r["flip_rate"] == pytest.approx(changed.sum() / selected.sum(), rel=1e-12)
    assert r["expected_flip_rate"] == pytest.approx(rate)
    assert binomial_ok(changed.sum(), np.full(int(selected.sum()), rate))
    assert set(out.frame["region"]) == set(REGIONS)
    # flipped_from / flipped_to count exactly the moves
    old, new = frame["region"][changed], out.frame["region"][changed]
    assert r["flipped_from"] == {c: int((old == c).sum()) for c in sorted(REGIONS)}
    assert r["flipped_to"] == {c: int((new == c).sum()) for c in sorted(REGIONS)}
    # uniform among the three others: each destination ~ 1/3 of a category's flips
    north = new[old == "north"]
    k = len(north)
    for c in ("south", "east", "west"):
        assert abs((north == c).sum() - k / 3) < 4 * np.sqrt(k * 2 / 9)
    assert out.ground_truth["ev"].tolist() == selected.astype(float).tolist()


def test_category_flip_to_proportions_and_dtypes(frame: pd.DataFrame) -> None:
    out = run(frame, {"kind": "category_flip", "column": "cat", "rate": 0.5, "to": {"a": 1.0}})
    assert out.frame["cat"].dtype == frame["cat"].dtype
    changed = assert_contract(frame, out, "cat", np.ones(N, dtype=bool))
    assert set(out.frame["cat"][changed]) == {"a"}
    assert not changed[(frame["cat"] == "a").to_numpy()].any()
    eligible = (frame["cat"] != "a").to_numpy()
    r = out.events[0].realised
    assert r["expected_flip_rate"] == pytest.approx(0.5 * eligible.mean())
    assert binomial_ok(changed.sum(), np.full(int(eligible.sum()), 0.5))

    out = run(
        frame, {"kind": "category_flip", "column": "code", "rate": 0.4, "to": {0: 0.75, 4: 0.25}}
    )
    assert out.frame["code"].dtype == np.int64
    changed = assert_contract(frame, out, "code", np.ones(N, dtype=bool))
    dest = out.frame["code"][
        changed & (frame["code"] != 0).to_numpy() & (frame["code"] != 4).to_numpy()
    ]
    assert set(dest) == {0, 4}
    k = len(dest)
    assert abs((dest == 0).sum() - 0.75 * k) < 4 * np.sqrt(k * 0.75 * 0.25)
    # a row of category 0 can only go to 4 and vice versa
    assert set(out.frame["code"][changed & (frame["code"] == 0).to_numpy()]) == {4}

    out = run(frame, {"kind": "category_flip", "column": "flag", "rate": 1.0})
    assert out.frame["flag"].dtype == bool
    assert np.array_equal(out.frame["flag"].to_numpy(), ~frame["flag"].to_numpy())


def test_category_flip_incremental_profile_and_seed(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "category_flip",
        "column": "region",
        "rate": 0.8,
        "where": {"rows": [500, 2500]},
        "profile": {"kind": "incremental"},
    }
    out = run(frame, ev)
    w = out.ground_truth["ev"].to_numpy()
    expected = np.zeros(N)
    expected[500:2500] = Incremental().weights(np.arange(2000), 2000)
    np.testing.assert_array_equal(w, expected)
    selected = w > 0
    changed = assert_contract(frame, out, "region", selected)
    p = 0.8 * w[selected]
    assert binomial_ok(changed.sum(), p)
    assert out.events[0].realised["expected_flip_rate"] == pytest.approx(p.mean())
    # flips follow the ramp: many more in the second half than the first
    assert changed[500:1500].sum() < changed[1500:2500].sum()
    again = run(frame, ev)
    pd.testing.assert_frame_equal(out.frame, again.frame, check_exact=True)
    other = run(frame, ev, seed=8)
    assert not out.frame["region"].equals(other.frame["region"])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(0, 2000),
    length=st.integers(50, 900),
    profile=st.sampled_from(
        [
            {"kind": "abrupt"},
            {"kind": "gradual", "shape": "cosine", "width": 40},
            {"kind": "incremental"},
            {"kind": "recurrent", "period": 20, "duty": 0.5},
        ]
    ),
    fraction=st.sampled_from([None, 0.5]),
    kind=st.sampled_from(["category_flip", "new_category", "typos"]),
)
def test_selections_and_profiles(
    start: int, length: int, profile: dict[str, Any], fraction: float | None, kind: str
) -> None:
    small = make_frame(seed=3)
    where: dict[str, Any] = {"rows": [start, start + length]}
    if fraction is not None:
        where["fraction"] = fraction
    column = "name" if kind == "typos" else "region"
    out = run(
        small, {"kind": kind, "column": column, "rate": 0.9, "where": where, "profile": profile}
    )
    w = out.ground_truth["ev"].to_numpy()
    span = np.zeros(N, dtype=bool)
    span[start : start + length] = True
    assert not w[~span].any()
    prof = {
        "abrupt": None,
        "gradual": Gradual(shape="cosine", width=40),
        "incremental": Incremental(),
        "recurrent": Recurrent(period=20, duty=0.5),
    }[profile["kind"]]
    expected = np.ones(length) if prof is None else prof.weights(np.arange(length), length)
    kept = w[span] > 0 if fraction is not None else np.ones(length, dtype=bool)
    if fraction is None:
        np.testing.assert_allclose(w[span], expected, rtol=0, atol=0)
    else:
        np.testing.assert_allclose(w[span][kept], expected[kept], rtol=0, atol=0)
    assert_contract(small, out, column, w > 0)


def test_category_flip_bad_input(frame: pd.DataFrame) -> None:
    cases = [
        ({"column": "x", "rate": 0.1}, "drift.ev.column", "numeric"),
        ({"column": "nope", "rate": 0.1}, "drift.ev.column", "no column"),
        ({"column": "y", "rate": 0.1}, "drift.ev.column", "target"),
        ({"column": "region", "rate": 1.5}, "drift.ev.rate", "must be 0 to 1"),
        ({"column": "region", "rate": 0.1, "to": {"mars": 1.0}}, "drift.ev.to", "mars"),
        ({"column": "region", "rate": 0.1, "to": {"north": 0.4}}, "drift.ev.to", "sum to 1"),
        ({"column": "region", "rate": 0.1, "reference_block": 5}, "drift.ev.reference_block", ""),
    ]
    for params, path, text in cases:
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "category_flip", **params})
        assert err.value.path == path, (params, str(err.value))
        assert text in err.value.message
    one = frame.assign(region="north")
    with pytest.raises(ScenarioError, match="at least two"):
        run(one, {"kind": "category_flip", "column": "region", "rate": 0.1})


def test_numeric_events_refuse_categorical_columns(frame: pd.DataFrame) -> None:
    with pytest.raises(ScenarioError) as err:
        run(frame, {"kind": "shift", "features": ["region"], "amount": 1.0})
    assert err.value.path == "drift.ev.features"


# --------------------------------------------------------------------------------------------
# category_frequency
# --------------------------------------------------------------------------------------------


def test_category_frequency_exact_at_full_weight(frame: pd.DataFrame) -> None:
    target = {"north": 0.1, "south": 0.15, "east": 0.25, "west": 0.5}
    out = run(frame, {"kind": "category_frequency", "column": "region", "target": target})
    changed = assert_contract(frame, out, "region", np.ones(N, dtype=bool))
    r = out.events[0].realised
    blocks = frame["blk"].to_numpy()
    total_moves = 0
    for b in range(3):
        sel = blocks == b
        n = int(sel.sum())
        want = largest_remainder(np.array([target[c] for c in REGIONS]) * n, n)
        got = out.frame["region"][sel].value_counts()
        assert [int(got.get(c, 0)) for c in REGIONS] == want.tolist()
        before = frame["region"][sel].value_counts()
        total_moves += int(
            sum(max(int(before.get(c, 0)) - w, 0) for c, w in zip(REGIONS, want, strict=True))
        )
    # the fewest rows: exactly the surplus of every category, and each block exact
    assert int(changed.sum()) == total_moves == r["rows_moved"]
    assert r["proportions_after"] == pytest.approx(target, abs=2 / N)
    assert r["expected_proportions"] == pytest.approx(r["proportions_after"], abs=2 / N)
    assert r["total_variation_after"] < 2 / N < r["total_variation_before"]
    for c in REGIONS:
        assert r["proportions_before"][c] == pytest.approx((frame["region"] == c).mean())


def test_category_frequency_partial_weight_moves_proportionally() -> None:
    ev = CategoryFrequency(kind="category_frequency", column="c", target={"a": 1.0})
    prep = ev.prepare_from(["a", "b"])
    frame = pd.DataFrame({"c": ["a"] * 200 + ["b"] * 800})
    out = ev.apply(frame, np.arange(1000), np.full(1000, 0.5), np.random.default_rng(0), prep)
    # halfway from 20% a to 100% a: 60% a
    assert (frame["c"] == "a").sum() == 600
    assert out.stats["moved"] == 400


def test_category_frequency_gradual_and_int_column(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "category_frequency",
        "column": "code",
        "target": {"0": 0.5, "1": 0.5},
        "where": {"blocks": [1, 2]},
        "profile": {"kind": "gradual", "shape": "linear"},
    }
    out = run(frame, ev)
    assert out.frame["code"].dtype == np.int64
    selected = out.ground_truth["ev"].to_numpy() > 0
    assert_contract(frame, out, "code", selected)
    r = out.events[0].realised
    for c in map(str, range(5)):
        assert r["proportions_after"][c] == pytest.approx(
            r["expected_proportions"][c], abs=3 / 2000
        )
    assert r["target"] == {"0": 0.5, "1": 0.5, "2": 0.0, "3": 0.0, "4": 0.0}
    # mean weight ~1/2: categories 2-4 lose about half their rows
    assert r["proportions_after"]["4"] == pytest.approx(r["proportions_before"]["4"] / 2, abs=0.01)


def test_category_frequency_bad_input(frame: pd.DataFrame) -> None:
    for target, text in (
        ({"north": 0.5, "south": 0.6}, "sum to 1"),
        ({"north": 0.5, "mars": 0.5}, "mars"),
        ({"north": 1.5, "south": -0.5}, "[0, 1]"),
    ):
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "category_frequency", "column": "region", "target": target})
        assert err.value.path == "drift.ev.target"
        assert text in err.value.message
    with pytest.raises(ScenarioError) as err:
        run(frame, {"kind": "category_frequency", "column": "x", "target": {"1": 1.0}})
    assert err.value.path == "drift.ev.column"


# --------------------------------------------------------------------------------------------
# new_category
# --------------------------------------------------------------------------------------------


def test_new_category(frame: pd.DataFrame) -> None:
    out = run(
        frame, {"kind": "new_category", "column": "region", "rate": 0.2, "where": {"blocks": [2]}}
    )
    selected = frame["blk"].to_numpy() == 2
    changed = assert_contract(frame, out, "region", selected)
    assert set(out.frame["region"][changed]) == {"region_new"}
    assert "region_new" not in set(frame["region"])
    r = out.events[0].realised
    assert r["value"] == "region_new"
    assert r["rows_changed"] == int(changed.sum())
    assert r["new_category_rate"] == pytest.approx(changed.sum() / 1000)
    assert r["expected_new_category_rate"] == pytest.approx(0.2)
    assert binomial_ok(changed.sum(), np.full(1000, 0.2))
    assert r["preexisting"] == 0

    out = run(frame, {"kind": "new_category", "column": "code", "rate": 0.5, "value": 99})
    assert out.frame["code"].dtype == np.int64
    changed = assert_contract(frame, out, "code", np.ones(N, dtype=bool))
    assert set(out.frame["code"][changed]) == {99}

    # an integer code column's default new value is the next code
    out = run(frame, {"kind": "new_category", "column": "code", "rate": 0.5})
    changed = assert_contract(frame, out, "code", np.ones(N, dtype=bool))
    assert set(out.frame["code"][changed]) == {5} == {int(frame["code"].max()) + 1}
    assert out.events[0].realised["value"] == 5

    out = run(frame, {"kind": "new_category", "column": "cat", "rate": 0.5, "value": "zz"})
    assert_contract(frame, out, "cat", np.ones(N, dtype=bool))
    assert "zz" in set(out.frame["cat"].astype(object))


def test_new_category_bad_input(frame: pd.DataFrame) -> None:
    for params, path in (
        ({"column": "region", "rate": 0.1, "value": "north"}, "drift.ev.value"),
        ({"column": "code", "rate": 0.1, "value": "c"}, "drift.ev.value"),
        ({"column": "code", "rate": 0.1, "value": 3}, "drift.ev.value"),
        ({"column": "region", "rate": 0.1, "value": 3}, "drift.ev.value"),
        ({"column": "flag", "rate": 0.1}, "drift.ev.column"),
        ({"column": "x", "rate": 0.1, "value": "a"}, "drift.ev.column"),
    ):
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "new_category", **params})
        assert err.value.path == path, params
    # the default next code of a uint8 column holding 255 does not fit
    full = frame.assign(u8=np.full(N, 255, dtype=np.uint8))
    with pytest.raises(ScenarioError, match="cannot hold 256") as err:
        run(full, {"kind": "new_category", "column": "u8", "rate": 0.1})
    assert err.value.path == "drift.ev.value"


# --------------------------------------------------------------------------------------------
# merge_categories
# --------------------------------------------------------------------------------------------


def test_merge_categories(frame: pd.DataFrame) -> None:
    out = run(
        frame,
        {
            "kind": "merge_categories",
            "column": "region",
            "categories": ["east", "west"],
            "into": "coast",
        },
    )
    changed = assert_contract(frame, out, "region", np.ones(N, dtype=bool))
    eligible = frame["region"].isin(["east", "west"]).to_numpy()
    assert np.array_equal(changed, eligible)
    assert set(out.frame["region"]) == {"north", "south", "coast"}
    r = out.events[0].realised
    assert r["share_merged"] == r["expected_share_merged"] == 1.0
    assert r["eligible_rows"] == r["rows_merged"] == int(eligible.sum())
    assert r["into_share_before"] == 0.0
    assert r["into_share_after"] == pytest.approx(eligible.mean())

    # into an existing category (the default: the first listed), gradually
    ev = {
        "kind": "merge_categories",
        "column": "region",
        "categories": ["south", "north"],
        "profile": {"kind": "gradual", "shape": "linear"},
    }
    out = run(frame, ev)
    changed = assert_contract(frame, out, "region", np.ones(N, dtype=bool))
    assert set(out.frame["region"][changed]) == {"south"}
    assert not changed[(frame["region"] != "north").to_numpy()].any()
    w = out.ground_truth["ev"].to_numpy()
    active = w > 0  # the first row of the ramp has weight 0: the event does not see it
    north = (frame["region"] == "north").to_numpy() & active
    assert binomial_ok(changed.sum(), w[north])
    r = out.events[0].realised
    assert r["expected_share_merged"] == pytest.approx(w[north].mean())
    assert r["into_share_before"] == pytest.approx((frame["region"] == "south")[active].mean())


def test_merge_categories_bad_input(frame: pd.DataFrame) -> None:
    for params, path in (
        ({"categories": ["north", "mars"]}, "drift.ev.categories"),
        ({"categories": ["north"]}, "drift.ev.into"),
        ({"categories": ["north"], "into": "north"}, "drift.ev.into"),
        ({"categories": []}, "drift.ev.categories"),
    ):
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "merge_categories", "column": "region", **params})
        assert err.value.path == path, params


# --------------------------------------------------------------------------------------------
# typos
# --------------------------------------------------------------------------------------------


def test_typos_rate_and_contract(frame: pd.DataFrame) -> None:
    ev = {
        "kind": "typos",
        "column": "name",
        "rate": 0.3,
        "density": 0.2,
        "where": {"blocks": [0, 2]},
    }
    out = run(frame, ev)
    selected = frame["blk"].to_numpy() != 1
    changed = assert_contract(frame, out, "name", selected)
    assert out.frame["name"].dtype == frame["name"].dtype
    r = out.events[0].realised
    assert r["rows_changed"] == int(changed.sum())
    assert r["expected_typo_rate"] == pytest.approx(0.3)
    assert r["typo_rate"] == pytest.approx(changed.sum() / selected.sum())
    # a typo row always gets an edit; only a swap of two equal characters can undo it
    assert r["typo_rows"] - r["rows_changed"] <= r["edits"]["swap"]
    assert binomial_ok(r["typo_rows"], np.full(int(selected.sum()), 0.3))
    assert set(r["edits"]) == {"swap", "delete", "duplicate", "replace"}


def test_typos_expect_no_typo_in_a_missing_value() -> None:
    """Half the strings are missing: at rate 1 exactly the others change, and the expected
    rate says so (as category_flip's does)."""
    frame = pd.DataFrame({"s": pd.Series(["alpha", None] * 500, dtype=object)})
    r = inject(frame, {"t": {"kind": "typos", "column": "s", "rate": 1.0}}).events[0].realised
    assert r["typo_rows"] == 500
    assert r["expected_typo_rate"] == 0.5
    assert r["typo_rate"] == r["rows_changed"] / 1000


@pytest.mark.parametrize("op", ["swap", "delete", "duplicate", "replace"])
def test_typo_operations(op: str) -> None:
    alphabet = {"alphabet": "xyz"} if op == "replace" else {}  # refused without replace
    ev = Typos(kind="typos", column="s", rate=1.0, density=0.3, operations=[op], **alphabet)
    words = np.array(["hello", "world", "ab", "q", "", "abcdefghijklmnop"] * 200)
    new, counts, chars = ev.edit(words, np.random.default_rng(1))
    assert chars == int(np.char.str_len(words).sum())
    old_len = np.char.str_len(words)
    new_len = np.char.str_len(new)
    edits = counts[op]
    if op == "delete":
        # a one-character string keeps its character: a typo never erases a value
        assert (new_len <= old_len - (old_len > 1)).all() and (new_len[old_len > 0] > 0).all()
        assert (old_len - new_len).sum() == edits
    elif op == "duplicate":
        assert (new_len >= old_len + (old_len > 0)).all()
        assert (new_len - old_len).sum() == edits
    elif op == "swap":
        assert (new_len == old_len).all()
        assert all(sorted(a) == sorted(b) for a, b in zip(words, new, strict=True))
        assert (new[old_len == 1] == words[old_len == 1]).all()  # nothing to swap with
    else:
        assert (new_len == old_len).all()
        diff = np.array(
            [
                sum(x != y for x, y in zip(a, b, strict=True))
                for a, b in zip(words, new, strict=True)
            ]
        )
        assert diff.sum() == edits  # a replacement never keeps the character
        assert all(set(b) - set(a) <= set("xyz") for a, b in zip(words, new, strict=True))
        # every non-empty string changes: one forced edit plus density per character
        assert (diff[old_len > 0] >= 1).all()
        expected = ((old_len > 0) * (1 + 0.3 * np.maximum(old_len - 1, 0))).sum()
        assert abs(edits - expected) < 4 * np.sqrt(0.3 * 0.7 * old_len.sum())
    assert (new[old_len == 0] == "").all()


def test_typos_in_a_categorical_column_add_categories(frame: pd.DataFrame) -> None:
    """A categorical column of strings stays categorical: its categories are kept, in order,
    and each misspelt value is added as a new category."""
    out = run(frame, {"kind": "typos", "column": "cat", "rate": 0.5, "where": {"blocks": [1]}})
    selected = frame["blk"].to_numpy() == 1
    old = frame["cat"].astype(str).to_numpy()
    new = out.frame["cat"]
    assert isinstance(new.dtype, pd.CategoricalDtype)
    cats = list(new.cat.categories)
    assert cats[:3] == ["a", "b", "c"]
    changed = new.astype(str).to_numpy() != old
    assert not changed[~selected].any()
    # the categories are the old ones and the values typos made (no unused one added)
    made = set(new.astype(str)[changed])
    assert set(cats) == {"a", "b", "c"} | made
    assert len(made - {"a", "b", "c"}) > 3
    assert out.ground_truth["ev__changed"].to_numpy().tolist() == changed.tolist()
    assert binomial_ok(int(changed.sum()), np.full(int(selected.sum()), 0.5))


def test_typos_keep_missing_values_and_refuse_non_strings() -> None:
    df = pd.DataFrame({"s": ["abc", None, "de", None] * 50, "y": [0, 1] * 100})
    out = inject(df, {"ev": {"kind": "typos", "column": "s", "rate": 1.0}}, target="y")
    assert out.frame["s"].isna().sum() == 100
    assert out.ground_truth["ev__changed"].sum() == 100
    frame = make_frame(300)
    frame["int_cat"] = pd.Categorical(frame["code"])
    for column in ("code", "int_cat", "x"):
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "typos", "column": column, "rate": 0.1})
        assert err.value.path == "drift.ev.column"
    for params, path in (
        ({"operations": ["swap", "swap"]}, "drift.ev.operations"),
        ({"operations": ["flip"]}, "drift.ev.operations.0"),
        ({"density": 2.0}, "drift.ev.density"),
        ({"alphabet": "aa"}, "drift.ev.alphabet"),
    ):
        with pytest.raises(ScenarioError) as err:
            run(frame, {"kind": "typos", "column": "name", "rate": 0.1, **params})
        assert err.value.path == path, params


# --------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------


def test_end_to_end_loans(tmp_path: Path) -> None:
    drift = {
        "flip": {
            "kind": "category_flip",
            "column": "region",
            "rate": 0.2,
            "where": {"blocks": [1]},
        },
        "freq": {
            "kind": "category_frequency",
            "column": "region",
            "target": {"north": 0.7, "south": 0.1, "east": 0.1, "west": 0.1},
            "where": {"blocks": [2]},
        },
        "new": {"kind": "new_category", "column": "region", "rate": 0.1, "where": {"blocks": [3]}},
        "merge": {
            "kind": "merge_categories",
            "column": "region",
            "categories": ["east", "west"],
            "into": "coast",
            "where": {"blocks": [3]},
        },
        "typo": {"kind": "typos", "column": "region", "rate": 0.1, "where": {"blocks": [0]}},
    }
    sc = {
        "name": "loans_cat",
        "seed": 3,
        "generator": {
            "kind": "table",
            "params": {"source": "bundled:loans.csv", "target": "default"},
        },
        "schedule": {"blocks": 4},
        "drift": drift,
    }
    m = calmops_gen.run(sc, root=tmp_path)
    ev = {e.id: e for e in m.events}
    base = calmops_gen.run({**sc, "drift": {}}, root=tmp_path / "base")
    old, new = calmops_gen.read_frame(base), calmops_gen.read_frame(m)
    truth = calmops_gen.read_ground_truth(m)
    assert ev["flip"].realised["rows_flipped"] == int(truth["flip__changed"].sum())
    assert ev["flip"].realised["expected_flip_rate"] == pytest.approx(0.2)
    assert ev["freq"].realised["proportions_after"] == pytest.approx(
        {"north": 0.7, "south": 0.1, "east": 0.1, "west": 0.1}, abs=1 / 750
    )
    assert ev["new"].realised["rows_changed"] == int((new["region"] == "region_new").sum())
    assert ev["merge"].realised["share_merged"] == 1.0
    assert (new["region"][old["block"] == 3].isin(["east", "west"])).sum() == 0
    assert ev["typo"].realised["rows_changed"] == int(truth["typo__changed"].sum())
    assert new["region"].dtype == old["region"].dtype
    for c in ("age", "income", "credit_score", "loan_amount", "default"):
        pd.testing.assert_series_equal(new[c], old[c], check_exact=True)


DICTIONARY = pd.ArrowDtype(pa.dictionary(pa.int8(), pa.string(), ordered=True))


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "merge_categories", "column": "c", "categories": ["a", "b"]},
        {"kind": "category_flip", "column": "c", "rate": 1.0},
        {"kind": "new_category", "column": "c", "rate": 1.0},
        {"kind": "category_frequency", "column": "c", "target": {"a": 0.0, "b": 0.0, "c": 1.0}},
        {"kind": "typos", "column": "c", "rate": 1.0},
    ],
    ids=lambda e: e["kind"],
)
def test_arrow_dictionary_columns_keep_missing_values_and_category_order(event: dict) -> None:
    """An Arrow dictionary column (``read_parquet(dtype_backend="pyarrow")`` of a category
    column): missing values outside the selection stay missing (pandas' setitem on such a
    column fills them in), the dictionary keeps its order and the changed flags are exact."""
    values = ["c", None, "a", "b", None, "b", "a", "b", None, "a"] * 3
    df = pd.DataFrame({"c": pd.Series(values, dtype=DICTIONARY)})
    out = inject(df, {"e": {**event, "where": {"rows": [20, 30]}}}, seed=3)
    col = out.frame["c"]
    assert col.dtype == DICTIONARY
    assert pa.array(col).dictionary.to_pylist()[:3] == ["c", "a", "b"]
    before = df["c"].astype(object).where(df["c"].notna(), None).tolist()
    after = col.astype(object).where(col.notna(), None).tolist()
    assert after[:20] == before[:20]
    differs = np.array([x != y for x, y in zip(before, after, strict=True)])
    assert differs[20:].any()
    flags = out.ground_truth.get("e__changed")
    if flags is not None:
        np.testing.assert_array_equal(flags.to_numpy(), differs)


def test_a_dictionary_too_small_for_a_new_value_is_an_error() -> None:
    """128 values fill an int8 dictionary; a new one cannot be numbered."""
    names = [f"v{i}" for i in range(128)]
    df = pd.DataFrame(
        {"c": pd.Series(names, dtype=pd.ArrowDtype(pa.dictionary(pa.int8(), pa.string())))}
    )
    with pytest.raises(
        ScenarioError, match=r"drift\.n\.column: 'c' is a dictionary column with int8"
    ):
        inject(df, {"n": {"kind": "new_category", "column": "c", "rate": 1.0}})


@pytest.mark.parametrize("operations", [None, ["delete"], ["delete", "replace"]])
def test_typos_never_erase_a_value(operations: list[str] | None) -> None:
    """Deleting every character of a string is not a typo: one-character strings and strings
    whose every character is drawn to be deleted keep text (a duplicate or replace instead,
    or with neither allowed the forced character), and the edit counts say what was done."""
    df = pd.DataFrame({"c": ["a", "b", "xy", "pq"] * 50})
    event: dict[str, Any] = {"kind": "typos", "column": "c", "rate": 1.0, "density": 1.0}
    if operations is not None:
        event["operations"] = operations
    out = inject(df, {"t": event}, seed=4)
    new = out.frame["c"]
    assert (new.str.len() > 0).all()
    differs = (new != df["c"]).to_numpy()
    np.testing.assert_array_equal(out.ground_truth["t__changed"].to_numpy(), differs)
    realised = out.events[0].realised
    assert realised["rows_changed"] == int(differs.sum())
    if operations == ["delete"]:  # only the two-character strings can lose a character
        assert new.tolist()[:4] == ["a", "b", new[2], new[3]] and new.str.len().max() == 1
        assert realised["edits"] == {"delete": 100}


def test_an_arrow_dictionary_that_repeats_a_value_takes_writes() -> None:
    """Arrow allows a dictionary to hold a value twice; a write maps each value to its first
    place (pandas' indexer refused a repeated index)."""
    codes = pa.array([0, 1, 2, None, 2, 0], type=pa.int8())
    column = pa.DictionaryArray.from_arrays(codes, pa.array(["a", "a", "b"]))
    df = pd.DataFrame({"c": pd.Series(pd.array(column, dtype=pd.ArrowDtype(column.type)))})
    out = inject(
        df,
        {"m": {"kind": "merge_categories", "column": "c", "categories": ["a", "b"], "into": "b"}},
    )
    assert [None if pd.isna(v) else v for v in out.frame["c"]] == ["b", "b", "b", None, "b", "b"]


def test_a_category_an_earlier_event_adds_is_named_as_such_when_refused(tmp_path: Path) -> None:
    """Categories are the column's as generated, before any event: naming a value that
    ``new_category`` adds is refused with that reason (it said only "unknown category 3")."""
    drift = {
        "nc": {"kind": "new_category", "column": "color", "rate": 0.2},
        "mc": {"kind": "merge_categories", "column": "color", "categories": [0, 3], "into": 0},
    }
    scenario = {
        "name": "t",
        "generator": {"kind": "stagger"},
        "schedule": {"blocks": 2, "rows_per_block": 100},
        "drift": drift,
    }
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(scenario, root=tmp_path)
    assert err.value.path == "drift.mc.categories"
    assert err.value.message == (
        "unknown category 3; known: 0, 1, 2 (the column's categories as generated, before "
        "any event: a value an earlier event adds (new_category, merge_categories into a new "
        "value) is not one of them)"
    )
