"""The seed-compatible ``DriftInjector`` facade (``calmops_gen.drift_injector``).

Every public method is checked against the same events applied through
:func:`calmops_gen.injector.inject` directly (exact frame and ground-truth equality), for an
untouched input, for ground-truth weights equal to the profile and for realised effects; then
the seed's documented defects are checked not to recur, and unsupported seed options to raise
naming the parameter.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from calmops_gen.drift_injector import DriftInjector, DriftRecord
from calmops_gen.errors import ScenarioError
from calmops_gen.injector import inject
from calmops_gen.profiles import Gradual, Incremental, Recurrent
from calmops_gen.seeding import stable_int

N = 60
SEED = 5
ROLES = {"time_column": "t", "block_column": "b", "target": "y"}


def make_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x = rng.normal(size=N)
    return pd.DataFrame(
        {
            "x": x - x.mean(),  # exactly zero mean: the seed's shift could not move it
            "u": rng.normal(2.0, 1.0, size=N),
            "z": rng.integers(0, 100, size=N),
            "c": rng.choice(["a", "b", "c"], size=N),
            "s": rng.choice(["alpha", "beta", "gamma"], size=N),
            "y": rng.integers(0, 2, size=N),
            "b": np.repeat(["B1", "B2", "B3", "B4"], N // 4),
            "t": pd.date_range("2024-01-01", periods=N, freq="D"),
        }
    )


@pytest.fixture
def df() -> pd.DataFrame:
    return make_frame()


def injector() -> DriftInjector:
    return DriftInjector(random_state=SEED, time_col="t", block_column="b", target_column="y")


def assert_matches_inject(
    inj: DriftInjector,
    df: pd.DataFrame,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    expected: dict[str, dict[str, Any]],
    roles: dict[str, str | None] | None = None,
) -> pd.DataFrame:
    """Call ``method``; check the mapping, the equality with ``inject`` and the bookkeeping."""
    before = df.copy(deep=True)
    calls = len(inj.history)
    out = getattr(inj, method)(df, *args, **kwargs)
    pd.testing.assert_frame_equal(df, before)  # the input is never modified
    assert out is not df
    assert len(inj.history) == calls + 1
    record = inj.history[-1]
    assert isinstance(record, DriftRecord)
    assert record.events == expected
    assert record.seed == inj.seed_for_call(calls)
    roles = ROLES if roles is None else roles
    assert (record.time_column, record.block_column, record.target) == (
        roles["time_column"],
        roles["block_column"],
        roles["target"],
    )
    ref = inject(df, expected, seed=record.seed, **roles)
    pd.testing.assert_frame_equal(out, ref.frame)
    assert inj.last_ground_truth is record.ground_truth
    pd.testing.assert_frame_equal(inj.last_ground_truth, ref.ground_truth)
    assert [e.id for e in inj.last_events] == list(expected)
    for info in inj.last_events:
        assert info.realised, f"no realised effects for {info.id}"
        assert info.id in inj.last_ground_truth.columns
    return out


# ---------------------------------------------------------------------------------------------
# Method -> event mapping, one case per public method (and per drift type)
# ---------------------------------------------------------------------------------------------

SQ3 = math.sqrt(3.0)

CASES: list[tuple[str, str, tuple[Any, ...], dict[str, Any], dict[str, dict[str, Any]]]] = [
    (
        "noise",
        "inject_feature_drift",
        (["x", "u"],),
        {},
        {"gaussian_noise": {"kind": "noise", "amount_std": 0.2, "features": ["x", "u"]}},
    ),
    (
        "uniform",
        "inject_feature_drift",
        (["x"], "uniform_noise", 0.6),
        {"end_index": 20},
        {
            "uniform_noise": {
                "kind": "noise",
                "distribution": "uniform",
                "amount_std": 0.6 / SQ3,
                "features": ["x"],
                "where": {"rows": [0, 20]},
            }
        },
    ),
    (
        "shift",
        "inject_feature_drift",
        (["x", "z"], "shift", 1.5),
        {"start_index": 30},
        {
            "shift": {
                "kind": "shift",
                "amount_std": 1.5,
                "features": ["x", "z"],
                "where": {"rows": [30, 60]},
            }
        },
    ),
    (
        "shift_value",
        "inject_feature_drift",
        (["u"], "shift"),
        {"drift_value": -3.0, "start_index": -10},
        {
            "shift": {
                "kind": "shift",
                "amount": -3.0,
                "features": ["u"],
                "where": {"rows": [50, 60]},
            }
        },
    ),
    (
        "scale_blocks",
        "inject_feature_drift",
        (["u"], "scale", 0.5),
        {"blocks": ["B4", "B2"]},
        {
            "scale": {
                "kind": "scale",
                "factor": 1.5,
                "features": ["u"],
                "where": {"blocks": [1, 3]},
                "reference_block": 1,
            }
        },
    ),
    (
        "add",
        "inject_feature_drift",
        (["u"], "add_value"),
        {"drift_value": 2, "block_index": "B3"},
        {
            "add_value": {
                "kind": "add",
                "value": 2.0,
                "features": ["u"],
                "where": {"blocks": [2]},
                "reference_block": 2,
            }
        },
    ),
    (
        "subtract",
        "inject_feature_drift",
        (["u"], "subtract_value"),
        {"drift_value": 2},
        {"subtract_value": {"kind": "add", "value": -2.0, "features": ["u"]}},
    ),
    (
        "multiply",
        "inject_feature_drift",
        (["u"], "multiply_value"),
        {"drift_value": 3},
        {"multiply_value": {"kind": "multiply", "factor": 3.0, "features": ["u"]}},
    ),
    (
        "divide_per_column",
        "inject_feature_drift",
        (["u", "z"], "divide_value"),
        {"drift_values": {"z": 4.0, "u": 2.0}},
        {
            "divide_value_u": {"kind": "multiply", "factor": 0.5, "features": ["u"]},
            "divide_value_z": {"kind": "multiply", "factor": 0.25, "features": ["z"]},
        },
    ),
    (
        "categorical",
        "inject_feature_drift",
        (["c", "x"], "shift", 0.4),
        {"time_start": "2024-01-11", "time_end": "2024-01-20"},
        {
            "category_flip_c": {
                "kind": "category_flip",
                "column": "c",
                "rate": 0.4,
                "where": {"time": ["2024-01-11T00:00:00", "2024-01-20T00:00:00.000001"]},
            },
            "shift": {
                "kind": "shift",
                "amount_std": 0.4,
                "features": ["x"],
                "where": {"time": ["2024-01-11T00:00:00", "2024-01-20T00:00:00.000001"]},
            },
        },
    ),
    (
        "gradual",
        "inject_feature_drift_gradual",
        (["u"], "shift", 2.0),
        {"center": 20, "width": 10, "profile": "linear"},
        {
            "shift": {
                "kind": "shift",
                "amount_std": 2.0,
                "features": ["u"],
                "where": {"rows": [15, 60]},
                "profile": {"kind": "gradual", "shape": "linear", "width": 10},
            }
        },
    ),
    (
        "gradual_default_window",
        "inject_feature_drift_gradual",
        (["u"],),
        {"blocks": ["B2", "B3"]},
        {
            "gaussian_noise": {
                "kind": "noise",
                "amount_std": 0.2,
                "features": ["u"],
                # 30 selected rows (15..44): centre 15, width 6 -> starts at selected row 12
                "where": {"blocks": [1, 2], "rows": [27, 45]},
                "profile": {"kind": "gradual", "shape": "sigmoid", "width": 6},
                "reference_block": 1,
            }
        },
    ),
    (
        "abrupt",
        "inject_feature_drift_abrupt",
        (["u"], "add_value"),
        {"drift_value": 1.0, "change_index": 40},
        {
            "add_value": {
                "kind": "add",
                "value": 1.0,
                "features": ["u"],
                "where": {"rows": [40, 60]},
            }
        },
    ),
    (
        "incremental",
        "inject_feature_drift_incremental",
        (["u"], "scale", 1.0),
        {"start_index": 10, "end_index": 50},
        {
            "scale": {
                "kind": "scale",
                "factor": 2.0,
                "features": ["u"],
                "where": {"rows": [10, 50]},
                "profile": {"kind": "incremental"},
            }
        },
    ),
    (
        "recurrent",
        "inject_feature_drift_recurrent",
        (["u"], "shift", 1.0),
        {"repeats": 3},
        {
            "shift": {
                "kind": "shift",
                "amount_std": 1.0,
                "features": ["u"],
                "profile": {
                    "kind": "recurrent",
                    "period": 20,
                    "duty": 0.5,
                    "edge": 0,
                    "shape": "sigmoid",
                },
            }
        },
    ),
    (
        "recurrent_windows",
        "inject_feature_drift_recurrent",
        (["u"], "shift", 1.0),
        {"windows": [(10, 4), (40, 6)]},
        {
            "shift_w0": {
                "kind": "shift",
                "amount_std": 1.0,
                "features": ["u"],
                "where": {"rows": [8, 12]},
            },
            "shift_w1": {
                "kind": "shift",
                "amount_std": 1.0,
                "features": ["u"],
                "where": {"rows": [37, 43]},
            },
        },
    ),
    (
        "conditional",
        "inject_conditional_drift",
        (["u"], [{"column": "c", "operator": "in", "value": ["a", "b"]}], "shift", 1.0),
        {"start_index": 20},
        {
            "shift": {
                "kind": "shift",
                "amount_std": 1.0,
                "features": ["u"],
                "where": {
                    "rows": [20, 60],
                    "condition": [{"column": "c", "op": "in", "value": ["a", "b"]}],
                },
            }
        },
    ),
    (
        "label",
        "inject_label_drift",
        (["y"], 0.3),
        {"start_index": 30},
        {"label_flip": {"kind": "label_flip", "rate": 0.3, "where": {"rows": [30, 60]}}},
    ),
    (
        "label_gradual",
        "inject_label_drift_gradual",
        ("y", 0.8),
        {"center": 30, "width": 20, "profile": "cosine"},
        {
            "label_flip": {
                "kind": "label_flip",
                "rate": 0.8,
                "where": {"rows": [20, 60]},
                "profile": {"kind": "gradual", "shape": "cosine", "width": 20},
            }
        },
    ),
    (
        "binary_probabilistic",
        "inject_binary_probabilistic_drift",
        ("y", 0.4),
        {"start_index": 10},
        {"label_flip": {"kind": "label_flip", "rate": 0.4, "where": {"rows": [10, 60]}}},
    ),
    (
        "binary_probabilistic_window",
        "inject_binary_probabilistic_drift",
        ("y",),
        {"probability": 0.7, "center": 30, "width": 20, "profile": "linear"},
        {
            "label_flip": {
                "kind": "label_flip",
                "rate": 0.7,
                "where": {"rows": [20, 60]},
                "profile": {"kind": "gradual", "shape": "linear", "width": 20},
            }
        },
    ),
    (
        "label_abrupt",
        "inject_label_drift_abrupt",
        ("y", 0.5, 45),
        {},
        {"label_flip": {"kind": "label_flip", "rate": 0.5, "where": {"rows": [45, 60]}}},
    ),
    (
        "label_incremental",
        "inject_label_drift_incremental",
        ("y", 0.5),
        {},
        {"label_flip": {"kind": "label_flip", "rate": 0.5, "profile": {"kind": "incremental"}}},
    ),
    (
        "label_recurrent",
        "inject_label_drift_recurrent",
        ("y", 0.9),
        {"repeats": 4, "duty": 0.25},
        {
            "label_flip": {
                "kind": "label_flip",
                "rate": 0.9,
                "profile": {
                    "kind": "recurrent",
                    "period": 15,
                    "duty": 0.25,
                    "edge": 0,
                    "shape": "sigmoid",
                },
            }
        },
    ),
    (
        "label_shift",
        "inject_label_shift",
        ("y", {0: 1.0, 1: 3.0}),
        {"blocks": ["B4"]},
        {
            "prior_shift": {
                "kind": "prior_shift",
                "target": {0: 0.25, 1: 0.75},
                "where": {"blocks": [3]},
            }
        },
    ),
    (
        "concept_flip",
        "inject_concept_drift",
        (),
        {"concept_drift_magnitude": 0.4, "time_start": "2024-02-01"},
        {
            "label_flip": {
                "kind": "label_flip",
                "rate": 0.4,
                "where": {"time": ["2024-02-01T00:00:00", "2024-02-29T00:00:00.000001"]},
            }
        },
    ),
    (
        "concept_rule",
        "inject_concept_drift",
        ("threshold",),
        {"feature": "x", "threshold": 0.0, "start_index": 30},
        {
            "concept_drift": {
                "kind": "concept",
                "rule": "threshold",
                "feature": "x",
                "threshold": 0.0,
                "where": {"rows": [30, 60]},
            }
        },
    ),
    (
        "concept_gradual",
        "inject_concept_drift_gradual",
        (),
        {"concept_drift_magnitude": 1.0, "center": 30, "width": 10, "profile": "linear"},
        {
            "label_flip": {
                "kind": "label_flip",
                "rate": 1.0,
                "where": {"rows": [25, 60]},
                "profile": {"kind": "gradual", "shape": "linear", "width": 10},
            }
        },
    ),
    (
        "outliers",
        "inject_outliers",
        (["x", "u"], "hypercube"),
        {"outlier_fraction": 0.2, "margin": 0.3},
        {
            "outliers": {
                "kind": "outliers",
                "features": ["x", "u"],
                "method": "hypercube",
                "rate": 0.2,
                "margin": 0.3,
            }
        },
    ),
    (
        "outliers_global",
        "inject_outliers_global",
        (["u"], 0.25, 5.0),
        {},
        {
            "outliers": {
                "kind": "outliers",
                "features": ["u"],
                "method": "zscore",
                "rate": 0.25,
                "z": 5.0,
            }
        },
    ),
    (
        "missing_mar",
        "inject_missing_values",
        (["x"], 0.3, "mar"),
        {"driver": "u"},
        {
            "missing": {
                "kind": "missing",
                "features": ["x"],
                "rate": 0.3,
                "mechanism": "mar",
                "direction": "high",
                "driver": "u",
            }
        },
    ),
    (
        "missing_drift",
        "inject_missing_values_drift",
        (["x", "c"], 0.2),
        {"block_start": "B3"},
        {
            "missing": {
                "kind": "missing",
                "features": ["x", "c"],
                "rate": 0.2,
                "mechanism": "mcar",
                "where": {"blocks": [2, 3]},
                "reference_block": 2,
            }
        },
    ),
    (
        "nulls",
        "inject_nulls",
        (["z"],),
        {"prob": 0.5},
        {
            "missing": {
                "kind": "missing",
                "features": ["z"],
                "rate": 0.5,
                "mechanism": "mcar",
            }
        },
    ),
    (
        "new_category",
        "inject_new_category",
        ("c", "d", 0.5),
        {"replace_categories": ["a"], "start_index": 30},
        {
            "new_category": {
                "kind": "new_category",
                "column": "c",
                "rate": 0.5,
                "value": "d",
                "where": {
                    "rows": [30, 60],
                    "condition": [{"column": "c", "op": "in", "value": ["a"]}],
                },
            }
        },
    ),
    (
        "new_category_drift",
        "inject_new_category_drift",
        ("c", "zz", 1.0),
        {"width": 10, "profile": "linear"},
        {
            "new_category": {
                "kind": "new_category",
                "column": "c",
                "rate": 1.0,
                "value": "zz",
                "where": {"rows": [25, 60]},
                "profile": {"kind": "gradual", "shape": "linear", "width": 10},
            }
        },
    ),
    (
        "correlation",
        "inject_correlation_drift",
        (["x", "u"], [[1.0, 0.8], [0.8, 1.0]]),
        {"start_index": 20},
        {
            "correlation": {
                "kind": "correlation",
                "features": ["x", "u"],
                "target": [[1.0, 0.8], [0.8, 1.0]],
                "where": {"rows": [20, 60]},
            }
        },
    ),
    (
        "correlation_matrix",
        "inject_correlation_matrix_drift",
        (["x", "u"], np.array([[1.0, -0.5], [-0.5, 1.0]])),
        {},
        {
            "correlation": {
                "kind": "correlation",
                "features": ["x", "u"],
                "target": [[1.0, -0.5], [-0.5, 1.0]],
            }
        },
    ),
    (
        "typos",
        "inject_typos_drift",
        (["s"], 0.5),
        {"typo_type": "swap", "blocks": ["B1"]},
        {
            "typos_s": {
                "kind": "typos",
                "column": "s",
                "rate": 0.5,
                "density": 0.0,
                "operations": ["swap"],
                "where": {"blocks": [0]},
                "reference_block": 0,
            }
        },
    ),
    (
        "merge",
        "inject_category_merge_drift",
        ("c", ["a", "b"], "ab"),
        {"start_index": 30},
        {
            "merge_categories": {
                "kind": "merge_categories",
                "column": "c",
                "categories": ["a", "b"],
                "into": "ab",
                "where": {"rows": [30, 60]},
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_method_equals_inject(
    df: pd.DataFrame,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    expected: dict[str, dict[str, Any]],
) -> None:
    assert_matches_inject(injector(), df, method, args, kwargs, expected)


def test_new_value_is_new_category_on_text_and_set_on_floats(df: pd.DataFrame) -> None:
    expected = {
        "new_value_c": {
            "kind": "new_category",
            "column": "c",
            "rate": 0.5,
            "value": "NEW",
            "where": {"rows": [0, 30]},
        },
        "new_value_u": {
            "kind": "set",
            "features": ["u"],
            "value": "NEW",
            "where": {"rows": [0, 30], "fraction": 0.5},
        },
    }
    with pytest.raises(ScenarioError, match="number"):  # a text value on a float column
        injector().inject_new_value(df, ["c", "u"], "NEW", prob=0.5, end_index=30)
    assert_matches_inject(
        injector(),
        df,
        "inject_new_value",
        (["c"], "NEW"),
        {"prob": 0.5, "end_index": 30},
        {"new_value_c": expected["new_value_c"]},
    )
    out = assert_matches_inject(
        injector(),
        df,
        "inject_new_value",
        (["u"], -1.0),
        {"end_index": 30},
        {
            "new_value_u": {
                "kind": "set",
                "features": ["u"],
                "value": -1.0,
                "where": {"rows": [0, 30]},
            }
        },
    )
    assert (out["u"].iloc[:30] == -1.0).all() and (out["u"].iloc[30:] == df["u"].iloc[30:]).all()


def test_category_frequency_maps_to_blended_target(df: pd.DataFrame) -> None:
    m = 0.6
    before = df["c"].value_counts(normalize=True).sort_index()
    uniform = {k: (1 - m) * p + m / 3 for k, p in before.items()}
    inverted = (1 - before) / (1 - before).sum()
    invert = {k: (1 - m) * p + m * inverted[k] for k, p in before.items()}
    for method, perturbation, target in (
        ("inject_category_frequency_drift", "uniform", uniform),
        ("inject_categorical_frequency_drift", "invert", invert),
    ):
        inj = injector()
        expected = {"category_frequency_c": {"kind": "category_frequency", "column": "c"}}
        out = inj.__getattribute__(method)(df, ["c"], m, perturbation)
        got = inj.history[-1].events["category_frequency_c"]
        assert got.keys() == {"kind", "column", "target"}
        assert got["target"] == pytest.approx(target)
        expected["category_frequency_c"]["target"] = got["target"]
        ref = inject(df, expected, seed=SEED, **ROLES)
        pd.testing.assert_frame_equal(out, ref.frame)
        realised = inj.last_events[0].realised
        # reached per block of 15 rows, up to rounding
        assert realised["proportions_after"] == pytest.approx(target, abs=2.0 / 15)


@pytest.mark.parametrize("key", ["time_col", "block_column", "target_column"])
def test_role_columns_must_be_names(key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        DriftInjector(**{key: ["y"]})
    assert err.value.path == key and "must be a column name" in str(err.value)


def test_random_frequency_targets_differ_between_schedule_steps(df: pd.DataFrame) -> None:
    """A random perturbation draws from (seed, call, step, column): two steps of one schedule
    on one column get two targets; a direct call keeps the (seed, call, column) draw."""
    m = 0.5
    step = {
        "method": "inject_category_frequency_drift",
        "params": {"feature_cols": ["c"], "drift_magnitude": m, "perturbation": "random"},
    }
    inj = injector()
    inj.inject_multiple_types_of_drift(df, [step, step])
    events = inj.history[-1].events
    first, second = (events[k]["target"] for k in sorted(events))
    assert first.keys() == second.keys() == {"a", "b", "c"}
    assert max(abs(first[k] - second[k]) for k in first) > 0.01
    # the direct call: the blend of the selection's proportions with a random point of the
    # simplex drawn from [random_state, call 0, column]
    direct = injector()
    direct.inject_category_frequency_drift(df, ["c"], m, "random")
    p = np.random.default_rng([SEED, 0, stable_int("c")]).random(3)
    before = df["c"].value_counts(normalize=True).sort_index()
    expected = (1 - m) * before.to_numpy() + m * p / p.sum()
    got = direct.history[-1].events["category_frequency_c"]["target"]
    assert [got[k] for k in sorted(got)] == pytest.approx(expected / expected.sum())


def test_apply_drifts_passes_events_unchanged(df: pd.DataFrame) -> None:
    events = {
        "drop": {"kind": "shift", "features": ["u"], "amount": -1.0, "where": {"blocks": [2]}},
        "flip": {"kind": "label_flip", "rate": 0.5, "profile": {"kind": "incremental"}},
    }
    frozen = copy.deepcopy(events)
    assert_matches_inject(injector(), df, "apply_drifts", (events,), {}, frozen)
    assert events == frozen


# ---------------------------------------------------------------------------------------------
# Ground-truth weights equal the profile
# ---------------------------------------------------------------------------------------------


def test_ground_truth_weights_follow_the_profile(df: pd.DataFrame) -> None:
    inj = injector()
    inj.inject_feature_drift_gradual(df, ["u"], "shift", 1.0, center=20, width=10)
    w = inj.last_ground_truth["shift"].to_numpy()
    expected = np.zeros(N)
    expected[15:] = Gradual(shape="sigmoid", width=10).weights(np.arange(45), 45)
    np.testing.assert_array_equal(w, expected)

    inj.inject_label_drift_incremental(df, "y", 0.5, start_index=12, end_index=48)
    expected = np.zeros(N)
    expected[12:48] = Incremental().weights(np.arange(36), 36)
    np.testing.assert_array_equal(inj.last_ground_truth["label_flip"].to_numpy(), expected)

    inj.inject_feature_drift_recurrent(df, ["u"], "shift", 1.0, repeats=4, blocks=["B2", "B3"])
    expected = np.zeros(N)
    expected[15:45] = Recurrent(period=7).weights(np.arange(30), 30)
    np.testing.assert_array_equal(inj.last_ground_truth["shift"].to_numpy(), expected)

    inj.inject_feature_drift_abrupt(df, ["u"], "shift", 1.0, change_index=5, blocks=["B2"])
    expected = np.zeros(N)
    expected[20:30] = 1.0
    np.testing.assert_array_equal(inj.last_ground_truth["shift"].to_numpy(), expected)


def test_abrupt_feature_drift_takes_the_seeds_positional_order(df: pd.DataFrame) -> None:
    """``(df, cols, drift_type, drift_magnitude, change_index)`` as the seed's signature: the
    fifth argument is where the drift starts, not a value to add."""
    out = injector().inject_feature_drift_abrupt(df, ["u"], "add_value", 0.2, 40, drift_value=3)
    np.testing.assert_array_equal((out["u"] - df["u"]).to_numpy()[:40], 0.0)
    np.testing.assert_allclose((out["u"] - df["u"]).to_numpy()[40:], 3.0)
    with pytest.raises(TypeError):
        injector().inject_feature_drift_abrupt(df, ["u"], "add_value", 0.2, 40, "up", 3)


def test_time_end_is_inclusive_and_time_ranges_make_one_event_each(df: pd.DataFrame) -> None:
    inj = injector()
    inj.inject_feature_drift(
        df, ["u"], "shift", 1.0, time_start="2024-01-05", time_end="2024-01-07"
    )
    assert np.flatnonzero(inj.last_ground_truth["shift"]).tolist() == [4, 5, 6]
    inj.inject_feature_drift(
        df, ["u"], time_ranges=[("2024-01-01", "2024-01-02"), ("2024-02-01", "2024-02-01")]
    )
    truth = inj.last_ground_truth
    assert np.flatnonzero(truth["gaussian_noise_t0"]).tolist() == [0, 1]
    assert np.flatnonzero(truth["gaussian_noise_t1"]).tolist() == [31]
    inj.inject_feature_drift(df, ["u"], specific_times=["2024-01-03", "2024-01-09"])
    assert np.flatnonzero(inj.last_ground_truth["gaussian_noise"]).tolist() == [2, 8]
    inj.inject_feature_drift(
        df, ["u"], time_start="2024-01-01", time_end="2024-01-10", time_step="3D"
    )
    assert np.flatnonzero(inj.last_ground_truth["gaussian_noise"]).tolist() == [0, 3, 6, 9]


def test_time_selectors_read_naive_times_in_the_columns_zone() -> None:
    """On a zoned time column a time without a timezone is read in the column's zone (the
    seed's pandas comparison raised); missing timestamps never bound the window."""
    frame = pd.DataFrame(
        {
            "t": pd.date_range("2024-01-01", periods=6, freq="D", tz="Europe/Madrid"),
            "x": np.zeros(6),
        }
    )
    inj = DriftInjector(time_col="t")

    def rows(**selector: Any) -> list[int]:
        inj.inject_feature_drift(frame, ["x"], "add_value", drift_value=1.0, **selector)
        return np.flatnonzero(inj.last_ground_truth["add_value"]).tolist()

    assert rows(time_start="2024-01-03") == [2, 3, 4, 5]
    assert rows(time_end="2024-01-02") == [0, 1]
    assert rows(specific_times=["2024-01-02", "2024-01-05"]) == [1, 4]
    assert rows(time_start="2024-01-02", time_end="2024-01-05", time_step="2D") == [1, 3]
    naive = frame.assign(t=frame["t"].dt.tz_localize(None))
    naive.loc[0, "t"] = pd.NaT
    inj.inject_feature_drift(naive, ["x"], "add_value", drift_value=1.0, time_end="2024-01-03")
    assert np.flatnonzero(inj.last_ground_truth["add_value"]).tolist() == [1, 2]
    with pytest.raises(ScenarioError, match="has a timezone, but 't' has none") as err:
        inj.inject_feature_drift(naive, ["x"], time_start="2024-01-02T00:00+00:00")
    assert err.value.path == "time_start"
    with pytest.raises(ScenarioError, match="not a date/time: 'soon'") as err:
        inj.inject_feature_drift(naive, ["x"], time_end="soon")
    assert err.value.path == "time_end"


