"""A ``table`` source's column types survive a run exactly, and the values that drive a
run (conditions, ``block_freq``, the source itself) are checked before anything is
written: categoricals that events grow, nested and time-of-day columns, CSV integers
past 2**63, conditions on decimals, dates, times and durations."""

from __future__ import annotations

import datetime as dt
import gc
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import calmops_gen
from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import arrow_to_pandas, nullable_columns
from calmops_gen.generators.table import MAX_PERIODS, _load, period_sizes


def scenario(source: Path, **extra: Any) -> dict[str, Any]:
    params = extra.pop("params", {})
    return {
        "name": "types",
        "seed": 3,
        "generator": {"kind": "table", "params": {"source": str(source), **params}},
        **extra,
    }


def assert_refused(tmp_path: Path, sc: dict[str, Any], path: str, message: str) -> None:
    """The run fails with a ScenarioError at ``path`` matching ``message``, writing nothing."""
    with pytest.raises(ScenarioError, match=message) as err:
        calmops_gen.run(sc, root=tmp_path / "out")
    assert err.value.path == path
    assert not (tmp_path / "out").exists()


# --- categoricals that events grow ----------------------------------------------------------

CATEGORIES = [f"city{i}" for i in range(128)]  # as many as int8 indices can number


def categorical_table(path: Path) -> list[str]:
    """400 rows of a categorical with int8 indices over all 128 :data:`CATEGORIES`, and the
    same values as plain text; the values."""
    codes = np.random.default_rng(0).integers(0, 128, 400)
    values = [CATEGORIES[k] for k in codes]
    column = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(CATEGORIES))
    pq.write_table(pa.table({"c": column, "s": values}), path)
    return values


def test_typos_past_the_int8_indices_of_a_categorical(tmp_path: Path) -> None:
    """Crashed (ArrowInvalid: Integer value 316 not in range: -128 to 127): the planned
    column kept the source's int8 indices. A categorical gets exactly the typos of the same
    values as text, and the categories they add."""
    values = categorical_table(tmp_path / "t.parquet")
    out = {}
    for column in ("c", "s"):
        event = {"kind": "typos", "column": column, "rate": 0.3, "where": {"blocks": [1]}}
        sc = scenario(tmp_path / "t.parquet", schedule={"blocks": 2}, drift={"t": event})
        manifest = calmops_gen.run(sc, root=tmp_path / column)
        out[column] = calmops_gen.read_frame(manifest)[column]
    dtypes = {c.name: c.dtype for c in manifest.columns}
    assert dtypes["c"] == "dictionary<values=string, indices=int32, ordered=0>"
    typed = out["s"].tolist()
    assert out["c"].astype(str).tolist() == typed
    assert typed[:200] == values[:200] and typed[200:] != values[200:]
    new = sorted(set(typed) - set(CATEGORIES))
    assert len(new) > 128 - len(set(values))  # more than the free int8 codes
    assert out["c"].cat.categories.tolist() == CATEGORIES + new


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "new_category", "column": "c", "rate": 0.5, "value": "new"},
        {"kind": "merge_categories", "column": "c", "categories": ["city0", "city1"],
         "into": "new"},
    ],
)  # fmt: skip
def test_a_129th_category_past_int8_indices(tmp_path: Path, event: dict[str, Any]) -> None:
    """The 129th category crashed the writer (int8 indices number 128)."""
    values = categorical_table(tmp_path / "t.parquet")
    sc = scenario(tmp_path / "t.parquet", drift={"e": event})
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    column = calmops_gen.read_frame(manifest)["c"]
    changed = calmops_gen.read_ground_truth(manifest)["e__changed"].to_numpy()
    assert column.cat.categories.tolist() == [*CATEGORIES, "new"]
    assert column.astype(str).tolist() == [
        "new" if hit else value for hit, value in zip(changed, values, strict=True)
    ]
    if event["kind"] == "merge_categories":
        assert changed.tolist() == [v in ("city0", "city1") for v in values]
    else:
        assert 150 < changed.sum() < 250


# --- conditions ----------------------------------------------------------------------------


