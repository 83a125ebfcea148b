"""LED display digits (Breiman et al., 1984), as river's ``LED`` and ``LEDDrift``.

The class ``y`` is a digit 0-9 drawn uniformly; seven binary features ``x0``-``x6`` are the
segments of that digit on a seven-segment display, each inverted with a small probability;
with ``irrelevant_features`` 17 more binary features ``x7``-``x23`` are fair coin flips.
``LEDDrift`` (kind ``led_drift``) moves ``n_drift_features`` of the relevant segments to
positions of irrelevant features (swapping them), so the same digit shows up on other columns:
the concept is that feature permutation, drawn from river's ``seed`` (a model seed here,
see below).

river behaviours reproduced on purpose, so both engines give the same distributions:

* a segment is inverted when ``0.01 + u <= noise_percentage`` for ``u`` uniform on [0, 1), so
  the effective inversion probability is ``max(0, noise_percentage - 0.01)`` (0.09 for the
  textbook 10%); the numpy engine evaluates that very expression, and draws no uniforms
  for it when ``noise_percentage < 0.01`` (no segment can be inverted then);
* ``LEDDrift`` only permutes features when ``irrelevant_features`` is set (without them there
  is nowhere to move a segment, and river leaves the features in place);
  ``n_drift_features`` is limited to 0-7 here: river accepts more, but then its swaps
  overlap, the mapping stops being a permutation and some features stay at river's
  placeholder ``-1``;
* the label is drawn first and the features follow from it, so there is no deterministic
  labelling rule once noise is on: :meth:`Led.label` decodes the digit whose segments are
  nearest (Hamming distance, ties to the smaller digit), the Bayes-optimal rule for
  ``noise_percentage < 0.5``, which equals river's label exactly at zero noise.

``LEDDrift``'s concept and its seeds: river's single ``seed`` draws the feature permutation
*and* the rows. Here ``seed`` is a model seed (``None``: derived per concept; pin it to fix
the permutation) and the rows come from the block's seed sequence. The numpy engine builds
the permutation with river's own draws (``random.Random(seed)``: ``randint(0, 6)``,
``randint(0, 16)``); the river engine runs river's ``LEDDrift`` with ``seed`` (so river
builds the same permutation), drops its first row and re-seeds river's row generator with the
block's seed, so rows differ from block to block while the concept stays the same.

Every feature is an integer-coded (0/1) nominal feature; the target ``y`` is ``int64``.

Examples
--------
>>> import numpy as np
>>> gen = Led(LedParams(), "numpy")
>>> cols = gen.sample_numpy(LedParams(), Draw(np.arange(5), np.random.default_rng(0)))
>>> bool(np.all(gen.label(LedParams(), cols, np.arange(5)) == cols["y"]))
True
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, ClassVar, cast

import numpy as np
from pydantic import Field

from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

N_RELEVANT = 7
N_ALL = 24
N_IRRELEVANT = N_ALL - N_RELEVANT

# Segments of digits 0-9 (river's ``_ORIGINAL_INSTANCES``).
SEGMENTS = np.array(
    [
        [1, 1, 1, 0, 1, 1, 1],
        [0, 0, 1, 0, 0, 1, 0],
        [1, 0, 1, 1, 1, 0, 1],
        [1, 0, 1, 1, 0, 1, 1],
        [0, 1, 1, 1, 0, 1, 0],
        [1, 1, 0, 1, 0, 1, 1],
        [1, 1, 0, 1, 1, 1, 1],
        [1, 0, 1, 0, 0, 1, 0],
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 1, 1],
    ],
    dtype=np.int64,
)
_SEGMENTS_T = np.ascontiguousarray(SEGMENTS.T)  # segment x digit, for gathering by digit
# river inverts a segment when ``0.01 + u <= noise_percentage`` (``u`` in [0, 1)): never for
# a noise below 0.01, so no uniforms are drawn then
NOISE_FLOOR = 0.01


class LedParams(GeneratorParams):
    """river's LED parameters: ``noise_percentage`` in [0, 1], ``irrelevant_features``."""

    noise_percentage: float = Field(default=0.0, ge=0.0, le=1.0)
    irrelevant_features: bool = False


class LedDriftParams(LedParams):
    """river's LEDDrift parameters: LED's plus ``n_drift_features`` and the model ``seed``."""

    n_drift_features: int = Field(default=0, ge=0, le=N_RELEVANT)
    seed: int | None = Field(default=None, ge=0)

    seed_fields: ClassVar[tuple[str, ...]] = ("seed",)