def test_blocks_map_to_first_appearance_order() -> None:
    frame = make_frame().iloc[::-1].reset_index(drop=True)  # B4 first
    inj = injector()
    out = inj.inject_feature_drift(frame, ["u"], "add_value", drift_value=1.0, blocks=["B4"])
    assert inj.history[-1].events["add_value"]["where"] == {"blocks": [0]}
    changed = (out["u"] != frame["u"]).to_numpy()
    np.testing.assert_array_equal(changed, (frame["b"] == "B4").to_numpy())
    inj.inject_feature_drift(frame, ["u"], block_start="B2", n_blocks=2, block_step=2)
    assert inj.history[-1].events["gaussian_noise"]["where"] == {"blocks": [0, 2]}  # B2, B4


# ---------------------------------------------------------------------------------------------
# The seed's defects do not recur
# ---------------------------------------------------------------------------------------------


def test_shift_moves_a_zero_mean_column_by_magnitude_stds(df: pd.DataFrame) -> None:
    assert abs(df["x"].mean()) < 1e-12
    inj = DriftInjector()
    out = inj.inject_feature_drift(df[["x"]], ["x"], drift_type="shift", drift_magnitude=2.5)
    delta = out["x"] - df["x"]
    np.testing.assert_allclose(delta, 2.5 * df["x"].std(ddof=0))
    realised = inj.last_events[0].realised["x"]
    assert realised["mean_shift"] == pytest.approx(2.5 * df["x"].std(ddof=0))
    assert realised["expected_mean_shift"] == pytest.approx(realised["mean_shift"])


