"""The contract every drift event keeps.

An event is a frozen pydantic model (its YAML keys) that the runner drives in three steps:

1. :meth:`DriftEvent.check` at plan time, against the dataset's columns (a missing column, a
   numeric event on a categorical column or a label event without a target is an error
   before anything is written);
2. :meth:`DriftEvent.prepare` at plan time, for figures fixed once for the whole run (the
   reference mean and std of a column), recorded in the manifest;
3. :meth:`DriftEvent.apply` per block, on the rows the selection picked and their profile
   weights; it changes the frame in place and returns additive statistics that are summed
   over blocks (and :class:`Moments`, merged over blocks) and turned into realised effects
   by :meth:`DriftEvent.realised`.

Working data that :meth:`DriftEvent.apply` needs but that is not a figure (a reference
block's values) goes into the prepared figures wrapped in :class:`Unrecorded`: the events
get it, the manifest leaves it out (:func:`recorded`).

An event that changes only a random subset of its rows (``changes_subset``) also returns
which rows it changed; the ground truth records them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field

from calmops_gen.drift.selection import Span, Where
from calmops_gen.errors import ScenarioError, join_path, repeated, suggest
from calmops_gen.generators.base import Column
from calmops_gen.profiles import Abrupt, Profile
from calmops_gen.validation import ConfigModel


@dataclass(frozen=True)
class EventContext:
    """What an event may know about the dataset at plan time.

    ``reference(b)`` is block ``b`` as generated, before any event, for reading only
    (generating it costs a block; the planner caches it). For :meth:`DriftEvent.prepare`
    the context also carries the event's ``span``, the block layout (``block_starts``,
    ``block_sizes``), ``times(b)`` (row timestamps of block ``b`` as int64 ns, or ``None``
    without a time column) and ``shared``, the event's run-level seed sequence (the same
    one :class:`Site` carries). ``hints`` says how the user gives the dataset a column of a
    role it lacks (the generator's ``role_hints``), for errors.
    """

    columns: Mapping[str, Column]
    classes: tuple[Hashable, ...] | None
    n_rows: int
    n_blocks: int
    reference: Callable[[int], pd.DataFrame]
    span: Span | None = None
    block_starts: tuple[int, ...] = ()
    block_sizes: tuple[int, ...] = ()
    times: Callable[[int], np.ndarray | None] | None = None
    shared: np.random.SeedSequence | None = None
    hints: Mapping[str, str] = field(default_factory=dict)

    @property
    def target(self) -> Column | None:
        """The target column, if the dataset has one."""
        return next((c for c in self.columns.values() if c.role == "target"), None)


@dataclass(frozen=True)
class Site:
    """Where :meth:`DriftEvent.apply` is acting: block ``block`` (first global row
    ``row_start``), the span rank of each row passed (``ranks``, the profile's position),
    their timestamps (int64 ns, or ``None``) and the event's run-level seed sequence
    ``shared`` (the same on every block: for draws that must agree across blocks)."""

    block: int
    row_start: int
    ranks: np.ndarray
    times: np.ndarray | None
    shared: np.random.SeedSequence


@dataclass
class Applied:
    """Result of applying an event to one block.

    ``changed`` (for ``changes_subset`` events) is a boolean per selected row; ``stats`` holds
    additive figures (sums and counts) that are summed over blocks, ``moments`` spreads that
    are merged over blocks (:class:`Moments`; :meth:`DriftEvent.realised` gets each one's
    mean and standard deviation as ``<key>:mean`` and ``<key>:std``). ``copies`` (for events
    that overwrite whole rows with copies of other rows) is ``(dst, src)``: the frame
    positions written (each once) and the positions their content came from; the engine
    moves the rows' ground truth (concept, earlier events' weights and changed flags) with
    their content.
    """

    changed: np.ndarray | None = None
    stats: dict[str, float] = field(default_factory=dict)
    copies: tuple[np.ndarray, np.ndarray] | None = None
    moments: dict[str, Moments] = field(default_factory=dict)


@dataclass(frozen=True)
class Moments:
    """Count, mean and sum of squared deviations from the mean (``m2``) of some values.

    Two blocks' moments merge by Chan, Golub and LeVeque's pairwise update, so a spread far
    smaller than the values' distance from 0 or from a reference keeps its digits (a sum of
    squares about a fixed centre loses them once the values move away from it).

    Examples
    --------
    >>> x = np.array([1e8 + 1.0, 1e8 - 1.0, 1e8 + 3.0])
    >>> both = Moments.of(x[:1]) + Moments.of(x[1:])
    >>> both.mean, both.std == float(x.std())
    (100000001.0, True)
    """

    n: float = 0.0
    mean: float = 0.0
    m2: float = 0.0

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        """The moments of ``x`` (two passes: the mean, then the deviations from it)."""
        if not len(x):
            return cls()
        mean = float(np.add.reduce(x)) / len(x)
        d = x - mean
        return cls(float(len(x)), mean, float(np.einsum("i,i->", d, d)))

    def __add__(self, other: Moments) -> Moments:
        if not other.n:
            return self
        if not self.n:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        m2 = self.m2 + other.m2 + delta * delta * (self.n * other.n / n)
        return Moments(n, self.mean + delta * (other.n / n), m2)

    @property
    def std(self) -> float:
        """Population standard deviation (0 without values)."""
        return math.sqrt(self.m2 / self.n) if self.n else 0.0


@dataclass(frozen=True, eq=False)
class Unrecorded:
    """A value kept in an event's prepared figures for its blocks but not recorded."""

    value: Any


