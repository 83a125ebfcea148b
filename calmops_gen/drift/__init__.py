"""Drift events: what changes, where and how (registered by ``kind``)."""

from calmops_gen.drift import labels, numeric
from calmops_gen.drift.base import Applied, DriftEvent, EventContext
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.selection import Condition, Span, Where

__all__ = [
    "EVENTS",
    "Applied",
    "Condition",
    "DriftEvent",
    "EventContext",
    "Span",
    "Where",
    "labels",
    "numeric",
]
