"""The base of :class:`~calmops_gen.drift_injector.DriftInjector`: its constructor and
seeds, the column roles and selection of a call, and composing the call's events, running
them through :func:`~calmops_gen.injector.inject` and keeping the record."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from calmops_gen.arguments import check_name
from calmops_gen.drift import EVENTS
from calmops_gen.drift_injector.options import (
    DEFAULT_RANDOM_STATE,
    REPORT_KEYS,
    ROLE_KEYS,
    SELECTOR_KEYS,
    as_list,
    check_columns,
    check_frame,
    clean_id,
    report_options,
)
from calmops_gen.drift_injector.selection import Roles, Selection, Timing, placements, select
from calmops_gen.errors import ScenarioError, suggest
from calmops_gen.injector import Injection, inject
from calmops_gen.manifest import EventInfo
from calmops_gen.seeding import seed_value

Spec = tuple[str, Mapping[str, Any]]
"""``(base id, event parameters)`` of one event before placement."""

P = ParamSpec("P")
R = TypeVar("R")


_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "features": ("feature_cols", "cols", "columns"),
    "column": ("column", "feature_col", "feature_cols", "cols"),
    "amount_std": ("drift_magnitude",),
    "amount": ("drift_value", "drift_values"),
    "factor": ("factor", "drift_magnitude", "drift_value"),
    "value": ("new_value", "new_category", "drift_value"),
    "direction": ("missing_direction",),
    "target": ("target_distribution", "correlation_matrix", "target_correlation_matrix"),
    "profile.duty": ("duty",),
    "profile.edge": ("edge",),
    "where.condition": ("conditions",),
    "where": ("conditions", "replace_categories", "prob"),
}
"""Engine event keys -> the DriftInjector arguments they may come from, most likely first
(any other key is looked up under its own name). The longest listed prefix of a key wins;
below a dotted entry the rest of the path is kept, since the argument has the same layout
(``where.condition.0.column`` -> ``conditions.0.column``)."""

_FRAME_ARGUMENTS = {"frame": "df", "time_column": "time_col", "block_column": "block_column"}
"""``inject``'s arguments -> the DriftInjector arguments that carry them."""


def argument_error(method: Callable[..., Any], err: ScenarioError) -> ScenarioError:
    """``err`` from the engine (path ``drift.<event id>.<key>``) renamed to the argument of
    ``method`` that the key came from, when there is one: a DriftInjector user passed
    ``factor=``, not ``drift.outliers.z``. A seed alias (:func:`alias_of`) is read through
    its renames, a method marked by :func:`passes_through` keeps those keys' names.

    Examples
    --------
    >>> def inject_outliers(df, feature_cols, method="zscore", z=None): ...
    >>> str(argument_error(inject_outliers, ScenarioError("drift.outliers.features", "?")))
    'feature_cols: ?'
    >>> @alias_of(feature_cols="cols", z="factor")
    ... def inject_outliers_global(df, cols, factor=3.0): ...
    >>> str(argument_error(inject_outliers_global, ScenarioError("drift.outliers.z", "> 0")))
    'factor: > 0'
    >>> str(argument_error(inject_outliers_global, ScenarioError("drift.outliers.where", "x")))
    'drift.outliers.where: x'
    >>> def inject_conditional_drift(df, feature_cols, conditions): ...
    >>> str(argument_error(inject_conditional_drift,
    ...                    ScenarioError("drift.shift.where.condition.0.column", "no 'q'")))
    "conditions.0.column: no 'q'"
    """
    names = inspect.signature(method).parameters
    renames: Mapping[str, str] = getattr(method, RENAMES, {})
    passthrough: Collection[str] = getattr(method, PASSTHROUGH, ())

    def rename(one: ScenarioError) -> ScenarioError:
        if one.path in _FRAME_ARGUMENTS:  # inject's own arguments: the frame, its roles
            # (the roles are every method's, given to the call or to DriftInjector)
            return ScenarioError(_FRAME_ARGUMENTS[one.path], one.message)
        parts = one.path.split(".", 2)
        if len(parts) < 3 or parts[0] != "drift":
            return one
        key = parts[2]
        steps = key.split(".")
        for i in range(len(steps), 0, -1):
            prefix = ".".join(steps[:i])
            rest = steps[i:] if i > 1 else []
            for name in _ARGUMENTS.get(prefix, (prefix,) if i in (1, len(steps)) else ()):
                name = renames.get(name, name)
                if name in names:
                    return ScenarioError(".".join([name, *rest]), one.message)
        if steps[0] in passthrough:
            return ScenarioError(key, one.message)
        return one

    return err.each(rename)


PASSTHROUGH = "passthrough_keys"
"""Attribute of a method whose ``**kwargs`` with these names go into its event unchanged."""

RENAMES = "argument_renames"
"""Attribute of a seed alias: the delegate's argument names -> the alias's."""


