"""What every generator provides: a column schema and a pure ``produce(block)``.

A generator is constructed from validated parameters and an engine name. The runner asks it
for one block at a time through :meth:`Generator.produce`, passing a :class:`BlockRequest`
that says how many rows, which concept produces which rows, and the block's seeds, so a
block is a pure function of (scenario, block index) and any worker can make any block.

:class:`ConceptGenerator` is the base of synthetic concept streams (SEA, Agrawal, ...): it
samples each concept's rows with either the vectorised numpy engine or river's own
generator, and interleaves them at the positions the schedule assigned.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from calmops_gen.errors import ScenarioError
from calmops_gen.roles import Role
from calmops_gen.seeding import SeedTree
from calmops_gen.validation import ConfigModel

BALANCE_ROUNDS = 64


@dataclass(frozen=True)
class Column:
    """One output column: its name, Arrow dtype alias and role.

    ``nominal`` marks integer-coded categorical features (Agrawal's ``elevel``, ``car``,
    ``zipcode``), which numeric drift events refuse.
    """

    name: str
    dtype: str
    role: Role
    nominal: bool = False
    arrow_type: pa.DataType | None = field(default=None, compare=False, repr=False)

    def pa_type(self) -> pa.DataType:
        """The Arrow type written for this column."""
        if self.arrow_type is not None:
            return self.arrow_type
        return pa.type_for_alias(self.dtype)

    @property
    def numeric(self) -> bool:
        """True for int and float columns that are not nominal."""
        return not self.nominal and self.dtype.startswith(
            ("int", "uint", "halffloat", "float", "double")
        )


#: Upper bound of a generator's size parameters (features, classes, centroids, categories):
#: far beyond any synthetic benchmark, low enough that a typo (``1e12``) is an error, not a
#: process that allocates until the machine gives up.
MAX_WIDTH = 10_000
#: Upper bound of a generator's period (AnomalySine's ``n_samples``, Logical's ``n_tiles``):
#: a block recomputes the periods it touches.
MAX_PERIOD = 10_000_000


class GeneratorParams(ConfigModel):
    """Base of every generator's parameter model (unknown keys are errors).

    ``seed_fields`` names parameters that seed a randomly drawn concept (river's
    ``seed_model``, ``seed_tree``): left at ``None`` they are derived from the scenario's seed
    per concept (and recorded in the manifest); a user pins one to fix a concept.
    """

    seed_fields: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True)
class Segment:
    """Rows of a block that one concept produces (``rows``: sorted positions in the block).

    With ``source`` set, each row is produced by a concept between ``source`` and ``params``
    at interpolation weight ``weights`` (0: ``source``, 1: ``params``): an incremental
    transition. ``seed_key`` names the segment's seed sequence within the block.
    """

    concept: int
    params: GeneratorParams
    rows: np.ndarray
    seed_key: tuple[int, ...] = ()
    source: GeneratorParams | None = None
    weights: np.ndarray | None = None


@dataclass(frozen=True)
class BlockRequest:
    """Everything a generator needs to produce block ``index``.

    ``states`` maps concept id to that concept's stream state at the block's first row (for
    generators with internal drift; see :meth:`ConceptGenerator.stream_states`).
    """

    index: int
    size: int
    row_start: int
    segments: tuple[Segment, ...]
    seeds: SeedTree
    states: Mapping[int, Any] = field(default_factory=dict)


class Generator(ABC):
    """Base class of all generators.

    Subclasses set ``kind`` (the registry name), ``Params`` (a :class:`GeneratorParams`
    model), ``engines`` (first one is the default; empty for generators without engines).
    """

    kind: ClassVar[str]
    Params: ClassVar[type[GeneratorParams]]
    engines: ClassVar[tuple[str, ...]] = ()
    has_concepts: ClassVar[bool] = True
    accepts_block_params: ClassVar[bool] = True
    #: whether the engine adds the ``block`` column (when the generator has no block column)
    add_block_column: bool = True
    #: how a user gives the dataset a column of each role (``time``, ``target``) or more
    #: blocks (``block``), completing errors about a role the dataset lacks (``classes``:
    #: how a float target would become classes, where that applies)
    role_hints: ClassVar[Mapping[str, str]] = {
        "time": "set schedule.start and schedule.step",
        "target": "this generator has no target",
        "block": "set schedule.blocks or schedule.sizes",
    }

    def __init__(self, params: GeneratorParams, engine: str | None, balance: bool = False) -> None:
        self.params = params
        self.engine = engine
        self.balance = balance

    @abstractmethod
    def columns(self) -> tuple[Column, ...]:
        """Columns the generator emits (features, target, and a time column if it has one)."""

    def target(self) -> Column | None:
        """The target column, if any."""
        return next((c for c in self.columns() if c.role == "target"), None)

    def classes(self) -> tuple[Hashable, ...] | None:
        """Class labels of a classification target (``None`` for regression / no target).

        These are the classes of the generator's own parameters (its first concept); see
        :meth:`classes_for` for any concept's.
        """
        return None

    def classes_for(self, params: GeneratorParams) -> tuple[Hashable, ...] | None:
        """Class labels of the concept ``params`` (the default: :meth:`classes`, for
        generators whose classes do not depend on the parameters; RandomRBF and RandomTree
        read ``n_classes``). A later concept of a schedule may have other classes than the
        first, so whatever is per concept (balancing, the classes of a whole run) asks this.
        """
        return self.classes()

    def source_rows(self) -> int | None:
        """Rows of a fixed source (a table); ``None`` for generators that make rows on demand."""
        return None

    def own_sizes(self) -> list[int] | None:
        """Block sizes the source defines itself (``None``: the schedule decides)."""
        return None

    def cuts_own_blocks(self) -> bool:
        """Whether :meth:`own_sizes` gives sizes, known from the parameters alone (before
        any data is read, so a schedule that sets sizes too is refused at once)."""
        return False

    @abstractmethod
    def produce(self, request: BlockRequest) -> pd.DataFrame:
        """Produce the block's rows (columns as in :meth:`columns`, in that order)."""

    def inputs(self) -> dict[str, str]:
        """SHA-256 of each file the rows are read from, by the config path naming it (part
        of the dataset's version, so a changed input makes a new version)."""
        return {}

    def peek(self, request: BlockRequest) -> pd.DataFrame:
        """The block as :meth:`produce` makes it, for reading only (reference figures):
        sources holding data may return a view instead of a copy."""
        return self.produce(request)

    def peek_column(self, request: BlockRequest, name: str) -> pd.Series:
        """Column ``name`` of the block as :meth:`peek` gives it (a time selection's
        timestamps); sources holding data read just that column."""
        return self.peek(request)[name]


