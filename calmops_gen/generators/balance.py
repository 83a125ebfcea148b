"""river's ``balance_classes``: binary classes alternating 1, 0, 1, 0, ... row by row.

Used by the generators whose river class balances that way (Agrawal, Sine, Mixed). The
engine's own ``balance: true`` (equal class counts for any concept generator) is another
thing, done by :class:`~calmops_gen.generators.base.ConceptGenerator`.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> def batch(m):
...     u = rng.random(m)
...     return {"u": u}, u < 0.5
>>> [alternate_classes(n, batch, "p")[1].tolist() for n in (0, 1, 4)]
[[], [1], [1, 0, 1, 0]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import BALANCE_ROUNDS, next_batch

Arrays = dict[str, np.ndarray]


def alternate_classes(
    n: int,
    draw_batch: Callable[[int], tuple[Arrays, np.ndarray]],
    path: str,
    what: str = "the concept",
) -> tuple[Arrays, np.ndarray]:
    """``n`` rows whose classes alternate 1, 0, 1, 0, ... (river's ``balance_classes``).

    ``draw_batch(m)`` returns ``m`` unbalanced rows and their 0/1 (or boolean) labels; rows
    of each class
    are kept in the order drawn, which is what river's rejection sampler yields. Batches are
    drawn until both classes have enough rows (usually one batch of ``1.125 n + 256`` rows;
    then as many as the rarer class's observed rate needs, :func:`next_batch`), then every
    column is gathered once, in the alternating order. A concept that still lacks rows of
    a class after :data:`BALANCE_ROUNDS` batches is a :class:`ScenarioError` at ``path``
    naming ``what``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def batch(m):
    ...     u = rng.random(m)
    ...     return {"u": u}, (u < 0.2).astype(np.int64)
    >>> cols, y = alternate_classes(5, batch, "p")
    >>> y.tolist(), bool(np.all((cols["u"] < 0.2) == (y == 1)))
    ([1, 0, 1, 0, 1], True)
    """
    need = np.array([n // 2, (n + 1) // 2])  # rows of class 0, class 1
    seen = np.zeros(2, dtype=np.int64)
    batches: list[tuple[Arrays, np.ndarray]] = []
    size, drawn = n + n // 8 + 256, 0  # enough for two near-even classes in one round
    for _ in range(BALANCE_ROUNDS):
        batch, y = draw_batch(size)
        batches.append((batch, y))
        count = int(np.count_nonzero(y))
        seen += (len(y) - count, count)
        drawn += len(y)
        if (seen >= need).all():
            break
        size = next_batch(np.maximum(need - seen, 0), seen, drawn)
    else:
        raise ScenarioError(path, f"{what} produced too few rows of one class to balance")
    if len(batches) == 1:
        cols, y = batches[0]
    else:
        cols = {k: np.concatenate([b[k] for b, _ in batches]) for k in batches[0][0]}
        y = np.concatenate([labels for _, labels in batches])
    ones = np.asarray(y, dtype=bool)
    order = np.empty(n, dtype=np.intp)
    order[0::2] = np.flatnonzero(ones)[: need[1]]
    order[1::2] = np.flatnonzero(~ones)[: need[0]]
    y_out = np.zeros(n, dtype=np.int64)
    y_out[0::2] = 1
    return {k: np.take(v, order) for k, v in cols.items()}, y_out
