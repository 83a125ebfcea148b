"""Data-quality drift on numeric columns: outliers, missing values and correlation.

Each method maps its seed parameters onto one event spec for the named columns and applies
it abruptly to the selection; the seed's other names for the same methods are thin aliases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from calmops_gen.arguments import number, number_matrix, share
from calmops_gen.drift_injector.core import DriftInjectorBase, alias_of
from calmops_gen.drift_injector.options import as_list
from calmops_gen.errors import ScenarioError


class DataQuality(DriftInjectorBase):
    """The seed's outlier, missing-value and correlation methods (mixed into
    :class:`~calmops_gen.drift_injector.DriftInjector`)."""

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": np.linspace(-1, 1, 5)})
        >>> out = DriftInjector().inject_outliers(df, ["a"], rate=1.0, z=3.0)
        >>> bool(np.allclose(out["a"].abs(), 3 * df["a"].std(ddof=0)))
        True
        """
        if rate is not None and outlier_fraction is not None:
            raise ScenarioError("outlier_fraction", "give rate or outlier_fraction, not both")
        fraction = rate if rate is not None else outlier_fraction
        params: dict[str, Any] = {
            "kind": "outliers",
            "features": as_list(feature_cols, "feature_cols"),
            "method": method,
            "rate": 0.05
            if fraction is None
            else share(fraction, "rate" if rate is not None else "outlier_fraction"),
        }
        for key, value in (("factor", factor), ("z", z), ("margin", margin)):
            if value is not None:
                params[key] = number(value, key)
        return self._apply_specs("inject_outliers", df, [("outliers", params)], selectors)

    @alias_of(feature_cols="cols", rate="outlier_prob", z="factor")
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
        >>> from calmops_gen.drift_injector import DriftInjector
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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
        >>> DriftInjector().inject_missing_values(
        ...     df, ["a"], missing_fraction=1.0, start_index=2)["a"].isna().tolist()
        [False, False, True, True]
        """
        params: dict[str, Any] = {
            "kind": "missing",
            "features": as_list(feature_cols, "feature_cols"),
            "rate": share(missing_fraction, "missing_fraction"),
            "mechanism": mechanism,
        }
        if mechanism != "mcar" or missing_direction != "high":  # the engine refuses it for mcar
            params["direction"] = missing_direction
        if driver is not None:
            params["driver"] = driver
        return self._apply_specs("inject_missing_values", df, [("missing", params)], selectors)

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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": [1.0, 2.0]})
        >>> DriftInjector().inject_missing_values_drift(df, ["a"], 1.0)["a"].isna().all()
        np.True_
        """
        return self.inject_missing_values(df, feature_cols, missing_fraction, **selectors)

    @alias_of(feature_cols="cols", missing_fraction="prob")
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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": [1, 2, 3]})
        >>> DriftInjector().inject_nulls(df, ["a"], prob=1.0)["a"].isna().all()
        np.True_
        """
        return self.inject_missing_values(df, cols, share(prob, "prob"), **selectors)

    # -- joint structure ----------------------------------------------------------------------

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
        >>> from calmops_gen.drift_injector import DriftInjector
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
            "features": as_list(feature_cols, "feature_cols"),
            "target": number_matrix(correlation_matrix, "correlation_matrix"),
        }
        return self._apply_specs(
            "inject_correlation_drift", df, [("correlation", params)], selectors
        )

    @alias_of(correlation_matrix="target_correlation_matrix")
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
        >>> from calmops_gen.drift_injector import DriftInjector
        >>> df = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0)[::-1]})
        >>> out = DriftInjector().inject_correlation_matrix_drift(
        ...     df, ["a", "b"], np.eye(2))
        >>> abs(float(out["a"].corr(out["b"]))) < 0.5
        True
        """
        return self.inject_correlation_drift(
            df, feature_cols, target_correlation_matrix, **selectors
        )
