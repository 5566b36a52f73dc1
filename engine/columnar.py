"""Columnar reading of dataset files (CSV, Parquet) with pyarrow.

The loader (:mod:`engine.dataset`) types a table column by column. This
module does the part that must not loop over cells in Python: reading a CSV or
Parquet file into one pyarrow string array per column, stripping cells,
finding blank ones, and encoding each column as integer codes into its
distinct values (``dictionary_encode``). The loader then types each *distinct*
value once with the same per-cell rules and messages as always
(``engine.dataset._cell``) and gathers the result with the codes, so a column
of a million cells costs one pass in C plus one Python call per distinct
value.

:func:`read_csv` returns None when the file is not the plain case (not UTF-8
after the decode hook, blank lines, rows with more or fewer cells than the
header, a line break inside a quoted value, …): the loader then reads it with
Python's ``csv`` module, cell by cell, which names the exact row of such
structural problems.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ColumnsRead", "Encoded", "encode", "from_cells", "read_csv", "read_parquet", "sniff_delimiter",
           "strip_blank"]


#: CSV files larger than this are parsed by pyarrow's thread pool; smaller ones in one thread.
THREADED_READ_BYTES = 1 << 22

#: parse every CSV file on pyarrow's thread pool, however small. For a process that reads
#: thousands of small tables with the pool already sized (the national run's workers set it to
#: one thread, smvp/national.py): pyarrow's serial reader starts and joins a new thread for
#: each file (measured with strace: one clone a read), the pool hands the file to a thread
#: that exists. Off by default: a short command would start the whole pool for a few KB.
SMALL_READS_ON_POOL = False


def sniff_delimiter(first_line: str) -> str:
    """``;`` when the header line has more semicolons than commas, else ``,``."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


@dataclass
class ColumnsRead:
    """A file read column by column: the header cells, one string array per header column
    (blank cells are null), and the source row number of each record (header = row 1)."""

    header: list[str]
    header_row: int
    columns: list[pa.Array]
    rows: np.ndarray


def read_csv(data: bytes) -> ColumnsRead | None:
    """Read UTF-8 CSV bytes (BOM removed by the caller) in columns; None when not the plain case.

    The plain case: the first line is the header, no blank line anywhere, every
    row has as many cells as the header, no line break inside a value. Rows
    whose cells are all blank are dropped (as the cell-by-cell reader does),
    keeping the others' row numbers.
    """
    if not data or data.isspace():
        return None
    first_end = data.find(b"\n")
    first = data[: first_end if first_end >= 0 else len(data)].decode("utf-8", "replace")
    if not first.strip() or b"\n\n" in data or b"\n\r\n" in data or data.startswith((b"\r", b"\n")):
        return None
    delimiter = sniff_delimiter(first)
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter))
    except csv.Error:
        return None
    width = len(header)
    try:
        table = _csv_reader(delimiter, width, _block_size(len(data)))(pa.BufferReader(data))
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError):
        return None
    columns = [strip_blank(table.column(i)) for i in range(width)]
    n = table.num_rows
    rows = np.arange(2, n + 2, dtype=np.int64)
    # a row whose cells are all blank is dropped: none can be when a column has no blank cell
    if n and columns and all(c.null_count for c in columns):
        keep = columns[0].is_valid()
        for c in columns[1:]:
            keep = pc.or_(keep, c.is_valid())
        keep_np = keep.to_numpy(zero_copy_only=False)
        if not keep_np.all():
            columns = [c.filter(keep) for c in columns]
            rows = rows[keep_np]
    return ColumnsRead(header=header, header_row=1, columns=columns, rows=rows)


#: pyarrow's CSV options by (delimiter, width, block size, threaded): built once a process (building them
#: costs more CPU than reading a table of a few hundred rows)
_READERS: dict[tuple[str, int, int, bool], object] = {}


def _block_size(size: int) -> int:
    """pyarrow's block size for ``size`` bytes: the smallest power of two from 64 KiB holding
    the whole file, at most 16 MiB. A block is allocated whole for each read, so a 16 MiB block
    for a file of a few KB costs its page faults every time (about 1 ms a file, most of loading
    a small body's year in the national run)."""
    return min(1 << 24, max(1 << 16, 1 << size.bit_length()))


def _csv_reader(delimiter: str, width: int, block_size: int):
    """A function reading CSV bytes after the header line: every cell as a string, columns
    named ``f0 … f{width-1}``; raises pyarrow's errors (a row of another width, bad UTF-8)."""
    threaded = block_size >= THREADED_READ_BYTES or SMALL_READS_ON_POOL
    key = (delimiter, width, block_size, threaded)
    reader = _READERS.get(key)
    if reader is None:
        import functools

        import pyarrow.csv as pcsv

        names = [f"f{i}" for i in range(width)]
        reader = _READERS[key] = functools.partial(
            pcsv.read_csv,
            # threads only for a large file: for a few KB, starting pyarrow's thread pool
            # costs more CPU than the read (~50 ms a process, benchmarks/STARTUP.md)
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threaded,
                                          block_size=block_size),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                            ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=True))
    return reader


