"""The drift event registry: ``drift.<id>.kind`` names -> :class:`DriftEvent` models.

Examples
--------
>>> import calmops_gen.drift  # registers the built-in events
>>> {"shift", "scale", "noise", "label_flip"} <= set(EVENTS.names())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmops_gen.registry import Registry

if TYPE_CHECKING:
    from calmops_gen.drift.base import DriftEvent

EVENTS: Registry[type[DriftEvent]] = Registry("drift event")
