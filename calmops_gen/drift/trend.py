"""Trends: ``trend`` adds a deterministic or random-walk curve to numeric features.

The new value of a feature at a selected row is ``x + w * f(p)``, ``w`` the profile weight
(use the default ``abrupt`` profile for a pure trend) and ``p`` the row's position:

* ``over: rows`` (default): ``p`` is the row's rank inside the event's span (0 at the span's
  first row, counted in global row order across blocks, exactly as profiles count), so the
  curve is continuous across block edges; parameters are per row;
* ``over: time``: ``p`` is the time in days since ``origin`` (default: the start of
  ``where.time`` when the selection has one, else the timestamp of the span's first row);
  parameters are per day. Needs a time column.

Forms of ``f``:

* ``linear``: ``f(p) = slope * p``;
* ``cycle``: ``f(p) = amplitude * sin(2 pi (p / period + phase))`` (``phase`` in periods);
* ``sigmoid``: ``f(p) = amount / (1 + exp(-steepness * (p - midpoint)))``;
* ``random_walk``: ``f(p) = sum of the first p steps``, steps ``N(0, step_std ** 2)``, one
  per span row (``over: rows`` only): ``f(0) = 0`` and the walk is continuous across blocks.
  Every named feature follows the same walk (a common drifting factor).

The random walk is a pure function of the run: block ``b`` holds ``m_b`` span rows whose
steps sum to ``S_b ~ N(0, m_b * step_std ** 2)``; the ``S_b`` are drawn from a sequence
derived from the scenario's seed and the event id (the event's own seed key with the block
part replaced), so every block knows the walk's value at its first row, ``sum(S_j, j < b)``.
Inside the block the steps are ``z - mean(z) + S_b / m_b`` with ``z ~ N(0, step_std ** 2)``
drawn from the block's own event generator: Gaussian steps conditioned on their sum (a
Brownian bridge), so the walk has exactly the declared law and no seam at block edges.

Positions need to know where a block sits in its event's span. The event contract does not
pass that to :meth:`apply`, so :meth:`prepare` rebuilds the layout: it reads every block's
size from ``ctx.reference(b)`` (generating each block once at plan time), and ``apply``
finds its block from the frame's ``block`` column. A ``where.time`` selection with
``over: rows`` and an ``over: time`` trend without ``origin`` whose span starts outside a
``where.time`` window need timestamps at plan time: only a table's own ``time_column`` has
them (schedule timestamps do not exist before a block is stamped), so such a trend on a
schedule-stamped dataset fails with a message asking for ``over: time`` or ``origin``.

Integer columns are rounded half to even. Realised effects per feature (beside the shared
figures of numeric events): ``mean_shift`` (mean of ``x_new - x_old``) beside
``expected_mean_shift`` (mean of ``w * f(p)``), ``rms_shift`` beside ``expected_rms_shift``,
``slope`` (least-squares slope of ``x_new - x_old`` against ``p``, per row or per day) beside
``expected_slope`` (the same fit of ``w * f(p)``: ``slope`` itself for a linear trend at full
weight), ``position_mean``; for a random walk ``step_std`` of the steps drawn beside the
declared one.

Examples
--------
>>> import numpy as np
>>> ev = Trend(kind="trend", features=["a"], form="cycle", amplitude=2.0, period=4.0)
>>> ev.curve(np.arange(5.0)).round(6).tolist()
[0.0, 2.0, 0.0, -2.0, -0.0]
>>> Trend(kind="trend", features=["a"], form="linear", slope=0.5).curve(np.arange(3.0)).tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from calmops_gen.drift.base import EventContext
from calmops_gen.drift.numeric import NumericEvent, key_error
from calmops_gen.drift.registry import EVENTS
from calmops_gen.errors import ScenarioError, join_path

DAY_NS = 86_400_000_000_000
WALK_KEY = 2**40 + 7
_FORM_KEYS = {
    "linear": ("slope",),
    "cycle": ("amplitude", "period"),
    "sigmoid": ("amount", "midpoint", "steepness"),
    "random_walk": ("step_std",),
}


def as_ns(series: pd.Series) -> np.ndarray:
    """Timestamps of a column as int64 nanoseconds since the epoch (UTC for aware ones)."""
    index = pd.DatetimeIndex(series)
    out: np.ndarray = index.as_unit("ns").asi8
    return out


@dataclass(frozen=True)
class TrendRows:
    """What :meth:`Trend.draw` computes for a block's selected rows."""

    position: np.ndarray
    value: np.ndarray
    step2: float = 0.0
    steps: int = 0


