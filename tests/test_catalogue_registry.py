"""Completeness of the generator catalogue against ``river.datasets.synth``.

Every public river synthetic dataset class must be registered under its snake_case kind
(``Agrawal`` -> ``agrawal``, ``AnomalySine`` -> ``anomaly_sine``, ``LEDDrift`` ->
``led_drift``, ``Planes2D`` -> ``planes2d``, ``RandomRBFDrift`` -> ``random_rbf_drift``,
``STAGGER`` -> ``stagger``, ...). ``ConceptDriftStream`` is deliberately excluded: it is not a
generator of its own but a wrapper that switches between two river streams, which is what
calmops-gen's block schedule (``block_params``, concept sequences) and its gradual /
incremental transitions replace.

And every registered generator that offers the ``river`` engine must build its river dataset
and yield rows through that engine.
"""

from __future__ import annotations

import inspect
import itertools
import re

import numpy as np
import pytest
from river import datasets
from river.datasets import synth

from calmops_gen.generators import GENERATORS, ConceptGenerator, Draw
from calmops_gen.seeding import SeedTree

# Wrappers of other streams, not generators: replaced by calmops-gen's schedule/transitions.
EXCLUDED = {"ConceptDriftStream"}


def snake_case(name: str) -> str:
    """river class name -> calmops-gen kind.

    A word starts at an upper-case letter that follows a lower-case letter (``AnomalySine``)
    or that ends a run of capitals before a lower-case letter (``LEDDrift``); digits stay
    with the word before them (``Planes2D``).

    Examples
    --------
    >>> [snake_case(n) for n in ("Agrawal", "LEDDrift", "Planes2D", "RandomRBFDrift", "Mv")]
    ['agrawal', 'led_drift', 'planes2d', 'random_rbf_drift', 'mv']
    """
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name)
    name = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return name.lower()


def river_synth_classes() -> dict[str, type]:
    """Public classes of ``river.datasets.synth`` that are river datasets (minus wrappers)."""
    out = {}
    for name, obj in inspect.getmembers(synth, inspect.isclass):
        if name.startswith("_") or name in EXCLUDED:
            continue
        if issubclass(obj, datasets.base.Dataset):
            out[name] = obj
    return out


def river_kinds() -> list[str]:
    return [snake_case(name) for name in sorted(river_synth_classes())]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Agrawal", "agrawal"),
        ("AnomalySine", "anomaly_sine"),
        ("FriedmanDrift", "friedman_drift"),
        ("LED", "led"),
        ("LEDDrift", "led_drift"),
        ("Mv", "mv"),
        ("Planes2D", "planes2d"),
        ("RandomRBF", "random_rbf"),
        ("RandomRBFDrift", "random_rbf_drift"),
        ("STAGGER", "stagger"),
        ("SEA", "sea"),
        ("Hyperplane", "hyperplane"),
    ],
)
def test_snake_case(name: str, kind: str) -> None:
    assert snake_case(name) == kind


def test_river_catalogue_is_enumerated() -> None:
    found = river_synth_classes()
    # the discovery is not vacuous, and the wrapper is left out on purpose
    assert {"Agrawal", "SEA", "LEDDrift", "AnomalySine", "Waveform"} <= set(found)
    assert "ConceptDriftStream" not in found
    assert issubclass(synth.ConceptDriftStream, datasets.base.Dataset)  # excluded, not missed


@pytest.mark.parametrize("kind", river_kinds())
def test_every_river_generator_is_registered(kind: str) -> None:
    names = GENERATORS.names()
    assert kind in names, f"river's {kind!r} generator is not registered (known: {names})"


def _river_engine_kinds() -> list[str]:
    return [
        kind
        for kind in GENERATORS.names()
        if "river" in getattr(GENERATORS.get(kind, "generator.kind"), "engines", ())
    ]


@pytest.mark.parametrize("kind", _river_engine_kinds())
def test_river_engine_builds_and_yields_rows(kind: str) -> None:
    cls = GENERATORS.get(kind, "generator.kind")
    assert issubclass(cls, ConceptGenerator)
    params = cls.Params()
    # model seeds are filled per concept by the planner; pin them here
    params = params.model_copy(update={f: 1234 + i for i, f in enumerate(params.seed_fields)})
    gen = cls(params, "river")

    dataset = gen.river_dataset(params, 42)
    rows = list(itertools.islice(iter(dataset), 5))
    assert len(rows) == 5
    for x, _ in rows:
        assert isinstance(x, dict) and x

    n = 7
    seq = SeedTree(3).concept(0, 0)
    frame = gen.sample(params, Draw(np.arange(n), SeedTree.rng(seq)), seq)
    cols = gen.columns()
    assert len(frame) == n
    assert list(frame.columns) == [c.name for c in cols]
    assert not frame.isna().all().any()  # every declared column got river's values


# which concept generators drift internally at river's default parameters
DRIFTS_AT_DEFAULTS = {"anomaly_sine", "friedman_drift"}


@pytest.mark.parametrize("kind", _river_engine_kinds())
def test_per_concept_classes_and_internal_drift(kind: str) -> None:
    """classes_for(the generator's own parameters) is classes(); drifts_internally() is the
    class attribute stateful except where a parameter switches the drift off (hyperplane
    at mag_change 0, random_rbf_drift at change_speed 0: river's defaults)."""
    cls = GENERATORS.get(kind, "generator.kind")
    assert issubclass(cls, ConceptGenerator)
    gen = cls(cls.Params(), "numpy")
    assert gen.classes_for(gen.params) == gen.classes()
    assert gen.drifts_internally() == (kind in DRIFTS_AT_DEFAULTS)
    assert gen.drifts_internally() <= gen.stateful
