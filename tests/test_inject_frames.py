"""``inject`` on the frames users have: column types read without converting the data, blocks
handed to the events as views, and a result that never shares writable memory with the input
(pandas 2 has no copy-on-write, so this is checked on both pandas versions by CI).
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from calmops_gen.errors import ScenarioError
from calmops_gen.injector import arrow_type, inject

COLUMNS = {
    "float64": pd.Series([1.5, np.nan, 3.0]),
    "float32": pd.Series([1.5, 2.0, 3.0], dtype=np.float32),
    "int64": pd.Series([1, 2, 3]),
    "uint8": pd.Series([1, 2, 3], dtype=np.uint8),
    "bool": pd.Series([True, False, True]),
    "datetime": pd.Series(np.array(["2024-01-01", "2024-01-02", "NaT"], dtype="datetime64[ns]")),
    "datetime_tz": pd.Series(
        pd.DatetimeIndex(np.array(["2024-01-01", "2024-01-02", "2024-01-03"], "datetime64[ns]"))
    ).dt.tz_localize("Europe/Madrid"),
    "timedelta": pd.Series(np.array([1, 2, 3], dtype="timedelta64[ns]")),
    "object_strings": pd.Series(["a", None, "c"], dtype=object),
    "object_ints": pd.Series([1, 2, None], dtype=object),
    "object_floats": pd.Series([1.5, None, 2.5], dtype=object),
    "object_int_float": pd.Series([1, 2.5, None], dtype=object),
    "object_bools": pd.Series([True, None, False], dtype=object),
    "object_empty": pd.Series([None, None, None], dtype=object),
    "object_bytes": pd.Series([b"a", b"b", None], dtype=object),
    "object_decimals": pd.Series([Decimal("1.5"), Decimal("2.25"), None], dtype=object),
    "str": pd.Series(["a", None, "c"], dtype="string"),
    "category": pd.Series(["x", "y", "x"], dtype="category"),
    "Int64": pd.Series([1, None, 3], dtype="Int64"),
    "boolean": pd.Series([True, None, False], dtype="boolean"),
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_arrow_type_is_arrows_own_inference(name: str) -> None:
    """The type read from the dtype (or pandas' inference) is the one Arrow infers from the
    values."""
    column = COLUMNS[name].rename(name)
    expected = pa.Schema.from_pandas(column.to_frame(), preserve_index=False).field(0).type
    assert arrow_type(column) == expected


def test_a_column_without_one_value_type_is_a_clear_error() -> None:
    frame = pd.DataFrame({"x": np.arange(4.0), "m": pd.Series([1, "a", 2.5, None], dtype=object)})
    with pytest.raises(ScenarioError) as err:
        inject(frame, {"s": {"kind": "shift", "features": ["x"], "amount": 1.0}})
    assert err.value.path == "frame"
    assert "'m'" in str(err.value) and "astype(str)" in str(err.value)


def test_the_result_shares_no_writable_memory_with_the_input() -> None:
    """Writing into the result, in a column an event changed and in one no event touched,
    leaves the input as it was; blocks are views of inject's own rows, never of the input."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=40),
            "z": rng.normal(size=40),
            "c": rng.choice(["a", "b"], size=40).astype(object),
            "b": np.repeat([0, 1, 2, 3], 10),
        }
    )
    before = frame.copy()
    out = inject(
        frame,
        {"up": {"kind": "shift", "features": ["x"], "amount": 2.0, "where": {"blocks": [1, 2]}}},
        block_column="b",
    )
    np.testing.assert_array_equal(
        out.frame["x"].to_numpy()[10:30], frame["x"].to_numpy()[10:30] + 2
    )
    np.testing.assert_array_equal(out.frame["z"].to_numpy(), frame["z"].to_numpy())
    out.frame.loc[0, "x"] = 99.0
    out.frame.loc[0, "z"] = 99.0
    out.frame.loc[0, "c"] = "zz"
    pd.testing.assert_frame_equal(frame, before)
    assert out.frame.loc[0, "z"] == 99.0 and out.frame.loc[0, "c"] == "zz"


SHIFT = {"s": {"kind": "shift", "features": ["x"], "amount": 1.0}}
SMALL = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0, 1, 0]})


