"""Generators, registered by ``kind`` (see :data:`GENERATORS`).

Every module of this package is imported on first import of the package, so a generator
module registers itself just by existing here (plugins use the entry point group instead).
"""

import importlib
import pkgutil

from calmops_gen.generators.base import (
    BlockRequest,
    Column,
    ConceptGenerator,
    Draw,
    Generator,
    GeneratorParams,
    Segment,
)
from calmops_gen.generators.registry import GENERATORS

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "GENERATORS",
    "BlockRequest",
    "Column",
    "ConceptGenerator",
    "Draw",
    "Generator",
    "GeneratorParams",
    "Segment",
]
