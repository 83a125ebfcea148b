"""Friedman's regression function (Friedman, 1991), as river's ``Friedman`` and
``FriedmanDrift``.

Ten features ``x0``-``x9`` uniform on [0, 1); the target is

``y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, 1)``

(only the first five features matter). river's ``Friedman`` has no parameters (its
``seed`` is the sample seed, taken from the block's seed sequence); here ``coefficients``
(default river's ``(10, 20, 10, 5)``) names the four weights, so that a Friedman concept can
change: ``coefficients: [a, b, c, d]`` gives ``y = a sin(pi x0 x1) + b (x2 - 0.5)^2 + c x3 +
d x4 + N(0, 1)``. Other coefficients are a numpy-engine extension (the river engine refuses
them, at ``generator.engine``); an incremental transition between two Friedman concepts
moves every coefficient linearly with the row's concept weight.

``FriedmanDrift`` (kind ``friedman_drift``, Ikonomovska et al., 2011) changes the function
at global row positions ``position`` (river's ``index`` counts the rows of its stream; here
the clock is the dataset's global row, so the generator is stateful):

* ``lea`` (local expanding abrupt; three positions): two regions of the input space get
  other functions from the first position on, and they grow at the second and third;
* ``gra`` (global recurring abrupt; two positions): the features of the function are
  permuted between the two positions, then the first function comes back;
* ``gsg`` (global slow gradual; two positions): the function changes twice; during the
  ``transition_window`` rows after each position each row follows the old or the new
  function with probability 1/2.

river behaviours reproduced on purpose: the noise ``N(0, 1)`` is added to every function;
the functions are evaluated with river's operation order (``10 * sin(pi * x0 * x1) + ...``),
so targets agree to rounding of ``sin``/``cos``/``exp`` (numpy's versus libm's, ~1e-15). The
gradual coin flips come from the block's generator; river draws them from a second
``Random(seed)``, a coin per transition row (not reproducible from the features, so
:meth:`FriedmanDrift.label` returns NaN on rows of a ``gsg`` transition window).

Validation follows river's: ``lea`` needs exactly three positions, ``gra``/``gsg`` exactly
two, strictly increasing (and here >= 0); for ``gsg`` the window must fit between the two
positions. ``position`` left out means river's default ``(50_000, 100_000, 150_000)`` for
``lea`` and its first two values for ``gra``/``gsg`` (river's own default is rejected by
river for those).

The river engine runs river with the block's seed, fast-forwarded to the block's first row,
so river's row index is the global row; in a gradual (schedule) transition or a recurring
sequence a concept's rows are river's rows at their own global positions (the rows between
are drawn and dropped). FriedmanDrift has no incremental transitions (its concepts are
discrete).

Targets ``y`` are ``double``.

Examples
--------
>>> import numpy as np
>>> gen = Friedman(FriedmanParams(), "numpy")
>>> cols = gen.sample_numpy(FriedmanParams(), Draw(np.arange(2000), np.random.default_rng(0)))
>>> resid = cols["y"] - gen.label(FriedmanParams(), cols, np.arange(2000))
>>> bool(abs(resid.mean()) < 0.1 and abs(resid.std() - 1) < 0.1)
True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from calmops_gen.generators.base import Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS

N_FEATURES = 10
DEFAULT_POSITION = (50_000, 100_000, 150_000)

Arrays = Mapping[str, np.ndarray]


RIVER_COEFFICIENTS = (10.0, 20.0, 10.0, 5.0)

Coefficients = tuple[float, float, float, float]


class FriedmanParams(GeneratorParams):
    """``coefficients`` of the four terms (river's Friedman has none: it uses the default)."""

    coefficients: Coefficients = RIVER_COEFFICIENTS


class FriedmanDriftParams(GeneratorParams):
    """river's FriedmanDrift parameters: ``drift_type``, ``position``, ``transition_window``."""

    drift_type: Literal["lea", "gra", "gsg"] = "lea"
    position: tuple[int, ...] | None = None
    # checked at its default too (against positions given closer together)
    transition_window: int = Field(default=10_000, ge=0, validate_default=True)

    @field_validator("position")
    @classmethod
    def _check_position(
        cls, value: tuple[int, ...] | None, info: ValidationInfo
    ) -> tuple[int, ...] | None:
        if value is None:
            return value
        need = 3 if info.data.get("drift_type", "lea") == "lea" else 2
        if len(value) != need:
            raise ValueError(
                f"drift_type {info.data.get('drift_type', 'lea')!r} needs exactly {need} "
                f"positions, got {len(value)}"
            )
        if value[0] < 0 or any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("positions must be >= 0 and strictly increasing")
        return value

    @field_validator("transition_window")
    @classmethod
    def _window_fits(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("drift_type") == "gsg" and "position" in info.data:
            pos = _positions(info.data["drift_type"], info.data["position"])
            if value > pos[1] - pos[0]:
                raise ValueError(
                    f"must be <= {pos[1] - pos[0]}, the rows between the two positions"
                )
        return value

    @property
    def positions(self) -> tuple[int, ...]:
        """The drift positions in force (river's default when ``position`` is left out)."""
        return _positions(self.drift_type, self.position)


def _positions(drift_type: str, position: tuple[int, ...] | None) -> tuple[int, ...]:
    if position is None:
        return DEFAULT_POSITION if drift_type == "lea" else DEFAULT_POSITION[:2]
    return tuple(position)


Weights = tuple[float | np.ndarray, ...]


def _fn(
    c: Arrays, a: int, b: int, d: int, e: int, f: int, k: Weights = RIVER_COEFFICIENTS
) -> np.ndarray:
    # k0 sin(pi x_a x_b) + k1 (x_d - 0.5)^2 + k2 x_e + k3 x_f, in river's operation order
    # (10 * v and 10.0 * v are the same double)
    return np.asarray(
        k[0] * np.sin(np.pi * c[f"x{a}"] * c[f"x{b}"])
        + k[1] * (c[f"x{d}"] - 0.5) ** 2
        + k[2] * c[f"x{e}"]
        + k[3] * c[f"x{f}"]
    )


def friedman(c: Arrays, k: Weights = RIVER_COEFFICIENTS) -> np.ndarray:
    """The Friedman function (no noise) with coefficients ``k`` (river's by default; one
    per row when they are arrays).

    Examples
    --------
    >>> c = {f"x{i}": np.array([0.5]) for i in range(5)}
    >>> friedman(c).tolist(), friedman(c, (0.0, 0.0, 2.0, 0.0)).tolist()
    ([14.571067811865476], [1.0])
    """
    return _fn(c, 0, 1, 2, 3, 4, k)


def _gra_drift(c: Arrays) -> np.ndarray:
    return _fn(c, 3, 5, 1, 0, 2)


def _gsg_first(c: Arrays) -> np.ndarray:
    return _fn(c, 3, 4, 1, 0, 2)


def _gsg_second(c: Arrays) -> np.ndarray:
    return _fn(c, 1, 4, 3, 2, 0)


def _lea_r1(c: Arrays) -> np.ndarray:
    return np.asarray(10 * c["x0"] * c["x1"] + 20 * (c["x2"] - 0.5) + 10 * c["x3"] + 5 * c["x4"])


def _lea_r2(c: Arrays) -> np.ndarray:
    return np.asarray(
        10 * np.cos(c["x0"] * c["x1"]) + 20 * (c["x2"] - 0.5) + np.exp(c["x3"]) + 5 * c["x4"] ** 2
    )


class _Taken(Mapping[str, np.ndarray]):
    """The rows ``idx`` of the feature arrays ``c``, each taken when it is first read (a
    function reads only the features it uses)."""

    def __init__(self, c: Arrays, idx: np.ndarray) -> None:
        self.c, self.idx = c, idx
        self.taken: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.taken:
            self.taken[key] = self.c[key][self.idx]
        return self.taken[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.c)

    def __len__(self) -> int:
        return len(self.c)


Piece = tuple[np.ndarray, Callable[[Arrays], np.ndarray]]


def _piecewise(c: Arrays, pieces: Sequence[Piece]) -> np.ndarray:
    """Each ``(mask, fn)``'s function on the rows of its mask (the masks cover each row
    once): the piece with the most rows is evaluated on every row (contiguous arrays, no
    gathering), then each other piece on its own rows only, overwriting them; a function
    no row uses costs nothing.

    Examples
    --------
    >>> c = {"x0": np.array([1.0, 2.0, 3.0])}
    >>> high = c["x0"] > 1.5
    >>> _piecewise(c, [(~high, lambda a: a["x0"] * 10), (high, lambda a: -a["x0"])])
    array([10., -2., -3.])
    """
    rows = [np.flatnonzero(mask) for mask, _ in pieces]
    main = max(range(len(pieces)), key=lambda i: rows[i].size)
    out = np.asarray(pieces[main][1](c), dtype=np.float64)  # a new array: ours to write
    for i, (_, fn) in enumerate(pieces):
        if i != main and rows[i].size:
            out[rows[i]] = fn(_Taken(c, rows[i]))
    return out


def drift_target(
    params: FriedmanDriftParams,
    c: Arrays,
    rows: np.ndarray,
    keep_old: np.ndarray | None = None,
) -> np.ndarray:
    """river's FriedmanDrift function (no noise) at global ``rows``.

    ``keep_old`` (``gsg`` only): per row, whether a row inside a transition window follows
    the old function (river's coin); ``None`` gives NaN on those rows.
    """
    rows = np.asarray(rows)
    n = len(rows)
    pos = params.positions
    if params.drift_type == "lea":
        p1, p2, p3 = pos
        x1, x2, x3, x4 = c["x1"], c["x2"], c["x3"], c["x4"]
        stage1 = (rows >= p1) & (rows < p2)
        stage2 = (rows >= p2) & (rows < p3)
        stage3 = rows >= p3
        base1 = (x1 < 0.3) & (x2 < 0.3)
        base2 = (x1 > 0.7) & (x2 > 0.7)  # disjoint from base1
        in_r1 = base1 & ((stage1 & (x3 > 0.7) & (x4 < 0.3)) | (stage2 & (x3 > 0.7)) | stage3)
        in_r2 = base2 & ((stage1 & (x3 < 0.3) & (x4 > 0.7)) | (stage2 & (x3 < 0.3)) | stage3)
        return _piecewise(c, [(~(in_r1 | in_r2), friedman), (in_r1, _lea_r1), (in_r2, _lea_r2)])
    p1, p2 = pos
    if params.drift_type == "gra":
        drifted = (rows >= p1) & (rows < p2)
        return _piecewise(c, [(~drifted, friedman), (drifted, _gra_drift)])
    window = params.transition_window
    old = np.zeros(n, dtype=bool) if keep_old is None else np.asarray(keep_old, bool)
    first = (rows >= p1) & (rows < p2)
    second = rows >= p2
    in_window = (first & (rows < p1 + window)) | (second & (rows < p2 + window))
    use_old = in_window & old
    out = _piecewise(
        c,
        [
            ((rows < p1) | (first & use_old), friedman),
            ((first & ~use_old) | (second & use_old), _gsg_first),
            (second & ~use_old, _gsg_second),
        ],
    )
    if keep_old is None:
        out[in_window] = np.nan
    return out


def _features(draw: Draw) -> dict[str, np.ndarray]:
    x = draw.rng.random((N_FEATURES, draw.n))
    return {f"x{i}": x[i] for i in range(N_FEATURES)}


class _FriedmanColumns(ConceptGenerator):
    """What both Friedman streams share: ten uniform features ``x0``-``x9``, target ``y``."""

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f"x{i}", "double", "feature") for i in range(N_FEATURES))
        return (*feats, Column("y", "double", "target"))

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in range(N_FEATURES)}