def condition_table(path: Path) -> Path:
    """Five rows, the third missing in every column."""
    decimals = [Decimal("0.10"), Decimal("2.00"), None, Decimal("2.50"), Decimal("-1")]
    dates = [
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 2),
        None,
        dt.date(9999, 12, 31),
        dt.date(1, 1, 1),
    ]
    noon = 12 * 3600 * 10**9
    columns = {
        "dec": pa.array(decimals, pa.decimal128(10, 2)),
        "td": pa.array([9, 10, None, 11, 3600], pa.duration("s")),
        "d": pa.array(dates, pa.date32()),
        "tod": pa.array([1, noon, None, noon + 1, 0], pa.time64("ns")),
        "ts": pa.array([0, 1500, None, 2000, 2500], pa.timestamp("ms")),
        "l": pa.array([[1], [2], None, [], [3]]),
        "x": pa.array([0.0] * 5),
    }
    pq.write_table(pa.table(columns), path)
    return path


def shifted(source: Path, column: str, op: str, value: Any) -> dict[str, Any]:
    """A shift of ``x`` by 1 where ``column op value``."""
    where = {"condition": [{"column": column, "op": op, "value": value}]}
    event = {"kind": "shift", "features": ["x"], "amount": 1.0, "where": where}
    return scenario(source, drift={"s": event})


@pytest.mark.parametrize(
    ("column", "op", "value", "expected"),
    [
        ("dec", ">=", 2, [False, True, False, True, False]),
        ("dec", "==", 0.1, [True, False, False, False, False]),  # 0.1 is Decimal("0.1")
        ("dec", "in", [2.5, -1], [False, False, False, True, True]),
        ("dec", "<", 0, [False, False, False, False, True]),
        ("td", ">=", "10s", [False, True, False, True, True]),
        ("td", ">", "10500ms", [False, False, False, True, True]),
        ("td", "<=", "10500ms", [True, True, False, False, False]),
        ("td", "==", "1h", [False, False, False, False, True]),
        ("td", "not_in", ["9s", "10500ms"], [False, True, False, True, True]),
        ("d", ">", "2024-01-01", [False, True, False, True, False]),
        ("d", "==", "9999-12-31", [False, False, False, True, False]),
        ("d", "!=", "9999-12-31", [True, True, False, False, True]),
        ("d", "<", "1970-01-01", [False, False, False, False, True]),
        ("tod", ">=", "12:00", [False, True, False, True, False]),
        ("tod", ">", "12:00:00", [False, False, False, True, False]),
        ("tod", "in", ["00:00", "12:00"], [False, True, False, False, True]),
        ("ts", ">=", "1970-01-01 00:00:01.5", [False, True, False, True, True]),
        ("ts", "<", "1970-01-01 00:00:00.0015", [True, False, False, False, False]),
        ("ts", "==", "1970-01-01 00:00:01.5000001", [False, False, False, False, False]),
    ],
)
def test_conditions_on_decimals_durations_dates_and_times_select_exactly(
    tmp_path: Path, column: str, op: str, value: Any, expected: list[bool]
) -> None:
    """Crashed (decimal vs text, duration vs text) or compared a number as nanoseconds;
    now each compares exactly in the column's own unit, missing values never selected."""
    sc = shifted(condition_table(tmp_path / "t.parquet"), column, op, value)
    if not any(expected):
        assert_refused(tmp_path, sc, "drift.s.where", "kept none of the 5 rows")
        return
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    assert (calmops_gen.read_frame(manifest)["x"] == 1.0).tolist() == expected
    assert (calmops_gen.read_ground_truth(manifest)["s"] == 1.0).tolist() == expected


@pytest.mark.parametrize(
    ("column", "op", "value", "message"),
    [
        ("dec", ">=", "2", r"holds decimals: give numbers; got '2'"),
        ("td", ">=", 100, r"holds durations: give text with a unit \('10s', '2 days'\); got 100"),
        ("td", ">=", "ten seconds", r"holds durations"),
        ("d", ">", 20240101, r"holds dates: give them as YYYY-MM-DD; got 20240101"),
        ("d", ">", "2024-01-01T12:00", r"holds dates"),
        ("tod", "<", 750, r"holds times of day: give quoted text HH:MM\[:SS\[.ffffff\]\]"),
        ("tod", "<", "12:00+01:00", r"holds times of day"),
        ("ts", ">=", 1500, r"the column holds timestamps: give dates/times"),
        ("l", "==", 1, r"the column is list<element: int64>, which conditions cannot compare"),
    ],
)
def test_condition_values_of_the_wrong_type_are_refused(
    tmp_path: Path, column: str, op: str, value: Any, message: str
) -> None:
    sc = shifted(condition_table(tmp_path / "t.parquet"), column, op, value)
    assert_refused(tmp_path, sc, "drift.s.where.condition.0.value", message)


