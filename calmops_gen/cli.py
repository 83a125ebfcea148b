"""``calmops-gen``: the Hydra command line, a thin shell over :func:`calmops_gen.runner.run`.

Hydra composes the config (``conf/config.yaml`` plus the chosen ``scenario``, or a user's
own file with ``--config-dir``/``--config-name``) and applies overrides; this module turns
the result into a plain dict, runs it, and prints the dataset directory as the last line
of stdout. The user's own config files are checked first (:mod:`calmops_gen.user_configs`:
no Hydra settings, no ``_target_``). A :class:`~calmops_gen.errors.CalmopsError` becomes
exit status 2 and a one-line message on stderr, after a traceback only when
``HYDRA_FULL_ERROR=1`` or ``CALMOPS_GEN_DEBUG=1`` is set. In a sweep (``-m``) a failing job
is reported and the others still run; the exit status is 2 at the end if any failed.
Ctrl-C exits 130 with one line (SIGTERM: 143), the half-written dataset removed.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import traceback
from collections.abc import Collection
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from calmops_gen._version import __version__
from calmops_gen.errors import CalmopsError, first_line
from calmops_gen.runner import run
from calmops_gen.user_configs import problems, user_groups

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


#: Sweep jobs that failed (``-m``): reported as they fail, counted at the end.
_FAILED_JOBS: list[str] = []


def _fail(message: str) -> None:
    """Report a bad input and exit 2; in a sweep, report the job and go on with the next
    (the exit status is 2 at the end when any job failed)."""
    hydra_cfg = HydraConfig.get() if HydraConfig.initialized() else None
    if hydra_cfg is not None and hydra_cfg.mode == RunMode.MULTIRUN:
        task = " ".join(o.removeprefix("++") for o in hydra_cfg.overrides.task)
        job = f"job {hydra_cfg.job.num} ({task or 'no overrides'})"
        print(f"calmops-gen: error: {job}: {message}", file=sys.stderr)
        _FAILED_JOBS.append(job)
        return
    print(f"calmops-gen: error: {message}", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def _merged(base: Any, top: Any) -> Any:
    """``top`` laid over ``base``: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base, dict) and isinstance(top, dict)):
        return top
    out = dict(base)
    for key, value in top.items():
        out[key] = _merged(out[key], value) if key in out else value
    return out


def merge_key_twins(node: Any) -> Any:
    """Merge mapping keys an override wrote as text into their integer twins, in place.

    A YAML key ``3`` is an integer; ``schedule.block_params.3.perturbation=0.1`` on the
    command line adds a text key ``'3'`` beside it, which validation would read as the same
    block and keep only one of. The text twin's settings go into the integer key's mapping
    (the override wins where both set a key).

    Examples
    --------
    >>> merge_key_twins({"block_params": {3: {"f": 2, "p": 0}, "3": {"p": 0.1}}})
    {'block_params': {3: {'f': 2, 'p': 0.1}}}
    >>> merge_key_twins({"weighting": {"²": 1.0, "--3": 2.0}})  # not integers: left alone
    {'weighting': {'²': 1.0, '--3': 2.0}}
    """
    if isinstance(node, dict):
        for key in [k for k in node if isinstance(k, str) and re.fullmatch(r"-?[0-9]+", k)]:
            twin = int(key)
            if twin in node:
                node[twin] = _merged(node[twin], node.pop(key))
        for value in node.values():
            merge_key_twins(value)
    elif isinstance(node, list):
        for value in node:
            merge_key_twins(value)
    return node


@hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")
def _app(cfg: DictConfig) -> None:
    try:
        data: Any = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:
        if _debug():
            traceback.print_exc()
        key = getattr(exc, "full_key", None)
        _fail(f"{key}: {first_line(exc)}" if key else first_line(exc))
        return
    data.pop("hydra", None)
    if isinstance(data.get("scenario"), dict):
        # a scenario/ file without the header: Hydra put its keys under "scenario"
        _fail(
            "scenario: the chosen scenario file's keys landed under 'scenario'; start the "
            "file with the line '# @package _global_', as the bundled scenarios do"
        )
        return
    merge_key_twins(data)
    overrides = [o.removeprefix("++") for o in HydraConfig.get().overrides.task]
    try:
        manifest = run(data, overrides=overrides)
    except CalmopsError as exc:
        if _debug():
            traceback.print_exc()  # the exit status stays 2
        _fail(str(exc))
        return
    print(manifest.directory, flush=True)


