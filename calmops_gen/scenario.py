"""The scenario: one validated description of a dataset (DESIGN section 4).

:func:`load_scenario` validates a mapping (or a YAML file) once, at the boundary:

1. the structure, with pydantic models that forbid unknown keys;
2. the generator's ``params`` (and every ``schedule.block_params`` entry, merged onto the
   parameters in force) against the registered generator's own parameter model;
3. every drift event against the model registered for its ``kind``.

Errors name the config path (``drift.shift_x0.profile.width: ...``) and suggest the closest
name for a misspelt key or kind. Checks that need the data itself (does column ``x9``
exist? is ``rows`` inside the dataset?) happen when the run is planned, still before
anything is written.

Examples
--------
>>> sc = load_scenario({
...     "name": "demo", "generator": {"kind": "sea"},
...     "schedule": {"blocks": 2, "rows_per_block": 100, "block_params": {1: {"variant": 2}}},
...     "drift": {"s": {"kind": "shift", "features": ["x0"], "amount": 1.0}},
... })
>>> [p.variant for p in sc.block_params()]
[0, 2]
>>> sc.events()["s"].amount
1.0
>>> len(sc.version())
12
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.errors import OutOfBoundsDatetime, OutOfBoundsTimedelta
from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from calmops_gen._version import __version__
from calmops_gen.drift import EVENTS, DriftEvent
from calmops_gen.drift.values import plain
from calmops_gen.errors import ScenarioError, ScenarioErrors, first_line, join_path, suggest
from calmops_gen.generators import GENERATORS, Generator, GeneratorParams
from calmops_gen.schedule import Schedule
from calmops_gen.times import start_zone, tzdata_version
from calmops_gen.validation import ConfigModel, convert, key_error, validate

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
#: Names Windows keeps for devices: a folder cannot have them (nor them plus an extension).
DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in range(10))}
EVENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
#: A Dask scheduler's address: ``tcp://``, a host (name, IPv4 or [IPv6]) and a port (1-65535).
DASK_ADDRESS = re.compile(
    r"tcp://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])"
    r":([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
)
#: More worker processes than this is a typo, not a machine (each costs a process).
MAX_WORKERS = 1024
RESERVED_IDS = {"row", "block", "concept", "concept_weight"}


class GeneratorSpec(ConfigModel):
    """``generator``: which registered generator, which engine, which parameters."""

    kind: str
    engine: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    balance: bool = False


MAX_ROW_DELAY = 10**15
MAX_TIME_DELAY = pd.Timedelta(days=36525)


class LabelDelay(ConfigModel):
    """``label_delay``: when each row's label becomes available (verification latency).

    Adds a column (``column``, default ``label_available_at``, role ``label_time``): with
    ``unit: rows`` the global row index at which the label arrives (``row + delay``), with
    ``unit: time`` the timestamp (``time + delay``; needs timestamps). ``kind``: ``fixed``
    (``value``), ``uniform`` (``low`` to ``high``) or ``exponential`` (mean ``value``). Row
    delays are whole rows (uniform integers, exponential rounded down); time delays are
    pandas durations (``"6h"``, ``"2D"``) or seconds. A delay parameter is at most
    :data:`MAX_ROW_DELAY` rows or :data:`MAX_TIME_DELAY` (100 years); a drawn label time past
    the last timestamp pandas holds (2262-04-11) is an error, never a wrapped-around value.
    """

    unit: Literal["rows", "time"] = "rows"
    kind: Literal["fixed", "uniform", "exponential"] = "fixed"
    value: float | str | None = None
    low: float | str | None = None
    high: float | str | None = None
    column: str = Field(default="label_available_at", min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LabelDelay:
        needs = ("low", "high") if self.kind == "uniform" else ("value",)
        missing = [k for k in needs if getattr(self, k) is None]
        if missing:
            raise ValueError(f"kind {self.kind!r} needs {', '.join(missing)}")
        extra = [
            k for k in ("value", "low", "high") if k not in needs and getattr(self, k) is not None
        ]
        if extra:
            raise ValueError(f"kind {self.kind!r} does not use {', '.join(extra)}")
        values = [self.amount(k) for k in needs]
        if any(v < 0 for v in values):
            raise ValueError("delays must be >= 0")
        if self.unit == "rows" and max(values) > MAX_ROW_DELAY:
            raise ValueError(f"row delays must be at most {MAX_ROW_DELAY:.0e} rows")
        if self.unit == "time" and max(values) > MAX_TIME_DELAY.value:
            raise ValueError(f"time delays must be at most {MAX_TIME_DELAY.days} days")
        if self.kind == "uniform" and values[0] > values[1]:
            raise ValueError("low must be <= high")
        return self

    def amount(self, key: str) -> float:
        """A delay parameter in rows, or in nanoseconds for ``unit: time`` (a whole number
        of them, exact: a duration's own, seconds given as a number rounded to the nearest
        nanosecond).

        Examples
        --------
        >>> LabelDelay(unit="time", value=1.005).amount("value")
        1005000000
        >>> LabelDelay(unit="time", value="1000D 1ns").amount("value")
        86400000000000001
        """
        raw = getattr(self, key)
        if self.unit == "rows":
            if isinstance(raw, str):
                raise ValueError(f"{key}: a row delay is a number of rows, got {raw!r}")
            if self.kind != "exponential" and not float(raw).is_integer():  # not a mean
                raise ValueError(f"{key}: a row delay is a whole number of rows, got {raw:g}")
            return float(raw)
        if isinstance(raw, str):
            try:
                return int(pd.Timedelta(raw).value)
            except (OutOfBoundsTimedelta, OutOfBoundsDatetime):  # pandas 3, pandas 2
                raise ValueError(
                    f"{key}: {raw!r} is longer than {MAX_TIME_DELAY.days} days, the longest delay"
                ) from None
            except ValueError:
                raise ValueError(f"{key}: not a duration: {raw!r} (try '6h', '2D')") from None
        ns = float(raw) * 1e9
        return round(ns) if math.isfinite(ns) else ns  # too long: refused by the caller

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Delays (rows, or ns for time) of ``n`` rows, as int64."""
        if self.kind == "fixed":
            return np.full(n, int(self.amount("value")), dtype=np.int64)
        if self.kind == "uniform":
            lo, hi = self.amount("low"), self.amount("high")
            out = (
                rng.integers(int(lo), int(hi) + 1, n)
                if self.unit == "rows"
                else rng.uniform(lo, hi, n)
            )
        else:
            out = rng.exponential(self.amount("value"), n)
        if out.size and out.max() >= 2.0**63:  # an exponential tail past int64
            raise ScenarioError(
                "label_delay.value",
                f"an exponential delay of mean {self.value} drew {out.max():.3g} "
                f"{'rows' if self.unit == 'rows' else 'ns'}, past what int64 holds; lower it",
            )
        return np.asarray(np.floor(out), dtype=np.int64)


