"""Rotating hyperplane (Hulten et al., 2001), as river's ``Hyperplane``.

``n_features`` features uniform on [0, 1); a row is positive when ``sum_i w_i x_i`` reaches
half the sum of the weights. With ``mag_change > 0`` the first ``n_drift_features`` weights
drift: after every row each moves by ``direction * mag_change`` and its direction reverses
with probability ``sigma`` (a random walk over the stream, so the concept moves with the
global row position: the generator is stateful).

The concept and its seed: river's single ``seed`` draws the initial weights (its first
``n_features`` draws, ``random.Random(seed).random()``), the rows and the walk. Here ``seed``
is a model seed (``None``: derived per concept; pin it to fix the concept); both engines build
the very same initial weights from it.

river behaviours reproduced on purpose, so both engines give the same distributions:

* the positive class is ``sum_value >= 0.5 * sum(weights)`` (river's code; its docstring says
  ``> sum(weights)``), with the sums accumulated feature by feature in river's order (the
  weights' sum as CPython's builtin ``sum``), so labels agree exactly;
* a label flips when ``0.01 + u <= noise_percentage`` and a direction reverses when
  ``0.01 + u <= sigma`` (``u`` uniform on [0, 1)), so the effective probabilities are
  ``max(0, p - 0.01)``: the default ``noise_percentage=0.05`` flips 4% of labels;
* a drifting weight is a running sum (``w += d * mag_change`` row after row, no bounds), and
  the numpy engine accumulates it in the same order (``np.cumsum``), so a replay of river's
  walk gives river's weights bit for bit.

Engines and the stream clock. The numpy engine draws features and label noise from the
block's generator, and the walk's direction reversals from a stream of uniforms keyed by the
model seed and the global row (``SeedSequence(seed, spawn_key=(3, row // 65536))``): the
weights at row ``r`` are therefore a pure function of the concept and ``r``, the same
whatever the block layout; :meth:`Hyperplane.stream_states` carries them across blocks in
one cheap planning pass. The river engine runs river's ``Hyperplane(seed=seed)`` as one
continuous stream per concept, fast-forwarded to the block's first row, so its rows are
river's own rows at those global positions (the block's seed sequence is not used). River's
walk and the numpy engine's walk are two draws of the same random process, not the same
path: :meth:`Hyperplane.label` labels by *river's* walk (it replays river's draws for the
concept's seed), which is what makes river's labels checkable exactly for any
``mag_change``. In a gradual transition or a recurring sequence a concept's rows are
river's rows at their own global positions (the rows between are drawn and dropped).

Without drift (``mag_change: 0``, river's default, or ``n_drift_features: 0``) the concept is
steady, so ``balance: true`` applies (numpy engine only: river's one stream per concept has no
rows to spare for oversampling); the river engine still fast-forwards (its rows are the
stream's). The walk draws only the uniforms of the rows it needs (:func:`chunk_uniforms`) and
walks a few weights at a time, so its memory does not grow with ``n_drift_features``.

Incremental transitions interpolate the weight vectors (each concept's at that row, walk
included) and the label noise.

river's integer feature keys become ``x0``, ``x1``, ...; the target ``y`` is ``int64`` (0/1).

Examples
--------
>>> import numpy as np
>>> params = HyperplaneParams(seed=7, n_features=3, noise_percentage=0.0)
>>> gen = Hyperplane(params, "numpy")
>>> cols = gen.sample_numpy(params, Draw(np.arange(500), np.random.default_rng(0)))
>>> bool(np.array_equal(cols["y"], gen.label(params, cols, np.arange(500))))
True
>>> [round(w, 4) for w in initial_weights(params)]
[0.3238, 0.1508, 0.6509]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import MAX_WIDTH, Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.seeding import SeedTree

CHUNK = 1 << 16  # rows per block of the walk's uniforms (keyed by the global row)
WALK_CELLS = 1 << 19  # drifting weights x rows walked at once (bounds the walk's memory)
_WALK_DOMAIN = 3
_NEUMAIER_SUM = sys.version_info >= (3, 12)  # CPython's sum() of floats compensates since 3.12


class HyperplaneParams(GeneratorParams):
    """river's Hyperplane parameters; ``seed`` is the model seed of the concept."""

    seed: int | None = Field(default=None, ge=0)
    n_features: int = Field(default=10, ge=2, le=MAX_WIDTH)
    n_drift_features: int = Field(default=2, ge=0, validate_default=True)
    mag_change: float = Field(default=0.0, ge=0.0, le=1.0)
    noise_percentage: float = Field(default=0.05, ge=0.0, le=1.0)
    sigma: float = Field(default=0.1, ge=0.0, le=1.0)

    seed_fields: ClassVar[tuple[str, ...]] = ("seed",)

    @field_validator("n_drift_features")
    @classmethod
    def _at_most_n_features(cls, value: int, info: ValidationInfo) -> int:
        n = info.data.get("n_features")
        if n is not None and value > n:
            raise ValueError(f"must be <= n_features ({n})")
        return value


