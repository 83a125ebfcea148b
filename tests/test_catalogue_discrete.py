"""numpy vs river engines for the discrete-concept catalogue generators.

stagger, sine, mixed, led, led_drift, waveform, logical, anomaly_sine: labels from river's own
features, feature distributions (KS, n=20,000), class balance, schema, pinned model seeds,
parameter validation and, for the stateful anomaly_sine, block-split invariance.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from calmops_gen import load_scenario, read_frame, run
from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS, ConceptGenerator, Draw
from calmops_gen.generators.base import numpy_dtype, river_columns
from calmops_gen.generators.led import led_drift_permutation
from calmops_gen.seeding import SeedTree

N_KS = 20_000
N_LABEL = 3_000


def make(kind: str, engine: str = "numpy", **params: Any) -> tuple[ConceptGenerator, Any]:
    cls = GENERATORS.get(kind, "generator.kind")
    p = cls.Params(**params)
    gen = cls(p, engine)
    assert isinstance(gen, ConceptGenerator)
    return gen, p


def river_rows(gen: ConceptGenerator, params: Any, n: int, seed: int) -> dict[str, np.ndarray]:
    return river_columns(gen.river_dataset(params, seed), n, gen.river_names())


def engine_frame(kind: str, engine: str, params: dict[str, Any], seed: int) -> pd.DataFrame:
    gen, p = make(kind, engine, **params)
    seq = SeedTree(seed).concept(0, 0)
    frame = gen.sample(p, Draw(np.arange(N_KS), SeedTree.rng(seq)), seq)
    cols = gen.columns()
    assert list(frame.columns) == [c.name for c in cols]
    assert [str(t) for t in frame.dtypes] == [numpy_dtype(c.dtype) for c in cols]
    assert len(frame) == N_KS
    return frame


# --- (1) engine agreement: the numpy labelling rule on river's features ------------------

LABEL_CASES = [
    *[("stagger", {"classification_function": f, "balance_classes": b}) for f in range(3)
      for b in (False, True)],
    *[("sine", {"classification_function": f, "balance_classes": b, "has_noise": f % 2 == 0})
      for f in range(4) for b in (False, True)],
    *[("mixed", {"classification_function": f, "balance_classes": b}) for f in range(2)
      for b in (False, True)],
    ("led", {"irrelevant_features": False}),
    ("led", {"irrelevant_features": True}),
    ("led_drift", {"irrelevant_features": True, "n_drift_features": 0, "seed": 4}),
    ("led_drift", {"irrelevant_features": True, "n_drift_features": 3, "seed": 5}),
    ("led_drift", {"irrelevant_features": True, "n_drift_features": 7, "seed": 6}),
    ("led_drift", {"irrelevant_features": False, "n_drift_features": 5, "seed": 7}),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "params"), LABEL_CASES)
def test_label_matches_river(kind: str, params: dict[str, Any]) -> None:
    gen, p = make(kind, **params)
    cols = river_rows(gen, p, N_LABEL, seed=11)
    y = cols.pop("y")
    assert len(y) == N_LABEL
    np.testing.assert_array_equal(gen.label(p, cols, np.arange(N_LABEL)), y)
    if params.get("balance_classes"):
        mine = gen.sample_numpy(p, Draw(np.arange(N_LABEL), np.random.default_rng(3)))
        expected = np.arange(N_LABEL) % 2 == 0
        np.testing.assert_array_equal(y == 1, expected)  # river alternates 1, 0, 1, ...
        np.testing.assert_array_equal(mine["y"] == 1, expected)
        # and the numpy rows satisfy their own labels
        feats = {k: v for k, v in mine.items() if k != "y"}
        np.testing.assert_array_equal(gen.label(p, feats, np.arange(N_LABEL)), mine["y"])


def test_led_label_is_nearest_digit_under_noise() -> None:
    gen, p = make("led", noise_percentage=0.1)
    cols = river_rows(gen, p, N_LABEL, seed=2)
    y = cols.pop("y")
    agree = float(np.mean(gen.label(p, cols, np.arange(N_LABEL)) == y))
    # Bayes rate of the 7-segment LED at 9% effective inversion: about 0.75
    assert 0.68 < agree < 0.82


@pytest.mark.parametrize(("n_tiles", "shuffle"), [(1, True), (3, True), (2, False)])
def test_logical_targets_match_river(n_tiles: int, shuffle: bool) -> None:
    gen, p = make("logical", "river", n_tiles=n_tiles, shuffle=shuffle)
    seq = SeedTree(1).concept(0, 0)
    frame = gen.sample(p, Draw(np.arange(N_LABEL), SeedTree.rng(seq)), seq)
    feats = {c: frame[c].to_numpy() for c in ("A", "B")}
    np.testing.assert_array_equal(
        gen.label(p, feats, np.arange(N_LABEL)), frame[["OR", "XOR", "AND"]].to_numpy()
    )


# --- (2) + (3) distributions, class balance, schema ---------------------------------------

KS_CASES = [
    ("stagger", {"classification_function": 0}),
    ("stagger", {"classification_function": 1, "balance_classes": True}),
    ("sine", {"classification_function": 0, "has_noise": True}),
    ("sine", {"classification_function": 3, "balance_classes": True}),
    ("mixed", {"classification_function": 0}),
    ("mixed", {"classification_function": 1, "balance_classes": True}),
    ("led", {"noise_percentage": 0.1}),
    ("led", {"noise_percentage": 0.3, "irrelevant_features": True}),
    ("led_drift", {"noise_percentage": 0.1, "irrelevant_features": True, "n_drift_features": 4,
                   "seed": 9}),
    ("waveform", {}),
    ("waveform", {"has_noise": True}),
    ("logical", {"n_tiles": 1}),
    ("logical", {"n_tiles": 7, "shuffle": True}),
    ("anomaly_sine", {"n_samples": 5000, "n_anomalies": 500, "contextual": True,
                      "n_contextual": 300, "seed": 3}),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "params"), KS_CASES)
def test_distributions_match_river(kind: str, params: dict[str, Any]) -> None:
    mine = engine_frame(kind, "numpy", params, seed=21)
    ref = engine_frame(kind, "river", params, seed=22)
    gen, p = make(kind, **params)
    # class shares of the numpy engine, precisely (400,000 rows), for the balance check
    big = gen.sample_numpy(p, Draw(np.arange(400_000), np.random.default_rng(23)))
    for col in gen.columns():
        a, b = mine[col.name].to_numpy(float), ref[col.name].to_numpy(float)
        if col.role == "feature":
            pvalue = ks_2samp(a, b).pvalue
            assert pvalue > 0.001, f"{kind} {col.name}: KS p={pvalue:.2g}"
            continue
        for cls in gen.classes() or ():
            share = float(np.mean(big[col.name] == cls))
            for engine, v in (("numpy", a), ("river", b)):
                assert abs(np.mean(v == float(cls)) - share) < 0.01, f"{engine} {col.name}={cls}"
    if kind == "waveform":  # no labelling rule: compare the features given the class
        for cls, feat in itertools.product((0, 1, 2), ("x3", "x6", "x10", "x14", "x17")):
            p = ks_2samp(mine[feat][mine.y == cls], ref[feat][ref.y == cls]).pvalue
            assert p > 0.001, f"waveform {feat} | y={cls}: KS p={p:.2g}"


def test_roles_and_classes() -> None:
    expect = {
        "stagger": ((0, 1), {"size", "color", "shape"}),
        "sine": ((0, 1), set()),
        "mixed": ((0, 1), {"x0", "x1"}),
        "led": (tuple(range(10)), {f"x{i}" for i in range(7)}),
        "led_drift": (tuple(range(10)), {f"x{i}" for i in range(7)}),
        "waveform": ((0, 1, 2), set()),
        "logical": ((0, 1), {"A", "B"}),
        "anomaly_sine": ((False, True), set()),
    }
    for kind, (classes, nominal) in expect.items():
        gen, _ = make(kind)
        assert gen.classes() == classes
        assert {c.name for c in gen.columns() if c.nominal} == nominal, kind
        targets = [c.name for c in gen.columns() if c.role == "target"]
        assert targets == (["OR", "XOR", "AND"] if kind == "logical" else ["y"])


# --- (4) pinned model seeds -> one concept under both engines -------------------------------


@pytest.mark.parametrize("n_drift", [1, 4, 7])
def test_led_drift_permutation_is_rivers(n_drift: int) -> None:
    from river.datasets import synth

    for seed in (0, 1, 12345):
        dataset = synth.LEDDrift(seed=seed, irrelevant_features=True, n_drift_features=n_drift)
        next(iter(dataset))
        perm = led_drift_permutation(seed, True, n_drift)
        assert perm.tolist() == dataset._attr_idx
        assert sorted(perm.tolist()) == list(range(24))
        assert int(np.sum(perm != np.arange(24))) == 2 * n_drift


def test_led_drift_river_engine_keeps_concept_across_blocks() -> None:
    gen, p = make("led_drift", "river", irrelevant_features=True, n_drift_features=3, seed=8)
    a = river_rows(gen, p, 500, seed=1)
    b = river_rows(gen, p, 500, seed=2)
    assert not all(np.array_equal(a[k], b[k]) for k in a)  # rows come from the block seed
    for cols in (a, b):  # ... the concept (permutation) from the model seed
        y = cols.pop("y")
        np.testing.assert_array_equal(gen.label(p, cols, np.arange(500)), y)


ANOMALY_CASES = [
    {"n_samples": 700, "n_anomalies": 70, "seed": 1},
    {"n_samples": 700, "n_anomalies": 70, "contextual": True, "n_contextual": 40, "seed": 2},
    {"n_samples": 700, "n_anomalies": 300, "contextual": True, "n_contextual": 600, "shift": -7,
     "replace": False, "noise": 0.1, "seed": 3},
]  # fmt: skip


@pytest.mark.parametrize("params", ANOMALY_CASES)
def test_anomaly_sine_engines_identical(params: dict[str, Any]) -> None:
    """Same model seed: both engines give the very same series, across episodes too."""
    frames = []
    for engine in ("numpy", "river"):
        gen, p = make("anomaly_sine", engine, **params)
        rows = np.arange(650, 2000)  # starts near the end of episode 0, spans three
        draw = Draw(rows, np.random.default_rng(0))
        frames.append(gen.sample(p, draw, np.random.SeedSequence(0)))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    from river.datasets import synth

    first = list(synth.AnomalySine(**params).take(700))
    assert frames[0].y.iloc[:50].tolist() == [y for _, y in first[650:]]
    assert frames[0].y.sum() > 0


# --- (5) out-of-range parameters -------------------------------------------------------------

BAD = [
    ("stagger", {"classification_function": 3}, "classification_function"),
    ("sine", {"classification_function": -1}, "classification_function"),
    ("mixed", {"classification_function": 2}, "classification_function"),
    ("led", {"noise_percentage": 1.5}, "noise_percentage"),
    ("led_drift", {"n_drift_features": 8}, "n_drift_features"),
    ("led_drift", {"n_drift_features": -1}, "n_drift_features"),
    ("waveform", {"has_noise": "maybe"}, "has_noise"),
    ("logical", {"n_tiles": 0}, "n_tiles"),
    ("anomaly_sine", {"n_samples": 10, "n_anomalies": 11}, "n_anomalies"),
    ("anomaly_sine", {"n_anomalies": 0}, "n_anomalies"),
    # the default n_anomalies (2500) is checked too: river would fail with a traceback
    ("anomaly_sine", {"n_samples": 100}, "n_anomalies"),
    ("anomaly_sine", {"n_samples": 100, "n_anomalies": 5, "contextual": True}, "n_contextual"),
    ("anomaly_sine", {"n_samples": 10, "n_anomalies": 2, "contextual": True, "shift": 10},
     "shift"),
    # the default shift (4) against a smaller n_samples
    ("anomaly_sine", {"n_samples": 4, "n_anomalies": 1, "contextual": True, "n_contextual": 1},
     "shift"),
    ("anomaly_sine", {"n_samples": 10, "n_anomalies": 2, "contextual": True, "n_contextual": 11},
     "n_contextual"),
    ("anomaly_sine", {"n_samples": 10, "n_anomalies": 2, "contextual": True, "n_contextual": 8,
                      "replace": False}, "n_contextual"),
    ("anomaly_sine", {"noise": -0.1}, "noise"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "params", "name"), BAD)
def test_out_of_range_params(kind: str, params: dict[str, Any], name: str) -> None:
    scenario = {
        "name": "t",
        "generator": {"kind": kind, "params": params},
        "schedule": {"rows_per_block": 100},
    }
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario)
    assert f"generator.params.{name}" in str(err.value)


def test_in_range_edge_params_load() -> None:
    for kind, params in [
        ("led_drift", {"n_drift_features": 7}),
        ("anomaly_sine", {"n_samples": 10, "n_anomalies": 10, "contextual": True,
                          "n_contextual": 6, "replace": False}),
        ("anomaly_sine", {"n_samples": 10, "n_anomalies": 2, "n_contextual": 50}),
    ]:  # fmt: skip
        sc = load_scenario({"name": "t", "generator": {"kind": kind, "params": params}})
        validated = GENERATORS.get(kind, "generator.kind").Params(**sc.generator.params)
        assert {k: getattr(validated, k) for k in params} == params


# --- (6) stateful: block split invariance; whole runs ----------------------------------------


def _run(tmp: Path, name: str, kind: str, engine: str, params: dict[str, Any], **sched: Any) -> Any:
    scenario = {
        "name": name,
        "seed": 5,
        "generator": {"kind": kind, "engine": engine, "params": params},
        "schedule": sched,
    }
    return read_frame(run(scenario, root=tmp)).drop(columns="block")


def test_anomaly_sine_block_split_invariant(tmp_path: Path) -> None:
    params = {"n_samples": 900, "n_anomalies": 90, "contextual": True, "n_contextual": 30}
    one = _run(tmp_path, "one", "anomaly_sine", "numpy", params, blocks=1, rows_per_block=2000)
    four = _run(tmp_path, "four", "anomaly_sine", "numpy", params, sizes=[300, 700, 450, 550])
    river = _run(tmp_path, "riv", "anomaly_sine", "river", params, sizes=[300, 700, 450, 550])
    pd.testing.assert_frame_equal(one, four)
    pd.testing.assert_frame_equal(one, river)


def test_logical_passes(tmp_path: Path) -> None:
    """Every full pass of 4 n_tiles rows holds each input pattern n_tiles times (both
    engines); unshuffled, both engines cycle the truth table in river's order."""
    for engine in ("numpy", "river"):
        frame = _run(tmp_path, f"l{engine}", "logical", engine, {"n_tiles": 3},
                     blocks=2, rows_per_block=240)  # fmt: skip
        code = (2 * frame.A + frame.B).to_numpy().reshape(-1, 12)
        for cls in range(4):
            assert np.all(np.sum(code == cls, axis=1) == 3)
        assert len({tuple(r) for r in code}) > 1  # shuffled
    plain = [
        _run(tmp_path, f"p{e}", "logical", e, {"shuffle": False}, blocks=2, rows_per_block=10)
        for e in ("numpy", "river")
    ]
    pd.testing.assert_frame_equal(plain[0], plain[1])
    assert (2 * plain[0].A + plain[0].B).tolist()[:6] == [0, 1, 2, 3, 0, 1]


