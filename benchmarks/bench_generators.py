"""Speed and memory benchmarks of calmops-gen, each against a baseline measured in the same run.

Run from the repository root::

    python benchmarks/bench_generators.py            # full run (a few minutes)
    python benchmarks/bench_generators.py --quick    # smoke run (fewer rows, one repetition)

Three groups of figures (see ``benchmarks/README.md`` for what each one means):

1. generator throughput of ``sea`` and ``agrawal`` with the numpy and river engines,
   against river's own generators consumed into a list;
2. end-to-end runs (the default scenario, and a 1,000,000-row SEA scenario against a plain
   numpy + pyarrow write of the same columns);
3. peak memory of the 1M-row SEA scenario against the same scenario at 4M rows, each run
   in a fresh subprocess.

Results are printed as a table and written to ``benchmarks/results/latest.json``.
Outputs of the end-to-end runs go to temporary directories, removed afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import contextlib
import io
import json
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import calmops_gen
from calmops_gen.generators.agrawal import Agrawal, AgrawalParams
from calmops_gen.generators.base import ConceptGenerator, GeneratorParams
from calmops_gen.generators.sea import Sea, SeaParams

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
DEFAULT_SCENARIO = REPO / "conf" / "scenario" / "default.yaml"

GENERATOR_ROWS = 200_000
QUICK_GENERATOR_ROWS = 50_000
ROWS_PER_BLOCK = 250_000
SMALL_BLOCKS = 4  # 1,000,000 rows
LARGE_BLOCKS = 16  # 4,000,000 rows
WEEK_NS = 7 * 24 * 3600 * 10**9
START = np.datetime64("2024-01-01T00:00:00", "ns")

# Targets from the performance issue.
TARGET_SEA_SPEEDUP = 50.0
TARGET_AGRAWAL_SPEEDUP = 200.0
TARGET_E2E_SLOWDOWN = 3.0
TARGET_MEMORY_GROWTH = 1.5  # 4x the rows must not grow the peak by more than this factor

T = TypeVar("T")


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """Best-of-N wall time of one case, in seconds (``runs``: every repetition)."""

    best: float
    runs: list[float]


def best_of(
    fn: Callable[[T], object],
    repeats: int,
    setup: Callable[[], T],
    teardown: Callable[[T], None] | None = None,
) -> Timing:
    """Time ``fn(setup())`` once untimed (warm-up), then ``repeats`` times; keep the best.

    ``setup`` and ``teardown`` run outside the timed region, so a case can get a fresh
    output directory for every repetition and have it removed afterwards.
    """
    runs: list[float] = []
    for i in range(repeats + 1):
        arg = setup()
        try:
            start = time.perf_counter()
            fn(arg)
            elapsed = time.perf_counter() - start
        finally:
            if teardown is not None:
                teardown(arg)
        if i > 0:  # the first call is the warm-up
            runs.append(elapsed)
    return Timing(min(runs), runs)


def _none() -> None:
    """Setup of cases that need no per-repetition state."""
    return None


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed on exit."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------- 1. generators


@dataclass(frozen=True)
class GeneratorCase:
    """One generator under one engine (or river itself)."""

    generator: str
    engine: str  # "numpy", "river" (our river engine) or "river-raw" (river directly)
    rows: int
    timing: Timing

    @property
    def rows_per_s(self) -> float:
        """Throughput of the best repetition."""
        return self.rows / self.timing.best


def _river_raw(name: str) -> Callable[[int], object]:
    """river's own generator, ``n`` rows consumed into a list (the baseline)."""
    from river.datasets import synth

    def take(n: int) -> object:
        stream = synth.SEA(seed=1) if name == "sea" else synth.Agrawal(seed=1)
        return list(stream.take(n))

    return take


def _ours(name: str, engine: str) -> Callable[[int], object]:
    """calmops-gen's generator: ``sample`` with DataFrame assembly included."""
    gen: ConceptGenerator
    params: GeneratorParams
    if name == "sea":
        params = SeaParams()
        gen = Sea(params, engine)
    else:
        params = AgrawalParams()
        gen = Agrawal(params, engine)

    def sample(n: int) -> object:
        return gen.sample(n, params, np.random.SeedSequence(0))

    return sample


def bench_generators(rows: int, repeats: int, log: Callable[[str], None]) -> list[GeneratorCase]:
    """Throughput of sea and agrawal under both engines and of river itself."""
    cases: list[GeneratorCase] = []
    for name in ("sea", "agrawal"):
        for engine in ("numpy", "river", "river-raw"):
            fn = _river_raw(name) if engine == "river-raw" else _ours(name, engine)
            timing = best_of(lambda _, fn=fn: fn(rows), repeats, _none)
            cases.append(GeneratorCase(name, engine, rows, timing))
            log(f"  {name:8s} {engine:9s} best {timing.best:8.4f}s")
    return cases


# --------------------------------------------------------------------------- 2. end to end


