"""A source table's rows in block order: held in memory, or read lazily from a Parquet file
one row group at a time, with the columns normalised as every block gets them.

:mod:`calmops_gen.generators.table` decides which (and puts the rows in block order);
everything here serves rows by range.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from calmops_gen.errors import ScenarioError, first_line
from calmops_gen.generators.base import nullable_arrow, nullable_columns

PARAMS_PATH = "generator.params"
#: Rows of one column read at a time when a whole column is scanned (classes, categories).
PART_ROWS = 1 << 20


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

    def rows(self, start: int, size: int, columns: list[str] | None = None) -> pa.Table:
        """Rows ``[start, start + size)`` in block order (of ``columns`` only, if given)."""
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
    its row order (``table`` normalised: see :func:`normalise`).

    Examples
    --------
    >>> rows = MemoryRows(pa.table({"k": pa.array([2, None, 1])}), None)
    >>> rows.nullable, rows.classes("k"), rows.rows(1, 2).column("k").to_pylist()
    (('k',), (1, 2), [None, 1])
    """

    def __init__(self, table: pa.Table, sizes: list[int] | None) -> None:
        # one dictionary per dictionary column, so every block has the whole category set
        self.table = table.unify_dictionaries()
        self.schema = self.table.schema
        self.num_rows = int(table.num_rows)
        self.sizes = sizes
        self.nullable = nullable_columns(table)

    def rows(self, start: int, size: int, columns: list[str] | None = None) -> pa.Table:
        table = self.table if columns is None else self.table.select(columns)
        return table.slice(start, size)

    def column_parts(self, name: str) -> Iterator[pa.ChunkedArray]:
        yield self.table.column(name)


class ParquetRows(SourceRows):
    """A Parquet file whose row order is its block order, read one row group at a time
    (plain reads, not a memory map, whose pages would stay resident and count against the
    process); the last row group read is kept, since the next block usually starts in it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
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
        self.schema = normalise(file.schema_arrow.empty_table(), time_column).schema
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

    def _read(self, groups: list[int], columns: list[str] | None = None) -> pa.Table:
        """Row groups ``groups`` (in one read), normalised."""
        try:
            table = self._file.read_row_groups(groups, columns=columns)
        except (pa.ArrowInvalid, OSError) as exc:
            where = f"{groups[0]}" if len(groups) == 1 else f"{groups[0]}-{groups[-1]}"
            raise ScenarioError(
                f"{PARAMS_PATH}.source",
                f"cannot read row group {where} of the table: {first_line(exc)}",
            ) from None
        return normalise(table, self._time_column)

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
            if j < 0:  # not among the columns read
                continue
            field = self.schema.field(name)
            typ = field.type
            chunks = [
                pa.DictionaryArray.from_arrays(
                    pc.take(pc.index_in(c.dictionary, value_set=values), c.indices),  # int32
                    values,
                    ordered=typ.ordered,
                )
                for c in table.column(j).chunks
            ]
            table = table.set_column(j, field, pa.chunked_array(chunks, typ))
        return table

    def rows(self, start: int, size: int, columns: list[str] | None = None) -> pa.Table:
        """The row groups spanned, read in one call; the last of them is kept (the next
        block usually starts in it). A few ``columns`` are read for this call only."""
        if size <= 0:
            empty = self.schema.empty_table()
            return empty if columns is None else empty.select(columns)
        first = int(np.searchsorted(self._starts, start, side="right")) - 1
        last = int(np.searchsorted(self._starts, start + size - 1, side="right")) - 1
        groups = list(range(first, last + 1))
        if columns is not None:
            table = self._unify(self._read(groups, columns))
            return table.slice(start - int(self._starts[first]), size)
        with self._lock:
            parts = []
            if self._last is not None and self._last[0] == first:
                parts.append(self._last[1])
                groups = groups[1:]
            if groups:
                table = self._unify(self._read(groups))
                self.groups_read.extend(groups)
                into_last = int(self._starts[groups[-1]] - self._starts[groups[0]])
                self._last = (groups[-1], table.slice(into_last))
                parts.append(table)
        return pa.concat_tables(parts).slice(start - int(self._starts[first]), size)

    def column_parts(self, name: str) -> Iterator[pa.ChunkedArray]:
        # consecutive row groups of up to PART_ROWS rows in all, read together
        groups: list[int] = []
        for group in range(len(self._starts) - 1):
            if groups and self._starts[group + 1] - self._starts[groups[0]] > PART_ROWS:
                yield self._read(groups, [name]).column(name)
                groups = []
            groups.append(group)
        if groups:
            yield self._read(groups, [name]).column(name)

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
            elif self._read([group], [name]).column(name).null_count:
                return True
        return False


def normalise(table: pa.Table, time_column: str | None) -> pa.Table:
    """``table`` with its columns as every block gets them: ``large_string`` as
    ``string``, ``timestamp[s]`` as ``timestamp[ms]`` (Parquet's coarsest unit), dictionary
    (categorical) columns with int32 indices (whatever their row groups' dictionaries and
    the categories events add, every block's indices have one type), and the
    ``time_column`` as ``timestamp[ns]`` (see :func:`_as_times`); no schema metadata.

    Examples
    --------
    >>> t = pa.table({"when": ["2024-01-02"], "s": pa.array(["a"], pa.large_string()),
    ...               "c": pa.array(["a"]).dictionary_encode().cast(
    ...                   pa.dictionary(pa.int8(), pa.string()))})
    >>> [str(f.type) for f in normalise(t, "when").schema]
    ['timestamp[ns]', 'string', 'dictionary<values=string, indices=int32, ordered=0>']
    """
    fields = []
    arrays = []
    for field, column in zip(table.schema, table.columns, strict=True):
        typ = field.type
        if pa.types.is_large_string(typ):
            column, typ = column.cast(pa.string()), pa.string()
        if pa.types.is_dictionary(typ) and typ.index_type != pa.int32():
            typ = pa.dictionary(pa.int32(), typ.value_type, typ.ordered)
            column = column.cast(typ)
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
    path = f"{PARAMS_PATH}.time_column"
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
