"""Planning: everything about a run that can be known before producing any block.

:func:`build_plan` resolves a validated :class:`~calmops_gen.scenario.Scenario` against its
generator: block sizes and row offsets, timestamps, the concept of every block and how rows
mix across gradual transitions, the data and ground-truth schemas, and for every drift event
its span of rows and the figures it fixes once per run. Every check that needs the data
(columns exist, ranges inside the dataset, widths no larger than what they span) happens
here, so a bad scenario fails before anything is written.

The plan is cheap (it never holds more than one block of data) and picklable, and
:func:`calmops_gen.engine.produce_block` turns it into any block on any worker.

Examples
--------
>>> from calmops_gen.scenario import load_scenario
>>> plan = build_plan(load_scenario({
...     "name": "p", "generator": {"kind": "sea"},
...     "schedule": {"blocks": 3, "rows_per_block": 10,
...                  "block_params": {1: {"variant": 1}},
...                  "transition": {"kind": "gradual", "width": 4, "shape": "linear"}},
... }))
>>> [b.row_start for b in plan.blocks], plan.n_rows
([0, 10, 20], 30)
>>> [b.concepts for b in plan.blocks]
[(0,), (0, 1), (1,)]
>>> plan.block_concepts(1).concept.tolist()
[0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.errors import OutOfBoundsDatetime

from calmops_gen.drift import DriftEvent, EventContext, Span
from calmops_gen.drift.selection import check_conditions
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.generators import (
    BlockRequest,
    Column,
    ConceptGenerator,
    Generator,
    GeneratorParams,
)
from calmops_gen.scenario import Scenario
from calmops_gen.schedule import (
    MAX_EVEN_SPAN,
    MAX_SEGMENTS,
    IncrementalTransition,
    Schedule,
    block_starts,
    resolve_sizes,
    row_times,
    stepped_times,
)
from calmops_gen.seeding import SeedTree
from calmops_gen.timeline import BlockConcepts, Timeline
from calmops_gen.times import TIMESTAMP_RANGE, WALL_TIME_ERRORS, as_ns, zone_mismatch

BLOCK_COLUMN = "block"
_NAT = int(np.iinfo(np.int64).min)  # a missing timestamp, as int64 ns


@dataclass(frozen=True)
class BlockPlan:
    """One block: where its rows sit, its concepts, its time range.

    ``params`` are the generator parameters of the concept in force at the block's first
    row (after a transition window, the block's own concept); ``concepts`` every concept id
    that produces rows of the block.
    """

    index: int
    row_start: int
    size: int
    params: dict[str, Any]
    concepts: tuple[int, ...]
    time_begin: pd.Timestamp | None = None
    time_end: pd.Timestamp | None = None

    @property
    def row_stop(self) -> int:
        """One past the block's last global row."""
        return self.row_start + self.size


@dataclass(frozen=True)
class EventPlan:
    """One drift event resolved against the dataset."""

    id: str
    event: DriftEvent
    span: Span
    prepared: dict[str, Any]

    @property
    def subset_column(self) -> str | None:
        """Ground-truth column recording changed rows (for random-subset events)."""
        return f"{self.id}__changed" if self.event.changes_subset else None


@dataclass(frozen=True)
class Plan:
    """Everything needed to produce and write any block of a run."""

    scenario: Scenario
    generator: Generator
    columns: tuple[Column, ...]
    gt_columns: tuple[Column, ...]
    blocks: tuple[BlockPlan, ...]
    events: tuple[EventPlan, ...]
    timeline: Timeline
    concept_names: tuple[str | None, ...]
    seeds: SeedTree
    version: str
    classes: tuple[Hashable, ...] | None = field(default=None)
    states: tuple[dict[int, Any], ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Rows in the dataset."""
        return self.blocks[-1].row_stop if self.blocks else 0

    @property
    def time_column(self) -> str | None:
        """Name of the time column, if the dataset has one."""
        return next((c.name for c in self.columns if c.role == "time"), None)

    def block_concepts(self, index: int) -> BlockConcepts:
        """Concept segments and per-row concept ground truth of block ``index``."""
        b = self.blocks[index]
        return self.timeline.block(b.row_start, b.size)

    def request(self, index: int, concepts: BlockConcepts | None = None) -> BlockRequest:
        """The generator request for block ``index``."""
        b = self.blocks[index]
        segments = (concepts or self.block_concepts(index)).segments
        states = self.states[index] if self.states else {}
        return BlockRequest(b.index, b.size, b.row_start, segments, self.seeds, states)

    @property
    def adds_block_column(self) -> bool:
        """True when the engine adds the ``block`` column (the generator has none of its own)."""
        return self.generator.add_block_column and not any(
            c.role == "block" for c in self.generator.columns()
        )

    @property
    def incremental(self) -> bool:
        """True when concepts hand over by interpolation (ground truth gets concept_weight)."""
        return isinstance(self.timeline.transition, IncrementalTransition)

    def times(self, index: int) -> np.ndarray | None:
        """Row timestamps of block ``index`` (int64 ns) when the schedule makes them."""
        b = self.blocks[index]
        if b.time_begin is None or b.time_end is None:
            return None
        schedule = self.scenario.schedule
        if schedule.spread == "rows":
            assert schedule.start is not None and schedule.step and schedule.rows_per_step
            rows = np.arange(b.row_start, b.row_stop, dtype=np.int64)
            return stepped_times(b.time_begin, schedule.step, rows, schedule.rows_per_step)
        return row_times(b.time_begin, b.time_end, b.size, schedule.spread)


def build_plan(scenario: Scenario, generator: Generator | None = None) -> Plan:
    """Resolve ``scenario`` into a :class:`Plan`; raises :class:`ScenarioError` if it can't.

    ``generator`` replaces the scenario's own (the in-memory frame of
    :func:`calmops_gen.injector.inject`); a generator that has its own ``block`` role column
    keeps it instead of getting the added ``block`` column.
    """
    generator = generator or scenario.build_generator()
    if generator.balance and (
        not isinstance(generator, ConceptGenerator) or not generator.classes()
    ):
        raise ScenarioError(
            "generator.balance",
            f"{generator.kind!r} cannot be balanced: balancing needs a synthetic "
            "classification generator",
        )
    sizes = _block_sizes(scenario, generator)
    base_columns = generator.columns()
    columns = _data_columns(scenario, generator, base_columns)
    seeds = SeedTree(scenario.seed)
    timeline, names = _timeline(scenario, generator, sizes, seeds)
    _check_same_columns(generator, timeline.concepts, names, base_columns)
    if generator.balance:  # per concept: a later one may drift internally
        assert isinstance(generator, ConceptGenerator)
        for params in timeline.concepts:
            generator.check_balance(params)
    blocks = _block_plans(scenario.schedule, sizes, timeline)
    plan = Plan(
        scenario=scenario,
        generator=generator,
        columns=tuple(columns),
        gt_columns=(),
        blocks=tuple(blocks),
        events=(),
        timeline=timeline,
        concept_names=names,
        seeds=seeds,
        version=scenario.version(generator.inputs()),
        classes=_classes(generator, timeline),
        states=_stream_states(generator, timeline, [b.row_start for b in blocks], seeds),
    )
    events = _plan_events(plan)  # events are checked and prepared against the plan
    gt_columns = _truth_columns(generator, timeline, events)
    return dataclasses.replace(plan, events=tuple(events), gt_columns=gt_columns)


def _block_sizes(scenario: Scenario, generator: Generator) -> list[int]:
    """Rows of each block: the table's own blocks, or the schedule's."""
    schedule = scenario.schedule
    cut = generator.cuts_own_blocks()  # checked before own_sizes() reads the data
    if cut and (schedule.sizes or schedule.rows_per_block or schedule.blocks):
        raise ScenarioError(
            "schedule",
            "blocks come from the table's block_column/block_freq; "
            "remove schedule.blocks, rows_per_block and sizes",
        )
    sizes = generator.own_sizes()
    if sizes is None:
        sizes = resolve_sizes(schedule, generator.source_rows(), "schedule")
    for b in schedule.block_params:
        if b >= len(sizes):
            raise ScenarioError(
                f"schedule.block_params.{b}", f"block {b} does not exist ({len(sizes)} blocks)"
            )
    return sizes


def _data_columns(
    scenario: Scenario, generator: Generator, base_columns: tuple[Column, ...]
) -> list[Column]:
    """The dataset's columns: the generator's, then ``block``, the schedule's time column
    and the label-availability column where the scenario adds them."""
    schedule = scenario.schedule
    if any(c.role == "time" for c in base_columns) and schedule.timed:
        raise ScenarioError(
            "schedule.start", "the table has its own time_column; remove start and step"
        )
    columns = list(base_columns)
    if generator.add_block_column and not any(c.role == "block" for c in base_columns):
        columns.append(Column(BLOCK_COLUMN, "int64", "block"))
    if schedule.timed:
        if schedule.time_column in {c.name for c in columns}:
            raise ScenarioError(
                "schedule.time_column", f"{schedule.time_column!r} is already a column"
            )
        # Arrow names the timezone itself ("+01:00", "Europe/Madrid", "UTC")
        assert schedule.start is not None
        start = pd.DatetimeIndex([schedule.start]).as_unit("ns")
        time_type = pa.Array.from_pandas(start).type
        columns.append(Column(schedule.time_column, str(time_type), "time", arrow_type=time_type))
    delay = scenario.label_delay
    if delay is None:
        return columns
    if not any(c.role == "target" for c in columns):
        raise ScenarioError(
            "label_delay", f"the dataset has no target column ({generator.role_hints['target']})"
        )
    if delay.unit == "time" and not any(c.role == "time" for c in columns):
        raise ScenarioError(
            "label_delay.unit", f"time delays need timestamps ({generator.role_hints['time']})"
        )
    if delay.column in {c.name for c in columns}:
        raise ScenarioError("label_delay.column", f"{delay.column!r} is already a column")
    if delay.unit == "rows":
        columns.append(Column(delay.column, "int64", "label_time"))
    else:  # the time column's own type, timezone included
        time = next(c for c in columns if c.role == "time")
        columns.append(Column(delay.column, time.dtype, "label_time", arrow_type=time.pa_type()))
    return columns


def _block_plans(schedule: Schedule, sizes: list[int], timeline: Timeline) -> list[BlockPlan]:
    """Each block's rows, concepts (and the parameters of its first row's) and times."""
    starts = _block_starts(schedule, len(sizes), sum(sizes)) if schedule.timed else None
    blocks: list[BlockPlan] = []
    row = 0
    for i, size in enumerate(sizes):
        blocks.append(
            BlockPlan(
                index=i,
                row_start=row,
                size=size,
                params=timeline.concepts[timeline.concept_at(row)].model_dump(mode="json"),
                concepts=timeline.concept_ids(row, size),
                time_begin=_time_begin(schedule, starts, i),
                time_end=starts[i + 1] if starts else None,
            )
        )
        row += size
    return blocks


def _truth_columns(
    generator: Generator, timeline: Timeline, events: list[EventPlan]
) -> tuple[Column, ...]:
    """The ground truth's columns: ``row``, ``block``, the concept (and its weight in
    incremental transitions), then each event's weight and changed flag."""
    columns = [Column("row", "int64", "row"), Column(BLOCK_COLUMN, "int64", "block")]
    if generator.has_concepts:
        columns.append(Column("concept", "int64", "concept"))
        if isinstance(timeline.transition, IncrementalTransition):
            columns.append(Column("concept_weight", "double", "concept_weight"))
    for ev in events:
        columns.append(Column(ev.id, "double", "event_weight"))
        if ev.subset_column:
            columns.append(Column(ev.subset_column, "bool", "event_changed"))
    return tuple(columns)


