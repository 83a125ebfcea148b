"""The generator contract, checked for every registered generator and each of its engines.

* seeded reproducibility: the same scenario and seed give identical frames;
* different seeds give different data (for generators that draw random numbers) and leave a
  table's rows untouched (for the ``table`` generator);
* schema: the data's column names, order, roles and Arrow types equal ``generator.columns()``
  (plus ``block`` and the time column) and the manifest's ``columns``;
* dtypes survive the Parquet and CSV round trips through ``read_frame``.

Generators are discovered from the registry; each needs an entry in ``GENERATOR_CASES``
(tests/conftest.py), or the tests fail saying so.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import deep_merge, generator_case, write_mixed_table

import calmops_gen
from calmops_gen.engine import produce_block
from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS
from calmops_gen.plan import build_plan
from calmops_gen.scenario import load_scenario

CASES = [
    pytest.param(kind, engine, id=f"{kind}-{engine or 'default'}")
    for kind, cls in GENERATORS.items()
    for engine in (cls.engines or (None,))
]


def _scenario(tmp_path: Path, kind: str, engine: str | None, **changes: object) -> dict:
    sc = generator_case(kind).scenario(tmp_path)
    if engine is not None:
        sc = deep_merge(sc, {"generator": {"engine": engine}})
    return deep_merge(sc, changes)


def _frames(scenario: dict) -> list[pd.DataFrame]:
    plan = build_plan(load_scenario(scenario))
    return [produce_block(plan, i).data for i in range(len(plan.blocks))]


def test_every_registered_generator_has_a_fixture(tmp_path: Path) -> None:
    for kind in GENERATORS.names():
        # fails with a clear message when a fixture is missing
        assert generator_case(kind).scenario(tmp_path)["generator"]["kind"] == kind


@pytest.mark.parametrize(("kind", "engine"), CASES)
def test_same_seed_gives_identical_frames(tmp_path: Path, kind: str, engine: str | None) -> None:
    sc = _scenario(tmp_path, kind, engine)
    first, second = _frames(sc), _frames(sc)
    assert len(first) == len(second) >= 2
    for a, b in zip(first, second, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize(("kind", "engine"), CASES)
def test_blocks_do_not_depend_on_production_order(
    tmp_path: Path, kind: str, engine: str | None
) -> None:
    """A block is a pure function of (scenario, block index): any worker, any order."""
    sc = _scenario(tmp_path, kind, engine)
    forward = _frames(sc)
    plan = build_plan(load_scenario(sc))
    backward = {i: produce_block(plan, i).data for i in reversed(range(len(plan.blocks)))}
    for i, frame in enumerate(forward):
        pd.testing.assert_frame_equal(backward[i], frame, check_exact=True)
    # and the blocks differ from one another (a block is not a copy of block 0)
    if generator_case(kind).random:
        assert not forward[0].drop(columns="block").equals(forward[1].drop(columns="block"))


@pytest.mark.parametrize(("kind", "engine"), CASES)
def test_different_seeds(tmp_path: Path, kind: str, engine: str | None) -> None:
    sc = _scenario(tmp_path, kind, engine)
    other = deep_merge(sc, {"seed": sc.get("seed", 42) + 1})
    a, b = pd.concat(_frames(sc)), pd.concat(_frames(other))
    assert a.shape == b.shape
    if not generator_case(kind).random:
        # A table is data, not a random draw: the seed must not change a single value.
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        return
    same_rows = np.ones(len(a), dtype=bool)
    for col in a.columns:
        if col != "block":
            same_rows &= a[col].to_numpy() == b[col].to_numpy()
    # Continuous draws from two different seeds coincide with probability ~0; discrete rows
    # coincide by chance (at most 1/4 of rows: logical's four patterns).
    has_floats = any(pd.api.types.is_float_dtype(a[c]) for c in a.columns)
    limit = 0.01 if has_floats else 0.5
    assert same_rows.mean() < limit, f"{same_rows.mean():.1%} of rows equal under another seed"


@pytest.mark.parametrize(("kind", "engine"), CASES)
def test_schema_matches_generator_columns_and_manifest(
    tmp_path: Path, kind: str, engine: str | None
) -> None:
    sc = _scenario(tmp_path, kind, engine)
    scenario = load_scenario(sc)
    generator = scenario.build_generator()
    declared = [(c.name, str(c.pa_type()), c.role) for c in generator.columns()]
    expected = [*declared, ("block", "int64", "block")]
    if scenario.schedule.start is not None:
        expected.append((scenario.schedule.time_column, "timestamp[ns]", "time"))

    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    assert [(c.name, c.dtype, c.role) for c in manifest.columns] == expected

    # what produce() returns is in declared order, and what is written has the declared types
    produced = produce_block(build_plan(scenario), 0).data
    assert list(produced.columns)[: len(declared)] == [n for n, _, _ in declared]
    for block in manifest.blocks:
        schema = pq.read_schema(manifest.directory / block.file)
        assert [(f.name, str(f.type)) for f in schema] == [(n, t) for n, t, _ in expected]
        truth = pq.read_schema(manifest.directory / str(block.ground_truth_file))
        assert [(f.name, str(f.type)) for f in truth] == [
            (c.name, c.dtype) for c in manifest.ground_truth_columns
        ]
    roles = [c.role for c in manifest.columns]
    assert roles.count("block") == 1


@pytest.mark.parametrize(("kind", "engine"), CASES)
def test_dtypes_survive_parquet_and_csv(tmp_path: Path, kind: str, engine: str | None) -> None:
    sc = _scenario(tmp_path, kind, engine)
    m_pq = calmops_gen.run(deep_merge(sc, {"output": {"format": "parquet"}}), root=tmp_path / "o")
    m_csv = calmops_gen.run(deep_merge(sc, {"output": {"format": "csv"}}), root=tmp_path / "o")
    assert m_pq.version != m_csv.version  # the format changes the bytes, so the version
    assert [f.path.endswith(".csv") for f in m_csv.files] == [True] * len(m_csv.files)
    # the manifests' figures (rows per class, time ranges) agree with the data they describe
    assert calmops_gen.verify_dataset(m_pq.directory) == []
    assert calmops_gen.verify_dataset(m_csv.directory) == []

    schema = pa.schema([pa.field(c.name, pa.type_for_alias(c.dtype)) for c in m_pq.columns])
    expected = schema.empty_table().to_pandas(date_as_object=False).dtypes
    from_pq, from_csv = calmops_gen.read_frame(m_pq), calmops_gen.read_frame(m_csv)
    pd.testing.assert_series_equal(from_pq.dtypes, expected)
    pd.testing.assert_series_equal(from_csv.dtypes, expected)
    # and the values themselves survive both formats exactly
    pd.testing.assert_frame_equal(from_pq, from_csv, check_exact=True)
    plan = build_plan(load_scenario(sc))
    produced = pd.concat(
        [produce_block(plan, i).data for i in range(len(plan.blocks))], ignore_index=True
    )
    pd.testing.assert_frame_equal(
        from_pq, produced.astype(expected.to_dict()), check_exact=True, check_dtype=True
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_table_columns_keep_their_types(tmp_path: Path, fmt: str) -> None:
    """A table's ints stay ints, strings strings, bools bools, dates timestamps (both formats)."""
    source = write_mixed_table(tmp_path / "mixed.parquet", n=300)
    sc = {
        "name": "types",
        "generator": {"kind": "table", "params": {"source": str(source), "time_column": "when"}},
        "output": {"format": fmt},
    }
    frame = calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / "out"))
    original = pq.read_table(source).to_pandas(date_as_object=False)
    assert frame["k"].dtype == np.int64
    assert frame["a"].dtype == np.float64
    assert frame["flag"].dtype == np.bool_
    assert pd.api.types.is_string_dtype(frame["region"])
    assert frame["when"].dtype == "datetime64[ns]"
    for col in ("a", "k", "flag", "region"):
        assert frame[col].tolist() == original[col].tolist(), col
    assert (frame["when"].to_numpy() == original["when"].to_numpy().astype("datetime64[ns]")).all()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_table_dictionary_column_stays_categorical(tmp_path: Path, fmt: str) -> None:
    """Module doc of generators/table.py: dictionary-encoded columns stay categorical."""
    n = 200
    rng = np.random.default_rng(3)
    source = tmp_path / "dict.parquet"
    pq.write_table(
        pa.table(
            {
                "v": pa.array(rng.normal(size=n)),
                "colour": pa.array(rng.choice(["red", "blue"], n).tolist()).dictionary_encode(),
            }
        ),
        source,
    )
    sc = {
        "name": "dict",
        "generator": {"kind": "table", "params": {"source": str(source)}},
        "output": {"format": fmt},
    }
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    frame = calmops_gen.read_frame(manifest)
    assert isinstance(frame["colour"].dtype, pd.CategoricalDtype), (
        f"{fmt}: dictionary column read back as {frame['colour'].dtype}"
    )
    assert frame["colour"].astype(str).tolist() == (
        pq.read_table(source).column("colour").to_pylist()
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_table_with_arrow_only_types_round_trips(tmp_path: Path, fmt: str) -> None:
    """Types a CSV source gives (timestamps in seconds) or only Parquet holds (lists, half
    floats): the dataset verifies against its manifest, or CSV output is refused up front."""
    n = 12
    csv_source = tmp_path / "secs.csv"
    pacsv.write_csv(
        pa.table(
            {
                "x": pa.array(np.arange(n, dtype=float) + 0.5),
                "seen": pa.array(np.arange(n) * 3_600, pa.timestamp("s")),
            }
        ),
        csv_source,
    )
    seen = pacsv.read_csv(csv_source).column("seen")
    assert seen.type == pa.timestamp("s")  # what Arrow infers from the CSV
    sc = {"name": "secs", "generator": {"kind": "table", "params": {"source": str(csv_source)}}}
    m = calmops_gen.run({**sc, "output": {"format": fmt}}, root=tmp_path / "a")
    assert calmops_gen.verify_dataset(m.directory) == []
    assert {c.name: c.dtype for c in m.columns}["seen"] == "timestamp[ms]"
    back = calmops_gen.read_frame(m)["seen"]
    assert (back.to_numpy() == seen.to_numpy().astype("datetime64[ms]")).all()

    pq_source = tmp_path / "nested.parquet"
    nested = {"h": pa.array(np.arange(n, dtype=np.float16)), "l": pa.array([[1, 2]] * n)}
    pq.write_table(pa.table({"x": pa.array(np.arange(n, dtype=float)), **nested}), pq_source)
    sc = {"name": "nested", "generator": {"kind": "table", "params": {"source": str(pq_source)}}}
    if fmt == "parquet":
        m = calmops_gen.run(sc, root=tmp_path / "b")
        assert calmops_gen.verify_dataset(m.directory) == []
        assert calmops_gen.read_frame(m)["l"].map(list).tolist() == [[1, 2]] * n
    else:
        with pytest.raises(ScenarioError, match="'h' is halffloat, which CSV cannot hold") as err:
            calmops_gen.run({**sc, "output": {"format": "csv"}}, root=tmp_path / "b")
        assert err.value.path == "output.format"
        assert not (tmp_path / "b").exists()


def test_csv_source_table_matches_parquet_source(tmp_path: Path) -> None:
    """The same table given as CSV or Parquet gives the same data (types inferred from CSV)."""
    pq_source = write_mixed_table(tmp_path / "m.parquet", n=240)
    csv_source = tmp_path / "m.csv"
    table = pq.read_table(pq_source).drop_columns(["when"])
    pacsv.write_csv(table, csv_source)
    frames = []
    for source in (pq_source, csv_source):
        sc = {
            "name": "src",
            "generator": {"kind": "table", "params": {"source": str(source), "target": "ci"}},
            "schedule": {"blocks": 2},
        }
        frames.append(
            calmops_gen.read_frame(calmops_gen.run(sc, root=tmp_path / source.suffix[1:]))
        )
    pd.testing.assert_frame_equal(frames[0].drop(columns=["when"]), frames[1], check_exact=True)


def test_wide_generators_raise_no_pandas_fragmentation_warning() -> None:
    """150 feature columns plus block, time and label-delay columns: the engine appends its
    columns without pandas' PerformanceWarning (consolidating would copy every column)."""
    sc = {
        "name": "wide",
        "generator": {"kind": "hyperplane", "params": {"n_features": 150}},
        "schedule": {"blocks": 2, "rows_per_block": 20, "start": "2024-01-01", "step": {"days": 1}},
        "label_delay": {"unit": "rows", "kind": "fixed", "value": 2},
    }
    plan = build_plan(load_scenario(sc))
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        frame = produce_block(plan, 1).data
    assert frame.shape == (20, 154)
    assert (frame["block"] == 1).all()
    assert (frame["label_available_at"] - np.arange(20, 40) == 2).all()
