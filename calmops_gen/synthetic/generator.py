"""Seed-compatible ``SyntheticGenerator``: one stream, optionally drifting between two concepts.

``generate(generator_instance, n_samples, drift_type=..., generator_instance_drift=...,
position_of_drift=..., transition_width=...)`` builds a scenario with two named concepts and
runs it through the engine; it returns the DataFrame (features, the target named
``target_col``, then the date column, as the seed appended them) and writes the versioned
dataset with its manifest under ``output_dir`` (default ``synthetic_output``), plus
``output_dir/filename`` when ``save_dataset``: CSV, or Parquet when ``filename`` ends in
``.parquet`` (other extensions are refused).

Drift types, and how they differ from the seed (on purpose):

* ``abrupt``: concept B from ``position_of_drift`` (default ``n // 2``).
* ``gradual``: a sigmoid transition of ``transition_width`` rows (default ``n // 10``)
  centred on the position, as in the seed, but the share of B rows follows the curve exactly
  and goes fully from 0 to 1 (the seed drew coin flips from a sigmoid spanning 0.12-0.88).
  A window that runs past either end of the stream is refused (the seed cut it short).
* ``incremental``: the whole stream moves from A to B: the concept is interpolated row by row
  for generators with a numeric concept (SEA, Hyperplane, RandomRBF, Friedman; engine numpy,
  the river engine is refused), otherwise rows are mixed with a linear share from 0 (first
  row) to 1 (last row). The seed's version never reached B.
* ``virtual_drift``: features set missing (MCAR) after the position with
  ``drift_options["missing_fraction"]`` (default 0.1) on ``drift_options["feature_cols"]``
  (default: every feature).
* ``none``.

Arguments a drift type would ignore are refused (``transition_width`` is for ``gradual``;
``position_of_drift`` for ``abrupt``, ``gradual`` and ``virtual_drift``;
``generator_instance_drift`` for the two-concept types; ``drift_options`` for
``virtual_drift``), both concepts must use the same engine and differ (a drift between two
streams with one concept, such as two SEA streams differing only by their seed, would
change nothing, and is refused). The seed's other argument
names (``drift_point``, ``target_column``, ``drift_injection_config``, ...) are refused
with what replaces them.

Seeds: each stream's concept is its own, as in the seed: the model seed it derives from its
own seed (RandomTree's tree, Hyperplane's weights, RandomRBF's centroids), so two streams
that differ only by their seed are two concepts. ``random_state``, when given, is the
dataset's seed (rows and drift draws alike) and replaces the seeds of the streams given (a
``SyntheticStream``'s or a river instance's) for the rows; without it the streams' own
seeds are used: the stream's, or, when ``generator_instance_drift`` has another seed, one
derived from both. The engine draws a dataset from one seed sequence, so the drift stream's
seed then changes every row, not only the rows after the drift (the seed drew each stream
from its own seed, and the drift from ``random_state``). Rows are
drawn for the whole dataset at once (vectorised, column by column), so a dataset of ``n``
rows is not the first ``n`` rows of a longer one, nor of the stream iterated on its own
(the seed pulled rows one by one from the stream); the same call always gives the same rows.

Dates: ``date_start`` with ``date_step`` (a ``pandas.DateOffset`` dict, default one day) and
``date_every`` (rows per timestamp, default 1), or a :class:`DateConfig` (not both): row
``i`` gets ``start + (i // every) * step``, as in the seed (vectorised; the seed spent most
of its time here). Without a start no dates are made, so the other date arguments (or
``DateConfig`` fields) given without one are refused.

``position_of_drift`` is an integer inside ``(0, n_samples)``; ``transition_width`` an
integer of at least 1.

Examples
--------
>>> import tempfile
>>> from calmops_gen.synthetic.streams import SyntheticStream
>>> with tempfile.TemporaryDirectory() as d:
...     df = SyntheticGenerator(random_state=1).generate(
...         SyntheticStream("sea", {"variant": 0}), 1000, output_dir=d,
...         drift_type="abrupt", generator_instance_drift=SyntheticStream("sea", {"variant": 3}),
...         position_of_drift=600, date_start="2024-01-01", date_step={"hours": 1})
>>> rule = (df["x0"] + df["x1"] > 8).where(df.index < 600, df["x0"] + df["x1"] > 9.5)
>>> bool((df["target"] == rule).all()), str(df["timestamp"].iloc[-1])
(True, '2024-02-11 15:00:00')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from calmops_gen.arguments import integer, mapping
from calmops_gen.drift import EVENTS
from calmops_gen.errors import ScenarioError, renamed_paths
from calmops_gen.generators import GENERATORS, ConceptGenerator
from calmops_gen.manifest import Manifest
from calmops_gen.runner import run
from calmops_gen.seeding import seed_value, stable_int
from calmops_gen.synthetic.common import (
    DEFAULT_OUTPUT_DIR,
    check_columns,
    need_start,
    output_target,
    refuse,
    refuse_legacy,
    seed_frame,
    slug,
    warn_report,
    write_file,
)
from calmops_gen.synthetic.streams import SyntheticStream, as_stream

DRIFT_TYPES = ("none", "abrupt", "gradual", "incremental", "virtual_drift")

#: Engine config keys -> this facade's arguments (for error messages).
_PATHS = {
    "schedule.start": "date_start",
    "schedule.step": "date_step",
    "schedule.rows_per_step": "date_every",
    "schedule.time_column": "date_col",
    "output.root": "output_dir",
    "generator.balance": "balance",
    "drift.virtual.features": "drift_options.feature_cols",
    "drift.virtual.rate": "drift_options.missing_fraction",
    "drift.virtual.where": "position_of_drift",
}


@dataclass
class DateConfig:
    """The seed's date configuration: ``start_date`` + ``(i // frequency) * step``."""

    date_col: str = "timestamp"
    start_date: str | None = None
    frequency: int = 1
    step: Mapping[str, int] | None = None


