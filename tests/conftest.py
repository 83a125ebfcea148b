"""Shared helpers for the calmops-gen test suite.

Everything a test writes goes under pytest's ``tmp_path``; nothing is written into the repo.

The two fixture tables below (:data:`GENERATOR_CASES`, :data:`EVENT_CASES`) drive the
contract tests: every registered generator and every registered drift event kind must have
an entry, so whoever adds a kind also adds the minimal scenario that exercises it.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[1]
CLI_TIMEOUT = 180


# ---------------------------------------------------------------------------------------------
# Scenario dict helpers
# ---------------------------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``changes`` merged in (nested mappings merge, others replace)."""
    out = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def sea(**changes: Any) -> dict[str, Any]:
    """A small SEA scenario (3 blocks of 400 rows, no drift) with ``changes`` merged in."""
    base = {
        "name": "sea_small",
        "seed": 123,
        "generator": {"kind": "sea", "engine": "numpy", "params": {"variant": 0, "noise": 0.0}},
        "schedule": {"blocks": 3, "rows_per_block": 400},
    }
    return deep_merge(base, changes)


def without_events(scenario: Mapping[str, Any]) -> dict[str, Any]:
    """The same scenario with no drift events (the baseline a drifted run is compared with)."""
    out = copy.deepcopy(dict(scenario))
    out["drift"] = {}
    return out


# ---------------------------------------------------------------------------------------------
# Source tables
# ---------------------------------------------------------------------------------------------


def write_mixed_table(path: Path, n: int = 900, seed: int = 5) -> Path:
    """A Parquet table with date, float, int, string and bool columns.

    Columns: ``when`` (daily dates), ``a`` (float), ``k`` (int 0-9), ``region`` (string),
    ``flag`` (bool), ``cls`` (3-class string target) and ``ci`` (3-class int target).
    """
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "when": pa.array(
                pd.date_range("2023-01-01", periods=n, freq="D").to_numpy(), pa.timestamp("ns")
            ),
            "a": pa.array(rng.normal(10.0, 2.0, n)),
            "k": pa.array(rng.integers(0, 10, n), pa.int64()),
            "region": pa.array(rng.choice(["north", "south", "east"], n).tolist(), pa.string()),
            "flag": pa.array(rng.random(n) < 0.3),
            "cls": pa.array(rng.choice(["red", "green", "blue"], n).tolist(), pa.string()),
            "ci": pa.array(rng.integers(0, 3, n), pa.int64()),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def table_scenario(source: Path | str, **changes: Any) -> dict[str, Any]:
    """A scenario over the mixed table (3 equal blocks), target ``cls`` unless changed."""
    base = {
        "name": "tbl",
        "seed": 9,
        "generator": {"kind": "table", "params": {"source": str(source), "target": "cls"}},
        "schedule": {"blocks": 3},
    }
    return deep_merge(base, changes)


# ---------------------------------------------------------------------------------------------
# Contract fixture tables: one entry per registered kind
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorCase:
    """A minimal scenario for one generator.

    ``random``: whether the generator draws random numbers (a table does not: its rows are
    the source's, whatever the seed).
    """

    scenario: Callable[[Path], dict[str, Any]]
    random: bool = True


def _sea_case(tmp: Path) -> dict[str, Any]:
    return sea(
        schedule={
            "blocks": 3,
            "rows_per_block": 300,
            "start": "2024-01-01",
            "step": {"days": 1},
            "block_params": {1: {"variant": 2}},
        }
    )


def _agrawal_case(tmp: Path) -> dict[str, Any]:
    return {
        "name": "agr_small",
        "seed": 77,
        "generator": {"kind": "agrawal", "params": {"classification_function": 3}},
        "schedule": {
            "blocks": 3,
            "rows_per_block": 300,
            "block_params": {2: {"perturbation": 0.1}},
        },
    }


def _table_case(tmp: Path) -> dict[str, Any]:
    source = write_mixed_table(tmp / "sources" / "mixed.parquet", n=600)
    return table_scenario(
        source,
        generator={"params": {"target": "cls", "time_column": "when"}},
        schedule={"blocks": 3},
    )


