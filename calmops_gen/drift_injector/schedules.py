"""Several drifts in one call: ``apply_drifts`` (calmops-gen events as they are) and the
seed's schedulers ``inject_multiple_types_of_drift`` and ``inject_data_quality_issues``.

A schedule is planned first: each step's method runs with the instance collecting its
events instead of applying them, so every step is validated before anything is applied;
then all the events go through one :func:`~calmops_gen.injector.inject` call per group of
steps with the same column roles.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from calmops_gen.arguments import mapping
from calmops_gen.drift_injector.core import DriftInjectorBase, Step, apply_events, argument_error
from calmops_gen.drift_injector.options import check_frame, clean_id, report_options
from calmops_gen.drift_injector.selection import Roles
from calmops_gen.errors import ScenarioError, renamed_paths, suggest
from calmops_gen.manifest import EventInfo

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
    "inject_binary_probabilistic_drift",
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


class Schedules(DriftInjectorBase):
    """The seed's multi-drift methods (mixed into
    :class:`~calmops_gen.drift_injector.DriftInjector`)."""

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": [0.0, 0.0, 0.0, 0.0]})
        >>> inj = DriftInjector()
        >>> inj.apply_drifts(df, {"up": {"kind": "add", "features": ["a"], "value": 2.0,
        ...                              "profile": {"kind": "incremental"}}})["a"].tolist()
        [0.0, 0.6666666666666666, 1.3333333333333333, 2.0]
        """
        check_frame(df)
        if not isinstance(events, Mapping) or not events:
            raise ScenarioError("events", "give at least one event: {id: {kind: ..., ...}}")
        roles = self._roles(df, time_col, block_column, target_column)
        own = {
            str(k): copy.deepcopy(dict(mapping(v, f"events.{k}", "{kind: ..., ...}")))
            for k, v in events.items()
        }
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
        anything is applied, naming the step: ``schedule.<i>...``; so does a value only the
        engine checks, such as a column that is not numeric); then all the steps'
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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        report_options({"output_dir": output_dir})
        check_frame(df)
        if isinstance(schedule, Mapping | str) or not isinstance(schedule, Sequence):
            raise ScenarioError("schedule", "must be a list of {method, params} steps")
        if not schedule:
            raise ScenarioError("schedule", "list at least one step")
        steps = self._plan_schedule(df, schedule, time_col, block_column, target_column)
        groups: list[list[Step]] = []
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
            try:
                out = apply_events(frame, events, seed, roles)
            except ScenarioError as err:
                raise self._step_error(group, err) from None
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

    def _step_error(self, steps: list[Step], err: ScenarioError) -> ScenarioError:
        """``err`` from the engine (``drift.s<i>_<event>.<key>``) named after the schedule
        entry and the argument of its method the key came from (``schedule.<i>.<argument>``)
        when there is one."""

        def rename(one: ScenarioError) -> ScenarioError:
            eid = one.path.split(".")[1] if one.path.startswith("drift.") else None
            for step in steps:
                if eid in step.events:
                    named = argument_error(getattr(self, step.method), one)
                    if named is not one:
                        return ScenarioError(f"schedule.{step.index}.{named.path}", named.message)
            return one

        return err.each(rename)

    def _plan_schedule(
        self,
        df: pd.DataFrame,
        schedule: Sequence[Mapping[str, Any]],
        time_col: str | None,
        block_column: str | None,
        target_column: str | None,
    ) -> list[Step]:
        self._role_defaults = Roles(
            time_col if time_col is not None else self.time_col,
            block_column if block_column is not None else self.block_column,
            target_column if target_column is not None else self.target_column,
        )
        collected: list[Step] = []
        self._collector = collected
        planned: list[Step] = []
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
                for got in collected[len(planned) :]:
                    used: set[str] = set()
                    got.events = {
                        clean_id(f"s{i}_{eid}", used): ev for eid, ev in got.events.items()
                    }
                    got.index, got.method = i, str(name)
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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": [1.0, 2.0]})
        >>> DriftInjector().inject_data_quality_issues(
        ...     df, [{"method": "inject_nulls", "params": {"cols": ["a"], "prob": 1.0}}]
        ... )["a"].isna().all()
        np.True_
        """
        with renamed_paths({"schedule": "issues"}):  # the steps are this method's ``issues``
            return self.inject_multiple_types_of_drift(
                df,
                issues,
                output_dir=output_dir,
                generator_name=generator_name,
                time_col=time_col,
                block_column=block_column,
            )
