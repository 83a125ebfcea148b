"""Feature drift: ``inject_feature_drift`` and its window variants, and
``inject_conditional_drift``.

Every method translates the same seed parameters (:class:`FeatureChange`) and differs only
in how the drift unfolds over the selection (its :class:`~.selection.Timing`) or, for the
conditional method, in an extra ``where.condition``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calmops_gen.arguments import mapping, number
from calmops_gen.drift_injector.core import DriftInjectorBase, Spec
from calmops_gen.drift_injector.options import (
    check_drift_type,
    check_window_options,
    is_numeric,
    numeric_params,
    where_conditions,
)
from calmops_gen.drift_injector.selection import (
    Timing,
    abrupt_timing,
    gradual_timing,
    recurrent_timing,
)
from calmops_gen.errors import ScenarioError


@dataclass(frozen=True)
class FeatureChange:
    """The seed's feature parameters of one call: the columns and what happens to them."""

    feature_cols: str | Sequence[str]
    drift_type: str
    drift_magnitude: float
    drift_value: float | None
    drift_values: Mapping[str, float] | None

    def specs(self, df: pd.DataFrame, cols: Sequence[str]) -> list[Spec]:
        """The events for ``cols``: one for the numeric columns (one per column with
        ``drift_values``) and a ``category_flip`` per other column."""
        magnitude, value, values = self.drift_magnitude, self.drift_value, self.drift_values
        if value is not None and values is not None:
            raise ScenarioError("drift_values", "give drift_value or drift_values, not both")
        check_drift_type(self.drift_type)
        numeric = [c for c in cols if is_numeric(df[c])]
        if value is not None and not numeric:
            raise ScenarioError(
                "drift_value",
                f"is used by numeric columns only; {list(cols)} are not numeric (each gets a "
                "category_flip of rate clip(drift_magnitude, 0, 1))",
            )
        if values is not None:
            values = mapping(values, "drift_values", "{column: value}")
            extra = [k for k in values if k not in numeric]
            if extra:
                raise ScenarioError(
                    "drift_values", f"{extra} are not numeric columns among feature_cols"
                )
            missing = [c for c in numeric if c not in values]
            if missing:
                raise ScenarioError("drift_values", f"no value for column(s) {missing}")
        specs: list[Spec] = []
        grouped = False
        for col in cols:
            if col not in numeric:
                rate = float(np.clip(number(magnitude, "drift_magnitude"), 0.0, 1.0))
                specs.append(
                    (f"category_flip_{col}", {"kind": "category_flip", "column": col, "rate": rate})
                )
            elif values is not None:
                params = numeric_params(self.drift_type, magnitude, values[col], "drift_values")
                specs.append((f"{self.drift_type}_{col}", {**params, "features": [col]}))
            elif not grouped:
                grouped = True
                params = numeric_params(self.drift_type, magnitude, value)
                specs.append((self.drift_type, {**params, "features": numeric}))
        return specs


