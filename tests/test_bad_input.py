"""Bad input fails early, naming the config path, suggesting names, writing nothing.

The table below goes through the Python API (``ScenarioError``); a subset goes through the
command line (exit status 2, the key on stderr, no traceback, nothing under the root).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import deep_merge, listing, run_cli, sea, write_mixed_table

import calmops_gen
from calmops_gen.errors import ScenarioError

SHIFT = {"kind": "shift", "features": ["x0"], "amount": 1.0}
NEVER = {"column": "x0", "op": ">", "value": 100}  # SEA's x0 is in [0, 10)


def _event(**changes: Any) -> dict[str, Any]:
    return {"drift": {"shift_x0": deep_merge(SHIFT, changes)}}


def _table(tmp: Path, **params: Any) -> dict[str, Any]:
    source = write_mixed_table(tmp / "mixed.parquet", n=120)
    return {
        "name": "tbl",
        "generator": {"kind": "table", "params": {"source": str(source), **params}},
    }


def _garbage_parquet(tmp: Path) -> dict[str, Any]:
    path = tmp / "garbage.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file at all \x00\x01\x02")
    return {"name": "tbl", "generator": {"kind": "table", "params": {"source": str(path)}}}


@dataclass(frozen=True)
class Bad:
    """A bad scenario, the config path the error must name, and text the message must hold."""

    make: Callable[[Path], dict[str, Any]]
    path: str
    contains: tuple[str, ...] = ()
    prefix: bool = False  # the error may name a key below ``path``


def _csv_bytes(raw: bytes) -> Callable[[Path], dict[str, Any]]:
    """A table scenario over a CSV file holding ``raw`` bytes."""

    def make(tmp: Path) -> dict[str, Any]:
        path = tmp / "t.csv"
        path.write_bytes(raw)
        return {"name": "tbl", "generator": {"kind": "table", "params": {"source": str(path)}}}

    return make


def _csv(text: str) -> Callable[[Path], dict[str, Any]]:
    """A table scenario over a CSV file holding ``text``."""
    return _csv_bytes(text.encode())


def s(**changes: Any) -> Callable[[Path], dict[str, Any]]:
    return lambda tmp: sea(**changes)


CASES: dict[str, Bad] = {
    "unknown generator kind": Bad(
        s(generator={"kind": "saa"}), "generator.kind", ("did you mean 'sea'",)
    ),
    # known only once the data exist: checked after the blocks, before anything is kept
    "condition keeps no row": Bad(
        s(drift={"shift_x0": {**SHIFT, "where": {"condition": [NEVER]}}}),
        "drift.shift_x0.where",
        ("kept none of the", "change nothing"),
    ),
    "unknown event kind": Bad(
        s(drift={"shift_x0": {**SHIFT, "kind": "shfit"}}),
        "drift.shift_x0.kind",
        ("did you mean 'shift'",),
    ),
    "misspelt top-level key": Bad(
        lambda tmp: {**sea(), "sede": 3}, "sede", ("did you mean 'seed'",)
    ),
    "misspelt output key": Bad(
        s(output={"fromat": "csv"}), "output.fromat", ("did you mean 'format'",)
    ),
    "misspelt event key": Bad(
        lambda tmp: sea(drift={"shift_x0": {**SHIFT, "amout": 2.0}}),
        "drift.shift_x0.amout",
        ("did you mean 'amount'",),
    ),
    "misspelt where key": Bad(
        s(**_event(where={"blcoks": [1]})),
        "drift.shift_x0.where.blcoks",
        ("did you mean 'blocks'",),
    ),
    "misspelt generator param": Bad(
        s(generator={"params": {"variatn": 1}}),
        "generator.params.variatn",
        ("did you mean 'variant'",),
    ),
    "rows_per_block 0": Bad(s(schedule={"rows_per_block": 0}), "schedule.rows_per_block"),
    "negative blocks": Bad(s(schedule={"blocks": -2}), "schedule.blocks"),
    "sizes with 0": Bad(
        lambda tmp: {**sea(), "schedule": {"sizes": [100, 0, 100]}}, "schedule.sizes.1"
    ),
    "transition wider than block": Bad(
        s(
            schedule={
                "block_params": {1: {"variant": 1}, 2: {"variant": 2}},
                "transition": {"kind": "gradual", "width": 401},
            }
        ),
        "schedule.transition.width",
        (
            "wider than the 400 rows of concept 1 from row 400, where the transition happens, "
            "to the next change",
        ),
    ),
    "transition wider than the concept's rows left": Bad(
        s(
            schedule={
                "block_params": {1: {"variant": 1}},
                "transition": {"kind": "gradual", "width": 801},
            }
        ),
        "schedule.transition.width",
        (
            "wider than the 800 rows of concept 1 from row 400, where the transition happens, "
            "to the end of the data",
        ),
    ),
    "profile wider than selection": Bad(
        s(**_event(where={"blocks": [1]}, profile={"kind": "gradual", "width": 401})),
        "drift.shift_x0.profile.width",
    ),
    "negative profile width": Bad(
        s(**_event(profile={"kind": "gradual", "width": -5})), "drift.shift_x0.profile.width"
    ),
    "recurrent period longer than selection": Bad(
        s(**_event(where={"rows": [0, 50]}, profile={"kind": "recurrent", "period": 60})),
        "drift.shift_x0.profile.period",
    ),
    "rows past the end": Bad(
        s(**_event(where={"rows": [1000, 1201]})), "drift.shift_x0.where.rows"
    ),
    "rows start >= stop": Bad(s(**_event(where={"rows": [500, 500]})), "drift.shift_x0.where.rows"),
    "block that does not exist": Bad(
        s(**_event(where={"blocks": [1, 3]})), "drift.shift_x0.where.blocks", ("3",)
    ),
    "feature that does not exist": Bad(
        s(**_event(features=["x9"])), "drift.shift_x0.features", ("x9",)
    ),
    "feature misspelt": Bad(
        s(**_event(features=["x_0"])), "drift.shift_x0.features", ("did you mean 'x0'",)
    ),
    "numeric event on the target": Bad(
        s(**_event(features=["y"])), "drift.shift_x0.features", ("target",)
    ),
    "condition column that does not exist": Bad(
        s(**_event(where={"condition": [{"column": "x7", "op": ">", "value": 1}]})),
        "drift.shift_x0.where.condition.0.column",
        ("x7",),
    ),
    "condition with unknown op": Bad(
        s(**_event(where={"condition": [{"column": "x0", "op": "=~", "value": 1}]})),
        "drift.shift_x0.where.condition.0.op",
    ),
    "time selection without timestamps": Bad(
        s(**_event(where={"time": ["2024-01-01", "2024-02-01"]})),
        "drift.shift_x0.where.time",
        ("timestamps",),
    ),
    "table path that does not exist": Bad(
        lambda tmp: {
            "name": "tbl",
            "generator": {"kind": "table", "params": {"source": str(tmp / "nope.csv")}},
        },
        "generator.params.source",
        ("nope.csv",),
    ),
    "table file that cannot be parsed": Bad(
        _garbage_parquet, "generator.params.source", ("garbage.parquet",)
    ),
    "table target column missing": Bad(
        lambda tmp: _table(tmp, target="label"), "generator.params.target", ("label",)
    ),
    "table time column missing": Bad(
        lambda tmp: _table(tmp, time_column="wen"),
        "generator.params.time_column",
        ("did you mean 'when'",),
    ),
    "bundled table misspelt": Bad(
        lambda tmp: {
            "name": "tbl",
            "generator": {"kind": "table", "params": {"source": "bundled:loan.csv"}},
        },
        "generator.params.source",
        ("did you mean 'loans.csv'",),
    ),
    "name not a slug": Bad(s(name="../x"), "name", ("slug",)),
    "name with capitals": Bad(s(name="MyData"), "name"),
    "name ending in a newline": Bad(s(name="abc\n"), "name", ("slug",)),
    # settings that would change nothing but the version id
    "repeat without a sequence": Bad(s(schedule={"repeat": False}), "schedule.repeat"),
    "spread without timestamps": Bad(
        s(schedule={"spread": "none"}), "schedule.spread", ("give start and step",)
    ),
    "time column without timestamps": Bad(s(schedule={"time_column": "t"}), "schedule.time_column"),
    "workers without a pool": Bad(
        s(executor={"workers": 3}), "executor.workers", ("give executor.kind processes",)
    ),
    "workers beyond any machine": Bad(
        s(executor={"kind": "processes", "workers": 100000}), "executor.workers", ("at most 1024",)
    ),
    "a block listed twice": Bad(
        s(schedule={"block_params": {1: {"variant": 1}, "1": {"variant": 2}}}),
        "schedule.block_params",
        ("listed twice",),
    ),
    "a block listed twice as other text": Bad(
        s(schedule={"block_params": {"2": {"variant": 1}, "02": {"noise": 0.1}}}),
        "schedule.block_params",
        ("listed twice",),
    ),
    "a calendar step past the year 9999": Bad(
        s(schedule={"start": "2024-01-01", "step": {"months": 20000}}),
        "schedule.step",
        ("run past",),
    ),
    "name of a Windows device": Bad(s(name="nul"), "name", ("device",)),
    "label_flip on a table without target": Bad(
        lambda tmp: {**_table(tmp), "drift": {"fl": {"kind": "label_flip", "rate": 0.1}}},
        "drift.fl",
        ("target",),
    ),
    "label_flip rate above 1": Bad(
        s(drift={"fl": {"kind": "label_flip", "rate": 1.5}}), "drift.fl.rate"
    ),
    "SEA variant 4": Bad(s(generator={"params": {"variant": 4}}), "generator.params.variant"),
    "Agrawal function 10": Bad(
        lambda tmp: {
            "name": "agr",
            "generator": {"kind": "agrawal", "params": {"classification_function": 10}},
            "schedule": {"rows_per_block": 100},
        },
        "generator.params.classification_function",
    ),
    "engine that does not exist": Bad(
        s(generator={"engine": "torch"}), "generator.engine", ("numpy", "river")
    ),
    "engine for the table generator": Bad(
        lambda tmp: deep_merge(_table(tmp), {"generator": {"engine": "numpy"}}),
        "generator.engine",
        ("none (omit the key)", "'~generator.engine'"),
    ),
    "shift with amount and amount_std": Bad(
        s(**_event(amount_std=0.5)), "drift.shift_x0", ("amount_std",), prefix=True
    ),
    "shift with neither amount": Bad(
        lambda tmp: sea(drift={"shift_x0": {"kind": "shift", "features": ["x0"]}}),
        "drift.shift_x0",
        ("amount",),
        prefix=True,
    ),
    "step with unknown unit": Bad(
        s(schedule={"start": "2024-01-01", "step": {"dayz": 1}}), "schedule.step", ("dayz",)
    ),
    "start without step": Bad(s(schedule={"start": "2024-01-01"}), "schedule", ("step",)),
    "address without dask": Bad(
        s(executor={"kind": "processes", "address": "tcp://127.0.0.1:8786"}),
        "executor.address",
        ("give executor.kind dask",),
    ),
    "address and workers": Bad(
        s(executor={"kind": "dask", "address": "tcp://127.0.0.1:8786", "workers": 2}),
        "executor.workers",
        ("leave workers out",),
    ),
    "address not a scheduler's": Bad(
        s(executor={"kind": "dask", "address": "http://example.org"}),
        "executor.address",
        ("tcp://HOST:PORT",),
    ),
    "address with port 0": Bad(
        s(executor={"kind": "dask", "address": "tcp://127.0.0.1:0"}),
        "executor.address",
        ("a port from 1 to 65535",),
    ),
    "address over tls": Bad(
        s(executor={"kind": "dask", "address": "tls://127.0.0.1:8786"}),
        "executor.address",
        ("TLS needs Dask's own security settings",),
    ),
    "executor workers 0": Bad(s(executor={"workers": 0}), "executor.workers"),
    "block_params for a missing block": Bad(
        s(schedule={"block_params": {7: {"variant": 1}}}), "schedule.block_params.7"
    ),
    "block_params with a bad value": Bad(
        s(schedule={"block_params": {1: {"variant": 9}}}), "schedule.block_params.1.variant"
    ),
    "event id with double underscore": Bad(lambda tmp: sea(drift={"a__b": SHIFT}), "drift.a__b"),
    "event id ending in a newline": Bad(lambda tmp: sea(drift={"a\n": SHIFT}), "drift.a\n"),
    "event id reserved: row": Bad(lambda tmp: sea(drift={"row": SHIFT}), "drift.row"),
    "event id reserved: concept": Bad(lambda tmp: sea(drift={"concept": SHIFT}), "drift.concept"),
    "event without kind": Bad(
        lambda tmp: sea(drift={"shift_x0": {"features": ["x0"], "amount": 1.0}}),
        "drift.shift_x0.kind",
        ("shift",),
    ),
    "reference block that does not exist": Bad(
        s(**_event(reference_block=3)), "drift.shift_x0.reference_block"
    ),
    "negative seed": Bad(s(seed=-1), "seed"),
    "unknown output format": Bad(s(output={"format": "xlsx"}), "output.format", ("csv",)),
    "missing generator": Bad(lambda tmp: {"name": "x"}, "generator"),
    "fraction 0": Bad(s(**_event(where={"fraction": 0})), "drift.shift_x0.where.fraction"),
    "selection that selects nothing": Bad(
        s(**_event(where={"blocks": [0], "rows": [500, 600]})), "drift.shift_x0.where"
    ),
    "table sizes that do not sum to its rows": Bad(
        lambda tmp: {**_table(tmp), "schedule": {"sizes": [60, 50]}}, "schedule.sizes", ("120",)
    ),
    "condition value of the wrong type (string column)": Bad(
        lambda tmp: {
            **_table(tmp),
            "drift": {
                "s": {
                    "kind": "shift",
                    "features": ["a"],
                    "amount": 1.0,
                    "where": {"condition": [{"column": "region", "op": ">", "value": 5}]},
                }
            },
        },
        "drift.s.where.condition.0",
        prefix=True,
    ),
    "condition value of the wrong type (float column)": Bad(
        s(**_event(where={"condition": [{"column": "x1", "op": "<", "value": "abc"}]})),
        "drift.shift_x0.where.condition.0",
        prefix=True,
    ),
    "time window mixing aware and naive times": Bad(
        s(
            schedule={"start": "2024-01-01", "step": {"days": 1}},
            **_event(where={"time": ["2024-01-01T12:00+01:00", "2024-01-02"]}),
        ),
        "drift.shift_x0.where.time",
    ),
    # an event needing a role the dataset lacks says how this generator would get it
    "time window without timestamps": Bad(
        s(**_event(where={"time": ["2024-01-01", "2024-01-02"]})),
        "drift.shift_x0.where.time",
        ("no timestamps", "set schedule.start and schedule.step"),
    ),
    "block that does not exist (hint)": Bad(
        s(**_event(where={"blocks": [7]})),
        "drift.shift_x0.where.blocks",
        ("[7] do not exist (blocks 0-2", "set schedule.blocks"),
    ),
    "label event on a table without target": Bad(
        lambda tmp: {**_table(tmp), "drift": {"f": {"kind": "label_flip", "rate": 0.1}}},
        "drift.f",
        ("no target column", "set generator.params.target"),
    ),
    "trend over time on a table without time": Bad(
        lambda tmp: {
            **_table(tmp),
            "drift": {"t": {"kind": "trend", "features": ["a"], "over": "time", "slope": 1.0}},
        },
        "drift.t.over",
        ("needs a time column", "set generator.params.time_column"),
    ),
    "label delay in time without timestamps": Bad(
        s(label_delay={"unit": "time", "kind": "fixed", "value": 3600}),
        "label_delay.unit",
        ("need timestamps", "set schedule.start and schedule.step"),
    ),
    "timestamps past 2262": Bad(
        s(schedule={"start": "2262-01-01", "step": {"days": 365}}),
        "schedule.step",
        ("run past the range pandas timestamps hold",),
    ),
    "start before 1677": Bad(
        s(schedule={"start": "1600-01-01", "step": {"days": 1}}), "schedule.start", ("is outside",)
    ),
    "time window past 2262": Bad(
        s(
            schedule={"start": "2024-01-01", "step": {"days": 1}},
            **_event(where={"time": ["2300-01-01", "2301-01-01"]}),
        ),
        "drift.shift_x0.where.time",
        ("is outside",),
    ),
    "event id concept_weight": Bad(
        lambda tmp: sea(drift={"concept_weight": SHIFT}), "drift.concept_weight"
    ),
    "event id misspelt on the command line": Bad(
        s(drift={"shift_x0": SHIFT, "shfit_x0": {"amount": 2.0}}),
        "drift.shfit_x0.kind",
        ("did you mean 'shift_x0'?",),
    ),
    "table header not in UTF-8": Bad(
        _csv_bytes(b"\xff\xfe\x00\x01,b\n1,2\n"), "generator.params.source", ("utf-8",)
    ),
    "true for a number (generator)": Bad(
        s(generator={"params": {"variant": True}}), "generator.params.variant", ("true/false",)
    ),
    "true for a number (event)": Bad(
        s(**_event(amount=True)), "drift.shift_x0.amount", ("true/false",)
    ),
    "empty label column name": Bad(
        s(label_delay={"unit": "rows", "kind": "fixed", "value": 2, "column": ""}),
        "label_delay.column",
    ),
    "negative led_drift seed": Bad(
        lambda tmp: {"name": "led", "generator": {"kind": "led_drift", "params": {"seed": -1}}},
        "generator.params.seed",
    ),
    "engine misspelt": Bad(
        s(generator={"engine": "nump"}), "generator.engine", ("did you mean 'numpy'?",)
    ),
    "river seed as a generator parameter": Bad(
        s(generator={"params": {"seed": 3}}),
        "generator.params.seed",
        ("derived from the scenario's top-level seed",),
    ),
    "balance with an incremental transition": Bad(
        s(
            generator={"balance": True},
            schedule={
                "blocks": 2,
                "rows_per_block": 200,
                "transition": {"kind": "incremental", "width": 100},
                "block_params": {1: {"variant": 3}},
            },
        ),
        "generator.balance",
        ("cannot balance an incremental transition",),
    ),
    "label delay of 1e30 rows": Bad(
        s(label_delay={"unit": "rows", "kind": "fixed", "value": 1e30}),
        "label_delay",
        ("at most 1e+15 rows",),
    ),
    "label delay of 1e12 seconds": Bad(
        s(label_delay={"unit": "time", "kind": "fixed", "value": 1e12}),
        "label_delay",
        ("at most 36525 days",),
    ),
    "label delay of 300000 days": Bad(
        s(label_delay={"unit": "time", "kind": "uniform", "low": "1D", "high": "300000D"}),
        "label_delay",
        ("'300000D' is longer than 36525 days",),
    ),
    "label delay of a fraction of a row": Bad(
        s(label_delay={"unit": "rows", "kind": "uniform", "low": 2.5, "high": 3.5}),
        "label_delay",
        ("low: a row delay is a whole number of rows, got 2.5",),
    ),
    "no block sizes": Bad(
        s(schedule={"blocks": None, "rows_per_block": None, "sizes": []}),
        "schedule.sizes",
        ("list at least one block size",),
    ),
    "true in a step": Bad(
        s(schedule={"start": "2024-01-01", "step": {"days": 1, "hours": False}}),
        "schedule.step",
        ("must hold numbers, not true/false",),
    ),
    "concepts without a sequence": Bad(
        s(schedule={"concepts": {"A": {"variant": 0}, "B": {"variant": 3}}}),
        "schedule.concepts",
        ("take effect through a sequence",),
    ),
    "table with a duplicate column name": Bad(
        _csv("a,b,a\n1,2,3\n"), "generator.params.source", ("duplicate column names ['a']",)
    ),
    "table with a column without a name": Bad(
        _csv("a,,c\n1,2,3\n"), "generator.params.source", ("position [1] have no name",)
    ),
    "shift amount NaN": Bad(s(**_event(amount=float("nan"))), "drift.shift_x0.amount", ("finite",)),
    "scale factor infinite": Bad(
        lambda tmp: sea(
            drift={"sc": {"kind": "scale", "features": ["x0"], "factor": float("inf")}}
        ),
        "drift.sc.factor",
        ("finite",),
    ),
    "generator parameter NaN": Bad(
        s(generator={"params": {"noise": float("nan")}}), "generator.params.noise", ("finite",)
    ),
    "feature listed twice": Bad(
        s(**_event(features=["x0", "x1", "x0"])), "drift.shift_x0.features", ("'x0'",)
    ),
    "correlation of one feature": Bad(
        lambda tmp: sea(
            drift={"c": {"kind": "correlation", "features": ["x0"], "target": [[1.0]]}}
        ),
        "drift.c.features",
        ("at least 2",),
    ),
    "missing direction under mcar": Bad(
        lambda tmp: sea(
            drift={"m": {"kind": "missing", "features": ["x0"], "rate": 0.1, "direction": "low"}}
        ),
        "drift.m.direction",
        ("mar or mnar",),
    ),
    "typos alphabet without replace": Bad(
        lambda tmp: {
            **_table(tmp),
            "drift": {
                "t": {
                    "kind": "typos",
                    "column": "region",
                    "rate": 0.5,
                    "operations": ["swap"],
                    "alphabet": "xyz",
                }
            },
        },
        "drift.t.alphabet",
        ("replace",),
    ),
    "nominal feature shifted": Bad(
        lambda tmp: {
            "name": "agr",
            "generator": {"kind": "agrawal"},
            "schedule": {"rows_per_block": 100},
            "drift": {"s": {"kind": "shift", "features": ["car"], "amount": 1}},
        },
        "drift.s.features",
        ("car",),
    ),
}


def test_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_scenario_raises_scenario_error(tmp_path: Path, case: str) -> None:
    bad = CASES[case]
    root = tmp_path / "out"
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(bad.make(tmp_path), root=root)
    error = err.value
    paths = [e.path for e in getattr(error, "errors", [error])]
    named = bad.path in paths or str(error).startswith(f"{bad.path}:")
    if bad.prefix:
        named = named or any(p.startswith(f"{bad.path}.") for p in paths)
    assert named, f"expected the error to name {bad.path!r}, got paths {paths}: {error}"
    for text in bad.contains:
        assert text in str(error), f"{text!r} not in {error}"
    assert listing(root) == []


def test_an_output_root_that_cannot_be_created(tmp_path: Path) -> None:
    taken = tmp_path / "taken.txt"
    taken.write_text("a file, not a directory", encoding="utf-8")
    with pytest.raises(ScenarioError, match="Not a directory") as err:
        calmops_gen.run(sea(schedule={"rows_per_block": 10}), root=taken / "deeper")
    assert err.value.path == "output.root"
    assert taken.read_text(encoding="utf-8") == "a file, not a directory"


def test_an_output_root_no_file_system_can_hold_is_named(tmp_path: Path) -> None:
    """A lone surrogate in output.root gave the codec's own words."""
    scenario = sea(schedule={"rows_per_block": 10}, output={"root": str(tmp_path / "a\ud800")})
    with pytest.raises(ScenarioError, match="holds characters no file system can hold") as err:
        calmops_gen.load_scenario(scenario)
    assert err.value.path == "output.root"


