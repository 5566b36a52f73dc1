"""Load and validate a year's dataset: a folder of CSV files or one ``.xlsx`` workbook.

The tables and columns are those of docs/design.md, "Dataset format" (see
``TABLES`` below), plus an optional ``meta`` table (columns ``key``, ``value``;
e.g. ``year``, ``chamber``).

Everything a user can get wrong is collected and raised together as
:class:`engine.errors.DatasetErrors` (a list of :class:`DatasetError`, each
with file, row, column, expected, found and a hint). Only checks that need the
dataset alone are done here; checks against the profile (roles, factors and
their maxima, absence types, resources, level ids, components) are done
elsewhere.

Typed columns (exact, never floats):

========================  =============================================  ==========================
column                    numpy array                                    unit
========================  =============================================  ==========================
ids, labels, role, ...    object array of ``str`` (stripped) or ``None``  -
``direction``             object array of ``"higher"`` / ``"lower"``     -
``score``                 int64                                          centipoints (1/100 point)
``presence_days``,        int64                                          hundredths of a day
``days``
``theoretical_premium``,  int64                                          cents
``amount``
``part_time``,            int64                                          millionths (1 = 1_000_000)
``time_coefficient``
``weight``, ``pool_share``,  object array of ``decimal.Decimal`` or       as written (``50%`` is 0.5;
``target``, ``actual``,      ``None``                                     ``attested_percent`` is in
``attested_percent``                                                      percent: ``85`` or ``85%``)
========================  =============================================  ==========================

The decimal columns of ``objectives`` and ``indicators`` are
:class:`~engine.columns.Decimals`: the same object arrays of Decimal, which also hold
the values as int64 numerators over ``10**digits`` (``numerators``, ``digits``,
``blank``), for the organisational stage's integer path.

A blank cell in an optional column takes the column's default (part_time and
time_coefficient 1, weight and pool_share 1, direction ``higher``); without a
default it is ``None`` (text, Decimal) or ``0`` (int64), and
``Table.missing[column]`` is a bool mask of the blank cells (present only for
columns that had blank cells).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation, localcontext
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smvp_engine import columnar, normalise
from smvp_engine.columns import Categorical, decimals, index_of
from smvp_engine.errors import DatasetError, DatasetErrors, Msg
from smvp_engine.progress import active as progress_active
from smvp_engine.progress import report

__all__ = [
    "TABLES",
    "ColumnSpec",
    "Dataset",
    "Table",
    "TableSpec",
    "dataset_from_columns",
    "load_dataset",
]

# ---------------------------------------------------------------------------
# The format
# ---------------------------------------------------------------------------

TEXT = "text"
DIRECTION = "direction"
SCORE = "score"  # int64 centipoints
DAYS = "days"  # int64 hundredths of a day
MONEY = "money"  # int64 cents
FRACTION = "fraction"  # int64 millionths
DECIMAL = "decimal"  # object array of Decimal

#: scale of the int64 kinds: stored integer = value × scale
SCALE = {SCORE: 100, DAYS: 100, MONEY: 100, FRACTION: 1_000_000}
_DECIMALS = {SCORE: 2, DAYS: 2, MONEY: 2, FRACTION: 6}
_INT_LIMIT = 2**62

DIRECTIONS = ("higher", "lower")

_EXPECTED = {
    TEXT: Msg("a value"),
    DIRECTION: Msg("higher or lower"),
    SCORE: Msg("points ≥ 0 with at most 2 decimals, e.g. 12.5"),
    DAYS: Msg("days ≥ 0 with at most 2 decimals, e.g. 231.5"),
    MONEY: Msg("euro ≥ 0 with at most 2 decimals, e.g. 1300.00"),
    FRACTION: Msg("a fraction from 0 to 1 or a percent, e.g. 0.5 or 50%"),
    DECIMAL: Msg("a number, e.g. 2 or 2.5"),
}


@dataclass(frozen=True)
class ColumnSpec:
    """One declared column.

    ``check``: ``nonneg`` (≥ 0), ``fraction`` ([0, 1]), ``fraction_pos`` ((0, 1]),
    ``nonzero`` (≠ 0) or None. ``default`` is already typed (int in the kind's
    unit, Decimal or str). ``percent_unit``: the value itself is in percent
    (``85%`` and ``85`` both mean 85).
    """

    name: str
    kind: str = TEXT
    required: bool = False
    default: Any = None
    check: str | None = None
    percent_unit: bool = False

    @property
    def expected(self) -> str:
        if self.check == "fraction_pos":
            return Msg("a fraction in (0, 1] or a percent, e.g. 0.5 or 50%")
        if self.check == "nonzero":
            return Msg("a number other than 0")
        if self.kind == DECIMAL and self.check == "nonneg":
            return Msg("a number ≥ 0, e.g. 1 or 2.5")
        if self.percent_unit:
            return Msg("a percent ≥ 0, e.g. 95 or 95%")
        return _EXPECTED[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """One declared table: its columns and its unique key (if any)."""

    name: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _t(name: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, TEXT, required)


_ONE = Decimal(1)
_WEIGHT = ColumnSpec("weight", DECIMAL, default=_ONE, check="nonneg")

#: The dataset format (docs/design.md "Dataset format"), in reading order.
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "units", True,
            (_t("unit_id", True), _t("label", True), _t("level", True), _t("parent_id")),
            key=("unit_id",),
        ),
        TableSpec(
            "objectives", True,
            (
                _t("objective_id", True), _t("label", True), _t("level", True),
                _t("unit_id"), _t("person_id"), _WEIGHT, _t("type"),
                ColumnSpec("attested_percent", DECIMAL, check="nonneg", percent_unit=True),
                _t("attestation_note"),
            ),
            key=("objective_id",),
        ),
        TableSpec(
            "indicators", True,
            (
                _t("indicator_id", True), _t("objective_id", True), _t("label"),
                ColumnSpec("target", DECIMAL, True, check="nonzero"),
                ColumnSpec("actual", DECIMAL, True),
                _WEIGHT,
                ColumnSpec("direction", DIRECTION, default="higher"),
            ),
            key=("indicator_id",),
        ),
        TableSpec(
            "staff", True,
            (
                _t("person_id", True), _t("name"), _t("role", True), _t("unit_id", True),
                ColumnSpec("part_time", FRACTION, default=1_000_000, check="fraction_pos"),
                ColumnSpec("presence_days", DAYS, check="nonneg"),
                ColumnSpec("time_coefficient", FRACTION, default=1_000_000, check="fraction"),
                ColumnSpec("theoretical_premium", MONEY, check="nonneg"),
                _t("category"),
                ColumnSpec("pool_share", DECIMAL, default=_ONE, check="nonneg"),
                ColumnSpec("position_pay", MONEY, check="nonneg"),
                ColumnSpec("tie_breaker", SCORE),  # maggiorazione tie_policy break_by (higher first)
            ),
            key=("person_id",),
        ),
        TableSpec(
            "categories", False,
            (_t("category", True), ColumnSpec("theoretical_premium", MONEY, True, check="nonneg")),
            key=("category",),
        ),
        TableSpec(
            "behaviours", True,
            (_t("person_id", True), _t("factor", True),
             ColumnSpec("score", SCORE, True, check="nonneg")),
            key=("person_id", "factor"),
        ),
        TableSpec(
            "absences", False,
            (_t("person_id", True), _t("type", True),
             ColumnSpec("days", DAYS, True, check="nonneg")),
        ),
        TableSpec(
            "assignments", False,
            (_t("person_id", True), _t("component", True), _t("objective_id", True), _WEIGHT),
            key=("person_id", "component", "objective_id"),
        ),
        TableSpec(
            "resources", True,
            (_t("resource", True), ColumnSpec("amount", MONEY, True, check="nonneg")),
            key=("resource",),
        ),
        TableSpec(
            "projects", False,
            (_t("objective_id", True), _t("relevance", True), _t("funds"), _t("note")),
            key=("objective_id",),
        ),
        TableSpec(
            "objective_links", False,
            (_t("objective_id", True), _t("linked_objective_id", True), _WEIGHT),
            key=("objective_id", "linked_objective_id"),
        ),
        TableSpec(  # actual dates of the performance cycle's steps (smvp calendar --actual)
            "cycle", False,
            (_t("step", True), _t("date", True)),
            key=("step",),
        ),
        TableSpec("meta", False, (_t("key", True), _t("value")), key=("key",)),
    )
}

#: references checked inside the dataset: (table, column) -> (table, key column)
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("units", "parent_id", "units", "unit_id"),
    ("objectives", "unit_id", "units", "unit_id"),
    ("objectives", "person_id", "staff", "person_id"),
    ("indicators", "objective_id", "objectives", "objective_id"),
    ("staff", "unit_id", "units", "unit_id"),
    ("behaviours", "person_id", "staff", "person_id"),
    ("absences", "person_id", "staff", "person_id"),
    ("assignments", "person_id", "staff", "person_id"),
    ("assignments", "objective_id", "objectives", "objective_id"),
    ("projects", "objective_id", "objectives", "objective_id"),
    ("objective_links", "objective_id", "objectives", "objective_id"),
    ("objective_links", "linked_objective_id", "objectives", "objective_id"),
)

#: objective levels that need no unit_id; ``individuale`` needs a person_id
TOP_LEVEL = "ente"
INDIVIDUAL_LEVEL = "individuale"


# ---------------------------------------------------------------------------
# Public data
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Table:
    """One table of a dataset, typed by column.

    Attributes:
        name: table name, e.g. ``"staff"``.
        file: ``"path/staff.csv"`` or ``"path/book.xlsx[staff]"``.
        columns: column name -> numpy array (see the module docstring for the
            dtype and unit of each column). Every declared column is present,
            blank or default-filled. Arrays are read-only.
        missing: column name -> bool mask of blank cells, for each optional
            column without a default that had blank cells.
        rows: int64 source row number of each record (the header is row 1).
    """

    name: str
    file: str
    columns: dict[str, object]
    missing: dict[str, np.ndarray]
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, column: str):
        return self.columns[column]

    def location(self, index: int) -> tuple[str, int]:
        """(file, row) of the record at ``index``, for error messages."""
        return self.file, int(self.rows[index])


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded, validated year's dataset.

    Attributes:
        path: the folder or workbook loaded (``"<memory>"`` when built in memory).
        tables: every declared table (optional tables absent from the input are
            present with 0 rows), including ``meta``.
        sha256: hash of the typed content (tables sorted by name, columns in
            declared order, canonical values); the same for a CSV folder and a
            workbook holding the same data, and for a blank cell and the
            default written out.
        year: ``meta`` key ``year``, else None.
    """

    path: str
    tables: dict[str, Table]
    sha256: str
    year: int | None
    #: how files were read when not as the format says ("<file>: read as Windows-1252 …")
    notes: tuple[str, ...] = ()

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r}; tables: {', '.join(self.tables)}") from None

    @property
    def meta(self) -> dict[str, str | None]:
        """The ``meta`` table as a dict key -> value."""
        t = self.tables["meta"]
        return dict(zip(t.columns["key"], t.columns["value"]))


