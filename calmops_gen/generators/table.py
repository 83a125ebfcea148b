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
stay categorical, with int32 indices so that events can add categories); the
``time_column`` becomes a ``timestamp[ns]`` column. In a CSV source
an unquoted empty field (or ``NA``, ``null``, ``NaN``, ...) is a missing value in every
column, strings included, as ``pandas.read_csv`` reads it; a quoted ``""`` is the empty
string (:data:`CSV_OPTIONS`). A CSV column of integers past int64 (which pyarrow would
read as rounded floats) is ``uint64``; integers that no 64-bit type holds, and text that is
not UTF-8, are refused. A source path
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
import warnings
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import field_validator

from calmops_gen.errors import ScenarioError, first_line, repeated, suggest
from calmops_gen.generators.base import (
    BlockRequest,
    Column,
    Generator,
    GeneratorParams,
    arrow_to_pandas,
    nullable_arrow,
)
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.generators.table_rows import (
    PARAMS_PATH,
    MemoryRows,
    ParquetRows,
    SourceRows,
    normalise,
)
from calmops_gen.roles import one_role_each
from calmops_gen.schedule import block_layout
from calmops_gen.times import NS_PER_UNIT, as_ns

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "data"
_BUNDLED = re.compile(r"^bundled:([a-z0-9][a-z0-9_.-]*)$")


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
        if value is None:
            return value
        # pandas 2 still reads the aliases pandas 3 removed ("M", "H", "T", ...), with a
        # FutureWarning: refused on both, so that a scenario runs the same on either
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                offset = pd.tseries.frequencies.to_offset(value)
            except ValueError as err:
                raise ValueError(_frequency_problem(value, str(err))) from None
        for warning in caught:
            if issubclass(warning.category, FutureWarning | DeprecationWarning):
                raise ValueError(_frequency_problem(value, str(warning.message)))
        if offset.n <= 0:
            raise ValueError(f"must be a positive frequency, got {value!r}")
        return value


def _frequency_problem(value: str, said: str) -> str:
    """Why ``value`` is refused as ``block_freq``, with pandas' own suggestion if it made one.

    Examples
    --------
    >>> _frequency_problem("M", "'M' is deprecated ... please use 'ME' instead.")
    "not a pandas frequency: 'M' (pandas 3 spells that unit 'ME')"
    >>> _frequency_problem("x", "Invalid frequency: x")
    "not a pandas frequency: 'x' (try 'D', 'W', 'MS')"
    """
    match = re.search(r"use '([^']+)' instead|Did you mean ([^?\s]+)\?", said)
    if match is None:
        return f"not a pandas frequency: {value!r} (try 'D', 'W', 'MS')"
    unit = match.group(1) or match.group(2)
    return f"not a pandas frequency: {value!r} (pandas 3 spells that unit {unit!r})"


def resolve_source(source: str) -> Path:
    """Path of ``source``; ``bundled:NAME`` resolves inside the package's data folder."""
    match = _BUNDLED.match(source)
    if match:
        path = BUNDLED_DIR / match.group(1)
        if not path.is_file():
            names = sorted(p.name for p in BUNDLED_DIR.iterdir() if p.is_file())
            raise ScenarioError(
                f"{PARAMS_PATH}.source",
                f"no bundled table {match.group(1)!r}{suggest(match.group(1), names) or '.'} "
                f"Bundled: {', '.join(names)}",
            )
        return path
    if source.startswith("bundled:"):
        raise ScenarioError(f"{PARAMS_PATH}.source", f"bad bundled table name {source!r}")
    try:
        path = Path(source).expanduser()
        if path.is_dir():
            raise ScenarioError(f"{PARAMS_PATH}.source", f"{path} is a directory; name a file")
        if not path.is_file():
            raise ScenarioError(f"{PARAMS_PATH}.source", f"no such file: {path}")
    except (RuntimeError, OSError, ValueError) as exc:  # ~user unknown, a NUL, a name too long
        raise ScenarioError(f"{PARAMS_PATH}.source", f"cannot use {source!r}: {exc}") from None
    return path


#: How a CSV source is read: an unquoted empty field, ``NA``, ``null``, ``NaN``, ``N/A``, ...
#: (pyarrow's default null values, pandas' ``read_csv`` ones) is a missing value in every
#: column, strings included; a quoted value is always text (``""`` is the empty string), as
#: in the CSV files calmops-gen writes.
CSV_OPTIONS = pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)


