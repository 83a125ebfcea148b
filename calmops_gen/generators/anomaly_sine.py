"""Sine and cosine waves with injected anomalies, as river's ``AnomalySine``.

A time series: row ``t`` has ``sine = sin(t / 4) + noise * e1`` and
``cosine = cos(t / 4) + noise * e2`` (``e1``, ``e2`` standard normal). Then

* with ``contextual``, ``n_contextual`` positions ``i`` are drawn from ``[0, n_samples -
  shift)`` and the cosine at ``i + shift`` is replaced by the *sine* at ``i`` (values in the
  normal range but out of season);
* ``n_anomalies`` positions are drawn from ``[0, n_samples)``; their cosine becomes
  ``sin(k) + noise * e + 2`` and their target ``y`` is ``True``.

river's stream is finite: one batch of ``n_samples`` rows, all drawn at once from
``numpy.random.default_rng(seed)``. Here the stream is endless and its clock is the global
row position: row ``r`` is row ``r mod n_samples`` of *episode* ``r // n_samples``, and
episode ``e`` is river's batch for seed ``seed`` (``e = 0``) or for a seed derived from
``(seed, e)``. ``seed`` is therefore a model seed (``None``: derived per concept; pin it to
fix the series), and the generator is ``stateful``: a row depends on its position only, so a
run split into any number of blocks gives the same rows.

Both engines make the same rows, bit for bit: the numpy engine reruns river's own vectorised
batch construction (the same draws in the same order on the same seed) for every
episode a block touches and picks the block's rows by position; the river engine runs
river's ``AnomalySine`` episode after episode and fast-forwards to the block's first row.
Only interleaved rows (a gradual transition between two concepts) differ: the river engine
reads consecutive rows of its stream from the segment's first row, while the numpy engine
gives every row its own position's values. Cost: a block recomputes each episode it touches
(``n_samples`` rows each, vectorised), so a very large ``n_samples`` with small blocks costs
about ``n_samples`` rows of work per block.

river behaviours reproduced on purpose (river's batch is used as is):

* contextual anomalies are *not* marked in ``y`` (only the ``n_anomalies`` are);
* every anomaly of an episode uses the *same* ``sin(k)``: river draws one ``k`` (``choice``
  without a size), not one per anomaly;
* with ``replace`` (river's default) positions are drawn with replacement, so an episode has
  at most (usually fewer than) ``n_anomalies`` anomalous rows, and a contextual anomaly may be
  overwritten by an anomaly;
* ``shift`` is used as ``abs(shift)``.

Parameters are checked where river would fail or refuse: ``n_anomalies`` 1 to
``n_samples`` (river crashes on 0), with ``contextual``: ``abs(shift) < n_samples`` and
``n_contextual`` at most ``n_samples`` (at most ``n_samples - abs(shift)`` without
``replace``); ``noise`` >= 0.

``y`` marks the drawn anomaly positions: it is not a function of the features, so there is
no :meth:`label` rule; the engines are compared row for row instead (they are identical).

Examples
--------
>>> import numpy as np
>>> params = AnomalySineParams(n_samples=100, n_anomalies=10, seed=3)
>>> gen = AnomalySine(params, "numpy")
>>> rows = np.arange(95, 105)  # crosses from episode 0 into episode 1
>>> cols = gen.sample_numpy(params, Draw(rows, np.random.default_rng(0)))
>>> whole = gen.sample_numpy(params, Draw(np.arange(200), np.random.default_rng(1)))
>>> bool(np.array_equal(cols["sine"], whole["sine"][95:105]))
True
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from calmops_gen.generators.base import MAX_PERIOD, Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.seeding import SeedTree


class AnomalySineParams(GeneratorParams):
    """river's AnomalySine parameters (``seed`` is the series' model seed).

    Fields are declared so that each cross-field check sees the fields it depends on
    (``n_samples``, ``contextual``, ``shift``, ``replace`` before ``n_anomalies`` and
    ``n_contextual``); names, defaults and meanings are river's.
    """

    n_samples: int = Field(default=10000, ge=1, le=MAX_PERIOD)
    contextual: bool = False
    shift: int = Field(default=4, validate_default=True)  # checked against a small n_samples
    replace: bool = True
    noise: float = Field(default=0.5, ge=0.0)
    n_anomalies: int = Field(default=2500, ge=1, validate_default=True)
    n_contextual: int = Field(default=2500, ge=0, validate_default=True)
    seed: int | None = Field(default=None, ge=0)

    seed_fields: ClassVar[tuple[str, ...]] = ("seed",)

    @field_validator("shift")
    @classmethod
    def _shift_fits(cls, value: int, info: ValidationInfo) -> int:
        n = info.data.get("n_samples")
        if info.data.get("contextual") and n is not None and abs(value) >= n:
            raise ValueError(f"abs(shift) must be smaller than n_samples ({n})")
        return value

    @field_validator("n_anomalies")
    @classmethod
    def _anomalies_fit(cls, value: int, info: ValidationInfo) -> int:
        n = info.data.get("n_samples")
        if n is not None and value > n:
            raise ValueError(f"can't be larger than n_samples ({n})")
        return value

    @field_validator("n_contextual")
    @classmethod
    def _contextual_fit(cls, value: int, info: ValidationInfo) -> int:
        n, shift = info.data.get("n_samples"), info.data.get("shift")
        if not info.data.get("contextual") or n is None:
            return value
        if value > n:
            raise ValueError(f"can't be larger than n_samples ({n})")
        if not info.data.get("replace", True) and shift is not None and value > n - abs(shift):
            raise ValueError(
                f"without replace, can't be larger than n_samples - abs(shift) ({n - abs(shift)})"
            )
        return value


def episode_seed(seed: int, episode: int) -> int:
    """river's ``seed`` for episode ``episode`` of the series (episode 0: ``seed`` itself).

    Examples
    --------
    >>> episode_seed(5, 0), episode_seed(5, 1) == episode_seed(5, 1) != 5
    (5, True)
    """
    if episode == 0:
        return seed
    return SeedTree.river_seed(np.random.SeedSequence(seed, spawn_key=(episode,)))


@lru_cache(maxsize=4096)
def _episode_state(seed: int, episode: int) -> dict[str, Any]:
    """The PCG64 state ``numpy.random.default_rng(episode_seed(seed, episode))`` starts in
    (cached, never mutated: seeding costs ~40 us an episode, setting a state ~3 us)."""
    return dict(np.random.default_rng(episode_seed(seed, episode)).bit_generator.state)


@lru_cache(maxsize=8)
def _waves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The noiseless ``sin(t / 4)``, ``cos(t / 4)`` of an episode (read-only, cached)."""
    t = np.arange(n) / 4.0
    sin_t, cos_t = np.sin(t), np.cos(t)
    sin_t.flags.writeable = cos_t.flags.writeable = False
    return sin_t, cos_t


