"""What a user's own Hydra config files may hold.

Hydra acts on parts of a composed config before ``calmops-gen`` sees it: it instantiates
``hydra.callbacks`` (any ``_target_``), configures logging from ``hydra.job_logging``
(handler classes and file names) and picks launchers and sweepers by ``_target_``. A
scenario file from elsewhere could thus run code or write files anywhere. So the files in a
user's config directories (``--config-dir``/``-cd``, ``hydra.searchpath``) are read as plain
YAML first and refused when they hold a ``hydra`` key at the top, a ``_target_`` key
anywhere, a ``defaults`` entry choosing a ``hydra/...`` group, or sit in a ``hydra/`` folder.
Hydra's own settings belong on the command line (``hydra.run.dir=...``), which the user
types themselves. The bundled ``conf/`` is ours and is not scanned; a user's file with the
name of a bundled one (``config.yaml``, ``scenario/default.yaml``) is refused too, because
Hydra searches the package's directory first and would silently read the bundled file.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "mine.yaml").write_text("name: mine\\nhydra: {run: {dir: /tmp/x}}\\n")
>>> problems(["--config-dir", str(folder), "--config-name", "mine"])  # doctest: +ELLIPSIS
["...mine.yaml: key 'hydra': Hydra's settings are not taken from scenario files ..."]
>>> _ = (folder / "mine.yaml").write_text("name: mine\\n")
>>> problems(["-cd", str(folder), "-cn", "mine"])
[]
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

_DIR_OPTIONS = ("--config-dir", "-cd")
_HINT = (
    "Hydra's settings are not taken from scenario files (they can run code and write "
    "files); give them on the command line"
)


def config_dirs(argv: list[str]) -> list[Path]:
    """The user's config directories named on the command line.

    Examples
    --------
    >>> config_dirs(["-cd", "a", "--config-dir=b", "hydra.searchpath=[file://c,pkg://d]"])
    [PosixPath('a'), PosixPath('b'), PosixPath('c')]
    """
    out: list[Path] = []
    for i, arg in enumerate(argv):
        if arg in _DIR_OPTIONS and i + 1 < len(argv):
            out.append(Path(argv[i + 1]))
        elif arg.startswith(tuple(f"{o}=" for o in _DIR_OPTIONS)):
            out.append(Path(arg.split("=", 1)[1]))
        elif arg.lstrip("+").startswith("hydra.searchpath="):
            items = arg.split("=", 1)[1].strip("[]").split(",")
            out += [
                Path(i.strip()[len("file://") :]) for i in items if i.strip().startswith("file://")
            ]
    return out


def _keys(node: Any, path: str = "") -> Iterator[str]:
    """Every mapping key in ``node``, as a dotted path."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            yield here
            yield from _keys(value, here)
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _keys(value, f"{path}.{k}" if path else str(k))


def _defaults_choose_hydra(node: Any) -> bool:
    entries = node.get("defaults") if isinstance(node, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        names = entry.keys() if isinstance(entry, dict) else [entry]
        if any(str(n).removeprefix("override ").strip().startswith("hydra") for n in names):
            return True
    return False


def file_problem(path: Path, relative: Path) -> str | None:
    """Why the YAML file ``path`` (``relative`` to its config directory) is refused."""
    if relative.parts[0] == "hydra":
        return f"{path}: files under a 'hydra/' folder configure Hydra itself; {_HINT}"
    try:
        node = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # Hydra reports an unreadable file it needs, with its own message
    if isinstance(node, dict) and "hydra" in node:
        return f"{path}: key 'hydra': {_HINT}"
    target = next((k for k in _keys(node) if k.rsplit(".", 1)[-1] == "_target_"), None)
    if target is not None:
        return (
            f"{path}: key '{target}': calmops-gen finds generators and events by 'kind' in "
            "its registries and never imports what a file names"
        )
    if _defaults_choose_hydra(node):
        return f"{path}: a 'defaults' entry chooses a 'hydra/' config; {_HINT}"
    return None


def problems(argv: list[str], bundled: Path | None = None) -> list[str]:
    """Refusals for the YAML files of every user config directory in ``argv``; with
    ``bundled`` (the package's config directory), also for a file with the name of a
    bundled one, which Hydra would read instead of it (the package's directory comes first
    in Hydra's search path)."""
    out = []
    for folder in config_dirs(argv):
        if not folder.is_dir():
            continue  # Hydra says the directory is missing
        for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
            relative = path.relative_to(folder)
            if any(part.startswith(".") for part in relative.parts):
                continue  # hidden: no config group (Hydra's run records: outputs/*/.hydra/)
            problem = file_problem(path, relative)
            if problem is None and bundled is not None and (bundled / relative).is_file():
                problem = (
                    f"{path}: has the name of a bundled config ({relative.as_posix()}), which "
                    "Hydra would read instead of it; rename it"
                )
            if problem:
                out.append(problem)
    return out
