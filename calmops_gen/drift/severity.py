"""Severity calibration: solve an event's parameter so that a distance hits a target.

Instead of an amount or a factor, a numeric event (``shift``, ``add``, ``scale``,
``multiply``, ``noise``) may declare ``severity: {metric, target, direction}``. At plan time
(:meth:`~calmops_gen.drift.base.DriftEvent.prepare`) the event takes each feature's values in
its reference block as generated (missing and infinite values dropped), applies itself to
them **at full weight** with a candidate parameter ``p`` (values then stored as the column
stores them: rounded half to even for integers, to the nearest float32 for float32 columns)
and measures ``distance(reference, drifted(p))``; Brent's method
(:func:`scipy.optimize.brentq`) finds a ``p`` whose distance equals ``target``. The solved
parameter is then used exactly as if it had been declared (per feature: each feature gets its
own), and the manifest records ``{metric, target, direction, parameter, solved_parameter,
achieved, reachable}`` under the event's ``prepared`` figures.

The calibration is on the reference block alone, so it is fixed at plan time and costs one
block of memory; it does not see the rows the event writes. Those may differ from the
reference (another block, a concept change, events applied before this one: none of them is
part of the calibration), and profile weights below 1 move rows less. So the realised effects
also record, under ``severity.by_block``, for every block the event acts on, the distance
(same metric, same bins) between the reference values the solve used and that block's
selected rows at full weight (``w == 1``) as this event writes them (a later event may change
them again): ``{block, full_weight_rows, distance}``, counting the full-weight rows with a
finite value, ``distance`` ``None`` when there are none. On a block drawn from the
reference's distribution it differs from the target by sampling error only (for KS about
``sqrt(2 / rows)``).

Metrics (``reference`` = ``r``, drifted = ``d``):

* ``ks``: the two-sample Kolmogorov-Smirnov statistic,
  ``scipy.stats.ks_2samp(r, d, method="asymp").statistic``; in [0, 1];
* ``wasserstein``: ``scipy.stats.wasserstein_distance(r, d)``, in the feature's units;
* ``jsd``: the Jensen-Shannon distance (base 2, so in [0, 1]) between the histograms of
  ``r`` and ``d`` over :data:`JSD_BINS` equal-width bins spanning both samples
  (``scipy.spatial.distance.jensenshannon``);
* ``psi``: the population stability index over the reference deciles (bins cut at the
  reference's 10%, ..., 90% quantiles, open at both ends, repeated cut points merged; a
  value equal to a cut point falls in the bin above it, ``[c_k, c_k+1)``, which matters on
  integer data):
  ``sum((q - p) * ln(q / p))`` with bin shares ``p`` (reference) and ``q`` (drifted), each
  floored at :data:`PSI_FLOOR` so that empty bins stay finite.

The search runs over a bracket from the neutral parameter (distance 0: shift 0, factor 1,
noise 0) to the far end given by ``direction``, at most :data:`BRACKET_STDS` reference
standard deviations away for additive parameters and a factor :data:`BRACKET_FACTOR` (or its
inverse) for multiplicative ones. ``direction`` is the sign of the parameter: ``up`` is a
positive amount (``shift``, ``add``: larger values), a factor above 1 (``scale``: a wider
spread; ``multiply``: larger magnitudes, so a negative column becomes more negative) or
more noise; ``down`` is a negative amount or a factor below 1 (``noise`` has no ``down``).
The solve resolves the parameter to the change that moves the values by :data:`RESOLUTION`
reference stds (for an amount, ``1e-12`` stds; for a factor, about ``1e-12`` times the std
over the values' magnitude), so it behaves the same whatever the column's units.

A noise event draws its noise, so its distance is random: the solve targets the mean
distance over :data:`NOISE_DRAWS` fixed draws (seeded by a constant, not by the event's id,
the feature or the run's seed), which makes it deterministic and the same whatever the event
is called, and close to the expected distance (the mean of 8 draws has about a third of one
draw's sampling error; the solve costs 8 times a shift's). ``achieved`` is that mean; the
data gets its own draws, so its distance (``by_block``) differs from it by sampling error
(for KS about ``1 / sqrt(rows)``: 0.02 - 0.06 on 300 rows), while the solved amount is
honoured exactly.

When the target cannot be reached the event fails at plan time with a
:class:`~calmops_gen.errors.ScenarioError` at ``drift.<id>.severity.target``, and nothing is
written:

* a target larger than the distance at the far end of the bracket (a KS above 1, a PSI
  beyond what moving every value into one decile gives, a factor ``down`` that cannot
  shrink the spread enough): the error states the reachable range;
* a distance that cannot move at all (a constant column under ``scale``, zeros under
  ``multiply``, a PSI whose values stay in their decile bins whatever the parameter): the
  error says so and why;
* a target inside a single jump of the distance (below).

On finite samples KS, PSI and JSD (counts of rows in bins) are step functions of the
parameter, and so is every metric on an integer or narrow float column (a shift of 0.5
moves every odd integer by 1 at once). The solved parameter is a point where the distance
crosses the target (Brent's method returns one crossing; PSI and JSD, counts in bins, may
wobble around the target and cross it more than once, so it is not necessarily the smallest
parameter that reaches it), moved just past a jump when Brent's method stops short of it, so
the event never falls short: ``achieved`` is at least ``target`` and above it by at most one
step (``1 / rows`` for KS on distinct values). A target inside a single jump wider than
:data:`MAX_JUMP` times the target (rows that move together: ties, integer codes, a constant
or near-constant column, too few rows for a small KS) is refused, naming both sides of the
jump; so is the ceiling of a distance (a KS or JSD of 1) when it is reached in one jump from
0 (a constant column, a single row), where the solved parameter would be a meaningless
sliver. Wasserstein on a float64 column is continuous and is hit to a relative ``1e-9``, or
to the values' own float resolution (around 1e9 they move in steps of 1e-7).

Examples
--------
>>> import numpy as np
>>> ref = np.random.default_rng(0).normal(0.0, 1.0, 2000)
>>> round(distance("wasserstein", ref, ref + 0.5), 6)
0.5
>>> out = solve(Severity(metric="ks", target=0.2), ref, lambda x, p: x + p, 0.0, 50.0,
...             "shift", "drift.s.severity.target")
>>> round(out["achieved"], 3), out["parameter"]
(0.2, 'amount')

A constant column cannot be scaled about its mean:

>>> solve(Severity(metric="ks", target=0.2), np.full(5, 3.0), lambda x, p: 3 + (x - 3) * p,
...       1.0, 1000.0, "scale", "drift.s.severity.target", subject="column 'x' in block 0")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
calmops_gen.errors.ScenarioError: ... 'x' in block 0 is constant (3): scale leaves it unchanged ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from pydantic import Field

from calmops_gen.errors import ScenarioError
from calmops_gen.validation import ConfigModel

Metric = Literal["psi", "ks", "wasserstein", "jsd"]

JSD_BINS = 30
PSI_FLOOR = 1e-4
BRACKET_STDS = 1000.0
BRACKET_FACTOR = 1000.0
MAX_JUMP = 0.5  # a single jump of the distance wider than this share of the target: refused
RESOLUTION = 1e-12  # the solve's precision: parameter changes moving values by 1e-12 stds
NOISE_DRAWS = 8  # fixed draws whose mean distance a noise event's solve targets

_PARAMETER = {"shift": "amount", "add": "value", "noise": "amount"}


class Severity(ConfigModel):
    """``severity: {metric, target, direction}`` of a numeric event."""

    metric: Metric
    target: float = Field(gt=0.0)
    direction: Literal["up", "down"] = "up"


def psi(reference: np.ndarray, other: np.ndarray) -> float:
    """Population stability index of ``other`` against ``reference``'s deciles.

    Examples
    --------
    >>> x = np.arange(1000.0)
    >>> psi(x, x)
    0.0
    """
    cuts = np.unique(np.quantile(reference, np.linspace(0.1, 0.9, 9)))
    p = np.bincount(np.searchsorted(cuts, reference, side="right"), minlength=cuts.size + 1)
    q = np.bincount(np.searchsorted(cuts, other, side="right"), minlength=cuts.size + 1)
    p_share = np.maximum(p / reference.size, PSI_FLOOR)
    q_share = np.maximum(q / other.size, PSI_FLOOR)
    return float(np.sum((q_share - p_share) * np.log(q_share / p_share)))


def jsd(reference: np.ndarray, other: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) over shared equal-width histogram bins.

    Examples
    --------
    >>> jsd(np.zeros(10), np.ones(10))
    1.0
    """
    from scipy.spatial.distance import jensenshannon

    both = np.concatenate([reference, other])
    lo, hi = float(both.min()), float(both.max())
    if hi <= lo:
        return 0.0
    edges = np.linspace(lo, hi, JSD_BINS + 1)
    p, _ = np.histogram(reference, edges)
    q, _ = np.histogram(other, edges)
    if not np.any((p > 0) & (q > 0)):
        # no bin shared: exactly 1 (scipy's sum gives 1 - 2**-53 for some samples, which
        # a target of 1 would never reach)
        return 1.0
    return float(jensenshannon(p, q, base=2.0))


