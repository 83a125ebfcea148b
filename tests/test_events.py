"""Drift events: realised effects equal declared ones, and selections pick exactly their rows.

Every drifted run is compared with the same scenario without events (the baseline): the
generator's draws do not depend on events, so any difference is the event's doing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import EVENT_CASES, deep_merge, event_case, sea, table_scenario, without_events
from scipy import stats

import calmops_gen
from calmops_gen.drift import EVENTS


def _run_pair(tmp_path: Path, scenario: dict[str, Any]) -> tuple[Any, Any]:
    """(drifted manifest, baseline manifest) of ``scenario`` and of it without events."""
    drifted = calmops_gen.run(scenario, root=tmp_path / "drifted")
    base = calmops_gen.run(without_events(scenario), root=tmp_path / "base")
    return drifted, base


def _frames(manifest: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    return calmops_gen.read_frame(manifest), calmops_gen.read_ground_truth(manifest)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row-wise a != b, treating two missing values as equal."""
    both_na = a.isna().to_numpy() & b.isna().to_numpy()
    return (a.to_numpy() != b.to_numpy()) & ~both_na


# --------------------------------------------------------------------------------------------
# Contract for every registered event kind
# --------------------------------------------------------------------------------------------


def _touched(event: Any, prepared: dict[str, Any]) -> list[str]:
    """``event.touched_columns``, given the planned figures when it takes them."""
    import inspect

    if len(inspect.signature(event.touched_columns).parameters) >= 1:
        return list(event.touched_columns(prepared))
    return list(event.touched_columns())


def test_every_registered_event_kind_has_a_fixture() -> None:
    for kind in EVENTS.names():
        event_case(kind)
    assert set(EVENT_CASES) <= set(EVENTS.names()), "EVENT_CASES names an unregistered kind"


@pytest.mark.parametrize("kind", EVENTS.names())
def test_event_contract(tmp_path: Path, kind: str) -> None:
    case = event_case(kind)
    sc = deep_merge(case.scenario(tmp_path), {"drift": {"ev": case.event}})
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    a, b = case.selected
    n = len(old)
    inside = np.zeros(n, dtype=bool)
    inside[a:b] = True

    # ground truth: weight 1 on every selected row (abrupt), 0 elsewhere
    assert truth["ev"].tolist() == inside.astype(float).tolist()
    # rows outside the selection are untouched, in every column
    pd.testing.assert_frame_equal(
        new[~inside].reset_index(drop=True), old[~inside].reset_index(drop=True), check_exact=True
    )
    cls = EVENTS.get(kind, "kind")
    event = cls.model_validate(case.event)
    info = {e.id: e for e in drifted.events}["ev"]
    assert (info.kind, info.order) == (kind, 0)
    assert (info.row_start, info.row_stop, info.span_rows) == (a, b, b - a)
    assert info.rows_selected == b - a
    assert info.realised, f"{kind}: no realised figures in the manifest"
    touched = _touched(event, info.prepared)
    assert info.features == touched
    # only the columns the event declares (and, for label events, the target) change; never
    # the block or time column
    targets = {c.name for c in drifted.columns if c.role == "target"}
    changed_cols = {c for c in new.columns if _differs(new[c], old[c]).any()}
    assert changed_cols, f"{kind}: the event changed nothing"
    assert changed_cols <= set(touched) | targets, f"undeclared: {changed_cols - set(touched)}"
    assert not changed_cols & {c.name for c in drifted.columns if c.role in ("block", "time")}

    row_changed = np.zeros(n, dtype=bool)
    for col in new.columns:
        row_changed |= _differs(new[col], old[col])
    if cls.changes_subset:
        subset = truth["ev__changed"].to_numpy()
        assert np.array_equal(subset, row_changed)
        assert not subset[~inside].any()
        assert info.rows_affected == int(subset.sum())
    else:
        assert "ev__changed" not in truth.columns
        assert info.rows_affected == b - a
    gt_names = [c.name for c in drifted.ground_truth_columns]
    assert "ev" in gt_names
    # and verify reads the same count back from the ground truth files
    assert calmops_gen.verify_dataset(drifted.directory) == []