@pytest.mark.parametrize(
    ("frame", "events", "options", "path", "says"),
    [
        (SMALL["x"], SHIFT, {}, "frame", "must be a pandas DataFrame, got Series"),
        (SMALL.iloc[:0], SHIFT, {}, "frame", "has no rows"),
        (SMALL.set_axis(["x", "x"], axis=1), SHIFT, {}, "frame", "repeated: ['x']"),
        (SMALL.set_axis(["x", 1], axis=1), SHIFT, {}, "frame", "frame.columns.astype(str)"),
        (SMALL, SHIFT, {"target": "why"}, "target", "no column 'why'"),
        (SMALL, SHIFT, {"block_column": "b"}, "block_column", "no column 'b'"),
        (SMALL, SHIFT, {"time_column": "t"}, "time_column", "no column 't'"),
        (SMALL, [SHIFT["s"]], {}, "events", "must map event ids to events"),
        (SMALL, SHIFT, {"time_column": "y"}, "time_column", "'y' (int64) does not hold"),
        (SMALL, {"s": 3}, {}, "drift.s", "valid dictionary"),
        (SMALL, {"row": SHIFT["s"]}, {}, "drift.row", "event ids name ground-truth columns"),
        (SMALL, {"s": {**SHIFT["s"], "features": ["z"]}}, {}, "drift.s.features", "'z'"),
        # a role the frame was not given: the error says which argument gives it
        (SMALL, {"f": {"kind": "label_flip", "rate": 0.1}}, {}, "drift.f", "pass target="),
        (
            SMALL,
            {"s": {**SHIFT["s"], "where": {"time": ["2024-01-01", "2024-01-02"]}}},
            {},
            "drift.s.where.time",
            "pass time_column=",
        ),
        (
            SMALL,
            {"s": {**SHIFT["s"], "where": {"blocks": [1]}}},
            {},
            "drift.s.where.blocks",
            "pass block_column=",
        ),
        # row positions are ambiguous when the blocks interleave
        (
            SMALL,
            {"s": {**SHIFT["s"], "where": {"rows": [0, 2]}}},
            {"block_column": "y"},
            "drift.s.where.rows",
            "the blocks of 'y' are not contiguous",
        ),
    ],
)
def test_bad_arguments_name_the_argument(
    frame: object, events: object, options: dict, path: str, says: str
) -> None:
    """Every bad argument is a ScenarioError naming it (nothing half-done: the input is
    untouched)."""
    before = SMALL.copy()
    with pytest.raises(ScenarioError) as err:
        inject(frame, events, **options)  # type: ignore[arg-type]
    message = str(err.value)
    assert err.value.path == path or message.startswith(path), message
    assert says in message
    pd.testing.assert_frame_equal(SMALL, before)


DTYPES = pd.DataFrame(
    {
        "u8": np.array([0, 10, 250, 5, 7, 9], dtype=np.uint8),
        "i64n": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "f32n": pd.array([1.5, 2.5, None, 4.0, 5.0, 6.0], dtype="Float32"),
        "f16": np.array([0.5, 1.0, 2.0, 4.0, 8.0, 2049.0], dtype=np.float16),
    }
)


@pytest.mark.parametrize(
    ("event", "column", "expected"),
    [
        ({"kind": "shift", "features": ["i64n"], "amount": 2.4}, "i64n", [3, None, 5, 6, 7, 8]),
        (
            {"kind": "clip", "features": ["i64n"], "low": 2, "high": 5},
            "i64n",
            [2, None, 3, 4, 5, 5],
        ),
        ({"kind": "shift", "features": ["f32n"], "amount": 1.0}, "f32n", [2.5, 3.5, None, 5, 6, 7]),
        ({"kind": "set", "features": ["u8"], "value": 255}, "u8", [255] * 6),
        # float16 holds 2048 and 2050 but not 2049 (nor 2050.5): stored values round to even
        ({"kind": "shift", "features": ["f16"], "amount": 1.0}, "f16", [1.5, 2, 3, 5, 9, 2048]),
    ],
)
def test_numeric_events_keep_nullable_and_small_dtypes(
    event: dict, column: str, expected: list
) -> None:
    """Nullable columns stay nullable (missing values stay missing), integer columns round."""
    out = inject(DTYPES, {"e": event}).frame[column]
    assert out.dtype == DTYPES[column].dtype
    assert [None if pd.isna(v) else v for v in out.tolist()] == expected


@pytest.mark.parametrize(
    ("event", "path", "says"),
    [
        ({"kind": "set", "features": ["u8"], "value": 300}, "drift.e.features", "write 300"),
        ({"kind": "shift", "features": ["u8"], "amount": 10}, "drift.e.features", "write 260"),
        (
            {"kind": "scale", "features": ["u8"], "factor": 3.0},
            "drift.e.features",
            "uint8 (0 to 255)",
        ),
        ({"kind": "shift", "features": ["i64n"], "amount": 2.0**63}, "drift.e.features", "int64"),
        (
            {"kind": "new_category", "column": "u8", "value": -1, "rate": 1.0},
            "drift.e.value",
            "cannot hold -1",
        ),
        (
            {"kind": "merge_categories", "column": "u8", "categories": [0, 10], "into": 256},
            "drift.e.into",
            "cannot hold 256",
        ),
    ],
)
def test_values_an_integer_column_cannot_hold_are_errors(event: dict, path: str, says: str) -> None:
    """numpy would wrap them around (300 -> 44 in uint8) without a word."""
    with pytest.raises(ScenarioError) as err:
        inject(DTYPES, {"e": event})
    assert err.value.path == path and says in err.value.message, str(err.value)