def _fill_episode(
    params: AnomalySineParams,
    rng: np.random.Generator,
    waves: tuple[np.ndarray, np.ndarray],
    sine: np.ndarray,
    cosine: np.ndarray,
    y: np.ndarray,
) -> None:
    """Write river's batch into ``sine``, ``cosine`` and ``y`` (``n_samples`` rows each;
    ``y`` all False on entry), drawing from ``rng`` as river draws from
    ``default_rng(seed)`` (``rng`` in that generator's initial state): river's draws in
    river's order, with the cheaper
    numpy calls that give the very same values: ``standard_normal`` (in place) for
    ``normal(size=n)``, and ``integers(0, m, size)`` for ``choice(m, size, replace=True)``
    (numpy's documented equivalence; ``choice`` itself without ``replace``).
    """
    n, noise, replace = params.n_samples, params.noise, params.replace
    shift = abs(params.shift)

    def choice(m: int, size: int | None) -> Any:
        if replace:  # a scalar draw without size: a third of the call's overhead
            return rng.integers(0, m) if size is None else rng.integers(0, m, size=size)
        return rng.choice(m, size, replace=False)

    sin_t, cos_t = waves
    for out, wave in ((sine, sin_t), (cosine, cos_t)):
        rng.standard_normal(out=out)
        out *= noise
        out += wave  # wave + normal * noise
    if params.contextual:
        source = choice(n - shift, params.n_contextual)
        target = source + shift
        target[target >= n] -= n
        cosine[target] = sine[source]
    where = choice(n, params.n_anomalies)
    k = choice(params.n_anomalies, None)  # one k for every anomaly (river's draw)
    bumped = rng.standard_normal(params.n_anomalies)
    bumped *= noise
    bumped += np.sin(k)  # sin(k) + normal * noise: addition commutes exactly
    bumped += 2.0
    cosine[where] = bumped
    y[where] = True


