"""Breiman's waveforms (Breiman et al., 1984), as river's ``Waveform``.

Three classes drawn uniformly. Each row mixes two of three triangular base waves ``h``
(21 points each): class 0 mixes waves 0 and 1, class 1 waves 0 and 2, class 2 waves 1 and 2,
with a weight ``a`` uniform on [0, 1): ``x_i = a h_A[i] + (1 - a) h_B[i] + e_i`` with ``e_i``
standard normal, for the 21 features ``x0``-``x20``. With ``has_noise`` 19 more features
``x21``-``x39`` are pure standard normal noise.

river behaviours reproduced on purpose, so both engines give the same distributions:

* the class is drawn first and the features follow from it (a mixture plus Gaussian noise),
  so there is no deterministic labelling rule: this generator has no :meth:`label`, and the
  engines are compared per class (the features' distribution given the class) instead;
* river computes ``1 - a`` for the second weight, as the numpy engine does; the numpy engine
  adds the three terms in another order (``e + (a h_A + (1 - a) h_B)``, one matrix product
  added to the noise in place), a rounding-level difference that leaves the distribution
  unchanged.

river's integer keys become ``x0``-``x39``; the target ``y`` is ``int64`` (0, 1, 2).

Examples
--------
>>> import numpy as np
>>> gen = Waveform(WaveformParams(), "numpy")
>>> cols = gen.sample_numpy(WaveformParams(), Draw(np.arange(3000), np.random.default_rng(0)))
>>> len(cols), sorted(set(cols["y"].tolist()))
(22, [0, 1, 2])
>>> bool(abs(cols["x6"][cols["y"] == 0].mean() - 3.0) < 0.2)  # (6 + 0) / 2 on average
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np

from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

N_BASE = 21
N_ALL = 40

# river's ``_H_FUNCTION``: the three base waves.
H = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0],
        [0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0],
    ],
    dtype=np.float64,
)
# Waves mixed by each class (river: choice_a = 1 if y == 2 else 0; choice_b = 1 if y == 0 else 2).
WAVE_A = np.array([0, 0, 1])
WAVE_B = np.array([1, 2, 2])
# (21, 6): column c is class c's first wave, column 3 + c its second wave
_WAVES = np.ascontiguousarray(np.concatenate([H[WAVE_A].T, H[WAVE_B].T], axis=1))


def _add_product(waves: np.ndarray, coef: np.ndarray, x: np.ndarray) -> None:
    """``x += waves @ coef`` in place (C-ordered arrays), without a temporary ``21 x n``
    product: BLAS ``dgemm`` with ``beta = 1`` on the transposed (Fortran-ordered) views."""
    from scipy.linalg.blas import dgemm

    out = dgemm(1.0, coef.T, waves.T, beta=1.0, c=x.T, overwrite_c=True)
    if not np.may_share_memory(out, x):  # BLAS made a copy after all
        x[...] = out.T


class WaveformParams(GeneratorParams):
    """river's Waveform parameters: ``has_noise`` adds 19 irrelevant features."""

    has_noise: bool = False


@GENERATORS.register("waveform")
class Waveform(ConceptGenerator):
    """Waveform stream: 21 noisy mixtures of two base waves (plus 19 noise features).

    Examples
    --------
    >>> len(Waveform(WaveformParams(has_noise=True), "numpy").columns())
    41
    """

    kind: ClassVar[str] = "waveform"
    Params: ClassVar[type[WaveformParams]] = WaveformParams

    def _n_features(self) -> int:
        p = self.params
        return N_ALL if isinstance(p, WaveformParams) and p.has_noise else N_BASE

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f"x{i}", "double", "feature") for i in range(self._n_features()))
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1, 2)

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(N_ALL)}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        y = rng.integers(0, 3, n)
        a = rng.random(n)
        b = 1.0 - a
        # feature-major (21 x n), so each column is contiguous; the class's two waves enter
        # as one matrix product with one-hot weights (no per-element gathers)
        x = rng.standard_normal((N_BASE, n))
        if n:
            # one-hot weights: row c holds ``a`` where the class is c, row 3 + c holds ``b``
            coef = np.zeros((2 * 3, n))
            at = np.arange(n)
            coef[y, at] = a
            coef[y + 3, at] = b
            _add_product(_WAVES, coef, x)
        cols = {f"x{i}": x[i] for i in range(N_BASE)}
        if params.has_noise:
            noise = rng.standard_normal((N_ALL - N_BASE, n))
            cols.update({f"x{N_BASE + i}": noise[i] for i in range(N_ALL - N_BASE)})
        cols["y"] = y
        return cols

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Waveform(seed=seed, has_noise=params.has_noise)
