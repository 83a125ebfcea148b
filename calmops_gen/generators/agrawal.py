"""Agrawal loan-application concepts (Agrawal et al., 1993), as river's ``Agrawal``.

Nine features (``salary``, ``commission``, ``age``, ``elevel``, ``car``, ``zipcode``,
``hvalue``, ``hyears``, ``loan``) and ten labelling functions (``classification_function``
0-9). The numpy engine draws every column at once and applies the labelling rules as array
expressions written in the same operation order as river's, so labels agree exactly.

river behaviours reproduced on purpose, so both engines give the same distributions:

* ``perturbation`` moves the numeric features *after* the label is computed, so labels
  follow the unperturbed features (river's design: perturbation is feature noise);
* river perturbs ``hvalue`` with its bounds swapped (min ``(9 - zipcode) * 100000``,
  max ``0``), which collapses a perturbed ``hvalue`` to ``(9 - zipcode) * 100000`` or
  ``0``; ``age`` and ``hyears`` are rounded half-to-even after perturbation; a zero
  ``commission`` is never perturbed;
* ``balance_classes`` makes classes alternate 1, 0, 1, 0, ... row by row (rejection
  sampling), so a balanced block has exactly ``ceil(n / 2)`` positives;
* function 4 compares ``salary`` with ranges it can never reach (river's rule, kept).

``elevel``, ``car`` and ``zipcode`` are integer-coded nominal features.

Examples
--------
>>> import numpy as np
>>> gen = Agrawal(AgrawalParams(), "numpy")
>>> draw = Draw(np.arange(1000), np.random.default_rng(1))
>>> cols = gen.sample_numpy(AgrawalParams(classification_function=0), draw)
>>> bool(np.all(cols["y"] == ((cols["age"] < 40) | (cols["age"] >= 60))))
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.generators.balance import alternate_classes
from calmops_gen.generators.base import (
    Column,
    ConceptGenerator,
    Draw,
    GeneratorParams,
)
from calmops_gen.generators.registry import GENERATORS

FEATURES = ("salary", "commission", "age", "elevel", "car", "zipcode", "hvalue", "hyears", "loan")
_INT_FEATURES = {"age", "elevel", "car", "zipcode", "hyears"}
_NOMINAL = {"elevel", "car", "zipcode"}
# (low, high inclusive) of river's randint draws, in the order they are decoded below.
_INT_RANGES = (
    ("age", 20, 80),
    ("elevel", 0, 4),
    ("car", 1, 20),
    ("zipcode", 0, 8),
    ("hyears", 1, 30),
)

Arrays = dict[str, np.ndarray]


class AgrawalParams(GeneratorParams):
    """river's Agrawal parameters."""

    classification_function: int = Field(default=0, ge=0, le=9)
    perturbation: float = Field(default=0.0, ge=0.0, le=1.0)
    balance_classes: bool = False


