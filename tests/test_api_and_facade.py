"""The plain Python API (no Hydra) and the seed-system facade ``SyntheticBlockGenerator``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import read_csv_exact, sea

import calmops_gen
from calmops_gen.errors import DatasetError, ScenarioError
from calmops_gen.verify import verify_dataset


def _scenario() -> dict:
    sc = sea(
        name="api",
        drift={
            "up": {
                "kind": "shift",
                "features": ["x2"],
                "amount": 1.0,
                "where": {"rows": [250, 900]},
                "profile": {"kind": "incremental"},
            },
            "fl": {"kind": "label_flip", "rate": 0.25, "where": {"blocks": [2]}},
        },
    )
    sc["schedule"] = {
        "sizes": [300, 500, 200],
        "start": "2024-03-01",
        "step": {"days": 2},
        "block_params": {1: {"variant": 3}},
    }
    return sc


# --------------------------------------------------------------------------------------------
# Python API
# --------------------------------------------------------------------------------------------


def test_load_from_dict_yaml_and_scenario_agree(tmp_path: Path) -> None:
    path = tmp_path / "sc.yaml"
    path.write_text(yaml.safe_dump(_scenario(), sort_keys=False), encoding="utf-8")
    from_dict = calmops_gen.load_scenario(_scenario())
    from_yaml = calmops_gen.load_scenario(path)
    from_str = calmops_gen.load_scenario(str(path))
    assert from_dict.version() == from_yaml.version() == from_str.version()
    assert calmops_gen.load_scenario(from_dict) is from_dict
    assert from_yaml.canonical() == from_dict.canonical()
    assert from_dict.events()["up"].amount == 1.0
    assert [p.variant for p in from_dict.block_params(3)] == [0, 3, 3]


def test_run_returns_the_manifest(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path / "out")
    assert isinstance(m, calmops_gen.Manifest)
    assert m.directory.is_absolute()
    assert m.directory == (tmp_path / "out" / "api" / m.version).resolve()
    assert (m.name, m.seed, m.rows) == ("api", 123, 1000)
    assert [(b.index, b.rows, b.row_start, b.row_stop) for b in m.blocks] == [
        (0, 300, 0, 300),
        (1, 500, 300, 800),
        (2, 200, 800, 1000),
    ]
    assert [b.params["variant"] for b in m.blocks] == [0, 3, 3]
    assert m.overrides == []
    # the manifest on disk is the one returned
    on_disk = calmops_gen.read_manifest(m.directory)
    assert on_disk.model_dump() == m.model_dump()
    raw = json.loads((m.directory / "manifest.json").read_text())
    assert raw["version"] == m.version and raw["rows"] == 1000
    # files: every block's data and ground truth, with row counts
    assert [(f.path, f.rows) for f in m.files] == [
        (f"{kind}/block-{i:05d}.parquet", rows)
        for i, rows in enumerate([300, 500, 200])
        for kind in ("data", "ground_truth")
    ]
    assert all(f.bytes == (m.directory / f.path).stat().st_size for f in m.files)
    assert verify_dataset(m.directory) == []


def test_manifest_events_record_declared_and_realised(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path)
    truth = calmops_gen.read_ground_truth(m)
    up, fl = m.events
    assert (up.id, up.kind, up.features) == ("up", "shift", ["x2"])
    assert (up.row_start, up.row_stop, up.rows_selected) == (250, 900, 650)
    assert up.profile["kind"] == "incremental"
    assert up.params["amount"] == 1.0
    # incremental over 650 rows: weights k/649; realised over the 649 rows with weight > 0
    assert up.realised["x2"]["mean_shift"] == pytest.approx(325 / 649, rel=1e-12)
    assert up.realised["x2"]["mean_shift"] == pytest.approx(
        up.realised["x2"]["expected_mean_shift"], rel=1e-9
    )
    assert (fl.id, fl.kind, fl.row_start, fl.row_stop) == ("fl", "label_flip", 800, 1000)
    assert fl.realised["rows_flipped"] == int(truth["fl__changed"].sum()) == fl.rows_affected
    assert fl.realised["expected_flip_rate"] == pytest.approx(0.25, rel=1e-12)


def test_read_frame_and_ground_truth(tmp_path: Path) -> None:
    m = calmops_gen.run(_scenario(), root=tmp_path)
    frame = calmops_gen.read_frame(m)
    truth = calmops_gen.read_ground_truth(m)
    assert len(frame) == len(truth) == 1000
    assert list(frame.columns) == ["x0", "x1", "x2", "y", "block", "timestamp"]
    assert frame["block"].tolist() == [0] * 300 + [1] * 500 + [2] * 200
    assert truth["row"].tolist() == list(range(1000))
    assert truth["block"].tolist() == frame["block"].tolist()
    assert truth["concept"].tolist() == [0] * 300 + [1] * 700
    # from a directory (str or Path) it reads the same
    pd.testing.assert_frame_equal(calmops_gen.read_frame(str(m.directory)), frame)
    pd.testing.assert_frame_equal(calmops_gen.read_ground_truth(m.directory), truth)
    # timestamps: evenly spread inside each block's [start, start + step)
    for b in m.blocks:
        ts = frame["timestamp"][b.row_start : b.row_stop]
        begin = pd.Timestamp("2024-03-01") + pd.Timedelta(days=2 * b.index)
        assert ts.iloc[0] == begin and ts.max() < begin + pd.Timedelta(days=2)
        assert ts.is_monotonic_increasing
        assert pd.Timestamp(b.time_start) == ts.iloc[0]
        assert pd.Timestamp(b.time_end) == ts.iloc[-1]


@pytest.mark.parametrize("dtype", ["float64", "int8", "uint32", "bool", "str"])
def test_table_column_named_row_round_trips(tmp_path: Path, dtype: str) -> None:
    """A user's column may be called ``row`` like the ground truth's row numbers; it is
    written as its own type (Parquet's delta encoding takes only 32/64-bit integers)."""
    values = list("abcde") if dtype == "str" else np.arange(5).astype(dtype)
    source = tmp_path / "t.parquet"
    pd.DataFrame({"row": values, "y": [0, 1, 0, 1, 0]}).to_parquet(source)
    m = calmops_gen.run(
        {"name": "t", "generator": {"kind": "table", "params": {"source": str(source)}}},
        root=tmp_path / "out",
    )
    back = calmops_gen.read_frame(m)["row"]
    assert back.tolist() == pd.Series(values).tolist()
    assert verify_dataset(m.directory) == []


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_missing_integers_and_bools_read_back_as_nullable(tmp_path: Path, fmt: str) -> None:
    """Integer and bool columns with missing values are read back as ``Int64``/``boolean``
    (float64 would round 2**53 + 1), in every block that holds one."""
    big = 2**53 + 1
    source = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "k": pd.array([big, None, 3] * 4, dtype="Int64"),
            "b": pd.array([True, None, False] * 4, dtype="boolean"),
            "x": np.arange(12.0),
        }
    ).to_parquet(source)
    m = calmops_gen.run(
        {"name": "t", "generator": {"kind": "table", "params": {"source": str(source)}},
         "schedule": {"rows_per_block": 6}, "output": {"format": fmt}},
        root=tmp_path / "out",
    )  # fmt: skip
    back = calmops_gen.read_frame(m)
    assert back["k"].dtype == "Int64" and back["b"].dtype == "boolean"
    assert back["k"].tolist()[:3] == [big, pd.NA, 3]
    assert back["b"].tolist()[:3] == [True, pd.NA, False]
    assert back["x"].dtype == np.float64


