"""``calmops-gen-verify DIR``: check a dataset against its manifest.

Every file listed in ``manifest.json`` is re-hashed and its size, row count and schema are
compared with the manifest; files in ``data/`` or ``ground_truth/`` that the manifest does
not list are reported too, and so are block records that disagree with the file list or
with each other, and a ``config`` that no longer hashes to the manifest's ``version`` (the
content id is recomputed with the calmops-gen version the manifest records, so datasets
made by other versions verify too). A manifest whose file paths point outside ``data/``
and ``ground_truth/`` is refused. Exit status 0 when everything holds, 1 with one line per
problem otherwise, 2 for bad usage.

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
import sys
from pathlib import Path

import pyarrow as pa

from calmops_gen.errors import DatasetError
from calmops_gen.manifest import MANIFEST_NAME, ColumnInfo, Manifest, read_manifest
from calmops_gen.scenario import content_id
from calmops_gen.storage import parse_type, read_arrow, sha256_file

_DATA_DIRS = ("data", "ground_truth")


def verify_dataset(directory: Path | str) -> list[str]:
    """Problems found in the dataset at ``directory`` (empty when it is intact)."""
    directory = Path(directory)
    try:
        manifest = read_manifest(directory)
    except DatasetError as exc:
        return [str(exc)]
    problems: list[str] = []
    try:
        recomputed = content_id(manifest.config, manifest.calmops_gen_version)
    except (KeyError, TypeError, AttributeError, ValueError):
        recomputed = None
    if recomputed != manifest.version:
        problems.append(
            f"{MANIFEST_NAME}: its config does not hash to its version {manifest.version!r} "
            "(the config or the version was edited)"
        )
    listed = set()
    for info in manifest.files:
        path = directory / info.path
        listed.add(path.resolve())
        if not path.is_file():
            problems.append(f"{info.path}: missing")
            continue
        size = path.stat().st_size
        if size != info.bytes:
            problems.append(f"{info.path}: {size} bytes, manifest says {info.bytes}")
        digest = sha256_file(path)
        if digest != info.sha256:
            problems.append(
                f"{info.path}: sha256 {digest[:12]}..., manifest says {info.sha256[:12]}..."
            )
            continue
        columns = (
            manifest.ground_truth_columns
            if info.path.startswith("ground_truth/")
            else manifest.columns
        )
        problems += _check_table(path, info.path, info.rows, columns)
    for sub in _DATA_DIRS:
        folder = directory / sub
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.resolve() not in listed:
                    problems.append(f"{sub}/{path.name}: not listed in the manifest")
    problems += _check_blocks(manifest)
    total = sum(f.rows for f in manifest.files if f.path.startswith("data/"))
    if total != manifest.rows:
        problems.append(f"data files hold {total} rows, manifest says {manifest.rows}")
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


def _check_table(path: Path, name: str, rows: int, columns: list[ColumnInfo]) -> list[str]:
    expected = [(c.name, c.dtype) for c in columns]
    types = pa.schema([pa.field(c.name, parse_type(c.dtype) or pa.string()) for c in columns])
    try:
        table = read_arrow(path, types if path.suffix == ".csv" else None)
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        return [f"{name}: unreadable ({str(exc).splitlines()[0]})"]
    problems = []
    if table.num_rows != rows:
        problems.append(f"{name}: {table.num_rows} rows, manifest says {rows}")
    if path.suffix == ".csv":
        # CSV carries no types: they were enforced while parsing; compare names.
        names = [n for n, _ in expected]
        if table.column_names != names:
            problems.append(
                f"{name}: columns {table.column_names} differ from the manifest's {names}"
            )
    else:
        found = [(f.name, str(f.type)) for f in table.schema]
        if found != expected:
            problems.append(f"{name}: columns {found} differ from the manifest's {expected}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``calmops-gen-verify``."""
    parser = argparse.ArgumentParser(
        prog="calmops-gen-verify",
        description="Re-hash a calmops-gen dataset against its manifest.",
    )
    parser.add_argument("directory", type=Path, help="dataset directory (holds manifest.json)")
    args = parser.parse_args(argv)
    problems = verify_dataset(args.directory)
    for line in problems:
        print(line)
    if not problems:
        print(f"ok: {args.directory}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
