"""Dates, times and time zones: as a scenario writes them and as pandas holds them.

A named zone comes from the ``tzdata`` package, never from the host's zone files
(:class:`TzdataZone`), so the same scenario gives the same timestamps on every machine with
the same tzdata version. Text may name a zone after the time, in brackets (RFC 9557:
``2024-03-30T12:00+01:00[Europe/Madrid]``), wherever a scenario gives a moment
(``schedule.start``, ``where.time``, a trend's ``origin``, conditions on timestamps).
Times are counted in int64 nanoseconds since 1970 (UTC for aware ones), the range pandas
timestamps hold (:data:`TIMESTAMP_RANGE`).

Examples
--------
>>> str(parse_moment("2024-07-01T09:00[Europe/Madrid]"))
'2024-07-01 09:00:00+02:00'
>>> in_timestamp_range("2300-01-01")
False
"""

from __future__ import annotations

import contextlib
import importlib
import re
from datetime import UTC, datetime, timezone
from functools import cache
from importlib import metadata, resources
from typing import Any, SupportsIndex
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

#: ``<date/time>[<IANA zone>]`` (RFC 9557): a start in a named time zone.
_ZONED = re.compile(r"(?P<time>.+)\[(?P<zone>[A-Za-z0-9_+\-/]+)\]")


class TzdataZone(ZoneInfo):
    """A named time zone read from the ``tzdata`` package, never from the host's zone files
    (``/usr/share/zoneinfo``, ``PYTHONTZPATH``): the same scenario gives the same timestamps
    on every machine with the same tzdata version, which is part of the dataset's version.

    ``TzdataZone(key)`` gives one shared object per key (pandas compares zones by identity,
    as ``ZoneInfo(key)`` does); it pickles as its key and is read from tzdata again on the
    other side (a worker process). A key tzdata does not list (``../x``, ``Europe``) raises
    :class:`zoneinfo.ZoneInfoNotFoundError`.

    pandas 3 computes the wall times of a zone made by ``ZoneInfo(key)`` from a copy it
    reads by key from the host's files, but those of a zone made by ``ZoneInfo.from_file``
    (which it tells by a ``__reduce__`` that refuses to pickle) through the zone's own
    methods. So pickling goes through ``__reduce_ex__``, and ``__reduce__`` still refuses.

    Examples
    --------
    >>> import pickle
    >>> madrid = TzdataZone("Europe/Madrid")
    >>> madrid is TzdataZone("Europe/Madrid") is pickle.loads(pickle.dumps(madrid))
    True
    >>> datetime(2024, 7, 1, tzinfo=madrid).isoformat()
    '2024-07-01T00:00:00+02:00'
    """

    def __new__(cls, key: str) -> TzdataZone:
        return _tzdata_zone(key)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[type[TzdataZone], tuple[str]]:
        return TzdataZone, (self.key,)


@cache
def _tzdata_keys() -> frozenset[str]:
    """Every zone key tzdata holds (its ``zones`` list)."""
    return frozenset(resources.files("tzdata").joinpath("zones").read_text("utf-8").split())


@cache
def _tzdata_zone(key: str) -> TzdataZone:
    if key not in _tzdata_keys():  # only listed keys: no path of our own, no directory
        raise ZoneInfoNotFoundError(f"no time zone {key!r} in tzdata {tzdata_version()}")
    with resources.files("tzdata.zoneinfo").joinpath(*key.split("/")).open("rb") as fh:
        return TzdataZone.from_file(fh, key=key)


def tzdata_version() -> str:
    """The version of the installed ``tzdata`` package, which named time zones come from.

    Examples
    --------
    >>> tzdata_version() == metadata.version("tzdata")
    True
    """
    return metadata.version("tzdata")


def start_zone(start: str | None) -> str | None:
    """The named time zone of a ``schedule.start`` as the config records it, or ``None``
    (no start, or one with a fixed offset or none).

    Examples
    --------
    >>> start_zone("2024-03-30T12:00:00+01:00[Europe/Madrid]"), start_zone("2024-03-30")
    ('Europe/Madrid', None)
    """
    zoned = _ZONED.fullmatch(start.strip()) if start is not None else None
    return zoned["zone"] if zoned else None


