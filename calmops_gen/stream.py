"""Using a dataset as a stream: river-style ``(x, y)`` pairs, or ``(X, y)`` arrays per block.

Both read one block at a time (memory bounded by the block), in row order, from a dataset
directory or a :class:`~calmops_gen.manifest.Manifest`. Features are the columns with role
``feature``; the target is the ``target`` column; ``block``, time and label-availability
columns are left out of ``x`` (use :func:`iter_frames` to get them), and so is a ``table``'s
own ``block_column`` (``month``), which is constant in each block and would hand a model or
a drift detector the block's identity. A generator with
several targets (``logical``: ``OR``, ``XOR``, ``AND``) gives ``y`` as a dict per row, as
river's ``Logical`` does, and a 2-D ``y`` (one column per target) per block.

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

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from calmops_gen.errors import DatasetError
from calmops_gen.manifest import Manifest
from calmops_gen.reading import read_block, resolve


def _roles(manifest: Manifest) -> tuple[list[str], list[str]]:
    generator = manifest.config.get("generator") or {}
    blocks = (generator.get("params") or {}).get("block_column")
    features = [c.name for c in manifest.columns if c.role == "feature" and c.name != blocks]
    targets = [c.name for c in manifest.columns if c.role == "target"]
    return features, targets


def _none_for_missing(part: pd.DataFrame) -> pd.DataFrame:
    """``part`` with ``None`` for every missing value (``NaN``, ``NaT``, ``pd.NA``), as
    river takes it."""
    missing = part.isna()
    if missing.to_numpy().any():  # one marker for a missing value, whatever the dtype
        part = part.astype(object).where(~missing, None)
    return part


def _labels(frame: pd.DataFrame, targets: list[str]) -> list[Any]:
    """Per row: the target's value, a ``{target: value}`` dict for several, else ``None``.
    A missing label is ``None`` (``pd.NA`` fails inside river)."""
    if not targets:
        return [None] * len(frame)
    labels = _none_for_missing(frame[targets])
    if len(targets) == 1:
        return labels[targets[0]].tolist()
    return labels.to_dict(orient="records")


def iter_frames(dataset: Manifest | Path | str) -> Iterator[pd.DataFrame]:
    """Each data block as a pandas DataFrame, in order."""
    manifest = resolve(dataset)
    for block in manifest.blocks:
        yield read_block(manifest, block.index)


def iter_stream(
    dataset: Manifest | Path | str,
    *,
    include: str | Sequence[str] = (),
    labelled_only: bool = False,
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Rows as river-style ``(x, y)`` pairs (``y`` is ``None`` without a target).

    A missing feature value is ``None`` in ``x`` whatever the column's type (river's marker:
    ``preprocessing.StatImputer`` fills it; a float ``NaN`` would pass through a model
    unnoticed). A missing label is ``None`` too, river's "no label yet"; but river's
    ``progressive_val_score`` (without ``delay``) and a model's ``learn_one`` would take it
    as a class, so ``labelled_only=True`` leaves those rows out (a label that is a dict,
    with several targets, is missing when all its values are).

    ``include`` (a name or a list of names) adds other columns to ``x``: the time column,
    the label-availability column (``label_available_at``), ``block``, or ``row`` (the
    global row index, as in the ground truth). river's ``evaluate.progressive_val_score``
    then replays the stream with each label revealed when it becomes available: ``moment``
    names the time column (or is ``None`` for row delays, river then counting rows from 0
    like ``row``) and ``delay`` is ``lambda x, y: x["label_available_at"] - x["timestamp"]``
    (or ``- x["row"]``). Drop these keys before the model, e.g. with ``compose.Discard``.

    Examples
    --------
    >>> import tempfile
    >>> from calmops_gen.runner import run
    >>> from river import compose, evaluate, linear_model, metrics
    >>> with tempfile.TemporaryDirectory() as root:
    ...     m = run({"name": "late", "generator": {"kind": "sea"},
    ...              "schedule": {"blocks": 2, "rows_per_block": 500},
    ...              "label_delay": {"unit": "rows", "kind": "fixed", "value": 50}}, root=root)
    ...     stream = list(iter_stream(m, include=["row", "label_available_at"]))
    >>> stream[0][0]
    {'x0': ..., 'x1': ..., 'x2': ..., 'row': 0, 'label_available_at': 50}
    >>> model = compose.Discard("row", "label_available_at") | linear_model.LogisticRegression()
    >>> score = evaluate.progressive_val_score(
    ...     stream, model, metrics.Accuracy(),
    ...     delay=lambda x, y: x["label_available_at"] - x["row"])
    >>> score.get() > 0.6
    True
    """
    manifest = resolve(dataset)
    features, targets = _roles(manifest)
    names = {c.name for c in manifest.columns}
    extra = [include] if isinstance(include, str) else [str(name) for name in include]
    extra = list(dict.fromkeys(extra))  # a name given twice is added once
    for name in extra:
        if name != "row" and (name not in names or name in features or name in targets):
            others = [*sorted(names - set(features) - set(targets)), "row"]
            raise DatasetError(
                f"include: {name!r} is not a column to add to x; choose from {others}"
            )
    if "row" in extra and "row" in names:
        raise DatasetError(
            "include: 'row' is a column of this dataset; the global row index cannot be "
            "added under that name"
        )
    columns = features + [name for name in extra if name != "row"]
    offset = 0
    for frame in iter_frames(manifest):
        part = frame[columns]
        if "row" in extra:
            part = part.assign(row=np.arange(offset, offset + len(frame), dtype=np.int64))
            part = part[features + extra]
        offset += len(frame)
        xs = cast(list[dict[str, Any]], _none_for_missing(part).to_dict(orient="records"))
        pairs = zip(xs, _labels(frame, targets), strict=True)
        if labelled_only and targets:
            yield from (p for p in pairs if not _unlabelled(p[1]))
        else:
            yield from pairs