@pytest.mark.parametrize(
    ("kind", "params", "block_params"),
    [
        ("stagger", {}, {1: {"classification_function": 2}}),
        ("sine", {"has_noise": True}, {1: {"classification_function": 2}}),
        ("mixed", {"balance_classes": True}, {1: {"classification_function": 1}}),
        ("led", {"irrelevant_features": True, "noise_percentage": 0.1}, {}),
        ("led_drift", {"irrelevant_features": True, "n_drift_features": 2},
         {1: {"n_drift_features": 6}}),
        ("waveform", {"has_noise": True}, {}),
    ],
)  # fmt: skip
def test_scenarios_run(
    tmp_path: Path, kind: str, params: dict[str, Any], block_params: dict[int, Any]
) -> None:
    gen, _ = make(kind, **params)
    frames = [
        _run(tmp_path, f"s{e}", kind, e, params, blocks=2, rows_per_block=300,
             block_params=block_params, transition={"kind": "gradual", "width": 100})
        for e in ("numpy", "river")
    ]  # fmt: skip
    for frame in frames:
        assert list(frame.columns) == [c.name for c in gen.columns()]
        assert len(frame) == 600
    if block_params and kind != "led_drift":  # (led_drift's seed is planner-filled)
        # the second concept labels the rows past the transition
        _, second = make(kind, **{**params, **block_params[1]})
        tail = frames[0].iloc[450:]
        feats = {c: tail[c].to_numpy() for c in tail.columns if c != "y"}
        np.testing.assert_array_equal(gen.label(second, feats, tail.index.to_numpy()), tail.y)