def recorded(prepared: Mapping[str, Any]) -> dict[str, Any]:
    """``prepared`` as the manifest records it: :class:`Unrecorded` entries left out, at
    any depth of nested dicts.

    Examples
    --------
    >>> recorded({"x": {"mean": 1.0, "values": Unrecorded(np.zeros(3))}, "n": 3})
    {'x': {'mean': 1.0}, 'n': 3}
    """
    return {
        key: recorded(value) if isinstance(value, dict) else value
        for key, value in prepared.items()
        if not isinstance(value, Unrecorded)
    }


def _distinct(names: list[str]) -> list[str]:
    twice = repeated(names)
    if twice:
        raise ValueError(f"lists {', '.join(map(repr, twice))} more than once")
    return names


#: A non-empty list of column names, each named once (a repeated column would be drifted
#: twice and its realised effect measured on the first pass's output).
Features = Annotated[list[str], Field(min_length=1), AfterValidator(_distinct)]


class DriftEvent(ConfigModel):
    """Base of every drift event model (``kind``, ``where``, ``profile`` and its own keys).

    A kind is registered in :data:`~calmops_gen.drift.registry.EVENTS` by its module; the
    runner validates the YAML into the model, then calls :meth:`check` and :meth:`prepare`
    once at plan time and :meth:`apply` once per block, and :meth:`realised` on the stats
    summed over blocks.

    Examples
    --------
    >>> from calmops_gen.drift.registry import EVENTS
    >>> flip = EVENTS.get("label_flip", "drift.e.kind").model_validate(
    ...     {"kind": "label_flip", "rate": 0.1, "where": {"blocks": [2]}})
    >>> flip.where.blocks, flip.profile.kind, flip.changes_subset
    ([2], 'abrupt', True)
    """

    kind: str
    where: Where = Field(default_factory=Where)
    profile: Profile = Field(default_factory=Abrupt)

    changes_subset: ClassVar[bool] = False

    def needs_times(self) -> bool:
        """Whether the event reads each row's timestamp: rows with a missing timestamp are
        then left out of its span, as ``where.time`` leaves them out."""
        return False

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        """Columns whose values the event may change (``prepared``: its planned figures,
        for events whose columns depend on the dataset)."""
        return []

    def check(self, ctx: EventContext, path: str) -> None:
        """Raise :class:`ScenarioError` if the event cannot apply to this dataset."""

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        """Figures fixed for the whole run (recorded in the manifest as ``prepared``)."""
        return {}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        """Change ``frame`` at positions ``rows`` (weights > 0) in place; ``site`` says where
        (the engine always passes it; events that need it refuse ``None``)."""
        raise NotImplementedError

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        """Realised effects from the summed statistics of every block."""
        return {}