def parse_start(text: str) -> datetime:
    """``schedule.start`` from text: ISO date/time, with an offset or not, optionally
    followed by a named time zone in brackets (RFC 9557), whose clock the timestamps then
    follow (daylight saving time included), by the rules of the ``tzdata`` package
    (:class:`TzdataZone`).

    Examples
    --------
    >>> parse_start("2024-03-30T12:00:00+01:00[Europe/Madrid]").tzinfo
    TzdataZone(key='Europe/Madrid')
    >>> parse_start("2024-03-30 12:00").isoformat()
    '2024-03-30T12:00:00'
    """
    return parse_moment(text).to_pydatetime()


def parse_moment(text: str) -> pd.Timestamp:
    """A date/time as a scenario writes it (see :func:`parse_start`), to the nanosecond.

    Examples
    --------
    >>> str(parse_moment("2024-07-01T09:00[Europe/Madrid]"))
    '2024-07-01 09:00:00+02:00'
    """
    zoned = _ZONED.fullmatch(text.strip())
    try:
        stamp = pd.Timestamp(zoned["time"] if zoned else text)
    except ValueError as exc:
        raise ValueError(f"not a date/time: {text!r}") from exc
    if zoned:
        try:
            zone = TzdataZone(zoned["zone"])
        except ZoneInfoNotFoundError:
            raise ValueError(
                f"unknown time zone {zoned['zone']!r} in {text!r} (tzdata {tzdata_version()} "
                "has no such zone)"
            ) from None
        if stamp.tz is None:
            wall = stamp.to_pydatetime()
            problem = wall_time_problem(wall, zone)
            if problem:
                offset = wall.replace(tzinfo=zone, fold=0).isoformat()[-6:]
                raise ValueError(
                    f"{text!r} is {problem}; give its UTC offset (for example "
                    f"{stamp.isoformat()}{offset}[{zoned['zone']}])"
                )
            stamp = stamp.tz_localize(zone)
        else:
            stamp = stamp.tz_convert(zone)
    return stamp


#: What pandas raises for a wall time a zone skips or repeats: ValueError (pandas 3) and, on
#: pandas 2, pytz's invalid-time errors (not ValueErrors).
WALL_TIME_ERRORS: tuple[type[Exception], ...] = (ValueError,)
with contextlib.suppress(ImportError):  # pandas 3 does without pytz
    WALL_TIME_ERRORS += (importlib.import_module("pytz").exceptions.InvalidTimeError,)


def wall_time_problem(naive: datetime, zone: ZoneInfo) -> str | None:
    """Why the wall time ``naive`` names no single instant in ``zone``: one the zone skips
    (spring forward) or repeats (fall back); ``None`` when it names one.

    Examples
    --------
    >>> madrid = TzdataZone("Europe/Madrid")
    >>> wall_time_problem(datetime(2024, 10, 27, 2, 30), madrid)
    'a wall time Europe/Madrid repeats (the clocks go back)'
    >>> wall_time_problem(datetime(2024, 3, 31, 2, 30), madrid)
    'a wall time Europe/Madrid skips (the clocks go forward)'
    >>> wall_time_problem(datetime(2024, 3, 31, 12, 0), madrid) is None
    True
    """
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        return f"a wall time {zone.key} skips (the clocks go forward)"
    return f"a wall time {zone.key} repeats (the clocks go back)"


def named_zone(value: datetime) -> datetime:
    """``value`` with its zone as a :class:`TzdataZone` when it is a named one: a
    :class:`zoneinfo.ZoneInfo` keeps its wall time (read by tzdata's rules, not the host's),
    a pytz zone its instant. A fixed offset stays as it is, and a zone of any other kind,
    which the config could not record, is refused."""
    tz = value.tzinfo
    if tz is None or isinstance(tz, TzdataZone | timezone):
        return value
    try:
        if isinstance(tz, ZoneInfo) and tz.key is not None:
            return value.replace(tzinfo=TzdataZone(tz.key))
        name = getattr(tz, "zone", None)  # pytz
        if isinstance(name, str):
            return value.astimezone(TzdataZone(name))
    except ZoneInfoNotFoundError as exc:
        raise ValueError(exc.args[0]) from None
    offset = tz.utcoffset(value)
    if offset is not None and all(
        tz.utcoffset(value.replace(month=m)) == offset for m in (1, 4, 7, 10)
    ):
        return value.astimezone(timezone(offset))
    raise ValueError(
        f"time zone {tz!r} cannot be recorded in the config; give a zoneinfo.ZoneInfo (or "
        "text such as '2024-03-30T12:00+01:00[Europe/Madrid]') or a fixed offset"
    )