@GENERATORS.register("friedman")
class Friedman(_FriedmanColumns):
    """Friedman #1 regression stream: ten uniform features, five of them relevant.

    Examples
    --------
    >>> Friedman(FriedmanParams(), "numpy").columns()[-1]
    Column(name='y', dtype='double', role='target', nominal=False)
    """

    kind: ClassVar[str] = "friedman"
    Params: ClassVar[type[GeneratorParams]] = FriedmanParams

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        cols = _features(draw)
        cols["y"] = friedman(cols, params.coefficients) + draw.rng.standard_normal(draw.n)
        return cols

    def sample_blend(
        self, source: Any, target: Any, weights: np.ndarray, draw: Draw
    ) -> dict[str, np.ndarray]:
        """Rows whose coefficients move linearly from ``source``'s to ``target``'s."""
        cols = _features(draw)
        k = tuple(
            a + weights * (b - a)
            for a, b in zip(source.coefficients, target.coefficients, strict=True)
        )
        cols["y"] = friedman(cols, k) + draw.rng.standard_normal(draw.n)
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """The noiseless target (river adds ``N(0, 1)`` noise to it)."""
        return friedman(features, params.coefficients)

    def engine_problem(self, params: Any) -> str | None:
        if self.engine == "river" and tuple(params.coefficients) != RIVER_COEFFICIENTS:
            return (
                f"coefficients {list(params.coefficients)} need engine numpy (river's Friedman "
                f"has fixed coefficients {list(RIVER_COEFFICIENTS)})"
            )
        return None

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Friedman(seed=seed)


