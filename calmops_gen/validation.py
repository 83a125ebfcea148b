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

import re
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from calmops_gen.errors import ScenarioError, ScenarioErrors, join_path, suggest

M = TypeVar("M", bound=BaseModel)


def key_error(key: str, message: str, value: Any = None) -> ValidationError:
    """A validation error located at ``key`` (so the scenario's error path names the key);
    raise it from a model validator.

    Examples
    --------
    >>> key_error("amount", "give exactly one of amount or amount_std").errors()[0]["loc"]
    ('amount',)
    """
    detail = InitErrorDetails(
        type=PydanticCustomError("value_error", "{message}", {"message": message}),
        loc=tuple(key.split(".")),
        input=value,
    )
    return ValidationError.from_exception_data("event", [detail])


def _numeric_only(annotation: Any) -> bool:
    """Whether a field of this type takes numbers but not true/false."""
    kinds: set[Any] = set()
    stack = [annotation]
    while stack:
        t = stack.pop()
        args = typing.get_args(t)
        if typing.get_origin(t) is typing.Literal:
            kinds.update(type(a) for a in args)
        elif args and typing.get_origin(t) not in (list, tuple, dict):
            stack.extend(args)
        else:
            kinds.add(t)
    return bool(kinds & {int, float}) and bool not in kinds and Any not in kinds


def _numeric_items(annotation: Any) -> bool:
    """Whether a field of this type is a list (or tuple) of numbers, or a mapping to
    numbers, true/false excluded."""
    stack = [annotation]
    while stack:
        t = stack.pop()
        args = [a for a in typing.get_args(t) if a is not Ellipsis]
        if typing.get_origin(t) in (list, tuple):
            return bool(args) and all(_numeric_only(a) for a in args)
        if typing.get_origin(t) is dict:
            return len(args) == 2 and _numeric_only(args[1])
        if args:
            stack.extend(args)
    return False


