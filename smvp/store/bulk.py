"""A run's people written and read back in bulk, from the engine's columns.

Storing a million people one ORM object at a time takes minutes; here each
``person_result`` column is built once from the evaluation's columns (codes,
integer centipoints and cents, decimal texts from :mod:`smvp.textblocks`) and
the rows go to the database in one statement executed for many rows (SQLite
``executemany``) or one ``COPY`` (PostgreSQL), inside the run's transaction.
The values are the ones :func:`smvp.store.runs.person_record` stores for the
same person (tests/test_store_bulk.py compares them); ``components`` is the
JSON text ``json.dumps`` gives for the person's ``{component id: centipoints}``.

:func:`same_as_stored` reads the stored people back a batch at a time and compares them,
column by column, with :func:`person_columns` of the re-evaluation, so that ``smvp verify``
compares a million people without a tuple per person on its side (and falls back to its
field-by-field comparison only when they differ). :func:`stored_rows` reads them as plain
tuples, in the same order as :func:`person_rows`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import numpy as np

from smvp import phases, textblocks

#: person_result columns written in bulk, in this order (``id`` is the database's).
COLUMNS = ("tenant_id", "run_id", "person_id", "name", "role", "role_label", "unit_id", "fund",
           "results_cp", "behaviour_cp", "total_cp", "judgement", "judgement_label", "negative",
           "payout_percent", "coefficient_name", "coefficient", "theoretical_cents", "premium_cents",
           "maggiorazione_cents", "paid_cents", "maggiorazione_rank", "components")
#: the columns a stored person is compared on (all but the run's and tenant's ids)
COMPARED = COLUMNS[2:]


def columnar(evaluation: Any) -> bool:
    """Whether the evaluation has the engine's columns (the edges' fakes may not)."""
    return all(hasattr(evaluation, a) for a in ("individual", "payout", "dataset", "rules"))


class Column:
    """One :data:`COMPARED` column of a run's people, kept as the engine's arrays and turned
    into Python values (as stored) a slice at a time: a million people are written or compared
    a few thousand at a time, in memory used again for each slice, never as a whole list of
    a million Python objects."""

    def __len__(self) -> int:
        raise NotImplementedError

    def part(self, start: int, stop: int) -> list:
        """The values of rows ``start:stop``."""
        raise NotImplementedError


class _Coded(Column):
    """Row i is ``table[codes[i]]`` (a small table of texts, None or flags)."""

    def __init__(self, codes: np.ndarray, table: np.ndarray) -> None:
        self.codes = np.asarray(codes).astype(np.min_scalar_type(max(len(table) - 1, 0)), copy=False)
        self.table = table

    def __len__(self) -> int:
        return len(self.codes)

    def part(self, start: int, stop: int) -> list:
        return self.table[self.codes[start:stop]].tolist()


class _Ints(Column):
    """Integers (int64), None where ``keep`` is False."""

    def __init__(self, values: np.ndarray, keep: np.ndarray) -> None:
        self.values = np.asarray(values, dtype=np.int64)
        keep = np.asarray(keep, dtype=bool)
        self.keep = None if keep.all() else keep

    def __len__(self) -> int:
        return len(self.values)

    def part(self, start: int, stop: int) -> list:
        values = self.values[start:stop]
        if self.keep is None:
            return values.tolist()  # Python ints straight from the int64s
        keep = self.keep[start:stop]
        out = np.empty(len(values), dtype=object)  # None everywhere
        out[keep] = values[keep].tolist()
        return out.tolist()


class _Listed(Column):
    """Values already a list (texts each row has its own)."""

    def __init__(self, values: list) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def part(self, start: int, stop: int) -> list:
        return self.values[start:stop]


def _table(values: list) -> np.ndarray:
    """``values`` and a last None, as an object array (a :class:`_Coded` table)."""
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    return table


def _by_code(codes: np.ndarray, values: list) -> _Coded:
    """Row i is ``values[codes[i]]``, None where the code is negative."""
    codes = np.asarray(codes)
    return _Coded(np.where(codes < 0, len(values), codes), _table(values))


def _texts_column(column: Any) -> Column:
    """A dataset's text column (Categorical or object array) as str/None."""
    from smvp_engine.columns import Categorical, as_objects

    if isinstance(column, Categorical):
        return _by_code(column.codes, [None if v is None else str(v) for v in column.categories.tolist()])
    return _Listed([None if v is None else str(v) for v in as_objects(column).tolist()])


def _by_key(key: np.ndarray, texts_of: Callable[[np.ndarray], list]) -> Column:
    """``texts_of(rows)`` (the texts of the rows at those positions) for every row, each text
    made once per distinct ``key`` (an int64 per row: rows of one key have one text); every
    row's own when most keys differ."""
    n = len(key)
    if n == 0:
        return _Listed([])
    distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if 2 * len(distinct) > n:
        return _Listed(texts_of(np.arange(n)))
    table = np.empty(len(distinct), dtype=object)
    table[:] = texts_of(first)
    return _Coded(inverse.reshape(-1), table)