def passes_through(keys: Collection[str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a method whose keyword arguments ``keys`` (taken by ``**kwargs``) go into its
    event under the same names, so that :func:`argument_error` reports engine errors on
    them under the user's keyword (``classes``, not ``drift.concept_drift.classes``)."""

    def mark(method: Callable[P, R]) -> Callable[P, R]:
        setattr(method, PASSTHROUGH, frozenset(keys))
        return method

    return mark


def alias_of(**names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a seed alias that delegates to another method under other argument names:
    an error naming the delegate's argument ``key`` names the alias's ``names[key]``.

    Examples
    --------
    >>> def inject_missing_values(feature_cols):
    ...     raise ScenarioError("feature_cols", "no column 'q'")
    >>> @alias_of(feature_cols="cols")
    ... def inject_nulls(cols):
    ...     return inject_missing_values(cols)
    >>> inject_nulls(["q"])
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: cols: no column 'q'
    """

    def rename(err: ScenarioError) -> ScenarioError:
        head, dot, rest = err.path.partition(".")
        return ScenarioError(names[head] + dot + rest, err.message) if head in names else err

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def alias(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except ScenarioError as err:
                raise err.each(rename) from None

        setattr(alias, RENAMES, names)  # read by argument_error (schedules)

        return alias

    return wrap


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


@dataclass
class Step:
    """The events one method call planned inside a schedule (nothing applied yet), and the
    schedule entry (position and method name) that planned them."""

    events: dict[str, dict[str, Any]]
    roles: Roles
    index: int = -1
    method: str = ""


def apply_events(
    frame: pd.DataFrame, events: dict[str, dict[str, Any]], seed: int, roles: Roles
) -> Injection:
    """:func:`~calmops_gen.injector.inject` with the call's roles."""
    return inject(
        frame,
        events,
        seed=seed,
        time_column=roles.time,
        block_column=roles.block,
        target=roles.target,
    )


def event_dict(
    params: Mapping[str, Any],
    where: Mapping[str, Any],
    profile: Mapping[str, Any] | None,
    sel: Selection,
    extra_conditions: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One event: ``params`` placed by ``where`` and ``profile``, with the selection's
    reference block when the event kind takes one."""
    ev = dict(params)
    w = dict(where)
    if extra_conditions:  # first: ``where.condition.<k>`` is the method's condition ``k``
        w["condition"] = [*extra_conditions, *w.get("condition", [])]
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


class DriftInjectorBase:
    """Constructor, seeds, roles, selection and the running of events (see
    :class:`~calmops_gen.drift_injector.DriftInjector` for the parameters)."""

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
        seed = seed_value(
            DEFAULT_RANDOM_STATE if random_state is None else random_state, "random_state"
        )
        for name, key in (
            (time_col, "time_col"),
            (block_column, "block_column"),
            (target_column, "target_column"),
        ):
            check_name(name, key)
        if output_dir is not None:
            report_options({"output_dir": output_dir})
        self.output_dir = output_dir
        self.generator_name = generator_name
        self.random_state = seed
        self.time_col = time_col
        self.block_column = block_column
        self.target_column = target_column
        self.last_ground_truth: pd.DataFrame | None = None
        self.last_events: list[EventInfo] = []
        self.history: list[DriftRecord] = []
        self._calls = 0
        self._collector: list[Step] | None = None
        self._role_defaults: Roles | None = None

    def seed_for_call(self, k: int) -> int:
        """Seed of call ``k`` (0-based) of this instance: ``random_state`` for the first call,
        then a stable derivation of ``(random_state, k)``.

        Examples
        --------
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> inj = DriftInjector(random_state=3)
        >>> again = DriftInjector(random_state=3)
        >>> inj.seed_for_call(0), inj.seed_for_call(1) == again.seed_for_call(1)
        (3, True)
        """
        if k == 0:
            return self.random_state
        seq = np.random.SeedSequence(self.random_state, spawn_key=(k,))
        return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))

    def _call_key(self) -> list[int]:
        """Entropy for draws a method makes itself (not through the engine): the instance's
        seed, the call, and the step when the call is a step of a schedule (the steps of one
        schedule share a call number).

        Examples
        --------
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> DriftInjector(random_state=3)._call_key()
        [3, 0]
        """
        key = [self.random_state, self._calls]
        if self._collector is not None:
            key.append(len(self._collector))
        return key

    # -- roles and selection ------------------------------------------------------------------

    def _roles(
        self,
        df: pd.DataFrame,
        time_col: str | None,
        block_column: str | None,
        target: str | None,
        target_key: str = "target_column",
    ) -> Roles:
        defaults = self._defaults()

        def pick(explicit: str | None, default: str | None, key: str) -> str | None:
            if explicit is not None:
                check_columns(df, [explicit], key)
                return explicit
            return default if default is not None and default in df.columns else None

        return Roles(
            pick(time_col, defaults.time, "time_col"),
            pick(block_column, defaults.block, "block_column"),
            pick(target, defaults.target, target_key),
        )

    def _defaults(self) -> Roles:
        """The role columns a call falls back to: a schedule's, else the instance's."""
        return self._role_defaults or Roles(self.time_col, self.block_column, self.target_column)

    def _missing_default(self, df: pd.DataFrame, role: str) -> str:
        """`` (DriftInjector's time_col='t' is not a column of this frame)`` when the
        instance's default for ``role`` names a column ``df`` lacks, else ``""``."""
        default = getattr(self._defaults(), role)
        if default is None or default in df.columns:
            return ""
        key = {"time": "time_col", "block": "block_column", "target": "target_column"}[role]
        return f" (DriftInjector's {key}={default!r} is not a column of this frame)"

    def _select(
        self,
        df: pd.DataFrame,
        method: str,
        options: Mapping[str, Any],
        *,
        target: str | None = None,
        target_key: str = "target_column",
    ) -> Selection:
        """Validate a call's selector keywords and translate them to ``where`` dicts."""
        check_frame(df)
        for key in options:
            if key not in SELECTOR_KEYS | ROLE_KEYS | REPORT_KEYS:
                own = getattr(self, method, None)
                named = set(inspect.signature(own).parameters) if callable(own) else set()
                known = sorted(SELECTOR_KEYS | ROLE_KEYS | REPORT_KEYS | named)
                raise TypeError(
                    f"{method}() got an unexpected keyword argument {key!r}"
                    f"{suggest(key, known) or ''}"
                )
        report_options(options)
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
        try:
            return select(df, roles, options)
        except ScenarioError as err:
            role = {"time_col": "time", "block_column": "block"}.get(err.path)
            if role is None or getattr(roles, role) is not None:
                raise
            raise ScenarioError(err.path, err.message + self._missing_default(df, role)) from None

    def _select_columns(
        self,
        df: pd.DataFrame,
        method: str,
        cols: str | Sequence[str],
        key: str,
        options: Mapping[str, Any],
    ) -> tuple[Selection, list[str]]:
        """:meth:`_select`, then the method's columns (argument ``key``) checked to exist and
        freed of the target role (a feature-style method may drift the label column)."""
        sel = self._select(df, method, options)
        columns = as_list(cols, key)
        check_columns(df, columns, key)
        sel.release_target(columns)
        return sel, columns

    # -- composing and running events ---------------------------------------------------------

    def _compose(
        self,
        df: pd.DataFrame,
        sel: Selection,
        timing: Timing,
        specs: Sequence[Spec],
        extra_conditions: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, dict[str, Any]]:
        """Events ``id -> dict`` for each ``(base id, params)`` spec and each placement."""
        placed = placements(df, sel, timing)
        used: set[str] = set()
        events: dict[str, dict[str, Any]] = {}
        for base, params in specs:
            for suffix, where, profile in placed:
                eid = clean_id(base + suffix, used)
                events[eid] = event_dict(params, where, profile, sel, extra_conditions)
        return events

    def _apply_specs(
        self,
        method: str,
        df: pd.DataFrame,
        specs: Sequence[Spec],
        options: Mapping[str, Any],
        timing: Timing | None = None,
        conditions: Sequence[Mapping[str, Any]] = (),
    ) -> pd.DataFrame:
        """Select, release the target role of the columns ``specs`` touch, compose the
        events (abrupt unless ``timing``) and apply them."""
        sel = self._select(df, method, options)
        touched = [
            str(c)
            for _, params in specs
            for c in [*params.get("features", []), params.get("column")]
            if c is not None
        ]
        sel.release_target(touched)
        events = self._compose(df, sel, timing or Timing(), specs, conditions)
        return self._finish(df, method, events, sel.roles)

    def _finish(
        self, df: pd.DataFrame, method: str, events: dict[str, dict[str, Any]], roles: Roles
    ) -> pd.DataFrame:
        """Apply a call's events (or, inside a schedule, keep them for later)."""
        if self._collector is not None:
            self._collector.append(Step(events, roles))
            return df
        seed = self.seed_for_call(self._calls)
        try:
            out = apply_events(df, events, seed, roles)
        except ScenarioError as err:
            raise argument_error(getattr(self, method), err) from None
        self._calls += 1
        self._record(method, seed, events, roles, out.ground_truth, out.events)
        return out.frame

    def _record(
        self,
        method: str,
        seed: int,
        events: dict[str, dict[str, Any]],
        roles: Roles,
        truth: pd.DataFrame,
        infos: list[EventInfo],
    ) -> None:
        self.last_ground_truth = truth
        self.last_events = infos
        self.history.append(
            DriftRecord(method, seed, events, roles.time, roles.block, roles.target, truth, infos)
        )
