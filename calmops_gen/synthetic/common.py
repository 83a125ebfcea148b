"""Pieces shared by the seed facades: names, unsupported options, the seed-style CSV.

Examples
--------
>>> slug("My Dataset.v2")
'my_dataset_v2'
"""

from __future__ import annotations

import inspect
import os
import re
import secrets
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from calmops_gen.arguments import check_name
from calmops_gen.errors import ScenarioError, suggest
from calmops_gen.generators import GENERATORS
from calmops_gen.manifest import Manifest
from calmops_gen.reading import read_frame
from calmops_gen.scenario import NAME_MAX
from calmops_gen.times import TzdataZone, start_zone
from calmops_gen.validation import validate

DEFAULT_TARGET = "target"
#: Where the facades write without an output directory (the seed's default).
DEFAULT_OUTPUT_DIR = "synthetic_output"
#: The extensions a seed-style file may have: it is written in that format.
FILE_FORMATS = (".csv", ".parquet")


def check_filename(filename: Any) -> str:
    """``filename`` if it names a file directly inside the output directory (no directory
    part, no ``..``, no ``/`` or ``\\`` on any system; the facades never write outside
    ``output_dir``), holds no control character (NUL, newline, ...), is at most
    :data:`~calmops_gen.scenario.NAME_MAX` bytes long and ends in ``.csv`` or ``.parquet``
    (the format :func:`write_file` writes).

    Examples
    --------
    >>> check_filename("data.csv")
    'data.csv'
    >>> check_filename("../data.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: filename: must be a file name without directories ...
    >>> check_filename("data.xlsx")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: filename: must end in .csv or .parquet, got 'data.xlsx'
    >>> check_filename("\\n.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: filename: must hold no control character (...), got '\\n.csv'
    """
    name = filename if isinstance(filename, str) else None
    if not name or Path(name).name != name or name in (".", "..") or "\\" in name:
        raise ScenarioError(
            "filename",
            "must be a file name without directories (it is written inside the output "
            f"directory), got {filename!r}",
        )
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ScenarioError(
            "filename",
            f"must hold no control character (NUL, newline, ...), got {filename!r}",
        )
    try:
        size = len(name.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        raise ScenarioError(
            "filename", f"holds characters no file name can hold, got {filename!r}"
        ) from None
    if size > NAME_MAX:
        raise ScenarioError(
            "filename",
            f"a file name of {size} bytes ({name[:12]!r}...); file systems allow at most "
            f"{NAME_MAX}",
        )
    if Path(name).suffix.lower() not in FILE_FORMATS:
        # the file is written in the format its name says (see write_file)
        raise ScenarioError(
            "filename", f"must end in {' or '.join(FILE_FORMATS)}, got {filename!r}"
        )
    return name


def output_target(
    filename: Any, target_col: Any, directory: Any, key: str, default: str
) -> tuple[str, Path]:
    """What decides a facade call's output, checked before anything is written:
    ``target_col`` (a column name), ``filename`` (:func:`check_filename`) and the output
    directory argument ``key`` (a path; ``None`` for ``default``).

    Examples
    --------
    >>> output_target("d.csv", "target", None, "output_dir", "out")
    ('d.csv', PosixPath('out'))
    """
    check_name(target_col, "target_col")
    name = check_filename(filename)
    if directory is None:
        return name, Path(default)
    if not isinstance(directory, str | os.PathLike):
        raise ScenarioError(key, f"must be a directory path, got {directory!r}")
    return name, Path(directory)


def check_columns(
    kind: str,
    params: dict[str, Any],
    engine: str | None,
    target_col: str,
    date_col: str | None,
    *,
    keep_block: bool = True,
    block_labels: Sequence[Any] | None = None,
    n_blocks: int = 1,
) -> None:
    """Refuse, before anything is written, a seed-style output whose columns would clash:
    ``target_col`` naming a feature, ``block`` or the date column, a ``target_col`` other
    than the default for a generator with several targets (it could not apply), and
    ``block_labels`` of the wrong length.

    Examples
    --------
    >>> check_columns("sea", {}, None, "x1", None)
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: target_col: 'x1' is already a column (x0, x1, x2, block)
    """
    if not target_col:
        raise ScenarioError("target_col", "must be a non-empty column name")
    cls = GENERATORS.get(kind, "generator")
    columns = cls(validate(cls.Params, params, "method_params"), engine or cls.engines[0]).columns()
    targets = [c.name for c in columns if c.role == "target"]
    if targets != ["y"]:
        if target_col != DEFAULT_TARGET:
            raise ScenarioError(
                "target_col",
                f"{kind} has the targets {', '.join(targets)}, which keep their names; "
                f"leave target_col at {DEFAULT_TARGET!r}",
            )
        return
    # without a block column in the output (SyntheticGenerator), "block" is a free name
    taken = [c.name for c in columns if c.role != "target"] + (["block"] if keep_block else [])
    if target_col in taken:
        raise ScenarioError(
            "target_col", f"{target_col!r} is already a column ({', '.join(taken)})"
        )
    if date_col is not None and date_col == target_col:
        raise ScenarioError("date_col", f"{date_col!r} is the target column (target_col)")
    labels = None if block_labels is None else len(list(block_labels))
    if keep_block and labels is not None and labels != n_blocks:
        raise ScenarioError("block_labels", f"give {n_blocks} labels (one per block), got {labels}")


#: The seed's other argument names and what replaces them here.
LEGACY_ARGUMENTS = {
    "drift_injection_config": "not supported by this facade; declare drift events in a "
    "scenario, or apply them with calmops_gen.drift_injector.DriftInjector",
    "drift_point": "use position_of_drift",
    "drift_generator": "use generator_instance_drift",
    "target_column": "use target_col",
    "instances_per_block": "use n_samples_block",
    "metadata_generator_instance": "not supported by this facade",
    "block_column": "not supported by this facade: blocks come from n_blocks and the sizes",
    "resample_rule": "not supported by this facade",
}


def refuse_legacy(method: Callable[..., Any], options: dict[str, Any]) -> None:
    """Raise for arguments ``method`` does not take (``options``: what its ``**`` caught):
    the seed's old names with what replaces them, others with the closest of its own.

    Examples
    --------
    >>> def generate(position_of_drift=None, **legacy): ...
    >>> refuse_legacy(generate, {"drift_point": 5})
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: drift_point: use position_of_drift
    >>> try:
    ...     refuse_legacy(generate, {"position_of_drif": 5})
    ... except ScenarioError as err:
    ...     print(err.message)
    generate() has no such argument; did you mean 'position_of_drift'?
    """
    known = [
        name
        for name, p in inspect.signature(method).parameters.items()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    for key in options:
        hint = LEGACY_ARGUMENTS.get(key)
        if hint is not None:
            raise ScenarioError(key, hint)
        raise ScenarioError(
            key, f"{method.__name__}() has no such argument{suggest(key, known) or '.'}"
        )


def slug(text: str) -> str:
    """A dataset name (slug) from free text such as a file name."""
    name = re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_-")
    return name[:64] or "dataset"


#: Why a seed option a facade takes is refused when set, and what to do instead.
REFUSED = {
    "drift_config": "not supported by this facade; apply drift to what it returns with "
    "calmops_gen.drift_injector.DriftInjector, or declare drift events under drift: in a "
    "scenario (calmops_gen.run)",
    "dynamics_config": "not supported: the seed's scenario dynamics (ScenarioInjector) are "
    "not part of this version",
    "inconsistency": "not supported: a gradual drift here mixes the two concepts by exact "
    "shares (recorded per row), with no noise on the mixing weight",
}


def refuse(**options: Any) -> None:
    """Raise for seed options this version does not support when they are set.

    Examples
    --------
    >>> refuse(inconsistency=0.0)
    >>> refuse(inconsistency=0.3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: inconsistency: not supported: a gradual drift here ...
    """
    for key, value in options.items():
        if value:
            raise ScenarioError(key, REFUSED[key])


def warn_report(generate_report: bool) -> None:
    """Reports are later work: say so when asked for one, instead of ignoring it."""
    if generate_report:
        warnings.warn(
            "generate_report: reports are not produced by this version; "
            "the manifest records the realised statistics",
            stacklevel=3,
        )


def seed_frame(
    manifest: Manifest,
    target_col: str,
    *,
    block_labels: Sequence[Any] | None = None,
    keep_block: bool = True,
) -> pd.DataFrame:
    """The dataset as the seed returned it: target renamed, ``block`` labelled 1..n (or
    ``block_labels``, one per block: :func:`check_columns` checked them before the run),
    columns in the seed's order: features, target, then the date column and ``block`` (each
    appended by the seed in that order). Dates in a named time zone keep the zone of the
    run (:class:`~calmops_gen.times.TzdataZone`), so their wall times, and the CSV file
    :func:`write_file` makes of them, follow tzdata's rules, not the host's zone files."""
    frame = read_frame(manifest)
    if keep_block:
        labels = list(block_labels) if block_labels is not None else None
        mapping = labels or list(range(1, len(manifest.blocks) + 1))
        # the labels' own dtype, inferred once (ints stay int64, text is text)
        frame["block"] = pd.Series(mapping).take(frame["block"].to_numpy()).set_axis(frame.index)
    else:
        frame = frame.drop(columns=["block"])
    frame = frame.rename(columns={"y": target_col})
    time_col = next((c.name for c in manifest.columns if c.role == "time"), None)
    zone = start_zone(manifest.config["schedule"]["start"])
    if time_col is not None and zone is not None:  # read back from the host's zone files
        frame[time_col] = frame[time_col].dt.tz_convert(TzdataZone(zone))
    last = [c for c in (time_col, "block") if c is not None and c in frame.columns]
    return frame[[c for c in frame.columns if c not in last] + last]


def write_file(frame: pd.DataFrame, directory: Path, filename: str) -> Path:
    """Write the seed-style file and return its path: Parquet when ``filename`` ends in
    ``.parquet``, else CSV (:func:`check_filename` allows no other extension).

    The file is written under a new temporary name in ``directory``, then renamed onto
    ``filename``: whatever had that name is replaced (a symbolic link itself, never the
    file it points to), and a failed write leaves neither a half-written file nor the
    temporary one.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_file(pd.DataFrame({"a": [1, 2]}), Path(d), "t.csv")
    ...     path.read_bytes(), [p.name for p in Path(d).iterdir()]
    (b'a\\n1\\n2\\n', ['t.csv'])
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    temporary = directory / f".calmops-{secrets.token_hex(8)}.tmp"
    handle = temporary.open("xb")  # "x": a file of our own, never one already there
    try:
        with handle:
            if path.suffix.lower() == ".parquet":
                frame.to_parquet(handle, index=False)
            else:
                frame.to_csv(handle, index=False)
        temporary.replace(path)  # a rename: replaces a link at path, not its target
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def need_start(start: Any, start_key: str, **given: Any) -> None:
    """Refuse date arguments (``given``; ``None`` when left at their default) without a
    start: without one no dates are made, and they would do nothing.

    Examples
    --------
    >>> need_start(None, "date_start", date_step={"days": 7}, date_col=None)
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: date_step: needs date_start (no dates are made without it)
    """
    unused = [key for key, value in given.items() if value is not None]
    if start is None and unused:
        raise ScenarioError(unused[0], f"needs {start_key} (no dates are made without it)")
