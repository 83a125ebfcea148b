"""Which rows a call drifts and how the drift unfolds over them.

Column roles (:class:`Roles`), the seed's row selectors translated to engine ``where``
dicts (:func:`select`), the seed's window parameters (:class:`Timing` and the
``*_timing`` builders) and the events' spans and profiles over a selection
(:func:`placements`). Positions count rows in the engine's order: blocks contiguous, in
order of first appearance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from calmops_gen.arguments import integer, number, whole
from calmops_gen.drift.values import plain
from calmops_gen.drift_injector.options import check_shape, check_window_options
from calmops_gen.errors import ScenarioError
from calmops_gen.schedule import block_layout
from calmops_gen.times import as_ns

TIME_EPSILON = pd.Timedelta(1, "us")
"""Added to an inclusive ``time_end``: the engine's ``where.time`` has microsecond resolution."""

Placement = tuple[str, dict[str, Any], dict[str, Any] | None]
"""``(id suffix, where, profile)`` of one event of a call."""


@dataclass(frozen=True)
class Roles:
    """The columns a call uses as time, block id and label (``None``: none)."""

    time: str | None
    block: str | None
    target: str | None


@dataclass
class Selection:
    """A call's selection: one ``where`` per event placement group (several for
    ``time_ranges``), the block whose figures are the reference, the selector that
    became a ``where.condition`` rather than a span (``filter_key``) and the block selector
    given (``block_key``: ``blocks``, ``block_index`` or ``block_start``)."""

    roles: Roles
    wheres: list[dict[str, Any]]
    reference_block: int | None = None
    filter_key: str | None = None
    block_key: str | None = None

    def release_target(self, columns: Sequence[str]) -> None:
        """Let a feature-style method act on the label column, as the seed allowed: the
        column then has no target role for this call."""
        if self.roles.target is not None and self.roles.target in columns:
            self.roles = Roles(self.roles.time, self.roles.block, None)


@dataclass(frozen=True)
class Timing:
    """How the drift unfolds over the selection (seed window parameters, validated)."""

    kind: Literal["abrupt", "gradual", "incremental", "recurrent"] = "abrupt"
    change_index: int = 0
    center: int | None = None
    width: int | None = None
    shape: str = "sigmoid"
    repeats: int = 1
    windows: tuple[tuple[int, int], ...] | None = None
    duty: float = 0.5
    edge: int = 0


# -- window parameters ------------------------------------------------------------------------


def abrupt_timing(change_index: int) -> Timing:
    """Full drift from selected row ``change_index`` on."""
    return Timing("abrupt", change_index=integer(change_index, "change_index"))


def gradual_timing(
    center: int | None,
    width: int | None,
    profile: str,
    speed_k: float,
    direction: str,
    inconsistency: float,
) -> Timing:
    """The seed's transition window centred at ``center``, ``width`` rows wide."""
    check_window_options(speed_k, direction, inconsistency)
    rows = None if width is None else whole(width, "width")
    if rows is not None and rows < 1:
        raise ScenarioError("width", f"must be at least 1 row (got {rows})")
    return Timing(
        "gradual",
        center=None if center is None else whole(center, "center"),
        width=rows,
        shape=check_shape(profile),
    )


