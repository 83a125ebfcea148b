"""Random radial basis functions, as river's ``RandomRBF`` and ``RandomRBFDrift``.

A concept is ``n_centroids`` centroids, each with a centre in [0, 1)^``n_features``, a class
label, a standard deviation and a selection weight, all drawn from the model seed
``seed_model`` (``None``: derived per concept; pin it to fix the concept). A row picks a
centroid with probability proportional to its weight, then moves away from its centre in a
random direction by a normal distance (``N(0, 1) * std_dev``); its class is the centroid's.
``RandomRBFDrift`` (kind ``random_rbf_drift``) also moves the first ``n_drift_centroids``
centres by ``change_speed`` per row along a random unit direction, bouncing off the faces of
the unit cube: the concept moves with the global row position (a stateful generator). At
``change_speed: 0`` (river's default) or ``n_drift_centroids: 0`` nothing moves: the stream
is river's ``RandomRBF``, so it can be balanced and the river engine does not fast-forward.

Both engines build the very same centroids from ``seed_model`` with river's own draws
(``random.Random(seed_model)``: per centroid ``n_features`` ``random()`` for the centre,
``randint(0, n_classes - 1)``, ``random()`` for ``std_dev`` and for the weight); the numpy
engine samples every row at once. river behaviours reproduced on purpose:

* the centroid is the first whose running weight sum exceeds ``u * sum(weights)`` (river's
  linear scan, here a lookup table by ``u`` that is exact, with a ``searchsorted`` on the
  same sequential cumulative sums for the few ``u`` near a running sum);
* the direction is a uniform point of the cube [-1, 1)^d normalised to unit length (not a
  uniform direction on the sphere: river's choice, kept), and the signed distance is
  ``gauss(0, 1) * std_dev``, so half the rows are reflected through the centre;
* ``RandomRBFDrift`` draws the speed directions from a *fresh* ``Random(seed_model)``: the
  first centroid's direction is its own centre normalised, and the other directions reuse
  the draws of the centres (river's code, kept so the concept is river's);
* a moving coordinate that leaves [0, 1] is set to the face it crossed and its speed
  reverses (a clamp, not a mirror reflection). The numpy engine computes each centre's
  position at row ``r`` (after ``r + 1`` moves, river moves before sampling) in closed form:
  a first climb to 1, then a periodic descent to 0 and climb to 1. river accumulates the
  position step by step, so positions agree to rounding (~1e-15); a bounce can fall one row
  apart only when a crossing lies within rounding of a face;
* ``n_drift_centroids`` larger than ``n_centroids`` means all of them (river warns, then
  does the same).

The label is the centroid's class, not a function of the features (centroids overlap), so
there is no labelling rule: :meth:`RandomRBF.label` raises ``NotImplementedError``, and
agreement with river is proven by replaying river's own draws through
:func:`rbf_transform` (same centroid, same point, same class).

Incremental transitions (same ``n_centroids`` required) move each centroid's centre from the
source's position to the target's (at that row, for moving centroids), interpolate its
``std_dev`` and selection weight linearly, and switch its class from the source's to the
target's halfway (weight 0.5).

river's integer feature keys become ``x0``, ``x1``, ...; the target ``y`` is ``int64``.

Examples
--------
>>> import numpy as np
>>> params = RandomRBFParams(seed_model=42, n_classes=4, n_features=4, n_centroids=20)
>>> gen = RandomRBF(params, "numpy")
>>> cols = gen.sample_numpy(params, Draw(np.arange(1000), np.random.default_rng(0)))
>>> sorted(set(cols["y"].tolist()))
[0, 1, 2, 3]
>>> rbf_model(params).centres[0].round(4).tolist()
[0.6394, 0.025, 0.275, 0.2232]
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import MAX_WIDTH, Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS


class RandomRBFParams(GeneratorParams):
    """river's RandomRBF parameters; ``seed_model`` is the model seed of the centroids."""

    seed_model: int | None = Field(default=None, ge=0)
    n_classes: int = Field(default=2, ge=1, le=MAX_WIDTH)
    n_features: int = Field(default=10, ge=1, le=MAX_WIDTH)
    n_centroids: int = Field(default=50, ge=1, le=MAX_WIDTH)

    seed_fields: ClassVar[tuple[str, ...]] = ("seed_model",)


