"""Random decision-tree concepts (Domingos & Hulten, 2000), as river's ``RandomTree``.

``n_num_features`` numeric features ``x_num_i`` uniform on [0, 1) and ``n_cat_features``
integer-coded nominal features ``x_cat_i`` uniform on ``0 .. n_categories_per_feature - 1``;
the class is read off a random tree whose inner nodes split a numeric feature at a threshold
(``x < threshold`` goes left) or a nominal feature by value, and whose leaves carry a class.
The tree is drawn from the model seed ``seed_tree`` (``None``: derived per concept; pin it to
fix the concept).

Both engines grow the very same tree: :func:`tree_model` runs river's recursive construction
with river's own draws (``random.Random(seed_tree)``: the leaf test
``fraction_leaves_per_level >= 1 - random()`` from ``first_leaf_level`` on, ``randint`` for
the split feature and the leaf class, ``random()`` for a threshold inside the branch's
current range), and flattens it into arrays; the numpy engine then labels the rows without
a per-row loop, all rows of a chunk descending the tree one level per step. river behaviours
reproduced on purpose:

* the split feature is ``randint(0, len(candidates) - 1)``: below ``n_num_features`` it is
  that numeric feature (numeric features stay candidates forever, so a branch may split one
  again inside its narrowed range), otherwise the candidate at that position, a nominal
  feature then removed from the candidates of its subtree;
* every node at depth ``max_tree_depth`` is a leaf; from ``first_leaf_level`` on a node is a
  leaf with probability ``fraction_leaves_per_level``.

Validation beyond river's: without numeric features a branch can run out of nominal
features to split (river then fails inside ``randint``), so ``n_cat_features`` must be at
least ``max_tree_depth`` when ``n_num_features`` is 0, and at least one feature is needed.
The tree grows geometrically with ``max_tree_depth`` past ``first_leaf_level`` (river's
defaults: ~570 nodes at depth 5, ~3e7 at depth 15, built at ~10 million nodes a second), so
parameters whose expected tree exceeds :data:`MAX_TREE_NODES` are refused with the remedy
(river would run for minutes, or for ever, and exhaust memory).

The concept is a tree (discrete), so there are no incremental transitions; the target ``y``
is ``int64``.

Examples
--------
>>> import numpy as np
>>> params = RandomTreeParams(seed_tree=42, n_num_features=2, n_cat_features=2,
...                           n_categories_per_feature=2, max_tree_depth=6)
>>> tree = tree_model(params)
>>> tree.depth <= 6, int(tree.leaf.sum()) >= 2
(True, True)
>>> x = {"x_num_0": np.array([0.6394]), "x_num_1": np.array([0.0250]),
...      "x_cat_0": np.array([1]), "x_cat_1": np.array([0])}
>>> tree_label(tree, x, params).tolist()  # river's first row for seeds 42/42
[0]
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, model_validator

from calmops_gen.generators.base import MAX_WIDTH, Column, ConceptGenerator, Draw, GeneratorParams
from calmops_gen.generators.registry import GENERATORS
from calmops_gen.validation import key_error

MAX_TREE_NODES = 5e7
"""Largest expected tree accepted (river's construction makes ~10 million nodes a second)."""


def expected_tree_size(p: RandomTreeParams) -> float:
    """Expected node count of the tree river grows for ``p`` (an upper estimate: nominal
    features used up along a branch narrow later splits, which this ignores), counted up to
    just past :data:`MAX_TREE_NODES`.

    Every node splits a feature drawn uniformly (2 branches for a numeric one,
    ``n_categories_per_feature`` for a nominal one) until ``max_tree_depth``; from
    ``first_leaf_level`` on a node is a leaf with probability ``fraction_leaves_per_level``.

    Examples
    --------
    >>> round(expected_tree_size(RandomTreeParams()))  # river's defaults
    567
    """
    n = p.n_num_features + p.n_cat_features
    branching = (2 * p.n_num_features + p.n_categories_per_feature * p.n_cat_features) / n
    total, level = 0.0, 1.0
    for depth in range(p.max_tree_depth + 1):
        total += level
        inner = 1.0 - (p.fraction_leaves_per_level if depth >= p.first_leaf_level else 0.0)
        level *= branching * inner
        if total > MAX_TREE_NODES:
            break
    return total


class RandomTreeParams(GeneratorParams):
    """river's RandomTree parameters; ``seed_tree`` is the model seed of the tree."""

    seed_tree: int | None = Field(default=None, ge=0)
    n_classes: int = Field(default=2, ge=1, le=MAX_WIDTH)
    n_num_features: int = Field(default=5, ge=0, le=MAX_WIDTH)
    n_cat_features: int = Field(default=5, ge=0, le=MAX_WIDTH)
    n_categories_per_feature: int = Field(default=5, ge=1, le=MAX_WIDTH)
    max_tree_depth: int = Field(default=5, ge=0, le=MAX_WIDTH)
    first_leaf_level: int = Field(default=3, ge=0)
    fraction_leaves_per_level: float = Field(default=0.15, ge=0.0, le=1.0)

    seed_fields: ClassVar[tuple[str, ...]] = ("seed_tree",)

    @model_validator(mode="after")
    def _tree_fits(self) -> RandomTreeParams:
        # checked on the whole model, so that a default (max_tree_depth 5) is checked too
        if self.n_num_features == 0 and self.n_cat_features == 0:
            raise key_error("n_cat_features", "needs at least one feature (n_num_features is 0)", 0)
        # river's branch stops at max_tree_depth, or from first_leaf_level with probability
        # fraction_leaves_per_level (1: always); without numeric features each split on the
        # way takes a nominal feature of its own
        deepest = self.max_tree_depth
        if self.fraction_leaves_per_level >= 1.0:
            deepest = min(deepest, self.first_leaf_level)
        if self.n_num_features == 0 and deepest > self.n_cat_features:
            raise key_error(
                "max_tree_depth",
                f"a branch may split {deepest} times, but without numeric features each "
                f"split takes one of the {self.n_cat_features} nominal features "
                "(n_cat_features); lower max_tree_depth (or first_leaf_level, with "
                "fraction_leaves_per_level 1)",
                self.max_tree_depth,
            )
        size = expected_tree_size(self)
        if size > MAX_TREE_NODES:
            raise key_error(
                "max_tree_depth",
                f"{self.max_tree_depth}: the tree would have more than {MAX_TREE_NODES:.0e} "
                "nodes on average (river makes about 10 million a second, and past "
                "first_leaf_level the count still grows every level); lower max_tree_depth "
                "or first_leaf_level, or raise fraction_leaves_per_level",
                self.max_tree_depth,
            )
        return self

    @property
    def feature_names(self) -> list[str]:
        """river's feature names: numeric ones first."""
        return [f"x_num_{i}" for i in range(self.n_num_features)] + [
            f"x_cat_{i}" for i in range(self.n_cat_features)
        ]


@dataclass(frozen=True)
class TreeModel:
    """A tree as arrays indexed by node (node 0 is the root; pre-order).

    ``feature`` is the split feature index in river's order (-1 for leaves), ``threshold``
    the numeric split value, ``label`` a leaf's class, ``children[node, branch]`` the child
    taken (branch 0/1 for numeric ``<`` / ``>=``, the category for nominal splits).
    """

    feature: np.ndarray
    threshold: np.ndarray
    label: np.ndarray
    children: np.ndarray
    depth: int

    @property
    def leaf(self) -> np.ndarray:
        """True for leaves."""
        return np.asarray(self.feature < 0)


@lru_cache(maxsize=32)
def _grow(params: RandomTreeParams) -> TreeModel:
    p = params
    rng = random.Random(p.seed_tree)
    feature: list[int] = []
    threshold: list[float] = []
    label: list[int] = []
    children: list[list[int]] = []
    deepest = 0

    def node(depth: int, candidates: list[int], lo: list[Any], hi: list[Any]) -> int:
        nonlocal deepest
        deepest = max(deepest, depth)
        me = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        label.append(0)
        children.append([])
        if depth >= p.max_tree_depth or (
            depth >= p.first_leaf_level and p.fraction_leaves_per_level >= (1.0 - rng.random())
        ):
            label[me] = rng.randint(0, p.n_classes - 1)
            return me
        chosen = rng.randint(0, len(candidates) - 1)
        if chosen < p.n_num_features:
            value = (hi[chosen] - lo[chosen]) * rng.random() + lo[chosen]
            feature[me], threshold[me] = chosen, value
            left_hi = list(hi)
            left_hi[chosen] = value
            left = node(depth + 1, candidates, lo, left_hi)
            right_lo = list(lo)
            right_lo[chosen] = value
            right = node(depth + 1, candidates, right_lo, hi)
            children[me] = [left, right]
        else:
            split = candidates[chosen]
            feature[me] = split
            rest = [c for c in candidates if c != split]
            children[me] = [
                node(depth + 1, rest, lo, hi) for _ in range(p.n_categories_per_feature)
            ]
        return me

    n_num = p.n_num_features
    node(0, list(range(n_num + p.n_cat_features)), [0] * n_num, [1] * n_num)
    width = max(2, p.n_categories_per_feature)
    table = np.zeros((len(feature), width), dtype=np.int64)
    for i, kids in enumerate(children):
        table[i, : len(kids)] = kids
    return TreeModel(
        feature=np.asarray(feature, dtype=np.int64),
        threshold=np.asarray(threshold, dtype=np.float64),
        label=np.asarray(label, dtype=np.int64),
        children=table,
        depth=deepest,
    )


def tree_model(params: RandomTreeParams) -> TreeModel:
    """river's tree for ``params`` (grown from ``seed_tree`` with river's draws)."""
    if params.seed_tree is None:
        raise ValueError("seed_tree is a model seed: set it (the planner fills it)")
    return _grow(params)


def tree_label(
    tree: TreeModel, features: Mapping[str, np.ndarray], params: RandomTreeParams
) -> np.ndarray:
    """Class of each row (:func:`descend` on the features in river's order)."""
    names = params.feature_names
    n = len(np.asarray(features[names[0]]))
    values = np.empty((len(names), n), dtype=np.float64)
    for i, name in enumerate(names):
        values[i] = features[name]
    return descend(tree, values, params.n_num_features)


CHUNK = 1 << 14  # rows descended together (their values and indices stay in cache)


def descend(tree: TreeModel, values: np.ndarray, n_num: int) -> np.ndarray:
    """Class of each column of ``values`` (features x rows, river's feature order).

    Every row takes one branch per level (``x < threshold`` left for numeric features, the
    category for nominal ones); a row at a leaf stays there (leaves are their own children
    here), so after ``depth`` levels every row sits at its leaf. Rows go down in chunks of
    :data:`CHUNK`, all rows of a chunk one level per step; a row's position is its node
    times the table width, so that node tables (repeated per branch) and the child table
    are read with one index each.
    """
    n = values.shape[1]
    if tree.depth == 0 or tree.feature[0] < 0:  # the root is a leaf
        return np.full(n, tree.label[0], dtype=np.int64)
    width = tree.children.shape[1]
    leaf = tree.feature < 0
    ids = np.arange(len(leaf), dtype=np.intp)
    child = (np.where(leaf[:, None], ids[:, None], tree.children) * width).astype(np.intp)
    child = child.ravel()  # position + branch -> the child's position
    feat = np.where(leaf, 0, tree.feature)
    numeric = ~leaf & (feat < n_num)
    offset = np.repeat(feat * n, width).astype(np.intp)  # where the node's feature starts
    # branch = (x >= threshold) + x * nominal: the comparison for numeric splits, the value
    # itself for nominal ones (threshold inf), and 0 at leaves
    threshold = np.repeat(np.where(numeric, tree.threshold, np.inf), width)
    nominal = np.repeat((~leaf & ~numeric).astype(np.float64), width)
    flat = values.ravel()
    labels = np.empty(n, dtype=np.int64)
    size = min(CHUNK, n)
    v, t = np.empty(size), np.empty(size)
    ge = np.empty(size, dtype=bool)
    at, pos = np.empty(size, dtype=np.intp), np.empty(size, dtype=np.intp)
    for lo in range(0, n, CHUNK):
        k = min(CHUNK, n - lo)
        v, t, ge, at, pos = v[:k], t[:k], ge[:k], at[:k], pos[:k]
        rows = np.arange(lo, lo + k, dtype=np.intp)
        root = values[feat[0], lo : lo + k]  # level 0: every row at the root
        at[...] = np.greater_equal(root, tree.threshold[0], out=ge) if numeric[0] else root
        np.take(child, at, out=pos, mode="clip")
        for _ in range(tree.depth - 1):
            np.take(offset, pos, out=at, mode="clip")
            at += rows
            np.take(flat, at, out=v, mode="clip")
            np.take(threshold, pos, out=t, mode="clip")
            np.greater_equal(v, t, out=ge)
            np.take(nominal, pos, out=t, mode="clip")
            v *= t
            v += ge
            at[...] = v
            at += pos
            np.take(child, at, out=pos, mode="clip")
        pos //= width
        np.take(tree.label, pos, out=labels[lo : lo + k], mode="clip")
    return labels


@GENERATORS.register("random_tree")
class RandomTree(ConceptGenerator):
    """Random tree stream: uniform numeric and nominal features labelled by a random tree.

    Examples
    --------
    >>> gen = RandomTree(RandomTreeParams(n_num_features=1, n_cat_features=1), "numpy")
    >>> [(c.name, c.dtype, c.nominal) for c in gen.columns()]
    [('x_num_0', 'double', False), ('x_cat_0', 'int64', True), ('y', 'int64', False)]
    """

    kind: ClassVar[str] = "random_tree"
    Params: ClassVar[type[RandomTreeParams]] = RandomTreeParams

    def _p(self) -> RandomTreeParams:
        p = self.params
        return p if isinstance(p, RandomTreeParams) else self.Params()

    def columns(self) -> tuple[Column, ...]:
        p = self._p()
        num = tuple(Column(f"x_num_{i}", "double", "feature") for i in range(p.n_num_features))
        cat = tuple(
            Column(f"x_cat_{i}", "int64", "feature", nominal=True) for i in range(p.n_cat_features)
        )
        return (*num, *cat, Column("y", "int64", "target"))

    def classes(self) -> tuple[Hashable, ...]:
        return self.classes_for(self._p())

    def classes_for(self, params: GeneratorParams) -> tuple[Hashable, ...]:
        """``0 .. n_classes - 1`` of the concept ``params``.

        Examples
        --------
        >>> RandomTree(RandomTreeParams(), "numpy").classes_for(RandomTreeParams(n_classes=3))
        (0, 1, 2)
        """
        p = params if isinstance(params, RandomTreeParams) else self._p()
        return tuple(range(p.n_classes))

    def sample_numpy(self, params: Any, draw: Draw) -> dict[str, np.ndarray]:
        n, rng = draw.n, draw.rng
        n_num, n_cat = params.n_num_features, params.n_cat_features
        values = np.empty((n_num + n_cat, n), dtype=np.float64)
        rng.random(out=values[:n_num])
        cat = rng.integers(0, params.n_categories_per_feature, (n_cat, n))
        values[n_num:] = cat
        cols: dict[str, np.ndarray] = {f"x_num_{i}": values[i] for i in range(n_num)}
        cols.update({f"x_cat_{i}": cat[i] for i in range(n_cat)})
        cols["y"] = descend(tree_model(params), values, n_num)
        return cols

    def label(
        self, params: Any, features: Mapping[str, np.ndarray], rows: np.ndarray
    ) -> np.ndarray:
        return tree_label(tree_model(params), features, params)

    def river_dataset(self, params: Any, seed: int) -> Any:
        from river.datasets import synth

        return synth.RandomTree(
            seed_tree=params.seed_tree,
            seed_sample=seed,
            n_classes=params.n_classes,
            n_num_features=params.n_num_features,
            n_cat_features=params.n_cat_features,
            n_categories_per_feature=params.n_categories_per_feature,
            max_tree_depth=params.max_tree_depth,
            first_leaf_level=params.first_leaf_level,
            fraction_leaves_per_level=params.fraction_leaves_per_level,
        )
