"""The concept timeline: which concept produces each global row, and how concepts hand over.

Concepts change at row positions (block starts for ``schedule.block_params``, cumulative
segment lengths for ``schedule.sequence``). A transition of ``width`` rows starts at each
change point:

* ``abrupt``: the new concept from the change point on;
* ``gradual``: rows of the window are assigned wholly to the old or the new concept, the
  share of new rows following the declared curve exactly (see
  :func:`calmops_gen.schedule.new_concept_rows`);
* ``incremental``: every row of the window is produced by a concept *between* the two, at
  interpolation weight ``shape(j / (width - 1))`` (generators whose concept is numeric:
  SEA's threshold, Hyperplane's weights, ...). The ground truth gets a ``concept_weight``
  column (the weight of the row's concept, 1 outside windows).

Examples
--------
>>> import numpy as np
>>> from calmops_gen.generators.sea import SeaParams
>>> from calmops_gen.schedule import GradualTransition
>>> tl = Timeline(np.array([0, 6]), np.array([0, 1]),
...               (SeaParams(variant=0), SeaParams(variant=1)),
...               GradualTransition(width=4, shape="linear"))
>>> tl.block(4, 6).concept.tolist()
[0, 0, 0, 0, 1, 1]
>>> [s.concept for s in tl.block(4, 6).segments]
[0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calmops_gen.generators.base import GeneratorParams, Segment
from calmops_gen.profiles import ramp_weights
from calmops_gen.schedule import (
    GradualTransition,
    IncrementalTransition,
    Transition,
    new_concept_rows,
)


@dataclass(frozen=True)
class BlockConcepts:
    """Concepts of one block: generator segments and per-row ground truth (``concept``,
    ``weight``: read-only arrays, possibly broadcast views)."""

    segments: tuple[Segment, ...]
    concept: np.ndarray
    weight: np.ndarray


@dataclass(frozen=True)
class Timeline:
    """Concept runs: run ``k`` starts at row ``starts[k]`` with concept ``ids[k]``; two runs
    in a row have different concepts (a concept carried on is one run), so a transition
    starts at every run but the first."""

    starts: np.ndarray
    ids: np.ndarray
    concepts: tuple[GeneratorParams, ...]
    transition: Transition

    @property
    def width(self) -> int:
        """Transition width in rows (0 for abrupt)."""
        if isinstance(self.transition, GradualTransition | IncrementalTransition):
            return self.transition.width
        return 0

    def changes(self) -> list[tuple[int, int, int]]:
        """``(row, from_concept, to_concept)`` of every concept change."""
        return [
            (int(self.starts[k]), int(self.ids[k - 1]), int(self.ids[k]))
            for k in range(1, len(self.starts))
        ]

    def _steady(self, row_start: int, size: int) -> int | None:
        """The one concept of ``[row_start, row_start + size)`` when no transition window
        touches it, else ``None``."""
        k0 = int(np.searchsorted(self.starts, row_start, side="right") - 1)
        k1 = int(np.searchsorted(self.starts, row_start + size - 1, side="right") - 1)
        settled = k0 == 0 or row_start >= self.starts[k0] + self.width
        if k0 == k1 and settled:
            return int(self.ids[k0])
        return None

    def concept_at(self, row: int) -> int:
        """The concept that produces global ``row`` (in an incremental window, the one the
        row's blend moves toward).

        Examples
        --------
        >>> import numpy as np
        >>> from calmops_gen.generators.sea import SeaParams
        >>> from calmops_gen.schedule import GradualTransition
        >>> tl = Timeline(np.array([0, 4]), np.array([0, 1]),
        ...               (SeaParams(variant=0), SeaParams(variant=1)),
        ...               GradualTransition(width=4, shape="linear"))
        >>> [tl.concept_at(r) for r in range(3, 9)]
        [0, 0, 0, 1, 1, 1]
        """
        k = int(np.searchsorted(self.starts, row, side="right") - 1)
        into = row - int(self.starts[k])
        if k > 0 and isinstance(self.transition, GradualTransition) and into < self.width:
            new = bool(new_concept_rows(self.width, self.transition.shape)[into])
            return int(self.ids[k] if new else self.ids[k - 1])
        return int(self.ids[k])

    def concept_ids(self, row_start: int, size: int) -> tuple[int, ...]:
        """The concepts that produce rows of the block (in a gradual window a concept may
        hand over no row of a block yet: a sigmoid's first rows).

        Examples
        --------
        >>> import numpy as np
        >>> from calmops_gen.generators.sea import SeaParams
        >>> from calmops_gen.schedule import GradualTransition
        >>> tl = Timeline(np.array([0, 4]), np.array([0, 1]),
        ...               (SeaParams(variant=0), SeaParams(variant=1)),
        ...               GradualTransition(width=4, shape="sigmoid"))
        >>> tl.concept_ids(0, 4), tl.concept_ids(4, 1), tl.concept_ids(4, 4)
        ((0,), (0,), (0, 1))
        """
        steady = self._steady(row_start, size)
        if steady is not None:
            return (steady,)
        # piece by piece, without per-row arrays (a block may be far larger than a window):
        # rows past a window have the piece's concept; an incremental window's rows are all
        # the new concept's segments (blended from the old one); a gradual window's rows take
        # the new concept where new_concept_rows says so, else the old one
        stop = row_start + size
        first = int(np.searchsorted(self.starts, row_start, side="right") - 1)
        last = int(np.searchsorted(self.starts, stop - 1, side="right") - 1)
        found: set[int] = set()
        new_rows = None
        if isinstance(self.transition, GradualTransition):
            new_rows = new_concept_rows(self.width, self.transition.shape)
        for k in range(first, last + 1):
            begin = int(self.starts[k])
            lo = max(row_start, begin)
            hi = min(stop, int(self.starts[k + 1])) if k + 1 < len(self.starts) else stop
            window_end = begin + self.width if k > 0 else begin
            if hi > window_end or new_rows is None:
                found.add(int(self.ids[k]))
            if new_rows is not None and lo < window_end:
                new = new_rows[lo - begin : min(hi, window_end) - begin]
                if new.any():
                    found.add(int(self.ids[k]))
                if not new.all():
                    found.add(int(self.ids[k - 1]))
        return tuple(sorted(found))

    def block(self, row_start: int, size: int) -> BlockConcepts:
        """Segments and ground truth of the block covering ``[row_start, row_start + size)``."""
        steady = self._steady(row_start, size)
        if steady is not None:
            # one concept, outside any transition window: no per-row work
            c = steady
            rows = np.arange(size, dtype=np.int64)
            return BlockConcepts(
                (Segment(c, self.concepts[c], rows, (c,)),),
                # constant per-row ground truth: read-only views, nothing allocated
                np.broadcast_to(np.int64(c), (size,)),
                np.broadcast_to(np.float64(1.0), (size,)),
            )
        rows = np.arange(row_start, row_start + size, dtype=np.int64)
        k = np.searchsorted(self.starts, rows, side="right") - 1
        cur = self.ids[k]
        prev = self.ids[np.maximum(k - 1, 0)]
        offset = rows - self.starts[k]
        concept = cur.copy()
        weight = np.ones(size, dtype=np.float64)
        window = (k > 0) & (offset < self.width)
        blend = np.zeros(size, dtype=bool)
        if isinstance(self.transition, GradualTransition) and window.any():
            new = new_concept_rows(self.transition.width, self.transition.shape)
            concept[window] = np.where(new[offset[window]], cur[window], prev[window])
        elif isinstance(self.transition, IncrementalTransition) and window.any():
            weight[window] = ramp_weights(
                self.transition.shape, offset[window], self.transition.width
            )
            blend = window & (weight < 1.0)
        positions = np.arange(size, dtype=np.int64)
        segments = [
            Segment(int(c), self.concepts[c], positions[(concept == c) & ~blend], (int(c),))
            for c in np.unique(concept[~blend])
        ]
        pairs = np.unique(np.stack([prev[blend], cur[blend]], axis=1), axis=0)
        for p, c in pairs:
            mask = blend & (prev == p) & (cur == c)
            segments.append(
                Segment(
                    int(c),
                    self.concepts[c],
                    positions[mask],
                    (int(c), int(p) + 1),
                    source=self.concepts[p],
                    weights=weight[mask],
                )
            )
        return BlockConcepts(tuple(segments), concept, weight)
