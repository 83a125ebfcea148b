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
  (:func:`alternate_classes`), which gives exactly that distribution. Both engines restart
  the alternation at the first row of each block.
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

from collections.abc import Callable, Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

Arrays = dict[str, np.ndarray]

_MAX_BALANCE_ROUNDS = 64


class SineParams(GeneratorParams):
    """river's Sine parameters."""

    classification_function: int = Field(default=0, ge=0, le=3)
    balance_classes: bool = False
    has_noise: bool = False


def sine_label(x0: np.ndarray, x1: np.ndarray, function: int) -> np.ndarray:
    """river's Sine labelling rule ``function`` (0-3) on feature arrays, as ``int64``.

    Examples
    --------
    >>> sine_label(np.array([0.1, 0.9]), np.array([0.5, 0.5]), 0).tolist()
    [1, 0]
    """
    x0, x1 = np.asarray(x0, dtype=np.float64), np.asarray(x1, dtype=np.float64)
    curve = np.sin(x1) if function < 2 else 0.5 + 0.3 * np.sin(3 * np.pi * x1)
    below = x0 < curve
    return np.asarray(below if function % 2 == 0 else ~below, dtype=np.int64)


def alternate_classes(
    n: int, draw_batch: Callable[[int], tuple[Arrays, np.ndarray]], path: str
) -> tuple[Arrays, np.ndarray]:
    """``n`` rows whose classes alternate 1, 0, 1, 0, ... (river's ``balance_classes``).

    ``draw_batch(m)`` returns ``m`` unbalanced rows and their 0/1 labels; rows of each class
    are kept in the order drawn, which is what river's rejection sampler yields.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def batch(m):
    ...     u = rng.random(m)
    ...     return {"u": u}, (u < 0.2).astype(np.int64)
    >>> cols, y = alternate_classes(5, batch, "p")
    >>> y.tolist(), bool(np.all((cols["u"] < 0.2) == (y == 1)))
    ([1, 0, 1, 0, 1], True)
    """
    need = {1: (n + 1) // 2, 0: n // 2}
    found: dict[int, list[Arrays]] = {0: [], 1: []}
    have = {0: 0, 1: 0}
    seen = {0: 0, 1: 0}
    names: list[str] = []
    size = max(n + n // 4, 1024)  # enough for two near-even classes in one round
    for _ in range(_MAX_BALANCE_ROUNDS):
        batch, y = draw_batch(size)
        names = list(batch)
        for cls in (0, 1):
            idx = np.flatnonzero(y == cls)
            seen[cls] += len(idx)
            if have[cls] < need[cls]:
                idx = idx[: need[cls] - have[cls]]
                found[cls].append({k: v[idx] for k, v in batch.items()})
                have[cls] += len(idx)
        if have[0] >= need[0] and have[1] >= need[1]:
            break
        # next batch sized from the class rates seen so far (with a margin)
        drawn = seen[0] + seen[1]
        short = max((need[c] - have[c]) * drawn / max(seen[c], 1) for c in (0, 1))
        size = max(int(1.2 * short) + 256, 1024)
    else:
        raise ScenarioError(path, "the concept produced too few rows of one class to balance")
    y_out = np.zeros(n, dtype=np.int64)
    y_out[0::2] = 1
    cols: Arrays = {}
    for name in names:
        out = np.empty(n, dtype=found[1][0][name].dtype)
        out[0::2] = np.concatenate([p[name] for p in found[1]])
        out[1::2] = np.concatenate([p[name] for p in found[0]])
        cols[name] = out
    return cols, y_out


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
            return {"x0": x[0], "x1": x[1]}, sine_label(x[0], x[1], fn)

        if params.balance_classes:
            cols, y = alternate_classes(n, batch, "generator.params.balance_classes")
        else:
            cols, y = batch(n)
        if params.has_noise:
            noise = rng.random((2, n))
            cols["x2"], cols["x3"] = noise[0], noise[1]
        cols["y"] = y
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