class RandomRBFDriftParams(RandomRBFParams):
    """river's RandomRBFDrift parameters: RandomRBF's plus ``change_speed`` (>= 0, per row)
    and ``n_drift_centroids`` (the first that many centroids move)."""

    change_speed: float = Field(default=0.0, ge=0.0)
    n_drift_centroids: int = Field(default=50, ge=0, le=MAX_WIDTH)

    @property
    def n_moving(self) -> int:
        """Centroids that move (river caps ``n_drift_centroids`` at ``n_centroids``)."""
        return min(self.n_drift_centroids, self.n_centroids)


@dataclass(frozen=True)
class RbfModel:
    """Centroids of a concept (row ``k`` of each array is centroid ``k``).

    ``cum_weights`` are the running sums of ``weights`` in river's order and ``total`` their
    builtin ``sum``; ``speeds`` are the unit speed directions of moving centroids.
    ``buckets`` is :func:`pick_centroids`'s lookup table (see :func:`_buckets`).
    """

    centres: np.ndarray
    labels: np.ndarray
    std_devs: np.ndarray
    weights: np.ndarray
    cum_weights: np.ndarray
    total: float
    speeds: np.ndarray
    buckets: np.ndarray

    @property
    def centres_t(self) -> np.ndarray:
        """Centres as features x centroids (C order, for gathering by centroid)."""
        return np.ascontiguousarray(self.centres.T)


@lru_cache(maxsize=64)
def _build(seed: int, n_classes: int, n_features: int, n_centroids: int, n_moving: int) -> RbfModel:
    rng = random.Random(seed)
    centres, labels, stds, weights = [], [], [], []
    for _ in range(n_centroids):
        centres.append([rng.random() for _ in range(n_features)])
        labels.append(rng.randint(0, n_classes - 1))
        stds.append(rng.random())
        weights.append(rng.random())
    rng = random.Random(seed)  # river's RandomRBFDrift restarts the model stream for speeds
    speeds = []
    for _ in range(n_moving):
        raw = [rng.random() for _ in range(n_features)]
        norm = 0.0
        for v in raw:
            norm += v * v
        norm = norm**0.5
        speeds.append([v / norm for v in raw])
    cum = np.cumsum(np.asarray(weights))  # sequential, as river's running sum
    total = sum(weights)
    return RbfModel(
        centres=np.asarray(centres, dtype=np.float64).reshape(n_centroids, n_features),
        labels=np.asarray(labels, dtype=np.int64),
        std_devs=np.asarray(stds, dtype=np.float64),
        weights=np.asarray(weights, dtype=np.float64),
        cum_weights=cum,
        total=total,
        speeds=np.asarray(speeds, dtype=np.float64).reshape(n_moving, n_features),
        buckets=_buckets(cum, total),
    )


def _buckets(cum_weights: np.ndarray, total: float) -> np.ndarray:
    """Centroid picked for every uniform in each of ``K`` equal buckets of [0, 1) (``K`` a
    power of two), or -1 where the bucket holds a cumulative weight (the pick varies inside).

    Exact: for ``u`` in bucket ``b`` (``b = floor(u K)``, exact), ``u * total`` lies between
    the rounded products at the bucket's edges ``b / K`` and ``(b + 1) / K`` (rounding is
    monotone), and so does the pick (a ``searchsorted``); equal picks at both edges are the
    pick of every ``u`` of the bucket.
    """
    k = len(cum_weights)
    size = 1 << min(18, max(12, k.bit_length() + 5))  # 4,096 to 262,144, >= 32 per centroid
    edges = np.arange(size + 1, dtype=np.float64) / size * total
    picks = np.minimum(np.searchsorted(cum_weights, edges, side="right"), k - 1)
    return np.where(picks[:-1] == picks[1:], picks[:-1], -1).astype(np.int64)


def rbf_model(params: RandomRBFParams) -> RbfModel:
    """The concept's centroids, built from ``seed_model`` exactly as river builds them."""
    if params.seed_model is None:
        raise ValueError("seed_model is a model seed: set it (the planner fills it)")
    moving = params.n_moving if isinstance(params, RandomRBFDriftParams) else 0
    return _build(
        params.seed_model, params.n_classes, params.n_features, params.n_centroids, moving
    )


