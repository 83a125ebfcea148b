"""Label events: ``label_flip`` and ``prior_shift``.

``label_flip``: each selected row's label is flipped with probability ``p(y) * w`` (``w``:
the profile weight, ``y``: the row's current class). ``p(y)`` is

* ``rate`` for every class (the plain form);
* ``rates[y]`` with class-conditional ``rates: {class: rate}`` (classes not listed: ``rate``
  if it is given too, else 0);
* ``rate`` for the classes in ``from_classes`` and 0 for the others.

A flipped row moves to ``to`` when it is given (rows already of class ``to`` never flip);
otherwise a binary target swaps to the other class and a multiclass target moves to one of
the other classes, uniformly. Classes are the generator's (SEA: ``False, True``) or, for a
table, the distinct values of its target column; classes in YAML match by value or text
(``1`` matches ``"1"``, ``true`` matches ``True``). Missing labels are never flipped. The
ground truth records which rows changed; the manifest records ``rows_flipped`` and the
realised ``flip_rate`` next to ``expected_flip_rate`` (``p(y) * w`` summed over the rows with
a label, divided by the rows acted on: the selected rows with weight > 0), and per class
its rows, flips, flip rate and expected flip rate.

``prior_shift``: per block, the selected rows with a label are resampled so that their class
proportions move toward ``target`` (``{class: p}``, summing to 1): the same least-change
scheme as ``category_frequency`` (:func:`calmops_gen.drift.picks.reassign`): target
counts are the largest-remainder rounding of ``target * n``, a class with a surplus gives up
``(c_k - t_k) / c_k * sum(w over its rows)`` rows (rounded so the total is exact; picked at
random with probability proportional to ``w``) and the classes with a deficit receive them in
proportion to their deficit. A row given to class ``k`` is overwritten **whole** (every
feature and the target; never the time or block column) by a copy of a row of class ``k``
drawn uniformly with replacement among the block's selected rows as they were before the
event. Block sizes are kept. At full weight the selected rows' class counts equal the rounded
target exactly; with a constant ``w < 1`` the proportions move the ``w`` share of the way,
``(1 - w) * before + w * target``, up to rounding. A class with a positive target but no
selected row in a block cannot be resampled there: its share is spread over the other target
classes in proportion to their targets for that block (counted in ``blocks_short``; a block
whose selected rows hold none of the target classes is left as it is). Realised:
``proportions_before``, ``proportions_after``, ``expected_proportions``, ``target``,
``rows_resampled``, ``total_variation_before`` / ``_after``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = LabelFlip(kind="label_flip", rate=1.0)
>>> frame = pd.DataFrame({"y": [0, 1, 2, 0]})
>>> prep = {"target": "y", "classes": [0, 1, 2]}
>>> out = ev.apply(frame, np.arange(4), np.ones(4), np.random.default_rng(0), prep)
>>> bool((frame["y"].to_numpy() != np.array([0, 1, 2, 0])).all())
True
>>> ps = PriorShift(kind="prior_shift", target={0: 0.5, 1: 0.5})
>>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 0, 0, 1]})
>>> prep = ps.prepare_from([0, 1], ["x", "y"], "y")
>>> out = ps.apply(frame, np.arange(4), np.ones(4), np.random.default_rng(0), prep)
>>> sorted(frame["y"].tolist()), frame.loc[frame["y"] == 1, "x"].tolist()
([0, 0, 1, 1], [4.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field, ValidationInfo, field_validator, model_validator

from calmops_gen.drift.base import Applied, DriftEvent, EventContext, Site, require_target
from calmops_gen.drift.cells import at_rows, codes_of, known_rows, take_rows, write_codes
from calmops_gen.drift.picks import reassign
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.values import (
    LabelMap,
    Value,
    canon,
    get_counts,
    match_values,
    proportion_report,
    proportion_vector,
    proportions_field,
    put_counts,
)
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.validation import key_error


def require_classes(ctx: EventContext, path: str, kind: str) -> list[Any]:
    """The target's classes (at least two), or raise: classification events need them."""
    target = require_target(ctx, path)
    if not ctx.classes or len(ctx.classes) < 2:
        why = ""
        if pa.types.is_floating(target.pa_type()):
            hint = ctx.hints.get("classes")
            why = f" ({target.name!r} is a float column, so a regression target"
            why += f"; {hint})" if hint else ")"
        raise ScenarioError(
            path, f"{kind} needs a classification target with at least two classes{why}"
        )
    return list(ctx.classes)