# ---------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------


class _Bad(Exception):
    """A cell that cannot be read; turned into a DatasetError by the caller."""

    def __init__(self, message: str, expected: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.hint = hint


class _PercentCell(float):
    """A numeric workbook cell formatted as a percent (its value is the fraction)."""


_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:([.,' \u00a0\u202f])\d{3})+(?:[.,]\d+)?$")
_AMBIGUOUS_THOUSANDS = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")
_PERCENT = re.compile(r"\s*%$")


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _show(v: Any) -> str:
    """A cell as shown in an error's ``found``."""
    if isinstance(v, str):
        t = v.strip()
        if _NUMBER.match(_PERCENT.sub("", t).replace("\u2212", "-")):
            return t  # a number as written: -3, 1,5, 150%
        return json.dumps(t, ensure_ascii=False)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, _PercentCell):
        return _fmt_decimal(Decimal(repr(float(v))) * 100) + "%"
    if isinstance(v, float):
        return _float_text(v)
    if isinstance(v, (datetime, date, time)):
        return v.isoformat()
    return str(v)


def _float_text(v: float) -> str:
    if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _fmt_decimal(d: Decimal) -> str:
    """Canonical text of a Decimal: no exponent, no trailing zeros."""
    if d == 0:
        return "0"
    n = d.normalize()
    return format(n, "f")


def _fmt_scaled(n: int, scale: int) -> str:
    with localcontext() as ctx:
        ctx.prec = 60
        return _fmt_decimal(Decimal(int(n)) / scale)


def _text(v: Any) -> str | None:
    """A text cell: stripped str, or None when blank."""
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return s or None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return _float_text(v)
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat()
    if isinstance(v, (date, time)):
        return v.isoformat()
    return str(v).strip() or None


def _number(v: Any, *, money: bool = False) -> tuple[Decimal, bool]:
    """A numeric cell -> (value, written_as_percent). ``50%`` gives (0.5, True)."""
    if isinstance(v, bool):
        raise _Bad(Msg('not a number'))
    if isinstance(v, (datetime, date, time)):
        raise _Bad(Msg('not a number (the cell holds a date or time)'),
                    hint=Msg('format the cell as a number, not a date'))
    if isinstance(v, _PercentCell):
        return Decimal(repr(float(v))), True
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _Bad(Msg('not a number'))
        return Decimal(repr(v)), False
    if isinstance(v, int):
        return Decimal(v), False
    s = str(v).strip().replace("\u2212", "-")
    percent = False
    if _PERCENT.search(s):
        s = _PERCENT.sub("", s)
        percent = True
    if money:
        s = s.replace("€", "").strip()
    grouped = normalise.grouped_number(s)  # 1.234,56: thousands where unambiguous
    if grouped is not None:
        s = grouped
    if _NUMBER.match(s):
        d = Decimal(s.replace(",", "."))
        if percent:
            with localcontext() as ctx:
                ctx.prec = 60
                d = d / 100
        return d, percent
    if _THOUSANDS.match(s) or (s.count(".") + s.count(",") > 1 and re.fullmatch(r"[+-]?[\d.,]+", s)):
        raise _Bad(Msg('thousands separator in a number'),
                    hint=Msg('write the number without thousands separators, with . or , before the decimals, e.g. 1234.56'))
    raise _Bad(Msg('not a number'))


def _scaled(d: Decimal, kind: str, raw: Any) -> int:
    """Decimal -> int64 in the kind's unit, refusing extra decimals."""
    scale, decimals = SCALE[kind], _DECIMALS[kind]
    written = 0
    if isinstance(raw, str) and kind != FRACTION:
        # digits written after the separator count, even trailing zeros: "1.500" is
        # not read as 1.5 (it may be 1500 with a thousands separator)
        text = raw.strip().replace("€", "").strip()
        text = normalise.grouped_number(_PERCENT.sub("", text)) or text
        m = re.search(r"[.,](\d*)\s*$", text)
        written = len(m.group(1)) if m else 0
    with localcontext() as ctx:
        ctx.prec = 60
        q = d * scale
        if q != q.to_integral_value() or written > decimals:
            if kind == FRACTION:
                hint = Msg('round to at most 6 decimals (4 decimals for a percent)')
            else:
                hint = Msg('round to {decimals} decimals', decimals=decimals)
            if kind == MONEY and isinstance(raw, str) and _AMBIGUOUS_THOUSANDS.match(raw.strip()):
                sep = "." if "." in raw else ","
                hint = Msg("{hint}, or if '{sep}' is a thousands separator remove it (write {plain})",
                           hint=hint, sep=sep, plain=raw.strip().replace(sep, ""))
            raise _Bad(Msg('too many decimals'),
                        expected=(Msg("at most {decimals} decimals (as a fraction of 1)", decimals=decimals)
                                  if kind == FRACTION else Msg("at most {decimals} decimals", decimals=decimals)),
                        hint=hint)
        n = int(q)
    if abs(n) > _INT_LIMIT:
        raise _Bad(Msg('number too large'))
    return n


#: :func:`_cell`'s value of a cell that types, by (column, type of the cell, cell): the same
#: decimal texts come back table after table (a national run types thousands of years)
_TYPED_CELLS: dict[tuple[ColumnSpec, type, Any], Any] = {}


def _typed_cell(col: ColumnSpec, v: Any) -> Any:
    """:func:`_cell`, remembered for the cells that type (a bad cell raises each time)."""
    key = (col, type(v), v)
    try:
        return _TYPED_CELLS[key]
    except KeyError:
        pass
    except TypeError:  # a cell that cannot be a key
        return _cell(col, v)
    typed = _cell(col, v)
    if len(_TYPED_CELLS) >= 50_000:
        _TYPED_CELLS.clear()
    _TYPED_CELLS[key] = typed
    return typed


def _cell(col: ColumnSpec, v: Any) -> Any:
    """Type one non-blank cell of ``col`` (raises _Bad)."""
    kind = col.kind
    if kind == TEXT:
        return _text(v)
    if kind == DIRECTION:
        s = normalise.keyword("direction", _text(v) or "")
        if s not in DIRECTIONS:
            raise _Bad(Msg('unknown direction'), hint=Msg('write higher (more is better) or lower (also crescente / decrescente)'))
        return s
    d, percent = _number(v, money=(kind == MONEY))
    if kind in SCALE:
        if percent and kind != FRACTION:
            raise _Bad(Msg('a percent is not allowed here'))
        return _scaled(d, kind, v)
    # DECIMAL
    if col.percent_unit:
        if percent:
            with localcontext() as ctx:
                ctx.prec = 60
                d = d * 100
        else:
            _check_percent_unit(d)
    return d


def _check_percent_unit(d: Decimal) -> None:
    """A percent column (``*_percent``) holds percent: ``95`` and ``95%`` mean 95 %.

    A bare value in (0, 1] is ambiguous — ``0.95`` may be 0.95 % or a fraction
    meaning 95 % — so it is refused; ``0.95%`` and ``95`` are not.
    """
    if 0 < d <= 1:
        with localcontext() as ctx:
            ctx.prec = 60
            as_fraction = format((d * 100).normalize(), "f")
        raise _Bad(Msg('ambiguous percent: this column is in percent, not a fraction of 1'),
                   expected=Msg('a percent, e.g. 95 or 95% (a value from 0 to 1 needs the % sign)'),
                   hint=Msg('write {value} (or {value}%) for {value_percent}, or {cell_with_sign} for {cell_percent}', value=as_fraction, value_percent=f"{as_fraction} %", cell_with_sign=f"{format(d.normalize(), 'f')}%", cell_percent=f"{format(d.normalize(), 'f')} %"))


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


@dataclass
class _Raw:
    """A table as read, before typing: the header cells and one column per header cell.

    ``columns[i]``: a pyarrow string array (cells stripped, blank cells null) from the
    columnar readers, or a list of cells as read (str, number, date, None) from the
    cell-by-cell readers. ``rows``: source row number of each record.
    """

    name: str
    file: str
    header: list[Any]
    header_row: int
    columns: list[Any]
    rows: np.ndarray
    #: the records as read, cell by cell (None when read in columns)
    records: list[tuple[int, list[Any]]] | None = None
    #: a text format whose cells shift when a separator is missing or extra (CSV);
    #: False for a workbook, where a cell stays in its column
    delimited: bool = True
    #: (row, column index) of cells already reported (workbook formula errors)
    bad_cells: frozenset = frozenset()
    #: how the file was read when it was not as the format says (engine/normalise.py),
    #: e.g. "read as Windows-1252 (the file is not UTF-8)"; None otherwise
    note: str | None = None

    @classmethod
    def from_records(cls, name: str, file: str, header: list[Any], header_row: int,
                     records: list[tuple[int, list[Any]]], **kw: Any) -> "_Raw":
        width = len(header)
        columns = [[c[i] if i < len(c) else None for _, c in records] for i in range(width)]
        rows = np.fromiter((r for r, _ in records), dtype=np.int64, count=len(records))
        return cls(name, file, header, header_row, columns, rows, records, **kw)


def _err(errors: list, message: str, **kw: Any) -> None:
    errors.append(DatasetError(message, **kw))


def _table_name(stem: str) -> str:
    """A file stem or sheet name as a table name (Italian names accepted: engine/normalise.py)."""
    return normalise.table_name(stem)


def _did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)


def _unknown_table(errors: list, name: str, file: str, kind: str) -> None:
    near = _did_you_mean(name, TABLES)
    hint = (Msg('did you mean {near_0}? Otherwise remove the {kind}', near_0=near[0], kind=kind) if near
            else Msg('rename or remove the {kind}', kind=kind))
    _err(errors, Msg('unknown table {name!r}', name=name), file=file, expected=Msg("one of {values}", values=", ".join(TABLES)),
         found=json.dumps(name), hint=hint)


def _decode(data: bytes) -> tuple[bytes, str | None]:
    """The file's bytes as UTF-8 without BOM, and a note when converted (engine/normalise.py:
    Windows-1252, as Italian Excel saves CSV, is read)."""
    return normalise.decode(data)


def _read_csv(path: Path, name: str, errors: list) -> _Raw | None:
    """Read one CSV file; None (with an error) when it cannot be read.

    The plain case is read in columns (engine/columnar.py); anything else (blank
    lines, ragged rows, line breaks in values, not UTF-8) cell by cell with Python's
    csv module, which names the row of a structural problem.
    """
    file = str(path)
    try:
        data, note = _decode(path.read_bytes())
    except OSError as exc:
        _err(errors, Msg('cannot read the file: {exc_strerror_or_exc}', exc_strerror_or_exc=exc.strerror or exc), file=file)
        return None
    read = columnar.read_csv(data)
    if read is not None:
        return _Raw(name, file, read.header, read.header_row, read.columns, read.rows, note=note)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _err(errors, Msg('the file is not UTF-8 text'), file=file,
             found=f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}",
             hint=Msg("save it as 'CSV UTF-8' (in LibreOffice: character set Unicode UTF-8)"))
        return None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    records: list[tuple[int, list[Any]]] = []
    header: list[Any] | None = None
    header_row = 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    last_line = 0
    try:
        for cells in reader:
            row_no, last_line = last_line + 1, reader.line_num  # a quoted value may span lines
            if all(not c.strip() for c in cells):
                continue
            if header is None:
                header, header_row = cells, row_no
            else:
                records.append((row_no, cells))
    except csv.Error as exc:
        errors.append(csv_parse_error(text, delimiter, file, exc))
        return None
    if header is None:
        return _Raw.from_records(name, file, [], 1, [], note=note)
    return _Raw.from_records(name, file, header, header_row, records, note=note)