def test_a_block_too_large_for_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Running out of memory in a block is an error naming the schedule (memory is bounded
    by the block), and nothing is left behind."""

    def exhausted(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(calmops_gen.runner, "produce_block", exhausted)
    with pytest.raises(ScenarioError, match=r"block 0 \(10 rows\) does not fit in memory") as err:
        calmops_gen.run(sea(schedule={"rows_per_block": 10}), root=tmp_path / "out")
    assert err.value.path == "schedule"
    assert listing(tmp_path / "out") == []


def test_a_plan_too_large_for_memory(tmp_path: Path) -> None:
    """A block of 10**10 rows (the most a schedule takes) cannot even be planned (planning
    makes the reference block of an event): one error naming the schedule, not numpy's
    traceback, nothing written."""
    scenario = sea(
        schedule={"blocks": 2, "rows_per_block": 10**10},
        drift={"s": {"kind": "shift", "features": ["x0"], "amount": 1.0}},
    )
    with pytest.raises(ScenarioError, match=r"^schedule: planning does not fit in memory"):
        calmops_gen.run(scenario, root=tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_errors_name_the_path_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        calmops_gen.load_scenario(sea(schedule={"rows_per_block": 0}))
    assert str(err.value).startswith("schedule.rows_per_block: ")
    assert err.value.path == "schedule.rows_per_block"


def test_bad_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ngenerator: {kind: sea\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        calmops_gen.load_scenario(path)
    assert "broken.yaml" in str(err.value)
    with pytest.raises(ScenarioError):
        calmops_gen.load_scenario(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------------------------
# The same through the command line
# --------------------------------------------------------------------------------------------

BASE = ["scenario=no_drift", "schedule.rows_per_block=100", "schedule.blocks=3"]
SHIFT_ARGS = ["+drift.s.kind=shift", "+drift.s.amount=1.0"]


@dataclass(frozen=True)
class CliBad:
    """Command-line arguments (after BASE unless ``base`` is false), the exit status wanted
    (None: anything but 0), text stderr must hold, and whether a traceback is wanted."""

    args: tuple[str, ...]
    status: int | None
    expect: tuple[str, ...]
    base: bool = True
    env: tuple[tuple[str, str], ...] = ()
    traceback: bool = False


CLI_CASES: dict[str, CliBad] = {
    "kind": CliBad(("generator.kind=saa",), 2, ("generator.kind", "did you mean 'sea'")),
    # switching generator keeps the scenario's params of the old one: say how to drop them
    "switch-kind": CliBad(
        ("generator.kind=random_rbf",),
        2,
        (
            "generator.params: unknown keys 'variant', 'noise'",
            "'random_rbf' does not take them",
            "'variant' is sea's",
            "'~generator.params'",
        ),
    ),
    # a key of another generator: named as that generator's (here Agrawal's), with the way
    # to drop it; a key no generator has gets no such advice
    "foreign-key": CliBad(
        ("schedule.block_params.3.perturbation=0.1",),
        2,
        ("'sea' does not take it; 'perturbation' is agrawal's. Changing generator.kind",),
    ),
    # a misspelt tag of a transition or profile, or none at all: named, with the choices
    "transition-tag": CliBad(
        ("schedule.transition.kind=gradul",),
        2,
        ("schedule.transition.kind: unknown kind 'gradul'; did you mean 'gradual'? Known:",),
        base=False,
    ),
    "profile-tag": CliBad(
        ("~drift.shift_x0.profile.kind",),
        2,
        ("drift.shift_x0.profile.kind: required key is missing",),
        base=False,
    ),
    "interpolation": CliBad(("name=${foo}",), 2, ("error: name: Interpolation key 'foo'",)),
    "rows0": CliBad(("schedule.rows_per_block=0",), 2, ("schedule.rows_per_block",)),
    # the default scenario's gradual transition keeps its width when only kind is switched
    "transition-kind": CliBad(
        ("schedule.transition.kind=abrupt",),
        2,
        ("schedule.transition.width", "'~schedule.transition'"),
        base=False,
    ),
    "output": CliBad(("+output.fromat=csv",), 2, ("output.fromat", "did you mean 'format'")),
    "top-level": CliBad(("+nme=x",), 2, ("nme", "did you mean 'name'")),
    "slug": CliBad(("name=../x",), 2, ("name", "slug")),
    "dask-address": CliBad(
        ("executor.kind=dask", "executor.address=tcp://x"), 2, ("executor.address", "tcp://")
    ),
    "feature": CliBad((*SHIFT_ARGS, "+drift.s.features=[x9]"), 2, ("drift.s.features", "x9")),
    "event-kind": CliBad(
        ("+drift.s.kind=shfit", "+drift.s.features=[x0]", "+drift.s.amount=1"),
        2,
        ("drift.s.kind", "did you mean 'shift'"),
    ),
    "condition-type": CliBad(
        (
            *SHIFT_ARGS,
            "+drift.s.features=[x1]",
            "+drift.s.where.condition=[{column:x0,op:'>',value:abc}]",
        ),
        2,
        ("drift.s.where.condition",),
    ),
    "missing-table": CliBad(
        ("scenario=table_drift", "generator.params.source={cwd}/missing.csv"),
        2,
        ("generator.params.source", "missing.csv"),
        base=False,
    ),
    # a key that is not in the config is Hydra's own override error: never exit 0
    "hydra-override": CliBad(("schedule.rows_per_blok=5",), None, ("rows_per_blok",)),
    # an overflow found in the data: numpy's warnings are not shown before the error
    "overflow": CliBad(
        ("+drift.m.kind=multiply", "+drift.m.features=[x0]", "+drift.m.factor=1e308"),
        2,
        ("drift.m.features: 'x0': drifted values overflow the column's float range",),
    ),
    # the traceback appears only when asked for, and the exit status stays 2
    "debug-flag": CliBad(
        ("executor.address=tcp://127.0.0.1:1",),
        2,
        ("executor.address",),
        env=(("CALMOPS_GEN_DEBUG", "1"),),
        traceback=True,
    ),
}


def _run_bad(case: CliBad, cwd: Path) -> tuple[int, str, str, Path]:
    root = cwd / "out"
    args = [a.replace("{cwd}", str(cwd)) for a in case.args]
    rc, out, err = run_cli(
        cwd, *(BASE if case.base else []), *args, f"output.root={root}", env=dict(case.env)
    )
    return rc, out, err, root


# run in the background by conftest.py (see ``cli_jobs``)
CLI_JOBS = {name: functools.partial(_run_bad, case) for name, case in CLI_CASES.items()}


def test_enough_cli_cases() -> None:
    assert sum(1 for c in CLI_CASES.values() if c.status == 2) >= 8


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_cli_bad_input(cli_jobs, name: str) -> None:
    case = CLI_CASES[name]
    rc, stdout, stderr, root = cli_jobs[name]
    if case.status is None:
        assert rc != 0, (stdout, stderr)
    else:
        assert rc == case.status, (stdout, stderr)
    for text in case.expect:
        assert text in stderr, f"{text!r} not in stderr: {stderr}"
    assert ("Traceback" in stderr) == case.traceback
    if case.status == 2 and not case.traceback:  # one mistake, one line
        assert stderr.count("\n") == 1, stderr
    assert listing(root) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # the value once, not again as "(got ...)"
        (_event(where={"rows": [5, 2]}), "0 <= start < stop, got [5, 2]"),
        ({"schedule": {"start": "notadate", "step": {"days": 1}}}, "not a date/time: 'notadate'"),
        # a check across keys names them; the whole section is not dumped
        ({"schedule": {"spread": "rows", "start": "2024-01-01", "step": {"days": 1}}},
         "rows_per_step goes with spread: rows (and spread: rows needs it)"),
        # a value the message does not show is added
        ({"seed": 1.5}, "fractional part (got 1.5)"),
    ],
)  # fmt: skip
def test_error_messages_show_the_value_once(changes: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        calmops_gen.load_scenario(sea(**changes))
    text = str(err.value)
    assert text.endswith(message), text


_P = "generator.params"


@pytest.mark.parametrize(
    ("kind", "params", "key", "says"),
    [
        ("hyperplane", {"n_features": 10**12}, ".n_features", "10000"),
        ("random_rbf", {"n_centroids": 2**31}, ".n_centroids", "10000"),
        ("random_tree", {"n_classes": 2**31}, ".n_classes", "10000"),
        ("anomaly_sine", {"n_samples": 2**63}, ".n_samples", "10000000"),
        ("logical", {"n_tiles": 10**9}, ".n_tiles", "10000000"),
        ("anomaly_sine", {"noise": 1e308}, "", "infinite values in column 'sine'"),
        ("friedman", {"coefficients": [1e308] * 4}, "", "infinite values in column 'y'"),
    ],
)
def test_sizes_and_magnitudes_beyond_reason_are_errors(
    tmp_path: Path, kind: str, params: dict, key: str, says: str
) -> None:
    """A size typed as 1e12 used to allocate until the machine gave up (or crash with an
    OverflowError); a magnitude near the float limit wrote infinite values silently."""
    scenario = {"name": "big", "generator": {"kind": kind, "params": params},
                "schedule": {"blocks": 2, "rows_per_block": 200}}  # fmt: skip
    overflow = pytest.warns(RuntimeWarning) if not key else contextlib.nullcontext()
    with overflow, pytest.raises(ScenarioError, match=says) as err:
        calmops_gen.run(scenario, root=tmp_path)
    assert err.value.path == _P + key
    assert listing(tmp_path) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"variant": 4}, "generator.params.variant: must be 0 to 3 (got 4)"),
        ({"noise": -0.5}, "generator.params.noise: must be 0 to 1 (got -0.5)"),
    ],
)
def test_range_errors_state_the_whole_range(tmp_path: Path, params: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(sea(generator={"kind": "sea", "params": params}), root=tmp_path)
    assert str(err.value) == message


def test_true_in_a_list_of_numbers_is_refused_and_minus_zero_is_zero(tmp_path: Path) -> None:
    from calmops_gen.scenario import content_id, load_scenario

    friedman = {"kind": "friedman", "params": {"coefficients": [True, 1, 2, 3]}}
    with pytest.raises(ScenarioError, match="must hold numbers, not true/false") as err:
        load_scenario({"name": "x", "generator": friedman})
    assert err.value.path == "generator.params.coefficients"
    zeros = [sea(generator={"kind": "sea", "params": {"noise": z}}) for z in (-0.0, 0.0)]
    ids = [content_id(load_scenario(z).canonical(), "1") for z in zeros]
    assert ids[0] == ids[1]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"output": {"format": "parqet"}},
            "output.format: must be 'parquet' or 'csv' (got 'parqet'); did you mean 'parquet'?",
        ),
        (
            {"executor": {"kind": "proceses"}},
            "executor.kind: must be 'sequential', 'processes' or 'dask' (got 'proceses'); did "
            "you mean 'processes'?",
        ),
        (
            {"output": {"format": "xlsx"}},
            "output.format: must be 'parquet' or 'csv' (got 'xlsx')",
        ),
        (
            {"generator": "sea"},
            "generator: must be a mapping of keys, got 'sea'; to choose its kind: "
            "generator.kind=sea",
        ),
        ({"schedule": 3}, "schedule: must be a mapping of keys, got 3"),
        (
            {"schedule": {"blocks": 4, "rows_per_block": 10, "block_params": {"two": {}}}},
            "schedule.block_params.two: the key must be a valid integer, unable to parse "
            "string as an integer (got 'two')",
        ),
    ],
)
def test_a_misspelt_choice_gets_a_suggestion(changes: dict, message: str) -> None:
    """Values from a fixed list are names too: a misspelling gets the closest one."""
    with pytest.raises(ScenarioError) as err:
        calmops_gen.load_scenario(sea(**changes))
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("kind", "params", "block0", "features"),
    [
        ("sine", {"has_noise": True}, {"has_noise": False}, ["x0", "x1"]),
        ("sine", {}, {"has_noise": True}, ["x0", "x1", "x2", "x3"]),
        ("random_tree", {}, {"n_cat_features": 0}, [f"x_num_{i}" for i in range(5)]),
    ],
)
def test_block_0_params_make_the_first_concept_and_its_columns(
    tmp_path: Path, kind: str, params: dict, block0: dict, features: list[str]
) -> None:
    """``block_params.0`` is on top of ``generator.params`` from the first row: the first
    concept, which sets the columns (as a sequence's first concept does). It crashed, or
    wrote fewer columns than block 0's rows had."""
    scenario = {
        "name": "t",
        "generator": {"kind": kind, "params": params},
        "schedule": {"rows_per_block": 10, "block_params": {0: block0}},
    }
    m = calmops_gen.run(scenario, root=tmp_path)
    assert [c.name for c in m.columns if c.role == "feature"] == features
    assert calmops_gen.verify_dataset(m.directory) == []


def test_block_0_params_that_add_classes_are_counted(tmp_path: Path) -> None:
    """RandomRBF with ``block_params.0: {n_classes: 4}``: the manifest's class counts hold
    all four classes (two were recorded, and the dataset failed its own verification)."""
    scenario = {
        "name": "t",
        "generator": {"kind": "random_rbf"},
        "schedule": {"rows_per_block": 200, "block_params": {0: {"n_classes": 4}}},
    }
    m = calmops_gen.run(scenario, root=tmp_path)
    assert set(m.blocks[0].class_counts or {}) == {"0", "1", "2", "3"}
    assert sum((m.blocks[0].class_counts or {}).values()) == 200
    assert calmops_gen.verify_dataset(m.directory) == []


@pytest.mark.parametrize(
    ("schedule", "path", "says"),
    [
        ({"sizes": [2**64]}, "schedule.sizes.0", "10000000000"),
        ({"rows_per_block": 10**30}, "schedule.rows_per_block", "at most 10000000000"),
        ({"blocks": 10**30, "rows_per_block": 1}, "schedule.blocks", "at most 1000000"),
        (
            {
                "sizes": [10**9],
                "concepts": {"A": {}, "B": {"variant": 1}},
                "sequence": [{"concept": "A", "rows": 1}, {"concept": "B", "rows": 1}],
                "repeat": True,
            },
            "schedule.sequence",
            "repeats into about 1,000,000,000 segments",
        ),
    ],
    ids=["size", "rows_per_block", "blocks", "sequence"],
)
def test_sizes_past_any_machine_are_schedule_errors(
    tmp_path: Path, schedule: dict, path: str, says: str
) -> None:
    """Row and block counts no machine could make (a typo: 1e30) are refused by the
    schedule, not an overflow in numpy or a planning loop that never ends."""
    scenario = {"name": "t", "generator": {"kind": "sea"}, "schedule": schedule}
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(scenario, root=tmp_path / "out")
    assert err.value.path == path
    assert says in err.value.message
    assert listing(tmp_path / "out") == []


def test_balancing_a_class_the_concept_never_makes_stops_early(tmp_path: Path) -> None:
    """A one-leaf tree makes one class only: balancing it is refused once the class has not
    appeared in 100,000 rows (it used to draw 64 rounds of up to 2M rows first)."""
    scenario = {
        "name": "t",
        "generator": {"kind": "random_tree", "params": {"max_tree_depth": 0}, "balance": True},
        "schedule": {"rows_per_block": 20},
    }
    with pytest.raises(ScenarioError) as err:
        calmops_gen.run(scenario, root=tmp_path / "out")
    assert err.value.path == "generator.balance"
    assert "never appeared in" in err.value.message
    assert "so it cannot be balanced; use balance: false" in err.value.message
    drawn = int(err.value.message.split("never appeared in ")[1].split(" rows")[0].replace(",", ""))
    assert 100_000 <= drawn < 2_000_000


def test_a_key_or_engine_no_generator_has_gets_no_advice_about_switching(tmp_path: Path) -> None:
    """Advice to drop another generator's keys is given only when another generator has
    them (a typo-free key no generator takes, an engine none has: the valid ones only)."""
    for override, says in (
        ({"params": {"foo": 1}}, "generator.params.foo: unknown key. Valid keys: noise, variant"),
        (
            {"engine": "torch"},
            "generator.engine: 'sea' has no engine 'torch'; engines: numpy, river",
        ),
    ):
        scenario = {"name": "t", "generator": {"kind": "sea", **override}}
        with pytest.raises(ScenarioError) as err:
            calmops_gen.run(scenario, root=tmp_path)
        assert str(err.value).startswith(says)
        assert "generator.kind" not in str(err.value)