#: The longest file or folder name (in bytes) that common file systems hold.
NAME_MAX = 255


class OutputSpec(ConfigModel):
    """``output``: where and how the dataset is written.

    ``root`` is a folder path (a leading ``~`` is the user's home); one that no file system
    can hold (a NUL character, a folder name over :data:`NAME_MAX` bytes) is refused here,
    before anything is written.
    """

    root: str = "datasets"
    format: Literal["parquet", "csv"] = "parquet"
    ground_truth: bool = True
    overwrite: bool = False

    @field_validator("root")
    @classmethod
    def _check_root(cls, value: str) -> str:
        if "\0" in value:
            raise ValueError("holds a NUL character, which no path can hold")
        for part in Path(value).parts:
            try:
                size = len(part.encode("utf-8", "surrogateescape"))
            except UnicodeEncodeError:
                raise ValueError(
                    f"a folder name {part!r} holds characters no file system can hold"
                ) from None
            if size > NAME_MAX:
                raise ValueError(
                    f"a folder name of {size} bytes ({part[:12]!r}...); file systems allow "
                    f"at most {NAME_MAX}"
                )
        return value


class ExecutorSpec(ConfigModel):
    """``executor``: how blocks are produced (never changes the bytes written)."""

    kind: Literal["sequential", "processes", "dask"] = "sequential"
    workers: int | None = Field(default=None, gt=0, le=MAX_WORKERS)
    address: str | None = None
    progress: bool | None = None

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is not None and not DASK_ADDRESS.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a Dask scheduler address: give tcp://HOST:PORT (a port "
                "from 1 to 65535; TLS needs Dask's own security settings, which a scenario "
                "does not carry)"
            )
        return value

    @model_validator(mode="after")
    def _settings_of_the_kind(self) -> ExecutorSpec:
        if self.kind == "sequential" and self.workers is not None:
            message = "sets a pool's size: give executor.kind processes (or dask)"
            raise key_error("workers", message, self.workers)
        if self.address is not None and self.kind != "dask":
            message = "names a Dask scheduler: give executor.kind dask"
            raise key_error("address", message, self.address)
        if self.address is not None and self.workers is not None:
            message = (
                "sets the size of a local Dask cluster, but executor.address names a running "
                "one (its workers run the blocks): leave workers out"
            )
            raise key_error("workers", message, self.workers)
        return self


