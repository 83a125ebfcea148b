"""Producing one block: generate, stamp, apply every event in order, record ground truth.

:func:`produce_block` is a pure function of (plan, block index): it draws only from the
block's and the events' own seed sequences, so sequential and multi-process runs give the
same bytes.

Examples
--------
>>> from calmops_gen.plan import build_plan
>>> from calmops_gen.scenario import load_scenario
>>> plan = build_plan(load_scenario({
...     "name": "e", "generator": {"kind": "sea"},
...     "schedule": {"blocks": 2, "rows_per_block": 5},
...     "drift": {"up": {"kind": "shift", "features": ["x0"], "amount": 1.0,
...                      "where": {"rows": [3, 7]},
...                      "profile": {"kind": "incremental"}}},
... }))
>>> out = produce_block(plan, 0)
>>> out.ground_truth["up"].round(3).tolist()
[0.0, 0.0, 0.0, 0.0, 0.333]
>>> produce_block(plan, 1).ground_truth["up"].round(3).tolist()
[0.667, 1.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calmops_gen.drift.base import Moments, Site
from calmops_gen.drift.selection import contiguous
from calmops_gen.drift.values import canon
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.plan import BLOCK_COLUMN, EventPlan, Plan
from calmops_gen.times import as_ns


@dataclass
class EventTally:
    """What one event did to one block (summed over blocks by the runner)."""

    selected: int = 0
    affected: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    copied: bool = False  # rows overwritten by copies of others (ground truth moved along)
    moments: dict[str, Moments] = field(default_factory=dict)

    def add(self, other: EventTally) -> None:
        """Accumulate another block's tally into this one (blocks in order: the sums, and
        so the recorded figures, are the same whatever the executor)."""
        self.selected += other.selected
        self.affected += other.affected
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0.0) + value
        for key, moments in other.moments.items():
            self.moments[key] = self.moments.get(key, Moments()) + moments

    def figures(self) -> dict[str, float]:
        """The summed stats and each merged spread's mean and standard deviation
        (``<key>:mean``, ``<key>:std``), as :meth:`~calmops_gen.drift.DriftEvent.realised`
        reads them."""
        out = dict(self.stats)
        for key, m in self.moments.items():
            out[f"{key}:mean"], out[f"{key}:std"] = m.mean, m.std
        return out


@dataclass
class BlockOutput:
    """A produced block: its data, its ground truth columns and what each event did."""

    index: int
    data: pd.DataFrame
    truth: dict[str, np.ndarray]
    tallies: list[EventTally]

    @property
    def ground_truth(self) -> pd.DataFrame:
        """The block's ground truth as a frame (the arrays of ``truth``, not copied)."""
        return pd.DataFrame(self.truth, copy=False)


Alloc = Callable[[str, type], np.ndarray]
"""Zeroed ground-truth column ``(name, dtype)`` for the block being produced."""


