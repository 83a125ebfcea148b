"""The vectorised numpy engine against river, the reference.

* Labels: river's own features fed to our numpy labelling rule give river's labels exactly
  (100% agreement at zero noise) for SEA variants 0-3 and Agrawal functions 0-9, with and
  without class balancing; the same for every registered concept generator through its
  ``label()`` hook.
* Agrawal perturbation moves features after labelling (river's design), so labels with
  perturbation equal the labels of the unperturbed draw.
* ``balance_classes`` alternates 1, 0, 1, 0, ... in both engines.
* Feature distributions of the two engines agree (two-sample KS, n=5000, p > 0.001; the
  samples are seeded, so the p-values are fixed numbers, not flaky draws).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from river.datasets import synth
from scipy import stats

from calmops_gen.engine import produce_block
from calmops_gen.generators import GENERATORS, ConceptGenerator
from calmops_gen.generators.agrawal import FEATURES, agrawal_label
from calmops_gen.generators.sea import sea_label
from calmops_gen.plan import build_plan
from calmops_gen.scenario import load_scenario

N = 2000
KS_N = 5000
KS_P_MIN = 0.001


def _river_columns(dataset: Any, n: int) -> tuple[dict[Any, np.ndarray], np.ndarray]:
    rows = list(itertools.islice(iter(dataset), n))
    keys = list(rows[0][0])
    cols = {k: np.array([x[k] for x, _ in rows]) for k in keys}
    return cols, np.array([y for _, y in rows])


def _engine_frame(kind: str, engine: str, params: dict[str, Any], n: int, seed: int):
    sc = {
        "name": "engines",
        "seed": seed,
        "generator": {"kind": kind, "engine": engine, "params": params},
        "schedule": {"blocks": 1, "rows_per_block": n},
    }
    return produce_block(build_plan(load_scenario(sc)), 0).data


# --------------------------------------------------------------------------------------------
# Labels: river's features through our numpy rule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [0, 1, 2, 3])
@pytest.mark.parametrize("seed", [1, 2024])
def test_sea_label_agrees_with_river(variant: int, seed: int) -> None:
    cols, y = _river_columns(synth.SEA(variant=variant, noise=0.0, seed=seed), N)
    ours = sea_label(cols[0], cols[1], variant)
    assert ours.dtype == np.bool_
    assert np.array_equal(ours, y.astype(bool)), f"{np.sum(ours != y)} of {N} labels differ"
    assert 0.05 < y.mean() < 0.95  # both classes present: the comparison is not vacuous


@pytest.mark.parametrize("function", range(10))
@pytest.mark.parametrize("balance", [False, True])
def test_agrawal_label_agrees_with_river(function: int, balance: bool) -> None:
    dataset = synth.Agrawal(
        classification_function=function, seed=100 + function, balance_classes=balance
    )
    n = 600 if balance else N  # balancing rejects rows: function 9 has ~0.2% positives
    cols, y = _river_columns(dataset, n)
    ours = agrawal_label({k: cols[k] for k in FEATURES}, function)
    assert np.array_equal(ours, y), f"{np.sum(ours != y)} of {n} labels differ"
    if balance:
        assert y[0::2].tolist() == [1] * len(y[0::2])
        assert y[1::2].tolist() == [0] * len(y[1::2])


@dataclass(frozen=True)
class LabelCase:
    """How a generator's ``label()`` hook relates to river's target.

    ``exact``: at these (zero-noise) parameters label() reproduces river's labels exactly;
    ``gaussian``: a regression target, river's ``y`` = label() + N(0, 1) noise;
    ``none``: no deterministic rule (label() raises NotImplementedError).
    """

    mode: str
    params: dict[str, Any] = field(default_factory=dict)


LABEL_CASES: dict[str, LabelCase] = {
    "sea": LabelCase("exact", {"variant": 3, "noise": 0.0}),
    "agrawal": LabelCase("exact", {"classification_function": 8}),
    "led": LabelCase("exact", {"noise_percentage": 0.0, "irrelevant_features": True}),
    "led_drift": LabelCase(
        "exact", {"noise_percentage": 0.0, "irrelevant_features": True, "n_drift_features": 3}
    ),
    "logical": LabelCase("exact", {"n_tiles": 3}),
    "mixed": LabelCase("exact", {"classification_function": 1}),
    "sine": LabelCase("exact", {"classification_function": 2, "has_noise": True}),
    "stagger": LabelCase("exact", {"classification_function": 1}),
    "hyperplane": LabelCase(
        "exact",
        {"n_features": 5, "n_drift_features": 2, "mag_change": 0.01, "noise_percentage": 0.0},
    ),
    "mv": LabelCase("exact"),
    "random_tree": LabelCase("exact", {"n_num_features": 3, "n_cat_features": 3}),
    "friedman": LabelCase("gaussian"),
    "friedman_drift": LabelCase("gaussian", {"drift_type": "lea", "position": [300, 900, 1500]}),
    "planes2d": LabelCase("gaussian"),
    "waveform": LabelCase("none"),  # class drawn first, features a noisy mixture
    "random_rbf": LabelCase("none"),  # class of a randomly picked centroid
    "random_rbf_drift": LabelCase("none"),
    "anomaly_sine": LabelCase("none"),  # anomalies drawn at random positions
}

CONCEPT_KINDS = [
    kind
    for kind, cls in GENERATORS.items()
    if isinstance(cls, type) and issubclass(cls, ConceptGenerator) and "river" in cls.engines
]


@pytest.mark.parametrize("kind", CONCEPT_KINDS)
def test_every_concept_generator_labels_like_river(kind: str) -> None:
    """Registry-driven: river engine's own rows, relabelled by our label() hook, agree."""
    if kind not in LABEL_CASES:
        pytest.fail(
            f"generator {kind!r} has a river engine but no entry in LABEL_CASES "
            "(tests/test_engine_agreement.py): say how its label() relates to river's target",
            pytrace=False,
        )
    case = LABEL_CASES[kind]
    cls = GENERATORS.get(kind, "kind")
    if case.mode == "none":
        params = cls.Params(**case.params)
        with pytest.raises(NotImplementedError):
            cls(params, "numpy").label(params, {}, np.arange(0))
        return
    sc = {
        "name": "labels",
        "seed": 5,
        "generator": {"kind": kind, "engine": "river", "params": case.params},
        "schedule": {"blocks": 2, "rows_per_block": 1000},
    }
    plan = build_plan(load_scenario(sc))
    gen = plan.generator
    targets = [c.name for c in gen.columns() if c.role == "target"]
    for index, block in enumerate(plan.blocks):
        frame = produce_block(plan, index).data
        features = {c.name: frame[c.name].to_numpy() for c in gen.columns() if c.role == "feature"}
        concept = plan.timeline.concepts[block.concepts[0]]
        rows = np.arange(block.row_start, block.row_stop)
        ours = np.asarray(gen.label(concept, features, rows))
        theirs = frame[targets].to_numpy()
        ours = ours.reshape(theirs.shape)
        if case.mode == "exact":
            assert np.array_equal(ours.astype(theirs.dtype), theirs), (
                f"{kind} block {index}: {np.sum(ours != theirs)} of {theirs.size} labels differ"
            )
            assert len(np.unique(theirs)) >= 2  # not vacuous
        else:
            resid = (theirs - ours).ravel()
            resid = resid[~np.isnan(resid)]
            # N(0, 1) noise, n ~ 1000: mean within 5/sqrt(n), std within 5 * 1/sqrt(2n)
            n = len(resid)
            assert n > 900
            assert abs(resid.mean()) < 5 / np.sqrt(n), f"{kind}: mean {resid.mean():.3f}"
            assert abs(resid.std() - 1.0) < 5 / np.sqrt(2 * n), f"{kind}: std {resid.std():.3f}"