def _format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise ScenarioError(
        f"{PARAMS_PATH}.format", f"cannot tell the format of {path.name}; set csv or parquet"
    )


def _open(path: Path, fmt: str) -> pa.Table | pq.ParquetFile:
    """The CSV table read whole, or the Parquet file opened (its metadata read)."""
    try:
        if fmt == "parquet":
            file = pq.ParquetFile(path)
            _ = file.schema_arrow.names  # column names not in UTF-8 fail only when decoded
            return file
        with path.open("rb") as head:
            if head.read(4) == b"PAR1":
                raise ScenarioError(
                    f"{PARAMS_PATH}.source",
                    f"{path} is a Parquet file (it starts with PAR1); name it .parquet or set "
                    "generator.params.format: parquet",
                )
        table = pacsv.read_csv(path, convert_options=CSV_OPTIONS)
        names = table.column_names
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        said = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in first_line(exc))
        raise ScenarioError(
            f"{PARAMS_PATH}.source", f"cannot read {path} as {fmt}: {said}"
        ) from None
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t", "|")):
        raise ScenarioError(
            f"{PARAMS_PATH}.source",
            f"{path} reads as one column named {names[0]!r}: calmops-gen reads comma-separated "
            "files; write it with commas (pandas.read_csv(path, sep=...).to_csv(new, "
            "index=False)) or as Parquet",
        )
    return table


#: Integer text as pyarrow's CSV reader reads it (no sign ``+``, no spaces).
_INTEGER = r"^-?[0-9]+$"


def _csv_types(path: Path, table: pa.Table) -> pa.Table:
    """``table``, read from the CSV file ``path`` (its column names checked), with the
    types pyarrow's inference gets wrong put right: a column of integers past int64, which
    it reads as float64 (rounding them), as exact ``uint64``, and integers that no 64-bit
    type holds, or text that is not UTF-8 (which it reads as binary), refused. Only float
    columns holding a magnitude of ``2**63`` or more (no integer column pyarrow infers
    does) are read again, as text.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("id,x\\n18446744073709551615,1e19\\n,2\\n")
    >>> _csv_types(path, _open(path, "csv")).to_pylist()
    [{'id': 18446744073709551615, 'x': 1e+19}, {'id': None, 'x': 2.0}]
    """
    for field in table.schema:
        if pa.types.is_binary(field.type):
            raise ScenarioError(
                f"{PARAMS_PATH}.source",
                f"column {field.name!r} is not UTF-8 text; re-encode the file as UTF-8 "
                "(or use Parquet)",
            )
    suspects = [
        field.name
        for field in table.schema
        if pa.types.is_float64(field.type)
        and (pc.max(pc.abs(table.column(field.name))).as_py() or 0) >= 2**63
    ]
    if not suspects:
        return table
    options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in suspects},
        include_columns=suspects,
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    text = pacsv.read_csv(path, convert_options=options)
    for name in suspects:
        column = text.column(name)
        if not pc.all(pc.match_substring_regex(column, _INTEGER)).as_py():
            continue  # decimal or exponent text somewhere: a float column
        try:
            exact = column.cast(pa.uint64())
        except pa.ArrowInvalid:
            raise ScenarioError(
                f"{PARAMS_PATH}.source",
                f"column {name!r} holds integers that no 64-bit integer type holds (CSV "
                "integers are read as int64 or uint64, and as floats they would be rounded); "
                "use Parquet, with a decimal or text column",
            ) from None
        j = table.schema.get_field_index(name)
        table = table.set_column(j, pa.field(name, pa.uint64()), exact)
    return table


#: Most periods ``block_freq`` may cut the times into, empty ones included (``resample``
#: allocates some 30 bytes for each): a fixed frequency far too fine for the times
#: (``1ns`` over days) is refused, not allocated. Calendar frequencies (``W``, ``MS``,
#: ``B``, ``bh``, ...) are an hour or longer and make no more than about a million periods
#: over the years pandas holds.
MAX_PERIODS = 1_000_000


#: Nanoseconds in a day: ``block_freq`` steps of a day or more are cut in wall time.
DAY_NS = 86_400 * 10**9