def _simple(kind: str, params: dict[str, Any], block_params: dict[int, Any]) -> Callable:
    def make(tmp: Path) -> dict[str, Any]:
        return {
            "name": f"{kind.replace('_', '-')}-small",
            "seed": 31,
            "generator": {"kind": kind, "params": params},
            "schedule": {"blocks": 3, "rows_per_block": 200, "block_params": block_params},
        }

    return make


GENERATOR_CASES: dict[str, GeneratorCase] = {
    "sea": GeneratorCase(_sea_case),
    "agrawal": GeneratorCase(_agrawal_case),
    "table": GeneratorCase(_table_case, random=False),
    "led": GeneratorCase(_simple("led", {}, {1: {"noise_percentage": 0.1}})),
    "led_drift": GeneratorCase(
        _simple(
            "led_drift",
            {"irrelevant_features": True, "n_drift_features": 2},
            {2: {"n_drift_features": 4}},
        )
    ),
    "logical": GeneratorCase(_simple("logical", {"n_tiles": 2}, {1: {"n_tiles": 3}})),
    "mixed": GeneratorCase(_simple("mixed", {}, {1: {"classification_function": 1}})),
    "sine": GeneratorCase(
        _simple("sine", {"has_noise": True}, {1: {"classification_function": 2}})
    ),
    "stagger": GeneratorCase(_simple("stagger", {}, {1: {"classification_function": 1}})),
    "waveform": GeneratorCase(_simple("waveform", {"has_noise": True}, {})),
    "anomaly_sine": GeneratorCase(
        _simple(
            "anomaly_sine",
            {"n_samples": 500, "n_anomalies": 50, "n_contextual": 40, "contextual": True},
            {1: {"noise": 0.3}},
        )
    ),
    "friedman": GeneratorCase(_simple("friedman", {}, {})),
    "friedman_drift": GeneratorCase(
        _simple(
            "friedman_drift",
            {"drift_type": "gsg", "position": [150, 420], "transition_window": 60},
            {},
        )
    ),
    "hyperplane": GeneratorCase(
        _simple(
            "hyperplane",
            {"n_features": 4, "n_drift_features": 2, "mag_change": 0.01},
            {2: {"mag_change": 0.0}},
        )
    ),
    "mv": GeneratorCase(_simple("mv", {}, {})),
    "planes2d": GeneratorCase(_simple("planes2d", {}, {})),
    "random_rbf": GeneratorCase(
        _simple("random_rbf", {"n_features": 4, "n_centroids": 10}, {1: {"seed_model": 7}})
    ),
    "random_rbf_drift": GeneratorCase(
        _simple(
            "random_rbf_drift",
            {"n_features": 3, "n_centroids": 8, "change_speed": 0.01, "n_drift_centroids": 4},
            {},
        )
    ),
    "random_tree": GeneratorCase(
        _simple(
            "random_tree",
            {"n_num_features": 3, "n_cat_features": 2, "max_tree_depth": 4, "first_leaf_level": 2},
            {1: {"seed_tree": 11}},
        )
    ),
}


def generator_case(kind: str) -> GeneratorCase:
    """The fixture of a registered generator, or a test failure naming what to add."""
    if kind not in GENERATOR_CASES:
        pytest.fail(
            f"generator {kind!r} is registered but has no entry in tests/conftest.py "
            "GENERATOR_CASES: add a minimal scenario for it so the contract tests cover it",
            pytrace=False,
        )
    return GENERATOR_CASES[kind]


@dataclass(frozen=True)
class EventCase:
    """A minimal event (id ``ev``) on a small scenario, and the rows ``[a, b)`` it selects.

    ``scenario(tmp_path)`` makes the base scenario (default: the small SEA one, 3 x 400
    rows); categorical events use the mixed table (3 x 300 rows).
    """

    event: dict[str, Any]
    selected: tuple[int, int]
    scenario: Callable[[Path], dict[str, Any]] = field(default=lambda tmp: sea())


def _mixed(tmp: Path) -> dict[str, Any]:
    return table_scenario(write_mixed_table(tmp / "sources" / "mixed.parquet"))


B12 = {"blocks": [1, 2]}

