"""Class labels and categories: as a scenario writes them and as a column holds them.

A label given in YAML is matched to the data by value or by its text (:func:`canon`: ``1``
matches ``"1"``, ``true`` matches ``True``), so ids survive a JSON or YAML round trip.
Used by the categorical, label, concept and joint events, the engine and ``verify``.

Examples
--------
>>> match_values(["1", True], [True, 1], "drift.ev.to", "class")
[1, 0]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from pydantic import BeforeValidator

from calmops_gen.drift.cells import arrow_strings, is_categorical_dtype
from calmops_gen.errors import ScenarioError

Value = bool | int | str
"""A category or class label as written in YAML (matched to the data by :func:`canon`)."""


def _label_keys(value: Any) -> Any:
    """One clear error for a mapping keyed by something that is not a label (a float of a
    regression target, a date, ...), instead of one per key and per label type."""
    if isinstance(value, Mapping):
        for key in value:
            whole = isinstance(key, float) and key.is_integer()
            if not (isinstance(key, bool | int | str) or whole):
                raise ValueError(
                    f"keys are class or category labels (text, integers or true/false), got "
                    f"{key!r} ({type(key).__name__}); a float column has no classes"
                )
    return value


#: ``{label: number}`` (proportions, rates, weights) keyed by class or category labels.
LabelMap = Annotated[dict[Value, float], BeforeValidator(_label_keys)]


def canon(value: Any) -> str:
    """Text form used to match a YAML category to a data value.

    Examples
    --------
    >>> [canon(True), canon(np.int64(3)), canon("a"), canon(2.0)]
    ['true', '3', 'a', '2']
    """
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def find_value(value: Any, known: Sequence[Any]) -> int | None:
    """Index of ``value`` in ``known`` (exact match first, then by :func:`canon`)."""
    for i, k in enumerate(known):
        if type(k) is type(value) and k == value:
            return i
    text = canon(value).lower()
    for i, k in enumerate(known):
        if canon(k).lower() == text:
            return i
    if all(isinstance(k, bool | np.bool_) for k in known) and text in ("0", "1"):
        return find_value(text == "1", known)
    return None


#: Why a category a scenario names may be unknown although the data will hold it.
BEFORE_EVENTS = (
    "the column's categories as generated, before any event: a value an earlier event adds "
    "(new_category, merge_categories into a new value) is not one of them"
)


def match_values(values: Sequence[Any], known: Sequence[Any], path: str, what: str) -> list[int]:
    """Indices of ``values`` in ``known``; raise :class:`ScenarioError` at ``path`` if unknown.

    Examples
    --------
    >>> match_values(["b"], ["a", "b"], "drift.e.categories", "category")
    [1]
    >>> match_values(["z"], ["a", "b"], "drift.e.categories", "category")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: drift.e.categories: unknown category 'z'; known: a, b (...)
    """
    out = []
    for v in values:
        i = find_value(v, known)
        if i is None:
            shown = ", ".join(canon(k) for k in known)
            why = f" ({BEFORE_EVENTS})" if what == "category" else ""
            raise ScenarioError(path, f"unknown {what} {v!r}; known: {shown}{why}")
        out.append(i)
    if len(set(out)) != len(out):
        raise ScenarioError(path, f"lists the same {what} twice")
    return out


def plain(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (JSON-serialisable)."""
    return value.item() if isinstance(value, np.generic) else value


def category_set(ref: pd.DataFrame, name: str) -> list[Any]:
    """Categories of column ``name`` (declared ones, or sorted distinct reference values)."""
    series = ref[name]
    if is_categorical_dtype(series):
        return [plain(v) for v in series.cat.categories.tolist()]
    if pd.api.types.is_bool_dtype(series.dtype):
        return [False, True]
    data = arrow_strings(series)
    if data is not None:  # distinct strings without making every row a Python object
        return sorted(v for v in pc.unique(data).to_pylist() if v is not None)
    values = pd.unique(series.dropna().to_numpy())
    return sorted(plain(v) for v in values.tolist())