class TruthColumns:
    """Whole-run ground-truth columns that every block fills in place.

    For in-memory runs (:func:`calmops_gen.inject`): each block writes its rows into one
    array per column, so the ground truth is never concatenated from per-block pieces (one
    allocation per column instead of one per block plus the concatenation).

    Examples
    --------
    >>> from calmops_gen.plan import build_plan
    >>> from calmops_gen.scenario import load_scenario
    >>> plan = build_plan(load_scenario({
    ...     "name": "t", "generator": {"kind": "sea"},
    ...     "schedule": {"blocks": 2, "rows_per_block": 3}}))
    >>> whole = TruthColumns(plan.n_rows)
    >>> for i in range(2):
    ...     _ = produce_block(plan, i, whole)
    >>> whole.frame()["block"].tolist()
    [0, 0, 0, 1, 1, 1]
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.columns: dict[str, np.ndarray] = {}

    def allocator(self, row_start: int, row_stop: int) -> Alloc:
        """An :data:`Alloc` handing out zeroed views of rows ``[row_start, row_stop)``."""

        def alloc(name: str, dtype: type) -> np.ndarray:
            whole = self.columns.get(name)
            if whole is None:
                # empty + fill touches the pages once (huge pages for large arrays)
                whole = self.columns[name] = np.empty(self.rows, dtype=dtype)
            view = whole[row_start:row_stop]
            view.fill(0)
            return view

        return alloc

    def frame(self) -> pd.DataFrame:
        """The ground truth of every block produced so far, in row order."""
        return pd.DataFrame(self.columns, copy=False)


def _zeros(size: int) -> Alloc:
    def alloc(name: str, dtype: type) -> np.ndarray:
        return np.zeros(size, dtype=dtype)

    return alloc


def produce_block(plan: Plan, index: int, truth_columns: TruthColumns | None = None) -> BlockOutput:
    """Produce block ``index`` of ``plan`` (data and ground truth, events applied).

    With ``truth_columns`` the block's ground truth is written into (and is a view of) those
    whole-run columns.
    """
    block = plan.blocks[index]
    alloc = (
        _zeros(block.size)
        if truth_columns is None
        else truth_columns.allocator(block.row_start, block.row_stop)
    )
    concepts = plan.block_concepts(index)
    frame = plan.generator.produce(plan.request(index, concepts))
    if plan.generator.has_concepts:
        _check_finite(frame, index)
    if plan.adds_block_column:
        _add_column(frame, BLOCK_COLUMN, np.full(block.size, index, dtype=np.int64))
    times = plan.times(index)
    if times is not None:
        time_col = plan.scenario.schedule.time_column
        stamps = pd.DatetimeIndex(times.view("datetime64[ns]"))
        tz = block.time_begin.tz if block.time_begin is not None else None
        _add_column(frame, time_col, stamps.tz_localize("UTC").tz_convert(tz) if tz else stamps)
    truth: dict[str, np.ndarray] = {"row": alloc("row", np.int64)}
    truth["row"][:] = np.arange(block.row_start, block.row_stop, dtype=np.int64)
    truth[BLOCK_COLUMN] = alloc(BLOCK_COLUMN, np.int64)
    truth[BLOCK_COLUMN].fill(index)
    if plan.generator.has_concepts:
        truth["concept"] = alloc("concept", np.int64)
        truth["concept"][:] = concepts.concept
        if plan.incremental:
            truth["concept_weight"] = alloc("concept_weight", np.float64)
            truth["concept_weight"][:] = concepts.weight
    tallies: list[EventTally] = []
    for k, ev in enumerate(plan.events):
        tally = _apply_event(plan, ev, frame, index, alloc, truth)
        if tally.copied:
            _recount_affected(plan.events[:k], tallies, truth)
        tallies.append(tally)
    delay = plan.scenario.label_delay
    if delay is not None:
        lags = delay.draw(block.size, plan.seeds.rng(plan.seeds.label_delay(index)))
        if delay.unit == "rows":
            _add_column(frame, delay.column, truth["row"] + lags)
        else:
            time_col = next(c.name for c in plan.columns if c.role == "time")
            late = as_ns(frame[time_col]) > pd.Timestamp.max.value - lags  # NaT never is
            if late.any():
                raise ScenarioError(
                    "label_delay",
                    f"a delay of {pd.Timedelta(int(lags[late][0]))} after "
                    f"{frame[time_col][late].iloc[0]} is past {pd.Timestamp.max}, the last "
                    "timestamp pandas holds; shorten the delay",
                )
            _add_column(frame, delay.column, frame[time_col] + pd.to_timedelta(lags, unit="ns"))
    return BlockOutput(index, frame, truth, tallies)


def _check_finite(frame: pd.DataFrame, index: int) -> None:
    """Refuse infinite values from a synthetic generator: parameters near the float limit
    (``noise: 1e308``, ``coefficients: [1e308, ...]``) overflow, and river would write
    them silently. One sum per float column; the rare non-finite sum is then looked into.

    Examples
    --------
    >>> _check_finite(pd.DataFrame({"x": [1.0, np.inf]}), 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: generator.params: ... infinite values in column 'x' ...
    """
    for name in frame.columns:
        values = frame[name].to_numpy()
        if values.dtype.kind == "f":
            with np.errstate(over="ignore", invalid="ignore"):
                total = np.add.reduce(values)
            if not np.isfinite(total) and np.isinf(values).any():
                raise ScenarioError(
                    "generator.params",
                    f"the parameters make infinite values in column {name!r} (block {index}); "
                    "use smaller magnitudes",
                )


def _add_column(frame: pd.DataFrame, name: str, values: Any) -> None:
    """Append column ``name``. A generator's frame keeps one array per column, and pandas
    warns about "fragmentation" past 100 columns (Waveform with noise, a wide Hyperplane):
    consolidating would copy every column for nothing, so the warning is not passed on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        frame[name] = values


def time_range(plan: Plan, frame: pd.DataFrame) -> tuple[str, str] | None:
    """ISO timestamps of the block's first and last rows that have a time (when the data
    has a time column; ``None`` when no row of the block has one: a table's missing
    times)."""
    if plan.time_column is None or frame.empty:
        return None
    stamps = frame[plan.time_column].dropna()
    if stamps.empty:
        return None
    return pd.Timestamp(stamps.iloc[0]).isoformat(), pd.Timestamp(stamps.iloc[-1]).isoformat()


def class_counts(plan: Plan, frame: pd.DataFrame) -> dict[str, int] | None:
    """Rows per class of the block as written (classification targets only; the first
    target of a generator with several, whose classes :attr:`Plan.classes` holds)."""
    target = next((c.name for c in plan.columns if c.role == "target"), None)
    if target is None or not plan.classes:
        return None
    codes = pd.Categorical(frame[target], categories=list(plan.classes)).codes
    counts = np.bincount(codes[codes >= 0], minlength=len(plan.classes))
    return {canon(c): int(n) for c, n in zip(plan.classes, counts, strict=True)}


def _apply_event(
    plan: Plan,
    ev: EventPlan,
    frame: pd.DataFrame,
    index: int,
    alloc: Alloc,
    truth: dict[str, np.ndarray],
) -> EventTally:
    """Apply ``ev`` to block ``index`` of ``frame`` in place; its weights (and changed
    flags, for random-subset events) go into ``truth``."""
    block = plan.blocks[index]
    weights = truth[ev.id] = alloc(ev.id, np.float64)
    changed = None
    if ev.subset_column is not None:
        changed = truth[ev.subset_column] = alloc(ev.subset_column, np.bool_)
    positions = ev.span.positions_in(block.row_start, block.row_stop)
    if positions.size == 0:
        return EventTally()
    ranks = ev.span.ranks_in(block.row_start, block.row_stop)
    rng = plan.seeds.rng(plan.seeds.event(ev.id, index))
    where = ev.event.where
    if where.fraction is not None or where.condition:
        keep = np.ones(positions.size, dtype=bool)
        if where.fraction is not None:
            keep &= rng.random(positions.size) < where.fraction
        with _naming(ev.id):
            for cond in where.condition or ():
                keep &= cond.mask(frame[cond.column].iloc[positions])
        positions, ranks = positions[keep], ranks[keep]
    w = ev.event.profile.weights(ranks, ev.span.total)
    weights[contiguous(positions)] = w  # a slice write when the rows are one run
    active = w > 0
    # every selected row active (the common case): no gathers of 1-D copies
    everywhere = bool(active.all())
    rows = positions if everywhere else positions[active]
    time_col = plan.time_column
    site = Site(
        block=index,
        row_start=block.row_start,
        ranks=ranks if everywhere else ranks[active],
        times=as_ns(frame[time_col])[rows] if time_col else None,
        shared=plan.seeds.event_shared(ev.id),
    )
    with _naming(ev.id):
        applied = ev.event.apply(
            frame, rows, w if everywhere else w[active], rng, ev.prepared, site
        )
    if applied.copies is not None:
        _move_truth(truth, applied.copies, own={ev.id, ev.subset_column})
    affected = rows.size
    if applied.changed is not None:
        assert changed is not None, f"{ev.id}: a random-subset event needs changes_subset"
        changed[rows[applied.changed]] = True
        affected = int(applied.changed.sum())
    copied = applied.copies is not None
    return EventTally(int(positions.size), affected, applied.stats, copied, applied.moments)


@contextlib.contextmanager
def _naming(event_id: str) -> Iterator[None]:
    """A problem found in the data while applying event ``event_id`` (its path relative to
    the event) is reported under ``drift.<event_id>``."""
    try:
        yield
    except ScenarioError as err:
        raise ScenarioError(join_path(f"drift.{event_id}", err.path), err.message) from None


def _recount_affected(
    events: Sequence[EventPlan], tallies: list[EventTally], truth: dict[str, np.ndarray]
) -> None:
    """After rows were overwritten by copies of others (``prior_shift``,
    ``covariate_shift``), which carry their ground truth along, count again the rows each
    earlier event affected, as the written ground truth shows them: flagged changed, or
    with a weight above 0 (what ``calmops-gen-verify`` checks)."""
    for ev, tally in zip(events, tallies, strict=True):
        hits = truth[ev.subset_column] if ev.subset_column is not None else truth[ev.id] > 0
        tally.affected = int(np.count_nonzero(hits))


def _move_truth(
    truth: dict[str, np.ndarray], copies: tuple[np.ndarray, np.ndarray], own: set[str | None]
) -> None:
    """Rows overwritten by copies of other rows take those rows' ground truth too: the
    concept (and its weight) and the weights and changed flags of the events before (not
    ``row`` and ``block``, which say where the row is, nor the copying event's ``own``).

    Examples
    --------
    >>> truth = {"row": np.arange(3), "concept": np.array([0, 1, 1]), "e": np.zeros(3)}
    >>> _move_truth(truth, (np.array([0]), np.array([2])), own={"e"})
    >>> truth["concept"].tolist(), truth["row"].tolist()
    ([1, 1, 1], [0, 1, 2])
    """
    dst, src = copies
    for name, column in truth.items():
        if name not in own and name not in ("row", BLOCK_COLUMN):
            column[dst] = column[src]