def recurrent_timing(
    windows: Sequence[Sequence[int]] | None,
    repeats: int,
    duty: float | None,
    edge: int,
    profile: str | None,
    speed_k: float,
    direction: str,
    unsupported: Mapping[str, Any] | None = None,
) -> Timing:
    """``repeats`` cycles over the selection (on for a ``duty`` share of each, default 0.5),
    or one window per ``windows`` entry; ``edge`` ramps each on-phase (or window) up and down
    with ``profile`` (default ``sigmoid``). A ``profile`` without ``edge``, ``duty`` with
    ``windows`` and any set ``unsupported`` seed option raise."""
    check_window_options(speed_k, direction)
    for key, value in (unsupported or {}).items():
        if value is not None and value is not False:
            raise ScenarioError(
                key,
                "has no equivalent here: recurrence is set by repeats (+ duty, edge) or "
                "by explicit windows=[(center, width), ...] (+ edge)",
            )
    ramp = whole(edge, "edge")
    if ramp < 0:
        raise ScenarioError("edge", f"must be a number of rows >= 0, got {edge!r}")
    if profile is not None and ramp == 0:
        raise ScenarioError(
            "profile",
            "shapes the ramps at the ends of each on-phase, and there are none: give edge > 0 "
            "(with edge=0 the drift switches on and off at once)",
        )
    shape = "sigmoid" if profile is None else check_shape(profile)
    if windows is not None:
        if repeats != 1:
            raise ScenarioError("repeats", "give windows or repeats, not both")
        if duty is not None:
            raise ScenarioError(
                "duty",
                "is the on share of each repeats period; a window is on for its own width "
                "(give windows or duty, not both)",
            )
        if not isinstance(windows, Sequence) or isinstance(windows, str):
            raise ScenarioError(
                "windows", f"must be a list of (center, width) pairs, got {windows!r}"
            )
        pairs = []
        for k, pair in enumerate(windows):
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise ScenarioError(f"windows.{k}", "must be a (center, width >= 1) pair")
            center, width = whole(pair[0], f"windows.{k}"), whole(pair[1], f"windows.{k}")
            if width < 1:
                raise ScenarioError(f"windows.{k}", "must be a (center, width >= 1) pair")
            pairs.append((center, width))
        if not pairs:
            raise ScenarioError("windows", "list at least one (center, width) window")
        return Timing("recurrent", windows=tuple(pairs), edge=ramp, shape=shape)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ScenarioError("repeats", f"must be an integer >= 1, got {repeats!r}")
    on = 0.5 if duty is None else number(duty, "duty")
    if not 0.0 < on <= 1.0:
        raise ScenarioError("duty", f"must be above 0 and at most 1, got {duty!r}")
    return Timing("recurrent", repeats=repeats, duty=on, edge=ramp, shape=shape)


def recurrent_profile(period: int, duty: float, timing: Timing) -> dict[str, Any]:
    """The engine's ``recurrent`` profile of ``period`` rows on for a ``duty`` share, with the
    ramps of ``timing`` (the engine refuses an ``edge`` that leaves no row of the on-phase at
    full weight, reported as ``edge``)."""
    return {
        "kind": "recurrent",
        "period": period,
        "duty": duty,
        "edge": timing.edge,
        "shape": timing.shape,
    }


# -- rows in the engine's order ---------------------------------------------------------------


def engine_order(df: pd.DataFrame, roles: Roles) -> tuple[np.ndarray, np.ndarray]:
    """Row order of the engine (blocks contiguous, in order of first appearance: the
    schedule's :func:`~calmops_gen.schedule.block_layout`) and the block index of each row
    in that order."""
    if roles.block is None:
        return np.arange(len(df)), np.zeros(len(df), dtype=np.int64)
    sizes, order = block_layout(df[roles.block])
    blocks = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return (np.arange(len(df)) if order is None else order), blocks


