"""Throughput of every registered concept generator against river, measured in the same run.

Run from the repository root::

    python benchmarks/bench_catalogue.py            # full run (about 3 minutes on 2 cores)
    python benchmarks/bench_catalogue.py --quick    # smoke run (fewer rows, one repetition)

For every generator in :data:`calmops_gen.generators.GENERATORS` that is a
:class:`~calmops_gen.generators.base.ConceptGenerator` (discovered, not listed by hand), with
its default parameters (model seeds pinned to 1), three cases are timed, their repetitions
interleaved (numpy, river engine, river itself, numpy, ...):

- ``numpy``: ``sample(params, Draw(rows, rng, state), seq)`` with engine ``numpy``,
  DataFrame assembly included;
- ``river engine``: the same call with engine ``river`` (calmops-gen drives river's
  generator and converts its rows to columns and a DataFrame);
- ``river``: river itself, ``river.datasets.synth.<Class>(...)`` consumed with ``take`` into
  a list of ``(x, y)`` tuples: the baseline.

river is slow for some generators (Agrawal ~10k rows/s, RandomRBFDrift ~6k rows/s), so the
two river cases run on fewer rows when a 5,000-row warm-up projects river itself to take
more than ``RIVER_BUDGET_S`` seconds at the full row count; rows/s is reported either way
(river's cost per row is constant, so the rate does not depend on the count). The ratio
``numpy / river`` is compared with the issue's targets (>= 50x, Agrawal >= 200x).

Results are printed as a table and written to ``benchmarks/results/catalogue.json``; see
``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_generators import (
    RESULTS,
    Case,
    Timing,
    _loadavg,
    interleaved,
    log,
    machine,
    ours,
    publish,
    stamp,
    stats_text,
    time_once,
)

from calmops_gen.generators import GENERATORS, ConceptGenerator, GeneratorParams

ROWS = 200_000
QUICK_ROWS = 20_000
SLOW_RIVER_ROWS = 20_000
QUICK_SLOW_RIVER_ROWS = 2_000
WARM_ROWS = 5_000
RIVER_BUDGET_S = 4.0  # river itself projected above this at full rows -> SLOW_RIVER_ROWS
NUMPY_PER_ROUND = 3  # numpy repetitions per round (it is fast, hence noisier)
MODEL_SEED = 1  # pinned value of every ``seed_fields`` parameter (river's seed_model, ...)
SAMPLE_SEED = 1  # river's row seed (``seed``/``seed_sample``) for the baseline

TARGET_SPEEDUP = 50.0
TARGET_SPEEDUPS = {"agrawal": 200.0}


# --------------------------------------------------------------------------- cases


def concept_generators() -> tuple[list[tuple[str, type[ConceptGenerator]]], list[str]]:
    """Registered concept generators (name order) and the names of the other generators."""
    concept: list[tuple[str, type[ConceptGenerator]]] = []
    other: list[str] = []
    for name, cls in GENERATORS.items():
        if isinstance(cls, type) and issubclass(cls, ConceptGenerator):
            concept.append((name, cls))
        else:
            other.append(name)
    return concept, other


def default_params(cls: type[ConceptGenerator]) -> GeneratorParams:
    """The generator's default parameters with every model seed pinned to ``MODEL_SEED``."""
    return cls.Params(**dict.fromkeys(cls.Params.seed_fields, MODEL_SEED))


@dataclass(frozen=True)
class RiverBaseline:
    """river itself for one generator: the class used and a function taking ``n`` rows."""

    river_class: str
    take: Callable[[int], object]
    note: str = ""


