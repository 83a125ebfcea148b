"""The block schedule: sizes, timestamps, per-block concepts and transitions between them.

Everything here is a pure function of the validated schedule, so the runner can plan every
block cheaply before producing any of them.

Examples
--------
>>> sched = Schedule(blocks=3, rows_per_block=4, start="2024-01-01", step={"days": 7})
>>> resolve_sizes(sched, None, "schedule")
[4, 4, 4]
>>> [str(t.date()) for t in block_starts(sched, 3)]  # 3 starts and the end of the last
['2024-01-01', '2024-01-08', '2024-01-15', '2024-01-22']
>>> new_concept_rows(5, "linear").tolist()   # weights 0, .25, .5, .75, 1 -> cumulative
[False, False, True, True, True]
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_serializer, field_validator, model_validator

from calmops_gen.errors import ScenarioError
from calmops_gen.profiles import Shape, ramp_weights
from calmops_gen.times import TIMESTAMP_RANGE, in_timestamp_range, named_zone, parse_start
from calmops_gen.validation import ConfigModel, key_error

STEP_UNITS = (
    "years", "months", "weeks", "days", "hours", "minutes", "seconds",
    "milliseconds", "microseconds", "nanoseconds",
)  # fmt: skip


class AbruptTransition(ConfigModel):
    """The new concept takes over at the first row of the block."""

    kind: Literal["abrupt"] = "abrupt"

    @model_validator(mode="before")
    @classmethod
    def _window_keys(cls, data: Any) -> Any:
        extra = [k for k in ("width", "shape") if isinstance(data, Mapping) and k in data]
        if extra:
            raise key_error(
                extra[0],
                "an abrupt transition has no window (switching transition.kind on the command "
                "line keeps the scenario's other transition keys: replace the whole "
                "transition with '~schedule.transition' '+schedule.transition={kind:abrupt}')",
                data[extra[0]],
            )
        return data


class GradualTransition(ConfigModel):
    """The first ``width`` rows of the block mix the old and new concepts.

    The share of new-concept rows follows ``shape`` from 0 to 1 exactly: row ``j`` of the
    window has weight ``w_j = shape(j / (width - 1))`` and is assigned to the new concept when
    the rounded cumulative weight steps up, so after any prefix of the window the number of
    new-concept rows differs from the cumulative weight by at most one half.
    """

    kind: Literal["gradual"] = "gradual"
    width: int = Field(gt=0)
    shape: Shape = "sigmoid"


class IncrementalTransition(ConfigModel):
    """The first ``width`` rows move continuously from the old concept to the new one.

    Row ``j`` of the window is produced by the concept at interpolation weight
    ``shape(j / (width - 1))`` between the two (generators with a numeric concept only).
    """

    kind: Literal["incremental"] = "incremental"
    width: int = Field(gt=0)
    shape: Shape = "linear"


Transition = Annotated[
    AbruptTransition | GradualTransition | IncrementalTransition, Field(discriminator="kind")
]


class SequenceItem(ConfigModel):
    """One segment of a concept sequence: ``rows`` rows of the named concept."""

    concept: str
    rows: int = Field(gt=0)


#: Most blocks a schedule may have (each is a file, or two) and most rows in one block (far
#: past what memory holds: a block is made whole): a typo (``1e30``) is an error, not an
#: overflow deep in numpy.
MAX_BLOCKS = 1_000_000
MAX_BLOCK_ROWS = 10**10
#: Most concept segments a ``sequence`` may lay out (planning visits each).
MAX_SEGMENTS = 1_000_000


#: One block's row count.
BlockRows = Annotated[int, Field(gt=0, le=MAX_BLOCK_ROWS)]


class Schedule(ConfigModel):
    """Block sizes, timestamps, per-block parameters and concept transitions.

    ``block_params[b]`` changes generator parameters from block ``b`` onward (until a later
    entry changes them again): a schedule of concept changes, not a per-block patch, so
    adding blocks with an override keeps the last concept.

    Alternatively ``concepts`` names parameter sets (each applied on top of
    ``generator.params``) and ``sequence`` lays them out in rows, independent of block
    edges: ``[{concept: A, rows: 5000}, {concept: B, rows: 2000}]`` gives A, B, A, B, ...
    (cycled to the end of the data when ``repeat`` is true; otherwise the last segment runs
    on to the end). A recurrent concept drift.
    """

    blocks: int | None = Field(default=None, gt=0, le=MAX_BLOCKS)
    rows_per_block: int | None = Field(default=None, gt=0, le=MAX_BLOCK_ROWS)
    sizes: Annotated[list[BlockRows], Field(max_length=MAX_BLOCKS)] | None = None
    start: datetime | None = None
    step: dict[str, int] | None = None
    spread: Literal["even", "none", "rows"] = "even"
    rows_per_step: int | None = Field(default=None, gt=0)
    time_column: str = Field(default="timestamp", min_length=1)
    block_params: dict[int, dict[str, Any]] = Field(default_factory=dict)
    concepts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sequence: list[SequenceItem] | None = None
    repeat: bool = True
    transition: Transition = Field(default_factory=AbruptTransition)

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            return parse_start(value)
        if isinstance(value, datetime):
            return named_zone(value)
        return value

    @field_serializer("start", when_used="json")
    def _write_start(self, value: datetime | None) -> str | None:
        # a named zone is written after the offset (RFC 9557), so the config (and the
        # version id) tell Europe/Madrid from +01:00: their later timestamps differ
        if value is None:
            return None
        zone = getattr(value.tzinfo, "key", None)
        return value.isoformat() + (f"[{zone}]" if zone else "")

    @field_validator("start")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        if value is not None and not in_timestamp_range(value):
            raise ValueError(f"is outside {TIMESTAMP_RANGE}")
        return value

    @field_validator("step")
    @classmethod
    def _check_step(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is None:
            return None
        bad = sorted(set(value) - set(STEP_UNITS))
        if bad:
            raise ValueError(f"unknown step unit(s) {bad}; use {', '.join(STEP_UNITS)}")
        if not any(value.values()):
            raise ValueError("step must move time forward (all units are 0)")
        if any(v < 0 for v in value.values()):
            raise ValueError("step units must be >= 0")
        return value

    @field_validator("sizes")
    @classmethod
    def _some_sizes(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and not value:
            raise ValueError("list at least one block size")
        return value

    @field_validator("block_params", mode="before")
    @classmethod
    def _one_key_per_block(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            seen: dict[str, Any] = {}
            for key in value:
                try:
                    number = str(int(str(key).strip()))  # "03", "+3" and 3 are block 3
                except ValueError:
                    continue  # not a block index: the type check says so
                twin = seen.setdefault(number, key)
                if twin is not key:
                    raise ValueError(f"block {key!r} is listed twice (as {twin!r} and {key!r})")
        return value

    @field_validator("block_params")
    @classmethod
    def _check_block_keys(cls, value: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        if any(k < 0 for k in value):
            raise ValueError("block indices must be >= 0")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _check_sizes(self) -> Schedule:
        if self.sizes is not None:
            if self.rows_per_block is not None:
                raise ValueError("give either sizes or rows_per_block, not both")
            if self.blocks is not None and self.blocks != len(self.sizes):
                raise ValueError(f"blocks={self.blocks} but sizes lists {len(self.sizes)} blocks")
        if (self.start is None) != (self.step is None):
            raise ValueError("timestamps need both start and step")
        if (self.spread == "rows") != (self.rows_per_step is not None):
            raise ValueError("rows_per_step goes with spread: rows (and spread: rows needs it)")
        # a setting without effect would still make a new version id for the same bytes
        fields = type(self).model_fields
        idle = [k for k in ("spread", "time_column") if getattr(self, k) != fields[k].default]
        if idle and self.start is None:
            message = "shapes the timestamps: give start and step too"
            raise key_error(idle[0], message, getattr(self, idle[0]))
        if not self.repeat and self.sequence is None:
            raise key_error("repeat", "cycles a concept sequence: give schedule.sequence", False)
        if self.concepts and self.sequence is None:
            raise key_error(
                "concepts",
                "take effect through a sequence (schedule.sequence: [{concept: A, rows: ...}, "
                "...]); give one, or per-block parameters with block_params",
                self.concepts,
            )
        if self.sequence is not None:
            if self.block_params:
                raise ValueError("give either block_params or a concept sequence, not both")
            unknown = sorted({i.concept for i in self.sequence} - set(self.concepts))
            if unknown:
                raise ValueError(
                    f"sequence names undefined concept(s) {unknown}; "
                    f"defined: {sorted(self.concepts)}"
                )
            if not self.sequence:
                raise ValueError("sequence must list at least one segment")
        return self

    @property
    def timed(self) -> bool:
        """True when the schedule generates timestamps."""
        return self.start is not None


def resolve_sizes(schedule: Schedule, total: int | None, path: str) -> list[int]:
    """Block sizes from the schedule; ``total`` is the row count of a table source, if any.

    Synthetic sources need ``sizes`` or ``rows_per_block`` (``blocks`` defaults to 1). A table
    is cut by ``sizes`` (which must sum to its rows), ``rows_per_block`` (the last block takes
    the remainder), ``blocks`` (equal split, remainder to the last block) or left whole.
    """
    if schedule.sizes is not None:
        sizes = list(schedule.sizes)
        if total is not None and sum(sizes) != total:
            raise ScenarioError(
                f"{path}.sizes", f"sum to {sum(sizes)} rows but the table has {total}"
            )
        return sizes
    if total is None:
        if schedule.rows_per_block is None:
            raise ScenarioError(path, "give rows_per_block (with blocks) or sizes")
        return [schedule.rows_per_block] * (schedule.blocks or 1)
    if schedule.rows_per_block is not None:
        n = -(-total // schedule.rows_per_block)
        if schedule.blocks is not None and schedule.blocks != n:
            what = "do not cover" if schedule.blocks < n else "are more than needed for"
            raise ScenarioError(
                f"{path}.blocks",
                f"{schedule.blocks} blocks of {schedule.rows_per_block} rows {what} the "
                f"table's {total} rows ({n} blocks of {schedule.rows_per_block} rows cover "
                "them, the last one holding the rest); give one of blocks and rows_per_block",
            )
        return [schedule.rows_per_block] * (n - 1) + [total - schedule.rows_per_block * (n - 1)]
    blocks = schedule.blocks or 1
    if blocks > total:
        raise ScenarioError(f"{path}.blocks", f"{blocks} blocks but the table has {total} rows")
    base = total // blocks
    return [base] * (blocks - 1) + [total - base * (blocks - 1)]


def block_starts(schedule: Schedule, n_blocks: int) -> list[pd.Timestamp]:
    """Start time of each block and of the end of the last (``n_blocks + 1`` values).

    Block ``i`` starts at ``start + i * step`` (see :func:`steps_from`).
    """
    assert schedule.start is not None and schedule.step is not None
    start = pd.Timestamp(schedule.start)
    return [steps_from(start, schedule.step, i) for i in range(n_blocks + 1)]


def steps_from(start: pd.Timestamp, step: dict[str, int], i: int) -> pd.Timestamp:
    """``start + i * step``, by pandas' calendar arithmetic (``days`` and longer units move
    the wall time, ``hours`` and shorter ones elapsed time). ``start`` itself for ``i = 0``:
    adding a zero offset would read its wall time again and lose which of a repeated hour's
    two instants it is. A later wall time the zone skips moves on by the gap (02:30 ->
    03:30); one it repeats is its first instant (both as Python's ``fold=0``).

    Examples
    --------
    >>> start = pd.Timestamp("2024-10-27T02:30+01:00").tz_convert("Europe/Madrid")
    >>> [str(steps_from(start, {"days": 1}, i)) for i in (0, 1)]
    ['2024-10-27 02:30:00+01:00', '2024-10-28 02:30:00+01:00']
    """
    if i == 0:
        return start
    return start + pd.DateOffset(**{u: v * i for u, v in step.items()})  # type: ignore[arg-type]


def stepped_times(
    start: pd.Timestamp, step: dict[str, int], rows: np.ndarray, rows_per_step: int
) -> np.ndarray:
    """Timestamps (int64 ns) of global ``rows`` when time advances by ``step`` every
    ``rows_per_step`` rows: row ``r`` at ``start + (r // rows_per_step) * step``.

    Examples
    --------
    >>> t = stepped_times(pd.Timestamp("2024-01-31"), {"months": 1}, np.arange(4), 2)
    >>> [str(x.date()) for x in pd.to_datetime(t)]
    ['2024-01-31', '2024-01-31', '2024-02-29', '2024-02-29']
    """
    k = rows // rows_per_step
    steps, inverse = np.unique(k, return_inverse=True)
    stamps = np.array([steps_from(start, step, int(i)).value for i in steps], dtype=np.int64)
    return np.asarray(stamps[inverse], dtype=np.int64)


#: The longest block ``spread: even`` spaces rows over (2**62 ns, about 146 years): a row's
#: offset from its block's start is counted in int64 nanoseconds.
MAX_EVEN_SPAN = pd.Timedelta(2**62, unit="ns")


def row_times(
    begin: pd.Timestamp, end: pd.Timestamp, n: int, spread: Literal["even", "none", "rows"]
) -> np.ndarray:
    """Timestamps (int64 ns since epoch) of ``n`` rows in [begin, end).

    ``even`` spreads rows uniformly (row ``j`` at ``begin + j * (end - begin) / n``);
    ``none`` stamps every row with ``begin`` (``rows`` is handled by :func:`stepped_times`).
    """
    base = np.int64(begin.value)
    if spread == "none" or n == 0:
        return np.full(n, base, dtype=np.int64)
    step = (end.value - begin.value) / n
    offsets = np.floor(np.arange(n) * step).astype(np.int64)
    return np.asarray(offsets + base)


@functools.lru_cache(maxsize=8)
def new_concept_rows(width: int, shape: Shape) -> np.ndarray:
    """Which of the first ``width`` rows of a gradual transition take the new concept
    (read-only, computed once per width and shape: planning asks for it per block)."""
    weights = ramp_weights(shape, np.arange(width), width)
    cumulative = np.floor(np.cumsum(weights) + 0.5)
    new = np.asarray(np.diff(cumulative, prepend=0.0) > 0)
    new.flags.writeable = False
    return new


def block_layout(column: pd.Series) -> tuple[list[int], np.ndarray | None]:
    """Block sizes in order of first appearance, and the stable order that groups the rows
    by block (``None`` when they already are). A sorted integer column (the usual block id)
    is read from its run boundaries, without factorising.

    Examples
    --------
    >>> block_layout(pd.Series([0, 0, 1, 2, 2, 2]))
    ([2, 1, 3], None)
    >>> sizes, order = block_layout(pd.Series(["b", "a", "b"]))
    >>> sizes, order.tolist()
    ([2, 1], [0, 2, 1])
    """
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        values = column.to_numpy()
        edges = np.flatnonzero(values[1:] != values[:-1]) + 1
        # constant between edges: sorted when every edge steps up
        if bool((values[edges] > values[edges - 1]).all()):
            return np.diff(edges, prepend=0, append=len(values)).tolist(), None
    codes, _ = pd.factorize(column, use_na_sentinel=False)
    ordered = bool((np.diff(codes) >= 0).all())
    return np.bincount(codes).tolist(), None if ordered else np.argsort(codes, kind="stable")