def _unlabelled(y: Any) -> bool:
    """Whether label ``y`` (a value, or ``{target: value}``) is missing altogether."""
    if isinstance(y, dict):
        return all(v is None for v in y.values())
    return y is None


def iter_arrays(dataset: Manifest | Path | str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per block, ``(X, y)`` numpy arrays for scikit-learn.

    ``X``: the features, float64 when every feature is numeric or bool (bools as 0/1), object
    otherwise; a missing value is ``NaN`` either way (what scikit-learn's imputers and
    ``HistGradientBoosting*`` take). ``y``: 1-D, or one column per target when there are
    several, as scikit-learn's multi-output estimators take it; a numeric or bool target
    with missing labels comes as float with ``NaN``, a text one as object with ``NaN``.
    """
    manifest = resolve(dataset)
    features, targets = _roles(manifest)
    if not targets:
        raise DatasetError(f"{manifest.directory}: the dataset has no target column")
    y_columns: str | list[str] = targets[0] if len(targets) == 1 else targets
    for frame in iter_frames(manifest):
        x = frame[features]
        numeric = all(pd.api.types.is_numeric_dtype(t) for t in x.dtypes)  # bool included
        yield _array(x, np.float64 if numeric else object), _array(frame[y_columns])


def _array(data: pd.DataFrame | pd.Series, dtype: Any = None) -> np.ndarray:
    """``data`` as a numpy array of ``dtype`` with ``NaN`` for missing values (not
    ``pd.NA``); pandas 2 cannot put ``NaN`` in an int or bool array, so it is asked to only
    where something is missing: then numbers and bools come as float, text as object.

    Examples
    --------
    >>> _array(pd.Series([True, None, False], dtype="boolean"))
    array([ 1., nan,  0.])
    >>> _array(pd.Series(["a", None], dtype=object))
    array(['a', nan], dtype=object)
    """
    if not bool(data.isna().to_numpy().any()):
        return np.asarray(data.to_numpy(dtype=dtype))
    if dtype is None:
        kinds = data.dtypes if isinstance(data, pd.DataFrame) else [data.dtype]
        numeric = all(pd.api.types.is_numeric_dtype(t) for t in kinds)  # bool included
        dtype = np.float64 if numeric else object
    return np.asarray(data.to_numpy(dtype=dtype, na_value=np.nan))
