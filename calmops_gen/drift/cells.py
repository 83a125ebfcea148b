"""Reading and writing the cells of a column in the column's own storage.

numpy columns are written through :func:`~calmops_gen.drift.base.write_rows`; Arrow-backed
string columns (pandas 3's default ``str``) are read and written as Arrow arrays, never as
Python objects; categorical (and Arrow dictionary) columns keep their categories, in order,
and gain new values as new categories. Every write replaces the column by a new one, so
arrays a frame shares with anything else are never written to.

Examples
--------
>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"c": ["a", "b", None, "a"]})
>>> codes_of(frame["c"], ["a", "b"]).tolist()
[0, 1, -1, 0]
>>> write_codes(frame, "c", np.array([0, 2]), ["a", "b"], np.array([1, 1]))
>>> frame["c"].tolist()
['b', 'b', 'b', 'a']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calmops_gen.drift.base import (
    write_rows,
)
from calmops_gen.drift.selection import contiguous
from calmops_gen.errors import ScenarioError


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
    values = np.empty(len(categories), dtype=object)
    values[:] = list(categories)
    write_values(frame, name, rows, values[codes])


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
