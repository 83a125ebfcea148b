"""The seed system's ``DriftInjector``, as a facade over :func:`calmops_gen.injector.inject`.

Seed users keep their class and method names; every method maps its seed parameters onto
calmops-gen drift events (one event, or one per column / window / time range when the seed
call meant several) and applies them to a **copy** of the frame through the same engine as
``calmops_gen.run``. Each call returns the drifted frame and keeps the ground truth:

* ``last_ground_truth``: one row per input row (``row``, ``block``, per event its profile
  weight and, for events that change a random subset, ``<id>__changed``);
* ``last_events``: the manifest records of the events, with their realised effects;
* ``history``: one :class:`DriftRecord` per call (method, seed, events, roles, results).

Unlike the seed, **nothing is written**: no ``drift_output/`` directory at construction, no CSV
or report per call (``output_dir``, ``auto_report=True`` and ``resample_rule`` only raise a
warning saying so). Nothing is silently skipped either: an unknown keyword is a
``TypeError``; a seed option with no equivalent here, a selector that selects nothing or an
unknown drift type is a :class:`~calmops_gen.errors.ScenarioError` naming the parameter.

Randomness: ``random_state=None`` means seed 42. Call ``k`` (0-based) of an instance uses
:meth:`DriftInjector.seed_for_call` ``(k)``: ``random_state`` itself for the first call, then
a seed derived from ``(random_state, k)``, so a fresh instance replays the same sequence of
calls exactly and repeated calls draw fresh randomness (as the seed's shared ``rng`` did).
The seed in use is recorded in each :class:`DriftRecord`.

Method -> event mapping (``m`` = ``drift_magnitude``, ``v`` = ``drift_value`` or
``drift_values[col]``; ``std``/``mean`` are the column's *reference* figures, see below):

=================================  ==========================================================
seed method                        calmops-gen event
=================================  ==========================================================
``inject_feature_drift``           ``drift_type``: ``gaussian_noise`` -> ``noise``
                                   ``amount_std=m``; ``uniform_noise`` -> ``noise``
                                   ``distribution=uniform, amount_std=m/sqrt(3)`` (so the
                                   noise spans ``+-m*std`` as in the seed); ``shift`` ->
                                   ``shift amount_std=m`` (or ``amount=v``); ``scale`` ->
                                   ``scale factor=1+m``; ``add_value``/``subtract_value`` ->
                                   ``add value=+-v``; ``multiply_value`` -> ``multiply
                                   factor=v``; ``divide_value`` -> ``multiply factor=1/v``
                                   (``v=0`` rejected). Non-numeric columns (text, category,
                                   bool): ``category_flip rate=clip(m, 0, 1)`` per column.
``..._gradual``                    same, profile ``gradual`` (window mapping below)
``..._abrupt``                     same, from position ``change_index`` of the selection on
``..._incremental``                same, profile ``incremental``
``..._recurrent``                  same, profile ``recurrent`` ``period = span // repeats``
                                   (or one event per ``windows`` entry)
``inject_conditional_drift``       same, ``where.condition`` from ``conditions``
``inject_label_drift`` (+ ``_gradual/_abrupt/_incremental/_recurrent``)
                                   ``label_flip rate=m``
``inject_label_shift``             ``prior_shift target=target_distribution`` (normalised)
``inject_concept_drift`` (+ ``_gradual``)
                                   ``label_flip rate=m``; or ``concept`` with a declared rule
``inject_outliers`` / ``inject_outliers_global``
                                   ``outliers`` (``global``: ``zscore z=factor``)
``inject_missing_values`` / ``inject_missing_values_drift`` / ``inject_nulls``
                                   ``missing`` (``mcar``, ``mar`` or ``mnar``)
``inject_new_category`` / ``inject_new_category_drift`` / ``inject_new_value``
                                   ``new_category`` (``inject_new_value`` on a numeric
                                   column: ``set`` with ``where.fraction=prob``)
``inject_correlation_drift`` / ``inject_correlation_matrix_drift``
                                   ``correlation target=matrix``
``inject_category_frequency_drift`` (alias ``inject_categorical_frequency_drift``)
                                   ``category_frequency``, target ``(1-m)*before + m*p``
``inject_typos_drift``             ``typos rate=m`` (one edit per typo row)
``inject_category_merge_drift``    ``merge_categories``
``inject_multiple_types_of_drift`` every step's events in one ``inject`` call
``apply_drifts``                   calmops-gen event dicts, unchanged
=================================  ==========================================================

Semantic differences from the seed (deliberate; each also noted in the method's docstring):

* **shift** moves by ``m`` reference standard deviations (or by ``drift_value``, absolute).
  The seed moved by ``m * mean`` of the selected rows, so a zero-mean column never moved and
  "shift by 5" on a column of mean 10 added 50.
* **Reference figures.** Magnitudes in standard deviations and the centre of ``scale`` use
  the column's mean/std in the event's reference block as it was before the call: the whole
  frame without a block column; with one, the first selected block when the call selects
  blocks, else the frame's first block. The seed used the selected rows' own figures.
* **Selectors intersect.** The seed used the first criterion present (time, then blocks,
  then ``block_index``, then positions) and silently ignored the rest; here they combine.
  Inside the time group, exactly one of ``time_start``/``time_end``, ``time_ranges`` and
  ``specific_times`` may be given (the seed OR-ed them).
* **Positions**: ``start_index``/``end_index`` are ``iloc`` positions (end exclusive, negative
  values allowed as in a slice; the seed clipped to the frame, and so do we). With a block
  column whose blocks are not contiguous in the frame, positions would count rows in block
  order, so they are refused. ``index_step`` other than 1 is refused.
* **Blocks**: ``blocks`` / ``block_index`` are block *ids* (values of the block column), as in
  the seed, mapped to the engine's 0-based blocks in order of first appearance;
  ``block_start`` + ``n_blocks`` (+ ``block_step``) walk the sorted ids as the seed did. An
  id that does not exist is an error (the seed selected nothing).
* **Time**: the seed's ``time_end`` is inclusive; the engine's window is ``[t0, t1)`` with
  microsecond resolution, so ``t1 = time_end + 1 microsecond`` (a row stamped less than a
  microsecond after ``time_end`` would also be selected). A missing ``time_start`` /
  ``time_end`` means the first / last timestamp. ``time_ranges`` gives one event per range
  (refused for windowed methods); ``specific_times`` and ``time_step`` become a
  ``where.condition`` ``in`` on the time column (refused for windowed methods, whose window
  needs a contiguous selection).
* **Empty selections raise** (the seed returned the frame unchanged).
* **The label column as a feature**: feature and data-quality methods may name the label
  column (as in the seed); that call then gives it no target role.
* **Windows.** The seed's transition window is centred at ``center`` (default ``n // 2`` of
  the ``n`` selected rows) with ``width`` (default ``n // 5``); the engine's ``gradual``
  profile is a ramp starting where the span starts. The centring is emulated by narrowing the
  span to start at selected position ``center - width // 2``: rows before it are untouched
  (weight 0), the ramp of ``width`` rows follows, then weight 1. The engine's shapes go
  exactly from 0 to 1 inside the window; the seed's sigmoid only spanned about 0.12 to 0.88
  of it and leaked small weights outside. A window running past the end of the selection is
  an error (the seed truncated it). ``speed_k`` other than 1, ``direction="down"`` and
  ``inconsistency`` other than 0 have no engine equivalent and raise.
* **Incremental** is a linear ramp from 0 at the first selected row to 1 at the last (the
  seed's sigmoid never reached full drift and had drift at row 0).
* **Abrupt**: ``change_index`` is a position inside the selection (the row position itself
  when nothing else is selected, as in the seed's ``start_index=change_index``).
* **Recurrent**: the seed ignored its arguments and returned the frame unchanged. Here
  ``repeats`` gives a ``recurrent`` profile of ``period = span // repeats`` rows, on for the
  first ``duty`` share of each period (extensions ``duty=0.5``, ``edge=0``, with ``profile``
  shaping the edges); ``windows=[(center, width), ...]`` gives one abrupt event per window,
  on for ``width`` selected rows centred at ``center``. ``cycle_blocks``,
  ``random_repeat_order``, ``center``/``width`` (per cycle), ``center_in_block`` and
  ``width_in_block`` raise when set.
* **Labels** flip each selected row with probability ``m * w`` (the seed's working label
  methods flipped exactly ``int(n * m)`` rows; its ``inject_label_drift*`` methods were
  no-ops). ``inject_label_shift`` resamples **whole rows** toward the target proportions
  (P(x|y) kept); the seed's successor overwrote only the labels. One target per call.
* **Outliers** (``inject_outliers_global``): an outlier lands at ``mean +- factor * std`` of
  the reference; the seed added ``+-factor * std`` of the outlier rows only to the value.
* **Correlation** keeps every marginal exactly (Iman-Conover re-ranking); the seed (a stub
  in CalmOps, a Cholesky transform in its successor) changed the values. A target that is
  not a correlation matrix is an error (the successor projected it).
* **Schedules** are planned against the frame given, then applied in order in one
  ``inject`` call: conditions are evaluated as each event applies (so they see the earlier
  steps' effects), while figures the facade computes itself (selection positions, the
  "before" proportions of ``inject_category_frequency_drift``) come from the frame as given.
  The caller's step dicts are never modified; an unknown method or a bad parameter raises
  before anything is applied (the seed swallowed errors and silently skipped steps).

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"x": np.linspace(-1.0, 1.0, 10), "y": [0, 1] * 5})
>>> inj = DriftInjector(target_column="y")
>>> out = inj.inject_feature_drift(df, ["x"], drift_type="shift", drift_magnitude=2.0,
...                                start_index=5)
>>> float(out["x"].iloc[:5].sub(df["x"].iloc[:5]).abs().max())  # rows before: untouched
0.0
>>> shift = (out["x"] - df["x"]).iloc[5:]
>>> bool(np.allclose(shift, 2.0 * df["x"].std(ddof=0)))  # 2 stds, although the mean is 0
True
>>> inj.last_ground_truth["shift"].tolist()
[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
>>> round(inj.last_events[0].realised["x"]["mean_shift"], 6) == round(float(shift.mean()), 6)
True
"""

from __future__ import annotations

import copy
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from calmops_gen.drift import EVENTS
from calmops_gen.errors import ScenarioError, suggest
from calmops_gen.injector import inject
from calmops_gen.manifest import EventInfo
from calmops_gen.schedule import as_ns
from calmops_gen.seeding import stable_int

