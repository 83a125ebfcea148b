"""Mv regression (Torgo's ``mv``), as river's ``Mv``.

Ten features with dependencies (river's keys 1-10 become ``x1``-``x10``): ``x1`` uniform on
[-5, 5], ``x2`` on [-15, -10]; ``x3`` is ``'green'`` when ``x1 > 0``, else ``'red'`` (0.4)
or ``'brown'`` (0.6); ``x4`` is ``x1 + 2 x2`` for green rows, else ``x1 / 2`` (0.3) or
``x2 / 2`` (0.7); ``x5`` uniform on [-1, 1]; ``x6 = x4 * e`` with ``e`` uniform on [0, 5];
``x7`` is ``'yes'`` (0.3) or ``'no'``; ``x8`` is ``'normal'`` when ``x5 < 0.5`` else
``'large'``; ``x9`` uniform on [100, 500] and ``x10`` on [1000, 1200]. The target is, in
river's order of rules: ``35 - 0.5 x4`` if ``x2 > 2``; ``10 - 2 x1`` if ``-2 <= x4 <= 2``;
``3 - x1 / x4`` if ``x7 == 'yes'`` (``3`` when ``x4 == 0``); ``x6 + x1`` if
``x8 == 'normal'``; ``x1 / 2`` otherwise. There is no noise.

river behaviours reproduced on purpose, so both engines give the same distributions: the
first rule can never fire (``x2`` is always negative; river's rule, kept); ``x10`` is a real
number (river's ``uniform``, although the textbook says integer); a weighted choice picks
the first option when ``u * total < first weight`` (river's ``choices``), evaluated here for
every row at once. river has no parameters besides its sample seed, taken from the block's
seed sequence, so there is one concept (no incremental transitions).

``x3``, ``x7`` and ``x8`` are nominal string columns (Arrow ``string``), as river emits
them (the numpy engine builds them as Arrow arrays from integer codes, without Python string
objects); the other features and the target ``y`` are ``double``.

Examples
--------
>>> import numpy as np
>>> gen = Mv(MvParams(), "numpy")
>>> cols = gen.sample_numpy(MvParams(), Draw(np.arange(1000), np.random.default_rng(0)))
>>> sorted(set(cols["x3"].tolist()))
['brown', 'green', 'red']
>>> bool(np.array_equal(cols["y"], gen.label(MvParams(), cols, np.arange(1000))))
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calmops_gen.generators.base import (
    Column,
    ConceptGenerator,
    Draw,
    GeneratorParams,
)
from calmops_gen.generators.registry import GENERATORS

FEATURES = tuple(range(1, 11))
NOMINAL = {"x3", "x7", "x8"}
_X3 = ("green", "red", "brown")
_X7 = ("yes", "no")
_X8 = ("normal", "large")


class MvParams(GeneratorParams):
    """river's Mv has no parameters besides its sample seed."""


