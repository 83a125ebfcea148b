"""An existing CSV or Parquet table as the base of a scenario (drift injection only).

A Parquet source is read lazily: a block is read from the row groups it spans (the last
one read is kept for the next block), so memory follows the block and the source's row
group size, not the table's size, in every worker process. Loading reads only metadata,
plus, once, the one column that orders the blocks (``block_column``, or the
``time_column`` with ``block_freq``), the ``time_column`` (every time is checked before a
block is written), and, one row group at a time, the target (for its classes) and any
dictionary-encoded column (every block gets the file's whole category set, whatever the
row groups). When the blocks are not already in the file's
row order (a ``block_column`` whose values interleave, a ``block_freq`` over unsorted
times) the table is read whole and reordered in memory, as a CSV source always is (CSV has
no random access: convert a large CSV to Parquet to bound memory). Blocks come from, in
this order of precedence:

* ``block_column``: one block per distinct value, in order of first appearance; rows keep
  their relative order inside each block;
* ``block_freq`` (a pandas frequency such as ``"W"``, ``"MS"``, ``"7D"``, with
  ``time_column``): rows are sorted by time (stable) and cut into periods as pandas'
  ``resample`` cuts them (:func:`period_sizes`); periods with no rows are skipped;
* the schedule: ``sizes`` (summing to the table's rows), ``rows_per_block`` or ``blocks``
  (equal split), or the whole table as one block.

Columns keep their types (ints stay ints, strings stay strings, dictionary-encoded columns
stay categorical); the ``time_column`` becomes a ``timestamp[ns]`` column. In a CSV source
an unquoted empty field (or ``NA``, ``null``, ``NaN``, ...) is a missing value in every
column, strings included, as ``pandas.read_csv`` reads it; a quoted ``""`` is the empty
string (:data:`CSV_OPTIONS`). A source path
``bundled:NAME`` names a table shipped with calmops-gen (``bundled:loans.csv``).

Examples
--------
>>> gen = Table(TableParams(source="bundled:loans.csv", target="default"), None)
>>> gen.target().name
'default'
>>> gen.classes()
(0, 1)
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import field_validator

from calmops_gen.errors import ScenarioError, repeated, suggest
from calmops_gen.generators.base import (
    BlockRequest,
    Column,
    Generator,
    GeneratorParams,
    arrow_to_pandas,
    nullable_arrow,
    nullable_columns,
)
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.schedule import as_ns, block_layout

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "data"
_BUNDLED = re.compile(r"^bundled:([a-z0-9][a-z0-9_.-]*)$")
_PATH = "generator.params"


class TableParams(GeneratorParams):
    """Where the table is and which of its columns play which role."""

    source: str
    format: Literal["auto", "csv", "parquet"] = "auto"
    target: str | None = None
    time_column: str | None = None
    block_column: str | None = None
    block_freq: str | None = None

    @field_validator("block_freq")
    @classmethod
    def _check_freq(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pd.tseries.frequencies.to_offset(value)
            except ValueError:
                raise ValueError(
                    f"not a pandas frequency: {value!r} (try 'D', 'W', 'MS')"
                ) from None
        return value


class SourceRows:
    """A source table in block order: its (normalised) schema, rows, own block sizes (if it
    defines them) and its rows by range.

    ``nullable``: integer and bool columns holding a missing value anywhere in the table;
    every block gets them as pandas' nullable dtypes (``Int64``, ``boolean``, ...), so a
    column has one dtype in every block (pandas would make a block with a missing value
    float or object, and the others int or bool).
    """

    schema: pa.Schema
    num_rows: int
    sizes: list[int] | None
    nullable: tuple[str, ...]

    def rows(self, start: int, size: int) -> pa.Table:
        """Rows ``[start, start + size)`` in block order."""
        raise NotImplementedError

    def column_parts(self, name: str) -> Iterator[pa.ChunkedArray]:
        """Column ``name`` in pieces (each fits in memory), in row order."""
        raise NotImplementedError

    def classes(self, name: str) -> tuple[Hashable, ...]:
        """The distinct values of column ``name`` (missing values left out), sorted."""
        values: set[Any] = set()
        for part in self.column_parts(name):
            values.update(pc.unique(part.drop_null()).to_pylist())
        return tuple(sorted(values))


class MemoryRows(SourceRows):
    """The whole table in memory: a CSV source, or a Parquet source whose blocks are not in
    its row order.

    Examples
    --------
    >>> rows = MemoryRows(pa.table({"k": pa.array([2, None, 1])}), None)
    >>> rows.nullable, rows.classes("k"), rows.rows(1, 2).column("k").to_pylist()
    (('k',), (1, 2), [None, 1])
    """

    def __init__(self, table: pa.Table, sizes: list[int] | None) -> None:
        # one dictionary per dictionary column, so every block has the whole category set
        try:
            self.table = table.unify_dictionaries()
        except pa.ArrowInvalid:  # the union outgrows an index type: int32 indices then
            wide = pa.schema([_wide_indices(f, 2**31 - 1) for f in table.schema])
            self.table = table.cast(wide).unify_dictionaries()
        self.schema = self.table.schema
        self.num_rows = int(table.num_rows)
        self.sizes = sizes
        self.nullable = nullable_columns(table)

    def rows(self, start: int, size: int) -> pa.Table:
        return self.table.slice(start, size)

    def column_parts(self, name: str) -> Iterator[pa.ChunkedArray]:
        yield self.table.column(name)


class ParquetRows(SourceRows):
    """A Parquet file whose row order is its block order, read one row group at a time
    (memory-mapped); the last row group read is kept, since the next block usually starts
    in it.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> pq.write_table(pa.table({"x": list(range(10))}), folder / "t.parquet", row_group_size=4)
    >>> rows = ParquetRows(pq.ParquetFile(folder / "t.parquet"), None, None)
    >>> rows.rows(3, 6).column("x").to_pylist(), rows.groups_read
    ([3, 4, 5, 6, 7, 8], [0, 1, 2])
    """

    def __init__(
        self, file: pq.ParquetFile, time_column: str | None, sizes: list[int] | None
    ) -> None:
        self._file = file
        self._time_column = time_column
        meta = file.metadata
        counts = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        self._starts = np.cumsum([0, *counts])
        self.schema = _normalise(file.schema_arrow.empty_table(), time_column).schema
        self.num_rows = int(meta.num_rows)
        self.sizes = sizes
        self._last: tuple[int, pa.Table] | None = None
        self._lock = threading.Lock()
        self.groups_read: list[int] = []  # every row group read for rows(), in order
        self.nullable = tuple(
            field.name
            for field in self.schema
            if nullable_arrow(field.type) is not None and self._has_nulls(field.name)
        )
        self._dictionaries = {
            field.name: self._dictionary(field.name)
            for field in self.schema
            if pa.types.is_dictionary(field.type)
        }
        self.schema = pa.schema(
            [_wide_indices(f, len(self._dictionaries.get(f.name, ()))) for f in self.schema]
        )

    def _read(self, group: int, columns: list[str] | None = None) -> pa.Table:
        try:
            table = self._file.read_row_group(group, columns=columns)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ScenarioError(
                f"{_PATH}.source", f"cannot read row group {group} of the table: {_first(exc)}"
            ) from None
        return _normalise(table, self._time_column)

    def _dictionary(self, name: str) -> pa.Array:
        """Every value of dictionary column ``name``'s row-group dictionaries, in order of
        first appearance (as ``pyarrow.Table.unify_dictionaries`` orders them)."""
        values: pa.Array | None = None
        for part in self.column_parts(name):
            for chunk in part.chunks:
                new = chunk.dictionary
                if values is not None:
                    new = new.filter(pc.invert(pc.is_in(new, value_set=values)))
                values = new if values is None else pa.concat_arrays([values, new])
        assert values is not None  # a file has at least one row group (it has rows)
        return values

    def _unify(self, table: pa.Table) -> pa.Table:
        """``table`` with every dictionary column on the file-wide dictionary (each row
        group has its own), so a block's categories do not depend on the row groups."""
        for name, values in self._dictionaries.items():
            j = table.schema.get_field_index(name)
            field = self.schema.field(name)
            typ = field.type
            chunks = [
                pa.DictionaryArray.from_arrays(
                    pc.take(pc.index_in(c.dictionary, value_set=values), c.indices).cast(
                        typ.index_type
                    ),
                    values,
                    ordered=typ.ordered,
                )
                for c in table.column(j).chunks
            ]
            table = table.set_column(j, field, pa.chunked_array(chunks, typ))
        return table

    def _group(self, group: int) -> pa.Table:
        if self._last is None or self._last[0] != group:
            self._last = (group, self._unify(self._read(group)))
            self.groups_read.append(group)
        return self._last[1]

    def rows(self, start: int, size: int) -> pa.Table:
        if size <= 0:
            return self.schema.empty_table()
        first = int(np.searchsorted(self._starts, start, side="right")) - 1
        last = int(np.searchsorted(self._starts, start + size - 1, side="right")) - 1
        with self._lock:
            parts = [self._group(g) for g in range(first, last + 1)]
        return pa.concat_tables(parts).slice(start - int(self._starts[first]), size)

    def column_parts(self, name: str) -> Iterator[pa.ChunkedArray]:
        for group in range(len(self._starts) - 1):
            yield self._read(group, [name]).column(name)

    def _has_nulls(self, name: str) -> bool:
        """Whether column ``name`` holds a missing value: from the row groups' statistics
        where the file has them, else by reading the column."""
        meta = self._file.metadata
        # a struct's field can have the same dotted path ("a.b") as a column: no statistics then
        leaves = [j for j in range(meta.num_columns) if meta.schema.column(j).path == name]
        leaf = leaves[0] if len(leaves) == 1 else None
        for group in range(meta.num_row_groups):
            stats = None if leaf is None else meta.row_group(group).column(leaf).statistics
            if stats is not None and stats.has_null_count:
                if stats.null_count:
                    return True
            elif self._read(group, [name]).column(name).null_count:
                return True
        return False


