"""The dataset as a stream: river models learn from it, detectors see its drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import sea
from river import drift, evaluate, metrics, tree
from river import stream as river_stream

import calmops_gen as cg
from calmops_gen.stream import iter_arrays, iter_frames, iter_stream

ROWS = 4000


def _sea(tmp_path, transition):
    return cg.run(
        {
            "name": "stream",
            "seed": 3,
            "generator": {"kind": "sea", "params": {"variant": 2}},
            "schedule": {
                "blocks": 2,
                "rows_per_block": ROWS,
                "block_params": {1: {"variant": 3}},
                "transition": transition,
            },
        },
        root=tmp_path,
    )


def test_stream_matches_frame_row_by_row(tmp_path):
    manifest = _sea(tmp_path, {"kind": "abrupt"})
    frame = cg.read_frame(manifest)
    pairs = list(iter_stream(manifest))
    assert len(pairs) == len(frame)
    xs = pd.DataFrame([x for x, _ in pairs])
    assert list(xs.columns) == ["x0", "x1", "x2"]  # block and timestamp are not features
    np.testing.assert_array_equal(xs.to_numpy(), frame[["x0", "x1", "x2"]].to_numpy())
    assert [y for _, y in pairs] == frame["y"].tolist()


def test_arrays_per_block(tmp_path):
    manifest = _sea(tmp_path, {"kind": "abrupt"})
    blocks = list(iter_arrays(manifest))
    frames = list(iter_frames(manifest))
    assert [X.shape for X, _ in blocks] == [(ROWS, 3), (ROWS, 3)]
    for (X, y), frame in zip(blocks, frames, strict=True):
        np.testing.assert_array_equal(X, frame[["x0", "x1", "x2"]].to_numpy())
        np.testing.assert_array_equal(y, frame["y"].to_numpy())


def test_river_learns_and_adwin_sees_the_concept_change(tmp_path):
    # Variant 2 (x0 + x1 > 7) switches abruptly to variant 3 (> 9.5) at row ROWS: ~28% of
    # rows change label, so a learner's error jumps and ADWIN must fire after the change
    # and not (more than once, at most a false alarm early in learning) before it.
    manifest = _sea(tmp_path, {"kind": "abrupt"})
    model = tree.HoeffdingTreeClassifier(grace_period=100)
    detector = drift.ADWIN(delta=0.002)
    before = metrics.Accuracy()
    alarms = []
    for i, (x, y) in enumerate(iter_stream(manifest)):
        pred = model.predict_one(x)
        if i < ROWS and i > ROWS // 2:
            before.update(y, pred)
        detector.update(int(pred != y))
        if detector.drift_detected:
            alarms.append(i)
        model.learn_one(x, y)
    assert before.get() > 0.9  # the tree learns the threshold concept
    after = [a for a in alarms if a >= ROWS]
    assert after and after[0] < ROWS + 1500, alarms
    assert len([a for a in alarms if ROWS // 2 < a < ROWS]) == 0, alarms


def _late(tmp_path, unit, **delay):
    return cg.run(
        sea(
            name=f"late_{unit}",
            seed=5,
            schedule={"rows_per_block": 200, "start": "2024-01-01", "step": {"hours": 2}},
            label_delay={"unit": unit, **delay},
        ),
        root=tmp_path,
    )


def test_include_adds_row_and_label_times_for_river_delayed_evaluation(tmp_path):
    """``include`` puts the row index and the label time in ``x``; river's simulate_qa (what
    progressive_val_score uses) then reveals every label exactly when it becomes available:
    after the question of every earlier row, before the first row at or past that moment."""
    manifest = _late(tmp_path, "rows", kind="uniform", low=1, high=40)
    frame = cg.read_frame(manifest)
    stream = list(iter_stream(manifest, include=["row", "label_available_at"]))
    assert list(stream[0][0]) == ["x0", "x1", "x2", "row", "label_available_at"]
    assert [x["row"] for x, _ in stream] == list(range(len(frame)))
    assert [x["label_available_at"] for x, _ in stream] == frame["label_available_at"].tolist()
    events = list(
        river_stream.simulate_qa(
            stream, moment=None, delay=lambda x, y: x["label_available_at"] - x["row"]
        )
    )
    asked = 0  # questions so far
    for _, x, y in events:
        if y is None:
            assert x["row"] == asked
            asked += 1
        else:
            # revealed right before the question of the row it becomes available at
            assert asked == min(x["label_available_at"], len(frame))
    assert sum(y is not None for _, _, y in events) == len(frame)


def test_include_time_columns_and_bad_names(tmp_path):
    manifest = _late(tmp_path, "time", kind="fixed", value=3600)
    frame = cg.read_frame(manifest)
    stream = list(iter_stream(manifest, include=["timestamp", "label_available_at", "block"]))
    first = stream[0][0]
    assert first["label_available_at"] - first["timestamp"] == pd.Timedelta(hours=1)
    assert [x["block"] for x, _ in stream] == frame["block"].tolist()
    for bad in ("x0", "y", "nope"):
        with pytest.raises(cg.DatasetError, match=f"include: '{bad}'"):
            next(iter_stream(manifest, include=[bad]))


def test_several_targets_give_a_dict_per_row_and_a_column_per_target(tmp_path):
    """``logical`` has three targets: ``y`` is ``{OR, XOR, AND}`` per row, as river's
    Logical yields it, and a 3-column array per block."""
    manifest = cg.run(
        {"name": "logic", "generator": {"kind": "logical"},
         "schedule": {"blocks": 2, "rows_per_block": 40}},
        root=tmp_path,
    )  # fmt: skip
    frame = cg.read_frame(manifest)
    pairs = list(iter_stream(manifest))
    assert [y for _, y in pairs] == frame[["OR", "XOR", "AND"]].to_dict(orient="records")
    assert all(set(x) == {"A", "B"} for x, _ in pairs)
    for x, y in pairs:
        a, b = x["A"], x["B"]
        assert y == {"OR": a | b, "XOR": a ^ b, "AND": a & b}
    blocks = list(iter_arrays(manifest))
    assert [y.shape for _, y in blocks] == [(40, 3), (40, 3)]
    np.testing.assert_array_equal(
        np.vstack([y for _, y in blocks]), frame[["OR", "XOR", "AND"]].to_numpy()
    )


def test_time_delay_on_zoned_timestamps_keeps_the_zone(tmp_path):
    """The label time has the time column's own type, timezone included."""
    manifest = cg.run(
        sea(
            name="late_zoned",
            schedule={"rows_per_block": 50, "blocks": 2, "start": "2024-03-30T22:00+01:00",
                      "step": {"hours": 1}},
            label_delay={"unit": "time", "kind": "fixed", "value": "6h"},
        ),
        root=tmp_path,
    )  # fmt: skip
    frame = cg.read_frame(manifest)
    assert frame["label_available_at"].dtype == frame["timestamp"].dtype
    assert frame["timestamp"].iloc[0].utcoffset() == pd.Timedelta(hours=1)
    gap = frame["label_available_at"] - frame["timestamp"]
    assert (gap == pd.Timedelta(hours=6)).all()


