"""Seed-system facades over the engine: ``GeneratorFactory``, ``SyntheticGenerator``,
``SyntheticBlockGenerator`` (and the engine-backed ``SyntheticStream`` they share)."""

from calmops_gen.synthetic.blocks import SyntheticBlockGenerator
from calmops_gen.synthetic.factory import GeneratorConfig, GeneratorFactory, GeneratorType
from calmops_gen.synthetic.generator import DateConfig, SyntheticGenerator
from calmops_gen.synthetic.streams import SyntheticStream, as_stream

__all__ = [
    "DateConfig",
    "GeneratorConfig",
    "GeneratorFactory",
    "GeneratorType",
    "SyntheticBlockGenerator",
    "SyntheticGenerator",
    "SyntheticStream",
    "as_stream",
]