def pick_centroids(model: RbfModel, u: np.ndarray) -> np.ndarray:
    """river's weighted choice for uniforms ``u``: the first centroid whose running weight
    sum exceeds ``u * total`` (the last one if rounding leaves none).

    A lookup in :attr:`RbfModel.buckets` by ``floor(u * K)``; only the uniforms in a bucket
    that holds a cumulative weight (about ``n_centroids / K`` of them) are searched.
    """
    u = np.asarray(u, dtype=np.float64)
    size = len(model.buckets)
    bucket = np.multiply(u, size)
    idx: np.ndarray = np.take(model.buckets, bucket.astype(np.intp))
    mixed = np.flatnonzero(idx < 0)
    if mixed.size:
        found = np.searchsorted(model.cum_weights, u[mixed] * model.total, side="right")
        idx[mixed] = np.minimum(found, len(model.weights) - 1)
    return idx


def _blend_pick(
    source: np.ndarray, target: np.ndarray, a: np.ndarray, val: np.ndarray
) -> np.ndarray:
    """Per row, the number of centroids ``k < K - 1`` whose interpolated running weight sum
    ``(1 - a) * source[k] + a * target[k]`` is ``<= val`` (river's pick on the interpolated
    weights): a binary search over ``k`` for all rows at once. The sums are non-decreasing
    in ``k`` (so are both running sums, and rounding is monotone), so the count is the
    first ``k`` whose sum exceeds ``val`` (``K - 1`` if none does).
    """
    b = 1.0 - a
    lo = np.zeros(len(val), dtype=np.intp)
    hi = np.full(len(val), len(source) - 1, dtype=np.intp)
    for _ in range(max(len(source) - 1, 1).bit_length()):
        mid = (lo + hi) >> 1
        le = b * source[mid] + a * target[mid] <= val
        lo = np.where(le & (lo < hi), mid + 1, lo)
        hi = np.where(le, hi, mid)
    return lo.astype(np.int64)


def rbf_transform(
    centres: np.ndarray, std_devs: np.ndarray, att: np.ndarray, gauss: np.ndarray
) -> np.ndarray:
    """Points from their centroid's centre (``d x n``) and ``std_dev`` (``n``), river's
    direction draws ``att`` (``d x n``, uniform on [-1, 1)) and normal draws ``gauss``:
    ``centre + att * (gauss * std_dev / |att|)``, with river's operation order."""
    out = rbf_offsets(std_devs, att, gauss)
    out += centres
    return out


def rbf_offsets(
    std_devs: np.ndarray, att: np.ndarray, gauss: np.ndarray, overwrite: bool = False
) -> np.ndarray:
    """The points' offsets from their centres, ``att * (gauss * std_dev / |att|)`` (see
    :func:`rbf_transform`); ``overwrite``: written into ``att`` (C-ordered float64)."""
    # sum of squares over the features, accumulated in feature order (river's order)
    magnitude = np.einsum("ij,ij->j", att, att)
    scale = gauss * std_devs
    scale /= np.sqrt(magnitude, out=magnitude)
    out: np.ndarray = np.multiply(att, scale, out=att if overwrite else None)
    return out


@dataclass(frozen=True)
class Bounce:
    """Closed form of river's clamped bouncing for coordinates starting at ``p0`` in [0, 1]
    with steps ``v >= 0``: ``climb`` moves to reach 1 the first time, then a period of
    ``down`` moves to 0 and ``up`` moves back to 1 (each the first move that crosses, clamped
    to the face). Every array has the shape of ``p0``.
    """

    p0: np.ndarray
    v: np.ndarray
    climb: np.ndarray
    down: np.ndarray
    up: np.ndarray

    @classmethod
    def of(cls, p0: np.ndarray, v: np.ndarray) -> Bounce:
        """The bounce of coordinates ``p0`` moving by ``v`` per row."""
        p0, v = np.broadcast_arrays(np.asarray(p0, np.float64), np.asarray(v, np.float64))
        safe = np.where(v > 0, v, 1.0)
        big = float(1 << 53)

        def first(start: np.ndarray, sign: float) -> np.ndarray:
            # smallest k >= 1 with start + sign * k * v outside [0, 1] (checked in floats)
            def out(k: np.ndarray) -> np.ndarray:
                p = start + sign * k * safe
                return np.asarray(p > 1.0 if sign > 0 else p < 0.0)

            gap = (1.0 - start) if sign > 0 else start
            k = np.minimum(np.floor(gap / safe), big) + 1
            for _ in range(2):
                k = np.where((k > 1) & out(k - 1), k - 1, k)
                k = np.where(~out(k), k + 1, k)
            return k

        climb = np.where(v > 0, first(p0, 1.0), np.inf)
        down = first(np.ones_like(p0), -1.0)
        up = first(np.zeros_like(p0), 1.0)
        return cls(p0, np.asarray(safe * (v > 0)), climb, down, up)

    def at(self, t: np.ndarray, sel: Any = ...) -> np.ndarray:
        """Positions after ``t`` moves (``t`` broadcast against ``self.p0[sel]``)."""
        p0, v, climb = self.p0[sel], self.v[sel], self.climb[sel]
        down, up = self.down[sel], self.up[sel]
        tf = np.asarray(t, dtype=np.float64)
        early = tf < climb
        m = np.mod(np.where(early, 0.0, tf - climb), down + up)
        going_up = m > down
        late = np.where(going_up, (m - down) * v, 1.0 - m * v)
        late = np.where(m == 0, 1.0, np.where(m == down, 0.0, late))
        return np.asarray(np.where(early, p0 + tf * v, late))