__all__ = ["DEFAULT_RANDOM_STATE", "DriftInjector", "DriftRecord"]

DEFAULT_RANDOM_STATE = 42
"""Seed used when ``random_state`` is ``None`` (the seed system drew from the OS instead)."""

SQRT3 = math.sqrt(3.0)
TIME_EPSILON = pd.Timedelta(1, "us")
"""Added to an inclusive ``time_end``: the engine's ``where.time`` has microsecond resolution."""

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
_SHAPES = ("sigmoid", "linear", "cosine")
_CONDITION_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
_RULES = ("threshold", "linear", "swap")
_RULE_KEYS = frozenset(
    {
        "feature",
        "threshold",
        "shift",
        "features",
        "weights",
        "bias",
        "angle",
        "above",
        "below",
        "classes",
        "condition",
    }
)
_RESERVED_IDS = {"row", "block", "concept"}
_TYPO_OPS = ("swap", "delete", "duplicate", "replace")
_SEED_TYPO_RANDOM = ["swap", "delete", "duplicate"]

SCHEDULE_METHODS = (
    "inject_feature_drift",
    "inject_feature_drift_gradual",
    "inject_feature_drift_abrupt",
    "inject_feature_drift_incremental",
    "inject_feature_drift_recurrent",
    "inject_conditional_drift",
    "inject_label_drift",
    "inject_label_drift_gradual",
    "inject_label_drift_abrupt",
    "inject_label_drift_incremental",
    "inject_label_drift_recurrent",
    "inject_label_shift",
    "inject_concept_drift",
    "inject_concept_drift_gradual",
    "inject_outliers",
    "inject_outliers_global",
    "inject_missing_values",
    "inject_missing_values_drift",
    "inject_nulls",
    "inject_new_category",
    "inject_new_category_drift",
    "inject_new_value",
    "inject_correlation_drift",
    "inject_correlation_matrix_drift",
    "inject_category_frequency_drift",
    "inject_categorical_frequency_drift",
    "inject_typos_drift",
    "inject_category_merge_drift",
    "apply_drifts",
)
"""Methods a schedule step may name."""


@dataclass(frozen=True)
class DriftRecord:
    """One call of a :class:`DriftInjector` method: what was applied and what it did.

    ``events`` are the calmops-gen event dicts passed to :func:`~calmops_gen.injector.inject`
    (``inject(frame, record.events, seed=record.seed, time_column=record.time_column,
    block_column=record.block_column, target=record.target)`` reproduces the call);
    ``ground_truth`` and ``event_infos`` are what it returned.
    """

    method: str
    seed: int
    events: dict[str, dict[str, Any]]
    time_column: str | None
    block_column: str | None
    target: str | None
    ground_truth: pd.DataFrame
    event_infos: list[EventInfo]


@dataclass(frozen=True)
class _Roles:
    time: str | None
    block: str | None
    target: str | None


@dataclass
class _Selection:
    roles: _Roles
    wheres: list[dict[str, Any]]
    reference_block: int | None = None
    filter_key: str | None = None  # selector that became a where.condition (not a span)


@dataclass(frozen=True)
class _Timing:
    """How the drift unfolds over the selection (seed window parameters, validated)."""

    kind: Literal["abrupt", "gradual", "incremental", "recurrent"] = "abrupt"
    change_index: int = 0
    center: int | None = None
    width: int | None = None
    shape: str = "sigmoid"
    repeats: int = 1
    windows: tuple[tuple[int, int], ...] | None = None
    duty: float = 0.5
    edge: int = 0


@dataclass
class _Step:
    method: str
    events: dict[str, dict[str, Any]]
    roles: _Roles


@dataclass
class _Collector:
    steps: list[_Step] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _clean_id(text: str, used: set[str]) -> str:
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


def _as_list(value: str | Sequence[str] | None, key: str) -> list[str]:
    if value is None:
        raise ScenarioError(key, "name at least one column")
    cols = [value] if isinstance(value, str) else list(value)
    if not cols:
        raise ScenarioError(key, "name at least one column")
    return cols


def _check_columns(df: pd.DataFrame, cols: Sequence[str], key: str) -> None:
    names = [str(c) for c in df.columns]
    for col in cols:
        if col not in df.columns:
            raise ScenarioError(
                key, f"the frame has no column {col!r}{suggest(str(col), names) or '.'}"
            )


