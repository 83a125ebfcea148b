"""Sine concepts (Gama et al., 2004), as river's ``Sine``.

Two relevant features ``x0``, ``x1`` uniform on [0, 1) and, with ``has_noise``, two irrelevant
ones ``x2``, ``x3`` (uniform on [0, 1) too). Four labelling functions
(``classification_function``), river's rules verbatim (class 1 is the region *below* the
curve, a point exactly on it is class 0 for SINE1/SINE2 and class 1 for the reversed ones):

0. SINE1: ``x0 < sin(x1)``;
1. reversed SINE1: ``x0 >= sin(x1)``;
2. SINE2: ``x0 < 0.5 + 0.3 sin(3 pi x1)``;
3. reversed SINE2: ``x0 >= 0.5 + 0.3 sin(3 pi x1)``.

river behaviours reproduced on purpose, so both engines give the same distributions:

* ``balance_classes`` makes classes alternate 1, 0, 1, 0, ... row by row, starting with 1
  (river's rejection sampling), so a balanced block has exactly ``ceil(n / 2)`` positives and
  the relevant features of a row of class ``c`` follow their distribution given class ``c``.
  The numpy engine samples batches, keeps rows of each class in order and interleaves them
  (:func:`~calmops_gen.generators.balance.alternate_classes`), which gives exactly that
  distribution. Both engines restart the alternation at the first row of each block.
* the noise features are drawn after the class is settled, so they stay uniform and
  independent of the class even when balancing.

river's integer keys 0-3 become the columns ``x0``-``x3``; the target ``y`` is ``int64``.

Examples
--------
>>> import numpy as np
>>> gen = Sine(SineParams(), "numpy")
>>> draw = Draw(np.arange(1000), np.random.default_rng(0))
>>> cols = gen.sample_numpy(SineParams(classification_function=0), draw)
>>> bool(np.all(cols["y"] == (cols["x0"] < np.sin(cols["x1"]))))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.generators.balance import alternate_classes
from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

Arrays = dict[str, np.ndarray]


class SineParams(GeneratorParams):
    """river's Sine parameters."""

    classification_function: int = Field(default=0, ge=0, le=3)
    balance_classes: bool = False
    has_noise: bool = False


def curve(kind: str, x: np.ndarray) -> np.ndarray:
    """river's boundary curves on ``x``: ``sin(x)`` (``"sin"``, SINE1) or
    ``0.5 + 0.3 sin(3 pi x)`` (``"sin3pi"``, SINE2 and Mixed)."""
    if kind == "sin":
        return np.asarray(np.sin(x))
    return np.asarray(0.5 + 0.3 * np.sin(3 * np.pi * x))


BITS = 10
CELLS = 1 << BITS  # cells of [0, 1) in :func:`below`'s bounds
# widening of the bounds: more than the curves bend inside a cell (<= 0.3 (3 pi)^2 / 2
# / CELLS^2 = 1.3e-5), their change over the rounding of a cell index (~1e-15) and rounding
SLACK = 1e-4