ARROW_EVENTS = {
    "shift": {"kind": "shift", "features": ["f", "i"], "amount": 1.5},
    "scale": {"kind": "scale", "features": ["f", "i"], "factor": 2.0},
    "noise": {"kind": "noise", "features": ["f"], "amount": 0.5},
    "outliers": {"kind": "outliers", "features": ["f", "i"], "rate": 0.3},
    "clip": {"kind": "clip", "features": ["f", "i"], "low": -0.5, "high": 40},
    "missing": {"kind": "missing", "features": ["f", "i", "c"], "rate": 0.3},
    "category_flip": {"kind": "category_flip", "column": "c", "rate": 0.5},
    "typos": {"kind": "typos", "column": "c", "rate": 0.5},
    "label_flip": {"kind": "label_flip", "rate": 0.3},
    "correlation": {"kind": "correlation", "features": ["f", "g"], "target": [[1, 0.7], [0.7, 1]]},
}


@pytest.mark.parametrize("kind", sorted(ARROW_EVENTS))
def test_pyarrow_backed_columns_drift_like_numpy_ones(kind: str) -> None:
    """Columns backed by Arrow (``pd.ArrowDtype``, as ``dtype_backend="pyarrow"`` gives) keep
    their dtype and drift exactly as the same data in numpy or nullable dtypes; numeric
    events wrote into Arrow's read-only buffers before."""
    n = 300
    rng = np.random.default_rng(4)
    plain = pd.DataFrame(
        {
            "f": pd.array(rng.normal(size=n), dtype="Float64"),
            "g": rng.normal(size=n),
            "i": pd.array(rng.integers(0, 50, n), dtype="Int32"),
            "c": pd.Series(rng.choice(["red", "green", "blue"], n), dtype=object),
            "y": rng.integers(0, 2, n),
        }
    )
    plain.loc[::11, "f"] = pd.NA
    plain.loc[::13, "i"] = pd.NA
    arrow = plain.astype(
        {
            "f": "double[pyarrow]",
            "g": "double[pyarrow]",
            "i": "int32[pyarrow]",
            "c": pd.ArrowDtype(pa.string()),
            "y": "int64[pyarrow]",
        }
    )
    before = arrow.copy()
    event = {"e": ARROW_EVENTS[kind]}
    out = inject(arrow, event, seed=5, target="y").frame
    expected = inject(plain, event, seed=5, target="y").frame
    pd.testing.assert_frame_equal(arrow, before)
    assert out.dtypes.to_dict() == arrow.dtypes.to_dict()
    for name in plain.columns:
        got = out[name].astype(object).where(out[name].notna(), None).tolist()
        want = expected[name].astype(object).where(expected[name].notna(), None).tolist()
        assert got == want, name
    assert not out.equals(arrow)  # the event did something