def test_a_changed_table_source_is_a_new_version(tmp_path: Path) -> None:
    """The version hashes the source file's bytes (recorded under ``inputs``): editing the
    table makes a new version instead of returning the stale dataset, and both verify."""
    source = tmp_path / "t.parquet"
    scenario = {"name": "t", "generator": {"kind": "table", "params": {"source": str(source)}}}
    pd.DataFrame({"a": np.arange(10.0)}).to_parquet(source)
    first = calmops_gen.run(scenario, root=tmp_path / "out")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert first.inputs == {"generator.params.source": digest}
    pd.DataFrame({"a": np.arange(10.0) + 100}).to_parquet(source)
    second = calmops_gen.run(scenario, root=tmp_path / "out")
    assert second.version != first.version
    assert calmops_gen.read_frame(second)["a"].min() == 100.0
    assert calmops_gen.read_frame(first)["a"].min() == 0.0
    assert verify_dataset(first.directory) == [] and verify_dataset(second.directory) == []
    # a generated dataset has no inputs, and its id does not depend on them
    sea = calmops_gen.run({"name": "s", "generator": {"kind": "sea"},
                           "schedule": {"rows_per_block": 10}}, root=tmp_path / "out")  # fmt: skip
    assert sea.inputs == {} and sea.version == calmops_gen.load_scenario(sea.config).version()


