"""Registries: kinds by name with suggestions, plugins through the entry point group, and
the progress bar promised for multi-block runs."""

from __future__ import annotations

import sys
from importlib import metadata
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pytest

import calmops_gen as cg
from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS, Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.registry import Registry


class ConstParams(GeneratorParams):
    value: float = 1.0


class Const(ConceptGenerator):
    """A plugin generator: one feature equal to ``value`` plus uniform noise below 1e-3."""

    kind: ClassVar[str] = "const"
    Params: ClassVar[type[GeneratorParams]] = ConstParams
    engines: ClassVar[tuple[str, ...]] = ("numpy",)

    def columns(self) -> tuple[Column, ...]:
        return (Column("v", "double", "feature"), Column("y", "int64", "target"))

    def classes(self) -> tuple[int, ...]:
        return (0, 1)

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        v = params.value + draw.rng.uniform(0, 1e-3, draw.n)
        return {"v": v, "y": (np.arange(draw.n) % 2).astype(np.int64)}

    def river_dataset(self, params: Any, seed: int) -> Any:
        raise NotImplementedError


def test_plugin_generator_registers_through_the_entry_point_group(monkeypatch, tmp_path):
    module = ModuleType("calmops_test_plugin")
    module.Const = Const  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "calmops_test_plugin", module)
    point = metadata.EntryPoint("const", "calmops_test_plugin:Const", "calmops_gen.generators")
    real = metadata.entry_points

    def fake(**kwargs: Any) -> Any:
        if kwargs.get("group") == "calmops_gen.generators":
            return [point]
        return real(**kwargs)

    registry = Registry("generator", "calmops_gen.generators")
    monkeypatch.setattr("calmops_gen.registry.metadata.entry_points", fake)
    assert registry.get("const", "generator.kind") is Const
    monkeypatch.setattr(GENERATORS, "_plugins_loaded", False)
    monkeypatch.setattr(GENERATORS, "_items", dict(GENERATORS._items))
    m = cg.run(
        {"name": "plugin", "generator": {"kind": "const", "params": {"value": 5.0}},
         "schedule": {"blocks": 2, "rows_per_block": 10}},
        root=tmp_path,
    )  # fmt: skip
    frame = cg.read_frame(m)
    assert ((frame["v"] >= 5.0) & (frame["v"] < 5.001)).all()
    assert m.config["generator"]["params"] == {"value": 5.0}


def test_unknown_kind_lists_known_ones_and_suggests():
    with pytest.raises(ScenarioError) as err:
        GENERATORS.get("hyperplain", "generator.kind")
    assert err.value.path == "generator.kind"
    assert "did you mean 'hyperplane'" in str(err.value)
    assert "agrawal" in str(err.value) and "waveform" in str(err.value)


def test_kind_names_are_slugs():
    reg: Registry[type] = Registry("thing")
    with pytest.raises(ValueError):
        reg.register("../evil")
    reg.register("fine")(int)
    with pytest.raises(ValueError):
        reg.register("fine")(str)  # no silent replacement


def test_progress_bar_on_multi_block_runs(tmp_path, capsys):
    cg.run(
        {"name": "bar", "generator": {"kind": "sea"},
         "schedule": {"blocks": 3, "rows_per_block": 10}, "executor": {"progress": True}},
        root=tmp_path,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "3/3" in err and "block" in err
    cg.run(
        {"name": "quiet", "generator": {"kind": "sea"},
         "schedule": {"blocks": 3, "rows_per_block": 10}, "executor": {"progress": False}},
        root=tmp_path,
    )  # fmt: skip
    assert capsys.readouterr().err == ""