def river_itself(name: str, gen: ConceptGenerator, params: Any) -> RiverBaseline | None:
    """river's own generator for ``params``, ``n`` rows consumed with ``take`` into a list.

    Generators whose ``river_dataset`` already returns a ``river.datasets.synth`` object use
    that very call (the same parameters the river engine passes). ``anomaly_sine``'s is
    river's finite series run episode after episode (one river ``AnomalySine`` per
    ``n_samples`` rows), consumed with ``islice``. Two wrap river to make an endless,
    block-seeded stream; their baseline is river's class directly:

    - ``logical``: river's stream ends after ``4 * n_tiles`` rows; river is given
      ``n_tiles = ceil(n / 4)`` (one pass of ``n`` rows, the cheapest way for river to make
      them; the default ``n_tiles=1`` would need a new river object every 4 rows);
    - ``led_drift``: river's ``LEDDrift`` with the model seed.
    """
    from river.datasets import synth

    if name == "anomaly_sine":
        series = gen.river_dataset(params, SAMPLE_SEED)  # river's episodes, one after another

        def episodes(n: int) -> object:
            return list(itertools.islice(series, n))

        return RiverBaseline("AnomalySine", episodes, "episodes of n_samples rows chained")
    if name == "logical":

        def one_pass(n: int) -> object:
            stream = synth.Logical(n_tiles=math.ceil(n / 4), shuffle=params.shuffle, seed=1)
            return list(stream.take(n))

        return RiverBaseline("Logical", one_pass, "n_tiles = rows / 4 (one pass)")
    if name == "led_drift":

        def led_drift(n: int) -> object:
            stream = synth.LEDDrift(
                seed=params.seed,
                noise_percentage=params.noise_percentage,
                irrelevant_features=params.irrelevant_features,
                n_drift_features=params.n_drift_features,
            )
            return list(stream.take(n))

        return RiverBaseline("LEDDrift", led_drift)
    probe = gen.river_dataset(params, SAMPLE_SEED)
    if not type(probe).__module__.startswith("river.") or not hasattr(probe, "take"):
        return None

    def generic(n: int) -> object:
        stream: Any = gen.river_dataset(params, SAMPLE_SEED)
        rows: Iterable[object] = stream.take(n)
        return list(rows)

    return RiverBaseline(type(probe).__name__, generic)


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class CatalogueRow:
    """One generator: the three cases and the rows each was timed on."""

    generator: str
    river_class: str | None
    stateful: bool
    numpy_rows: int
    river_rows: int
    numpy: Timing
    river_engine: Timing | None
    river: Timing | None
    note: str = ""

    @property
    def numpy_rate(self) -> float:
        """Rows/s of the numpy engine (best repetition)."""
        return self.numpy_rows / self.numpy.best

    @property
    def river_engine_rate(self) -> float | None:
        """Rows/s of calmops-gen's river engine (best repetition)."""
        return None if self.river_engine is None else self.river_rows / self.river_engine.best

    @property
    def river_rate(self) -> float | None:
        """Rows/s of river itself (best repetition)."""
        return None if self.river is None else self.river_rows / self.river.best

    @property
    def ratio(self) -> float | None:
        """numpy rows/s over river-itself rows/s."""
        rate = self.river_rate
        return None if rate is None else self.numpy_rate / rate

    @property
    def target(self) -> float:
        """The issue's minimum ratio for this generator."""
        return TARGET_SPEEDUPS.get(self.generator, TARGET_SPEEDUP)

    @property
    def met(self) -> bool | None:
        """Whether the ratio reaches the target (``None`` without a river baseline)."""
        ratio = self.ratio
        return None if ratio is None else ratio >= self.target


def bench_one(
    name: str,
    cls: type[ConceptGenerator],
    rows: int,
    slow_rows: int,
    repeats: int,
) -> CatalogueRow:
    """Time one generator: river's projected cost picks its row count, then the three cases
    in ``repeats`` interleaved rounds (:func:`interleaved`, ``NUMPY_PER_ROUND`` numpy
    repetitions per round), best repetition kept."""
    params = default_params(cls)
    numpy_fn = ours(cls, params, "numpy")
    river_engine_fn = ours(cls, params, "river")
    baseline = river_itself(name, cls(params, "river"), params)

    river_rows = rows
    if baseline is not None:
        warm = time_once(baseline.take, lambda: min(WARM_ROWS, rows))
        projected = warm * rows / min(WARM_ROWS, rows)
        if projected > RIVER_BUDGET_S:
            river_rows = min(slow_rows, rows)
    cases = [
        Case("numpy", numpy_fn, lambda: rows, per_round=NUMPY_PER_ROUND),
        Case("river_engine", river_engine_fn, lambda: river_rows),
    ]
    if baseline is not None:
        cases.append(Case("river", baseline.take, lambda: river_rows))
    timings = interleaved(cases, repeats)
    row = CatalogueRow(
        generator=name,
        river_class=baseline.river_class if baseline else None,
        stateful=cls.stateful,
        numpy_rows=rows,
        river_rows=river_rows,
        numpy=timings["numpy"],
        river_engine=timings["river_engine"],
        river=timings.get("river"),
        note=baseline.note if baseline else "no river baseline",
    )
    ratio = f"{row.ratio:8.1f}x" if row.ratio is not None else "      -"
    log(
        f"  {name:17s} numpy {row.numpy_rate:13,.0f}  river engine "
        f"{row.river_engine_rate or 0:11,.0f}  river {row.river_rate or 0:11,.0f} rows/s "
        f"({river_rows} rows)  {ratio}"
    )
    return row


# --------------------------------------------------------------------------- report


