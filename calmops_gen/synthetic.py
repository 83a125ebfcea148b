"""Seed-compatible facade: ``SyntheticBlockGenerator`` on the calmops-gen engine.

Users of the seed system keep their code::

    from calmops_gen.synthetic import SyntheticBlockGenerator

    SyntheticBlockGenerator().generate_blocks_simple(
        output_path="my_synthetic_data", filename="dataset.csv", n_blocks=3,
        total_samples=3000, methods="sea",
        method_params=[{"function": 0}, {"function": 1}, {"function": 2}],
        date_start="2023-01-01", date_step={"days": 7})

The call builds a scenario and runs it through the engine: it writes the versioned dataset
(with its manifest and ground truth) under ``output_path/<name>/<version>/`` and, beside it,
the single CSV named by ``filename`` that seed users expect: the features, the target
(named ``target_col``), ``block`` numbered 1..n as the seed did, and the date column with
one timestamp per block (the seed's behaviour). Seed parameter names are translated
(SEA ``function`` -> ``variant``, ``noise_percentage`` -> ``noise``). Unlike the seed, the
same call always gives the same bytes: ``random_state=None`` means seed 42, recorded in the
manifest.

Seed options whose engine support arrives with later work (``drift_config``,
``dynamics_config``, reports, other generator types) raise a clear error instead of being
ignored.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from calmops_gen.errors import ScenarioError
from calmops_gen.generators import GENERATORS
from calmops_gen.manifest import Manifest
from calmops_gen.reading import read_frame
from calmops_gen.runner import run

DEFAULT_SEED = 42
# seed name -> engine parameter name, per generator kind
_RENAMES: dict[str, dict[str, str]] = {
    "sea": {
        "function": "variant",
        "noise_percentage": "noise",
        "variant": "variant",
        "noise": "noise",
    },
    "agrawal": {
        "classification_function": "classification_function",
        "function": "classification_function",
        "balance_classes": "balance_classes",
        "perturbation": "perturbation",
    },
}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_-")
    return slug[:64] or "dataset"


def _translate(kind: str, params: Mapping[str, Any], path: str) -> dict[str, Any]:
    names = _RENAMES[kind]
    out = {}
    for key, value in params.items():
        if key in ("random_state", "seed"):
            raise ScenarioError(
                f"{path}.{key}",
                "per-block seeds are derived from random_state; pass random_state instead",
            )
        if key not in names:
            raise ScenarioError(
                f"{path}.{key}", f"not a {kind} parameter; known: {', '.join(sorted(names))}"
            )
        out[names[key]] = value
    return out


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
    ) -> str:
        """Generate ``n_blocks`` blocks and write ``output_path/filename`` (CSV); return its path.

        ``output_dir`` is accepted as the seed's older name of ``output_path``.
        """
        out_dir = Path(output_path if output_path is not None else output_dir or "synthetic_output")
        kind = self._kind(methods, n_blocks)
        if drift_config or dynamics_config:
            raise ScenarioError(
                "drift_config" if drift_config else "dynamics_config",
                "not supported by this version's facade; declare drift events in a scenario",
            )
        if generate_report:
            warnings.warn(
                "generate_report: reports are not produced by this version; "
                "the manifest records the realised statistics",
                stacklevel=2,
            )
        sizes = self._sizes(n_blocks, total_samples, n_samples_block)
        per_block = self._params(kind, method_params, n_blocks)
        if balance:
            if kind != "agrawal":
                raise ScenarioError("balance", f"class balancing is not available for {kind!r} yet")
            per_block = [{**p, "balance_classes": True} for p in per_block]
        schedule: dict[str, Any] = {
            "sizes": sizes,
            "block_params": dict(enumerate(per_block)),
        }
        if date_start is not None:
            schedule.update(
                start=date_start,
                step=dict(date_step or {"days": 1}),
                spread="none",
                time_column=date_col,
            )
        scenario = {
            "name": _slug(Path(filename).stem),
            "seed": DEFAULT_SEED if random_state is None else random_state,
            "generator": {"kind": kind, "params": per_block[0]},
            "schedule": schedule,
            "output": {"root": str(out_dir), "format": "csv"},
        }
        manifest = run(scenario)
        self.last_manifest = manifest
        frame = read_frame(manifest).rename(columns={"y": target_col})
        frame["block"] = frame["block"] + 1
        target = out_dir / filename
        frame.to_csv(target, index=False)
        return str(target)

    @staticmethod
    def _kind(methods: str | Sequence[str], n_blocks: int) -> str:
        names = [methods] if isinstance(methods, str) else list(methods)
        if len(set(names)) != 1 or len(names) not in (1, n_blocks):
            raise ScenarioError(
                "methods", "every block must use the same generator (one name, or one per block)"
            )
        kind = names[0].lower()
        if kind not in _RENAMES:
            raise ScenarioError(
                "methods",
                f"{kind!r} is not available yet; available: {', '.join(sorted(_RENAMES))}",
            )
        return kind

    @staticmethod
    def _sizes(n_blocks: int, total: int, per_block: int | Sequence[int] | None) -> list[int]:
        if n_blocks <= 0 or total <= 0:
            raise ScenarioError("n_blocks", "n_blocks and total_samples must be > 0")
        if per_block is None:
            base = total // n_blocks
            return [base] * (n_blocks - 1) + [total - base * (n_blocks - 1)]
        sizes = [per_block] * n_blocks if isinstance(per_block, int) else list(per_block)
        if len(sizes) == 1:
            sizes = sizes * n_blocks
        if len(sizes) != n_blocks or sum(sizes) != total:
            raise ScenarioError(
                "n_samples_block",
                f"must give {n_blocks} sizes summing to total_samples={total}, got {sizes}",
            )
        return sizes

    @staticmethod
    def _params(
        kind: str,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        n_blocks: int,
    ) -> list[dict[str, Any]]:
        if params is None:
            params = {}
        listed = [params] if isinstance(params, Mapping) else list(params)
        if len(listed) == 1:
            listed = listed * n_blocks
        if len(listed) != n_blocks:
            raise ScenarioError(
                "method_params", f"give one dict or {n_blocks} (one per block), got {len(listed)}"
            )
        # Each block is fully specified (seed semantics: unspecified keys take defaults),
        # so the engine's carry-forward of block_params changes nothing here.
        defaults = GENERATORS.get(kind, "methods").Params().model_dump()
        return [
            {**defaults, **_translate(kind, p, f"method_params.{i}")} for i, p in enumerate(listed)
        ]
