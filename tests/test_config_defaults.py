"""The Hydra base config agrees with the Python models, and the manifest schema is published."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import REPO

from calmops_gen.cli import config_dir
from calmops_gen.manifest import manifest_schema
from calmops_gen.scenario import ExecutorSpec, OutputSpec, Scenario

BASE = yaml.safe_load((config_dir() / "config.yaml").read_text(encoding="utf-8"))


def test_config_dir_is_the_checkout_conf() -> None:
    assert (config_dir() / "config.yaml").is_file()
    assert (config_dir() / "scenario").is_dir()


def test_base_seed_equals_model_default() -> None:
    assert BASE["seed"] == Scenario.model_fields["seed"].default


def test_base_output_equals_model_defaults() -> None:
    assert BASE["output"] == OutputSpec().model_dump()


def test_base_executor_equals_model_defaults() -> None:
    assert BASE["executor"] == ExecutorSpec().model_dump()


def test_base_drift_is_empty_like_the_model() -> None:
    assert BASE.get("drift", {}) == {}
    assert Scenario.model_fields["drift"].default_factory() == {}


def test_base_sets_only_documented_top_level_keys() -> None:
    keys = set(BASE) - {"defaults", "hydra"}  # hydra: Hydra's own settings (the help's name)
    assert keys <= set(Scenario.model_fields), keys - set(Scenario.model_fields)
    assert {"scenario": "default"} in BASE["defaults"]


DESIGN_MANIFEST_KEYS = {
    "name",
    "version",
    "seed",
    "created_at",
    "calmops_gen_version",
    "config",
    "overrides",
    "rows",
    "columns",
    "blocks",
    "events",
    "files",
    "environment",
}
DESIGN_NESTED = {
    "ColumnInfo": {"name", "dtype", "role"},
    "BlockInfo": {
        "index",
        "rows",
        "row_start",
        "row_stop",
        "time_start",
        "time_end",
        "params",
        "file",
        "sha256",
    },
    "EventInfo": {
        "id",
        "kind",
        "features",
        "profile",
        "row_start",
        "row_stop",
        "rows_affected",
        "realised",
    },
    "FileInfo": {"path", "sha256", "bytes", "rows"},
}


def test_manifest_schema_has_design_keys() -> None:
    schema = manifest_schema()
    assert set(schema["required"]) >= DESIGN_MANIFEST_KEYS
    defs = schema["$defs"]
    for name, keys in DESIGN_NESTED.items():
        assert keys <= set(defs[name]["properties"]), (name, keys - set(defs[name]["properties"]))
    roles = defs["ColumnInfo"]["properties"]["role"]["enum"]
    assert {"feature", "target", "time", "block"} <= set(roles)


def test_published_schema_equals_the_model() -> None:
    published = REPO / "docs" / "manifest.schema.json"
    assert published.is_file(), "docs/manifest.schema.json is not published"
    assert json.loads(published.read_text(encoding="utf-8")) == manifest_schema(), (
        "docs/manifest.schema.json is out of date: republish it with the command in the "
        "README's Development section"
    )


def test_real_manifest_fits_the_schema(tmp_path: Path) -> None:
    """Every key of a written manifest is a schema property, and every required key is there."""
    import calmops_gen

    m = calmops_gen.run(
        {
            "name": "schema",
            "generator": {"kind": "sea"},
            "schedule": {"blocks": 2, "rows_per_block": 50},
            "drift": {"s": {"kind": "shift", "features": ["x0"], "amount": 1.0}},
        },
        root=tmp_path,
    )
    raw = json.loads((m.directory / "manifest.json").read_text(encoding="utf-8"))
    schema = manifest_schema()
    assert set(schema["required"]) <= set(raw)
    assert set(raw) <= set(schema["properties"])
    defs = schema["$defs"]
    for key, model in (("blocks", "BlockInfo"), ("events", "EventInfo"), ("files", "FileInfo")):
        for item in raw[key]:
            assert set(defs[model].get("required", [])) <= set(item), key
            assert set(item) <= set(defs[model]["properties"]), key