@EVENTS.register("trend")
class Trend(NumericEvent):
    """Add ``w * f(p)``: a linear, cyclic, sigmoid or random-walk curve over rows or time."""

    kind: Literal["trend"] = "trend"
    form: Literal["linear", "cycle", "sigmoid", "random_walk"] = "linear"
    over: Literal["rows", "time"] = "rows"
    origin: datetime | None = None
    slope: float | None = None
    amplitude: float | None = None
    period: float | None = Field(default=None, gt=0.0)
    phase: float = 0.0
    amount: float | None = None
    midpoint: float | None = None
    steepness: float | None = Field(default=None, gt=0.0)
    step_std: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _form_keys(self) -> Trend:
        needed = _FORM_KEYS[self.form]
        missing = [k for k in needed if getattr(self, k) is None]
        if missing:
            raise key_error(missing[0], f"form {self.form} needs {', '.join(missing)}")
        for form, keys in _FORM_KEYS.items():
            for key in keys:
                if form != self.form and key not in needed and getattr(self, key) is not None:
                    raise key_error(
                        key, f"belongs to form {form}, not {self.form}", getattr(self, key)
                    )
        if self.phase and self.form != "cycle":
            raise key_error("phase", f"belongs to form cycle, not {self.form}", self.phase)
        if self.form == "random_walk" and self.over == "time":
            raise key_error("over", "form random_walk steps once per row: use over: rows", "time")
        if self.origin is not None and self.over != "time":
            raise key_error("origin", "origin is for over: time", str(self.origin))
        return self

    def curve(self, p: np.ndarray) -> np.ndarray:
        """``f(p)`` for the deterministic forms."""
        if self.form == "linear":
            assert self.slope is not None
            return self.slope * p
        if self.form == "cycle":
            assert self.amplitude is not None and self.period is not None
            out: np.ndarray = self.amplitude * np.sin(2.0 * np.pi * (p / self.period + self.phase))
            return out
        if self.form == "sigmoid":
            assert self.amount is not None and self.midpoint is not None
            assert self.steepness is not None
            with np.errstate(over="ignore"):
                out = self.amount / (1.0 + np.exp(-self.steepness * (p - self.midpoint)))
            return out
        raise ValueError("a random walk has no closed form")

    # -- planning ---------------------------------------------------------------------------

    def check(self, ctx: EventContext, path: str) -> None:
        super().check(ctx, path)
        if self.over == "time" and _role(ctx, "time") is None:
            raise ScenarioError(
                join_path(path, "over"),
                "over: time needs a time column (schedule start/step or the table's time_column)",
            )

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        stats = super().prepare(ctx, path)
        stats["_trend"] = self._plan(ctx, path)
        return stats

    def _plan(self, ctx: EventContext, path: str) -> dict[str, Any]:
        where = self.where
        block_col = _role(ctx, "block")
        time_col = _role(ctx, "time")
        plan: dict[str, Any] = {"block_column": block_col, "time_column": time_col}
        if self.over == "time" and (self.origin is not None or where.time is not None):
            start = pd.Timestamp(self.origin if self.origin is not None else where.time[0])  # type: ignore[index]
            plan["origin_ns"] = int(start.value)
            plan["origin"] = start.isoformat()
            return plan
        need_times = where.time is not None or self.over == "time"
        keys: list[str] = []
        sizes: list[int] = []
        counts: list[int] = []
        first_time: int | None = None
        row = 0
        for b in range(ctx.n_blocks):
            ref = ctx.reference(b)
            size = len(ref)
            keys.append(str(ref[block_col].iloc[0]) if block_col in ref.columns else str(b))
            times = None
            if need_times:
                if time_col not in ref.columns:
                    key, hint = (
                        ("origin", "give origin")
                        if self.over == "time"
                        else ("over", "use over: time with a time selection")
                    )
                    raise ScenarioError(
                        join_path(path, key),
                        "this dataset's timestamps are stamped by the schedule and not known "
                        f"when the event is planned; {hint}",
                    )
                times = as_ns(ref[time_col])
            mask = span_mask(self.where, b, row, size, times)
            if first_time is None and times is not None and mask.any():
                first_time = int(times[np.argmax(mask)])
            sizes.append(size)
            counts.append(int(mask.sum()))
            row += size
        if self.over == "time":
            assert first_time is not None
            plan["origin_ns"] = first_time
            plan["origin"] = pd.Timestamp(first_time).isoformat()
            return plan
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        plan.update(
            keys=keys,
            row_starts=starts.tolist(),
            span_offsets=offsets.tolist(),
            span_rows=counts,
        )
        return plan

    # -- applying ---------------------------------------------------------------------------

    def draw(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
    ) -> tuple[Any, dict[str, float]]:
        plan = prepared["_trend"]
        if self.over == "time":
            t = as_ns(frame[plan["time_column"]])[rows]
            position = (t - int(plan["origin_ns"])) / DAY_NS
            return TrendRows(position, self.curve(position)), {}
        b = plan["keys"].index(str(frame[plan["block_column"]].iloc[0]))
        times = None
        if self.where.time is not None:
            times = as_ns(frame[plan["time_column"]])
        mask = span_mask(self.where, b, int(plan["row_starts"][b]), len(frame), times)
        local = np.cumsum(mask) - 1
        position = (int(plan["span_offsets"][b]) + local[rows]).astype(np.float64)
        if self.form != "random_walk":
            return TrendRows(position, self.curve(position)), {}
        walk, step2 = self._walk(b, plan, int(mask.sum()), rng)
        rows_trend = TrendRows(position, walk[local[rows]], step2, max(int(mask.sum()) - 1, 0))
        return rows_trend, {"step2": step2, "steps": float(rows_trend.steps)}

    def _walk(
        self, block: int, plan: Mapping[str, Any], m: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, float]:
        """Walk values at the block's span rows and the sum of its squared inner steps."""
        assert self.step_std is not None
        counts = np.asarray(plan["span_rows"], dtype=np.float64)
        totals = self.step_std * np.sqrt(counts) * _walk_rng(rng).standard_normal(counts.size)
        carry = float(totals[:block].sum())
        z = self.step_std * rng.standard_normal(m)
        steps = z - z.mean() + totals[block] / m
        walk = carry + np.concatenate([[0.0], np.cumsum(steps)[:-1]])
        return walk, float(np.sum(steps[:-1] ** 2))

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        out: np.ndarray = x + w * picked.value
        return out

    def extra_stats(
        self,
        old: np.ndarray,
        new: np.ndarray,
        w: np.ndarray,
        ref: Mapping[str, Any],
        picked: Any,
    ) -> dict[str, np.ndarray]:
        p, target = picked.position, w * picked.value
        delta = new - old
        return {
            "p": p,
            "p2": p * p,
            "p_delta": p * delta,
            "target": target,
            "target2": target * target,
            "p_target": p * target,
        }

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        def get(key: str) -> float:
            return totals[f"{feature}:{key}"]

        n = get("n")
        sp, spp = get("p"), get("p2")
        var_p = spp / n - (sp / n) ** 2

        def fit(sum_py: float, sum_y: float) -> float | None:
            if var_p <= 0:
                return None
            return (sum_py / n - (sp / n) * (sum_y / n)) / var_p

        out: dict[str, Any] = {
            "form": self.form,
            "over": self.over,
            "mean_shift": get("delta") / n,
            "expected_mean_shift": get("target") / n,
            "rms_shift": float(np.sqrt(get("delta2") / n)),
            "expected_rms_shift": float(np.sqrt(get("target2") / n)),
            "slope": fit(get("p_delta"), get("delta")),
            "expected_slope": fit(get("p_target"), get("target")),
            "position_mean": sp / n,
        }
        if self.form == "random_walk":
            steps = totals.get("steps", 0.0)
            out["step_std"] = float(np.sqrt(totals["step2"] / steps)) if steps else None
            out["expected_step_std"] = self.step_std
        return out


