"""Shared constants, parameter checks and the translation of seed parameters to events.

Everything here is a plain function of its arguments: the seed keywords every method
accepts, the checks of the seed's window options and the mapping of a seed ``drift_type``
or seed ``conditions`` onto calmops-gen event parameters.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, get_args

import pandas as pd

from calmops_gen.arguments import check_name, number, values_list
from calmops_gen.drift.selection import Op
from calmops_gen.drift.values import plain
from calmops_gen.errors import ScenarioError, suggest
from calmops_gen.profiles import Shape

DEFAULT_RANDOM_STATE = 42
"""Seed used when ``random_state`` is ``None`` (the seed system drew from the OS instead)."""

SQRT3 = math.sqrt(3.0)

SELECTOR_KEYS = frozenset(
    {
        "start_index",
        "end_index",
        "index_step",
        "block_index",
        "blocks",
        "block_start",
        "n_blocks",
        "block_step",
        "time_start",
        "time_end",
        "time_ranges",
        "specific_times",
        "time_step",
    }
)
"""Seed row-selection keywords every method accepts."""

ROLE_KEYS = frozenset({"time_col", "block_column", "target_column"})
"""Per-call column roles (default: the instance's)."""

REPORT_KEYS = frozenset({"auto_report", "output_dir", "generator_name", "resample_rule"})
"""Seed reporting keywords: accepted, nothing is written (a warning says so when asked)."""

FEATURE_DRIFT_TYPES = (
    "gaussian_noise",
    "uniform_noise",
    "shift",
    "scale",
    "add_value",
    "subtract_value",
    "multiply_value",
    "divide_value",
)
_VALUE_TYPES = ("add_value", "subtract_value", "multiply_value", "divide_value")
_SHAPES: tuple[str, ...] = get_args(Shape)
_CONDITION_OPS: tuple[str, ...] = get_args(Op)
_RESERVED_IDS = {"row", "block", "concept"}


def clean_id(text: str, used: set[str]) -> str:
    """A valid, unused event id from ``text`` (letters, digits, single underscores)."""
    base = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    if not base or not base[0].isalpha():
        base = f"e_{base}".rstrip("_")
    base = base[:60].rstrip("_")
    if base in _RESERVED_IDS:
        base = f"{base}_drift"
    out, k = base, 2
    while out in used:
        out = f"{base}_{k}"
        k += 1
    used.add(out)
    return out


def as_list(value: str | Sequence[str] | None, key: str) -> list[str]:
    """One column name or several as a non-empty list (``key`` names the parameter)."""
    if value is None:
        raise ScenarioError(key, "name at least one column")
    cols = [value] if isinstance(value, str) else values_list(value, key)
    for col in cols:
        check_name(col, key)
    return cols


def check_frame(df: Any) -> None:
    """Raise unless ``df`` is a pandas DataFrame."""
    if not isinstance(df, pd.DataFrame):
        raise ScenarioError("df", f"must be a pandas DataFrame, got {type(df).__name__}")


def check_columns(df: pd.DataFrame, cols: Sequence[str], key: str) -> None:
    """Raise, naming ``key``, for the first of ``cols`` that is not a name or that ``df``
    lacks."""
    names = [str(c) for c in df.columns]
    for col in cols:
        check_name(col, key)
        if col not in df.columns:
            raise ScenarioError(
                key, f"the frame has no column {col!r}{suggest(str(col), names) or '.'}"
            )


def is_numeric(series: pd.Series) -> bool:
    """Integer or float (not bool): the columns numeric drift types apply to."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    return bool(pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype))


def check_shape(profile: str) -> str:
    """``profile`` if it is a shape the engine's profiles know."""
    if profile not in _SHAPES:
        raise ScenarioError("profile", f"unknown profile {profile!r}; one of {', '.join(_SHAPES)}")
    return profile


def check_window_options(speed_k: float, direction: str, inconsistency: float = 0.0) -> None:
    """Raise for seed window options with no engine equivalent."""
    if speed_k != 1.0:
        raise ScenarioError(
            "speed_k",
            "has no equivalent here: the engine's shapes always run fully from 0 to 1 over "
            "the window; set the transition length with width instead",
        )
    if direction != "up":
        raise ScenarioError(
            "direction",
            f"{direction!r} is not supported: drift profiles only rise (0 -> 1); to model a "
            "drift that fades, use a recurrent profile or select the rows where it is present",
        )
    if inconsistency != 0.0:
        raise ScenarioError(
            "inconsistency", "random noise on the profile weights has no equivalent here"
        )


def report_options(options: Mapping[str, Any]) -> None:
    """Warn that nothing is written when a call asks for a file or a report."""
    asked = [k for k in ("output_dir", "resample_rule") if options.get(k) is not None]
    if options.get("auto_report"):
        asked.append("auto_report")
    if asked:
        warnings.warn(
            f"{', '.join(asked)}: DriftInjector writes no files or reports; the drifted frame "
            "is returned and the ground truth and realised effects are kept on the instance "
            "(last_ground_truth, last_events, history)",
            UserWarning,
            stacklevel=4,
        )


def check_drift_type(drift_type: str) -> None:
    """Refuse a ``drift_type`` the seed did not have (also where only text columns are
    drifted, which take a ``category_flip`` whatever the type).

    Examples
    --------
    >>> check_drift_type("shfit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: drift_type: unknown drift_type 'shfit'; ... 'shift'? ...
    """
    if drift_type not in FEATURE_DRIFT_TYPES:
        raise ScenarioError(
            "drift_type",
            f"unknown drift_type {drift_type!r}{suggest(drift_type, FEATURE_DRIFT_TYPES) or '.'}"
            f" Known: {', '.join(FEATURE_DRIFT_TYPES)}",
        )


def numeric_params(
    drift_type: str, magnitude: float, value: float | None, value_key: str = "drift_value"
) -> dict[str, Any]:
    """The event of a seed numeric ``drift_type`` (without features, where or profile)."""
    check_drift_type(drift_type)
    if drift_type in _VALUE_TYPES:
        if value is None:
            raise ScenarioError(
                "drift_value", f"drift_type {drift_type!r} needs drift_value (or drift_values)"
            )
        v = number(value, value_key)
        if drift_type == "add_value":
            return {"kind": "add", "value": v}
        if drift_type == "subtract_value":
            return {"kind": "add", "value": -v}
        if drift_type == "multiply_value":
            return {"kind": "multiply", "factor": v}
        if v == 0.0:
            raise ScenarioError("drift_value", "cannot be 0 for drift_type 'divide_value'")
        return {"kind": "multiply", "factor": 1.0 / v}
    if value is not None and drift_type != "shift":
        raise ScenarioError(
            value_key,
            f"is not used by drift_type {drift_type!r} (which takes drift_magnitude)",
        )
    m = number(magnitude, "drift_magnitude")
    if drift_type == "gaussian_noise":
        return {"kind": "noise", "amount_std": m}
    if drift_type == "uniform_noise":
        return {"kind": "noise", "distribution": "uniform", "amount_std": m / SQRT3}
    if drift_type == "shift":
        if value is not None:
            return {"kind": "shift", "amount": number(value, value_key)}
        return {"kind": "shift", "amount_std": m}
    if 1.0 + m <= 0.0:
        raise ScenarioError("drift_magnitude", f"scale needs 1 + drift_magnitude > 0 (got {m})")
    return {"kind": "scale", "factor": 1.0 + m}


def where_conditions(given: Any, key: str) -> list[dict[str, Any]]:
    """Seed conditions ``{column, operator, value}`` as ``where.condition`` entries."""
    if not isinstance(given, Sequence) or isinstance(given, str | bytes):
        raise ScenarioError(key, "must be a list of {column, operator, value} mappings")
    out = []
    for k, cond in enumerate(given):
        path = f"{key}.{k}"
        if not isinstance(cond, Mapping):
            raise ScenarioError(path, "must be a mapping {column, operator, value}")
        extra = set(cond) - {"column", "operator", "op", "value"}
        if extra:
            raise ScenarioError(path, f"unknown key(s) {sorted(extra)}")
        if "operator" in cond and "op" in cond:
            raise ScenarioError(path, "give operator or op, not both")
        op = cond.get("operator", cond.get("op"))
        if op not in _CONDITION_OPS:
            raise ScenarioError(
                f"{path}.operator", f"unknown operator {op!r}; one of {', '.join(_CONDITION_OPS)}"
            )
        if "column" not in cond or "value" not in cond:
            raise ScenarioError(path, "needs column, operator and value")
        value = cond["value"]
        if op in ("in", "not_in"):
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
                raise ScenarioError(f"{path}.value", f"operator {op!r} needs a list of values")
            value = [plain(v) for v in value]
        out.append({"column": cond["column"], "op": op, "value": plain(value)})
    return out