class Scenario(ConfigModel):
    """A complete, validated scenario. Build it with :func:`load_scenario`."""

    name: str
    seed: int = Field(default=42, ge=0, lt=2**63)
    generator: GeneratorSpec
    schedule: Schedule = Field(default_factory=Schedule)
    drift: dict[str, dict[str, Any]] = Field(default_factory=dict)
    label_delay: LabelDelay | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)

    _generator_cls: type[Generator] = PrivateAttr()
    _params: GeneratorParams = PrivateAttr()
    _block_params: dict[int, GeneratorParams] = PrivateAttr()
    _named: dict[str, GeneratorParams] = PrivateAttr()
    _events: dict[str, DriftEvent] = PrivateAttr()

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not SLUG.fullmatch(value):  # (``match`` with ``$`` lets a final newline in)
            raise ValueError(
                f"{value!r} is not a slug: use 1-64 of a-z, 0-9, '_' and '-', "
                "starting with a letter or digit"
            )
        if value in DEVICE_NAMES:
            raise ValueError(f"{value!r} names a device on Windows; choose another name")
        return value

    def model_post_init(self, context: Any, /) -> None:
        cls = GENERATORS.get(self.generator.kind, "generator.kind")
        engines = cls.engines
        if self.generator.engine is not None and self.generator.engine not in engines:
            valid = ", ".join(engines) if engines else "none (omit the key)"
            others = [k for k, g in GENERATORS.items() if self.generator.engine in g.engines]
            hint = suggest(self.generator.engine, engines) or (
                f" ({', '.join(others)} {'has' if len(others) == 1 else 'have'} it: changing "
                "generator.kind on the command line? Drop the other generator's engine too: "
                "'~generator.engine')"
                if others
                else ""
            )
            raise ScenarioError(
                "generator.engine",
                f"{self.generator.kind!r} has no engine {self.generator.engine!r}; "
                f"engines: {valid}{hint}",
            )
        self._generator_cls = cls
        self._params = _generator_params(cls, self.generator.params, "generator.params")
        for key in ("block_params", "concepts"):
            if getattr(self.schedule, key) and not cls.accepts_block_params:
                raise ScenarioError(
                    f"schedule.{key}", f"generator {cls.kind!r} has no per-block parameters"
                )
        base = self._params.model_dump()
        self._named = {
            name: _generator_params(
                cls,
                {**base, **_mapping(raw, f"schedule.concepts.{name}")},
                f"schedule.concepts.{name}",
            )
            for name, raw in self.schedule.concepts.items()
        }
        current = self._params.model_dump()
        changes: dict[int, GeneratorParams] = {}
        for block, override in self.schedule.block_params.items():
            path = f"schedule.block_params.{block}"
            current = {**current, **_mapping(override, path)}
            changes[block] = _generator_params(cls, current, path)
        self._block_params = changes
        self._events = {eid: _event(eid, raw, self.drift) for eid, raw in self.drift.items()}

    @property
    def engine(self) -> str | None:
        """The engine in use (the generator's default when not given)."""
        engines = self._generator_cls.engines
        return self.generator.engine or (engines[0] if engines else None)

    def build_generator(self) -> Generator:
        """A fresh generator object for this scenario: of its first concept (the base
        parameters with ``block_params.0`` on top, or the first concept of
        ``schedule.sequence``), which sets the dataset's columns; every other concept must
        keep them."""
        sequence = self.schedule.sequence
        if sequence:
            params = self._named[sequence[0].concept]
        else:
            params = self._block_params.get(0, self._params)
        return self._generator_cls(params, self.engine, self.generator.balance)

    def params(self) -> GeneratorParams:
        """Validated base generator parameters (defaults filled in)."""
        return self._params

    def block_params(self, n_blocks: int | None = None) -> list[GeneratorParams]:
        """Parameters in force for each block (changes carry forward)."""
        last = max(self._block_params, default=0)
        n = n_blocks if n_blocks is not None else last + 1
        out: list[GeneratorParams] = []
        current = self._params
        for b in range(n):
            current = self._block_params.get(b, current)
            out.append(current)
        return out

    def named_concepts(self) -> dict[str, GeneratorParams]:
        """Validated parameters of each concept named in ``schedule.concepts``."""
        return dict(self._named)

    def events(self) -> dict[str, DriftEvent]:
        """Validated drift events, in declared order."""
        return dict(self._events)

    def canonical(self) -> dict[str, Any]:
        """The full scenario with every default filled in (what the manifest records)."""
        data = self.model_dump(mode="json")
        data["generator"]["engine"] = self.engine
        data["generator"]["params"] = self._params.model_dump(mode="json")
        data["drift"] = {k: ev.model_dump(mode="json") for k, ev in self._events.items()}
        return data

    def version(self, inputs: Mapping[str, str] | None = None) -> str:
        """Content id: hash of everything that can change the bytes (the scenario, the
        SHA-256 of its input files ``inputs``), the package version and, for a start in a
        named time zone, the version of tzdata, whose rules place the timestamps.

        ``output.root``, ``output.overwrite`` and ``executor`` are left out: they decide where
        and how, never what.
        """
        return content_id(self.canonical(), __version__, inputs, tzdata_version())


