"""Exact profile and transition shapes (calmops_gen.profiles, calmops_gen.schedule).

The maths is exact, so these tests compare with independent formulas, exactly or to 1e-12.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import sea
from pydantic import ValidationError

import calmops_gen
from calmops_gen.profiles import Abrupt, Gradual, Incremental, Recurrent, ramp, ramp_weights
from calmops_gen.schedule import new_concept_rows

SHAPES = ["linear", "cosine", "sigmoid"]


def _sigmoid_reference(t: np.ndarray, k: float = 10.0) -> np.ndarray:
    """The docstring's rescaled logistic, written independently."""
    f = [1.0 / (1.0 + math.exp(-k * (x - 0.5))) for x in t]
    lo, hi = 1.0 / (1.0 + math.exp(k / 2)), 1.0 / (1.0 + math.exp(-k / 2))
    return np.array([(v - lo) / (hi - lo) for v in f])


REFERENCE = {
    "linear": lambda t: np.asarray(t, dtype=float),
    "cosine": lambda t: np.array([(1 - math.cos(math.pi * x)) / 2 for x in t]),
    "sigmoid": _sigmoid_reference,
}


# --------------------------------------------------------------------------------------------
# Ramps
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_ramp_endpoints_are_exact_and_curve_is_monotonic(shape: str) -> None:
    t = np.linspace(0.0, 1.0, 1001)
    w = ramp(shape, t)
    assert w[0] == 0.0 and w[-1] == 1.0  # exactly, not approximately
    assert np.all(np.diff(w) >= 0.0)
    assert np.all((w >= 0.0) & (w <= 1.0))
    np.testing.assert_allclose(w, REFERENCE[shape](t), rtol=0, atol=1e-12)
    # every shape is symmetric about its midpoint: w(t) + w(1 - t) == 1
    np.testing.assert_allclose(w + w[::-1], 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("width", [1, 2, 3, 10, 257])
def test_ramp_weights_over_width(shape: str, width: int) -> None:
    positions = np.arange(width + 5)
    w = ramp_weights(shape, positions, width)
    if width == 1:
        assert w.tolist() == [1.0] * (width + 5)
        return
    expected = REFERENCE[shape](np.arange(width) / (width - 1))
    np.testing.assert_allclose(w[:width], expected, rtol=0, atol=1e-12)
    assert w[0] == 0.0 and w[width - 1] == 1.0
    assert w[width:].tolist() == [1.0] * 5


# --------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------


def test_abrupt_is_one_everywhere() -> None:
    assert Abrupt().weights(np.arange(7), 7).tolist() == [1.0] * 7


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("width", "total"), [(5, 9), (40, 40), (1, 3)])
def test_gradual_profile(shape: str, width: int, total: int) -> None:
    w = Gradual(shape=shape, width=width).weights(np.arange(total), total)
    assert w.tolist() == ramp_weights(shape, np.arange(total), width).tolist()
    if width > 1:
        assert w[0] == 0.0
    assert w[width - 1] == 1.0 and np.all(w[width:] == 1.0)
    assert np.all(np.diff(w) >= 0)


