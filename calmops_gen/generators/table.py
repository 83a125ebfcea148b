"""An existing CSV or Parquet table as the base of a scenario (drift injection only).

The table is read once per process with pyarrow (Parquet memory-mapped), checked, put in
block order and sliced into blocks. It stays in memory for the run (in every worker
process): for this generator memory follows the table's size, not the block's. Blocks
come from, in this order of precedence:

* ``block_column``: one block per distinct value, in order of first appearance; rows keep
  their relative order inside each block;
* ``block_freq`` (a pandas frequency such as ``"W"``, ``"MS"``, ``"7D"``, with
  ``time_column``): rows are sorted by time (stable) and cut at period boundaries; periods
  with no rows are skipped;
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
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
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
    nullable_columns,
)
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.schedule import as_ns

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


@dataclass(frozen=True)
class LoadedTable:
    """A source table in block order, with the sizes of its own blocks (if it defines them).

    ``nullable``: integer and bool columns holding a missing value anywhere in the table;
    every block gets them as pandas' nullable dtypes (``Int64``, ``boolean``, ...), so a
    column has one dtype in every block (pandas would make a block with a missing value
    float or object, and the others int or bool).
    """

    table: pa.Table
    sizes: list[int] | None

    @functools.cached_property
    def nullable(self) -> tuple[str, ...]:
        """Names of the integer and bool columns holding a missing value."""
        return nullable_columns(self.table)


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


def _read(path: Path, fmt: str) -> pa.Table:
    if fmt == "auto":
        suffix = path.suffix.lower()
        fmt = (
            "parquet"
            if suffix in (".parquet", ".pq")
            else "csv"
            if suffix in (".csv", ".txt")
            else ""
        )
        if not fmt:
            raise ScenarioError(
                f"{_PATH}.format", f"cannot tell the format of {path.name}; set csv or parquet"
            )
    try:
        table = (
            pq.read_table(path, memory_map=True)
            if fmt == "parquet"
            else pacsv.read_csv(path, convert_options=CSV_OPTIONS)
        )
        _ = table.column_names  # column names not in UTF-8 fail only when decoded
        return table
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"{_PATH}.source", f"cannot read {path} as {fmt}: {first}") from None


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
            if not (pa.types.is_timestamp(typ) or pa.types.is_date(typ)):
                try:
                    column = pc.strptime(column, format="%Y-%m-%d", unit="ns", error_is_null=False)
                except pa.ArrowInvalid:
                    raise ScenarioError(
                        f"{_PATH}.time_column", f"column {field.name!r} is not a date/time"
                    ) from None
            column = column.cast(pa.timestamp("ns", getattr(column.type, "tz", None)))
            typ = column.type
        fields.append(pa.field(field.name, typ))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def period_codes(times: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Index of the ``freq`` period each (sorted) timestamp falls in, counted from the first.

    Periods are anchored like pandas' (``MS`` at month starts, ``W`` at week ends, ``7D``
    from midnight of the first day).

    Examples
    --------
    >>> t = pd.DatetimeIndex(["2023-01-05", "2023-01-31", "2023-02-01", "2023-04-02"])
    >>> period_codes(t, "MS").tolist()
    [0, 0, 1, 3]
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    first = offset.rollback(times[0].normalize())
    edges = pd.date_range(start=first, end=times[-1] + offset, freq=offset)
    return np.searchsorted(as_ns(edges), as_ns(times), side="right") - 1


def _order(table: pa.Table, params: TableParams) -> LoadedTable:
    if params.block_column is not None:
        keys = table.column(params.block_column).to_pandas()
        codes, uniques = pd.factorize(keys, use_na_sentinel=False)
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=len(uniques)).tolist()
        return LoadedTable(table.take(pa.array(order)), sizes)
    if params.block_freq is not None:
        assert params.time_column is not None
        times = table.column(params.time_column).to_pandas()
        if times.isna().any():
            raise ScenarioError(f"{_PATH}.time_column", "has missing timestamps")
        order = np.argsort(times.to_numpy(), kind="stable")
        codes = period_codes(pd.DatetimeIndex(times.to_numpy()[order]), params.block_freq)
        sizes = [int(s) for s in np.bincount(codes) if s > 0]
        return LoadedTable(table.take(pa.array(order)), sizes)
    return LoadedTable(table, None)


@functools.lru_cache(maxsize=4)
def _digest(path: str, mtime_ns: int) -> str:
    """SHA-256 of the source file (once per file version and process)."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, params: TableParams) -> LoadedTable:
    table = _read(Path(path), params.format)
    names = table.column_names
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
    if params.block_freq is not None and params.time_column is None:
        raise ScenarioError(f"{_PATH}.block_freq", "needs time_column")
    if params.block_column is not None and params.block_freq is not None:
        raise ScenarioError(f"{_PATH}.block_freq", "give block_column or block_freq, not both")
    if "block" in names:
        raise ScenarioError(
            f"{_PATH}.source",
            "the table has a column named 'block', which calmops-gen writes; rename it",
        )
    if table.num_rows == 0:
        raise ScenarioError(f"{_PATH}.source", "the table has no rows")
    return _order(_normalise(table, params.time_column), params)


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

    def loaded(self) -> LoadedTable:
        """The table in block order (read once per process)."""
        path = resolve_source(self.params.source)
        return _load(str(path.resolve()), path.stat().st_mtime_ns, self.params)

    def inputs(self) -> dict[str, str]:
        path = resolve_source(self.params.source)
        return {f"{_PATH}.source": _digest(str(path.resolve()), path.stat().st_mtime_ns)}

    def source_rows(self) -> int:
        return int(self.loaded().table.num_rows)

    def own_sizes(self) -> list[int] | None:
        return self.loaded().sizes

    def columns(self) -> tuple[Column, ...]:
        cols = []
        for field in self.loaded().table.schema:
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
        if self.params.target is None:
            return None
        target = self.loaded().table.column(self.params.target)
        if pa.types.is_floating(target.type):
            return None
        values = pc.unique(target.drop_null()).to_pylist()
        return tuple(sorted(values))

    def produce(self, request: BlockRequest) -> pd.DataFrame:
        loaded = self.loaded()
        part = loaded.table.slice(request.row_start, request.size)
        return arrow_to_pandas(part, loaded.nullable)
