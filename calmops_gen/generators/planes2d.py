"""2D Planes regression (Breiman et al., 1984; Torgo's ``2dplanes``), as river's ``Planes2D``.

Ten integer features ``x1``-``x10`` (river's keys 1-10): ``x1`` is -1 or 1 with probability
1/2 each, the others -1, 0 or 1 with probability 1/3 each. The target is

* ``3 + 3 x2 + 2 x3 + x4 + N(0, 1)`` when ``x1 == 1``,
* ``-3 + 3 x5 + 2 x6 + x7 + N(0, 1)`` otherwise.

river has no parameters besides its sample seed, taken from the block's seed sequence, so
there is one concept (no incremental transitions). The numpy engine draws every column at
once; the noiseless target is exact integer arithmetic, so :meth:`Planes2D.label` equals
river's target minus river's noise exactly. The features are numeric (they enter the target
linearly), stored as ``int64`` as river emits them; the target ``y`` is ``double``.

Examples
--------
>>> import numpy as np
>>> gen = Planes2D(Planes2DParams(), "numpy")
>>> cols = gen.sample_numpy(Planes2DParams(), Draw(np.arange(5000), np.random.default_rng(0)))
>>> sorted(set(cols["x1"].tolist())), sorted(set(cols["x2"].tolist()))
([-1, 1], [-1, 0, 1])
>>> resid = cols["y"] - gen.label(Planes2DParams(), cols, np.arange(5000))
>>> bool(abs(resid.std() - 1) < 0.05)
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np

from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

FEATURES = tuple(range(1, 11))


class Planes2DParams(GeneratorParams):
    """river's Planes2D has no parameters besides its sample seed."""


def planes2d_target(c: Mapping[str, np.ndarray]) -> np.ndarray:
    """river's noiseless 2D-planes target."""
    pos = 3 + 3 * c["x2"] + 2 * c["x3"] + c["x4"]
    neg = -3 + 3 * c["x5"] + 2 * c["x6"] + c["x7"]
    return np.asarray(np.where(np.asarray(c["x1"]) == 1, pos, neg), dtype=np.float64)


@GENERATORS.register("planes2d")
class Planes2D(ConceptGenerator):
    """2D planes regression stream: ten ternary features, two linear pieces.

    Examples
    --------
    >>> [c.name for c in Planes2D(Planes2DParams(), "numpy").columns()][:3]
    ['x1', 'x2', 'x3']
    """

    kind: ClassVar[str] = "planes2d"
    Params: ClassVar[type[GeneratorParams]] = Planes2DParams

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f"x{i}", "int64", "feature") for i in FEATURES)
        return (*feats, Column("y", "double", "target"))

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in FEATURES}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        cols: dict[str, np.ndarray] = {"x1": rng.integers(0, 2, n) * 2 - 1}
        rest = rng.integers(-1, 2, (len(FEATURES) - 1, n))
        for i in FEATURES[1:]:
            cols[f"x{i}"] = rest[i - 2]
        cols["y"] = planes2d_target(cols) + rng.standard_normal(n)
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """The noiseless target (river adds ``N(0, 1)`` noise to it)."""
        return planes2d_target(features)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Planes2D(seed=seed)