def _read_parquet(path: Path, name: str, errors: list) -> _Raw | None:
    """Read one Parquet file in columns; None (with an error) when it cannot be read."""
    try:
        read = columnar.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...
        _err(errors, Msg('the Parquet file cannot be read: {exc}', exc=exc), file=str(path),
             hint=Msg('write it with pandas, polars, DuckDB or pyarrow (one table per file)'))
        return None
    return _Raw(name, str(path), read.header, read.header_row, read.columns, read.rows)


def csv_parse_error(text: str, delimiter: str, file: str, exc: Exception | None = None
                    ) -> DatasetError:
    """The one error explaining why CSV ``text`` cannot be parsed (a structural problem).

    Called when a CSV parser gives up (``csv.Error``, or a columnar reader's
    parse error): finds the first quote problem by scanning the text as RFC 4180
    does — an opening quote never closed (the rest of the file would become one
    value), or a closing quote followed by more text in the same value — and
    names its line. Every other cell problem is moot until it is fixed, so this
    is reported alone.
    """
    problem = _quote_problem(text, delimiter)
    if problem is not None:
        kind, line, snippet = problem
        if kind == "unterminated":
            return DatasetError(
                Msg('unterminated quote: the value opened with " on line {line} is never closed', line=line),
                file=file, line=line, expected=Msg('a closing " before the end of the value'),
                found=snippet,
                hint=Msg('close the quote, or remove it; a " inside a quoted value is written ""'))
        return DatasetError(
            Msg('text after a closing quote on line {line}', line=line), file=file, line=line,
            expected=Msg('{delimiter!r} or the end of the line after a closing "', delimiter=delimiter), found=snippet,
            hint=Msg('quote the whole value, and write a " inside it as ""'))
    return DatasetError(Msg('the CSV cannot be read: {exc}', exc=exc), file=file,
                        hint=Msg('check the quotes (") in the file'))


def _quote_problem(text: str, delimiter: str) -> tuple[str, int, str] | None:
    """(kind, line, text near it) of the first quote problem of ``text``, or None."""
    line, i, n = 1, 0, len(text)
    at_field_start = True
    while i < n:
        ch = text[i]
        if at_field_start and ch == '"':
            start_line, start = line, i
            i += 1
            while True:
                j = text.find('"', i)
                if j < 0:
                    return "unterminated", start_line, _near(text, start)
                line += text.count("\n", i, j)
                if text.startswith('""', j):
                    i = j + 2
                    continue
                i = j + 1
                break
            if i < n and text[i] not in (delimiter, "\r", "\n"):
                return "after_quote", line, _near(text, start)
            at_field_start = False
            continue
        if ch == delimiter:
            at_field_start = True
        elif ch == "\n":
            line += 1
            at_field_start = True
        elif ch != "\r":
            at_field_start = False
        i += 1
    return None


def _near(text: str, at: int) -> str:
    end = text.find("\n", at)
    snippet = text[at:end if end >= 0 else len(text)].rstrip("\r")
    return json.dumps(snippet[:60] + ("…" if len(snippet) > 60 else ""), ensure_ascii=False)


def _read_folder(folder: Path, errors: list, meter: "_Meter | None" = None) -> tuple[dict[str, _Raw | None], dict[str, str]]:
    """Read the CSV files of a folder: table -> _Raw (None: present but unreadable); each file
    read is reported to ``meter`` by its size."""
    raws: dict[str, _Raw | None] = {}
    seen: dict[str, str] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        _err(errors, Msg('cannot read the folder: {exc_strerror_or_exc}', exc_strerror_or_exc=exc.strerror or exc), file=str(folder))
        return raws, {}
    for p in entries:
        if not p.is_file() or p.suffix.lower() not in (".csv", ".parquet") or p.name.startswith((".", "~$")):
            continue
        name = _table_name(p.stem)
        if name not in TABLES:
            _unknown_table(errors, name, str(p), "file")
            continue
        if name in seen:
            _err(errors, Msg('table {name!r} given twice', name=name), file=str(p),
                 hint=Msg('also in {seen_name}; keep one', seen_name=seen[name]))
            continue
        seen[name] = str(p)
        reader = _read_parquet if p.suffix.lower() == ".parquet" else _read_csv
        raws[name] = reader(p, name, errors)
        if meter is not None:
            meter.read(name, p)
    files = {n: seen.get(n, str(folder / f"{n}.csv")) for n in TABLES}
    return raws, files


def _read_xlsx(path: Path, errors: list) -> tuple[dict[str, _Raw | None], dict[str, str]]:
    """Read the sheets of a workbook: table -> _Raw. Raises DatasetErrors if unreadable."""
    import openpyxl  # local: only needed for workbooks

    raws: dict[str, _Raw | None] = {}
    files = {n: f"{path}[{n}]" for n in TABLES}
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises BadZipFile, KeyError, InvalidFileException, ...
        raise DatasetErrors([DatasetError(
            Msg('cannot read the workbook: {exc}', exc=exc), file=str(path),
            hint=Msg('save it as an Excel workbook (.xlsx)'))]) from None
    try:
        for ws in wb.worksheets:
            name = _table_name(ws.title)
            file = f"{path}[{ws.title}]"
            if name not in TABLES:
                _unknown_table(errors, name, file, "sheet")
                continue
            if name in raws:
                _err(errors, Msg('table {name!r} given twice', name=name), file=file,
                     hint=Msg('also in {files_name}; keep one', files_name=files[name]))
                continue
            files[name] = file
            header: list[Any] | None = None
            header_row = 1
            records: list[tuple[int, list[Any]]] = []
            uncomputed = _uncomputed_formulas(path, getattr(ws, "_worksheet_path", None))
            bad: set[tuple[int, int]] = set()
            for row_no, row in enumerate(ws.iter_rows(min_row=1), 1):
                values: list[Any] = []
                for j, c in enumerate(row):
                    v = c.value
                    if isinstance(v, float) and "%" in (getattr(c, "number_format", None) or ""):
                        v = _PercentCell(v)
                    problem = _formula_problem(getattr(c, "data_type", None), v,
                                               uncomputed.get((row_no, j + 1)))
                    if problem is not None:
                        bad.add((row_no, j))
                        field = _text(header[j]) if header and j < len(header) else None
                        where = f"{_column_letter(j + 1)}{row_no}"
                        _err(errors, Msg('{problem_0} in cell {where}', problem_0=problem[0], where=where), file=file, line=row_no,
                             field=field, expected=Msg("a value (the formula's result)"),
                             found=problem[1], hint=problem[2])
                    values.append(v)
                if all(_is_blank(v) for v in values):
                    continue
                if header is None:
                    header, header_row = values, row_no
                else:
                    records.append((row_no, values))
            raws[name] = _Raw.from_records(name, file, header or [], header_row, records,
                                           delimited=False, bad_cells=frozenset(bad))
    finally:
        wb.close()
    return raws, files


#: the error values a spreadsheet shows for a formula that cannot be computed
EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def _formula_problem(data_type: str | None, value: Any, formula: str | None
                     ) -> tuple[str, str, str] | None:
    """(message, found, hint) for a workbook cell whose formula gave no value, else None."""
    if data_type == "e" or (isinstance(value, str) and value.strip() in EXCEL_ERRORS):
        code = str(value).strip()
        return (f"formula error {code}", code,
                "correct the formula (or its inputs) in the workbook, or write the value")
    if formula is not None and value is None:
        return ("formula without a computed value", f"={formula}",
                ("open the workbook in Excel or LibreOffice and save it, so the formula's "
                 "value is stored, or write the value"))
    return None


def _column_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_CELL_XML = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_CELL_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.DOTALL)
_CELL_VALUE = re.compile(rb"<v>[^<]+</v>")


def _uncomputed_formulas(path: Path, sheet_xml: str | None) -> dict[tuple[int, int], str]:
    """(row, column) → formula text of the sheet's formula cells with no stored value.

    A workbook written by a program that does not compute formulas (openpyxl,
    some exports) stores ``=1/0`` with no cached value: read with its values it
    looks blank. Scans the sheet's XML only when it holds a formula.
    """
    if not sheet_xml:
        return {}
    import zipfile
    from xml.sax.saxutils import unescape

    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read(sheet_xml)
    except (OSError, KeyError, zipfile.BadZipFile):
        return {}
    if b"<f" not in xml:
        return {}
    out: dict[tuple[int, int], str] = {}
    for m in _CELL_XML.finditer(xml):
        body = m.group(2) or b""
        f = _CELL_FORMULA.search(body)
        if f is None or _CELL_VALUE.search(body):
            continue
        ref = _CELL_REF.search(m.group(1))
        if ref is None:
            continue
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ch - 64
        text = unescape((f.group(1) or b"").decode("utf-8", "replace"))
        out[(int(ref.group(2)), col)] = text or "(shared formula)"
    return out


# ---------------------------------------------------------------------------
# Typing a table
# ---------------------------------------------------------------------------


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _object_array(values: list) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


#: tables whose text columns are typed as :class:`~engine.columns.Categorical` (codes into
#: the distinct values): the large ones, whose id columns the engine maps by code
CATEGORICAL_TABLES = frozenset({"staff", "behaviours", "absences"})
#: columns encoded against another table's ids (shared codes: no per-row lookup later)
#: columns of the other tables typed as Categorical too: the units', objectives' and indicators'
#: ids, levels and parents, which the organisational and individual stages group and map by code
CATEGORICAL_COLUMNS = frozenset({("units", "unit_id"), ("units", "level"), ("units", "parent_id"),
                                 ("objectives", "objective_id"), ("objectives", "level"), ("objectives", "unit_id"),
                                 ("indicators", "indicator_id"), ("indicators", "objective_id")})