# --------------------------------------------------------------------------------------------
# shift
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile",
    [
        {"kind": "abrupt"},
        {"kind": "gradual", "shape": "sigmoid", "width": 300},
        {"kind": "incremental"},
        {"kind": "recurrent", "period": 100, "duty": 0.3, "edge": 5},
    ],
    ids=["abrupt", "gradual", "incremental", "recurrent"],
)
def test_shift_absolute(tmp_path: Path, profile: dict) -> None:
    amount = -1.25
    sc = sea(
        drift={
            "s": {
                "kind": "shift",
                "features": ["x0", "x2"],
                "amount": amount,
                "where": {"rows": [250, 1100]},
                "profile": profile,
            }
        }
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    w = truth["s"].to_numpy()
    # realised figures are over the rows the event acted on (weight > 0)
    act = w > 0
    assert not act[:250].any() and not act[1100:].any()
    for f in ("x0", "x2"):
        assert np.array_equal(new[f].to_numpy(), old[f].to_numpy() + w * amount), f
        r = drifted.events[0].realised[f]
        assert r["rows"] == int(act.sum())
        assert r["mean_shift"] == pytest.approx(r["expected_mean_shift"], rel=1e-9)
        assert r["expected_mean_shift"] == pytest.approx(amount * w[act].mean(), rel=1e-12)
        assert r["mean_weight"] == pytest.approx(w[act].mean(), rel=1e-12)
        assert r["mean_before"] == pytest.approx(old[f][act].mean(), rel=1e-12)
        assert r["mean_after"] == pytest.approx(new[f][act].mean(), rel=1e-12)
        assert r["std_after"] == pytest.approx(new[f][act].std(ddof=0), rel=1e-9)
    assert np.array_equal(new["x1"].to_numpy(), old["x1"].to_numpy())


@pytest.mark.parametrize("reference_block", [0, 2])
def test_shift_amount_std(tmp_path: Path, reference_block: int) -> None:
    k = 0.7
    sc = sea(
        drift={
            "s": {
                "kind": "shift",
                "features": ["x1"],
                "amount_std": k,
                "reference_block": reference_block,
                "where": {"blocks": [1, 2]},
                "profile": {"kind": "gradual", "shape": "linear", "width": 500},
            }
        }
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    ref = old["x1"][old["block"] == reference_block].to_numpy()
    prepared = drifted.events[0].prepared["x1"]
    assert prepared["reference_std"] == pytest.approx(ref.std(), rel=1e-12)
    assert prepared["reference_mean"] == pytest.approx(ref.mean(), rel=1e-12)
    a = k * prepared["reference_std"]
    w = truth["s"].to_numpy()
    assert np.array_equal(new["x1"].to_numpy(), old["x1"].to_numpy() + w * a)
    r = drifted.events[0].realised["x1"]
    assert r["amount"] == pytest.approx(a, rel=1e-12)
    assert r["mean_shift"] == pytest.approx(r["expected_mean_shift"], rel=1e-9)
    # outside blocks 1-2 nothing moved
    assert np.array_equal(new["x1"][:400].to_numpy(), old["x1"][:400].to_numpy())


def test_reference_figures_are_taken_before_any_event(tmp_path: Path) -> None:
    """A scale on block 0 applied first must not change a later event's reference std."""
    sc = sea(
        drift={
            "widen": {"kind": "scale", "features": ["x0"], "factor": 3.0, "where": {"blocks": [0]}},
            "s": {"kind": "shift", "features": ["x0"], "amount_std": 1.0, "where": {"blocks": [2]}},
        }
    )
    drifted, base = _run_pair(tmp_path, sc)
    old, _ = _frames(base)
    ref = old["x0"][:400].to_numpy()
    by_id = {e.id: e for e in drifted.events}
    assert by_id["s"].prepared["x0"]["reference_std"] == pytest.approx(ref.std(), rel=1e-12)
    new, _ = _frames(drifted)
    assert new["x0"][:400].std(ddof=0) == pytest.approx(3.0 * ref.std(), rel=1e-9)


def test_int_columns_stay_int_after_shift(tmp_path: Path, mixed_table: Path) -> None:
    amount = 2.6
    sc = table_scenario(
        mixed_table,
        drift={
            "s": {
                "kind": "shift",
                "features": ["k"],
                "amount": amount,
                "profile": {"kind": "gradual", "shape": "linear"},
            }
        },
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    assert new["k"].dtype == np.int64
    assert [c.dtype for c in drifted.columns if c.name == "k"] == ["int64"]
    w = truth["s"].to_numpy()
    expected = np.rint(old["k"].to_numpy() + w * amount).astype(np.int64)
    assert np.array_equal(new["k"].to_numpy(), expected)
    r = drifted.events[0].realised["k"]
    # realised effect is measured after rounding (over rows with weight > 0); expected is
    # amount x mean weight
    act = w > 0
    delta = expected - old["k"].to_numpy()
    assert r["mean_shift"] == pytest.approx(delta[act].mean(), rel=1e-12)
    assert r["expected_mean_shift"] == pytest.approx(amount * w[act].mean(), rel=1e-12)
    assert r["mean_shift"] != pytest.approx(r["expected_mean_shift"], rel=1e-6)  # rounding


# --------------------------------------------------------------------------------------------
# scale
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [0.5, 1.7, 3.0])
def test_scale_abrupt_realises_factor(tmp_path: Path, factor: float) -> None:
    sc = sea(
        drift={
            "sc": {"kind": "scale", "features": ["x2"], "factor": factor, "where": {"blocks": [1]}}
        }
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    r = drifted.events[0].realised["x2"]
    assert r["scale_about_reference"] == pytest.approx(factor, rel=1e-9)
    assert r["factor"] == factor
    m = drifted.events[0].prepared["x2"]["reference_mean"]
    assert m == pytest.approx(old["x2"][:400].mean(), rel=1e-12)
    w = truth["sc"].to_numpy()
    expected = m + (old["x2"].to_numpy() - m) * (1.0 + w * (factor - 1.0))
    sel = w > 0
    assert np.array_equal(new["x2"].to_numpy()[sel], expected[sel])
    assert np.array_equal(new["x2"].to_numpy()[~sel], old["x2"].to_numpy()[~sel])


def test_scale_gradual_follows_weights(tmp_path: Path) -> None:
    factor = 2.0
    sc = sea(
        drift={
            "sc": {
                "kind": "scale",
                "features": ["x0"],
                "factor": factor,
                "where": {"rows": [100, 1100]},
                "profile": {"kind": "incremental"},
            }
        }
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    m = drifted.events[0].prepared["x0"]["reference_mean"]
    w = truth["sc"].to_numpy()
    assert w[100] == 0.0 and w[1099] == 1.0
    expected = m + (old["x0"].to_numpy() - m) * (1.0 + w * (factor - 1.0))
    np.testing.assert_allclose(new["x0"].to_numpy(), expected, rtol=0, atol=1e-12)
    assert np.array_equal(new["x0"].to_numpy()[:100], old["x0"].to_numpy()[:100])


# --------------------------------------------------------------------------------------------
# noise
# --------------------------------------------------------------------------------------------


def test_noise_rms_matches_declared(tmp_path: Path) -> None:
    s = 0.8
    sc = sea(
        schedule={"blocks": 5, "rows_per_block": 600},
        drift={
            "nz": {
                "kind": "noise",
                "features": ["x0"],
                "amount": s,
                "where": {"rows": [300, 2700]},
                "profile": {"kind": "gradual", "shape": "cosine", "width": 600},
            }
        },
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    r = drifted.events[0].realised["x0"]
    w = truth["nz"].to_numpy()
    delta = new["x0"].to_numpy() - old["x0"].to_numpy()
    assert np.all(delta[w == 0] == 0.0)
    act = w > 0
    assert r["expected_noise_rms"] == pytest.approx(s * np.sqrt(np.mean(w[act] ** 2)), 1e-12)
    assert r["noise_rms"] == pytest.approx(np.sqrt(np.mean(delta[act] ** 2)), rel=1e-9)
    # ~2100 rows at full weight: rms of N(0, s^2) has relative sd ~ 1/sqrt(2n) ~ 1.5%;
    # 5 sigma -> 8% tolerance
    assert r["noise_rms"] == pytest.approx(r["expected_noise_rms"], rel=0.08)
    z = delta[w > 0] / (w[w > 0] * s)
    assert stats.kstest(z, "norm").pvalue > 0.001  # standard normal, seeded
    # noise differs between blocks (each block has its own stream)
    assert not np.allclose(z[:300], z[600:900])


# --------------------------------------------------------------------------------------------
# label_flip
# --------------------------------------------------------------------------------------------


def test_label_flip_binary(tmp_path: Path) -> None:
    rate = 0.4
    sc = sea(
        schedule={"blocks": 5, "rows_per_block": 600},
        drift={
            "fl": {
                "kind": "label_flip",
                "rate": rate,
                "where": {"rows": [200, 2800]},
                "profile": {"kind": "gradual", "shape": "linear", "width": 1000},
            }
        },
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    changed = truth["fl__changed"].to_numpy()
    assert np.array_equal(changed, new["y"].to_numpy() != old["y"].to_numpy())
    w = truth["fl"].to_numpy()
    assert not changed[w == 0].any()
    for f in ("x0", "x1", "x2"):
        assert np.array_equal(new[f].to_numpy(), old[f].to_numpy())
    r = drifted.events[0].realised
    act = w > 0  # the rows the event acted on (the ramp's first row has weight 0)
    assert act[200:2800].sum() == 2599
    p = rate * w[act]
    assert r["rows_flipped"] == int(changed.sum()) == drifted.events[0].rows_affected
    assert r["flip_rate"] == pytest.approx(changed.sum() / act.sum(), rel=1e-12)
    assert r["expected_flip_rate"] == pytest.approx(p.mean(), rel=1e-12)
    # Poisson-binomial count: within 4 standard deviations of its mean
    sd = np.sqrt(np.sum(p * (1 - p)))
    assert abs(changed.sum() - p.sum()) < 4 * sd


@pytest.mark.parametrize("target", ["cls", "ci"])
@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_label_flip_multiclass(tmp_path: Path, mixed_table: Path, target: str, rate: float) -> None:
    sc = table_scenario(
        mixed_table,
        generator={"params": {"target": target}},
        drift={"fl": {"kind": "label_flip", "rate": rate, "where": {"blocks": [1, 2]}}},
    )
    drifted, base = _run_pair(tmp_path, sc)
    new, truth = _frames(drifted)
    old, _ = _frames(base)
    assert new[target].dtype == old[target].dtype
    changed = truth["fl__changed"].to_numpy()
    differs = _differs(new[target], old[target])
    # flipped rows are exactly the rows whose label differs: a flip never keeps the class
    assert np.array_equal(changed, differs)
    assert not changed[:300].any()
    classes = set(old[target])
    assert set(new[target]) <= classes and len(classes) == 3
    n_sel = 600
    if rate == 1.0:
        assert changed[300:].all()
    else:
        # binomial(600, 0.5): 4 sigma
        assert abs(changed.sum() - n_sel * rate) < 4 * np.sqrt(n_sel * rate * (1 - rate))
    # the new class is uniform over the two other classes: binomial(k, 1/2), 4 sigma
    flipped_old = old[target].to_numpy()[changed]
    flipped_new = new[target].to_numpy()[changed]
    order = sorted(classes)
    up = np.array(
        [
            order[(order.index(o) + 1) % 3] == v
            for o, v in zip(flipped_old, flipped_new, strict=True)
        ]
    )
    k = len(up)
    assert abs(up.sum() - k / 2) < 4 * np.sqrt(k / 4)


def test_label_flip_never_flips_missing_labels(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 300
    labels = ["a", "b", "c"] * (n // 3)
    labels[10] = labels[20] = None
    source = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"v": np.arange(n, dtype=float), "t": labels}), source)
    sc = {
        "name": "nulls",
        "generator": {"kind": "table", "params": {"source": str(source), "target": "t"}},
        "drift": {"fl": {"kind": "label_flip", "rate": 1.0}},
    }
    m = calmops_gen.run(sc, root=tmp_path / "out")
    new, truth = _frames(m)
    assert new["t"].isna().to_numpy().nonzero()[0].tolist() == [10, 20]
    assert truth["fl__changed"].sum() == n - 2


# --------------------------------------------------------------------------------------------
# Selections
# --------------------------------------------------------------------------------------------


def _selected(tmp_path: Path, scenario: dict[str, Any], where: dict[str, Any]) -> np.ndarray:
    sc = deep_merge(
        scenario,
        {
            "drift": {
                "sel": {
                    "kind": "shift",
                    "features": [_feature(scenario)],
                    "amount": 1.0,
                    "where": where,
                }
            }
        },
    )
    m = calmops_gen.run(sc, root=tmp_path / "sel")
    truth = calmops_gen.read_ground_truth(m)["sel"].to_numpy()
    assert set(np.unique(truth)) <= {0.0, 1.0}  # abrupt: weights are exactly 0 or 1
    assert m.events[0].rows_selected == int(truth.sum())
    return truth > 0


def _feature(scenario: dict[str, Any]) -> str:
    return "a" if scenario["generator"]["kind"] == "table" else "x0"


def _mask(n: int, *ranges: tuple[int, int]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for a, b in ranges:
        out[a:b] = True
    return out


@pytest.mark.parametrize(
    ("where", "ranges"),
    [
        ({"blocks": [1]}, [(400, 800)]),
        ({"blocks": [0, 2]}, [(0, 400), (800, 1200)]),
        ({"blocks": [2, 0, 2]}, [(0, 400), (800, 1200)]),
        ({"rows": [0, 1]}, [(0, 1)]),
        ({"rows": [399, 801]}, [(399, 801)]),
        ({"rows": [1199, 1200]}, [(1199, 1200)]),
        ({"blocks": [1, 2], "rows": [700, 900]}, [(700, 900)]),
    ],
)
def test_block_and_row_selections(tmp_path: Path, where: dict, ranges: list) -> None:
    assert np.array_equal(_selected(tmp_path, sea(), where), _mask(1200, *ranges))


TIMED = {"schedule": {"start": "2024-01-01", "step": {"days": 1}}}


@pytest.mark.parametrize(
    "window",
    [
        ["2024-01-01", "2024-01-02"],  # exactly block 0
        ["2024-01-01T12:00", "2024-01-02T06:00"],
        ["2024-01-02T23:00", "2024-01-10"],  # runs past the end
    ],
)
def test_time_selection_is_half_open(tmp_path: Path, window: list[str]) -> None:
    sc = sea(**TIMED)
    selected = _selected(tmp_path, sc, {"time": window})
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "plain"))
    ts = frame["timestamp"].to_numpy()
    t0, t1 = (np.datetime64(pd.Timestamp(t)) for t in window)
    expected = (ts >= t0) & (ts < t1)
    assert expected.any()
    assert np.array_equal(selected, expected)


def test_time_selection_on_a_table_time_column(tmp_path: Path) -> None:
    sc = {
        "name": "loans",
        "generator": {
            "kind": "table",
            "params": {
                "source": "bundled:loans.csv",
                "target": "default",
                "time_column": "date",
                "block_freq": "MS",
            },
        },
    }
    window = ["2023-03-15", "2023-05-01"]
    sc_f = deep_merge(sc, {"generator": {"kind": "table"}})
    sc_f["drift"] = {
        "sel": {"kind": "shift", "features": ["income"], "amount": 1.0, "where": {"time": window}}
    }
    m = calmops_gen.run(sc_f, root=tmp_path / "t")
    frame, truth = _frames(m)
    t0, t1 = (pd.Timestamp(t) for t in window)
    expected = ((frame["date"] >= t0) & (frame["date"] < t1)).to_numpy()
    assert 0 < expected.sum() < len(frame)
    assert np.array_equal(truth["sel"].to_numpy() > 0, expected)
    assert len(m.blocks) == 12  # MS blocks over 2023


CONDITIONS = [
    ({"column": "k", "op": "==", "value": 3}, lambda f: f["k"] == 3),
    ({"column": "k", "op": "!=", "value": 3}, lambda f: f["k"] != 3),
    ({"column": "k", "op": "<", "value": 4}, lambda f: f["k"] < 4),
    ({"column": "k", "op": "<=", "value": 4}, lambda f: f["k"] <= 4),
    ({"column": "k", "op": ">", "value": 6}, lambda f: f["k"] > 6),
    ({"column": "k", "op": ">=", "value": 6}, lambda f: f["k"] >= 6),
    ({"column": "k", "op": "in", "value": [1, 5, 9]}, lambda f: f["k"].isin([1, 5, 9])),
    ({"column": "k", "op": "not_in", "value": [1, 5]}, lambda f: ~f["k"].isin([1, 5])),
    ({"column": "region", "op": "==", "value": "north"}, lambda f: f["region"] == "north"),
    ({"column": "region", "op": "!=", "value": "north"}, lambda f: f["region"] != "north"),
    (
        {"column": "region", "op": "in", "value": ["east", "south"]},
        lambda f: f["region"].isin(["east", "south"]),
    ),
    (
        {"column": "region", "op": "not_in", "value": ["east"]},
        lambda f: ~f["region"].isin(["east"]),
    ),
    ({"column": "a", "op": ">", "value": 11.5}, lambda f: f["a"] > 11.5),
    ({"column": "flag", "op": "==", "value": True}, lambda f: f["flag"]),
    ({"column": "block", "op": "==", "value": 1}, lambda f: f["block"] == 1),
]


@pytest.mark.parametrize(
    ("condition", "expected"),
    CONDITIONS,
    ids=[f"{c['column']}{c['op']}{c['value']}" for c, _ in CONDITIONS],
)
def test_condition_selection(tmp_path: Path, mixed_table: Path, condition: dict, expected) -> None:
    sc = table_scenario(mixed_table)
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "plain"))
    want = np.asarray(expected(frame), dtype=bool)
    assert 0 < want.sum() < len(frame)
    assert np.array_equal(_selected(tmp_path, sc, {"condition": [condition]}), want)


def test_conditions_intersect_with_each_other_and_the_span(
    tmp_path: Path, mixed_table: Path
) -> None:
    sc = table_scenario(mixed_table)
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "plain"))
    where = {
        "rows": [100, 700],
        "condition": [
            {"column": "k", "op": ">=", "value": 5},
            {"column": "region", "op": "==", "value": "south"},
        ],
    }
    want = _mask(len(frame), (100, 700)) & (frame["k"] >= 5).to_numpy()
    want &= (frame["region"] == "south").to_numpy()
    assert np.array_equal(_selected(tmp_path, sc, where), want)


