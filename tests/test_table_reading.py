"""Reading a ``table`` source: Parquet lazily, one row group at a time (memory follows the
block, not the table), and exactly the same data as reading the table whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import dataset_bytes, file_hashes

import calmops_gen
from calmops_gen.errors import ScenarioError
from calmops_gen.generators.table import Table, TableParams, period_sizes
from calmops_gen.generators.table_rows import MemoryRows, ParquetRows, normalise
from calmops_gen.validation import validate

N = 1_000


def mixed(n: int = N, seed: int = 0) -> pa.Table:
    """Float, nullable int (missing values only in the last 50 rows), string, dictionary,
    text dates and a 3-class int target."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 10, n).astype(object)
    k[rng.choice(np.arange(n - 50, n), 5, replace=False)] = None
    return pa.table(
        {
            "x": pa.array(rng.normal(size=n)),
            "k": pa.array(k.tolist(), pa.int64()),
            "s": pa.array(rng.choice(["north", "south", "east"], n).tolist()),
            "d": pa.array(rng.choice(["red", "blue"], n).tolist()).dictionary_encode(),
            "when": pa.array(pd.date_range("2024-01-01", periods=n, freq="h").strftime("%Y-%m-%d")),
            "y": pa.array(rng.integers(0, 3, n), pa.int64()),
        }
    )


def write(path: Path, table: pa.Table, group: int, **options: Any) -> Path:
    pq.write_table(table, path, row_group_size=group, **options)
    return path


def loaded(path: Path, **params: Any) -> Any:
    return Table(TableParams(source=str(path), **params), None).loaded()


def test_a_block_reads_only_the_row_groups_it_spans(tmp_path: Path) -> None:
    table = mixed()
    rows = loaded(write(tmp_path / "t.parquet", table, 100))
    assert isinstance(rows, ParquetRows)
    assert rows.groups_read == []  # opening reads metadata only
    got = rows.rows(250, 100)
    assert got.column("x").to_pylist() == table.column("x").to_pylist()[250:350]
    assert rows.groups_read == [2, 3]
    rows.rows(350, 150)  # starts in the group kept from the last read
    assert rows.groups_read == [2, 3, 4]
    rows.rows(0, 10)
    assert rows.groups_read == [2, 3, 4, 0]


@pytest.mark.parametrize("group", [1, 7, 100, 999, N])
def test_any_row_range_equals_the_table_read_whole(tmp_path: Path, group: int) -> None:
    table = mixed()
    path = tmp_path / "t.parquet"
    rows = loaded(write(path, table, group), time_column="when")
    whole = MemoryRows(normalise(pq.read_table(path), "when"), None)
    assert rows.schema == whole.schema
    assert rows.num_rows == N
    assert rows.nullable == ("k",)  # its missing values are all in the last row group
    assert rows.classes("y") == (0, 1, 2)
    rng = np.random.default_rng(group)
    for start, size in [
        (0, N),
        (0, 1),
        (N - 1, 1),
        *zip(rng.integers(0, N, 20), rng.integers(1, 300, 20), strict=True),
    ]:
        size = min(int(size), N - int(start))
        assert rows.rows(int(start), size).to_pylist() == whole.rows(int(start), size).to_pylist()


def test_nulls_are_found_without_column_statistics(tmp_path: Path) -> None:
    rows = loaded(write(tmp_path / "t.parquet", mixed(), 100, write_statistics=False))
    assert isinstance(rows, ParquetRows)
    assert rows.nullable == ("k",)