def distance(metric: Metric, reference: np.ndarray, other: np.ndarray) -> float:
    """Distance ``metric`` between two samples (see the module docstring)."""
    if metric == "psi":
        return psi(reference, other)
    if metric == "jsd":
        return jsd(reference, other)
    from scipy import stats

    if metric == "ks":
        # only the statistic is used; scipy's p-value divides by zero on 1-row samples
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(stats.ks_2samp(reference, other, method="asymp").statistic)
    return float(stats.wasserstein_distance(reference, other))


def solve(
    severity: Severity,
    reference: np.ndarray,
    drift: Callable[[np.ndarray, float], np.ndarray],
    neutral: float,
    far: float,
    event: str,
    path: str,
    unit: float | None = None,
    subject: str = "the reference",
) -> dict[str, Any]:
    """Solve ``p`` in ``[neutral, far]`` so that ``distance(reference, drift(reference, p))``
    equals ``severity.target``; raise :class:`ScenarioError` at ``path`` if it cannot be.

    ``drift`` applies the event at full weight, values stored as the column stores them
    (rounded for integer columns, to float32 for float32 ones); it may return one row per
    draw (a 2-D array: noise), whose distances are then averaged. ``unit`` is the change of
    the parameter that moves the values by about one reference std (default: a thousandth
    of the bracket); the parameter is resolved to :data:`RESOLUTION` of it. ``subject``
    names the values in errors (``"column 'x' in block 0"``). Returns the record stored in
    the manifest: ``metric``, ``target``, ``direction``, ``parameter`` (the event's
    parameter name), ``solved_parameter``, ``achieved`` and ``reachable`` (the range ``[0,
    distance at far]``).
    """
    from scipy.optimize import brentq

    metric, target = severity.metric, severity.target
    parameter = _PARAMETER.get(event, "factor")
    # in the column's units, not absolute: a column of std 1e-12 is solved as one of std 1
    tol = RESOLUTION * (abs(far - neutral) / 1000.0 if unit is None else unit)

    def dist(p: float) -> float:
        drifted = drift(reference, p)
        if drifted.ndim == 1:
            return distance(metric, reference, drifted)
        return float(np.mean([distance(metric, reference, d) for d in drifted]))

    top = dist(far)
    if top == 0.0:
        moved = not np.all(drift(reference, far) == reference)
        raise ScenarioError(path, _immobile(reference, moved, severity, event, parameter, subject))
    if not np.isfinite(top) or target > top:
        limit = 1.0 if metric in ("ks", "jsd") else top
        raise ScenarioError(
            path,
            f"a {metric} of {target:g} cannot be reached by {event} "
            f"(direction {severity.direction}): reachable range is (0, {min(top, limit):.6g}]"
            f" for {subject} ({reference.size} values, parameter between "
            f"{neutral:g} and {far:g})",
        )
    if target == top:  # the distance's ceiling (KS 1: no overlap left): where it begins
        root = _first_reaching(dist, target, neutral, far, tol)
    else:
        try:
            root = float(brentq(lambda p: dist(p) - target, neutral, far, xtol=tol, maxiter=400))
        except (ValueError, RuntimeError):  # the distance is not continuous enough to solve
            raise ScenarioError(
                path,
                f"a {metric} of {target:g} cannot be solved for on the {reference.size} "
                f"values of {subject} (the distance does not move steadily with the "
                "parameter: too few or too coarse values); give the parameter itself",
            ) from None
    root, below, above = _far_side(dist, target, root, far, neutral, tol)
    if below < target and above - below > MAX_JUMP * target:
        together = (
            f"every reference value of {subject} is {reference[0]:g}: they all move at once"
            if np.ptp(reference) == 0
            else f"the {reference.size} reference values of {subject} move together: ties, "
            "integers or too few rows"
        )
        raise ScenarioError(
            path,
            f"a {metric} of {target:g} falls inside a jump of the distance from {below:.4g} "
            f"to {above:.4g} at {parameter} {_near(root, neutral)} ({together}); choose a "
            "target outside the jump",
        )
    return {
        "metric": metric,
        "target": target,
        "direction": severity.direction,
        "parameter": parameter,
        "solved_parameter": root,
        "achieved": above,
        "reachable": [0.0, top],
    }