def positions(
    df: pd.DataFrame,
    roles: Roles,
    where: Mapping[str, Any],
    layout: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Engine rows (global positions) in the span of ``where`` (blocks, rows, time);
    ``layout``: :func:`engine_order` if already computed."""
    order, blocks = engine_order(df, roles) if layout is None else layout
    keep = np.ones(len(df), dtype=bool)
    if "blocks" in where:
        keep &= np.isin(blocks, where["blocks"])
    if "rows" in where:
        a, b = where["rows"]
        keep[:a] = False
        keep[b:] = False
    if "time" in where:
        assert roles.time is not None
        t = as_ns(df[roles.time].iloc[order])
        t0, t1 = (pd.Timestamp(x).value for x in where["time"])
        keep &= (t >= t0) & (t < t1)
    return np.flatnonzero(keep)


def selected_rows(df: pd.DataFrame, sel: Selection) -> np.ndarray:
    """Frame positions (for ``iloc``) of the rows the selection's span covers, in the
    engine's order."""
    layout = engine_order(df, sel.roles)
    rows = np.concatenate([positions(df, sel.roles, w, layout) for w in sel.wheres])
    picked: np.ndarray = layout[0][np.unique(rows)]
    return picked


# -- selectors -> where -----------------------------------------------------------------------


def select(df: pd.DataFrame, roles: Roles, options: Mapping[str, Any]) -> Selection:
    """The seed's row selectors in ``options`` (already checked to be selector, role or
    report keywords) as ``where`` dicts; all given selectors intersect."""
    where: dict[str, Any] = {}
    rows = _rows(df, roles, options)
    if rows is not None:
        where["rows"] = rows
    block_key, blocks = _blocks(df, roles, options)
    if blocks is not None:
        where["blocks"] = blocks
    sel = Selection(roles, [where], None if blocks is None else blocks[0], block_key=block_key)
    _time(df, options, sel)
    return sel


def _listed(value: Any, key: str, what: str) -> list[Any]:
    """``value`` (a list, tuple, array, ...; not text or a mapping) as a list, or an error
    asking ``key`` for ``what``."""
    if isinstance(value, Mapping) or not pd.api.types.is_list_like(value):
        raise ScenarioError(key, f"must be {what}, got {value!r}")
    return list(value)


def _rows(df: pd.DataFrame, roles: Roles, options: Mapping[str, Any]) -> list[int] | None:
    step = options.get("index_step")
    if step is not None and step != 1:
        raise ScenarioError(
            "index_step",
            f"{step} is not supported: a selection is a contiguous span of rows (thin it "
            "at random with apply_drifts and where.fraction instead)",
        )
    start, end = options.get("start_index"), options.get("end_index")
    if start is None and end is None:
        return None
    start = None if start is None else integer(start, "start_index")
    end = None if end is None else integer(end, "end_index")
    key = "start_index" if start is not None else "end_index"
    if roles.block is not None and block_layout(df[roles.block])[1] is not None:
        raise ScenarioError(
            key,
            f"the blocks of {roles.block!r} are not contiguous in the frame, so row "
            "positions are ambiguous; sort the frame by block or select blocks instead",
        )
    a, b, _ = slice(start, end).indices(len(df))
    if b <= a:
        raise ScenarioError(key, f"start_index={start}, end_index={end} select no rows")
    return [a, b]


def _blocks(
    df: pd.DataFrame, roles: Roles, options: Mapping[str, Any]
) -> tuple[str | None, list[int] | None]:
    """The block selector given and the engine's block indices it selects."""
    given = [k for k in ("blocks", "block_index", "block_start") if options.get(k) is not None]
    for key in ("n_blocks", "block_step"):
        if options.get(key) is not None and options.get("block_start") is None:
            raise ScenarioError(key, "needs block_start")
    if not given:
        return None, None
    if len(given) > 1:
        raise ScenarioError(given[1], f"give only one of {', '.join(given)}")
    key = given[0]
    if roles.block is None:
        raise ScenarioError(
            "block_column",
            f"{key} needs a block column: pass block_column= here or to DriftInjector",
        )
    column = df[roles.block]
    _, uniques = pd.factorize(column, use_na_sentinel=False)
    first_seen = [plain(u) for u in uniques]
    if key == "blocks":
        ids = _listed(
            options["blocks"], "blocks", "a list of block ids (block_index=<id> selects one)"
        )
        if not ids:
            raise ScenarioError("blocks", "list at least one block id")
    elif key == "block_index":
        ids = [options["block_index"]]
    else:
        ordered = sorted(plain(u) for u in column.dropna().unique())
        start = options["block_start"]
        if start not in ordered:
            raise ScenarioError(
                "block_start", f"{start!r} is not a block id of {roles.block!r}: {ordered}"
            )
        i0 = ordered.index(start)
        n_blocks = options.get("n_blocks")
        step = options.get("block_step") or 1
        n = len(ordered) - i0 if n_blocks is None else whole(n_blocks, "n_blocks")
        step = whole(step, "block_step")
        if n < 1 or step < 1:
            raise ScenarioError("n_blocks", "n_blocks and block_step must be >= 1")
        ids = ordered[i0 : i0 + n * step : step]
    indices = []
    for block_id in ids:
        if block_id not in first_seen:
            raise ScenarioError(
                key, f"{block_id!r} is not a block id of {roles.block!r}: {first_seen}"
            )
        indices.append(first_seen.index(block_id))
    return key, sorted(set(indices))


def _time(df: pd.DataFrame, options: Mapping[str, Any], sel: Selection) -> None:
    t_start, t_end = options.get("time_start"), options.get("time_end")
    ranges, times = options.get("time_ranges"), options.get("specific_times")
    t_step = options.get("time_step")
    groups = [
        name
        for name, on in (
            ("time_start/time_end", t_start is not None or t_end is not None),
            ("time_ranges", ranges is not None),
            ("specific_times", times is not None),
        )
        if on
    ]
    if not groups and t_step is None:
        return
    if len(groups) > 1:
        raise ScenarioError(
            groups[1].split("/")[0],
            f"give only one of {' or '.join(groups)} (the seed OR-ed "
            "them; here a selection is one time window)",
        )
    time_col = sel.roles.time
    if time_col is None:
        raise ScenarioError(
            "time_col",
            "time selectors need a time column: pass time_col= here or to DriftInjector",
        )
    column = df[time_col]
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column):
        index = None  # pandas would read numbers as nanoseconds since 1970
    else:
        try:
            index = pd.DatetimeIndex(column)
        except (ValueError, TypeError):
            index = None
    if index is None:
        raise ScenarioError(
            "time_col",
            f"{time_col!r} ({column.dtype}) does not hold dates/times; convert it first "
            "(pandas.to_datetime)",
        )
    known = index.dropna()
    if known.empty:
        raise ScenarioError("time_col", f"{time_col!r} holds no timestamps")
    first, last = known.min(), known.max()

    def moment(value: Any, key: str) -> pd.Timestamp:
        """``value`` as a timestamp comparable with the column: a time without a timezone
        is read in the column's own zone (the seed's pandas comparison would have raised)."""
        try:
            t = pd.Timestamp(value)
        except (ValueError, TypeError):
            t = None
        if t is None or pd.isna(t):
            raise ScenarioError(key, f"not a date/time: {value!r}")
        if t.tzinfo is None and index.tz is not None:
            return t.tz_localize(index.tz)
        if t.tzinfo is not None and index.tz is None:
            raise ScenarioError(key, f"{value!r} has a timezone, but {time_col!r} has none")
        return t

    def window(lo: Any, hi: Any, keys: tuple[str, str]) -> list[str]:
        t0 = first if lo is None else moment(lo, keys[0])
        t1 = (last if hi is None else moment(hi, keys[1])) + TIME_EPSILON
        if not t0 < t1:
            if hi is None:
                raise ScenarioError(
                    keys[0], f"{lo} is after the last time in {time_col!r} ({last})"
                )
            if lo is None:
                raise ScenarioError(
                    keys[1], f"{hi} is before the first time in {time_col!r} ({first})"
                )
            raise ScenarioError(keys[1], f"ends ({hi}) before it starts ({lo})")
        return [str(t0.isoformat()), str(t1.isoformat())]

    def one_of(moments: Any, key: str) -> list[dict[str, Any]]:
        stamps = [moment(t, key) for t in moments]
        if not index[selected_rows(df, sel)].isin(stamps).any():
            raise ScenarioError(
                key, f"none of these times occurs in {time_col!r} among the selected rows"
            )
        if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
            # text dates compare as text: the column's own texts of those moments
            texts = pd.unique(column.to_numpy()[np.asarray(index.isin(stamps))])
            return [{"column": time_col, "op": "in", "value": [str(t) for t in texts]}]
        return [{"column": time_col, "op": "in", "value": stamps}]

    where = sel.wheres[0]
    if t_step is not None:
        if t_start is None or t_end is None:
            raise ScenarioError("time_step", "needs both time_start and time_end")
        t0, t1 = moment(t_start, "time_start"), moment(t_end, "time_end")
        try:
            steps = pd.date_range(t0, t1, freq=t_step)
        except (ValueError, TypeError, ZeroDivisionError):  # "0h": a step of nothing
            raise ScenarioError(
                "time_step", f"not a pandas frequency such as '1D' or '6h': {t_step!r}"
            ) from None
        if steps.empty:
            raise ScenarioError(
                "time_step", f"steps of {t_step!r} from {t_start} to {t_end} give no time"
            )
        where["condition"] = one_of(steps, "time_step")
        sel.filter_key = "time_step"
    if t_start is not None or t_end is not None:
        where["time"] = window(t_start, t_end, ("time_start", "time_end"))
    elif ranges is not None:
        pairs = _listed(ranges, "time_ranges", "a list of (start, end) pairs")
        if not pairs:
            raise ScenarioError("time_ranges", "list at least one (start, end) pair")
        sel.wheres = []
        for k, pair in enumerate(pairs):
            key = f"time_ranges.{k}"
            ends = _listed(pair, key, "a (start, end) pair")
            if len(ends) != 2:
                raise ScenarioError(key, f"must be a (start, end) pair, got {pair!r}")
            sel.wheres.append({**where, "time": window(ends[0], ends[1], (key, key))})
    elif times is not None:
        # one timestamp (text, Timestamp, datetime, numpy datetime64) or a list of them
        values = list(times) if pd.api.types.is_list_like(times) else [times]
        if not values:
            raise ScenarioError("specific_times", "list at least one timestamp")
        where["condition"] = one_of(values, "specific_times")
        sel.filter_key = "specific_times"