def test_a_run_is_the_same_whatever_the_row_groups_and_executor(
    tmp_path: Path, exclusive_run
) -> None:
    """Uneven blocks across row groups of 7 rows, with events, give the same data and ground
    truth as one row group; a process pool gives the same bytes as a sequential run."""
    table = mixed()

    def scenario(source: Path, **extra: Any) -> dict[str, Any]:
        return {
            "name": "groups",
            "seed": 4,
            "generator": {
                "kind": "table",
                "params": {"source": str(source), "target": "y", "time_column": "when"},
            },
            "schedule": {"sizes": [130, 270, 600]},
            "drift": {
                "up": {
                    "kind": "shift",
                    "features": ["x"],
                    "amount": 1.0,
                    "where": {"blocks": [1, 2]},
                },
                "flip": {"kind": "label_flip", "rate": 0.2, "where": {"blocks": [2]}},
            },
            **extra,
        }

    one = calmops_gen.run(scenario(write(tmp_path / "one.parquet", table, N)), root=tmp_path / "a")
    small = write(tmp_path / "small.parquet", table, 7)
    seq = calmops_gen.run(scenario(small), root=tmp_path / "b")
    par = calmops_gen.run(
        scenario(small, executor={"kind": "processes", "workers": 2}), root=tmp_path / "c"
    )
    pd.testing.assert_frame_equal(calmops_gen.read_frame(seq), calmops_gen.read_frame(one))
    pd.testing.assert_frame_equal(
        calmops_gen.read_ground_truth(seq), calmops_gen.read_ground_truth(one)
    )
    assert file_hashes(par) == file_hashes(seq)
    assert dataset_bytes(par.directory) == dataset_bytes(seq.directory)
    assert seq.events[1].realised["rows_flipped"] > 0