def test_table_blocks_record_their_time_range(tmp_path: Path) -> None:
    """Manifest blocks carry time_start/time_end for a table with its own time column."""
    sc = {
        "name": "loans",
        "generator": {
            "kind": "table",
            "params": {
                "source": "bundled:loans.csv",
                "target": "default",
                "time_column": "date",
                "block_freq": "MS",
            },
        },
    }
    m = calmops_gen.run(sc, root=tmp_path)
    frame = calmops_gen.read_frame(m)
    assert len(m.blocks) == 12 and m.rows == len(frame) == 3000
    for b in m.blocks:
        dates = frame["date"][b.row_start : b.row_stop]
        assert dates.dt.month.nunique() == 1  # one calendar month per block
        assert b.time_start is not None and b.time_end is not None, f"block {b.index}"
        assert pd.Timestamp(b.time_start) == dates.iloc[0]
        assert pd.Timestamp(b.time_end) == dates.iloc[-1]


def test_without_ground_truth(tmp_path: Path) -> None:
    sc = sea(output={"ground_truth": False})
    m = calmops_gen.run(sc, root=tmp_path)
    assert all(f.path.startswith("data/") for f in m.files)
    assert not (m.directory / "ground_truth").exists()
    assert m.ground_truth_columns == []
    with pytest.raises(DatasetError):
        calmops_gen.read_ground_truth(m)
    assert verify_dataset(m.directory) == []
    with_truth = calmops_gen.run(sea(), root=tmp_path)
    pd.testing.assert_frame_equal(calmops_gen.read_frame(m), calmops_gen.read_frame(with_truth))


def test_run_from_yaml_path(tmp_path: Path) -> None:
    path = tmp_path / "sc.yaml"
    path.write_text(yaml.safe_dump(_scenario(), sort_keys=False), encoding="utf-8")
    a = calmops_gen.run(path, root=tmp_path / "a")
    b = calmops_gen.run(_scenario(), root=tmp_path / "b")
    assert a.version == b.version
    assert [f.sha256 for f in a.files] == [f.sha256 for f in b.files]


def test_run_records_overrides(tmp_path: Path) -> None:
    m = calmops_gen.run(sea(), root=tmp_path, overrides=["seed=123"])
    assert m.overrides == ["seed=123"]


# --------------------------------------------------------------------------------------------
# Seed facade
# --------------------------------------------------------------------------------------------


def test_facade_is_exported_from_both_places() -> None:
    from calmops_gen import SyntheticBlockGenerator as A
    from calmops_gen.synthetic import SyntheticBlockGenerator as B

    assert A is B


