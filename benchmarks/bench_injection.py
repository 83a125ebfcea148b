"""Speed of drift injection into a user's frame (``calmops_gen.inject``) against baselines.

Run from the repository root::

    python benchmarks/bench_injection.py            # full run: 2,000,000 rows (a few minutes)
    python benchmarks/bench_injection.py --quick    # smoke run: 200,000 rows, one repetition

The frame has 2,000,000 rows and 10 columns (``f0``-``f5`` float64, ``i0``, ``i1`` int64,
``cat`` a string column with 8 categories, ``y`` a binary int64 target) plus a ``block``
column (8 blocks of 250,000 rows). Every event acts on blocks 2-5 (rows 500,000-1,499,999)
with a linear gradual profile over the first half of those rows (``trend``: abrupt), one
event per ``inject`` call:

(a) numeric events (``shift``, ``scale``, ``noise``, ``add``, ``multiply``, ``clip``,
    ``trend`` linear) and ``missing`` (MCAR, as ``missing_f0``: missing values are neither
    categorical nor label events) on ``f0`` against a hand-written numpy implementation of
    the same operation: copy the frame (``inject`` never modifies its input, so producing a
    drifted frame includes a copy), then the numpy expression on the same rows with the same
    weights (``x[a:b] += w * amount``, ...); target: ``inject`` within 3x of it. The bare
    expression on a column alone is reported too;
(b) categorical and label events (``category_flip``, ``new_category``, ``label_flip``,
    ``typos``, ``prior_shift``), and ``missing`` MCAR on ``f1`` for comparison with the
    seed's loops, against a per-row Python loop over the
    DataFrame, reading and writing cells with ``.iat`` as the seed system's DriftInjector did
    (``for i in rows: if rng.random() < p: frame.iat[i, j] = ...``), timed on a sample of
    the selected rows and scaled linearly; target: ``inject`` at least 100x faster. The same
    loop over plain Python lists (the data already converted, the best case for a loop) is
    reported too.

``inject`` does more than the baselines: it copies the frame (the input is never modified),
plans the run (reference statistics), and computes the per-row ground truth and the realised
statistics of every event. To show where its time goes, three more figures are taken: the
event's own ``apply`` on the selected rows alone ("kernel"), ``inject`` without a block
column (selection by ``where.rows``), and ``inject`` with no event at all.

Results are printed as tables and written to ``benchmarks/results/injection.json``; see
``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_generators import (
    RESULTS,
    Case,
    Timing,
    _loadavg,
    interleaved,
    log,
    machine,
    publish,
    stamp,
    stats_text,
)

from calmops_gen.drift.base import Site
from calmops_gen.generators.base import STRING_DTYPE
from calmops_gen.injector import Injection, inject
from calmops_gen.plan import EventPlan

ROWS = 2_000_000
QUICK_ROWS = 200_000
N_BLOCKS = 8
SELECTED_BLOCKS = (2, 3, 4, 5)
LOOP_ROWS = 50_000
QUICK_LOOP_ROWS = 20_000
SEED = 42
CATEGORIES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
TYPO_OPS = ("swap", "delete", "duplicate", "replace")
ALPHABET = "abcdefghijklmnopqrstuvwxyz"

TARGET_NUMERIC = 3.0  # inject time / (copy + numpy expression) time at most this
TARGET_LOOP = 100.0  # per-row DataFrame loop time / inject time at least this
VERDICT = {True: "yes", False: "**NO**", None: "-"}  # a row's target met / missed / none

# Event parameters (column ``f0`` for numeric events).
SHIFT, ADD, NOISE, FACTOR_SCALE, FACTOR_MULTIPLY = 0.5, 1.0, 0.3, 1.5, 1.1
CLIP_LOW, CLIP_HIGH, SLOPE = -1.5, 1.5, 1e-6
RATE, DENSITY = 0.1, 0.1
PRIOR_TARGET = {0: 0.5, 1: 0.5}


# --------------------------------------------------------------------------- the frame


@dataclass(frozen=True)
class Layout:
    """The frame's size and the selection every event acts on (rows ``a`` to ``b - 1``)."""

    n: int

    @property
    def block_rows(self) -> int:
        """Rows per block."""
        return self.n // N_BLOCKS

    @property
    def a(self) -> int:
        """First selected row."""
        return SELECTED_BLOCKS[0] * self.block_rows

    @property
    def b(self) -> int:
        """One past the last selected row."""
        return (SELECTED_BLOCKS[-1] + 1) * self.block_rows

    @property
    def m(self) -> int:
        """Selected rows."""
        return self.b - self.a

    @property
    def width(self) -> int:
        """Rows of the linear ramp of the gradual profile (half the selection)."""
        return self.m // 2

    def weights(self) -> np.ndarray:
        """Profile weight of each selected row: ``min(p / (width - 1), 1)``."""
        w: np.ndarray = np.minimum(np.arange(self.m) / (self.width - 1), 1.0)
        return w


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """The benchmark frame: 6 float, 2 int, 1 string categorical, 1 binary int target, and
    a ``block`` column (``N_BLOCKS`` equal blocks in order)."""
    rng = np.random.default_rng(seed)
    floats = rng.normal(size=(6, n))
    cats = np.asarray(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)]
    return pd.DataFrame(
        {
            **{f"f{i}": floats[i] for i in range(6)},
            "i0": rng.integers(0, 100, n),
            "i1": rng.integers(-1_000, 1_000, n),
            "cat": pd.Series(cats, dtype=STRING_DTYPE),
            "y": (rng.random(n) < 0.3).astype(np.int64),
            "block": np.repeat(np.arange(N_BLOCKS, dtype=np.int64), n // N_BLOCKS),
        }
    )


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EventCase:
    """One event: its YAML body (without ``where``/``profile``) and its group."""

    name: str
    spec: dict[str, Any]
    group: str  # "numeric" or "loop"
    gradual: bool = True
    has_target: bool = True  # False: timed for comparison only (no target of the issue)

    def events(self, lay: Layout, blocks: bool) -> dict[str, dict[str, Any]]:
        """``{id: event}`` for ``inject``: selection by blocks (with the block column) or by
        rows (without it)."""
        where: dict[str, Any] = (
            {"blocks": list(SELECTED_BLOCKS)} if blocks else {"rows": [lay.a, lay.b]}
        )
        body: dict[str, Any] = {**self.spec, "where": where}
        if self.gradual:
            body["profile"] = {"kind": "gradual", "shape": "linear", "width": lay.width}
        return {self.name: body}


EVENT_CASES: tuple[EventCase, ...] = (
    EventCase("shift", {"kind": "shift", "features": ["f0"], "amount": SHIFT}, "numeric"),
    EventCase("scale", {"kind": "scale", "features": ["f0"], "factor": FACTOR_SCALE}, "numeric"),
    EventCase("noise", {"kind": "noise", "features": ["f0"], "amount": NOISE}, "numeric"),
    EventCase("add", {"kind": "add", "features": ["f0"], "value": ADD}, "numeric"),
    EventCase(
        "multiply", {"kind": "multiply", "features": ["f0"], "factor": FACTOR_MULTIPLY}, "numeric"
    ),
    EventCase(
        "clip",
        {"kind": "clip", "features": ["f0"], "low": CLIP_LOW, "high": CLIP_HIGH},
        "numeric",
    ),
    EventCase(
        "trend",
        {"kind": "trend", "features": ["f0"], "form": "linear", "slope": SLOPE},
        "numeric",
        gradual=False,
    ),
    # missing values on a float column: neither categorical nor label, so held to the numeric
    # target here; the same event on f1 is also timed against the per-row loop below
    EventCase("missing_f0", {"kind": "missing", "features": ["f0"], "rate": RATE}, "numeric"),
    EventCase("category_flip", {"kind": "category_flip", "column": "cat", "rate": RATE}, "loop"),
    EventCase("new_category", {"kind": "new_category", "column": "cat", "rate": RATE}, "loop"),
    EventCase("label_flip", {"kind": "label_flip", "rate": RATE}, "loop"),
    EventCase(
        "missing", {"kind": "missing", "features": ["f1"], "rate": RATE}, "loop", has_target=False
    ),
    EventCase(
        "typos", {"kind": "typos", "column": "cat", "rate": RATE, "density": DENSITY}, "loop"
    ),
    EventCase("prior_shift", {"kind": "prior_shift", "target": PRIOR_TARGET}, "loop"),
)


def run_inject(frame: pd.DataFrame, case: EventCase | None, lay: Layout, blocks: bool) -> Injection:
    """``inject`` one event (``None``: no event) into ``frame``."""
    events = case.events(lay, blocks) if case is not None else {}
    return inject(frame, events, seed=SEED, block_column="block" if blocks else None, target="y")


# --------------------------------------------------------------------------- (a) numpy baselines


def numpy_op(name: str, lay: Layout) -> Callable[[np.ndarray], None]:
    """The hand-written numpy expression of numeric event ``name`` on column array ``x``
    (in place), with the profile weights computed as ``inject`` computes them."""
    a, b = lay.a, lay.b

    def shift(x: np.ndarray) -> None:
        x[a:b] += lay.weights() * SHIFT

    def add(x: np.ndarray) -> None:
        x[a:b] += lay.weights() * ADD

    def scale(x: np.ndarray) -> None:
        ref = float(x[: lay.block_rows].mean())  # reference block 0, as inject's planner
        seg = x[a:b]
        seg[:] = ref + (seg - ref) * (1.0 + lay.weights() * (FACTOR_SCALE - 1.0))

    def noise(x: np.ndarray) -> None:
        rng = np.random.default_rng(0)
        x[a:b] += lay.weights() * NOISE * rng.standard_normal(lay.m)

    def multiply(x: np.ndarray) -> None:
        x[a:b] *= 1.0 + lay.weights() * (FACTOR_MULTIPLY - 1.0)

    def clip(x: np.ndarray) -> None:
        seg = x[a:b]
        seg += lay.weights() * (np.clip(seg, CLIP_LOW, CLIP_HIGH) - seg)

    def trend(x: np.ndarray) -> None:
        x[a:b] += SLOPE * np.arange(lay.m)

    def missing(x: np.ndarray) -> None:
        rng = np.random.default_rng(0)
        x[a:b][rng.random(lay.m) < RATE * lay.weights()] = np.nan

    ops: dict[str, Callable[[np.ndarray], None]] = {
        "shift": shift,
        "add": add,
        "scale": scale,
        "noise": noise,
        "multiply": multiply,
        "clip": clip,
        "trend": trend,
        "missing_f0": missing,
    }
    return ops[name]


def copy_then(op: Callable[[np.ndarray], None]) -> Callable[[pd.DataFrame], None]:
    """``op`` as a user returning a new frame would run it: copy the frame, change ``f0``."""

    def run(frame: pd.DataFrame) -> None:
        out = frame.copy()
        x = out["f0"].to_numpy(copy=True)
        op(x)
        out["f0"] = x

    return run


def agrees(case: EventCase, lay: Layout, frame: pd.DataFrame, injected: pd.DataFrame) -> bool:
    """True when the numpy baseline computes what ``inject`` computed (deterministic events:
    the same values up to rounding; ``noise``: the same noise std at full weight, +-2%;
    ``missing_f0``: the same share of missing values at full weight, within 4 standard
    errors, and the same values elsewhere)."""
    x = frame["f0"].to_numpy(copy=True)
    numpy_op(case.name, lay)(x)
    got = injected["f0"].to_numpy()
    full = slice(lay.a + lay.width, lay.b)  # the selected rows at full weight
    if case.name == "noise":
        old = frame["f0"].to_numpy()[full]
        ours, theirs = np.std(got[full] - old), np.std(x[full] - old)
        return bool(abs(ours / NOISE - 1.0) < 0.02 and abs(theirs / NOISE - 1.0) < 0.02)
    if case.name == "missing_f0":
        shares = np.isnan(got[full]).mean(), np.isnan(x[full]).mean()
        kept = ~np.isnan(got) & ~np.isnan(x)
        same = np.array_equal(got[kept], frame["f0"].to_numpy()[kept])
        # 4 binomial standard errors of the share (1.7% of it at full size)
        tol = 4.0 * np.sqrt((1.0 - RATE) / (RATE * (lay.b - lay.a - lay.width)))
        return bool(same and all(abs(share / RATE - 1.0) < tol for share in shares))
    return bool(np.allclose(got, x, rtol=1e-9, atol=1e-9))


# --------------------------------------------------------------------------- (b) loop baselines


@dataclass
class LoopInput:
    """Mutable Python copies of what a per-row loop touches, and the rows it visits.

    ``rows``: positions in the frame (an evenly spaced sample of the selection), ``w``: their
    profile weights, ``columns``: column name -> Python list of the whole column.
    """

    rows: list[int]
    w: list[float]
    columns: dict[str, Any]
    rng: np.random.Generator


class FrameColumn:
    """One column of a DataFrame seen as a list: ``col[i]`` reads and ``col[i] = v`` writes
    the cell with ``.iat``, as a per-row loop over a DataFrame does."""

    def __init__(self, frame: pd.DataFrame, name: str) -> None:
        self.frame = frame
        self.j = frame.columns.get_loc(name)

    def __getitem__(self, i: int) -> Any:
        return self.frame.iat[i, self.j]

    def __setitem__(self, i: int, value: Any) -> None:
        self.frame.iat[i, self.j] = value


def loop_category_flip(d: LoopInput) -> int:
    """Each row moves to another category (uniformly) with probability ``rate * w``."""
    vals, rng, k = d.columns["cat"], d.rng, len(CATEGORIES)
    code = {c: i for i, c in enumerate(CATEGORIES)}
    changed = 0
    for i, w in zip(d.rows, d.w, strict=True):
        if rng.random() < RATE * w:
            vals[i] = CATEGORIES[(code[vals[i]] + int(rng.integers(1, k))) % k]
            changed += 1
    return changed


def loop_new_category(d: LoopInput) -> int:
    """Each row takes the new value ``cat_new`` with probability ``rate * w``."""
    vals, rng = d.columns["cat"], d.rng
    changed = 0
    for i, w in zip(d.rows, d.w, strict=True):
        if rng.random() < RATE * w:
            vals[i] = "cat_new"
            changed += 1
    return changed


def loop_label_flip(d: LoopInput) -> int:
    """Each binary label flips with probability ``rate * w``."""
    y, rng = d.columns["y"], d.rng
    changed = 0
    for i, w in zip(d.rows, d.w, strict=True):
        if rng.random() < RATE * w:
            y[i] = 1 - y[i]
            changed += 1
    return changed


def loop_missing(d: LoopInput) -> int:
    """Each cell of ``f1`` becomes NaN with probability ``rate * w`` (MCAR)."""
    x, rng = d.columns["f1"], d.rng
    changed = 0
    for i, w in zip(d.rows, d.w, strict=True):
        if rng.random() < RATE * w and x[i] == x[i]:
            x[i] = math.nan
            changed += 1
    return changed


def typo(text: str, rng: np.random.Generator) -> str:
    """One typo row: each character edited with probability ``density`` and one chosen
    character always; an edit is a swap (not at the last character), delete, duplicate or
    replace (by another letter)."""
    n = len(text)
    forced = int(rng.random() * n)
    out: list[str] = []
    j = 0
    while j < n:
        ch = text[j]
        if j == forced or rng.random() < DENSITY:
            ops = TYPO_OPS if j < n - 1 else TYPO_OPS[1:]
            op = ops[int(rng.random() * len(ops))]
            if op == "swap":
                out += [text[j + 1], ch]
                j += 2
                continue
            if op == "duplicate":
                out += [ch, ch]
            elif op == "replace":
                others = ALPHABET.replace(ch, "")
                out.append(others[int(rng.random() * len(others))])
        else:
            out.append(ch)
        j += 1
    return "".join(out)


def loop_typos(d: LoopInput) -> int:
    """Each string becomes a typo row with probability ``rate * w``."""
    vals, rng = d.columns["cat"], d.rng
    changed = 0
    for i, w in zip(d.rows, d.w, strict=True):
        if rng.random() < RATE * w:
            new = typo(vals[i], rng)
            changed += new != vals[i]
            vals[i] = new
    return changed


def loop_prior_shift(d: LoopInput) -> int:
    """Move the visited rows' class shares toward ``PRIOR_TARGET``: each row of the surplus
    class is overwritten, with probability ``surplus share * w``, by a copy of a random row
    of the other class (every feature and the target, as ``prior_shift`` does)."""
    y, rng = d.columns["y"], d.rng
    ones = sum(y[i] for i in d.rows)
    n = len(d.rows)
    counts = {0: n - ones, 1: ones}
    want = {c: PRIOR_TARGET[c] * n for c in (0, 1)}
    surplus = max(counts, key=lambda c: counts[c] - want[c])
    share = (counts[surplus] - want[surplus]) / counts[surplus]
    donors = [i for i in d.rows if y[i] != surplus]
    columns = list(d.columns.values())
    changed = 0
    for i, w in zip(d.rows, d.w, strict=True):
        if y[i] == surplus and rng.random() < share * w:
            j = donors[int(rng.random() * len(donors))]
            for col in columns:
                col[i] = col[j]
            changed += 1
    return changed


LOOPS: dict[str, tuple[Callable[[LoopInput], int], tuple[str, ...]]] = {
    "category_flip": (loop_category_flip, ("cat",)),
    "new_category": (loop_new_category, ("cat",)),
    "label_flip": (loop_label_flip, ("y",)),
    "missing": (loop_missing, ("f1",)),
    "typos": (loop_typos, ("cat",)),
    "prior_shift": (
        loop_prior_shift,
        ("f0", "f1", "f2", "f3", "f4", "f5", "i0", "i1", "cat", "y"),
    ),
}


def loop_sample(lay: Layout, loop_rows: int) -> tuple[list[int], list[float]]:
    """An evenly spaced sample of ``loop_rows`` selected rows and their profile weights."""
    idx = np.linspace(0, lay.m - 1, min(loop_rows, lay.m)).round().astype(np.int64)
    return (idx + lay.a).tolist(), lay.weights()[idx].tolist()


# --------------------------------------------------------------------------- measuring


def kernel_case(frame: pd.DataFrame, injection: Injection, case: EventCase, lay: Layout) -> Case:
    """The event's own ``apply`` on the selected rows (a fresh copy of them each time),
    with the figures ``inject`` planned for it: the vectorised work alone."""
    ev: EventPlan = injection.plan.events[0]
    sub = frame.iloc[lay.a : lay.b].reset_index(drop=True)
    rows = np.arange(lay.m)
    weights = lay.weights() if case.gradual else np.ones(lay.m)

    def setup() -> pd.DataFrame:
        return sub.copy()

    def apply(part: pd.DataFrame) -> object:
        site = Site(0, 0, rows, None, np.random.SeedSequence(1))
        rng = np.random.default_rng(0)
        return ev.event.apply(part, rows, weights, rng, ev.prepared, site)

    return Case("kernel", apply, setup)


@dataclass(frozen=True)
class InjectionRow:
    """Every timing of one event (``baseline``: the numpy expression or the scaled loop)."""

    event: str
    group: str
    inject: Timing
    inject_no_blocks: Timing
    kernel: Timing
    baseline: Timing
    baseline_scale: float  # the loop ran on 1 / baseline_scale of the rows
    copy_baseline: Timing | None = None
    list_loop: Timing | None = None
    check: dict[str, Any] = field(default_factory=dict)
    has_target: bool = True

    @property
    def baseline_s(self) -> float:
        """Baseline seconds for the whole selection (the loop's time scaled linearly)."""
        return self.baseline.best * self.baseline_scale

    @property
    def ratio(self) -> float:
        """numeric: inject / (copy + numpy) (smaller is better); loop: DataFrame loop /
        inject (larger is better)."""
        if self.group == "numeric":
            assert self.copy_baseline is not None
            return self.inject.best / self.copy_baseline.best
        return self.baseline_s / self.inject.best

    @property
    def met(self) -> bool | None:
        """Whether the issue's target is met (``None``: the row is timed for comparison
        only)."""
        if not self.has_target:
            return None
        if self.group == "numeric":
            return self.ratio <= TARGET_NUMERIC
        return self.ratio >= TARGET_LOOP


def bench_event(
    case: EventCase,
    frame: pd.DataFrame,
    lay: Layout,
    repeats: int,
    loop_rows: int,
    base_lists: dict[str, list[Any]],
) -> InjectionRow:
    """Time one event: inject (with and without block column), its kernel and baseline."""
    first = run_inject(frame, case, lay, blocks=True)
    kernel = kernel_case(frame, first, case, lay)
    cases = [
        Case("inject", lambda f: run_inject(f, case, lay, True), lambda: frame),
        Case("inject_no_blocks", lambda f: run_inject(f, case, lay, False), lambda: frame),
        kernel,
    ]
    check: dict[str, Any] = {}
    scale = 1.0
    if case.group == "numeric":
        op = numpy_op(case.name, lay)
        column = frame["f0"].to_numpy()
        cases.append(Case("baseline", op, lambda: column.copy()))
        cases.append(Case("copy_baseline", copy_then(op), lambda: frame))
        check["same_result"] = agrees(case, lay, frame, first.frame)
    else:
        loop, touched = LOOPS[case.name]
        rows, w = loop_sample(lay, loop_rows)
        scale = lay.m / len(rows)

        def loop_setup() -> LoopInput:
            return LoopInput(
                rows, w, {c: list(base_lists[c]) for c in touched}, np.random.default_rng(0)
            )

        def frame_setup() -> LoopInput:
            out = frame.copy()
            return LoopInput(
                rows, w, {c: FrameColumn(out, c) for c in touched}, np.random.default_rng(0)
            )

        cases.append(Case("baseline", loop, frame_setup))
        cases.append(Case("list_loop", loop, loop_setup))
        changed = first.ground_truth[f"{case.name}__changed"].to_numpy()[rows]
        check["inject_changed_share"] = float(changed.mean())
        check["loop_changed_share"] = loop(loop_setup()) / len(rows)
    del first
    t = interleaved(cases, repeats)
    return InjectionRow(
        event=case.name,
        group=case.group,
        inject=t["inject"],
        inject_no_blocks=t["inject_no_blocks"],
        kernel=t["kernel"],
        baseline=t["baseline"],
        baseline_scale=scale,
        copy_baseline=t.get("copy_baseline"),
        list_loop=t.get("list_loop"),
        check=check,
        has_target=case.has_target,
    )


# --------------------------------------------------------------------------- report


@dataclass
class InjectionReport:
    """Everything one injection run measured."""

    mode: str
    machine: dict[str, Any]
    settings: dict[str, Any]
    load: dict[str, list[float]] = field(default_factory=dict)
    no_events: dict[str, Timing] = field(default_factory=dict)
    rows: list[InjectionRow] = field(default_factory=list)


def render(report: InjectionReport) -> str:
    """The report as Markdown tables."""
    m, s = report.machine, report.settings
    lines = [
        f"calmops-gen injection benchmark ({report.mode} mode) - {m['nproc']} cores, {m['cpu']}",
        "python {python}, numpy {numpy}, pandas {pandas}, pyarrow {pyarrow}, "
        "calmops-gen {calmops_gen}".format(**m),
        f"load average (1, 5, 15 min) at start {report.load.get('start')}, "
        f"at end {report.load.get('end')}",
        f"frame {s['rows']:,} rows x 10 columns + block; selection {s['selected']:,} rows; "
        f"best of {s['repeats']} interleaved rounds after a warm-up; seconds",
        "",
    ]
    if report.no_events:
        nb = report.no_events
        lines += [
            f"inject with no event: {nb['inject'].best:.3f} s with block_column, "
            f"{nb['inject_no_blocks'].best:.3f} s without",
            "",
        ]
    numeric = [r for r in report.rows if r.group == "numeric"]
    if numeric:
        lines += [
            "(a) numeric events vs a hand-written numpy implementation (copy + expression)",
            "",
            "| event | inject | inject, no block column | kernel | copy + numpy "
            "| inject / (copy + numpy) | target | met | numpy alone | inject / numpy "
            "| same result |",
            "|---|--:|--:|--:|--:|--:|--:|:-:|--:|--:|:-:|",
        ]
        for r in numeric:
            copy = f"{r.copy_baseline.best:.4f}" if r.copy_baseline else "-"
            same = "yes" if r.check.get("same_result") else "**no**"
            lines.append(
                f"| {r.event} | {r.inject.best:.3f} | {r.inject_no_blocks.best:.3f} "
                f"| {r.kernel.best:.4f} | {copy} | {r.ratio:,.1f}x "
                f"| <= {TARGET_NUMERIC:g}x | {VERDICT[r.met]} "
                f"| {r.baseline_s:.4f} | {r.inject.best / r.baseline_s:,.1f}x | {same} |"
            )
        lines.append("")
    loops = [r for r in report.rows if r.group == "loop"]
    if loops:
        lines += [
            f"(b) categorical and label events vs a per-row loop over the DataFrame (.iat, as "
            f"the seed did; timed on {s['loop_rows']:,} rows, scaled "
            f"x{s['selected'] / s['loop_rows']:g})",
            "",
            "| event | inject | inject, no block column | kernel | DataFrame loop (scaled) "
            "| loop / inject | target | met | list loop (scaled) | list loop / inject "
            "| changed share inject / loop |",
            "|---|--:|--:|--:|--:|--:|--:|:-:|--:|--:|--:|",
        ]
        for r in loops:
            share = f"{r.check['inject_changed_share']:.4f} / {r.check['loop_changed_share']:.4f}"
            lst = r.list_loop.best * r.baseline_scale if r.list_loop else float("nan")
            lines.append(
                f"| {r.event} | {r.inject.best:.3f} | {r.inject_no_blocks.best:.3f} "
                f"| {r.kernel.best:.4f} | {r.baseline_s:.3f} | {r.ratio:,.1f}x "
                f"| {f'>= {TARGET_LOOP:g}x' if r.has_target else 'none'} "
                f"| {VERDICT[r.met]} "
                f"| {lst:.3f} | {lst / r.inject.best:,.1f}x | {share} |"
            )
        lines.append("")
    held = [r.met for r in report.rows if r.met is not None]
    lines.append(f"targets met: {sum(held)} of {len(held)}")
    return "\n".join(lines)


def to_json(report: InjectionReport) -> dict[str, Any]:
    """The report as JSON-ready data (derived figures included)."""
    data = asdict(report)
    for row, raw in zip(report.rows, data["rows"], strict=True):
        raw.update(baseline_s=row.baseline_s, ratio=row.ratio, met=row.met)
    return stamp(data, "bench_injection.py")


def profile(name: str, frame: pd.DataFrame, lay: Layout, blocks: bool) -> str:
    """cProfile report of one ``inject`` call of event ``name`` (``none``: no event)."""
    case = None if name == "none" else next(c for c in EVENT_CASES if c.name == name)
    run_inject(frame, case, lay, blocks)
    prof = cProfile.Profile()
    prof.enable()
    run_inject(frame, case, lay, blocks)
    prof.disable()
    return stats_text(prof, 25, 40)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    names = [c.name for c in EVENT_CASES]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows, one repetition")
    parser.add_argument("--rows", type=int, help=f"frame rows (default {ROWS:,})")
    parser.add_argument("--repeats", type=int, help="interleaved rounds (default 5, quick 1)")
    parser.add_argument(
        "--loop-rows", type=int, help=f"rows the loops visit (default {LOOP_ROWS:,})"
    )
    parser.add_argument(
        "--only", action="append", choices=names, help="time only these events (repeatable)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "injection.json")
    parser.add_argument(
        "--profile",
        choices=[*names, "none"],
        help="print a cProfile report of one inject call instead of benchmarking",
    )
    parser.add_argument(
        "--no-blocks", action="store_true", help="with --profile: inject without block column"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the injection benchmark, print the tables and write the JSON results."""
    args = parse_args(argv)
    n = args.rows or (QUICK_ROWS if args.quick else ROWS)
    if n % N_BLOCKS:
        raise SystemExit(f"--rows must be a multiple of {N_BLOCKS}")
    lay = Layout(n)
    repeats = args.repeats or (1 if args.quick else 5)
    loop_rows = min(args.loop_rows or (QUICK_LOOP_ROWS if args.quick else LOOP_ROWS), lay.m)

    frame = make_frame(n)
    if args.profile:
        print(profile(args.profile, frame, lay, not args.no_blocks))
        return 0
    cases = [c for c in EVENT_CASES if not args.only or c.name in args.only]
    report = InjectionReport(
        mode="quick" if args.quick else "full",
        machine=machine(),
        settings={
            "rows": n,
            "selected": lay.m,
            "ramp_width": lay.width,
            "loop_rows": loop_rows,
            "repeats": repeats,
            "seed": SEED,
        },
        load={"start": _loadavg()},
    )
    start = time.perf_counter()
    log(f"injection: {n} rows, {len(cases)} events, {repeats} rounds")
    report.no_events = interleaved(
        [
            Case("inject", lambda f: run_inject(f, None, lay, True), lambda: frame),
            Case("inject_no_blocks", lambda f: run_inject(f, None, lay, False), lambda: frame),
        ],
        repeats,
    )
    log(f"  no event: {report.no_events['inject'].best:.3f}s")
    needed = sorted({c for case in cases if case.group == "loop" for c in LOOPS[case.name][1]})
    base_lists = {c: frame[c].to_numpy(dtype=object).tolist() for c in needed}
    for case in cases:
        row = bench_event(case, frame, lay, repeats, loop_rows, base_lists)
        report.rows.append(row)
        log(
            f"  {case.name:14s} inject {row.inject.best:7.3f}s  baseline {row.baseline_s:8.4f}s"
            f"  ratio {row.ratio:8.1f}x  {({True: 'met', False: 'MISSED'}).get(row.met, '')}"
        )
    report.load["end"] = _loadavg()
    log(f"done in {time.perf_counter() - start:.0f}s")
    publish(render(report), to_json(report), args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