# Config groups: their overrides choose a file and must stay as written.
_GROUPS = ("scenario", "hydra")


def force_overrides(argv: list[str], groups: Collection[str] = ()) -> list[str]:
    """Turn plain ``key=value`` overrides into Hydra's force-add ``++key=value``.

    A scenario need not set every key (unset ones take their documented defaults), and a
    user's own ``--config-name`` file does not inherit ``conf/config.yaml``; with plain
    overrides Hydra would refuse to set such a key ("not in struct"). Forcing them lets
    ``seed=7`` or ``output.root=x`` work on any scenario; misspelt keys are still caught,
    by the scenario's validation (exit 2, with a suggestion). Group choices
    (``scenario=NAME``, or ``NAME=CHOICE`` for a folder ``NAME`` of a user's config
    directory: ``groups``; ``NAME.key=value`` is still a value), ``hydra.*`` settings,
    options and ``+``/``~``/``++`` overrides are left alone.

    Examples
    --------
    >>> force_overrides(["-m", "seed=7", "scenario=no_drift", "+x=1", "--config-dir", "d"])
    ['-m', '++seed=7', 'scenario=no_drift', '+x=1', '--config-dir', 'd']
    >>> force_overrides(["gen=stag", "drift.e.amount=1"], groups={"gen", "drift"})
    ['gen=stag', '++drift.e.amount=1']
    >>> force_overrides(["-sc", "install=bash"])  # Hydra's shell completion subcommand
    ['-sc', 'install=bash']
    """
    out = []
    takes_value = {"--config-dir", "-cd", "--config-name", "-cn", "--config-path", "-cp",
                   "--cfg", "-c", "--package", "-p", "--info", "--experimental-rerun",
                   "--shell-completion", "-sc"}  # fmt: skip
    skip_next = False
    for arg in argv:
        if skip_next or arg.startswith("-") or "=" not in arg or arg[0] in "+~":
            skip_next = arg in takes_value
            out.append(arg)
            continue
        key = arg.split("=", 1)[0]
        head = key.split(".")[0].split("/")[0]
        if head in _GROUPS or (head in groups and "." not in key) or "@" in key:
            out.append(arg)
        else:
            out.append("++" + arg)
    return out


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written dataset's staging folder is removed."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point of ``calmops-gen``."""
    if "--version" in sys.argv[1:]:
        print(f"calmops-gen {__version__} (Hydra {hydra.__version__})")
        return
    refused = problems(sys.argv[1:], bundled=config_dir())
    if refused:
        for message in refused:
            print(f"calmops-gen: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    signal.signal(signal.SIGTERM, _terminated)
    sys.argv = [sys.argv[0], *force_overrides(sys.argv[1:], user_groups(sys.argv[1:]))]
    if {"--help", "-h"} & set(sys.argv[1:]):
        # our help text, also for a user's scenario file (which does not inherit ours)
        sys.argv.append("hydra/help=calmops")
    try:
        try:
            _app()
        finally:
            sys.stdout.flush()  # a reader gone early is found here, not at Python's exit
    except BrokenPipeError:
        # the reader went away (`calmops-gen --help | head`): no traceback, and no second
        # error when Python flushes stdout at exit (the way Python's docs advise)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        if _debug():
            raise
        print("calmops-gen: interrupted; nothing was written under the dataset's name",
              file=sys.stderr)  # fmt: skip
        sys.exit(128 + signal.SIGINT)
    if _FAILED_JOBS:
        print(f"calmops-gen: error: {len(_FAILED_JOBS)} sweep job(s) failed: "
              f"{'; '.join(_FAILED_JOBS)}", file=sys.stderr)  # fmt: skip
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