SHARED_VOCABULARY = {("units", "parent_id"): ("units", "unit_id"),
                     ("objectives", "unit_id"): ("units", "unit_id"),
                     ("staff", "unit_id"): ("units", "unit_id"),
                     ("indicators", "objective_id"): ("objectives", "objective_id"),
                     ("behaviours", "person_id"): ("staff", "person_id"),
                     ("absences", "person_id"): ("staff", "person_id")}
#: tables whose decimal columns are typed as :class:`~engine.columns.Decimals` (the values also
#: as int64 numerators over a power of ten): those the organisational stage reads as integers
NUMERATOR_TABLES = frozenset({"objectives", "indicators"})
#: errors of one kind (column and message) reported row by row; the rest are counted
ERRORS_PER_KIND = 10


def _categorical(table: str, column: str) -> bool:
    """Whether a text column is typed as :class:`~engine.columns.Categorical`."""
    return table in CATEGORICAL_TABLES or (table, column) in CATEGORICAL_COLUMNS


def _header_name(h: Any) -> str:
    """A header cell as the column name it stands for: case, accents and spaces do not matter,
    Italian names are accepted (``Matricola`` → ``person_id``; engine/normalise.py)."""
    text = _text(h)
    return normalise.column_name(text) if text else ""


def _column_has_values(values: Any) -> bool:
    if isinstance(values, list):
        return any(not _is_blank(v) for v in values)
    return values.null_count < len(values)


def _type_raw(spec: TableSpec, raw: _Raw, errors: list,
              vocab: dict[tuple[str, str], Any] | None = None) -> tuple[Table, dict[str, Any]]:
    """Header checks and column typing of one read table -> (Table, raw cells per column).

    ``vocab``: (table, column) -> (pyarrow ids, Categorical) of columns already typed,
    for :data:`SHARED_VOCABULARY`; this table's shared columns are added to it.
    """
    file = raw.file
    names = [_header_name(h) for h in raw.header]
    declared = spec.column_names
    position: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for i, n in enumerate(names):
        if not n:
            if i < len(raw.columns) and _column_has_values(raw.columns[i]):
                _err(errors, Msg('column without a name'), file=file, line=raw.header_row,
                     field=f"column {i + 1}", hint=Msg('write the column name in the header row'))
        elif n in position:
            _err(errors, Msg('column {n!r} appears twice', n=n), file=file, line=raw.header_row, field=n,
                 hint=Msg('columns {position_n_1} and {i_1}; keep one', position_n_1=position[n] + 1, i_1=i + 1))
        elif n in declared:
            position[n] = i
        else:
            unknown.append((i, n))
            position.setdefault(n, i)

    missing_cols = [c for c in spec.columns if c.name not in position]
    found_list = ", ".join(n for n in names if n) or "no columns"
    claimed: set[str] = set()
    for c in missing_cols:
        if not c.required:
            continue
        near = _did_you_mean(c.name, [n for _, n in unknown if n not in claimed])
        if near:
            claimed.add(near[0])
            hint = Msg('did you mean {near_0!r}? rename that column to {name}', near_0=near[0], name=c.name)
        else:
            hint = Msg('add a column {name} to the header row', name=c.name)
        _err(errors, Msg('missing required column'), file=file, line=raw.header_row, field=c.name,
             expected=Msg('columns {v0}', v0=', '.join(x.name for x in spec.columns if x.required)),
             found=found_list, hint=hint)
    for _i, n in unknown:
        if n in claimed:
            continue
        near = _did_you_mean(n, declared)
        hint = (Msg('did you mean {near_0}? Otherwise remove the column', near_0=near[0]) if near
                else Msg('rename or remove the column'))
        _err(errors, Msg('unknown column'), file=file, line=raw.header_row, field=n,
             expected=Msg("one of {values}", values=", ".join(declared)), found=json.dumps(n), hint=hint)

    skip = _field_count_errors(spec, raw, position, errors) if raw.records is not None else set()

    rows = raw.rows
    n_rows = len(rows)
    columns: dict[str, object] = {}
    missing: dict[str, np.ndarray] = {}
    raw_cells: dict[str, Any] = {}
    vocab = {} if vocab is None else vocab
    for col in spec.columns:
        i = position.get(col.name)
        values = raw.columns[i] if i is not None and i < len(raw.columns) else None
        if values is None:
            fill = col.default if col.default is not None else (0 if col.kind in SCALE else None)
            if col.kind in SCALE:
                columns[col.name] = np.full(n_rows, fill, dtype=np.int64)
            elif _categorical(spec.name, col.name) and col.kind == TEXT:
                columns[col.name] = Categorical(np.full(n_rows, -1, dtype=np.int64), _object_array([]))
            else:
                columns[col.name] = np.full(n_rows, fill, dtype=object) if n_rows else np.empty(0, dtype=object)
            if not col.required and col.default is None and n_rows:
                missing[col.name] = np.ones(n_rows, dtype=bool)
            continue
        silent = None
        if raw.records is not None and (skip or raw.bad_cells):
            # shifted cells (field count) or a formula error: reported once, not typed
            keep_key = col.name in spec.key and col.kind == TEXT
            silent = np.array([(k in skip and not keep_key) or (row_no, i) in raw.bad_cells
                               for k, row_no in enumerate(rows.tolist())], dtype=bool)
            values = [None if q else v for v, q in zip(values, silent.tolist())]
        shared = vocab.get(SHARED_VOCABULARY.get((spec.name, col.name), ("", "")))
        typed, blank, cells, arrow = _type_column(col, values, rows, file, errors,
                                                  required=col.required,
                                                  categorical=_categorical(spec.name, col.name) and col.kind == TEXT,
                                                  shared=shared, silent=silent,
                                                  numerators=spec.name in NUMERATOR_TABLES)
        columns[col.name] = typed
        raw_cells[col.name] = cells
        if (spec.name, col.name) in SHARED_VOCABULARY.values() and arrow is not None:
            vocab[(spec.name, col.name)] = (arrow, typed)
        if not col.required and col.default is None and blank.any():
            missing[col.name] = blank
    return _make_table(spec.name, file, columns, missing, rows), raw_cells


def _type_column(col: ColumnSpec, values: Any, rows: np.ndarray, file: str, errors: list, *,
                 required: bool, categorical: bool, shared: Any = None,
                 silent: np.ndarray | None = None, numerators: bool = False):
    """Type one column -> (typed array or Categorical, blank mask, raw cells, distinct ids).

    ``numerators``: a decimal column as :class:`~engine.columns.Decimals` (its values also as
    int64 numerators over a power of ten, see :data:`NUMERATOR_TABLES`).

    Each distinct cell is typed once with :func:`_cell` (the same rules and messages as
    ever) and the result gathered with the column's codes. Errors are reported row by
    row, at most :data:`ERRORS_PER_KIND` of each kind, then counted. ``silent``: rows
    already reported (blank here, no "blank cell" error).
    """
    arrow = values if not isinstance(values, list) else columnar.from_cells(values)
    fill = col.default if col.default is not None else (0 if col.kind in SCALE else None)
    distinct_ids = None
    if arrow is not None:
        base = shared[0] if shared is not None else None
        enc = columnar.encode(arrow, base)
        codes, blank = enc.codes, enc.blank
        cells: Any = arrow
        if col.kind == TEXT:  # stripped, non-blank strings already: the text is the cell
            distinct: Any = enc.values.to_numpy(zero_copy_only=False)
            distinct_ids = enc.values
        elif col.kind in SCALE:  # plain numbers in C; any other cell by the rules below
            scaled, plain = columnar.scaled_integers(enc.values, _DECIMALS[col.kind])
            distinct = _Lazy(enc.values)
        else:
            distinct = enc.values.to_pylist()
    else:  # cells of several types (workbooks): distinct by type and value
        index: dict[Any, int] = {}
        distinct = []
        codes_list = []
        for v in values:
            if _is_blank(v):
                codes_list.append(-1)
                continue
            key = (type(v), v)
            k = index.get(key)
            if k is None:
                k = index[key] = len(distinct)
                distinct.append(v)
            codes_list.append(k)
        codes = np.array(codes_list, dtype=np.int64)
        blank = codes < 0
        cells = values

    problems: list[tuple[int, str, _Bad | None, Any]] = []  # (row index, kind, bad, raw)
    counts: dict[str, int] = {}
    report_blank = blank if silent is None else blank & ~silent
    if required and report_blank.any():
        counts["blank"] = int(report_blank.sum())
        for j in np.flatnonzero(report_blank)[: ERRORS_PER_KIND + 1]:
            problems.append((int(j), "blank", None, None))
    bad: dict[int, _Bad] = {}
    if col.kind == TEXT and arrow is not None:
        typed: Any = distinct
    elif col.kind in SCALE and arrow is not None:
        typed = scaled
        for k in np.flatnonzero(~plain).tolist():
            try:
                typed[k] = _cell(col, distinct[k])
            except _Bad as exc:
                bad[k] = exc
                typed[k] = fill
    else:
        typed = []
        for k, v in enumerate(distinct):
            try:
                typed.append(_typed_cell(col, v))
            except _Bad as exc:
                bad[k] = exc
                typed.append(fill)
    if col.kind == TEXT and arrow is None:
        # several raw cells may give one text (1.0 and "1"): type the texts themselves
        texts = [None if c < 0 else typed[c] for c in codes.tolist()]
        return _type_column(col, texts, rows, file, errors, required=required,
                            categorical=categorical, shared=shared, silent=silent)[:2] + (cells, None)
    if col.kind == TEXT:
        if categorical:
            if shared is not None and len(distinct) == len(shared[1].categories):
                cats = shared[1].categories  # the same object: the engine maps by code
            else:
                cats = typed
            out: Any = Categorical(codes, cats)
        else:
            out = np.append(typed, None)[codes] if len(codes) else np.empty(0, dtype=object)
    elif col.kind in SCALE:
        out = np.append(np.array(typed, dtype=np.int64), np.int64(fill))[codes] if len(codes) else \
            np.zeros(0, dtype=np.int64)
    else:
        out = _object_array(typed + [fill])[codes] if len(codes) else np.empty(0, dtype=object)
        if numerators and col.kind == DECIMAL:  # each distinct value's numerator once, gathered
            out = decimals(out, typed + [fill], codes)
    if bad:
        is_bad = np.zeros(len(typed) + 1, dtype=bool)
        is_bad[list(bad)] = True
        for j in np.flatnonzero(is_bad[codes]).tolist():
            exc = bad[int(codes[j])]
            counts[exc.message] = counts.get(exc.message, 0) + 1
            if counts[exc.message] <= ERRORS_PER_KIND + 1:
                problems.append((j, exc.message, exc, distinct[int(codes[j])]))
    _report(problems, col, rows, file, errors, counts)
    return out, blank, cells, distinct_ids