def proportions_field(value: dict[Value, float] | None, what: str) -> dict[Value, float] | None:
    """Validate ``{category: p}``: every ``p`` in [0, 1], summing to 1."""
    if value is None:
        return None
    if not value:
        raise ValueError(f"give at least one {what}")
    bad = {k: p for k, p in value.items() if not 0.0 <= p <= 1.0}
    if bad:
        raise ValueError(f"proportions must be in [0, 1], got {bad}")
    total = sum(value.values())
    if abs(total - 1.0) > PROPORTION_TOLERANCE:
        raise ValueError(f"proportions must sum to 1, got {total:.6g}")
    return value


def proportion_vector(
    value: Mapping[Value, float], known: Sequence[Any], path: str, what: str
) -> list[float]:
    """``{category: p}`` as a vector over ``known`` (unlisted: 0), normalised to sum 1."""
    idx = match_values(list(value), known, path, what)
    vec = np.zeros(len(known))
    vec[idx] = list(value.values())
    total = vec.sum()
    return [float(v) for v in (vec if abs(total - 1.0) < 1e-12 else vec / total)]


PROPORTION_TOLERANCE = 1e-6


def by_label(labels: Sequence[Any], values: Iterable[Any]) -> dict[str, Any]:
    """``{label: value}`` for a manifest record: labels as :func:`canon` writes them, values
    as plain Python numbers.

    Examples
    --------
    >>> by_label([True, False], np.array([3, 1]))
    {'true': 3, 'false': 1}
    """
    return {canon(c): plain(v) for c, v in zip(labels, values, strict=True)}


def put_counts(stats: dict[str, float], **counts: np.ndarray) -> None:
    """Add per-label counts to an event's block figures as ``<name>:<i>`` for label ``i``
    (summed over blocks; read back with :func:`get_counts`).

    Examples
    --------
    >>> stats = {}
    >>> put_counts(stats, before=np.array([2, 0]))
    >>> stats, get_counts(stats, "before", 2).tolist()
    ({'before:0': 2.0, 'before:1': 0.0}, [2.0, 0.0])
    """
    for name, vec in counts.items():
        for i, v in enumerate(vec):
            stats[f"{name}:{i}"] = float(v)


def get_counts(totals: Mapping[str, float], name: str, k: int) -> np.ndarray:
    """The ``k`` per-label counts :func:`put_counts` added as ``name``, summed over blocks."""
    return np.array([totals.get(f"{name}:{i}", 0.0) for i in range(k)])


def proportion_report(
    labels: Sequence[Any], target: np.ndarray, totals: Mapping[str, float], n: float
) -> dict[str, Any]:
    """The proportions before, after and expected over ``n`` rows (from the counts put as
    ``before``, ``after`` and ``expected``) beside ``target``, and the total variation
    distance to the target before and after (half the L1 distance).

    Examples
    --------
    >>> totals = {"before:0": 3.0, "before:1": 1.0, "after:0": 2.0, "after:1": 2.0,
    ...           "expected:0": 2.0, "expected:1": 2.0}
    >>> report = proportion_report(["a", "b"], np.array([0.5, 0.5]), totals, 4.0)
    >>> report["proportions_before"], report["total_variation_before"]
    ({'a': 0.75, 'b': 0.25}, 0.25)
    """
    k = len(labels)
    before, after, expected = (
        get_counts(totals, key, k) / n for key in ("before", "after", "expected")
    )
    return {
        "target": by_label(labels, target),
        "proportions_before": by_label(labels, before),
        "proportions_after": by_label(labels, after),
        "expected_proportions": by_label(labels, expected),
        "total_variation_before": float(np.abs(before - target).sum() / 2),
        "total_variation_after": float(np.abs(after - target).sum() / 2),
    }
