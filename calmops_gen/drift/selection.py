"""Where an event acts: spans of global rows, thinned by conditions and a random fraction.

A selection has two parts:

* the **span**: the rows allowed by ``blocks``, ``rows`` ``[start, stop)`` and ``time``
  ``[t0, t1)`` (intersected; the whole dataset when none is given). The profile runs over the
  span: a row's profile position is its rank inside the span, counted in global row order,
  so an event that crosses a block edge is continuous;
* the **filter**: ``condition`` (a list of ``{column, op, value}``, all must hold, evaluated
  on the data as it is when the event applies) and ``fraction`` (each span row kept with
  that probability). Filtered-out rows keep weight 0 but do not shift the profile.

Examples
--------
>>> span = Span.from_intervals([(10, 20), (30, 35)])
>>> span.total
15
>>> span.ranks_in(15, 35).tolist()  # block covering rows [15, 35)
[5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
>>> span.positions_in(15, 35).tolist()[:6]
[0, 1, 2, 3, 4, 15]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field, field_validator, model_validator

from calmops_gen.errors import ScenarioError, first_line, join_path, suggest
from calmops_gen.times import (
    NS_PER_UNIT,
    TIMESTAMP_RANGE,
    as_moment,
    in_timestamp_range,
    moment_us,
)
from calmops_gen.validation import ConfigModel

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]


def contiguous(rows: np.ndarray) -> slice | np.ndarray:
    """``rows`` as a slice when they are one increasing run of consecutive positions (so
    that reading them is a view, not a gather), else ``rows`` itself.

    Examples
    --------
    >>> contiguous(np.array([3, 4, 5]))
    slice(3, 6, None)
    >>> contiguous(np.array([3, 5])).tolist()
    [3, 5]
    """
    n = len(rows)
    if n == 0:
        return slice(0, 0)
    first, last = int(rows[0]), int(rows[-1])
    if first < 0 or last - first + 1 != n:
        return rows
    if n > 1 and not bool((rows[1:] > rows[:-1]).all()):
        return rows
    return slice(first, last + 1)


class Condition(ConfigModel):
    """One structured condition on a column (no expressions are evaluated).

    Examples
    --------
    >>> cond = Condition(column="age", op=">=", value=65)
    >>> cond.mask(pd.Series([30, 70, None])).tolist()
    [False, True, False]
    """

    column: str
    op: Op
    value: Any

    @model_validator(mode="after")
    def _check_value(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list | tuple):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.op not in ("in", "not_in") and isinstance(self.value, list | tuple | dict):
            raise ValueError(f"op {self.op!r} needs a single value")
        values = self.value if isinstance(self.value, list | tuple) else [self.value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ValueError(f"needs finite values, got {self.value!r}")
        return self

    def problem(self, arrow_type: pa.DataType) -> str | None:
        """Why the value cannot be compared with a column of ``arrow_type`` (else ``None``).

        Examples
        --------
        >>> Condition(column="d", op=">=", value="2").problem(pa.decimal128(5, 2))
        "the column holds decimals: give numbers; got '2'"
        >>> Condition(column="t", op="<", value=10).problem(pa.duration("s"))
        "the column holds durations: give text with a unit ('10s', '2 days'); got 10"
        >>> Condition(column="t", op="<", value="10s").problem(pa.duration("s")) is None
        True
        """
        values = list(self.value) if isinstance(self.value, list | tuple) else [self.value]
        ordered = self.op in ("<", "<=", ">", ">=")
        if pa.types.is_dictionary(arrow_type):
            arrow_type = arrow_type.value_type
            if not (_is_text(arrow_type) or _is_number(arrow_type)):
                return (
                    f"the column is categorical with {arrow_type} categories; conditions "
                    "on a categorical compare text, numbers or true/false"
                )
        if pa.types.is_boolean(arrow_type):
            if ordered:
                return f"op {self.op!r} does not apply to a boolean column"
            ok = all(isinstance(v, bool) for v in values)
            want = "true/false"
        elif _is_number(arrow_type) or pa.types.is_decimal(arrow_type):
            ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            want = "decimals: give numbers" if pa.types.is_decimal(arrow_type) else "numbers"
        elif pa.types.is_timestamp(arrow_type):
            aware = arrow_type.tz is not None
            try:
                stamps = [as_moment(v) for v in values]
            except TypeError:
                return "the column holds timestamps: give dates/times"
            except ValueError as exc:  # the parser says why (a wall time a zone repeats, ...)
                return f"the column holds timestamps: give dates/times ({first_line(exc)})"
            if not all(in_timestamp_range(t) for t in stamps):
                return f"{self.value!r} is outside {TIMESTAMP_RANGE}"
            ok = all((t.tzinfo is not None) == aware for t in stamps)
            want = "timestamps " + ("with a timezone" if aware else "without a timezone")
        elif pa.types.is_date(arrow_type):
            ok = all(_parses(_date_ns, v) for v in values)
            want = "dates: give them as YYYY-MM-DD"
        elif pa.types.is_time(arrow_type):
            ok = all(_parses(_time_ns, v) for v in values)
            want = "times of day: give quoted text HH:MM[:SS[.ffffff]] (no timezone)"
        elif pa.types.is_duration(arrow_type):
            ok = all(_parses(_duration_ns, v) for v in values)
            want = "durations: give text with a unit ('10s', '2 days')"
        elif _is_text(arrow_type):
            ok = all(isinstance(v, str) for v in values)
            want = "strings"
        else:
            return (
                f"the column is {arrow_type}, which conditions cannot compare (they compare "
                "numbers, text, true/false, timestamps, dates, times of day and durations)"
            )
        return None if ok else f"the column holds {want}; got {self.value!r}"

    def mask(self, series: pd.Series) -> np.ndarray:
        """Rows of ``series`` that satisfy the condition (missing values never do).

        Timestamps, dates, durations and times of day compare exactly as integers in the
        column's own unit (UTC for a timestamp with a timezone), so ``value`` may be any
        date/time text; a decimal column compares with a number as the decimal of its
        shortest text (``0.1`` as ``Decimal("0.1")``, not as the binary float).

        Examples
        --------
        >>> t = pd.Series(pd.date_range("2024-01-01", periods=3, freq="D", tz="Europe/Madrid"))
        >>> Condition(column="t", op=">=", value="2024-01-02T00:00+01:00").mask(t).tolist()
        [False, True, True]
        >>> Condition(column="t", op="not_in", value=["2024-01-02 00:00+01:00"]).mask(t).tolist()
        [True, False, True]
        >>> c = pd.Series(pd.Categorical(["lo", "hi", "mid"], ["lo", "mid", "hi"], ordered=True))
        >>> Condition(column="c", op="<", value="mid").mask(c).tolist()  # category order
        [True, False, False]
        >>> d = pd.Series(pd.to_timedelta(["9s", "10s", None])).astype("timedelta64[s]")
        >>> Condition(column="d", op=">=", value="9500ms").mask(d).tolist()
        [False, True, False]
        """
        known: np.ndarray = np.asarray(series.notna().to_numpy(), dtype=bool)
        listed = self.op in ("in", "not_in")
        wanted: list[Any] = list(self.value) if listed else [self.value]
        ticks = _ticks(series)
        if ticks is not None:
            x, per, to_ns = ticks
            matched = _compare_ticks(x, per, self.op, [to_ns(v) for v in wanted])
            return np.asarray(matched & known, dtype=bool)
        if _holds_decimals(series):
            wanted = [_decimal(v) for v in wanted]
        value: Any = wanted if listed else wanted[0]
        if listed:
            hit: np.ndarray = np.asarray(series.isin(value).to_numpy(), dtype=bool)
            chosen: np.ndarray = (hit if self.op == "in" else ~hit) & known
            return chosen
        if self.op in ("<", "<=", ">", ">=") and getattr(series.dtype, "ordered", False):
            # an ordered categorical compares in its category order, as pandas does
            categories = list(series.cat.categories)
            if value not in categories:
                raise ScenarioError(
                    "where.condition",
                    f"{value!r} is not a category of ordered column {series.name!r} "
                    f"({categories}), so {self.op!r} has no place to compare it",
                )
            series, value = pd.Series(series.cat.codes), categories.index(value)
        every = bool(known.all())
        values = (series if every else series[known]).to_numpy()  # no missing values left
        result = {
            "==": lambda: values == value,
            "!=": lambda: values != value,
            "<": lambda: values < value,
            "<=": lambda: values <= value,
            ">": lambda: values > value,
            ">=": lambda: values >= value,
        }[self.op]()
        if every:
            return np.asarray(result, dtype=bool)
        kept = np.zeros(len(known), dtype=bool)
        kept[known] = np.asarray(result, dtype=bool)
        return kept


def check_conditions(
    conditions: Sequence[Condition], columns: Mapping[str, Any], path: str
) -> None:
    """Refuse conditions on columns that do not exist or with values of the wrong type for
    their column (``columns``: name -> planned column, with ``pa_type()``); ``path`` is the
    config path of the list.

    Examples
    --------
    >>> from calmops_gen.generators import Column
    >>> cols = {"x": Column("x", "double", "feature")}
    >>> try:
    ...     check_conditions([Condition(column="x", op=">=", value="2")], cols, "where.condition")
    ... except ScenarioError as err:
    ...     print(err.path)
    where.condition.0.value
    """
    for k, cond in enumerate(conditions):
        if cond.column not in columns:
            raise ScenarioError(
                join_path(path, f"{k}.column"),
                f"no column {cond.column!r}{suggest(cond.column, columns) or '.'} "
                f"Columns: {', '.join(sorted(columns))}",
            )
        problem = cond.problem(columns[cond.column].pa_type())
        if problem:
            raise ScenarioError(join_path(path, f"{k}.value"), problem)


def _is_text(typ: pa.DataType) -> bool:
    return bool(pa.types.is_string(typ) or pa.types.is_large_string(typ))


def _is_number(typ: pa.DataType) -> bool:
    return bool(pa.types.is_integer(typ) or pa.types.is_floating(typ))


def _parses(to_ns: Callable[[Any], int], value: Any) -> bool:
    """Whether ``to_ns`` takes ``value``."""
    try:
        to_ns(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _moment_ns(value: Any) -> int:
    """Nanoseconds since 1970 of a timestamp or date value (a date as ``YYYY-MM-DD`` may
    lie outside the timestamps pandas holds, as a date column's values may)."""
    try:
        return _date_ns(value)
    except (ValueError, TypeError):
        return int(as_moment(value).value)


def _date_ns(value: Any) -> int:
    """Nanoseconds since 1970 of a date (``datetime.date`` or ``YYYY-MM-DD`` text)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError("not a date")
    return (value - date(1970, 1, 1)).days * 86_400 * 10**9


def _time_ns(value: Any) -> int:
    """Nanoseconds since midnight of a time of day (``datetime.time`` or ``HH:MM[:SS]``
    text, without a timezone)."""
    if isinstance(value, str):
        value = time.fromisoformat(value)
    if not isinstance(value, time) or value.tzinfo is not None:
        raise TypeError("not a time of day without a timezone")
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return (seconds * 10**6 + value.microsecond) * 1000


def _duration_ns(value: Any) -> int:
    """Nanoseconds of a duration (text with a unit, such as ``"10s"``, or a
    ``datetime.timedelta``; a bare number has no unit and is refused)."""
    if not isinstance(value, str | timedelta):
        raise TypeError("a duration needs a unit")
    return int(pd.Timedelta(value).value)


def _holds_decimals(series: pd.Series) -> bool:
    """Whether ``series`` holds decimals: an Arrow decimal column, or an object column of
    ``Decimal`` values (an object column has one value type, see
    :func:`calmops_gen.injector.arrow_type`; floats in an object column stay floats).

    Examples
    --------
    >>> floats = pd.Series([0.1], dtype=object)
    >>> _holds_decimals(pd.Series([Decimal("0.1")])), _holds_decimals(floats)
    (True, False)
    """
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        return bool(pa.types.is_decimal(dtype.pyarrow_dtype))
    if not pd.api.types.is_object_dtype(dtype):
        return False
    known = np.flatnonzero(series.notna().to_numpy())
    return bool(known.size) and isinstance(series.iloc[int(known[0])], Decimal)


def _decimal(value: Any) -> Any:
    """A float as the decimal of its shortest text (``0.1``: ``Decimal("0.1")``), other
    values as they are."""
    return Decimal(repr(value)) if isinstance(value, float) else value


def _ticks(series: pd.Series) -> tuple[np.ndarray, int, Callable[[Any], int]] | None:
    """A timestamp, date, duration or time-of-day column as int64 ticks of its own unit,
    the nanoseconds per tick and how a condition value becomes nanoseconds; ``None`` for
    other columns. Missing values get arbitrary ticks."""
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_time(dtype.pyarrow_dtype):
        ns = pa.array(series).cast(pa.time64("ns")).cast(pa.int64()).fill_null(0)
        return np.asarray(ns.to_numpy(), dtype=np.int64), 1, _time_ns
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if isinstance(dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(None)  # UTC
        to_ns: Callable[[Any], int] = _moment_ns
    elif pd.api.types.is_timedelta64_dtype(dtype):
        to_ns = _duration_ns
    else:
        return None
    array = series.to_numpy()
    unit, count = np.datetime_data(array.dtype)
    per = count * NS_PER_UNIT[unit]
    return array.view(np.int64), per, to_ns


def _compare_ticks(x: np.ndarray, per: int, op: str, wanted: list[int]) -> np.ndarray:
    """``x * per <op> wanted`` for int64 ticks ``x`` (``per`` ns each) and values in ns,
    exactly (the value is rounded to the column's unit in the direction that keeps the
    comparison, never ``x`` scaled up).

    Examples
    --------
    >>> x = np.array([1, 2, 3])
    >>> _compare_ticks(x, 10, ">=", [15]).tolist(), _compare_ticks(x, 10, "==", [15]).tolist()
    ([False, True, True], [False, False, False])
    >>> _compare_ticks(x, 10, "not_in", [20, 25]).tolist()
    [True, False, True]
    """
    if op in ("==", "!=", "in", "not_in"):
        hit = np.isin(x, [v // per for v in wanted if v % per == 0])
        return hit if op in ("==", "in") else ~hit
    floor = wanted[0] // per
    ceil = -(-wanted[0] // per)
    if op == "<":
        return x < ceil
    if op == "<=":
        return x <= floor
    if op == ">":
        return x > floor
    return x >= ceil


class Where(ConfigModel):
    """Selection of an event (DESIGN section 4); every key is optional and they intersect.

    Examples
    --------
    >>> w = Where(blocks=[3, 1, 3], rows=[100, 200])
    >>> w.blocks, w.rows
    ([1, 3], (100, 200))
    """

    blocks: list[int] | None = None
    rows: tuple[int, int] | None = None
    time: tuple[datetime, datetime] | None = None
    condition: list[Condition] | None = None
    fraction: float | None = Field(default=None, gt=0.0, le=1.0)

    @field_validator("blocks")
    @classmethod
    def _check_blocks(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("must list at least one block")
        if any(b < 0 for b in value):
            raise ValueError("block indices must be >= 0")
        return sorted(set(value))

    @field_validator("rows")
    @classmethod
    def _check_rows(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] < value[1]:
            raise ValueError(f"must be [start, stop) with 0 <= start < stop, got {list(value)}")
        return value

    @field_validator("time", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError("must be [t0, t1)")
        return tuple(moment_us(v) for v in value)

    @field_validator("time")
    @classmethod
    def _check_time(
        cls, value: tuple[datetime, datetime] | None
    ) -> tuple[datetime, datetime] | None:
        if value is None:
            return None
        if (value[0].tzinfo is None) != (value[1].tzinfo is None):
            raise ValueError("t0 and t1 must both have a timezone or both have none")
        if not value[0] < value[1]:
            raise ValueError("must be [t0, t1) with t0 < t1")
        if not all(in_timestamp_range(t) for t in value):
            raise ValueError(f"is outside {TIMESTAMP_RANGE}")
        return value


@dataclass(frozen=True)
class Span:
    """Sorted disjoint ``[start, stop)`` intervals of global rows; ranks count across them.

    Examples
    --------
    >>> span = Span.from_intervals([(10, 20), (0, 5), (15, 30)])
    >>> span.starts.tolist(), span.stops.tolist(), span.total
    ([0, 10], [5, 30], 25)
    >>> span.ranks_in(8, 12).tolist()  # rows 10 and 11: ranks 5 and 6
    [5, 6]
    """

    starts: np.ndarray
    stops: np.ndarray

    @classmethod
    def from_intervals(cls, intervals: list[tuple[int, int]]) -> Span:
        """Build a span from intervals (merged and sorted; empty ones dropped)."""
        merged: list[list[int]] = []
        for a, b in sorted(i for i in intervals if i[1] > i[0]):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        arr = np.array(merged, dtype=np.int64).reshape(-1, 2)
        return cls(arr[:, 0].copy(), arr[:, 1].copy())

    def intersect(self, other: Span) -> Span:
        """Rows in both spans."""
        pieces = []
        for a, b in zip(self.starts, self.stops, strict=True):
            lo = np.maximum(a, other.starts)
            hi = np.minimum(b, other.stops)
            pieces += [(int(x), int(y)) for x, y in zip(lo, hi, strict=True) if y > x]
        return Span.from_intervals(pieces)

    @property
    def total(self) -> int:
        """Rows in the span."""
        return int((self.stops - self.starts).sum())

    @property
    def first(self) -> int:
        """First row of the span (0 when empty)."""
        return int(self.starts[0]) if len(self.starts) else 0

    @property
    def last_stop(self) -> int:
        """One past the last row of the span (0 when empty)."""
        return int(self.stops[-1]) if len(self.stops) else 0

    def positions_in(self, row_start: int, row_stop: int) -> np.ndarray:
        """Positions (relative to ``row_start``) of span rows inside ``[row_start, row_stop)``."""
        lo = np.maximum(self.starts, row_start)
        hi = np.minimum(self.stops, row_stop)
        keep = hi > lo
        return _runs(lo[keep] - row_start, hi[keep] - row_start)

    def ranks_in(self, row_start: int, row_stop: int) -> np.ndarray:
        """Rank inside the span of each span row in ``[row_start, row_stop)``."""
        before = np.concatenate([[0], np.cumsum(self.stops - self.starts)[:-1]])
        lo = np.maximum(self.starts, row_start)
        hi = np.minimum(self.stops, row_stop)
        keep = hi > lo
        shift = before[keep] - self.starts[keep]
        return _runs(lo[keep] + shift, hi[keep] + shift)


def _runs(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The integers of the runs ``[starts[i], stops[i])`` in order (one run: no copy).

    Examples
    --------
    >>> _runs(np.array([0, 5]), np.array([2, 7])).tolist(), _runs(np.array([3]), np.array([5]))
    ([0, 1, 5, 6], array([3, 4]))
    """
    bounds = zip(starts.tolist(), stops.tolist(), strict=True)
    pieces = [np.arange(a, b, dtype=np.int64) for a, b in bounds]
    if len(pieces) == 1:
        return pieces[0]
    return np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64)
