"""The manifest: what a dataset is, how it was made, and the hash of every file.

Modelled with pydantic; :func:`manifest_schema` returns its JSON Schema (published as
``docs/manifest.schema.json``). ``created_at`` is the only field that changes between two
runs of the same scenario; ``manifest.json`` itself is not hashed.

Examples
--------
>>> schema = manifest_schema()
>>> {"name", "version", "config", "blocks", "events", "files"} <= set(schema["required"])
True
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from calmops_gen.errors import DatasetError, first_line
from calmops_gen.roles import Role

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1
#: (``tzdata``: the time zone rules a named ``schedule.start`` follows, part of its version)
KEY_PACKAGES = ("numpy", "pandas", "pyarrow", "river", "scipy", "pydantic", "hydra-core", "tzdata")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnInfo(_Model):
    """A column of the data (or ground-truth) files."""

    name: str
    dtype: str = Field(description="Arrow type, e.g. double, int64, bool, timestamp[ns]")
    role: Role = Field(
        description="data: feature, target, time, block, label_time; ground truth: row, "
        "block, concept, concept_weight, event_weight, event_changed (manifests before "
        "2026-11-28 gave every ground-truth column but block the role feature)"
    )


#: a block file's path relative to the dataset directory; nothing else is accepted (a
#: manifest pointing outside its directory is refused, not followed)
FILE_PATTERN = r"^(data|ground_truth)/block-[0-9]{5,}\.(parquet|csv)$"
FilePath = Annotated[str, Field(pattern=FILE_PATTERN)]


class FileInfo(_Model):
    """A file of the dataset, relative to the dataset directory."""

    path: FilePath
    sha256: str
    bytes: int
    rows: int


class BlockInfo(_Model):
    """One block: rows, time range, generator parameters, files."""

    index: int
    rows: int
    row_start: int
    row_stop: int = Field(description="exclusive")
    time_start: str | None = Field(
        description="ISO 8601 timestamp of the first row with a time (nanosecond precision)"
    )
    time_end: str | None = Field(description="ISO 8601 timestamp of the last row with a time")
    params: dict[str, Any] = Field(description="generator parameters of the block's concept")
    concepts: list[int] = Field(description="concept ids present in the block")
    class_counts: dict[str, int] | None = Field(
        default=None, description="rows per class in the written block (classification)"
    )
    file: FilePath
    sha256: str
    ground_truth_file: FilePath | None
    ground_truth_sha256: str | None


class ConceptInfo(_Model):
    """A concept: the generator parameters that produce its rows."""

    id: int
    name: str | None = Field(description="name in schedule.concepts, if the concept has one")
    params: dict[str, Any]


class ConceptChange(_Model):
    """A change of concept at a global row (the transition window starts there)."""

    row: int
    from_concept: int
    to_concept: int


class EventInfo(_Model):
    """A drift event as applied: declared parameters and realised effects."""

    id: str
    order: int = Field(description="position in the order events were applied (0 first)")
    kind: str
    features: list[str]
    profile: dict[str, Any]
    where: dict[str, Any]
    row_start: int = Field(description="first row of the event's span")
    row_stop: int = Field(description="one past the last row of the event's span")
    span_rows: int
    rows_selected: int
    rows_affected: int
    params: dict[str, Any]
    prepared: dict[str, Any] = Field(description="figures fixed once per run (reference stats)")
    realised: dict[str, Any]


class Manifest(_Model):
    """``manifest.json`` of a dataset (DESIGN section 6)."""

    schema_version: int = SCHEMA_VERSION
    name: str
    version: str
    seed: int
    created_at: datetime
    calmops_gen_version: str
    config: dict[str, Any]
    inputs: dict[str, str] = Field(
        default_factory=dict,
        description="SHA-256 of each input file the rows were read from (a table's source), "
        "by config path; part of the version",
    )
    overrides: list[str]
    rows: int
    columns: list[ColumnInfo]
    ground_truth_columns: list[ColumnInfo]
    concepts: list[ConceptInfo]
    concept_changes: list[ConceptChange]
    blocks: list[BlockInfo]
    events: list[EventInfo]
    files: list[FileInfo]
    environment: dict[str, str]
    records_sha256: str | None = Field(
        default=None,
        description="SHA-256 of this manifest's canonical JSON (sorted keys, no spaces) "
        "without created_at and this field: calmops-gen-verify reports any later edit of "
        "the records (events, realised effects, concepts, seed, ...)",
    )

    _directory: Path | None = PrivateAttr(default=None)

    def records_digest(self) -> str:
        """The :attr:`records_sha256` of this manifest's current content.

        Examples
        --------
        >>> import tempfile
        >>> from calmops_gen.runner import run
        >>> with tempfile.TemporaryDirectory() as root:
        ...     m = run({"name": "d", "generator": {"kind": "sea"},
        ...              "schedule": {"blocks": 1, "rows_per_block": 10}}, root=root)
        >>> m.records_sha256 == m.records_digest()
        True
        >>> m.model_copy(update={"seed": 43}).records_digest() == m.records_sha256
        False
        """
        data = self.model_dump(mode="json", exclude={"created_at", "records_sha256"})
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def sealed(self) -> Manifest:
        """This manifest with :attr:`records_sha256` set."""
        return self.model_copy(update={"records_sha256": self.records_digest()})

    @property
    def directory(self) -> Path:
        """The dataset directory this manifest was read from or written to."""
        if self._directory is None:
            raise DatasetError("this manifest is not attached to a dataset directory")
        return self._directory

    def attach(self, directory: Path) -> Manifest:
        """Record the dataset directory (not serialised)."""
        self._directory = directory
        return self

    def write(self, directory: Path) -> Path:
        """Write ``manifest.json`` into ``directory``."""
        path = directory / MANIFEST_NAME
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path


def read_manifest(directory: Path | str) -> Manifest:
    """Read and validate ``manifest.json`` of a dataset directory.

    Raises
    ------
    DatasetError
        When the file is missing, unreadable or not a valid manifest.

    Examples
    --------
    >>> import tempfile
    >>> from calmops_gen.runner import run
    >>> with tempfile.TemporaryDirectory() as root:
    ...     written = run({"name": "m", "generator": {"kind": "sea"},
    ...                    "schedule": {"rows_per_block": 10}}, root=root)
    ...     read = read_manifest(written.directory)
    >>> read.version == written.version, [c.name for c in read.columns]
    (True, ['x0', 'x1', 'x2', 'y', 'block'])
    """
    directory = Path(directory)
    path = directory / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Manifest.model_validate(raw).attach(directory.resolve())
    except FileNotFoundError:
        raise DatasetError(f"{path}: missing") from None
    except OSError as exc:  # not a directory, unreadable, ...
        raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise DatasetError(f"{path}: not a valid manifest ({first_line(exc)})") from None


def environment() -> dict[str, str]:
    """Python and key package versions."""
    env = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for name in KEY_PACKAGES:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return env


def manifest_schema() -> dict[str, Any]:
    """JSON Schema of :class:`Manifest`."""
    return Manifest.model_json_schema()
