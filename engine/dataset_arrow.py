"""A loaded dataset's typed tables as Arrow tables, and back, value for value.

This is how a stored run keeps its dataset (smvp's ``dataset_blob``): the typed
columns themselves, not a text of them, so that reading a run of a million people
back (``smvp verify``) gives the columns :func:`smvp_engine.dataset.load_dataset`
gives — Categorical codes, int64 units, Decimals with their numerators — without
a Python object per cell.

Each column of :func:`to_arrow`'s tables says in its field metadata (key ``smvp``)
how it is held:

``int``
    an int64 column in its unit (cents, centipoints, hundredths of a day,
    millionths); the values under a blank cell are kept (the column's fill),
    the blank cells are the Arrow nulls.
``cat``
    a :class:`~smvp_engine.columns.Categorical`: a dictionary array (codes into
    the distinct texts; null = blank).
``shares``
    a Categorical whose categories are another column's (see
    ``SHARED_VOCABULARY``; field metadata ``base`` = ``"table.column"``): only its
    int32 codes (-1 = blank); the rebuilt column shares the categories *object*,
    so the engine maps it by code as it does after loading.
``text``
    text (ids, labels, ``direction``): a string column (null = blank).
``decimal``
    exact numbers (``Decimal``): a dictionary array of their exact texts
    (``str(Decimal)``, null = blank).

Field metadata ``missing`` = ``1``: the column has a ``Table.missing`` mask
(its blank cells are the nulls).

Errors: :func:`to_arrow` raises ValueError for a column it cannot hold exactly
(a value of another type); :func:`from_arrow` raises
:class:`~smvp_engine.errors.DatasetErrors` for a dataset that breaks the format's
rules (as :func:`~smvp_engine.dataset.dataset_from_columns`), ValueError for
columns it does not know how to read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smvp_engine.columns import Categorical, decimals
from smvp_engine.dataset import (
    DECIMAL,
    NUMERATOR_TABLES,
    SCALE,
    SHARED_VOCABULARY,
    TABLES,
    Dataset,
    Table,
    _make_table,
    _object_array,
    checked_dataset,
)
from smvp_engine.errors import DatasetError

__all__ = ["from_arrow", "stored_columns", "to_arrow"]

_KEY = b"smvp"


def _field(name: str, array: pa.Array, how: str, missing: bool, base: str | None = None) -> pa.Field:
    meta = {_KEY: how.encode()}
    if missing:
        meta[b"missing"] = b"1"
    if base is not None:
        meta[b"base"] = base.encode()
    return pa.field(name, array.type, metadata=meta)


def _codes32(codes: np.ndarray) -> np.ndarray:
    return np.asarray(codes, dtype=np.int32)


def _decimal_column(values: Any) -> pa.Array:
    """An object array of Decimal/None as a dictionary array of exact texts: each distinct
    object written once (cells typed by the loader share their objects)."""
    seen: dict[int, int] = {}
    texts: list[str] = []
    objs: list[Any] = []

    def code(v: Any) -> int:
        k = seen.get(id(v))
        if k is None:
            if v is None:
                k = -1
            elif isinstance(v, Decimal) and v.is_finite():
                k = len(texts)
                texts.append(str(v))
                objs.append(v)  # alive while ``seen`` holds its id
            elif type(v) is int:
                k = len(texts)
                texts.append(str(v))
                objs.append(v)
            else:
                raise ValueError(f"not an exact number: {v!r}")
            seen[id(v)] = k
        return k

    vals = list(values)
    codes = np.fromiter((code(v) for v in vals), dtype=np.int32, count=len(vals))
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), pa.array(texts, pa.string()))


def _text_column(values: Any) -> pa.Array:
    try:
        return pa.array(np.asarray(values, dtype=object), pa.string(), from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ValueError(f"not a text column: {exc}") from None


def to_arrow(dataset: Dataset) -> dict[str, pa.Table]:
    """Every table of ``dataset`` (in the dataset's order) as an Arrow table holding its typed
    columns exactly (module doc); ValueError when a column cannot be held so."""
    out: dict[str, pa.Table] = {}
    for name, table in dataset.tables.items():
        spec = TABLES.get(name)
        kinds = {c.name: c.kind for c in spec.columns} if spec is not None else {}
        arrays: list[pa.Array] = []
        fields: list[pa.Field] = []
        for col, values in table.columns.items():
            mask = table.missing.get(col)
            kind = kinds.get(col)
            base = None
            if kind in SCALE:
                ints = np.asarray(values)
                if ints.dtype != np.int64:
                    raise ValueError(f"{name}.{col}: not int64 ({ints.dtype})")
                arr = pa.array(ints, mask=None if mask is None else np.asarray(mask, dtype=bool))
                how = "int"
            elif isinstance(values, Categorical):
                ref = SHARED_VOCABULARY.get((name, col))
                owner = dataset.tables.get(ref[0]).columns.get(ref[1]) if ref and ref[0] in dataset.tables else None
                if isinstance(owner, Categorical) and owner.categories is values.categories \
                        and (ref[0], ref[1]) != (name, col):
                    arr, how, base = pa.array(_codes32(values.codes)), "shares", f"{ref[0]}.{ref[1]}"
                else:
                    codes = _codes32(values.codes)
                    arr = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                                         _text_column(values.categories))
                    how = "cat"
            elif kind == DECIMAL:
                arr, how = _decimal_column(values), "decimal"
            else:
                arr, how = _text_column(values), "text"
            if mask is not None and how != "int":  # the blank cells are the nulls: said so, checked
                blank = np.asarray(mask, dtype=bool)
                held = np.asarray(values.codes) < 0 if how == "shares" else _nulls(arr)
                if not np.array_equal(blank, held):
                    raise ValueError(f"{name}.{col}: blank cells that hold a value")
            arrays.append(arr)
            fields.append(_field(col, arr, how, mask is not None, base))
        out[name] = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return out


def stored_columns(tables: dict[str, pa.Table]) -> dict[str, list[str]]:
    """Table name -> the names of the columns held (what a stored dataset has; see
    :func:`smvp_engine.dataset.content_sha256_as_stored`)."""
    return {name: list(t.column_names) for name, t in tables.items()}


def _one(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def _ints(arr: pa.Array) -> np.ndarray:
    """The int64 values of ``arr``, those under nulls included (zero copy)."""
    buf = arr.buffers()[1]
    if buf is None:
        return np.zeros(len(arr), dtype=np.int64)
    return np.frombuffer(buf, dtype=np.int64, count=len(arr) + arr.offset)[arr.offset:]


def _codes(arr: pa.Array) -> np.ndarray:
    filled = pc.fill_null(arr, -1) if arr.null_count else arr
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)


def _nulls(arr: pa.Array) -> np.ndarray:
    if not arr.null_count:
        return np.zeros(len(arr), dtype=bool)
    return arr.is_null().to_numpy(zero_copy_only=False)


def from_arrow(tables: dict[str, pa.Table], path: str = "<stored>") -> Dataset:
    """The Dataset whose typed tables ``tables`` (:func:`to_arrow`) hold, checked by the
    format's rules as :func:`~smvp_engine.dataset.dataset_from_columns` checks them.

    Columns the tables lack (declared after they were written) are blank, as
    ``dataset_from_columns`` fills them. Row numbers are 2..n+1; files are
    ``"<path>[<table>]"``.
    """
    errors: list[DatasetError] = []
    out: dict[str, Table] = {}
    broken: set[str] = set()
    unknown = [name for name in tables if name not in TABLES]
    if unknown:
        raise ValueError(f"tables this smvp does not know: {', '.join(unknown)}")
    for name, spec in TABLES.items():
        file = f"{path}[{name}]"
        given = tables.get(name)
        if given is None and spec.required:
            raise ValueError(f"the required table {name} is not stored")
        n = given.num_rows if given is not None else 0
        columns: dict[str, object] = {}
        missing: dict[str, np.ndarray] = {}
        for col in spec.columns:
            field = given.schema.field(col.name) if given is not None and \
                col.name in given.column_names else None
            if field is None or given is None:
                blank = np.ones(n, dtype=bool) if not col.required else np.zeros(n, dtype=bool)
                if col.kind in SCALE:
                    columns[col.name] = np.full(n, col.default if col.default is not None else 0,
                                                dtype=np.int64)
                else:
                    columns[col.name] = _object_array([col.default] * n)
                if given is not None and not col.required and col.default is None and n:
                    missing[col.name] = blank
                if given is not None and col.required:
                    raise ValueError(f"{name}.{col.name}: a required column is not stored")
                continue
            meta = field.metadata or {}
            how = meta.get(_KEY, b"").decode()
            arr = _one(given.column(col.name))
            if how == "int":
                values: Any = _ints(arr)
            elif how == "cat":
                values = Categorical(_codes(arr.indices), _object_array_from(arr.dictionary))
            elif how == "shares":
                table, column = meta.get(b"base", b".").decode().split(".", 1)
                owner = out[table].columns[column] if table in out else columns.get(column)
                if not isinstance(owner, Categorical):
                    raise ValueError(f"{name}.{col.name}: shares the categories of {table}.{column}, "
                                     "which is not categorical")
                values = Categorical(np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64),
                                     owner.categories)
            elif how == "decimal":
                objs = [Decimal(t) for t in arr.dictionary.to_pylist()] + [None]
                codes = _codes(arr.indices)
                values = _object_array(objs)[codes]
                if name in NUMERATOR_TABLES:
                    values = decimals(values, objs, codes)
            elif how == "text":
                values = arr.to_numpy(zero_copy_only=False)
                if values.dtype != object:
                    values = values.astype(object)
            else:
                raise ValueError(f"{name}.{col.name}: held as {how!r}, which this smvp does not read")
            columns[col.name] = values
            if meta.get(b"missing") == b"1":
                missing[col.name] = (np.asarray(values.codes) < 0) if how == "shares" else _nulls(arr)
        rows = np.arange(2, n + 2, dtype=np.int64)
        out[name] = _make_table(name, file, columns, missing, rows)

    return checked_dataset(path, out, errors, broken)


def _object_array_from(strings: pa.Array) -> np.ndarray:
    values = strings.to_numpy(zero_copy_only=False)
    return values if values.dtype == object else values.astype(object)