def test_label_methods_actually_flip(df: pd.DataFrame) -> None:
    inj = injector()
    out = inj.inject_label_drift(df, ["y"], drift_magnitude=1.0)
    assert (out["y"] == 1 - df["y"]).all()
    assert inj.last_events[0].realised["flip_rate"] == 1.0
    out = inj.inject_label_drift_gradual(df, "y", 1.0, center=30, width=1)
    assert (out["y"] != df["y"]).tolist() == [False] * 30 + [True] * 30
    out = inj.inject_label_drift_recurrent(df, "y", 1.0, windows=[(10, 4)])
    assert np.flatnonzero(out["y"] != df["y"]).tolist() == [8, 9, 10, 11]
    out = inj.inject_concept_drift(df, concept_drift_magnitude=1.0, start_index=50)
    assert np.flatnonzero(out["y"] != df["y"]).tolist() == list(range(50, 60))
    out = inj.inject_label_shift(df, "y", {0: 0.0, 1: 1.0})
    assert (out["y"] == 1).all()
    # the seed's name for the gradual concept method's label column
    out = DriftInjector().inject_concept_drift_gradual(
        df, concept_drift_magnitude=1.0, target_col="y", center=30, width=1
    )
    assert (out["y"] != df["y"]).tolist() == [False] * 30 + [True] * 30
    out = DriftInjector().inject_binary_probabilistic_drift(df, "y", probability=1.0)
    assert (out["y"] == 1 - df["y"]).all()


