"""The roles a column plays, as the manifest records them (``columns`` and
``ground_truth_columns``).

Examples
--------
>>> from typing import get_args
>>> "event_weight" in get_args(Role)
True
"""

from collections.abc import Mapping
from typing import Literal

from calmops_gen.errors import ScenarioError

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


def one_role_each(prefix: str, columns: Mapping[str, str | None]) -> None:
    """Refuse a column named for two roles (``{key: column name}``, e.g. ``target`` and
    ``time_column``): one role would silently replace the other. Errors are reported at
    ``prefix + key``.

    Examples
    --------
    >>> one_role_each("", {"target": "y", "time_column": "t", "block_column": None})
    >>> one_role_each("generator.params.", {"target": "y", "block_column": "y"})
    Traceback (most recent call last):
    ...
    calmops_gen.errors.ScenarioError: generator.params.block_column: 'y' is already the target; ...
    """
    seen: dict[str, str] = {}
    for key, name in columns.items():
        if name is None:
            continue
        if name in seen:
            raise ScenarioError(
                prefix + key, f"{name!r} is already the {seen[name]}; a column has one role"
            )
        seen[name] = key