def test_time_and_block_columns_with_missing_values() -> None:
    """A row with a missing time is in no time window; missing block ids form one block of
    their own (in order of first appearance), like any other block id."""
    frame = pd.DataFrame(
        {
            "x": np.arange(8.0),
            "b": [1.0, 1.0, np.nan, 2.0, 2.0, np.nan, 3.0, 3.0],
            "t": pd.to_datetime(["2024-01-01", None] + [f"2024-01-0{d}" for d in range(3, 9)]),
        }
    )
    window = {"kind": "shift", "features": ["x"], "amount": 10.0}
    out = inject(
        frame, {"s": {**window, "where": {"time": ["2024-01-01", "2024-01-04"]}}}, time_column="t"
    )
    assert out.frame["x"].tolist() == [10.0, 1.0, 12.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    out = inject(frame, {"s": {**window, "where": {"blocks": [1]}}}, block_column="b")
    assert out.frame["x"].tolist() == [0.0, 1.0, 12.0, 3.0, 4.0, 15.0, 6.0, 7.0]
    assert out.ground_truth["block"].tolist() == [0, 0, 1, 2, 2, 1, 3, 3]


def test_a_profile_over_a_time_selection_needs_rows_in_time_order() -> None:
    """A profile's weight follows the span's row order; over a time selection that order
    must be time order, else a ramp "over time" ends on an early row: refused by name. The
    rows outside the span and an abrupt profile do not care about the order."""
    t = pd.to_datetime(["2024-01-09", "2024-01-01", "2024-01-05", "2024-01-02", "2024-01-03"])
    frame = pd.DataFrame({"t": t, "x": np.zeros(5)})
    ramp = {"kind": "add", "features": ["x"], "value": 4.0, "profile": {"kind": "incremental"}}
    window = {"time": ["2024-01-01", "2024-01-10"]}
    with pytest.raises(ScenarioError, match=r"row 1 of that order is earlier than") as err:
        inject(frame, {"r": {**ramp, "where": window}}, time_column="t")
    assert err.value.path == "drift.r.where.time"
    # rows 1, 3, 4 (01-01, 01-02, 01-03) are in order: the ramp runs over them
    early = {"time": ["2024-01-01", "2024-01-04"]}
    out = inject(frame, {"r": {**ramp, "where": early}}, time_column="t")
    assert out.frame["x"].tolist() == [0.0, 0.0, 0.0, 2.0, 4.0]
    # each block in order, but block 1 starts before block 0 ends
    later = pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-02", "2024-01-03", "2024-01-04"])
    blocks = pd.DataFrame({"t": later, "x": np.zeros(5), "b": [0, 0, 1, 1, 1]})
    with pytest.raises(ScenarioError, match=r"row 2 of that order is earlier"):
        inject(blocks, {"r": {**ramp, "where": window}}, time_column="t", block_column="b")
    abrupt = {**ramp, "profile": {"kind": "abrupt"}, "where": window}
    assert inject(frame, {"r": abrupt}, time_column="t").frame["x"].tolist() == [4.0] * 5


def test_text_dates_are_a_time_column_and_other_text_is_not() -> None:
    frame = pd.DataFrame(
        {"x": np.arange(6.0), "d": [f"2024-01-0{k}" for k in range(1, 7)], "s": list("abcdef")}
    )
    shift = {"kind": "shift", "features": ["x"], "amount": 1.0}
    out = inject(frame, {"s": {**shift, "where": {"time": ["2024-01-02", "2024-01-04"]}}},
                 time_column="d")  # fmt: skip
    assert out.frame["x"].tolist() == [0.0, 2.0, 3.0, 3.0, 4.0, 5.0]
    assert out.frame["d"].tolist() == frame["d"].tolist()
    with pytest.raises(ScenarioError, match=r"'s' \(.*\) does not hold dates/times") as err:
        inject(frame, {"s": shift}, time_column="s")
    assert err.value.path == "time_column"


def test_interleaved_blocks_are_read_block_after_block() -> None:
    """With interleaved blocks the engine reads block 0's rows, then block 1's: an
    incremental profile ramps along that order, and ``row`` is the input position."""
    frame = pd.DataFrame({"x": np.zeros(6), "g": list("ababab")})
    ramp = {"kind": "add", "features": ["x"], "value": 5.0, "profile": {"kind": "incremental"}}
    out = inject(frame, {"r": ramp}, block_column="g")
    # block order: rows 0, 2, 4 (block "a"), then 1, 3, 5 (block "b"); weights 0 .. 1 by fifths
    assert out.frame["x"].tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert out.ground_truth["r"].tolist() == [0.0, 0.6, 0.2, 0.8, 0.4, 1.0]
    assert out.ground_truth["row"].tolist() == list(range(6))


def test_time_trend_leaves_rows_without_a_timestamp_alone() -> None:
    """An ``over: time`` trend reads each row's time: a row with a missing one is out of
    the span (weight 0, value kept), and the default origin is the first known time."""
    frame = pd.DataFrame(
        {
            "t": pd.to_datetime([None, "2024-01-02", None, "2024-01-04", "2024-01-05"]),
            "x": np.arange(5.0),
        }
    )
    trend = {"kind": "trend", "features": ["x"], "over": "time", "slope": 1.0}
    out = inject(frame, {"e": trend}, time_column="t")
    assert out.frame["x"].tolist() == [0.0, 1.0, 2.0, 5.0, 7.0]
    assert out.ground_truth["e"].tolist() == [0.0, 1.0, 0.0, 1.0, 1.0]
    assert out.events[0].rows_selected == 3
    with pytest.raises(ScenarioError, match="selects no row with a timestamp") as err:
        inject(frame.iloc[[0, 2]], {"e": trend}, time_column="t")
    assert err.value.path == "drift.e.where"


@pytest.mark.parametrize("tz", [None, "Europe/Madrid"])
def test_conditions_on_timestamps_take_text(tz: str | None) -> None:
    """Comparisons and ``in``/``not_in`` on a datetime column (naive or zoned) take the
    date/time text a scenario file holds."""
    stamps = pd.date_range("2024-01-01", periods=6, freq="D", tz=tz)
    stamps = stamps.insert(3, pd.NaT)
    frame = pd.DataFrame({"t": stamps, "v": np.zeros(7)})
    zone = "+01:00" if tz else ""

    def chosen(op: str, value: object) -> list[float]:
        cond = {"column": "t", "op": op, "value": value}
        event = {"kind": "add", "features": ["v"], "value": 1.0, "where": {"condition": [cond]}}
        return inject(frame, {"e": event}).frame["v"].tolist()

    # rows: Jan 1, 2, 3, (missing), 4, 5, 6
    assert chosen(">=", f"2024-01-05T00:00{zone}") == [0, 0, 0, 0, 0, 1, 1]
    assert chosen("in", [f"2024-01-02 00:00{zone}", f"2024-01-04 00:00{zone}"]) == [
        0, 1, 0, 0, 1, 0, 0
    ]  # fmt: skip
    assert chosen("not_in", [f"2024-01-02T00:00{zone}"]) == [1, 0, 1, 0, 1, 1, 1]


@pytest.mark.parametrize(
    "column",
    [
        pd.array(["a", None, "b", "a"], dtype="string"),
        pd.array(["a", None, "b", "a"], dtype="string[pyarrow]"),
        pd.Series(["a", None, "b", "a"], dtype=object),
        pd.Series(["a", np.nan, "b", "a"]),
    ],
    ids=["string", "string_pyarrow", "object", "str"],
)
@pytest.mark.parametrize(("op", "value", "hit"), [("==", "a", [1, 0, 0, 1]),
                                                  ("!=", "a", [0, 0, 1, 0]),
                                                  ("<", "b", [1, 0, 0, 1])])  # fmt: skip
def test_conditions_on_text_with_missing_values(
    column: object, op: str, value: str, hit: list
) -> None:
    """A missing value never satisfies a condition, whatever the column's missing marker
    (pd.NA, None, NaN): it used to raise inside the comparison."""
    df = pd.DataFrame({"x": np.zeros(4), "c": column})
    where = {"condition": [{"column": "c", "op": op, "value": value}]}
    out = inject(df, {"e": {"kind": "shift", "features": ["x"], "amount": 1.0, "where": where}})
    assert out.frame["x"].tolist() == [float(h) for h in hit]


def test_conditions_on_a_nullable_boolean_column() -> None:
    df = pd.DataFrame({"x": np.zeros(3), "c": pd.array([True, None, False], dtype="boolean")})
    where = {"condition": [{"column": "c", "op": "!=", "value": True}]}
    out = inject(df, {"e": {"kind": "add", "features": ["x"], "value": 1.0, "where": where}})
    assert out.frame["x"].tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ScenarioError, match="finite"):
        where = {"condition": [{"column": "x", "op": ">", "value": float("nan")}]}
        inject(df, {"e": {"kind": "add", "features": ["x"], "value": 1.0, "where": where}})


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "shift", "amount_std": 0.5},
        {"kind": "scale", "factor": 2.0},
        {"kind": "noise", "amount_std": 0.1},
        {"kind": "outliers", "rate": 1.0},
        {"kind": "shift", "severity": {"metric": "psi", "target": 0.2}},
        {"kind": "clip", "low": 0.0, "high": 2.5, "profile": {"kind": "incremental"}},
        {"kind": "multiply", "factor": 0.0},
        {"kind": "multiply", "factor": -1.0, "profile": {"kind": "incremental"}},
        {"kind": "set", "value": 3.0},
    ],
    ids=[
        "shift_std",
        "scale",
        "noise",
        "outliers",
        "severity",
        "clip_incremental",
        "multiply_0",
        "multiply_incremental",
        "set",
    ],
)
def test_infinite_values_are_kept_and_left_out_of_reference_figures(event: dict) -> None:
    """An infinite value has no mean or spread: the reference figures are taken over the
    finite values (they used to be NaN and turn the whole column NaN), and the infinite
    cells stay infinite (or are clipped, or set, at full weight; a gain of 0 keeps them
    infinite, not NaN), without a numpy warning."""
    x = np.r_[np.random.default_rng(0).normal(1.0, 1.0, 200), np.inf, -np.inf]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = inject(pd.DataFrame({"x": x}), {"e": {**event, "features": ["x"]}}, seed=1)
    new = out.frame["x"].to_numpy()
    assert np.isfinite(new[:200]).all()
    if event["kind"] == "clip":  # below full weight an infinite value stays; at 1 it is clipped
        assert (new[200], new[201]) == (np.inf, 0.0)
    elif event["kind"] == "set":
        assert (new[200], new[201]) == (3.0, 3.0)
    elif event.get("factor") == -1.0:  # the gain passes 0 at mid-selection; here it is -1
        assert (new[200], new[201]) == (-np.inf, np.inf)
    elif event["kind"] != "outliers":
        assert np.isinf(new[200:]).all()
    prepared = out.events[0].prepared["x"]
    assert np.isfinite(prepared["reference_mean"]) and np.isfinite(prepared["reference_std"])
    assert prepared["reference_mean"] == pytest.approx(x[:200].mean())
    acted = (out.ground_truth["e"].to_numpy() > 0) & np.isfinite(x)
    assert out.events[0].realised["x"]["rows"] == acted.sum()  # infinite rows are not counted