def _check_drift_arguments(
    drift_type: str, instance: Any, position: int | None, width: int | None, options: Any
) -> None:
    """Refuse drift arguments the drift type would ignore."""
    uses = {
        "generator_instance_drift": (instance, ("abrupt", "gradual", "incremental")),
        "position_of_drift": (position, ("abrupt", "gradual", "virtual_drift")),
        "transition_width": (width, ("gradual",)),
        "drift_options": (options, ("virtual_drift",)),
    }
    for name, (value, types) in uses.items():
        if value is not None and drift_type not in types:
            raise ScenarioError(
                name, f"is for drift_type {', '.join(types)}, not {drift_type!r} (it is unused)"
            )


def _dates(
    config: DateConfig | None,
    start: str | None,
    every: int,
    step: Mapping[str, int] | None,
    col: str,
) -> tuple[str | None, int, Mapping[str, int] | None, str]:
    """The dates asked for, from ``config`` or the ``date_*`` arguments (not both); date
    arguments without a start are refused (no dates would be made)."""
    names = ("date_step", "date_every", "date_col")
    if config is not None:
        given = dict(zip(("date_start", *names), (start, *_given(step, every, col)), strict=True))
        clash = [k for k, v in given.items() if v is not None]
        if clash:
            raise ScenarioError(
                clash[0], "give the dates as date_config or as date_* arguments, not both"
            )
        start, every, step, col = config.start_date, config.frequency, config.step, config.date_col
        names = ("date_config.step", "date_config.frequency", "date_config.date_col")
    need_start(
        start,
        "date_start" if config is None else "date_config.start_date",
        **dict(zip(names, _given(step, every, col), strict=True)),
    )
    return start, every, step, col


def _given(step: Any, every: Any, col: Any) -> tuple[Any, Any, Any]:
    """``step``, ``every`` and ``col``, each ``None`` when left at its default."""
    return step, None if every == 1 else every, None if col == "timestamp" else col


