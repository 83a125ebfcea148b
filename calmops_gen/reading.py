"""Reading a written dataset back as pandas.

Examples
--------
>>> import tempfile
>>> from calmops_gen.runner import run
>>> with tempfile.TemporaryDirectory() as root:
...     m = run({"name": "r", "generator": {"kind": "sea"},
...              "schedule": {"blocks": 2, "rows_per_block": 10}}, root=root)
...     frame, truth = read_frame(m), read_ground_truth(m)
>>> len(frame), list(truth.columns)
(20, ['row', 'block', 'concept'])
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa

from calmops_gen.errors import DatasetError, first_line
from calmops_gen.generators.base import arrow_to_pandas, nullable_columns
from calmops_gen.manifest import MANIFEST_NAME, ColumnInfo, Manifest, read_manifest
from calmops_gen.storage import read_checked


def resolve(dataset: Manifest | Path | str) -> Manifest:
    """The manifest of ``dataset`` (a dataset directory, or a manifest already read).

    What is not a dataset directory gets an error that says where the datasets are: a
    file (such as a facade's CSV), a folder holding versions of datasets below it, or an
    object that is not a path.

    Examples
    --------
    >>> import tempfile
    >>> from calmops_gen.runner import run
    >>> with tempfile.TemporaryDirectory() as root:
    ...     m = run({"name": "r", "generator": {"kind": "sea"},
    ...              "schedule": {"blocks": 1, "rows_per_block": 10}}, root=root)
    ...     try:
    ...         resolve(root)
    ...     except DatasetError as err:
    ...         print("no manifest.json here; datasets below" in str(err))
    True
    """
    if isinstance(dataset, Manifest):
        return dataset
    if not isinstance(dataset, str | os.PathLike):
        raise DatasetError(
            f"expected a dataset directory or a Manifest, got {type(dataset).__name__} "
            "(the facades keep theirs as .last_manifest)"
        )
    path = Path(dataset)
    if path.is_file():
        raise DatasetError(
            f"{path}: is a file; pass the dataset directory (the one holding manifest.json)"
        )
    if path.is_dir() and not (path / MANIFEST_NAME).exists():
        below = sorted(p.parent for p in path.glob(f"*/{MANIFEST_NAME}")) + sorted(
            p.parent for p in path.glob(f"*/*/{MANIFEST_NAME}")
        )
        if below:
            shown = ", ".join(str(b) for b in below[:5])
            more = f" and {len(below) - 5} more" if len(below) > 5 else ""
            raise DatasetError(f"{path}: no manifest.json here; datasets below: {shown}{more}")
    return read_manifest(path)


def _read(
    manifest: Manifest, files: list[tuple[str, int]], columns: list[ColumnInfo]
) -> pd.DataFrame:
    """The blocks ``files`` (path in the dataset, rows) with ``columns``, as one frame."""
    expected = [(c.name, c.dtype) for c in columns]
    frames = [_read_one(manifest.directory / f, rows, expected) for f, rows in files]
    if not frames:
        return pd.DataFrame(columns=[c.name for c in columns])
    _same_categories(frames)
    return pd.concat(frames, ignore_index=True)


def _same_categories(frames: list[pd.DataFrame]) -> None:
    """Give each categorical column the categories of every block (CSV blocks read back
    with only the categories they show, in order seen; pandas would concatenate differing
    ones as text).

    Examples
    --------
    >>> parts = [pd.DataFrame({"c": pd.Categorical(v)}) for v in (["b"], ["a", "b"])]
    >>> _same_categories(parts)
    >>> pd.concat(parts)["c"].cat.categories.tolist()
    ['b', 'a']
    >>> parts = [pd.DataFrame({"c": pd.Categorical(v)}) for v in (["b"], [None])]
    >>> _same_categories(parts)
    >>> [p["c"].cat.categories.tolist() for p in parts]
    [['b'], ['b']]
    """
    for name in frames[0].columns:
        columns = [f[name] for f in frames]
        if not all(isinstance(c.dtype, pd.CategoricalDtype) for c in columns):
            continue
        if all(c.dtype == columns[0].dtype for c in columns):
            continue
        # a block whose values are all missing reads back with no categories, of object
        # dtype, which pandas 3 will not unite with text categories: it takes the union
        shown = [c for c in columns if len(c.cat.categories)]
        if not shown:
            continue
        union = pd.api.types.union_categoricals(shown).categories
        for frame in frames:
            frame[name] = frame[name].cat.set_categories(union)


def _read_one(path: Path, rows: int, expected: list[tuple[str, str]]) -> pd.DataFrame:
    """One block file, which must hold the manifest's rows and columns (names and types, in
    order); a missing, damaged or altered file is a :class:`DatasetError` (the library's own
    error, or the difference, says why). Its bytes are not hashed: that is
    :func:`~calmops_gen.verify.verify_dataset`'s job."""
    if not path.is_file():
        raise DatasetError(f"{path}: missing; check the dataset with calmops-gen-verify")
    try:
        table, problems = read_checked(path, rows, expected)
    except (OSError, pa.ArrowException) as err:  # truncated, not Parquet/CSV, unreadable
        raise DatasetError(
            f"{path}: cannot be read ({first_line(err)}); check the dataset with calmops-gen-verify"
        ) from None
    if problems:
        raise DatasetError(
            f"{path}: {'; '.join(problems)}; check the dataset with calmops-gen-verify"
        )
    # an integer or bool column holding a missing value comes back as pandas' nullable
    # dtype (Int64, boolean), as it was written, not as float64 (which would round integers
    # above 2**53) or object
    return arrow_to_pandas(table, nullable_columns(table))


def read_block(dataset: Manifest | Path | str, index: int) -> pd.DataFrame:
    """One data block of a dataset."""
    manifest = resolve(dataset)
    try:
        block = manifest.blocks[index]
    except IndexError:
        raise DatasetError(
            f"block {index} does not exist ({len(manifest.blocks)} blocks)"
        ) from None
    return _read(manifest, [(block.file, block.rows)], manifest.columns)


def read_frame(dataset: Manifest | Path | str) -> pd.DataFrame:
    """All data blocks of a dataset (a manifest or a dataset directory), in row order."""
    manifest = resolve(dataset)
    return _read(manifest, [(b.file, b.rows) for b in manifest.blocks], manifest.columns)


def read_ground_truth(dataset: Manifest | Path | str) -> pd.DataFrame:
    """All ground-truth blocks of a dataset, in row order."""
    manifest = resolve(dataset)
    files = [(b.ground_truth_file, b.rows) for b in manifest.blocks if b.ground_truth_file]
    if not files:
        raise DatasetError(f"{manifest.directory}: written without ground truth")
    return _read(manifest, files, manifest.ground_truth_columns)