def test_recurrent_is_not_a_no_op(df: pd.DataFrame) -> None:
    inj = injector()
    out = inj.inject_feature_drift_recurrent(df, ["u"], "add_value", drift_value=1.0, repeats=2)
    delta = (out["u"] - df["u"]).round(12).tolist()
    assert delta == ([1.0] * 15 + [0.0] * 15) * 2


def test_schedule_applies_every_step_in_one_call_and_leaves_dicts_alone(df: pd.DataFrame) -> None:
    # the seed silently skipped the last three (TypeError on injected context keywords)
    schedule = [
        {
            "method": "inject_feature_drift",
            "params": {"feature_cols": ["u"], "drift_type": "shift", "drift_magnitude": 1.0},
        },
        {"method": "inject_outliers_global", "params": {"cols": ["x"], "outlier_prob": 0.2}},
        {
            "method": "inject_missing_values_drift",
            "params": {"feature_cols": ["z"], "missing_fraction": 0.3, "blocks": ["B4"]},
        },
        {"method": "inject_concept_drift", "params": {"concept_drift_magnitude": 0.5}},
    ]
    frozen = copy.deepcopy(schedule)
    param_ids = [id(step["params"]) for step in schedule]
    inj = injector()
    before = df.copy(deep=True)
    out = inj.inject_multiple_types_of_drift(df, schedule)
    assert schedule == frozen
    assert [id(step["params"]) for step in schedule] == param_ids
    assert all("df" not in step["params"] for step in schedule)
    pd.testing.assert_frame_equal(df, before)
    record = inj.history[-1]
    assert len(inj.history) == 1 and record.seed == SEED
    assert list(record.events) == [
        "s0_shift",
        "s1_outliers",
        "s2_missing",
        "s3_label_flip",
    ]
    ref = inject(df, record.events, seed=SEED, **ROLES)
    pd.testing.assert_frame_equal(out, ref.frame)
    pd.testing.assert_frame_equal(inj.last_ground_truth, ref.ground_truth)
    assert all(info.rows_affected > 0 for info in inj.last_events)
    assert out["z"].isna().sum() > 0 and (out["y"] != df["y"]).sum() > 0


def test_schedule_with_different_targets_runs_in_groups(df: pd.DataFrame) -> None:
    frame = df.assign(y2=df["y"])
    schedule = [
        {"method": "inject_label_drift", "params": {"target_cols": ["y"], "drift_magnitude": 1.0}},
        {"method": "inject_label_drift", "params": {"target_cols": "y2", "drift_magnitude": 1.0}},
    ]
    inj = injector()
    out = inj.inject_multiple_types_of_drift(frame, schedule)
    assert (out["y"] == 1 - frame["y"]).all() and (out["y2"] == 1 - frame["y2"]).all()
    assert {"s0_label_flip", "s1_label_flip"} <= set(inj.last_ground_truth.columns)
    assert [e.id for e in inj.last_events] == ["s0_label_flip", "s1_label_flip"]


def test_schedule_errors_name_the_step_and_apply_nothing(df: pd.DataFrame) -> None:
    inj = injector()
    with pytest.raises(ScenarioError) as err:
        inj.inject_multiple_types_of_drift(df, [{"method": "inject_nothing", "params": {}}])
    assert err.value.path == "schedule.0.method"
    bad_param = [
        {"method": "inject_nulls", "params": {"cols": ["x"]}},
        {"method": "inject_outliers_global", "params": {"cols": ["x"], "colour": "red"}},
    ]
    with pytest.raises(TypeError, match=r"schedule\.1 .*'colour'"):
        inj.inject_multiple_types_of_drift(df, bad_param)
    with pytest.raises(ScenarioError) as err:
        inj.inject_multiple_types_of_drift(
            df,
            [
                {
                    "method": "inject_feature_drift_gradual",
                    "params": {"feature_cols": "u", "speed_k": 3},
                }
            ],
        )
    assert err.value.path == "schedule.0.speed_k"
    with pytest.raises(ScenarioError) as err:
        inj.inject_multiple_types_of_drift(df, [{"method": "inject_nulls", "params": {"df": df}}])
    assert err.value.path == "schedule.0.params.df"
    # found only when the events run: still named after the step and its method's argument
    fine = {"method": "inject_label_drift", "params": {"drift_magnitude": 0.5}}
    for step, path in [
        ({"method": "inject_outliers_global", "params": {"cols": ["c"]}}, "schedule.1.cols"),
        ({"method": "inject_nulls", "params": {"cols": ["nope"]}}, "schedule.1.cols"),
        (
            {"method": "inject_outliers", "params": {"feature_cols": ["u"], "z": -1.0}},
            "schedule.1.z",
        ),
    ]:
        with pytest.raises(ScenarioError) as err:
            inj.inject_multiple_types_of_drift(df, [fine, step])
        assert err.value.path == path, str(err.value)
    assert inj.history == [] and inj.last_ground_truth is None