def resampled_columns(ctx: EventContext) -> list[str]:
    """Columns a whole-row resampling copies: every feature and the target."""
    return [c.name for c in ctx.columns.values() if c.role in ("feature", "target")]


@EVENTS.register("label_flip")
class LabelFlip(DriftEvent):
    """Flip labels with probability ``rate`` (or a per-class rate) times the profile weight.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.zeros(4), "y": [0, 1, 0, 1]})
    >>> event = {"kind": "label_flip", "rate": 1.0}
    >>> out = inject(df, {"e": event}, target="y")
    >>> out.frame["y"].tolist()
    [1, 0, 1, 0]
    """

    kind: Literal["label_flip"] = "label_flip"
    rates: LabelMap | None = None
    rate: float | None = Field(default=None, ge=0.0, le=1.0, validate_default=True)
    from_classes: list[Value] | None = Field(default=None, min_length=1)
    to: Value | None = None

    changes_subset: ClassVar[bool] = True

    @field_validator("rates")
    @classmethod
    def _check_rates(cls, value: dict[Value, float] | None) -> dict[Value, float] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one class")
            bad = {k: r for k, r in value.items() if not 0.0 <= r <= 1.0}
            if bad:
                raise ValueError(f"rates must be in [0, 1], got {bad}")
        return value

    @field_validator("rate")
    @classmethod
    def _need_rate(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None and "rates" in info.data and info.data["rates"] is None:
            raise ValueError("required key is missing (or give rates: {class: rate})")
        return value

    @field_validator("from_classes")
    @classmethod
    def _check_from(cls, value: list[Value] | None, info: ValidationInfo) -> list[Value] | None:
        if value is not None:
            if info.data.get("rates") is not None:
                raise ValueError("give rates or from_classes, not both")
            if "rate" in info.data and info.data["rate"] is None:
                raise ValueError("needs rate")
        return value

    @model_validator(mode="after")
    def _flips_something(self) -> LabelFlip:
        same = self.from_classes is not None and all(c == self.to for c in self.from_classes)
        if self.to is not None and same:
            raise key_error(
                "to", "changes nothing: every class it flips from is the class 'to'", self.to
            )
        return self

    def check(self, ctx: EventContext, path: str) -> None:
        require_classes(ctx, path, "label_flip")

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        return []

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        target = require_target(ctx, path)
        classes = require_classes(ctx, path, "label_flip")
        out: dict[str, Any] = {"target": target.name, "classes": classes}
        if self.rates is None and self.from_classes is None and self.to is None:
            return out
        k = len(classes)
        rates = np.full(k, self.rate if self.rate is not None else 0.0)
        if self.rates is not None:
            idx = match_values(list(self.rates), classes, join_path(path, "rates"), "class")
            rates[idx] = list(self.rates.values())
        if self.from_classes is not None:
            idx = match_values(self.from_classes, classes, join_path(path, "from_classes"), "class")
            keep = np.zeros(k, dtype=bool)
            keep[idx] = True
            rates[~keep] = 0.0
        if self.to is not None:
            (to,) = match_values([self.to], classes, join_path(path, "to"), "class")
            rates[to] = 0.0
            out["to"] = to
        out["rates"] = rates.tolist()
        return out

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        name = prepared["target"]
        classes = list(prepared["classes"])
        k = len(classes)
        n = len(rows)
        codes = codes_of(at_rows(frame[name], rows), classes)
        valid = codes >= 0
        every = bool(valid.all())
        draw = rng.random(n)
        to = prepared.get("to")
        offset = rng.integers(1, k, size=n) if to is None and k > 2 else None
        if "rates" in prepared:
            rates = np.asarray(prepared["rates"], dtype=np.float64)
            p = np.where(valid, rates[np.maximum(codes, 0)], 0.0) * weights
        else:
            assert self.rate is not None
            p = self.rate * weights if every else np.where(valid, self.rate, 0.0) * weights
        flip = (draw < p) & valid
        # the new class is needed only where a row flips
        at = np.flatnonzero(flip)
        old_flip = codes[at]
        new_flip: np.ndarray
        if to is not None:
            new_flip = np.full(len(at), int(to), dtype=np.int64)
        else:
            new_flip = (old_flip + (1 if offset is None else offset[at])) % k
        write_codes(frame, name, rows[at], classes, new_flip)
        stats = {
            "rows": float(n),
            "flipped": float(len(old_flip)),
            "expected_flips": float(p.sum()),
        }
        known = known_rows(codes)
        put_counts(
            stats,
            rows=np.bincount(known, minlength=k),
            flipped=np.bincount(old_flip, minlength=k),
            expected=np.bincount(known, weights=known_rows(p, codes), minlength=k),
        )
        return Applied(changed=flip, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        classes = prepared["classes"]
        per_class = {}
        keys = ("rows", "flipped", "expected")  # as apply puts them
        counts = (get_counts(totals, key, len(classes)).tolist() for key in keys)
        for c, n, f, e in zip(classes, *counts, strict=True):
            per_class[canon(c)] = {
                "rows": int(n),
                "rows_flipped": int(f),
                "flip_rate": f / n if n else 0.0,
                "expected_flip_rate": e / n if n else 0.0,
            }
        return {
            "rows_flipped": int(totals.get("flipped", 0.0)),
            "flip_rate": totals.get("flipped", 0.0) / rows if rows else 0.0,
            "expected_flip_rate": totals.get("expected_flips", 0.0) / rows if rows else 0.0,
            "per_class": per_class,
        }


@EVENTS.register("prior_shift")
class PriorShift(DriftEvent):
    """Resample whole rows so the selected rows' class proportions move toward ``target``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.arange(8.0), "y": [0, 0, 0, 0, 0, 0, 1, 1]})
    >>> event = {"kind": "prior_shift", "target": {0: 0.5, 1: 0.5}}
    >>> out = inject(df, {"e": event}, target="y")
    >>> sorted(out.frame["y"].tolist())
    [0, 0, 0, 0, 1, 1, 1, 1]
    """

    kind: Literal["prior_shift"] = "prior_shift"
    target: LabelMap

    changes_subset: ClassVar[bool] = True

    @field_validator("target")
    @classmethod
    def _check_target(cls, value: dict[Value, float]) -> dict[Value, float]:
        out = proportions_field(value, "class")
        assert out is not None
        return out

    def check(self, ctx: EventContext, path: str) -> None:
        require_classes(ctx, path, "prior_shift")

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        # whole rows move: every feature and the target (known once planned)
        return list(prepared["columns"]) if prepared else []

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        target = require_target(ctx, path)
        classes = require_classes(ctx, path, "prior_shift")
        return self.prepare_from(classes, resampled_columns(ctx), target.name, path)

    def prepare_from(
        self, classes: list[Any], columns: list[str], target: str, path: str = ""
    ) -> dict[str, Any]:
        """Prepared figures from the classes, the resampled columns and the target's name."""
        vec = proportion_vector(self.target, classes, join_path(path, "target"), "class")
        return {"target": target, "classes": classes, "proportions": vec, "columns": columns}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        classes = list(prepared["classes"])
        k = len(classes)
        codes = codes_of(at_rows(frame[prepared["target"]], rows), classes)
        known = known_rows(codes)
        counts = np.bincount(known, minlength=k)
        target = np.asarray(prepared["proportions"], dtype=np.float64)
        reachable = target * (counts > 0)
        short = bool((target > 0).any() and (reachable < target).any())
        changed = np.zeros(len(rows), dtype=bool)
        counts_after = counts
        if reachable.sum() > 0:
            moved, new, fig = reassign(codes, weights, reachable / reachable.sum(), rng)
            src = np.empty(len(moved), dtype=np.int64)
            for c in range(k):
                here = new == c
                if here.any():
                    pool = np.flatnonzero(codes == c)
                    src[here] = pool[rng.integers(0, len(pool), size=int(here.sum()))]
            copies = (rows[moved], rows[src])
            take_rows(frame, prepared["columns"], *copies)
            changed[moved] = True
            # the moved rows (all of a known class) leave their class for their new one
            counts_after = (
                counts - np.bincount(codes[moved], minlength=k) + np.bincount(new, minlength=k)
            )
            expected = fig["expected_after"]
        else:
            moved = np.empty(0, dtype=np.int64)
            copies = None
            expected = counts.astype(np.float64)
        stats: dict[str, float] = {
            "rows": float(len(known)),
            "moved": float(len(moved)),
            "short": float(short),
        }
        put_counts(stats, before=counts, after=counts_after, expected=expected)
        return Applied(changed=changed, stats=stats, copies=copies)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        n = totals.get("rows", 0.0)
        if not n:
            return {"rows": 0}
        return {
            "rows": int(n),
            "rows_resampled": int(totals.get("moved", 0.0)),
            **proportion_report(
                prepared["classes"], np.asarray(prepared["proportions"]), totals, n
            ),
            "blocks_short": int(totals.get("short", 0.0)),
        }