RIVER_SEEDS = frozenset({"seed", "seed_model", "seed_sample", "seed_tree", "random_state"})


def _generator_params(cls: type[Generator], data: Any, path: str) -> GeneratorParams:
    """``data`` validated as ``cls``'s parameters. An unknown key that is no misspelling
    usually belongs to another generator (``generator.kind=...`` on the command line keeps
    the scenario's ``params``), so that error also says how to drop them.

    Examples
    --------
    >>> from calmops_gen.generators import GENERATORS
    >>> try:
    ...     _generator_params(GENERATORS.get("stagger", "k"), {"variant": 1}, "generator.params")
    ... except ScenarioError as err:
    ...     print(err.path, "'~generator.params'" in err.message)
    generator.params.variant True
    """
    try:
        return validate(cls.Params, data, path)
    except ScenarioError as err:
        errors = err.errors if isinstance(err, ScenarioErrors) else [err]
        if not any(e.message.startswith("unknown key") for e in errors):
            raise
        seeds = "river's seeds are derived from the scenario's top-level seed, so set that"
        pinned = getattr(cls.Params, "seed_fields", ())
        seeds += (
            f"; {cls.kind!r} lets you pin its concept with {' or '.join(pinned)}"
            if pinned
            else f"; {cls.kind!r} draws no concept at random, so it has no model seed"
        )
        out = [
            ScenarioError(e.path, f"{e.message} ({seeds})")
            if e.message.startswith("unknown key") and e.path.rsplit(".", 1)[-1] in RIVER_SEEDS
            else e
            for e in errors
        ]
        # keys that are no misspelling (a misspelling's message goes on "unknown key; did
        # you mean") usually belong to another generator: one error names them all
        foreign = [
            e
            for e in out
            if e.message.startswith("unknown key.") and e.path.rsplit(".", 1)[-1] not in RIVER_SEEDS
        ]
        if foreign:
            names = [e.path.rsplit(".", 1)[-1] for e in foreign]
            valid = foreign[0].message.split("Valid keys: ", 1)[-1]
            owners = {
                n: [k for k, g in GENERATORS.items() if n in g.Params.model_fields] for n in names
            }
            known = "; ".join(f"{n!r} is {', '.join(ks)}'s" for n, ks in owners.items() if ks)
            why = f"{cls.kind!r} does not take {'it' if len(names) == 1 else 'them'}"
            if known:
                why += (
                    f"; {known}. Changing generator.kind on the command line? Drop the other "
                    "generator's parameters too: '~generator.params', and "
                    "'~schedule.block_params' if the scenario has any"
                )
            merged = (
                ScenarioError(foreign[0].path, f"{foreign[0].message} ({why})")
                if len(foreign) == 1
                else ScenarioError(
                    path,
                    f"unknown keys {', '.join(map(repr, names))}. Valid keys: {valid} ({why})",
                )
            )
            first = out.index(foreign[0])
            out = [e for e in out if e not in foreign]
            out.insert(first, merged)
        raise (out[0] if len(out) == 1 else ScenarioErrors(out)) from None


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(path, "must be a mapping of generator parameters")
    return value


