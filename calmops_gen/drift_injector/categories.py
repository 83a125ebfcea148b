"""Categorical and text drift: new categories and values, category frequencies, typos
and merged categories.

Each method maps its seed parameters onto one event spec per column (or one for the named
column); the seed's other names for the same methods are thin aliases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from calmops_gen.arguments import share, values_list
from calmops_gen.drift.values import plain
from calmops_gen.drift_injector.core import DriftInjectorBase, Spec, alias_of, event_dict
from calmops_gen.drift_injector.options import as_list, check_window_options, clean_id
from calmops_gen.drift_injector.selection import (
    Timing,
    gradual_timing,
    placements,
    selected_rows,
)
from calmops_gen.errors import ScenarioError
from calmops_gen.seeding import stable_int

_TYPO_OPS = ("swap", "delete", "duplicate", "replace")
_SEED_TYPO_RANDOM = ["swap", "delete", "duplicate"]


class CategoryDrift(DriftInjectorBase):
    """The seed's category and text methods (mixed into
    :class:`~calmops_gen.drift_injector.DriftInjector`)."""

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
        ``new_value`` (default: the next integer code in an integer column, else
        ``"<column>_new"``) with probability ``probability``; with
        ``replace_categories`` only rows holding one of them (a ``where.condition``); with
        ``center`` or ``width`` through a transition window (mapping as
        :meth:`inject_feature_drift_gradual`). The seed's ``inject_new_category_drift`` was
        a no-op. A value already in the column is refused.

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"c": ["a", "b", "a", "b"]})
        >>> DriftInjector().inject_new_category(df, "c", "z", probability=1.0,
        ...                                     replace_categories=["a"])["c"].tolist()
        ['z', 'b', 'z', 'b']
        """
        if center is not None or width is not None:
            timing = gradual_timing(center, width, profile, speed_k, direction, 0.0)
        else:
            check_window_options(speed_k, direction)
            timing = Timing()
        params: dict[str, Any] = {
            "kind": "new_category",
            "column": column,
            "rate": share(probability, "probability"),
        }
        if new_value is not None:
            params["value"] = plain(new_value)
        conditions = []
        if replace_categories is not None:
            conditions.append(
                {
                    "column": column,
                    "op": "in",
                    "value": [
                        plain(v) for v in values_list(replace_categories, "replace_categories")
                    ],
                }
            )
        return self._apply_specs(
            "inject_new_category", df, [("new_category", params)], selectors, timing, conditions
        )

    @alias_of(column="feature_col", new_value="new_category")
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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        ``new_category`` (rate ``prob``; the value must be new to the column; a rate of 0
        is a control that changes nothing). Float columns: event ``set`` over a random
        ``prob`` share of the selection (``where.fraction``: each row kept with probability
        ``prob``), because the engine's ``set`` has no rate; so, unlike text columns, a float
        column refuses ``prob=0``, and a call whose draw keeps none of the selected rows
        (likely only for a small ``prob`` on few rows) fails naming ``prob``. One event per
        column (``new_value_<col>``).

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"c": ["a", "b"], "v": [1.0, 2.0]})
        >>> DriftInjector().inject_new_value(df, ["c"], "NEW")["c"].tolist()
        ['NEW', 'NEW']
        >>> DriftInjector().inject_new_value(df, ["v"], -1.0)["v"].tolist()
        [-1.0, -1.0]
        """
        sel, columns = self._select_columns(df, "inject_new_value", cols, "cols", selectors)
        rate = share(prob, "prob")
        events: dict[str, dict[str, Any]] = {}
        used: set[str] = set()
        placed = placements(df, sel, Timing())
        for col in columns:
            thin: dict[str, float] = {}
            if pd.api.types.is_float_dtype(df[col].dtype):
                params: dict[str, Any] = {"kind": "set", "features": [col], "value": new_value}
                if rate == 0.0:
                    raise ScenarioError(
                        "prob",
                        f"0 would set no row of float column {col!r}: a float column takes "
                        "the value through a set event on a random prob share of the rows, "
                        "which cannot be empty (text and integer-code columns take 0 as a "
                        "control); leave the column out",
                    )
                if rate < 1.0:
                    thin["fraction"] = rate
            else:
                value = plain(new_value)
                params = {
                    "kind": "new_category",
                    "column": col,
                    "rate": rate,
                    "value": value,
                }
            for suffix, where, _ in placed:
                eid = clean_id(f"new_value_{col}{suffix}", used)
                events[eid] = event_dict(params, {**where, **thin}, None, sel)
        return self._finish(df, "inject_new_value", events, sel.roles)

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
        ``(1 - before) / sum``) or random (``"random"``, drawn from the instance's seed, the
        call and, inside :meth:`inject_multiple_types_of_drift`, the step: two steps on one
        column get two different targets). The
        engine then moves the least rows that reach them exactly (the seed resampled an
        ``m`` share of rows at random).

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"c": ["a"] * 6 + ["b"] * 2})
        >>> out = DriftInjector().inject_category_frequency_drift(df, "c", 1.0)
        >>> out["c"].value_counts().sort_index().tolist()
        [4, 4]
        """
        if perturbation not in ("uniform", "invert", "random"):
            raise ScenarioError(
                "perturbation", f"unknown {perturbation!r}; one of uniform, invert, random"
            )
        m = share(drift_magnitude, "drift_magnitude")
        method = "inject_category_frequency_drift"
        sel, columns = self._select_columns(df, method, feature_cols, "feature_cols", selectors)
        specs: list[Spec] = []
        rows = selected_rows(df, sel)
        for col in columns:
            if pd.api.types.is_float_dtype(df[col].dtype):
                raise ScenarioError(
                    "feature_cols",
                    f"{col!r} is a float column; category frequencies need categories "
                    "(a string, categorical, integer or bool column)",
                )
            counts = df[col].iloc[rows].dropna().value_counts(normalize=True)
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
                rng = np.random.default_rng([*self._call_key(), stable_int(col)])
                p = rng.random(len(cats))
                p /= p.sum()
            target = (1.0 - m) * before + m * p
            target /= target.sum()
            proportions = {plain(c): float(t) for c, t in zip(cats, target, strict=True)}
            specs.append(
                (
                    f"category_frequency_{col}",
                    {"kind": "category_frequency", "column": col, "target": proportions},
                )
            )
        events = self._compose(df, sel, Timing(), specs)
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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        columns = as_list(feature_cols, "feature_cols")
        specs = [
            (
                f"typos_{col}",
                {
                    "kind": "typos",
                    "column": col,
                    "rate": share(drift_magnitude, "drift_magnitude"),
                    "density": 0.0,
                    "operations": ops,
                },
            )
            for col in columns
        ]
        return self._apply_specs("inject_typos_drift", df, specs, selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"c": ["a", "b", "c"]})
        >>> DriftInjector().inject_category_merge_drift(df, "c", ["a", "b"],
        ...                                             "ab")["c"].tolist()
        ['ab', 'ab', 'c']
        """
        params: dict[str, Any] = {
            "kind": "merge_categories",
            "column": column,
            "categories": [plain(c) for c in values_list(categories, "categories")],
        }
        if into is not None:
            params["into"] = plain(into)
        return self._apply_specs(
            "inject_category_merge_drift", df, [("merge_categories", params)], selectors
        )