def test_a_label_time_past_what_pandas_holds_is_an_error(tmp_path):
    """A label time past 2262-04-11 (the last timestamp pandas holds) is an error, nothing
    written, never a wrapped-around value."""
    late = sea(
        name="too_late",
        schedule={"rows_per_block": 200, "start": "2200-01-01", "step": {"hours": 1}},
        label_delay={"unit": "time", "kind": "fixed", "value": "36000D"},
    )
    with pytest.raises(cg.ScenarioError, match="past 2262-04-11") as err:
        cg.run(late, root=tmp_path / "out")
    assert err.value.path == "label_delay"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))
    # an exponential tail past int64 nanoseconds (mean 100 years: 5% of rows) is one too
    late["label_delay"] = {"unit": "time", "kind": "exponential", "value": "36000D"}
    with pytest.raises(cg.ScenarioError, match="past what int64 holds") as err:
        cg.run(late, root=tmp_path / "out")
    assert err.value.path == "label_delay.value"


def test_include_row_refused_when_row_is_a_column(tmp_path):
    source = tmp_path / "t.csv"
    pd.DataFrame({"row": [5, 6, 7, 8], "v": [0.1, 0.2, 0.3, 0.4]}).to_csv(source, index=False)
    m = cg.run(
        {"name": "rowcol", "generator": {"kind": "table", "params": {"source": str(source)}}},
        root=tmp_path / "out",
    )
    assert [x["row"] for x, _ in iter_stream(m)] == [5, 6, 7, 8]  # the feature, untouched
    with pytest.raises(cg.DatasetError, match="'row' is a column of this dataset"):
        next(iter_stream(m, include=["row"]))


def test_missing_values_are_none_in_x_and_nan_in_float_arrays(tmp_path):
    """Missing values on an int column (Int64 when read) and a float column: iter_stream
    marks both None (river's StatImputer fills them); iter_arrays gives float64 with NaN at
    exactly those cells (an object array of pd.NA would break scikit-learn)."""
    m = cg.run(
        {
            "name": "holes",
            "generator": {"kind": "agrawal"},
            "schedule": {"blocks": 1, "rows_per_block": 500},
            "drift": {"miss": {"kind": "missing", "features": ["age", "salary"], "rate": 0.2}},
        },
        root=tmp_path,
    )
    frame = cg.read_frame(m)
    features = [c.name for c in m.columns if c.role == "feature"]
    holes = frame[features].isna().to_numpy()
    assert 0 < holes.sum() < holes.size
    xs = [x for x, _ in iter_stream(m)]
    marks = np.array([[x[f] is None for f in features] for x in xs])
    np.testing.assert_array_equal(marks, holes)
    X, y = next(iter_arrays(m))
    assert X.dtype == np.float64 and y.dtype == frame["y"].to_numpy().dtype
    np.testing.assert_array_equal(np.isnan(X), holes)
    np.testing.assert_array_equal(X[~holes], frame[features].to_numpy(dtype=float)[~holes])
    # bool and float features together: float 0/1, not object
    m = cg.run({"name": "mixed", "generator": {"kind": "mixed"},
                "schedule": {"blocks": 1, "rows_per_block": 50}}, root=tmp_path)  # fmt: skip
    X, _ = next(iter_arrays(m))
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X, cg.read_frame(m)[["x0", "x1", "x2", "x3"]].to_numpy(float))