# --------------------------------------------------------------------------------------------
# Agrawal perturbation and class balancing in the numpy engine
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [0, 2, 5, 9])
@pytest.mark.parametrize("perturbation", [0.05, 0.3])
def test_agrawal_perturbation_moves_features_not_labels(function: int, perturbation: float) -> None:
    plain = _engine_frame("agrawal", "numpy", {"classification_function": function}, N, 8)
    moved = _engine_frame(
        "agrawal",
        "numpy",
        {"classification_function": function, "perturbation": perturbation},
        N,
        8,
    )
    # labels follow the unperturbed features, exactly
    truth = agrawal_label({k: plain[k].to_numpy() for k in FEATURES}, function)
    assert np.array_equal(plain["y"].to_numpy(), truth)
    assert np.array_equal(moved["y"].to_numpy(), truth)
    # nominal features and the car are never perturbed
    for col in ("elevel", "car", "zipcode"):
        assert np.array_equal(moved[col].to_numpy(), plain[col].to_numpy()), col
    # numeric features move by at most range * perturbation, and stay within river's bounds
    for col, span, lo, hi in (
        ("salary", 130000, 20000, 150000),
        ("loan", 500000, 0, 500000),
        ("age", 60, 20, 80),
        ("hyears", 29, 1, 30),
    ):
        delta = np.abs(moved[col].to_numpy() - plain[col].to_numpy())
        assert delta.max() <= span * perturbation + 0.5 + 1e-6, col  # +0.5: rounding of ints
        assert moved[col].min() >= lo and moved[col].max() <= hi, col
        assert (delta > 0).mean() > 0.5, f"{col} was not perturbed"
    assert moved["age"].dtype == np.int64 and moved["hyears"].dtype == np.int64


