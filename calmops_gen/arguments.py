"""Checks of the arguments users pass to the Python facades (``DriftInjector``, the
``synthetic`` classes): each wrong value becomes a :class:`~calmops_gen.errors.ScenarioError`
naming the argument, never a ``TypeError`` or ``ValueError`` from deep inside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from calmops_gen.errors import ScenarioError


def check_name(value: Any, key: str) -> None:
    """Raise, naming ``key``, unless ``value`` is a column name (a string) or ``None``.

    Examples
    --------
    >>> check_name(["y"], "target_column")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: target_column: must be a column name, got ['y'] (list)
    """
    if value is not None and not isinstance(value, str):
        raise ScenarioError(key, f"must be a column name, got {value!r} ({type(value).__name__})")


def integer(value: Any, key: str) -> int:
    """``value`` (a user's argument) as an int: a Python or numpy integer, not a bool.

    Examples
    --------
    >>> integer(np.int64(5), "n_samples")
    5
    >>> integer("5", "n_samples")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: n_samples: must be an integer, got '5'
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ScenarioError(key, f"must be an integer, got {value!r}")
    return int(value)


def number(value: Any, key: str) -> float:
    """``value`` (a user's argument) as a float: a real number, not a bool or NaN.

    Examples
    --------
    >>> number(2, "drift_magnitude")
    2.0
    >>> number("x", "drift_magnitude")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: drift_magnitude: must be a number, got 'x'
    """
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or math.isnan(value):
        raise ScenarioError(key, f"must be a number, got {value!r}")
    return float(value)


def share(value: Any, key: str) -> float:
    """``value`` (a user's argument) as a probability or fraction: a number in ``[0, 1]``.

    Examples
    --------
    >>> share(1, "missing_fraction")
    1.0
    >>> share(2, "missing_fraction")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: missing_fraction: must be in [0, 1], got 2
    """
    x = number(value, key)
    if not 0.0 <= x <= 1.0:
        raise ScenarioError(key, f"must be in [0, 1], got {value!r}")
    return x


def whole(value: Any, key: str) -> int:
    """``value`` (a user's argument) as an int: an integer, or a float with no fraction.

    Examples
    --------
    >>> whole(3.0, "width"), whole(4, "width")
    (3, 4)
    >>> whole(2.5, "width")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: width: must be a whole number, got 2.5
    """
    x = number(value, key)
    if not x.is_integer():
        raise ScenarioError(key, f"must be a whole number, got {value!r}")
    return int(x)


def number_matrix(value: Any, key: str) -> list[list[float]]:
    """``value`` as a matrix (list of rows) of floats, or a ScenarioError naming ``key``."""
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScenarioError(key, f"must be a matrix of numbers, got {value!r}") from None
    if matrix.ndim != 2:
        raise ScenarioError(key, f"must be a matrix (a list of rows), got {value!r}")
    out: list[list[float]] = matrix.tolist()
    return out


def mapping(value: Any, key: str, what: str) -> Mapping[Any, Any]:
    """``value`` if it is a mapping, else a ScenarioError asking for ``what``."""
    if not isinstance(value, Mapping):
        raise ScenarioError(key, f"must be a mapping {what}, got {value!r}")
    return value


def values_list(value: Any, key: str) -> list[Any]:
    """``value`` (a non-empty list, tuple or other sequence of values, not text or a
    mapping) as a list.

    Examples
    --------
    >>> values_list(("a", 1), "categories")
    ['a', 1]
    >>> values_list(3, "categories")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: categories: must be a list of values, got 3
    >>> values_list([], "categories")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: categories: must list at least one value
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | np.ndarray):
        raise ScenarioError(key, f"must be a list of values, got {value!r}")
    if not len(value):
        raise ScenarioError(key, "must list at least one value")
    return list(value)