# --- nested and time-of-day columns ----------------------------------------------------------


def nested_table() -> pa.Table:
    big = 2**53 + 1
    return pa.table(
        {
            "s": pa.array([{"a": big, "b": "x"}, {"a": None, "b": None}, None, {"a": -big}]),
            "l": pa.array([[big, None], [], None, [1]]),
            "m": pa.array([[("k", big)], [], None, [("z", None)]], pa.map_(pa.utf8(), pa.int64())),
            "t": pa.array([1, None, 86_399_999_999_999, 0], pa.time64("ns")),
            "t32": pa.array([1, None, 86_399, 0], pa.time32("s")),
            "x": pa.array([1.0, 2.0, 3.0, 4.0]),
        }
    )


def test_nested_and_time_columns_round_trip_exactly(tmp_path: Path) -> None:
    """Integers inside structs and lists with a missing value were rounded through float64
    (2**53 + 1 became 2**53), maps crashed the writer and time64[ns] crashed the reader."""
    source = tmp_path / "t.parquet"
    pq.write_table(nested_table(), source)
    manifest = calmops_gen.run(scenario(source, schedule={"blocks": 2}), root=tmp_path / "out")
    written = pa.concat_tables(pq.read_table(manifest.directory / b.file) for b in manifest.blocks)
    expected = pq.read_table(source)
    assert written.drop_columns(["block"]).equals(expected)
    assert written.column("s").to_pylist()[0] == {"a": 2**53 + 1, "b": "x"}
    assert written.column("t").to_pylist(maps_as_pydicts=None)[2] == dt.time(23, 59, 59, 999999)
    assert written.column("t").cast(pa.int64()).to_pylist() == [1, None, 86_399_999_999_999, 0]
    frame = calmops_gen.read_frame(manifest)
    pd.testing.assert_frame_equal(
        frame.drop(columns="block"), arrow_to_pandas(expected, nullable_columns(expected))
    )
    assert frame["l"].tolist()[0] == [2**53 + 1, None]
    assert frame["m"].tolist()[0] == [("k", 2**53 + 1)]


def test_missing_values_in_nested_and_time_columns(tmp_path: Path) -> None:
    """``missing`` blanks whole cells of nested and time-of-day columns, other cells exact."""
    source = tmp_path / "t.parquet"
    pq.write_table(nested_table(), source)
    features = ["s", "l", "m", "t", "t32"]
    sc = scenario(source, drift={"gone": {"kind": "missing", "features": features, "rate": 1.0,
                                          "where": {"rows": [0, 1]}}})  # fmt: skip
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    written = pq.read_table(manifest.directory / manifest.blocks[0].file)
    expected = pq.read_table(source)
    for name in features:
        assert written.column(name).to_pylist() == [None, *expected.column(name).to_pylist()[1:]]
    assert written.schema.remove(written.schema.get_field_index("block")) == expected.schema


@pytest.mark.parametrize(
    ("event", "path", "message"),
    [
        ({"kind": "shift", "features": ["l"], "amount": 1.0}, "features", "'l' is not numeric"),
        ({"kind": "typos", "column": "m", "rate": 0.5}, "column", "'m' is not a string column"),
        ({"kind": "covariate_shift", "feature": "l", "weighting": {"a": 2.0}}, "feature",
         "weighting needs single values"),
        ({"kind": "new_category", "column": "t", "value": "a", "rate": 0.5}, "column",
         "'t' is not categorical"),
    ],
)  # fmt: skip
def test_events_that_cannot_act_on_nested_or_time_columns_refuse_them(
    tmp_path: Path, event: dict[str, Any], path: str, message: str
) -> None:
    source = tmp_path / "t.parquet"
    pq.write_table(nested_table(), source)
    assert_refused(tmp_path, scenario(source, drift={"e": event}), f"drift.e.{path}", message)