class _Lazy:
    """Python values of a pyarrow array, converted one at a time when asked for."""

    def __init__(self, values: Any):
        self.values = values

    def __getitem__(self, k: int) -> Any:
        return self.values[k].as_py()

    def __len__(self) -> int:
        return len(self.values)


def _report(problems: list, col: ColumnSpec, rows: np.ndarray, file: str, errors: list,
            counts: dict[str, int]) -> None:
    """The problems of one column in row order: at most ERRORS_PER_KIND of each kind, then
    one error counting the rest of that kind."""
    problems.sort(key=lambda p: p[0])
    shown: dict[str, int] = {}
    for j, kind, exc, raw in problems:
        shown[kind] = shown.get(kind, 0) + 1
        row = int(rows[j])
        message = Msg('blank cell in a required column') if kind == "blank" else kind
        if shown[kind] > ERRORS_PER_KIND:
            rest = counts[kind] - ERRORS_PER_KIND
            _err(errors, Msg('{message}: {rest} more row{s_if_rest_1_else} like this, from this row on', message=message, rest=rest, s_if_rest_1_else='s' if rest != 1 else ''), file=file, line=row, field=col.name, expected=col.expected,
                 found=Msg('{rest} more', rest=rest), hint=Msg('only the first rows of each kind are listed'))
            continue
        if kind == "blank":
            _err(errors, message, file=file, line=row,
                 field=col.name, expected=col.expected, found=Msg('a blank cell'))
        else:
            _err(errors, exc.message, file=file, line=row, field=col.name,
                 expected=exc.expected or col.expected, found=_show(raw), hint=exc.hint)


def _field_count_errors(spec: TableSpec, raw: _Raw, position: dict[str, int],
                        errors: list) -> set[int]:
    """Rows whose number of cells does not fit the header: one error each; their indices.

    A row with more non-blank cells than the header has columns, or that ends
    before a required column, has its values shifted (an unquoted separator
    inside a value, a missing one): its cells are not typed, so the row's field
    count is reported instead of a cascade of wrong types in the shifted cells.
    """
    width = len(raw.header)
    if not raw.delimited:
        for row_no, cells in raw.records:
            extra = [v for v in cells[width:] if not _is_blank(v)]
            if extra:
                _err(errors, Msg("the row has values beyond the header's {width} columns", width=width),
                     file=raw.file, line=row_no, found=", ".join(_show(v) for v in extra[:3]),
                     hint=Msg('a value without a header: name its column or remove it'))
        return set()
    last_required = max((position[c.name] for c in spec.columns
                         if c.required and c.name in position), default=-1)
    lengths = [len(cells) for _, cells in raw.records]
    # a regular file: most rows have the header's number of cells, so any other is shifted
    regular = bool(lengths) and max(set(lengths), key=lengths.count) == width
    skip: set[int] = set()
    for k, (row_no, cells) in enumerate(raw.records):
        n = len(cells)
        if n == width:
            continue
        extra = [v for v in cells[width:] if not _is_blank(v)]
        if n > width and (extra or regular):
            hint = (Msg('an unquoted separator inside a value (quote it: "Rossi, Anna"), or a value without a header'))
        elif n < width and (n <= last_required or regular):
            hint = Msg('a missing separator, or a row cut short')
        else:
            continue
        _err(errors, Msg('the row has {n} cells but the header has {width} columns', n=n, width=width),
             file=raw.file, line=row_no,
             found=", ".join(_show(v) for v in (extra or cells)[:4])
             + (", …" if len(extra or cells) > 4 else ""),
             hint=hint)
        skip.add(k)
    return skip


def _make_table(name: str, file: str, columns: dict[str, object],
                missing: dict[str, np.ndarray], rows: np.ndarray) -> Table:
    for a in list(columns.values()) + list(missing.values()) + [rows]:
        if isinstance(a, Categorical):
            _readonly(a.codes)
            _readonly(a.categories)
        else:
            _readonly(a)  # type: ignore[arg-type]
    return Table(name=name, file=file, columns=columns, missing=missing, rows=rows)


def _empty_table(spec: TableSpec, file: str) -> Table:
    columns: dict[str, object] = {}
    for c in spec.columns:
        columns[c.name] = np.zeros(0, dtype=np.int64) if c.kind in SCALE else np.empty(0, dtype=object)
    return _make_table(spec.name, file, columns, {}, np.zeros(0, dtype=np.int64))


# ---------------------------------------------------------------------------
# Checks on typed tables (shared by load_dataset and dataset_from_columns)
# ---------------------------------------------------------------------------

Found = Callable[[str, str, int], str]


def _range_checks(spec: TableSpec, table: Table, errors: list, found: Found) -> None:
    for col in spec.columns:
        if not col.check:
            continue
        a = table.columns[col.name]
        if col.kind in SCALE:
            arr = np.asarray(a)
            if col.check == "nonneg":
                bad = arr < 0
            elif col.check == "fraction":
                bad = (arr < 0) | (arr > SCALE[FRACTION])
            elif col.check == "fraction_pos":
                bad = (arr <= 0) | (arr > SCALE[FRACTION])
            else:  # pragma: no cover - no such column
                bad = arr == 0
            idx = np.flatnonzero(bad)
        else:
            if col.check == "nonzero":
                idx = [i for i, v in enumerate(a) if v is not None and v == 0]
            else:
                idx = [i for i, v in enumerate(a) if v is not None and v < 0]
        for i in idx:
            i = int(i)
            if col.kind == DAYS:
                msg = Msg('negative number of days')
            elif col.kind == MONEY:
                msg = Msg('negative amount')
            elif col.kind == SCORE:
                msg = Msg('negative score')
            elif col.kind == FRACTION:
                msg = Msg('{name} out of range', name=col.name)
            elif col.check == "nonzero":
                msg = Msg('{name} is 0', name=col.name)
            else:
                msg = Msg('negative {name}', name=col.name)
            hint = None
            if col.kind == FRACTION:
                hint = (Msg("write a fraction (0.5) or a percent (50%); a part time of 0 is not allowed")
                        if col.check == "fraction_pos" else Msg('write a fraction (0.5) or a percent (50%)'))
            elif col.check == "nonzero":
                hint = Msg('achievement is actual/target (target/actual when lower is better): target cannot be 0')
            _err(errors, msg, file=table.file, line=int(table.rows[i]), field=col.name,
                 expected=col.expected, found=found(spec.name, col.name, i), hint=hint)


def _key_checks(spec: TableSpec, table: Table, errors: list) -> None:
    if not spec.key or not len(table):
        return
    if _keys_unique(table.columns[k] for k in spec.key):
        return  # the common case, fast
    cols = [table.columns[k].tolist() for k in spec.key]
    keys = list(zip(*cols))
    first: dict[tuple, int] = {}
    for i, key in enumerate(keys):
        if any(k is None for k in key):
            continue
        j = first.setdefault(key, i)
        if j != i:
            what = ", ".join(f"{k} {json.dumps(v, ensure_ascii=False)}" for k, v in zip(spec.key, key))
            r1, r2 = int(table.rows[j]), int(table.rows[i])
            _err(errors, Msg('duplicate {what}: rows {r1} and {r2}', what=what, r1=r1, r2=r2), file=table.file, line=r2,
                 field=spec.key[-1] if len(spec.key) == 1 else "(" + ", ".join(spec.key) + ")",
                 expected=Msg("each {key} once", key=" + ".join(spec.key)),
                 found=Msg("also on row {r1}", r1=r1), hint=Msg('remove or merge one of the two rows'))


def _keys_unique(columns: Iterable[Any]) -> bool:
    """Whether the rows' keys (one value per column) are all different, by codes."""
    combined = None
    for c in columns:
        if isinstance(c, Categorical):
            codes, size = c.codes, len(c.categories) + 1
        else:
            enc = pc.dictionary_encode(pa.array(np.asarray(c, dtype=object), pa.string()))
            codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            size = len(enc.dictionary) + 1
        codes = codes + 1  # blank (-1) is a value of its own here
        if combined is None:
            combined = codes
        else:
            if combined.max(initial=0) >= (1 << 62) // size:
                return False  # too many combinations for one integer: check the slow way
            combined = combined * size + codes
    if combined is None or not len(combined):
        return True
    top = int(combined.max())
    if top < 1 << 28:  # a bitmap of the keys: fewer keys set than rows means a repeat
        seen = np.zeros(top + 1, dtype=np.uint8)
        seen[combined] = 1
        return int(np.count_nonzero(seen)) == len(combined)
    return len(pc.unique(pa.array(combined))) == len(combined)


def _distinct_text(col: Any) -> pa.Array:
    """The distinct non-blank values of a text column (object array or Categorical)."""
    if isinstance(col, Categorical):
        used = np.zeros(len(col.categories) + 1, dtype=bool)
        used[col.codes] = True
        cats = col.categories[used[:-1]] if not used[:-1].all() else col.categories
        return pa.array(cats, pa.string())
    return pc.drop_null(pa.array(np.asarray(col, dtype=object), pa.string()))


def _unknown(values: Any, target: Any) -> np.ndarray:
    """Bool mask: non-blank values of ``values`` that are not among ``target``'s values."""
    if isinstance(values, Categorical):
        if isinstance(target, Categorical) and target.categories is values.categories:
            used = np.zeros(len(values.categories) + 1, dtype=bool)
            used[target.codes] = True
            used[-1] = True  # blank cells are not unknown
            return ~used[values.codes]
        known = pc.is_in(pa.array(values.categories, pa.string()),
                         value_set=_distinct_text(target)).to_numpy(zero_copy_only=False)
        return ~np.append(known, True)[values.codes]
    if not len(values):
        return np.zeros(0, dtype=bool)
    arr = pa.array(np.asarray(values, dtype=object), pa.string())
    known = pc.is_in(arr, value_set=_distinct_text(target)).to_numpy(zero_copy_only=False)
    return ~known & ~arr.is_null().to_numpy(zero_copy_only=False)