@dataclass
class CatalogueReport:
    """Everything one catalogue run measured."""

    mode: str
    machine: dict[str, Any]
    settings: dict[str, Any]
    load: dict[str, list[float]] = field(default_factory=dict)
    rows: list[CatalogueRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _rate(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "-"


def render(report: CatalogueReport) -> str:
    """The report as a plain-text table (and a Markdown one, for the README)."""
    m = report.machine
    s = report.settings
    lines = [
        f"calmops-gen catalogue benchmark ({report.mode} mode) - {m['nproc']} cores, {m['cpu']}",
        "python {python}, numpy {numpy}, pandas {pandas}, river {river}, "
        "calmops-gen {calmops_gen}".format(**m),
        f"load average (1, 5, 15 min) at start {report.load.get('start')}, "
        f"at end {report.load.get('end')}",
        f"numpy: {s['rows']} rows, best of {s['repeats'] * NUMPY_PER_ROUND}; river engine and "
        f"river: best of {s['repeats']} (rows per generator below); interleaved",
        "",
        "| generator | river class | numpy rows/s | river engine rows/s | river rows/s "
        "| river rows | numpy / river | target | met |",
        "|---|---|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for r in report.rows:
        ratio = f"{r.ratio:,.1f}x" if r.ratio is not None else "-"
        met = "-" if r.met is None else ("yes" if r.met else "**NO**")
        name = r.generator + (" (stateful)" if r.stateful else "")
        lines.append(
            f"| {name} | {r.river_class or '-'} | {_rate(r.numpy_rate)} "
            f"| {_rate(r.river_engine_rate)} | {_rate(r.river_rate)} | {r.river_rows:,} "
            f"| {ratio} | >= {r.target:g}x | {met} |"
        )
    if report.skipped:
        skipped = ", ".join(report.skipped)
        lines += ["", f"not concept generators (no engines, not timed): {skipped}"]
    notes = [f"{r.generator}: {r.note}" for r in report.rows if r.note]
    if notes:
        lines += ["", "baseline notes: " + "; ".join(notes)]
    checked = [r.met for r in report.rows if r.met is not None]
    lines += ["", f"targets met: {sum(1 for ok in checked if ok)} of {len(checked)}"]
    return "\n".join(lines)


def to_json(report: CatalogueReport) -> dict[str, Any]:
    """The report as JSON-ready data (derived rates and ratios included)."""
    data = asdict(report)
    for row, raw in zip(report.rows, data["rows"], strict=True):
        raw.update(
            numpy_rate=row.numpy_rate,
            river_engine_rate=row.river_engine_rate,
            river_rate=row.river_rate,
            ratio=row.ratio,
            target=row.target,
            met=row.met,
        )
    return stamp(data, "bench_catalogue.py")


def profile(name: str, rows: int, engine: str) -> str:
    """cProfile report of 10 ``sample`` calls of one generator and engine."""
    concept, _ = concept_generators()
    cls = dict(concept)[name]
    fn = ours(cls, default_params(cls), engine)
    fn(rows)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        fn(rows)
    prof.disable()
    return stats_text(prof, 20, 25)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows, one repetition")
    parser.add_argument("--rows", type=int, help=f"rows per numpy call (default {ROWS:,})")
    parser.add_argument("--repeats", type=int, help="interleaved rounds (default 3, quick 1)")
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="time only these generators (repeatable)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "catalogue.json")
    parser.add_argument(
        "--profile", metavar="NAME", help="print a cProfile report of one generator instead"
    )
    parser.add_argument("--engine", default="numpy", help="engine profiled by --profile")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the catalogue benchmark, print the table and write the JSON results."""
    args = parse_args(argv)
    rows = args.rows or (QUICK_ROWS if args.quick else ROWS)
    if args.profile:
        print(profile(args.profile, rows, args.engine))
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    slow_rows = QUICK_SLOW_RIVER_ROWS if args.quick else SLOW_RIVER_ROWS

    concept, other = concept_generators()
    if args.only:
        unknown = sorted(set(args.only) - {n for n, _ in concept})
        if unknown:
            raise SystemExit(f"unknown concept generator(s): {', '.join(unknown)}")
        concept = [(n, c) for n, c in concept if n in args.only]
    report = CatalogueReport(
        mode="quick" if args.quick else "full",
        machine=machine(),
        settings={
            "rows": rows,
            "slow_river_rows": slow_rows,
            "river_budget_s": RIVER_BUDGET_S,
            "repeats": repeats,
            "numpy_per_round": NUMPY_PER_ROUND,
        },
        load={"start": _loadavg()},
        skipped=other,
    )
    log(f"catalogue: {len(concept)} concept generators, {rows} rows, {repeats} rounds")
    start = time.perf_counter()
    for name, cls in concept:
        report.rows.append(bench_one(name, cls, rows, slow_rows, repeats))
    report.load["end"] = _loadavg()
    log(f"done in {time.perf_counter() - start:.0f}s")
    publish(render(report), to_json(report), args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
