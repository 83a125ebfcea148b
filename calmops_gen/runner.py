"""Running a scenario: plan, produce and write every block, then the manifest, atomically.

:func:`run` is the plain-Python core that the ``calmops-gen`` command wraps. It writes to a
temporary sibling of the final directory and renames it into place only when every file
and the manifest are written, so an interrupted or failed run leaves nothing under the
final name (and nothing at all under the output root if it created nothing else there).

An existing dataset of the same version is verified: if intact it is returned as is; if
not, the run refuses unless ``output.overwrite`` is true.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as root:
...     m = run({"name": "doc", "generator": {"kind": "sea"},
...              "schedule": {"blocks": 2, "rows_per_block": 50}}, root=root)
...     (m.rows, [b.rows for b in m.blocks], m.directory.name == m.version)
(100, [50, 50], True)
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from calmops_gen._version import __version__
from calmops_gen.engine import EventTally, class_counts, produce_block, time_range
from calmops_gen.errors import DatasetError, ScenarioError, first_line
from calmops_gen.executors import executor_for
from calmops_gen.manifest import (
    BlockInfo,
    ColumnInfo,
    ConceptChange,
    ConceptInfo,
    EventInfo,
    FileInfo,
    Manifest,
    environment,
    read_manifest,
)
from calmops_gen.plan import Plan, build_plan
from calmops_gen.scenario import Scenario, load_scenario
from calmops_gen.storage import FileRecord, csv_problem, write_frame

log = logging.getLogger("calmops_gen")


@dataclass(frozen=True)
class BlockResult:
    """Files written for one block and what its events did."""

    index: int
    data: FileRecord
    ground_truth: FileRecord | None
    tallies: list[EventTally]
    class_counts: dict[str, int] | None
    time_range: tuple[str, str] | None


def run(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    *,
    root: str | Path | None = None,
    overrides: Sequence[str] = (),
) -> Manifest:
    """Produce the dataset of ``scenario`` and return its manifest.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, a mapping of scenario keys or a YAML file path.
    root
        Output root (default: the scenario's ``output.root``, relative to the working
        directory; a leading ``~`` is the user's home directory).
    overrides
        Command-line overrides to record in the manifest.

    Returns
    -------
    Manifest
        The manifest, attached to the dataset directory (``manifest.directory``).
    """
    scenario = load_scenario(scenario)
    plan = build_plan(scenario)
    if scenario.output.format == "csv":
        problem = csv_problem(plan.columns)
        if problem:
            raise ScenarioError("output.format", f"{problem}; use parquet")
    executor = executor_for(scenario.executor.kind, scenario.executor.workers)
    final = _dataset_dir(root if root is not None else scenario.output.root, scenario, plan)
    replacing = False
    if _exists(final):
        from calmops_gen.verify import verify_dataset

        problems = verify_dataset(final)
        if not problems:
            log.info("dataset %s already exists and verifies; nothing to do", final)
            return read_manifest(final)
        if not scenario.output.overwrite:
            raise DatasetError(
                f"{final} already exists but does not verify ({problems[0]}"
                f"{f' and {len(problems) - 1} more problems' if len(problems) > 1 else ''}); "
                "set output.overwrite=true to replace it"
            )
        replacing = True
    try:
        with _staging(final) as staging:
            task = partial(_write_block, plan, str(staging))
            results = []
            show = scenario.executor.progress
            if show is None:
                show = len(plan.blocks) > 1 and sys.stderr.isatty()
            with tqdm(
                total=len(plan.blocks), unit="block", disable=not show, file=sys.stderr
            ) as bar:
                for result in executor.map(task, len(plan.blocks)):
                    results.append(result)
                    bar.update(1)
            manifest = _manifest(plan, results, staging, list(overrides)).sealed()
            manifest.write(staging)
            _commit(staging, final, replacing)
    except BrokenProcessPool:
        raise DatasetError(
            f"{final}: a worker process died (killed by the system, often for lack of "
            "memory); nothing was written: use smaller blocks or fewer executor.workers"
        ) from None
    except OSError as exc:  # a full disk, a quota, an I/O error while writing
        where = exc.filename or final
        raise DatasetError(
            f"{where}: cannot write the dataset: {exc.strerror or exc}; nothing was written"
        ) from None
    return manifest.attach(final.resolve())


def _dataset_dir(root: str | Path, scenario: Scenario, plan: Plan) -> Path:
    """``<root>/<name>/<version>``, ``~`` in ``root`` expanded to the user's home."""
    try:
        return Path(root).expanduser() / scenario.name / plan.version
    except RuntimeError as exc:  # ~user of an unknown user, or no home directory
        raise ScenarioError("output.root", f"cannot expand {str(root)!r}: {exc}") from None


def _exists(final: Path) -> bool:
    """Whether the dataset directory ``final`` exists; a root the system refuses (a name
    too long, a NUL character, no permission) is an error naming ``output.root``."""
    try:
        final.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        raise ScenarioError(
            "output.root", f"cannot use {str(final.parent.parent)!r}: {reason}"
        ) from None
    return True


def _write_block(plan: Plan, staging: str, index: int) -> BlockResult:
    try:
        out = produce_block(plan, index)
    except MemoryError:
        rows = plan.blocks[index].size
        raise ScenarioError(
            "schedule",
            f"block {index} ({rows:,} rows) does not fit in memory; use smaller blocks "
            "(schedule.rows_per_block or sizes): memory is bounded by the block",
        ) from None
    fmt = plan.scenario.output.format
    name = f"block-{index:05d}.{fmt}"
    data = write_frame(out.data, plan.columns, Path(staging) / "data" / name, fmt)
    truth = None
    if plan.scenario.output.ground_truth:
        truth = write_frame(
            out.ground_truth, plan.gt_columns, Path(staging) / "ground_truth" / name, fmt
        )
    return BlockResult(
        index,
        data,
        truth,
        out.tallies,
        class_counts(plan, out.data),
        time_range(plan, out.data),
    )


def _manifest(
    plan: Plan, results: list[BlockResult], staging: Path, overrides: list[str]
) -> Manifest:
    sc = plan.scenario

    def rel(rec: FileRecord) -> str:
        return rec.path.relative_to(staging).as_posix()

    files: list[FileInfo] = []
    blocks: list[BlockInfo] = []
    totals = [EventTally() for _ in plan.events]
    for res, bp in zip(results, plan.blocks, strict=True):
        for rec in (res.data, res.ground_truth):
            if rec is not None:
                files.append(
                    FileInfo(path=rel(rec), sha256=rec.sha256, bytes=rec.bytes, rows=rec.rows)
                )
        for total, tally in zip(totals, res.tallies, strict=True):
            total.add(tally)
        blocks.append(
            BlockInfo(
                index=bp.index,
                rows=bp.size,
                row_start=bp.row_start,
                row_stop=bp.row_stop,
                time_start=res.time_range[0] if res.time_range else None,
                time_end=res.time_range[1] if res.time_range else None,
                params=bp.params,
                concepts=list(bp.concepts),
                class_counts=res.class_counts,
                file=rel(res.data),
                sha256=res.data.sha256,
                ground_truth_file=rel(res.ground_truth) if res.ground_truth else None,
                ground_truth_sha256=res.ground_truth.sha256 if res.ground_truth else None,
            )
        )
    events = event_infos(plan, totals)

    def columns(cols: Any) -> list[ColumnInfo]:
        return [ColumnInfo(name=c.name, dtype=str(c.pa_type()), role=c.role) for c in cols]

    return Manifest(
        name=sc.name,
        version=plan.version,
        seed=sc.seed,
        created_at=datetime.now(UTC),
        calmops_gen_version=__version__,
        config=sc.canonical(),
        inputs=plan.generator.inputs(),
        overrides=overrides,
        rows=plan.n_rows,
        columns=columns(plan.columns),
        ground_truth_columns=columns(plan.gt_columns) if sc.output.ground_truth else [],
        concepts=[
            ConceptInfo(id=k, name=name, params=params.model_dump(mode="json"))
            for k, (name, params) in enumerate(
                zip(plan.concept_names, plan.timeline.concepts, strict=True)
            )
        ],
        concept_changes=[
            ConceptChange(row=row, from_concept=a, to_concept=b)
            for row, a, b in plan.timeline.changes()
        ],
        blocks=blocks,
        events=events,
        files=files,
        environment=environment(),
    )


def event_infos(plan: Plan, totals: Sequence[EventTally]) -> list[EventInfo]:
    """Manifest records of the plan's events from their tallies summed over blocks.

    Raises
    ------
    ScenarioError
        For an event whose ``condition`` or ``fraction`` kept none of the rows of its span
        (it would have done nothing; the span itself is checked when the run is planned).
    """
    events = []
    for order, (ev, total) in enumerate(zip(plan.events, totals, strict=True)):
        if not total.selected:
            where = ev.event.where
            why = (
                f"condition {[c.model_dump(mode='json') for c in where.condition]}"
                if where.condition
                else f"fraction {where.fraction}"
            )
            raise ScenarioError(
                f"drift.{ev.id}.where",
                f"the {why} kept none of the {ev.span.total} rows the event spans, so it would "
                "change nothing; loosen it or remove the event",
            )
        dump = ev.event.model_dump(mode="json")
        events.append(
            EventInfo(
                id=ev.id,
                order=order,
                kind=ev.event.kind,
                features=ev.event.touched_columns(ev.prepared),
                profile=dump.pop("profile"),
                where=dump.pop("where"),
                row_start=ev.span.first,
                row_stop=ev.span.last_stop,
                span_rows=ev.span.total,
                rows_selected=total.selected,
                rows_affected=total.affected,
                params={k: v for k, v in dump.items() if k != "kind"},
                prepared=ev.prepared,
                realised=ev.event.realised(total.stats, ev.prepared),
            )
        )
    return events


def _host() -> str:
    """This machine's name as it appears in staging folder names (letters, digits, ``-``)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (``True`` when it cannot be told)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive
        return True
    return True


def remove_stale_staging(final: Path) -> list[Path]:
    """Remove the staging folders of ``final`` left by runs killed on this machine.

    A run stopped by SIGKILL (or a power cut) cannot remove its staging folder
    ``.<version>.tmp-<host>-<pid>-<random>``. The next run of the same version removes those
    whose host is this machine and whose process no longer exists; folders of other machines
    (an output root shared over the network) and of live processes are left alone.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     final = Path(root) / "abc"
    ...     dead = Path(root) / f".abc.tmp-{_host()}-999999999-0123abcd"
    ...     (dead / "data").mkdir(parents=True)
    ...     mine = Path(root) / f".abc.tmp-{_host()}-{os.getpid()}-0123abcd"
    ...     mine.mkdir()
    ...     [p.name == dead.name for p in remove_stale_staging(final)], mine.exists()
    ([True], True)
    """
    pattern = re.compile(
        rf"\.{re.escape(final.name)}\.tmp-{re.escape(_host())}-(\d+)-[0-9a-f]{{8}}"
    )
    removed = []
    with contextlib.suppress(OSError):
        for p in final.parent.iterdir():
            m = pattern.fullmatch(p.name)
            if m and not _alive(int(m.group(1))):
                shutil.rmtree(p, ignore_errors=True)
                log.info("removed %s, left by a run that was killed", p)
                removed.append(p)
    return removed


@contextlib.contextmanager
def _staging(final: Path) -> Iterator[Path]:
    """A temporary sibling of ``final``; removed (with any parents it created) on failure.

    Staging folders left by killed runs of the same version are removed first
    (:func:`remove_stale_staging`).
    """
    created: list[Path] = []
    parent = final.parent
    for p in [parent, *parent.parents]:
        if p.exists():
            break
        created.append(p)
    remove_stale_staging(final)
    staging = parent / f".{final.name}.tmp-{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
        except OSError as exc:
            raise ScenarioError(
                "output.root", f"cannot create {parent}: {exc.strerror or exc}"
            ) from None
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for p in created:
            with contextlib.suppress(OSError):
                p.rmdir()
        raise


def _commit(staging: Path, final: Path, replacing: bool) -> None:
    """Rename ``staging`` to ``final`` (moving a corrupt old version aside when replacing)."""
    old = None
    if replacing and final.exists():
        old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
        final.rename(old)
    try:
        staging.rename(final)
    except OSError:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:  # a file or link where the version directory should be
            old.unlink(missing_ok=True)
