"""Logical functions of two bits, as river's ``Logical``.

Two binary features ``A`` and ``B`` and three binary targets, river's ``OR``, ``XOR`` and
``AND`` of them (a multi-output dataset: the three targets are three ``int64`` target
columns named as river's target keys; drift events that change labels act on the first
target column, ``OR``).

How river builds its rows (reproduced): river does not sample rows at random. Its dataset is
the 4-row truth table (``A, B`` = 00, 01, 10, 11) tiled ``n_tiles`` times, shuffled as a whole
when ``shuffle`` is set (one permutation of all ``4 n_tiles`` rows), and the stream *ends*
after those ``4 n_tiles`` rows. So within one pass every input pattern appears exactly
``n_tiles`` times; without ``shuffle`` the rows cycle 00, 01, 10, 11, ... in that order.

Both engines make a block of ``n`` rows as consecutive passes of ``4 n_tiles`` rows, starting
at the block's (concept segment's) first row, the last pass cut short at the block's end:

* numpy engine: each full pass is an independent uniform permutation of the tiled table
  (argsort of uniform keys, all passes at once); a cut pass is the first rows of such a
  permutation (pattern counts drawn from the multivariate hypergeometric distribution, then
  shuffled), which has exactly the distribution of river's first rows;
* river engine: river's ``Logical`` itself, pass after pass, the first pass seeded with the
  block's seed and pass ``p`` with a seed derived from it (river's stream would otherwise
  stop after ``4 n_tiles`` rows).

Examples
--------
>>> import numpy as np
>>> gen = Logical(LogicalParams(), "numpy")
>>> cols = gen.sample_numpy(LogicalParams(n_tiles=2), Draw(np.arange(8), np.random.default_rng(0)))
>>> sorted(zip(cols["A"].tolist(), cols["B"].tolist()))
[(0, 0), (0, 0), (0, 1), (0, 1), (1, 0), (1, 0), (1, 1), (1, 1)]
>>> bool(np.all(cols["XOR"] == cols["A"] ^ cols["B"]))
True
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import MAX_PERIOD, Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.seeding import SeedTree

FEATURES = ("A", "B")
TARGETS = ("OR", "XOR", "AND")
# The truth table's inputs, in river's row order.
_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int64)


class LogicalParams(GeneratorParams):
    """river's Logical parameters: ``n_tiles`` >= 1 copies of the table, ``shuffle``."""

    n_tiles: int = Field(default=1, ge=1, le=MAX_PERIOD)
    shuffle: bool = True


def logical_targets(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``OR``, ``XOR``, ``AND`` of two bit arrays, as an (n, 3) ``int64`` array.

    Examples
    --------
    >>> logical_targets(np.array([0, 1]), np.array([1, 1])).tolist()
    [[1, 1, 0], [1, 0, 1]]
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return np.stack([a | b, a ^ b, a & b], axis=1)


def pattern_ids(n: int, n_tiles: int, shuffle: bool, rng: np.random.Generator) -> np.ndarray:
    """Truth-table row (0-3) of each of ``n`` rows made as passes of ``4 n_tiles`` rows.

    Examples
    --------
    >>> pattern_ids(6, 1, False, np.random.default_rng(0)).tolist()
    [0, 1, 2, 3, 0, 1]
    >>> ids = pattern_ids(8, 1, True, np.random.default_rng(0))
    >>> sorted(ids[:4].tolist()), sorted(ids[4:].tolist())
    ([0, 1, 2, 3], [0, 1, 2, 3])
    """
    if not shuffle:
        return np.arange(n, dtype=np.int64) % 4
    size = 4 * n_tiles
    full, rest = divmod(n, size)
    parts = []
    if full:
        order = np.argsort(rng.random((full, size)), axis=1)
        parts.append((order % 4).ravel())
    if rest:
        counts = rng.multivariate_hypergeometric([n_tiles] * 4, rest)
        parts.append(rng.permutation(np.repeat(np.arange(4, dtype=np.int64), counts)))
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


class _LogicalPasses:
    """river's ``Logical`` run pass after pass (pass 0 seeded with ``seed``)."""

    def __init__(self, params: LogicalParams, seed: int) -> None:
        self.params = params
        self.seed = seed

    def __iter__(self) -> Iterator[tuple[dict[str, int], dict[str, int]]]:
        from river.datasets import synth

        for p in itertools.count():
            seed = (
                self.seed
                if p == 0
                else SeedTree.river_seed(np.random.SeedSequence(self.seed, spawn_key=(p,)))
            )
            yield from synth.Logical(
                n_tiles=self.params.n_tiles, shuffle=self.params.shuffle, seed=seed
            )


@GENERATORS.register("logical")
class Logical(ConceptGenerator):
    """Logical stream: two bits in, their ``OR``, ``XOR`` and ``AND`` out.

    Examples
    --------
    >>> [(c.name, c.role) for c in Logical(LogicalParams(), "numpy").columns()][1:3]
    [('B', 'feature'), ('OR', 'target')]
    """

    kind: ClassVar[str] = "logical"
    Params: ClassVar[type[LogicalParams]] = LogicalParams

    def __init__(self, params: GeneratorParams, engine: str | None, balance: bool = False) -> None:
        if balance:
            raise ScenarioError(
                "generator.balance",
                "'logical' cannot be balanced: it has three targets (OR, XOR, AND), and each "
                "pass of its truth table already holds every input pattern n_tiles times",
            )
        super().__init__(params, engine, balance)

    def columns(self) -> tuple[Column, ...]:
        feats = tuple(Column(f, "int64", "feature", nominal=True) for f in FEATURES)
        return (*feats, *(Column(t, "int64", "target") for t in TARGETS))

    def classes(self) -> tuple[Hashable, ...]:
        return (0, 1)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        ids = pattern_ids(draw.n, params.n_tiles, params.shuffle, draw.rng)
        a, b = _INPUTS[ids, 0], _INPUTS[ids, 1]
        y = logical_targets(a, b)
        return {"A": a, "B": b, **{t: y[:, j] for j, t in enumerate(TARGETS)}}

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """``OR``, ``XOR``, ``AND`` (columns of an (n, 3) array) of the features."""
        return logical_targets(features["A"], features["B"])

    def river_dataset(self, params: Any, seed: int) -> Any:
        return _LogicalPasses(params, seed)