def bounce(p0: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Position after ``t`` moves of a coordinate starting at ``p0`` in [0, 1] with step
    ``v >= 0``, clamped to the face it crosses with its speed reversed (river's rule).

    Examples
    --------
    >>> bounce(np.array([0.5]), np.array([0.3]), np.arange(1, 9)).round(2).tolist()
    [0.8, 1.0, 0.7, 0.4, 0.1, 0.0, 0.3, 0.6]
    """
    return Bounce.of(p0, v).at(t)


@lru_cache(maxsize=64)
def _bounce_of(params: RandomRBFDriftParams) -> Bounce:
    model = rbf_model(params)
    k = params.n_moving
    return Bounce.of(model.centres[:k], model.speeds * params.change_speed)


def _check_blend(source: RandomRBFParams, target: RandomRBFParams) -> None:
    if source.n_centroids != target.n_centroids:
        raise ScenarioError(
            "schedule.transition.kind",
            "an incremental random_rbf transition moves centroid k of one concept to "
            f"centroid k of the next: n_centroids must not change ({source.n_centroids} -> "
            f"{target.n_centroids}); use a gradual or abrupt transition",
        )


@GENERATORS.register("random_rbf")
class RandomRBF(ConceptGenerator):
    """Random RBF stream: points scattered around weighted, labelled centroids.

    Examples
    --------
    >>> gen = RandomRBF(RandomRBFParams(n_features=2, n_classes=3), "numpy")
    >>> [c.name for c in gen.columns()], gen.classes()
    (['x0', 'x1', 'y'], (0, 1, 2))
    """

    kind: ClassVar[str] = "random_rbf"
    Params: ClassVar[type[RandomRBFParams]] = RandomRBFParams

    def _p(self) -> RandomRBFParams:
        p = self.params
        return p if isinstance(p, RandomRBFParams) else self.Params()

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f"x{i}", "double", "feature") for i in range(self._p().n_features))
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return self.classes_for(self._p())

    def classes_for(self, params: GeneratorParams) -> tuple[Hashable, ...]:
        """``0 .. n_classes - 1`` of the concept ``params``.

        Examples
        --------
        >>> RandomRBF(RandomRBFParams(), "numpy").classes_for(RandomRBFParams(n_classes=3))
        (0, 1, 2)
        """
        p = params if isinstance(params, RandomRBFParams) else self._p()
        return tuple(range(p.n_classes))

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(self._p().n_features)}

    def centres_at(
        self, params: Any, model: RbfModel, idx: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Centres (``d x n``) of centroids ``idx`` when rows ``rows`` are drawn."""
        return np.take(model.centres_t, idx, axis=1)

    def add_centres(
        self, params: Any, model: RbfModel, idx: np.ndarray, rows: np.ndarray, x: np.ndarray
    ) -> None:
        """``x += self.centres_at(params, model, idx, rows)``, one feature at a time (no
        ``d x n`` array of centres)."""
        for i, centre in enumerate(model.centres_t):
            x[i] += np.take(centre, idx)

    def _draws(self, params: Any, draw: Draw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = draw.rng
        u = rng.random(draw.n)
        att = rng.random((params.n_features, draw.n))
        att *= 2.0
        att -= 1.0  # uniform on [-1, 1), river's ``random() * 2 - 1``
        return u, att, rng.standard_normal(draw.n)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        model = rbf_model(params)
        u, att, gauss = self._draws(params, draw)
        idx = pick_centroids(model, u)
        x = rbf_offsets(model.std_devs[idx], att, gauss, overwrite=True)
        self.add_centres(params, model, idx, draw.rows, x)  # rbf_transform, in place
        cols = {f"x{i}": x[i] for i in range(params.n_features)}
        cols["y"] = model.labels[idx]
        return cols

    def check_blend(self, source: Any, target: Any) -> None:
        _check_blend(source, target)

    def sample_blend(
        self, source: Any, target: Any, weights: np.ndarray, draw: Draw
    ) -> dict[str, np.ndarray]:
        """Rows whose centroids are ``weights[i]`` of the way from the source's to the
        target's (centres, std_devs, selection weights; classes switch at 0.5)."""
        _check_blend(source, target)
        a = np.asarray(weights, dtype=np.float64)
        ms, mt = rbf_model(source), rbf_model(target)
        u, att, gauss = self._draws(target, draw)
        val = u * ((1.0 - a) * ms.total + a * mt.total)
        idx = _blend_pick(ms.cum_weights, mt.cum_weights, a, val)
        centres = (1.0 - a) * self.centres_at(source, ms, idx, draw.rows) + a * self.centres_at(
            target, mt, idx, draw.rows
        )
        std = (1.0 - a) * ms.std_devs[idx] + a * mt.std_devs[idx]
        x = rbf_transform(centres, std, att, gauss)
        cols = {f"x{i}": x[i] for i in range(target.n_features)}
        cols["y"] = np.where(a < 0.5, ms.labels[idx], mt.labels[idx])
        return cols

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.RandomRBF(
            seed_model=params.seed_model,
            seed_sample=seed,
            n_classes=params.n_classes,
            n_features=params.n_features,
            n_centroids=params.n_centroids,
        )


@GENERATORS.register("random_rbf_drift")
class RandomRBFDrift(RandomRBF):
    """Random RBF stream whose first ``n_drift_centroids`` centres move ``change_speed`` per
    row, bouncing inside the unit cube.

    Examples
    --------
    >>> import numpy as np
    >>> p = RandomRBFDriftParams(seed_model=1, n_features=2, n_centroids=3, change_speed=0.1)
    >>> gen = RandomRBFDrift(p, "numpy")
    >>> c = gen.centres_at(p, rbf_model(p), np.array([0, 0, 0]), np.array([0, 10, 20]))
    >>> bool(np.all((c >= 0) & (c <= 1))), bool(np.ptp(c[0]) > 0)
    (True, True)
    """

    kind: ClassVar[str] = "random_rbf_drift"
    Params: ClassVar[type[RandomRBFParams]] = RandomRBFDriftParams
    stateful: ClassVar[bool] = True
    steady_when: ClassVar[str] = "change_speed: 0 or n_drift_centroids: 0"

    def centres_at(
        self, params: Any, model: RbfModel, idx: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        centres = np.take(model.centres_t, idx, axis=1)
        moving = np.flatnonzero(idx < params.n_moving)
        if params.change_speed > 0 and moving.size:
            t = np.asarray(rows)[moving] + 1  # river moves the centroids before each row
            centres[:, moving] = _bounce_of(params).at(t[:, None], idx[moving]).T
        return centres

    def add_centres(
        self, params: Any, model: RbfModel, idx: np.ndarray, rows: np.ndarray, x: np.ndarray
    ) -> None:
        if params.change_speed > 0 and params.n_moving:
            x += self.centres_at(params, model, idx, rows)
        else:  # no centre moves
            super().add_centres(params, model, idx, rows, x)

    def drifts_internally(self, params: GeneratorParams | None = None) -> bool:
        """True when some centroid moves: ``change_speed > 0`` and ``n_drift_centroids > 0``
        (river adds ``change_speed`` times the direction each row, so at speed 0 the stream
        is river's RandomRBF).

        Examples
        --------
        >>> p = RandomRBFDriftParams(change_speed=0.0)
        >>> RandomRBFDrift(p, "numpy").drifts_internally()
        False
        >>> RandomRBFDrift(p, "numpy").drifts_internally(RandomRBFDriftParams(change_speed=0.1))
        True
        """
        p = self.params if params is None else params
        if not isinstance(p, RandomRBFDriftParams):
            return True
        return p.change_speed > 0 and p.n_moving > 0

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.RandomRBFDrift(
            seed_model=params.seed_model,
            seed_sample=seed,
            n_classes=params.n_classes,
            n_features=params.n_features,
            n_centroids=params.n_centroids,
            change_speed=params.change_speed,
            n_drift_centroids=params.n_moving,
        )