def sea_scenario(blocks: int, *, ground_truth: bool = True) -> dict[str, Any]:
    """The SEA benchmark scenario: ``blocks`` weekly blocks of 250,000 rows, two events.

    ``x0`` shifts gradually (sigmoid over 200,000 rows) by 0.5 reference stds over the second
    half of the blocks; 10% of the labels of the last block flip.
    """
    return {
        "name": f"bench_sea_{blocks}x{ROWS_PER_BLOCK}",
        "seed": 42,
        "generator": {"kind": "sea", "engine": "numpy", "params": {"variant": 0, "noise": 0.0}},
        "schedule": {
            "blocks": blocks,
            "rows_per_block": ROWS_PER_BLOCK,
            "start": "2024-01-01",
            "step": {"days": 7},
        },
        "drift": {
            "shift_x0": {
                "kind": "shift",
                "features": ["x0"],
                "amount_std": 0.5,
                "where": {"blocks": list(range(blocks // 2, blocks))},
                "profile": {"kind": "gradual", "shape": "sigmoid", "width": 200_000},
            },
            "flips": {"kind": "label_flip", "rate": 0.1, "where": {"blocks": [blocks - 1]}},
        },
        "output": {"ground_truth": ground_truth},
    }


def raw_write(root: Path, blocks: int, rows: int = ROWS_PER_BLOCK, seed: int = 42) -> None:
    """Baseline: the SEA columns made with numpy, written with pyarrow, one file per block.

    Columns as calmops-gen writes them: ``x0, x1, x2`` (uniform [0, 10) doubles), ``y`` (bool,
    ``x0 + x1 > 8``), ``block`` (int64) and ``timestamp`` (timestamp[ns], rows spread evenly
    over the block's week). No drift, no ground truth, no hashing, no manifest.
    """
    root.mkdir(parents=True, exist_ok=True)
    offsets = (np.arange(rows, dtype=np.int64) * WEEK_NS) // rows
    for b in range(blocks):
        rng = np.random.default_rng([seed, b])
        x = rng.uniform(0.0, 10.0, size=(3, rows))
        begin = (START + np.timedelta64(b * WEEK_NS, "ns")).astype(np.int64)
        table = pa.table(
            {
                "x0": x[0],
                "x1": x[1],
                "x2": x[2],
                "y": x[0] + x[1] > 8.0,
                "block": np.full(rows, b, dtype=np.int64),
                "timestamp": pa.array((offsets + begin).view("datetime64[ns]")),
            }
        )
        pq.write_table(table, root / f"block-{b:05d}.parquet", compression="zstd")


@dataclass(frozen=True)
class EndToEndCase:
    """One end-to-end case: rows written and best time."""

    name: str
    rows: int
    timing: Timing

    @property
    def rows_per_s(self) -> float:
        """Throughput of the best repetition."""
        return self.rows / self.timing.best


def _fresh_root() -> Path:
    """A new, empty output root (so the run never finds an existing version to verify)."""
    return Path(tempfile.mkdtemp(prefix="calmops-bench-"))


def _drop(root: Path) -> None:
    """Remove an output root."""
    shutil.rmtree(root, ignore_errors=True)


def _run_into(scenario: calmops_gen.Scenario) -> Callable[[Path], object]:
    """A timed function running ``scenario`` into the given (fresh) root."""

    def go(root: Path) -> object:
        manifest = calmops_gen.run(scenario, root=root)
        assert manifest.rows > 0  # noqa: S101 - sanity check of a benchmark, not a test
        return manifest

    return go


def bench_end_to_end(repeats: int, log: Callable[[str], None]) -> list[EndToEndCase]:
    """The default scenario, the 1M-row SEA scenario (with and without ground truth), and
    the raw numpy + pyarrow baseline of the 1M-row scenario."""
    default = calmops_gen.load_scenario(DEFAULT_SCENARIO)
    sea_1m = calmops_gen.load_scenario(sea_scenario(SMALL_BLOCKS))
    sea_1m_nogt = calmops_gen.load_scenario(sea_scenario(SMALL_BLOCKS, ground_truth=False))
    n_default = sum(calmops_gen.run.__globals__["build_plan"](default).sizes())
    cases = [
        ("default scenario", n_default, _run_into(default)),
        ("sea 1M calmops-gen", SMALL_BLOCKS * ROWS_PER_BLOCK, _run_into(sea_1m)),
        ("sea 1M calmops-gen, no ground truth", SMALL_BLOCKS * ROWS_PER_BLOCK, _run_into(sea_1m_nogt)),
        ("sea 1M numpy+pyarrow baseline", SMALL_BLOCKS * ROWS_PER_BLOCK, lambda root: raw_write(root, SMALL_BLOCKS)),
    ]
    out: list[EndToEndCase] = []
    for name, rows, fn in cases:
        timing = best_of(fn, repeats, _fresh_root, _drop)
        out.append(EndToEndCase(name, rows, timing))
        log(f"  {name:38s} best {timing.best:8.4f}s")
    return out
