"""Categorical feature events: ``category_flip``, ``category_frequency``, ``new_category``,
``merge_categories`` and ``typos``.

Each acts on one ``column`` that holds categories: a string column, a pandas categorical
(Arrow dictionary) column, a bool column or an integer column (integer codes such as
Agrawal's nominal ``elevel``; an integer column named here is treated as codes). Float
columns are refused (numeric events, in turn, refuse nominal columns). ``typos`` needs
strings: a string column or a categorical column of strings (which gains each misspelt
value as a new category).

The **category set** of a column is fixed once per run in ``prepare``: the declared
categories of a categorical column, ``[False, True]`` for a bool column, otherwise the
sorted distinct values of the column in the reference block (``reference_block``, default
0) as generated, before any event. Values that are missing or outside the set (for example
made by an earlier ``new_category``) are never changed by ``category_flip`` and
``category_frequency``. Categories given in YAML are matched to the column's values by value
or by their text (``1`` matches ``"1"``, ``true`` matches ``True``), so ids survive a JSON
or YAML round trip.

Exact formulas (``w``: the row's profile weight, ``0 < w <= 1``):

* ``category_flip``: each selected row with a known category moves with probability
  ``rate * w`` to another category: uniformly among the others, or with ``to`` proportions
  ``{category: p}`` renormalised over the categories other than the row's own (a row whose
  other categories all have ``p = 0`` never moves). Realised: ``rows_flipped``,
  ``flip_rate`` (flipped / rows acted on: the selected rows with weight > 0) beside
  ``expected_flip_rate`` (sum of ``rate * w`` over the rows that can move / rows acted on),
  ``flipped_from`` and ``flipped_to`` counts.
* ``category_frequency``: per block, over the ``n`` selected rows with a known category with
  counts ``c_k``: target counts ``t_k`` are the largest-remainder rounding of
  ``target_k * n`` (they sum to ``n``). Category ``k`` with a surplus gives up
  ``r_k = (c_k - t_k) / c_k * sum(w over its rows)`` rows (rounded by largest remainder so
  that the total moved is ``M = round(sum r_k)``), picked at random with probability
  proportional to ``w`` (weighted sampling without replacement); the ``M`` moved rows are
  shared among the categories with a deficit ``d_k = t_k - c_k`` in proportion to ``d_k``
  (largest remainder), in random order. This is the least number of rows that reaches the
  target: at full weight the counts equal ``t_k`` exactly; at a constant weight ``w`` the
  proportions move the ``w`` share of the way, ``(1 - w) * before + w * target``, up to
  rounding. Realised: ``proportions_before``, ``proportions_after``,
  ``expected_proportions`` and ``target`` (pooled over blocks), ``rows_moved``,
  ``total_variation_before`` / ``_after`` (half the L1 distance to the target).
* ``new_category``: each selected row takes ``value`` (default: the next integer code,
  largest category + 1, in an integer column; ``"<column>_new"`` otherwise) with
  probability ``rate * w``. The value must not be a category of the column (checked against
  the category set; ``preexisting`` counts the rows of the touched blocks that already held
  it, which is 0 unless it appears outside the reference block). Realised:
  ``rows_changed``, ``new_category_rate`` beside ``expected_new_category_rate``.
* ``merge_categories``: each selected row whose category is in ``categories`` (other than
  ``into``) becomes ``into`` (default: the first listed category) with probability ``w``
  (so at full weight every such row is merged). ``into`` may be a new value. Realised:
  ``eligible_rows``, ``rows_merged``, ``share_merged`` beside ``expected_share_merged``
  (mean ``w`` over the eligible rows), ``into_share_before`` / ``_after`` among the selected
  rows.
* ``typos``: each selected non-missing string becomes a typo row with probability
  ``rate * w``; in a typo row each character is edited with probability ``density``, and
  one character chosen at random is always edited, so every typo row gets at least one
  edit. An edit is one of ``operations`` (uniformly): ``swap`` (with the next character;
  not drawn at the last one), ``delete``, ``duplicate``, ``replace`` (by another character
  of ``alphabet``). A character taking part in a swap gets no other edit (an edit right after
  a drawn swap is dropped). A typo never erases a value: where every character of a string
  would be deleted (a one-character string drawn to delete), the forced edit is a
  ``duplicate`` or ``replace`` instead (drawn among those allowed; with neither allowed, that
  character is kept). The strings are edited as a 2-D numpy array of code points (rows x
  longest string), so the memory is ``rows * longest string * 4`` bytes; NUL characters are
  not supported. Realised: ``rows_changed`` (typo rows whose text really changed; a swap of
  two equal characters changes nothing), ``typo_rate`` beside ``expected_typo_rate``
  (``rate`` times the mean weight of the rows with a value: a missing value gets no typo),
  ``edits`` per operation and ``edit_density`` (edits per
  character of the typo rows).

Every event here changes a random subset of its rows (``changes_subset``): the ground truth
marks exactly the rows whose value differs. Columns keep their dtype (a categorical column
gains the new value as a category when needed).

Examples
--------
>>> import numpy as np, pandas as pd
>>> ev = MergeCategories(kind="merge_categories", column="c", categories=["a", "b"], into="ab")
>>> frame = pd.DataFrame({"c": ["a", "b", "c", "a"]})
>>> prep = ev.prepare_from(["a", "b", "c"])
>>> out = ev.apply(frame, np.arange(4), np.ones(4), np.random.default_rng(0), prep)
>>> frame["c"].tolist()
['ab', 'ab', 'c', 'ab']
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field, ValidationInfo, field_validator, model_validator

from calmops_gen.drift.base import (
    Applied,
    DriftEvent,
    EventContext,
    Site,
    integer_overflow,
    require_block,
    require_columns,
)
from calmops_gen.drift.cells import (
    arrow_strings,
    arrow_to_unicode,
    at_rows,
    codes_of,
    equals_value,
    known_rows,
    unicode_to_arrow,
    write_codes,
    write_values,
)
from calmops_gen.drift.picks import reassign
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.values import (
    LabelMap,
    Value,
    by_label,
    canon,
    category_set,
    find_value,
    get_counts,
    match_values,
    plain,
    proportion_report,
    proportion_vector,
    proportions_field,
    put_counts,
)
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.generators.base import Column
from calmops_gen.validation import key_error

# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def require_categorical(
    ctx: EventContext, name: str, path: str, *, strings: bool = False
) -> Column:
    """Check that ``name`` is a categorical feature column (a string column if ``strings``)."""
    require_columns(ctx, [name], path)
    col = ctx.columns[name]
    typ = col.pa_type()
    if pa.types.is_dictionary(typ):
        value = typ.value_type
        if strings and not (pa.types.is_string(value) or pa.types.is_large_string(value)):
            raise ScenarioError(
                path, f"{name!r} is categorical with {value} categories; typos need strings"
            )
        return col
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return col
    if strings:
        raise ScenarioError(path, f"{name!r} is not a string column ({col.dtype})")
    if pa.types.is_integer(typ) or pa.types.is_boolean(typ):
        return col
    if pa.types.is_floating(typ):
        raise ScenarioError(
            path,
            f"{name!r} is a numeric column ({col.dtype}); categorical events need a string, "
            "categorical, bool or integer-coded column",
        )
    raise ScenarioError(path, f"{name!r} is not categorical ({col.dtype})")


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


class CategoricalEvent(DriftEvent):
    """Shared behaviour of events on one categorical ``column``."""

    column: str
    reference_block: int = Field(default=0, ge=0)

    changes_subset: ClassVar[bool] = True
    strings_only: ClassVar[bool] = False

    def touched_columns(self, prepared: Mapping[str, Any] | None = None) -> list[str]:
        return [self.column]

    def check(self, ctx: EventContext, path: str) -> None:
        require_categorical(ctx, self.column, join_path(path, "column"), strings=self.strings_only)
        require_block(ctx, self.reference_block, path)

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        cats = category_set(ctx.reference(self.reference_block), self.column)
        return self.prepare_from(cats, path)

    def prepare_from(self, categories: list[Any], path: str = "") -> dict[str, Any]:
        """Prepared figures from the column's category set (checks the event's categories)."""
        return {"column": self.column, "categories": categories}

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        return {}


@EVENTS.register("category_flip")
class CategoryFlip(CategoricalEvent):
    """Move rows to another existing category with probability ``rate`` times the weight.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"c": ["a", "b", "a"]})
    >>> event = {"kind": "category_flip", "column": "c", "rate": 1.0}
    >>> out = inject(df, {"e": event})
    >>> out.frame["c"].tolist()
    ['b', 'a', 'b']
    """

    kind: Literal["category_flip"] = "category_flip"
    rate: float = Field(ge=0.0, le=1.0)
    to: LabelMap | None = None

    @field_validator("to")
    @classmethod
    def _check_to(cls, value: dict[Value, float] | None) -> dict[Value, float] | None:
        return proportions_field(value, "destination category")

    def prepare_from(self, categories: list[Any], path: str = "") -> dict[str, Any]:
        if len(categories) < 2:
            raise ScenarioError(
                join_path(path, "column"),
                f"{self.column!r} has {len(categories)} category in block "
                f"{self.reference_block}; a flip needs at least two",
            )
        out = super().prepare_from(categories, path)
        if self.to is not None:
            out["to"] = proportion_vector(self.to, categories, join_path(path, "to"), "category")
        return out

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        cats = list(prepared["categories"])
        k = len(cats)
        n = len(rows)
        codes = codes_of(at_rows(frame[self.column], rows), cats)
        p = self.rate * weights
        draw = rng.random(n)
        flip = (draw < p) & (codes >= 0)
        movable = codes >= 0
        at = np.flatnonzero(flip)
        if prepared.get("to") is None:
            offset = rng.integers(1, k, size=n) if k > 2 else None
            # the new category is needed only where a row flips
            new_flip = (codes[at] + (1 if offset is None else offset[at])) % k
        else:
            to = np.asarray(prepared["to"], dtype=np.float64)
            new = codes.copy()
            for c in range(k):
                others = to.copy()
                others[c] = 0.0
                here = codes == c
                if others.sum() <= 0.0:
                    movable &= ~here
                    flip &= ~here
                    continue
                m = flip & here
                new[m] = rng.choice(k, size=int(m.sum()), p=others / others.sum())
            at = np.flatnonzero(flip)
            new_flip = new[at]
        write_codes(frame, self.column, rows[at], cats, new_flip)
        stats = {
            "rows": float(n),
            "flipped": float(len(at)),
            "expected_flips": float((p if movable.all() else p[movable]).sum()),
        }
        put_counts(
            stats,
            flipped_from=np.bincount(codes[at], minlength=k),
            flipped_to=np.bincount(new_flip, minlength=k),
        )
        return Applied(changed=flip, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        cats = prepared["categories"]
        return {
            "rows_flipped": int(totals.get("flipped", 0.0)),
            "flip_rate": totals.get("flipped", 0.0) / rows if rows else 0.0,
            "expected_flip_rate": totals.get("expected_flips", 0.0) / rows if rows else 0.0,
            **{
                key: by_label(cats, get_counts(totals, key, len(cats)).astype(np.int64))
                for key in ("flipped_from", "flipped_to")
            },
        }


@EVENTS.register("category_frequency")
class CategoryFrequency(CategoricalEvent):
    """Move the column's distribution toward ``target`` proportions with the least changes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"c": ["a", "a", "a", "b"]})
    >>> event = {"kind": "category_frequency", "column": "c", "target": {"a": 0.5, "b": 0.5}}
    >>> out = inject(df, {"e": event})
    >>> sorted(out.frame["c"].tolist())
    ['a', 'a', 'b', 'b']
    """

    kind: Literal["category_frequency"] = "category_frequency"
    target: LabelMap

    @field_validator("target")
    @classmethod
    def _check_target(cls, value: dict[Value, float]) -> dict[Value, float]:
        out = proportions_field(value, "category")
        assert out is not None
        return out

    def prepare_from(self, categories: list[Any], path: str = "") -> dict[str, Any]:
        out = super().prepare_from(categories, path)
        out["target"] = proportion_vector(
            self.target, categories, join_path(path, "target"), "category"
        )
        return out

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        cats = list(prepared["categories"])
        k = len(cats)
        target = np.asarray(prepared["target"], dtype=np.float64)
        codes = codes_of(at_rows(frame[self.column], rows), cats)
        moved, new, fig = reassign(codes, weights, target, rng)
        write_codes(frame, self.column, rows[moved], cats, new)
        changed = np.zeros(len(rows), dtype=bool)
        changed[moved] = True
        after = codes.copy()
        after[moved] = new
        known = known_rows(after, codes)
        counts_after = np.bincount(known, minlength=k)
        stats: dict[str, float] = {"rows": float(len(known)), "moved": float(len(moved))}
        put_counts(stats, before=fig["counts"], after=counts_after, expected=fig["expected_after"])
        return Applied(changed=changed, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        n = totals.get("rows", 0.0)
        if not n:
            return {"rows": 0}
        return {
            "rows": int(n),
            "rows_moved": int(totals.get("moved", 0.0)),
            **proportion_report(prepared["categories"], np.asarray(prepared["target"]), totals, n),
        }


def require_storable(ctx: EventContext, name: str, value: Value, path: str) -> None:
    """Check that column ``name`` can hold ``value`` as it is (a new category or a merge
    target): text in a text column, an integer within range in an integer column, a bool in
    a bool column."""
    typ = ctx.columns[name].pa_type()
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if pa.types.is_boolean(typ):
        if not isinstance(value, bool):
            raise ScenarioError(path, f"{name!r} is bool; give true or false (got {value!r})")
    elif pa.types.is_integer(typ):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScenarioError(path, f"{name!r} holds integers; give an integer (got {value!r})")
        problem = integer_overflow(name, np.dtype(typ.to_pandas_dtype()), value, value)
        if problem:
            raise ScenarioError(
                path, f"{problem}; it cannot hold {value}: cast the column to a wider type first"
            )
    elif not isinstance(value, str):
        raise ScenarioError(path, f"{name!r} holds text; give a text value (got {value!r})")


@EVENTS.register("new_category")
class NewCategory(CategoricalEvent):
    """Set rows to a never-seen ``value`` with probability ``rate`` times the weight.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"c": ["a", "b", "a"]})
    >>> event = {"kind": "new_category", "column": "c", "rate": 1.0, "where": {"rows": [1, 3]}}
    >>> out = inject(df, {"e": event})
    >>> out.frame["c"].tolist()
    ['a', 'c_new', 'c_new']
    """

    kind: Literal["new_category"] = "new_category"
    rate: float = Field(ge=0.0, le=1.0)
    value: Value | None = None

    def new_value(self, categories: list[Any]) -> Value:
        """The value written: ``value``, or by default the next integer code (largest
        category + 1) when every category is an integer, else ``"<column>_new"``.

        Examples
        --------
        >>> ev = NewCategory(kind="new_category", column="c", rate=0.1)
        >>> ev.new_value([0, 3, 1]), ev.new_value(["a", "b"])
        (4, 'c_new')
        """
        if self.value is not None:
            return self.value
        codes = [c for c in categories if isinstance(c, int) and not isinstance(c, bool)]
        if codes and len(codes) == len(categories):
            return max(codes) + 1
        return f"{self.column}_new"

    def check(self, ctx: EventContext, path: str) -> None:
        super().check(ctx, path)
        if pa.types.is_boolean(ctx.columns[self.column].pa_type()):
            raise ScenarioError(
                join_path(path, "column"), f"{self.column!r} is bool; it cannot hold a new value"
            )
        if self.value is not None:
            require_storable(ctx, self.column, self.value, join_path(path, "value"))

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        out = super().prepare(ctx, path)
        if self.value is None:  # the default depends on the categories
            require_storable(ctx, self.column, out["value"], join_path(path, "value"))
        return out

    def prepare_from(self, categories: list[Any], path: str = "") -> dict[str, Any]:
        value = self.new_value(categories)
        if any(type(c) is type(value) and c == value for c in categories):
            raise ScenarioError(
                join_path(path, "value"),
                f"{value!r} is already a category of {self.column!r}; choose a new value",
            )
        return {**super().prepare_from(categories, path), "value": value}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        value = prepared["value"]
        p = self.rate * weights
        drawn = rng.random(len(rows)) < p
        holds = equals_value(frame[self.column], value)
        changed = drawn & ~holds[rows]
        write_codes(frame, self.column, rows[changed], [value], np.zeros(int(changed.sum()), int))
        return Applied(
            changed=changed,
            stats={
                "rows": float(len(rows)),
                "changed": float(changed.sum()),
                "expected": float(p.sum()),
                "preexisting": float(holds.sum()),
            },
        )

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        return {
            "value": prepared["value"],
            "rows_changed": int(totals.get("changed", 0.0)),
            "new_category_rate": totals.get("changed", 0.0) / rows if rows else 0.0,
            "expected_new_category_rate": totals.get("expected", 0.0) / rows if rows else 0.0,
            "preexisting": int(totals.get("preexisting", 0.0)),
        }


@EVENTS.register("merge_categories")
class MergeCategories(CategoricalEvent):
    """Merge ``categories`` into ``into`` (each row with probability ``w``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"c": ["a", "b", "c"]})
    >>> event = {"kind": "merge_categories", "column": "c", "categories": ["a", "b"], "into": "ab"}
    >>> out = inject(df, {"e": event})
    >>> out.frame["c"].tolist()
    ['ab', 'ab', 'c']
    """

    kind: Literal["merge_categories"] = "merge_categories"
    categories: list[Value] = Field(min_length=1)
    into: Value | None = None

    @field_validator("into")
    @classmethod
    def _check_into(cls, value: Value | None, info: ValidationInfo) -> Value | None:
        cats = info.data.get("categories") or []
        if value is not None and len(cats) == 1 and canon(cats[0]) == canon(value):
            raise ValueError("merging a category into itself changes nothing")
        return value

    def target_value(self) -> Value:
        """The merged value (default: the first listed category)."""
        return self.categories[0] if self.into is None else self.into

    def check(self, ctx: EventContext, path: str) -> None:
        super().check(ctx, path)
        if self.into is not None:
            require_storable(ctx, self.column, self.into, join_path(path, "into"))

    def prepare_from(self, categories: list[Any], path: str = "") -> dict[str, Any]:
        if len(self.categories) < 2 and self.into is None:
            raise ScenarioError(
                join_path(path, "into"), "give into, or at least two categories to merge"
            )
        idx = match_values(self.categories, categories, join_path(path, "categories"), "category")
        into_idx = find_value(self.target_value(), categories)
        into = categories[into_idx] if into_idx is not None else self.target_value()
        merged = [categories[i] for i in idx if i != into_idx]
        return {**super().prepare_from(categories, path), "merged": merged, "into": into}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        into = prepared["into"]
        values = at_rows(frame[self.column], rows)
        eligible = codes_of(values, prepared["merged"]) >= 0
        is_into = codes_of(values, [into]) >= 0
        changed = eligible & (rng.random(len(rows)) < weights)
        write_codes(frame, self.column, rows[changed], [into], np.zeros(int(changed.sum()), int))
        return Applied(
            changed=changed,
            stats={
                "rows": float(len(rows)),
                "eligible": float(eligible.sum()),
                "merged": float(changed.sum()),
                "expected": float(weights[eligible].sum()),
                "into_before": float(is_into.sum()),
            },
        )

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        eligible = totals.get("eligible", 0.0)
        merged = totals.get("merged", 0.0)
        before = totals.get("into_before", 0.0)
        return {
            "into": plain(prepared["into"]),
            "eligible_rows": int(eligible),
            "rows_merged": int(merged),
            "share_merged": merged / eligible if eligible else 0.0,
            "expected_share_merged": totals.get("expected", 0.0) / eligible if eligible else 0.0,
            "into_share_before": before / rows if rows else 0.0,
            "into_share_after": (before + merged) / rows if rows else 0.0,
        }


TypoOp = Literal["swap", "delete", "duplicate", "replace"]
_OPS: tuple[TypoOp, ...] = ("swap", "delete", "duplicate", "replace")


@EVENTS.register("typos")
class Typos(CategoricalEvent):
    """Character typos in a string column (rows with probability ``rate`` times the weight).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from calmops_gen.injector import inject
    >>> df = pd.DataFrame({"c": ["alpha", "bravo", "delta"]})
    >>> event = {"kind": "typos", "column": "c", "rate": 1.0, "density": 0.0}
    >>> out = inject(df, {"e": event}, seed=3)
    >>> out.frame["c"].tolist()
    ['alph', 'aravo', 'deltr']
    """

    kind: Literal["typos"] = "typos"
    rate: float = Field(ge=0.0, le=1.0)
    density: float = Field(default=0.1, ge=0.0, le=1.0)
    operations: list[TypoOp] = Field(default_factory=lambda: list(_OPS), min_length=1)
    alphabet: str = Field(default=string.ascii_lowercase, min_length=2)

    strings_only: ClassVar[bool] = True

    @field_validator("operations")
    @classmethod
    def _distinct_ops(cls, value: list[TypoOp]) -> list[TypoOp]:
        if len(set(value)) != len(value):
            raise ValueError("lists an operation twice")
        return value

    @field_validator("alphabet")
    @classmethod
    def _check_alphabet(cls, value: str) -> str:
        if "\0" in value or len(set(value)) != len(value):
            raise ValueError("must hold distinct characters (no NUL)")
        return value

    @model_validator(mode="after")
    def _alphabet_needs_replace(self) -> Typos:
        if "alphabet" in self.model_fields_set and "replace" not in self.operations:
            raise key_error("alphabet", "alphabet is for the replace operation", self.alphabet)
        return self

    def prepare(self, ctx: EventContext, path: str) -> dict[str, Any]:
        return {"column": self.column}

    def apply(
        self,
        frame: pd.DataFrame,
        rows: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
        prepared: Mapping[str, Any],
        site: Site | None = None,
    ) -> Applied:
        n = len(rows)
        old = at_rows(frame[self.column], rows)
        present = old.notna().to_numpy()
        typo = (rng.random(n) < self.rate * weights) & present
        stats: dict[str, float] = {
            "rows": float(n),
            # a missing value gets no typo, as category_flip moves no missing value
            "expected": float((self.rate * weights)[present].sum()),
            "typo_rows": float(typo.sum()),
        }
        idx = np.flatnonzero(typo)
        # only the typo rows are read, straight from Arrow when the column is Arrow strings
        data = arrow_strings(old)
        texts = None if data is None else arrow_to_unicode(data.take(pa.array(idx)))
        if texts is None:
            texts = np.asarray(old.iloc[idx].to_numpy(dtype=object).astype(str), dtype=np.str_)
        new_texts, counts, chars = self.edit(texts, rng)
        differs = new_texts != texts
        changed = np.zeros(n, dtype=bool)
        changed[idx[differs]] = True
        edited = new_texts[differs]
        encoded = unicode_to_arrow(edited) if data is not None else None
        write_values(frame, self.column, rows[changed], edited if encoded is None else encoded)
        stats["changed"] = float(changed.sum())
        stats["chars"] = float(chars)
        for op, count in counts.items():
            stats[f"edits:{op}"] = float(count)
        return Applied(changed=changed, stats=stats)

    def edit(
        self, texts: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, dict[str, int], int]:
        """Typos in every string of ``texts`` (a numpy unicode array), vectorised.

        Returns the edited strings, the number of edits per operation and the number of
        characters of the input strings.
        """
        counts: dict[str, int] = {op: 0 for op in self.operations}
        m = len(texts)
        if m == 0:
            return texts, counts, 0
        lengths = np.char.str_len(texts).astype(np.int64)
        width = max(int(lengths.max()), 1)
        chars = np.ascontiguousarray(texts.astype(f"<U{width}")).view(np.uint32).reshape(m, width)
        pos = np.arange(width)[None, :]
        inside = pos < lengths[:, None]
        forced = np.floor(rng.random(m) * lengths).astype(np.int64)
        edit = inside & ((rng.random((m, width)) < self.density) | (pos == forced[:, None]))
        ops = np.asarray([_OPS.index(o) for o in self.operations], dtype=np.int8)
        no_swap = ops[ops != 0]
        u = rng.random((m, width))
        # the operation of each edited cell (-1 elsewhere), drawn from u; at a string's last
        # character from the operations other than swap
        cells = np.flatnonzero(edit)
        drawn = u.reshape(-1)[cells]
        picked = ops[np.minimum((drawn * len(ops)).astype(np.int64), len(ops) - 1)]
        at_last = (cells % width) == lengths[cells // width] - 1
        if len(no_swap):
            alt = drawn[at_last] * len(no_swap)
            picked[at_last] = no_swap[np.minimum(alt.astype(np.int64), len(no_swap) - 1)]
        else:
            picked[at_last] = -1
        code = np.full((m, width), -1, dtype=np.int8)
        code.reshape(-1)[cells] = picked
        swap = code == 0
        after_swap = np.zeros_like(swap)
        after_swap[:, 1:] = swap[:, :-1]
        code[after_swap] = -1
        # a typo never erases a value: where every character would be deleted (always, for
        # a one-character string drawn to delete), the forced edit becomes a duplicate or a
        # replace (or, with neither allowed, no edit)
        erased = np.flatnonzero(((code == 1) | ~inside).all(axis=1) & (lengths > 0))
        if erased.size:
            at = erased * width + forced[erased]
            keep = ops[ops >= 2]
            if len(keep):
                alt = (rng.random(erased.size) * len(keep)).astype(np.int64)
                code.reshape(-1)[at] = keep[np.minimum(alt, len(keep) - 1)]
            else:
                code.reshape(-1)[at] = -1
        swap = code == 0
        out = chars.copy()
        # a swap is never drawn at a string's last character, so the next cell is in the
        # string (and, after the line above, is not a swap itself)
        at = np.flatnonzero(swap)
        flat_out, flat_chars = out.reshape(-1), chars.reshape(-1)
        flat_out[at] = flat_chars[at + 1]
        flat_out[at + 1] = flat_chars[at]
        replace = code == 3
        alphabet = np.sort(np.frombuffer(self.alphabet.encode("utf-32-le"), dtype=np.uint32))
        a = len(alphabet)
        current = out[replace]
        at = np.minimum(np.searchsorted(alphabet, current), a - 1)
        own = np.where(alphabet[at] == current, at, -1)
        pick = rng.integers(0, a - 1, size=current.size)
        pick = np.where((own >= 0) & (pick >= own), pick + 1, pick)
        out[replace] = alphabet[pick]
        emit = inside.astype(np.int8)
        emit[code == 1] = 0
        emit[code == 2] = 2
        new_len = emit.sum(axis=1, dtype=np.int64)
        new_width = max(int(new_len.max()), 1)
        flat = np.repeat(out.ravel(), emit.ravel())
        result = np.zeros((m, new_width), dtype=np.uint32)
        result[np.arange(new_width)[None, :] < new_len[:, None]] = flat  # row by row
        edited = result.view(f"<U{new_width}").reshape(m)
        # only edited cells hold an operation
        tally = np.bincount(code.reshape(-1)[cells].astype(np.int64) + 1, minlength=len(_OPS) + 1)
        for i, op in enumerate(_OPS):
            if op in counts:
                counts[op] = int(tally[i + 1])
        return edited, counts, int(lengths.sum())

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        edits = {op: int(totals.get(f"edits:{op}", 0.0)) for op in self.operations}
        chars = totals.get("chars", 0.0)
        return {
            "typo_rows": int(totals.get("typo_rows", 0.0)),
            "rows_changed": int(totals.get("changed", 0.0)),
            "typo_rate": totals.get("changed", 0.0) / rows if rows else 0.0,
            "expected_typo_rate": totals.get("expected", 0.0) / rows if rows else 0.0,
            "edits": edits,
            "edit_density": sum(edits.values()) / chars if chars else 0.0,
            "density": self.density,
        }