def _mixed(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``key`` and ``values`` (int64 columns) as one int64 key with the same distinct pairs."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) == 0:
        return key
    lo, hi = int(values.min()), int(values.max())
    span = hi - lo + 1
    if span > 4 * len(values):  # sparse values: their rank among the distinct ones
        _, values = np.unique(values, return_inverse=True)
        values = values.reshape(-1).astype(np.int64)
        lo, span = 0, int(values.max()) + 1
    if int(key.max()) + 1 > (2**62) // span:  # would overflow: ranked first
        _, key = np.unique(key, return_inverse=True)
        key = key.reshape(-1).astype(np.int64)
    return key * span + (values - lo)


def _texts(layout: textblocks.Layout, n: int) -> list:
    """The layout's rows (each ending in a newline) as strings, None for an empty row."""
    if n == 0:
        return []
    lines = layout.render(0, n).decode("utf-8").split("\n")[:-1]
    return [line or None for line in lines]


def _decimal_texts(units: np.ndarray, digits: int, keep: np.ndarray) -> Column:
    """Each row's ``units`` written with ``digits`` decimals (``textblocks``), None where
    ``keep`` is False; each distinct value written once."""
    units = np.asarray(units, dtype=np.int64)
    keep = np.asarray(keep, dtype=bool)

    def texts_of(rows: np.ndarray) -> list:
        lay = textblocks.Layout()
        lay.decimal(units[rows], digits, show=keep[rows], null="")
        lay.text("\n")
        return _texts(lay, len(rows))

    if len(units) and np.abs(units).max(initial=0) < 2**60:
        return _by_key(np.where(keep, units, 0) * 2 + keep, texts_of)
    return _Listed(texts_of(np.arange(len(units))))


def _components(ev: Any, role_codes: np.ndarray, role_ids: list, scored: np.ndarray) -> Column:
    """Each person's ``json.dumps({component id: centipoints or None})`` (each distinct
    text written once)."""
    ind, rules = ev.individual, ev.rules
    n = len(role_codes)
    present = np.bincount(role_codes, minlength=len(role_ids) + 1)[: len(role_ids)] > 0
    comps = [[c.id for c in rules.roles[rid].components if c.counts] if present[k] else []
             for k, rid in enumerate(role_ids)]
    slots = max((len(c) for c in comps), default=0)
    units = []
    for j in range(slots):  # slot j's centipoints of every person (0 where the role has none)
        column = np.zeros(n, dtype=np.int64)
        for k, cids in enumerate(comps):
            if j < len(cids):
                here = role_codes == k
                column[here] = np.asarray(ind.components[f"{role_ids[k]}.{cids[j]}"], dtype=np.int64)[here]
        units.append(column)
    has = [np.isin(role_codes, [k for k, c in enumerate(comps) if j < len(c)]) for j in range(slots)]

    def texts_of(rows: np.ndarray) -> list:
        codes = role_codes[rows]
        lay = textblocks.Layout()
        for j in range(slots):
            heads = [("{" if j == 0 else ", ") + json.dumps(c[j]) + ": " if j < len(c) else
                     ("{}" if j == 0 else "") for c in comps] + ["{}" if j == 0 else ""]
            lay.lookup(codes, textblocks.table_of(heads))
            lay.decimal(units[j][rows], 0, show=has[j][rows] & scored[rows], null_rows=has[j][rows])
        if slots == 0:
            lay.text("{}")
        else:
            lay.lookup(codes, textblocks.table_of(["}" if c else "" for c in comps] + [""]))
        lay.text("\n")
        return _texts(lay, len(rows))

    key = np.asarray(role_codes, dtype=np.int64) * 2 + scored
    for j in range(slots):
        key = _mixed(key, units[j])
    return _by_key(key, texts_of)


def _flags(values: np.ndarray, keep: np.ndarray) -> _Coded:
    """Booleans, None where ``keep`` is False."""
    return _Coded(np.where(keep, np.asarray(values, dtype=bool), 2), np.array([False, True, None], dtype=object))


def person_parts(ev: Any) -> dict[str, Column]:
    """The :data:`COMPARED` columns of a run's people as :class:`Column`\\ s (each gives the
    Python values as stored, a slice of rows at a time)."""
    from smvp.results_columns import _exact_int_units

    staff = ev.dataset.table("staff")
    ind, pay, rules = ev.individual, ev.payout, ev.rules
    role_index = np.asarray(ind.role_index)
    role_ids = list(ind.role_ids)
    role_codes = np.where(role_index < 0, len(role_ids), role_index)
    scored = np.asarray(ind.scored, dtype=bool)
    has_pay = np.asarray(pay.fund_code) >= 0
    premium = np.asarray(pay.premium, dtype=np.int64)
    magg = np.asarray(pay.maggiorazione, dtype=np.int64)
    rank = np.asarray(pay.maggiorazione_rank, dtype=np.int64)
    return {
        "person_id": _texts_column(staff["person_id"]),
        "name": _texts_column(staff["name"]),
        "role": _by_code(role_index, role_ids),
        "role_label": _by_code(role_index, [rules.roles[r].label for r in role_ids]),
        "unit_id": _texts_column(staff["unit_id"]),
        "fund": _by_code(pay.fund_code, list(pay.fund_ids)),
        "results_cp": _Ints(ind.results, scored),
        "behaviour_cp": _Ints(ind.behaviour, scored),
        "total_cp": _Ints(ind.total, scored),
        "judgement": _by_code(ind.judgement_code, list(ind.judgement_ids)),
        "judgement_label": _by_code(ind.judgement_code, list(ind.judgement_labels)),
        "negative": _flags(ind.negative, scored),
        "payout_percent": _decimal_texts(_exact_int_units(pay.factor, 10_000), 2, has_pay),
        "coefficient_name": _by_code(pay.coefficient_code, list(pay.coefficient_ids)),
        "coefficient": _decimal_texts(_exact_int_units(pay.coefficient, 1_000_000), 6, has_pay),
        "theoretical_cents": _Ints(pay.theoretical, has_pay),
        "premium_cents": _Ints(premium, has_pay),
        "maggiorazione_cents": _Ints(magg, has_pay),
        "paid_cents": _Ints(premium + magg, has_pay),
        "maggiorazione_rank": _Ints(rank, rank != 0),
        "components": _components(ev, role_codes, role_ids, scored),
    }


def person_columns(ev: Any) -> dict[str, list]:
    """The :data:`COMPARED` columns of a run's people (Python values as stored), whole."""
    parts = person_parts(ev)
    return {c: col.part(0, len(col)) for c, col in parts.items()}


def person_rows(ev: Any) -> list[tuple]:
    """The people as tuples of the :data:`COMPARED` columns, in the run's order."""
    return list(iter_person_rows(ev))


#: rows turned into Python values at a time (writing, comparing)
CHUNK = 4096


def iter_person_rows(ev: Any, chunk: int = CHUNK) -> Iterator[tuple]:
    """:func:`person_rows` one at a time (the columns turned into Python values ``chunk``
    rows at a time; no list of tuples)."""
    parts = person_parts(ev)
    cols = [parts[c] for c in COMPARED]
    n = len(cols[0])
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        yield from zip(*(col.part(start, stop) for col in cols))


def insert_people(session: Any, run_id: int, tenant_id: int, rows: Iterable[tuple],
                  batch: int = 50_000, total: int | None = None) -> None:
    """Insert the people (tuples of :data:`COMPARED`) of run ``run_id`` in the session's
    transaction: ``executemany`` a batch at a time (``COPY`` on PostgreSQL)."""
    conn = session.connection()
    name = conn.dialect.name
    cols = ", ".join(COLUMNS)
    head = (tenant_id, run_id)
    if name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY person_result ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(head + row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = insert_sql(run_id, tenant_id, mark)
    rows = iter(rows)
    done = 0
    while True:
        part = list(islice(rows, batch))
        if not part:
            break
        conn.exec_driver_sql(sql, part)
        done += len(part)
        if total:
            phases.tick(done, total)


def insert_sql(run_id: int, tenant_id: int, mark: str = "?") -> str:
    """The INSERT of one person of run ``run_id`` from a tuple of :data:`COMPARED`: the run's
    and tenant's ids are written in the statement (integers), so each row is bound as built,
    without a longer tuple per person."""
    return (f"INSERT INTO person_result ({', '.join(COLUMNS)}) VALUES "
            f"({int(tenant_id)}, {int(run_id)}, {', '.join([mark] * len(COMPARED))})")


def _people_cursor(session: Any, run_id: int) -> Any:
    """A driver cursor (plain tuples, not Row objects) over the stored people of run
    ``run_id`` as :data:`COMPARED`, in insertion order; the caller closes it."""
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cols = ", ".join("CAST(components AS TEXT)" if c == "components" else c for c in COMPARED)
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT {cols} FROM person_result WHERE run_id = {mark} ORDER BY id", (run_id,))
    except BaseException:
        cursor.close()
        raise
    return cursor


def same_as_stored(session: Any, run_id: int, columns: dict[str, Column], batch: int = CHUNK) -> bool:
    """Whether the stored people of run ``run_id`` are, in order, the rows of ``columns``
    (:func:`person_parts`): a batch of stored rows at a time, turned into its columns and
    each compared with the same rows of the column as Python values (small batches: the
    values of each reuse the memory of the one before instead of fresh pages)."""
    wanted = [columns[c] for c in COMPARED]
    n = len(wanted[0])
    at = 0
    cursor = _people_cursor(session, run_id)
    try:
        while part := cursor.fetchmany(batch):
            end = at + len(part)
            if end > n:
                return False
            for stored, now in zip(zip(*part), wanted):  # the drivers give tuples
                if list(stored) != now.part(at, end):
                    return False
            at = end
        return at == n
    finally:
        cursor.close()


def stored_rows(session: Any, run_id: int) -> Iterator[tuple]:
    """The stored people of run ``run_id`` as tuples of :data:`COMPARED`, in insertion order
    (``components`` as its stored JSON text; ``negative`` as the database gives it)."""
    cursor = _people_cursor(session, run_id)
    try:
        return iter(cursor.fetchall())
    finally:
        cursor.close()