# --- block_freq ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "message"),
    [
        ("0D", "must be a positive frequency, got '0D'"),  # was ZeroDivisionError
        ("-1D", "must be a positive frequency, got '-1D'"),  # was ValueError from pandas
        ("1ns", r"'1ns' cuts the times \(2024-01-01 00:00:00 to 2024-01-04 00:00:00\) into "
                r"259,200,000,000,001 periods; at most 1,000,000: use a coarser frequency"),
    ],
)  # fmt: skip
def test_a_block_freq_that_is_not_positive_or_far_too_fine_is_refused(
    tmp_path: Path, freq: str, message: str
) -> None:
    """``1ns`` over four days tried to allocate 1.84 PiB (MemoryError)."""
    source = tmp_path / "t.parquet"
    times = pd.date_range("2024-01-01", periods=4, freq="D")
    pq.write_table(pa.table({"t": pa.array(times), "x": [1.0, 2.0, 3.0, 4.0]}), source)
    sc = scenario(source, params={"time_column": "t", "block_freq": freq})
    assert_refused(tmp_path, sc, "generator.params.block_freq", message)


def test_block_freq_may_cut_the_times_into_a_million_periods() -> None:
    start = pd.Timestamp("2024-01-01")
    last = start + pd.Timedelta(seconds=MAX_PERIODS - 1)
    assert MAX_PERIODS == 1_000_000
    assert period_sizes(pd.DatetimeIndex([start, last]), "s") == [1, 1]
    with pytest.raises(ScenarioError, match="into 1,000,001 periods"):
        period_sizes(pd.DatetimeIndex([start, last + pd.Timedelta(seconds=1)]), "s")
    # calendar frequencies are not counted (an hour or longer: bounded by pandas' years)
    years = pd.DatetimeIndex([pd.Timestamp("1700-01-01"), pd.Timestamp("2200-01-01")])
    assert period_sizes(years, "W") == [1, 1]


# --- CSV sources -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_csv_integers_past_int64_are_exact_uint64(tmp_path: Path, fmt: str) -> None:
    """pyarrow reads them as float64: 2**64 - 1 was written as 1.8446744073709552e+19."""
    source = tmp_path / "t.csv"
    source.write_text(
        "h,f,n\n18446744073709551615,1e19,1\n9223372036854775809,1.5,2\n,2,3\n7,,4\n0,3,5\n"
    )
    sc = scenario(source, schedule={"blocks": 2}, output={"format": fmt})
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    assert [(c.name, c.dtype) for c in manifest.columns][:3] == [
        ("h", "uint64"),
        ("f", "double"),  # float text stays float
        ("n", "int64"),
    ]
    frame = calmops_gen.read_frame(manifest)
    assert frame["h"].dtype == "UInt64"
    assert frame["h"].tolist() == [2**64 - 1, 2**63 + 1, pd.NA, 7, 0]
    assert frame["f"].tolist()[:2] == [1e19, 1.5]


@pytest.mark.parametrize(
    "values",
    [
        ["18446744073709551616", "1"],  # 2**64
        ["-9223372036854775809", "1"],  # -2**63 - 1
        ["9223372036854775808", "-1"],  # neither int64 nor uint64
    ],
)
def test_csv_integers_no_64_bit_type_holds_are_refused(tmp_path: Path, values: list[str]) -> None:
    source = tmp_path / "t.csv"
    source.write_text("x,big\n" + "".join(f"{k},{v}\n" for k, v in enumerate(values)))
    message = r"column 'big' holds integers that no 64-bit integer type holds .* use Parquet"
    assert_refused(tmp_path, scenario(source), "generator.params.source", message)


def test_csv_columns_are_checked_by_name_before_their_types(tmp_path: Path) -> None:
    """Re-reading a big-integer column by name needs distinct names: the duplicate is
    refused as such (not a KeyError)."""
    source = tmp_path / "t.csv"
    source.write_text("a,a\n18446744073709551615,1\n")
    message = r"the table has duplicate column names \['a'\]; rename them"
    assert_refused(tmp_path, scenario(source), "generator.params.source", message)


def test_a_csv_column_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """It became a binary column, written as bytes."""
    source = tmp_path / "t.csv"
    source.write_bytes("name,x\nJosé,1\nAna,2\n".encode("latin-1"))
    message = r"column 'name' is not UTF-8 text; re-encode the file as UTF-8 \(or use Parquet\)"
    assert_refused(tmp_path, scenario(source), "generator.params.source", message)