def _near(p: float, neutral: float) -> str:
    """``p`` to 6 significant digits, or with every digit it needs (the shortest text that
    reads back as ``p``) when those would not tell it from ``neutral``.

    Examples
    --------
    >>> _near(1.154230754, 1.0), _near(1.0 + 1e-12, 1.0), _near(1.0 + 2**-50, 1.0)
    ('1.15423', '1.000000000001', '1.0000000000000009')
    """
    short = f"{p:.6g}"
    return short if short != f"{neutral:.6g}" else repr(float(p))


def _immobile(
    reference: np.ndarray,
    moved: bool,
    severity: Severity,
    event: str,
    parameter: str,
    subject: str,
) -> str:
    """Why the distance stays 0 over the whole bracket: the event leaves the values as they
    are (``moved`` false: a constant column scaled about its mean, zeros multiplied), or they
    move without leaving their bins (PSI's deciles are open at both ends).

    Examples
    --------
    >>> _immobile(np.zeros(4), False, Severity(metric="ks", target=0.1), "multiply",
    ...           "factor", "column 'z' in block 0")
    "column 'z' in block 0 is constant (0): multiply leaves it unchanged whatever the factor, \
so its ks stays 0 and cannot reach 0.1"
    """
    metric = severity.metric
    what = (
        f"{subject} is constant ({reference[0]:g})"
        if np.ptp(reference) == 0
        else f"{subject} has {reference.size} values"
    )
    if moved:
        bins = " (its deciles, open at both ends)" if metric == "psi" else ""
        how = (
            f"{event} {severity.direction} moves its values but none out of its {metric} "
            f"bin{bins}, whatever the {parameter}"
        )
    else:
        how = f"{event} leaves it unchanged whatever the {parameter}"
    return f"{what}: {how}, so its {metric} stays 0 and cannot reach {severity.target:g}"