def test_condition_sees_earlier_events(tmp_path: Path) -> None:
    """Conditions are evaluated on the data as it is when the event applies."""
    sc = sea(
        drift={
            "lift": {
                "kind": "shift",
                "features": ["x0"],
                "amount": 100.0,
                "where": {"blocks": [1]},
            },
            "sel": {
                "kind": "shift",
                "features": ["x1"],
                "amount": 1.0,
                "where": {"condition": [{"column": "x0", "op": ">", "value": 50}]},
            },
        }
    )
    truth = calmops_gen.read_ground_truth(calmops_gen.run(sc, root=tmp_path))
    assert np.array_equal(truth["sel"].to_numpy() > 0, _mask(1200, (400, 800)))


def test_filtered_rows_do_not_shift_the_profile(tmp_path: Path, mixed_table: Path) -> None:
    """A row's weight is the profile at its rank in the span, whatever the filter drops."""
    sc = table_scenario(mixed_table)
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "plain"))
    a, b = 50, 850
    sc = deep_merge(
        sc,
        {
            "drift": {
                "sel": {
                    "kind": "shift",
                    "features": ["a"],
                    "amount": 1.0,
                    "where": {
                        "rows": [a, b],
                        "condition": [{"column": "k", "op": "<", "value": 5}],
                    },
                    "profile": {"kind": "incremental"},
                }
            }
        },
    )
    m = calmops_gen.run(sc, root=tmp_path / "sel")
    w = calmops_gen.read_ground_truth(m)["sel"].to_numpy()
    keep = _mask(len(frame), (a, b)) & (frame["k"] < 5).to_numpy()
    expected = np.where(keep, (np.arange(len(frame)) - a) / (b - a - 1), 0.0)
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)
    assert m.events[0].span_rows == b - a
    assert m.events[0].rows_selected == int(keep.sum())