def _check_same_columns(
    generator: Generator,
    concepts: tuple[GeneratorParams, ...],
    names: tuple[str | None, ...],
    columns: tuple[Column, ...],
) -> None:
    """Every concept makes the columns of the first, which the generator was built from
    (named ones are reported by name)."""
    cls = type(generator)
    for k, (params, name) in enumerate(zip(concepts, names, strict=True)):
        if k and cls(params, generator.engine).columns() != columns:
            raise ScenarioError(
                "schedule" if name is None else f"schedule.concepts.{name}",
                f"concept {k} ({params.model_dump()}) changes the dataset's columns; "
                "every block must have the same columns",
            )


#: What stepping block starts raises: past pandas' range, or onto a skipped/repeated hour.
_STEP_ERRORS: tuple[type[Exception], ...] = (OverflowError, OutOfBoundsDatetime, *WALL_TIME_ERRORS)


def _block_starts(schedule: Any, n_blocks: int, n_rows: int) -> list[pd.Timestamp]:
    """Block start times, checked to stay within what pandas holds in nanoseconds (the
    first block's start, the last row's time and the end of the last block)."""
    first = pd.Timestamp(schedule.start)  # in range: checked by the schedule model
    try:
        if schedule.spread == "rows":  # time steps by rows: every block counts from start
            starts = [first] * (n_blocks + 1)
        else:
            starts = block_starts(schedule, n_blocks)
        for t in starts:
            t.as_unit("ns")
        if schedule.spread == "rows" and n_rows:
            last = np.array([n_rows - 1], dtype=np.int64)
            stepped_times(first, schedule.step, last, schedule.rows_per_step)
    except _STEP_ERRORS as err:
        said = f"{type(err).__name__} {err}".lower()
        if "ambiguous" in said or "nonexistent" in said:
            raise ScenarioError(
                "schedule.step",
                f"a block's start, {first} plus whole steps of {schedule.step}, falls on a "
                "wall time the zone repeats or skips; move start off the hour of a clock "
                "change",
            ) from None
        # dateutil: "year ... is out of range"
        raise ScenarioError(
            "schedule.step",
            f"the timestamps from {first} by {schedule.step} run past {TIMESTAMP_RANGE}; use a "
            "smaller step, an earlier start or fewer rows",
        ) from None
    for i in range(n_blocks if schedule.spread == "even" else 0):
        if starts[i + 1] - starts[i] > MAX_EVEN_SPAN:
            raise ScenarioError(
                "schedule.step",
                f"block {i} runs from {starts[i]} to {starts[i + 1]}, longer than spread: "
                f"even spaces rows over ({MAX_EVEN_SPAN.days} days); use a smaller step or "
                "spread: none",
            )
    return starts