@dataclass(frozen=True)
class WalkState:
    """The drifting weights and their directions (+1/-1) at global row ``row``."""

    row: int
    weights: np.ndarray
    directions: np.ndarray


def _model_seed(params: HyperplaneParams) -> int:
    if params.seed is None:
        raise ValueError("Hyperplane's seed is a model seed: set it (the planner fills it)")
    return params.seed


def initial_weights(params: HyperplaneParams) -> list[float]:
    """river's initial weights for the concept: the first draws of ``Random(seed)``."""
    rng = random.Random(_model_seed(params))
    return [rng.random() for _ in range(params.n_features)]


def python_sum(terms: Sequence[Any]) -> Any:
    """Element-wise ``sum(terms)`` with CPython's builtin float summation (sequential before
    3.12, Neumaier-compensated since), so a vectorised sum of weights equals river's.

    Examples
    --------
    >>> vals = [0.1, 0.2, 0.3, 1e16, -1e16]
    >>> float(python_sum([np.array([v]) for v in vals])[0]) == sum(vals)
    True
    """
    total = terms[0] + 0.0
    if not _NEUMAIER_SUM:
        for term in terms[1:]:
            total = total + term
        return total
    comp = total * 0.0
    for term in terms[1:]:
        t = total + term
        comp = comp + np.where(
            np.abs(total) >= np.abs(term), (total - t) + term, (term - t) + total
        )
        total = t
    return np.where((comp != 0) & np.isfinite(comp), total + comp, total)


def hyperplane_label(x: Sequence[np.ndarray], weights: Sequence[Any]) -> np.ndarray:
    """river's rule: 1 where ``sum_i w_i x_i >= 0.5 * sum_i w_i`` (sums in river's order).

    ``weights[i]`` is a scalar or one weight per row.
    """
    value = weights[0] * x[0]
    for w, xi in zip(weights[1:], x[1:], strict=True):
        value = value + w * xi
    if all(np.ndim(w) == 0 for w in weights):
        total: Any = sum(float(w) for w in weights)
    else:
        total = python_sum(weights)
    return np.asarray(value >= total * 0.5).astype(np.int64)


