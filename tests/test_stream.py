"""The dataset as a stream: river models learn from it, detectors see its drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
from river import drift, metrics, tree

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
