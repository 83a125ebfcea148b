"""``calmops-gen-verify DIR``: check a dataset against its manifest.

Every file listed in ``manifest.json`` is re-hashed and its size, row count and schema are
compared with the manifest; files in ``data/`` or ``ground_truth/`` that the manifest does
not list are reported too, and so is anything there that is not a regular file (a symbolic
link, even to an identical file, is not the dataset's own). The directory must be named by
the manifest's ``version``, inside one named by its ``name`` (``<root>/<name>/<version>``):
a version directory holding another dataset is not that version. Block records that
disagree with the file list, with each other or with the data (rows per class, first and
last timestamps, concepts present), events whose rows affected disagree with the ground
truth, and a ``config`` that no longer hashes to the manifest's ``version`` are reported
(the content id is recomputed with the calmops-gen version the manifest records, so
datasets made by other versions, in a directory named by their version, verify too). A
manifest whose file paths point outside ``data/`` and ``ground_truth/`` is refused. Exit status 0
when everything holds, 1 with one line per problem otherwise, 2 for bad usage.

Examples
--------
>>> import tempfile
>>> from calmops_gen.runner import run
>>> with tempfile.TemporaryDirectory() as root:
...     m = run({"name": "v", "generator": {"kind": "sea"},
...              "schedule": {"rows_per_block": 20}}, root=root)
...     ok = verify_dataset(m.directory)
...     _ = (m.directory / "data" / "block-00000.parquet").write_bytes(b"junk")
...     bad = verify_dataset(m.directory)
>>> ok, len(bad) > 0
([], True)
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calmops_gen._version import __version__
from calmops_gen.drift.values import canon
from calmops_gen.errors import DatasetError, first_line
from calmops_gen.manifest import (
    MANIFEST_NAME,
    BlockInfo,
    ColumnInfo,
    EventInfo,
    Manifest,
    read_manifest,
)
from calmops_gen.scenario import content_id
from calmops_gen.storage import read_checked, sha256_file

_DATA_DIRS = ("data", "ground_truth")


def verify_dataset(directory: Path | str) -> list[str]:
    """Problems found in the dataset at ``directory`` (empty when it is intact): one line
    each, as ``calmops-gen-verify`` prints them.

    Examples
    --------
    >>> import tempfile
    >>> from calmops_gen.runner import run
    >>> with tempfile.TemporaryDirectory() as root:
    ...     m = run({"name": "v", "generator": {"kind": "sea"},
    ...              "schedule": {"rows_per_block": 10}}, root=root)
    ...     intact = verify_dataset(m.directory)
    ...     with open(m.directory / m.blocks[0].file, "ab") as f:
    ...         _ = f.write(b"!")
    ...     damaged = verify_dataset(m.directory)
    >>> intact, [line.split(":")[0] for line in damaged]
    ([], ['data/block-00000.parquet', 'data/block-00000.parquet'])
    """
    directory = Path(directory)
    try:
        manifest = read_manifest(directory)
    except DatasetError as exc:
        return [str(exc)]
    problems = _check_place(directory, manifest)
    try:
        recomputed = content_id(
            manifest.config,
            manifest.calmops_gen_version,
            manifest.inputs,
            manifest.environment.get("tzdata"),
        )
    except (KeyError, TypeError, AttributeError, ValueError):
        recomputed = None
    if recomputed != manifest.version:
        problems.append(
            f"{MANIFEST_NAME}: its config does not hash to its version {manifest.version!r} "
            "(the config or the version was edited)"
        )
    if manifest.records_sha256 is None:  # every manifest written has it: removing it
        problems.append(  # would switch off the check below
            f"{MANIFEST_NAME}: records_sha256 is missing, so edits of its records cannot be "
            "detected"
        )
    elif manifest.records_digest() != manifest.records_sha256:
        problems.append(
            f"{MANIFEST_NAME}: its records were edited after the run (they no longer hash to "
            "records_sha256)"
        )
    for path in sorted(directory.iterdir()):
        if path.name not in (MANIFEST_NAME, *_DATA_DIRS):
            problems.append(f"{path.name}: not part of the dataset")
        elif path.is_symlink():
            kind = "regular file" if path.name == MANIFEST_NAME else "directory"
            problems.append(f"{path.name}: a symbolic link, not a {kind}")
    listed = {info.path for info in manifest.files}
    # each block's data and ground-truth file -> its record
    blocks = {path: b for b in manifest.blocks for path in (b.file, b.ground_truth_file) if path}
    affected: Counter[str] = Counter()  # per event, rows the ground truth says it affected
    truth_read = 0
    for info in manifest.files:
        path = directory / info.path
        entry = regular_file(path)
        if isinstance(entry, str):
            problems.append(f"{info.path}: {entry}")
            continue
        size = entry.st_size
        if size != info.bytes:
            problems.append(f"{info.path}: {size} bytes, manifest says {info.bytes}")
        digest = sha256_file(path)
        if digest != info.sha256:
            problems.append(
                f"{info.path}: sha256 {digest[:12]}..., manifest says {info.sha256[:12]}..."
            )
            continue
        truth = info.path.startswith("ground_truth/")
        columns = manifest.ground_truth_columns if truth else manifest.columns
        found, table = _check_table(path, info.path, info.rows, columns)
        problems += found
        block = blocks.get(info.path)
        if table is None or found or block is None:
            continue
        if truth:
            affected.update(_affected(table, manifest.events))
            truth_read += 1
            problems += _check_concepts(table, block, info.path)
        else:
            problems += _check_derived(table, block, columns, info.path)
    for sub in _DATA_DIRS:
        folder = directory / sub
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                name = f"{sub}/{path.name}"
                if name in listed:
                    continue
                regular = path.is_file() and not path.is_symlink()
                problem = "" if regular else "not a regular file, and "
                problems.append(f"{name}: {problem}not listed in the manifest")
    problems += _check_blocks(manifest)
    if manifest.blocks and truth_read == len(manifest.blocks):  # every block's truth read
        for ev in manifest.events:
            if affected[ev.id] != ev.rows_affected:
                problems.append(
                    f"{MANIFEST_NAME}: event {ev.id!r} says {ev.rows_affected} rows affected, "
                    f"its ground truth {affected[ev.id]}"
                )
    total = sum(f.rows for f in manifest.files if f.path.startswith("data/"))
    if total != manifest.rows:
        problems.append(f"data files hold {total} rows, manifest says {manifest.rows}")
    return problems


def regular_file(path: Path) -> os.stat_result | str:
    """The status of ``path`` if it is a regular file (not through a symbolic link), else
    what it is: ``"missing"`` or ``"not a regular file"``.

    Examples
    --------
    >>> regular_file(Path("/no/such/file")), regular_file(Path("/"))
    ('missing', 'not a regular file')
    """
    try:
        entry = path.lstat()
    except OSError:
        return "missing"
    return entry if stat.S_ISREG(entry.st_mode) else "not a regular file"


def _check_place(directory: Path, manifest: Manifest) -> list[str]:
    """The dataset's directory is ``<name>/<version>`` of its manifest (a copy of another
    version, or of another dataset, under this name is not this dataset); a symbolic link
    to a dataset's directory is judged by the directory it points to."""
    problems = []
    where = directory.resolve()
    if where.name != manifest.version:
        problems.append(
            f"{where.name}: holds version {manifest.version!r} (a dataset's directory is "
            "named by its version)"
        )
    if where.parent.name != manifest.name:
        problems.append(
            f"{where.parent.name}: holds a version of dataset {manifest.name!r} (a "
            "dataset's versions are in a directory named by the dataset)"
        )
    return problems


