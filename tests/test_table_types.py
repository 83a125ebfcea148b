"""A ``table`` source's column types survive a run exactly, and the values that drive a
run (conditions, ``block_freq``, the source itself) are checked before anything is
written: categoricals that events grow, nested and time-of-day columns, CSV integers
past 2**63, conditions on decimals, dates, times and durations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import calmops_gen
from calmops_gen.errors import ScenarioError
from calmops_gen.generators.base import arrow_to_pandas, nullable_columns


def scenario(source: Path, **extra: Any) -> dict[str, Any]:
    params = extra.pop("params", {})
    return {
        "name": "types",
        "seed": 3,
        "generator": {"kind": "table", "params": {"source": str(source), **params}},
        **extra,
    }


def refused(tmp_path: Path, sc: dict[str, Any], path: str, message: str) -> None:
    """The run fails with a ScenarioError at ``path`` matching ``message``, writing nothing."""
    with pytest.raises(ScenarioError, match=message) as err:
        calmops_gen.run(sc, root=tmp_path / "out")
    assert err.value.path == path
    assert not (tmp_path / "out").exists()


# --- nested and time-of-day columns ----------------------------------------------------------


def nested_table() -> pa.Table:
    big = 2**53 + 1
    return pa.table(
        {
            "s": pa.array([{"a": big, "b": "x"}, {"a": None, "b": None}, None, {"a": -big}]),
            "l": pa.array([[big, None], [], None, [1]]),
            "m": pa.array([[("k", big)], [], None, [("z", None)]], pa.map_(pa.utf8(), pa.int64())),
            "t": pa.array([1, None, 86_399_999_999_999, 0], pa.time64("ns")),
            "t32": pa.array([1, None, 86_399, 0], pa.time32("s")),
            "x": pa.array([1.0, 2.0, 3.0, 4.0]),
        }
    )


def test_nested_and_time_columns_round_trip_exactly(tmp_path: Path) -> None:
    """Integers inside structs and lists with a missing value were rounded through float64
    (2**53 + 1 became 2**53), maps crashed the writer and time64[ns] crashed the reader."""
    source = tmp_path / "t.parquet"
    pq.write_table(nested_table(), source)
    manifest = calmops_gen.run(scenario(source, schedule={"blocks": 2}), root=tmp_path / "out")
    written = pa.concat_tables(pq.read_table(manifest.directory / b.file) for b in manifest.blocks)
    expected = pq.read_table(source)
    assert written.drop_columns(["block"]).equals(expected)
    assert written.column("s").to_pylist()[0] == {"a": 2**53 + 1, "b": "x"}
    assert written.column("t").to_pylist(maps_as_pydicts=None)[2] == dt.time(23, 59, 59, 999999)
    assert written.column("t").cast(pa.int64()).to_pylist() == [1, None, 86_399_999_999_999, 0]
    frame = calmops_gen.read_frame(manifest)
    pd.testing.assert_frame_equal(
        frame.drop(columns="block"), arrow_to_pandas(expected, nullable_columns(expected))
    )
    assert frame["l"].tolist()[0] == [2**53 + 1, None]
    assert frame["m"].tolist()[0] == [("k", 2**53 + 1)]


def test_missing_values_in_nested_and_time_columns(tmp_path: Path) -> None:
    """``missing`` blanks whole cells of nested and time-of-day columns, other cells exact."""
    source = tmp_path / "t.parquet"
    pq.write_table(nested_table(), source)
    features = ["s", "l", "m", "t", "t32"]
    sc = scenario(source, drift={"gone": {"kind": "missing", "features": features, "rate": 1.0,
                                          "where": {"rows": [0, 1]}}})  # fmt: skip
    manifest = calmops_gen.run(sc, root=tmp_path / "out")
    written = pq.read_table(manifest.directory / manifest.blocks[0].file)
    expected = pq.read_table(source)
    for name in features:
        assert written.column(name).to_pylist() == [None, *expected.column(name).to_pylist()[1:]]
    assert written.schema.remove(written.schema.get_field_index("block")) == expected.schema


@pytest.mark.parametrize(
    ("event", "path", "message"),
    [
        ({"kind": "shift", "features": ["l"], "amount": 1.0}, "features", "'l' is not numeric"),
        ({"kind": "typos", "column": "m", "rate": 0.5}, "column", "'m' is not a string column"),
        ({"kind": "new_category", "column": "t", "value": "a", "rate": 0.5}, "column",
         "'t' is not categorical"),
    ],
)  # fmt: skip
def test_events_that_cannot_act_on_nested_or_time_columns_refuse_them(
    tmp_path: Path, event: dict[str, Any], path: str, message: str
) -> None:
    source = tmp_path / "t.parquet"
    pq.write_table(nested_table(), source)
    refused(tmp_path, scenario(source, drift={"e": event}), f"drift.e.{path}", message)
