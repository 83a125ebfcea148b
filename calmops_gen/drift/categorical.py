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
  ``flip_rate`` (flipped / selected rows) beside ``expected_flip_rate`` (sum of ``rate * w``
  over the rows that can move / selected rows), ``flipped_from`` and ``flipped_to`` counts.
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
>>> largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist()
[2, 1, 1]
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from calmops_gen.drift.base import (
    Applied,
    DriftEvent,
    EventContext,
    Site,
    integer_overflow,
    require_columns,
    write_rows,
)
from calmops_gen.drift.registry import EVENTS
from calmops_gen.drift.selection import contiguous
from calmops_gen.errors import ScenarioError, join_path
from calmops_gen.generators.base import Column
from calmops_gen.validation import key_error

Value = bool | int | str
"""A category or class label as written in YAML (matched to the data by :func:`canon`)."""


def _label_keys(value: Any) -> Any:
    """One clear error for a mapping keyed by something that is not a label (a float of a
    regression target, a date, ...), instead of one per key and per label type."""
    if isinstance(value, Mapping):
        for key in value:
            whole = isinstance(key, float) and key.is_integer()
            if not (isinstance(key, bool | int | str) or whole):
                raise ValueError(
                    f"keys are class or category labels (text, integers or true/false), got "
                    f"{key!r} ({type(key).__name__}); a float column has no classes"
                )
    return value


#: ``{label: number}`` (proportions, rates, weights) keyed by class or category labels.
LabelMap = Annotated[dict[Value, float], BeforeValidator(_label_keys)]

PROPORTION_TOLERANCE = 1e-6


# ---------------------------------------------------------------------------------------------
# Shared helpers (also used by the label, concept and joint events)
# ---------------------------------------------------------------------------------------------


def canon(value: Any) -> str:
    """Text form used to match a YAML category to a data value.

    Examples
    --------
    >>> [canon(True), canon(np.int64(3)), canon("a"), canon(2.0)]
    ['true', '3', 'a', '2']
    """
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def find_value(value: Any, known: Sequence[Any]) -> int | None:
    """Index of ``value`` in ``known`` (exact match first, then by :func:`canon`)."""
    for i, k in enumerate(known):
        if type(k) is type(value) and k == value:
            return i
    text = canon(value).lower()
    for i, k in enumerate(known):
        if canon(k).lower() == text:
            return i
    if all(isinstance(k, bool | np.bool_) for k in known) and text in ("0", "1"):
        return find_value(text == "1", known)
    return None


def match_values(values: Sequence[Any], known: Sequence[Any], path: str, what: str) -> list[int]:
    """Indices of ``values`` in ``known``; raise :class:`ScenarioError` at ``path`` if unknown."""
    out = []
    for v in values:
        i = find_value(v, known)
        if i is None:
            shown = ", ".join(canon(k) for k in known)
            raise ScenarioError(path, f"unknown {what} {v!r}; known: {shown}")
        out.append(i)
    if len(set(out)) != len(out):
        raise ScenarioError(path, f"lists the same {what} twice")
    return out