EVENT_CASES: dict[str, EventCase] = {
    # numeric feature events (SEA)
    "shift": EventCase(
        {"kind": "shift", "features": ["x0"], "amount": 1.5, "where": B12}, (400, 1200)
    ),
    "add": EventCase({"kind": "add", "features": ["x0"], "value": -2.0, "where": B12}, (400, 1200)),
    "scale": EventCase(
        {"kind": "scale", "features": ["x1"], "factor": 2.0, "where": {"rows": [200, 1000]}},
        (200, 1000),
    ),
    "multiply": EventCase(
        {"kind": "multiply", "features": ["x1"], "factor": 1.3, "where": {"rows": [200, 1000]}},
        (200, 1000),
    ),
    "noise": EventCase(
        {"kind": "noise", "features": ["x2"], "amount": 0.5, "where": {"blocks": [2]}},
        (800, 1200),
    ),
    "set": EventCase(
        {"kind": "set", "features": ["x2"], "value": 4.25, "where": {"rows": [10, 50]}}, (10, 50)
    ),
    "clip": EventCase(
        {"kind": "clip", "features": ["x0"], "low": 2.0, "high": 8.0, "where": B12}, (400, 1200)
    ),
    "range_violation": EventCase(
        {"kind": "range_violation", "features": ["x1"], "rate": 0.3, "where": B12}, (400, 1200)
    ),
    "trend": EventCase(
        {"kind": "trend", "features": ["x0", "x2"], "form": "linear", "slope": 0.01, "where": B12},
        (400, 1200),
    ),
    "outliers": EventCase(
        {"kind": "outliers", "features": ["x0", "x1"], "rate": 0.2, "where": B12}, (400, 1200)
    ),
    "missing": EventCase(
        {"kind": "missing", "features": ["x1"], "rate": 0.25, "where": B12}, (400, 1200)
    ),
    # joint structure (SEA)
    "correlation": EventCase(
        {
            "kind": "correlation",
            "features": ["x0", "x1"],
            "target": [[1.0, 0.8], [0.8, 1.0]],
            "where": B12,
        },
        (400, 1200),
    ),
    "covariate_shift": EventCase(
        {"kind": "covariate_shift", "feature": "x0", "strength": 2.0, "where": B12}, (400, 1200)
    ),
    # labels
    "label_flip": EventCase(
        {"kind": "label_flip", "rate": 0.3, "where": {"rows": [100, 900]}}, (100, 900)
    ),
    "concept": EventCase(
        {"kind": "concept", "rule": "threshold", "feature": "x2", "threshold": 5.0, "where": B12},
        (400, 1200),
    ),
    "prior_shift": EventCase(
        {"kind": "prior_shift", "target": {"red": 0.6, "green": 0.3, "blue": 0.1}, "where": B12},
        (300, 900),
        _mixed,
    ),
    # categorical (mixed table, column region: north / south / east)
    "category_flip": EventCase(
        {"kind": "category_flip", "column": "region", "rate": 0.4, "where": B12}, (300, 900), _mixed
    ),
    "category_frequency": EventCase(
        {
            "kind": "category_frequency",
            "column": "region",
            "target": {"north": 0.7, "south": 0.2, "east": 0.1},
            "where": B12,
        },
        (300, 900),
        _mixed,
    ),
    "new_category": EventCase(
        {"kind": "new_category", "column": "region", "rate": 0.3, "value": "west", "where": B12},
        (300, 900),
        _mixed,
    ),
    "merge_categories": EventCase(
        {
            "kind": "merge_categories",
            "column": "region",
            "categories": ["north", "south"],
            "into": "north_south",
            "where": B12,
        },
        (300, 900),
        _mixed,
    ),
    "typos": EventCase(
        {"kind": "typos", "column": "region", "rate": 0.5, "where": B12}, (300, 900), _mixed
    ),
}


def event_case(kind: str) -> EventCase:
    """The fixture of a registered drift event kind, or a test failure naming what to add."""
    if kind not in EVENT_CASES:
        pytest.fail(
            f"drift event kind {kind!r} is registered but has no entry in tests/conftest.py "
            "EVENT_CASES: add a minimal event for it so the contract tests cover it",
            pytrace=False,
        )
    return EVENT_CASES[kind]


# ---------------------------------------------------------------------------------------------
# Running and reading
# ---------------------------------------------------------------------------------------------