def _readme_example(out: Path):
    from calmops_gen.synthetic import SyntheticBlockGenerator

    gen = SyntheticBlockGenerator()
    path = gen.generate_blocks_simple(
        output_path=str(out / "my_synthetic_data"),
        filename="dataset.csv",
        n_blocks=3,
        total_samples=3000,
        methods="sea",
        method_params=[{"function": 0}, {"function": 1}, {"function": 2}],
        date_start="2023-01-01",
        date_step={"days": 7},
    )
    return gen, Path(path)


def test_seed_readme_example(tmp_path: Path) -> None:
    gen, path = _readme_example(tmp_path)
    assert path == tmp_path / "my_synthetic_data" / "dataset.csv"
    df = read_csv_exact(path)
    assert len(df) == 3000
    assert df["block"].value_counts().sort_index().to_dict() == {1: 1000, 2: 1000, 3: 1000}
    assert df["block"].is_monotonic_increasing
    assert {"x0", "x1", "x2", "target", "block", "timestamp"} <= set(df.columns)
    target = df["target"].astype(str).str.lower().map({"true": True, "false": False})
    assert target.notna().all()
    # the seed's GeneratorConfig default: 10% label noise (4 binomial standard deviations)
    assert gen.last_manifest is not None
    assert gen.last_manifest.config["generator"]["params"]["noise"] == 0.1
    for block, threshold in ((1, 8.0), (2, 9.0), (3, 7.0)):
        part = df[df["block"] == block]
        rule = (part["x0"] + part["x1"]) > threshold
        noisy = float((target[part.index].to_numpy() != rule.to_numpy()).mean())
        assert abs(noisy - 0.1) < 4 * np.sqrt(0.1 * 0.9 / len(part)), (block, noisy)
    stamps = pd.to_datetime(df.groupby("block")["timestamp"].agg(["min", "max"]).stack())
    per_block = pd.to_datetime(df["timestamp"]).groupby(df["block"]).nunique()
    assert per_block.tolist() == [1, 1, 1]  # one timestamp per block
    firsts = pd.to_datetime(df.groupby("block")["timestamp"].first())
    assert firsts.tolist() == [
        pd.Timestamp("2023-01-01"),
        pd.Timestamp("2023-01-08"),
        pd.Timestamp("2023-01-15"),
    ]
    assert len(stamps) == 6
    # the versioned dataset beside the CSV verifies and holds the same rows
    m = gen.last_manifest
    assert m is not None
    assert m.directory.parent.parent == (tmp_path / "my_synthetic_data").resolve()
    assert verify_dataset(m.directory) == []
    frame = calmops_gen.read_frame(m)
    assert len(frame) == 3000
    np.testing.assert_array_equal(frame["x0"].to_numpy(), df["x0"].to_numpy())
    assert [b.params["variant"] for b in m.blocks] == [0, 1, 2]


def test_seed_example_is_reproducible(tmp_path: Path) -> None:
    _, a = _readme_example(tmp_path / "a")
    _, b = _readme_example(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def _facade(tmp_path: Path, **kwargs):
    from calmops_gen.synthetic import SyntheticBlockGenerator

    args = {
        "output_path": str(tmp_path / "o"),
        "filename": "d.csv",
        "n_blocks": 2,
        "total_samples": 200,
        "methods": "sea",
    }
    return SyntheticBlockGenerator().generate_blocks_simple(**{**args, **kwargs})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_blocks": 0},
        {"total_samples": 0},
        {"methods": "no_such_generator"},
        {"method_params": [{"function": 0}, {"function": 1}, {"function": 2}]},
        {"method_params": [{"functon": 0}]},
        {"method_params": [{"function": 7}]},
        {"n_samples_block": [150, 100]},
        {"drift_config": {"kind": "shift"}},
        {"n_blocks": "2"},
        {"total_samples": None},
        {"method_params": 3},
        {"output_path": 7},
        {"filename": "data"},
        {"target_col": 1},
    ],
    ids=[
        "no-blocks",
        "no-samples",
        "unknown-method",
        "too-many-params",
        "misspelt-param",
        "bad-variant",
        "sizes-sum",
        "drift-config",
        "n-blocks-text",
        "total-none",
        "params-number",
        "output-path-number",
        "filename-no-extension",
        "target-col-number",
    ],
)
def test_facade_bad_input(tmp_path: Path, kwargs: dict) -> None:
    """Every bad argument is a ScenarioError (never a TypeError from deep inside) and
    nothing is written."""
    with pytest.raises(ScenarioError):
        _facade(tmp_path, **kwargs)
    assert not (tmp_path / "o").exists()