def read_parquet(path: Path) -> ColumnsRead:
    """A Parquet table as text columns (numbers as their text, e.g. 12.5; nulls blank).

    Row numbers count the header as row 1, as in a CSV file: the first record is row 2.
    Raises pyarrow's errors for a file that is not Parquet (the caller reports them).
    """
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns = []
    for i in range(table.num_columns):
        col = table.column(i)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_boolean(col.type):
            col = pc.if_else(col, "TRUE", "FALSE")
        elif not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            col = col.cast(pa.string())
        columns.append(strip_blank(col))
    return ColumnsRead(header=list(table.column_names), header_row=1, columns=columns,
                       rows=np.arange(2, table.num_rows + 2, dtype=np.int64))


_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # what str.strip() also removes
_ASCII_SPACE[128:] = True  # any non-ASCII byte: maybe Unicode white space, let the trim decide


def _needs_trim(col: pa.Array) -> bool:
    """Whether a string column may hold a cell that is empty, null, or starts or ends with white
    space (judged on the first and last byte of each cell, from the buffers: no copy)."""
    if col.null_count or len(col) == 0:
        return True
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset: col.offset + len(col) + 1]
    lengths = np.diff(offsets)
    if not lengths.all():
        return True
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8)
    return bool(_ASCII_SPACE[data[offsets[:-1]]].any() or _ASCII_SPACE[data[offsets[1:] - 1]].any())


def edge_space(col: pa.Array) -> bool:
    """Whether a non-blank cell of a string column may start or end with white space (judged
    on its first and last byte: any non-ASCII byte counts)."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if len(col) == 0 or col.null_count == len(col):
        return False
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset: col.offset + len(col) + 1]
    lengths = np.diff(offsets)
    data_buf = col.buffers()[2]
    if data_buf is None:
        return False
    data = np.frombuffer(data_buf, dtype=np.uint8)
    filled = lengths > 0
    if col.null_count:
        filled &= col.is_valid().to_numpy(zero_copy_only=False)
    starts, ends = offsets[:-1][filled], offsets[1:][filled] - 1
    return bool(_ASCII_SPACE[data[starts]].any() or _ASCII_SPACE[data[ends]].any())


def strip_blank(col) -> pa.Array:
    """Cells stripped of surrounding white space; blank cells (empty after stripping) as null."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if pa.types.is_large_string(col.type):
        col = col.cast(pa.string())
    if not _needs_trim(col):  # the common case: nothing to strip, no blank cell
        return col
    s = pc.utf8_trim_whitespace(col)
    empty = pc.equal(s, "")
    if not pc.any(empty).as_py():
        return s
    return pc.if_else(empty, pa.scalar(None, pa.string()), s)


def fixed_width(texts: pa.Array) -> np.ndarray:
    """Texts (a string array without nulls) as a ``len × width`` uint8 matrix, each row one
    text's UTF-8 bytes padded with NUL bytes. Raises ValueError when a text holds a NUL byte
    (its end could not be told from the padding)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if pa.types.is_large_string(texts.type):
        texts = texts.cast(pa.string())
    if texts.null_count:
        raise ValueError("a null text has no fixed width form")
    m = len(texts)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)[texts.offset: texts.offset + m + 1]
    data_buf = texts.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    width = max(int(lengths.max(initial=0)), 1)
    used = data[offsets[0]: offsets[-1]] if m else data[:0]
    if not used.all():
        raise ValueError("a text holds a NUL byte")
    if m and (lengths == width).all():  # every text as long: the bytes as they are
        return used.reshape(m, width).copy()
    out = np.zeros((m, width), dtype=np.uint8)
    if len(used) and width <= 64:  # column by column: width passes over the texts
        starts = offsets[:-1]
        for c in range(width):
            has = lengths > c
            out[has, c] = data[starts[has] + c]
    elif len(used):
        rows = np.repeat(np.arange(m, dtype=np.int64), lengths)
        cols = np.arange(len(used), dtype=np.int64) - np.repeat(offsets[:-1] - offsets[0], lengths)
        out[rows, cols] = used
    return out


def joined_table(texts: list[str], sep: str) -> np.ndarray:
    """The fixed-width table :func:`joined_by_code` joins rows of: each text followed by ``sep``.
    Raises ValueError when a text or ``sep`` holds a NUL byte."""
    tail = sep.encode("utf-8")
    if b"\x00" in tail:
        raise ValueError("a separator holds a NUL byte")
    table = fixed_width(pa.array([t for t in texts], pa.string()))
    if tail:
        table = np.concatenate([table, np.broadcast_to(np.frombuffer(tail, np.uint8),
                                                       (len(table), len(tail)))], axis=1)
    return table


def joined_by_code(codes: np.ndarray, texts: list[str], sep: str, chunk: int = 1 << 18,
                   table: np.ndarray | None = None):
    """``sep.join(texts[c] for c in codes)`` as UTF-8 bytes, in parts (an iterator of bytes),
    built from a fixed-width table of the texts: no Python string per row. ``table``: the
    :func:`joined_table` of ``texts`` and ``sep`` when the caller already has it (columns
    sharing their categories join from one table).

    Raises ValueError when a text holds a NUL byte.
    """
    n = len(codes)
    if n == 0:
        return
    tail = sep.encode("utf-8")
    if table is None:
        table = joined_table(texts, sep)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = table[codes[start:stop]].tobytes().translate(None, b"\x00")
        yield part[: len(part) - len(tail)] if stop == n and tail else part


def json_texts(values: pa.Array) -> pa.Array:
    """Each string as JSON text (as ``json.dumps(v, ensure_ascii=False)`` writes it)."""
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    special = pc.match_substring_regex(values, r'[\x00-\x1f\\"]')
    if pc.any(special).as_py():
        import json

        texts = quoted.to_pylist()
        for i in np.flatnonzero(special.to_numpy(zero_copy_only=False)).tolist():
            texts[i] = json.dumps(values[i].as_py(), ensure_ascii=False)
        quoted = pa.array(texts, pa.string())
    return quoted


def scaled_integers(values: pa.Array, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain decimal numbers (``-12``, ``12.5``, ``12,50``: at most ``decimals`` digits after
    the separator, at most 12 before it) as integers in 1/10**decimals; -> (ints, ok mask).

    Cells that are not of that plain form are left to the cell-by-cell rules (ok False).
    """
    if len(values) <= _FEW:  # a few distinct values: Python's re costs less than ten pyarrow calls
        return _scaled_few(values.to_pylist(), decimals)
    pattern = rf"^[+-]?\d{{1,12}}(?:[.,]\d{{0,{decimals}}})?$"
    ok = pc.match_substring_regex(values, pattern).fill_null(False)
    ok_np = ok.to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=np.int64)
    if not ok_np.any():
        return out, ok_np
    plain = values.filter(ok)
    parts = pc.extract_regex(plain, r"^(?P<sign>[+-]?)(?P<int>\d+)(?:[.,](?P<frac>\d*))?$")
    whole = pc.cast(parts.field("int"), pa.int64()).to_numpy(zero_copy_only=False)
    frac_text = parts.field("frac")
    if decimals:
        frac_text = pc.utf8_rpad(frac_text, decimals, "0")
        frac = pc.cast(frac_text, pa.int64()).to_numpy(zero_copy_only=False)
    else:
        frac = 0
    value = whole * 10**decimals + frac
    negative = pc.equal(parts.field("sign"), "-").to_numpy(zero_copy_only=False)
    out[ok_np] = np.where(negative, -value, value)
    return out, ok_np