@pytest.mark.parametrize("shape", SHAPES)
def test_gradual_default_width_is_the_whole_selection(shape: str) -> None:
    total = 33
    w = Gradual(shape=shape).weights(np.arange(total), total)
    assert w[0] == 0.0 and w[-1] == 1.0
    np.testing.assert_allclose(
        w, REFERENCE[shape](np.arange(total) / (total - 1)), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("n", [2, 3, 7, 100, 1001])
def test_incremental_is_p_over_n_minus_one(n: int) -> None:
    w = Incremental().weights(np.arange(n), n)
    assert w.tolist() == [p / (n - 1) for p in range(n)]


def test_incremental_of_one_row_is_one() -> None:
    assert Incremental().weights(np.arange(1), 1).tolist() == [1.0]


def _recurrent_reference(n: int, period: int, duty: float, edge: int, shape: str) -> list[float]:
    on = max(1, round(duty * period))
    out = []
    for p in range(n):
        phase = p % period
        if phase >= on:
            out.append(0.0)
            continue
        k = min(phase, on - 1 - phase)
        if edge and k < edge:
            out.append(float(REFERENCE[shape](np.array([(k + 1) / (edge + 1)]))[0]))
        else:
            out.append(1.0)
    return out


@pytest.mark.parametrize(
    ("period", "duty", "edge", "shape"),
    [
        (4, 0.5, 0, "linear"),
        (10, 0.3, 0, "linear"),
        (10, 0.25, 0, "linear"),  # round(2.5) == 2 (half to even)
        (7, 1.0, 0, "linear"),
        (20, 0.5, 3, "linear"),
        (20, 0.6, 2, "cosine"),
        (30, 0.5, 4, "sigmoid"),
    ],
)
def test_recurrent_profile(period: int, duty: float, edge: int, shape: str) -> None:
    n = 3 * period + 3
    w = Recurrent(period=period, duty=duty, edge=edge, shape=shape).weights(np.arange(n), n)
    np.testing.assert_allclose(
        w, _recurrent_reference(n, period, duty, edge, shape), rtol=0, atol=1e-12
    )
    on = max(1, round(duty * period))
    # the duty share of each full period is on (weight > 0), the rest exactly 0
    for c in range(3):
        cycle = w[c * period : (c + 1) * period]
        assert int(np.sum(cycle > 0)) == on
        assert np.all(cycle[on:] == 0.0)
        if edge:
            # ramps up then down symmetrically, never reaching 0 inside the on-phase
            assert np.allclose(cycle[:on], cycle[:on][::-1])
            assert cycle[0] < 1.0 and cycle[0] > 0.0


@pytest.mark.parametrize(("period", "duty", "edge", "fits"), [(10, 0.5, 3, 2), (40, 0.5, 10, 9)])
def test_recurrent_edges_must_leave_a_row_at_full_weight(
    period: int, duty: float, edge: int, fits: int
) -> None:
    """Otherwise the event never reaches its size (edge 1000 on 100-row on-phases: 0.02)."""
    Recurrent(period=period, duty=duty, edge=fits)
    with pytest.raises(ValidationError, match=f"over {edge} rows .* at most {fits} fits") as err:
        Recurrent(period=period, duty=duty, edge=edge)
    assert err.value.errors()[0]["loc"] == ("edge",)
    w = Recurrent(period=period, duty=duty, edge=fits).weights(np.arange(period), period)
    assert w.max() == 1.0


def test_recurrent_example_from_docs() -> None:
    assert Recurrent(period=4, duty=0.5).weights(np.arange(8), 8).tolist() == [
        1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0,
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Gradual concept transitions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("width", [1, 2, 5, 50, 333, 2000])
def test_new_concept_rows_track_cumulative_weight(shape: str, width: int) -> None:
    new = new_concept_rows(width, shape)
    assert new.dtype == np.bool_ and new.shape == (width,)
    cumulative = np.cumsum(ramp_weights(shape, np.arange(width), width))
    counts = np.cumsum(new)
    # after every prefix, new-concept rows differ from the declared cumulative weight by <= 1/2
    assert np.max(np.abs(counts - cumulative)) <= 0.5 + 1e-12
    assert bool(new[-1])  # the last row of the window has weight 1: new concept
    if width > 1:
        assert not bool(new[0])  # the first row has weight 0: old concept


@pytest.mark.parametrize("shape", SHAPES)
def test_gradual_transition_end_to_end(tmp_path: Path, shape: str) -> None:
    rows, width = 600, 400
    sc = sea(
        schedule={
            "blocks": 3,
            "rows_per_block": rows,
            "block_params": {1: {"variant": 1}},
            "transition": {"kind": "gradual", "width": width, "shape": shape},
        }
    )
    manifest = calmops_gen.run(sc, root=tmp_path)
    truth = calmops_gen.read_ground_truth(manifest)
    frame = calmops_gen.read_frame(manifest)
    concept = truth["concept"].to_numpy()
    # before the window: all old; after it: all new
    assert concept[:rows].tolist() == [0] * rows
    assert concept[rows + width :].tolist() == [1] * (2 * rows - width)
    window = concept[rows : rows + width]
    assert window.tolist() == new_concept_rows(width, shape).astype(int).tolist()
    cumulative = np.cumsum(ramp_weights(shape, np.arange(width), width))
    assert np.max(np.abs(np.cumsum(window) - cumulative)) <= 0.5 + 1e-12
    # the ground truth tells the truth: each row follows its concept's SEA threshold
    threshold = np.where(concept == 0, 8.0, 9.0)
    labels = (frame["x0"] + frame["x1"]).to_numpy() > threshold
    assert np.array_equal(labels, frame["y"].to_numpy())
    assert [b.concepts for b in manifest.blocks] == [[0], [0, 1], [1]]


@pytest.mark.parametrize("shape", SHAPES)
def test_block_records_list_the_concepts_that_produce_their_rows(
    tmp_path: Path, shape: str
) -> None:
    """A 1,000-row window over ten 100-row blocks: a sigmoid hands over no row in its first
    block and keeps none of the old concept in its last (both were listed anyway)."""
    sc = sea(
        schedule={
            "blocks": 12,
            "rows_per_block": 100,
            "concepts": {"A": {"variant": 0}, "B": {"variant": 3}},
            "sequence": [{"concept": "A", "rows": 200}, {"concept": "B", "rows": 1000}],
            "repeat": False,
            "transition": {"kind": "gradual", "width": 1000, "shape": shape},
        }
    )
    manifest = calmops_gen.run(sc, root=tmp_path)
    truth = calmops_gen.read_ground_truth(manifest)
    found = [sorted(set(g["concept"])) for _, g in truth.groupby("block")]
    assert [b.concepts for b in manifest.blocks] == found
    assert found[2] == ([0] if shape == "sigmoid" else [0, 1])
    # a block's params are those of the concept of its first row (they were the new
    # concept's from the change on, though a window's first row is always the old one)
    variants = {0: 0, 1: 3}
    firsts = truth.groupby("block")["concept"].first().tolist()
    assert [b.params["variant"] for b in manifest.blocks] == [variants[c] for c in firsts]
    assert manifest.blocks[2].params["variant"] == 0


# --------------------------------------------------------------------------------------------
# Drift-event profiles across block edges
# --------------------------------------------------------------------------------------------

PROFILES = [
    pytest.param({"kind": "abrupt"}, id="abrupt"),
    pytest.param({"kind": "gradual", "shape": "linear", "width": 500}, id="gradual-linear"),
    pytest.param({"kind": "gradual", "shape": "cosine", "width": 300}, id="gradual-cosine"),
    pytest.param({"kind": "gradual", "shape": "sigmoid"}, id="gradual-sigmoid-all"),
    pytest.param({"kind": "incremental"}, id="incremental"),
    pytest.param({"kind": "recurrent", "period": 120, "duty": 0.4}, id="recurrent"),
    pytest.param(
        {"kind": "recurrent", "period": 90, "duty": 0.5, "edge": 10, "shape": "cosine"},
        id="recurrent-edges",
    ),
]


@pytest.mark.parametrize("profile", PROFILES)
def test_event_profile_is_one_curve_across_block_edges(tmp_path: Path, profile: dict) -> None:
    """Rows [150, 850) span three blocks of 400; the weights follow one curve over them."""
    a, b, amount = 150, 850, 2.0
    event = {
        "kind": "shift",
        "features": ["x0"],
        "amount": amount,
        "where": {"rows": [a, b]},
        "profile": profile,
    }
    sc = sea(drift={"up": event})
    manifest = calmops_gen.run(sc, root=tmp_path / "drift")
    base = calmops_gen.run(sea(), root=tmp_path / "base")
    truth = calmops_gen.read_ground_truth(manifest)["up"].to_numpy()
    from calmops_gen.drift import EVENTS

    model = EVENTS.get("shift", "kind").model_validate(event).profile
    expected = np.zeros(1200)
    expected[a:b] = model.weights(np.arange(b - a), b - a)
    assert truth.tolist() == expected.tolist()  # exact
    # the data moved by exactly weight * amount, row by row
    new = calmops_gen.read_frame(manifest)["x0"].to_numpy()
    old = calmops_gen.read_frame(base)["x0"].to_numpy()
    assert np.array_equal(new, old + expected * amount)


def test_a_sequence_sets_the_columns_and_classes_of_its_concepts(tmp_path: Path) -> None:
    """The generator's parameters give way to the sequence's first concept (the columns and
    classes were the base parameters': has_noise's columns dropped, four classes counted as
    two); a concept with other columns is named."""

    def seq(kind: str, concepts: dict) -> dict:
        names = list(concepts)
        return {"name": "seq", "seed": 1, "generator": {"kind": kind},
                "schedule": {"blocks": 2, "rows_per_block": 300, "concepts": concepts,
                             "sequence": [{"concept": n, "rows": 300} for n in names]}}  # fmt: skip

    m = calmops_gen.run(seq("sine", {"A": {"has_noise": True}}), root=tmp_path)
    assert list(calmops_gen.read_frame(m).columns) == ["x0", "x1", "x2", "x3", "y", "block"]
    m = calmops_gen.run(seq("random_tree", {"A": {"n_classes": 4}}), root=tmp_path)
    counts = [b.class_counts for b in m.blocks]
    frame = calmops_gen.read_frame(m)
    assert sorted(counts[0]) == ["0", "1", "2", "3"]
    assert sum(c["3"] for c in counts) == int((frame["y"] == 3).sum()) > 0
    with pytest.raises(calmops_gen.ScenarioError, match="changes the dataset's columns") as err:
        calmops_gen.run(seq("random_rbf", {"A": {"n_features": 2}, "B": {}}), root=tmp_path)
    assert err.value.path == "schedule.concepts.B"


def test_a_transition_runs_across_the_blocks_a_concept_lasts(tmp_path: Path) -> None:
    """block_params carry a concept forward: a 1,500-row window over two 1,000-row blocks of
    it is one transition (it was refused as wider than one block), with the same rows as the
    sequence that says the same thing."""
    transition = {"kind": "gradual", "width": 1500, "shape": "linear"}
    by_blocks = calmops_gen.run(
        sea(schedule={"blocks": 4, "rows_per_block": 1000, "block_params": {2: {"variant": 3}},
                      "transition": transition}),
        root=tmp_path / "a",
    )  # fmt: skip
    by_sequence = calmops_gen.run(
        sea(schedule={"blocks": 4, "rows_per_block": 1000,
                      "concepts": {"A": {"variant": 0}, "B": {"variant": 3}},
                      "sequence": [{"concept": "A", "rows": 2000}, {"concept": "B", "rows": 1000},
                                   {"concept": "B", "rows": 1000}],
                      "repeat": False, "transition": transition}),
        root=tmp_path / "b",
    )  # fmt: skip
    concept = calmops_gen.read_ground_truth(by_blocks)["concept"].to_numpy()
    assert concept[2000:3500].tolist() == new_concept_rows(1500, "linear").astype(int).tolist()
    assert concept[2000:3500].sum() == 750 and (concept[3500:] == 1).all()
    assert concept.tolist() == calmops_gen.read_ground_truth(by_sequence)["concept"].tolist()
    assert [b.concepts for b in by_blocks.blocks] == [[0], [0], [0, 1], [0, 1]]


@pytest.mark.parametrize(("duty", "on"), [(0.1, None), (0.125, None), (0.25, 1), (0.375, 2)])
def test_a_recurrent_duty_that_rounds_to_no_row_is_refused(duty: float, on: int | None) -> None:
    """``round(duty * period)`` rows are on: a duty that rounds to none is refused, not
    quietly turned into one row (a 25% duty instead of the 10% declared)."""
    if on is None:
        with pytest.raises(ValidationError, match=r"rounds to none on; give a duty of at least"):
            Recurrent(period=4, duty=duty)
    else:
        weights = Recurrent(period=4, duty=duty).weights(np.arange(8), 8)
        assert weights.tolist() == ([1.0] * on + [0.0] * (4 - on)) * 2