def _empty_target_checks(tables: dict[str, Table], errors: list, broken: set[str]) -> None:
    """A table with no rows that other tables refer to (e.g. a staff.csv with only its
    header): ONE error naming it, instead of one "unknown person_id" per referring row."""
    users: dict[str, list[tuple[Table, str, list[int]]]] = {}
    for src, col, dst, _dcol in REFERENCES:
        if src in broken or dst in broken or len(tables[dst]) or not len(tables[src]):
            continue
        used = [i for i, v in enumerate(tables[src].columns[col]) if v is not None]
        if used:
            users.setdefault(dst, []).append((tables[src], col, used))
    for dst, refs in users.items():
        target = tables[dst]
        t, col, used = refs[0]
        counts = None  # "1 row of objectives.csv, 16 rows of behaviours.csv": each part said in the user's language
        for x, _, u in refs:
            part = (Msg('{n} row of {file}', n=len(u), file=_base(x.file)) if len(u) == 1
                    else Msg('{n} rows of {file}', n=len(u), file=_base(x.file)))
            counts = part if counts is None else Msg('{first}, {then}', first=counts, then=part)
        _err(errors, Msg('{base_target_file} has no rows, but {counts} refer to it', base_target_file=_base(target.file), counts=counts),
             file=t.file, line=int(t.rows[used[0]]), field=col,
             expected=Msg('rows under the header of {base_target_file}', base_target_file=_base(target.file)),
             found=Msg('only the header row in {file}', file=_base(target.file)),
             hint=Msg('add the rows of {base_target_file} (was the right file exported?), or remove the rows that refer to it', base_target_file=_base(target.file)))


def _ref_checks(tables: dict[str, Table], errors: list, broken: set[str]) -> None:
    keys: dict[tuple[str, str], set] = {}
    for src, col, dst, dcol in REFERENCES:
        if src in broken or dst in broken:
            continue
        t, target = tables[src], tables[dst]
        if not len(target):
            continue  # below: one error per empty table, not one per row
        values = t.columns[col]
        unknown = np.flatnonzero(_unknown(values, target.columns[dcol]))
        if not len(unknown):
            continue
        ids = keys.setdefault((dst, dcol), {v for v in target.columns[dcol] if v is not None})
        for i in unknown.tolist():
            v = values[i]
            near = _did_you_mean(v, ids) if len(ids) <= 5000 else []
            hint = (Msg('did you mean {near_0}?', near_0=near[0]) if near else Msg('add it to {dst}', dst=dst))
            _err(errors, Msg('unknown {dcol} {v1}', dcol=dcol, v1=json.dumps(v, ensure_ascii=False)), file=t.file,
                 line=int(t.rows[i]), field=col, expected=Msg('{article_dcol} {dcol} listed in {base_target_file}', article_dcol=_article(dcol), dcol=dcol, base_target_file=_base(target.file)),
                 found=json.dumps(v, ensure_ascii=False), hint=hint)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _base(file: str) -> str:
    return file.replace("\\", "/").rsplit("/", 1)[-1]


def _unit_checks(units: Table, errors: list) -> None:
    ids = units.columns["unit_id"]
    parents = units.columns["parent_id"]
    parent_of = {u: p for u, p in zip(ids, parents) if u is not None}
    row_of: dict[str, int] = {}
    for u, r in zip(ids, units.rows):
        if u is not None:
            row_of.setdefault(u, int(r))
    tops = [u for u, p in parent_of.items() if p is None]
    if len(units) and not tops:
        _err(errors, Msg('no top unit'), file=units.file, line=min(row_of.values(), default=None),
             field="parent_id", expected=Msg('exactly one unit with a blank parent_id (the ente)'),
             found=Msg('every unit has a parent'), hint=Msg('leave parent_id blank for the top unit'))
    elif len(tops) > 1:
        _err(errors, Msg("{n} top units: {units}", n=len(tops), units=", ".join(tops)), file=units.file,
             line=row_of[tops[1]], field="parent_id",
             expected=Msg('exactly one unit with a blank parent_id (the ente)'),
             found=Msg("blank parent_id on rows {rows}", rows=", ".join(str(row_of[u]) for u in tops)),
             hint=Msg('give every unit but the top one its parent_id'))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in parent_of:
        path: list[str] = []
        u: str | None = start
        while u is not None and u in parent_of and state.get(u) is None:
            state[u] = 1
            path.append(u)
            u = parent_of[u]
        if u is not None and state.get(u) == 1:
            cycle = path[path.index(u):]
            first = min(cycle, key=lambda x: row_of[x])
            k = cycle.index(first)
            cycle = cycle[k:] + cycle[:k]
            _err(errors, Msg("units form a cycle: {cycle}", cycle=" → ".join(cycle + [first])), file=units.file,
                 line=row_of[first], field="parent_id", expected=Msg('a tree of units under the top unit'),
                 found=Msg('parent_id of {first} leads back to {first}', first=first),
                 hint=Msg('fix the parent_id of one of these units'))
        for x in path:
            state[x] = 2


def _objective_checks(obj: Table, errors: list) -> None:
    for i, (level, unit, person) in enumerate(
        zip(obj.columns["level"], obj.columns["unit_id"], obj.columns["person_id"])
    ):
        if level is None:
            continue
        if level == INDIVIDUAL_LEVEL and person is None:
            _err(errors, Msg('blank person_id for an individual objective'), file=obj.file,
                 line=int(obj.rows[i]), field="person_id", expected=Msg('the person_id of staff'),
                 found=Msg('a blank cell'), hint=Msg('objectives of level {INDIVIDUAL_LEVEL} belong to a person', INDIVIDUAL_LEVEL=INDIVIDUAL_LEVEL))
        elif level not in (INDIVIDUAL_LEVEL, TOP_LEVEL) and unit is None:
            _err(errors, Msg('blank unit_id for an objective of level {level}', level=level), file=obj.file,
                 line=int(obj.rows[i]), field="unit_id", expected=Msg('the unit_id of units'),
                 found=Msg('a blank cell'),
                 hint=Msg('only objectives of level {TOP_LEVEL} or {INDIVIDUAL_LEVEL} may leave unit_id blank', TOP_LEVEL=TOP_LEVEL, INDIVIDUAL_LEVEL=INDIVIDUAL_LEVEL))


def _meta_year(meta: Table, errors: list) -> int | None:
    year = None
    for i, (k, v) in enumerate(zip(meta.columns["key"], meta.columns["value"])):
        if k is None or k.lower() != "year":
            continue
        try:
            if v is None or not re.fullmatch(r"\d{4}", v):
                raise ValueError
            year = int(v)
        except ValueError:
            _err(errors, Msg('the year is not a year'), file=meta.file, line=int(meta.rows[i]),
                 field="value", expected=Msg('a year, e.g. 2024'), found=_show(v or ""))
    return year


# ---------------------------------------------------------------------------
# Plausibility bounds (docs/design.md "Bounds"), beyond each column's type and sign
# ---------------------------------------------------------------------------

#: day columns: at most the days of the year (365, or 366 in a leap year or when the
#: dataset states no year); staff's presence plus the person's absences likewise
DAY_BOUNDS: tuple[tuple[str, str], ...] = (("staff", "presence_days"), ("absences", "days"))
#: text columns that hold a date: YYYY-MM-DD or dd/mm/yyyy (a workbook date cell)
DATE_COLUMNS: tuple[tuple[str, str], ...] = (("cycle", "date"),)

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+)?$")
_DMY_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_day(text: str) -> date | None:
    """``YYYY-MM-DD`` (a workbook date cell, read as text) or ``dd/mm/yyyy``; None if neither."""
    s = text.strip()
    m = _ISO_DAY.match(s)
    parts = (m.group(1), m.group(2), m.group(3)) if m else None
    if parts is None:
        m = _DMY_DAY.match(s)
        parts = (m.group(3), m.group(2), m.group(1)) if m else None
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def days_in_year(year: int | None) -> int:
    """366 for a leap year or an unknown one, else 365."""
    if year is None:
        return 366
    return 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365


