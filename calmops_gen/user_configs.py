"""What a user's own Hydra config files may hold.

Hydra acts on parts of a composed config before ``calmops-gen`` sees it: it instantiates
``hydra.callbacks`` (any ``_target_``), configures logging from ``hydra.job_logging``
(handler classes and file names) and picks launchers and sweepers by ``_target_``. A
scenario file from elsewhere could thus run code or write files anywhere. So the files in a
user's config directories (``--config-dir``/``-cd``, ``--config-path``/``-cp``, ``file://``
entries of ``hydra.searchpath``) are read as plain YAML first and refused when they hold a
``hydra`` key at the top, a ``_target_`` key anywhere, a ``defaults`` entry choosing a
``hydra/...`` group, or sit in a ``hydra/`` folder. Hydra's own settings belong on the
command line (``hydra.run.dir=...``), which the user types themselves.

Folders are walked through symbolic links, as Hydra follows them, hidden files included.
The only files left out are those under a ``.hydra`` folder, where Hydra keeps its run
records (``outputs/<day>/<time>/.hydra/``, often inside the config directory); a config
named through such a folder (``--config-name`` or a ``defaults`` entry) is refused instead.
The bundled ``conf/`` is ours and is not scanned; a user's file with the name of a bundled
one (``config.yaml``, ``scenario/default.yaml``) is refused too, because Hydra searches the
package's directory first and would silently read the bundled file.

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

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

_DIR_OPTIONS = ("--config-dir", "-cd", "--config-path", "-cp")
_NAME_OPTIONS = ("--config-name", "-cn")
_RECORDS = ".hydra"  # Hydra's run records: never a config a run reads
_HINT = (
    "Hydra's settings are not taken from scenario files (they can run code and write "
    "files); give them on the command line"
)


def _option_values(argv: list[str], options: tuple[str, ...]) -> list[str]:
    """The values given to ``options`` (``-o VALUE`` or ``-o=VALUE``)."""
    out = []
    for i, arg in enumerate(argv):
        if arg in options and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif arg.startswith(tuple(f"{o}=" for o in options)):
            out.append(arg.split("=", 1)[1])
    return out


def config_dirs(argv: list[str]) -> list[Path]:
    """The user's config directories named on the command line.

    Examples
    --------
    >>> config_dirs(["-cd", "a", "--config-path=b", "hydra.searchpath=['file://c',pkg://d]"])
    [PosixPath('a'), PosixPath('b'), PosixPath('c')]
    """
    out = [Path(v) for v in _option_values(argv, _DIR_OPTIONS)]
    for arg in argv:
        if arg.lstrip("+").startswith("hydra.searchpath="):
            out += [Path(p) for p in re.findall(r"file://([^,'\"\]\s]+)", arg)]
    return out


def user_groups(argv: list[str]) -> set[str]:
    """Names of the folders of the user's config directories: their config groups.

    Examples
    --------
    >>> user_groups(["-cd", "/no/such/folder"])
    set()
    """
    out: set[str] = set()
    for folder in config_dirs(argv):
        try:
            out |= {p.name for p in folder.iterdir() if p.is_dir()}
        except OSError:
            continue  # missing or unreadable: Hydra reports it
    return out


def _yaml_files(folder: Path) -> Iterator[Path]:
    """The YAML files under ``folder``, through symbolic links (each folder once), leaving
    out Hydra's run records."""
    seen: set[tuple[int, int]] = set()
    for here, dirs, files in os.walk(folder, followlinks=True):
        try:
            info = Path(here).stat()
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(d for d in dirs if d != _RECORDS)
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield Path(here) / name


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