def write_rows(frame: pd.DataFrame, name: str, at: slice | np.ndarray, new: Any) -> np.ndarray:
    """Replace numpy column ``name`` by a copy holding ``new`` at positions ``at``, and
    return that copy. The frame takes it as is (no second copy); the old array, which the
    frame may share with the caller's data, is never written to.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1, 2, 3]})
    >>> before = df["x"].to_numpy()
    >>> write_rows(df, "x", np.array([0, 2]), [9, 8]).tolist(), before.tolist()
    ([9, 2, 8], [1, 2, 3])
    >>> df = pd.DataFrame({"s": pd.Series(["a", "b"], dtype=object)})
    >>> _ = write_rows(df, "s", np.array([1]), ["c"]); df["s"].dtype, df["s"].tolist()
    (dtype('O'), ['a', 'c'])
    """
    values = frame[name].to_numpy().copy()
    values[at] = new
    # the dtype is stated: pandas 3 would make an object column of strings ``str``
    frame[name] = pd.Series(values, index=frame.index, name=name, dtype=values.dtype, copy=False)
    return values


def integer_overflow(name: str, dtype: np.dtype, low: Any, high: Any) -> str | None:
    """``"'<name>' is <dtype> (<min> to <max>)"`` when values from ``low`` to ``high`` do not
    fit the integer ``dtype`` of column ``name`` (numpy would wrap them around without a
    word), else ``None``. NaN never fits.

    Examples
    --------
    >>> integer_overflow("u", np.dtype(np.uint8), 0, 255) is None
    True
    >>> integer_overflow("u", np.dtype(np.uint8), -1.0, 3.0)
    "'u' is uint8 (0 to 255)"
    """
    info = np.iinfo(dtype)
    # powers of two compare exactly with float64 (int64's max would round up to 2**63)
    if info.min <= low <= high < info.max + 1:
        return None
    return f"{name!r} is {dtype} ({info.min} to {info.max})"


def require_columns(
    ctx: EventContext, names: list[str], path: str, *, numeric: bool | None = None
) -> None:
    """Check that feature columns exist (and are numeric / not numeric when asked)."""
    if not names:
        raise ScenarioError(path, "name at least one column")
    for name in names:
        col = ctx.columns.get(name)
        if col is None:
            features = [c.name for c in ctx.columns.values() if c.role in ("feature", "target")]
            raise ScenarioError(
                path,
                f"no column {name!r}{suggest(name, features) or '.'} "
                f"Columns: {', '.join(features)}",
            )
        if col.role not in ("feature",):
            raise ScenarioError(path, f"{name!r} is the {col.role} column, not a feature")
        if numeric is True and not col.numeric:
            raise ScenarioError(
                path, f"{name!r} is not numeric ({col.dtype}{', nominal' if col.nominal else ''})"
            )


def require_block(ctx: EventContext, block: int, path: str) -> None:
    """Check that block ``block`` (an event's ``reference_block``) exists.

    Examples
    --------
    >>> ctx = EventContext(columns={}, classes=None, n_rows=10, n_blocks=2,
    ...                    reference=lambda b: pd.DataFrame())
    >>> require_block(ctx, 2, "drift.e")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: drift.e.reference_block: block 2 does not exist (...)
    """
    if block >= ctx.n_blocks:
        raise ScenarioError(
            join_path(path, "reference_block"),
            f"block {block} does not exist (the dataset has {ctx.n_blocks})",
        )


def require_target(ctx: EventContext, path: str) -> Column:
    """Return the target column or raise: label events need one."""
    target = ctx.target
    if target is None:
        hint = ctx.hints.get("target")
        raise ScenarioError(
            path,
            "this event changes labels but the dataset has no target column"
            + (f" ({hint})" if hint else ""),
        )
    return target
