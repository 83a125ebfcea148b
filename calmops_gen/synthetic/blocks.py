"""Seed-compatible ``SyntheticBlockGenerator`` on the calmops-gen engine.

Users of the seed system keep their code::

    from calmops_gen.synthetic import SyntheticBlockGenerator

    SyntheticBlockGenerator().generate_blocks_simple(
        output_path="my_synthetic_data", filename="dataset.csv", n_blocks=3,
        total_samples=3000, methods="sea",
        method_params=[{"function": 0}, {"function": 1}, {"function": 2}],
        date_start="2023-01-01", date_step={"days": 7})

Each call builds a scenario and runs it through the engine: it writes the versioned dataset
(with its manifest and ground truth) under ``output_path/<name>/<version>/`` and, beside it,
the single file named by ``filename`` that seed users expect (CSV; Parquet when the name
ends in ``.parquet``; other extensions are refused): the features, the target (named
``target_col``), ``block`` numbered 1..n (or ``block_labels``) as the seed did, and the date
column with one timestamp per block (the seed's behaviour). ``date_step`` and ``date_col``
need ``date_start`` (without it no dates are made, so they are refused). Parameters may use
the seed's names (SEA ``function`` -> ``variant``, ``noise_percentage`` -> ``noise``, ...) or
river's. Parameters a block's ``method_params`` leave out take the seed's
``GeneratorConfig`` defaults (SEA noise 0.1, Agrawal, STAGGER and Mixed balanced, RandomTree
first leaf level 1), and, as in the seed (``random_state + i`` per block), block ``i`` of a
generator whose concept is drawn at random (RandomTree's tree, Hyperplane's weights,
RandomRBF's centroids) gets the model seed ``random_state + i``: a new concept per block,
unless ``method_params`` pin it. ``generate`` keeps each instance's own concept (instances
that differ only by their seed give different concepts); its rows come from the first
instance's seed (see :meth:`SyntheticBlockGenerator.generate`). Unlike the seed, the same
call always gives the same bytes (``random_state=None`` means seed 42, recorded in the
manifest), and a single generator instance given for every block does not repeat the same
rows in each block (the seed's bug): every block draws from its own seed.

Options whose support arrives with later work (``drift_config``, ``dynamics_config``)
raise a clear error instead of being ignored; ``generate_report=True`` warns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from calmops_gen.arguments import mapping, whole
from calmops_gen.errors import ScenarioError, renamed_paths
from calmops_gen.generators import GENERATORS
from calmops_gen.manifest import Manifest
from calmops_gen.runner import run
from calmops_gen.seeding import seed_value
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
from calmops_gen.synthetic.factory import _kind, seed_defaults, translate_params
from calmops_gen.synthetic.streams import DEFAULT_SEED, SyntheticStream, as_stream
from calmops_gen.validation import validate

#: Engine config keys -> this facade's arguments (for error messages).
_PATHS = {
    "schedule.start": "date_start",
    "schedule.step": "date_step",
    "schedule.time_column": "date_col",
    "schedule.sizes": "n_samples_block",
    "schedule.block_params": "method_params",
    "generator.params": "method_params.0",
    "output.root": "output_path",
    "generator.balance": "balance",
}


def _checked(
    kind: str, params: dict[str, Any], given: Mapping[str, Any], path: str
) -> dict[str, Any]:
    """``params`` of one block, validated here so that an error names the block and the
    user's own key (``method_params.0.function``, not the engine's ``variant``).

    Examples
    --------
    >>> _checked("sea", {"variant": 7}, {"function": 7}, "method_params.0")
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: method_params.0.function: must be 0 to 3 (got 7)
    """
    own = {
        f"{path}.{river}": f"{path}.{key}"
        for key in given
        for river in translate_params(kind, {key: given[key]}, path)
        if river != key
    }
    with renamed_paths(own):
        validate(GENERATORS.get(kind, "methods").Params, params, path)
    return params


def _count(n_blocks: Any) -> int:
    n = whole(n_blocks, "n_blocks")
    if n <= 0:
        raise ScenarioError("n_blocks", f"must be > 0, got {n_blocks}")
    return n


def _sizes(n_blocks: int, total: int, per_block: int | Sequence[int] | None) -> list[int]:
    total = whole(total, "total_samples")
    if total < n_blocks:
        raise ScenarioError(
            "total_samples", f"must be at least n_blocks ({n_blocks}: a row per block), got {total}"
        )
    if per_block is None:
        base = total // n_blocks
        return [base] * (n_blocks - 1) + [total - base * (n_blocks - 1)]
    sizes = (
        [whole(per_block, "n_samples_block")] * n_blocks
        if not isinstance(per_block, list | tuple)
        else [whole(v, "n_samples_block") for v in per_block]
    )
    if len(sizes) == 1:
        sizes = sizes * n_blocks
    if len(sizes) != n_blocks or sum(sizes) != total:
        raise ScenarioError(
            "n_samples_block",
            f"must give {n_blocks} sizes summing to total_samples={total}, got {sizes}",
        )
    return sizes


def _per_block(items: Any, n_blocks: int, key: str) -> list[Any]:
    listed = [items] if not isinstance(items, list | tuple) else list(items)
    if len(listed) == 1:
        listed = listed * n_blocks
    if len(listed) != n_blocks:
        raise ScenarioError(key, f"give one or {n_blocks} (one per block), got {len(listed)}")
    return listed


class SyntheticBlockGenerator:
    """Block-structured synthetic datasets, as the seed system's class (see module doc).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = SyntheticBlockGenerator().generate_blocks_simple(
    ...         output_path=d, filename="data.csv", n_blocks=2, total_samples=100,
    ...         methods="sea", method_params=[{"function": 0}, {"function": 3}])
    ...     df = pd.read_csv(path)
    >>> df["block"].value_counts().sort_index().tolist()
    [50, 50]
    """

    def __init__(self) -> None:
        self.last_manifest: Manifest | None = None

    def generate_blocks_simple(
        self,
        output_path: str | Path | None = None,
        filename: str = "synthetic_blocks.csv",
        n_blocks: int = 1,
        total_samples: int = 1000,
        methods: str | Sequence[str] = "sea",
        method_params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        n_samples_block: int | Sequence[int] | None = None,
        target_col: str = "target",
        balance: bool = False,
        random_state: int | None = None,
        date_start: str | None = None,
        date_step: Mapping[str, int] | None = None,
        date_col: str = "timestamp",
        generate_report: bool = False,
        drift_config: Any = None,
        dynamics_config: Any = None,
        output_dir: str | Path | None = None,
        **legacy: Any,
    ) -> str:
        """Generate ``n_blocks`` blocks of one generator kind (``methods``) with per-block
        parameters; write ``output_path/filename`` (CSV, or Parquet for a ``.parquet`` name)
        and return its path.

        ``output_dir`` is accepted as the seed's older name of ``output_path`` (not both).
        """
        refuse_legacy(self.generate_blocks_simple, legacy)
        if output_path is not None and output_dir is not None:
            raise ScenarioError("output_dir", "give output_path or output_dir, not both")
        n_blocks = _count(n_blocks)
        names = _per_block(methods, n_blocks, "methods")
        if len({str(n).lower() for n in names}) != 1:
            raise ScenarioError("methods", "every block must use the same generator kind")
        kind = _kind(str(names[0]), "methods")
        seed = DEFAULT_SEED if random_state is None else seed_value(random_state, "random_state")
        defaults = seed_defaults(kind)
        model_seeds = GENERATORS.get(kind, "methods").Params.seed_fields
        params = []
        for i, p in enumerate(_per_block(method_params or {}, n_blocks, "method_params")):
            path = f"method_params.{i}"
            given = translate_params(kind, mapping(p or {}, path, "of parameters"), path)
            # the seed built block i as GeneratorConfig(**params, random_state=seed + i): its
            # defaults, and a random concept (tree, hyperplane, centroids) of its own
            fresh = {f: seed + i for f in model_seeds if given.get(f) is None}
            params.append(_checked(kind, {**defaults, **fresh, **given}, p or {}, path))
        return self._write(
            kind, params, seed,
            _sizes(n_blocks, total_samples, n_samples_block),
            out_dir=output_path if output_path is not None else output_dir,
            filename=filename, target_col=target_col, balance=balance, date_start=date_start,
            date_step=date_step, date_col=date_col, generate_report=generate_report,
            drift_config=drift_config, dynamics_config=dynamics_config, block_labels=None,
        )  # fmt: skip

    def generate(
        self,
        output_dir: str | Path | None = None,
        filename: str = "synthetic_blocks.csv",
        n_blocks: int = 1,
        total_samples: int = 1000,
        n_samples_block: int | Sequence[int] | None = None,
        generators: Any = None,
        target_col: str = "target",
        balance: bool = False,
        date_start: str | None = None,
        date_step: Mapping[str, int] | None = None,
        date_col: str = "timestamp",
        generate_report: bool = False,
        drift_config: Any = None,
        dynamics_config: Any = None,
        block_labels: Sequence[Any] | None = None,
        **legacy: Any,
    ) -> str:
        """Generate blocks from generator instances (one for all blocks, or one per block;
        :class:`~calmops_gen.synthetic.SyntheticStream` or river instances of one kind).

        Notes
        -----
        The dataset's seed is the first instance's: every block's rows are drawn from it
        (each block from its own branch of it). The seeds of the later instances decide only
        their concepts (the tree, hyperplane or centroids each would draw); they do not
        change the rows, because the engine draws a dataset from one seed: ``[SEA(seed=1),
        SEA(seed=99)]`` gives the same rows as ``[SEA(seed=1), SEA(seed=1)]``.
        """
        refuse_legacy(self.generate, legacy)
        if generators is None:
            raise ScenarioError("generators", "give a generator instance or one per block")
        n_blocks = _count(n_blocks)
        streams = [as_stream(g) for g in _per_block(generators, n_blocks, "generators")]
        if len({s.kind for s in streams}) != 1:
            raise ScenarioError("generators", "every block must use the same generator kind")
        if len({s.engine for s in streams}) != 1:
            raise ScenarioError(
                "generators",
                f"every block must use the same engine (got {sorted({s.engine for s in streams})}):"
                " a dataset is made by one engine",
            )
        # each stream's own concept: model seeds it would derive alone are pinned, so streams
        # that differ only by their seed keep their different trees, hyperplanes, centroids
        return self._write(
            streams[0].kind, [s.concept_params for s in streams], streams[0].seed,
            _sizes(n_blocks, total_samples, n_samples_block), out_dir=output_dir,
            filename=filename, target_col=target_col, balance=balance, date_start=date_start,
            date_step=date_step, date_col=date_col, generate_report=generate_report,
            drift_config=drift_config, dynamics_config=dynamics_config, block_labels=block_labels,
            engine=streams[0].engine,
        )  # fmt: skip

    def _write(
        self,
        kind: str,
        params: list[dict[str, Any]],
        seed: int,
        sizes: list[int],
        *,
        out_dir: str | Path | None,
        filename: str,
        target_col: str,
        balance: bool,
        date_start: str | None,
        date_step: Mapping[str, int] | None,
        date_col: str,
        generate_report: bool,
        drift_config: Any,
        dynamics_config: Any,
        block_labels: Sequence[Any] | None,
        engine: str | None = None,
    ) -> str:
        refuse(drift_config=drift_config, dynamics_config=dynamics_config)
        need_start(date_start, "date_start", date_step=date_step,
                   date_col=None if date_col == "timestamp" else date_col)  # fmt: skip
        filename, directory = output_target(
            filename, target_col, out_dir, "output_path", DEFAULT_OUTPUT_DIR
        )
        warn_report(generate_report)
        # Every block fully specified (seed semantics: unspecified keys take defaults), so
        # the engine's carry-forward of block_params changes nothing here.
        defaults = SyntheticStream(kind, {}).params
        check_columns(
            kind, {**defaults, **params[0]}, engine, target_col,
            date_col if date_start is not None else None,
            block_labels=block_labels, n_blocks=len(sizes),
        )  # fmt: skip
        schedule: dict[str, Any] = {
            "sizes": sizes,
            "block_params": {i: {**defaults, **p} for i, p in enumerate(params)},
        }
        if date_start is not None:
            schedule.update(
                start=date_start,
                step=dict(mapping(date_step or {"days": 1}, "date_step", "of units to counts")),
                spread="none",
                time_column=date_col,
            )
        scenario = {
            "name": slug(Path(filename).stem),
            "seed": seed,
            "generator": {"kind": kind, "engine": engine, "params": {**defaults, **params[0]},
                          "balance": balance},
            "schedule": schedule,
            "output": {"root": str(directory), "format": "csv"},
        }  # fmt: skip
        with renamed_paths(_PATHS):
            manifest = run(scenario)
        self.last_manifest = manifest
        frame = seed_frame(manifest, target_col, block_labels=block_labels)
        return str(write_file(frame, directory, filename))