class FeatureDrift(DriftInjectorBase):
    """The seed's feature-drift methods (mixed into
    :class:`~calmops_gen.drift_injector.DriftInjector`)."""

    def _feature(
        self,
        method: str,
        df: pd.DataFrame,
        change: FeatureChange,
        timing: Timing,
        options: Mapping[str, Any],
        conditions: Sequence[Mapping[str, Any]] = (),
    ) -> pd.DataFrame:
        sel, cols = self._select_columns(df, method, change.feature_cols, "feature_cols", options)
        events = self._compose(df, sel, timing, change.specs(df, cols), conditions)
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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        change = FeatureChange(feature_cols, drift_type, drift_magnitude, drift_value, drift_values)
        return self._feature("inject_feature_drift", df, change, Timing(), selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": np.zeros(10)})
        >>> inj = DriftInjector()
        >>> out = inj.inject_feature_drift_gradual(df, ["a"], "add_value", drift_value=1.0,
        ...                                        center=4, width=5, profile="linear")
        >>> out["a"].tolist()
        [0.0, 0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
        >>> inj.history[-1].events["add_value"]["where"], inj.last_events[0].profile["width"]
        ({'rows': [2, 10]}, 5)
        """
        timing = gradual_timing(center, width, profile, speed_k, direction, inconsistency)
        change = FeatureChange(feature_cols, drift_type, drift_magnitude, drift_value, drift_values)
        return self._feature("inject_feature_drift_gradual", df, change, timing, selectors)

    def inject_feature_drift_abrupt(
        self,
        df: pd.DataFrame,
        feature_cols: str | Sequence[str],
        drift_type: str = "gaussian_noise",
        drift_magnitude: float = 0.2,
        change_index: int = 0,
        direction: str = "up",
        *,
        drift_value: float | None = None,
        drift_values: Mapping[str, float] | None = None,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Feature drift at full strength from selected row ``change_index`` on.

        ``change_index`` counts inside the selection (with no other selector it is the row
        position, as the seed's ``start_index=change_index``). ``direction`` other than
        ``"up"`` raises (the seed ignored it). The positional order is the seed's
        (``drift_magnitude, change_index, direction``); ``drift_value`` and
        ``drift_values``, which the seed's method did not have, are keyword-only. Other
        parameters as :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5]})
        >>> DriftInjector().inject_feature_drift_abrupt(
        ...     df, ["a"], "multiply_value", drift_value=10, change_index=3)["a"].tolist()
        [1, 2, 3, 40, 50]
        """
        check_window_options(1.0, direction)
        timing = abrupt_timing(change_index)
        change = FeatureChange(feature_cols, drift_type, drift_magnitude, drift_value, drift_values)
        return self._feature("inject_feature_drift_abrupt", df, change, timing, selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": np.zeros(5)})
        >>> DriftInjector().inject_feature_drift_incremental(
        ...     df, ["a"], "add_value", drift_value=4.0)["a"].tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0]
        """
        timing = Timing("incremental")
        change = FeatureChange(feature_cols, drift_type, drift_magnitude, drift_value, drift_values)
        return self._feature("inject_feature_drift_incremental", df, change, timing, selectors)

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
        duty: float | None = None,
        edge: int = 0,
        profile: str | None = None,
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
        each period (default 0.5) and off for the rest. Rows left over after the last whole
        period start a new cycle. With ``windows=[(center, width), ...]``: one event per
        window, on for the ``width`` selected rows centred at ``center`` (ids ``<type>_w0``,
        ``<type>_w1``, ...); ``duty`` (a share of a period) is refused with windows.

        ``edge > 0`` ramps each on-phase (each period's, or each window) up over its first
        ``edge`` rows and down over its last ``edge`` rows, shaped by ``profile``
        (``sigmoid``, ``linear`` or ``cosine``; default ``sigmoid``): the seed shaped its
        windows with ``profile``, so here ``profile`` shapes the ramps, and giving it
        without ``edge`` is refused (there is nothing to shape). A window with ramps is the
        engine's ``recurrent`` profile of one period (``period=width, duty=1``). The ramps
        must leave at least one row at full weight (``2 * edge`` below the on-phase's
        rows), else ``edge`` is refused: the drift would never reach its size. ``duty`` and
        ``edge`` are extensions. ``cycle_blocks``, ``random_repeat_order``,
        ``center``/``width``, ``center_in_block``, ``width_in_block``, ``speed_k`` and
        ``direction`` raise when set. Other parameters as :meth:`inject_feature_drift`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": np.zeros(8)})
        >>> inj = DriftInjector()
        >>> inj.inject_feature_drift_recurrent(df, ["a"], "add_value", drift_value=1.0,
        ...                                    repeats=2)["a"].tolist()
        [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
        >>> inj.inject_feature_drift_recurrent(df, ["a"], "add_value", drift_value=1.0,
        ...                                    windows=[(1, 2), (6, 2)])["a"].tolist()
        [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
        >>> inj.inject_feature_drift_recurrent(df, ["a"], "add_value", drift_value=3.0,
        ...                                    windows=[(4, 7)], edge=2,
        ...                                    profile="linear")["a"].tolist()
        [0.0, 1.0, 2.0, 3.0, 3.0, 3.0, 2.0, 1.0]
        """
        unsupported = {
            "center": center,
            "width": width,
            "cycle_blocks": cycle_blocks,
            "random_repeat_order": random_repeat_order,
            "center_in_block": center_in_block,
            "width_in_block": width_in_block,
        }
        timing = recurrent_timing(
            windows, repeats, duty, edge, profile, speed_k, direction, unsupported
        )
        change = FeatureChange(feature_cols, drift_type, drift_magnitude, drift_value, drift_values)
        return self._feature("inject_feature_drift_recurrent", df, change, timing, selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        where = where_conditions(conditions, "conditions")
        change = FeatureChange(feature_cols, drift_type, drift_magnitude, drift_value, drift_values)
        return self._feature("inject_conditional_drift", df, change, Timing(), selectors, where)