def test_magnitudes_that_overflow_are_errors() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 1e308]})
    with pytest.raises(ScenarioError, match="overflow") as err:
        inject(df, {"e": {"kind": "multiply", "features": ["x"], "factor": 10.0}})
    assert err.value.path == "drift.e.features"
    out = inject(df.iloc[:2], {"e": {"kind": "shift", "features": ["x"], "amount": 1e200}})
    assert out.frame["x"].tolist() == [1e200, 1e200]  # huge but finite: no crash in realised


@pytest.mark.parametrize(
    "extra",
    [np.ones(3, complex), pd.arrays.SparseArray([0.0, 1.0, 0.0])],
    ids=["complex", "sparse"],
)
def test_a_column_arrow_cannot_hold_is_named(extra: object) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "other": extra})
    with pytest.raises(ScenarioError, match="column 'other'") as err:
        inject(df, {"e": {"kind": "shift", "features": ["x"], "amount": 1.0}})
    assert err.value.path == "frame"


def test_severity_that_cannot_be_solved_is_an_error() -> None:
    """Five values scaled by a factor near 1 move by an ulp (KS jumps from 0 to 0.2), and a
    single value moves whole (KS 0 to 1): both targets lie inside one jump."""
    df = pd.DataFrame({"f": [0.945, 1.723, -1.798, 1.288, -3.790]})
    sev = {"metric": "ks", "target": 0.05, "direction": "down"}
    with pytest.raises(ScenarioError, match="inside a jump") as err:
        inject(df, {"e": {"kind": "scale", "features": ["f"], "severity": sev}})
    assert err.value.path == "drift.e.severity.target"
    with pytest.raises(ScenarioError, match="from 0 to 1"):
        sev = {"metric": "ks", "target": 0.5}
        inject(df.iloc[:1], {"e": {"kind": "shift", "features": ["f"], "severity": sev}})