# --- (7) balancing tiny segments ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["agrawal", "sine", "mixed", "stagger"])
@pytest.mark.parametrize("engine", ["numpy", "river"])
@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_balance_classes_in_segments_of_a_few_rows(kind: str, engine: str, n: int) -> None:
    """river's balance_classes starts with class 1 and alternates; a one-row segment is one
    row of class 1 (Agrawal's numpy engine crashed: no class-0 rows to concatenate) and an
    empty segment is empty, with the declared columns."""
    gen, p = make(kind, engine, balance_classes=True)
    seq = SeedTree(3).concept(0, 0)
    frame = gen.sample(p, Draw(np.arange(10, 10 + n), SeedTree.rng(seq)), seq)
    assert list(frame.columns) == [c.name for c in gen.columns()]
    assert [str(t) for t in frame.dtypes] == [numpy_dtype(c.dtype) for c in gen.columns()]
    assert frame["y"].tolist() == [1, 0, 1][:n]
    feats = {c: frame[c].to_numpy() for c in frame.columns if c != "y"}
    assert gen.label(p, feats, np.arange(n)).tolist() == [1, 0, 1][:n]


@pytest.mark.parametrize("kind", ["sea", "agrawal", "stagger", "led", "waveform"])
@pytest.mark.parametrize("engine", ["numpy", "river"])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_generator_balance_in_segments_of_a_few_rows(kind: str, engine: str, n: int) -> None:
    """generator.balance: the first n % k classes get one row more, so a one-row segment is
    one row of the first class; an empty segment is empty (pandas refused to concatenate no
    rows)."""
    cls = GENERATORS.get(kind, "generator.kind")
    p = cls.Params()
    gen = cls(p, engine, balance=True)
    seq = SeedTree(3).concept(0, 0)
    frame = gen.sample(p, Draw(np.arange(n), SeedTree.rng(seq)), seq)
    assert list(frame.columns) == [c.name for c in gen.columns()]
    classes = gen.classes()
    assert classes is not None
    counts = frame["y"].value_counts()
    expect = {c: n // len(classes) + (i < n % len(classes)) for i, c in enumerate(classes)}
    assert {c: int(counts.get(c, 0)) for c in classes} == expect