def _advance(
    weights: np.ndarray,
    directions: np.ndarray,
    uniforms: np.ndarray | None,
    steps: int,
    params: HyperplaneParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``steps`` rows of river's walk from ``weights``/``directions``: the weights at each of
    those rows (``n_drift x steps``) and the weights/directions after the last one.

    ``uniforms`` (``n_drift x steps``) decide the direction reversals (``None``: none).
    """
    n_drift = len(weights)
    if steps == 0:
        return np.empty((n_drift, 0)), weights, directions
    dirs = np.empty((n_drift, steps))
    if uniforms is not None and params.sigma > 0.01:
        flips = (0.01 + uniforms) <= params.sigma
        parity = np.cumsum(flips, axis=1, dtype=np.uint8) & 1  # wraps mod 256: parity kept
        after = np.where(parity, -directions[:, None], directions[:, None])  # after each row
        dirs[:, 0] = directions
        dirs[:, 1:] = after[:, :-1]
        new_dirs = after[:, -1]
    else:
        dirs[:] = directions[:, None]
        new_dirs = directions
    moves = np.empty((n_drift, steps + 1))
    moves[:, 0] = weights
    np.multiply(dirs, params.mag_change, out=moves[:, 1:])
    acc = np.cumsum(moves, axis=1)  # sequential, as river's +=
    return acc[:, :-1], acc[:, -1], np.asarray(new_dirs, dtype=np.float64)


def chunk_uniforms(
    seed: int, chunk: int, n_drift: int, lo: int, hi: int, group: int
) -> Iterator[tuple[int, np.ndarray]]:
    """The walk's uniforms of rows ``lo .. hi - 1`` of chunk ``chunk``, ``group`` drifting
    weights at a time: ``(first weight, uniforms)`` (weights x rows) per group, in order.

    A chunk's uniforms are one PCG64 stream (``SeedTree.rng`` of
    ``SeedSequence(seed, spawn_key=(3, chunk))``) read as an ``n_drift x CHUNK`` array:
    weight ``i``'s uniforms for the chunk's rows are draws ``i * CHUNK .. (i + 1) * CHUNK - 1``.
    Only the draws asked for are made, the others skipped with PCG64's ``advance`` (one
    64-bit output per float64), so the values are the same whatever rows and groups are asked
    for, and memory is ``group x (hi - lo)`` however many weights drift.

    Examples
    --------
    >>> full = SeedTree.rng(np.random.SeedSequence(5, spawn_key=(3, 0))).random((3, CHUNK))
    >>> parts = list(chunk_uniforms(5, 0, 3, 10, 20, 2))
    >>> [first for first, _ in parts], bool(np.array_equal(parts[1][1], full[2:, 10:20]))
    ([0, 2], True)
    """
    bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_WALK_DOMAIN, chunk)))
    gen = np.random.Generator(bits)  # SeedTree.rng's generator, with its bits at hand
    width = hi - lo
    pos = 0  # draws made or skipped so far
    for first in range(0, n_drift, group):
        count = min(group, n_drift - first)
        out = np.empty((count, width))
        if width == CHUNK:  # whole rows of the array: one run of draws
            bits.advance(first * CHUNK - pos)
            gen.random(out=out)
        else:
            for j in range(count):  # one run per weight (a loop over weights, not rows)
                start = (first + j) * CHUNK + lo
                bits.advance(start - pos)
                gen.random(out=out[j])
                pos = start + width
        pos = (first + count - 1) * CHUNK + hi
        yield first, out


def start_state(params: HyperplaneParams) -> WalkState:
    """The walk at row 0: river's initial weights, every direction +1."""
    n_drift = params.n_drift_features
    return WalkState(
        0, np.asarray(initial_weights(params)[:n_drift]), np.ones(n_drift, dtype=np.float64)
    )