@pytest.mark.parametrize("dtype", ["Int64", "UInt64", "int64[pyarrow]"])
def test_integers_past_2_53_outside_the_selection_stay_exact(dtype: str) -> None:
    """Only the selected rows go through float64; the others keep every bit."""
    big = [2**60 + k for k in range(4)]
    df = pd.DataFrame({"v": pd.array([1, None, *big], dtype=dtype)})
    out = inject(
        df, {"e": {"kind": "add", "features": ["v"], "value": 1, "where": {"rows": [0, 2]}}}
    )
    assert out.frame["v"].dtype == df["v"].dtype
    assert out.frame["v"].tolist()[0] == 2 and pd.isna(out.frame["v"].iloc[1])
    assert out.frame["v"].tolist()[2:] == big


@pytest.mark.parametrize("dtype", ["int64", "Int64"])
def test_selected_integers_past_2_53_are_an_error(dtype: str) -> None:
    """float64 would round them (2**60 + 1 + 1 -> 2**60) without a word."""
    df = pd.DataFrame({"v": pd.array([2**60 + 1, 5], dtype=dtype)})
    with pytest.raises(ScenarioError, match=r"beyond 2\*\*53 \(1152921504606846977\)") as err:
        inject(df, {"e": {"kind": "add", "features": ["v"], "value": 1}})
    assert err.value.path == "drift.e.features"


def test_object_text_columns_stay_object_when_rows_move() -> None:
    """prior_shift copies whole rows; an object column of strings stays object (pandas 3
    would infer its ``str`` dtype for a new Series)."""
    df = pd.DataFrame(
        {"s": pd.Series(list("abcd") * 5, dtype=object), "x": np.arange(20.0), "y": [0, 1] * 10}
    )
    out = inject(df, {"p": {"kind": "prior_shift", "target": {"0": 0.8, "1": 0.2}}}, target="y")
    assert out.frame["s"].dtype == object
    assert out.frame["y"].tolist().count(0) == 16