def period_sizes(times: pd.DatetimeIndex, freq: str) -> list[int]:
    """Rows in each ``freq`` period of the (sorted) timestamps, cut as pandas' ``resample``
    cuts them (``MS`` from month starts; ``W``, weeks ending on Sunday, and ``ME``, months,
    closed on their last day; ``7D`` from midnight of the first day); periods with no rows
    are left out. A fixed frequency that cuts the times into more than
    :data:`MAX_PERIODS` periods is refused.

    Examples
    --------
    >>> t = pd.DatetimeIndex(["2023-01-05", "2023-01-31", "2023-02-01", "2023-04-02"])
    >>> period_sizes(t, "MS")
    [2, 1, 1]
    >>> period_sizes(pd.date_range("2024-01-01", periods=14, freq="D"), "W")  # Monday on
    [7, 7]
    >>> period_sizes(t, "s")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    calmops_gen.errors.ScenarioError: ... into 7,516,801 periods; at most 1,000,000: ...
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    try:
        step = offset.nanos
    except ValueError:  # a calendar frequency: bounded by the years pandas holds
        step = None
    if step is not None and len(times):
        # in Python integers of the index's own unit: a nanosecond Timedelta overflows past
        # ~292 years
        span = int(times.asi8[-1]) - int(times.asi8[0])
        periods = span * NS_PER_UNIT[times.unit] // step + 1
        if periods > MAX_PERIODS:
            raise ScenarioError(
                f"{PARAMS_PATH}.block_freq",
                f"{freq!r} cuts the times ({times[0]} to {times[-1]}) into {periods:,} "
                f"periods; at most {MAX_PERIODS:,}: use a coarser frequency",
            )
    if times.tz is not None and (step is None or step >= DAY_NS):
        # days and longer are cut at local midnights, by the wall times without the zone: a
        # midnight the zone skips (Santiago's spring-forward day) has no instant, and pandas
        # 2 raised there while pandas 3 cut an hour late
        times = times.tz_localize(None)
    try:
        counts = pd.Series(np.ones(len(times), dtype=np.int64), index=times).resample(freq).size()
    except ValueError as err:
        raise ScenarioError(
            f"{PARAMS_PATH}.block_freq",
            f"pandas cannot cut the times by {freq!r}: {first_line(err)}",
        ) from None
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
        raise ScenarioError(f"{PARAMS_PATH}.time_column", "has missing timestamps")
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


#: One source check and load at a time in a process: threads of one worker (a Dask worker
#: with several threads) would otherwise each load the same table, doubling its memory.
_LOADING = threading.Lock()


def forget_sources() -> None:
    """Drop this process's cached source tables and digests (a long-lived worker of a running
    Dask cluster, after a run, would keep the last table, a CSV source whole)."""
    _load.cache_clear()
    _digest.cache_clear()


@functools.lru_cache(maxsize=1)
def _load(path: str, stamp: tuple[int, ...], params: TableParams) -> SourceRows:
    """The source in block order, opened once per process for the run in progress; only
    the last one is kept (a CSV source is held whole, so runs with other parameters must
    not pile copies up)."""
    fmt = _format(Path(path), params.format)
    source = _open(Path(path), fmt)
    if isinstance(source, pq.ParquetFile):
        schema, num_rows = source.schema_arrow, source.metadata.num_rows
    else:
        schema, num_rows = source.schema, source.num_rows
    _check_columns(schema, num_rows, params)
    if isinstance(source, pa.Table):
        table = normalise(_csv_types(Path(path), source), params.time_column)
        sizes, order = _blocks(params, table.column)
        return MemoryRows(table if order is None else table.take(pa.array(order)), sizes)
    file = source

    def column(name: str) -> pa.ChunkedArray:
        return normalise(_whole(file, [name]), params.time_column).column(name)

    sizes, order = _blocks(params, column)
    if order is not None:
        table = normalise(_whole(file, None), params.time_column)
        return MemoryRows(table.take(pa.array(order)), sizes)
    if params.time_column is not None and params.block_freq is None:
        column(params.time_column)  # every time checked once, before any block is written
    return ParquetRows(file, params.time_column, sizes)


def _whole(file: pq.ParquetFile, columns: list[str] | None) -> pa.Table:
    """Columns ``columns`` (``None``: all) of the Parquet ``file``."""
    try:
        return file.read(columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ScenarioError(
            f"{PARAMS_PATH}.source", f"cannot read the table: {first_line(exc)}"
        ) from None


def _check_columns(schema: pa.Schema, num_rows: int, params: TableParams) -> None:
    """Refuse unnamed or repeated columns, role columns the table lacks or cannot play
    (a nested target or block key), a ``block`` column and an empty table."""
    names = schema.names
    blank = [i for i, name in enumerate(names) if not name.strip()]
    if blank:
        raise ScenarioError(
            f"{PARAMS_PATH}.source",
            f"column(s) at position {blank} have no name; name every column",
        )
    twice = repeated(names)
    if twice:
        raise ScenarioError(
            f"{PARAMS_PATH}.source", f"the table has duplicate column names {twice}; rename them"
        )
    for key in ("target", "time_column", "block_column"):
        name = getattr(params, key)
        if name is not None and name not in names:
            raise ScenarioError(
                f"{PARAMS_PATH}.{key}",
                f"the table has no column {name!r}{suggest(name, names) or '.'} "
                f"Columns: {', '.join(names)}",
            )
    one_role_each(
        f"{PARAMS_PATH}.",
        {key: getattr(params, key) for key in ("target", "time_column", "block_column")},
    )
    for key in ("target", "block_column"):
        name = getattr(params, key)
        if name is not None and pa.types.is_nested(schema.field(name).type):
            raise ScenarioError(
                f"{PARAMS_PATH}.{key}",
                f"column {name!r} is {schema.field(name).type}; it must hold plain values "
                "(numbers, text, dates)",
            )
    if params.block_freq is not None and params.time_column is None:
        raise ScenarioError(f"{PARAMS_PATH}.block_freq", "needs time_column")
    if params.block_column is not None and params.block_freq is not None:
        raise ScenarioError(
            f"{PARAMS_PATH}.block_freq", "give block_column or block_freq, not both"
        )
    if "block" in names:
        raise ScenarioError(
            f"{PARAMS_PATH}.source",
            "the table has a column named 'block', which calmops-gen writes; rename it",
        )
    if num_rows == 0:
        raise ScenarioError(f"{PARAMS_PATH}.source", "the table has no rows")


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

    def __init__(self, params: GeneratorParams, engine: str | None, balance: bool = False) -> None:
        super().__init__(params, engine, balance)
        self._where: str | None = None
        self._sha256: str | None = None

    def _file(self) -> tuple[str, tuple[int, ...]]:
        """The source's absolute path and its file version, for the caches.

        The path is fixed where the run is planned: a worker elsewhere (a Dask cluster's,
        whose working directory and home differ) opens that very path (a ``bundled:`` table
        resolves inside each process's own installation). Once :meth:`inputs` has recorded
        the file's SHA-256 in the plan, a file with other content there is an error, not
        other rows under the same version.
        """
        if self._where is None:
            source = self.params.source
            self._where = (
                source if _BUNDLED.match(source) else str(resolve_source(source).resolve())
            )
        path = resolve_source(self._where).resolve()
        stamp = _stamp(path)
        if self._sha256 is not None and _digest(str(path), stamp) != self._sha256:
            raise ScenarioError(
                f"{PARAMS_PATH}.source",
                f"{path} is not the file the run was planned with (SHA-256 "
                f"{self._sha256[:12]}...): it changed during the run, or a worker sees "
                "another file at that path",
            )
        return str(path), stamp

    def loaded(self) -> SourceRows:
        """The table in block order (opened once per process)."""
        with _LOADING:
            return _load(*self._file(), self.params)

    def inputs(self) -> dict[str, str]:
        path, stamp = self._file()
        self._sha256 = _digest(path, stamp)
        return {f"{PARAMS_PATH}.source": self._sha256}

    def source_rows(self) -> int:
        return self.loaded().num_rows

    def own_sizes(self) -> list[int] | None:
        return self.loaded().sizes

    def cuts_own_blocks(self) -> bool:
        return self.params.block_column is not None or self.params.block_freq is not None

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

    def peek_column(self, request: BlockRequest, name: str) -> pd.Series:
        loaded = self.loaded()
        part = loaded.rows(request.row_start, request.size, [name])
        return arrow_to_pandas(part, [n for n in loaded.nullable if n == name])[name]
