"""Running a scenario: plan, produce and write every block, then the manifest, atomically.

:func:`run` is the plain-Python core that the ``calmops-gen`` command wraps. It writes to a
temporary sibling of the final directory and renames it into place only when every file
and the manifest are written, so an interrupted or failed run leaves nothing under the
final name (and nothing at all under the output root if it created nothing else there):
the staging folder, its lock and the publishing rename are :mod:`calmops_gen.staging`'s.

An existing dataset of the same version is verified: if intact it is returned as is; if
not, the run refuses unless ``output.overwrite`` is true. The same holds when another run of
the same version publishes it first, while this one is writing.

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

import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from calmops_gen._version import __version__
from calmops_gen.drift.base import recorded
from calmops_gen.engine import EventTally, class_counts, produce_block, time_range
from calmops_gen.errors import DatasetError, ScenarioError, first_line
from calmops_gen.executors import WorkerDied, executor_for
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
from calmops_gen.staging import check_staged, commit, remove_stale_staging, staging_folder
from calmops_gen.storage import FileRecord, csv_problem, write_frame
from calmops_gen.verify import verify_dataset

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

    Raises
    ------
    ScenarioError
        For an invalid scenario, naming the config path; nothing is written.
    DatasetError
        When the dataset cannot be written, or an existing version fails verification.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     m = run({"name": "demo", "generator": {"kind": "sea"},
    ...              "schedule": {"blocks": 2, "rows_per_block": 100},
    ...              "drift": {"flips": {"kind": "label_flip", "rate": 0.5,
    ...                                  "where": {"blocks": [1]}}}}, root=root)
    ...     directory = m.directory.relative_to(Path(root).resolve())
    >>> directory.parent.name, m.rows, m.events[0].rows_selected
    ('demo', 200, 100)
    """
    scenario = load_scenario(scenario)
    try:
        plan = build_plan(scenario)
    except MemoryError:
        # planning makes the reference block of an event and the rows of a transition
        raise ScenarioError(
            "schedule",
            "planning does not fit in memory: it makes a whole block (the reference block "
            "of an event, a block in a transition window); use smaller blocks "
            "(schedule.rows_per_block or sizes)",
        ) from None
    if scenario.output.format == "csv":
        problem = csv_problem(plan.columns)
        if problem:
            raise ScenarioError("output.format", f"{problem}; use parquet")
    spec = scenario.executor
    executor = executor_for(spec.kind, spec.workers, spec.address)
    final = _dataset_dir(root if root is not None else scenario.output.root, scenario, plan)
    exists = _exists(final)
    remove_stale_staging(final)
    replacing = False
    if exists:
        problems = verify_dataset(final)
        if not problems:
            log.info("dataset %s already exists and verifies; nothing to do", final)
            return read_manifest(final)
        if not scenario.output.overwrite:
            raise _refusal(final, problems)
        replacing = True
    folders = ["data", "ground_truth"] if scenario.output.ground_truth else ["data"]
    try:
        with staging_folder(final, folders) as staging:
            task = partial(_write_block, plan, str(staging))
            results = []
            show = spec.progress
            if show is None:
                show = len(plan.blocks) > 1 and sys.stderr.isatty()
            with tqdm(
                total=len(plan.blocks), unit="block", disable=not show, file=sys.stderr
            ) as bar:
                for result in executor.map(task, len(plan.blocks), staging):
                    results.append(result)
                    bar.update(1)
            manifest = _manifest(plan, results, staging, list(overrides)).sealed()
            manifest.write(staging)
            check_staged(staging, manifest)
            published = commit(staging, final, replacing)
    except WorkerDied:
        raise DatasetError(
            f"{final}: a worker process died (killed by the system, often for lack of "
            "memory); nothing was written: use smaller blocks or fewer executor.workers"
        ) from None
    except OSError as exc:  # a full disk, a quota, an I/O error while writing
        where = exc.filename or final
        raise DatasetError(
            f"{where}: cannot write the dataset: {exc.strerror or exc}; nothing was written"
        ) from None
    if not published:  # another run of this version published it first
        problems = verify_dataset(final)
        if problems:
            again = "run again to replace it" if scenario.output.overwrite else None
            raise _refusal(final, problems, again)
        log.info("dataset %s was published meanwhile by another run and verifies", final)
        return read_manifest(final)
    return manifest.attach(final.resolve())


def _dataset_dir(root: str | Path, scenario: Scenario, plan: Plan) -> Path:
    """``<root>/<name>/<version>``, absolute (``~`` in ``root`` expanded to the user's
    home): the blocks' tasks write there from any working directory (a Dask cluster's
    workers)."""
    try:
        return Path(root).expanduser().absolute() / scenario.name / plan.version
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


def _refusal(final: Path, problems: list[str], fix: str | None = None) -> DatasetError:
    """The error for a dataset directory ``final`` that does not verify."""
    more = f" and {len(problems) - 1} more problems" if len(problems) > 1 else ""
    return DatasetError(
        f"{final} already exists but does not verify ({problems[0]}{more}); "
        f"{fix or 'set output.overwrite=true to replace it'}"
    )


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
                prepared=recorded(ev.prepared),
                realised=ev.event.realised(total.figures(), ev.prepared),
            )
        )
    return events
