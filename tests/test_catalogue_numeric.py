"""Numeric river generators: hyperplane, random_rbf, random_rbf_drift, random_tree, friedman,
friedman_drift, planes2d and mv (numpy engine against river, the reference).

1. Engine agreement: river's own rows (fixed seeds, pinned model seeds) fed to our rules give
   river's labels exactly (classification, zero noise) and river's targets to 1e-9
   (regression, after taking off river's noise, replayed from river's seed). RandomRBF has no
   labelling rule (the class is the centroid drawn), so river's draws are replayed through
   the numpy transform instead: same centroid, same class, same point.
2. Distributions: KS per feature, numpy engine vs river engine (n = 20,000 river rows,
   seeded), p > 0.001; class shares within 1 percentage point.
3. Columns, dtypes and roles: equal between engines, to ``columns()`` and to the manifest.
4. A pinned model seed gives river's very concept (weights, centroids, speeds, tree).
5. Out-of-range parameters fail with a ScenarioError naming ``generator.params.<name>``.
6. Stateful generators: the concept at a row depends on the global row only, not on how the
   rows are cut into blocks (4 blocks vs 1), and every block continues the stream.
7. Incremental transitions (hyperplane, random_rbf, random_rbf_drift) run, and the concept
   moves monotonically from the source to the target.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import tracemalloc
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from river.datasets import synth
from scipy import stats

import calmops_gen as cg
from calmops_gen.engine import produce_block
from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS, ConceptGenerator, Draw
from calmops_gen.generators.base import STRING_DTYPE, numpy_dtype
from calmops_gen.generators.friedman import FriedmanDriftParams, drift_target, friedman
from calmops_gen.generators.hyperplane import (
    CHUNK,
    HyperplaneParams,
    chunk_uniforms,
    hyperplane_label,
    initial_weights,
    numpy_weights,
    river_weights,
    start_state,
    walk,
)
from calmops_gen.generators.planes2d import planes2d_target
from calmops_gen.generators.random_rbf import (
    RandomRBFDrift,
    RandomRBFDriftParams,
    RandomRBFParams,
    bounce,
    pick_centroids,
    rbf_model,
    rbf_transform,
)
from calmops_gen.generators.random_tree import RandomTreeParams, expected_tree_size, tree_model
from calmops_gen.plan import build_plan
from calmops_gen.scenario import load_scenario
from calmops_gen.seeding import SeedTree

KINDS = (
    "hyperplane",
    "random_rbf",
    "random_rbf_drift",
    "random_tree",
    "friedman",
    "friedman_drift",
    "planes2d",
    "mv",
)
KS_N = 20_000
KS_P_MIN = 0.001


def _take(dataset: Any, n: int, names: dict[Hashable, str] | None = None) -> tuple[dict, Any]:
    rows = list(itertools.islice(iter(dataset), n))
    keys = list(rows[0][0])
    names = names or {}
    cols = {
        names.get(k, f"x{k}" if isinstance(k, int) else k): [x[k] for x, _ in rows] for k in keys
    }
    return {k: np.array(v) for k, v in cols.items()}, np.array([y for _, y in rows])


def _scenario(kind: str, params: dict[str, Any], **schedule: Any) -> dict[str, Any]:
    return {
        "name": "cat",
        "seed": schedule.pop("seed", 17),
        "generator": {"kind": kind, "engine": schedule.pop("engine", "numpy"), "params": params},
        "schedule": {"blocks": 1, "rows_per_block": 100, **schedule},
    }


def _blocks(sc: dict[str, Any]) -> tuple[Any, pd.DataFrame]:
    plan = build_plan(load_scenario(sc))
    frames = [produce_block(plan, i).data for i in range(len(plan.blocks))]
    return plan, pd.concat(frames, ignore_index=True)


def _replay(seed: int, n: int, per_row: int, gauss: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``per_row`` uniforms then (optionally) one gauss(0, 1) per row of ``Random(seed)``."""
    rng = random.Random(seed)
    uni = np.empty((n, per_row))
    noise = np.empty(n)
    for j in range(n):
        for i in range(per_row):
            uni[j, i] = rng.random()
        if gauss:
            noise[j] = rng.gauss(0, 1)
    return uni, noise


# --------------------------------------------------------------------------------------------
# 1. Engine agreement
# --------------------------------------------------------------------------------------------

HYPERPLANE_CASES = [
    {"n_features": 10, "n_drift_features": 2, "mag_change": 0.0, "sigma": 0.1},
    {"n_features": 5, "n_drift_features": 3, "mag_change": 0.05, "sigma": 0.3},
    {"n_features": 2, "n_drift_features": 2, "mag_change": 0.5, "sigma": 0.9},
    {"n_features": 6, "n_drift_features": 6, "mag_change": 0.001, "sigma": 0.0},
]


@pytest.mark.parametrize("case", HYPERPLANE_CASES)
def test_hyperplane_labels_and_walk_agree_with_river(case: dict[str, Any]) -> None:
    n = 3000
    params = HyperplaneParams(seed=11, noise_percentage=0.0, **case)
    dataset = synth.Hyperplane(seed=11, noise_percentage=0.0, **case)
    it = iter(dataset)
    rows, after = [], []
    for _ in range(n):
        rows.append(next(it))
        after.append(list(dataset._weights))  # weights after the row = weights at the next
    x = {f"x{i}": np.array([r[0][i] for r in rows]) for i in range(params.n_features)}
    y = np.array([r[1] for r in rows])
    gen = GENERATORS.get("hyperplane", "k")(params, "numpy")
    ours = gen.label(params, x, np.arange(n))
    assert np.array_equal(ours, y), f"{np.sum(ours != y)} of {n} labels differ"
    assert 0.05 < y.mean() < 0.95
    # a late window alone (the walk replayed up to its rows) labels the same
    late = np.arange(2000, n)
    assert np.array_equal(gen.label(params, {k: v[late] for k, v in x.items()}, late), y[late])
    # the replayed walk is river's, bit for bit
    replay = river_weights(params, np.arange(1, n + 1))
    for i in range(params.n_features):
        assert np.array_equal(np.broadcast_to(replay[i], (n,)), np.array(after)[:, i])


def _assert_rbf_replays_river(params: RandomRBFParams, dataset: Any, n: int, drift: bool) -> None:
    cols, y = _take(dataset, n)
    d = params.n_features
    uni, gauss = _replay(9, n, 1 + d)
    model = rbf_model(params)
    idx = pick_centroids(model, uni[:, 0])
    cls = RandomRBFDrift if drift else GENERATORS.get("random_rbf", "k")
    centres = cls(params, "numpy").centres_at(params, model, idx, np.arange(n))
    x = rbf_transform(centres, model.std_devs[idx], uni[:, 1:].T * 2.0 - 1.0, gauss)
    assert np.array_equal(model.labels[idx], y), "numpy picks other centroids than river"
    river_x = np.stack([cols[f"x{i}"] for i in range(d)])
    assert np.abs(x - river_x).max() < 1e-11
    assert len(np.unique(y)) == params.n_classes


