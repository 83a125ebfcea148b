"""SEA concepts (Street & Kim, 2001), as river's ``SEA``.

Three features uniform on [0, 10); the label is ``x0 + x1 > threshold`` with thresholds
8, 9, 7, 9.5 for ``variant`` 0-3 (river's positive class is the sum *exceeding* the
threshold, so a sum exactly equal is negative; the numpy engine reproduces this). ``noise``
flips each label with that probability, after labelling, as river does. In an incremental
transition the threshold (and the noise) move linearly between the two variants' values.
river's integer feature keys 0, 1, 2 become the columns ``x0, x1, x2``; the target ``y`` is
boolean.

Examples
--------
>>> import numpy as np
>>> gen = Sea(SeaParams(variant=0), "numpy")
>>> draw = Draw(np.arange(4), np.random.default_rng(0))
>>> cols = gen.sample_numpy(SeaParams(variant=2), draw)
>>> bool(np.all(cols["y"] == (cols["x0"] + cols["x1"] > 7)))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

THRESHOLDS = {0: 8.0, 1: 9.0, 2: 7.0, 3: 9.5}


class SeaParams(GeneratorParams):
    """river's SEA parameters: ``variant`` 0-3 and label ``noise`` in [0, 1]."""

    variant: int = Field(default=0, ge=0, le=3)
    noise: float = Field(default=0.0, ge=0.0, le=1.0)


def sea_label(x0: np.ndarray, x1: np.ndarray, variant: int) -> np.ndarray:
    """river's SEA labelling rule (before noise)."""
    return np.asarray(x0 + x1 > THRESHOLDS[variant])


@GENERATORS.register("sea")
class Sea(ConceptGenerator):
    """SEA stream: three uniform features, a threshold concept per variant."""

    kind: ClassVar[str] = "sea"
    Params: ClassVar[type[SeaParams]] = SeaParams

    def columns(self) -> tuple[Column, ...]:
        return (
            Column("x0", "double", "feature"),
            Column("x1", "double", "feature"),
            Column("x2", "double", "feature"),
            Column("y", "bool", "target"),
        )

    def classes(self) -> tuple[Hashable, ...]:
        return (False, True)

    def river_names(self) -> Mapping[Hashable, str]:
        return {0: "x0", 1: "x1", 2: "x2"}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        x = rng.uniform(0.0, 10.0, size=(3, n))
        y = sea_label(x[0], x[1], params.variant)
        if params.noise:
            y ^= rng.random(n) < params.noise
        return {"x0": x[0], "x1": x[1], "x2": x[2], "y": y}

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return sea_label(features["x0"], features["x1"], params.variant)

    def sample_blend(
        self, source: Any, target: Any, weights: np.ndarray, draw: Draw
    ) -> dict[str, np.ndarray]:
        """Rows whose threshold (and noise) move linearly from ``source`` to ``target``."""
        n, rng = draw.n, draw.rng
        x = rng.uniform(0.0, 10.0, size=(3, n))
        t0, t1 = THRESHOLDS[source.variant], THRESHOLDS[target.variant]
        y = x[0] + x[1] > t0 + weights * (t1 - t0)
        noise = source.noise + weights * (target.noise - source.noise)
        y ^= rng.random(n) < noise
        return {"x0": x[0], "x1": x[1], "x2": x[2], "y": y}

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.SEA(variant=params.variant, noise=params.noise, seed=seed)
