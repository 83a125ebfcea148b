"""Concept drift on any table: ``concept`` relabels rows by a declared rule (a new P(y|x)).

Rules (``rule:``), each giving a new label ``y'`` for some of the selected rows:

* ``threshold`` on a numeric ``feature``:

  - ``threshold: t`` alone: every selected row gets ``y' = above if x > t else below``;
  - ``shift: d``: the current threshold ``t0`` moves to ``t0 + d``, and only the rows with
    ``x`` between ``t0`` and ``t0 + d`` get the label the moved rule gives them (the rest of
    P(y|x), noise included, is kept). ``t0`` is ``threshold`` when given, else it is
    estimated on the reference block as the cut of ``feature`` that best separates
    ``below`` from ``above`` (the most accurate one-feature stump; for a binary target
    without ``above``/``below`` both orientations are tried, and ``above``/``below`` name
    the classes the way round the data has them). ``current_threshold``,
    ``new_threshold``, ``above`` and ``below`` are recorded under ``prepared``. A row exactly
    at a threshold counts as below it.

* ``linear`` on numeric ``features``:

  - ``weights: [a_1, ...]`` and ``bias: b``: every selected row gets
    ``y' = above if a . x + b > 0 else below``;
  - ``angle: deg`` (exactly two features): the current boundary (normal ``weights`` when
    given, else the difference of the class means of ``above`` and ``below`` in the
    reference block) passes through the reference mean ``m``; in standardised coordinates
    ``z = (x - m) / s`` (reference std) its normal is rotated by ``deg`` degrees
    (counter-clockwise from the first feature toward the second). Only the rows in the
    wedge where the rotated rule and the current rule disagree get the rotated rule's
    label.

* ``swap``: inside the region given by ``condition`` (a list of ``{column, op, value}``,
  all must hold, like ``where.condition``, evaluated on the data as it is when the event
  applies), rows of ``classes[0]`` become ``classes[1]`` and vice versa.

``above`` and ``below`` default to the two classes of a binary target (sorted: ``below`` is
the first); a multiclass target needs both. With profile weight ``w`` each row that the
rule covers takes its new label with probability ``w`` (so a gradual concept drift is a
growing share of rows under the new concept). Rows with a missing label or missing feature
values are left alone. ``changes_subset``: the ground truth marks the rows whose label
changed. Realised: ``rows``, ``labels_changed``, ``share_changed`` (changed / rows acted
on, the selected rows with weight > 0) beside ``expected_share_changed`` (the sum of ``w``
over the rows whose rule label differs from their label, / rows acted on),
``counts_before`` and ``counts_after`` per class.

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = Concept(kind="concept", rule="threshold", feature="x", threshold=2.5)
>>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1, 1, 0, 0]})
>>> prep = {"target": "y", "classes": [0, 1], "above": 1, "below": 0}
>>> out = ev.apply(frame, np.arange(4), np.ones(4), np.random.default_rng(0), prep)
>>> frame["y"].tolist(), out.stats["changed"]
([0, 0, 1, 1], 4.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationInfo, field_validator

from calmops_gen.drift.base import (
    Applied,
    DriftEvent,
    EventContext,
    Features,
    Site,
    require_block,
    require_columns,
)
from calmops_gen.drift.cells import at_rows, codes_of, write_codes
from calmops_gen.drift.labels import require_classes
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.selection import Condition, check_conditions
from calmops_gen.drift.values import Value, by_label, canon, get_counts, match_values, put_counts
from calmops_gen.errors import ScenarioError, join_path

Rule = Literal["threshold", "linear", "swap"]

_KEYS: dict[str, set[str]] = {
    "threshold": {"feature", "threshold", "shift", "above", "below"},
    "linear": {"features", "weights", "bias", "angle", "above", "below"},
    "swap": {"classes", "condition"},
}
_RULE_KEYS = {"feature", "threshold", "shift", "features", "weights", "bias", "angle"}
_RULE_KEYS |= {"above", "below", "classes", "condition"}


def best_threshold(x: np.ndarray, above: np.ndarray, both: bool) -> tuple[float, bool]:
    """The cut ``t`` of ``x`` that best predicts ``above`` as ``x > t`` (most accurate stump).

    With ``both`` the reversed orientation (``above`` as ``x <= t``) is tried too; returns
    ``(t, reversed)``. Cuts are midpoints between consecutive distinct values.

    Examples
    --------
    >>> best_threshold(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1], bool), True)
    (2.5, False)
    >>> best_threshold(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 0, 0], bool), True)
    (1.5, True)
    """
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], above[order].astype(np.int64)
    n = len(xs)
    cum_above = np.cumsum(ys)
    cum_below = np.arange(1, n + 1) - cum_above
    total_above = int(cum_above[-1])
    total_below = n - total_above
    ok = np.flatnonzero(xs[:-1] < xs[1:])
    if ok.size == 0:
        raise ValueError("the feature is constant")
    acc = cum_below[ok] + (total_above - cum_above[ok])
    best = int(ok[np.argmax(acc)])
    reverse = False
    if both:
        acc_rev = cum_above[ok] + (total_below - cum_below[ok])
        if acc_rev.max() > acc.max():
            best = int(ok[np.argmax(acc_rev)])
            reverse = True
    return float((xs[best] + xs[best + 1]) / 2.0), reverse


@EVENTS.register("concept")
class Concept(DriftEvent):
    """Relabel rows by a declared rule: a moved threshold, a rotated boundary, swapped classes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": [0.1, 0.4, 0.6, 0.9], "y": [0, 0, 1, 1]})
    >>> event = {"kind": "concept", "rule": "threshold", "feature": "x", "threshold": 0.5,
    ...          "above": 0, "below": 1}
    >>> out = inject(df, {"e": event}, target="y")
    >>> out.frame["y"].tolist()
    [1, 1, 0, 0]
    """

    kind: Literal["concept"] = "concept"
    rule: Rule
    feature: str | None = Field(default=None, validate_default=True)
    threshold: float | None = Field(default=None, validate_default=True)
    shift: float | None = Field(default=None, validate_default=True)
    features: Features | None = Field(default=None, validate_default=True)
    weights: list[float] | None = Field(default=None, validate_default=True)
    bias: float | None = Field(default=None, validate_default=True)
    angle: float | None = Field(default=None, validate_default=True)
    above: Value | None = Field(default=None, validate_default=True)
    below: Value | None = Field(default=None, validate_default=True)
    classes: list[Value] | None = Field(default=None, validate_default=True)
    condition: list[Condition] | None = Field(default=None, validate_default=True)
    reference_block: int = Field(default=0, ge=0)

    changes_subset: ClassVar[bool] = True

    @field_validator(*sorted(_RULE_KEYS))
    @classmethod
    def _rule_keys(cls, value: Any, info: ValidationInfo) -> Any:
        rule = info.data.get("rule")
        name = info.field_name
        if rule is None or name is None:
            return value
        if value is not None and name not in _KEYS[rule]:
            raise ValueError(
                f"not used by rule {rule!r} (its keys: {', '.join(sorted(_KEYS[rule]))})"
            )
        data = info.data
        if rule == "threshold":
            if name == "feature" and value is None:
                raise ValueError("required by rule 'threshold'")
            if name == "shift" and value is None and data.get("threshold") is None:
                raise ValueError("give threshold (an absolute rule) and/or shift (a moved one)")
        elif rule == "linear":
            if name == "features" and (value is None or len(value) < 1):
                raise ValueError("required by rule 'linear'")
            if name == "weights" and value is not None:
                feats = data.get("features") or []
                if len(value) != len(feats):
                    raise ValueError(f"needs one weight per feature ({len(feats)})")
                if not any(value):
                    raise ValueError("must not be all zero")
            if name == "angle" and "weights" in data:
                if value is None and (data.get("weights") is None or data.get("bias") is None):
                    raise ValueError("give weights and bias (an absolute rule) or angle")
                if value is not None:
                    if data.get("bias") is not None:
                        raise ValueError(
                            "rotates the boundary through the reference mean: drop bias"
                        )
                    if len(data.get("features") or []) != 2:
                        raise ValueError("needs exactly two features")
        elif rule == "swap":
            if name == "classes" and (value is None or len(value) != 2):
                raise ValueError("rule 'swap' needs exactly two classes")
            if name == "condition" and not value:
                raise ValueError("rule 'swap' needs a condition (the region)")
        if name == "below" and rule in ("threshold", "linear"):
            above = data.get("above")
            if value is not None and above is not None and canon(value) == canon(above):
                raise ValueError("must differ from above")
        return value

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        return []

    def check(self, ctx: EventContext, path: str) -> None:
        require_classes(ctx, path, "concept")
        if self.rule == "threshold":
            assert self.feature is not None
            require_columns(ctx, [self.feature], join_path(path, "feature"), numeric=True)
        elif self.rule == "linear":
            assert self.features is not None
            require_columns(ctx, self.features, join_path(path, "features"), numeric=True)
        else:
            check_conditions(self.condition or (), ctx.columns, join_path(path, "condition"))
        require_block(ctx, self.reference_block, path)

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        target = ctx.target
        assert target is not None
        classes = require_classes(ctx, path, "concept")
        out: dict[str, Any] = {"target": target.name, "classes": classes}
        if self.rule == "swap":
            assert self.classes is not None
            idx = match_values(self.classes, classes, join_path(path, "classes"), "class")
            out["swap"] = [classes[i] for i in idx]
            return out
        if (self.above is None or self.below is None) and len(classes) != 2:
            raise ScenarioError(
                join_path(path, "above"),
                f"the target has {len(classes)} classes: give above and below",
            )
        above = classes[1] if self.above is None else self.above
        below = classes[0] if self.below is None else self.below
        (ia,) = match_values([above], classes, join_path(path, "above"), "class")
        (ib,) = match_values([below], classes, join_path(path, "below"), "class")
        if ia == ib:
            raise ScenarioError(join_path(path, "below"), "must differ from above")
        out["above"], out["below"] = classes[ia], classes[ib]
        fixed = self.above is not None or self.below is not None
        needs_ref = self.rule == "threshold" and self.shift is not None and self.threshold is None
        needs_ref |= self.rule == "linear" and self.angle is not None
        if not needs_ref:
            if self.rule == "threshold" and self.shift is not None:
                out["current_threshold"] = self.threshold
                out["new_threshold"] = float(self.threshold or 0.0) + self.shift
            return out
        ref = ctx.reference(self.reference_block)
        y = ref[target.name]
        codes = codes_of(y, classes)
        if self.rule == "threshold":
            assert self.feature is not None and self.shift is not None
            x = ref[self.feature].to_numpy(dtype=np.float64)
            keep = ~np.isnan(x) & ((codes == ia) | (codes == ib))
            try:
                t0, rev = best_threshold(x[keep], codes[keep] == ia, both=not fixed)
            except ValueError:
                raise ScenarioError(
                    join_path(path, "feature"),
                    f"{self.feature!r} is constant in block {self.reference_block}; "
                    "give the current threshold",
                ) from None
            if rev:  # the classes lie the other way round: name them so
                out["above"], out["below"] = out["below"], out["above"]
            out["current_threshold"] = t0
            out["new_threshold"] = t0 + self.shift
            return out
        assert self.features is not None
        xy = ref[self.features].to_numpy(dtype=np.float64)
        ok = ~np.isnan(xy).any(axis=1)
        mean = xy[ok].mean(axis=0)
        std = xy[ok].std(axis=0)
        if (std == 0).any():
            raise ScenarioError(
                join_path(path, "features"),
                f"a feature is constant in block {self.reference_block}; use weights and bias",
            )
        if self.weights is not None:
            normal = np.asarray(self.weights, dtype=np.float64)
        else:
            a, b = ok & (codes == ia), ok & (codes == ib)
            if not a.any() or not b.any():
                raise ScenarioError(
                    join_path(path, "weights"),
                    f"block {self.reference_block} lacks one of the classes; give weights",
                )
            normal = xy[a].mean(axis=0) - xy[b].mean(axis=0)
        nz = normal * std
        theta = np.deg2rad(self.angle or 0.0)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        out.update(
            reference_mean=mean.tolist(),
            reference_std=std.tolist(),
            normal=nz.tolist(),
            rotated_normal=(rot @ nz).tolist(),
        )
        return out

    def rule_labels(
        self, frame: pd.DataFrame, rows: np.ndarray, codes: np.ndarray, prepared: Mapping[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """New class codes for the selected rows and which rows the rule covers."""
        classes = list(prepared["classes"])
        n = len(rows)
        new = codes.copy()
        if self.rule == "swap":
            a, b = (classes.index(c) for c in prepared["swap"])
            inside = np.ones(n, dtype=bool)
            for cond in self.condition or ():
                inside &= cond.mask(frame[cond.column].iloc[rows])
            covered = inside & ((codes == a) | (codes == b))
            new[covered & (codes == a)] = b
            new[covered & (codes == b)] = a
            return new, covered
        ia, ib = classes.index(prepared["above"]), classes.index(prepared["below"])
        if self.rule == "threshold":
            assert self.feature is not None
            x = frame[self.feature].iloc[rows].to_numpy(dtype=np.float64)
            ok = ~np.isnan(x)
            if self.shift is None:
                side = x > float(self.threshold or 0.0)
                covered = ok
            else:
                t0, t1 = float(prepared["current_threshold"]), float(prepared["new_threshold"])
                side = x > t1
                lo, hi = min(t0, t1), max(t0, t1)
                covered = ok & (x > lo) & (x <= hi)
        else:
            assert self.features is not None
            xs = frame[self.features].iloc[rows].to_numpy(dtype=np.float64)
            ok = ~np.isnan(xs).any(axis=1)
            if self.angle is None:
                assert self.weights is not None
                side = xs @ np.asarray(self.weights) + float(self.bias or 0.0) > 0
                covered = ok
            else:
                z = (xs - np.asarray(prepared["reference_mean"])) / np.asarray(
                    prepared["reference_std"]
                )
                old_side = z @ np.asarray(prepared["normal"]) > 0
                side = z @ np.asarray(prepared["rotated_normal"]) > 0
                covered = ok & (side != old_side)
        new[covered] = np.where(side[covered], ia, ib)
        return new, covered

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
        codes = codes_of(at_rows(frame[name], rows), classes)
        new, covered = self.rule_labels(frame, rows, codes, prepared)
        covered &= codes >= 0
        adopt = rng.random(len(rows)) < weights
        differs = covered & (new != codes)
        changed = differs & adopt
        write_codes(frame, name, rows[changed], classes, new[changed])
        after = codes.copy()
        after[changed] = new[changed]
        valid = codes >= 0
        before_counts = np.bincount(codes[valid], minlength=k)
        after_counts = np.bincount(after[valid], minlength=k)
        stats: dict[str, float] = {
            "rows": float(len(rows)),
            "covered": float(covered.sum()),
            "changed": float(changed.sum()),
            "expected": float(weights[differs].sum()),
        }
        put_counts(stats, before=before_counts, after=after_counts)
        return Applied(changed=changed, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        classes = prepared["classes"]
        return {
            "rule": self.rule,
            "rows": int(rows),
            "rows_covered": int(totals.get("covered", 0.0)),
            "labels_changed": int(totals.get("changed", 0.0)),
            "share_changed": totals.get("changed", 0.0) / rows if rows else 0.0,
            "expected_share_changed": totals.get("expected", 0.0) / rows if rows else 0.0,
            **{
                f"counts_{key}": by_label(
                    classes, get_counts(totals, key, len(classes)).astype(np.int64)
                )
                for key in ("before", "after")
            },
        }
