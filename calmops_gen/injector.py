"""Drift injection into any pandas DataFrame, with the same event models as the YAML.

:func:`inject` applies validated drift events to a user's frame through the same planner and
engine that :func:`calmops_gen.run` uses for a ``table`` scenario (the command-line
equivalent), in memory, and returns the drifted frame, the per-row ground truth and the
realised effect of every event. The input frame is never modified.

Rows keep their order and index. With ``block_column`` the frame's blocks (one per distinct
value, numbered 0, 1, ... in order of first appearance) are what ``where: {blocks: [...]}``
selects, and each block draws from its own seed; without it the frame is one block.

The engine reads the frame block after block (block 0's rows in frame order, then block
1's, ...): profiles and ``over: rows`` trends count rows in that order. It is the frame's own
order when each block's rows are contiguous; when blocks interleave, ``where.rows`` would be
ambiguous and is refused. The ground truth's ``row`` is always the position in the input.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"x": np.arange(6.0), "y": [0, 1, 0, 1, 0, 1], "b": list("aabbcc")})
>>> out = inject(df, {"up": {"kind": "shift", "features": ["x"], "amount": 10.0,
...                          "where": {"blocks": [1]}}}, block_column="b", target="y")
>>> out.frame["x"].tolist()
[0.0, 1.0, 12.0, 13.0, 4.0, 5.0]
>>> out.ground_truth["up"].tolist()
[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
>>> out.events[0].realised["x"]["mean_shift"]
10.0
>>> df["x"].tolist()  # the input is untouched
[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.errors import OutOfBoundsDatetime

from calmops_gen.drift import DriftEvent
from calmops_gen.engine import EventTally, TruthColumns, produce_block
from calmops_gen.errors import ScenarioError, first_line, repeated, suggest
from calmops_gen.generators.base import BlockRequest, Column, Generator, GeneratorParams
from calmops_gen.manifest import EventInfo
from calmops_gen.plan import Plan, build_plan
from calmops_gen.roles import one_role_each
from calmops_gen.runner import event_infos
from calmops_gen.scenario import load_scenario
from calmops_gen.schedule import block_layout
from calmops_gen.times import TIMESTAMP_RANGE, in_timestamp_range

MEMORY_SOURCE = "<memory>"
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


@dataclass(frozen=True)
class Injection:
    """What :func:`inject` returns.

    ``frame``: the drifted copy (same index and row order as the input); ``ground_truth``:
    one row per input row (``row`` = position in the input, ``block``, and per event its
    weight and, for random-subset events, ``<id>__changed``); ``events``: the manifest
    records of the events (declared parameters, rows selected/affected, realised effects), in
    the order applied.
    """

    frame: pd.DataFrame
    ground_truth: pd.DataFrame
    events: list[EventInfo]
    plan: Plan


_INFERRED = {
    "string": pa.string(),
    "integer": pa.int64(),
    "floating": pa.float64(),
    "mixed-integer-float": pa.float64(),
    "boolean": pa.bool_(),
    "empty": pa.null(),
    "bytes": pa.binary(),
}
"""Arrow's type for an object column of each :func:`pandas.api.types.infer_dtype` kind."""


def arrow_type(column: pd.Series) -> pa.DataType:
    """The Arrow type ``pyarrow.Schema.from_pandas`` gives ``column``, without converting its
    values: from the dtype (numpy and extension dtypes) or, for an object column, from
    pandas' type inference (strings, numbers, booleans; anything else is left to Arrow).

    Raises
    ------
    ScenarioError
        For an object column whose values have no common Arrow type (``"frame"``).

    Examples
    --------
    >>> arrow_type(pd.Series([1.5, 2.0])), arrow_type(pd.Series(["a", None], dtype=object))
    (DataType(double), DataType(string))
    >>> arrow_type(pd.Series([1, None], dtype="Int64"))
    DataType(int64)
    """
    dtype = column.dtype
    sample = column.iloc[:0]  # an extension dtype carries its type
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if kind in _INFERRED:
            return _INFERRED[kind]
        sample = column  # dates, decimals, mixtures: Arrow's own inference over the values
    try:
        if isinstance(dtype, np.dtype) and dtype.kind != "O":
            return pa.from_numpy_dtype(dtype)
        return pa.Schema.from_pandas(sample.to_frame(), preserve_index=False).field(0).type
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError) as err:
        raise ScenarioError(
            "frame",
            f"column {column.name!r} ({dtype}) has no Arrow type a dataset can hold ({err}); "
            f"convert it, e.g. frame[{column.name!r}].astype(str)",
        ) from None


