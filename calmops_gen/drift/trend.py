"""Trends: ``trend`` adds a deterministic or random-walk curve to numeric features.

The new value of a feature at a selected row is ``x + w * f(p)``, ``w`` the profile weight
(use the default ``abrupt`` profile for a pure trend) and ``p`` the row's position:

* ``over: rows`` (default): ``p`` is the row's rank inside the event's span (0 at the span's
  first row, counted in global row order across blocks, exactly as profiles count), so the
  curve is continuous across block edges; parameters are per row;
* ``over: time``: ``p`` is the time in days since ``origin`` (default: the start of
  ``where.time`` when the selection has one, else the timestamp of the span's first row);
  parameters are per day. Needs a time column; rows whose timestamp is missing are left
  out of the span (weight 0, values kept), as ``where.time`` leaves them out.

Forms of ``f``:

* ``linear``: ``f(p) = slope * p``;
* ``cycle``: ``f(p) = amplitude * sin(2 pi (p / period + phase))`` (``phase`` in periods);
* ``sigmoid``: ``f(p) = amount / (1 + exp(-steepness * (p - midpoint)))``;
* ``random_walk``: ``f(p) = sum of the first p steps``, steps ``N(0, step_std ** 2)``, one
  per span row (``over: rows`` only): ``f(0) = 0`` and the walk is continuous across blocks.
  Every named feature follows the same walk (a common drifting factor).

The random walk is a pure function of the run: block ``b`` holds ``m_b`` span rows whose
steps sum to ``S_b ~ N(0, m_b * step_std ** 2)``; the ``S_b`` are drawn from the event's
run-level seed sequence (the same on every block), so every block knows the walk's value at
its first row, ``sum(S_j, j < b)``. Inside the block the steps are
``z - mean(z) + S_b / m_b`` with ``z ~ N(0, step_std ** 2)`` drawn from the block's own event
generator: Gaussian steps conditioned on their sum (a Brownian bridge), so the walk has
exactly the declared law and no seam at block edges, whatever the executor.

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
from pydantic import Field, field_validator, model_validator

from calmops_gen.drift.base import EventContext, Site
from calmops_gen.drift.numeric import NumericEvent, Realised
from calmops_gen.drift.registry import EVENTS
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.times import TIMESTAMP_RANGE, in_timestamp_range, moment_us, zone_mismatch
from calmops_gen.validation import key_error

DAY_NS = 86_400_000_000_000
_FORM_KEYS = {
    "linear": ("slope",),
    "cycle": ("amplitude", "period"),
    "sigmoid": ("amount", "midpoint", "steepness"),
    "random_walk": ("step_std",),
}


@dataclass(frozen=True)
class TrendRows:
    """What :meth:`Trend.draw` computes for a block's selected rows."""

    position: np.ndarray
    value: np.ndarray
    step2: float = 0.0
    steps: int = 0


@EVENTS.register("trend")
class Trend(NumericEvent):
    """Add ``w * f(p)``: a linear, cyclic, sigmoid or random-walk curve over rows or time.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.zeros(4)})
    >>> event = {"kind": "trend", "features": ["x"], "form": "linear", "slope": 0.5}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [0.0, 0.5, 1.0, 1.5]
    """

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

    @field_validator("origin", mode="before")
    @classmethod
    def _parse_origin(cls, value: Any) -> Any:
        return None if value is None else moment_us(value)

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
        if self.origin is not None and not in_timestamp_range(self.origin):
            raise key_error("origin", f"is outside {TIMESTAMP_RANGE}", str(self.origin))
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

    def needs_times(self) -> bool:
        return self.over == "time"

    def check(self, ctx: EventContext, path: str) -> None:
        super().check(ctx, path)
        if self.over == "time" and _role(ctx, "time") is None:
            raise ScenarioError(
                join_path(path, "over"),
                "over: time needs a time column ("
                + ctx.hints.get("time", "the dataset has none")
                + ")",
            )
        if self.origin is not None:
            mismatch = zone_mismatch(self.origin, _time_zone(ctx), "origin")
            if mismatch is not None:
                raise ScenarioError(join_path(path, "origin"), mismatch)

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        stats = super().prepare(ctx, path)
        stats["_trend"] = self._plan(ctx, path)
        return stats

    def _plan(self, ctx: EventContext, path: str) -> dict[str, Any]:
        assert ctx.span is not None
        span = ctx.span
        if self.over == "time":
            if self.origin is not None or self.where.time is not None:
                start = pd.Timestamp(self.origin if self.origin is not None else self.where.time[0])  # type: ignore[index]
                origin = int(start.value)
            else:
                origin = self._first_time(ctx, span.first)
            stamp, tz = pd.Timestamp(origin, unit="ns"), _time_zone(ctx)
            if tz is not None:
                stamp = stamp.tz_localize("UTC").tz_convert(tz)
            return {"origin_ns": origin, "origin": stamp.isoformat()}
        if self.form != "random_walk":
            return {}
        counts = [
            int(span.positions_in(a, a + n).size)
            for a, n in zip(ctx.block_starts, ctx.block_sizes, strict=True)
        ]
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return {"span_rows": counts, "span_offsets": offsets.tolist()}

    @staticmethod
    def _first_time(ctx: EventContext, row: int) -> int:
        """Timestamp (ns) of global ``row``."""
        assert ctx.times is not None
        block = int(np.searchsorted(np.asarray(ctx.block_starts), row, side="right") - 1)
        times = ctx.times(block)
        assert times is not None
        return int(times[row - ctx.block_starts[block]])

    # -- applying ---------------------------------------------------------------------------

    def draw(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> tuple[Any, dict[str, float]]:
        if site is None:
            raise ValueError("trend needs the engine's site (block and span ranks)")
        plan = prepared["_trend"]
        if self.over == "time":
            assert site.times is not None
            position = (site.times - int(plan["origin_ns"])) / DAY_NS
            return TrendRows(position, self.curve(position)), {}
        position = site.ranks.astype(np.float64)
        if self.form != "random_walk":
            return TrendRows(position, self.curve(position)), {}
        b = site.block
        m = int(plan["span_rows"][b])
        walk, step2 = self._walk(b, plan, m, rng, site.shared)
        local = site.ranks - int(plan["span_offsets"][b])
        rows_trend = TrendRows(position, walk[local], step2, max(m - 1, 0))
        return rows_trend, {"step2": step2, "steps": float(rows_trend.steps)}

    def _walk(
        self,
        block: int,
        plan: Mapping[str, Any],
        m: int,
        rng: np.random.Generator,
        shared: np.random.SeedSequence,
    ) -> tuple[np.ndarray, float]:
        """Walk values at the block's span rows and the sum of its squared inner steps."""
        assert self.step_std is not None
        counts = np.asarray(plan["span_rows"], dtype=np.float64)
        totals_rng = np.random.Generator(np.random.PCG64(shared))
        totals = self.step_std * np.sqrt(counts) * totals_rng.standard_normal(counts.size)
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

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        p, target = picked.position, r.w * picked.value
        return {
            "p": r.total(p),
            "p2": r.dot(p, p),
            "p_delta": r.dot(p, r.delta),
            "target": r.total(target),
            "target2": r.dot(target, target),
            "p_target": r.dot(p, target),
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


def _time_zone(ctx: EventContext) -> Any:
    """The zone of the dataset's time column (``None``: naive, or no time column)."""
    name = _role(ctx, "time")
    return None if name is None else getattr(ctx.columns[name].pa_type(), "tz", None)