def walk(
    params: HyperplaneParams, state: WalkState, stop: int, keep: bool = True
) -> tuple[np.ndarray, WalkState]:
    """The numpy engine's drifting weights for rows ``state.row .. stop - 1``
    (``n_drift_features`` x rows; empty unless ``keep``) and the state at ``stop``.

    The weights walk independently, so they are walked a group at a time, at most
    :data:`WALK_CELLS` weights x rows of a chunk at once: besides the result (if kept),
    memory does not grow with ``n_drift_features`` or the rows walked.
    """
    seed = _model_seed(params)
    weights, directions = state.weights, state.directions
    n_drift = len(weights)
    out = np.empty((n_drift, max(stop - state.row, 0) if keep else 0))
    pos = state.row
    while pos < stop:
        chunk = pos // CHUNK
        lo, hi = pos - chunk * CHUNK, min(stop - chunk * CHUNK, CHUNK)
        width = hi - lo
        group = max(1, WALK_CELLS // width)
        groups: Iterable[tuple[int, np.ndarray | None]]
        if params.sigma > 0.01:
            groups = chunk_uniforms(seed, chunk, n_drift, lo, hi, group)
        else:  # no reversals: no uniforms
            groups = ((first, None) for first in range(0, n_drift, group))
        new_weights, new_directions = np.empty(n_drift), np.empty(n_drift)
        at = pos - state.row
        for first, uniforms in groups:
            sel = slice(first, first + group)
            rows, new_weights[sel], new_directions[sel] = _advance(
                weights[sel], directions[sel], uniforms, width, params
            )
            if keep:
                out[sel, at : at + width] = rows
        weights, directions = new_weights, new_directions
        pos += width
    return out, WalkState(max(stop, state.row), weights, directions)


def _drifts(params: HyperplaneParams) -> bool:
    return params.mag_change > 0.0 and params.n_drift_features > 0


def numpy_weights(params: HyperplaneParams, rows: np.ndarray, state: Any = None) -> list[Any]:
    """The numpy engine's weights at global ``rows`` (sorted): one scalar per constant weight,
    one array per drifting weight. ``state`` (a :class:`WalkState` at or before ``rows[0]``)
    saves walking from row 0."""
    weights: list[Any] = initial_weights(params)
    if not _drifts(params) or len(rows) == 0:
        return weights
    if not (isinstance(state, WalkState) and state.row <= rows[0]):
        state = start_state(params)
    rows = np.asarray(rows)
    path, _ = walk(params, state, int(rows[-1]) + 1)
    first = int(rows[0]) - state.row
    if int(rows[-1]) - int(rows[0]) + 1 == len(rows):  # consecutive rows: a view
        at = path[:, first:]
    else:
        at = path[:, rows - state.row]
    for i in range(params.n_drift_features):
        weights[i] = at[i]
    return weights


def river_uniforms(rng: random.Random, count: int) -> np.ndarray:
    """The next ``count`` values of ``rng.random()``, computed in bulk from the same
    Mersenne-Twister words (CPython's ``random()`` joins two 32-bit outputs: 27 + 26 bits).

    Examples
    --------
    >>> a, b = random.Random(3), random.Random(3)
    >>> river_uniforms(a, 5).tolist() == [b.random() for _ in range(5)]
    True
    """
    if count <= 0:
        return np.empty(0)
    raw = rng.getrandbits(64 * count).to_bytes(8 * count, "little")
    words = np.frombuffer(raw, dtype="<u4")
    hi = (words[0::2] >> 5).astype(np.float64)
    lo = (words[1::2] >> 6).astype(np.float64)
    return np.asarray((hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0))


def river_weights(params: HyperplaneParams, rows: np.ndarray) -> list[Any]:
    """river's weights at global ``rows`` of ``Hyperplane(seed=params.seed)``: the initial
    weights, and for a drifting concept a vectorised replay of river's walk (its direction
    reversals come from the draws river makes after each row's features and noise)."""
    weights: list[Any] = initial_weights(params)
    rows = np.asarray(rows, dtype=np.int64)
    if not _drifts(params) or len(rows) == 0:
        return weights
    n_f, n_d = params.n_features, params.n_drift_features
    per_row = n_f + 1 + n_d
    stop = int(rows.max()) + 1
    rng = random.Random(_model_seed(params))
    river_uniforms(rng, n_f)  # the initial weights
    state = start_state(params)
    parts = []
    step = max(1, (1 << 22) // per_row)
    for start in range(0, stop, step):
        k = min(step, stop - start)
        draws = river_uniforms(rng, k * per_row).reshape(k, per_row)
        flips = draws[:, n_f + 1 :].T
        path, w, d = _advance(state.weights, state.directions, flips, k, params)
        parts.append(path)
        state = WalkState(start + k, w, d)
    at = np.concatenate(parts, axis=1)[:, rows]
    for i in range(n_d):
        weights[i] = at[i]
    return weights


def _features(params: HyperplaneParams, draw: Draw) -> np.ndarray:
    return draw.rng.random((params.n_features, draw.n))


def _add_noise(y: np.ndarray, noise: Any, rng: np.random.Generator) -> np.ndarray:
    if np.any(np.asarray(noise) >= 0.01):
        y = y ^ ((0.01 + rng.random(len(y))) <= noise).astype(np.int64)
    return y


@GENERATORS.register("hyperplane")
class Hyperplane(ConceptGenerator):
    """Rotating hyperplane stream: uniform features, a (drifting) linear threshold concept.

    Examples
    --------
    >>> [c.name for c in Hyperplane(HyperplaneParams(n_features=2), "numpy").columns()]
    ['x0', 'x1', 'y']
    """

    kind: ClassVar[str] = "hyperplane"
    Params: ClassVar[type[HyperplaneParams]] = HyperplaneParams
    stateful: ClassVar[bool] = True
    steady_when: ClassVar[str] = "mag_change: 0 or n_drift_features: 0"

    def drifts_internally(self, params: GeneratorParams | None = None) -> bool:
        """True when the weights move: ``mag_change > 0`` and ``n_drift_features > 0``
        (river adds ``direction * mag_change`` to each drifting weight after every row; the
        directions still reverse at ``mag_change: 0``, but the weights stay put).

        Examples
        --------
        >>> Hyperplane(HyperplaneParams(), "numpy").drifts_internally()  # river's defaults
        False
        >>> Hyperplane(HyperplaneParams(mag_change=0.1), "numpy").drifts_internally()
        True
        """
        p = self.params if params is None else params
        return not isinstance(p, HyperplaneParams) or _drifts(p)

    def fast_forwards(self, params: GeneratorParams) -> bool:
        """Always: river's Hyperplane draws a concept's rows from its model seed, one stream
        for the whole dataset, which only the global row clock moves along (without it every
        block would repeat the first block's rows)."""
        return True

    def check_balance(self, params: GeneratorParams) -> None:
        """Also refuses the river engine: balancing oversamples a block's concept, and river
        has only the concept's one stream to draw from (its rows at the block's positions),
        so the extra rows would be the next block's."""
        super().check_balance(params)
        if self.engine == "river":
            raise ScenarioError(
                "generator.balance",
                "'hyperplane' cannot be balanced with engine: river (river draws a concept's "
                "rows from its model seed, one stream for the whole dataset: the rows drawn "
                "to balance a block would be the next block's); use engine: numpy",
            )

    def _n_features(self) -> int:
        p = self.params
        return p.n_features if isinstance(p, HyperplaneParams) else 10

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f"x{i}", "double", "feature") for i in range(self._n_features()))
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1)

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(self._n_features())}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        x = _features(params, draw)
        y = hyperplane_label(list(x), numpy_weights(params, draw.rows, draw.state))
        y = _add_noise(y, params.noise_percentage, draw.rng)
        cols = {f"x{i}": x[i] for i in range(params.n_features)}
        cols["y"] = y
        return cols

    def sample_blend(
        self, source: Any, target: Any, weights: np.ndarray, draw: Draw
    ) -> dict[str, np.ndarray]:
        """Rows whose weight vector (and label noise) is ``weights[i]`` of the way from the
        source's to the target's at that row (each concept's walk continues underneath)."""
        a = np.asarray(weights, dtype=np.float64)
        x = _features(target, draw)
        ws = numpy_weights(source, draw.rows, draw.source_state)
        wt = numpy_weights(target, draw.rows, draw.state)
        mixed = [(1.0 - a) * s + a * t for s, t in zip(ws, wt, strict=True)]
        y = hyperplane_label(list(x), mixed)
        noise = source.noise_percentage + a * (target.noise_percentage - source.noise_percentage)
        y = _add_noise(y, noise, draw.rng)
        cols = {f"x{i}": x[i] for i in range(target.n_features)}
        cols["y"] = y
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """river's label (before noise) of ``features`` at global ``rows`` of the concept's
        river stream (``Hyperplane(seed=params.seed)``, walk included)."""
        x = [np.asarray(features[f"x{i}"], dtype=np.float64) for i in range(params.n_features)]
        return hyperplane_label(x, river_weights(params, np.asarray(rows)))

    def stream_states(
        self, concept: int, params: Any, block_starts: Sequence[int], seeds: SeedTree
    ) -> list[Any] | None:
        """The numpy engine's walk state at each block start (``None`` without drift)."""
        if not _drifts(params):
            return None
        state = start_state(params)
        out: list[Any] = []
        for start in block_starts:
            if start < state.row:
                state = start_state(params)
            if start > state.row:
                _, state = walk(params, state, start, keep=False)
            out.append(state)
        return out

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Hyperplane(
            seed=_model_seed(params),
            n_features=params.n_features,
            n_drift_features=params.n_drift_features,
            mag_change=params.mag_change,
            noise_percentage=params.noise_percentage,
            sigma=params.sigma,
        )