class FrameSource(Generator):
    """A pandas frame (already in block order) as a generator; not registered, not in YAML."""

    kind: ClassVar[str] = "frame"
    Params: ClassVar[type[GeneratorParams]] = GeneratorParams
    has_concepts: ClassVar[bool] = False
    accepts_block_params: ClassVar[bool] = False
    role_hints: ClassVar[Mapping[str, str]] = {
        "time": "pass time_column= to inject",
        "target": "pass target= to inject",
        "block": "pass block_column= to inject",
        "classes": "to use it as classes with missing labels, cast it to pandas' nullable Int64",
    }

    def __init__(
        self,
        frame: pd.DataFrame,
        sizes: list[int],
        roles: Mapping[str, Any],
    ) -> None:
        super().__init__(GeneratorParams(), None)
        # one block without a block column: nothing to add (and a user's ``block`` column,
        # if any, is just data)
        self.add_block_column = False
        self.frame = frame
        self.sizes = sizes
        self.roles = roles
        types = {str(name): arrow_type(frame[name]) for name in frame.columns}
        self._columns = tuple(
            Column(
                name,
                str(typ),
                roles.get(name, "feature"),
                nominal=not (pa.types.is_integer(typ) or pa.types.is_floating(typ)),
                arrow_type=typ,
            )
            for name, typ in types.items()
        )

    def columns(self) -> tuple[Column, ...]:
        return self._columns

    def classes(self) -> tuple[Hashable, ...] | None:
        target = next((c for c in self._columns if c.role == "target"), None)
        if target is None or pa.types.is_floating(target.pa_type()):
            return None
        column = self.frame[target.name]
        small = _small_int_classes(column)
        if small is not None:
            return small
        return tuple(sorted(column.dropna().unique().tolist()))

    def source_rows(self) -> int:
        return len(self.frame)

    def own_sizes(self) -> list[int]:
        return self.sizes

    def produce(self, request: BlockRequest) -> pd.DataFrame:
        # Events replace whole columns; they never write into the arrays they read (under
        # copy-on-write they could not). ``frame`` is inject's own copy of the caller's frame
        # (pandas 2) or a copy-on-write reference to it (pandas 3), so a block can be a view
        # (which also serves as ``peek``).
        start, stop = request.row_start, request.row_start + request.size
        if _COPY_ON_WRITE:
            return self.frame.iloc[start:stop].reset_index(drop=True)
        # pandas 2: ``reset_index`` would copy every column; views of each column instead
        return pd.DataFrame(
            {name: _values(self.frame[name])[start:stop] for name in self.frame.columns},
            copy=False,
        )


def _small_int_classes(column: pd.Series) -> tuple[int, ...] | None:
    """The sorted distinct values of a numpy integer column whose values span at most its
    length (a class label column): from its minimum and maximum (a binary label needs no
    more) or one count per value in that span, much cheaper than hashing every row. ``None``
    for anything else.

    Examples
    --------
    >>> _small_int_classes(pd.Series([3, 1, 3])), _small_int_classes(pd.Series([5, 0, 2, 0, 5, 2]))
    ((1, 3), (0, 2, 5))
    >>> _small_int_classes(pd.Series([0, 10**12])) is None  # the span is past the length
    True
    """
    values = column.to_numpy()
    if values.dtype.kind not in "iu" or values.dtype.itemsize > 8 or not len(values):
        return None
    low, high = int(values.min()), int(values.max())
    if high - low <= 1:
        return (low,) if low == high else (low, high)
    if values.dtype == np.uint64 or high - low >= len(values):
        return None
    counts = np.bincount(np.subtract(values, low, dtype=np.int64), minlength=high - low + 1)
    return tuple(int(v) + low for v in np.flatnonzero(counts))


def _values(column: pd.Series) -> Any:
    """The column's numpy array (numpy dtypes) or extension array, not copied."""
    return column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array


def _check_column(frame: pd.DataFrame, name: str | None, key: str) -> None:
    if name is not None and name not in frame.columns:
        cols = [str(c) for c in frame.columns]
        raise ScenarioError(
            key,
            f"the frame has no column {name!r}{suggest(name, cols) or '.'} "
            f"Columns: {', '.join(cols)}",
        )


#: A time of day followed by a UTC offset (or Z) at the end of a text timestamp.
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")


