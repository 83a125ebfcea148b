"""Speed and memory benchmarks of calmops-gen, each against a baseline measured in the same run.

Run from the repository root::

    python benchmarks/bench_generators.py            # full run (a few minutes)
    python benchmarks/bench_generators.py --quick    # smoke run (fewer rows, one repetition)

Three groups of figures (see ``benchmarks/README.md`` for what each one means):

1. generator throughput of ``sea`` and ``agrawal`` with the numpy and river engines,
   against river's own generators consumed into a list;
2. end-to-end runs (the default scenario, and a 1,000,000-row SEA scenario against a plain
   numpy + pyarrow write of the same columns);
3. peak memory of the 1M-row SEA scenario against the same scenario at 4M rows, and of a
   ``table`` scenario over a 1M- and a 4M-row Parquet source, each run in a fresh
   subprocess.

Results are printed as a table and written to ``benchmarks/results/latest.json``.
Outputs of the end-to-end runs go to temporary directories, removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import calmops_gen
from calmops_gen.generators.agrawal import Agrawal, AgrawalParams
from calmops_gen.generators.base import ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.sea import Sea, SeaParams
from calmops_gen.plan import build_plan
from calmops_gen.seeding import SeedTree

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


def time_once(
    fn: Callable[[T], object],
    setup: Callable[[], T],
    teardown: Callable[[T], None] | None = None,
) -> float:
    """Wall time of ``fn(setup())``; ``setup`` and ``teardown`` run outside the timed region."""
    arg = setup()
    try:
        start = time.perf_counter()
        fn(arg)
        return time.perf_counter() - start
    finally:
        if teardown is not None:
            teardown(arg)


def best_of(
    fn: Callable[[T], object],
    repeats: int,
    setup: Callable[[], T],
    teardown: Callable[[T], None] | None = None,
) -> Timing:
    """Time ``fn(setup())`` once untimed (warm-up), then ``repeats`` times; keep the best."""
    time_once(fn, setup, teardown)
    runs = [time_once(fn, setup, teardown) for _ in range(repeats)]
    return Timing(min(runs), runs)


@dataclass(frozen=True)
class Case:
    """One timed case: ``fn(setup())``, then ``teardown`` of what ``setup`` gave;
    ``per_round`` repetitions in each round of :func:`interleaved` (more for fast, noisier
    cases)."""

    name: str
    fn: Callable[[Any], object]
    setup: Callable[[], Any]
    teardown: Callable[[Any], None] | None = None
    per_round: int = 1


def interleaved(cases: list[Case], repeats: int) -> dict[str, Timing]:
    """Warm each case up once, then time them in ``repeats`` interleaved rounds (A B C A B
    C ...); the best repetition of each.

    On a shared, noisy machine this exposes every case to the same background load, so the
    ratio of two cases is steadier than with the cases timed one after the other.
    """
    for c in cases:
        time_once(c.fn, c.setup, c.teardown)
    runs: dict[str, list[float]] = {c.name: [] for c in cases}
    for _ in range(repeats):
        for c in cases:
            for _ in range(c.per_round):
                runs[c.name].append(time_once(c.fn, c.setup, c.teardown))
    return {k: Timing(min(v), v) for k, v in runs.items()}


def log(msg: str) -> None:
    """Progress to stderr (the tables go to stdout)."""
    print(msg, file=sys.stderr, flush=True)


def stats_text(prof: cProfile.Profile, own: int, cumulative: int) -> str:
    """A cProfile report: the top ``own`` functions by own time, then the top
    ``cumulative`` by cumulative time."""
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(own)
    stats.sort_stats("cumulative").print_stats(cumulative)
    return text.getvalue()


def stamp(data: dict[str, Any], script: str) -> dict[str, Any]:
    """``data`` with the time it was made and the command that made it."""
    data["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    data["command"] = " ".join(["python", f"benchmarks/{script}", *sys.argv[1:]])
    return data


def publish(tables: str, data: dict[str, Any], output: Path) -> None:
    """Print the tables to stdout and write the JSON results to ``output``."""
    print(tables)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(data, indent=2) + "\n")
    log(f"results written to {output}")


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


def ours(
    cls: type[ConceptGenerator], params: GeneratorParams, engine: str
) -> Callable[[int], object]:
    """calmops-gen's ``sample`` for rows ``0 .. n - 1`` with ``engine`` (frame included).

    Stateful generators get their stream state at row 0 from :meth:`stream_states`, computed
    here (outside the timed call), as the planner does; the ``Draw`` and its PCG64 generator
    are made inside the timed call, as the block producer does.
    """
    gen = cls(params, engine)
    states = gen.stream_states(0, params, [0], SeedTree(0))
    state = states[0] if states else None

    def run(n: int) -> object:
        seq = np.random.SeedSequence(0)
        draw = Draw(np.arange(n, dtype=np.int64), SeedTree.rng(seq), state)
        return gen.sample(params, draw, seq)

    return run


def _sea_or_agrawal(name: str, engine: str) -> Callable[[int], object]:
    """:func:`ours` for ``sea`` or ``agrawal`` with default parameters."""
    if name == "sea":
        return ours(Sea, SeaParams(), engine)
    return ours(Agrawal, AgrawalParams(), engine)


def bench_generators(rows: int, repeats: int) -> list[GeneratorCase]:
    """Throughput of sea and agrawal under both engines and of river itself."""
    cases: list[GeneratorCase] = []
    for name in ("sea", "agrawal"):
        for engine in ("numpy", "river", "river-raw"):
            fn = _river_raw(name) if engine == "river-raw" else _sea_or_agrawal(name, engine)
            timing = best_of(fn, repeats, lambda: rows)
            cases.append(GeneratorCase(name, engine, rows, timing))
            log(f"  {name:8s} {engine:9s} best {timing.best:8.4f}s")
    return cases


# --------------------------------------------------------------------------- 2. end to end


def sea_scenario(
    blocks: int, *, rows: int = ROWS_PER_BLOCK, ground_truth: bool = True
) -> dict[str, Any]:
    """The SEA benchmark scenario: ``blocks`` weekly blocks of ``rows`` rows, two events.

    ``x0`` shifts gradually (sigmoid over 200,000 rows) by 0.5 reference stds over the second
    half of the blocks; 10% of the labels of the last block flip.
    """
    return {
        "name": f"bench_sea_{blocks}x{rows}",
        "seed": 42,
        "generator": {"kind": "sea", "engine": "numpy", "params": {"variant": 0, "noise": 0.0}},
        "schedule": {
            "blocks": blocks,
            "rows_per_block": rows,
            "start": "2024-01-01",
            "step": {"days": 7},
        },
        "drift": {
            "shift_x0": {
                "kind": "shift",
                "features": ["x0"],
                "amount_std": 0.5,
                "where": {"blocks": list(range(blocks // 2, blocks))},
                "profile": {"kind": "gradual", "shape": "sigmoid", "width": min(200_000, rows)},
            },
            "flips": {"kind": "label_flip", "rate": 0.1, "where": {"blocks": [blocks - 1]}},
        },
        "output": {"ground_truth": ground_truth},
    }


SOURCE_SCHEMA = pa.schema(
    [
        *(pa.field(f"f{i}", pa.float64()) for i in range(6)),
        *(pa.field(name, pa.int64()) for name in ("i0", "i1")),
        pa.field("cat", pa.string()),
        pa.field("y", pa.int64()),
    ]
)


def write_table_source(path: Path, blocks: int, rows: int = ROWS_PER_BLOCK) -> None:
    """A Parquet source for the ``table`` memory case: ``blocks * rows`` rows of 10 columns
    (6 normal doubles, 2 ints, a string with 8 values, a binary int target), written one
    row group of ``rows`` rows at a time (so writing it needs one block's memory)."""
    words = np.array(["alpha", "bravo", "charlie", "delta", "echo", "fox", "golf", "hotel"])
    with pq.ParquetWriter(path, SOURCE_SCHEMA) as writer:
        for b in range(blocks):
            rng = np.random.default_rng([7, b])
            f = rng.normal(size=(6, rows))
            columns = {
                **{f"f{i}": f[i] for i in range(6)},
                "i0": rng.integers(0, 100, rows),
                "i1": rng.integers(-1_000, 1_000, rows),
                "cat": words[rng.integers(0, 8, rows)].tolist(),
                "y": (rng.random(rows) < 0.3).astype(np.int64),
            }
            writer.write_table(pa.table(columns, schema=SOURCE_SCHEMA))


def table_sources(folder: Path, *blocks: int) -> Path:
    """Write the ``table`` case's sources into ``folder``: ``tiny.parquet`` (2 blocks of
    1,000 rows, for the warm-up) and ``source_<n>.parquet`` for each ``n`` in ``blocks``."""
    write_table_source(folder / "tiny.parquet", 2, rows=1_000)
    for n in blocks:
        write_table_source(folder / f"source_{n}.parquet", n)
    return folder


def table_scenario(source: Path, blocks: int, rows: int = ROWS_PER_BLOCK) -> dict[str, Any]:
    """The ``table`` memory case: the Parquet source cut into ``blocks`` blocks of ``rows``,
    ``f0`` shifted by 0.5 over the second half of the blocks, 10% of the last block's labels
    flipped."""
    return {
        "name": f"bench_table_{blocks}x{rows}",
        "seed": 42,
        "generator": {"kind": "table", "params": {"source": str(source), "target": "y"}},
        "schedule": {"blocks": blocks},
        "drift": {
            "shift_f0": {
                "kind": "shift",
                "features": ["f0"],
                "amount": 0.5,
                "where": {"blocks": list(range(blocks // 2, blocks))},
            },
            "flips": {"kind": "label_flip", "rate": 0.1, "where": {"blocks": [blocks - 1]}},
        },
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
    scenario_rows = build_plan(scenario).n_rows

    def go(root: Path) -> object:
        manifest = calmops_gen.run(scenario, root=root)
        if manifest.rows != scenario_rows:
            raise RuntimeError(f"run wrote {manifest.rows} rows, expected {scenario_rows}")
        return manifest

    return go


def bench_end_to_end(repeats: int) -> list[EndToEndCase]:
    """The default scenario, the 1M-row SEA scenario (with and without ground truth), and
    the raw numpy + pyarrow baseline of the 1M-row scenario, repetitions interleaved.

    Every repetition (the warm-up too) writes into a new, empty output root, removed after
    the timing: a run that found its version already written would only verify it.
    """
    default = calmops_gen.load_scenario(DEFAULT_SCENARIO)
    sea_1m = calmops_gen.load_scenario(sea_scenario(SMALL_BLOCKS))
    sea_1m_nogt = calmops_gen.load_scenario(sea_scenario(SMALL_BLOCKS, ground_truth=False))
    n_default = build_plan(default).n_rows
    cases = [
        ("default scenario", n_default, _run_into(default)),
        ("sea 1M calmops-gen", SMALL_BLOCKS * ROWS_PER_BLOCK, _run_into(sea_1m)),
        (
            "sea 1M calmops-gen, no ground truth",
            SMALL_BLOCKS * ROWS_PER_BLOCK,
            _run_into(sea_1m_nogt),
        ),
        (
            "sea 1M numpy+pyarrow baseline",
            SMALL_BLOCKS * ROWS_PER_BLOCK,
            lambda root: raw_write(root, SMALL_BLOCKS),
        ),
    ]
    timings = interleaved([Case(name, fn, _fresh_root, _drop) for name, _, fn in cases], repeats)
    out: list[EndToEndCase] = []
    for name, rows, _ in cases:
        timing = timings[name]
        out.append(EndToEndCase(name, rows, timing))
        log(f"  {name:38s} best {timing.best:8.4f}s")
    return out


# --------------------------------------------------------------------------- 3. memory


@dataclass(frozen=True)
class MemoryCase:
    """Peak memory of one run in a fresh subprocess.

    ``rss_before``: resident set size after imports, just before the run; ``rss_peak``: the
    process's peak RSS (``ru_maxrss``) after the run; ``growth``: their difference, the
    memory the run itself needed; ``arrow_peak``: the peak of pyarrow's memory pool (not
    seen by tracemalloc); ``traced_peak``: tracemalloc's peak of Python and numpy
    allocations during the run (measured in a second subprocess, as tracing slows it down).
    All in bytes.
    """

    name: str
    rows: int
    rss_before: int
    rss_peak: int
    arrow_peak: int
    traced_peak: int
    seconds: float

    @property
    def growth(self) -> int:
        """Peak RSS minus RSS before the run."""
        return self.rss_peak - self.rss_before


def _proc_status(key: str) -> int | None:
    """A memory field of ``/proc/self/status`` in bytes (``None`` off Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    return None


def _rss_now() -> int:
    """Current resident set size in bytes (``VmRSS``; falls back to the peak)."""
    now = _proc_status("VmRSS")
    return now if now is not None else _rss_peak()


def _rss_peak() -> int:
    """Peak resident set size of this process in bytes.

    ``VmHWM`` of ``/proc/self/status`` where available: Linux carries ``ru_maxrss`` over
    fork and exec, so a child started by a large parent would report the parent's peak.
    """
    peak = _proc_status("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(maxrss) if sys.platform == "darwin" else int(maxrss) * 1024


def child(kind: str, blocks: int, trace: bool, sources: Path | None = None) -> dict[str, Any]:
    """Body of a memory subprocess: run one case into a temporary root and measure it.

    A tiny run of the same case (2 blocks of 1,000 rows) first loads whatever is imported
    lazily, so the RSS growth measured is the run's working memory, not one-time imports.
    The ``table`` case reads its Parquet sources from ``sources`` (see
    :func:`table_sources`; written here, before measuring, when not given).
    """
    with scratch("calmops-bench-mem-") as root:
        if kind in ("calmops", "table"):
            if kind == "table":
                if sources is None:
                    sources = table_sources(root, blocks)
                tiny = calmops_gen.load_scenario(table_scenario(sources / "tiny.parquet", 2, 1_000))
                big = sources / f"source_{blocks}.parquet"
                scenario = calmops_gen.load_scenario(table_scenario(big, blocks))
            else:
                tiny = calmops_gen.load_scenario(sea_scenario(2, rows=1_000))
                scenario = calmops_gen.load_scenario(sea_scenario(blocks))

            def warm() -> None:
                calmops_gen.run(tiny, root=root / "warm")

            def work() -> None:
                calmops_gen.run(scenario, root=root / "run")

        else:

            def warm() -> None:
                raw_write(root / "warm", 2, rows=1_000)

            def work() -> None:
                raw_write(root / "run", blocks)

        warm()
        before = _rss_now()
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        work()
        seconds = time.perf_counter() - start
        traced = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
        return {
            "rss_before": before,
            "rss_peak": _rss_peak(),
            "arrow_peak": int(pa.default_memory_pool().max_memory() or 0),
            "traced_peak": int(traced),
            "seconds": seconds,
        }


def _spawn(kind: str, blocks: int, trace: bool, sources: Path) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter and return its measurements."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--blocks", str(blocks)]
    if kind == "table":
        cmd += ["--sources", str(sources)]
    if trace:
        cmd.append("--trace")
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


MEMORY_KINDS = (
    ("calmops", "sea calmops-gen"),
    ("raw", "sea numpy+pyarrow baseline"),
    ("table", "table calmops-gen (Parquet source)"),
)


def bench_memory() -> list[MemoryCase]:
    """Peak memory of the SEA scenario at 1M and 4M rows, calmops-gen and raw baseline, and
    of a ``table`` scenario over a 1M- and a 4M-row Parquet source."""
    out: list[MemoryCase] = []
    with scratch("calmops-bench-src-") as folder:
        sources = table_sources(folder, SMALL_BLOCKS, LARGE_BLOCKS)
        for kind, label in MEMORY_KINDS:
            for blocks in (SMALL_BLOCKS, LARGE_BLOCKS):
                plain = _spawn(kind, blocks, False, sources)
                traced = _spawn(kind, blocks, True, sources)
                rows = blocks * ROWS_PER_BLOCK
                case = MemoryCase(
                    name=f"{rows // 1_000_000}M {label}",
                    rows=rows,
                    rss_before=plain["rss_before"],
                    rss_peak=plain["rss_peak"],
                    arrow_peak=plain["arrow_peak"],
                    traced_peak=traced["traced_peak"],
                    seconds=plain["seconds"],
                )
                out.append(case)
                log(f"  {case.name:44s} RSS growth {_mib(case.growth):7.1f} MiB")
    return out


# --------------------------------------------------------------------------- profiling


def profile(case: str, rows: int) -> str:
    """cProfile report (top functions by own and cumulative time) of one case."""
    prof = cProfile.Profile()
    if case in ("sea-numpy", "agrawal-numpy"):
        fn = _sea_or_agrawal(case.split("-")[0], "numpy")
        fn(rows)
        prof.enable()
        for _ in range(20):
            fn(rows)
        prof.disable()
    else:
        scenario = calmops_gen.load_scenario(
            DEFAULT_SCENARIO if case == "default" else sea_scenario(SMALL_BLOCKS)
        )
        with scratch("calmops-bench-prof-") as root:
            calmops_gen.run(scenario, root=root / "warm")
            prof.enable()
            calmops_gen.run(scenario, root=root / "timed")
            prof.disable()
    return stats_text(prof, 20, 25)


# --------------------------------------------------------------------------- report


@dataclass
class Check:
    """A target from the issue and whether this run met it."""

    name: str
    measured: float
    target: str
    met: bool


@dataclass
class Report:
    """Everything one benchmark run measured."""

    mode: str
    machine: dict[str, Any]
    settings: dict[str, int]
    load: dict[str, list[float]] = field(default_factory=dict)
    generators: list[GeneratorCase] = field(default_factory=list)
    end_to_end: list[EndToEndCase] = field(default_factory=list)
    memory: list[MemoryCase] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def machine() -> dict[str, Any]:
    """The machine and library versions the figures were measured with."""
    from importlib.metadata import version

    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "river": version("river"),
        "calmops_gen": calmops_gen.__version__,
    }


def _loadavg() -> list[float]:
    """1, 5 and 15-minute load averages (other work sharing the cores skews every figure)."""
    with contextlib.suppress(OSError, AttributeError):
        return [round(x, 2) for x in os.getloadavg()]
    return []


def _mib(n: float) -> float:
    return n / 2**20


def checks(report: Report) -> list[Check]:
    """Compare the figures with the issue's targets."""
    out: list[Check] = []
    gen = {(c.generator, c.engine): c for c in report.generators}
    for name, target in (("sea", TARGET_SEA_SPEEDUP), ("agrawal", TARGET_AGRAWAL_SPEEDUP)):
        if (name, "numpy") in gen and (name, "river-raw") in gen:
            ratio = gen[name, "numpy"].rows_per_s / gen[name, "river-raw"].rows_per_s
            out.append(
                Check(f"{name} numpy / river rows/s", ratio, f">= {target:g}x", ratio >= target)
            )
    e2e = {c.name: c for c in report.end_to_end}
    ours, base = e2e.get("sea 1M calmops-gen"), e2e.get("sea 1M numpy+pyarrow baseline")
    if ours and base:
        ratio = ours.timing.best / base.timing.best
        out.append(
            Check(
                "sea 1M end-to-end time / baseline",
                ratio,
                f"<= {TARGET_E2E_SLOWDOWN:g}x",
                ratio <= TARGET_E2E_SLOWDOWN,
            )
        )
    mem = {c.name: c for c in report.memory}
    for kind in ("sea calmops-gen", "table calmops-gen (Parquet source)"):
        small, large = mem.get(f"1M {kind}"), mem.get(f"4M {kind}")
        if small and large:
            ratio = large.growth / max(small.growth, 1)
            out.append(
                Check(
                    f"peak RSS growth 4M / 1M, {kind.split()[0]}",
                    ratio,
                    f"<= {TARGET_MEMORY_GROWTH:g}x (not ~4x)",
                    ratio <= TARGET_MEMORY_GROWTH,
                )
            )
    return out


def render(report: Report) -> str:
    """The report as plain-text tables."""
    lines = [
        f"calmops-gen benchmarks ({report.mode} mode) - "
        f"{report.machine['nproc']} cores, {report.machine['cpu']}",
        "python {python}, numpy {numpy}, pandas {pandas}, pyarrow {pyarrow}, river {river}, "
        "calmops-gen {calmops_gen}".format(**report.machine),
        f"load average (1, 5, 15 min) at start {report.load.get('start')}, "
        f"at end {report.load.get('end')}",
        "",
    ]
    if report.generators:
        raw = {c.generator: c for c in report.generators if c.engine == "river-raw"}
        lines += [
            f"1. generator throughput (best of {report.settings['repeats']}, "
            "sample() incl. DataFrame assembly)",
            f"{'generator':10s}{'engine':11s}{'rows':>9s}{'best s':>10s}{'rows/s':>14s}"
            f"{'vs river':>10s}",
        ]
        for c in report.generators:
            ratio = c.rows_per_s / raw[c.generator].rows_per_s
            lines.append(
                f"{c.generator:10s}{c.engine:11s}{c.rows:9d}{c.timing.best:10.4f}"
                f"{c.rows_per_s:14,.0f}{ratio:9.1f}x"
            )
        lines.append("")
    if report.end_to_end:
        lines += [
            f"2. end to end (best of {report.settings['e2e_repeats']}, interleaved, "
            "fresh output root each time)",
            f"{'case':40s}{'rows':>10s}{'best s':>10s}{'rows/s':>14s}",
        ]
        for e in report.end_to_end:
            lines.append(f"{e.name:40s}{e.rows:10d}{e.timing.best:10.4f}{e.rows_per_s:14,.0f}")
        lines.append("")
    if report.memory:
        lines += [
            "3. peak memory (fresh subprocess per case; MiB)",
            f"{'case':46s}{'RSS before':>11s}{'RSS peak':>10s}{'growth':>9s}{'arrow pk':>10s}"
            f"{'traced pk':>10s}",
        ]
        for m in report.memory:
            lines.append(
                f"{m.name:46s}{_mib(m.rss_before):11.1f}{_mib(m.rss_peak):10.1f}"
                f"{_mib(m.growth):9.1f}{_mib(m.arrow_peak):10.1f}{_mib(m.traced_peak):10.1f}"
            )
        lines.append("")
    if report.checks:
        lines += ["targets", f"{'check':40s}{'measured':>10s}  {'target':22s}met"]
        for k in report.checks:
            lines.append(
                f"{k.name:40s}{k.measured:10.2f}  {k.target:22s}{'yes' if k.met else 'NO'}"
            )
    return "\n".join(lines)


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (derived rates and ratios included)."""
    data = asdict(report)
    for case, raw in zip(report.generators, data["generators"], strict=True):
        raw["rows_per_s"] = case.rows_per_s
    for e2e, raw in zip(report.end_to_end, data["end_to_end"], strict=True):
        raw["rows_per_s"] = e2e.rows_per_s
    for mem, raw in zip(report.memory, data["memory"], strict=True):
        raw["growth"] = mem.growth
    return stamp(data, "bench_generators.py")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and repetitions")
    parser.add_argument(
        "--repeats", type=int, help="timed repetitions of the generator cases (default 3, quick 1)"
    )
    parser.add_argument(
        "--e2e-repeats",
        type=int,
        help="timed repetitions of the end-to-end cases (default 5, quick 2)",
    )
    parser.add_argument(
        "--only",
        choices=("generators", "end-to-end", "memory"),
        action="append",
        help="run only these groups (repeatable)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument(
        "--profile",
        choices=("sea-numpy", "agrawal-numpy", "sea-1m", "default"),
        help="print a cProfile report of one case instead of benchmarking",
    )
    parser.add_argument("--child", choices=("calmops", "raw", "table"), help=argparse.SUPPRESS)
    parser.add_argument("--blocks", type=int, default=SMALL_BLOCKS, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sources", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table and write the JSON results."""
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.blocks, args.trace, args.sources)))
        return 0
    rows = QUICK_GENERATOR_ROWS if args.quick else GENERATOR_ROWS
    if args.profile:
        print(profile(args.profile, rows))
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    e2e_repeats = args.e2e_repeats or (2 if args.quick else 5)
    groups = set(args.only or ("generators", "end-to-end", "memory"))

    report = Report(
        mode="quick" if args.quick else "full",
        machine=machine(),
        settings={"generator_rows": rows, "repeats": repeats, "e2e_repeats": e2e_repeats},
        load={"start": _loadavg()},
    )
    if "generators" in groups:
        log(f"1. generators ({rows} rows, best of {repeats} after a warm-up)")
        report.generators = bench_generators(rows, repeats)
    if "end-to-end" in groups:
        log(f"2. end to end (best of {e2e_repeats} after a warm-up, interleaved)")
        report.end_to_end = bench_end_to_end(e2e_repeats)
    if "memory" in groups:
        log("3. memory (subprocesses)")
        report.memory = bench_memory()
    report.checks = checks(report)
    report.load["end"] = _loadavg()
    publish(render(report), to_json(report), args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
