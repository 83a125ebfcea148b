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
Values the engine refuses are reported under the method's own argument too (``factor: must
be greater than 0`` from ``inject_outliers_global(..., factor=-2)``, not the engine's
``drift.outliers.z``), and a seed alias names its own arguments (``cols``, ``prob``), not
those of the method it delegates to.

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
``inject_binary_probabilistic_drift``
                                   ``label_flip rate=probability`` (binary labels only)
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
  of it and leaked small weights outside. A window running past the end of the selection,
  a ``center`` outside it and a ``width`` below 1 are errors (the seed truncated or clipped
  them). ``speed_k`` other than 1, ``direction="down"`` and
  ``inconsistency`` other than 0 have no engine equivalent and raise.
* **Incremental** is a linear ramp from 0 at the first selected row to 1 at the last (the
  seed's sigmoid never reached full drift and had drift at row 0).
* **Abrupt**: ``change_index`` is a position inside the selection (the row position itself
  when nothing else is selected, as in the seed's ``start_index=change_index``).
* **Recurrent**: the seed ignored its arguments and returned the frame unchanged. Here
  ``repeats`` gives a ``recurrent`` profile of ``period = span // repeats`` rows, on for the
  first ``duty`` share of each period (extension, default 0.5); ``windows=[(center, width),
  ...]`` gives one event per window, on for ``width`` selected rows centred at ``center`` (a
  window reaching outside the selection is an error; ``duty`` is refused with windows).
  ``edge`` (extension, default 0) ramps each on-phase or window up and down over ``edge``
  rows shaped by ``profile``, as the seed shaped its windows; ``profile`` without ``edge``,
  and an ``edge`` leaving no row at full weight, are refused. ``cycle_blocks``,
  ``random_repeat_order``, ``center``/``width`` (per cycle), ``center_in_block`` and
  ``width_in_block`` raise when set.
* **Labels** flip each selected row with probability ``m * w`` (the seed's working label
  methods flipped exactly ``int(n * m)`` rows; its ``inject_label_drift*`` methods were
  no-ops). ``inject_label_shift`` resamples **whole rows** toward the target proportions
  (P(x|y) kept); the seed's successor overwrote only the labels. One target per call.
* **Outliers** (``inject_outliers_global``): an outlier lands at ``mean +- factor * std`` of
  the reference; the seed added ``+-factor * std`` of the outlier rows only to the value.
* **Missing values in integer or bool columns**: the column becomes pandas' nullable twin
  (``Int64``, ``boolean``, ...), so it stays integer; the seed's ``NaN`` turned it into
  ``float64`` (``object`` for bool). Use ``.isna()`` rather than ``np.isnan`` on it, or
  ``.astype("float64")`` for the seed's dtype.
* **Correlation** keeps every marginal exactly (Iman-Conover re-ranking); the seed (a stub
  in CalmOps, a Cholesky transform in its successor) changed the values. A target that is
  not a correlation matrix is an error (the successor projected it).
* **Schedules** are planned against the frame given, then applied in order in one
  ``inject`` call: conditions are evaluated as each event applies (so they see the earlier
  steps' effects), while figures the facade computes itself (selection positions, the
  "before" proportions of ``inject_category_frequency_drift``) come from the frame as given.
  The caller's step dicts are never modified; an unknown method or a bad parameter raises
  before anything is applied (the seed swallowed errors and silently skipped steps).

Layout: :mod:`.options` (constants, parameter checks, seed-name translations),
:mod:`.selection` (roles, selectors -> ``where``, windows and placements), :mod:`.core` (the
constructor, seeds, composing and running events, :class:`DriftRecord`) and one mixin per
method family: :mod:`.features`, :mod:`.labels`, :mod:`.quality` (outliers, missing values,
correlation), :mod:`.categories` (categories, frequencies, typos, merges) and
:mod:`.schedules`.

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

from calmops_gen.drift_injector.categories import CategoryDrift
from calmops_gen.drift_injector.core import DriftRecord
from calmops_gen.drift_injector.features import FeatureDrift
from calmops_gen.drift_injector.labels import LabelDrift
from calmops_gen.drift_injector.options import DEFAULT_RANDOM_STATE
from calmops_gen.drift_injector.quality import DataQuality
from calmops_gen.drift_injector.schedules import Schedules

__all__ = ["DEFAULT_RANDOM_STATE", "DriftInjector", "DriftRecord"]


class DriftInjector(FeatureDrift, LabelDrift, DataQuality, CategoryDrift, Schedules):
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