def _is_numeric(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    return bool(pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype))


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (category labels in event dicts)."""
    return value.item() if isinstance(value, np.generic) else value


def _iso(ts: pd.Timestamp) -> str:
    return str(ts.isoformat())


def _check_shape(profile: str) -> str:
    if profile not in _SHAPES:
        raise ScenarioError("profile", f"unknown profile {profile!r}; one of {', '.join(_SHAPES)}")
    return profile


def _check_window_options(speed_k: float, direction: str, inconsistency: float = 0.0) -> None:
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


def _report_options(options: Mapping[str, Any]) -> None:
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


def _numeric_params(
    drift_type: str, magnitude: float, value: float | None, value_key: str = "drift_value"
) -> dict[str, Any]:
    """The event of a seed numeric ``drift_type`` (without features, where or profile)."""
    if drift_type not in FEATURE_DRIFT_TYPES:
        raise ScenarioError(
            "drift_type",
            f"unknown drift_type {drift_type!r}{suggest(drift_type, FEATURE_DRIFT_TYPES) or '.'}"
            f" Known: {', '.join(FEATURE_DRIFT_TYPES)}",
        )
    if drift_type in _VALUE_TYPES:
        if value is None:
            raise ScenarioError(
                "drift_value", f"drift_type {drift_type!r} needs drift_value (or drift_values)"
            )
        v = float(value)
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
    m = float(magnitude)
    if drift_type == "gaussian_noise":
        return {"kind": "noise", "amount_std": m}
    if drift_type == "uniform_noise":
        return {"kind": "noise", "distribution": "uniform", "amount_std": m / SQRT3}
    if drift_type == "shift":
        if value is not None:
            return {"kind": "shift", "amount": float(value)}
        return {"kind": "shift", "amount_std": m}
    if 1.0 + m <= 0.0:
        raise ScenarioError("drift_magnitude", f"scale needs 1 + drift_magnitude > 0 (got {m})")
    return {"kind": "scale", "factor": 1.0 + m}


def _conditions(conditions: Any, key: str) -> list[dict[str, Any]]:
    """Seed conditions ``{column, operator, value}`` as ``where.condition`` entries."""
    if not isinstance(conditions, Sequence) or isinstance(conditions, str | bytes):
        raise ScenarioError(key, "must be a list of {column, operator, value} mappings")
    out = []
    for k, cond in enumerate(conditions):
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
            value = [_plain(v) for v in value]
        out.append({"column": cond["column"], "op": op, "value": _plain(value)})
    return out


# ---------------------------------------------------------------------------------------------
# The facade
# ---------------------------------------------------------------------------------------------


class DriftInjector:
    """Inject drift into any DataFrame with the seed system's methods (see the module doc).

    Parameters
    ----------
    output_dir
        Accepted for compatibility; nothing is ever written (a warning says so when set).
    generator_name
        Accepted for compatibility (the seed named its output files with it).
    random_state
        Root seed (``None``: :data:`DEFAULT_RANDOM_STATE`, 42); see :meth:`seed_for_call`.
    time_col, block_column, target_column
        Default column roles: the timestamp column (time selectors), the block id column
        (block selectors; each block also draws from its own seed) and the label column
        (label and concept methods). A default that the frame of a call lacks is not used;
        a per-call ``time_col=``/``block_column=``/``target_column=`` must exist.
    original_df
        Not supported: the seed accepted it and never used it. Pass the frame to each method.

    Raises
    ------
    ScenarioError
        ``original_df`` given, or ``random_state`` not an integer in ``[0, 2**63)``.

    Examples
    --------
    >>> inj = DriftInjector(random_state=7)
    >>> inj.seed_for_call(0), inj.history
    (7, [])
    """

    def __init__(
        self,
        output_dir: str | None = None,
        generator_name: str = "DriftInjector",
        random_state: int | None = None,
        time_col: str | None = None,
        block_column: str | None = None,
        target_column: str | None = None,
        original_df: pd.DataFrame | None = None,
    ) -> None:
        if original_df is not None:
            raise ScenarioError(
                "original_df",
                "has no role (the seed ignored it): pass the frame to each inject_* method",
            )
        seed = DEFAULT_RANDOM_STATE if random_state is None else random_state
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ScenarioError("random_state", f"must be an integer, got {random_state!r}")
        if not 0 <= int(seed) < 2**63:
            raise ScenarioError("random_state", f"must be in [0, 2**63), got {random_state}")
        if output_dir is not None:
            _report_options({"output_dir": output_dir})
        self.output_dir = output_dir
        self.generator_name = generator_name
        self.random_state = int(seed)
        self.time_col = time_col
        self.block_column = block_column
        self.target_column = target_column
        self.last_ground_truth: pd.DataFrame | None = None
        self.last_events: list[EventInfo] = []
        self.history: list[DriftRecord] = []
        self._calls = 0
        self._collector: _Collector | None = None
        self._role_defaults: _Roles | None = None

    # -- seeds ----------------------------------------------------------------------------

    def seed_for_call(self, k: int) -> int:
        """Seed of call ``k`` (0-based) of this instance: ``random_state`` for the first call,
        then a stable derivation of ``(random_state, k)``.

        Examples
        --------
        >>> inj = DriftInjector(random_state=3)
        >>> again = DriftInjector(random_state=3)
        >>> inj.seed_for_call(0), inj.seed_for_call(1) == again.seed_for_call(1)
        (3, True)
        """
        if k == 0:
            return self.random_state
        seq = np.random.SeedSequence(self.random_state, spawn_key=(k,))
        return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))

    # -- roles and selection --------------------------------------------------------------

    def _roles(
        self,
        df: pd.DataFrame,
        time_col: str | None,
        block_column: str | None,
        target: str | None,
        target_key: str = "target_column",
    ) -> _Roles:
        defaults = self._role_defaults or _Roles(
            self.time_col, self.block_column, self.target_column
        )

        def pick(explicit: str | None, default: str | None, key: str) -> str | None:
            if explicit is not None:
                _check_columns(df, [explicit], key)
                return explicit
            return default if default is not None and default in df.columns else None

        return _Roles(
            pick(time_col, defaults.time, "time_col"),
            pick(block_column, defaults.block, "block_column"),
            pick(target, defaults.target, target_key),
        )

    @staticmethod
    def _engine_order(df: pd.DataFrame, roles: _Roles) -> tuple[np.ndarray, np.ndarray]:
        """Row order of the engine (blocks contiguous, in order of first appearance) and the
        block index of each row in that order."""
        if roles.block is None:
            return np.arange(len(df)), np.zeros(len(df), dtype=np.int64)
        codes, _ = pd.factorize(df[roles.block], use_na_sentinel=False)
        order = np.argsort(codes, kind="stable")
        return order, np.asarray(codes)[order]

    def _positions(self, df: pd.DataFrame, roles: _Roles, where: Mapping[str, Any]) -> np.ndarray:
        """Engine rows (global positions) in the span of ``where`` (blocks, rows, time)."""
        order, blocks = self._engine_order(df, roles)
        keep = np.ones(len(df), dtype=bool)
        if "blocks" in where:
            keep &= np.isin(blocks, where["blocks"])
        if "rows" in where:
            a, b = where["rows"]
            keep[:a] = False
            keep[b:] = False
        if "time" in where:
            assert roles.time is not None
            t = as_ns(df[roles.time].iloc[order])
            t0, t1 = (pd.Timestamp(x).value for x in where["time"])
            keep &= (t >= t0) & (t < t1)
        return np.flatnonzero(keep)

    def _select(
        self,
        df: pd.DataFrame,
        method: str,
        options: Mapping[str, Any],
        *,
        target: str | None = None,
        target_key: str = "target_column",
    ) -> _Selection:
        """Validate a call's selector keywords and translate them to ``where`` dicts."""
        if not isinstance(df, pd.DataFrame):
            raise ScenarioError("df", f"must be a pandas DataFrame, got {type(df).__name__}")
        for key in options:
            if key not in SELECTOR_KEYS | ROLE_KEYS | REPORT_KEYS:
                known = sorted(SELECTOR_KEYS | ROLE_KEYS | REPORT_KEYS)
                raise TypeError(
                    f"{method}() got an unexpected keyword argument {key!r}"
                    f"{suggest(key, known) or ''}"
                )
        _report_options(options)
        explicit_target = options.get("target_column")
        if target is not None and explicit_target is not None and explicit_target != target:
            raise ScenarioError(
                "target_column", f"conflicts with the method's target column {target!r}"
            )
        roles = self._roles(
            df,
            options.get("time_col"),
            options.get("block_column"),
            target if target is not None else explicit_target,
            target_key if target is not None else "target_column",
        )
        where: dict[str, Any] = {}
        sel = _Selection(roles, [where])
        self._select_rows(df, roles, options, where)
        self._select_blocks(df, roles, options, where, sel)
        self._select_time(df, roles, options, where, sel)
        return sel

    def _select_rows(
        self, df: pd.DataFrame, roles: _Roles, options: Mapping[str, Any], where: dict[str, Any]
    ) -> None:
        step = options.get("index_step")
        if step is not None and step != 1:
            raise ScenarioError(
                "index_step",
                f"{step} is not supported: a selection is a contiguous span of rows (thin it "
                "at random with apply_drifts and where.fraction instead)",
            )
        start, end = options.get("start_index"), options.get("end_index")
        if start is None and end is None:
            return
        key = "start_index" if start is not None else "end_index"
        order, _ = self._engine_order(df, roles)
        if not np.array_equal(order, np.arange(len(df))):
            raise ScenarioError(
                key,
                f"the blocks of {roles.block!r} are not contiguous in the frame, so row "
                "positions are ambiguous; sort the frame by block or select blocks instead",
            )
        a, b, _ = slice(start, end).indices(len(df))
        if b <= a:
            raise ScenarioError(key, f"start_index={start}, end_index={end} select no rows")
        where["rows"] = [a, b]

    def _select_blocks(
        self,
        df: pd.DataFrame,
        roles: _Roles,
        options: Mapping[str, Any],
        where: dict[str, Any],
        sel: _Selection,
    ) -> None:
        given = [k for k in ("blocks", "block_index", "block_start") if options.get(k) is not None]
        for key in ("n_blocks", "block_step"):
            if options.get(key) is not None and options.get("block_start") is None:
                raise ScenarioError(key, "needs block_start")
        if not given:
            return
        if len(given) > 1:
            raise ScenarioError(given[1], f"give only one of {', '.join(given)}")
        key = given[0]
        if roles.block is None:
            raise ScenarioError(
                "block_column",
                f"{key} needs a block column: pass block_column= here or to DriftInjector",
            )
        column = df[roles.block]
        _, uniques = pd.factorize(column, use_na_sentinel=False)
        first_seen = [_plain(u) for u in uniques]
        if key == "blocks":
            ids = list(options["blocks"])
            if not ids:
                raise ScenarioError("blocks", "list at least one block id")
        elif key == "block_index":
            ids = [options["block_index"]]
        else:
            ordered = sorted(_plain(u) for u in column.dropna().unique())
            start = options["block_start"]
            if start not in ordered:
                raise ScenarioError(
                    "block_start", f"{start!r} is not a block id of {roles.block!r}: {ordered}"
                )
            i0 = ordered.index(start)
            n_blocks = options.get("n_blocks")
            step = options.get("block_step") or 1
            n = len(ordered) - i0 if n_blocks is None else int(n_blocks)
            if n < 1 or step < 1:
                raise ScenarioError("n_blocks", "n_blocks and block_step must be >= 1")
            ids = ordered[i0 : i0 + n * step : step]
        indices = []
        for block_id in ids:
            if block_id not in first_seen:
                raise ScenarioError(
                    key, f"{block_id!r} is not a block id of {roles.block!r}: {first_seen}"
                )
            indices.append(first_seen.index(block_id))
        where["blocks"] = sorted(set(indices))
        sel.reference_block = where["blocks"][0]

    def _select_time(
        self,
        df: pd.DataFrame,
        roles: _Roles,
        options: Mapping[str, Any],
        where: dict[str, Any],
        sel: _Selection,
    ) -> None:
        t_start, t_end = options.get("time_start"), options.get("time_end")
        ranges, times = options.get("time_ranges"), options.get("specific_times")
        t_step = options.get("time_step")
        groups = [
            name
            for name, on in (
                ("time_start/time_end", t_start is not None or t_end is not None),
                ("time_ranges", ranges is not None),
                ("specific_times", times is not None),
            )
            if on
        ]
        if not groups and t_step is None:
            return
        if len(groups) > 1:
            raise ScenarioError(
                groups[1].split("/")[0],
                f"give only one of {' or '.join(groups)} (the seed OR-ed "
                "them; here a selection is one time window)",
            )
        if roles.time is None:
            raise ScenarioError(
                "time_col",
                "time selectors need a time column: pass time_col= here or to DriftInjector",
            )
        stamps = as_ns(df[roles.time])
        first, last = pd.Timestamp(int(stamps.min())), pd.Timestamp(int(stamps.max()))

        def window(lo: Any, hi: Any, key: str) -> list[str]:
            t0 = first if lo is None else pd.Timestamp(lo)
            t1 = (last if hi is None else pd.Timestamp(hi)) + TIME_EPSILON
            if not t0 < t1:
                raise ScenarioError(key, f"ends ({hi}) before it starts ({lo})")
            return [_iso(t0), _iso(t1)]

        if t_step is not None:
            if t_start is None or t_end is None:
                raise ScenarioError("time_step", "needs both time_start and time_end")
            steps = pd.date_range(start=t_start, end=t_end, freq=t_step)
            where["condition"] = [
                {"column": roles.time, "op": "in", "value": [pd.Timestamp(t) for t in steps]}
            ]
            sel.filter_key = "time_step"
        if t_start is not None or t_end is not None:
            where["time"] = window(t_start, t_end, "time_end")
        elif ranges is not None:
            if not ranges:
                raise ScenarioError("time_ranges", "list at least one (start, end) pair")
            sel.wheres = []
            for k, pair in enumerate(ranges):
                if isinstance(pair, str) or len(pair) != 2:
                    raise ScenarioError(f"time_ranges.{k}", "must be a (start, end) pair")
                sel.wheres.append({**where, "time": window(pair[0], pair[1], f"time_ranges.{k}")})
        elif times is not None:
            values = [times] if isinstance(times, str) else list(times)
            if not values:
                raise ScenarioError("specific_times", "list at least one timestamp")
            where["condition"] = [
                {"column": roles.time, "op": "in", "value": [pd.Timestamp(t) for t in values]}
            ]
            sel.filter_key = "specific_times"

    # -- timing (profiles) ----------------------------------------------------------------

    def _placements(
        self, df: pd.DataFrame, sel: _Selection, timing: _Timing
    ) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
        """``(id suffix, where, profile)`` of every event a call makes per column."""
        plain = timing.kind == "abrupt" and timing.change_index == 0
        if plain:
            if len(sel.wheres) == 1:
                return [("", sel.wheres[0], None)]
            return [(f"_t{i}", w, None) for i, w in enumerate(sel.wheres)]
        if len(sel.wheres) > 1:
            raise ScenarioError(
                "time_ranges",
                "a windowed drift over several time ranges has no single-event equivalent; "
                "make one call per range",
            )
        if sel.filter_key is not None:
            raise ScenarioError(
                sel.filter_key,
                "a windowed drift needs a contiguous selection (time_start/time_end, blocks or "
                "row positions), not a list of timestamps",
            )
        where = sel.wheres[0]
        pos = self._positions(df, sel.roles, where)
        n = len(pos)
        if n == 0:
            raise ScenarioError("where", "the selectors select no rows")

        def narrowed(lo: int, hi: int) -> dict[str, Any]:
            if lo == 0 and hi == n:
                return where
            return {**where, "rows": [int(pos[lo]), int(pos[hi - 1]) + 1]}

        if timing.kind == "abrupt":
            ci = timing.change_index
            if not 0 <= ci < n:
                raise ScenarioError(
                    "change_index", f"{ci} is outside the {n} selected rows (0 to {n - 1})"
                )
            return [("", narrowed(ci, n), None)]
        if timing.kind == "incremental":
            return [("", where, {"kind": "incremental"})]
        if timing.kind == "gradual":
            c = n // 2 if timing.center is None else int(np.clip(timing.center, 0, n - 1))
            w = max(1, n // 5) if timing.width is None else max(1, int(timing.width))
            lo = max(0, c - w // 2)
            if w > n - lo:
                raise ScenarioError(
                    "width",
                    f"the window of {w} rows starting at selected row {lo} (center {c}) runs "
                    f"past the {n} selected rows; narrow it or move center",
                )
            return [("", narrowed(lo, n), {"kind": "gradual", "shape": timing.shape, "width": w})]
        if timing.windows is not None:
            out: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
            for k, (center, width) in enumerate(timing.windows):
                c = int(np.clip(center, 0, n - 1))
                lo = max(0, c - int(width) // 2)
                hi = min(n, lo + max(1, int(width)))
                out.append((f"_w{k}", narrowed(lo, hi), None))
            return out
        period = n // timing.repeats
        if period < 2:
            raise ScenarioError(
                "repeats", f"{timing.repeats} cycles over {n} selected rows leave < 2 rows each"
            )
        profile = {
            "kind": "recurrent",
            "period": period,
            "duty": timing.duty,
            "edge": timing.edge,
            "shape": timing.shape,
        }
        return [("", where, profile)]

    @staticmethod
    def _gradual(
        center: int | None,
        width: int | None,
        profile: str,
        speed_k: float,
        direction: str,
        inconsistency: float,
    ) -> _Timing:
        _check_window_options(speed_k, direction, inconsistency)
        return _Timing("gradual", center=center, width=width, shape=_check_shape(profile))

    @staticmethod
    def _recurrent(
        windows: Sequence[Sequence[int]] | None,
        repeats: int,
        duty: float,
        edge: int,
        profile: str,
        speed_k: float,
        direction: str,
        unsupported: Mapping[str, Any] | None = None,
    ) -> _Timing:
        _check_window_options(speed_k, direction)
        for key, value in (unsupported or {}).items():
            if value is not None and value is not False:
                raise ScenarioError(
                    key,
                    "has no equivalent here: recurrence is set by repeats (+ duty, edge) or "
                    "by explicit windows=[(center, width), ...]",
                )
        if windows is not None:
            if repeats != 1:
                raise ScenarioError("repeats", "give windows or repeats, not both")
            pairs = []
            for k, pair in enumerate(windows):
                if isinstance(pair, str) or len(pair) != 2 or int(pair[1]) < 1:
                    raise ScenarioError(f"windows.{k}", "must be a (center, width >= 1) pair")
                pairs.append((int(pair[0]), int(pair[1])))
            if not pairs:
                raise ScenarioError("windows", "list at least one (center, width) window")
            return _Timing("recurrent", windows=tuple(pairs), shape=_check_shape(profile))
        if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
            raise ScenarioError("repeats", f"must be an integer >= 1, got {repeats!r}")
        return _Timing(
            "recurrent", repeats=repeats, duty=duty, edge=edge, shape=_check_shape(profile)
        )

    # -- building and applying events -----------------------------------------------------

    @staticmethod
    def _event(
        params: Mapping[str, Any],
        where: Mapping[str, Any],
        profile: Mapping[str, Any] | None,
        sel: _Selection,
        extra_conditions: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        ev = dict(params)
        w = dict(where)
        if extra_conditions:
            w["condition"] = [*w.get("condition", []), *extra_conditions]
        if w:
            ev["where"] = w
        if profile is not None:
            ev["profile"] = dict(profile)
        if (
            sel.reference_block is not None
            and "reference_block" in EVENTS.get(str(params["kind"]), "kind").model_fields
        ):
            ev["reference_block"] = sel.reference_block
        return ev

    def _compose(
        self,
        df: pd.DataFrame,
        sel: _Selection,
        timing: _Timing,
        specs: Sequence[tuple[str, Mapping[str, Any]]],
        extra_conditions: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, dict[str, Any]]:
        """Events ``id -> dict`` for each ``(base id, params)`` spec and each placement."""
        placements = self._placements(df, sel, timing)
        used: set[str] = set()
        events: dict[str, dict[str, Any]] = {}
        for base, params in specs:
            for suffix, where, profile in placements:
                eid = _clean_id(base + suffix, used)
                events[eid] = self._event(params, where, profile, sel, extra_conditions)
        return events

    @staticmethod
    def _free_target(sel: _Selection, columns: Sequence[str]) -> None:
        """Let a feature-style method act on the label column, as the seed allowed: the
        column then has no target role for this call."""
        if sel.roles.target is not None and sel.roles.target in columns:
            sel.roles = _Roles(sel.roles.time, sel.roles.block, None)

    def _finish(
        self, df: pd.DataFrame, method: str, events: dict[str, dict[str, Any]], roles: _Roles
    ) -> pd.DataFrame:
        if self._collector is not None:
            self._collector.steps.append(_Step(method, events, roles))
            return df
        seed = self.seed_for_call(self._calls)
        out = inject(
            df,
            events,
            seed=seed,
            time_column=roles.time,
            block_column=roles.block,
            target=roles.target,
        )
        self._calls += 1
        self._record(method, seed, events, roles, out.ground_truth, out.events)
        return out.frame

    def _record(
        self,
        method: str,
        seed: int,
        events: dict[str, dict[str, Any]],
        roles: _Roles,
        truth: pd.DataFrame,
        infos: list[EventInfo],
    ) -> None:
        self.last_ground_truth = truth
        self.last_events = infos
        self.history.append(
            DriftRecord(method, seed, events, roles.time, roles.block, roles.target, truth, infos)
        )

    # -- feature drift --------------------------------------------------------------------

    def _feature(
        self,
        method: str,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str,
        drift_magnitude: float,
        drift_value: float | None,
        drift_values: Mapping[str, float] | None,
        timing: _Timing,
        options: Mapping[str, Any],
        conditions: Sequence[Mapping[str, Any]] = (),
    ) -> pd.DataFrame:
        sel = self._select(df, method, options)
        cols = _as_list(feature_cols, "feature_cols")
        _check_columns(df, cols, "feature_cols")
        self._free_target(sel, cols)
        if drift_value is not None and drift_values is not None:
            raise ScenarioError("drift_values", "give drift_value or drift_values, not both")
        numeric = [c for c in cols if _is_numeric(df[c])]
        if drift_values is not None:
            extra = [k for k in drift_values if k not in numeric]
            if extra:
                raise ScenarioError(
                    "drift_values", f"{extra} are not numeric columns among feature_cols"
                )
            missing = [c for c in numeric if c not in drift_values]
            if missing:
                raise ScenarioError("drift_values", f"no value for column(s) {missing}")
        specs: list[tuple[str, dict[str, Any]]] = []
        grouped = False
        for col in cols:
            if col not in numeric:
                rate = float(np.clip(drift_magnitude, 0.0, 1.0))
                specs.append(
                    (f"category_flip_{col}", {"kind": "category_flip", "column": col, "rate": rate})
                )
            elif drift_values is not None:
                params = _numeric_params(
                    drift_type, drift_magnitude, drift_values[col], "drift_values"
                )
                specs.append((f"{drift_type}_{col}", {**params, "features": [col]}))
            elif not grouped:
                grouped = True
                params = _numeric_params(drift_type, drift_magnitude, drift_value)
                specs.append((drift_type, {**params, "features": numeric}))
        events = self._compose(df, sel, timing, specs, conditions)
        return self._finish(df, method, events, sel.roles)

    def inject_feature_drift(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Abrupt feature drift on the selected rows (one event for the numeric columns).

        Parameters
        ----------
        df
            The frame (not modified).
        feature_cols
            Columns to drift. Numeric columns get ``drift_type``; other columns (text,
            category, bool) get a ``category_flip`` of rate ``clip(drift_magnitude, 0, 1)``,
            one event per column (the seed's categorical behaviour).
        drift_type, drift_magnitude, drift_value, drift_values
            See the module's mapping table. **shift differs from the seed on purpose**: it
            moves by ``drift_magnitude`` reference standard deviations (or by ``drift_value``
            when given), where the seed moved by ``drift_magnitude * mean`` and so never
            moved a zero-mean column. ``drift_values={col: value}`` gives one event per
            numeric column, in ``feature_cols`` order.
        **selectors
            Seed row selection (``start_index``, ``end_index``, ``blocks``, ``block_index``,
            ``block_start``/``n_blocks``/``block_step``, ``time_start``/``time_end``,
            ``time_ranges``, ``specific_times``, ``time_step``), per-call roles
            (``time_col``, ``block_column``, ``target_column``) and the seed's reporting
            keywords (nothing is written). Anything else is a ``TypeError``.

        Returns
        -------
        pandas.DataFrame
            The drifted copy; ground truth in ``last_ground_truth``, realised effects in
            ``last_events``.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["u", "v", "u", "v"]})
        >>> inj = DriftInjector()
        >>> inj.inject_feature_drift(df, ["a"], "add_value", drift_value=10,
        ...                          start_index=2)["a"].tolist()
        [1.0, 2.0, 13.0, 14.0]
        >>> sorted(inj.history[-1].events)
        ['add_value']
        >>> out = inj.inject_feature_drift(df, ["c"], drift_magnitude=1.0)
        >>> (out["c"] != df["c"]).all()  # every category flipped to the other one
        np.True_
        """
        return self._feature(
            "inject_feature_drift",
            df,
            feature_cols,
            drift_type,
            drift_magnitude,
            drift_value,
            drift_values,
            _Timing(),
            selectors,
        )

    def inject_feature_drift_gradual(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        center: int | None = None,
        width: int | None = None,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        inconsistency: float = 0.0,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Feature drift through a transition window (engine profile ``gradual``).

        The seed's window is centred at ``center`` (default ``n // 2`` of the ``n``
        selected rows) and ``width`` rows wide (default ``n // 5``). Here the span is
        narrowed to start at selected row ``center - width // 2``; a ``profile``-shaped ramp
        (``sigmoid``, ``linear`` or ``cosine``, exactly 0 to 1) covers the next ``width``
        rows, then the weight is 1. Rows before the window keep their values. ``speed_k``,
        ``direction="down"`` and ``inconsistency`` raise (no engine equivalent). Other
        parameters as :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"a": np.zeros(10)})
        >>> inj = DriftInjector()
        >>> out = inj.inject_feature_drift_gradual(df, ["a"], "add_value", drift_value=1.0,
        ...                                        center=4, width=5, profile="linear")
        >>> out["a"].tolist()
        [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
        >>> inj.history[-1].events["add_value"]["where"], inj.last_events[0].profile["width"]
        ({'rows': [2, 10]}, 5)
        """
        return self._feature(
            "inject_feature_drift_gradual",
            df,
            feature_cols,
            drift_type,
            drift_magnitude,
            drift_value,
            drift_values,
            self._gradual(center, width, profile, speed_k, direction, inconsistency),
            selectors,
        )

    def inject_feature_drift_abrupt(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        change_index: int = 0,
        direction: str = "up",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Feature drift at full strength from selected row ``change_index`` on.

        ``change_index`` counts inside the selection (with no other selector it is the row
        position, as the seed's ``start_index=change_index``). ``direction`` other than
        ``"up"`` raises (the seed ignored it). Other parameters as
        :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5]})
        >>> DriftInjector().inject_feature_drift_abrupt(
        ...     df, ["a"], "multiply_value", drift_value=10, change_index=3)["a"].tolist()
        [1, 2, 3, 40, 50]
        """
        _check_window_options(1.0, direction)
        if isinstance(change_index, bool) or not isinstance(change_index, int | np.integer):
            raise ScenarioError("change_index", f"must be an integer, got {change_index!r}")
        return self._feature(
            "inject_feature_drift_abrupt",
            df,
            feature_cols,
            drift_type,
            drift_magnitude,
            drift_value,
            drift_values,
            _Timing("abrupt", change_index=int(change_index)),
            selectors,
        )

    def inject_feature_drift_incremental(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Feature drift growing linearly from 0 at the first selected row to full strength
        at the last (engine profile ``incremental``; the seed's wide sigmoid went only from
        about 0.12 to 0.88). Other parameters as :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"a": np.zeros(5)})
        >>> DriftInjector().inject_feature_drift_incremental(
        ...     df, ["a"], "add_value", drift_value=4.0)["a"].tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0]
        """
        return self._feature(
            "inject_feature_drift_incremental",
            df,
            feature_cols,
            drift_type,
            drift_magnitude,
            drift_value,
            drift_values,
            _Timing("incremental"),
            selectors,
        )

    def inject_feature_drift_recurrent(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        windows: Sequence[Sequence[int]] | None = None,
        repeats: int = 1,
        duty: float = 0.5,
        edge: int = 0,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        center: int | None = None,
        width: int | None = None,
        cycle_blocks: Sequence[Any] | None = None,
        random_repeat_order: bool = False,
        center_in_block: int | None = None,
        width_in_block: int | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Drift that comes and goes (the seed's method returned the frame unchanged).

        With ``repeats`` (default 1): engine profile ``recurrent`` with
        ``period = selected rows // repeats``, on (weight 1) for the first ``duty`` share of
        each period and off for the rest; ``edge > 0`` ramps each on-phase up and down over
        ``edge`` rows shaped by ``profile`` (``duty`` and ``edge`` are extensions). Rows left
        over after the last whole period start a new cycle. With ``windows=[(center,
        width), ...]``: one abrupt event per window, on for the ``width`` selected rows
        centred at ``center`` (ids ``<type>_w0``, ``<type>_w1``, ...). ``cycle_blocks``,
        ``random_repeat_order``, ``center``/``width``, ``center_in_block``,
        ``width_in_block``, ``speed_k`` and ``direction`` raise when set. Other parameters as
        :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"a": np.zeros(8)})
        >>> inj = DriftInjector()
        >>> inj.inject_feature_drift_recurrent(df, ["a"], "add_value", drift_value=1.0,
        ...                                    repeats=2)["a"].tolist()
        [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
        >>> inj.inject_feature_drift_recurrent(df, ["a"], "add_value", drift_value=1.0,
        ...                                    windows=[(1, 2), (6, 2)])["a"].tolist()
        [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
        """
        timing = self._recurrent(
            windows,
            repeats,
            duty,
            edge,
            profile,
            speed_k,
            direction,
            {
                "center": center,
                "width": width,
                "cycle_blocks": cycle_blocks,
                "random_repeat_order": random_repeat_order,
                "center_in_block": center_in_block,
                "width_in_block": width_in_block,
            },
        )
        return self._feature(
            "inject_feature_drift_recurrent",
            df,
            feature_cols,
            drift_type,
            drift_magnitude,
            drift_value,
            drift_values,
            timing,
            selectors,
        )

    def inject_conditional_drift(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        conditions: Sequence[Mapping[str, Any]],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        drift_method: str = "abrupt",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Abrupt feature drift on the selected rows that meet every condition.

        ``conditions=[{"column", "operator", "value"}, ...]`` (operators ``== != < <= > >=
        in``, plus ``not_in``) become ``where.condition``; they are evaluated on the data as
        it is when the event applies. Only ``drift_method="abrupt"`` is supported (the
        successor's gradual variants re-based their window on the matching rows, which a
        filter cannot do). Other parameters as :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "g": ["x", "y", "x"]})
        >>> DriftInjector().inject_conditional_drift(
        ...     df, ["a"], [{"column": "g", "operator": "==", "value": "x"}],
        ...     "add_value", drift_value=5)["a"].tolist()
        [6.0, 2.0, 8.0]
        """
        if drift_method != "abrupt":
            raise ScenarioError(
                "drift_method",
                f"{drift_method!r} is not supported: conditions filter rows without moving "
                "a window, so only 'abrupt' has an exact equivalent",
            )
        return self._feature(
            "inject_conditional_drift",
            df,
            feature_cols,
            drift_type,
            drift_magnitude,
            drift_value,
            drift_values,
            _Timing(),
            selectors,
            _conditions(conditions, "conditions"),
        )

    # -- labels and concepts --------------------------------------------------------------

    def _label(
        self,
        method: str,
        df: pd.DataFrame,
        target: str | None,
        target_key: str,
        params: Mapping[str, Any],
        base: str,
        timing: _Timing,
        options: Mapping[str, Any],
    ) -> pd.DataFrame:
        sel = self._select(df, method, options, target=target, target_key=target_key)
        if sel.roles.target is None:
            raise ScenarioError(
                target_key,
                "name the label column (here, as target_column= or on DriftInjector)",
            )
        events = self._compose(df, sel, timing, [(base, params)])
        return self._finish(df, method, events, sel.roles)

    @staticmethod
    def _one_target(target_cols: str | Sequence[str] | None) -> str | None:
        if target_cols is None or isinstance(target_cols, str):
            return target_cols
        cols = list(target_cols)
        if len(cols) != 1:
            raise ScenarioError(
                "target_cols", f"one label column per call (got {cols}); call once per column"
            )
        return str(cols[0])

    def inject_label_drift(
        self,
        df: pd.DataFrame,
        target_cols: str | Sequence[str] | None = None,
        drift_magnitude: float = 0.1,
        drift_magnitudes: Mapping[str, float] | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Flip labels: each selected row with probability ``drift_magnitude`` (event
        ``label_flip``; a binary label swaps, a multiclass label moves to another class
        uniformly). The seed's method was a no-op.

        ``target_cols`` names one label column (default: the instance's ``target_column``);
        ``drift_magnitudes={col: rate}`` overrides the rate for it. Selectors as
        :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"x": range(6), "y": [0, 1, 0, 1, 0, 1]})
        >>> out = DriftInjector().inject_label_drift(df, ["y"], drift_magnitude=1.0)
        >>> (out["y"] == 1 - df["y"]).all()
        np.True_
        """
        target = self._one_target(target_cols)
        rate = drift_magnitude
        if drift_magnitudes is not None:
            col = target if target is not None else self.target_column
            unknown = [k for k in drift_magnitudes if k != col]
            if unknown:
                raise ScenarioError("drift_magnitudes", f"{unknown} are not the label column")
            rate = drift_magnitudes.get(str(col), drift_magnitude)
        return self._label(
            "inject_label_drift",
            df,
            target,
            "target_cols",
            {"kind": "label_flip", "rate": float(rate)},
            "label_flip",
            _Timing(),
            selectors,
        )

    def inject_label_drift_gradual(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        drift_magnitude: float = 0.3,
        center: int | None = None,
        width: int | None = None,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        inconsistency: float = 0.0,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Label flips whose probability follows the transition window (``label_flip``,
        profile ``gradual``; window mapping as :meth:`inject_feature_drift_gradual`).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [0, 1] * 5})
        >>> inj = DriftInjector(target_column="y")
        >>> out = inj.inject_label_drift_gradual(df, drift_magnitude=1.0, center=5, width=1)
        >>> (out["y"] != df["y"]).tolist()
        [False, False, False, False, False, True, True, True, True, True]
        """
        return self._label(
            "inject_label_drift_gradual",
            df,
            target_col,
            "target_col",
            {"kind": "label_flip", "rate": float(drift_magnitude)},
            "label_flip",
            self._gradual(center, width, profile, speed_k, direction, inconsistency),
            selectors,
        )

    def inject_label_drift_abrupt(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        drift_magnitude: float = 0.3,
        change_index: int = 0,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Label flips from selected row ``change_index`` on (the seed's steep 3-row
        sigmoid around ``change_index`` is a step here).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1]})
        >>> DriftInjector().inject_label_drift_abrupt(
        ...     df, "y", 1.0, change_index=2)["y"].tolist()
        [0, 1, 1, 0]
        """
        if isinstance(change_index, bool) or not isinstance(change_index, int | np.integer):
            raise ScenarioError("change_index", f"must be an integer, got {change_index!r}")
        return self._label(
            "inject_label_drift_abrupt",
            df,
            target_col,
            "target_col",
            {"kind": "label_flip", "rate": float(drift_magnitude)},
            "label_flip",
            _Timing("abrupt", change_index=int(change_index)),
            selectors,
        )

    def inject_label_drift_incremental(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        drift_magnitude: float = 0.3,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Label flips with probability rising linearly from 0 to ``drift_magnitude`` over
        the selection (``label_flip``, profile ``incremental``).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [0, 1] * 3})
        >>> inj = DriftInjector(target_column="y")
        >>> _ = inj.inject_label_drift_incremental(df, drift_magnitude=0.5)
        >>> inj.last_ground_truth["label_flip"].tolist()
        [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        """
        return self._label(
            "inject_label_drift_incremental",
            df,
            target_col,
            "target_col",
            {"kind": "label_flip", "rate": float(drift_magnitude)},
            "label_flip",
            _Timing("incremental"),
            selectors,
        )

    def inject_label_drift_recurrent(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        drift_magnitude: float = 0.3,
        windows: Sequence[Sequence[int]] | None = None,
        repeats: int = 1,
        duty: float = 0.5,
        edge: int = 0,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Label flips that come and go (recurrence as
        :meth:`inject_feature_drift_recurrent`). The seed stacked one rising window per
        ``windows`` entry, so flips compounded and never switched off; here each window is on
        for its ``width`` rows only.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [0, 1] * 4})
        >>> DriftInjector().inject_label_drift_recurrent(
        ...     df, "y", 1.0, windows=[(1, 2), (5, 2)])["y"].tolist()
        [1, 0, 0, 1, 1, 0, 0, 1]
        """
        return self._label(
            "inject_label_drift_recurrent",
            df,
            target_col,
            "target_col",
            {"kind": "label_flip", "rate": float(drift_magnitude)},
            "label_flip",
            self._recurrent(windows, repeats, duty, edge, profile, speed_k, direction),
            selectors,
        )

    def inject_label_shift(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        target_distribution: Mapping[Any, float] | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Move the class proportions of the selected rows to ``target_distribution``
        (``{label: p}``, normalised to sum to 1 as the seed did): event ``prior_shift``,
        which overwrites **whole rows** with copies of rows of the wanted class (P(x|y)
        kept); the seed's successor rewrote only the labels. The seed's method was a no-op.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 0, 0, 1]})
        >>> out = DriftInjector().inject_label_shift(df, "y", {0: 1, 1: 1})
        >>> out["y"].value_counts().sort_index().tolist()
        [2, 2]
        """
        if not target_distribution:
            raise ScenarioError("target_distribution", "give the wanted {label: proportion}")
        total = float(sum(target_distribution.values()))
        if not total > 0 or any(p < 0 for p in target_distribution.values()):
            raise ScenarioError(
                "target_distribution", "proportions must be >= 0 and sum to more than 0"
            )
        target = {_plain(k): float(p) / total for k, p in target_distribution.items()}
        return self._label(
            "inject_label_shift",
            df,
            target_col,
            "target_col",
            {"kind": "prior_shift", "target": target},
            "prior_shift",
            _Timing(),
            selectors,
        )

    def _concept(
        self,
        method: str,
        df: pd.DataFrame,
        concept_drift_type: str,
        concept_drift_magnitude: float | None,
        target_column: str | None,
        rule: str | None,
        timing: _Timing,
        options: Mapping[str, Any],
    ) -> pd.DataFrame:
        rule_args = {k: v for k, v in options.items() if k in _RULE_KEYS}
        rest = {k: v for k, v in options.items() if k not in _RULE_KEYS}
        if concept_drift_type == "label_flip":
            if rule is not None or rule_args:
                key = "rule" if rule is not None else sorted(rule_args)[0]
                raise ScenarioError(key, "belongs to a concept rule, not to label_flip")
            rate = 0.2 if concept_drift_magnitude is None else concept_drift_magnitude
            params: dict[str, Any] = {"kind": "label_flip", "rate": float(rate)}
            base = "label_flip"
        elif concept_drift_type in (*_RULES, "concept"):
            chosen = concept_drift_type if concept_drift_type != "concept" else rule
            if rule is not None and concept_drift_type != "concept" and rule != chosen:
                raise ScenarioError("rule", f"conflicts with concept_drift_type {chosen!r}")
            if chosen not in _RULES:
                raise ScenarioError("rule", f"give rule= one of {', '.join(_RULES)}")
            if concept_drift_magnitude is not None:
                raise ScenarioError(
                    "concept_drift_magnitude",
                    "a concept rule relabels every row it covers (the profile weight is the "
                    "probability); it takes no magnitude",
                )
            params = {"kind": "concept", "rule": chosen, **rule_args}
            base = "concept_drift"
        else:
            known = ("label_flip", *_RULES, "concept")
            raise ScenarioError(
                "concept_drift_type",
                f"unknown type {concept_drift_type!r}{suggest(concept_drift_type, known) or '.'}"
                f" Known: {', '.join(known)} (the seed silently did nothing for other types)",
            )
        return self._label(method, df, target_column, "target_column", params, base, timing, rest)

    def inject_concept_drift(
        self,
        df: pd.DataFrame,
        concept_drift_type: str = "label_flip",
        concept_drift_magnitude: float | None = None,
        target_column: str | None = None,
        rule: str | None = None,
        **selectors_and_rule: Any,
    ) -> pd.DataFrame:
        """Concept drift on the selected rows.

        ``concept_drift_type="label_flip"`` (the seed's only working type): event
        ``label_flip`` with rate ``concept_drift_magnitude`` (default 0.2); each row flips
        with that probability (the seed flipped exactly ``int(n * m)`` rows). The engine's
        declared rules (event ``concept``) are available as ``concept_drift_type="threshold"
        | "linear" | "swap"`` (or ``"concept"`` with ``rule=``), with the rule's keys as
        keywords (``feature``, ``threshold``, ``shift``, ``features``, ``weights``, ``bias``,
        ``angle``, ``above``, ``below``, ``classes``, ``condition``); they take no
        magnitude. Any other type raises (the seed silently did nothing).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1, 1, 0, 0]})
        >>> inj = DriftInjector(target_column="y")
        >>> inj.inject_concept_drift(df, "threshold", feature="x",
        ...                          threshold=2.5)["y"].tolist()
        [0, 0, 1, 1]
        """
        return self._concept(
            "inject_concept_drift",
            df,
            concept_drift_type,
            concept_drift_magnitude,
            target_column,
            rule,
            _Timing(),
            selectors_and_rule,
        )

    def inject_concept_drift_gradual(
        self,
        df: pd.DataFrame,
        concept_drift_type: str = "label_flip",
        concept_drift_magnitude: float | None = None,
        target_column: str | None = None,
        rule: str | None = None,
        center: int | None = None,
        width: int | None = None,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        inconsistency: float = 0.0,
        **selectors_and_rule: Any,
    ) -> pd.DataFrame:
        """:meth:`inject_concept_drift` through a transition window (mapping as
        :meth:`inject_feature_drift_gradual`). The seed reached only about a quarter of the
        requested flip rate and forced the label to {0, 1}; here the flip probability is
        exactly ``magnitude * w`` and labels keep their classes.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": ["a", "b"] * 4})
        >>> out = DriftInjector(target_column="y").inject_concept_drift_gradual(
        ...     df, concept_drift_magnitude=1.0, center=4, width=1)
        >>> (out["y"] != df["y"]).tolist()
        [False, False, False, False, True, True, True, True]
        """
        return self._concept(
            "inject_concept_drift_gradual",
            df,
            concept_drift_type,
            concept_drift_magnitude,
            target_column,
            rule,
            self._gradual(center, width, profile, speed_k, direction, inconsistency),
            selectors_and_rule,
        )

    # -- data quality ---------------------------------------------------------------------

    def _simple(
        self,
        method: str,
        df: pd.DataFrame,
        specs: Sequence[tuple[str, Mapping[str, Any]]],
        options: Mapping[str, Any],
        timing: _Timing | None = None,
        conditions: Sequence[Mapping[str, Any]] = (),
    ) -> pd.DataFrame:
        sel = self._select(df, method, options)
        touched = [
            str(c)
            for _, params in specs
            for c in [*params.get("features", []), params.get("column")]
            if c is not None
        ]
        self._free_target(sel, touched)
        events = self._compose(df, sel, timing or _Timing(), specs, conditions)
        return self._finish(df, method, events, sel.roles)

    def inject_outliers(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        method: str = "zscore",
        rate: float | None = None,
        outlier_fraction: float | None = None,
        factor: float | None = None,
        z: float | None = None,
        margin: float | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Outliers (event ``outliers``): each selected row becomes an outlier with
        probability ``rate`` (alias ``outlier_fraction``; default 0.05), on every named
        column. ``method``: ``zscore`` (value set to reference mean +- ``z`` stds, default
        4), ``factor`` (deviation from the reference mean times ``factor``, default 5) or
        ``hypercube`` (beyond the reference range by ``margin`` of it, default 0.1).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"a": np.linspace(-1, 1, 5)})
        >>> out = DriftInjector().inject_outliers(df, ["a"], rate=1.0, z=3.0)
        >>> bool(np.allclose(out["a"].abs(), 3 * df["a"].std(ddof=0)))
        True
        """
        if rate is not None and outlier_fraction is not None:
            raise ScenarioError("outlier_fraction", "give rate or outlier_fraction, not both")
        share = rate if rate is not None else outlier_fraction
        params: dict[str, Any] = {
            "kind": "outliers",
            "features": _as_list(feature_cols, "feature_cols"),
            "method": method,
            "rate": 0.05 if share is None else float(share),
        }
        for key, value in (("factor", factor), ("z", z), ("margin", margin)):
            if value is not None:
                params[key] = float(value)
        return self._simple("inject_outliers", df, [("outliers", params)], selectors)

    def inject_outliers_global(
        self,
        df: pd.DataFrame,
        cols: str | Sequence[str],
        outlier_prob: float = 0.05,
        factor: float = 3.0,
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed's global outliers: :meth:`inject_outliers` with ``method="zscore"``,
        ``z=factor``, ``rate=outlier_prob``. The seed added ``+-factor * std`` (computed on
        the outlier rows only, a defect) to the value; here an outlier lands at the
        reference mean ``+- factor`` reference stds.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"a": np.linspace(-1, 1, 5)})
        >>> out = DriftInjector().inject_outliers_global(df, ["a"], outlier_prob=1.0)
        >>> bool(np.allclose(out["a"].abs(), 3 * df["a"].std(ddof=0)))
        True
        """
        return self.inject_outliers(
            df, cols, method="zscore", rate=outlier_prob, z=factor, **selectors
        )

    def inject_missing_values(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        missing_fraction: float = 0.1,
        mechanism: str = "mcar",
        driver: str | None = None,
        missing_direction: str = "high",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Missing values (event ``missing``): each selected cell goes missing with
        probability ``missing_fraction`` (``mcar``, the seed's only mechanism), or driven by
        another column ``driver`` (``mar``) or by its own value (``mnar``), high values first
        (``missing_direction="high"``) or low values first.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
        >>> DriftInjector().inject_missing_values(
        ...     df, ["a"], missing_fraction=1.0, start_index=2)["a"].isna().tolist()
        [False, False, True, True]
        """
        params: dict[str, Any] = {
            "kind": "missing",
            "features": _as_list(feature_cols, "feature_cols"),
            "rate": float(missing_fraction),
            "mechanism": mechanism,
            "direction": missing_direction,
        }
        if driver is not None:
            params["driver"] = driver
        return self._simple("inject_missing_values", df, [("missing", params)], selectors)

    def inject_missing_values_drift(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        missing_fraction: float = 0.1,
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed's name for :meth:`inject_missing_values` (MCAR unless ``mechanism=``).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0]})
        >>> DriftInjector().inject_missing_values_drift(df, ["a"], 1.0)["a"].isna().all()
        np.True_
        """
        return self.inject_missing_values(df, feature_cols, missing_fraction, **selectors)

    def inject_nulls(
        self,
        df: pd.DataFrame,
        cols: str | Sequence[str],
        prob: float = 0.1,
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed's MCAR nulls: :meth:`inject_missing_values` with
        ``missing_fraction=prob``.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1, 2, 3]})
        >>> DriftInjector().inject_nulls(df, ["a"], prob=1.0)["a"].isna().all()
        np.True_
        """
        return self.inject_missing_values(df, cols, prob, **selectors)

    # -- categories -----------------------------------------------------------------------

    def inject_new_category(
        self,
        df: pd.DataFrame,
        column: str,
        new_value: bool | int | str | None = None,
        probability: float = 0.1,
        replace_categories: Sequence[Any] | None = None,
        center: int | None = None,
        width: int | None = None,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        **selectors: Any,
    ) -> pd.DataFrame:
        """A never-seen category (event ``new_category``): each selected row takes
        ``new_value`` (default ``"<column>_new"``) with probability ``probability``; with
        ``replace_categories`` only rows holding one of them (a ``where.condition``); with
        ``center`` or ``width`` through a transition window (mapping as
        :meth:`inject_feature_drift_gradual`). The seed's ``inject_new_category_drift`` was
        a no-op. A value already in the column is refused.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"c": ["a", "b", "a", "b"]})
        >>> DriftInjector().inject_new_category(df, "c", "z", probability=1.0,
        ...                                     replace_categories=["a"])["c"].tolist()
        ['z', 'b', 'z', 'b']
        """
        timing = (
            self._gradual(center, width, profile, speed_k, direction, 0.0)
            if center is not None or width is not None
            else _Timing()
        )
        if timing.kind == "abrupt":
            _check_window_options(speed_k, direction)
        params: dict[str, Any] = {"kind": "new_category", "column": column, "rate": probability}
        if new_value is not None:
            params["value"] = _plain(new_value)
        conditions = []
        if replace_categories is not None:
            conditions.append(
                {"column": column, "op": "in", "value": [_plain(v) for v in replace_categories]}
            )
        return self._simple(
            "inject_new_category", df, [("new_category", params)], selectors, timing, conditions
        )

    def inject_new_category_drift(
        self,
        df: pd.DataFrame,
        feature_col: str,
        new_category: bool | int | str,
        probability: float = 0.1,
        replace_categories: Sequence[Any] | None = None,
        center: int | None = None,
        width: int | None = None,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        candidate_logic: Mapping[str, Any] | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed's name for :meth:`inject_new_category` (``feature_col``,
        ``new_category``); the original's ``candidate_logic`` raises when given.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"c": ["a", "b"]})
        >>> DriftInjector().inject_new_category_drift(df, "c", "z", 1.0)["c"].tolist()
        ['z', 'z']
        """
        if candidate_logic is not None:
            raise ScenarioError(
                "candidate_logic", "is not supported; use replace_categories or selectors"
            )
        return self.inject_new_category(
            df,
            feature_col,
            new_category,
            probability,
            replace_categories,
            center,
            width,
            profile,
            speed_k,
            direction,
            **selectors,
        )

    def inject_new_value(
        self,
        df: pd.DataFrame,
        cols: str | Sequence[str],
        new_value: Any,
        prob: float = 1.0,
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed's constant injection: each selected row of each column takes
        ``new_value`` with probability ``prob``. Text / integer-code columns: event
        ``new_category`` (rate ``prob``; the value must be new to the column). Float
        columns: event ``set`` over a random ``prob`` share of the selection
        (``where.fraction``). One event per column (``new_value_<col>``).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"c": ["a", "b"], "v": [1.0, 2.0]})
        >>> DriftInjector().inject_new_value(df, ["c"], "NEW")["c"].tolist()
        ['NEW', 'NEW']
        >>> DriftInjector().inject_new_value(df, ["v"], -1.0)["v"].tolist()
        [-1.0, -1.0]
        """
        sel = self._select(df, "inject_new_value", selectors)
        columns = _as_list(cols, "cols")
        _check_columns(df, columns, "cols")
        self._free_target(sel, columns)
        events: dict[str, dict[str, Any]] = {}
        used: set[str] = set()
        for col in columns:
            placements = self._placements(df, sel, _Timing())
            for suffix, where, _ in placements:
                eid = _clean_id(f"new_value_{col}{suffix}", used)
                if pd.api.types.is_float_dtype(df[col].dtype):
                    w = dict(where)
                    if prob < 1.0:
                        w["fraction"] = float(prob)
                    params: dict[str, Any] = {"kind": "set", "features": [col], "value": new_value}
                    events[eid] = self._event(params, w, None, sel)
                else:
                    params = {
                        "kind": "new_category",
                        "column": col,
                        "rate": float(prob),
                        "value": _plain(new_value),
                    }
                    events[eid] = self._event(params, where, None, sel)
        return self._finish(df, "inject_new_value", events, sel.roles)

    def _selected_values(self, df: pd.DataFrame, sel: _Selection, column: str) -> pd.Series:
        """Values of ``column`` on the rows the selection's span covers (before drift)."""
        order, _ = self._engine_order(df, sel.roles)
        rows = np.concatenate([self._positions(df, sel.roles, w) for w in sel.wheres])
        values: pd.Series = df[column].iloc[order[np.unique(rows)]]
        return values

    def inject_category_frequency_drift(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_magnitude: float = 0.3,
        perturbation: str = "uniform",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Change category frequencies (event ``category_frequency``, one per column).

        As the seed's successor, the new proportions are ``(1 - m) * before + m * p`` with
        ``before`` the proportions over the selected rows and ``p`` uniform
        (``perturbation="uniform"``), the inverted frequencies (``"invert"``:
        ``(1 - before) / sum``) or random (``"random"``, drawn from the instance's seed). The
        engine then moves the least rows that reach them exactly (the seed resampled an
        ``m`` share of rows at random).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"c": ["a"] * 6 + ["b"] * 2})
        >>> out = DriftInjector().inject_category_frequency_drift(df, "c", 1.0)
        >>> out["c"].value_counts().sort_index().tolist()
        [4, 4]
        """
        if perturbation not in ("uniform", "invert", "random"):
            raise ScenarioError(
                "perturbation", f"unknown {perturbation!r}; one of uniform, invert, random"
            )
        m = float(drift_magnitude)
        if not 0.0 <= m <= 1.0:
            raise ScenarioError("drift_magnitude", f"must be in [0, 1], got {m}")
        method = "inject_category_frequency_drift"
        sel = self._select(df, method, selectors)
        columns = _as_list(feature_cols, "feature_cols")
        _check_columns(df, columns, "feature_cols")
        self._free_target(sel, columns)
        specs = []
        for col in columns:
            values = self._selected_values(df, sel, col).dropna()
            counts = values.value_counts(normalize=True)
            cats = sorted(counts.index, key=lambda c: str(c))
            if len(cats) < 2:
                raise ScenarioError(
                    "feature_cols", f"{col!r} has fewer than two categories in the selection"
                )
            before = np.array([counts[c] for c in cats], dtype=np.float64)
            if perturbation == "uniform":
                p = np.full(len(cats), 1.0 / len(cats))
            elif perturbation == "invert":
                p = (1.0 - before) / (1.0 - before).sum()
            else:
                rng = np.random.default_rng([self.random_state, self._calls, stable_int(col)])
                p = rng.random(len(cats))
                p /= p.sum()
            target = (1.0 - m) * before + m * p
            target /= target.sum()
            proportions = {_plain(c): float(t) for c, t in zip(cats, target, strict=True)}
            specs.append(
                (
                    f"category_frequency_{col}",
                    {"kind": "category_frequency", "column": col, "target": proportions},
                )
            )
        events = self._compose(df, sel, _Timing(), specs)
        return self._finish(df, method, events, sel.roles)

    def inject_categorical_frequency_drift(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_magnitude: float = 0.3,
        perturbation: str = "uniform",
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed successor's name for :meth:`inject_category_frequency_drift`.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"c": ["a"] * 3 + ["b"]})
        >>> DriftInjector().inject_categorical_frequency_drift(
        ...     df, ["c"], 1.0)["c"].value_counts().tolist()
        [2, 2]
        """
        return self.inject_category_frequency_drift(
            df, feature_cols, drift_magnitude, perturbation, **selectors
        )

    def inject_typos_drift(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_magnitude: float = 0.1,
        typo_density: int = 1,
        typo_type: str = "random",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Typos in text columns (event ``typos``, one per column): each selected string
        gets one edit with probability ``drift_magnitude``. ``typo_type``: ``random``
        (``swap``, ``delete`` or ``duplicate``, as the seed) or one operation (also
        ``replace``). ``typo_density`` (edits per string) other than 1 raises: the engine
        edits one character per typo row plus each other with a probability.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"s": ["hello", "world"]})
        >>> out = DriftInjector().inject_typos_drift(df, "s", 1.0, typo_type="delete")
        >>> out["s"].str.len().tolist()
        [4, 4]
        """
        if typo_density != 1:
            raise ScenarioError(
                "typo_density",
                "only 1 edit per string is supported (the engine's density is a per-character "
                "probability; use apply_drifts with a typos event for it)",
            )
        if typo_type == "random":
            ops = list(_SEED_TYPO_RANDOM)
        elif typo_type in _TYPO_OPS:
            ops = [typo_type]
        else:
            raise ScenarioError(
                "typo_type", f"unknown {typo_type!r}; random or one of {', '.join(_TYPO_OPS)}"
            )
        columns = _as_list(feature_cols, "feature_cols")
        specs = [
            (
                f"typos_{col}",
                {
                    "kind": "typos",
                    "column": col,
                    "rate": float(drift_magnitude),
                    "density": 0.0,
                    "operations": ops,
                },
            )
            for col in columns
        ]
        return self._simple("inject_typos_drift", df, specs, selectors)

    def inject_category_merge_drift(
        self,
        df: pd.DataFrame,
        column: str,
        categories: Sequence[Any],
        into: Any = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Merge ``categories`` into ``into`` (default: the first listed) on the selected
        rows (event ``merge_categories``; no seed equivalent).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"c": ["a", "b", "c"]})
        >>> DriftInjector().inject_category_merge_drift(df, "c", ["a", "b"],
        ...                                             "ab")["c"].tolist()
        ['ab', 'ab', 'c']
        """
        params: dict[str, Any] = {
            "kind": "merge_categories",
            "column": column,
            "categories": [_plain(c) for c in categories],
        }
        if into is not None:
            params["into"] = _plain(into)
        return self._simple(
            "inject_category_merge_drift", df, [("merge_categories", params)], selectors
        )

    # -- joint structure ------------------------------------------------------------------

    def inject_correlation_drift(
        self,
        df: pd.DataFrame,
        feature_cols: Sequence[str],
        correlation_matrix: Any = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Move the correlation of ``feature_cols`` to ``correlation_matrix`` on the
        selected rows (event ``correlation``): values are re-ranked so every column keeps
        exactly its values (its marginal). The seed's method was a no-op (its successor used
        a Cholesky transform that changed the values and projected bad matrices to PSD;
        here a matrix that is not a correlation matrix raises).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame(rng.normal(size=(500, 2)), columns=["a", "b"])
        >>> out = DriftInjector().inject_correlation_drift(df, ["a", "b"],
        ...                                                [[1, 0.9], [0.9, 1]])
        >>> round(float(out["a"].corr(out["b"])), 1), sorted(out["a"]) == sorted(df["a"])
        (0.9, True)
        """
        if correlation_matrix is None:
            raise ScenarioError("correlation_matrix", "give the target correlation matrix")
        params = {
            "kind": "correlation",
            "features": _as_list(feature_cols, "feature_cols"),
            "target": np.asarray(correlation_matrix, dtype=np.float64).tolist(),
        }
        return self._simple("inject_correlation_drift", df, [("correlation", params)], selectors)

    def inject_correlation_matrix_drift(
        self,
        df: pd.DataFrame,
        feature_cols: Sequence[str],
        target_correlation_matrix: Any = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """The seed's name for :meth:`inject_correlation_drift`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0)[::-1]})
        >>> out = DriftInjector().inject_correlation_matrix_drift(
        ...     df, ["a", "b"], np.eye(2))
        >>> abs(float(out["a"].corr(out["b"]))) < 0.5
        True
        """
        return self.inject_correlation_drift(
            df, feature_cols, target_correlation_matrix, **selectors
        )

    # -- several drifts at once -----------------------------------------------------------

    def apply_drifts(
        self,
        df: pd.DataFrame,
        events: Mapping[str, Mapping[str, Any]],
        time_col: str | None = None,
        block_column: str | None = None,
        target_column: str | None = None,
    ) -> pd.DataFrame:
        """Apply calmops-gen drift events (``id -> event dict``, as under ``drift:`` in a
        scenario) unchanged; roles default to the instance's.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [0.0, 0.0, 0.0, 0.0]})
        >>> inj = DriftInjector()
        >>> inj.apply_drifts(df, {"up": {"kind": "add", "features": ["a"], "value": 2.0,
        ...                              "profile": {"kind": "incremental"}}})["a"].tolist()
        [0.0, 0.6666666666666666, 1.3333333333333333, 2.0]
        """
        if not isinstance(df, pd.DataFrame):
            raise ScenarioError("df", f"must be a pandas DataFrame, got {type(df).__name__}")
        if not isinstance(events, Mapping) or not events:
            raise ScenarioError("events", "give at least one event: {id: {kind: ..., ...}}")
        roles = self._roles(df, time_col, block_column, target_column)
        own = {str(k): copy.deepcopy(dict(v)) for k, v in events.items()}
        return self._finish(df, "apply_drifts", own, roles)

    def inject_multiple_types_of_drift(
        self,
        df: pd.DataFrame,
        schedule: Sequence[Mapping[str, Any]],
        output_dir: str | None = None,
        generator_name: str | None = None,
        time_col: str | None = None,
        block_column: str | None = None,
        target_column: str | None = None,
    ) -> pd.DataFrame:
        """Apply a list of ``{"method": <method name>, "params": {...}}`` steps in order.

        Every step is planned first (an unknown method or a bad parameter raises before
        anything is applied, naming the step: ``schedule.<i>...``); then all the steps'
        events go through **one** ``inject`` call, so the ground truth has a column per event
        (ids prefixed ``s<i>_``) and the realised effects are measured in sequence. Steps
        whose column roles differ (a different label column, say) are applied as
        consecutive groups, one ``inject`` call each; their ground truths are joined. The
        caller's schedule and its dicts are never modified (the seed wrote ``params["df"]``
        into them) and no step is skipped (the seed swallowed errors and silently dropped
        steps). ``time_col``, ``block_column`` and ``target_column`` are defaults for every
        step; ``output_dir``/``generator_name`` as in the constructor.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]})
        >>> steps = [
        ...     {"method": "inject_feature_drift",
        ...      "params": {"feature_cols": ["a"], "drift_type": "add_value", "drift_value": 1}},
        ...     {"method": "inject_label_drift", "params": {"drift_magnitude": 1.0}},
        ... ]
        >>> inj = DriftInjector()
        >>> out = inj.inject_multiple_types_of_drift(df, steps, target_column="y")
        >>> out["a"].tolist(), out["y"].tolist()
        ([2.0, 3.0, 4.0, 5.0], [1, 0, 1, 0])
        >>> [c for c in inj.last_ground_truth.columns if c.startswith("s")]
        ['s0_add_value', 's1_label_flip', 's1_label_flip__changed']
        """
        _report_options({"output_dir": output_dir})
        if not isinstance(df, pd.DataFrame):
            raise ScenarioError("df", f"must be a pandas DataFrame, got {type(df).__name__}")
        if isinstance(schedule, Mapping | str) or not isinstance(schedule, Sequence):
            raise ScenarioError("schedule", "must be a list of {method, params} steps")
        if not schedule:
            raise ScenarioError("schedule", "list at least one step")
        steps = self._plan_schedule(df, schedule, time_col, block_column, target_column)
        groups: list[list[_Step]] = []
        for step in steps:
            if groups and groups[-1][0].roles == step.roles:
                groups[-1].append(step)
            else:
                groups.append([step])
        seed = self.seed_for_call(self._calls)
        frame = df
        truths: list[pd.DataFrame] = []
        infos: list[EventInfo] = []
        all_events: dict[str, dict[str, Any]] = {}
        for group in groups:
            events = {k: v for s in group for k, v in s.events.items()}
            roles = group[0].roles
            out = inject(
                frame,
                events,
                seed=seed,
                time_column=roles.time,
                block_column=roles.block,
                target=roles.target,
            )
            frame = out.frame
            truths.append(
                out.ground_truth if not truths else out.ground_truth.drop(columns=["row", "block"])
            )
            infos.extend(out.events)
            all_events.update(events)
        self._calls += 1
        truth = pd.concat(truths, axis=1)
        roles = groups[0][0].roles
        self._record("inject_multiple_types_of_drift", seed, all_events, roles, truth, infos)
        return frame

    def _plan_schedule(
        self,
        df: pd.DataFrame,
        schedule: Sequence[Mapping[str, Any]],
        time_col: str | None,
        block_column: str | None,
        target_column: str | None,
    ) -> list[_Step]:
        self._role_defaults = _Roles(
            time_col if time_col is not None else self.time_col,
            block_column if block_column is not None else self.block_column,
            target_column if target_column is not None else self.target_column,
        )
        self._collector = _Collector()
        planned: list[_Step] = []
        try:
            for i, step in enumerate(schedule):
                path = f"schedule.{i}"
                if not isinstance(step, Mapping):
                    raise ScenarioError(path, "must be a mapping {method, params}")
                extra = set(step) - {"method", "params"}
                if extra:
                    raise ScenarioError(path, f"unknown key(s) {sorted(extra)}")
                name = step.get("method")
                if name not in SCHEDULE_METHODS:
                    raise ScenarioError(
                        f"{path}.method",
                        f"unknown method {name!r}{suggest(str(name), SCHEDULE_METHODS) or '.'} "
                        f"Known: {', '.join(SCHEDULE_METHODS)}",
                    )
                params = step.get("params") or {}
                if not isinstance(params, Mapping):
                    raise ScenarioError(f"{path}.params", "must be a mapping of keywords")
                if "df" in params:
                    raise ScenarioError(
                        f"{path}.params.df",
                        "steps take no frame: they apply to the frame passed to "
                        "inject_multiple_types_of_drift",
                    )
                kwargs = copy.deepcopy(dict(params))
                try:
                    getattr(self, str(name))(df, **kwargs)
                except ScenarioError as err:
                    raise ScenarioError(f"{path}.{err.path}".rstrip("."), err.message) from err
                except TypeError as err:
                    raise TypeError(f"{path} ({name}): {err}") from err
                for got in self._collector.steps[len(planned) :]:
                    used: set[str] = set()
                    got.events = {
                        _clean_id(f"s{i}_{eid}", used): ev for eid, ev in got.events.items()
                    }
                    planned.append(got)
        finally:
            self._collector = None
            self._role_defaults = None
        return planned

    def inject_data_quality_issues(
        self,
        df: pd.DataFrame,
        issues: Sequence[Mapping[str, Any]],
        block_column: str | None = None,
        time_col: str | None = None,
        output_dir: str | None = None,
        generator_name: str | None = None,
    ) -> pd.DataFrame:
        """The seed's second scheduler: :meth:`inject_multiple_types_of_drift` with
        ``schedule=issues`` (the seed wrote ``params["df"]`` into the caller's dicts and
        printed and skipped failing steps; neither happens here).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0]})
        >>> DriftInjector().inject_data_quality_issues(
        ...     df, [{"method": "inject_nulls", "params": {"cols": ["a"], "prob": 1.0}}]
        ... )["a"].isna().all()
        np.True_
        """
        return self.inject_multiple_types_of_drift(
            df,
            issues,
            output_dir=output_dir,
            generator_name=generator_name,
            time_col=time_col,
            block_column=block_column,
        )