def test_runs_with_other_parameters_keep_one_loaded_source(tmp_path: Path) -> None:
    """Each loaded source stayed cached (up to four): four runs with other targets held
    four copies of a CSV table (183 MiB for a million rows)."""
    source = tmp_path / "t.csv"
    rng = np.random.default_rng(1)
    n = 50_000
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(3)} | {"y": np.arange(n) % 2})
    frame.to_csv(source, index=False)
    table_bytes = pacsv.read_csv(source).nbytes
    _load.cache_clear()
    gc.collect()
    before = pa.total_allocated_bytes()
    held = []
    for target in ("y", "x0", "x1"):
        sc = scenario(source, params={"target": target}, schedule={"blocks": 2})
        calmops_gen.run(sc, root=tmp_path / target)
        gc.collect()
        held.append(pa.total_allocated_bytes() - before)
    assert held[0] >= table_bytes  # the source of the last run stays loaded
    assert held[2] - held[0] < table_bytes // 10  # and only that one


def test_a_source_that_is_a_directory_says_so(tmp_path: Path) -> None:
    """It said "no such file"."""
    (tmp_path / "data").mkdir()
    sc = scenario(tmp_path / "data")
    message = re.escape(f"{tmp_path / 'data'} is a directory; name a file")
    assert_refused(tmp_path, sc, "generator.params.source", message)


@pytest.mark.parametrize("params", [{"block_column": "g"}, {"time_column": "t", "block_freq": "D"}])
def test_schedule_sizes_beside_a_tables_own_blocks_are_refused_before_reading(
    tmp_path: Path, params: dict[str, str]
) -> None:
    """The refusal comes from the parameters alone: the (here unreadable) table is never
    read, where a large one was read whole before the error."""
    source = tmp_path / "t.parquet"
    source.write_bytes(b"PAR1 not a parquet file")
    sc = scenario(source, params=params, schedule={"blocks": 3})
    assert_refused(tmp_path, sc, "schedule", "blocks come from the table's block_column/block_freq")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("~no_such_user_here/t.csv", "cannot use '~no_such_user_here/t.csv'"),  # was RuntimeError
        ("/tmp/" + "x" * 300 + ".csv", "File name too long"),
    ],
)
def test_a_source_path_the_system_cannot_use_is_named(
    tmp_path: Path, source: str, message: str
) -> None:
    assert_refused(tmp_path, scenario(Path(source)), "generator.params.source", message)


def test_row_copying_events_carry_nested_columns_along(tmp_path: Path) -> None:
    """``covariate_shift`` copies whole rows; counting the rows it changed compared list
    and map cells as numpy arrays (a crash). The copied rows carry their nested values."""
    source = tmp_path / "t.parquet"
    n = 400
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    maps = pa.array([[("k", int(i))] for i in range(n)], pa.map_(pa.utf8(), pa.int64()))
    lists = pa.array([[int(i), None] for i in range(n)])
    pq.write_table(pa.table({"x": x, "l": lists, "m": maps, "y": (x > 0).astype(int)}), source)
    event = {"kind": "covariate_shift", "feature": "x", "strength": 2.0, "where": {"blocks": [1]}}
    sc = scenario(source, params={"target": "y"}, schedule={"blocks": 2}, drift={"e": event})
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    written = pq.read_table(manifest.directory / manifest.blocks[1].file).to_pylist()
    # every row is a copy of a source row of block 1, nested cells included
    source_rows = {r["l"][0]: r for r in pq.read_table(source).slice(200).to_pylist()}
    assert all({**source_rows[r["l"][0]], "block": 1} == r for r in written)
    changed = sum(r["l"][0] != 200 + i for i, r in enumerate(written))
    assert changed > 0 and manifest.events[0].rows_affected == changed


def test_block_freq_over_centuries(tmp_path: Path) -> None:
    """A span past ~292 years overflowed the nanosecond Timedelta the bound was computed
    with; 300 years of dates cut by day are ~110,000 periods, within the bound."""
    source = tmp_path / "t.csv"
    days = ["1900-01-01", "2000-01-01", "2100-01-01", "2200-01-01"]
    pd.DataFrame({"t": days, "x": [1.0, 2.0, 3.0, 4.0]}).to_csv(source, index=False)
    manifest = calmops_gen.run(
        scenario(source, params={"time_column": "t", "block_freq": "D"}), root=tmp_path / "out"
    )
    assert [b.rows for b in manifest.blocks] == [1, 1, 1, 1]