def _event(event_id: str, raw: Any, others: Mapping[str, Any]) -> DriftEvent:
    """Event ``event_id`` validated; an event without ``kind`` whose id is close to another
    event's id is most likely that event misspelt (``drift.shfit_x0.amount=2`` on the
    command line), and the error says so."""
    path = f"drift.{event_id}"
    if not EVENT_ID.fullmatch(event_id) or "__" in event_id or event_id in RESERVED_IDS:
        raise ScenarioError(
            path,
            "event ids name ground-truth columns: use a letter then letters, digits or single "
            f"underscores (not {sorted(RESERVED_IDS)})",
        )
    if not isinstance(raw, Mapping):
        raise ScenarioError(path, "must be a mapping with at least a 'kind'")
    if "kind" not in raw:
        named = [eid for eid, ev in others.items() if isinstance(ev, Mapping) and "kind" in ev]
        meant = suggest(event_id, named)
        hint = f" (no event {event_id!r}{meant})" if meant else ""
        raise ScenarioError(
            join_path(path, "kind"), f"required; one of {', '.join(EVENTS.names())}{hint}"
        )
    cls = EVENTS.get(str(raw["kind"]), join_path(path, "kind"))
    return validate(cls, raw, path)


def content_id(
    canonical: Mapping[str, Any],
    package_version: str,
    inputs: Mapping[str, str] | None = None,
    tzdata: str | None = None,
) -> str:
    """The version id of a scenario from its canonical form (:meth:`Scenario.canonical`, as
    the manifest records it under ``config``), the calmops-gen version that ran it, the
    SHA-256 of its input files (``inputs``, by config path: a ``table`` source) and the
    version of tzdata (as the manifest's ``environment`` records it), which counts only
    when ``schedule.start`` names a time zone, so that the same id always stands for the
    same bytes.

    Examples
    --------
    >>> sc = load_scenario({"name": "x", "generator": {"kind": "sea"}})
    >>> content_id(sc.canonical(), "0.1.0") == content_id(sc.canonical(), "0.1.0")
    True
    >>> content_id(sc.canonical(), "0.1.0") == content_id(sc.canonical(), "0.2.0")
    False
    >>> content_id(sc.canonical(), "0.1.0") == content_id(sc.canonical(), "0.1.0", None, "1")
    True
    >>> zoned = load_scenario({"name": "x", "generator": {"kind": "sea"}, "schedule": {
    ...     "start": "2024-03-30T12:00[Europe/Madrid]", "step": {"days": 1}}}).canonical()
    >>> content_id(zoned, "0.1.0", None, "2024.1") == content_id(zoned, "0.1.0", None, "2025.2")
    False
    """
    data = dict(canonical)
    data["output"] = {k: v for k, v in data["output"].items() if k not in ("root", "overwrite")}
    data.pop("executor", None)
    # events apply in declared order, so the order is content: keep it through sort_keys
    data["drift"] = [[eid, ev] for eid, ev in data["drift"].items()]
    content: dict[str, Any] = {"scenario": data, "calmops_gen": package_version}
    if inputs:  # absent for generated data: their ids stay what they were
        content["inputs"] = dict(inputs)
    if tzdata is not None and start_zone(data["schedule"]["start"]) is not None:
        content["tzdata"] = tzdata  # absent without a named zone: those ids stay too
    blob = json.dumps(_plain_zero(content), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _plain_zero(value: Any) -> Any:
    """``value`` with every ``-0.0`` as ``0.0`` (the same number, and the same data): a
    ``noise: -0.0`` must not make another version."""
    if isinstance(value, float) and value == 0.0:
        return 0.0
    if isinstance(value, Mapping):
        return {k: _plain_zero(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_zero(v) for v in value]
    return value


def load_scenario(source: Scenario | Mapping[str, Any] | str | Path) -> Scenario:
    """Validate a scenario from a mapping, a YAML file path or an existing :class:`Scenario`.

    Unset keys take their defaults; the result is immutable and hashes to the dataset's
    version (:meth:`Scenario.version_id`).

    Raises
    ------
    ScenarioError
        Naming the config path of the first problem (or of every structural problem).

    Examples
    --------
    >>> sc = load_scenario({"name": "demo", "generator": {"kind": "sea"}})
    >>> sc.seed, sc.schedule.blocks, sc.output.format
    (42, None, 'parquet')
    >>> load_scenario({"name": "demo", "generator": {"kind": "saa"}})
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: generator.kind: unknown generator 'saa'; did you mean ...
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, str | Path):
        source = _read_yaml(Path(source))
    data = plain_values(dict(source))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise convert(exc, Scenario, "", data) from None


def plain_values(node: Any) -> Any:
    """``node`` with numpy scalars and arrays as Python numbers and lists, all the way down
    (a value from a DataFrame, ``np.int64(2)``, is a number to the user; the manifest and the
    version hash need plain JSON values).

    Examples
    --------
    >>> plain_values({"a": [np.int64(2), np.float32(0.5)], "b": np.array([1, 2]), "c": "x"})
    {'a': [2, 0.5], 'b': [1, 2], 'c': 'x'}
    """
    if isinstance(node, np.ndarray):
        return node.tolist()
    if isinstance(node, Mapping):
        return {k: plain_values(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return type(node)(plain_values(v) for v in node)
    return plain(node)


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not path.is_file():
        raise ScenarioError("", f"no such scenario file: {path}")
    try:
        conf = OmegaConf.load(path)
        data = OmegaConf.to_container(conf, resolve=True)
    except (OmegaConfBaseException, ValueError, yaml.YAMLError) as exc:
        raise ScenarioError("", f"cannot read {path}: {first_line(exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError("", f"{path} must hold a mapping of scenario keys")
    data.pop("defaults", None)
    return {str(k): v for k, v in data.items()}