def test_random_rbf_replays_river_exactly() -> None:
    params = RandomRBFParams(seed_model=5, n_classes=3, n_features=4, n_centroids=10)
    dataset = synth.RandomRBF(
        seed_model=5, seed_sample=9, n_classes=3, n_features=4, n_centroids=10
    )
    _assert_rbf_replays_river(params, dataset, 4000, drift=False)


@pytest.mark.parametrize("speed", [0.03, 0.0007, 1.7])
def test_random_rbf_drift_replays_river_exactly(speed: float) -> None:
    kw = {"n_classes": 3, "n_features": 4, "n_centroids": 10, "change_speed": speed}
    params = RandomRBFDriftParams(seed_model=5, n_drift_centroids=6, **kw)
    dataset = synth.RandomRBFDrift(seed_model=5, seed_sample=9, n_drift_centroids=6, **kw)
    _assert_rbf_replays_river(params, dataset, 4000, drift=True)


def test_random_rbf_has_no_labelling_rule() -> None:
    cls = GENERATORS.get("random_rbf", "k")
    with pytest.raises(NotImplementedError):
        cls(cls.Params(), "numpy").label(cls.Params(), {}, np.arange(0))


TREE_CASES = [
    {},
    {
        "n_classes": 4,
        "n_num_features": 0,
        "n_cat_features": 6,
        "n_categories_per_feature": 3,
        "max_tree_depth": 6,
        "first_leaf_level": 2,
        "fraction_leaves_per_level": 0.3,
    },
    {"n_num_features": 3, "n_cat_features": 0, "max_tree_depth": 10, "first_leaf_level": 4},
    {
        "n_classes": 3,
        "n_num_features": 2,
        "n_cat_features": 2,
        "n_categories_per_feature": 2,
        "max_tree_depth": 8,
        "first_leaf_level": 1,
        "fraction_leaves_per_level": 0.1,
    },
]


@pytest.mark.parametrize("case", TREE_CASES)
@pytest.mark.parametrize("seed_tree", [1, 2])
def test_random_tree_labels_agree_with_river(case: dict[str, Any], seed_tree: int) -> None:
    n = 3000
    params = RandomTreeParams(seed_tree=seed_tree, **case)
    cols, y = _take(synth.RandomTree(seed_tree=seed_tree, seed_sample=7, **case), n)
    gen = GENERATORS.get("random_tree", "k")(params, "numpy")
    ours = gen.label(params, cols, np.arange(n))
    assert np.array_equal(ours, y), f"{np.sum(ours != y)} of {n} labels differ"
    assert len(np.unique(y)) >= 2


@pytest.mark.parametrize("depth", [6, 10])
def test_expected_tree_size_bounds_the_trees_river_grows(depth: int) -> None:
    """The estimate that guards against runaway trees is an upper estimate of the real
    average size (over 20 seeds), and not a wild one."""
    params = RandomTreeParams(max_tree_depth=depth)
    sizes = [len(tree_model(params.model_copy(update={"seed_tree": s})).feature) for s in range(20)]
    estimate = expected_tree_size(params)
    assert np.mean(sizes) <= estimate <= 20 * np.mean(sizes)


def test_a_tree_without_numeric_features_may_be_as_deep_as_its_branches_split() -> None:
    """Without numeric features a branch splits each nominal feature once: river builds a
    depth-5 tree over 2 nominal features when every branch stops at level 2 (fraction 1),
    and so do we; past that, the limit names max_tree_depth."""
    shallow = {"n_num_features": 0, "n_cat_features": 2, "max_tree_depth": 5}
    RandomTreeParams(**shallow, first_leaf_level=2, fraction_leaves_per_level=1.0)
    synth.RandomTree(seed_tree=1, **shallow, first_leaf_level=2, fraction_leaves_per_level=1.0)
    deeper = {**shallow, "first_leaf_level": 3, "fraction_leaves_per_level": 1.0}
    with pytest.raises(ScenarioError) as err:
        load_scenario({"name": "t", "generator": {"kind": "random_tree", "params": deeper}})
    assert err.value.path == "generator.params.max_tree_depth"
    assert "a branch may split 3 times" in err.value.message


def test_runaway_trees_are_refused_with_the_remedy() -> None:
    """Depth 30 with river's defaults would never finish building; depth 14 is accepted."""
    RandomTreeParams(max_tree_depth=14)
    with pytest.raises(ScenarioError) as err:
        load_scenario({"name": "t", "generator": {"kind": "random_tree",
                                                  "params": {"max_tree_depth": 30}}})  # fmt: skip
    assert "more than 5e+07 nodes" in str(err.value)
    assert "raise fraction_leaves_per_level" in str(err.value)
    RandomTreeParams(max_tree_depth=30, fraction_leaves_per_level=0.9)  # leaves early: fine


def test_friedman_and_planes2d_targets_agree_with_river() -> None:
    n = 3000
    cols, y = _take(synth.Friedman(seed=3), n)
    _, noise = _replay(3, n, 10)
    ours = GENERATORS.get("friedman", "k")(cg_params("friedman"), "numpy").label(
        cg_params("friedman"), cols, np.arange(n)
    )
    assert np.abs(y - noise - ours).max() < 1e-9
    assert np.abs(y - friedman(cols)).std() > 0.5  # the noise was really there

    cols, y = _take(synth.Planes2D(seed=4), n)
    rng = random.Random(4)  # Planes2D: choice, 9 randint, then gauss
    noise = np.empty(n)
    for j in range(n):
        rng.choice([-1, 1])
        for _ in range(9):
            rng.randint(-1, 1)
        noise[j] = rng.gauss(0, 1)
    assert cols["x1"].dtype == np.int64
    assert np.abs(y - noise - planes2d_target(cols)).max() < 1e-9


def cg_params(kind: str, **params: Any) -> Any:
    return GENERATORS.get(kind, "k").Params(**params)