def _text_times(sample: pd.Series, name: str) -> pd.Series | None:
    """``sample`` (text) parsed as times, ``None`` if it is not all date/time text; text with
    UTC offsets, and dates outside the nanosecond range, are refused."""
    if not all(isinstance(v, str) for v in sample):
        return None
    offset = next((v for v in sample if _OFFSET.search(v.strip())), None)
    if offset is not None:
        raise ScenarioError(
            "time_column",
            f"{name!r} is text with UTC offsets ({offset!r}); convert it first, e.g. "
            "pandas.to_datetime(df[col], utc=True).dt.tz_convert(zone)",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 2's format-inference warnings
            return pd.Series(pd.DatetimeIndex(sample))
    except OutOfBoundsDatetime as err:  # pandas 2 (pandas 3 parses it in a coarser unit)
        raise _past_range(name, err) from None
    except (ValueError, TypeError):
        return None


def _past_range(name: str | None, err: OutOfBoundsDatetime) -> ScenarioError:
    """The error for text times that pandas found outside the nanosecond range."""
    return ScenarioError(
        "time_column", f"{name!r}: {first_line(err)} (the engine counts in {TIMESTAMP_RANGE})"
    )


def _check_time(column: pd.Series, name: str) -> None:
    """Refuse a ``time_column`` that does not hold timestamps the engine can count in: a
    datetime dtype (numpy, tz-aware or Arrow) or text dates/times are times; numbers are not
    (pandas would read them as nanoseconds since 1970). Timestamps outside the nanosecond
    range (a ``9999-12-31`` "end of time" in a ``datetime64[us]`` column) and text with UTC
    offsets (whose zone the written text would lose) are refused too, with what to do.

    Examples
    --------
    >>> _check_time(pd.Series(["2024-01-01", "2024-01-02"]), "t")
    >>> _check_time(pd.Series(["2024-01-01T00:30+01:00"]), "t")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: time_column: 't' is text with UTC offsets ...
    >>> late = pd.Series(np.array(["2024-01-01", "9999-12-31"], dtype="datetime64[us]"))
    >>> _check_time(late, "ts")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: time_column: 'ts' holds 9999-12-31 00:00:00, outside ...
    """
    dtype = column.dtype
    arrow = getattr(dtype, "pyarrow_dtype", None)
    values: pd.Series | None
    if pd.api.types.is_datetime64_any_dtype(dtype) or (
        arrow is not None and (pa.types.is_timestamp(arrow) or pa.types.is_date(arrow))
    ):
        values = column
    elif pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        # text is checked on its first 1,000 values; the engine parses all of it where it
        # needs times (a later value outside the range is reported there)
        values = _text_times(column.dropna().iloc[:1000], name)
    else:
        values = None
    if values is None:
        raise ScenarioError(
            "time_column",
            f"{name!r} ({dtype}) does not hold dates/times; convert it first (pandas.to_datetime)",
        )
    for value in (values.min(), values.max()):
        if not pd.isna(value) and not in_timestamp_range(value):
            raise ScenarioError(
                "time_column",
                f"{name!r} holds {value}, outside {TIMESTAMP_RANGE}, in which the engine "
                "counts time; replace such sentinels with a missing value (NaT)",
            )


def _concat(frames: list[pd.DataFrame], source: pd.DataFrame) -> pd.DataFrame:
    """Blocks stacked in order, column by column (numpy columns with one concatenate; much
    cheaper than ``pd.concat`` of whole frames). A column that no event changed in any block
    still shares memory with ``source`` (the blocks are views of it) and is taken from it
    as is.
    """
    if len(frames) == 1:
        return frames[0]
    columns: dict[str, Any] = {}
    for name in frames[0].columns:
        parts = [f[name] for f in frames]
        dtype = parts[0].dtype
        if isinstance(dtype, np.dtype) and all(p.dtype == dtype for p in parts):
            arrays = [p.to_numpy() for p in parts]
            if _untouched(arrays, source[name]):
                columns[name] = source[name]
                continue
            # keep the dtype (an object column must not become pandas 3's ``str``)
            columns[name] = pd.Series(np.concatenate(arrays), dtype=dtype, copy=False)
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns, copy=False)


def _untouched(arrays: list[np.ndarray], column: pd.Series) -> bool:
    """True when the blocks' arrays are, in order, the very memory of ``column``."""
    whole = column.to_numpy()
    if whole.dtype != arrays[0].dtype or whole.ndim != 1 or not whole.flags.c_contiguous:
        return False
    start = whole.__array_interface__["data"][0]
    step = whole.itemsize
    offset = 0
    for part in arrays:
        if part.__array_interface__["data"][0] != start + offset * step or not len(part):
            return False
        offset += len(part)
    return offset == len(whole)


