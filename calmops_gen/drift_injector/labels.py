"""Label drift: the ``inject_label_drift`` family (``label_flip``), ``inject_label_shift``
(``prior_shift``) and concept drift (``label_flip`` or a declared ``concept`` rule).

Every method builds one event spec for the label column and differs only in its window
(:class:`~.selection.Timing`); they share :meth:`LabelDrift._label`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from calmops_gen.arguments import mapping, number, share, values_list
from calmops_gen.drift.values import plain
from calmops_gen.drift_injector.core import DriftInjectorBase, Spec, passes_through
from calmops_gen.drift_injector.options import check_window_options, where_conditions
from calmops_gen.drift_injector.selection import (
    Timing,
    abrupt_timing,
    gradual_timing,
    recurrent_timing,
)
from calmops_gen.errors import ScenarioError, suggest

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


LabelSpec = Callable[[str, str], Spec]
"""The event of a label method once its label column is known: ``(column, the argument
that named it) -> spec``, for methods whose event depends on the column."""


def label_flip(rate: float, key: str = "drift_magnitude") -> Spec:
    """The ``label_flip`` event flipping each covered row with probability ``rate`` (the
    argument ``key``)."""
    return "label_flip", {"kind": "label_flip", "rate": share(rate, key)}


def one_target(target_cols: str | Sequence[str] | None) -> str | None:
    """The one label column of ``target_cols`` (a name or a one-name list)."""
    if target_cols is None or isinstance(target_cols, str):
        return target_cols
    cols = values_list(target_cols, "target_cols")
    if len(cols) != 1:
        raise ScenarioError(
            "target_cols", f"one label column per call (got {cols}); call once per column"
        )
    return str(cols[0])


def concept_spec(
    concept_drift_type: str,
    concept_drift_magnitude: float | None,
    rule: str | None,
    options: Mapping[str, Any],
) -> tuple[Spec, dict[str, Any]]:
    """The event of a seed concept drift and the keywords left for selection (``options``
    minus the rule's keys)."""
    rule_args = {k: v for k, v in options.items() if k in _RULE_KEYS}
    rest = {k: v for k, v in options.items() if k not in _RULE_KEYS}
    if rule_args.get("condition") is not None:  # {column, operator, value} as for conditions
        rule_args["condition"] = where_conditions(rule_args["condition"], "condition")
    if concept_drift_type == "label_flip":
        if rule is not None or rule_args:
            key = "rule" if rule is not None else sorted(rule_args)[0]
            raise ScenarioError(key, "belongs to a concept rule, not to label_flip")
        rate = 0.2 if concept_drift_magnitude is None else concept_drift_magnitude
        return label_flip(rate, "concept_drift_magnitude"), rest
    if concept_drift_type in (*_RULES, "concept"):
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
        return ("concept_drift", {"kind": "concept", "rule": chosen, **rule_args}), rest
    known = ("label_flip", *_RULES, "concept")
    raise ScenarioError(
        "concept_drift_type",
        f"unknown type {concept_drift_type!r}{suggest(concept_drift_type, known) or '.'}"
        f" Known: {', '.join(known)} (the seed silently did nothing for other types)",
    )


class LabelDrift(DriftInjectorBase):
    """The seed's label and concept drift methods (mixed into
    :class:`~calmops_gen.drift_injector.DriftInjector`)."""

    def _label(
        self,
        method: str,
        df: pd.DataFrame,
        target: str | None,
        spec: Spec | LabelSpec,
        timing: Timing,
        options: Mapping[str, Any],
        target_key: str = "target_col",
    ) -> pd.DataFrame:
        """Apply ``spec`` to the label column: the method's ``target`` (argument
        ``target_key``), else ``target_column=``, else the schedule's or the instance's
        default; a :data:`LabelSpec` is called with the column and the argument naming it."""
        sel = self._select(df, method, options, target=target, target_key=target_key)
        column = sel.roles.target
        if column is None:
            raise ScenarioError(
                target_key,
                "name the label column (here, as target_column= or on DriftInjector)"
                + self._missing_default(df, "target"),
            )
        if callable(spec):
            spec = spec(column, target_key if target is not None else "target_column")
        events = self._compose(df, sel, timing, [spec])
        return self._finish(df, method, events, sel.roles)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"x": range(6), "y": [0, 1, 0, 1, 0, 1]})
        >>> out = DriftInjector().inject_label_drift(df, ["y"], drift_magnitude=1.0)
        >>> (out["y"] == 1 - df["y"]).all()
        np.True_
        """
        rates = {} if drift_magnitudes is None else drift_magnitudes
        mapping(rates, "drift_magnitudes", "{label column: rate}")

        def flip(column: str, _: str) -> Spec:
            unknown = [k for k in rates if k != column]
            if unknown:
                raise ScenarioError(
                    "drift_magnitudes", f"{unknown} are not the label column {column!r}"
                )
            if column in rates:
                return label_flip(rates[column], f"drift_magnitudes.{column}")
            return label_flip(drift_magnitude)

        return self._label(
            "inject_label_drift",
            df,
            one_target(target_cols),
            flip,
            Timing(),
            selectors,
            "target_cols",
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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"y": [0, 1] * 5})
        >>> inj = DriftInjector(target_column="y")
        >>> out = inj.inject_label_drift_gradual(df, drift_magnitude=1.0, center=5, width=1)
        >>> (out["y"] != df["y"]).tolist()
        [False, False, False, False, False, True, True, True, True, True]
        """
        flip = label_flip(drift_magnitude)
        timing = gradual_timing(center, width, profile, speed_k, direction, inconsistency)
        return self._label("inject_label_drift_gradual", df, target_col, flip, timing, selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1]})
        >>> DriftInjector().inject_label_drift_abrupt(
        ...     df, "y", 1.0, change_index=2)["y"].tolist()
        [0, 1, 1, 0]
        """
        timing = abrupt_timing(change_index)
        flip = label_flip(drift_magnitude)
        return self._label("inject_label_drift_abrupt", df, target_col, flip, timing, selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"y": [0, 1] * 3})
        >>> inj = DriftInjector(target_column="y")
        >>> _ = inj.inject_label_drift_incremental(df, drift_magnitude=0.5)
        >>> inj.last_ground_truth["label_flip"].tolist()
        [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        """
        flip, timing = label_flip(drift_magnitude), Timing("incremental")
        return self._label(
            "inject_label_drift_incremental", df, target_col, flip, timing, selectors
        )

    def inject_label_drift_recurrent(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        drift_magnitude: float = 0.3,
        windows: Sequence[Sequence[int]] | None = None,
        repeats: int = 1,
        duty: float | None = None,
        edge: int = 0,
        profile: str | None = None,
        speed_k: float = 1.0,
        direction: str = "up",
        **selectors: Any,
    ) -> pd.DataFrame:
        """Label flips that come and go (recurrence, ``duty``, ``edge`` and ``profile`` as
        :meth:`inject_feature_drift_recurrent`). The seed stacked one rising window per
        ``windows`` entry, so flips compounded and never switched off; here each window is on
        for its ``width`` rows only, its ends ramped over ``edge`` rows shaped by
        ``profile`` (the flip probability is ``drift_magnitude`` times the weight).

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"y": [0, 1] * 4})
        >>> DriftInjector().inject_label_drift_recurrent(
        ...     df, "y", 1.0, windows=[(1, 2), (5, 2)])["y"].tolist()
        [1, 0, 0, 1, 1, 0, 0, 1]
        """
        flip = label_flip(drift_magnitude)
        timing = recurrent_timing(windows, repeats, duty, edge, profile, speed_k, direction)
        return self._label("inject_label_drift_recurrent", df, target_col, flip, timing, selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 0, 0, 1]})
        >>> out = DriftInjector().inject_label_shift(df, "y", {0: 1, 1: 1})
        >>> out["y"].value_counts().sort_index().tolist()
        [2, 2]
        """
        if not target_distribution:
            raise ScenarioError("target_distribution", "give the wanted {label: proportion}")
        wanted = mapping(target_distribution, "target_distribution", "{label: proportion}")
        shares = {k: number(p, f"target_distribution.{k}") for k, p in wanted.items()}
        total = sum(shares.values())
        if not total > 0 or any(p < 0 for p in shares.values()):
            raise ScenarioError(
                "target_distribution", "proportions must be >= 0 and sum to more than 0"
            )
        target = {plain(k): p / total for k, p in shares.items()}
        shift: Spec = ("prior_shift", {"kind": "prior_shift", "target": target})
        return self._label("inject_label_shift", df, target_col, shift, Timing(), selectors)

    @passes_through(_RULE_KEYS)
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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1, 1, 0, 0]})
        >>> inj = DriftInjector(target_column="y")
        >>> inj.inject_concept_drift(df, "threshold", feature="x",
        ...                          threshold=2.5)["y"].tolist()
        [0, 0, 1, 1]
        """
        spec, rest = concept_spec(
            concept_drift_type, concept_drift_magnitude, rule, selectors_and_rule
        )
        return self._label(
            "inject_concept_drift", df, target_column, spec, Timing(), rest, "target_column"
        )

    @passes_through(_RULE_KEYS)
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
        target_col: str | None = None,
        **selectors_and_rule: Any,
    ) -> pd.DataFrame:
        """:meth:`inject_concept_drift` through a transition window (mapping as
        :meth:`inject_feature_drift_gradual`). The seed reached only about a quarter of the
        requested flip rate and forced the label to {0, 1}; here the flip probability is
        exactly ``magnitude * w`` and labels keep their classes. ``target_col`` (the seed's
        name for this method's label column) is an alias of ``target_column``.

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"y": ["a", "b"] * 4})
        >>> out = DriftInjector(target_column="y").inject_concept_drift_gradual(
        ...     df, concept_drift_magnitude=1.0, center=4, width=1)
        >>> (out["y"] != df["y"]).tolist()
        [False, False, False, False, True, True, True, True]
        """
        if target_col is not None and target_column is not None:
            raise ScenarioError("target_col", "give target_column or target_col, not both")
        key = "target_col" if target_col is not None else "target_column"
        timing = gradual_timing(center, width, profile, speed_k, direction, inconsistency)
        spec, rest = concept_spec(
            concept_drift_type, concept_drift_magnitude, rule, selectors_and_rule
        )
        return self._label(
            "inject_concept_drift_gradual", df, target_column or target_col, spec, timing, rest, key
        )

    def inject_binary_probabilistic_drift(
        self,
        df: pd.DataFrame,
        target_col: str | None = None,
        probability: float = 0.4,
        noise_range: Any = None,
        threshold: Any = None,
        center: int | None = None,
        width: int | None = None,
        profile: str = "sigmoid",
        speed_k: float = 1.0,
        direction: str = "up",
        inconsistency: float = 0.0,
        **selectors: Any,
    ) -> pd.DataFrame:
        """Flip a binary label with probability ``probability`` (``label_flip``); with
        ``center`` or ``width``, through a transition window as
        :meth:`inject_label_drift_gradual` (the seed crashed there). The seed ignored
        ``noise_range`` and ``threshold`` and left a label with more than two classes
        untouched; here giving either is an error, and so is a label with more than two
        classes (use :meth:`inject_label_drift`).

        Examples
        --------
        >>> import pandas as pd
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"y": [0, 1] * 4})
        >>> out = DriftInjector().inject_binary_probabilistic_drift(df, "y", probability=1.0)
        >>> (out["y"] == 1 - df["y"]).all()
        np.True_
        """
        for key, value in (("noise_range", noise_range), ("threshold", threshold)):
            if value is not None:
                raise ScenarioError(key, "was unused by the seed and has no equivalent here")

        def binary_flip(column: str, key: str) -> Spec:
            classes = df[column].dropna().nunique()
            if classes > 2:
                raise ScenarioError(
                    key,
                    f"{column!r} has {classes} classes; this method flips binary labels "
                    "(inject_label_drift flips to another class)",
                )
            return label_flip(probability, "probability")

        if center is None and width is None:
            check_window_options(speed_k, direction, inconsistency)
            timing = Timing()
        else:
            timing = gradual_timing(center, width, profile, speed_k, direction, inconsistency)
        return self._label(
            "inject_binary_probabilistic_drift",
            df,
            target_col,
            binary_flip,
            timing,
            selectors,
        )