def led_drift_permutation(
    seed: int | None, irrelevant_features: bool, n_drift_features: int
) -> np.ndarray:
    """river's LEDDrift feature positions: feature ``i`` of the LED is emitted as column
    ``perm[i]`` (river's ``_attr_idx``, built with river's own draws from ``seed``).

    Examples
    --------
    >>> led_drift_permutation(1, False, 3).tolist() == list(range(24))
    True
    >>> sorted(led_drift_permutation(1, True, 3).tolist()) == list(range(24))
    True
    """
    perm = list(range(N_ALL))
    if irrelevant_features and n_drift_features > 0:
        rng = random.Random(seed)
        random_int = rng.randint(0, 6)
        offset = rng.randint(0, N_IRRELEVANT - 1)
        for i in range(n_drift_features):
            a = (i + random_int) % N_RELEVANT
            b = N_RELEVANT + (i + offset) % N_IRRELEVANT
            perm[a] = b
            perm[b] = a
    return np.asarray(perm, dtype=np.int64)


def decode_digits(segments: np.ndarray) -> np.ndarray:
    """The digit whose segments are nearest each row of ``segments`` (n x 7; ties: smaller).

    Examples
    --------
    >>> decode_digits(SEGMENTS[[3, 8]]).tolist()
    [3, 8]
    """
    segs = np.asarray(segments, dtype=np.int64)
    dist = np.zeros((len(segs), len(SEGMENTS)), dtype=np.int64)
    for j in range(N_RELEVANT):
        dist += segs[:, j, None] != SEGMENTS[None, :, j]
    return np.asarray(np.argmin(dist, axis=1), dtype=np.int64)


def _sample_led(params: LedParams, perm: np.ndarray, draw: Draw) -> dict[str, np.ndarray]:
    n, rng = draw.n, draw.rng
    y = rng.integers(0, 10, n)
    values = np.take(_SEGMENTS_T, y, axis=1)  # 7 x n, each segment's column contiguous
    if params.noise_percentage >= NOISE_FLOOR:  # below it river's test never inverts
        u = rng.random((N_RELEVANT, n))
        u += 0.01
        values ^= u <= params.noise_percentage
    cols: dict[str, np.ndarray] = {}
    for i in range(N_RELEVANT):
        cols[f"x{perm[i]}"] = values[i]
    if params.irrelevant_features:
        coins = rng.integers(0, 2, (N_IRRELEVANT, n), dtype=bool).astype(np.int64)
        for i in range(N_RELEVANT, N_ALL):
            cols[f"x{perm[i]}"] = coins[i - N_RELEVANT]
    cols["y"] = y
    return cols


@GENERATORS.register("led")
class Led(ConceptGenerator):
    """LED stream: seven noisy display segments (plus 17 irrelevant bits), ten classes.

    Examples
    --------
    >>> len(Led(LedParams(irrelevant_features=True), "numpy").columns())
    25
    """

    kind: ClassVar[str] = "led"
    Params: ClassVar[type[LedParams]] = LedParams

    def _n_features(self) -> int:
        p = self.params
        return N_ALL if isinstance(p, LedParams) and p.irrelevant_features else N_RELEVANT

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(
            Column(f"x{i}", "int64", "feature", nominal=True) for i in range(self._n_features())
        )
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return tuple(range(10))

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(N_ALL)}

    def permutation(self, params: Any) -> np.ndarray:
        """Column of each LED feature (identity for ``led``)."""
        return np.arange(N_ALL)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        return _sample_led(params, self.permutation(params), draw)

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        perm = self.permutation(params)
        segs = np.stack([np.asarray(features[f"x{perm[i]}"]) for i in range(N_RELEVANT)], 1)
        return decode_digits(segs)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.LED(
            seed=seed,
            noise_percentage=params.noise_percentage,
            irrelevant_features=params.irrelevant_features,
        )


class _LedDriftStream:
    """river's ``LEDDrift`` with its permutation from ``model_seed``, rows from ``seed``."""

    def __init__(self, params: LedDriftParams, seed: int) -> None:
        self.params = params
        self.seed = seed

    def __iter__(self) -> Iterator[tuple[dict[int, int], int]]:
        from river.datasets import synth

        p = self.params
        dataset = synth.LEDDrift(
            seed=p.seed,
            noise_percentage=p.noise_percentage,
            irrelevant_features=p.irrelevant_features,
            n_drift_features=p.n_drift_features,
        )
        rows = iter(dataset)
        next(rows)  # river draws its feature permutation from the model seed
        rng = cast(random.Random, dataset._rng)
        rng.seed(self.seed)  # rows from the block's seed; the permutation stays
        yield from rows


@GENERATORS.register("led_drift")
class LedDrift(Led):
    """LEDDrift stream: LED with ``n_drift_features`` segments moved to irrelevant columns.

    Examples
    --------
    >>> params = LedDriftParams(irrelevant_features=True, n_drift_features=2, seed=7)
    >>> gen = LedDrift(params, "numpy")
    >>> int((gen.permutation(params) != np.arange(24)).sum())
    4
    """

    kind: ClassVar[str] = "led_drift"
    Params: ClassVar[type[LedParams]] = LedDriftParams

    def permutation(self, params: Any) -> np.ndarray:
        return led_drift_permutation(
            params.seed, params.irrelevant_features, params.n_drift_features
        )

    def river_dataset(self, params: Any, seed: int) -> Any:
        return _LedDriftStream(params, seed)
