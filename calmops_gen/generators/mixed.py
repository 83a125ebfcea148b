"""Mixed concepts (Gama et al., 2004), as river's ``Mixed``.

Two boolean features ``x0`` (v), ``x1`` (w), each true with probability 1/2 (river draws
``random() >= 0.5``, the numpy engine fair random bits), and two numeric features ``x2`` (x),
``x3`` (y) uniform on [0, 1).
With ``z = x3 < 0.5 + 0.3 sin(3 pi x2)``, ``classification_function`` 0 labels a row 0 when at
least two of ``v, w, z`` are true and 1 otherwise; function 1 is its opposite.

river behaviours reproduced on purpose, so both engines give the same distributions:

* ``balance_classes`` makes classes alternate 1, 0, 1, 0, ... row by row, starting with 1
  (river's rejection sampling; all four features are redrawn until the class fits), so a
  balanced block has exactly ``ceil(n / 2)`` positives and the features of a row of class
  ``c`` follow their distribution given class ``c``; the numpy engine draws batches and
  interleaves the rows of each class (:func:`~calmops_gen.generators.balance.alternate_classes`).
  Both engines restart the alternation at the first row of each block.

``x0`` and ``x1`` are boolean nominal features (river emits ``True``/``False``); river's
integer keys 0-3 become ``x0``-``x3``; the target ``y`` is ``int64``.

Examples
--------
>>> import numpy as np
>>> gen = Mixed(MixedParams(), "numpy")
>>> cols = gen.sample_numpy(MixedParams(), Draw(np.arange(500), np.random.default_rng(0)))
>>> cols["x0"].dtype, cols["x2"].dtype
(dtype('bool'), dtype('float64'))
>>> bool(np.all(cols["y"][cols["x0"] & cols["x1"]] == 0))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.generators.balance import alternate_classes
from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.generators.sine import below

Arrays = dict[str, np.ndarray]


class MixedParams(GeneratorParams):
    """river's Mixed parameters: ``classification_function`` 0-1, ``balance_classes``."""

    classification_function: int = Field(default=0, ge=0, le=1)
    balance_classes: bool = False


def mixed_label(
    v: np.ndarray, w: np.ndarray, x: np.ndarray, y: np.ndarray, function: int
) -> np.ndarray:
    """river's Mixed labelling rule ``function`` (0-1) on feature arrays, as ``int64``.

    Examples
    --------
    >>> t, f = np.array([True]), np.array([False])
    >>> mixed_label(t, t, np.array([0.0]), np.array([0.9]), 0).tolist()
    [0]
    """
    return np.asarray(_mixed_class(v, w, x, y, function), dtype=np.int64)


def _mixed_class(
    v: np.ndarray, w: np.ndarray, x: np.ndarray, y: np.ndarray, function: int
) -> np.ndarray:
    """:func:`mixed_label` as a boolean array (True: class 1)."""
    v, w = np.asarray(v, dtype=bool), np.asarray(w, dtype=bool)
    # "at least two of v, w, z": v and w decide unless exactly one of them holds, and then z
    # does (z for every row: :func:`below` seldom evaluates the sine)
    two = below(y, x, "sin3pi")
    two &= v ^ w
    two |= v & w
    if function == 0:
        np.logical_not(two, out=two)
    return two


@GENERATORS.register("mixed")
class Mixed(ConceptGenerator):
    """Mixed stream: two boolean and two numeric features, two opposite concepts.

    Examples
    --------
    >>> [(c.name, c.dtype) for c in Mixed(MixedParams(), "numpy").columns()][:3]
    [('x0', 'bool'), ('x1', 'bool'), ('x2', 'double')]
    """

    kind: ClassVar[str] = "mixed"
    Params: ClassVar[type[MixedParams]] = MixedParams

    def columns(self) -> tuple[Column, ...]:
        return (
            Column("x0", "bool", "feature", nominal=True),
            Column("x1", "bool", "feature", nominal=True),
            Column("x2", "double", "feature"),
            Column("x3", "double", "feature"),
            Column("y", "int64", "target"),
        )

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1)

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(4)}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        fn = params.classification_function

        def batch(m: int) -> tuple[Arrays, np.ndarray]:
            coins = rng.integers(0, 2, (2, m), dtype=bool)  # fair, as river's random() >= 0.5
            u = rng.random((2, m))
            cols = {"x0": coins[0], "x1": coins[1], "x2": u[0], "x3": u[1]}
            return cols, _mixed_class(coins[0], coins[1], u[0], u[1], fn)

        if params.balance_classes:
            cols, y = alternate_classes(n, batch, "generator.params.balance_classes")
        else:
            cols, y = batch(n)
        cols["y"] = np.asarray(y, dtype=np.int64)
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return mixed_label(
            features["x0"],
            features["x1"],
            features["x2"],
            features["x3"],
            params.classification_function,
        )

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Mixed(
            classification_function=params.classification_function,
            seed=seed,
            balance_classes=params.balance_classes,
        )