def _wide_indices(field: pa.Field, size: int) -> pa.Field:
    """``field`` with int32 dictionary indices when its index type cannot number ``size``
    values (a file-wide dictionary can outgrow each row group's int8 indices).

    Examples
    --------
    >>> small = pa.field("c", pa.dictionary(pa.int8(), pa.string()))
    >>> _wide_indices(small, 128).type.index_type, _wide_indices(small, 129).type.index_type
    (DataType(int8), DataType(int32))
    """
    typ = field.type
    if not pa.types.is_dictionary(typ) or size <= 2 ** (typ.index_type.bit_width - 1):
        return field
    wide = pa.dictionary(pa.int32(), typ.value_type, typ.ordered)
    return pa.field(field.name, wide, field.nullable, field.metadata)


def resolve_source(source: str) -> Path:
    """Path of ``source``; ``bundled:NAME`` resolves inside the package's data folder."""
    match = _BUNDLED.match(source)
    if match:
        path = BUNDLED_DIR / match.group(1)
        if not path.is_file():
            names = sorted(p.name for p in BUNDLED_DIR.iterdir() if p.is_file())
            raise ScenarioError(
                f"{_PATH}.source",
                f"no bundled table {match.group(1)!r}{suggest(match.group(1), names) or '.'} "
                f"Bundled: {', '.join(names)}",
            )
        return path
    if source.startswith("bundled:"):
        raise ScenarioError(f"{_PATH}.source", f"bad bundled table name {source!r}")
    path = Path(source).expanduser()
    if not path.is_file():
        raise ScenarioError(f"{_PATH}.source", f"no such file: {path}")
    return path