def check_bounds(tables: dict[str, Table], year: int | None, errors: list, found: Found,
                 broken: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Values that fit their column's type but not a year: appended to ``errors``.

    Applied to typed tables (any loader): each day column of :data:`DAY_BOUNDS`
    at most :func:`days_in_year` days (hundredths: × 100); a person's
    ``presence_days`` plus the days of their absences likewise; each date column
    of :data:`DATE_COLUMNS` a real day. Checks against the profile (presence
    within the year's working days, scores within a factor's scale, attested
    achievement within its cap) are in ``smvp_engine.checks``.
    """
    limit = days_in_year(year)
    of_year = Msg(" of {year}", year=year) if year is not None else Msg(" of a year")
    before = len(errors)
    for name, column in DAY_BOUNDS:
        if name in broken:
            continue
        t = tables[name]
        a = np.asarray(t.columns[column])
        for i in np.flatnonzero(a > limit * SCALE[DAYS])[:20]:
            _err(errors, Msg('more days than the {limit} days{of_year}', limit=limit, of_year=of_year), file=t.file,
                 line=int(t.rows[i]), field=column, expected=Msg('at most {limit} days', limit=limit),
                 found=found(name, column, int(i)),
                 hint=Msg('days are counted within the evaluated year'))
    staff, ab = tables["staff"], tables["absences"]
    if ("staff" not in broken and "absences" not in broken and len(staff) and len(ab)
            and len(errors) == before):  # the sum only when no single value is over
        who = index_of(ab.columns["person_id"], staff.columns["person_id"])
        total = np.array(staff.columns["presence_days"], dtype=np.int64)
        known = who >= 0
        np.add.at(total, who[known], np.asarray(ab.columns["days"], dtype=np.int64)[known])
        over = np.flatnonzero(total > limit * SCALE[DAYS])
        for i in over[:20]:
            pid = staff.columns["person_id"][i]
            _err(errors, Msg('presence and absences of {pid} add up to {v1} days, more than the {limit} days{of_year}', pid=pid, v1=_fmt_scaled(int(total[i]), SCALE[DAYS]), limit=limit, of_year=of_year), file=staff.file, line=int(staff.rows[i]),
                 field="presence_days", expected=Msg('presence_days + absences ≤ {limit} days', limit=limit),
                 found=found("staff", "presence_days", int(i)),
                 hint=Msg("check this person's presence_days and their rows in {base_ab_file}", base_ab_file=_base(ab.file)))
    for name, column in DATE_COLUMNS:
        if name in broken:
            continue
        t = tables[name]
        for i, v in enumerate(t.columns[column]):
            if v is not None and parse_day(str(v)) is None:
                _err(errors, Msg('not a date'), file=t.file, line=int(t.rows[i]), field=column,
                     expected=Msg('a day as YYYY-MM-DD or dd/mm/yyyy, e.g. 2025-06-30'),
                     found=found(name, column, i))


def _check_all(tables: dict[str, Table], errors: list, found: Found, broken: set[str]) -> int | None:
    year = _meta_year(tables["meta"], []) if "meta" not in broken else None
    for name, spec in TABLES.items():
        if name in broken:
            continue
        _range_checks(spec, tables[name], errors, found)
        _key_checks(spec, tables[name], errors)
    check_bounds(tables, year, errors, found, broken)
    if "objectives" not in broken:
        _objective_checks(tables["objectives"], errors)
    _empty_target_checks(tables, errors, broken)
    _ref_checks(tables, errors, broken)
    if "units" not in broken:
        _unit_checks(tables["units"], errors)
    return _meta_year(tables["meta"], errors) if "meta" not in broken else None


# ---------------------------------------------------------------------------
# Content hash
# ---------------------------------------------------------------------------


#: up to this many rows a categorical column's hashed text is joined as Python strings (the
#: fixed-width route of columnar.joined_by_code, which gives the same bytes, has set-up costs
#: that only pay off on large tables: a national run hashes thousands of 320-row years)
_JOIN_IN_PYTHON = 4096


#: the hashed JSON line of a declared column, ``["column", name, kind]``, by (name, kind): the
#: same few dozen texts for every dataset (a national run hashes thousands)
_COLUMN_HEADS: dict[tuple[str, str], bytes] = {}


def _column_head(name: str, kind: str) -> bytes:
    head = _COLUMN_HEADS.get((name, kind))
    if head is None:
        head = _COLUMN_HEADS[(name, kind)] = json.dumps(["column", name, kind]).encode()
    return head


def _table_head(name: str, rows: int) -> bytes:
    """``json.dumps(["table", name, rows])`` as bytes (the name's JSON text kept once a process)."""
    head = _COLUMN_HEADS.get(("table", name))
    if head is None:
        head = _COLUMN_HEADS[("table", name)] = json.dumps(["table", name]).encode()[:-1]
    return head + b", %d]" % rows


def _content_sha256(tables: dict[str, Table],
                    columns: dict[str, Iterable[str]] | None = None) -> str:
    """sha256 of the typed content: tables by name, columns in declared order.

    ``columns``: table name -> the columns to hash (default: every declared column).
    See :func:`content_sha256_as_stored`.
    """
    h = hashlib.sha256(b"smvp-dataset-1\n")
    quoted: dict[int, np.ndarray] = {}  # JSON texts of a categories array (shared by columns)
    joined: dict[int, np.ndarray] = {}  # and their fixed-width table (columnar.joined_table)
    for name in sorted(tables):
        t, spec = tables[name], TABLES[name]
        h.update(_table_head(name, len(t)))
        keep = None if columns is None else set(columns.get(name, ()))
        for col in spec.columns:
            if keep is not None and col.name not in keep:
                continue
            a = t.columns[col.name]
            h.update(_column_head(col.name, col.kind))
            if col.kind in SCALE:
                h.update(np.ascontiguousarray(a, dtype="<i8").tobytes())
                m = t.missing.get(col.name)
                h.update(b"M" + (np.packbits(m).tobytes() if m is not None else b""))
            elif col.kind == DECIMAL:
                text: dict[Any, str | None] = {None: None}
                vals = [text[v] if v in text else text.setdefault(v, _fmt_decimal(v)) for v in a]
                h.update(json.dumps(vals, ensure_ascii=False).encode())
            elif isinstance(a, Categorical):  # the same text as the list of values, by category
                texts = quoted.get(id(a.categories))
                if texts is None:  # json's own C encoder: what json.dumps(v, ensure_ascii=False) writes
                    # for a str (faster than pyarrow's calls at any size: 25 categories 23 -> 2 µs, 1M 117 -> 71 ms)
                    texts = quoted[id(a.categories)] = np.array(
                        [encode_basestring(v) for v in a.categories.tolist()] + ["null"], dtype=object)
                codes = np.where(a.codes < 0, len(texts) - 1, a.codes)
                h.update(b"[")
                if len(codes) <= _JOIN_IN_PYTHON:  # a small table: the same bytes, joined at once
                    h.update(", ".join(texts[codes].tolist()).encode())
                else:
                    try:  # bytes straight from a fixed-width table of the texts, in parts
                        table = joined.get(id(a.categories))
                        if table is None:  # once for the columns sharing the categories (person ids)
                            table = joined[id(a.categories)] = columnar.joined_table(texts.tolist(), ", ")
                        for part in columnar.joined_by_code(codes, [], ", ", table=table):
                            h.update(part)
                    except ValueError:  # a NUL byte cannot be (JSON escapes it; kept for safety)
                        h.update(", ".join(texts[codes].tolist()).encode())
                h.update(b"]")
            else:
                h.update(json.dumps(list(a), ensure_ascii=False).encode())
    return h.hexdigest()


def content_sha256_as_stored(dataset: Dataset, tables: dict[str, dict[str, object]]) -> str:
    """The dataset's content hash over the columns a stored document has (``tables``:
    table name -> column name -> cells, as :func:`dataset_from_columns` takes them).

    The hash covers every *declared* column, so declaring a new optional column
    (e.g. ``staff.tie_breaker``) changes the hash of every dataset, also of one
    stored before the column existed: ``smvp verify`` would take an older run's
    dataset for a modified one. Hashed over the columns the stored document
    has, in declared order, the dataset hashes as it did when it was stored, and
    any edit of its cells still changes the hash.
    """
    return _content_sha256(dataset.tables, {name: list(cols) for name, cols in tables.items()
                                            if isinstance(cols, dict)})


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate a dataset: a folder of ``<table>.csv`` files or an ``.xlsx`` workbook.

    CSV: UTF-8 (optional BOM), ``,`` or ``;`` separated (sniffed from the
    header line), header row first. Workbook: one sheet per table, read with
    its cached values (formulas are not evaluated). Column names are
    case-insensitive. Decimal numbers accept ``.`` or ``,``; thousands
    separators are refused.

    Returns a :class:`Dataset` whose tables are typed as in the module
    docstring. Raises :class:`engine.errors.DatasetErrors` listing every
    problem found: unreadable or unknown files/sheets, missing required tables
    or columns, unknown columns, blank required cells, unreadable numbers, too
    many decimals, values out of range, duplicate ids, references to unknown
    units/objectives/people, and a unit tree that is not a tree.
    """
    try:
        return _load_dataset(Path(path))
    finally:
        release_arrow_pool()


#: Arrow's pool peak (bytes) from which a load gives its freed pages back (see :func:`release_arrow_pool`)
RELEASE_FROM = 64 << 20


def release_arrow_pool() -> None:
    """Give the pages pyarrow's memory pool keeps after a large load back to the system.

    The files are read into Arrow buffers (mimalloc or jemalloc) and typed into numpy
    arrays (malloc); once read, the buffers are freed but the pool keeps their pages for
    the next Arrow allocation, which a run's later phases (numpy) never make: a 1,000,000-
    person folder left about 350 MiB of freed pages resident until the end of the command,
    on top of the peak of evaluating and writing. Done only once the pool has held
    :data:`RELEASE_FROM` bytes (a national run's small bodies keep their pages for the next
    body's read)."""
    pool = pa.default_memory_pool()
    if pool.max_memory() >= RELEASE_FROM:
        pool.release_unused()


def _load_dataset(p: Path) -> Dataset:
    errors: list[DatasetError] = []
    if not p.exists():
        raise DatasetErrors([DatasetError(Msg('no such folder or workbook'), file=str(p),
                                          expected=Msg('a folder of CSV files or an .xlsx workbook'))])
    meter = _Meter()
    if p.is_dir():
        meter.plan(p)
        raws, files = _read_folder(p, errors, meter)
        kind = Msg("file")
    elif p.suffix.lower() == ".xlsx":
        raws, files = _read_xlsx(p, errors)
        meter.read_all(raws)
        kind = Msg("sheet")
    else:
        raise DatasetErrors([DatasetError(
            Msg('not a dataset'), file=str(p), expected=Msg('a folder of CSV files or an .xlsx workbook'),
            found=Msg('a {suffix} file', suffix=p.suffix) if p.suffix else Msg('a plain file'),
            hint=Msg('give the folder holding units.csv, staff.csv, ... or an .xlsx workbook'))])

    tables: dict[str, Table] = {}
    raw_cells: dict[str, dict[str, Any]] = {}
    vocab: dict[tuple[str, str], Any] = {}
    broken: set[str] = set()
    for name, spec in TABLES.items():
        raw = raws.get(name)
        if raw is None and name in raws:  # present but unreadable: already reported
            broken.add(name)
        if raw is not None and not raw.header and not len(raw.rows):
            # an empty file or sheet: absent
            if spec.required:
                _err(errors, Msg('the {kind} is empty', kind=kind), file=raw.file, line=1,
                     expected=Msg("a header row: {columns}", columns=", ".join(spec.column_names)),
                     hint=Msg('write the header row and one row per record'))
                broken.add(name)
            raw = None
        if raw is None:
            if spec.required and name not in broken:
                _err(errors, Msg('missing required table {name}', name=name), file=files[name],
                     expected=Msg("a {kind} {name} with columns {columns}", kind=kind,
                                  name=name + (".csv" if kind == "file" else ""), columns=", ".join(spec.column_names)),
                     hint=Msg('tables: {v0} are required', v0=', '.join(n for n, s in TABLES.items() if s.required)))
                broken.add(name)
            tables[name] = _empty_table(spec, files[name])
            continue
        n_before = len(errors)
        table, cells = _type_raw(spec, raw, errors, vocab)
        meter.typed(name)
        tables[name] = table
        raw_cells[name] = cells
        if any(e.message == "missing required column" for e in errors[n_before:]):
            broken.add(name)  # no reference or tree checks on a table without its key columns

    def found(table: str, column: str, i: int) -> str:
        cells = raw_cells.get(table, {}).get(column)
        if cells is not None:
            return _show(cells[i] if isinstance(cells, list) else cells[i].as_py())
        return _found_typed(tables, table, column, i)

    year = _check_all(tables, errors, found, broken)
    if errors:
        raise DatasetErrors(errors)
    meter.checked()
    notes = tuple(f"{raw.file}: {raw.note}" for raw in raws.values() if raw is not None and raw.note)
    # the cells as read (Arrow) only served the checks' messages: freed before the content hash,
    # whose texts of a million ids would otherwise add to them at the load's peak
    raws.clear()
    raw_cells.clear()
    vocab.clear()
    release_arrow_pool()
    out = Dataset(path=str(p), tables=tables, sha256=_content_sha256(tables), year=year, notes=notes)
    meter.done()
    return out


class _Meter:
    """Progress of :func:`load_dataset` through :func:`engine.progress.report`, in bytes of the
    files: each file counts once when read, once when typed, and the checks and the content
    hash together as much again as a fifth of the files (a workbook: one unit per sheet)."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}
        self.total = 0
        self.done_units = 0
        self.on = progress_active()  # nobody listening: no sizes looked up

    def _report(self) -> None:
        if not self.on:
            return
        total = max(self.total, 1)
        report(min(self.done_units, total), total)

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return max(path.stat().st_size, 1)
        except OSError:
            return 1

    def plan(self, folder: Path) -> None:
        """The total, from the sizes of the folder's table files (before reading them)."""
        if not self.on:
            return
        try:
            entries = list(folder.iterdir())
        except OSError:
            return
        size = sum(self._size(e) for e in entries
                   if e.suffix.lower() in (".csv", ".parquet") and not e.name.startswith((".", "~$")))
        self.total = 2 * size + size // 5

    def read(self, name: str, path: Path) -> None:
        if not self.on:
            return
        self.sizes[name] = self._size(path)
        self.done_units += self.sizes[name]
        self._report()

    def read_all(self, raws: dict) -> None:
        for name in raws:
            self.sizes[name] = 1
            self.total += 3
            self.done_units += 1
        self._report()

    def typed(self, name: str) -> None:
        self.done_units += self.sizes.get(name, 0)
        self._report()

    def checked(self) -> None:
        self.done_units += (self.total - self.done_units) // 2
        self._report()

    def done(self) -> None:
        self.done_units = self.total
        self._report()


def _found_typed(tables: dict[str, Table], table: str, column: str, i: int) -> str:
    col = TABLES[table].column(column)
    v = tables[table].columns[column][i]
    if col.kind in SCALE:
        return _fmt_scaled(int(v), SCALE[col.kind])
    if isinstance(v, Decimal):
        return _fmt_decimal(v)
    return _show(v)


_NONE = type(None)


def _coerce(table: str, col: ColumnSpec, values: Any, file: str, errors: list,
            by_distinct: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """In-memory typed values -> (array, blank mask or None)."""
    if col.kind in SCALE:
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
            return values.astype(np.int64, copy=True), None
        vals = list(values)
        kinds = set(map(type, vals))
        if kinds <= {int, _NONE}:  # the common case, in C: Python ints and blanks
            try:
                if _NONE not in kinds:
                    return np.array(vals, dtype=np.int64), None
                held = np.array(vals, dtype=object)
                blank = np.equal(held, None)
                held[blank] = col.default if col.default is not None else 0
                return held.astype(np.int64), blank
            except OverflowError:
                pass  # an integer beyond 64 bits: the loop below says which
        blank = np.array([v is None for v in vals], dtype=bool)
        fill = col.default if col.default is not None else 0
        out = np.empty(len(vals), dtype=np.int64)
        for i, v in enumerate(vals):
            if v is None:
                out[i] = fill
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                out[i] = int(v)
            else:
                raise TypeError(f"{table}.{col.name}: expected int64 in units of 1/{SCALE[col.kind]}"
                                f", got {type(v).__name__} {v!r}")
        return out, (blank if blank.any() else None)
    vals = list(values)
    if by_distinct and col.kind == DECIMAL and set(map(type, vals)) <= {str, _NONE}:
        # texts (a stored dataset's content): each distinct one typed once, by the loop below
        distinct = list(dict.fromkeys(vals))
        typed, blanks = _coerce(table, col, distinct, file, errors, by_distinct=False)
        at = {v: k for k, v in enumerate(distinct)}
        index = np.fromiter((at[v] for v in vals), dtype=np.int64, count=len(vals))
        blank = blanks[index] if blanks is not None else np.zeros(len(vals), dtype=bool)
        return typed[index], (blank if blank.any() else None)
    if col.kind == TEXT:  # fast path (benchmarks build large tables)
        texts = [v.strip() if isinstance(v, str) else (None if v is None else str(v).strip())
                 for v in vals]
        texts = [t or None for t in texts]
        blank = np.fromiter((t is None for t in texts), dtype=bool, count=len(texts))
        return _object_array(texts), (blank if blank.any() else None)
    out_list: list[Any] = []
    blank_list: list[bool] = []
    for row, v in enumerate(vals, 2):
        if _is_blank(v):
            blank_list.append(True)
            out_list.append(col.default)
            continue
        blank_list.append(False)
        if col.kind == DECIMAL:
            if isinstance(v, Decimal):
                out_list.append(v)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                out_list.append(Decimal(int(v)))
            elif isinstance(v, str):
                try:
                    out_list.append(Decimal(v.strip()))
                except InvalidOperation:
                    raise TypeError(f"{table}.{col.name}: not a decimal: {v!r}") from None
            else:
                raise TypeError(f"{table}.{col.name}: expected Decimal, got {type(v).__name__} {v!r}")
        elif col.kind == DIRECTION:
            s = str(v).strip().lower()
            if s not in DIRECTIONS:
                _err(errors, Msg('unknown direction'), file=file, line=row,
                     field=col.name, expected=col.expected, found=_show(v))
                s = col.default
            out_list.append(s)
        else:
            out_list.append(str(v).strip())
    blank = np.array(blank_list, dtype=bool)
    return _object_array(out_list), (blank if blank.any() else None)


def _coerce_categorical(values: Any, shared: Any) -> tuple[Categorical, np.ndarray | None, Any] | None:
    """Texts of a large table (str or None) as a Categorical (codes into the distinct texts,
    in C), with the same values as :func:`_coerce` gives; None when that cannot be promised
    (a value that is not a str, or a text with white space at an end, to strip in Python).
    ``shared``: (distinct ids, Categorical) of the column whose codes this one shares."""
    vals = values if isinstance(values, list) else list(values)
    if not set(map(type, vals)) <= {str, _NONE}:
        return None
    arr = pa.array(vals, pa.string())
    if columnar.edge_space(arr):
        return None
    empty = pc.equal(arr, "").fill_null(False)
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    enc = columnar.encode(arr, shared[0] if shared is not None else None)
    if shared is not None and len(enc.values) == len(shared[1].categories):
        cats = shared[1].categories  # the same object: the engine maps by code
    else:
        cats = _object_array(enc.values.to_pylist())
    return Categorical(enc.codes, cats), (enc.blank if enc.blank.any() else None), enc.values


def dataset_from_columns(tables: dict[str, dict[str, object]], path: str = "<memory>", *,
                         categorical: bool = False) -> Dataset:
    """Build a validated Dataset from in-memory typed columns (benchmarks, tests).

    ``tables``: table name -> column name -> sequence, already typed as in the
    module docstring (int columns: ints in their unit, e.g. cents; ``None``
    for a blank cell; Decimal columns: Decimal/int/str). Missing optional
    tables and columns are filled (defaults, blanks); row numbers are
    2..n+1 and files are ``"<path>[<table>]"``.

    Raises :class:`engine.errors.DatasetErrors` for the same problems as
    :func:`load_dataset` (unknown tables/columns, missing required
    tables/columns, blank required cells, ranges, duplicates, references,
    unit tree), and TypeError for a value of the wrong Python type.

    ``categorical``: the text columns of the large tables (staff, behaviours,
    absences) as :class:`~engine.columns.Categorical`, as :func:`load_dataset`
    gives them — built in C, and mapped by code by the engine (a stored run of a
    million people is rebuilt in seconds). Same values, same hash.
    """
    errors: list[DatasetError] = []
    vocab: dict[tuple[str, str], Any] = {}
    for name in tables:
        if name not in TABLES:
            _unknown_table(errors, name, f"{path}[{name}]", "table")
    out: dict[str, Table] = {}
    broken: set[str] = set()
    for name, spec in TABLES.items():
        file = f"{path}[{name}]"
        given = tables.get(name)
        if given is None:
            if spec.required:
                _err(errors, Msg('missing required table {name}', name=name), file=file)
                broken.add(name)
            out[name] = _empty_table(spec, file)
            continue
        for c in given:
            if c not in spec.column_names:
                near = _did_you_mean(c, spec.column_names)
                _err(errors, Msg('unknown column'), file=file, line=1, field=c,
                     hint=Msg("did you mean {near}?", near=near[0]) if near else None)
        lengths = {c: len(v) for c, v in given.items()}  # type: ignore[arg-type]
        if len(set(lengths.values())) > 1:
            _err(errors, Msg('columns of different lengths'), file=file,
                 found=", ".join(f"{c}={n}" for c, n in lengths.items()))
            broken.add(name)
            out[name] = _empty_table(spec, file)
            continue
        n = next(iter(lengths.values()), 0)
        columns: dict[str, object] = {}
        missing: dict[str, np.ndarray] = {}
        rows = np.arange(2, n + 2, dtype=np.int64)
        for col in spec.columns:
            if col.name not in given:
                if col.required:
                    _err(errors, Msg('missing required column'), file=file, line=1, field=col.name)
                    broken.add(name)
                    blank = np.zeros(n, dtype=bool)
                else:
                    blank = np.ones(n, dtype=bool)
                if col.kind in SCALE:
                    arr = np.full(n, col.default if col.default is not None else 0, dtype=np.int64)
                else:
                    arr = _object_array([col.default] * n)
            else:
                coded = None
                if categorical and _categorical(name, col.name) and col.kind == TEXT:
                    shared = vocab.get(SHARED_VOCABULARY.get((name, col.name), ("", "")))
                    coded = _coerce_categorical(given[col.name], shared)
                if coded is not None:
                    arr, blank_or_none, distinct = coded
                    if (name, col.name) in SHARED_VOCABULARY.values():
                        vocab[(name, col.name)] = (distinct, arr)
                else:
                    arr, blank_or_none = _coerce(name, col, given[col.name], file, errors)
                    if col.kind == DECIMAL and name in NUMERATOR_TABLES and not errors:
                        arr = decimals(arr)
                blank = blank_or_none if blank_or_none is not None else np.zeros(n, dtype=bool)
                if col.required:
                    for i in np.flatnonzero(blank):
                        _err(errors, Msg('blank cell in a required column'), file=file,
                             line=int(rows[i]), field=col.name, expected=col.expected,
                             found=Msg('a blank cell'))
            columns[col.name] = arr
            if not col.required and col.default is None and n and blank.any():
                missing[col.name] = blank
        out[name] = _make_table(name, file, columns, missing, rows)

    return checked_dataset(path, out, errors, broken)


def checked_dataset(path: str, tables: dict[str, Table], errors: list, broken: set[str]) -> Dataset:
    """The dataset of typed ``tables`` read from ``path`` after the checks across tables (the
    ones every reader makes: :func:`_check_all`), with its content hash.

    Raises:
        DatasetErrors: ``errors`` found while reading, and those of the checks.
    """
    def found(table: str, column: str, i: int) -> str:
        return _found_typed(tables, table, column, i)

    year = _check_all(tables, errors, found, broken)
    if errors:
        raise DatasetErrors(errors)
    return Dataset(path=path, tables=tables, sha256=_content_sha256(tables), year=year)