def anomaly_sine_batch(
    params: AnomalySineParams,
    rng: np.random.Generator,
    waves: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, ...]:
    """river's AnomalySine batch for the seed ``rng`` was made from (in its initial state):
    ``sine``, ``cosine`` and ``y`` (bool) arrays.

    The same draws, in the same order, as river's ``AnomalySine._generate_data`` (see
    :func:`_fill_episode`; river keeps the two features as columns of one array; the values
    are the same).
    ``waves``: the noiseless ``sin(t / 4)``, ``cos(t / 4)`` if already computed.

    Examples
    --------
    >>> params = AnomalySineParams(n_samples=50, n_anomalies=5)
    >>> sine, cosine, y = anomaly_sine_batch(params, np.random.default_rng(1))
    >>> sine.shape, int(y.sum()) <= 5
    ((50,), True)
    """
    n = params.n_samples
    sine, cosine, y = np.empty(n), np.empty(n), np.zeros(n, dtype=bool)
    _fill_episode(params, rng, waves if waves is not None else _waves(n), sine, cosine, y)
    return sine, cosine, y


class _Episodes:
    """river's ``AnomalySine`` run episode after episode (an endless series)."""

    def __init__(self, params: AnomalySineParams, seed: int) -> None:
        self.params = params
        self.seed = seed

    def __iter__(self) -> Iterator[tuple[dict[str, float], bool]]:
        from river.datasets import synth

        p = self.params
        for e in itertools.count():
            yield from synth.AnomalySine(
                n_samples=p.n_samples,
                n_anomalies=p.n_anomalies,
                contextual=p.contextual,
                n_contextual=p.n_contextual,
                shift=p.shift,
                noise=p.noise,
                replace=p.replace,
                seed=episode_seed(self.seed, e),
            )


@GENERATORS.register("anomaly_sine")
class AnomalySine(ConceptGenerator):
    """AnomalySine stream: a noisy sine/cosine series with labelled anomalies.

    Examples
    --------
    >>> [c.name for c in AnomalySine(AnomalySineParams(), "numpy").columns()]
    ['sine', 'cosine', 'y']
    """

    kind: ClassVar[str] = "anomaly_sine"
    Params: ClassVar[type[AnomalySineParams]] = AnomalySineParams
    stateful: ClassVar[bool] = True

    def columns(self) -> tuple[Column, ...]:
        return (
            Column("sine", "double", "feature"),
            Column("cosine", "double", "feature"),
            Column("y", "bool", "target"),
        )

    def classes(self) -> tuple[Hashable, ...]:
        return (False, True)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        """The rows at positions ``draw.rows``: an episode whose rows are all wanted, in
        order, is written straight into the output; others are made whole, then picked."""
        rows = np.asarray(draw.rows, dtype=np.int64)  # sorted global positions
        n = params.n_samples
        out = {"sine": np.empty(len(rows)), "cosine": np.empty(len(rows))}
        out["y"] = np.zeros(len(rows), dtype=bool)
        if not len(rows):
            return out
        waves = _waves(n)  # the same for every episode
        first, last = int(rows[0]) // n, int(rows[-1]) // n
        bounds = np.searchsorted(rows, np.arange(first, last + 2) * n)
        rng = np.random.Generator(np.random.PCG64(0))  # put in each episode's state below
        for e in range(first, last + 1):
            lo, hi = int(bounds[e - first]), int(bounds[e - first + 1])
            if lo == hi:
                continue
            rng.bit_generator.state = _episode_state(params.seed, e)
            if hi - lo == n and rows[lo] == e * n and rows[hi - 1] == e * n + n - 1:
                # the whole episode, in order (sorted distinct rows)
                _fill_episode(
                    params, rng, waves, out["sine"][lo:hi], out["cosine"][lo:hi], out["y"][lo:hi]
                )
                continue
            t = rows[lo:hi] - e * n
            pick: slice | np.ndarray = t
            if t[-1] - t[0] + 1 == len(t):  # consecutive rows: a slice
                pick = slice(int(t[0]), int(t[-1]) + 1)
            batch = anomaly_sine_batch(params, rng, waves)
            for name, values in zip(("sine", "cosine", "y"), batch, strict=True):
                out[name][lo:hi] = values[pick]
        return out

    def river_dataset(self, params: Any, seed: int) -> Any:
        """river's series for the concept's model seed (``seed``, the block's, is unused:
        the row clock, not the block, selects the rows)."""
        return _Episodes(params, params.seed)