@pytest.mark.parametrize(
    ("drift_type", "position", "window"),
    [("lea", (700, 1500, 2200), 0), ("gra", (1000, 2000), 0), ("gsg", (800, 2000), 500)],
)
def test_friedman_drift_targets_agree_with_river(
    drift_type: str, position: tuple[int, ...], window: int
) -> None:
    n = 3000
    params = FriedmanDriftParams(drift_type=drift_type, position=position, transition_window=window)
    dataset = synth.FriedmanDrift(
        drift_type=drift_type, position=position, transition_window=window, seed=4
    )
    cols, y = _take(dataset, n)
    _, noise = _replay(4, n, 10)
    rows = np.arange(n)
    gen = GENERATORS.get("friedman_drift", "k")(params, "numpy")
    ours = gen.label(params, cols, rows)
    known = ~np.isnan(ours)
    assert np.abs((y - noise)[known] - ours[known]).max() < 1e-9
    # the drift is really exercised: after the first position the target is not Friedman's
    changed = np.abs(y - noise - friedman(cols)) > 1e-6
    assert changed[: position[0]].sum() == 0 and changed[position[0] :].sum() > 50
    if drift_type == "gsg":
        assert (~known).sum() == 2 * window
        coins = random.Random(4)  # river's second generator: one coin per window row
        keep = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(~known):
            keep[i] = bool(coins.getrandbits(1))
        full = drift_target(params, cols, rows, keep)
        assert np.abs(y - noise - full).max() < 1e-9


def test_mv_targets_agree_with_river_exactly() -> None:
    n = 5000
    cols, y = _take(synth.Mv(seed=3), n)
    ours = GENERATORS.get("mv", "k")(cg_params("mv"), "numpy").label(
        cg_params("mv"), cols, np.arange(n)
    )
    assert np.array_equal(ours, y)
    assert set(np.unique(cols["x3"])) == {"green", "red", "brown"}
    # the rules other than the unreachable first one (x2 > 2) all fire
    assert (cols["x2"] > 2).sum() == 0
    assert ((cols["x4"] >= -2) & (cols["x4"] <= 2)).sum() > 100
    assert (cols["x7"] == "yes").sum() > 100


def test_engine_label_hook_on_river_engine_blocks() -> None:
    """River engine blocks at global rows 1000-1999: labels by our rule and river's agree
    (hyperplane with a drifting walk, random_tree; mv's target exactly)."""
    for kind, params in (
        ("hyperplane", {"mag_change": 0.01, "sigma": 0.2, "noise_percentage": 0.0}),
        ("random_tree", {"max_tree_depth": 6}),
        ("mv", {}),
    ):
        sc = _scenario(kind, params, engine="river", blocks=2, rows_per_block=1000)
        plan = build_plan(load_scenario(sc))
        gen = plan.generator
        for b in plan.blocks:
            frame = produce_block(plan, b.index).data
            feats = {c.name: frame[c.name].to_numpy() for c in gen.columns() if c.role == "feature"}
            concept = plan.timeline.concepts[b.concepts[0]]
            ours = gen.label(concept, feats, np.arange(b.row_start, b.row_stop))
            assert np.array_equal(ours, frame["y"].to_numpy()), (kind, b.index)


# --------------------------------------------------------------------------------------------
# 2. Distributions and 3. columns: numpy engine vs river engine
# --------------------------------------------------------------------------------------------

DIST_CASES = [
    ("hyperplane", {"seed": 3, "noise_percentage": 0.05}),
    ("random_rbf", {"seed_model": 3, "n_classes": 3, "n_features": 5, "n_centroids": 20}),
    (
        "random_rbf_drift",
        {
            "seed_model": 3,
            "n_features": 3,
            "n_centroids": 8,
            "change_speed": 0.001,
            "n_drift_centroids": 4,
        },
    ),
    ("random_tree", {"seed_tree": 3, "n_classes": 3}),
    ("friedman", {}),
    ("friedman_drift", {"position": (5000, 10000, 15000)}),
    ("friedman_drift", {"drift_type": "gsg", "position": (5000, 12000), "transition_window": 4000}),
    ("planes2d", {}),
    ("mv", {}),
]


def _engine_sample(
    kind: str, engine: str, params: dict[str, Any], n: int, seed: int
) -> pd.DataFrame:
    cls = GENERATORS.get(kind, "k")
    p = cls.Params(**params)
    seq = np.random.SeedSequence(seed)
    return cls(p, engine).sample(p, Draw(np.arange(n), SeedTree.rng(seq)), seq)


@pytest.mark.parametrize(("kind", "params"), DIST_CASES, ids=lambda v: str(v)[:40])
def test_numpy_and_river_distributions_agree(kind: str, params: dict[str, Any]) -> None:
    # five numpy samples of the river sample's rows (a stateful concept moves with the row)
    ours = pd.concat(
        [_engine_sample(kind, "numpy", params, KS_N, 21 + k) for k in range(5)],
        ignore_index=True,
    )
    theirs = _engine_sample(kind, "river", params, KS_N, 1)
    gen = GENERATORS.get(kind, "k")(GENERATORS.get(kind, "k").Params(**params), "numpy")
    cols = gen.columns()
    # 3. same columns, dtypes and roles under both engines, as declared
    assert list(ours.columns) == list(theirs.columns) == [c.name for c in cols]
    assert ours.dtypes.equals(theirs.dtypes)
    for c in cols:
        want = STRING_DTYPE if c.dtype == "string" else numpy_dtype(c.dtype)
        assert ours[c.name].dtype == want, c.name
    for c in cols:
        a, b = ours[c.name].to_numpy(), theirs[c.name].to_numpy()
        if c.nominal or c.dtype == "string" or (c.dtype == "int64" and c.role == "feature"):
            # discrete: the same shares of every value (chi-square test of homogeneity)
            values = sorted(set(a.tolist()) | set(b.tolist()))
            table = [[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]]
            p = stats.chi2_contingency(table).pvalue
            assert p > KS_P_MIN, f"{kind} {c.name}: chi-square p={p:.2g}"
        elif c.dtype in ("double", "int64") and not (c.role == "target" and gen.classes()):
            p = stats.ks_2samp(a, b).pvalue
            assert p > KS_P_MIN, f"{kind} {c.name}: KS p={p:.2g}"
    if gen.classes():
        for k in gen.classes():
            share_a, share_b = np.mean(ours["y"] == k), np.mean(theirs["y"] == k)
            assert abs(share_a - share_b) < 0.01, f"class {k}: {share_a:.3f} vs {share_b:.3f}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("engine", ["numpy", "river"])
def test_written_columns_match_declared(tmp_path: Path, kind: str, engine: str) -> None:
    params = {"position": (50, 150, 250)} if kind == "friedman_drift" else {}
    sc = _scenario(kind, params, engine=engine, blocks=2, rows_per_block=150)
    manifest = cg.run(sc, root=tmp_path)
    gen = load_scenario(sc).build_generator()
    declared = [(c.name, str(c.pa_type()), c.role) for c in gen.columns()]
    assert [(c.name, c.dtype, c.role) for c in manifest.columns][:-1] == declared
    frame = cg.read_frame(manifest)
    assert len(frame) == 300 and frame.notna().all().all()


# --------------------------------------------------------------------------------------------
# 4. Pinned model seeds: river's very concept
# --------------------------------------------------------------------------------------------


