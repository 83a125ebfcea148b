"""Reading and writing block files (Parquet or CSV) and hashing them.

Frames are converted to Arrow with the planned schema (so ints stay ints, strings stay
strings, timestamps stay timestamps, and every block has the same types), without pandas
metadata (so the bytes do not depend on the pandas version). Files are serialised in
memory, hashed, then written: one pass, and the recorded hash is of exactly the bytes
written.

Examples
--------
>>> import tempfile, pandas as pd
>>> from pathlib import Path
>>> from calmops_gen.generators import Column
>>> cols = (Column("a", "int64", "feature"),)
>>> with tempfile.TemporaryDirectory() as d:
...     rec = write_frame(pd.DataFrame({"a": [1, 2]}), cols, Path(d) / "f.parquet", "parquet")
...     read_arrow(Path(d) / "f.parquet").column("a").to_pylist(), rec.rows
([1, 2], 2)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from calmops_gen.generators import Column

CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRecord:
    """A written file: its path, SHA-256, size in bytes and data rows."""

    path: Path
    sha256: str
    bytes: int
    rows: int


def schema(columns: Iterable[Column]) -> pa.Schema:
    """Arrow schema of the planned columns."""
    return pa.schema([pa.field(c.name, c.pa_type()) for c in columns])


def to_arrow(frame: pd.DataFrame, columns: Iterable[Column]) -> pa.Table:
    """Convert ``frame`` to an Arrow table with exactly the planned schema.

    Column by column (``pyarrow.Array.from_pandas``, the conversion
    ``Table.from_pandas`` applies to each column), without the pandas metadata that
    ``Table.from_pandas`` builds and that is dropped anyway: a fixed cost of about 2 ms per
    file, which dominated small blocks.

    Examples
    --------
    >>> t = to_arrow(pd.DataFrame({"b": [1, 2], "a": [0.5, None]}),
    ...              [Column("a", "double", "feature"), Column("b", "int64", "target")])
    >>> t.schema.names, t.column("a").null_count
    (['a', 'b'], 1)
    """
    target = schema(columns)
    arrays = [pa.Array.from_pandas(frame[name]) for name in target.names]
    return pa.Table.from_arrays(arrays, names=target.names).cast(target)


def _parquet_encodings(
    table: pa.Table, roles: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """Dictionary-encode low-cardinality columns only (bools, strings, categories, block
    and concept ids, integer codes; not the per-row label times of role ``label_time``);
    delta-encode sorted integer columns (row numbers, timestamps). Trying and abandoning
    dictionaries on float columns is what makes pyarrow's default slow."""
    dictionary, delta = [], {}
    for field in table.schema:
        typ = field.type
        # (delta needs 32- or 64-bit integers: a user's column may be named "row" too)
        row_ids = field.name == "row" and pa.types.is_integer(typ) and typ.bit_width >= 32
        if row_ids or pa.types.is_timestamp(typ):
            delta[field.name] = "DELTA_BINARY_PACKED"
        elif (
            pa.types.is_boolean(typ)
            or pa.types.is_string(typ)
            or pa.types.is_dictionary(typ)
            or (pa.types.is_integer(typ) and roles.get(field.name) != "label_time")
        ):
            dictionary.append(field.name)
    return dictionary, delta


def csv_problem(columns: Iterable[Column]) -> str | None:
    """Why the columns cannot go to CSV and be read back with their types, or ``None``.

    Examples
    --------
    >>> csv_problem([Column("a", "double", "feature")]) is None
    True
    >>> csv_problem([Column("h", "halffloat", "feature")])
    "column 'h' is halffloat, which CSV cannot hold"
    >>> cat = pa.dictionary(pa.int8(), pa.string(), ordered=True)
    >>> csv_problem([Column("c", str(cat), "feature", arrow_type=cat)])  # doctest: +ELLIPSIS
    "column 'c' is an ordered categorical (dictionary<...>): CSV keeps no category order, ..."
    """
    for col in columns:
        typ = col.pa_type()
        if pa.types.is_dictionary(typ) and typ.ordered:
            return (
                f"column {col.name!r} is an ordered categorical ({typ}): CSV keeps no "
                "category order, so comparisons and sorting would change"
            )
        binary = pa.types.is_binary(typ) or pa.types.is_large_binary(typ)
        if binary or pa.types.is_fixed_size_binary(typ):
            return f"column {col.name!r} is {typ}: CSV holds text, not arbitrary bytes"
        if pa.types.is_nested(typ) or pa.types.is_interval(typ) or pa.types.is_float16(typ):
            return f"column {col.name!r} is {typ}, which CSV cannot hold"
    return None


def encode(table: pa.Table, fmt: str, roles: Mapping[str, str] | None = None) -> pa.Buffer:
    """Serialise ``table`` as Parquet (zstd) or CSV, into an in-memory buffer; ``roles``
    (column name -> role) picks the Parquet encodings."""
    sink = pa.BufferOutputStream()
    if fmt == "parquet":
        dictionary, delta = _parquet_encodings(table, roles or {})
        pq.write_table(
            table,
            sink,
            compression="zstd",
            store_schema=True,
            use_dictionary=dictionary,
            column_encoding=delta or None,
        )
    else:
        plain = pa.table([_csv_column(col) for col in table.columns], names=table.column_names)
        pacsv.write_csv(plain, sink)
    return sink.getvalue()


