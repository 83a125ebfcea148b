"""The generator registry: ``generator.kind`` names -> :class:`Generator` classes.

Third-party packages add generators through the entry point group
``calmops_gen.generators`` (``name = "package.module:Class"``).

Examples
--------
>>> import calmops_gen.generators  # registers the built-in generators
>>> "sea" in GENERATORS.names()
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmops_gen.registry import Registry

if TYPE_CHECKING:
    from calmops_gen.generators.base import Generator

GENERATORS: Registry[type[Generator]] = Registry("generator", "calmops_gen.generators")