@pytest.mark.parametrize("function", range(10))
@pytest.mark.parametrize("engine", ["numpy", "river"])
def test_balance_classes_alternates(function: int, engine: str) -> None:
    n = 301
    frame = _engine_frame(
        "agrawal", engine, {"classification_function": function, "balance_classes": True}, n, 5
    )
    y = frame["y"].to_numpy()
    assert y.tolist() == [1, 0] * (n // 2) + [1]
    assert int(y.sum()) == (n + 1) // 2
    # the balanced rows are still correctly labelled rows of the concept
    assert np.array_equal(agrawal_label({k: frame[k].to_numpy() for k in FEATURES}, function), y)


# --------------------------------------------------------------------------------------------
# Distributions: numpy engine vs river engine
# --------------------------------------------------------------------------------------------

DIST_CASES = [
    pytest.param("sea", {"variant": 1}, ["x0", "x1", "x2"], id="sea"),
    pytest.param(
        "agrawal",
        {"classification_function": 1, "perturbation": 0.0},
        list(FEATURES),
        id="agrawal-p0",
    ),
    pytest.param(
        "agrawal",
        {"classification_function": 1, "perturbation": 0.1},
        list(FEATURES),
        id="agrawal-p0.1",
    ),
]


@pytest.mark.parametrize(("kind", "params", "features"), DIST_CASES)
def test_numpy_and_river_feature_distributions_agree(
    kind: str, params: dict[str, Any], features: list[str]
) -> None:
    a = _engine_frame(kind, "numpy", params, KS_N, 11)
    b = _engine_frame(kind, "river", params, KS_N, 11)
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.equals(b.dtypes)
    for col in features:
        result = stats.ks_2samp(a[col].to_numpy(), b[col].to_numpy())
        # same distribution -> p is uniform; seeded samples make this a fixed number
        assert result.pvalue > KS_P_MIN, f"{kind} {col}: KS p={result.pvalue:.2g}"
    # class balance: two-proportion z-test, 4 sigma
    pa_, pb = a["y"].mean(), b["y"].mean()
    pooled = (pa_ + pb) / 2
    se = np.sqrt(2 * pooled * (1 - pooled) / KS_N)
    assert abs(pa_ - pb) < 4 * se, f"positive rate numpy {pa_:.3f} vs river {pb:.3f}"


@pytest.mark.parametrize("engine", ["numpy", "river"])
def test_balance_classes_one_row_block(engine: str) -> None:
    """A one-row balanced Agrawal block is river's first balanced row: class 1 (the numpy
    engine crashed with "need at least one array to concatenate")."""
    frame = _engine_frame("agrawal", engine, {"balance_classes": True}, 1, 5)
    assert frame["y"].tolist() == [1]
    assert agrawal_label({k: frame[k].to_numpy() for k in FEATURES}, 0).tolist() == [1]
