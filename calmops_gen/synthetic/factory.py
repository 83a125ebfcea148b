"""Seed-compatible ``GeneratorFactory``: create a generator by name and parameters.

The seed's factory returned river instances built from a flat ``GeneratorConfig``; this one
returns engine-backed :class:`~calmops_gen.synthetic.streams.SyntheticStream` objects (they
iterate ``(x, y)`` like river's and are what the other facades take). Every registered
synthetic generator is available, not only the seed's nine; parameters may be given with
river's names (``create_generator("hyperplane", n_features=5)``) or as the seed's
``GeneratorConfig``, whose fields are translated per type — including the two the seed
silently dropped (``noise_percentage_hyperplane``, ``noise_percentage_sine``, now honoured)
and the two types that crashed (``friedman``, ``random_rbf``, now working).

Examples
--------
>>> s = GeneratorFactory.create_generator("sea", GeneratorConfig(function=2, random_state=1))
>>> s.kind, s.params["variant"], s.seed
('sea', 2, 1)
>>> base, drifted = GeneratorFactory.create_preset_concept_drift("agrawal", seed=3)
>>> base.params["classification_function"], drifted.params["classification_function"]
(0, 1)
>>> GeneratorFactory.get_generator_info("sea")["task"]
'binary classification'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from calmops_gen.arguments import number, share
from calmops_gen.errors import ScenarioError, suggest
from calmops_gen.generators import GENERATORS, ConceptGenerator
from calmops_gen.generators.friedman import N_FEATURES as N_FRIEDMAN_FEATURES
from calmops_gen.seeding import seed_value
from calmops_gen.synthetic.streams import DEFAULT_SEED, SyntheticStream


class GeneratorType(StrEnum):
    """Every synthetic generator kind: the seed's nine first, then the rest of river's
    catalogue. Members are strings, so a kind may be given either way."""

    AGRAWAL = "agrawal"
    SEA = "sea"
    HYPERPLANE = "hyperplane"
    RANDOM_TREE = "random_tree"
    STAGGER = "stagger"
    SINE = "sine"
    MIXED = "mixed"
    FRIEDMAN = "friedman"
    RANDOM_RBF = "random_rbf"
    ANOMALY_SINE = "anomaly_sine"
    FRIEDMAN_DRIFT = "friedman_drift"
    LED = "led"
    LED_DRIFT = "led_drift"
    LOGICAL = "logical"
    MV = "mv"
    PLANES2D = "planes2d"
    RANDOM_RBF_DRIFT = "random_rbf_drift"
    WAVEFORM = "waveform"


@dataclass
class GeneratorConfig:
    """The seed's flat configuration; fields that do not apply to a type are ignored.

    Defaults are the seed's, so ``GeneratorConfig()`` builds what the seed built. Five of
    them differ from river's: SEA ``noise_percentage=0.1`` (river: 0), Agrawal, STAGGER and
    Mixed ``balance_classes=True`` (river: False) and RandomTree ``first_leaf_label=1``
    (river's ``first_leaf_level``: 3). ``None`` (the seed gave no default) means river's
    default. The same defaults fill the parameters that
    :meth:`SyntheticBlockGenerator.generate_blocks_simple
    <calmops_gen.synthetic.SyntheticBlockGenerator.generate_blocks_simple>`'s
    ``method_params`` and :meth:`GeneratorFactory.create_preset_concept_drift` leave out, as
    the seed built both from a ``GeneratorConfig``.
    ``seed`` is an alias of ``random_state``; ``n_dims``, when given, replaces the default
    ``n_features`` (a non-default ``n_features`` wins, as in the seed). River's ``Sine`` has
    no noise level, so ``noise_percentage_sine`` only switches its ``has_noise`` on (any
    value above 0).
    Without a config, :meth:`GeneratorFactory.create_generator` uses river's defaults.

    Examples
    --------
    >>> GeneratorFactory.create_generator("sea", GeneratorConfig()).params["noise"]
    0.1
    >>> GeneratorFactory.create_generator("sea").params["noise"]
    0.0
    """

    random_state: int | None = None
    seed: int | None = None
    classification_function: int = 0
    balance_classes: bool = True
    perturbation: float = 0.0
    function: int = 0
    noise_percentage: float = 0.1
    n_features: int = 10
    n_dims: int | None = None
    mag_change: float = 0.0
    sigma: float = 0.1
    noise_percentage_hyperplane: float = 0.05
    n_num_features: int = 5
    n_cat_features: int = 5
    n_categories_per_cat_feature: int = 5
    max_tree_depth: int = 5
    first_leaf_label: int = 1
    classification_function_stagger: int = 0
    balance_classes_stagger: bool = True
    has_noise: bool = False
    noise_percentage_sine: float | None = None
    classification_function_mixed: int = 0
    balance_classes_mixed: bool = True
    n_features_friedman: int = N_FRIEDMAN_FEATURES
    n_features_rbf: int = 10
    n_centroids: int = 50


# seed field -> river parameter, per type (first non-None source wins)
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "agrawal": {
        "classification_function": ("classification_function",),
        "balance_classes": ("balance_classes",),
        "perturbation": ("perturbation",),
    },
    "sea": {"variant": ("function",), "noise": ("noise_percentage",)},
    "hyperplane": {
        "n_features": ("n_dims", "n_features"),
        "mag_change": ("mag_change",),
        "sigma": ("sigma",),
        "noise_percentage": ("noise_percentage_hyperplane",),
    },
    "random_tree": {
        "n_num_features": ("n_num_features",),
        "n_cat_features": ("n_cat_features",),
        "n_categories_per_feature": ("n_categories_per_cat_feature",),
        "max_tree_depth": ("max_tree_depth",),
        "first_leaf_level": ("first_leaf_label",),
    },
    "stagger": {
        "classification_function": ("classification_function_stagger",),
        "balance_classes": ("balance_classes_stagger",),
    },
    "sine": {"has_noise": ("has_noise",)},
    "mixed": {
        "classification_function": ("classification_function_mixed",),
        "balance_classes": ("balance_classes_mixed",),
    },
    "friedman": {},
    "random_rbf": {"n_features": ("n_features_rbf",), "n_centroids": ("n_centroids",)},
}

# The drifted concept of each preset pair: a parameter change scaled by the magnitude.
_PRESETS: dict[str, Any] = {
    "agrawal": lambda p, m: {**p, "classification_function": 1},
    "sea": lambda p, m: {**p, "variant": 1, "noise": min(1.0, p.get("noise", 0.0) + 0.1 * m)},
    "hyperplane": lambda p, m: {**p, "mag_change": m},
    "stagger": lambda p, m: {**p, "classification_function": 1},
    "sine": lambda p, m: {**p, "classification_function": 1},
    "mixed": lambda p, m: {**p, "classification_function": 1},
}


def _kind(generator_type: GeneratorType | str, path: str = "generator_type") -> str:
    """The registered kind of a synthetic stream (``path``: the argument that named it).

    Examples
    --------
    >>> _kind("tabel", "methods")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: methods: unknown synthetic generator 'tabel'. Known: ...
    """
    kind = generator_type.value if isinstance(generator_type, GeneratorType) else generator_type
    name = str(kind).lower()
    known = [n for n, cls in GENERATORS.items() if issubclass(cls, ConceptGenerator)]
    if name not in known:
        hint = suggest(name, known) or "."
        raise ScenarioError(
            path, f"unknown synthetic generator {kind!r}{hint} Known: {', '.join(sorted(known))}"
        )
    return name


#: Seed fields with no river parameter of their own, per type (see :func:`_seed_only`).
_SEED_ONLY = {"sine": "noise_percentage_sine", "friedman": "n_features_friedman"}


def _seed_only(kind: str, value: Any, path: str) -> dict[str, Any]:
    """The parameters set by ``kind``'s seed-only field (:data:`_SEED_ONLY`) at ``value``
    (``path`` names it): Sine's ``noise_percentage_sine`` above 0 switches ``has_noise`` on
    (river's Sine has no noise level); Friedman's ``n_features_friedman`` must be river's 10.

    Examples
    --------
    >>> _seed_only("sine", 0.1, "noise_percentage_sine")
    {'has_noise': True}
    """
    if kind == "friedman":
        if value != N_FRIEDMAN_FEATURES:
            raise ScenarioError(
                path, f"river's Friedman always has {N_FRIEDMAN_FEATURES} features (got {value!r})"
            )
        return {}
    return {"has_noise": True} if share(value, path) > 0 else {}


def _translate(kind: str, config: GeneratorConfig) -> tuple[dict[str, Any], int]:
    params: dict[str, Any] = {}
    for param, sources in _FIELDS.get(kind, {}).items():
        value = next((getattr(config, s) for s in sources if getattr(config, s) is not None), None)
        if value is not None:
            params[param] = value
    field = _SEED_ONLY.get(kind)
    if field is not None and getattr(config, field) is not None:
        params.update(_seed_only(kind, getattr(config, field), field))
    if kind == "hyperplane" and config.n_dims is not None and config.n_features != 10:
        params["n_features"] = config.n_features  # the seed took n_dims only over the default
    key = "random_state" if config.random_state is not None else "seed"
    seed = getattr(config, key)
    return params, DEFAULT_SEED if seed is None else seed_value(seed, key)


def seed_defaults(kind: str) -> dict[str, Any]:
    """Every parameter of ``kind`` as the seed's ``GeneratorConfig()`` gave it (river's
    default where the config has no field for it).

    Examples
    --------
    >>> seed_defaults("sea")
    {'variant': 0, 'noise': 0.1}
    >>> tree = seed_defaults("random_tree")["first_leaf_level"]
    >>> seed_defaults("stagger")["balance_classes"], tree
    (True, 1)
    """
    return {**SyntheticStream(kind, {}).params, **_translate(kind, GeneratorConfig())[0]}


def translate_params(kind: str, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Seed or river parameter names -> the generator's parameters (river's names).

    Examples
    --------
    >>> translate_params("sea", {"function": 2, "noise_percentage": 0.1}, "p")
    {'variant': 2, 'noise': 0.1}
    >>> translate_params("sine", {"noise_percentage_sine": 0.1}, "p")
    {'has_noise': True}
    """
    fields = set(GENERATORS.get(kind, "generator_type").Params.model_fields)
    renames = {src: dst for dst, srcs in _FIELDS.get(kind, {}).items() for src in srcs}
    seed_only = _SEED_ONLY.get(kind)
    out: dict[str, Any] = {}
    derived: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("random_state", "seed"):
            raise ScenarioError(
                f"{path}.{key}", "seeds are derived from random_state; pass random_state instead"
            )
        if key == seed_only:
            derived = _seed_only(kind, value, f"{path}.{key}")
            continue
        name = key if key in fields else renames.get(key)
        if name is None:
            known = sorted(fields | set(renames) | ({seed_only} if seed_only else set()))
            raise ScenarioError(
                f"{path}.{key}",
                f"not a {kind} parameter{suggest(key, known) or '.'} Known: {', '.join(known)}",
            )
        if name in out:
            first = next(k for k in raw if (k if k in fields else renames.get(k)) == name)
            raise ScenarioError(
                f"{path}.{key}", f"names the same parameter as {first!r} ({name}); give one"
            )
        out[name] = value
    clash = sorted(set(derived) & set(out))
    if clash:
        raise ScenarioError(
            f"{path}.{seed_only}", f"sets {clash[0]} too, which is given; give one of the two"
        )
    return {**out, **derived}


class GeneratorFactory:
    """Create engine-backed generators by name (seed API)."""

    @staticmethod
    def create_generator(
        generator_type: GeneratorType | str,
        config: GeneratorConfig | None = None,
        engine: str | None = None,
        **params: Any,
    ) -> SyntheticStream:
        """A stream of ``generator_type`` from a seed ``config`` and/or river-named params.

        ``random_state`` (or ``seed``) given as keyword is the stream's seed. A parameter
        given as keyword wins over the config's field for it (``config`` holds defaults for
        every type; the keyword is the explicit choice for this one). The seed also pins a
        randomly drawn concept's model seed (river's ``seed_tree``, ``seed_model``, or
        Hyperplane's ``seed``) unless that is given, as the seed's factory passed
        ``random_state`` to river: the same ``random_state`` builds the same tree or
        hyperplane as before, and as :func:`~calmops_gen.synthetic.streams.as_stream` of
        river's generator with that seed. Without one the seed is 42 (the facades'
        default, where the seed's factory drew an unseeded, unrepeatable concept), and 42
        seeds the concept too.

        Examples
        --------
        >>> GeneratorFactory.create_generator("random_tree", random_state=1).params["seed_tree"]
        1
        """
        kind = _kind(generator_type)
        translated, seed = ({}, DEFAULT_SEED) if config is None else _translate(kind, config)
        if "random_state" in params and "seed" in params:
            raise ScenarioError("seed", "is an alias of random_state; give one of the two")
        for alias in ("random_state", "seed"):
            if alias in params:
                seed = seed_value(params.pop(alias), alias)
        model = GENERATORS.get(kind, "generator_type").Params.seed_fields
        pinned = {f: seed for f in model if f not in params and f not in translated}
        return SyntheticStream(kind, {**translated, **pinned, **params}, seed=seed, engine=engine)

    @staticmethod
    def create_preset_concept_drift(
        generator_type: GeneratorType | str, seed: int = 42, drift_magnitude: float = 0.5
    ) -> tuple[SyntheticStream, SyntheticStream]:
        """A (base, drifted) pair with the seeds ``seed`` and ``seed + 1``, which also seed a
        randomly drawn concept (as the seed passed them to river): the drifted concept
        changes a parameter (see ``_PRESETS``); types without a preset differ by their
        model seed only, which redraws a random concept (RandomRBF centroids, RandomTree's
        tree).

        ``drift_magnitude`` (at least 0) raises SEA's noise by ``0.1 * drift_magnitude`` and
        is Hyperplane's ``mag_change`` (so at most 1 there); the other types' pairs do not
        use it, as in the seed.

        Sine and Mixed differ from the seed: its pair differed by seed only, which for them
        (no randomly drawn concept) is one concept twice, no drift at all; here the drifted
        one takes ``classification_function`` 1, as Agrawal's and STAGGER's do.
        """
        seed = seed_value(seed, "seed")
        magnitude = number(drift_magnitude, "drift_magnitude")
        kind = _kind(generator_type)
        top = 1.0 if kind == "hyperplane" else math.inf
        if not 0 <= magnitude <= top:
            raise ScenarioError(
                "drift_magnitude",
                f"must be at least 0{' and at most 1 for hyperplane' if top == 1 else ''} "
                f"(got {drift_magnitude!r})",
            )
        preset = _PRESETS.get(kind)
        defaults = seed_defaults(kind)
        model_fields = GENERATORS.get(kind, "generator_type").Params.seed_fields
        if preset is None and not model_fields:
            raise ScenarioError(
                "generator_type", f"{kind!r} has no preset concept drift (no concept parameter)"
            )
        base = SyntheticStream(kind, {**defaults, **{f: seed for f in model_fields}}, seed=seed)
        drifted = preset(base.params, magnitude) if preset is not None else base.params
        return base, SyntheticStream(
            kind, {**drifted, **{f: seed + 1 for f in model_fields}}, seed=seed + 1
        )

    @staticmethod
    def get_available_generators() -> list[GeneratorType]:
        """Every synthetic generator kind, as :class:`GeneratorType` members (as the seed
        returned them; they are strings too)."""
        return list(GeneratorType)

    @staticmethod
    def get_generator_info(generator_type: GeneratorType | str) -> dict[str, Any]:
        """Name, description, features, task, classes, engines and parameters of a kind.

        The seed returned counts under ``features`` and ``classes`` and a display name
        (``"SEA Concepts"``); here ``name`` is the kind, ``features`` and ``classes`` list
        the column names and labels, and the counts are ``n_features`` and ``n_classes``
        (code reading the seed's counts reads those)."""
        kind = _kind(generator_type)
        cls = GENERATORS.get(kind, "generator_type")
        gen = cls(cls.Params(), cls.engines[0])
        target = gen.target()
        classes = gen.classes()
        if classes is None:
            task = "regression"
        else:
            task = "binary classification" if len(classes) == 2 else "multiclass classification"
        assert issubclass(cls, ConceptGenerator)
        return {
            "name": kind,
            "description": (cls.__doc__ or "").strip().splitlines()[0],
            "features": [c.name for c in gen.columns() if c.role == "feature"],
            "n_features": sum(1 for c in gen.columns() if c.role == "feature"),
            "target": target.name if target else None,
            "task": task,
            "classes": list(classes) if classes is not None else None,
            "n_classes": len(classes) if classes is not None else None,
            "engines": list(cls.engines),
            "params": cls.Params().model_dump(),
            "drift_capable": cls.supports_blend() or cls.stateful,
        }
