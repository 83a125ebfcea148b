"""Engine-backed streams that stand in for river generator instances in seed-system code.

A :class:`SyntheticStream` is a generator kind with validated parameters and a seed. It
iterates river-style ``(x, y)`` pairs (produced by the vectorised engine in chunks, so it is
fast), and it is what the seed facades (``GeneratorFactory``, ``SyntheticGenerator``,
``SyntheticBlockGenerator.generate``) turn into scenarios. River instances are accepted too
(:func:`as_stream` reads their parameters).

Examples
--------
>>> s = SyntheticStream("sea", {"variant": 1}, seed=7)
>>> x, y = next(iter(s))
>>> sorted(x), type(y).__name__
(['x0', 'x1', 'x2'], 'bool')
>>> len(s.frame(10))
10
>>> from river.datasets import synth
>>> as_stream(synth.SEA(variant=2, seed=5)).params
{'variant': 2, 'noise': 0.0}
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS, ConceptGenerator, Draw
from calmops_gen.seeding import SeedTree, seed_value
from calmops_gen.validation import validate

CHUNK = 10_000
DEFAULT_SEED = 42
_SAMPLE_SEEDS = ("seed_sample", "seed")


def kind_of(river_class: str) -> str:
    """river class name -> registry kind (``RandomRBFDrift`` -> ``random_rbf_drift``).

    Examples
    --------
    >>> [kind_of(n) for n in ["SEA", "LEDDrift", "Planes2D", "AnomalySine", "Mv"]]
    ['sea', 'led_drift', 'planes2d', 'anomaly_sine', 'mv']
    """
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", river_class)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return name.replace("planes2_d", "planes2d")


class SyntheticStream:
    """A synthetic generator kind, its parameters and a seed, iterable as ``(x, y)``.

    Parameters
    ----------
    kind
        A registered synthetic generator kind (``sea``, ``agrawal``, ...).
    params
        The generator's parameters (river's names); validated.
    seed
        Seed of the stream (and of model seeds left unset): an integer in ``[0, 2**63)``.
    engine
        ``numpy`` (default) or ``river``.
    """

    def __init__(
        self,
        kind: str,
        params: Mapping[str, Any] | None = None,
        seed: int = DEFAULT_SEED,
        engine: str | None = None,
    ) -> None:
        cls = GENERATORS.get(kind, "kind")
        if not issubclass(cls, ConceptGenerator):
            raise ScenarioError("kind", f"{kind!r} is not a synthetic stream generator")
        validated = validate(cls.Params, dict(params or {}), "params")
        self.kind = kind
        self.params = validated.model_dump()
        self.seed = seed_value(seed, "seed")
        self.engine = engine or cls.engines[0]
        if self.engine not in cls.engines:
            raise ScenarioError("engine", f"{kind!r} has engines {', '.join(cls.engines)}")
        tree = SeedTree(seed)
        fill = {f: tree.model(0, f) for f in validated.seed_fields if self.params[f] is None}
        self._generator = cls(validated.model_copy(update=fill), self.engine)

    def __repr__(self) -> str:
        return f"SyntheticStream({self.kind!r}, {self.params!r}, seed={self.seed})"

    @property
    def concept_params(self) -> dict[str, Any]:
        """The parameters with the model seeds this stream derived for its concept filled in
        (its tree, hyperplane or centroids, fixed)."""
        return dict(self._generator.params.model_dump())

    def spec(self) -> dict[str, Any]:
        """The ``generator`` section of a scenario for this stream."""
        return {"kind": self.kind, "engine": self.engine, "params": dict(self.params)}

    def frames(self) -> Iterator[pd.DataFrame]:
        """Endless chunks of rows as DataFrames."""
        tree = SeedTree(self.seed)
        for chunk in itertools.count():
            rows = chunk * CHUNK + np.arange(CHUNK, dtype=np.int64)
            seq = tree.concept(chunk, 0)
            params = self._generator.params
            yield self._generator.sample(params, Draw(rows, SeedTree.rng(seq)), seq)

    def frame(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows as a DataFrame."""
        parts, have = [], 0
        for part in self.frames():
            parts.append(part.iloc[: n - have])
            have += len(parts[-1])
            if have >= n:
                break
        return pd.concat(parts, ignore_index=True)

    def __iter__(self) -> Iterator[tuple[dict[str, Any], Any]]:
        target = next(c.name for c in self._generator.columns() if c.role == "target")
        features = [c.name for c in self._generator.columns() if c.role == "feature"]
        for part in self.frames():
            yield from zip(
                part[features].to_dict(orient="records"), part[target].tolist(), strict=True
            )

    def take(self, n: int) -> Iterator[tuple[dict[str, Any], Any]]:
        """The first ``n`` ``(x, y)`` pairs (river's ``take``)."""
        return itertools.islice(iter(self), n)


def as_stream(obj: Any, seed: int | None = None) -> SyntheticStream:
    """A :class:`SyntheticStream` from a stream or a river ``datasets.synth`` instance.

    A river instance's parameters are read with river's ``_get_params``; its sample seed
    (``seed_sample``, else ``seed``) becomes the stream's seed unless ``seed`` is given. Where
    river's single ``seed`` draws both the concept and the rows (Hyperplane, LEDDrift,
    AnomalySine) it is the stream's seed *and* its model seed, as in river. ``seed`` also
    replaces a ``SyntheticStream``'s own.

    Examples
    --------
    >>> from river.datasets import synth
    >>> s = as_stream(synth.Hyperplane(seed=3))
    >>> s.seed, s.params["seed"]
    (3, 3)
    """
    if isinstance(obj, SyntheticStream):
        if seed is None or seed == obj.seed:
            return obj
        return SyntheticStream(obj.kind, obj.params, seed=seed, engine=obj.engine)
    if not hasattr(obj, "_get_params") or not type(obj).__module__.startswith("river."):
        raise ScenarioError(
            "generator",
            f"expected a SyntheticStream or a river generator, got {type(obj).__name__} (rows "
            "you already have, such as an iterator of (x, y) pairs, go into a DataFrame: "
            "drift them with calmops_gen.inject or the table generator)",
        )
    if type(obj).__name__ == "ConceptDriftStream":
        raise ScenarioError(
            "generator",
            "river's ConceptDriftStream is a drift between two streams: give the two "
            "generators to SyntheticGenerator.generate (generator_instance_drift, drift_type "
            "gradual) or declare the concepts and a transition in a scenario",
        )
    kind = kind_of(type(obj).__name__)
    cls = GENERATORS.get(kind, "generator")
    raw = dict(obj._get_params())
    sample_seed = next((raw[k] for k in _SAMPLE_SEEDS if raw.get(k) is not None), DEFAULT_SEED)
    params = {k: v for k, v in raw.items() if k in cls.Params.model_fields}
    return SyntheticStream(kind, params, seed=sample_seed if seed is None else seed)
