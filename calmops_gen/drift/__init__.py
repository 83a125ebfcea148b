"""Drift events: what changes, where and how (registered by ``kind``, see :data:`EVENTS`).

Every module of this package is imported on first import of the package, so an event
module registers itself just by existing here.
"""

import importlib
import pkgutil

from calmops_gen.drift.base import Applied, DriftEvent, EventContext
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.selection import Condition, Span, Where

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["EVENTS", "Applied", "Condition", "DriftEvent", "EventContext", "Span", "Where"]