@pytest.mark.parametrize(
    ("roles", "path"),
    [
        ({"target": "y", "block_column": "y"}, "block_column"),
        ({"target": "t", "time_column": "t"}, "time_column"),
    ],
)
def test_a_column_has_one_role(roles: dict, path: str) -> None:
    df = pd.DataFrame(
        {"x": np.arange(4.0), "y": [0, 1, 0, 1], "t": pd.date_range("2024", periods=4)}
    )
    with pytest.raises(ScenarioError, match="is already the target; a column has one role") as err:
        inject(df, {"s": {"kind": "shift", "features": ["x"], "amount": 1.0}}, **roles)
    assert err.value.path == path


def test_an_unknown_key_in_a_list_item_lists_that_items_keys() -> None:
    """``where.condition.0`` is an item of a list: its keys are the condition's (they were
    reported as "Valid keys: none")."""
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    where = {"condition": [{"column": "x", "op": ">", "value": 1, "operatr": "x"}]}
    with pytest.raises(ScenarioError) as err:
        inject(df, {"e": {"kind": "shift", "features": ["x"], "amount": 1.0, "where": where}})
    assert str(err.value) == (
        "drift.e.where.condition.0.operatr: unknown key. Valid keys: column, op, value"
    )


def test_order_conditions_on_an_ordered_categorical_follow_its_categories() -> None:
    """ "hi" < "mid" as text but not in the column's order lo < mid < hi (it was selected)."""
    order = ["lo", "mid", "hi"]
    df = pd.DataFrame({"x": [0.0, 0.0, 0.0],
                       "c": pd.Categorical(["lo", "hi", "mid"], order, ordered=True)})  # fmt: skip

    def add(value: str) -> dict:
        where = {"condition": [{"column": "c", "op": "<", "value": value}]}
        return {"e": {"kind": "add", "features": ["x"], "value": 1.0, "where": where}}

    assert inject(df, add("mid")).frame["x"].tolist() == [1.0, 0.0, 0.0]
    assert inject(df, add("hi")).frame["x"].tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(ScenarioError, match="'zz' is not a category of ordered column") as err:
        inject(df, add("zz"))
    assert err.value.path == "drift.e.where.condition"


@pytest.mark.parametrize(
    "labels",
    [
        [0, 1, 0, 1],
        [7, 3, 7, 5, 3, 5],
        [-2, 40, 0, 40],  # a span past the length: hashed
        np.array([2, 0, 2], dtype=np.uint8),
        np.array([2**64 - 1, 0], dtype=np.uint64),
    ],
)
def test_target_classes_of_an_integer_column_are_its_distinct_values(labels: list) -> None:
    """The classes a label event knows are the target's sorted distinct values, whichever
    way they are found (minimum and maximum, counts over the span, or hashing)."""
    frame = pd.DataFrame({"y": labels})
    out = inject(frame, {"f": {"kind": "label_flip", "rate": 1.0}}, target="y")
    classes = sorted({int(v) for v in labels})
    assert [c["rows"] for c in out.events[0].realised["per_class"].values()] == [
        list(map(int, labels)).count(c) for c in classes
    ]
    assert list(out.events[0].realised["per_class"]) == [str(c) for c in classes]


ARROW_DECIMALS = pd.Series(
    pd.array(
        [Decimal("0.10"), Decimal("0.20"), Decimal("0.30"), None],
        dtype=pd.ArrowDtype(pa.decimal128(5, 2)),
    )
)