def test_nothing_is_written(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, df: pd.DataFrame
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match="writes no files"):
        inj = DriftInjector(
            output_dir=str(tmp_path / "drift_output"),
            random_state=1,
            time_col="t",
            block_column="b",
            target_column="y",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        inj.inject_feature_drift(
            df,
            ["u"],
            "shift",
            1.0,
            auto_report=True,
            output_dir=str(tmp_path / "x"),
            generator_name="g",
        )
        inj.inject_label_drift(df, ["y"], 0.2, output_dir=str(tmp_path / "y"))
        inj.inject_outliers_global(df, ["u"])
        inj.inject_multiple_types_of_drift(
            df, [{"method": "inject_nulls", "params": {"cols": ["x"]}}], output_dir="z"
        )
    assert list(tmp_path.iterdir()) == []


def test_seeds_are_deterministic_and_fresh_per_call(df: pd.DataFrame) -> None:
    a, b = injector(), injector()
    first = a.inject_feature_drift(df, ["u"], drift_magnitude=1.0)
    second = a.inject_feature_drift(df, ["u"], drift_magnitude=1.0)
    pd.testing.assert_frame_equal(first, b.inject_feature_drift(df, ["u"], drift_magnitude=1.0))
    pd.testing.assert_frame_equal(second, b.inject_feature_drift(df, ["u"], drift_magnitude=1.0))
    assert not np.allclose(first["u"], second["u"])  # fresh noise, not the same draws twice
    assert DriftInjector().random_state == 42


# ---------------------------------------------------------------------------------------------
# Unsupported seed options raise, naming the parameter
# ---------------------------------------------------------------------------------------------

RAISES: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("inject_feature_drift_gradual", (["u"],), {"speed_k": 2.0}, "speed_k"),
    ("inject_feature_drift_gradual", (["u"],), {"direction": "down"}, "direction"),
    ("inject_feature_drift_gradual", (["u"],), {"inconsistency": 0.1}, "inconsistency"),
    ("inject_feature_drift_gradual", (["u"],), {"profile": "step"}, "profile"),
    ("inject_feature_drift_gradual", (["u"],), {"center": 58, "width": 10}, "width"),
    ("inject_feature_drift_gradual", (["u"],), {"center": 10, "width": 0}, "width"),
    ("inject_feature_drift_gradual", (["u"],), {"center": 60, "width": 2}, "center"),
    ("inject_feature_drift_gradual", (["u"],), {"center": -1, "width": 2}, "center"),
    ("inject_feature_drift_recurrent", (["u"],), {"windows": [(1, 4)]}, "windows.0"),
    ("inject_feature_drift_recurrent", (["u"],), {"windows": [(5, 2), (59, 4)]}, "windows.1"),
    ("inject_label_drift_gradual", ("y",), {"speed_k": 0.5}, "speed_k"),
    ("inject_binary_probabilistic_drift", ("y",), {"threshold": 0.5}, "threshold"),
    ("inject_binary_probabilistic_drift", ("c",), {}, "target_col"),
    ("inject_concept_drift_gradual", (), {"target_col": "y", "target_column": "y"}, "target_col"),
    ("inject_feature_drift_abrupt", (["u"],), {"direction": "down"}, "direction"),
    ("inject_feature_drift_abrupt", (["u"],), {"change_index": 99}, "change_index"),
    ("inject_feature_drift_recurrent", (["u"],), {"cycle_blocks": ["B1"]}, "cycle_blocks"),
    (
        "inject_feature_drift_recurrent",
        (["u"],),
        {"random_repeat_order": True},
        "random_repeat_order",
    ),
    ("inject_feature_drift_recurrent", (["u"],), {"center": 3}, "center"),
    ("inject_feature_drift_recurrent", (["u"],), {"width_in_block": 3}, "width_in_block"),
    ("inject_feature_drift_recurrent", (["u"],), {"windows": [(5, 2)], "repeats": 2}, "repeats"),
    ("inject_feature_drift_recurrent", (["u"],), {"repeats": 40}, "repeats"),
    ("inject_feature_drift", (["u"],), {"index_step": 2}, "index_step"),
    ("inject_feature_drift", (["u"], "drift"), {}, "drift_type"),
    # a time column must hold times (text that is not dates, or numbers, is refused)
    ("inject_feature_drift", (["u"],), {"time_col": "c", "time_start": "2024-01-01"}, "time_col"),
    ("inject_feature_drift", (["u"],), {"time_col": "z", "time_start": "2024-01-01"}, "time_col"),
    (
        "inject_feature_drift",
        (["u"],),
        {"time_start": "2024-01-01", "time_end": "2024-01-10", "time_step": "0h"},
        "time_step",
    ),
    # text columns take a category_flip whatever the type, but the type must exist and a
    # value they cannot use is refused
    ("inject_feature_drift", (["c"], "no_such_type", 0.5), {}, "drift_type"),
    ("inject_feature_drift", (["c"], "add_value"), {"drift_value": 100.0}, "drift_value"),
    ("inject_feature_drift", (["u"], "divide_value"), {"drift_value": 0}, "drift_value"),
    ("inject_feature_drift", (["u"], "add_value"), {}, "drift_value"),
    ("inject_feature_drift", (["u"], "scale"), {"drift_value": 2}, "drift_value"),
    ("inject_feature_drift", (["u"],), {"drift_values": {"u": 1.0}}, "drift_values"),
    ("inject_feature_drift", (["nope"],), {}, "feature_cols"),
    ("inject_category_frequency_drift", (["u"],), {}, "feature_cols"),  # a float column
    # probabilities and fractions are checked under the method's own argument names
    ("inject_missing_values", (["u"],), {"missing_fraction": 2.0}, "missing_fraction"),
    ("inject_nulls", (["u"],), {"prob": -0.5}, "prob"),
    ("inject_outliers", (["u"],), {"outlier_fraction": 3.0}, "outlier_fraction"),
    ("inject_outliers", (["u"],), {"rate": 1.5}, "rate"),
    ("inject_new_category", ("c", "zz"), {"probability": 2.0}, "probability"),
    ("inject_new_value", (["c"], "zz"), {"prob": 1.5}, "prob"),
    ("inject_label_drift", ("y",), {"drift_magnitude": 2.0}, "drift_magnitude"),
    ("inject_concept_drift", (), {"concept_drift_magnitude": -1.0}, "concept_drift_magnitude"),
    ("inject_typos_drift", (["s"],), {"drift_magnitude": 1.2}, "drift_magnitude"),
    # checked by the engine, reported under the method's argument (not drift.<id>.<key>)
    ("inject_outliers", (["u"],), {"factor": -1.0, "method": "factor"}, "factor"),
    ("inject_outliers", (["u"],), {"z": 0.0}, "z"),
    ("inject_outliers", (["u"],), {"margin": -0.1, "method": "hypercube"}, "margin"),
    ("inject_outliers", (["u"],), {"method": "iqr"}, "method"),
    ("inject_outliers", (["nope"],), {}, "feature_cols"),
    ("inject_outliers_global", (["u"],), {"factor": -2.0}, "factor"),
    ("inject_outliers_global", (["u"],), {"outlier_prob": 2.0}, "outlier_prob"),
    ("inject_missing_values", (["u"],), {"mechanism": "often"}, "mechanism"),
    (
        "inject_missing_values",
        (["u"],),
        {"mechanism": "mnar", "missing_direction": "up"},
        "missing_direction",
    ),
    ("inject_nulls", (["nope"],), {}, "cols"),
    ("inject_feature_drift", (["u"], "gaussian_noise", -1.0), {}, "drift_magnitude"),
    ("inject_feature_drift_recurrent", (["u"], "shift"), {"duty": -1}, "duty"),
    ("inject_label_drift_recurrent", ("y",), {"edge": -1}, "edge"),
    ("inject_new_category", ("c", 7), {}, "new_value"),
    ("inject_new_category", ("c", "zz"), {"replace_categories": []}, "replace_categories"),
    ("inject_category_merge_drift", ("c", []), {}, "categories"),
    ("inject_label_shift", ("y", {0: 0.5, 7: 0.5}), {}, "target_distribution"),
    # concept-rule keywords go into the event as they are, and are reported as given
    ("inject_concept_drift", ("threshold",), {"feature": "nope", "threshold": 0.0}, "feature"),
    (
        "inject_concept_drift",
        ("swap",),
        {"classes": [0, 5], "condition": [{"column": "x", "op": ">", "value": 0}]},
        "classes",
    ),
    (
        "inject_concept_drift_gradual",
        ("linear",),
        {"features": ["x"], "weights": [1, 2]},
        "weights",
    ),
    # seed aliases name their own arguments, not those of the method they delegate to
    ("inject_new_category_drift", ("nope", "zz"), {}, "feature_col"),
    ("inject_new_category_drift", ("c", 7), {}, "new_category"),
    ("inject_correlation_matrix_drift", (["x", "u"],), {}, "target_correlation_matrix"),
    ("inject_feature_drift", (["u"],), {"blocks": ["B9"]}, "blocks"),
    ("inject_feature_drift", (["u"],), {"blocks": ["B1"], "block_index": "B2"}, "block_index"),
    ("inject_feature_drift", (["u"],), {"n_blocks": 2}, "n_blocks"),
    ("inject_feature_drift", (["u"],), {"start_index": 70}, "start_index"),
    (
        "inject_feature_drift",
        (["u"],),
        {"time_start": "2024-01-05", "specific_times": ["2024-01-06"]},
        "specific_times",
    ),
    (
        "inject_feature_drift",
        (["u"],),
        {"time_step": "2D", "time_start": "2024-01-05"},
        "time_step",
    ),
    (
        "inject_feature_drift",
        (["u"],),
        {"time_start": "2024-01-09", "time_end": "2024-01-02"},
        "time_end",
    ),
    (
        "inject_feature_drift",
        (["u"],),
        {"time_col": "when", "time_start": "2024-01-05"},
        "time_col",
    ),
    (
        "inject_feature_drift_gradual",
        (["u"],),
        {"time_ranges": [("2024-01-01", "2024-01-05"), ("2024-01-10", "2024-01-20")]},
        "time_ranges",
    ),
    (
        "inject_feature_drift_gradual",
        (["u"],),
        {"specific_times": ["2024-01-05"]},
        "specific_times",
    ),
    (
        "inject_conditional_drift",
        (["u"], [{"column": "c", "operator": "==", "value": "a"}]),
        {"drift_method": "gradual"},
        "drift_method",
    ),
    (
        "inject_conditional_drift",
        (["u"], [{"column": "c", "operator": "~", "value": "a"}]),
        {},
        "conditions.0.operator",
    ),
    ("inject_concept_drift", ("rotate",), {}, "concept_drift_type"),
    (
        "inject_concept_drift",
        ("threshold",),
        {"feature": "x", "concept_drift_magnitude": 0.3},
        "concept_drift_magnitude",
    ),
    ("inject_concept_drift", (), {"feature": "x"}, "feature"),
    ("inject_label_drift", (["y", "c"],), {}, "target_cols"),
    ("inject_typos_drift", (["s"],), {"typo_density": 3}, "typo_density"),
    ("inject_typos_drift", (["s"],), {"typo_type": "shout"}, "typo_type"),
    ("inject_new_category_drift", ("c", "d"), {"candidate_logic": {"x": 1}}, "candidate_logic"),
    ("inject_category_frequency_drift", (["c"],), {"perturbation": "flat"}, "perturbation"),
    ("inject_label_shift", ("y",), {}, "target_distribution"),
    # the distribution given where the target column goes: a column name is asked for
    ("inject_label_shift", ({0: 0.5, 1: 0.5}, {0: 1.0}), {}, "target_col"),
    ("inject_feature_drift", ([{"x": 1}], "shift"), {}, "feature_cols"),
    ("inject_label_drift", (), {"target_column": ["y"]}, "target_column"),
    ("inject_correlation_drift", (["x", "u"],), {}, "correlation_matrix"),
    # arguments of the wrong type: a ScenarioError naming them, never a TypeError/ValueError
    ("inject_feature_drift", (["x"], "shift", "big"), {}, "drift_magnitude"),
    ("inject_feature_drift", (7, "shift"), {}, "feature_cols"),
    ("inject_feature_drift", (["x"], 3), {}, "drift_type"),
    ("inject_feature_drift", (["x"], "add_value"), {"drift_value": "1"}, "drift_value"),
    ("inject_feature_drift", (["x"], "shift"), {"drift_values": [1.0]}, "drift_values"),
    ("inject_feature_drift_gradual", (["x"], "shift"), {"center": math.nan}, "center"),
    ("inject_feature_drift_gradual", (["x"], "shift"), {"width": "wide"}, "width"),
    ("inject_feature_drift_gradual", (["x"], "shift"), {"width": 2.5}, "width"),
    ("inject_feature_drift_recurrent", (["x"], "shift"), {"windows": 5}, "windows"),
    ("inject_feature_drift_recurrent", (["x"], "shift"), {"windows": [("a", 3)]}, "windows.0"),
    ("inject_label_drift", (), {"target_cols": 0}, "target_cols"),
    ("inject_label_drift", (), {"drift_magnitudes": []}, "drift_magnitudes"),
    ("inject_label_drift", (), {"drift_magnitude": None}, "drift_magnitude"),
    ("inject_label_shift", ("y", "half"), {}, "target_distribution"),
    ("inject_label_shift", ("y", {0: "a", 1: 0.5}), {}, "target_distribution.0"),
    ("inject_concept_drift", (3,), {}, "concept_drift_type"),
    ("inject_concept_drift", ("label_flip", "x"), {}, "concept_drift_magnitude"),
    ("inject_correlation_drift", (["x", "u"], "strong"), {}, "correlation_matrix"),
    ("inject_correlation_drift", (["x", "u"], [0.5, 0.5]), {}, "correlation_matrix"),
    ("inject_category_merge_drift", ("c", 3), {}, "categories"),
    ("inject_new_category", ("c", "d"), {"replace_categories": 1}, "replace_categories"),
    ("inject_outliers", (["x"],), {"factor": "x"}, "factor"),
    ("inject_missing_values", (["x"], "x"), {}, "missing_fraction"),
    ("inject_nulls", (["x"],), {"prob": [0.1]}, "prob"),
    ("inject_category_frequency_drift", (["c"], "x"), {}, "drift_magnitude"),
    ("apply_drifts", ({"a": 1},), {}, "events.a"),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "param"), RAISES, ids=[f"{r[0]}-{r[3]}" for r in RAISES]
)
def test_unsupported_options_raise_naming_the_parameter(
    df: pd.DataFrame, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], param: str
) -> None:
    inj = injector()
    with pytest.raises(ScenarioError) as err:
        getattr(inj, method)(df, *args, **kwargs)
    assert err.value.path == param, str(err.value)
    assert inj.history == []