@dataclass(frozen=True)
class Draw:
    """What one sampling call gets: the rows to make and where to draw from.

    ``rows`` are the global row positions (dataset row numbers) of the rows to produce, in
    order; generators whose concept moves with time (river's Hyperplane ``mag_change``,
    FriedmanDrift's drift positions, RandomRBFDrift's moving centroids) read their clock
    from them. ``state`` is that generator's stream state at the start of the block, as
    computed by :meth:`ConceptGenerator.stream_states` in the planning pass;
    ``source_state`` the same for the source concept of an incremental transition.
    """

    rows: np.ndarray
    rng: np.random.Generator
    state: Any = None
    source_state: Any = None

    @property
    def n(self) -> int:
        """Number of rows to produce."""
        return len(self.rows)


class ConceptGenerator(Generator):
    """Base of synthetic concept streams with a numpy and a river engine.

    Subclasses implement :meth:`sample_numpy` (vectorised) and :meth:`river_dataset`
    (river's generator for the same parameters); ``river_names`` maps river's feature keys to
    column names when they differ (river's integer keys ``0, 1, 2`` become ``x0, x1, x2``).
    Generators whose concept is numeric implement :meth:`sample_blend` (incremental
    transitions); generators with internal drift implement :meth:`stream_states` and set
    ``stateful`` (the river engine then fast-forwards river's stream to the block's first row
    so that both engines share one clock: global row positions). ``stateful`` says that the
    generator *can* drift internally; :meth:`drifts_internally` whether a given concept does.
    """

    engines: ClassVar[tuple[str, ...]] = ("numpy", "river")
    stateful: ClassVar[bool] = False
    #: the parameter values that stop a stateful generator's internal drift (for messages;
    #: empty when nothing does)
    steady_when: ClassVar[str] = ""

    def drifts_internally(self, params: GeneratorParams | None = None) -> bool:
        """True when the concept ``params`` (default: the generator's own) changes with the
        row position (Hyperplane with ``mag_change > 0``, RandomRBFDrift with
        ``change_speed > 0``, ...): its rows cannot be reordered, so it cannot be balanced.

        The default is :attr:`stateful`; generators whose internal drift can be switched off
        by a parameter override it.
        """
        return self.stateful

    def fast_forwards(self, params: GeneratorParams) -> bool:
        """True when the river engine fast-forwards river's stream of the concept ``params``
        to the block's first row (the global row clock; see :meth:`stream_states`).

        The default is :meth:`drifts_internally`: a concept that does not move needs no
        clock (its rows come from the block's seed). Hyperplane overrides it: river draws its
        rows from the model seed, one stream per concept, which only the clock advances.
        """
        return self.drifts_internally(params)

    def check_balance(self, params: GeneratorParams) -> None:
        """Raise :class:`ScenarioError` (at ``generator.balance``) when the concept ``params``
        cannot be balanced: it drifts internally, so its rows cannot be reordered (called
        for every concept while planning, and again before a segment is balanced)."""
        if self.drifts_internally(params):
            steady = f" (it does not with {self.steady_when})" if self.steady_when else ""
            raise ScenarioError(
                "generator.balance",
                f"{self.kind!r} cannot be balanced: the concept {params.model_dump()} drifts "
                f"internally{steady}, so its rows cannot be reordered; set balance: false",
            )

    @abstractmethod
    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        """``draw.n`` rows from the concept ``params``, as column arrays."""

    @abstractmethod
    def river_dataset(self, params: Any, seed: int) -> Any:
        """river's generator for ``params``, seeded with ``seed``."""

    def river_names(self) -> Mapping[Hashable, str]:
        """river feature key -> column name (identity by default)."""
        return {}

    def sample_blend(
        self, source: Any, target: Any, weights: np.ndarray, draw: Draw
    ) -> dict[str, np.ndarray]:
        """Rows where row ``i`` comes from the concept ``weights[i]`` of the way from
        ``source`` to ``target`` (numpy engine; generators with a numeric concept override).
        """
        raise NotImplementedError(f"{self.kind} has no numeric concept to interpolate")

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        """The concept's labelling rule applied to given features (before any label noise).

        ``rows`` are the rows' global positions (for concepts that move with time). Used to
        check that the numpy engine labels exactly as river does, from river's own features.
        """
        raise NotImplementedError(f"{self.kind} has no deterministic labelling rule")

    def engine_problem(self, params: Any) -> str | None:
        """Why the configured engine cannot make concept ``params`` (``None``: it can); for
        parameters that extend river's (checked while planning)."""
        return None

    def check_blend(self, source: Any, target: Any) -> None:
        """Raise :class:`ScenarioError` (at ``schedule``) when the two concepts cannot be
        interpolated (checked while planning, before anything is written)."""

    @classmethod
    def supports_blend(cls) -> bool:
        """True when the generator can interpolate between concepts (incremental drift)."""
        return cls.sample_blend is not ConceptGenerator.sample_blend

    def stream_states(
        self, concept: int, params: Any, block_starts: Sequence[int], seeds: SeedTree
    ) -> list[Any] | None:
        """State of the concept's internal drift at each block start (planning pass).

        Must be cheap (no rows materialised) and pure; ``None`` for stateless generators.
        """
        return None

    def sample(
        self, params: GeneratorParams, draw: Draw, seq: np.random.SeedSequence
    ) -> pd.DataFrame:
        """Rows of concept ``params`` at positions ``draw.rows`` from the configured engine."""
        if self.balance:
            return self._balanced(params, draw, seq)
        return self._sample(params, draw, seq)

    def _sample(
        self, params: GeneratorParams, draw: Draw, seq: np.random.SeedSequence
    ) -> pd.DataFrame:
        if self.engine == "river":
            dataset = self.river_dataset(params, SeedTree.river_seed(seq))
            if draw.n and self.fast_forwards(params):
                # river's rows at the concept's own global positions: rows between them (a
                # gradual window's or a recurring sequence's other concept) are drawn and
                # dropped, so the clock is right whatever the block holds
                rows = np.asarray(draw.rows, dtype=np.int64)
                first, span = int(rows[0]), int(rows[-1] - rows[0]) + 1
                data = river_columns(dataset, span, self.river_names(), skip=first)
                if span != draw.n:
                    data = {name: values[rows - first] for name, values in data.items()}
            else:
                data = river_columns(dataset, draw.n, self.river_names())
        else:
            data = self.sample_numpy(params, draw)
        return self.frame(data)

    def _balanced(
        self, params: GeneratorParams, draw: Draw, seq: np.random.SeedSequence
    ) -> pd.DataFrame:
        """``draw.n`` rows with equal class counts over the classes of the concept ``params``
        (the first ``n % k`` classes get one more), kept from oversampled batches of the
        concept and put in a seeded random order."""
        self.check_balance(params)
        if draw.n == 0:
            return self._sample(params, draw, seq)
        classes = self.classes_for(params) or ()
        k = len(classes)
        need = np.full(k, draw.n // k)
        need[: draw.n % k] += 1
        kept: list[pd.DataFrame] = []
        have = np.zeros(k, dtype=np.int64)
        seen = np.zeros(k, dtype=np.int64)
        drawn = 0
        column = self.target()
        target = column.name if column is not None else "y"
        batch = max(2 * draw.n, 256)
        for r in range(BALANCE_ROUNDS):
            sub = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, r))
            rows = draw.rows[0] + np.arange(batch) if draw.n else np.arange(batch)
            part = self._sample(params, Draw(rows, SeedTree.rng(sub), draw.state), sub)
            codes = pd.Categorical(part[target], categories=list(classes)).codes
            seen += np.bincount(codes[codes >= 0], minlength=k)
            drawn += batch
            for c in range(k):
                take = np.flatnonzero(codes == c)[: need[c] - have[c]]
                if take.size:
                    kept.append(part.iloc[take])
                    have[c] += take.size
            if (have >= need).all():
                break
            absent = [classes[c] for c in range(k) if seen[c] == 0 and need[c] > 0]
            if absent and drawn >= NEVER_SEEN_ROWS:
                # a class the concept never makes (a one-leaf tree, one centroid): say so now,
                # not after 64 rounds of millions of rows
                raise ScenarioError(
                    "generator.balance",
                    f"class(es) {absent} never appeared in {drawn:,} rows of this concept "
                    f"({params.model_dump()}), so it cannot be balanced; use balance: false",
                )
            batch = next_batch(need - have, seen, drawn, floor=256)
        else:
            short = [classes[c] for c in range(k) if have[c] < need[c]]
            raise ScenarioError(
                "generator.balance",
                f"class(es) {short} are too rare in this concept to balance "
                f"{draw.n} rows ({params.model_dump()})",
            )
        out = pd.concat(kept, ignore_index=True)
        shuffle = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, BALANCE_ROUNDS))
        return out.take(SeedTree.rng(shuffle).permutation(len(out))).reset_index(drop=True)

    def frame(self, data: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """Assemble column arrays into a frame with the declared names and dtypes."""
        cols = self.columns()
        return pd.DataFrame(
            {c.name: as_column(data.get(c.name, ()), c.dtype) for c in cols}, copy=False
        )

    def produce(self, request: BlockRequest) -> pd.DataFrame:
        parts = []
        for seg in request.segments:
            seq = request.seeds.concept(request.index, *(seg.seed_key or (seg.concept,)))
            source_id = seg.seed_key[1] - 1 if len(seg.seed_key) > 1 else None
            draw = Draw(
                request.row_start + seg.rows,
                SeedTree.rng(seq),
                request.states.get(seg.concept),
                request.states.get(source_id) if source_id is not None else None,
            )
            if seg.source is not None and seg.weights is not None:
                parts.append(
                    self.frame(self.sample_blend(seg.source, seg.params, seg.weights, draw))
                )
            else:
                parts.append(self.sample(seg.params, draw, seq))
        if len(parts) == 1:
            return parts[0]
        return interleave(parts, [seg.rows for seg in request.segments])


def nullable_arrow(typ: pa.DataType) -> Any:
    """pandas' nullable dtype for an Arrow integer or bool type, else ``None`` (a
    ``types_mapper`` for :meth:`pyarrow.ChunkedArray.to_pandas`).

    Examples
    --------
    >>> nullable_arrow(pa.int16()), nullable_arrow(pa.float64()) is None
    (Int16Dtype(), True)
    """
    if pa.types.is_integer(typ) or pa.types.is_boolean(typ):
        return nullable_twin(np.dtype(typ.to_pandas_dtype()))
    return None


def nullable_columns(table: pa.Table) -> tuple[str, ...]:
    """Names of the integer and bool columns of ``table`` that hold a missing value."""
    return tuple(
        field.name
        for field, column in zip(table.schema, table.columns, strict=True)
        if column.null_count and nullable_arrow(field.type) is not None
    )


def kept_arrow(typ: pa.DataType) -> pd.ArrowDtype | None:
    """``pandas.ArrowDtype(typ)`` for the Arrow types pandas' own conversion would change or
    cannot convert back, else ``None`` (a ``types_mapper`` for :meth:`pyarrow.Table.to_pandas`):
    nested types (lists, structs, maps, unions: as Python objects, their integers with a
    missing value became floats, and maps did not convert back) and times of day
    (``datetime.time`` holds microseconds: ``time64[ns]`` failed).

    Examples
    --------
    >>> kept_arrow(pa.list_(pa.int64())), kept_arrow(pa.time64("ns")), kept_arrow(pa.int64())
    (list<item: int64>[pyarrow], time64[ns][pyarrow], None)
    """
    if pa.types.is_nested(typ) or pa.types.is_time(typ):
        return pd.ArrowDtype(typ)
    return None


def arrow_to_pandas(table: pa.Table, nullable: Sequence[str]) -> pd.DataFrame:
    """``table`` as pandas, the integer and bool columns ``nullable`` (see
    :func:`nullable_columns`) in pandas' nullable dtypes (``Int64``, ``boolean``) rather than
    float64 (which rounds integers above 2**53) or object, and nested and time-of-day
    columns as :class:`pandas.ArrowDtype` (see :func:`kept_arrow`), so every value converts
    back to Arrow exactly.

    Examples
    --------
    >>> t = pa.table({"k": pa.array([1, None], pa.int64()), "j": pa.array([1, 2]),
    ...               "l": pa.array([[2**53 + 1, None], []])})
    >>> frame = arrow_to_pandas(t, nullable_columns(t))
    >>> frame.dtypes.astype(str).tolist()
    ['Int64', 'int64', 'list<item: int64>[pyarrow]']
    >>> frame["l"].tolist()[0]
    [9007199254740993, None]
    """
    frame: pd.DataFrame = table.to_pandas(date_as_object=False, types_mapper=kept_arrow)
    for name in nullable:
        frame[name] = table.column(name).to_pandas(types_mapper=nullable_arrow)
    return frame


STRING_DTYPE: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def as_column(values: Any, arrow_alias: str) -> Any:
    """Column values (numpy or Arrow) with the dtype of an Arrow alias; ``string`` columns
    become pandas strings (``str`` on pandas 3, ``object`` on pandas 2).

    Examples
    --------
    >>> as_column([1, 2], "double").dtype.name
    'float64'
    >>> as_column(["a"], "string").tolist()
    ['a']
    """
    if arrow_alias == "string":
        if isinstance(values, pa.Array | pa.ChunkedArray):
            if STRING_DTYPE == "str":
                return pd.array(values, dtype=STRING_DTYPE)
            return values.to_numpy(zero_copy_only=False)
        return pd.Series(np.asarray(values, dtype=object), dtype=STRING_DTYPE).to_numpy()
    return np.asarray(values).astype(numpy_dtype(arrow_alias), copy=False)


MAX_BATCH = 2_000_000
#: Rows a class may stay unseen while balancing before it counts as one the concept never
#: makes (a rate below 1 in 100,000 could not fill a block anyway).
NEVER_SEEN_ROWS = 100_000


def next_batch(missing: np.ndarray, seen: np.ndarray, drawn: int, floor: int = 1024) -> int:
    """Rows to draw next when collecting ``missing[c]`` more rows of each class ``c``,
    having seen ``seen[c]`` rows of each in ``drawn`` rows: enough for the rarest class at its
    observed rate (plus a quarter), capped at :data:`MAX_BATCH`.

    Examples
    --------
    >>> next_batch(np.array([500, 0]), np.array([2, 998]), 1000)
    312500
    """
    rates = np.maximum(seen, 1) / max(drawn, 1)
    want = np.where(missing > 0, missing / rates, 0).max(initial=0.0)
    return int(min(MAX_BATCH, max(floor, np.ceil(1.25 * want))))


def numpy_dtype(arrow_alias: str) -> str:
    """numpy dtype name of an Arrow alias used in :class:`Column` (``double`` -> ``float64``).

    Examples
    --------
    >>> numpy_dtype("double"), numpy_dtype("int64")
    ('float64', 'int64')
    """
    return {"double": "float64", "float": "float32"}.get(arrow_alias, arrow_alias)


def nullable_twin(dtype: np.dtype) -> Any:
    """pandas' nullable dtype for a numpy integer or bool ``dtype`` (``int32`` -> ``Int32``,
    ``uint8`` -> ``UInt8``, ``bool`` -> ``boolean``), or ``None`` for any other dtype: the
    dtype a column keeps its integers or bools in once it holds a missing value.

    Examples
    --------
    >>> nullable_twin(np.dtype("int32")), nullable_twin(np.dtype("bool"))
    (Int32Dtype(), BooleanDtype)
    >>> nullable_twin(np.dtype("float64")) is None
    True
    """
    if dtype.kind == "b":
        return pd.BooleanDtype()
    if dtype.kind in "iu":
        sign = "U" if dtype.kind == "u" else ""
        return pd.api.types.pandas_dtype(f"{sign}Int{8 * dtype.itemsize}")
    return None


def interleave(parts: Sequence[pd.DataFrame], rows: Sequence[np.ndarray]) -> pd.DataFrame:
    """Place the rows of ``parts[k]`` at positions ``rows[k]`` of one frame.

    Examples
    --------
    >>> a = pd.DataFrame({"v": [1, 2]}); b = pd.DataFrame({"v": [9]})
    >>> interleave([a, b], [np.array([0, 2]), np.array([1])])["v"].tolist()
    [1, 9, 2]
    """
    stacked = pd.concat(parts, ignore_index=True)
    order = np.argsort(np.concatenate(rows), kind="stable")
    return stacked.take(order).reset_index(drop=True)


def river_columns(
    dataset: Any, n: int, names: Mapping[Hashable, str], skip: int = 0
) -> dict[str, np.ndarray]:
    """Take ``n`` rows (after ``skip``) from a river dataset as column arrays (target: ``y``;
    several targets, river's dict per row such as Logical's: one column per key).

    Examples
    --------
    >>> rows = [({"a": 1}, {"OR": 1, "AND": 0}), ({"a": 0}, {"OR": 0, "AND": 0})]
    >>> {k: v.tolist() for k, v in river_columns(rows, 2, {"a": "x0"}).items()}
    {'x0': [1, 0], 'OR': [1, 0], 'AND': [0, 0]}
    """
    rows = list(itertools.islice(iter(dataset), skip, skip + n))
    if not rows:
        return {}
    keys = list(rows[0][0])
    out = {names.get(k, str(k)): np.array([x[k] for x, _ in rows]) for k in keys}
    if isinstance(rows[0][1], dict):
        out.update({str(t): np.array([y[t] for _, y in rows]) for t in rows[0][1]})
    else:
        out["y"] = np.array([y for _, y in rows])
    return out