class ConfigModel(BaseModel):
    """Base of every config model: unknown keys, NaN/infinite numbers and true/false given
    for a number (pydantic would read it as 1 or 0) are errors; models are immutable.

    Examples
    --------
    >>> class Knob(ConfigModel):
    ...     level: int = 0
    >>> try:
    ...     validate(Knob, {"level": True}, "knob")
    ... except ScenarioError as err:
    ...     print(err)
    knob.level: must be a number, not true/false (got True)
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key, value in data.items():
                field = cls.model_fields.get(key) if isinstance(key, str) else None
                if isinstance(value, bool) and field and _numeric_only(field.annotation):
                    raise key_error(key, "must be a number, not true/false", value)
                items = value.values() if isinstance(value, Mapping) else value
                listed = isinstance(value, list | tuple | Mapping) and any(
                    isinstance(v, bool) for v in items
                )
                if listed and field and _numeric_items(field.annotation):
                    raise key_error(key, "must hold numbers, not true/false", value)
        return data


def validate(model: type[M], data: Any, path: str = "") -> M:
    """Validate ``data`` against ``model``; raise :class:`ScenarioError` naming ``path``."""
    if data is None:
        data = {}
    if isinstance(model, type) and not isinstance(data, Mapping):
        raise ScenarioError(path, f"must be a mapping of keys, got {_show(data)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise convert(exc, model, path, data) from None


def convert(
    exc: ValidationError, model: type[BaseModel], path: str, data: Any = None
) -> ScenarioError:
    """Rewrite a pydantic ``ValidationError`` as one or more path-naming errors.

    ``data`` (the validated input) lets the discriminator tags that pydantic inserts into
    locations (``profile.gradual.width``) be dropped, so paths are the keys a user wrote.
    """
    errors: list[ScenarioError] = []
    for err in exc.errors(include_url=False):
        loc = _user_loc(list(err["loc"]), data)
        kind = err["type"]
        bad_key = bool(loc) and loc[-1] == "[key]"  # pydantic's place for a mapping's key
        if bad_key:
            loc = loc[:-1]
        where = join_path(path, *loc)
        if kind == "extra_forbidden":
            fields = _fields_at(model, loc[:-1], data)
            hint = suggest(str(loc[-1]), fields)
            valid = f" Valid keys: {', '.join(sorted(fields))}" if fields else ""
            errors.append(ScenarioError(where, f"unknown key{hint or '.'}{valid}"))
            continue
        if kind == "missing":
            errors.append(ScenarioError(where, "required key is missing"))
            continue
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            errors.append(_tag_error(err, where))
            continue
        if kind in ("model_type", "model_attributes_type"):  # a value where keys belong
            given = err.get("input")
            fields = _fields_at(model, loc, data)
            hint = (
                f"; to choose its kind: {where}.kind={given}"
                if "kind" in fields and isinstance(given, str)
                else ""
            )
            errors.append(
                ScenarioError(where, f"must be a mapping of keys, got {_show(given)}{hint}")
            )
            continue
        message = err["msg"]
        message = message.removeprefix("Value error, ")
        message = message.replace("Input should be", "must be")
        if kind in _BOUNDS:
            span = _range(model, loc, data)
            if span is not None:
                message = f"must be {span}"
        # the input, unless the message shows it already or it is a whole section (a
        # check across keys: its message names them)
        given = err.get("input")
        if "input" in err and kind not in ("model_type", "dict_type"):
            shown = _show(given)
            said = re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w.])", message)
            if not isinstance(given, Mapping) and said is None:
                message = f"{message} (got {shown})"
        if bad_key:
            message = f"the key {message}"
        if kind == "literal_error":  # a misspelt choice: output.format=parqet
            choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
            message += suggest(given, choices)
        errors.append(ScenarioError(where, message))
    return errors[0] if len(errors) == 1 else ScenarioErrors(errors)


def _tag_error(err: Mapping[str, Any], where: str) -> ScenarioError:
    """A discriminated union's bad or missing tag (``kind: gradul``), named by the tag's own
    key, with the tags it takes and a suggestion for a misspelling.

    Examples
    --------
    >>> ctx = {"discriminator": "'kind'", "tag": "gradul", "expected_tags": "'abrupt', 'gradual'"}
    >>> print(_tag_error({"type": "union_tag_invalid", "ctx": ctx}, "schedule.transition"))
    schedule.transition.kind: unknown kind 'gradul'; did you mean 'gradual'? Known: abrupt, gradual
    """
    ctx = err.get("ctx") or {}
    key = str(ctx.get("discriminator", "kind")).strip("'")
    if err["type"] == "union_tag_not_found":
        return ScenarioError(join_path(where, key), "required key is missing")
    tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
    tag = str(ctx.get("tag"))
    hint = suggest(tag, tags)
    return ScenarioError(
        join_path(where, key), f"unknown {key} {tag!r}{hint or '.'} Known: {', '.join(tags)}"
    )


def _child(current: Any, part: Any) -> tuple[bool, Any]:
    """Whether ``part`` is a key/index of ``current`` (the input), and the value there."""
    if isinstance(current, Mapping):
        for key in current:
            if key == part or str(key) == str(part):
                return True, current[key]
        return False, None
    if isinstance(current, list | tuple) and isinstance(part, int) and 0 <= part < len(current):
        return True, current[part]
    return False, None


def _user_loc(loc: list[Any], data: Any) -> list[str]:
    out: list[str] = []
    current = data
    for part in loc:
        found, value = _child(current, part)
        if not found and isinstance(current, Mapping) and current.get("kind") == part:
            continue  # a discriminated union's tag, not a key the user wrote
        out.append(str(part))
        current = value
    return out


def _model_at(model: type[BaseModel], loc: list[str], data: Any) -> type[BaseModel] | None:
    """The model that holds the keys at ``loc`` (``None`` if it is not a model)."""
    current: Any = model
    value = data
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        else:  # an item of a list or mapping field (``condition.0``)
            annotation = _items(current)
            if annotation is None:
                return None
        _, value = _child(value, part)
        current = _member(annotation, value)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _items(annotation: Any) -> Any:
    """The item type of a list, tuple or mapping annotation (also inside ``X | None`` or
    ``Annotated``), else ``None``.

    Examples
    --------
    >>> _items(list[int] | None), _items(dict[str, float]), _items(int | None)
    (<class 'int'>, <class 'float'>, None)
    """
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, dict) or (
        isinstance(origin, type) and issubclass(origin, Sequence | Mapping)
    ):
        return args[-1] if args else None
    for arg in args:  # a union's members, or Annotated's type
        found = _items(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel], loc: list[str], data: Any) -> list[str]:
    found = _model_at(model, loc, data)
    return list(found.model_fields) if found is not None else []


_BOUNDS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def _range(model: type[BaseModel], loc: list[str], data: Any) -> str | None:
    """The valid range of the number field at ``loc`` when it has both ends (``0 to 3``,
    ``above 0 and at most 1``), so a bound error states the whole range."""
    holder = _model_at(model, loc[:-1], data)
    field = holder.model_fields.get(loc[-1]) if holder is not None and loc else None
    if field is None:
        return None
    ends = {
        key: getattr(m, key) for m in field.metadata for key in ("ge", "gt", "le", "lt")
        if isinstance(getattr(m, key, None), int | float)
    }  # fmt: skip
    low = next((k for k in ("ge", "gt") if k in ends), None)
    high = next((k for k in ("le", "lt") if k in ends), None)
    if low is None or high is None:
        return None

    def num(v: float) -> str:
        return str(v) if isinstance(v, int) else f"{v:g}"

    if (low, high) == ("ge", "le"):
        return f"{num(ends[low])} to {num(ends[high])}"
    words = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
    return f"{words[low]} {num(ends[low])} and {words[high]} {num(ends[high])}"


def _member(annotation: Any, value: Any) -> Any:
    """The model a field holds: for a union of models, the one whose ``kind`` matches."""
    args = getattr(annotation, "__args__", ())
    models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
    if not models:
        return annotation
    kind = value.get("kind") if isinstance(value, Mapping) else None
    for m in models:
        tag = m.model_fields.get("kind")
        if tag is not None and tag.default == kind:
            return m
    return models[0]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