def test_pinned_model_seeds_build_rivers_concept() -> None:
    hp = HyperplaneParams(seed=99, n_features=7)
    dataset = synth.Hyperplane(seed=99, n_features=7)
    next(iter(dataset))  # river draws its weights when iteration starts (no drift here)
    assert dataset._weights == initial_weights(hp)

    rp = RandomRBFDriftParams(seed_model=8, n_features=3, n_centroids=12, n_drift_centroids=5)
    rbf = synth.RandomRBFDrift(
        seed_model=8, seed_sample=1, n_features=3, n_centroids=12, n_drift_centroids=5
    )
    next(iter(rbf))
    model = rbf_model(rp)
    assert model.labels.tolist() == [c.class_label for c in rbf.centroids]
    assert model.std_devs.tolist() == [c.std_dev for c in rbf.centroids]
    assert model.weights.tolist() == rbf.centroid_weights
    assert model.centres.tolist() == [c.centre for c in rbf.centroids]  # change_speed 0
    assert model.speeds.tolist() == rbf.centroid_speed

    tp = RandomTreeParams(seed_tree=8, max_tree_depth=6, first_leaf_level=2)
    river_tree = synth.RandomTree(seed_tree=8, max_tree_depth=6, first_leaf_level=2)
    river_tree._generate_random_tree()
    theirs: list[tuple[int, float | None, int | None, int]] = []

    def visit(node: Any) -> None:  # river's tree in pre-order: (feature, split, class, arity)
        if not node.children:
            theirs.append((-1, None, node.class_label, 0))
        elif node.split_feature_idx < tp.n_num_features:
            theirs.append((node.split_feature_idx, node.split_feature_val, None, 2))
        else:
            theirs.append((node.split_feature_idx, None, None, len(node.children)))
        for child in node.children:
            visit(child)

    visit(river_tree.tree_root)
    tree = tree_model(tp)
    ours = [
        (-1, None, int(lab), 0)
        if f < 0
        else (int(f), float(t), None, 2)
        if f < tp.n_num_features
        else (int(f), None, None, tp.n_categories_per_feature)
        for f, t, lab in zip(tree.feature, tree.threshold, tree.label, strict=True)
    ]
    assert ours == theirs
    assert len(theirs) > 20 and {a for *_, a in theirs} == {0, 2, 5}


@pytest.mark.parametrize(
    ("kind", "field"),
    [("hyperplane", "seed"), ("random_rbf", "seed_model"), ("random_tree", "seed_tree")],
)
def test_model_seed_pinned_or_derived(kind: str, field: str) -> None:
    def concept(seed: int, params: dict[str, Any]) -> Any:
        plan = build_plan(load_scenario(_scenario(kind, params, seed=seed)))
        return getattr(plan.timeline.concepts[0], field)

    assert concept(1, {field: 1234}) == concept(2, {field: 1234}) == 1234
    derived = concept(1, {}), concept(2, {})
    assert derived[0] != derived[1] and all(isinstance(s, int) for s in derived)
    # numpy and river engines with the same pinned seed: the same concept, hence labels
    # of river's rows follow the numpy engine's rule
    if kind != "random_rbf":
        sc = _scenario(kind, {field: 1234}, engine="river", rows_per_block=2000)
        plan, frame = _blocks(sc)
        gen = plan.generator
        feats = {c.name: frame[c.name].to_numpy() for c in gen.columns() if c.role == "feature"}
        ours = gen.label(plan.timeline.concepts[0], feats, np.arange(2000))
        if kind == "hyperplane":  # river's default noise flips (0.05 - 0.01) of labels
            assert 0.94 < np.mean(ours == frame["y"]) < 0.98
        else:
            assert np.array_equal(ours, frame["y"])


def test_hyperplane_river_engine_is_one_stream_per_concept() -> None:
    params = {"seed": 5, "n_features": 3, "mag_change": 0.01}
    _, frame = _blocks(
        _scenario("hyperplane", params, engine="river", blocks=3, rows_per_block=200)
    )
    cols, y = _take(synth.Hyperplane(seed=5, n_features=3, mag_change=0.01), 600)
    for i in range(3):
        assert np.array_equal(frame[f"x{i}"].to_numpy(), cols[f"x{i}"])
    assert np.array_equal(frame["y"].to_numpy(), y)


# --------------------------------------------------------------------------------------------
# 5. Out-of-range parameters
# --------------------------------------------------------------------------------------------

BAD_PARAMS = [
    ("hyperplane", {"n_features": 1}, "n_features"),
    ("hyperplane", {"n_features": 4, "n_drift_features": 5}, "n_drift_features"),
    ("hyperplane", {"mag_change": 1.5}, "mag_change"),
    ("hyperplane", {"noise_percentage": -0.1}, "noise_percentage"),
    ("hyperplane", {"sigma": 2}, "sigma"),
    ("hyperplane", {"seed": -1}, "seed"),
    ("random_rbf", {"n_classes": 0}, "n_classes"),
    ("random_rbf", {"n_features": 0}, "n_features"),
    ("random_rbf", {"n_centroids": 0}, "n_centroids"),
    ("random_rbf", {"seed_sample": 3}, "seed_sample"),
    ("random_rbf", {"seed_model": -2}, "seed_model"),
    ("random_rbf_drift", {"change_speed": -0.1}, "change_speed"),
    ("random_rbf_drift", {"n_drift_centroids": -1}, "n_drift_centroids"),
    ("random_tree", {"n_classes": 0}, "n_classes"),
    ("random_tree", {"seed_tree": -3}, "seed_tree"),
    ("random_tree", {"seed_sample": 3}, "seed_sample"),
    ("random_tree", {"max_tree_depth": -1}, "max_tree_depth"),
    ("random_tree", {"fraction_leaves_per_level": 1.5}, "fraction_leaves_per_level"),
    ("random_tree", {"n_categories_per_feature": 0}, "n_categories_per_feature"),
    ("random_tree", {"n_num_features": 0, "n_cat_features": 0}, "n_cat_features"),
    (
        "random_tree",
        {"n_num_features": 0, "n_cat_features": 3, "max_tree_depth": 4},
        "max_tree_depth",
    ),
    ("friedman", {"seed": 3}, "seed"),
    ("friedman_drift", {"drift_type": "abc"}, "drift_type"),
    ("friedman_drift", {"drift_type": "gra", "position": [1, 2, 3]}, "position"),
    ("friedman_drift", {"position": [10, 5, 20]}, "position"),
    (
        "friedman_drift",
        {"drift_type": "gsg", "position": [100, 200], "transition_window": 150},
        "transition_window",
    ),
    ("friedman_drift", {"transition_window": -1}, "transition_window"),
    # a default checked against the values given (river refuses these too)
    ("friedman_drift", {"drift_type": "gsg", "position": [100, 200]}, "transition_window"),
    ("random_tree", {"n_num_features": 0, "n_cat_features": 3}, "max_tree_depth"),
    ("planes2d", {"noise": 0.1}, "noise"),
    ("mv", {"seed": 1}, "seed"),
]


