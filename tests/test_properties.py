"""Property-based tests: for any selection and profile, the ground-truth weight of every row
is the declared profile at the row's rank in the span (0 outside), and the data moves by
exactly weight x amount (nothing else changes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmops_gen.errors import ScenarioError
from calmops_gen.generators.sea import SeaParams
from calmops_gen.injector import inject
from calmops_gen.profiles import ramp_weights
from calmops_gen.schedule import (
    AbruptTransition,
    GradualTransition,
    IncrementalTransition,
    block_layout,
)
from calmops_gen.timeline import Timeline

N = 240
BLOCKS = 4  # 60 rows each


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=N),
            "k": rng.integers(0, 5, N),
            "b": np.repeat(np.arange(BLOCKS), N // BLOCKS),
            "y": rng.integers(0, 2, N),
        }
    )


FRAME = _frame()

profiles = st.one_of(
    st.just({"kind": "abrupt"}),
    st.builds(
        lambda shape, width: {"kind": "gradual", "shape": shape, "width": width},
        st.sampled_from(["sigmoid", "linear", "cosine"]),
        st.integers(1, 40),
    ),
    st.just({"kind": "incremental"}),
    st.builds(
        # at least one on-row a period, and edges as long as leave one of them at full weight
        # (a duty that rounds to no row, and longer edges, are refused)
        lambda period, on, edge: {"kind": "recurrent", "period": period, "duty": on / period,
                                  "edge": min(edge, (on - 1) // 2)},
        st.integers(2, 30), st.integers(1, 30), st.integers(0, 3),
    ).filter(lambda p: p["duty"] <= 1.0),
)  # fmt: skip


@st.composite
def selections(draw: st.DrawFn) -> dict:
    where: dict = {}
    if draw(st.booleans()):
        where["blocks"] = sorted(draw(st.sets(st.integers(0, BLOCKS - 1), min_size=1)))
    if draw(st.booleans()):
        a = draw(st.integers(0, N - 2))
        where["rows"] = [a, draw(st.integers(a + 1, N))]
    if draw(st.booleans()):
        where["condition"] = [{"column": "k", "op": draw(st.sampled_from(["<", ">=", "!="])),
                               "value": draw(st.integers(0, 4))}]  # fmt: skip
    return where


def _span(where: dict) -> np.ndarray:
    mask = np.ones(N, dtype=bool)
    if "blocks" in where:
        mask &= np.isin(FRAME["b"].to_numpy(), where["blocks"])
    if "rows" in where:
        idx = np.arange(N)
        mask &= (idx >= where["rows"][0]) & (idx < where["rows"][1])
    return np.flatnonzero(mask)


def _expected_weights(profile: dict, ranks: np.ndarray, total: int) -> np.ndarray:
    kind = profile["kind"]
    if kind == "abrupt":
        return np.ones(len(ranks))
    if kind == "gradual":
        return ramp_weights(profile["shape"], ranks, profile["width"])
    if kind == "incremental":
        return ramp_weights("linear", ranks, total)
    on = max(1, round(profile["duty"] * profile["period"]))
    phase = ranks % profile["period"]
    w = (phase < on).astype(float)
    if profile["edge"]:
        k = np.minimum(phase, on - 1 - phase)
        ramped = (k < profile["edge"]) & (phase < on)
        w[ramped] = (k[ramped] + 1) / (profile["edge"] + 1)  # linear edges by default
    return w


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=selections(), profile=profiles, amount=st.floats(-5, 5, allow_nan=False))
def test_weights_follow_profile_and_data_moves_by_weight(where, profile, amount):
    span = _span(where)
    need = profile.get("width", profile.get("period", 1))
    if len(span) == 0 or need > len(span):
        return  # the engine rejects these (tested in the bad-input table)
    keep = np.ones(len(span), dtype=bool)
    for cond in where.get("condition", []):
        values = FRAME["k"].to_numpy()[span]
        keep &= {"<": values < cond["value"], ">=": values >= cond["value"],
                 "!=": values != cond["value"]}[cond["op"]]  # fmt: skip
    events = {"s": {"kind": "shift", "features": ["x"], "amount": amount, "where": where,
                    "profile": profile}}  # fmt: skip
    if not keep.any():  # a condition that keeps no row would be a silent no-op: an error
        with pytest.raises(ScenarioError, match="kept none of the"):
            inject(FRAME, events, block_column="b", target="y")
        return
    out = inject(FRAME, events, block_column="b", target="y")
    expected = np.zeros(N)
    weights = _expected_weights(profile, np.arange(len(span)), len(span))
    expected[span[keep]] = weights[keep]
    truth = out.ground_truth["s"].to_numpy()
    np.testing.assert_allclose(truth, expected, rtol=0, atol=1e-12)
    delta = out.frame["x"].to_numpy() - FRAME["x"].to_numpy()
    np.testing.assert_allclose(delta, expected * amount, rtol=1e-12, atol=1e-12)
    untouched = expected == 0
    assert (out.frame["x"].to_numpy()[untouched] == FRAME["x"].to_numpy()[untouched]).all()
    pd.testing.assert_frame_equal(out.frame[["k", "b", "y"]], FRAME[["k", "b", "y"]])
    info = out.events[0]
    assert info.rows_selected == int(keep.sum())
    assert info.rows_affected == int((expected > 0).sum())


@settings(max_examples=60, deadline=None)
@given(fraction=st.floats(0.05, 1.0), seed=st.integers(0, 2**31))
def test_fraction_thins_without_moving_the_profile(fraction, seed):
    out = inject(
        FRAME,
        {"s": {"kind": "shift", "features": ["x"], "amount": 1.0,
               "where": {"fraction": fraction}, "profile": {"kind": "incremental"}}},
        seed=seed, block_column="b",
    )  # fmt: skip
    w = out.ground_truth["s"].to_numpy()
    kept = np.flatnonzero(w > 0)
    # kept rows keep the weight of their rank in the whole span: r / (N - 1)
    np.testing.assert_allclose(w[kept], kept / (N - 1), rtol=0, atol=1e-12)
    again = inject(
        FRAME,
        {"s": {"kind": "shift", "features": ["x"], "amount": 1.0,
               "where": {"fraction": fraction}, "profile": {"kind": "incremental"}}},
        seed=seed, block_column="b",
    )  # fmt: skip
    pd.testing.assert_frame_equal(out.frame, again.frame)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=40),
    st.booleans(),
)
def testblock_layout_matches_grouping_by_first_appearance(ids: list[int], sort: bool) -> None:
    # a sorted integer block column takes the run-boundary path, any other the factorising
    # one; both must give the sizes in order of first appearance and a grouping order
    values = sorted(ids) if sort else ids
    sizes, order = block_layout(pd.Series(values, dtype=np.int64))
    grouped = [values[i] for i in (order if order is not None else range(len(values)))]
    first_seen = list(dict.fromkeys(values))
    assert sizes == [values.count(v) for v in first_seen]
    assert grouped == [v for v in first_seen for _ in range(values.count(v))]
    if order is not None:  # stable: rows of a block keep their order
        for v in first_seen:
            picked = [i for i in order if values[i] == v]
            assert picked == sorted(picked)


# --------------------------------------------------------------------------------------------
# several events composed
# --------------------------------------------------------------------------------------------

MIXED = pd.DataFrame(
    {
        **{name: FRAME[name] for name in FRAME.columns},
        "z": pd.array(np.random.default_rng(1).normal(size=N), dtype="Float64"),
        "c": pd.Series(np.random.default_rng(2).choice(["red", "green", "blue"], N), dtype=object),
    }
)

#: event kind -> (parameters, columns it may change)
POOL: dict[str, tuple[dict, tuple[str, ...]]] = {
    "shift": ({"features": ["x"], "amount": 1.0}, ("x",)),
    "scale": ({"features": ["z"], "factor": 2.0}, ("z",)),
    "noise": ({"features": ["x", "z"], "amount": 0.3}, ("x", "z")),
    "outliers": ({"features": ["z"], "rate": 0.2}, ("z",)),
    "missing": ({"features": ["x", "c"], "rate": 0.2}, ("x", "c")),
    "category_flip": ({"column": "c", "rate": 0.4}, ("c",)),
    "new_category": ({"column": "c", "rate": 0.2}, ("c",)),
    "typos": ({"column": "c", "rate": 0.3}, ("c",)),
    "label_flip": ({"rate": 0.3}, ("y",)),
    "trend": ({"features": ["x"], "form": "cycle", "amplitude": 1.0, "period": 17}, ("x",)),
}


def _identical(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-wise equality, two missing values being equal."""
    both = a.isna().to_numpy() & b.isna().to_numpy()
    same = a.astype(object).to_numpy() == b.astype(object).to_numpy()
    return np.asarray(same, dtype=bool) | both


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chosen=st.lists(
        st.tuples(st.sampled_from(sorted(POOL)), selections(), profiles), min_size=2, max_size=4
    ),
    seed=st.integers(0, 2**31),
)
def test_composed_events_touch_only_their_rows_and_columns(chosen, seed):
    """Any 2-4 events in sequence: the input is untouched, the same seed gives the same
    result, every ground-truth weight is in [0, 1], a cell changes only in a column one of
    the events may change and at a row one of those events weighted, and the events are
    recorded in declared order."""
    events = {
        f"e{i}_{kind}": {"kind": kind, **POOL[kind][0], "where": where, "profile": profile}
        for i, (kind, where, profile) in enumerate(chosen)
    }
    before = MIXED.copy()
    try:
        out = inject(MIXED, events, seed=seed, block_column="b", target="y")
    except ScenarioError as err:
        # only refusals a selection can cause: no rows, or a profile longer than the span
        assert err.path.split(".")[-1] in {"where", "width", "period"}, str(err)
        return
    pd.testing.assert_frame_equal(MIXED, before)
    again = inject(MIXED, events, seed=seed, block_column="b", target="y")
    pd.testing.assert_frame_equal(out.frame, again.frame)
    pd.testing.assert_frame_equal(out.ground_truth, again.ground_truth)
    assert [e.id for e in out.events] == list(events)
    truth = out.ground_truth
    for name in MIXED.columns:
        may = [
            eid for eid, (kind, _, _) in zip(events, chosen, strict=True) if name in POOL[kind][1]
        ]
        touched = np.zeros(N, dtype=bool)
        for eid in may:
            w = truth[eid].to_numpy()
            assert ((w >= 0) & (w <= 1)).all()
            touched |= w > 0
        unchanged = _identical(out.frame[name], MIXED[name])
        assert unchanged[~touched].all(), (name, np.flatnonzero(~unchanged & ~touched)[:5])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    cuts=st.lists(st.integers(1, 300), max_size=4, unique=True),
    ids=st.lists(st.integers(0, 2), min_size=5, max_size=5),
    kind=st.sampled_from(["abrupt", "gradual", "incremental"]),
    shape=st.sampled_from(["sigmoid", "linear", "cosine"]),
    width=st.integers(1, 80),
    start=st.integers(0, 350),
    size=st.integers(1, 120),
)
def test_a_blocks_concepts_are_found_without_its_rows(
    cuts: list[int], ids: list[int], kind: str, shape: str, width: int, start: int, size: int
) -> None:
    """The planner lists a block's concepts piece by piece (no per-row arrays: a block may
    be too large for them); they are the concepts of the block's per-row segments."""
    starts = np.array([0, *sorted(cuts)], dtype=np.int64)
    order = np.array(ids[: len(starts)], dtype=np.int64)
    for i in range(1, len(order)):  # a change is to another concept
        if order[i] == order[i - 1]:
            order[i] = (order[i] + 1) % 3
    transition = {
        "abrupt": AbruptTransition(),
        "gradual": GradualTransition(width=width, shape=shape),
        "incremental": IncrementalTransition(width=width, shape=shape),
    }[kind]
    timeline = Timeline(starts, order, tuple(SeaParams(variant=v) for v in range(3)), transition)
    segments = timeline.block(start, size).segments
    assert timeline.concept_ids(start, size) == tuple(sorted({s.concept for s in segments}))
