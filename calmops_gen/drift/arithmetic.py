"""Arithmetic on numeric features: ``shift``, ``add``, ``scale``, ``multiply``, ``noise`` and
``set`` (what they share: :mod:`calmops_gen.drift.numeric`).

* ``shift``: ``x + w * a``, with ``a = amount``, ``a = amount_std * std_ref`` or ``a`` solved
  from ``severity``;
* ``add``: ``x + w * value`` (``value`` or ``severity``): ``shift`` under another name;
* ``scale``: ``m_ref + (x - m_ref) * (1 + w * (factor - 1))``: spread around the reference
  mean grows by ``factor`` at full weight (``factor`` or ``severity``);
* ``multiply``: ``x * (1 + w * (factor - 1))``: a multiplicative drift about zero, such as a
  unit or currency change (``factor`` or ``severity``; its ``direction: up`` is a factor
  above 1, larger magnitudes, which makes negative values more negative, and ``down`` a
  factor below 1);
* ``noise``: ``x + w * s * z`` with ``s = amount``, ``amount_std * std_ref`` or solved from
  ``severity``, and ``z`` standard Gaussian (``distribution: gaussian``) or uniform on
  ``[-sqrt(3), sqrt(3)]`` (``distribution: uniform``: the same standard deviation ``s``);
* ``set``: ``(1 - w) * x + w * value``: rows at full weight take exactly ``value``, rows at
  ``w < 1`` interpolate between their own value and ``value``; a missing value stays
  missing (as for every numeric event), and a ``value`` that is not whole is refused on an
  integer column (it could not be stored).

Realised effects per feature, beside the shared ones:

* ``shift``/``add``: ``mean_shift`` (mean of ``x_new - x_old``) beside
  ``expected_mean_shift`` (the magnitude times the mean weight);
* ``scale``: ``scale_about_reference`` (RMS deviation from the reference mean after /
  before) beside ``factor``;
* ``multiply``: ``realised_factor`` (least-squares ratio ``sum(x_old * x_new) /
  sum(x_old ** 2)``) beside ``expected_factor`` (the same ratio for ``1 + w * (factor -
  1)``: equal to ``factor`` at full weight);
* ``noise``: ``noise_rms`` beside ``expected_noise_rms`` (``s * sqrt(mean(w ** 2))``);
* ``set``: ``share_at_value`` (rows now exactly at ``value``) and ``expected_mean_after``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = Scale(kind="scale", features=["a"], factor=2.0)
>>> frame = pd.DataFrame({"a": [0.0, 2.0, 4.0]})
>>> ref = {"a": {"reference_mean": 2.0, "reference_std": 1.0}}
>>> _ = ev.apply(frame, np.arange(3), np.ones(3), np.random.default_rng(0), ref)
>>> frame["a"].tolist()
[-2.0, 2.0, 6.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from calmops_gen.drift.base import EventContext
from calmops_gen.drift.numeric import NumericEvent, Realised, exactly_one, spread
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.severity import BRACKET_FACTOR, NOISE_DRAWS, Severity
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.seeding import stable_int
from calmops_gen.validation import key_error

SQRT3 = float(np.sqrt(3.0))


class _Magnitude(NumericEvent):
    """An event whose magnitude is ``amount``, ``amount_std`` reference stds or a severity."""

    amount: float | None = None
    amount_std: float | None = None
    severity: Severity | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> _Magnitude:
        exactly_one(self, ("amount", "amount_std", "severity"))
        return self

    def needs_std(self) -> bool:
        return self.amount_std is not None

    def severity_spec(self) -> Severity | None:
        return self.severity

    def magnitude(self, ref: Mapping[str, Any]) -> float:
        """Absolute magnitude for a feature with reference figures ``ref``."""
        if self.amount is not None:
            return self.amount
        if self.amount_std is not None:
            return self.amount_std * float(ref["reference_std"])
        return float(ref["severity"]["solved_parameter"])


class _Additive(NumericEvent):
    """An event that adds ``w * added(ref)`` to each feature (``shift``, ``add``); its
    realised effect is the mean shift, next to the expected ``added * mean(w)``."""

    effect_key: ClassVar[str]

    def added(self, ref: Mapping[str, Any]) -> float:
        """The value added at full weight for a feature with reference figures ``ref``."""
        raise NotImplementedError

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        return x + w * self.added(ref)

    def at_full_weight(
        self, x: np.ndarray, p: float, ref: Mapping[str, Any], z: np.ndarray | None
    ) -> np.ndarray:
        return x + p

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        a, n = self.added(ref), totals[f"{feature}:n"]
        return {
            self.effect_key: a,
            "mean_shift": totals[f"{feature}:delta"] / n,
            "expected_mean_shift": a * totals[f"{feature}:w"] / n,
        }


@EVENTS.register("shift")
class Shift(_Additive, _Magnitude):
    """Add ``w * amount`` (or ``w * amount_std * std_ref``, or a solved severity) to each
    feature.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.zeros(4)})
    >>> event = {"kind": "shift", "features": ["x"], "amount": 3.0,
    ...          "profile": {"kind": "incremental"}}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [0.0, 1.0, 2.0, 3.0]
    """

    kind: Literal["shift"] = "shift"
    effect_key: ClassVar[str] = "amount"

    def added(self, ref: Mapping[str, Any]) -> float:
        return self.magnitude(ref)


@EVENTS.register("add")
class Add(_Additive):
    """Add ``w * value`` (or a solved severity) to each feature: ``x + w * value``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.zeros(4)})
    >>> event = {"kind": "add", "features": ["x"], "value": 2.0, "where": {"rows": [2, 4]}}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [0.0, 0.0, 2.0, 2.0]
    """

    kind: Literal["add"] = "add"
    effect_key: ClassVar[str] = "value"
    value: float | None = None
    severity: Severity | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Add:
        exactly_one(self, ("value", "severity"))
        return self

    def severity_spec(self) -> Severity | None:
        return self.severity

    def added(self, ref: Mapping[str, Any]) -> float:
        if self.value is not None:
            return self.value
        return float(ref["severity"]["solved_parameter"])


def _gain(w: np.ndarray | float, factor: float) -> np.ndarray | float:
    """The multiplier at weight ``w``: ``1 + w * (factor - 1)`` (the severity solve uses it
    at ``w = 1`` too, so the data gets the very values the solve measured)."""
    return 1.0 + w * (factor - 1.0)


class _Factor(NumericEvent):
    """An event with a multiplicative ``factor`` (or a solved severity)."""

    factor: float | None = None
    severity: Severity | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> _Factor:
        exactly_one(self, ("factor", "severity"))
        return self

    def severity_spec(self) -> Severity | None:
        return self.severity

    def factor_for(self, ref: Mapping[str, Any]) -> float:
        """The factor at full weight for a feature with reference figures ``ref``."""
        if self.factor is not None:
            return self.factor
        return float(ref["severity"]["solved_parameter"])

    def severity_bracket(self, severity: Severity, ref: Mapping[str, Any]) -> tuple[float, float]:
        return 1.0, BRACKET_FACTOR if severity.direction == "up" else 1.0 / BRACKET_FACTOR

    def severity_unit(self, ref: Mapping[str, Any]) -> float:
        return 1.0  # scale: a factor 1 + d moves x - m by d * (x - m), d stds


@EVENTS.register("scale")
class Scale(_Factor):
    """Stretch each feature around its reference mean by ``factor`` (at full weight).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": [0.0, 2.0, 4.0]})
    >>> event = {"kind": "scale", "features": ["x"], "factor": 2.0}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [-2.0, 2.0, 6.0]
    """

    kind: Literal["scale"] = "scale"
    factor: float | None = Field(default=None, gt=0.0)

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        m = float(ref["reference_mean"])
        return m + (x - m) * _gain(w, self.factor_for(ref))

    def at_full_weight(
        self, x: np.ndarray, p: float, ref: Mapping[str, Any], z: np.ndarray | None
    ) -> np.ndarray:
        m = float(ref["reference_mean"])
        return m + (x - m) * _gain(1.0, p)

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        # mean squared deviation from the reference mean, from the merged moments:
        # std ** 2 + (mean - m_ref) ** 2 (a sum of squares, no digits lost)
        m = float(ref["reference_mean"])
        old, new = (
            totals[f"{feature}:spread_{k}:std"] ** 2
            + (totals[f"{feature}:spread_{k}:mean"] - m) ** 2
            for k in ("old", "new")
        )
        return {
            "factor": self.factor_for(ref),
            "scale_about_reference": float(np.sqrt(new / old)) if old > 0 else None,
        }


@EVENTS.register("multiply")
class Multiply(_Factor):
    """Multiply each feature by ``1 + w * (factor - 1)`` (an infinite value times a gain of
    0, at ``factor <= 0``, stays infinite rather than becoming NaN).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": [1.0, 2.0, -3.0]})
    >>> event = {"kind": "multiply", "features": ["x"], "factor": 10.0}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [10.0, 20.0, -30.0]
    """

    kind: Literal["multiply"] = "multiply"
    factor: float | None = None

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        factor = self.factor_for(ref)
        out: np.ndarray = x * _gain(w, factor)
        if factor <= 0.0:
            return np.where(np.isinf(x) & np.isnan(out), x, out)
        return out

    def at_full_weight(
        self, x: np.ndarray, p: float, ref: Mapping[str, Any], z: np.ndarray | None
    ) -> np.ndarray:
        return x * _gain(1.0, p)

    def severity_unit(self, ref: Mapping[str, Any]) -> float:
        # a factor 1 + d moves x by d * x: d = std / rms(x) moves a typical value by one std
        s = spread(ref)
        return s / float(np.hypot(float(ref["reference_mean"]), s))

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        g = _gain(r.w, self.factor_for(ref))
        return {
            "old2": r.dot(r.old, r.old),
            "old_new": r.dot(r.old, r.new),
            "old2_g": r.dot(r.old * g, r.old),
        }

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        old2 = totals[f"{feature}:old2"]
        return {
            "factor": self.factor_for(ref),
            "realised_factor": totals[f"{feature}:old_new"] / old2 if old2 > 0 else None,
            "expected_factor": totals[f"{feature}:old2_g"] / old2 if old2 > 0 else None,
        }


@EVENTS.register("noise")
class Noise(_Magnitude):
    """Add noise of std ``w * amount`` (or ``w * amount_std * std_ref``, or a solved
    severity), Gaussian or uniform.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.zeros(10_000)})
    >>> event = {"kind": "noise", "features": ["x"], "amount": 2.0}
    >>> out = inject(df, {"e": event}, seed=1)
    >>> round(out.events[0].realised["x"]["noise_rms"], 1)
    2.0
    """

    kind: Literal["noise"] = "noise"
    distribution: Literal["gaussian", "uniform"] = "gaussian"
    amount: float | None = Field(default=None, ge=0.0)
    amount_std: float | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _no_down(self) -> Noise:
        if self.severity is not None and self.severity.direction == "down":
            raise key_error(
                "severity.direction", "noise only adds spread: direction must be up", "down"
            )
        return self

    def unit_draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of mean 0 and std 1 from the declared distribution."""
        if self.distribution == "uniform":
            return rng.uniform(-SQRT3, SQRT3, n)
        return rng.standard_normal(n)

    def severity_draws(self, n: int) -> np.ndarray | None:
        """:data:`~calmops_gen.drift.severity.NOISE_DRAWS` rows of ``n`` draws, from one
        constant seed: the same whatever the event, the feature or the run."""
        seeds = np.random.SeedSequence(stable_int("severity.noise")).spawn(NOISE_DRAWS)
        return np.stack([self.unit_draw(np.random.default_rng(s), n) for s in seeds])

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        out: np.ndarray = x + w * self.magnitude(ref) * self.unit_draw(rng, len(x))
        return out

    def at_full_weight(
        self, x: np.ndarray, p: float, ref: Mapping[str, Any], z: np.ndarray | None
    ) -> np.ndarray:
        assert z is not None
        return x + p * z

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        s = self.magnitude(ref)
        n = totals[f"{feature}:n"]
        return {
            "amount": s,
            "distribution": self.distribution,
            "noise_rms": float(np.sqrt(totals[f"{feature}:delta2"] / n)),
            "expected_noise_rms": float(s * np.sqrt(totals[f"{feature}:w2"] / n)),
        }