def _defaults(node: Any) -> Iterator[tuple[str, Any]]:
    """``(group, choice)`` of each entry of a config's ``defaults`` list (``override`` and a
    leading ``/`` dropped; ``choice`` is ``None`` for a plain ``- name`` entry).

    Examples
    --------
    >>> list(_defaults({"defaults": ["_self_", {"override /scenario": "x"}]}))
    [('_self_', None), ('scenario', 'x')]
    """
    entries = node.get("defaults") if isinstance(node, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        pairs = entry.items() if isinstance(entry, dict) else [(entry, None)]
        for name, choice in pairs:
            yield str(name).removeprefix("override ").strip().lstrip("/"), choice


def _defaults_choose_hydra(node: Any) -> bool:
    """Whether a ``defaults`` entry chooses a ``hydra/...`` (or ``/hydra/...``) config or
    one inside Hydra's run records."""
    return any(
        group.startswith("hydra") or _RECORDS in group.split("/") for group, _ in _defaults(node)
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (as OmegaConf does;
    PyYAML would keep the last value without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # an unhashable key: PyYAML's own error below
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(err: yaml.YAMLError) -> str:
    """A YAML error in one line: what and where (line and column, 1-based).

    Examples
    --------
    >>> try:
    ...     yaml.load("a: 1\\na: 2\\n", Loader=_UniqueKeyLoader)
    ... except yaml.YAMLError as err:
    ...     print(_yaml_problem(err))
    found duplicate key 'a' (line 2, column 1)
    """
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    if mark is None:
        return str(what)
    return f"{what} (line {mark.line + 1}, column {mark.column + 1})"


def file_problem(path: Path, relative: Path, read: bool = True) -> str | None:
    """Why the YAML file ``path`` (``relative`` to its config directory) is refused;
    ``read``: whether this run reads it (only then is YAML that does not parse refused:
    another file of the folder is none of this run's business)."""
    if relative.parts[0] == "hydra":
        return f"{path}: files under a 'hydra/' folder configure Hydra itself; {_HINT}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # Hydra reports an unreadable file it needs, with its own message
    try:
        node = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except yaml.YAMLError as err:
        # Hydra would print a Python traceback for it
        return f"{path}: not valid YAML: {_yaml_problem(err)}" if read else None
    if isinstance(node, dict) and "hydra" in node:
        return f"{path}: key 'hydra': {_HINT}"
    target = next((k for k in _keys(node) if k.rsplit(".", 1)[-1] == "_target_"), None)
    if target is not None:
        return (
            f"{path}: key '{target}': calmops-gen finds generators and events by 'kind' in "
            "its registries and never imports what a file names"
        )
    if _defaults_choose_hydra(node):
        return f"{path}: a 'defaults' entry chooses a 'hydra/' or '.hydra/' config; {_HINT}"
    return None


def _read_files(argv: list[str], folders: Sequence[Path] = ()) -> set[str]:
    """The config files (relative paths) a run reads from a user's folder: its primary
    config (``--config-name``), the group options chosen on the command line
    (``scenario=NAME``, ``gen=NAME``) and those its primary config's ``defaults`` choose
    (read from ``folders``).

    Examples
    --------
    >>> sorted(_read_files(["-cn", "mine", "scenario=drifty", "gen=stagger"]))
    ['gen/stagger.yaml', 'mine.yaml', 'scenario/drifty.yaml']

    (A value override such as ``seed=3`` gives ``seed/3.yaml``, a file no folder holds.)
    """
    primary = [
        n if n.endswith(".yaml") else f"{n}.yaml" for n in _option_values(argv, _NAME_OPTIONS)
    ]
    names = set(primary)
    for arg in argv:
        match = re.fullmatch(r"\+{0,2}([\w/-]+)=([^,]+)", arg)  # a group choice (no dots)
        if match:
            names.add(f"{match.group(1)}/{match.group(2)}.yaml")
    for folder in folders:
        for name in primary:
            try:
                node = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # reported as the primary file's own problem, if it is read
            names.update(
                f"{group}/{choice}.yaml" for group, choice in _defaults(node) if choice is not None
            )
    return names


def problems(argv: list[str], bundled: Path | None = None) -> list[str]:
    """Refusals for the YAML files of every user config directory in ``argv``; with
    ``bundled`` (the package's config directory), also for a file with the name of a
    bundled one, which Hydra would read instead of it (the package's directory comes first
    in Hydra's search path)."""
    out = [
        f"--config-name {name}: names a file of Hydra's run records; {_HINT}"
        for name in _option_values(argv, _NAME_OPTIONS)
        if _RECORDS in Path(name).parts
    ]
    folders = [f for f in config_dirs(argv) if f.is_dir()]  # Hydra reports a missing one
    read = _read_files(argv, folders)
    for folder in folders:
        for path in _yaml_files(folder):
            relative = path.relative_to(folder)
            problem = file_problem(path, relative, relative.as_posix() in read)
            if problem is None and bundled is not None and (bundled / relative).is_file():
                problem = (
                    f"{path}: has the name of a bundled config ({relative.as_posix()}), which "
                    "Hydra would read instead of it; rename it"
                )
            if problem:
                out.append(problem)
    return out