def _role(ctx: EventContext, role: str) -> str | None:
    return next((c.name for c in ctx.columns.values() if c.role == role), None)


def _walk_rng(rng: np.random.Generator) -> np.random.Generator:
    """A generator shared by every block of the event: the block's seed key minus its block
    part (the engine keys an event's block draws as ``(..., event, block)``)."""
    seq = rng.bit_generator.seed_seq
    entropy = getattr(seq, "entropy", None)
    key = tuple(getattr(seq, "spawn_key", ()))
    shared = np.random.SeedSequence(entropy, spawn_key=(*key[:-1], WALK_KEY))
    return np.random.Generator(np.random.PCG64(shared))


def span_mask(
    where: Any, block: int, row_start: int, size: int, times: np.ndarray | None
) -> np.ndarray:
    """Rows of a block inside the span of ``where`` (blocks, rows, time; not the filters).

    Examples
    --------
    >>> from calmops_gen.drift.selection import Where
    >>> span_mask(Where(rows=(3, 6)), 0, 2, 5, None).tolist()
    [False, True, True, True, False]
    """
    mask = np.ones(size, dtype=bool)
    if where.blocks is not None and block not in where.blocks:
        mask[:] = False
    if where.rows is not None:
        index = row_start + np.arange(size)
        mask &= (index >= where.rows[0]) & (index < where.rows[1])
    if where.time is not None:
        assert times is not None
        t0, t1 = (pd.Timestamp(t).value for t in where.time)
        mask &= (times >= t0) & (times < t1)
    return mask
