"""The seed tree: every random draw in a run comes from one ``SeedSequence(seed)``.

Keys are stable, so any block (and any event acting on a block) can be produced by any
worker, in any order, with the same bytes:

* block ``i``, concept ``k``: ``SeedSequence(seed, spawn_key=(0, i, k))``
* rows of block ``i`` interpolated from concept ``j`` to ``k``:
  ``SeedSequence(seed, spawn_key=(0, i, k, j + 1))``
* model seed ``name`` (river's ``seed_model``, ...) of concept ``k``:
  ``SeedSequence(seed, spawn_key=(2, k, h(name)))``
* run-level draws of event ``e`` (shared by its blocks): ``SeedSequence(seed,
  spawn_key=(5, h(e)))``
* label delays of block ``i``: ``SeedSequence(seed, spawn_key=(4, i))``
* event ``e`` on block ``i``: ``SeedSequence(seed, spawn_key=(1, h(e), i))`` where ``h`` is
  the first 8 bytes of ``sha256(e)`` read as an integer (stable across Python runs, unlike
  ``hash``).

Examples
--------
>>> tree = SeedTree(42)
>>> a = tree.rng(tree.concept(3, 0)).random()
>>> b = SeedTree(42).rng(SeedTree(42).concept(3, 0)).random()
>>> a == b
True
>>> tree.river_seed(tree.concept(0, 0)) == tree.river_seed(tree.concept(0, 0))
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from calmops_gen.arguments import integer
from calmops_gen.errors import ScenarioError

_GENERATOR_DOMAIN = 0
_EVENT_DOMAIN = 1
_MODEL_DOMAIN = 2
_LABEL_DELAY_DOMAIN = 4
_EVENT_SHARED_DOMAIN = 5


def seed_value(value: Any, key: str) -> int:
    """``value`` checked as a user's seed: an integer in ``[0, 2**63)`` (not a bool).

    Examples
    --------
    >>> seed_value(7, "random_state")
    7
    >>> seed_value("x", "random_state")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: random_state: must be an integer, got 'x'
    """
    seed = integer(value, key)
    if not 0 <= seed < 2**63:
        raise ScenarioError(key, f"must be in [0, 2**63), got {value}")
    return seed


def stable_int(text: str) -> int:
    """A 64-bit integer derived from ``text`` that never changes between runs.

    Examples
    --------
    >>> stable_int("flips")
    6523781022242497885
    """
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@dataclass(frozen=True)
class SeedTree:
    """Stable derivation of every seed of a run from the scenario's ``seed``."""

    seed: int

    def concept(self, block: int, *key: int) -> np.random.SeedSequence:
        """Seed of the rows of a concept (``key``: its id, or (id, source id + 1) for rows
        interpolated from another concept) generated for ``block``."""
        return np.random.SeedSequence(self.seed, spawn_key=(_GENERATOR_DOMAIN, block, *key))

    def model(self, concept: int, name: str) -> int:
        """A 31-bit model seed (river's ``seed_model``, ...) for a concept."""
        key = (_MODEL_DOMAIN, concept, stable_int(name))
        seq = np.random.SeedSequence(self.seed, spawn_key=key)
        return int(seq.generate_state(1, np.uint32)[0] >> np.uint32(1))

    def event(self, event_id: str, block: int) -> np.random.SeedSequence:
        """Seed of the draws an event makes on ``block``."""
        key = (_EVENT_DOMAIN, stable_int(event_id), block)
        return np.random.SeedSequence(self.seed, spawn_key=key)

    def event_shared(self, event_id: str) -> np.random.SeedSequence:
        """Run-level seed of an event: draws that every block must agree on (a random
        walk's per-block totals), and planning draws."""
        return np.random.SeedSequence(
            self.seed, spawn_key=(_EVENT_SHARED_DOMAIN, stable_int(event_id))
        )

    def label_delay(self, block: int) -> np.random.SeedSequence:
        """Seed of the label delays drawn for ``block``."""
        return np.random.SeedSequence(self.seed, spawn_key=(_LABEL_DELAY_DOMAIN, block))

    @staticmethod
    def rng(seq: np.random.SeedSequence) -> np.random.Generator:
        """A PCG64 generator on ``seq``."""
        return np.random.Generator(np.random.PCG64(seq))

    @staticmethod
    def river_seed(seq: np.random.SeedSequence) -> int:
        """An integer seed for river's ``random.Random`` derived from ``seq``."""
        return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))
