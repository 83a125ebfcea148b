"""``calmops-gen``: the Hydra command line, a thin shell over :func:`calmops_gen.runner.run`.

Hydra composes the config (``conf/config.yaml`` plus the chosen ``scenario``, or a user's
own file with ``--config-dir``/``--config-name``) and applies overrides; this module turns
the result into a plain dict, runs it, and prints the dataset directory as the last line
of stdout. A :class:`~calmops_gen.errors.CalmopsError` becomes exit status 2 and a one-line
message on stderr, without a traceback unless ``HYDRA_FULL_ERROR=1`` or
``CALMOPS_GEN_DEBUG=1`` is set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from calmops_gen.errors import CalmopsError
from calmops_gen.runner import run

EXIT_BAD_INPUT = 2


def config_dir() -> Path:
    """The bundled Hydra config directory (inside the wheel, or ``conf/`` in a checkout)."""
    packaged = Path(__file__).resolve().parent / "conf"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "conf"


def _debug() -> bool:
    return any(
        os.environ.get(v, "") not in ("", "0") for v in ("HYDRA_FULL_ERROR", "CALMOPS_GEN_DEBUG")
    )


def _fail(message: str) -> None:
    print(f"calmops-gen: error: {message}", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


@hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")
def _app(cfg: DictConfig) -> None:
    try:
        data: Any = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:
        if _debug():
            raise
        _fail(str(exc).splitlines()[0])
        return
    data.pop("hydra", None)
    overrides = list(HydraConfig.get().overrides.task)
    try:
        manifest = run(data, overrides=overrides)
    except CalmopsError as exc:
        if _debug():
            raise
        _fail(str(exc))
        return
    print(manifest.directory, flush=True)


def main() -> None:
    """Entry point of ``calmops-gen``."""
    _app()


if __name__ == "__main__":
    main()