@pytest.mark.parametrize(("kind", "params", "name"), BAD_PARAMS)
def test_out_of_range_params_name_the_parameter(
    kind: str, params: dict[str, Any], name: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(
            {
                "name": "t",
                "generator": {"kind": kind, "params": params},
                "schedule": {"rows_per_block": 100},
            }
        )
    assert info.value.path == f"generator.params.{name}", str(info.value)


# --------------------------------------------------------------------------------------------
# 6. Stateful generators: the global row is the clock, whatever the block layout
# --------------------------------------------------------------------------------------------

N_STREAM = 8000


def _layouts(kind: str, params: dict[str, Any]) -> list[tuple[Any, pd.DataFrame]]:
    return [
        _blocks(_scenario(kind, params, blocks=b, rows_per_block=N_STREAM // b)) for b in (1, 4)
    ]


def test_hyperplane_walk_is_the_same_in_any_block_layout() -> None:
    params = {
        "seed": 21,
        "n_features": 4,
        "n_drift_features": 3,
        "mag_change": 0.01,
        "sigma": 0.05,
        "noise_percentage": 0.0,
    }
    rows = np.arange(N_STREAM)
    trajectories = []
    for plan, frame in _layouts("hyperplane", params):
        concept = plan.timeline.concepts[0]
        per_block = []
        for b in plan.blocks:
            state = plan.states[b.index][0]
            assert state.row == b.row_start
            per_block.append(numpy_weights(concept, np.arange(b.row_start, b.row_stop), state))
        weights = [
            np.concatenate(
                [
                    np.broadcast_to(w[i], (b.size,))
                    for w, b in zip(per_block, plan.blocks, strict=True)
                ]
            )
            for i in range(4)
        ]
        trajectories.append(weights)
        x = [frame[f"x{i}"].to_numpy() for i in range(4)]
        assert np.array_equal(frame["y"].to_numpy(), hyperplane_label(x, weights))
    one, four = trajectories
    for i in range(4):
        assert np.array_equal(one[i], four[i])  # bit for bit: same walk, whatever the blocks
    # ... and it is one walk from row 0 (the carried states are those of a single pass)
    concept = HyperplaneParams(**params)
    path, _ = walk(concept, start_state(concept), N_STREAM)
    assert np.array_equal(path[0], one[0])
    assert np.ptp(one[0]) > 0.5  # the weights did move
    # the walk changes the concept: the initial weights mislabel many late rows
    late = slice(6000, N_STREAM)
    x_late = [frame[f"x{i}"].to_numpy()[late] for i in range(4)]
    static = hyperplane_label(x_late, initial_weights(concept))
    assert np.mean(static != frame["y"].to_numpy()[late]) > 0.05
    assert rows.size == N_STREAM


def _rbf_reconstruct(plan: Any, frame: pd.DataFrame, clock: str) -> bool:
    """Rebuild every block from its seed with centres at the global rows (or the block's
    local rows, ``clock='local'``); True when every value equals the produced one."""
    concept = plan.timeline.concepts[0]
    gen = plan.generator
    model = rbf_model(concept)
    same = True
    for b in plan.blocks:
        rng = SeedTree.rng(plan.seeds.concept(b.index, 0))
        u = rng.random(b.size)
        att = rng.random((concept.n_features, b.size)) * 2.0 - 1.0
        gauss = rng.standard_normal(b.size)
        idx = pick_centroids(model, u)
        rows = np.arange(b.row_start, b.row_stop) if clock == "global" else np.arange(b.size)
        x = rbf_transform(
            gen.centres_at(concept, model, idx, rows), model.std_devs[idx], att, gauss
        )
        got = frame.iloc[b.row_start : b.row_stop]
        same &= all(
            np.array_equal(x[i], got[f"x{i}"].to_numpy()) for i in range(concept.n_features)
        )
    return bool(same)


def test_random_rbf_drift_centres_follow_the_global_row() -> None:
    params = {"seed_model": 4, "n_features": 3, "n_centroids": 6, "change_speed": 0.002}
    for plan, frame in _layouts("random_rbf_drift", params):
        assert _rbf_reconstruct(plan, frame, "global")
        if len(plan.blocks) > 1:
            assert not _rbf_reconstruct(plan, frame, "local")  # the check can fail
    # the closed form is river's position after t moves (river moves before each row)
    p = RandomRBFDriftParams(**params)
    dataset = synth.RandomRBFDrift(seed_sample=1, n_drift_centroids=6, **params)
    _take(dataset, 3000)
    model = rbf_model(p)
    river_centres = np.array([c.centre for c in dataset.centroids])
    ours = bounce(model.centres, model.speeds * p.change_speed, np.full((6, 3), 3000))
    assert np.abs(ours - river_centres).max() < 1e-12
    assert np.abs(ours - model.centres).max() > 0.5  # they moved (and bounced)


@pytest.mark.parametrize("drift_type", ["lea", "gra", "gsg"])
def test_friedman_drift_uses_the_global_row(drift_type: str) -> None:
    position = (2500, 4500, 6500) if drift_type == "lea" else (2500, 5000)
    params = {"drift_type": drift_type, "position": position, "transition_window": 1000}
    targets = []
    other_clock = []
    for plan, frame in _layouts("friedman_drift", params):
        concept = plan.timeline.concepts[0]
        for b in plan.blocks:
            rng = SeedTree.rng(plan.seeds.concept(b.index, 0))
            x = rng.random((10, b.size))
            cols = {f"x{i}": x[i] for i in range(10)}
            coins = rng.random(b.size) < 0.5 if drift_type == "gsg" else None
            noise = rng.standard_normal(b.size)
            rows = np.arange(b.row_start, b.row_stop)
            want = drift_target(concept, cols, rows, coins) + noise
            assert np.array_equal(frame["y"].to_numpy()[b.row_start : b.row_stop], want)
            wrong = drift_target(concept, cols, rows - b.row_start, coins) + noise
            other_clock.append(not np.array_equal(wrong, want))
        # which function each row follows (outside gradual windows): a function of the row
        probe = {f"x{i}": np.full(N_STREAM, 0.05 + 0.09 * i) for i in range(10)}
        targets.append(drift_target(concept, probe, np.arange(N_STREAM)))
    np.testing.assert_array_equal(targets[0], targets[1])
    assert any(other_clock)  # the blocks' own clocks would have given other targets


# --------------------------------------------------------------------------------------------
# 7. Incremental transitions
# --------------------------------------------------------------------------------------------


def _incremental(
    root: Path, kind: str, a: dict[str, Any], b: dict[str, Any], width: int = 4000
) -> Any:
    sc = _scenario(
        kind,
        a,
        blocks=2,
        rows_per_block=width + 2000,
        block_params={1: b},
        transition={"kind": "incremental", "width": width},
    )
    manifest = cg.run(sc, root=root)
    return cg.read_frame(manifest), cg.read_ground_truth(manifest), load_scenario(sc)


def test_hyperplane_incremental_moves_the_weights(tmp_path: Path) -> None:
    width = 4000
    frame, truth, _ = _incremental(
        tmp_path,
        "hyperplane",
        {"seed": 1, "n_features": 5, "noise_percentage": 0.0},
        {"seed": 2},
        width,
    )
    window = np.flatnonzero(truth["concept_weight"].to_numpy() < 1.0)
    w = truth["concept_weight"].to_numpy()[window]
    assert len(window) == width - 1 and np.all(np.diff(w) > 0)  # rows 1..width-1 of the ramp
    x = [frame[f"x{i}"].to_numpy()[window] for i in range(5)]
    ws = initial_weights(HyperplaneParams(seed=1, n_features=5))
    wt = initial_weights(HyperplaneParams(seed=2, n_features=5))
    mixed = [(1 - w) * s + w * t for s, t in zip(ws, wt, strict=True)]
    y = frame["y"].to_numpy()[window]
    assert np.array_equal(y, hyperplane_label(x, mixed))  # the interpolated concept, exactly
    # monotone: agreement with the target's rule rises quarter by quarter, the source's falls
    to_target = [np.mean(q) for q in np.array_split(hyperplane_label(x, wt) == y, 4)]
    to_source = [np.mean(q) for q in np.array_split(hyperplane_label(x, ws) == y, 4)]
    assert np.all(np.diff(to_target) > 0) and np.all(np.diff(to_source) < 0), (
        to_target,
        to_source,
    )


@pytest.mark.parametrize("kind", ["random_rbf", "random_rbf_drift"])
def test_random_rbf_incremental_moves_the_centroids(tmp_path: Path, kind: str) -> None:
    base = {"seed_model": 1, "n_features": 6, "n_centroids": 15}
    if kind == "random_rbf_drift":
        base["change_speed"] = 1e-7  # slow: the target's own drift stays below the move
    frame, truth, scenario = _incremental(tmp_path, kind, base, {"seed_model": 2})
    concepts = [p for p in scenario.block_params()]
    means = []
    for p in concepts:
        m = rbf_model(p)
        means.append((m.weights[:, None] * m.centres).sum(0) / m.weights.sum())
    direction = means[1] - means[0]
    x = frame[[f"x{i}" for i in range(6)]].to_numpy()
    proj = x @ direction
    window = truth["concept_weight"].to_numpy() < 1.0
    quarters = [q.mean() for q in np.array_split(proj[window], 4)]
    before = proj[: window.argmax()].mean()
    after = proj[len(proj) - 2000 :].mean()
    assert before < quarters[0] < quarters[1] < quarters[2] < quarters[3] < after, (
        before,
        quarters,
        after,
    )
    # classes switch from the source's centroids to the target's at weight 0.5
    assert set(np.unique(frame["y"])) <= {0, 1}


def test_random_rbf_incremental_needs_the_same_centroid_count(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="n_centroids"):
        _incremental(
            tmp_path, "random_rbf", {"seed_model": 1, "n_centroids": 5}, {"n_centroids": 6}, 100
        )


def test_friedman_incremental_moves_the_coefficients(tmp_path: Path) -> None:
    """Friedman concepts differ by ``coefficients`` (a numpy-engine extension); across an
    incremental window each row's target is the function with coefficients interpolated at
    its concept weight, plus the stream's N(0, 1) noise."""
    source, target = (10.0, 20.0, 10.0, 5.0), (0.0, 5.0, 30.0, -5.0)
    frame, truth, _ = _incremental(
        tmp_path, "friedman", {}, {"coefficients": list(target)}, width=4000
    )
    w = truth["concept_weight"].to_numpy()
    window = np.flatnonzero(w < 1.0)
    assert len(window) == 3999 and np.all(np.diff(w[window]) > 0)
    x = {f"x{i}": frame[f"x{i}"].to_numpy() for i in range(5)}
    toward = np.where(truth["concept"].to_numpy() == 1, w, 0.0)  # concept 0's rows: weight 0
    k = tuple(a + toward * (b - a) for a, b in zip(source, target, strict=True))
    resid = frame["y"].to_numpy() - friedman(x, k)
    # N(0, 1) on the 12,000 rows: mean within 4 standard errors, std within 3%
    assert abs(resid.mean()) < 4 / np.sqrt(resid.size) and abs(resid.std() - 1) < 0.03
    # the source's function alone misses the window's targets, more so as the weight grows
    miss = [
        np.abs(q).mean() for q in np.array_split((frame["y"].to_numpy() - friedman(x))[window], 4)
    ]
    assert np.all(np.diff(miss) > 0), miss


def test_friedman_coefficients_need_the_numpy_engine(tmp_path: Path) -> None:
    sc = _scenario("friedman", {}, blocks=2, rows_per_block=100,
                   block_params={1: {"coefficients": [1.0, 2.0, 3.0, 4.0]}})  # fmt: skip
    sc["generator"]["engine"] = "river"
    with pytest.raises(
        ScenarioError, match=r"concept 1: coefficients \[1.0, 2.0, 3.0, 4.0\] need engine numpy"
    ) as err:
        cg.run(sc, root=tmp_path)
    assert err.value.path == "generator.engine"


# --------------------------------------------------------------------------------------------
# 8. Balancing per concept, steady drifting generators, one-class streams, the walk's memory
# --------------------------------------------------------------------------------------------


def _balanced_run(root: Path, first: int, second: int, engine: str) -> Any:
    sc = _scenario("random_rbf", {"n_classes": first}, engine=engine, blocks=2,
                   rows_per_block=1000, block_params={1: {"n_classes": second}})  # fmt: skip
    sc["generator"]["balance"] = True
    return cg.run(sc, root=root)


@pytest.mark.parametrize("engine", ["numpy", "river"])
def test_balance_uses_each_concepts_own_classes(tmp_path: Path, engine: str) -> None:
    """A concept with more classes (2 -> 5) is balanced over its five (they were balanced
    over the first concept's two, silently dropping 2-4), and one with fewer (5 -> 2) over
    its two (was refused: "class(es) [2, 3, 4] are too rare")."""
    up = _balanced_run(tmp_path / "up", 2, 5, engine)
    down = _balanced_run(tmp_path / "down", 5, 2, engine)
    two = {"0": 500, "1": 500, "2": 0, "3": 0, "4": 0}
    five = {str(c): 200 for c in range(5)}
    assert [b.class_counts for b in up.blocks] == [two, five]
    assert [b.class_counts for b in down.blocks] == [five, two]
    frame = cg.read_frame(up)
    assert frame[frame.block == 1]["y"].value_counts().sort_index().tolist() == [200] * 5


def test_classes_for_reads_the_concepts_n_classes() -> None:
    for kind in ("random_rbf", "random_rbf_drift", "random_tree"):
        cls = GENERATORS.get(kind, "k")
        gen = cls(cls.Params(n_classes=2), "numpy")
        assert gen.classes() == (0, 1)
        assert gen.classes_for(cls.Params(n_classes=4)) == (0, 1, 2, 3), kind
    hyper = GENERATORS.get("hyperplane", "k")
    assert hyper(HyperplaneParams(), "numpy").classes_for(HyperplaneParams(seed=3)) == (0, 1)


STEADY = [
    ("hyperplane", "numpy", {"seed": 3, "n_features": 4, "noise_percentage": 0.0},
     {"mag_change": 0.01}, "mag_change: 0 or n_drift_features: 0"),
    ("hyperplane", "numpy",
     {"seed": 3, "n_features": 4, "noise_percentage": 0.0, "mag_change": 0.2,
      "n_drift_features": 0},
     {"n_drift_features": 1}, "mag_change: 0 or n_drift_features: 0"),
    ("random_rbf_drift", "numpy", {"seed_model": 3}, {"change_speed": 0.01},
     "change_speed: 0 or n_drift_centroids: 0"),
    ("random_rbf_drift", "river", {"seed_model": 3, "change_speed": 0.5, "n_drift_centroids": 0},
     {"n_drift_centroids": 1}, "change_speed: 0 or n_drift_centroids: 0"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "engine", "steady", "moving", "hint"), STEADY)
def test_balance_needs_only_a_concept_without_internal_drift(
    kind: str, engine: str, steady: dict[str, Any], moving: dict[str, Any], hint: str
) -> None:
    """Hyperplane at mag_change 0 (river's default) and RandomRBFDrift at change_speed 0 do
    not drift, so their segments balance exactly; a concept that moves is refused, by name."""
    cls = GENERATORS.get(kind, "k")
    steady_p = cls.Params(**steady)
    gen = cls(steady_p, engine, balance=True)
    assert isinstance(gen, ConceptGenerator) and gen.stateful
    assert not gen.drifts_internally() and not gen.drifts_internally(steady_p)
    gen.check_balance(steady_p)
    seq = SeedTree(4).concept(2, 0)
    rows = np.arange(5000, 5301)
    frame = gen.sample(steady_p, Draw(rows, SeedTree.rng(seq)), seq)
    assert frame["y"].value_counts().sort_index().tolist() == [151, 150]
    if kind == "hyperplane":  # the kept rows are the concept's rows, correctly labelled
        assert np.array_equal(gen.label(steady_p, frame, rows), frame["y"].to_numpy())
    moving_p = cls.Params(**{**steady, **moving})
    assert gen.drifts_internally(moving_p)
    for check in (
        lambda: gen.check_balance(moving_p),
        lambda: gen.sample(moving_p, Draw(rows, SeedTree.rng(seq)), seq),
    ):
        with pytest.raises(ScenarioError, match="drifts internally") as err:
            check()
        assert err.value.path == "generator.balance"
        assert f"(it does not with {hint})" in str(err.value)


def test_hyperplane_balance_refuses_the_river_engine() -> None:
    """river's Hyperplane has one stream per concept (rows from the model seed), so the extra
    rows drawn to balance a block would be the next block's: refused, naming the remedy."""
    p = HyperplaneParams(seed=3)
    gen = GENERATORS.get("hyperplane", "k")(p, "river", balance=True)
    with pytest.raises(ScenarioError, match="use engine: numpy") as err:
        gen.check_balance(p)
    assert err.value.path == "generator.balance"


def test_balance_runs_for_steady_hyperplane_and_random_rbf_drift(tmp_path: Path) -> None:
    counts = []
    for kind, params in (("hyperplane", {}), ("random_rbf_drift", {"n_classes": 3})):
        sc = _scenario(kind, params, blocks=2, rows_per_block=300)
        sc["generator"]["balance"] = True
        counts.append([b.class_counts for b in cg.run(sc, root=tmp_path / kind).blocks])
    assert counts[0] == [{"0": 150, "1": 150}] * 2
    assert counts[1] == [{"0": 100, "1": 100, "2": 100}] * 2
    moving = _scenario("hyperplane", {}, blocks=2, rows_per_block=300,
                       block_params={1: {"mag_change": 0.01}})  # fmt: skip
    moving["generator"]["balance"] = True
    with pytest.raises(ScenarioError, match="drifts internally") as err:
        cg.run(moving, root=tmp_path / "moving")
    assert err.value.path == "generator.balance"


@pytest.mark.parametrize("mag_change", [0.01, 0.0])
def test_hyperplane_river_engine_fast_forwards_even_without_drift(mag_change: float) -> None:
    """river draws a Hyperplane concept's rows from its model seed: without drift too, every
    block continues that one stream (no block repeats the first block's rows)."""
    params = {"seed": 5, "n_features": 3, "mag_change": mag_change}
    _, frame = _blocks(_scenario("hyperplane", params, engine="river", blocks=3, rows_per_block=50))
    cols, y = _take(synth.Hyperplane(seed=5, n_features=3, mag_change=mag_change), 150)
    for i in range(3):
        assert np.array_equal(frame[f"x{i}"].to_numpy(), cols[f"x{i}"])
    assert np.array_equal(frame["y"].to_numpy(), y)


def test_random_rbf_drift_without_moving_centroids_skips_the_fast_forward() -> None:
    """At change_speed 0 river's RandomRBFDrift is river's RandomRBF: each block is the first
    rows of river's stream for the block's seed (no fast-forward to the block's first row)."""
    params = {"seed_model": 4, "n_features": 3, "n_centroids": 6, "change_speed": 0.0}
    plan, frame = _blocks(
        _scenario("random_rbf_drift", params, engine="river", blocks=2, rows_per_block=40)
    )
    for b in plan.blocks:
        seed = SeedTree.river_seed(plan.seeds.concept(b.index, 0))
        dataset = synth.RandomRBF(seed_model=4, seed_sample=seed, n_features=3, n_centroids=6)
        cols, y = _take(dataset, 40)
        got = frame.iloc[b.row_start : b.row_stop]
        for i in range(3):
            assert np.array_equal(got[f"x{i}"].to_numpy(), cols[f"x{i}"])
        assert np.array_equal(got["y"].to_numpy(), y)


@pytest.mark.parametrize("kind", ["random_rbf", "random_rbf_drift", "random_tree"])
@pytest.mark.parametrize("engine", ["numpy", "river"])
def test_one_class_streams(tmp_path: Path, kind: str, engine: str) -> None:
    """n_classes 1 is river's one-class stream (every label 0), in both engines; a label
    event needs two classes and says so."""
    manifest = cg.run(_scenario(kind, {"n_classes": 1}, engine=engine, blocks=2,
                                rows_per_block=30), root=tmp_path / "one")  # fmt: skip
    assert [b.class_counts for b in manifest.blocks] == [{"0": 30}, {"0": 30}]
    assert cg.read_frame(manifest)["y"].tolist() == [0] * 60
    if kind != "random_rbf_drift":  # (balancing a stateful generator needs plan.py's change)
        sc = _scenario(kind, {"n_classes": 1}, engine=engine, rows_per_block=7)
        sc["generator"]["balance"] = True
        assert cg.run(sc, root=tmp_path / "bal").blocks[0].class_counts == {"0": 7}
    flip = _scenario(kind, {"n_classes": 1}, engine=engine)
    flip["drift"] = {"lf": {"kind": "label_flip", "rate": 0.5}}
    with pytest.raises(ScenarioError, match="at least two classes") as err:
        cg.run(flip, root=tmp_path / "flip")
    assert err.value.path.startswith("drift.lf")


# the walk's digests before it drew only the uniforms its rows need (a full
# n_drift_features x 65536 draw per chunk): (params, walk from, walk to) -> sha256
WALK_DIGESTS = [
    ({"seed": 1, "n_features": 5, "n_drift_features": 3, "mag_change": 0.01, "sigma": 0.1},
     100, 140000, "a33d3368ed35a27af13d82612c5f491dc49e539d5d98de148b41c3bb8025c0bc"),
    ({"seed": 1, "n_features": 5, "n_drift_features": 3, "mag_change": 0.01, "sigma": 0.1},
     65530, 65540, "ac14af5ae9e1013d30996dc612a74e02c070d75d820345bfe4524d0aab760152"),
    ({"seed": 7, "n_features": 40, "n_drift_features": 40, "mag_change": 0.001, "sigma": 0.5},
     0, 10, "899be1f6489d0438c919775750b486597f18722ecea69591e73c18cb211d3592"),
    ({"seed": 7, "n_features": 40, "n_drift_features": 40, "mag_change": 0.001, "sigma": 0.5},
     65530, 65540, "76e6b8dcced7ad2264bdb5fb5b11b83c196673ff7d865a8069bc5b5e4605031a"),
    ({"seed": 3, "n_features": 3, "n_drift_features": 1, "mag_change": 0.1, "sigma": 0.02},
     0, 70000, "af8d101983d3c841284a9cc537cdab7fa6ed017e689af5f5572a08bedb0133de"),
    ({"seed": 9, "n_features": 4, "n_drift_features": 2, "mag_change": 0.01, "sigma": 0.005},
     131072, 131077, "b2bde9d6814050c690e4d116dd1836bbe8e9793ec082602766c1596792480798"),
]  # fmt: skip


@pytest.mark.parametrize(("params", "start", "stop", "digest"), WALK_DIGESTS)
def test_hyperplane_walk_output_is_unchanged(
    params: dict[str, Any], start: int, stop: int, digest: str
) -> None:
    p = HyperplaneParams(**params)
    state = start_state(p)
    if start:
        _, state = walk(p, state, start, keep=False)
    path, end = walk(p, state, stop)
    data = path.tobytes() + end.weights.tobytes() + end.directions.tobytes()
    assert hashlib.sha256(data).hexdigest() == digest


@pytest.mark.parametrize(("lo", "hi", "group"), [(0, CHUNK, 2), (10, 20, 2), (65530, CHUNK, 5)])
def test_hyperplane_chunk_uniforms_are_slices_of_the_full_draw(
    lo: int, hi: int, group: int
) -> None:
    full = SeedTree.rng(np.random.SeedSequence(11, spawn_key=(3, 4))).random((5, CHUNK))
    parts = list(chunk_uniforms(11, 4, 5, lo, hi, group))
    assert [first for first, _ in parts] == list(range(0, 5, group))
    assert np.array_equal(np.concatenate([u for _, u in parts]), full[:, lo:hi])


def test_hyperplane_walk_memory_does_not_grow_with_drifting_features() -> None:
    """800 drifting weights for 10 rows took a 800 x 65536 draw (420 MB, and as much again
    for each temporary); the planning pass of 70,000 rows of 200 weights likewise."""
    wide = HyperplaneParams(seed=1, n_features=800, n_drift_features=800, mag_change=0.01)
    mid = HyperplaneParams(seed=1, n_features=200, n_drift_features=200, mag_change=0.01)
    for p, stop, keep, limit in ((wide, 10, True, 2e6), (mid, 70000, False, 40e6)):
        tracemalloc.start()
        try:
            path, end = walk(p, start_state(p), stop, keep=keep)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < limit, (p.n_drift_features, stop, peak)
        assert path.shape == (p.n_drift_features, stop if keep else 0) and end.row == stop


def test_river_engine_reads_the_global_clock_in_a_recurring_sequence(tmp_path: Path) -> None:
    """One block holding a concept's rows in several separate segments (a recurring A, B
    sequence): river's rows are taken at their own global positions, so FriedmanDrift's
    ``gra`` drift (rows 2000 to 4000) is where it is declared, not a segment late. The
    target minus the noiseless drifted target is river's unit-variance noise (std within
    0.15 of 1 per 1000-row segment; a segment read at the wrong clock is about 5)."""
    a = {"drift_type": "gra", "position": [2000, 4000]}
    b = {"drift_type": "lea", "position": [1, 2, 3]}
    m = cg.run(
        {
            "name": "clock",
            "seed": 1,
            "generator": {"kind": "friedman_drift", "engine": "river", "params": a},
            "schedule": {
                "blocks": 1,
                "rows_per_block": 8000,
                "concepts": {"A": a, "B": b},
                "sequence": [{"concept": "A", "rows": 1000}, {"concept": "B", "rows": 1000}],
                "repeat": True,
            },
            "output": {"ground_truth": True},
        },
        root=tmp_path,
    )
    frame = cg.read_frame(m)
    rows = np.arange(len(frame))
    params = cg_params("friedman_drift", **a)
    gen = GENERATORS.get("friedman_drift", "k")(params, "river")
    cols = {f"x{i}": frame[f"x{i}"].to_numpy() for i in range(10)}
    residual = frame["y"].to_numpy() - gen.label(params, cols, rows)
    for start in range(0, 8000, 2000):  # A's segments: rows [0, 1000), [2000, 3000), ...
        part = residual[start : start + 1000]
        assert abs(part.std() - 1.0) < 0.15, start