def run_cli(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    module: str = "calmops_gen",
    timeout: float = CLI_TIMEOUT,
) -> tuple[int, str, str]:
    """Run ``python -m calmops_gen ARGS`` in ``cwd``; return (returncode, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR",)}
    full_env.pop("CALMOPS_GEN_DEBUG", None)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def start_writing_run(
    cwd: Path,
    root: Path,
    *args: str,
    stdout: int = subprocess.DEVNULL,
    stderr: int = subprocess.DEVNULL,
    group: bool = False,
    ready: str = "*/.*.tmp-*/data/*",
) -> subprocess.Popen[bytes]:
    """Start ``python -m calmops_gen output.root=ROOT ARGS`` in ``cwd`` and return once
    ``ROOT`` holds a path matching ``ready`` (default: the first block file in the staging
    folder; a test failure if none comes). ``group``: in a process group of its own, as a
    terminal's foreground job (``os.killpg`` then signals it and every process it started,
    as Ctrl-C does)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "calmops_gen", f"output.root={root}", *args],
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        env={k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"},
        start_new_session=group,
    )
    deadline = time.monotonic() + 120
    while not any(root.glob(ready)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(root.glob(ready)), f"the run never got to {ready}"
    return proc


def dataset_bytes(directory: Path) -> dict[str, bytes]:
    """Every data and ground-truth file of a dataset directory: relative path -> bytes."""
    out = {}
    for sub in ("data", "ground_truth"):
        folder = directory / sub
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                out[f"{sub}/{path.name}"] = path.read_bytes()
    return out


def file_hashes(manifest: Any) -> list[tuple[str, str]]:
    """``(path, sha256)`` of every file a manifest lists, in order."""
    return [(f.path, f.sha256) for f in manifest.files]


def listing(root: Path) -> list[str]:
    """Everything under ``root`` (relative paths), or ``[]`` when it does not exist."""
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


# ---------------------------------------------------------------------------------------------
# Command-line runs
#
# A subprocess of ``calmops-gen`` costs ~2 s of start-up. A test module that needs some declares
# them in a module-level ``CLI_JOBS = {name: job}`` (``job(cwd)`` prepares files in its own
# empty directory, runs the command and returns whatever the test wants to check); a test reads
# a job's result with ``cli_jobs[name]``. Each job runs once per session, when first asked for,
# in the main thread (never concurrently with in-process tests: Hydra's global state and
# monkeypatched modules must not be shared across threads).
# ---------------------------------------------------------------------------------------------

# Held by tests that patch calmops-gen's internals (failure injection).
IN_PROCESS_LOCK = threading.Lock()

_CLI_RESULTS: dict[tuple[str, str], Any] = {}


def pytest_collection_modifyitems(session: pytest.Session, config: Any, items: list) -> None:
    """Tests that read command-line results run last (stable order otherwise)."""
    items.sort(key=lambda item: "cli_jobs" in getattr(item, "fixturenames", ()))


class _Jobs:
    def __init__(self, module: Any, tmp: pytest.TempPathFactory) -> None:
        self.module = module
        self.tmp = tmp

    def __getitem__(self, name: str) -> Any:
        key = (self.module.__name__, name)
        if key not in _CLI_RESULTS:
            _CLI_RESULTS[key] = self.module.CLI_JOBS[name](self.tmp.mktemp(f"cli-{name}"))
        return _CLI_RESULTS[key]


@pytest.fixture
def cli_jobs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> _Jobs:
    """Results of this module's ``CLI_JOBS`` (see above)."""
    return _Jobs(request.module, tmp_path_factory)


@pytest.fixture
def exclusive_run() -> Any:
    """Hold :data:`IN_PROCESS_LOCK` for the test (use it when patching calmops-gen)."""
    with IN_PROCESS_LOCK:
        yield


@pytest.fixture
def mixed_table(tmp_path: Path) -> Path:
    """The mixed Parquet table (900 rows) in ``tmp_path``."""
    return write_mixed_table(tmp_path / "sources" / "mixed.parquet")


def read_csv_exact(path: Path) -> pd.DataFrame:
    """``pd.read_csv`` with exact floats (pandas 2's default float parser is not round-trip;
    pandas 3's is, and deprecates the option)."""
    exact = {"float_precision": "round_trip"} if pd.__version__.startswith("2.") else {}
    return pd.read_csv(path, **exact)