def _check_blocks(manifest: Manifest) -> list[str]:
    """The block records agree with each other and with ``files``: indices in order, row
    ranges contiguous from 0, and each block's files listed with the same hash and rows."""
    problems = []
    files = {f.path: f for f in manifest.files}
    start = 0
    for i, block in enumerate(manifest.blocks):
        if (block.index, block.row_start, block.row_stop - block.row_start) != (
            i,
            start,
            block.rows,
        ):
            problems.append(
                f"{MANIFEST_NAME}: block {i} says index {block.index}, rows "
                f"[{block.row_start}, {block.row_stop}) and {block.rows} rows; expected index "
                f"{i} starting at row {start}"
            )
        start = block.row_stop
        for path, digest in (
            (block.file, block.sha256),
            (block.ground_truth_file, block.ground_truth_sha256),
        ):
            info = files.get(path) if path is not None else None
            if path is not None and (
                info is None or (info.sha256, info.rows) != (digest, block.rows)
            ):
                problems.append(f"{MANIFEST_NAME}: block {i}'s {path} differs from its files entry")
    return problems


def _affected(table: pa.Table, events: list[EventInfo]) -> dict[str, int]:
    """Per event, the rows of this ground-truth file it affected: those flagged in its
    ``<id>__changed`` column (events that change a random subset) or else those with a
    weight above 0."""
    out = {}
    for ev in events:
        changed = f"{ev.id}__changed"
        if changed in table.column_names:
            hits = table.column(changed)
        elif ev.id in table.column_names:
            hits = pc.greater(table.column(ev.id), 0)
        else:
            continue
        out[ev.id] = int(pc.sum(hits).as_py() or 0)
    return out


