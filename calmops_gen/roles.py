"""The roles a column plays, as the manifest records them (``columns`` and
``ground_truth_columns``).

Examples
--------
>>> from typing import get_args
>>> "event_weight" in get_args(Role)
True
"""

from typing import Literal

#: What a column holds. Data columns: feature, target, time, block (its index), label_time
#: (when the label becomes available). Ground-truth columns: row (global position), block,
#: concept (id) and concept_weight (incremental transitions), event_weight (an event's
#: weight on the row) and event_changed (whether a random-subset event changed the row).
Role = Literal[
    "feature",
    "target",
    "time",
    "block",
    "label_time",
    "row",
    "concept",
    "concept_weight",
    "event_weight",
    "event_changed",
]