@pytest.mark.parametrize("fraction", [0.1, 0.5, 1.0])
def test_fraction_selection(tmp_path: Path, fraction: float) -> None:
    sc = sea(schedule={"blocks": 4, "rows_per_block": 500})
    where = {"blocks": [1, 2, 3], "fraction": fraction}
    selected = _selected(tmp_path, sc, where)
    assert not selected[:500].any()
    n = 1500
    k = selected[500:].sum()
    if fraction == 1.0:
        assert k == n
    else:
        # binomial(1500, fraction): 4 sigma
        assert abs(k - n * fraction) < 4 * np.sqrt(n * fraction * (1 - fraction))
    # the same scenario selects the same rows again (seeded)
    again = _selected(tmp_path / "again", sc, where)
    assert np.array_equal(selected, again)


# --------------------------------------------------------------------------------------------
# Several events
# --------------------------------------------------------------------------------------------


def test_each_event_has_its_own_ground_truth_and_stream(tmp_path: Path) -> None:
    """Adding an event does not change another event's random draws (own seed keys)."""
    flips = {"kind": "label_flip", "rate": 0.3, "where": {"blocks": [1, 2]}}
    noise = {"kind": "noise", "features": ["x2"], "amount": 1.0, "where": {"rows": [0, 900]}}
    one = calmops_gen.run(sea(drift={"fl": flips}), root=tmp_path / "one")
    two = calmops_gen.run(sea(drift={"nz": noise, "fl": flips}), root=tmp_path / "two")
    t1, t2 = calmops_gen.read_ground_truth(one), calmops_gen.read_ground_truth(two)
    assert np.array_equal(t1["fl__changed"].to_numpy(), t2["fl__changed"].to_numpy())
    assert t2["nz"].tolist() == _mask(1200, (0, 900)).astype(float).tolist()
    assert [e.id for e in two.events] == ["nz", "fl"]
    assert [e.order for e in two.events] == [0, 1]
    f1, f2 = calmops_gen.read_frame(one), calmops_gen.read_frame(two)
    assert np.array_equal(f1["y"].to_numpy(), f2["y"].to_numpy())


def test_time_window_bounds_have_microsecond_resolution() -> None:
    """Digits below the microsecond are dropped quietly (pandas would warn)."""
    import warnings

    from calmops_gen.drift.selection import Where

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        where = Where(time=["2024-01-01T00:00:00.000001999", "2024-01-02T12:00:00.5"])
    assert where.time is not None
    assert [t.isoformat() for t in where.time] == [
        "2024-01-01T00:00:00.000001",
        "2024-01-02T12:00:00.500000",
    ]