def test_blocks_already_in_row_order_stay_lazy(tmp_path: Path) -> None:
    """A block column whose values are contiguous, or block_freq over sorted times, needs no
    reordering: the file is read lazily, with the same blocks as reading it whole."""
    table = mixed().append_column("region", pa.array(np.repeat(["b", "a", "c", "d"], N // 4)))
    path = write(tmp_path / "t.parquet", table, 64)
    by_column = loaded(path, block_column="region")
    assert isinstance(by_column, ParquetRows)
    assert by_column.sizes == [250, 250, 250, 250]
    by_time = loaded(path, time_column="when", block_freq="W")
    assert isinstance(by_time, ParquetRows)
    # hourly rows from Monday 2024-01-01: weeks of 7 * 24 rows, the last one shorter
    assert by_time.sizes == [168] * 5 + [N - 5 * 168]


def test_interleaved_blocks_are_reordered_in_memory(tmp_path: Path) -> None:
    table = mixed().append_column("region", pa.array(np.tile(["b", "a"], N // 2)))
    rows = loaded(write(tmp_path / "t.parquet", table, 64), block_column="region")
    assert isinstance(rows, MemoryRows)
    assert rows.sizes == [N // 2, N // 2]
    # block "b" first: the even rows, in their order
    x = table.column("x").to_pylist()
    assert rows.rows(0, N // 2).column("x").to_pylist() == x[0::2]
    assert rows.rows(N // 2, N // 2).column("x").to_pylist() == x[1::2]


def test_a_bad_date_in_the_last_row_group_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    table = mixed()
    when = table.column("when").to_pylist()
    when[-1] = "not a date"
    path = write(tmp_path / "t.parquet", table.set_column(4, "when", pa.array(when)), 100)
    sc = {
        "name": "bad",
        "generator": {"kind": "table", "params": {"source": str(path), "time_column": "when"}},
        "schedule": {"blocks": 4},
    }
    with pytest.raises(ScenarioError, match="is not a date/time") as err:
        calmops_gen.run(sc, root=tmp_path / "out")
    assert err.value.path == "generator.params.time_column"
    assert not (tmp_path / "out").exists()


def test_a_column_named_like_a_struct_field_keeps_its_missing_values(tmp_path: Path) -> None:
    """Column "a.b" beside struct "a" with field "b": the same Parquet path, so the null
    count comes from the data, not the struct field's statistics."""
    table = pa.table(
        {
            "a": pa.array([{"b": i} for i in range(20)]),
            "a.b": pa.array([*range(19), None], pa.int64()),
        }
    )
    rows = loaded(write(tmp_path / "t.parquet", table, 5))
    assert rows.nullable == ("a.b",)


@pytest.mark.parametrize("missing", [True, False])
def test_integer_block_keys_above_2_53_stay_distinct(tmp_path: Path, missing: bool) -> None:
    keys = [2**53] * 3 + [2**53 + 1] * 3 + ([None] * 2 if missing else [7] * 2)
    table = pa.table({"k": pa.array(keys, pa.int64()), "x": np.arange(8.0)})
    assert loaded(write(tmp_path / "t.parquet", table, 3), block_column="k").sizes == [3, 3, 2]


def test_every_block_gets_the_whole_category_set(tmp_path: Path) -> None:
    """Row groups with their own dictionaries ({a, b}, then {c, d}): each block's column has
    the file's categories, lazily or in memory, so a category event sees them all."""
    path = tmp_path / "t.parquet"
    parts = [pa.array(list("abab")).dictionary_encode(), pa.array(list("cdcd")).dictionary_encode()]
    with pq.ParquetWriter(path, pa.schema([pa.field("c", parts[0].type)])) as writer:
        for part in parts:
            writer.write_table(pa.table({"c": part}))
    lazy = loaded(path)
    in_memory = MemoryRows(pq.read_table(path), None)
    assert isinstance(lazy, ParquetRows)
    for rows in (lazy, in_memory):
        for start, values in ((0, "abab"), (4, "cdcd"), (2, "abcd")):
            column = rows.rows(start, 4).column("c")
            assert column.to_pylist() == list(values)
            assert {tuple(c.dictionary.to_pylist()) for c in column.chunks} == {tuple("abcd")}


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (pa.array(np.arange(4)), r"is not a date/time \(int64\)"),
        (pa.array(["2024-01-01", "2024-01-02", "2024-01-03", "2300-01-01"]), "outside what pandas"),
        (
            pa.array(np.array(["2024-01-01"] * 3 + ["2300-01-01"], dtype="datetime64[ms]")),
            "outside what pandas",
        ),
        (pa.array(["2024-01-01", "2024-01-02", "soon", "2024-01-03"]), "not YYYY-MM-DD dates"),
    ],
    ids=["int", "text-2300", "timestamp-2300", "text"],
)
def test_time_columns_that_pandas_cannot_hold_are_refused(
    tmp_path: Path, when: pa.Array, message: str
) -> None:
    path = write(tmp_path / "t.parquet", pa.table({"when": when, "x": np.arange(4.0)}), 2)
    sc = {
        "name": "bad",
        "generator": {"kind": "table", "params": {"source": str(path), "time_column": "when"}},
        "schedule": {"blocks": 2},
    }
    with pytest.raises(ScenarioError, match=message) as err:
        calmops_gen.run(sc, root=tmp_path / "out")
    assert err.value.path == "generator.params.time_column"
    assert not (tmp_path / "out").exists()


def test_dictionary_encoded_text_dates_are_a_time_column(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"when": pd.Categorical(days), "x": np.arange(30.0)})
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=10)
    rows = loaded(tmp_path / "t.parquet", time_column="when", block_freq="W")
    assert rows.sizes == [7, 7, 7, 7, 2]  # Monday 2024-01-01 on, weeks ending on Sunday
    assert rows.schema.field("when").type == pa.timestamp("ns")


@pytest.mark.parametrize("key", ["target", "block_column"])
def test_a_nested_target_or_block_key_is_refused(tmp_path: Path, key: str) -> None:
    table = pa.table({"l": pa.array([[1], [2]]), "x": np.arange(2.0)})
    path = write(tmp_path / "t.parquet", table, 1)
    with pytest.raises(ScenarioError, match=r"'l' is list<.*>; it must hold plain") as err:
        loaded(path, **{key: "l"})
    assert err.value.path == f"generator.params.{key}"


def test_one_column_cannot_be_both_target_and_block_key(tmp_path: Path) -> None:
    path = write(tmp_path / "t.parquet", pa.table({"y": [0, 1, 0], "x": [1.0, 2.0, 3.0]}), 1)
    with pytest.raises(ScenarioError, match="'y' is already the target; a column has one") as err:
        loaded(path, target="y", block_column="y")
    assert err.value.path == "generator.params.block_column"


def test_a_source_rewritten_with_its_old_modification_time_is_read_again(tmp_path: Path) -> None:
    """``cp -p`` or ``rsync -t`` keep the modification time; the per-process caches see the
    new file all the same (its status change time and size differ)."""
    import os

    path = write(tmp_path / "t.parquet", pa.table({"x": np.arange(5.0)}), 5)
    sc = {"name": "re", "generator": {"kind": "table", "params": {"source": str(path)}}}
    first = calmops_gen.run(sc, root=tmp_path / "a")
    stat = path.stat()
    write(path, pa.table({"x": np.arange(6.0) + 1000.0}), 5)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = calmops_gen.run(sc, root=tmp_path / "b")
    assert second.version != first.version
    assert calmops_gen.read_frame(second)["x"].tolist() == [1000.0 + i for i in range(6)]


def test_a_file_wide_dictionary_outgrowing_int8_indices_is_widened(tmp_path: Path) -> None:
    """Two row groups with 100 different values each in int8-indexed dictionaries: the
    file-wide set of 200 needs int32 indices, lazily and in memory."""
    path = tmp_path / "t.parquet"
    typ = pa.dictionary(pa.int8(), pa.string())
    groups = [[f"v{i}" for i in range(100)], [f"w{i}" for i in range(100)]]
    with pq.ParquetWriter(path, pa.schema([pa.field("c", typ)])) as writer:
        for values in groups:
            writer.write_table(pa.table({"c": pa.array(values).dictionary_encode().cast(typ)}))
    lazy = loaded(path)
    assert isinstance(lazy, ParquetRows)
    for rows in (lazy, MemoryRows(normalise(pq.read_table(path), None), None)):
        assert rows.schema.field("c").type == pa.dictionary(pa.int32(), pa.string())
        column = rows.rows(50, 100).column("c")
        assert column.to_pylist() == groups[0][50:] + groups[1][:50]
        assert {len(c.dictionary) for c in column.chunks} == {200}
    sc = {"name": "wide", "generator": {"kind": "table", "params": {"source": str(path)}}}
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "out"))
    assert frame["c"].astype(str).tolist() == groups[0] + groups[1]


def test_a_time_selection_reads_only_the_time_column_to_plan(tmp_path: Path) -> None:
    """Planning a time window reads the time column of every block, not whole row groups;
    the rows it selects are the rows whose time is in the window."""
    from calmops_gen.plan import build_plan

    table = pa.table(
        {
            "when": pa.array(pd.date_range("2024-01-01", periods=N, freq="h").to_numpy()),
            "x": pa.array(np.arange(N, dtype=float)),
        }
    )
    path = write(tmp_path / "t.parquet", table, 100)
    sc = calmops_gen.load_scenario(
        {
            "name": "window",
            "generator": {"kind": "table", "params": {"source": str(path), "time_column": "when"}},
            "schedule": {"blocks": 10},
            "drift": {
                "up": {
                    "kind": "add",
                    "features": ["x"],
                    "value": 1.0,
                    "where": {"time": ["2024-01-05", "2024-01-10"]},
                }
            },
        }
    )
    generator = sc.build_generator()
    plan = build_plan(sc, generator)
    rows = generator.loaded()
    assert isinstance(rows, ParquetRows)
    assert len(rows.groups_read) <= 1  # at most the reference block's row group, not all 10
    span = plan.events[0].span
    # the hours from Jan 5 to Jan 10, whatever the blocks cut the run into
    assert (span.starts.min(), span.stops.max(), span.total) == (4 * 24, 9 * 24, 5 * 24)


def test_whole_column_scans_read_row_groups_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Classes and categories come from scans of one column, a batch of consecutive row
    groups at a time (here at most 10 rows: groups of 3 go three by three)."""
    from calmops_gen.generators import table_rows

    monkeypatch.setattr(table_rows, "PART_ROWS", 10)
    values = [f"v{i % 7}" for i in range(50)]
    table = pa.table({"y": pa.array([i % 5 for i in range(50)]), "c": pa.array(values)})
    table = table.set_column(1, "c", table.column("c").dictionary_encode())
    rows = loaded(write(tmp_path / "t.parquet", table, 3), target="y")
    parts = list(rows.column_parts("y"))
    assert [len(p) for p in parts] == [9] * 5 + [5]
    assert rows.classes("y") == (0, 1, 2, 3, 4)
    column = rows.rows(0, 50).column("c")
    assert column.to_pylist() == values
    assert {tuple(c.dictionary.to_pylist()) for c in column.chunks} == {
        tuple(f"v{i}" for i in range(7))
    }


@pytest.mark.parametrize(
    ("column", "says"),
    [
        (
            pa.DictionaryArray.from_arrays(
                pa.array([2, 0] * 5, pa.int8()), pa.array(["lo", "mid", "hi"]), ordered=True
            ),
            "CSV keeps no category order",
        ),
        (pa.array([b"\x00\xff"] * 10), "CSV holds text, not arbitrary bytes"),
    ],
    ids=["ordered categorical", "binary"],
)
def test_csv_output_refuses_what_it_cannot_read_back(
    tmp_path: Path, column: pa.Array, says: str
) -> None:
    """An ordered categorical came back from CSV in the order its values were seen ("hi"
    before "lo"); bytes that are not UTF-8 crashed the writer."""
    path = write(tmp_path / "t.parquet", pa.table({"c": column, "x": np.arange(10.0)}), 10)
    sc = {"name": "t", "generator": {"kind": "table", "params": {"source": str(path)}},
          "schedule": {"blocks": 2}, "output": {"format": "csv"}}  # fmt: skip
    with pytest.raises(ScenarioError, match=says) as err:
        calmops_gen.run(sc, root=tmp_path / "out")
    assert err.value.path == "output.format"
    assert not (tmp_path / "out").exists()


def test_decimals_read_back_from_csv_exactly(tmp_path: Path) -> None:
    from decimal import Decimal

    values = [Decimal("12345678901234567890.12"), Decimal("-0.05")] * 5
    path = write(tmp_path / "t.parquet", pa.table({"d": pa.array(values, pa.decimal128(38, 2))}), 5)
    frames = {}
    for fmt in ("csv", "parquet"):
        sc = {"name": "t", "generator": {"kind": "table", "params": {"source": str(path)}},
              "schedule": {"blocks": 2}, "output": {"format": fmt}}  # fmt: skip
        frames[fmt] = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / fmt))
    assert frames["csv"]["d"].tolist() == frames["parquet"]["d"].tolist() == values


def test_a_categorical_from_csv_blocks_keeps_every_blocks_categories(tmp_path: Path) -> None:
    """Block 0 shows only "a", block 1 only "b": read whole, the column is one categorical
    (pandas had concatenated the blocks' two category sets as text)."""
    column = pa.array(["a"] * 5 + ["b"] * 5).dictionary_encode()
    path = write(tmp_path / "t.parquet", pa.table({"c": column, "x": np.arange(10.0)}), 5)
    sc = {"name": "t", "generator": {"kind": "table", "params": {"source": str(path)}},
          "schedule": {"blocks": 2}, "output": {"format": "csv"}}  # fmt: skip
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "out"))
    assert frame["c"].cat.categories.tolist() == ["a", "b"]
    assert frame["c"].tolist() == ["a"] * 5 + ["b"] * 5


def test_missing_times_at_a_blocks_ends_verify_and_rerun(tmp_path: Path) -> None:
    """A table's time column may miss values: a block's recorded time range is its first
    and last rows *with* a time (none for a block without any), which verify reads the same
    way, so the dataset verifies and running it again finds it intact."""
    source = tmp_path / "t.parquet"
    times = ["2024-01-05", "2024-02-05", None, None, "2024-03-01", None]
    pq.write_table(pa.table({"ts": times, "x": list(range(6))}), source)
    params = {"source": str(source), "time_column": "ts"}
    scenario = {
        "name": "gaps",
        "generator": {"kind": "table", "params": params},
        "schedule": {"sizes": [3, 1, 2]},
    }
    m = calmops_gen.run(scenario, root=tmp_path / "out")
    assert [(b.time_start, b.time_end) for b in m.blocks] == [
        ("2024-01-05T00:00:00", "2024-02-05T00:00:00"),
        (None, None),
        ("2024-03-01T00:00:00", "2024-03-01T00:00:00"),
    ]
    assert calmops_gen.verify_dataset(m.directory) == []
    assert calmops_gen.run(scenario, root=tmp_path / "out").directory == m.directory


def test_a_csv_block_of_only_missing_categories_reads_back(tmp_path: Path) -> None:
    """``block_column`` on a category column with missing values makes a block of nothing
    but missing values; its CSV reads back with no categories, and read_frame still joins
    the blocks with the column's categories (pandas 3 refused to unite them)."""
    source = tmp_path / "c.parquet"
    column = pa.array(["a", "b", None, None, "a"]).dictionary_encode()
    pq.write_table(pa.table({"c": column, "x": [1, 2, 3, 4, 5]}), source)
    params = {"source": str(source), "block_column": "c"}
    scenario = {
        "name": "holes",
        "generator": {"kind": "table", "params": params},
        "output": {"format": "csv"},
    }
    frame = calmops_gen.read_frame(calmops_gen.run(scenario, root=tmp_path / "out"))
    assert frame["c"].cat.categories.tolist() == ["a", "b"]
    assert [None if pd.isna(v) else v for v in frame["c"]] == ["a", "a", "b", None, None]
    assert frame["x"].tolist() == [1, 5, 2, 3, 4]


@pytest.mark.parametrize(("freq", "sizes"), [("D", [2, 4]), ("W", [6]), ("MS", [6])])
def test_block_freq_across_a_midnight_that_the_zone_skips(
    tmp_path: Path, freq: str, sizes: list[int]
) -> None:
    """America/Santiago springs forward at midnight (2024-09-08 00:00 does not exist):
    pandas 3 cannot start a period there, so the times are cut by the same wall times
    without the zone, as pandas 2 cuts them."""
    times = pd.date_range(
        pd.Timestamp("2024-09-07 12:00", tz="America/Santiago"), periods=6, freq="6h"
    )
    source = tmp_path / "t.parquet"
    pq.write_table(pa.table({"ts": pa.array(times), "x": list(range(6))}), source)
    params = {"source": str(source), "time_column": "ts", "block_freq": freq}
    m = calmops_gen.run(
        {"name": "stgo", "generator": {"kind": "table", "params": params}}, root=tmp_path
    )
    assert [b.rows for b in m.blocks] == sizes


def test_a_block_freq_pandas_cannot_apply_is_an_error(tmp_path: Path) -> None:
    """Business hours with a time after the last business hour: pandas' resample fails; the
    error names block_freq (was a traceback)."""
    source = tmp_path / "t.parquet"
    times = pd.to_datetime(["2024-01-05 10:00", "2024-01-05 23:30"])
    pq.write_table(pa.table({"ts": pa.array(times), "x": [1, 2]}), source)
    params = {"source": str(source), "time_column": "ts", "block_freq": "bh"}
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(
            {"name": "bh", "generator": {"kind": "table", "params": params}}, root=tmp_path / "o"
        )
    assert err.value.path == "generator.params.block_freq"
    assert err.value.message == "pandas cannot cut the times by 'bh': Values falls after last bin"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("freq", "unit"), [("M", "ME"), ("H", "h"), ("T", "min"), ("Q", "QE"), ("2M", "ME")]
)
def test_frequency_aliases_pandas_3_removed_are_refused_on_both_pandas(
    freq: str, unit: str
) -> None:
    """pandas 2 still reads ``M`` (a month end) with a FutureWarning, pandas 3 refuses it: a
    scenario must run the same on either, so it is refused on both, with pandas' new name."""
    raw = {"source": "t.csv", "time_column": "ts", "block_freq": freq}
    with pytest.raises(ScenarioError) as err:
        validate(TableParams, raw, "generator.params")
    assert err.value.path == "generator.params.block_freq"
    said = f"not a pandas frequency: {freq!r} (pandas 3 spells that unit {unit!r})"
    assert err.value.message == said


@pytest.mark.parametrize(("blocks", "what"), [(2, "do not cover"), (5, "are more than needed for")])
def test_blocks_and_rows_per_block_that_disagree_on_a_table_say_how(
    tmp_path: Path, blocks: int, what: str
) -> None:
    """A 10-row table: 3 blocks of 4 rows cover it; 2 do not, and 5 are too many (which
    the message used to call not covering)."""
    source = tmp_path / "t.csv"
    source.write_text("x\n" + "".join(f"{i}\n" for i in range(10)), encoding="utf-8")
    scenario = {
        "name": "t",
        "generator": {"kind": "table", "params": {"source": str(source)}},
        "schedule": {"rows_per_block": 4, "blocks": blocks},
    }
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(scenario, root=tmp_path / "out")
    assert err.value.path == "schedule.blocks"
    assert err.value.message == (
        f"{blocks} blocks of 4 rows {what} the table's 10 rows (3 blocks of 4 rows cover "
        "them, the last one holding the rest); give one of blocks and rows_per_block"
    )


def test_csv_sources_that_are_not_comma_separated_text_say_what_they_are(tmp_path: Path) -> None:
    """A semicolon-separated file would read as one column of text; a Parquet file named
    .csv fails as CSV with its raw bytes in the message; a CSV error quoting a line with
    control characters escapes them (they would reach the terminal)."""
    semi = tmp_path / "semi.csv"
    semi.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    parquet = tmp_path / "pq.csv"
    pq.write_table(pa.table({"x": [1, 2]}), parquet)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2,3\x01\n", encoding="utf-8")
    said = {}
    for path in (semi, parquet, ragged):
        with pytest.raises(ScenarioError) as err:
            calmops_gen.run(
                {"name": "t", "generator": {"kind": "table", "params": {"source": str(path)}}},
                root=tmp_path / "out",
            )
        assert err.value.path == "generator.params.source"
        said[path.name] = err.value.message
    assert said["semi.csv"].startswith(f"{semi} reads as one column named 'a;b;c': calmops-gen")
    assert said["pq.csv"].startswith(f"{parquet} is a Parquet file (it starts with PAR1)")
    assert "\\x01" in said["ragged.csv"] and all(c.isprintable() for c in said["ragged.csv"])
    assert not (tmp_path / "out").exists()


def test_block_freq_in_days_and_weeks_cuts_at_local_midnights_on_both_pandas() -> None:
    """Hourly times across Santiago's skipped midnight: pandas 3 cut the week an hour late
    (a Monday row in the first week), pandas 2 raised; both now cut at local midnights."""
    times = pd.date_range("2024-09-06", periods=96, freq="h", tz="UTC").tz_convert(
        "America/Santiago"
    )
    assert period_sizes(pd.DatetimeIndex(times), "W") == [75, 21]
    assert period_sizes(pd.DatetimeIndex(times), "D") == [4, 24, 24, 23, 21]
