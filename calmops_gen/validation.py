"""Turn pydantic validation errors into :class:`~calmops_gen.errors.ScenarioError`.

Pydantic does the checking; this module only rewrites its errors so that each one names the
config path a user wrote (``schedule.rows_per_block: must be > 0 (got 0)``) and suggests the
closest valid key for a misspelt one.

Examples
--------
>>> from pydantic import BaseModel, ConfigDict
>>> class Out(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     format: str = "parquet"
>>> try:
...     validate(Out, {"fromat": "csv"}, "output")
... except ScenarioError as err:
...     print(err)
output.fromat: unknown key; did you mean 'format'? Valid keys: format
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from calmops_gen.errors import ScenarioError, ScenarioErrors, join_path, suggest

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, path: str = "") -> M:
    """Validate ``data`` against ``model``; raise :class:`ScenarioError` naming ``path``."""
    if data is None:
        data = {}
    if isinstance(model, type) and not isinstance(data, Mapping):
        raise ScenarioError(path, f"must be a mapping of keys, got {_show(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise convert(exc, model, path) from None


def convert(exc: ValidationError, model: type[BaseModel], path: str) -> ScenarioError:
    """Rewrite a pydantic ``ValidationError`` as one or more path-naming errors."""
    errors: list[ScenarioError] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        where = join_path(path, *loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            fields = _fields_at(model, loc[:-1])
            hint = suggest(loc[-1], fields)
            valid = ", ".join(sorted(fields)) if fields else "none"
            errors.append(ScenarioError(where, f"unknown key{hint or '.'} Valid keys: {valid}"))
            continue
        if kind == "missing":
            errors.append(ScenarioError(where, "required key is missing"))
            continue
        message = err["msg"]
        message = message.removeprefix("Value error, ")
        message = message.replace("Input should be", "must be")
        if "input" in err and kind not in ("model_type", "dict_type"):
            message = f"{message} (got {_show(err['input'])})"
        errors.append(ScenarioError(where, message))
    return errors[0] if len(errors) == 1 else ScenarioErrors(errors)


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
        args = getattr(current, "__args__", ())
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if models:
            current = models[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