# -- spans and profiles -----------------------------------------------------------------------


def placements(df: pd.DataFrame, sel: Selection, timing: Timing) -> list[Placement]:
    """``(id suffix, where, profile)`` of every event a call makes per column."""
    if timing.kind == "abrupt" and timing.change_index == 0:
        if len(sel.wheres) == 1:
            return [("", sel.wheres[0], None)]
        return [(f"_t{i}", w, None) for i, w in enumerate(sel.wheres)]
    if len(sel.wheres) > 1:
        raise ScenarioError(
            "time_ranges",
            "a windowed drift over several time ranges has no single-event equivalent; "
            "make one call per range",
        )
    if sel.filter_key is not None:
        raise ScenarioError(
            sel.filter_key,
            "a windowed drift needs a contiguous selection (time_start/time_end, blocks or "
            "row positions), not a list of timestamps",
        )
    where = sel.wheres[0]
    pos = positions(df, sel.roles, where)
    n = len(pos)
    if n == 0:
        raise ScenarioError("where", "the selectors select no rows")

    def narrowed(lo: int, hi: int) -> dict[str, Any]:
        if lo == 0 and hi == n:
            return where
        block = sel.roles.block
        if block is not None and block_layout(df[block])[1] is not None:
            raise ScenarioError(
                sel.block_key or "block_column",
                f"the blocks of {block!r} are not contiguous in the frame, so this window "
                f"(selected rows {lo} to {hi - 1}) cannot be placed: it becomes a span of row "
                "positions, which needs each block's rows together; group them first (for "
                f"example df.sort_values({block!r}, kind='stable')), or drift the whole "
                "selection",
            )
        return {**where, "rows": [int(pos[lo]), int(pos[hi - 1]) + 1]}

    if timing.kind == "abrupt":
        ci = timing.change_index
        if not 0 <= ci < n:
            raise ScenarioError(
                "change_index", f"{ci} is outside the {n} selected rows (0 to {n - 1})"
            )
        return [("", narrowed(ci, n), None)]
    if timing.kind == "incremental":
        return [("", where, {"kind": "incremental"})]
    if timing.kind == "gradual":
        c = n // 2 if timing.center is None else timing.center
        w = max(1, n // 5) if timing.width is None else timing.width
        if not 0 <= c < n:
            raise ScenarioError("center", f"{c} is outside the {n} selected rows (0 to {n - 1})")
        lo = max(0, c - w // 2)
        if w > n - lo:
            raise ScenarioError(
                "width",
                f"the window of {w} rows starting at selected row {lo} (center {c}) runs "
                f"past the {n} selected rows; narrow it or move center",
            )
        return [("", narrowed(lo, n), {"kind": "gradual", "shape": timing.shape, "width": w})]
    if timing.windows is not None:
        out: list[Placement] = []
        for k, (center, width) in enumerate(timing.windows):
            lo = center - width // 2
            hi = lo + width
            if lo < 0 or hi > n:
                raise ScenarioError(
                    f"windows.{k}",
                    f"the window of {width} rows around center {center} spans selected rows "
                    f"{lo} to {hi - 1}, outside the {n} selected rows (0 to {n - 1})",
                )
            shape = recurrent_profile(width, 1.0, timing) if timing.edge else None
            out.append((f"_w{k}", narrowed(lo, hi), shape))
        return out
    period = n // timing.repeats
    if period < 2:
        raise ScenarioError(
            "repeats", f"{timing.repeats} cycles over {n} selected rows leave < 2 rows each"
        )
    profile = recurrent_profile(period, timing.duty, timing)
    return [("", where, profile)]