def _csv_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``column`` as CSV writes it: categoricals as their values, and timestamps in a
    named time zone in UTC (``...Z``): pyarrow would print local times by the host's own
    zone files, which differ between machines; the reader puts the zone back.

    Examples
    --------
    >>> col = pa.chunked_array([pa.array([0], pa.timestamp("s", tz="Europe/Madrid"))])
    >>> str(_csv_column(col).type), str(_csv_column(col.cast(pa.timestamp("s", tz="+01:00"))).type)
    ('timestamp[s, tz=UTC]', 'timestamp[s, tz=+01:00]')
    """
    typ = column.type
    if pa.types.is_dictionary(typ):
        return column.cast(typ.value_type)
    if pa.types.is_timestamp(typ) and typ.tz and not re.fullmatch(r"[+-]\d\d:\d\d", typ.tz):
        return column.cast(pa.timestamp(typ.unit, tz="UTC"))
    return column


def write_frame(frame: pd.DataFrame, columns: Iterable[Column], path: Path, fmt: str) -> FileRecord:
    """Write ``frame`` to ``path`` in ``fmt`` and return its record.

    The folder must exist: it is not made here, so a folder removed while a run writes
    into it (another process deleting the run's staging folder) is an error, not a new
    folder holding only the blocks written after.
    """
    planned = list(columns)
    table = to_arrow(frame, planned)
    data = memoryview(encode(table, fmt, {c.name: c.role for c in planned}))
    with path.open("wb") as fh:
        fh.write(data)
    return FileRecord(path, hashlib.sha256(data).hexdigest(), data.nbytes, table.num_rows)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


_DICTIONARY = re.compile(r"^dictionary<values=(.+), indices=(\w+), ordered=([01])>$")
_TIMESTAMP = re.compile(r"^timestamp\[(\w+)(?:, tz=(.+))?\]$")
_DECIMAL = re.compile(r"^decimal(32|64|128|256)\((\d+), (-?\d+)\)$")


def parse_type(alias: str) -> pa.DataType | None:
    """The Arrow type named by a manifest ``dtype`` (``str(type)``), or ``None``.

    Examples
    --------
    >>> parse_type("dictionary<values=string, indices=int8, ordered=0>")
    DictionaryType(dictionary<values=string, indices=int8, ordered=0>)
    >>> parse_type("timestamp[ns, tz=+01:00]")
    TimestampType(timestamp[ns, tz=+01:00])
    >>> parse_type("decimal128(38, 2)")
    Decimal128Type(decimal128(38, 2))
    """
    match = _DICTIONARY.match(alias)
    if match:
        values = parse_type(match.group(1))
        if values is None:
            return None
        return pa.dictionary(pa.type_for_alias(match.group(2)), values, match.group(3) == "1")
    match = _TIMESTAMP.match(alias)
    if match:
        return pa.timestamp(match.group(1), tz=match.group(2))
    match = _DECIMAL.match(alias)
    if match:
        decimal = getattr(pa, f"decimal{match.group(1)}")
        return cast(pa.DataType, decimal(int(match.group(2)), int(match.group(3))))
    try:
        return pa.type_for_alias(alias)
    except ValueError:
        return None


def read_checked(
    path: Path, rows: int, expected: list[tuple[str, str]]
) -> tuple[pa.Table, list[str]]:
    """Read one block file as Arrow and say how it differs from what its manifest records:
    ``rows`` rows and the columns ``expected`` (name, Arrow type text) in order. A CSV file's
    types are imposed while parsing (CSV carries none), so only its names are compared.

    Raises the reader's ``OSError`` or ``pyarrow.ArrowException`` for an unreadable file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = Path(d) / "b.parquet"
    ...     pq.write_table(pa.table({"x": ["1.5"]}), path)
    ...     for problem in read_checked(path, 2, [("x", "double")])[1]:
    ...         print(problem)
    1 rows, manifest says 2
    columns [('x', 'string')] differ from the manifest's [('x', 'double')]
    """
    csv = path.suffix == ".csv"
    types = pa.schema([pa.field(n, parse_type(t) or pa.string()) for n, t in expected])
    table = read_arrow(path, types if csv else None)
    problems = []
    if table.num_rows != rows:
        problems.append(f"{table.num_rows} rows, manifest says {rows}")
    if csv:
        names = [n for n, _ in expected]
        if table.column_names != names:
            problems.append(f"columns {table.column_names} differ from the manifest's {names}")
    else:
        found = [(f.name, str(f.type)) for f in table.schema]
        if found != expected:
            problems.append(f"columns {found} differ from the manifest's {expected}")
    return table, problems


def read_arrow(path: Path, types: pa.Schema | None = None) -> pa.Table:
    """Read one block file as Arrow (CSV columns typed by ``types`` when given)."""
    if path.suffix == ".parquet":
        return pq.read_table(path)
    options = None
    if types is not None:
        options = pacsv.ConvertOptions(
            column_types={
                f.name: f.type.value_type if pa.types.is_dictionary(f.type) else f.type
                for f in types
            },
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
    table = pacsv.read_csv(path, convert_options=options)
    if types is not None:
        # CSV has no dictionary types: restore categoricals (and any other planned type)
        wanted = {f.name: f.type for f in types}
        table = table.cast(
            pa.schema([pa.field(f.name, wanted.get(f.name, f.type)) for f in table.schema])
        )
    return table
