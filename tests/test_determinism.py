"""Same scenario + same seed = the same bytes, whatever the executor, the API or the root.

The default scenario's features (a gradual concept transition, a gradual shift in units of
the reference std, label flips, timestamps) are all exercised, at a small size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import IN_PROCESS_LOCK, dataset_bytes, deep_merge, file_hashes, run_cli, sea

import calmops_gen
from calmops_gen.engine import TruthColumns, produce_block
from calmops_gen.plan import build_plan
from calmops_gen.scenario import load_scenario


def _scenario(**changes: Any) -> dict[str, Any]:
    base = sea(
        name="determinism",
        schedule={
            "blocks": 4,
            "rows_per_block": 500,
            "start": "2024-01-01",
            "step": {"days": 7},
            "block_params": {2: {"variant": 1}},
            "transition": {"kind": "gradual", "width": 200, "shape": "sigmoid"},
        },
        drift={
            "shift_x0": {
                "kind": "shift",
                "features": ["x0"],
                "amount_std": 0.5,
                "where": {"blocks": [2, 3]},
                "profile": {"kind": "gradual", "shape": "sigmoid", "width": 400},
            },
            "flips": {"kind": "label_flip", "rate": 0.1, "where": {"blocks": [3]}},
            "nz": {"kind": "noise", "features": ["x1"], "amount": 0.3, "where": {"fraction": 0.5}},
        },
    )
    return deep_merge(base, changes)


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    a = calmops_gen.run(_scenario(), root=tmp_path / "a")
    b = calmops_gen.run(_scenario(), root=tmp_path / "b")
    assert a.version == b.version
    assert a.directory != b.directory
    assert file_hashes(a) == file_hashes(b)
    assert dataset_bytes(a.directory) == dataset_bytes(b.directory)
    assert len(dataset_bytes(a.directory)) == 8  # 4 data + 4 ground-truth files
    # the manifests differ at most in created_at
    ja = a.model_dump(exclude={"created_at"})
    jb = b.model_dump(exclude={"created_at"})
    assert ja == jb


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_processes_executor_gives_same_bytes_as_sequential(
    tmp_path: Path, exclusive_run, fmt: str
) -> None:
    seq = calmops_gen.run(_scenario(output={"format": fmt}), root=tmp_path / "seq")
    par = calmops_gen.run(
        _scenario(output={"format": fmt}, executor={"kind": "processes", "workers": 2}),
        root=tmp_path / "par",
    )
    assert par.version == seq.version
    assert file_hashes(par) == file_hashes(seq)
    assert dataset_bytes(par.directory) == dataset_bytes(seq.directory)
    # config records the executor (and records_sha256 seals the config with the rest)
    unsealed = {"created_at", "config", "records_sha256"}
    assert par.model_dump(exclude=unsealed) == seq.model_dump(exclude=unsealed)


def _api_and_cli(cwd: Path) -> tuple[Any, int, str, str, Path]:
    import yaml

    conf = cwd / "conf"
    conf.mkdir()
    (conf / "mine.yaml").write_text(yaml.safe_dump(_scenario(), sort_keys=False), encoding="utf-8")
    with IN_PROCESS_LOCK:
        api = calmops_gen.run(conf / "mine.yaml", root=cwd / "api")
    out = cwd / "cli"
    rc, stdout, stderr = run_cli(
        cwd, "--config-dir", str(conf), "--config-name", "mine", f"+output.root={out}"
    )
    return api, rc, stdout, stderr, out


# run in the background by conftest.py (see ``cli_jobs``)
CLI_JOBS = {"api-and-cli": _api_and_cli}


def test_python_api_and_cli_give_same_bytes(cli_jobs) -> None:
    api, rc, stdout, stderr, out = cli_jobs["api-and-cli"]
    assert rc == 0, stderr
    directory = Path(stdout.strip().splitlines()[-1])
    assert directory == (out / "determinism" / api.version).resolve()
    cli = calmops_gen.read_manifest(directory)
    assert cli.version == api.version
    assert file_hashes(cli) == file_hashes(api)
    assert dataset_bytes(cli.directory) == dataset_bytes(api.directory)


def test_different_seed_gives_different_version_and_bytes(tmp_path: Path) -> None:
    a = calmops_gen.run(_scenario(), root=tmp_path / "a")
    b = calmops_gen.run(_scenario(seed=124), root=tmp_path / "b")
    assert a.version != b.version
    ha, hb = dict(file_hashes(a)), dict(file_hashes(b))
    assert ha.keys() == hb.keys()
    assert all(ha[p] != hb[p] for p in ha if p.startswith("data/"))


def test_blocks_do_not_depend_on_how_many_follow(tmp_path: Path) -> None:
    """Block i is a pure function of (scenario, i): adding blocks leaves earlier ones alone."""
    small = sea(schedule={"blocks": 2, "rows_per_block": 300})
    large = sea(schedule={"blocks": 5, "rows_per_block": 300})
    a = calmops_gen.run(small, root=tmp_path / "a")
    b = calmops_gen.run(large, root=tmp_path / "b")
    assert a.version != b.version
    bytes_a, bytes_b = dataset_bytes(a.directory), dataset_bytes(b.directory)
    for name in ("data/block-00000.parquet", "data/block-00001.parquet"):
        assert bytes_a[name] == bytes_b[name], name


VERSION_NEUTRAL = [
    pytest.param({"output": {"root": "elsewhere"}}, id="output.root"),
    pytest.param({"output": {"overwrite": True}}, id="output.overwrite"),
    pytest.param({"executor": {"kind": "processes", "workers": 3}}, id="executor"),
    pytest.param({"executor": {"progress": True}}, id="executor.progress"),
]

VERSION_CHANGING = [
    pytest.param({"seed": 1}, id="seed"),
    pytest.param({"name": "other"}, id="name"),
    pytest.param({"output": {"format": "csv"}}, id="output.format"),
    pytest.param({"output": {"ground_truth": False}}, id="output.ground_truth"),
    pytest.param({"generator": {"params": {"variant": 3}}}, id="generator.params"),
    pytest.param({"generator": {"engine": "river"}}, id="generator.engine"),
    pytest.param({"schedule": {"rows_per_block": 501}}, id="schedule"),
    pytest.param({"drift": {"flips": {"rate": 0.2}}}, id="drift"),
]


@pytest.mark.parametrize("change", VERSION_NEUTRAL)
def test_version_ignores_where_and_how(change: dict) -> None:
    assert load_scenario(_scenario(**change)).version() == load_scenario(_scenario()).version()


@pytest.mark.parametrize("change", VERSION_CHANGING)
def test_version_changes_with_what(change: dict) -> None:
    assert load_scenario(_scenario(**change)).version() != load_scenario(_scenario()).version()


def test_version_ignores_root_end_to_end(tmp_path: Path, exclusive_run) -> None:
    a = calmops_gen.run(_scenario(output={"root": "x"}), root=tmp_path / "a")
    b = calmops_gen.run(
        _scenario(executor={"kind": "processes", "workers": 2}), root=tmp_path / "b"
    )
    assert a.directory.name == b.directory.name == a.version
    assert file_hashes(a) == file_hashes(b)


def test_defaults_written_or_omitted_give_the_same_version() -> None:
    """Spelling out a default does not change the content id."""
    explicit = _scenario(
        output={"format": "parquet", "ground_truth": True},
        schedule={"spread": "even", "time_column": "timestamp"},
    )
    assert load_scenario(explicit).version() == load_scenario(_scenario()).version()


def test_event_order_is_part_of_the_version(tmp_path: Path) -> None:
    """Events apply in declared order, and the order changes the bytes (a condition sees an
    earlier shift; ground-truth columns follow the order): so it must change the version."""
    lift = {"kind": "shift", "features": ["x0"], "amount": 100.0, "where": {"blocks": [1]}}
    sel = {
        "kind": "shift",
        "features": ["x1"],
        "amount": 1.0,
        # ~10% of SEA's x0 in [0, 10), every lifted row of block 1
        "where": {"condition": [{"column": "x0", "op": ">", "value": 9}]},
    }
    first = sea(drift={"lift": lift, "sel": sel})
    second = sea(drift={"sel": sel, "lift": lift})
    assert list(first["drift"]) == ["lift", "sel"] and list(second["drift"]) == ["sel", "lift"]
    a = calmops_gen.run(first, root=tmp_path / "a")
    b = calmops_gen.run(second, root=tmp_path / "b")
    assert file_hashes(a) != file_hashes(b)  # different datasets...
    assert a.version != b.version  # ...must not share a version id
    selected = {m.version: {e.id: e.rows_selected for e in m.events} for m in (a, b)}
    assert selected[a.version]["sel"] > selected[b.version]["sel"] > 0


@pytest.mark.parametrize(
    "executor", [{"kind": "processes", "workers": 2}, {"kind": "dask", "workers": 2}]
)
def test_every_event_kind_is_executor_independent(
    tmp_path: Path, exclusive_run, executor: dict[str, Any]
) -> None:
    """All registered event kinds at once (on their fixture scenarios, plus a random walk,
    which carries state across blocks): pooled and sequential runs give the same bytes."""
    from conftest import event_case

    from calmops_gen.drift import EVENTS

    groups: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for kind in EVENTS.names():
        case = event_case(kind)
        key = id(case.scenario)
        if key not in groups:
            groups[key] = (case.scenario(tmp_path / "src" / str(len(groups))), {})
        groups[key][1][f"e_{kind}"] = case.event
    assert sum(len(events) for _, events in groups.values()) == len(EVENTS.names())
    for n, (base, events) in enumerate(groups.values()):
        numeric = next(
            c
            for c in calmops_gen.load_scenario(base).build_generator().columns()
            if c.role == "feature" and c.dtype == "double"
        )
        walk = {"kind": "trend", "features": [numeric.name], "form": "random_walk", "step_std": 0.1}
        sc = deep_merge(base, {"drift": {**events, "walk": walk}})
        seq = calmops_gen.run(sc, root=tmp_path / f"seq{n}")
        par = calmops_gen.run(deep_merge(sc, {"executor": executor}), root=tmp_path / f"par{n}")
        assert len(seq.blocks) >= 3
        assert file_hashes(par) == file_hashes(seq), sorted(events)
        assert dataset_bytes(par.directory) == dataset_bytes(seq.directory)


@pytest.mark.parametrize("transition", ["gradual", "incremental"])
def test_whole_run_truth_columns_equal_per_block_truth(transition: str) -> None:
    """``inject``'s whole-run ground-truth columns hold exactly what each block produces on
    its own (concepts, incremental weights, event weights and changed flags)."""
    sc = _scenario()
    sc["schedule"]["transition"] = {"kind": transition, "width": 200}
    sc["generator"] = {"kind": "hyperplane", "params": {"n_features": 3}}
    sc["schedule"]["block_params"] = {2: {"mag_change": 0.5}}
    for ev in ("shift_x0", "nz"):
        sc["drift"][ev]["features"] = ["x0"]
    plan = build_plan(load_scenario(sc))
    whole = TruthColumns(plan.n_rows)
    views = [produce_block(plan, i, whole).ground_truth for i in range(len(plan.blocks))]
    alone = pd.concat(
        [produce_block(plan, i).ground_truth for i in range(len(plan.blocks))], ignore_index=True
    )
    got = whole.frame()
    pd.testing.assert_frame_equal(got, alone)
    assert "concept" in got and "flips__changed" in got
    assert ("concept_weight" in got) == (transition == "incremental")
    assert got["flips__changed"].sum() > 0 and 0 < got["concept"].mean() < 1
    # each block's frame is a view of the whole-run columns, not a copy
    assert np.shares_memory(views[1]["row"].to_numpy(), got["row"].to_numpy())


def test_a_named_time_zone_is_part_of_the_config_and_the_version(tmp_path: Path) -> None:
    """Europe/Madrid and +01:00 agree on the first timestamp but not after the clocks move:
    they had one version id (whichever ran second got the other's data)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def scenario(start: object) -> dict[str, Any]:
        return sea(schedule={"blocks": 3, "rows_per_block": 4, "start": start,
                             "step": {"days": 1}})  # fmt: skip

    madrid = datetime(2024, 3, 30, 12, tzinfo=ZoneInfo("Europe/Madrid"))
    named = calmops_gen.run(scenario(madrid), root=tmp_path)
    fixed = calmops_gen.run(scenario("2024-03-30T12:00:00+01:00"), root=tmp_path)
    assert named.version != fixed.version
    assert named.config["schedule"]["start"] == "2024-03-30T12:00:00+01:00[Europe/Madrid]"
    stamps = calmops_gen.read_frame(named)["timestamp"]
    assert [t.isoformat() for t in stamps.iloc[[0, 4]]] == [
        "2024-03-30T12:00:00+01:00", "2024-03-31T12:00:00+02:00"
    ]  # fmt: skip
    assert calmops_gen.read_frame(fixed)["timestamp"].iloc[4].isoformat().endswith("+01:00")
    # the recorded config (text) runs again into the same version
    again = calmops_gen.run(named.config, root=tmp_path / "again")
    assert again.version == named.version
    assert file_hashes(again) == file_hashes(named)