def _drift_stream(base: SyntheticStream, instance: Any, drift_type: str) -> SyntheticStream:
    """``generator_instance_drift`` as a stream (its own seed and concept) of ``base``'s kind
    and engine."""
    if instance is None:
        raise ScenarioError("generator_instance_drift", f"{drift_type} drift needs it")
    other = as_stream(instance)
    if other.kind != base.kind:
        raise ScenarioError(
            "generator_instance_drift", f"must be a {base.kind} generator, got {other.kind}"
        )
    if other.engine != base.engine:
        raise ScenarioError(
            "generator_instance_drift",
            f"has engine {other.engine!r} but generator_instance has {base.engine!r}; a "
            "dataset is made by one engine",
        )
    if other.concept_params == base.concept_params:
        raise ScenarioError(
            "generator_instance_drift",
            f"has generator_instance's concept ({base.concept_params}): there is no drift; "
            "change a parameter (or, for a concept drawn at random, the seed)",
        )
    return other


class SyntheticGenerator:
    """A dataset from one generator, with a drift between two concepts (seed API)."""

    DEFAULT_OUTPUT_DIR: ClassVar[str] = DEFAULT_OUTPUT_DIR

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = (
            None if random_state is None else seed_value(random_state, "random_state")
        )
        self.last_manifest: Manifest | None = None

    @classmethod
    def set_default_output_dir(cls, path: str) -> None:
        """Change the default output directory (process-wide, as in the seed)."""
        cls.DEFAULT_OUTPUT_DIR = path

    @classmethod
    def get_default_output_dir(cls) -> str:
        """The default output directory."""
        return cls.DEFAULT_OUTPUT_DIR

    def generate(
        self,
        generator_instance: Any,
        n_samples: int,
        filename: str = "synthetic_data.csv",
        output_dir: str | Path | None = None,
        target_col: str = "target",
        balance: bool = False,
        date_config: DateConfig | None = None,
        drift_type: str = "none",
        drift_options: Mapping[str, Any] | None = None,
        save_dataset: bool = False,
        generate_report: bool = False,
        *,
        date_start: str | None = None,
        date_every: int = 1,
        date_step: Mapping[str, int] | None = None,
        date_col: str = "timestamp",
        generator_instance_drift: Any = None,
        position_of_drift: int | None = None,
        transition_width: int | None = None,
        inconsistency: float = 0.0,
        drift_config: Any = None,
        dynamics_config: Any = None,
        **legacy: Any,
    ) -> pd.DataFrame:
        """Generate ``n_samples`` rows (see the module docstring for the drift types)."""
        refuse_legacy(self.generate, legacy)
        refuse(
            drift_config=drift_config, dynamics_config=dynamics_config, inconsistency=inconsistency
        )
        date_start, date_every, date_step, date_col = _dates(
            date_config, date_start, date_every, date_step, date_col
        )
        filename, directory = output_target(
            filename, target_col, output_dir, "output_dir", self.DEFAULT_OUTPUT_DIR
        )
        warn_report(generate_report)
        n = integer(n_samples, "n_samples")
        if n <= 0:
            raise ScenarioError("n_samples", "must be > 0")
        if drift_type not in DRIFT_TYPES:
            raise ScenarioError(
                "drift_type", f"unknown {drift_type!r}; use {', '.join(DRIFT_TYPES)}"
            )
        _check_drift_arguments(
            drift_type, generator_instance_drift, position_of_drift, transition_width, drift_options
        )
        position = (
            n // 2 if position_of_drift is None else integer(position_of_drift, "position_of_drift")
        )
        if drift_type != "none" and n < 2:
            raise ScenarioError(
                "n_samples", f"drift_type {drift_type!r} needs at least 2 rows, got {n}"
            )
        if drift_type != "none" and not 0 < position < n:
            raise ScenarioError("position_of_drift", f"must be inside (0, {n}), got {position}")
        base = as_stream(generator_instance)
        seed = base.seed if self.random_state is None else self.random_state
        schedule: dict[str, Any] = {"rows_per_block": n}
        drift: dict[str, Any] = {}
        if drift_type in ("abrupt", "gradual", "incremental"):
            other = _drift_stream(base, generator_instance_drift, drift_type)
            if self.random_state is None and other.seed != base.seed:
                seed = stable_int(f"{base.seed} {other.seed}") >> 1  # both streams' seeds
            schedule.update(self._concepts(base, other, drift_type, n, position, transition_width))
        elif drift_type == "virtual_drift":
            options = mapping(drift_options or {}, "drift_options", "of option names to values")
            drift = self._virtual(base, dict(options), position, n)
        if date_start is not None:
            schedule.update(
                start=date_start, step=dict(mapping(date_step or {"days": 1}, "date_step",
                                                    "of units to counts")), spread="rows",
                rows_per_step=date_every, time_column=date_col,
            )  # fmt: skip
        check_columns(
            base.kind, base.params, base.engine, target_col,
            date_col if date_start is not None else None, keep_block=False,
        )  # fmt: skip
        with renamed_paths(_PATHS):
            manifest = run(
                {
                    "name": slug(Path(filename).stem),
                    "seed": seed,
                    "generator": {
                        **base.spec(),
                        "params": base.concept_params,
                        "balance": balance,
                    },
                    "schedule": schedule,
                    "drift": drift,
                    "output": {"root": str(directory)},
                }
            )
        self.last_manifest = manifest
        frame = seed_frame(manifest, target_col, keep_block=False)
        if save_dataset:
            write_file(frame, directory, filename)
        return frame

    @staticmethod
    def _concepts(
        base: SyntheticStream,
        other: SyntheticStream,
        drift_type: str,
        n: int,
        position: int,
        width: int | None,
    ) -> dict[str, Any]:
        # each stream's own concept: the model seeds it derived from its own seed, pinned
        concepts = {"A": base.concept_params, "B": other.concept_params}
        transition: dict[str, Any]
        if drift_type == "abrupt":
            start, transition = position, {"kind": "abrupt"}
        elif drift_type == "gradual":
            w = max(1, n // 10) if width is None else integer(width, "transition_width")
            if w < 1:
                raise ScenarioError("transition_width", f"must be at least 1 (got {width})")
            start = position - w // 2
            if start < 1 or start + w > n:
                raise ScenarioError(
                    "transition_width",
                    f"a window of {w} rows{' (n_samples // 10)' if width is None else ''} "
                    f"centred on row {position} runs past the {'start' if start < 1 else 'end'} "
                    f"of the {n} rows; move position_of_drift or narrow the window",
                )
            transition = {"kind": "gradual", "width": w, "shape": "sigmoid"}
        else:
            cls = GENERATORS.get(base.kind, "generator")
            blend = issubclass(cls, ConceptGenerator) and cls.supports_blend()
            if blend and base.engine != "numpy":
                raise ScenarioError(
                    "drift_type",
                    f"incremental drift interpolates {base.kind}'s concept with engine numpy "
                    f"only (this stream has engine {base.engine!r}); use engine='numpy', or "
                    "drift_type='gradual' to mix rows",
                )
            start = 1
            transition = {"kind": "incremental" if blend else "gradual", "width": n - 1,
                          "shape": "linear"}  # fmt: skip
        return {
            "concepts": concepts,
            "sequence": [{"concept": "A", "rows": start}, {"concept": "B", "rows": n - start}],
            "repeat": False,
            "transition": transition,
        }

    @staticmethod
    def _virtual(
        base: SyntheticStream, options: dict[str, Any], position: int, n: int
    ) -> dict[str, Any]:
        if "missing" not in EVENTS.names():
            raise ScenarioError("drift_type", "virtual_drift needs the 'missing' event")
        features = options.pop("feature_cols", None)
        if features is None:
            cls = GENERATORS.get(base.kind, "generator")
            gen = cls(cls.Params(**{k: v for k, v in base.params.items()}), base.engine)
            features = [c.name for c in gen.columns() if c.role == "feature"]
        rate = options.pop("missing_fraction", 0.1)
        if options:
            raise ScenarioError("drift_options", f"unknown option(s) {sorted(options)}")
        return {
            "virtual": {
                "kind": "missing",
                "mechanism": "mcar",
                "features": list(features),
                "rate": rate,
                "where": {"rows": [position, n]},
            }
        }