def test_unknown_keywords_are_type_errors(df: pd.DataFrame) -> None:
    inj = injector()
    with pytest.raises(TypeError, match="'end_idx'"):
        inj.inject_feature_drift(df, ["u"], end_idx=5)
    with pytest.raises(TypeError, match="'colour'"):
        inj.inject_label_drift(df, ["y"], colour="red")
    with pytest.raises(TypeError):
        inj.inject_outliers_global(df, ["u"], bogus=1)


def test_label_column_can_be_drifted_as_a_feature(df: pd.DataFrame) -> None:
    no_target = {"time_column": "t", "block_column": "b", "target": None}
    assert_matches_inject(
        injector(),
        df,
        "inject_nulls",
        (["y"], 1.0),
        {"start_index": 55},
        {
            "missing": {
                "kind": "missing",
                "features": ["y"],
                "rate": 1.0,
                "mechanism": "mcar",
                "where": {"rows": [55, 60]},
            }
        },
        no_target,
    )


def test_constructor_and_positions_refusals(df: pd.DataFrame) -> None:
    with pytest.raises(ScenarioError) as err:
        DriftInjector(original_df=df)
    assert err.value.path == "original_df"
    with pytest.raises(ScenarioError) as err:
        DriftInjector(random_state=-1)
    assert err.value.path == "random_state"
    shuffled = df.assign(b=np.tile(["B1", "B2"], N // 2))  # blocks interleaved
    with pytest.raises(ScenarioError) as err:
        injector().inject_feature_drift(shuffled, ["u"], start_index=10)
    assert err.value.path == "start_index"
    # engine errors keep their own path (here: a non-binary target for label_flip)
    with pytest.raises(ScenarioError, match="label_flip"):
        DriftInjector(target_column="u").inject_label_drift(df)


def test_errors_say_which_default_is_missing_and_where_times_fall(df: pd.DataFrame) -> None:
    """A constructor default the frame lacks is named; a time window outside the data says
    so (not 'ends (None) before it starts'); a float position names its argument."""
    cases = [
        (DriftInjector(time_col="when"), {"time_start": "2024-01-05"}, "time_col",
         "DriftInjector's time_col='when' is not a column of this frame"),
        (DriftInjector(time_col="t"), {"time_start": "2030-01-01"}, "time_start",
         "is after the last time in 't'"),
        (DriftInjector(time_col="t"), {"time_end": "2020-01-01"}, "time_end",
         "is before the first time in 't'"),
        (DriftInjector(), {"start_index": 10.0}, "start_index", "must be an integer"),
        (DriftInjector(block_column="blk"), {"blocks": ["B1"]}, "block_column",
         "block_column='blk' is not a column"),
    ]  # fmt: skip
    for inj, selectors, path, says in cases:
        with pytest.raises(ScenarioError) as err:
            inj.inject_feature_drift(df, ["u"], **selectors)
        assert err.value.path == path and says in err.value.message, err.value
    with pytest.raises(ScenarioError, match="target_column='label' is not a column"):
        DriftInjector(target_column="label").inject_label_drift(df)


def test_facade_in_conditions_need_a_list(df: pd.DataFrame) -> None:
    with pytest.raises(ScenarioError, match="needs a list of values") as err:
        DriftInjector().inject_conditional_drift(
            df, ["u"], conditions=[{"column": "c", "operator": "in", "value": 5}]
        )
    assert err.value.path == "conditions.0.value"


def test_facade_errors_name_the_method_own_arguments(df: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="did you mean 'drift_magnitude'"):
        DriftInjector().inject_feature_drift(df, ["u"], drift_magnitud=0.1)
    with pytest.raises(ScenarioError) as err:
        DriftInjector().inject_correlation_matrix_drift(
            df, ["u", "x"], target_correlation_matrix=[[1, 2], [2, 1]]
        )
    assert err.value.path == "target_correlation_matrix"


# ---------------------------------------------------------------------------------------------
# The label column, selectors, recurrence, new values and argument names (audit findings)
# ---------------------------------------------------------------------------------------------


def test_binary_drift_refuses_multiclass_labels_wherever_the_column_is_named(
    df: pd.DataFrame,
) -> None:
    """Finding 3: the class check reads the label column the call resolved, whichever
    argument (or default) named it, and names that argument."""
    three = df.assign(y=np.arange(N) % 3)
    says = "'y' has 3 classes; this method flips binary labels"
    cases = [
        (lambda: DriftInjector().inject_binary_probabilistic_drift(three, "y"), "target_col"),
        (
            lambda: DriftInjector().inject_binary_probabilistic_drift(
                three, probability=1.0, target_column="y"
            ),
            "target_column",
        ),
        (
            lambda: DriftInjector(target_column="y").inject_binary_probabilistic_drift(three),
            "target_column",
        ),
        (
            lambda: DriftInjector().inject_multiple_types_of_drift(
                three,
                [{"method": "inject_binary_probabilistic_drift", "params": {"probability": 1.0}}],
                target_column="y",
            ),
            "schedule.0.target_column",
        ),
    ]
    for call, path in cases:
        with pytest.raises(ScenarioError) as err:
            call()
        assert (err.value.path, err.value.message.startswith(says)) == (path, True), err.value
    out = DriftInjector().inject_binary_probabilistic_drift(df, probability=1.0, target_column="y")
    assert (out["y"] == 1 - df["y"]).all()
    with pytest.raises(ScenarioError) as err:
        DriftInjector().inject_binary_probabilistic_drift(df, "y", probability=2.0)
    assert (err.value.path, err.value.message) == ("probability", "must be in [0, 1], got 2.0")


def test_label_drift_magnitudes_key_the_resolved_label_column(df: pd.DataFrame) -> None:
    """Finding 4: ``drift_magnitudes`` is keyed by the label column however it was named
    (``target_cols``, ``target_column=``, the instance's or a schedule's default)."""
    flip_all = {"drift_magnitude": 0.0, "drift_magnitudes": {"y": 1.0}}
    outs = [
        DriftInjector().inject_label_drift(df, "y", **flip_all),
        DriftInjector().inject_label_drift(df, target_column="y", **flip_all),
        DriftInjector(target_column="y").inject_label_drift(df, **flip_all),
        DriftInjector().inject_multiple_types_of_drift(
            df, [{"method": "inject_label_drift", "params": flip_all}], target_column="y"
        ),
    ]
    for out in outs:
        assert (out["y"] == 1 - df["y"]).all()
    inj = DriftInjector(target_column="y")
    inj.inject_label_drift(df, **flip_all)
    assert inj.history[-1].events == {"label_flip": {"kind": "label_flip", "rate": 1.0}}
    with pytest.raises(ScenarioError) as err:
        inj.inject_label_drift(df, drift_magnitudes={"u": 0.5})
    assert (err.value.path, err.value.message) == (
        "drift_magnitudes",
        "['u'] are not the label column 'y'",
    )
    with pytest.raises(ScenarioError) as err:
        inj.inject_label_drift(df, drift_magnitudes={"y": 1.5})
    assert err.value.path == "drift_magnitudes.y"


def test_selector_type_mistakes_name_the_selector(df: pd.DataFrame) -> None:
    """Finding 5: a block id, a time range or a frequency of the wrong form is a
    ScenarioError naming the selector, never a TypeError or pandas' ValueError."""
    inj = injector()
    cases = [
        ({"blocks": "B1"}, "blocks", "must be a list of block ids (block_index=<id> selects one)"),
        ({"blocks": 1}, "blocks", "must be a list of block ids (block_index=<id> selects one)"),
        ({"time_ranges": 5}, "time_ranges", "must be a list of (start, end) pairs, got 5"),
        ({"time_ranges": [5]}, "time_ranges.0", "must be a (start, end) pair, got 5"),
        ({"time_ranges": [("2024-01-01",)]}, "time_ranges.0", "must be a (start, end) pair"),
        (
            {"time_start": "2024-01-02", "time_end": "2024-01-05", "time_step": "zz"},
            "time_step",
            "not a pandas frequency such as '1D' or '6h': 'zz'",
        ),
        (
            {"time_start": "2024-01-02", "time_end": "2024-01-05", "time_step": "-1D"},
            "time_step",
            "steps of '-1D' from 2024-01-02 to 2024-01-05 give no time",
        ),
        (
            {"specific_times": "2030-01-01"},
            "specific_times",
            "none of these times occurs in 't' among the selected rows",
        ),
        (
            {"specific_times": ["2024-01-02"], "blocks": ["B2"]},
            "specific_times",
            "none of these times occurs in 't' among the selected rows",
        ),
    ]
    for selectors, path, says in cases:
        with pytest.raises(ScenarioError) as err:
            inj.inject_feature_drift(df, ["u"], "shift", **selectors)
        assert (err.value.path, err.value.message.startswith(says)) == (path, True), err.value
    assert inj.history == []
    # one timestamp in any scalar form selects that row
    for one in (
        "2024-01-02",
        pd.Timestamp("2024-01-02"),
        np.datetime64("2024-01-02"),
        pd.Timestamp("2024-01-02").to_pydatetime(),
    ):
        inj.inject_feature_drift(df, ["u"], "add_value", drift_value=1.0, specific_times=one)
        assert np.flatnonzero(inj.last_ground_truth["add_value"]).tolist() == [1]
        condition = inj.history[-1].events["add_value"]["where"]["condition"]
        assert condition == [{"column": "t", "op": "in", "value": [pd.Timestamp("2024-01-02")]}]


def test_recurrent_windows_honour_edge_and_profile(df: pd.DataFrame) -> None:
    """Finding 6: with ``windows``, ``edge`` and ``profile`` shape each window's ends (a
    one-period ``recurrent`` profile); ``duty`` and a ``profile`` with nothing to shape are
    refused, and so is an ``edge`` that leaves no row at full weight."""
    frame = pd.DataFrame({"a": np.zeros(40)})
    inj = DriftInjector()
    out = inj.inject_feature_drift_recurrent(
        frame, ["a"], "add_value", drift_value=1.0, windows=[(10, 10), (30, 10)], edge=3,
        profile="cosine",
    )  # fmt: skip
    shape = {"kind": "recurrent", "period": 10, "duty": 1.0, "edge": 3, "shape": "cosine"}
    assert inj.history[-1].events == {
        f"add_value_w{k}": {
            "kind": "add", "value": 1.0, "features": ["a"], "where": {"rows": rows},
            "profile": shape,
        }
        for k, rows in enumerate([[5, 15], [25, 35]])
    }  # fmt: skip
    window = Recurrent(period=10, duty=1.0, edge=3, shape="cosine").weights(np.arange(10), 10)
    expected = np.zeros(40)
    expected[5:15] = expected[25:35] = window
    np.testing.assert_allclose(out["a"], expected)
    assert np.round(window, 4).tolist() == [0.1464, 0.5, 0.8536, 1, 1, 1, 1, 0.8536, 0.5, 0.1464]
    np.testing.assert_array_equal(
        inj.last_ground_truth["add_value_w0"].to_numpy()[:15], expected[:15]
    )
    # the same windows without ramps stay abrupt
    inj.inject_feature_drift_recurrent(
        frame, ["a"], "add_value", drift_value=1.0, windows=[(10, 10)]
    )
    assert "profile" not in inj.history[-1].events["add_value_w0"]
    inj.inject_label_drift_recurrent(df, "y", 0.5, windows=[(10, 8)], edge=2)
    assert inj.history[-1].events["label_flip_w0"]["profile"] == {
        "kind": "recurrent", "period": 8, "duty": 1.0, "edge": 2, "shape": "sigmoid",
    }  # fmt: skip
    refusals = [
        ({"windows": [(10, 10)], "duty": 0.2}, "duty", "is the on share of each repeats period"),
        ({"windows": [(10, 10)], "profile": "cosine"}, "profile", "shapes the ramps"),
        ({"repeats": 2, "profile": "linear"}, "profile", "shapes the ramps"),
        (
            {"windows": [(10, 6)], "edge": 3},
            "edge",
            "ramps up and down over 3 rows leave no row of the 6 on-rows of a period at full "
            "weight; at most 2 fits",
        ),
        (
            {"repeats": 2, "edge": 1000},
            "edge",
            "ramps up and down over 1000 rows leave no row of the 10 on-rows of a period at "
            "full weight; at most 4 fits",
        ),
        ({"repeats": 2, "edge": 4.5}, "edge", "must be a whole number, got 4.5"),
        ({"repeats": 2, "duty": 1.5}, "duty", "must be above 0 and at most 1, got 1.5"),
    ]
    for kwargs, path, says in refusals:
        with pytest.raises(ScenarioError) as err:
            inj.inject_feature_drift_recurrent(frame, ["a"], "add_value", drift_value=1.0, **kwargs)
        assert (err.value.path, err.value.message.startswith(says)) == (path, True), err.value
    labels = pd.DataFrame({"y": [0, 1] * 100})
    with pytest.raises(ScenarioError) as err:
        DriftInjector().inject_label_drift_recurrent(labels, "y", 1.0, repeats=2, edge=1000)
    assert (err.value.path, err.value.message.endswith("at most 24 fits")) == ("edge", True)
    inj.inject_label_drift_recurrent(labels, "y", 1.0, repeats=2, edge=24)
    assert inj.last_ground_truth["label_flip"].max() == 1.0


def test_new_value_on_floats_names_prob(df: pd.DataFrame) -> None:
    """Finding 7 (as far as the engine allows): a text column takes ``prob=0`` as a control;
    a float column (an engine ``set``, which has no rate) refuses it, and a draw that keeps
    no row fails naming ``prob`` (not ``drift.<id>.where``)."""
    inj = DriftInjector()
    out = inj.inject_new_value(df, ["c"], "NEW", prob=0.0)
    pd.testing.assert_frame_equal(out, df)
    assert inj.last_events[0].realised["rows_changed"] == 0
    with pytest.raises(ScenarioError) as err:
        DriftInjector().inject_new_value(df, ["u"], -1.0, prob=0.0)
    assert err.value.path == "prob"
    assert err.value.message.startswith("0 would set no row of float column 'u'")
    with pytest.raises(ScenarioError) as err:
        DriftInjector(random_state=0).inject_new_value(df.head(8), ["u"], -1.0, prob=0.01)
    assert (err.value.path, err.value.message) == (
        "prob",
        "the fraction 0.01 kept none of the 8 rows the event spans, so it would change "
        "nothing; loosen it or remove the event",
    )


def test_errors_name_conditions_blocks_and_rule_conditions(df: pd.DataFrame) -> None:
    """Finding 11: engine errors on a condition name ``conditions.<k>...``; a window on
    blocks that are not contiguous names the block selector; ``inject_concept_drift``'s
    ``condition`` takes ``operator`` as ``inject_conditional_drift`` does."""
    inj = injector()
    bad = {"column": "zz", "operator": "==", "value": 1}
    cases = [
        (lambda: inj.inject_conditional_drift(df, ["x"], [bad]), "conditions.0.column"),
        (  # a time selector's condition does not move the index of the method's conditions
            lambda: inj.inject_conditional_drift(
                df, ["x"], [{"column": "u", "operator": ">", "value": 0}, bad],
                specific_times=["2024-01-02"],
            ),
            "conditions.1.column",
        ),
        (
            lambda: inj.inject_multiple_types_of_drift(
                df,
                [{"method": "inject_conditional_drift",
                  "params": {"feature_cols": ["x"], "conditions": [bad]}}],
            ),
            "schedule.0.conditions.0.column",
        ),
    ]  # fmt: skip
    for call, path in cases:
        with pytest.raises(ScenarioError) as err:
            call()
        assert (err.value.path, err.value.message.startswith("no column 'zz'")) == (path, True)
    with pytest.raises(ScenarioError) as err:
        inj.inject_conditional_drift(df, ["x"], [{"column": "u", "operator": ">", "value": 99}])
    assert err.value.path == "conditions"
    assert "kept none of the 60 rows" in err.value.message
    with pytest.raises(ScenarioError) as err:
        inj.inject_new_category(df, "c", "zz", replace_categories=[1])
    assert (err.value.path, err.value.message) == (
        "replace_categories",
        "the column holds strings; got [1]",
    )
    interleaved = df.assign(b=np.tile(["B1", "B2"], N // 2))
    for selectors, path in (({"blocks": ["B1"]}, "blocks"), ({}, "block_column")):
        with pytest.raises(ScenarioError) as err:
            inj.inject_feature_drift_gradual(
                interleaved, ["u"], "add_value", drift_value=1.0, **selectors
            )
        assert err.value.path == path
        assert err.value.message.startswith("the blocks of 'b' are not contiguous in the frame")
        assert "df.sort_values('b', kind='stable')" in err.value.message
    # the whole selection needs no row positions: still fine
    inj.inject_feature_drift(interleaved, ["u"], "add_value", drift_value=1.0, blocks=["B1"])
    swap = {"classes": [0, 1], "condition": [{"column": "x", "operator": ">", "value": 0.0}]}
    out = inj.inject_concept_drift(df, "swap", **swap)
    assert inj.history[-1].events["concept_drift"]["condition"] == [
        {"column": "x", "op": ">", "value": 0.0}
    ]
    np.testing.assert_array_equal(out["y"], np.where(df["x"] > 0, 1 - df["y"], df["y"]))
    for condition, path in (
        ([{"column": "x", "operator": "~", "value": 0.0}], "condition.0.operator"),
        ([{"column": "qq", "operator": ">", "value": 0.0}], "condition.0.column"),
    ):
        with pytest.raises(ScenarioError) as err:
            inj.inject_concept_drift(df, "swap", classes=[0, 1], condition=condition)
        assert err.value.path == path


def test_the_frame_and_its_roles_are_named_as_the_facade_takes_them() -> None:
    """``inject``'s own arguments reach a DriftInjector user under the facade's names: the
    frame is ``df``, the time column ``time_col`` (given to the call or the constructor)."""
    empty = pd.DataFrame({"a": pd.Series([], dtype=float)})
    with pytest.raises(ScenarioError) as err:
        DriftInjector().inject_feature_drift(empty, ["a"])
    assert (err.value.path, err.value.message) == ("df", "has no rows")
    text = pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"]})
    with pytest.raises(ScenarioError) as err:
        DriftInjector(time_col="s").inject_feature_drift(text, ["a"])
    assert err.value.path == "time_col"
    assert err.value.message.startswith("'s' (")


def test_data_quality_issues_are_named_issues(df: pd.DataFrame) -> None:
    """``inject_data_quality_issues`` takes its steps as ``issues``: errors say so (the
    scheduler it calls names them ``schedule``)."""
    with pytest.raises(ScenarioError) as err:
        injector().inject_data_quality_issues(df, [])
    assert (err.value.path, err.value.message) == ("issues", "list at least one step")
    with pytest.raises(ScenarioError) as err:
        injector().inject_data_quality_issues(df, [{"method": "nope"}])
    assert err.value.path == "issues.0.method"
