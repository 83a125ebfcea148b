"""Generators, registered by ``kind`` (see :data:`GENERATORS`)."""

from calmops_gen.generators import agrawal, sea, table
from calmops_gen.generators.base import (
    BlockRequest,
    Column,
    ConceptGenerator,
    Generator,
    GeneratorParams,
    Segment,
)
from calmops_gen.generators.registry import GENERATORS

__all__ = [
    "GENERATORS",
    "BlockRequest",
    "Column",
    "ConceptGenerator",
    "Generator",
    "GeneratorParams",
    "Segment",
    "agrawal",
    "sea",
    "table",
]