def _pick(rule: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``table[rule[i], i]`` for every row ``i``: one branch-free gather (``np.where`` on
    random masks is several times slower)."""
    n = table.shape[1]
    flat = rule.astype(np.intp)
    flat *= n
    flat += np.arange(n)
    return np.asarray(np.take(table.ravel(), flat))


def _target(
    x1: np.ndarray, x2: np.ndarray, x4: np.ndarray, x6: np.ndarray, yes: Any, normal: Any
) -> np.ndarray:
    """river's rules in river's order: each rule's formula for every row, then per row the
    value of the first rule that matches."""
    yes, normal = np.asarray(yes, dtype=bool), np.asarray(normal, dtype=bool)
    n = len(x1)
    value = np.empty((5, n))
    first = x2 > 2
    if first.any():  # never for sampled rows (x2 < -10): river's rule, kept for label()
        np.subtract(35.0, np.multiply(x4, 0.5, out=value[0]), out=value[0])
    np.subtract(10.0, np.multiply(x1, 2.0, out=value[1]), out=value[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        # x4 == 0 never gets this far (-2 <= x4 <= 2 matches first), so river's ``3`` for
        # x4 == 0 is never the value picked
        np.subtract(3.0, np.divide(x1, x4, out=value[2]), out=value[2])
    np.add(x6, x1, out=value[3])
    np.multiply(x1, 0.5, out=value[4])  # x1 / 2, exactly
    # the first rule that matches (int8 arithmetic on the conditions, last rule first)
    rule = np.int8(4) - normal.view(np.int8)
    rule -= yes.view(np.int8) * (rule - np.int8(2))
    rule -= (np.abs(x4) <= 2).view(np.int8) * (rule - np.int8(1))
    rule *= (~first).view(np.int8)
    return _pick(rule, value)


def mv_target(c: Mapping[str, np.ndarray]) -> np.ndarray:
    """river's Mv target from the features (rules in river's order)."""
    x1, x2, x4, x6 = (np.asarray(c[k], dtype=np.float64) for k in ("x1", "x2", "x4", "x6"))
    return _target(x1, x2, x4, x6, np.asarray(c["x7"]) == "yes", np.asarray(c["x8"]) == "normal")


def nominal(codes: np.ndarray, categories: tuple[str, ...]) -> pa.Array:
    """Strings ``categories[codes]`` as an Arrow (large) string array, gathered in C from
    the categories (no Python string objects: the numpy engine's nominal columns)."""
    cats = pa.array(list(categories), pa.large_string())
    return pc.take(cats, pa.array(np.asarray(codes, dtype=np.int8)))


@GENERATORS.register("mv")
class Mv(ConceptGenerator):
    """Mv regression stream: mixed numeric and nominal features with dependencies.

    Examples
    --------
    >>> [(c.name, c.dtype) for c in Mv(MvParams(), "numpy").columns()][2]
    ('x3', 'string')
    """

    kind: ClassVar[str] = "mv"
    Params: ClassVar[type[GeneratorParams]] = MvParams

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(
            Column(f"x{i}", "string", "feature", nominal=True)
            if f"x{i}" in NOMINAL
            else Column(f"x{i}", "double", "feature")
            for i in FEATURES
        )
        return (*feats, Column("y", "double", "target"))

    def river_names(self) -> Mapping[Hashable, str]:
        return {i: f"x{i}" for i in FEATURES}

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, Any]:
        """Columns of ``draw.n`` rows; the nominal ones as Arrow string arrays.

        ``x1``, ``x2``, ``x5``, ``x6``, ``x9`` and ``x10`` are computed in place in their
        rows of the uniforms ``u``; branches are picked per row by a gather (:func:`_pick`).
        """
        n, rng = draw.n, draw.rng
        u = rng.random((9, n))
        x1, x2, x5, x6, x9, x10 = u[0], u[1], u[4], u[5], u[7], u[8]
        x1 *= 10
        x1 -= 5  # -5 + 10 u
        x2 *= 5
        x2 -= 15  # -15 + 5 u
        green = x1 > 0
        # x3: green (0), else red (1) with probability 0.4 or brown (2)
        x3 = ((u[2] >= 0.4).view(np.int8) + np.int8(1)) * (~green).view(np.int8)
        # x4: x1 + 2 x2 (green), else x1 / 2 (0.3) or x2 / 2 (0.7), picked per row
        branch = np.empty((3, n))
        np.add(x1, np.multiply(x2, 2.0, out=branch[0]), out=branch[0])
        np.multiply(x1, 0.5, out=branch[1])
        np.multiply(x2, 0.5, out=branch[2])
        choice = (u[3] >= 0.3).view(np.int8) + np.int8(1)
        choice *= (~green).view(np.int8)
        x4 = _pick(choice, branch)
        x5 *= 2
        x5 -= 1  # -1 + 2 u
        x6 *= 5
        x6 *= x4  # x4 * (5 u)
        yes = u[6] < 0.3
        normal = x5 < 0.5
        x9 *= 400
        x9 += 100
        x10 *= 200
        x10 += 1000
        return {
            "x1": x1,
            "x2": x2,
            "x3": nominal(x3, _X3),
            "x4": x4,
            "x5": x5,
            "x6": x6,
            "x7": nominal((~yes).view(np.int8), _X7),
            "x8": nominal((~normal).view(np.int8), _X8),
            "x9": x9,
            "x10": x10,
            "y": _target(x1, x2, x4, x6, yes, normal),
        }

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return mv_target(features)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Mv(seed=seed)