TIMESTAMP_RANGE = f"the range pandas timestamps hold ({pd.Timestamp.min} to {pd.Timestamp.max})"


def in_timestamp_range(value: Any) -> bool:
    """Whether ``value`` (naive, or aware: compared in UTC) fits a nanosecond timestamp.

    Examples
    --------
    >>> in_timestamp_range("2024-01-01T00:00+02:00"), in_timestamp_range("2300-01-01")
    (True, False)
    """
    t = pd.Timestamp(value)
    if t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return bool(pd.Timestamp.min <= t <= pd.Timestamp.max)


#: Nanoseconds per unit of the datetime64/timedelta64 units pandas holds.
NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def as_ns(values: Any) -> np.ndarray:
    """Timestamps (a Series, array or index; naive or aware) as int64 ns since the epoch
    (UTC for aware ones), whatever their pandas resolution.

    Examples
    --------
    >>> as_ns(pd.Series(pd.to_datetime(["1970-01-01 00:00:01"]).as_unit("s"))).tolist()
    [1000000000]
    """
    return np.asarray(pd.DatetimeIndex(values).as_unit("ns").asi8, dtype=np.int64)


def as_moment(value: Any) -> pd.Timestamp:
    """A date/time as a scenario gives it: text in :func:`parse_moment`'s forms, or a
    date/time object. A number is a :class:`TypeError`: pandas would read it as nanoseconds
    since 1970.

    Examples
    --------
    >>> str(as_moment("2024-07-01T09:00[Europe/Madrid]")), str(as_moment(datetime(2024, 1, 1)))
    ('2024-07-01 09:00:00+02:00', '2024-01-01 00:00:00')
    """
    if isinstance(value, bool | int | float):
        raise TypeError(
            f"{value!r} is a number; give dates/times as text (2024-01-05T12:00) or datetimes "
            "(pandas would read a number as nanoseconds since 1970)"
        )
    return parse_moment(value) if isinstance(value, str) else pd.Timestamp(value)


def moment_us(value: Any) -> datetime:
    """A moment given in a scenario (an end of ``where.time``, a trend's ``origin``) as a
    Python datetime, at microsecond resolution (finer digits are dropped, not warned about).
    An aware time keeps its instant: it is floored in UTC, so one at a wall time its zone
    repeats stays that instant.

    Examples
    --------
    >>> moment_us("2024-01-01T12:00:00.0000019").isoformat()
    '2024-01-01T12:00:00.000001'
    >>> late = pd.Timestamp("2024-10-27T01:30Z").tz_convert("Europe/Madrid")
    >>> moment_us(late).isoformat()
    '2024-10-27T02:30:00+01:00'
    >>> moment_us("2024-10-27T02:30+01:00[Europe/Madrid]").isoformat()  # a zone, as for start
    '2024-10-27T02:30:00+01:00'
    """
    try:
        t = as_moment(value)
    except TypeError as exc:  # a ValueError, which pydantic reports under the key
        raise ValueError(str(exc)) from None
    if t.tzinfo is None:
        return t.floor("us").to_pydatetime()
    return t.tz_convert("UTC").floor("us").tz_convert(t.tz).to_pydatetime()


def zone_mismatch(moment: datetime, tz: Any, what: str) -> str | None:
    """Why ``moment`` (named ``what`` in the message) cannot be compared with a time column
    in zone ``tz`` (``None``: naive): one is aware and the other naive. ``None`` when they
    agree.

    Examples
    --------
    >>> zone_mismatch(datetime(2024, 1, 5), None, "origin") is None
    True
    >>> zone_mismatch(datetime(2024, 1, 5), "UTC", "origin")  # doctest: +ELLIPSIS
    "the dataset's timestamps have a timezone (UTC), so origin must have one too ..."
    """
    if (moment.tzinfo is not None) == (tz is not None):
        return None
    if tz is not None:
        return (
            f"the dataset's timestamps have a timezone ({tz}), so {what} must have one too "
            "(e.g. 2024-01-05T00:00+00:00)"
        )
    return f"the dataset's timestamps have no timezone, so {what} must not have one"
