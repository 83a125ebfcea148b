"""Label events: ``label_flip``.

Each selected row's label is flipped with probability ``rate * w`` (``w``: the profile
weight). A binary target swaps to the other class; a multiclass target moves to one of the
other classes, uniformly. Classes are the generator's (SEA: ``False, True``) or, for a
table, the distinct values of its target column. Missing labels are never flipped. The
ground truth records which rows changed; the manifest records the realised flip rate next to
the expected one (``rate`` times the mean weight).

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = LabelFlip(kind="label_flip", rate=1.0)
>>> frame = pd.DataFrame({"y": [0, 1, 2, 0]})
>>> prep = {"target": "y", "classes": [0, 1, 2]}
>>> out = ev.apply(frame, np.arange(4), np.ones(4), np.random.default_rng(0), prep)
>>> bool((frame["y"].to_numpy() != np.array([0, 1, 2, 0])).all())
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from calmops_gen.drift.base import Applied, DriftEvent, EventContext, require_target
from calmops_gen.drift.registry import EVENTS
from calmops_gen.errors import ScenarioError


@EVENTS.register("label_flip")
class LabelFlip(DriftEvent):
    """Flip labels with probability ``rate`` times the profile weight."""

    kind: Literal["label_flip"] = "label_flip"
    rate: float = Field(ge=0.0, le=1.0)

    changes_subset: ClassVar[bool] = True

    def check(self, ctx: EventContext, path: str) -> None:
        require_target(ctx, path)
        if not ctx.classes or len(ctx.classes) < 2:
            raise ScenarioError(
                path, "label_flip needs a classification target with at least two classes"
            )

    def touched_columns(self) -> list[str]:
        return []

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        target = require_target(ctx, path)
        assert ctx.classes is not None
        return {"target": target.name, "classes": list(ctx.classes)}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
    ) -> Applied:
        name = prepared["target"]
        classes = list(prepared["classes"])
        k = len(classes)
        values = frame[name].to_numpy(copy=True)
        codes = pd.Categorical(values[rows], categories=classes).codes.astype(np.int64)
        draw = rng.random(len(rows))
        offset = rng.integers(1, k, size=len(rows)) if k > 2 else np.ones(len(rows), np.int64)
        flip = (draw < self.rate * weights) & (codes >= 0)
        new_codes = (codes + offset) % k
        lookup = np.asarray(classes, dtype=values.dtype)
        values[rows[flip]] = lookup[new_codes[flip]]
        frame[name] = values
        return Applied(
            changed=flip,
            stats={
                "rows": float(len(rows)),
                "flipped": float(flip.sum()),
                "expected_flips": float((self.rate * weights).sum()),
            },
        )

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        return {
            "rows_flipped": int(totals.get("flipped", 0.0)),
            "flip_rate": totals["flipped"] / rows if rows else 0.0,
            "expected_flip_rate": totals["expected_flips"] / rows if rows else 0.0,
        }