@pytest.mark.parametrize(
    ("labels", "dtype"),
    [
        (pd.array([0, 1, None, 1] * 50, dtype="Int64"), np.float64),
        (pd.array([True, False, None, True] * 50, dtype="boolean"), np.float64),
        (pd.Series(["a", "b", None, "b"] * 50, dtype=object), object),
    ],
    ids=["int", "bool", "text"],
)
def test_missing_labels_are_none_for_river_and_nan_for_scikit_learn(tmp_path, labels, dtype):
    """river only predicts on a row whose label is None (pd.NA failed inside river);
    iter_arrays gives a numeric or bool target with holes as float with NaN."""
    source = tmp_path / "t.parquet"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=200), "y": labels}).to_parquet(source)
    m = cg.run(
        {
            "name": "holes",
            "generator": {"kind": "table", "params": {"source": str(source), "target": "y"}},
            "schedule": {"blocks": 2},
        },
        root=tmp_path / "out",
    )
    ys = [y for _, y in iter_stream(m)]
    assert [i for i, y in enumerate(ys) if y is None] == list(range(2, 200, 4))
    labelled = list(iter_stream(m, labelled_only=True))
    assert [y for _, y in labelled] == [y for y in ys if y is not None]
    learnt = tree.HoeffdingTreeClassifier()
    evaluate.progressive_val_score(labelled, learnt, metrics.Accuracy())
    assert set(learnt.classes) == {y for y in ys if y is not None}
    y = np.concatenate([y for _, y in iter_arrays(m)])
    assert y.dtype == dtype
    assert np.flatnonzero(pd.isna(y)).tolist() == list(range(2, 200, 4))


def test_include_takes_a_single_name(tmp_path):
    m = _sea(tmp_path, {"kind": "abrupt"})
    assert [x["block"] for x, _ in iter_stream(m, include="block")][ROWS - 1 : ROWS + 1] == [0, 1]


def test_a_tables_block_column_is_not_a_feature_of_the_stream(tmp_path):
    """A table's own block column (``month``) is constant in each block: handing it to a
    model would give away the block, so x and X hold the other features only (the data and
    iter_frames keep it)."""
    rng = np.random.default_rng(0)
    source = tmp_path / "t.csv"
    pd.DataFrame(
        {"month": np.repeat([1, 2, 3], 20), "x": rng.normal(size=60), "y": rng.integers(0, 2, 60)}
    ).to_csv(source, index=False)
    params = {"source": str(source), "target": "y", "block_column": "month"}
    m = cg.run({"name": "months", "generator": {"kind": "table", "params": params}}, root=tmp_path)
    frame = cg.read_frame(m)
    assert [x for x, _ in iter_stream(m)] == [{"x": v} for v in frame["x"].tolist()]
    blocks = list(iter_arrays(m))
    assert [X.shape for X, _ in blocks] == [(20, 1)] * 3
    np.testing.assert_array_equal(np.concatenate([X[:, 0] for X, _ in blocks]), frame["x"])
    assert "month" in next(iter_frames(m)).columns


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda f: f.iloc[:5], "5 rows, manifest says 4000"),
        (lambda f: f.assign(y=f["y"].astype(str)), "columns [('x0', 'double'), "),
    ],
    ids=["rows", "types"],
)
def test_a_block_file_that_disagrees_with_the_manifest_is_not_read(tmp_path, change, says):
    """Reading read a block with rows dropped (the stream's ``row`` then no longer matched
    ``label_available_at``) or a bool target rewritten as text (new classes for a model)
    without a word; rows and types are checked against the manifest now."""
    m = _sea(tmp_path, {"kind": "abrupt"})
    path = m.directory / m.blocks[1].file
    change(pd.read_parquet(path)).to_parquet(path, index=False)
    for read in (cg.read_frame, lambda d: list(iter_stream(d)), lambda d: list(iter_arrays(d))):
        with pytest.raises(cg.DatasetError, match="check the dataset") as err:
            read(m)
        assert str(path) in str(err.value) and says in str(err.value)


def test_a_name_given_twice_to_include_is_added_once(tmp_path):
    m = _sea(tmp_path, {"kind": "abrupt"})
    first = next(iter_stream(m, include=["row", "block", "row"]))[0]
    assert list(first) == ["x0", "x1", "x2", "row", "block"]