def test_time_stepped_by_rows_is_checked_by_rows_not_blocks(tmp_path: Path) -> None:
    """300 blocks of 10 rows, a year every 1,000 rows: the times run 2000-2002 (they were
    refused as 300 years past start, block by block)."""
    sc = sea(schedule={"blocks": 300, "rows_per_block": 10, "start": "2000-01-01",
                       "step": {"years": 1}, "spread": "rows", "rows_per_step": 1000})  # fmt: skip
    stamps = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path))["timestamp"]
    years = stamps.dt.year.to_numpy()
    assert years.tolist() == [2000] * 1000 + [2001] * 1000 + [2002] * 1000


@pytest.mark.parametrize(
    ("start", "step", "spread"),
    [
        ("2024-01-31", {"months": 1}, "even"),
        ("2024-03-30T06:00", {"days": 1, "hours": 12}, "even"),
        ("2023-12-25", {"weeks": 1}, "none"),
    ],
)
def test_timestamps_are_exact(tmp_path: Path, start: str, step: dict, spread: str) -> None:
    """Block b starts at start + b * step (calendar arithmetic); rows are spread evenly in
    [start_b, start_b+1) (row j at start_b + j * length / n) or all at start_b."""
    n, blocks = 7, 4
    sc = sea(
        schedule={
            "blocks": blocks,
            "rows_per_block": n,
            "start": start,
            "step": step,
            "spread": spread,
        }
    )
    m = calmops_gen.run(sc, root=tmp_path)
    ts = calmops_gen.read_frame(m)["timestamp"].to_numpy().astype("datetime64[ns]").astype(np.int64)
    origin = pd.Timestamp(start)
    for b in range(blocks):
        begin = origin + pd.DateOffset(**{k: v * b for k, v in step.items()})
        end = origin + pd.DateOffset(**{k: v * (b + 1) for k, v in step.items()})
        if spread == "none":
            expected = [begin.value] * n
        else:
            expected = [
                begin.value + int(np.floor(j * (end.value - begin.value) / n)) for j in range(n)
            ]
        got = ts[b * n : (b + 1) * n]
        # to the nanosecond (the float division may round the last nanosecond either way)
        assert np.abs(got - np.array(expected)).max() <= 1, b
        assert got[0] == begin.value and got.max() < end.value
        assert pd.Timestamp(m.blocks[b].time_start) == begin


def test_ground_truth_columns_carry_their_own_roles(tmp_path: Path) -> None:
    """A program can find the event weights and changed flags without parsing names."""
    sc = sea(
        schedule={
            "transition": {"kind": "incremental", "width": 200},
            "block_params": {1: {"variant": 1}},
        },
        drift={
            "up": {"kind": "shift", "features": ["x0"], "amount": 1.0},
            "flips": {"kind": "label_flip", "rate": 0.1},
        },
    )
    m = calmops_gen.run(sc, root=tmp_path)
    roles = {c.name: c.role for c in m.ground_truth_columns}
    assert roles == {
        "row": "row",
        "block": "block",
        "concept": "concept",
        "concept_weight": "concept_weight",
        "up": "event_weight",
        "flips": "event_weight",
        "flips__changed": "event_changed",
    }
    assert set(calmops_gen.read_ground_truth(m).columns) == set(roles)