@lru_cache(maxsize=2)
def _bounds(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of ``curve(kind, x)`` over each cell of [0, 1), between two
    sentinels (``-inf``, ``inf``: never decided) for ``x`` outside [0, 1)."""
    edges = curve(kind, np.arange(CELLS + 1) / CELLS)
    lo = np.full(CELLS + 2, -np.inf)
    hi = np.full(CELLS + 2, np.inf)
    lo[1:-1] = np.minimum(edges[:-1], edges[1:]) - SLACK
    hi[1:-1] = np.maximum(edges[:-1], edges[1:]) + SLACK
    lo.flags.writeable = hi.flags.writeable = False
    return lo, hi


def _cells(x: np.ndarray) -> np.ndarray:
    """Index in :func:`_bounds` of each ``x``: ``1 + floor(x * CELLS)`` for ``x`` in [0, 1)
    (from the exponent and leading mantissa bits of ``x + 1``, in [1, 2) for those), 0 or
    ``CELLS + 1`` (clipped) for the others; ``x`` within 1e-16 of a cell's edge may get the
    neighbouring cell, which :data:`SLACK` covers."""
    bits: np.ndarray = np.add(x, 1.0).view(np.int64)
    bits >>= 52 - BITS  # sign, exponent and the first BITS mantissa bits
    bits -= (1023 << BITS) - 1  # the exponent of [1, 2) is 1023
    return bits


def below(x0: np.ndarray, x1: np.ndarray, kind: str) -> np.ndarray:
    """``x0 < curve(kind, x1)``, exactly as evaluated with ``np.sin``, without a sine for
    most rows: a row whose ``x0`` lies outside the bounds of the curve over ``x1``'s cell
    (:data:`CELLS` cells of [0, 1), bounds widened by :data:`SLACK`) is decided by them;
    the others (``x0`` within the bounds: about 1 uniform row in 500; or ``x1`` outside
    [0, 1)) evaluate the curve.

    Examples
    --------
    >>> x1 = np.linspace(0, 1, 4, endpoint=False)
    >>> below(np.sin(x1), x1, "sin").tolist(), below(np.sin(x1) - 1e-12, x1, "sin").tolist()
    ([False, False, False, False], [True, True, True, True])
    """
    x0, x1 = np.asarray(x0, dtype=np.float64), np.asarray(x1, dtype=np.float64)
    lo, hi = _bounds(kind)
    cell = _cells(x1)
    out = x0 < np.take(lo, cell, mode="clip")
    unsure = x0 < np.take(hi, cell, mode="clip")
    unsure ^= out  # lo <= x0 < hi (x0 < lo implies x0 < hi)
    rows = np.flatnonzero(unsure)
    if rows.size:
        out[rows] = x0[rows] < curve(kind, x1[rows])
    return out


def sine_label(x0: np.ndarray, x1: np.ndarray, function: int) -> np.ndarray:
    """river's Sine labelling rule ``function`` (0-3) on feature arrays, as ``int64``.

    Examples
    --------
    >>> sine_label(np.array([0.1, 0.9]), np.array([0.5, 0.5]), 0).tolist()
    [1, 0]
    """
    return np.asarray(_sine_class(x0, x1, function), dtype=np.int64)


def _sine_class(x0: np.ndarray, x1: np.ndarray, function: int) -> np.ndarray:
    """:func:`sine_label` as a boolean array (True: class 1)."""
    under = below(x0, x1, "sin" if function < 2 else "sin3pi")
    if function % 2:
        np.logical_not(under, out=under)
    return under


@GENERATORS.register("sine")
class Sine(ConceptGenerator):
    """Sine stream: two uniform features (plus two noise features), four concepts.

    Examples
    --------
    >>> [c.name for c in Sine(SineParams(has_noise=True), "numpy").columns()]
    ['x0', 'x1', 'x2', 'x3', 'y']
    """

    kind: ClassVar[str] = "sine"
    Params: ClassVar[type[SineParams]] = SineParams

    def _n_features(self) -> int:
        return 4 if isinstance(self.params, SineParams) and self.params.has_noise else 2

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f"x{i}", "double", "feature") for i in range(self._n_features()))
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1)

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(4)}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        fn = params.classification_function

        def batch(m: int) -> tuple[Arrays, np.ndarray]:
            x = rng.random((2, m))
            return {"x0": x[0], "x1": x[1]}, _sine_class(x[0], x[1], fn)

        if params.balance_classes:
            cols, y = alternate_classes(n, batch, "generator.params.balance_classes")
        else:
            cols, y = batch(n)
        if params.has_noise:
            noise = rng.random((2, n))
            cols["x2"], cols["x3"] = noise[0], noise[1]
        cols["y"] = np.asarray(y, dtype=np.int64)
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return sine_label(features["x0"], features["x1"], params.classification_function)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Sine(
            classification_function=params.classification_function,
            seed=seed,
            balance_classes=params.balance_classes,
            has_noise=params.has_noise,
        )
