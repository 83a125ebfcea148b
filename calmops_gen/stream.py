"""Using a dataset as a stream: river-style ``(x, y)`` pairs, or ``(X, y)`` arrays per block.

Both read one block at a time (memory bounded by the block), in row order, from a dataset
directory or a :class:`~calmops_gen.manifest.Manifest`. Features are the columns with role
``feature``; the target is the ``target`` column; ``block``, time and label-availability
columns are left out of ``x`` (use :func:`iter_frames` to get them).

Examples
--------
>>> import tempfile
>>> from calmops_gen.runner import run
>>> from river import linear_model, metrics, preprocessing
>>> with tempfile.TemporaryDirectory() as root:
...     m = run({"name": "s", "generator": {"kind": "sea"},
...              "schedule": {"blocks": 2, "rows_per_block": 1000}}, root=root)
...     model = preprocessing.StandardScaler() | linear_model.LogisticRegression()
...     acc = metrics.Accuracy()
...     for x, y in iter_stream(m):
...         acc.update(y, model.predict_one(x))
...         model.learn_one(x, y)
...     shapes = [(X.shape, y.shape) for X, y in iter_arrays(m)]
>>> acc.get() > 0.8
True
>>> shapes
[((1000, 3), (1000,)), ((1000, 3), (1000,))]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calmops_gen.errors import DatasetError
from calmops_gen.manifest import Manifest
from calmops_gen.reading import read_block, resolve


def _roles(manifest: Manifest) -> tuple[list[str], str | None]:
    features = [c.name for c in manifest.columns if c.role == "feature"]
    target = next((c.name for c in manifest.columns if c.role == "target"), None)
    return features, target


def iter_frames(dataset: Manifest | Path | str) -> Iterator[pd.DataFrame]:
    """Each data block as a pandas DataFrame, in order."""
    manifest = resolve(dataset)
    for block in manifest.blocks:
        yield read_block(manifest, block.index)


def iter_stream(dataset: Manifest | Path | str) -> Iterator[tuple[dict[str, Any], Any]]:
    """Rows as river-style ``(x, y)`` pairs (``y`` is ``None`` without a target)."""
    manifest = resolve(dataset)
    features, target = _roles(manifest)
    for frame in iter_frames(manifest):
        xs = frame[features].to_dict(orient="records")
        ys = frame[target].tolist() if target else [None] * len(frame)
        yield from zip(xs, ys, strict=True)


def iter_arrays(dataset: Manifest | Path | str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per block, ``(X, y)`` numpy arrays for scikit-learn (``X``: features, float if all
    numeric, object otherwise)."""
    manifest = resolve(dataset)
    features, target = _roles(manifest)
    if target is None:
        raise DatasetError(f"{manifest.directory}: the dataset has no target column")
    for frame in iter_frames(manifest):
        yield frame[features].to_numpy(), frame[target].to_numpy()
