"""Exact numbers and dataset content as stored: integer hundredths; a dataset's typed columns
as bytes (Arrow IPC, zstd: what ``dataset_blob.data`` holds since schema 0008) and its
canonical JSON (what ``dataset_blob.content`` held before, still read; also the JSON data
readers get). Which is written and how either is read back: ``smvp.store.content``."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import orjson

from smvp.report import jsonable

# --------------------------------------------------------------------------- exact numbers


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"expected a number, found {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def to_hundredths(value: Any) -> int | None:
    """An exact number with at most 2 decimals as an integer number of hundredths.

    Raises ValueError when the value has more than 2 decimals: the engine
    promises rounded amounts and points, so that would be a bug, not data.
    """
    d = _decimal(value)
    if d is None:
        return None
    scaled = d.scaleb(2)
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number of hundredths")
    return int(scaled)


to_cents = to_hundredths
to_centipoints = to_hundredths


def from_hundredths(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-2)


def exact_str(value: Any) -> str | None:
    d = _decimal(value)
    return None if d is None else str(d)


# --------------------------------------------------------------------------- dataset content


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"


_AS_THEY_ARE = {str, int, bool, type(None)}  # values ``jsonable`` returns unchanged


def _column_values(column: Any) -> list[Any]:
    """A dataset column (numpy array, list, exact rational column…) as JSON-able values.

    Exact rationals (``engine.exact.Q``, Fraction) become ``"n/d"`` strings
    (``"n"`` when whole), Decimals their exact string, numpy integers ints,
    missing values (None, NaN) null.
    """
    fractions = getattr(column, "fractions", None)
    if callable(fractions) and hasattr(column, "num") and hasattr(column, "den"):
        return [_fraction_text(f) for f in fractions()]
    if isinstance(column, Fraction):
        return [_fraction_text(column)]
    if isinstance(column, (list, tuple)) or hasattr(column, "tolist"):
        items = column.tolist() if hasattr(column, "tolist") else list(column)
        if not isinstance(items, list):
            items = [items]
        if set(map(type, items)) <= _AS_THEY_ARE:  # ids, texts, integer units: no per-value call
            return items
        return [_fraction_text(v) if isinstance(v, Fraction)
                else jsonable(v, decimals_as="string") for v in items]
    values = jsonable(column, decimals_as="string")
    return values if isinstance(values, list) else [values]


def dataset_document(dataset: Any) -> dict[str, Any]:
    """The dataset's typed tables as JSON data: {table: {column: [values]}}.

    Values are as the engine typed them (integers in the engine's units:
    cents, centipoints, hundredths of a day, millionths; Decimals as exact
    strings; text). Blank cells (``Table.missing`` masks) are null.
    """
    tables: dict[str, Any] = {}
    for name, table in (getattr(dataset, "tables", None) or {}).items():
        columns = getattr(table, "columns", table)
        missing = getattr(table, "missing", None) or {}
        out: dict[str, Any] = {}
        for col, values in columns.items():
            vals = _column_values(values)
            mask = missing.get(col)
            if mask is not None:
                flags = np.asarray(mask, dtype=bool)
                if len(flags) == len(vals) and flags.all():
                    vals = [None] * len(vals)
                elif flags.any():
                    vals = [None if m else v for v, m in zip(vals, flags.tolist())]
            out[str(col)] = vals
        tables[str(name)] = out
    year = getattr(dataset, "year", None)
    return {"format": 1, "year": None if year is None else int(year), "tables": tables}


def canonical_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def dataset_canonical_json(dataset: Any) -> str:
    """:func:`canonical_json` of the dataset's document; the same text, written by orjson
    (sorted keys, compact, UTF-8) when the document holds no float (orjson would write a
    NaN as null where ``json`` refuses it) and orjson takes it."""
    doc = dataset_document(dataset)
    if not _has_float(doc):
        try:
            return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            pass
    return canonical_json(doc)


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            kinds = set(map(type, v))
            if float in kinds:
                return True
            if kinds & {dict, list}:
                stack.extend(x for x in v if isinstance(x, (dict, list)))
        elif isinstance(v, float):
            return True
    return False


def loads(text: str) -> Any:
    """JSON text (a stored dataset's content) as Python data: orjson, else ``json``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)



# --------------------------------------------------------------------------- columnar content

#: the first bytes of a dataset's columnar content (``dataset_blob.data``)
COLUMNS_MAGIC = b"smvp-dataset-columns-1\n"
#: how the Arrow streams are compressed: zstd writes a million people's tables in 0.14 s and
#: reads them in 0.07 s (CPU), 19 MB where the canonical JSON took 253 MB; lz4 is as fast and
#: twice the size, Parquet (zstd) as small and 4-6x slower (benchmarks/RESULTS.md, session 9)
COLUMNS_COMPRESSION = "zstd"


def dataset_columns(dataset: Any) -> bytes:
    """The dataset's typed tables as bytes: :data:`COLUMNS_MAGIC`, a 4-byte big-endian length,
    a JSON header ``{"format": 2, "year": …, "tables": [[name, size], …]}``, then one Arrow IPC
    stream (zstd-compressed buffers) per table, of ``size`` bytes each, in the header's order.

    The columns are those the engine typed (``smvp_engine.dataset_arrow``): Categorical
    codes, int64 units, exact decimal texts. Raises ValueError when a column cannot be held
    exactly (then store the canonical JSON, :func:`dataset_canonical_json`).
    """
    from smvp_engine.dataset_arrow import to_arrow

    return pack_columns(to_arrow(dataset), getattr(dataset, "year", None))


def pack_columns(tables: dict[str, Any], year: int | None) -> bytes:
    """Arrow tables (table name -> ``pyarrow.Table``, as ``smvp_engine.dataset_arrow.to_arrow``
    makes them) as the bytes of :func:`dataset_columns`."""
    import pyarrow as pa

    options = pa.ipc.IpcWriteOptions(compression=COLUMNS_COMPRESSION)
    parts: list[Any] = []
    sizes: list[list[Any]] = []
    for name, table in tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        buf = sink.getvalue()
        parts.append(buf)
        sizes.append([name, buf.size])
    header = orjson.dumps({"format": 2, "year": None if year is None else int(year),
                           "tables": sizes})
    return b"".join([COLUMNS_MAGIC, len(header).to_bytes(4, "big"), header,
                     *(memoryview(p) for p in parts)])


def is_columns(data: Any) -> bool:
    """Whether stored bytes are a dataset's columnar content (:func:`dataset_columns`)."""
    return isinstance(data, (bytes, bytearray, memoryview)) and bytes(data[:len(COLUMNS_MAGIC)]) == COLUMNS_MAGIC


def columns_tables(data: bytes) -> dict[str, Any]:
    """The Arrow tables of a columnar content (table name -> ``pyarrow.Table``), read
    without copying the column buffers. Raises ValueError for bytes that are not one."""
    import pyarrow as pa

    if not is_columns(data):
        raise ValueError("not a dataset's columnar content")
    at = len(COLUMNS_MAGIC)
    size = int.from_bytes(data[at:at + 4], "big")
    try:
        header = orjson.loads(data[at + 4:at + 4 + size])
        entries = [(str(name), int(n)) for name, n in header["tables"]]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"a columnar content with a broken header: {exc}") from None
    whole = pa.py_buffer(data)
    at += 4 + size
    tables: dict[str, Any] = {}
    try:
        for name, n in entries:
            if at + n > len(data):
                raise ValueError(f"a columnar content cut short in table {name}")
            tables[name] = pa.ipc.open_stream(whole.slice(at, n)).read_all()
            at += n
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"a columnar content that does not read: {exc}") from None
    return tables


def dataset_from_columns_blob(data: bytes, path: str) -> tuple[Any, dict[str, list[str]]]:
    """(the Dataset, table -> stored column names) of a columnar content; the dataset is
    checked by the format's rules (DatasetErrors) and carries its content hash. Raises
    ValueError for bytes that do not read."""
    from smvp_engine.dataset_arrow import from_arrow, stored_columns

    tables = columns_tables(data)
    return from_arrow(tables, path), stored_columns(tables)