#: up to this many values, :func:`scaled_integers` reads them in Python
_FEW = 64
_PLAIN_NUMBER: dict[int, re.Pattern] = {}


def _scaled_few(values: list, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`scaled_integers` of a few values (a list of str/None), with the same pattern
    (ASCII digits; RE2's ``\\d`` is ASCII)."""
    pattern = _PLAIN_NUMBER.get(decimals)
    if pattern is None:
        pattern = _PLAIN_NUMBER[decimals] = re.compile(
            rf"([+-]?)([0-9]{{1,12}})(?:[.,]([0-9]{{0,{decimals}}}))?")
    scale = 10 ** decimals
    out, ok = [], []
    for v in values:
        m = pattern.fullmatch(v) if v is not None else None
        if m is None:
            out.append(0)
            ok.append(False)
            continue
        sign, whole, frac = m.groups()
        value = int(whole) * scale + (int((frac or "").ljust(decimals, "0")) if decimals else 0)
        out.append(-value if sign == "-" else value)
        ok.append(True)
    return np.array(out, dtype=np.int64), np.array(ok, dtype=bool)


@dataclass
class Encoded:
    """A column as codes into its distinct values: ``codes`` int64 (-1 blank), ``values``
    (pyarrow array of the distinct non-blank cells, first-seen order), ``blank`` bool mask."""

    codes: np.ndarray
    values: pa.Array
    blank: np.ndarray


def encode(col: pa.Array, base: pa.Array | None = None) -> Encoded:
    """Distinct values and codes of a stripped string column (blank = null).

    ``base``: distinct values to encode against first (e.g. staff's person ids for
    behaviours.person_id): they keep their positions 0..len(base)-1 and values not
    in it follow, so columns of two tables share codes.
    """
    nulls = col.null_count
    blank = col.is_null().to_numpy(zero_copy_only=False) if nulls else np.zeros(len(col), dtype=bool)
    if base is None:
        enc = pc.dictionary_encode(col)
        indices = enc.indices.fill_null(-1) if nulls else enc.indices
        codes = indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return Encoded(codes, enc.dictionary, blank)
    idx = pc.index_in(col, value_set=base).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    unknown = (idx < 0) & ~blank
    values = base
    if unknown.any():
        extra = pc.dictionary_encode(col.filter(pa.array(unknown)))
        more = extra.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        idx[unknown] = len(base) + more
        values = pa.concat_arrays([base, extra.dictionary])
    return Encoded(idx, values, blank)


def from_cells(cells: list) -> pa.Array | None:
    """A list of str/None cells as a stripped string column; None when a cell is not a str."""
    if any(v is not None and not isinstance(v, str) for v in cells):
        return None
    return strip_blank(pa.array(cells, pa.string()))