@EVENTS.register("set")
class Set(NumericEvent):
    """Set each feature to ``value`` (``(1 - w) * x + w * value``: ``w < 1`` interpolates).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"x": np.zeros(4)})
    >>> event = {"kind": "set", "features": ["x"], "value": 5.0, "where": {"rows": [0, 2]}}
    >>> out = inject(df, {"e": event})
    >>> out.frame["x"].tolist()
    [5.0, 5.0, 0.0, 0.0]
    """

    kind: Literal["set"] = "set"
    value: float

    def check(self, ctx: EventContext, path: str) -> None:
        super().check(ctx, path)
        if float(self.value).is_integer():
            return
        for f in self.features:
            if ctx.columns[f].dtype.startswith(("int", "uint")):
                raise ScenarioError(
                    join_path(path, "value"),
                    f"{self.value:g} is not a whole number but {f!r} holds integers "
                    f"({ctx.columns[f].dtype}); give a whole value or a float column",
                )

    def transform(
        self,
        x: np.ndarray,
        w: np.ndarray,
        rng: np.random.Generator,
        ref: Mapping[str, Any],
        picked: Any,
        integer: bool,
    ) -> np.ndarray:
        out: np.ndarray = (1.0 - w) * x + w * self.value
        out[(w >= 1.0) & ~np.isnan(x)] = self.value  # exact at full weight; missing stays
        return out

    def extra_stats(self, r: Realised, ref: Mapping[str, Any], picked: Any) -> dict[str, float]:
        return {
            "at_value": r.count(r.new == self.value),
            "target": r.total((1.0 - r.w) * r.old + r.w * self.value),
        }

    def effect(
        self, totals: Mapping[str, float], feature: str, ref: Mapping[str, Any]
    ) -> dict[str, Any]:
        n = totals[f"{feature}:n"]
        return {
            "value": self.value,
            "share_at_value": totals[f"{feature}:at_value"] / n,
            "expected_mean_after": totals[f"{feature}:target"] / n,
        }