def _check_concepts(table: pa.Table, block: BlockInfo, name: str) -> list[str]:
    """The concepts in a ground-truth file are those its block record lists."""
    if "concept" not in table.column_names:
        return []
    found = set(pc.unique(table.column("concept")).to_pylist())
    problems = []
    extra, absent = found - set(block.concepts), set(block.concepts) - found
    if extra:
        problems.append(
            f"{name}: rows of concept(s) {sorted(extra)}, which the manifest's block "
            f"{block.index} does not list"
        )
    if absent:
        problems.append(
            f"{name}: no rows of concept(s) {sorted(absent)}, which the manifest's block "
            f"{block.index} lists"
        )
    return problems


def _check_derived(
    table: pa.Table, block: BlockInfo, columns: list[ColumnInfo], name: str
) -> list[str]:
    """The block record's figures read from the data: ``class_counts`` (rows per class,
    missing labels not counted) and ``time_start``/``time_end`` (first and last row with a
    time; none when no row has one)."""
    problems = []
    roles: dict[str, str] = {}
    for c in columns:  # the first column of each role (class_counts counts the first target)
        roles.setdefault(c.role, c.name)
    if block.class_counts is not None and "target" in roles:
        counted = pc.value_counts(table.column(roles["target"]).drop_null()).to_pylist()
        found = {canon(v["values"]): int(v["counts"]) for v in counted}
        # calmops-gen before 2026-11-28 wrote a bool class as "True"/"False"
        old = {"True": "true", "False": "false"}
        expected = {old.get(k, k): n for k, n in block.class_counts.items() if n}
        if found != expected:
            problems.append(f"{name}: rows per class {found}, manifest says {expected}")
    if "time" in roles and table.num_rows:
        stamps = pc.drop_null(table.column(roles["time"]))
        if not len(stamps):
            if block.time_start is not None or block.time_end is not None:
                problems.append(f"{name}: no row has a time, manifest says {block.time_start}")
            return problems
        ends = pd.Series(pc.take(stamps, [0, len(stamps) - 1]).to_pandas())
        for key, said, value in zip(
            ("time_start", "time_end"), (block.time_start, block.time_end), ends, strict=True
        ):
            if said is None or pd.isna(value) or pd.Timestamp(said) != pd.Timestamp(value):
                problems.append(f"{name}: {key} is {value}, manifest says {said}")
    return problems


def _check_table(
    path: Path, name: str, rows: int, columns: list[ColumnInfo]
) -> tuple[list[str], pa.Table | None]:
    """Problems with the file's rows and schema, and the table (``None`` if unreadable)."""
    try:
        table, problems = read_checked(path, rows, [(c.name, c.dtype) for c in columns])
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        return [f"{name}: unreadable ({first_line(exc)})"], None
    return [f"{name}: {p}" for p in problems], table


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``calmops-gen-verify``."""
    parser = argparse.ArgumentParser(
        prog="calmops-gen-verify",
        description=(
            "Check a calmops-gen dataset against its manifest: every listed file's SHA-256 "
            "and size, row counts, column names and types, the blocks' rows, times and "
            "class counts, the events' realised records (their own hash), and that nothing "
            "else is in the directory."
        ),
        epilog="Exit status: 0 when all holds ('ok: DIR'); 1 with one line per problem; "
        "2 for a bad command line.",
    )
    parser.add_argument("directory", type=Path, help="dataset directory (holds manifest.json)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    problems = verify_dataset(args.directory)
    for line in problems:
        print(line)
    if not problems:
        print(f"ok: {args.directory}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