def plain(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (JSON-serialisable)."""
    return value.item() if isinstance(value, np.generic) else value


def largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` nearest to ``quotas`` (largest-remainder rounding).

    Floors first, then one more unit to the largest fractional parts (ties: lower index
    first). ``quotas`` should sum to about ``total``.
    """
    quotas = np.maximum(np.asarray(quotas, dtype=np.float64), 0.0)
    base = np.floor(quotas + 1e-9).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        frac = quotas - base
        order = np.argsort(-frac, kind="stable")
        base[order[:short]] += 1
    elif short < 0:
        frac = quotas - base
        order = np.argsort(frac, kind="stable")
        order = order[base[order] > 0][:-short]
        base[order] -= 1
    return base


def is_categorical_dtype(series: pd.Series) -> bool:
    """True for a pandas categorical column."""
    return isinstance(series.dtype, pd.CategoricalDtype)


# Arrow-backed string columns (pandas 3's default ``str``) are read and written as Arrow
# arrays, never as Python objects; on pandas 2 they go through the general pandas path.
_ARROW_STRINGS = int(pd.__version__.split(".")[0]) >= 3


def at_rows(series: pd.Series, rows: np.ndarray) -> pd.Series:
    """``series.iloc[rows]``, as a slice (no gather or Arrow ``take``) when the rows are
    contiguous."""
    at = contiguous(rows)
    return series.iloc[at] if isinstance(at, slice) else series.iloc[rows]


def arrow_strings(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow data of a pyarrow-backed string column (zero copy), else ``None``.

    Examples
    --------
    >>> arrow_strings(pd.Series([1, 2])) is None
    True
    """
    if not _ARROW_STRINGS:
        return None
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        if not str(dtype.storage).startswith("pyarrow"):
            return None
    elif isinstance(dtype, pd.ArrowDtype):
        typ = dtype.pyarrow_dtype
        if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
            return None
    else:
        return None
    data = pa.array(series)
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def _all_of(values: Sequence[Any], kinds: tuple[type, ...]) -> bool:
    return all(isinstance(v, kinds) and not isinstance(v, bool | np.bool_) for v in values)


def codes_of(values: pd.Series, categories: Sequence[Any]) -> np.ndarray:
    """Position of each value in ``categories`` (``-1``: missing or not a category).

    Examples
    --------
    >>> codes_of(pd.Series(["b", None, "z", "a"]), ["a", "b"]).tolist()
    [1, -1, -1, 0]
    >>> codes_of(pd.Series([3, 1, 2]), [1, 3]).tolist()
    [1, 0, -1]
    """
    cats = list(categories)
    if len(values) and len(set(cats)) == len(cats):
        fast = _fast_codes(values, cats)
        if fast is not None:
            return fast
    index = pd.Index(cats)
    if is_categorical_dtype(values):
        values = values.astype(object)
    codes = index.get_indexer(pd.Index(values.to_numpy(dtype=object)))
    return np.asarray(codes, dtype=np.int64)


def _fast_codes(values: pd.Series, cats: list[Any]) -> np.ndarray | None:
    """:func:`codes_of` without Python objects, for the dtypes where the result is the same
    as pandas' ``get_indexer`` on objects: Arrow strings with text categories (Arrow's
    ``index_in``), integer and bool columns with integer and bool categories (a binary search
    on the sorted categories) and categoricals (their few categories looked up once);
    ``None`` for anything else."""
    dtype = values.dtype
    if is_categorical_dtype(values):
        lookup = codes_of(pd.Series(values.cat.categories), cats)
        codes = values.cat.codes.to_numpy()
        out: np.ndarray = np.full(len(codes), -1, dtype=np.int64)
        known = codes >= 0
        out[known] = lookup[codes[known]]
        return out
    if isinstance(dtype, np.dtype):
        arr = values.to_numpy()
        if dtype.kind == "b":
            if not all(isinstance(c, bool | np.bool_) for c in cats):
                return None
            where = {bool(c): i for i, c in enumerate(cats)}
            out = np.where(arr, where.get(True, -1), where.get(False, -1)).astype(np.int64)
            return out
        if dtype.kind not in "iu" or (dtype.kind == "u" and dtype.itemsize >= 8):
            return None
        if not _all_of(cats, (int, np.integer)):
            return None
        try:
            known = np.asarray(cats, dtype=np.int64)
        except OverflowError:
            return None
        if not len(known):
            return np.full(len(arr), -1, dtype=np.int64)
        low, span = int(known.min()), int(known.max()) - int(known.min()) + 1
        if span <= max(4 * len(known), 1024):
            # a lookup table over the categories' range, -1 on both sides of it
            table = np.full(span + 2, -1, dtype=np.int64)
            table[known - low + 1] = np.arange(len(known))
            # index 0 and span + 1 hold -1: values outside the range are clipped onto them
            out = table.take(np.subtract(arr, low - 1, dtype=np.int64), mode="clip")
            return out
        order = np.argsort(known, kind="stable")
        ordered = known[order]
        found = np.minimum(np.searchsorted(ordered, arr), len(ordered) - 1)
        out = np.where(ordered[found] == arr, order[found], -1).astype(np.int64)
        return out
    data = arrow_strings(values)
    if data is None or not all(isinstance(c, str) for c in cats):
        return None
    found = pc.index_in(data, value_set=pa.array(cats, type=data.type))
    return np.asarray(found.fill_null(-1).to_numpy(), dtype=np.int64)


def write_values(frame: pd.DataFrame, name: str, rows: np.ndarray, new: Sequence[Any]) -> None:
    """Set ``frame[name]`` at positions ``rows`` to ``new``, keeping the column's dtype.

    The column is replaced by a new one: arrays the frame shared with anything else are
    never written to.
    """
    if len(rows) == 0:
        return
    column = frame[name]
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        write_rows(frame, name, rows, np.asarray(new, dtype=dtype))
        return
    if not isinstance(new, pa.Array) and arrow_strings(column) is not None:
        if isinstance(new, np.ndarray) and new.dtype.kind == "U":
            new = pa.array(new, type=pa.large_string())
        elif all(isinstance(v, str) for v in new):
            new = pa.array(list(new), type=pa.large_string())
    if isinstance(new, pa.Array) and _write_arrow(frame, name, rows, new):
        return
    if isinstance(new, pa.Array):
        new = new.to_numpy(zero_copy_only=False)
    if isinstance(new, np.ndarray) and new.dtype.kind == "U":
        new = new.astype(object)
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype):
        frame[name] = _with_dictionary_values(column, rows, np.asarray(new, dtype=object))
        return
    changed = frame[name].copy()
    if is_categorical_dtype(changed):
        missing = pd.Index(pd.unique(np.asarray(new, dtype=object))).difference(
            changed.cat.categories
        )
        if len(missing):
            changed = changed.cat.add_categories(list(missing))
    arr = np.empty(len(new), dtype=object)
    arr[:] = list(new) if not isinstance(new, np.ndarray) else new
    changed.iloc[rows] = arr
    frame[name] = changed


def write_codes(
    frame: pd.DataFrame,
    name: str,
    rows: np.ndarray,
    categories: Sequence[Any],
    codes: np.ndarray,
) -> None:
    """Set ``frame[name]`` at positions ``rows`` to ``categories[codes]`` (see
    :func:`write_values`), without building Python objects where the column allows it."""
    if len(rows) == 0:
        return
    column = frame[name]
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        write_rows(frame, name, rows, np.asarray(list(categories), dtype=dtype)[codes])
        return
    if all(isinstance(c, str) for c in categories):
        data = arrow_strings(column)
        if data is not None:
            new = pa.array(list(categories), type=data.type).take(pa.array(codes))
            if _write_arrow(frame, name, rows, new):
                return
    write_values(frame, name, rows, [categories[i] for i in codes])


def equals_value(column: pd.Series, value: Any) -> np.ndarray:
    """Per row, whether ``column`` holds ``value`` (missing: ``False``), compared in the
    column's own representation where that gives the same answer as comparing objects.

    Examples
    --------
    >>> equals_value(pd.Series(["a", None, "b"]), "b").tolist()
    [False, False, True]
    """
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and _all_of([value], (int, np.integer)):
        return np.asarray(column.to_numpy() == value, dtype=bool)
    data = arrow_strings(column) if isinstance(value, str) else None
    if data is not None:
        same = pc.equal(data, pa.scalar(value, type=data.type)).fill_null(False)
        return np.asarray(same.to_numpy(), dtype=bool)
    return np.asarray((column.astype(object) == value).to_numpy(dtype=bool), dtype=bool)


def _with_dictionary_values(column: pd.Series, rows: np.ndarray, new: np.ndarray) -> pd.Series:
    """A copy of Arrow dictionary column ``column`` holding ``new`` at ``rows``: its
    dictionary in order (an ordered one keeps its meaning), then any new values; missing
    values elsewhere stay missing (pandas' own setitem on such a column fills them in).

    Examples
    --------
    >>> dt = pd.ArrowDtype(pa.dictionary(pa.int8(), pa.string()))
    >>> s = pd.Series(["b", None, "a"], dtype=dt)
    >>> out = _with_dictionary_values(s, np.array([2]), np.array(["z"], dtype=object))
    >>> out.tolist()[::2], out.isna().tolist(), pa.array(out).dictionary.to_pylist()
    (['b', 'z'], [False, True, False], ['b', 'a', 'z'])
    """
    whole = pa.array(column)
    if isinstance(whole, pa.ChunkedArray):
        whole = whole.unify_dictionaries().combine_chunks()
    data: pa.DictionaryArray = whole
    typ = data.type
    known = data.dictionary.to_pylist()
    seen = set(known)
    extra = [v for v in pd.unique(new) if v is not None and v == v and v not in seen]
    values = pa.array(known + extra, type=typ.value_type)
    codes = data.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    # a dictionary may repeat a value (Arrow allows it): the first place names it
    index = pd.Index(known + extra)
    first = ~index.duplicated()
    found = index[first].get_indexer(pd.Index(new, dtype=object))
    codes[rows] = np.where(found >= 0, np.flatnonzero(first)[found], -1)
    if len(values) - 1 > np.iinfo(typ.index_type.to_pandas_dtype()).max:
        raise ScenarioError(
            "column",
            f"{column.name!r} is a dictionary column with {typ.index_type} indices, which "
            f"cannot number {len(values)} values; cast it to a wider index type first",
        )
    indices = pa.array(codes, mask=codes < 0).cast(typ.index_type)
    out = pa.DictionaryArray.from_arrays(indices, values, ordered=typ.ordered)
    return pd.Series(pd.array(out, dtype=column.dtype), index=column.index, name=column.name)


def _write_arrow(frame: pd.DataFrame, name: str, rows: np.ndarray, new: pa.Array) -> bool:
    """Arrow string column ``name`` with ``new`` (strings) at ``rows``; ``False`` (nothing
    written) when the column is not an Arrow string column or ``rows`` repeat a position.

    Only the span from the first to the last changed row is rebuilt (one Arrow ``take``);
    the rest of the column is kept as zero-copy slices.
    """
    column = frame[name]
    data = arrow_strings(column)
    if data is None:
        return False
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) > 1 and not bool((rows[1:] > rows[:-1]).all()):
        ordered, which = _last_wins(rows, np.arange(len(rows)), len(column))
        if len(ordered) != len(rows):
            return False  # a repeated position: left to pandas
        rows, new = ordered, new.take(pa.array(which))
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    n = hi - lo
    indexer = np.arange(n, dtype=np.int64)
    indexer[rows - lo] = n + np.arange(len(rows), dtype=np.int64)
    span = data.slice(lo, n).chunks
    mid = pa.concat_arrays([*span, new.cast(data.type)]).take(pa.array(indexer))
    chunks = [*data.slice(0, lo).chunks, mid, *data.slice(hi).chunks]
    out: Any = pd.array(
        pa.chunked_array([c for c in chunks if len(c)], type=data.type), dtype=column.dtype
    )
    if out.dtype != column.dtype or len(out) != len(column):
        return False
    frame[name] = pd.Series(out, index=frame.index, name=name, copy=False)
    return True


def arrow_to_unicode(data: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Arrow strings (no nulls) as a numpy unicode array, decoding UTF-8 with numpy instead
    of making Python strings; ``None`` (use Python strings) for nulls or a NUL character.

    The result equals ``np.asarray(data.to_pylist(), dtype=np.str_)``.

    Examples
    --------
    >>> arrow_to_unicode(pa.array(["ab", "", "é€😀"])).tolist()
    ['ab', '', 'é€😀']
    """
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    m = len(data)
    wide = pa.types.is_large_string(data.type)
    if data.null_count or not (wide or pa.types.is_string(data.type)):
        return None
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[data.offset : data.offset + m + 1].astype(np.int64)
    raw = data.buffers()[2]
    first, last = int(offsets[0]), int(offsets[-1])
    body = np.zeros(0, np.uint8) if raw is None else np.frombuffer(raw, np.uint8)[first:last]
    ends = offsets - first
    if body.size and int(body.max()) >= 0x80:
        lead = (body & 0xC0) != 0x80
        at = np.flatnonzero(lead)
        b = body[at].astype(np.uint32)
        size = 1 + (b >= 0xC0).astype(np.int64) + (b >= 0xE0) + (b >= 0xF0)
        points = b & np.array([0, 0x7F, 0x1F, 0x0F, 0x07], dtype=np.uint32)[size]
        for j in (1, 2, 3):
            more = np.flatnonzero(size > j)
            points[more] = (points[more] << 6) | (body[at[more] + j] & 0x3F)
        counts = np.concatenate([[0], np.cumsum(lead)])
        per_row = counts[ends[1:]] - counts[ends[:-1]]
    else:
        points = body.astype(np.uint32)
        per_row = np.diff(ends)
    if points.size and not points.all():
        return None  # a NUL character: numpy would strip it at the end of a string
    width = max(int(per_row.max()) if m else 1, 1)
    out = np.zeros((m, width), dtype=np.uint32)
    out[np.arange(width)[None, :] < per_row[:, None]] = points  # row by row
    return out.view(f"<U{width}").reshape(m)


def unicode_to_arrow(texts: np.ndarray) -> pa.Array | None:
    """A numpy unicode array as Arrow ``large_string``, encoding UTF-8 with numpy; ``None``
    (use Python strings) for code points UTF-8 cannot hold (surrogates).

    Examples
    --------
    >>> unicode_to_arrow(np.array(["ab", "", "é€😀"])).to_pylist()
    ['ab', '', 'é€😀']
    """
    m = len(texts)
    width = texts.dtype.itemsize // 4
    lengths = np.char.str_len(texts).astype(np.int64)
    grid = np.ascontiguousarray(texts).view(np.uint32).reshape(m, width)
    points = grid[np.arange(width)[None, :] < lengths[:, None]]
    if points.size and int(points.max()) >= 0x80:
        if bool(((points >= 0xD800) & (points <= 0xDFFF)).any()):
            return None
        size = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
        start = np.cumsum(size) - size
        body = np.empty(int(size.sum()), dtype=np.uint8)
        shift = 6 * (size - 1)
        body[start] = (np.array([0, 0, 0xC0, 0xE0, 0xF0])[size] | (points >> shift)) & 0xFF
        for j in (1, 2, 3):
            more = np.flatnonzero(size > j)
            bits = (points[more] >> (shift[more] - 6 * j)) & 0x3F
            body[start[more] + j] = 0x80 | bits
        row_of = np.repeat(np.arange(m), lengths)
        row_bytes = np.bincount(row_of, weights=size, minlength=m).astype(np.int64)
    else:
        body = points.astype(np.uint8)
        row_bytes = lengths
    offsets = np.concatenate([[0], np.cumsum(row_bytes)]).astype(np.int64)
    return pa.LargeStringArray.from_buffers(m, pa.py_buffer(offsets), pa.py_buffer(body))


def take_rows(
    frame: pd.DataFrame, columns: Sequence[str], dst: np.ndarray, src: np.ndarray
) -> None:
    """Copy whole rows: ``frame[c]`` at ``dst`` gets the values at ``src`` for every column
    (as they were before; a position listed twice in ``dst`` takes its last ``src``).

    Only the moved rows are written: a numpy column is copied with the rows scattered into
    it, an Arrow string column rebuilt over the span of the moved rows
    (:func:`_write_arrow`); other extension columns are rebuilt with one ``take``.
    """
    if len(dst) == 0:
        return
    dst, src = _last_wins(np.asarray(dst, dtype=np.int64), np.asarray(src), len(frame))
    indexer: np.ndarray | None = None
    for c in columns:
        column = frame[c]
        if isinstance(column.dtype, np.dtype):
            write_rows(frame, c, dst, column.to_numpy()[src])
            continue
        data = arrow_strings(column)
        if data is not None:
            moved = data.take(pa.array(src)).combine_chunks()
            if _write_arrow(frame, c, dst, moved):
                continue
        if indexer is None:
            indexer = np.arange(len(frame))
            indexer[dst] = src
        frame[c] = pd.Series(column.array.take(indexer), index=frame.index, name=c)


def _last_wins(dst: np.ndarray, src: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(dst, src)`` pairs ordered by ``dst``, keeping the last pair of a repeated ``dst``
    (what assigning them in order leaves)."""
    if len(dst) < 2 or bool((dst[1:] > dst[:-1]).all()):
        return dst, src
    last = np.full(n, -1, dtype=np.int64)
    last[dst] = np.arange(len(dst))
    at = np.flatnonzero(last >= 0)
    return at, src[last[at]]


def rows_differ(before: pd.DataFrame, after: pd.DataFrame) -> np.ndarray:
    """Per row, whether any column differs (missing equals missing).

    Examples
    --------
    >>> a = pd.DataFrame({"x": pd.array([1, None, 3], dtype="Int64"), "s": ["a", "b", None]})
    >>> b = pd.DataFrame({"x": pd.array([1, None, None], dtype="Int64"), "s": ["a", "c", None]})
    >>> rows_differ(a, b).tolist()
    [False, True, True]
    """
    out = np.zeros(len(before), dtype=bool)
    for c in before.columns:
        a, b = before[c], after[c]
        na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
        out |= na_a != na_b
        both = ~(na_a | na_b)
        if not both.any():
            continue
        # compared only where both are present (a missing value such as pd.NA compares
        # to nothing)
        if isinstance(a.dtype, pd.ArrowDtype) and pa.types.is_nested(a.dtype.pyarrow_dtype):
            # lists, structs, maps: Arrow has no equality for them; compared as Python values
            x, y = a[both].tolist(), b[both].tolist()
            ne = np.fromiter((u != v for u, v in zip(x, y, strict=True)), bool, len(x))
        else:
            ne = a.to_numpy(dtype=object)[both] != b.to_numpy(dtype=object)[both]
        out[both] |= np.asarray(ne, dtype=bool)
    return out


def known_rows(codes: np.ndarray, by: np.ndarray | None = None) -> np.ndarray:
    """``codes`` (or any per-row array) at the rows where ``by`` (default: ``codes``
    itself) is a known code (``>= 0``): the array itself, not a copy, when every row is
    known.

    Examples
    --------
    >>> known_rows(np.array([2, -1, 0])).tolist()
    [2, 0]
    """
    valid = (codes if by is None else by) >= 0
    return codes if valid.all() else codes[valid]


def weighted_pick(
    codes: np.ndarray, weights: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Pick ``counts[k]`` rows among those with code ``k`` (probability proportional to weight,
    without replacement: Efraimidis-Spirakis keys); returns a boolean mask.

    Row ``i`` has key ``log(1 - u_i) / w_i`` (one uniform per row, drawn for every row); in
    each class the ``counts[k]`` largest keys are picked (equal keys: lower position
    first). Each class is a selection (``np.partition``), not a sort: linear in the rows.

    Examples
    --------
    >>> codes = np.array([0, 1, 0, 1, 0, -1])
    >>> pick = weighted_pick(codes, np.ones(6), np.array([2, 0]), np.random.default_rng(0))
    >>> int(pick[codes == 0].sum()), bool(pick[codes != 0].any())
    (2, False)
    """
    n = len(codes)
    u = rng.random(n)
    mask = np.zeros(n, dtype=bool)
    wanted = np.flatnonzero(counts > 0)
    if not len(wanted):
        return mask
    members = _members(codes, wanted, len(counts))
    for k, idx in zip(wanted.tolist(), members, strict=True):
        c = int(counts[k])
        if c >= len(idx):
            mask[idx] = True
            continue
        key = np.log1p(-u[idx]) / np.maximum(weights[idx], 1e-300)
        if np.isnan(key).any():
            mask[idx[_top_by_sort(key, c)]] = True
            continue
        cut = np.partition(key, len(key) - c)[len(key) - c]
        above = key > cut
        short = c - int(np.count_nonzero(above))
        if short:
            above[np.flatnonzero(key == cut)[:short]] = True
        mask[idx[above]] = True
    return mask


def _members(codes: np.ndarray, wanted: np.ndarray, k: int) -> list[np.ndarray]:
    """Positions (increasing) of the rows of each class in ``wanted``."""
    if len(wanted) <= 4:
        return [np.flatnonzero(codes == c) for c in wanted.tolist()]
    small = codes.astype(np.int16 if k < 2**15 else np.int64)
    order = np.argsort(small, kind="stable")
    bounds = np.searchsorted(small[order], np.stack([wanted, wanted + 1]))
    return [order[a:b] for a, b in zip(bounds[0].tolist(), bounds[1].tolist(), strict=True)]


def _top_by_sort(key: np.ndarray, c: int) -> np.ndarray:
    """Positions of the ``c`` largest keys, ordered as a stable sort of ``-key`` orders them
    (NaN last)."""
    return np.argsort(-key, kind="stable")[:c]


def reassign(
    codes: np.ndarray, weights: np.ndarray, target: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Fewest moves taking the counts of ``codes`` toward ``target`` proportions with weight.

    Returns the positions of the moved rows, their new codes and the figures (``counts``,
    ``target_counts``, ``expected_after``) described for ``category_frequency``.
    """
    k = len(target)
    known, w_known = known_rows(codes), known_rows(weights, codes)
    n = len(known)
    counts = np.bincount(known, minlength=k).astype(np.int64)
    t = largest_remainder(target * n, n) if n else np.zeros(k, dtype=np.int64)
    surplus = np.maximum(counts - t, 0)
    deficit = np.maximum(t - counts, 0)
    wsum = np.bincount(known, weights=w_known, minlength=k)
    share = np.divide(surplus, counts, out=np.zeros(k), where=counts > 0)
    real = share * wsum
    moved_total = int(np.floor(real.sum() + 0.5))
    removed = np.minimum(largest_remainder(real, moved_total), surplus)
    moved_total = int(removed.sum())
    d = int(deficit.sum())
    dest = (
        np.minimum(largest_remainder(moved_total * deficit / d, moved_total), deficit)
        if d
        else np.zeros(k, dtype=np.int64)
    )
    expected = counts - real + (real.sum() * deficit / d if d else 0.0)
    figures = {"counts": counts, "target_counts": t, "expected_after": expected}
    if moved_total == 0 or int(dest.sum()) != moved_total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), figures
    chosen = np.flatnonzero(weighted_pick(codes, weights, removed, rng))
    chosen = rng.permutation(chosen)
    new_codes = np.repeat(np.arange(k), dest)
    return chosen, new_codes, figures


def category_set(ref: pd.DataFrame, name: str) -> list[Any]:
    """Categories of column ``name`` (declared ones, or sorted distinct reference values)."""
    series = ref[name]
    if is_categorical_dtype(series):
        return [plain(v) for v in series.cat.categories.tolist()]
    if pd.api.types.is_bool_dtype(series.dtype):
        return [False, True]
    data = arrow_strings(series)
    if data is not None:  # distinct strings without making every row a Python object
        return sorted(v for v in pc.unique(data).to_pylist() if v is not None)
    values = pd.unique(series.dropna().to_numpy())
    return sorted(plain(v) for v in values.tolist())


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


def proportions_field(value: dict[Value, float] | None, what: str) -> dict[Value, float] | None:
    """Validate ``{category: p}``: every ``p`` in [0, 1], summing to 1."""
    if value is None:
        return None
    if not value:
        raise ValueError(f"give at least one {what}")
    bad = {k: p for k, p in value.items() if not 0.0 <= p <= 1.0}
    if bad:
        raise ValueError(f"proportions must be in [0, 1], got {bad}")
    total = sum(value.values())
    if abs(total - 1.0) > PROPORTION_TOLERANCE:
        raise ValueError(f"proportions must sum to 1, got {total:.6g}")
    return value


def proportion_vector(
    value: Mapping[Value, float], known: Sequence[Any], path: str, what: str
) -> list[float]:
    """``{category: p}`` as a vector over ``known`` (unlisted: 0), normalised to sum 1."""
    idx = match_values(list(value), known, path, what)
    vec = np.zeros(len(known))
    vec[idx] = list(value.values())
    total = vec.sum()
    return [float(v) for v in (vec if abs(total - 1.0) < 1e-12 else vec / total)]


def _named(categories: Sequence[Any], counts: np.ndarray | Sequence[float]) -> dict[str, Any]:
    return {canon(c): plain(v) for c, v in zip(categories, counts, strict=True)}


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
        if self.reference_block >= ctx.n_blocks:
            raise ScenarioError(
                join_path(path, "reference_block"),
                f"block {self.reference_block} does not exist (the dataset has {ctx.n_blocks})",
            )

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
    """Move rows to another existing category with probability ``rate`` times the weight."""

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
        from_counts = np.bincount(codes[at], minlength=k)
        to_counts = np.bincount(new_flip, minlength=k)
        for i in range(k):
            stats[f"from:{i}"] = float(from_counts[i])
            stats[f"to:{i}"] = float(to_counts[i])
        return Applied(changed=flip, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        rows = totals.get("rows", 0.0)
        cats = prepared["categories"]
        return {
            "rows_flipped": int(totals.get("flipped", 0.0)),
            "flip_rate": totals.get("flipped", 0.0) / rows if rows else 0.0,
            "expected_flip_rate": totals.get("expected_flips", 0.0) / rows if rows else 0.0,
            "flipped_from": {canon(c): int(totals.get(f"from:{i}", 0)) for i, c in enumerate(cats)},
            "flipped_to": {canon(c): int(totals.get(f"to:{i}", 0)) for i, c in enumerate(cats)},
        }


@EVENTS.register("category_frequency")
class CategoryFrequency(CategoricalEvent):
    """Move the column's distribution toward ``target`` proportions with the least changes."""

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
        for i in range(k):
            stats[f"before:{i}"] = float(fig["counts"][i])
            stats[f"after:{i}"] = float(counts_after[i])
            stats[f"expected:{i}"] = float(fig["expected_after"][i])
        return Applied(changed=changed, stats=stats)

    def realised(self, totals: Mapping[str, float], prepared: Mapping[str, Any]) -> dict[str, Any]:
        cats = prepared["categories"]
        target = np.asarray(prepared["target"])
        n = totals.get("rows", 0.0)
        if not n:
            return {"rows": 0}
        k = len(cats)
        before = np.array([totals.get(f"before:{i}", 0.0) for i in range(k)]) / n
        after = np.array([totals.get(f"after:{i}", 0.0) for i in range(k)]) / n
        expected = np.array([totals.get(f"expected:{i}", 0.0) for i in range(k)]) / n
        return {
            "rows": int(n),
            "rows_moved": int(totals.get("moved", 0.0)),
            "target": _named(cats, target),
            "proportions_before": _named(cats, before),
            "proportions_after": _named(cats, after),
            "expected_proportions": _named(cats, expected),
            "total_variation_before": float(np.abs(before - target).sum() / 2),
            "total_variation_after": float(np.abs(after - target).sum() / 2),
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
    """Set rows to a never-seen ``value`` with probability ``rate`` times the weight."""

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
    """Merge ``categories`` into ``into`` (each row with probability ``w``)."""

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
    """Character typos in a string column (rows with probability ``rate`` times the weight)."""

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
