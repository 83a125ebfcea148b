"""Name -> class registries: how YAML ``kind`` names become code, without import paths.

A scenario never names a Python object; it names a ``kind`` that a registry maps to a class
that the package (or an installed plugin, through an entry point group) registered.

Examples
--------
>>> reg: Registry[type] = Registry("thing", "example.things")
>>> @reg.register("alpha")
... class Alpha: ...
>>> reg.get("alpha", "x.kind") is Alpha
True
>>> try:
...     reg.get("alpah", "x.kind")
... except ScenarioError as err:
...     print(err)
x.kind: unknown thing 'alpah'; did you mean 'alpha'? Known: alpha
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Generic, TypeVar

from calmops_gen.errors import ScenarioError, suggest

T = TypeVar("T")

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class Registry(Generic[T]):
    """A registry of one family (generators, drift events).

    Parameters
    ----------
    family
        Human name of the family, used in error messages.
    entry_point_group
        Optional entry point group from which installed plugins are loaded on first lookup.
    """

    def __init__(self, family: str, entry_point_group: str | None = None) -> None:
        self.family = family
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._plugins_loaded = entry_point_group is None

    def register(self, name: str) -> Callable[[T], T]:
        """Class decorator registering ``obj`` under ``name``."""
        if not KIND_PATTERN.fullmatch(name):
            raise ValueError(f"{self.family} name {name!r} must match {KIND_PATTERN.pattern}")

        def decorator(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.family} {name!r} is already registered")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str, path: str) -> T:
        """Return the entry for ``name`` or raise a :class:`ScenarioError` at ``path``."""
        self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items))
            hint = suggest(str(name), self._items) or "."
            raise ScenarioError(
                path, f"unknown {self.family} {name!r}{hint} Known: {known}"
            ) from None

    def names(self) -> list[str]:
        """Sorted registered names (plugins included)."""
        self._load_plugins()
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        """Registered ``(name, entry)`` pairs in name order."""
        for name in self.names():
            yield name, self._items[name]

    def _load_plugins(self) -> None:
        if self._plugins_loaded or self.entry_point_group is None:
            return
        self._plugins_loaded = True
        for entry in metadata.entry_points(group=self.entry_point_group):
            if entry.name not in self._items:
                self.register(entry.name)(entry.load())