@pytest.mark.parametrize(
    ("column", "op", "value", "hits"),
    [
        (ARROW_DECIMALS, ">=", 0.2, [False, True, True, False]),
        (ARROW_DECIMALS, "==", 0.1, [True, False, False, False]),
        (ARROW_DECIMALS, "not_in", [0.3], [True, True, False, False]),
        (pd.Series([0.1, 0.2, None, 0.3], dtype=object), "==", 0.1, [True, False, False, False]),
        (pd.Series([0.1, 0.2, None, 0.3], dtype=object), ">", 0.2, [False, False, False, True]),
        (
            pd.Series([None, Decimal("0.1"), Decimal("0.2"), Decimal("0.3")], dtype=object),
            "<=",
            0.2,
            [False, True, True, False],
        ),
    ],
)
def test_number_conditions_compare_in_the_columns_own_number_type(
    column: pd.Series, op: str, value: object, hits: list[bool]
) -> None:
    """A decimal column (Arrow ``decimal128`` or object ``Decimal`` values) compares with the
    decimal of the number's text (``0.1`` is ``Decimal("0.1")``); an object column of
    floats compares with the float."""
    df = pd.DataFrame({"d": column, "x": np.zeros(4)})
    cond = {"column": "d", "op": op, "value": value}
    event = {"kind": "shift", "features": ["x"], "amount": 1.0, "where": {"condition": [cond]}}
    out = inject(df, {"s": event})
    assert out.frame["x"].tolist() == [float(h) for h in hits]


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(np.array(["2024-01-01", "NaT", "9999-12-31"], dtype="datetime64[us]")),
        pd.Series(np.array(["1500-01-01", "2024-01-01", "2024-01-02"], dtype="datetime64[s]")),
        pd.Series(
            np.array(["2024-01-01", "2024-01-02", "9999-12-31"], dtype="datetime64[ms]")
        ).dt.tz_localize("UTC"),
        pd.Series(
            pa.array([date(2024, 1, 1), None, date(9999, 12, 31)]),
            dtype=pd.ArrowDtype(pa.date32()),
        ),
        pd.Series(
            pa.array([datetime(2024, 1, 1), datetime(3000, 1, 1), None], pa.timestamp("us")),
            dtype=pd.ArrowDtype(pa.timestamp("us")),
        ),
    ],
    ids=["us", "s-early", "ms-utc", "date32", "arrow-us"],
)
def test_a_time_column_past_the_nanosecond_range_is_a_clear_error(column: pd.Series) -> None:
    """An "end of time" sentinel (9999-12-31) in a coarser unit: refused under
    ``time_column`` with the range, not a pandas OutOfBoundsDatetime."""
    df = pd.DataFrame({"x": np.zeros(3), "ts": column})
    event = {"kind": "shift", "features": ["x"], "amount": 1.0}
    with pytest.raises(ScenarioError, match=r"^time_column: 'ts' holds .* outside the range"):
        inject(df, {"s": event}, time_column="ts")


def test_text_times_with_utc_offsets_are_refused_with_the_conversion() -> None:
    """Text such as ``2024-01-02T00:30:00+01:00`` would be counted in UTC while a naive window
    is meant in local time (one row off here): refused, naming the conversion to make."""
    stamps = [f"2024-01-0{d}T00:30:00+01:00" for d in (1, 2, 3, 4)]
    df = pd.DataFrame({"x": np.zeros(4), "ts": stamps})
    event = {"kind": "shift", "features": ["x"], "amount": 1.0}
    with pytest.raises(ScenarioError, match=r"^time_column: 'ts' is text with UTC offsets"):
        inject(df, {"s": event}, time_column="ts")
    aware = df.assign(ts=pd.to_datetime(df["ts"], utc=True).dt.tz_convert("Europe/Madrid"))
    window = {"time": ["2024-01-02T00:00+01:00", "2024-01-03T00:00+01:00"]}
    out = inject(aware, {"s": {**event, "where": window}}, time_column="ts")
    assert out.frame["x"].tolist() == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("texts", "says"),
    [
        (["2024-01-01T00:30:00+01:00", "2024-03-31T03:30:00+02:00"], "is text with UTC offsets"),
        (["2024-01-01T00:30:00Z", "2024-01-02T00:30:00Z"], "is text with UTC offsets"),
        (["2024-01-01", "9999-12-31"], "9999-12-31"),
        (["2024-01-01"] * 1500 + ["9999-12-31"], "9999-12-31"),  # past the checked sample
    ],
    ids=["mixed_offsets", "zulu", "late", "late_after_the_sample"],
)
def test_text_time_columns_the_engine_cannot_count_are_time_column_errors(
    texts: list[str], says: str
) -> None:
    """Text times are checked on a sample (parsing all of them twice made inject 4x slower);
    a bad value past it is still a time_column error from the engine, on both pandas."""
    df = pd.DataFrame({"x": np.zeros(len(texts)), "t": texts})
    event = {"kind": "shift", "features": ["x"], "amount": 1.0}
    with pytest.raises(ScenarioError) as err:
        inject(df, {"s": event}, time_column="t")
    assert err.value.path == "time_column"
    assert says in err.value.message


def test_numpy_numbers_in_events_are_numbers() -> None:
    """A value taken from a DataFrame (``np.int64(2)``, ``np.float32(0.5)``) is a number to
    the user: events take it (the manifest's hash could not serialise it)."""
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1, 1, 0, 0]})
    events = {
        "a": {"kind": "add", "features": ["x"], "value": np.int64(2)},
        "c": {"kind": "concept", "rule": "threshold", "feature": "x", "threshold": np.float32(2.5)},
    }
    out = inject(df, events, target="y")
    assert out.frame["x"].tolist() == [3.0, 4.0, 5.0, 6.0]
    assert out.plan.scenario.canonical()["drift"]["a"]["value"] == 2
