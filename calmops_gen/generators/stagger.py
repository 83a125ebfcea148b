"""STAGGER concepts (Schlimmer & Granger, 1986), as river's ``STAGGER``.

Three nominal features, each uniform on ``{0, 1, 2}``: ``size`` (small, medium, large),
``color`` (red, blue, green) and ``shape`` (circle, square, triangle), integer-coded as river
emits them. Three boolean labelling functions (``classification_function``):

0. ``size == 0 and color == 0`` (small and red);
1. ``color == 2 or shape == 0`` (green or circle);
2. ``size in (1, 2)`` (medium or large).

The numpy engine draws an index into the 27 feature combinations (each feature uniform and
independent, as river's three ``randint(0, 2)`` draws) and labels it with the same rules.

river behaviours reproduced on purpose, so both engines give the same distributions:

* ``balance_classes`` makes classes alternate 1, 0, 1, 0, ... row by row, starting with 1
  (river's rejection sampling keeps drawing until the row has the wanted class), so a
  balanced block has exactly ``ceil(n / 2)`` positives and every row of class ``c`` is
  uniform over the combinations of class ``c``. The numpy engine samples those combinations
  directly (exactly the rejection sampler's conditional distribution, without rejections).
  Both engines restart the alternation at the first row of each block.
* There is no label noise in river's STAGGER, so none here.

The target ``y`` is ``int64`` (0 or 1), as river emits it.

Examples
--------
>>> import numpy as np
>>> gen = Stagger(StaggerParams(), "numpy")
>>> draw = Draw(np.arange(6), np.random.default_rng(0))
>>> cols = gen.sample_numpy(StaggerParams(classification_function=2, balance_classes=True), draw)
>>> cols["y"].tolist()
[1, 0, 1, 0, 1, 0]
>>> bool(np.all(cols["y"] == (cols["size"] > 0)))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

FEATURES = ("size", "color", "shape")

# The 27 feature combinations, row k = (size, color, shape) with k = 9 size + 3 color + shape.
_COMBOS = np.array([(k // 9, (k // 3) % 3, k % 3) for k in range(27)], dtype=np.int64)


class StaggerParams(GeneratorParams):
    """river's STAGGER parameters: ``classification_function`` 0-2, ``balance_classes``."""

    classification_function: int = Field(default=0, ge=0, le=2)
    balance_classes: bool = False


def stagger_label(
    size: np.ndarray, color: np.ndarray, shape: np.ndarray, function: int
) -> np.ndarray:
    """river's STAGGER labelling rule ``function`` (0-2) on feature arrays, as ``int64``.

    Examples
    --------
    >>> stagger_label(np.array([0, 1]), np.array([0, 0]), np.array([1, 1]), 0).tolist()
    [1, 0]
    """
    if function == 0:
        y = (size == 0) & (color == 0)
    elif function == 1:
        y = (color == 2) | (shape == 0)
    else:
        y = (size == 1) | (size == 2)
    return np.asarray(y, dtype=np.int64)


_COMBO_LABELS = tuple(
    stagger_label(_COMBOS[:, 0], _COMBOS[:, 1], _COMBOS[:, 2], f) for f in range(3)
)


@GENERATORS.register("stagger")
class Stagger(ConceptGenerator):
    """STAGGER stream: three nominal features, three boolean concepts.

    Examples
    --------
    >>> [c.name for c in Stagger(StaggerParams(), "numpy").columns()]
    ['size', 'color', 'shape', 'y']
    """

    kind: ClassVar[str] = "stagger"
    Params: ClassVar[type[StaggerParams]] = StaggerParams

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f, "int64", "feature", nominal=True) for f in FEATURES)
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        labels = _COMBO_LABELS[params.classification_function]
        if params.balance_classes:
            y = np.zeros(n, dtype=np.int64)
            y[0::2] = 1
            code = np.empty(n, dtype=np.int64)
            for cls in (1, 0):
                pool = np.flatnonzero(labels == cls)
                code[y == cls] = pool[rng.integers(0, len(pool), int(np.sum(y == cls)))]
        else:
            code = rng.integers(0, 27, n)
            y = labels[code]
        feats = _COMBOS[code]
        cols = {name: feats[:, j] for j, name in enumerate(FEATURES)}
        cols["y"] = y
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return stagger_label(
            np.asarray(features["size"]),
            np.asarray(features["color"]),
            np.asarray(features["shape"]),
            params.classification_function,
        )

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.STAGGER(
            classification_function=params.classification_function,
            seed=seed,
            balance_classes=params.balance_classes,
        )