def _restore_categories(data: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns stay categorical: the input's categories, then any new ones
    (a ``new_category`` event) in order of appearance."""
    for col in original.columns:
        dtype = original[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) and data[col].dtype != dtype:
            values = data[col].astype(object)
            known = list(dtype.categories)
            seen = set(known)
            extra = [v for v in pd.unique(values.dropna()) if v not in seen]
            data[col] = pd.Categorical(values, categories=known + extra, ordered=dtype.ordered)
    return data


def inject(
    frame: pd.DataFrame,
    events: Mapping[str, Mapping[str, Any] | DriftEvent],
    *,
    seed: int = 42,
    time_column: str | None = None,
    block_column: str | None = None,
    target: str | None = None,
) -> Injection:
    """Apply ``events`` (id -> event, in order) to a copy of ``frame``.

    Parameters
    ----------
    frame
        Any pandas DataFrame; it is not modified.
    events
        Event id -> event mapping, exactly as under ``drift:`` in a scenario (or validated
        :class:`~calmops_gen.drift.DriftEvent` models).
    seed
        Root of every random draw (same seed, same frame -> same output).
    time_column, block_column, target
        Columns with those roles: ``time`` selections (a datetime column; rows with a missing
        time are in no time window), ``blocks`` selections (blocks are the column's values
        in order of first appearance; missing values form one block of their own), label
        events.

    Returns
    -------
    Injection
        The drifted copy, the per-row ground truth and the events' manifest records.

    Raises
    ------
    ScenarioError
        For invalid events or columns, naming the event id and key (``drift.<id>.<key>``).

    Examples
    --------
    >>> df = pd.DataFrame({"x": np.zeros(4), "y": [0, 1, 0, 1]})
    >>> out = inject(df, {"up": {"kind": "add", "features": ["x"], "value": 2.0,
    ...                          "profile": {"kind": "incremental"}}})
    >>> out.frame["x"].tolist(), out.ground_truth["up"].round(3).tolist()
    ([0.0, 0.6666666666666666, 1.3333333333333333, 2.0], [0.0, 0.333, 0.667, 1.0])
    >>> df["x"].tolist()  # the input is untouched
    [0.0, 0.0, 0.0, 0.0]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ScenarioError("frame", f"must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise ScenarioError("frame", "has no rows")
    other = [c for c in frame.columns if not isinstance(c, str)]
    if other:
        raise ScenarioError(
            "frame",
            f"column names must be strings (events name columns by text), got {other[:5]!r}; "
            "rename them, e.g. frame.columns = frame.columns.astype(str)",
        )
    twice = repeated(frame.columns)
    if twice:
        raise ScenarioError("frame", f"column names must be distinct; repeated: {twice}")
    for name, key in (
        (time_column, "time_column"),
        (block_column, "block_column"),
        (target, "target"),
    ):
        _check_column(frame, name, key)
    one_role_each("", {"target": target, "time_column": time_column, "block_column": block_column})
    if time_column is not None:
        _check_time(frame[time_column], time_column)
    if not isinstance(events, Mapping):
        raise ScenarioError(
            "events",
            f"must map event ids to events ({{id: {{kind: ...}}}}), got {type(events).__name__}",
        )
    if block_column is not None:
        sizes, order = block_layout(frame[block_column])
    else:
        sizes, order = [len(frame)], None
    work = (frame if order is None else frame.iloc[order]).reset_index(drop=True)
    named = ((target, "target"), (time_column, "time"), (block_column, "block"))
    roles = {name: role for name, role in named if name is not None}
    raw: dict[str, Any] = {}
    for eid, ev in events.items():
        # anything else is left to the scenario's validation, which names the event
        raw[eid] = ev.model_dump(mode="json") if isinstance(ev, DriftEvent) else ev
    scenario = load_scenario(
        {
            "name": "inject",
            "seed": seed,
            "generator": {"kind": "table", "params": {"source": MEMORY_SOURCE}},
            "drift": raw,
        }
    )
    plan = build_plan(scenario, FrameSource(work, sizes, roles))
    if order is not None:
        for planned in plan.events:
            if planned.event.where.rows is not None:
                raise ScenarioError(
                    f"drift.{planned.id}.where.rows",
                    f"the blocks of {block_column!r} are not contiguous in the frame, so row "
                    "positions are ambiguous (the engine counts rows block by block); sort "
                    "the frame by block, or select with where.blocks or where.condition",
                )
    whole = TruthColumns(len(work))
    try:
        outputs = [produce_block(plan, i, whole) for i in range(len(plan.blocks))]
    except OutOfBoundsDatetime as err:  # text times past the first 1,000 (see _check_time)
        raise _past_range(time_column, err) from None
    totals = [EventTally() for _ in plan.events]
    for out in outputs:
        for total, tally in zip(totals, out.tallies, strict=True):
            total.add(tally)
    data = _concat([o.data for o in outputs], work)
    truth = whole.frame()
    if order is not None:
        inverse = np.argsort(order, kind="stable")
        data = data.iloc[inverse]
        truth = truth.iloc[inverse].reset_index(drop=True)
        truth["row"] = np.arange(len(frame), dtype=np.int64)
    data = _restore_categories(data, frame)
    data.index = frame.index
    return Injection(data, truth, event_infos(plan, totals), plan)