def _time_begin(
    schedule: Any, starts: list[pd.Timestamp] | None, index: int
) -> pd.Timestamp | None:
    """Block start time (the schedule's start for every block when time steps by rows)."""
    if starts is None:
        return None
    return starts[0] if schedule.spread == "rows" else starts[index]


def _classes(generator: Generator, timeline: Timeline) -> tuple[Hashable, ...] | None:
    """Class labels over every concept the rows come from (a later concept may add
    classes)."""
    if generator.classes() is None:
        return None
    labels: set[Hashable] = set()
    for params in timeline.concepts:
        labels |= set(generator.classes_for(params) or ())
    return tuple(sorted(labels, key=lambda v: (str(type(v)), v)))


def _stream_states(
    generator: Generator, timeline: Timeline, starts: list[int], seeds: SeedTree
) -> tuple[dict[int, Any], ...]:
    """Per block, the stream state of every concept with internal drift (planning pass)."""
    if not isinstance(generator, ConceptGenerator) or not generator.stateful:
        return ()
    out: list[dict[int, Any]] = [{} for _ in starts]
    for k, params in enumerate(timeline.concepts):
        states = generator.stream_states(k, params, starts, seeds)
        if states is not None:
            for b, state in enumerate(states):
                out[b][k] = state
    return tuple(out)