#: How a CSV source is read: an unquoted empty field, ``NA``, ``null``, ``NaN``, ``N/A``, ...
#: (pyarrow's default null values, pandas' ``read_csv`` ones) is a missing value in every
#: column, strings included; a quoted value is always text (``""`` is the empty string), as
#: in the CSV files calmops-gen writes.
CSV_OPTIONS = pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)


def _first(exc: BaseException) -> str:
    """The first line of a reading error's message (its type when it has none)."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise ScenarioError(
        f"{_PATH}.format", f"cannot tell the format of {path.name}; set csv or parquet"
    )


def _open(path: Path, fmt: str) -> pa.Table | pq.ParquetFile:
    """The CSV table read whole, or the Parquet file opened (its metadata read)."""
    try:
        if fmt == "parquet":
            file = pq.ParquetFile(path)
            _ = file.schema_arrow.names  # column names not in UTF-8 fail only when decoded
            return file
        table = pacsv.read_csv(path, convert_options=CSV_OPTIONS)
        _ = table.column_names
        return table
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            f"{_PATH}.source", f"cannot read {path} as {fmt}: {_first(exc)}"
        ) from None


def _normalise(table: pa.Table, time_column: str | None) -> pa.Table:
    fields = []
    arrays = []
    for field, column in zip(table.schema, table.columns, strict=True):
        typ = field.type
        if pa.types.is_large_string(typ):
            column, typ = column.cast(pa.string()), pa.string()
        if pa.types.is_timestamp(typ) and typ.unit == "s":
            # Parquet's coarsest unit is ms (a CSV source gives seconds)
            typ = pa.timestamp("ms", typ.tz)
            column = column.cast(typ)
        if field.name == time_column:
            column = _as_times(column, field.name)
            typ = column.type
        fields.append(pa.field(field.name, typ))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _as_times(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """The time column as ``timestamp[ns]``: timestamps and dates as they are, text as
    ``YYYY-MM-DD`` dates (dictionary-encoded text decoded first); anything else, text that
    is not a date, or dates outside what pandas holds in nanoseconds, is refused."""
    path = f"{_PATH}.time_column"
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    typ = column.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        try:
            # seconds first: a date past 2262 is then refused as out of range, not as text
            column = pc.strptime(column, format="%Y-%m-%d", unit="s", error_is_null=False)
        except pa.ArrowInvalid:
            raise ScenarioError(
                path, f"column {name!r} is not a date/time: its text is not YYYY-MM-DD dates"
            ) from None
    elif not (pa.types.is_timestamp(typ) or pa.types.is_date(typ)):
        raise ScenarioError(
            path,
            f"column {name!r} is not a date/time ({typ}); give a timestamp or date column, "
            "or text dates (YYYY-MM-DD)",
        )
    try:
        return column.cast(pa.timestamp("ns", getattr(column.type, "tz", None)))
    except pa.ArrowInvalid:
        raise ScenarioError(
            path,
            f"column {name!r} holds dates outside what pandas holds "
            f"({pd.Timestamp.min.date()} to {pd.Timestamp.max.date()})",
        ) from None


def period_sizes(times: pd.DatetimeIndex, freq: str) -> list[int]:
    """Rows in each ``freq`` period of the (sorted) timestamps, cut as pandas' ``resample``
    cuts them (``MS`` from month starts; ``W``, weeks ending on Sunday, and ``ME``, months,
    closed on their last day; ``7D`` from midnight of the first day); periods with no rows
    are left out.

    Examples
    --------
    >>> t = pd.DatetimeIndex(["2023-01-05", "2023-01-31", "2023-02-01", "2023-04-02"])
    >>> period_sizes(t, "MS")
    [2, 1, 1]
    >>> period_sizes(pd.date_range("2024-01-01", periods=14, freq="D"), "W")  # Monday on
    [7, 7]
    """
    counts = pd.Series(np.ones(len(times), dtype=np.int64), index=times).resample(freq).size()
    return [int(c) for c in counts.to_numpy() if c > 0]


def _blocks(
    params: TableParams, column: Callable[[str], pa.ChunkedArray]
) -> tuple[list[int] | None, np.ndarray | None]:
    """The source's own block sizes (``None``: the schedule cuts the blocks) and the row
    order that puts its rows in block order (``None``: they already are), from the one
    column that defines them (``column(name)`` reads it)."""
    if params.block_column is not None:
        keys = column(params.block_column)
        # with a missing value, ints as pandas' Int64 (float64 would merge keys above 2**53)
        return block_layout(
            keys.to_pandas(types_mapper=nullable_arrow if keys.null_count else None)
        )
    if params.block_freq is None:
        return None, None
    assert params.time_column is not None
    times = column(params.time_column).to_pandas()
    if times.isna().any():
        raise ScenarioError(f"{_PATH}.time_column", "has missing timestamps")
    stamps = as_ns(times)
    order = None if bool((stamps[1:] >= stamps[:-1]).all()) else np.argsort(stamps, kind="stable")
    ordered = times if order is None else times.iloc[order]
    return period_sizes(pd.DatetimeIndex(ordered), params.block_freq), order


def _stamp(path: Path) -> tuple[int, ...]:
    """What tells one version of a file from another, for the per-process caches: its
    modification time, status change time (which a copy that keeps the modification time
    still changes) and size."""
    st = path.stat()
    return st.st_mtime_ns, st.st_ctime_ns, st.st_size


@functools.lru_cache(maxsize=4)
def _digest(path: str, stamp: tuple[int, ...]) -> str:
    """SHA-256 of the source file (once per file version and process)."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@functools.lru_cache(maxsize=4)