def _first_reaching(
    dist: Callable[[float], float], target: float, neutral: float, far: float, tol: float
) -> float:
    """A parameter whose distance reaches ``target`` (``dist(far)`` does) at most ``tol``
    from one that does not, by bisection between ``neutral`` (distance 0) and ``far``: where
    the distance levels off at its ceiling, every parameter past a point reaches it, and
    ``far`` would overshoot by far (a KS of 1 by a shift of 1,000 reference stds). Where the
    distance rises steadily to its ceiling (KS under a shift), that is the nearest one.

    Examples
    --------
    >>> p = _first_reaching(lambda p: min(p, 2.0), 2.0, 0.0, 1000.0, 1e-12)
    >>> bool(2.0 <= p < 2.0 + 1e-9)
    True
    """
    lo, hi = neutral, far
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if abs(hi - lo) <= tol or mid in (lo, hi):  # resolved, or adjacent floats
            break
        if dist(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _far_side(
    dist: Callable[[float], float],
    target: float,
    root: float,
    far: float,
    neutral: float,
    tol: float,
) -> tuple[float, float, float]:
    """The parameter nearest ``root`` (toward ``far``) whose distance reaches ``target``,
    the distance just short of it and the distance there.

    Brent's method stops within ``tol`` of a jump of a step function, on either side; on the
    near side the event would fall short of its target (on tied or integer values by a whole
    step, possibly changing nothing at all). Steps of ``tol`` doubling toward ``far`` find
    the far side (``dist(far) >= target`` is known). The second value is the distance one
    such step before it (not past ``neutral``): equal to the target, up to the step, where
    the distance is continuous, the bottom of the jump where it is not.

    Examples
    --------
    >>> step = lambda p: 0.0 if p <= 0.5 else 1.0
    >>> p, below, reached = _far_side(step, 0.3, 0.5, 10.0, 0.0, 1e-12)
    >>> bool(0.5 < p < 0.5 + 1e-9), below, reached
    (True, 0.0, 1.0)
    >>> _far_side(lambda p: p, 0.3, 0.3, 10.0, 0.0, 1e-12)[0]
    0.3
    """
    sign = 1.0 if far >= root else -1.0
    # at least two float steps: a tolerance below the spacing of the parameter (a factor
    # near 1 on a column whose spread is tiny next to its mean) would step nowhere
    delta = max(tol, 2.0 * float(np.spacing(abs(root))))
    at_root = dist(root)
    if at_root >= target:
        # the distance just short of the jump: steps back (doubling) until it falls below
        # the target, at the latest at the neutral parameter (distance 0); Brent may stop
        # past a jump that lies right at the neutral parameter (a factor of 1 + 1 ulp moves
        # every value of a column near 1e9)
        while True:
            back = root - sign * delta
            if sign * (back - neutral) <= 0:  # not past the neutral parameter
                return root, dist(neutral), at_root
            below = dist(back)
            if below < target:
                return root, below, at_root
            delta *= 2.0
    below = at_root
    while abs(far - root) > delta:
        p = root + sign * delta
        reached = dist(p)
        if reached >= target:
            return p, below, reached
        below = reached
        delta *= 2.0
    return far, below, dist(far)