def _fill_model_seeds(params: GeneratorParams, concept: int, seeds: SeedTree) -> GeneratorParams:
    fill = {f: seeds.model(concept, f) for f in params.seed_fields if getattr(params, f) is None}
    return params.model_copy(update=fill) if fill else params


def _timeline(
    scenario: Scenario, generator: Generator, sizes: list[int], seeds: SeedTree
) -> tuple[Timeline, tuple[str | None, ...]]:
    schedule = scenario.schedule
    n_rows = sum(sizes)
    starts: list[int] = []
    pieces: list[tuple[GeneratorParams, str | None]] = []
    if schedule.sequence is not None:
        named = scenario.named_concepts()
        cycle = sum(item.rows for item in schedule.sequence)
        segments = -(-n_rows // cycle) * len(schedule.sequence) if schedule.repeat else 0
        if segments > MAX_SEGMENTS:
            raise ScenarioError(
                "schedule.sequence",
                f"repeats into about {segments:,} segments over the {n_rows:,} rows; at most "
                f"{MAX_SEGMENTS:,}: use longer segments",
            )
        row = 0
        while row < n_rows:
            for item in schedule.sequence:
                if row >= n_rows:
                    break
                starts.append(row)
                pieces.append((named[item.concept], item.concept))
                row += item.rows
            if not schedule.repeat:
                break
    else:
        row = 0
        for params, size in zip(scenario.block_params(len(sizes)), sizes, strict=True):
            starts.append(row)
            pieces.append((params, None))
            row += size
    raw: list[GeneratorParams] = []
    names: list[str | None] = []
    ids: list[int] = []
    runs: list[int] = []  # where each run of one concept starts (pieces merged)
    for row, (params, name) in zip(starts, pieces, strict=True):
        if params not in raw:
            raw.append(params)
            names.append(name)
        k = raw.index(params)
        if not ids or ids[-1] != k:  # a concept carried on (next block, repeated segment)
            ids.append(k)
            runs.append(row)
    concepts = tuple(_fill_model_seeds(p, k, seeds) for k, p in enumerate(raw))
    if isinstance(generator, ConceptGenerator):
        for k, concept in enumerate(concepts):
            problem = generator.engine_problem(concept)
            if problem:
                raise ScenarioError("generator.engine", f"concept {k}: {problem}")
    timeline = Timeline(
        np.asarray(runs, dtype=np.int64),
        np.asarray(ids, dtype=np.int64),
        concepts,
        schedule.transition,
    )
    _check_transition(timeline, generator, n_rows)
    return timeline, tuple(names)


def _check_transition(timeline: Timeline, generator: Generator, n: int) -> None:
    transition = timeline.transition
    if isinstance(transition, IncrementalTransition) and timeline.changes():
        if not (isinstance(generator, ConceptGenerator) and generator.supports_blend()):
            raise ScenarioError(
                "schedule.transition.kind",
                f"generator {generator.kind!r} has no numeric concept to interpolate; "
                "use gradual or abrupt",
            )
        if generator.engine != "numpy":
            raise ScenarioError(
                "schedule.transition.kind", "incremental transitions need engine numpy"
            )
        if generator.balance:
            # every row of the window has a concept of its own: there is no concept to
            # oversample, and reordering kept rows would detach them from their weights
            raise ScenarioError(
                "generator.balance",
                "cannot balance an incremental transition (each row of its window has its "
                "own concept); use a gradual transition, or balance: false",
            )
        for _, a, b in timeline.changes():
            generator.check_blend(timeline.concepts[a], timeline.concepts[b])
    # a transition ends before the next change, and before the data ends
    width = timeline.width
    ends = [*timeline.starts.tolist(), n]
    for k in range(1, len(ends) - 1):
        if width > ends[k + 1] - ends[k]:
            until = "the next change" if k + 2 < len(ends) else "the end of the data"
            raise ScenarioError(
                "schedule.transition.width",
                f"{width} rows is wider than the {ends[k + 1] - ends[k]} rows of concept "
                f"{timeline.ids[k]} from row {ends[k]}, where the transition happens, to "
                f"{until}",
            )


def _plan_events(plan: Plan) -> list[EventPlan]:
    @functools.lru_cache(maxsize=2)
    def reference(index: int) -> pd.DataFrame:
        return plan.generator.peek(plan.request(index))

    time_col = next((c.name for c in plan.generator.columns() if c.role == "time"), None)

    def times(index: int) -> np.ndarray | None:
        planned = plan.times(index)
        if planned is not None or time_col is None:
            return planned
        return as_ns(reference(index)[time_col])

    ctx = EventContext(
        columns={c.name: c for c in plan.columns},
        classes=plan.classes,
        n_rows=plan.n_rows,
        n_blocks=len(plan.blocks),
        reference=reference,
        block_starts=tuple(b.row_start for b in plan.blocks),
        block_sizes=tuple(b.size for b in plan.blocks),
        times=times,
        hints=plan.generator.role_hints,
    )
    out = []
    for eid, event in plan.scenario.events().items():
        path = f"drift.{eid}"
        event.check(ctx, path)
        span = _span(plan, event, path)
        _check_profile(event, span, path)
        full = dataclasses.replace(ctx, span=span, shared=plan.seeds.event_shared(eid))
        out.append(EventPlan(eid, event, span, event.prepare(full, path)))
    return out


def _span(plan: Plan, event: DriftEvent, path: str) -> Span:
    where = event.where
    span = Span.from_intervals([(0, plan.n_rows)])
    n_blocks = len(plan.blocks)
    if where.blocks is not None:
        missing = [b for b in where.blocks if b >= n_blocks]
        if missing:
            raise ScenarioError(
                join_path(path, "where.blocks"),
                f"block(s) {missing} do not exist (blocks 0-{n_blocks - 1}; to have more, "
                f"{plan.generator.role_hints['block']})",
            )
        span = span.intersect(
            Span.from_intervals(
                [(plan.blocks[b].row_start, plan.blocks[b].row_stop) for b in where.blocks]
            )
        )
    if where.rows is not None:
        start, stop = where.rows
        if stop > plan.n_rows:
            raise ScenarioError(
                join_path(path, "where.rows"),
                f"[{start}, {stop}) ends past the dataset's {plan.n_rows} rows",
            )
        span = span.intersect(Span.from_intervals([(start, stop)]))
    if where.time is not None:
        span, back = _time_span(plan, where.time, join_path(path, "where.time"), span)
        if back is not None and event.profile.kind != "abrupt":
            # a profile's weight follows the span's row order (width and period count rows):
            # it follows time only when the rows are in time order
            raise ScenarioError(
                join_path(path, "where.time"),
                f"the selected rows, taken block by block, are not in time order (row {back} "
                "of that order is earlier than the row before it), and a profile's weight "
                f"follows the row order: sort the data by {plan.time_column!r} (rows of a "
                "block column whose values interleave are grouped by block first; a table's "
                "generator.params.block_freq sorts by time) or use profile: abrupt",
            )
    elif event.needs_times() and plan.time_column is not None:
        span, _ = _timed_rows(plan, _NAT + 1, None, span)
        if span.total == 0:
            raise ScenarioError(join_path(path, "where"), "selects no row with a timestamp")
    if where.condition is not None:
        columns = {c.name: c for c in plan.columns}
        check_conditions(where.condition, columns, join_path(path, "where.condition"))
    if span.total == 0:
        raise ScenarioError(join_path(path, "where"), "selects no rows")
    return span


def _time_span(
    plan: Plan, window: tuple[Any, Any], path: str, within: Span
) -> tuple[Span, int | None]:
    """The rows of ``within`` inside the time ``window``, and the first that goes back in
    time (see :func:`_timed_rows`)."""
    if plan.time_column is None:
        hint = plan.generator.role_hints["time"]
        raise ScenarioError(path, f"the dataset has no timestamps ({hint})")
    column = next(c for c in plan.columns if c.name == plan.time_column)
    tz = getattr(column.pa_type(), "tz", None)
    mismatch = zone_mismatch(window[0], tz, "t0 and t1")
    if mismatch is not None:
        raise ScenarioError(path, mismatch)
    t0, t1 = (pd.Timestamp(t).value for t in window)
    span, back = _timed_rows(plan, t0, t1, within)
    if span.total == 0:
        times = [
            _block_times(plan, b.index)[within.positions_in(b.row_start, b.row_stop)]
            for b in plan.blocks
        ]
        known = np.concatenate(times)
        known = known[known != _NAT]
        extent = "none of them has one"
        if known.size:
            first, last = (pd.Timestamp(int(v), tz=tz) for v in (known.min(), known.max()))
            extent = f"theirs run from {first} to {last}"
        raise ScenarioError(
            path,
            f"no selected row has a timestamp in [{window[0]}, {window[1]}) ({extent})",
        )
    return span, back


def _block_times(plan: Plan, index: int) -> np.ndarray:
    """Row timestamps of block ``index`` (int64 ns): the schedule's, else the data's."""
    assert plan.time_column is not None
    times = plan.times(index)
    if times is None:
        times = as_ns(plan.generator.peek_column(plan.request(index), plan.time_column))
    return times


def _timed_rows(plan: Plan, t0: int, t1: int | None, within: Span) -> tuple[Span, int | None]:
    """The rows of ``within`` whose timestamp (int64 ns) is in ``[t0, t1)`` (no upper bound
    for ``None``; a missing timestamp, ``NaT``, the smallest int64, is never in), and the
    first of them earlier than the one before it (``None``: they are in time order). Only
    the blocks ``within`` reaches are read."""
    assert plan.time_column is not None
    intervals: list[tuple[int, int]] = []
    back: int | None = None
    last: int | None = None
    for b in plan.blocks:
        candidates = within.positions_in(b.row_start, b.row_stop)
        if not candidates.size:
            continue
        times = _block_times(plan, b.index)[candidates]
        inside = times >= t0 if t1 is None else (times >= t0) & (times < t1)
        at = candidates[inside]
        intervals += [(b.row_start + a, b.row_start + z) for a, z in runs(at)]
        if back is None and at.size:
            kept = times[inside]
            down = np.flatnonzero(np.diff(kept) < 0)
            if down.size:
                back = b.row_start + int(at[down[0] + 1])
            elif last is not None and kept[0] < last:
                back = b.row_start + int(at[0])
            last = int(kept[-1])
    return Span.from_intervals(intervals), back


def runs(positions: np.ndarray) -> list[tuple[int, int]]:
    """Sorted positions as ``[start, stop)`` runs of consecutive values.

    Examples
    --------
    >>> runs(np.array([1, 2, 3, 7, 9, 10]))
    [(1, 4), (7, 8), (9, 11)]
    """
    if positions.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = positions[np.concatenate([[0], breaks])]
    stops = positions[np.concatenate([breaks - 1, [positions.size - 1]])] + 1
    return [(int(a), int(z)) for a, z in zip(starts, stops, strict=True)]


def _check_profile(event: DriftEvent, span: Span, path: str) -> None:
    need = event.profile.min_rows()
    if need > span.total:
        key = "period" if event.profile.kind == "recurrent" else "width"
        raise ScenarioError(
            join_path(path, f"profile.{key}"),
            f"{need} rows is more than the {span.total} rows the event selects",
        )