def _load(path: str, stamp: tuple[int, ...], params: TableParams) -> SourceRows:
    fmt = _format(Path(path), params.format)
    source = _open(Path(path), fmt)
    if isinstance(source, pq.ParquetFile):
        schema, num_rows = source.schema_arrow, source.metadata.num_rows
    else:
        schema, num_rows = source.schema, source.num_rows
    _check_columns(schema, num_rows, params)
    if isinstance(source, pa.Table):
        table = _normalise(source, params.time_column)
        sizes, order = _blocks(params, table.column)
        return MemoryRows(table if order is None else table.take(pa.array(order)), sizes)
    file = source

    def column(name: str) -> pa.ChunkedArray:
        return _normalise(_whole(file, [name]), params.time_column).column(name)

    sizes, order = _blocks(params, column)
    if order is not None:
        table = _normalise(_whole(file, None), params.time_column)
        return MemoryRows(table.take(pa.array(order)), sizes)
    if params.time_column is not None and params.block_freq is None:
        column(params.time_column)  # every time checked once, before any block is written
    return ParquetRows(file, params.time_column, sizes)


def _whole(file: pq.ParquetFile, columns: list[str] | None) -> pa.Table:
    """Columns ``columns`` (``None``: all) of the Parquet ``file``."""
    try:
        return file.read(columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ScenarioError(f"{_PATH}.source", f"cannot read the table: {_first(exc)}") from None


def _check_columns(schema: pa.Schema, num_rows: int, params: TableParams) -> None:
    """Refuse unnamed or repeated columns, role columns the table lacks or cannot play
    (a nested target or block key), a ``block`` column and an empty table."""
    names = schema.names
    blank = [i for i, name in enumerate(names) if not name.strip()]
    if blank:
        raise ScenarioError(
            f"{_PATH}.source", f"column(s) at position {blank} have no name; name every column"
        )
    twice = repeated(names)
    if twice:
        raise ScenarioError(
            f"{_PATH}.source", f"the table has duplicate column names {twice}; rename them"
        )
    for key in ("target", "time_column", "block_column"):
        name = getattr(params, key)
        if name is not None and name not in names:
            raise ScenarioError(
                f"{_PATH}.{key}",
                f"the table has no column {name!r}{suggest(name, names) or '.'} "
                f"Columns: {', '.join(names)}",
            )
    for key in ("target", "block_column"):
        name = getattr(params, key)
        if name is not None and pa.types.is_nested(schema.field(name).type):
            raise ScenarioError(
                f"{_PATH}.{key}",
                f"column {name!r} is {schema.field(name).type}; it must hold plain values "
                "(numbers, text, dates)",
            )
    if params.block_freq is not None and params.time_column is None:
        raise ScenarioError(f"{_PATH}.block_freq", "needs time_column")
    if params.block_column is not None and params.block_freq is not None:
        raise ScenarioError(f"{_PATH}.block_freq", "give block_column or block_freq, not both")
    if "block" in names:
        raise ScenarioError(
            f"{_PATH}.source",
            "the table has a column named 'block', which calmops-gen writes; rename it",
        )
    if num_rows == 0:
        raise ScenarioError(f"{_PATH}.source", "the table has no rows")


@GENERATORS.register("table")
class Table(Generator):
    """Rows of an existing table, cut into blocks (no engines, no concepts)."""

    kind: ClassVar[str] = "table"
    Params: ClassVar[type[TableParams]] = TableParams
    engines: ClassVar[tuple[str, ...]] = ()
    has_concepts: ClassVar[bool] = False
    accepts_block_params: ClassVar[bool] = False
    role_hints: ClassVar[Mapping[str, str]] = {
        "time": "set generator.params.time_column (or schedule.start and schedule.step)",
        "target": "set generator.params.target",
        "block": "set generator.params.block_column or block_freq, or the schedule's sizes",
    }

    params: TableParams

    def loaded(self) -> SourceRows:
        """The table in block order (opened once per process)."""
        path = resolve_source(self.params.source)
        return _load(str(path.resolve()), _stamp(path), self.params)

    def inputs(self) -> dict[str, str]:
        path = resolve_source(self.params.source)
        return {f"{_PATH}.source": _digest(str(path.resolve()), _stamp(path))}

    def source_rows(self) -> int:
        return self.loaded().num_rows

    def own_sizes(self) -> list[int] | None:
        return self.loaded().sizes

    def columns(self) -> tuple[Column, ...]:
        cols = []
        for field in self.loaded().schema:
            typ = field.type
            role: Any = "feature"
            if field.name == self.params.target:
                role = "target"
            elif field.name == self.params.time_column:
                role = "time"
            numeric = pa.types.is_integer(typ) or pa.types.is_floating(typ)
            cols.append(Column(field.name, str(typ), role, nominal=not numeric, arrow_type=typ))
        return tuple(cols)

    def classes(self) -> tuple[Hashable, ...] | None:
        target = self.params.target
        if target is None:
            return None
        loaded = self.loaded()
        if pa.types.is_floating(loaded.schema.field(target).type):
            return None
        return loaded.classes(target)

    def produce(self, request: BlockRequest) -> pd.DataFrame:
        loaded = self.loaded()
        return arrow_to_pandas(loaded.rows(request.row_start, request.size), loaded.nullable)