def _between(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.asarray((lo <= v) & (v <= hi))


def _by_age(age: np.ndarray, young: np.ndarray, middle: np.ndarray, old: np.ndarray) -> np.ndarray:
    return np.where(age < 40, young, np.where(age < 60, middle, old))


def _f0(c: Arrays) -> np.ndarray:
    return np.asarray((c["age"] < 40) | (c["age"] >= 60))


def _f1(c: Arrays) -> np.ndarray:
    s = c["salary"]
    return _by_age(
        c["age"], _between(s, 50000, 100000), _between(s, 75000, 125000), _between(s, 25000, 75000)
    )


def _f2(c: Arrays) -> np.ndarray:
    e = c["elevel"]
    return _by_age(c["age"], e <= 1, (e >= 1) & (e <= 3), e >= 2)


def _f3(c: Arrays) -> np.ndarray:
    s, e = c["salary"], c["elevel"]
    mid, low, high = (
        _between(s, 50000, 100000),
        _between(s, 25000, 75000),
        _between(s, 75000, 125000),
    )
    return _by_age(
        c["age"],
        np.where(e <= 1, low, mid),
        np.where((e >= 1) & (e <= 3), mid, high),
        np.where(e >= 2, mid, low),
    )


def _f4(c: Arrays) -> np.ndarray:
    s, loan = c["salary"], c["loan"]
    young = np.where(
        _between(s, 50000, 100000), _between(loan, 100000, 300000), _between(s, 200000, 400000)
    )
    middle = np.where(
        _between(s, 75000, 125000), (s >= 200000) & (loan <= 400000), _between(s, 300000, 500000)
    )
    old = np.where(
        _between(s, 25000, 75000), _between(loan, 300000, 500000), _between(loan, 75000, 300000)
    )
    return _by_age(c["age"], young, middle, old)


def _f5(c: Arrays) -> np.ndarray:
    t = c["salary"] + c["commission"]
    return _by_age(
        c["age"], _between(t, 50000, 100000), _between(t, 75000, 125000), _between(t, 25000, 75000)
    )


def _f6(c: Arrays) -> np.ndarray:
    disposable = 2 * (c["salary"] + c["commission"]) / 3 - c["loan"] / 5 - 20000
    return np.asarray(disposable <= 1)


def _f7(c: Arrays) -> np.ndarray:
    disposable = 2 * (c["salary"] + c["commission"]) / 3 - 5000 * c["elevel"] - 20000
    return np.asarray(disposable <= 1)


def _f8(c: Arrays) -> np.ndarray:
    disposable = (
        2 * (c["salary"] + c["commission"]) / 3 - 5000 * c["elevel"] - c["loan"] / 5 - 10000
    )
    return np.asarray(disposable <= 1)


def _f9(c: Arrays) -> np.ndarray:
    hyears = c["hyears"]
    equity = np.where(hyears >= 20, c["hvalue"] * (hyears - 20) / 10, 0)
    disposable = 2 * (c["salary"] + c["commission"]) / 3 - 5000 * c["elevel"] + equity / 5 - 10000
    return np.asarray(disposable <= 1)


LABEL_FUNCTIONS: tuple[Callable[[Arrays], np.ndarray], ...] = (
    _f0, _f1, _f2, _f3, _f4, _f5, _f6, _f7, _f8, _f9,
)  # fmt: skip


def agrawal_label(columns: Arrays, function: int) -> np.ndarray:
    """river's Agrawal labelling rule ``function`` (0-9) applied to feature arrays, as int64."""
    return LABEL_FUNCTIONS[function](columns).astype(np.int64)


def _draw_features(n: int, rng: np.random.Generator) -> Arrays:
    u = rng.random((4, n))
    spans = [hi - lo + 1 for _, lo, hi in _INT_RANGES]
    code = rng.integers(0, int(np.prod(spans)), n)
    cols: Arrays = {}
    for (name, lo, _), span in zip(_INT_RANGES, spans, strict=True):
        code, digit = np.divmod(code, span)
        cols[name] = digit + lo
    salary = 20000 + 130000 * u[0]
    cols["salary"] = salary
    cols["commission"] = np.where(salary >= 75000, 0.0, 10000 + 75000 * u[1])
    cols["hvalue"] = (8 - cols["zipcode"]) * 100000 * (0.5 + u[2])
    cols["loan"] = u[3] * 500000
    return cols


def _perturb(
    val: np.ndarray, lo: Any, hi: Any, span: Any, p: float, rng: np.random.Generator
) -> np.ndarray:
    moved = val + span * (2 * (rng.random(len(val)) - 0.5)) * p
    return np.asarray(np.where(moved < lo, lo, np.where(moved > hi, hi, moved)))


@GENERATORS.register("agrawal")
class Agrawal(ConceptGenerator):
    """Agrawal stream: nine loan-application features, ten labelling functions."""

    kind: ClassVar[str] = "agrawal"
    Params: ClassVar[type[AgrawalParams]] = AgrawalParams

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(
            Column(f, "int64" if f in _INT_FEATURES else "double", "feature", f in _NOMINAL)
            for f in FEATURES
        )
        return (*feats, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        fn = params.classification_function
        if params.balance_classes:

            def batch(m: int) -> tuple[Arrays, np.ndarray]:
                features = _draw_features(m, rng)
                return features, agrawal_label(features, fn)

            path, what = "generator.params.balance_classes", f"function {fn}"
            cols, y = alternate_classes(n, batch, path, what)
        else:
            cols = _draw_features(n, rng)
            y = agrawal_label(cols, fn)
        p = params.perturbation
        if p > 0.0:
            cols["salary"] = _perturb(cols["salary"], 20000, 150000, 130000, p, rng)
            com = cols["commission"]
            cols["commission"] = np.where(com > 0, _perturb(com, 10000, 75000, 65000, p, rng), com)
            cols["age"] = np.round(_perturb(cols["age"], 20, 80, 60, p, rng)).astype(np.int64)
            zlo = (9 - cols["zipcode"]) * 100000
            cols["hvalue"] = _perturb(cols["hvalue"], zlo, 0, 135000, p, rng)
            cols["hyears"] = np.round(_perturb(cols["hyears"], 1, 30, 29, p, rng)).astype(np.int64)
            cols["loan"] = _perturb(cols["loan"], 0, 500000, 500000, p, rng)
        cols["y"] = y
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return agrawal_label(dict(features), params.classification_function)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.Agrawal(
            classification_function=params.classification_function,
            seed=seed,
            balance_classes=params.balance_classes,
            perturbation=params.perturbation,
        )