@GENERATORS.register("friedman_drift")
class FriedmanDrift(_FriedmanColumns):
    """Friedman stream whose function changes at global row positions (lea, gra, gsg).

    Examples
    --------
    >>> import numpy as np
    >>> p = FriedmanDriftParams(drift_type="gra", position=(10, 20))
    >>> gen = FriedmanDrift(p, "numpy")
    >>> x = {f"x{i}": np.full(3, 0.1 * (i + 1)) for i in range(10)}
    >>> t = gen.label(p, x, np.array([5, 15, 25]))
    >>> bool(t[0] == t[2] != t[1])
    True
    """

    kind: ClassVar[str] = "friedman_drift"
    Params: ClassVar[type[GeneratorParams]] = FriedmanDriftParams
    stateful: ClassVar[bool] = True

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        cols = _features(draw)
        coins = draw.rng.random(draw.n) < 0.5 if params.drift_type == "gsg" else None
        target = drift_target(params, cols, draw.rows, coins)
        cols["y"] = target + draw.rng.standard_normal(draw.n)
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """The noiseless target at global ``rows`` (NaN inside ``gsg`` windows: a coin)."""
        return drift_target(params, features, rows)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.FriedmanDrift(
            drift_type=params.drift_type,
            position=params.positions,
            transition_window=params.transition_window,
            seed=seed,
        )
