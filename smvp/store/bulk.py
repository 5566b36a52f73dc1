"""A run's people written and read back in bulk, from the engine's columns.

Storing a million people one ORM object at a time takes minutes; here each
``person_result`` column is built once from the evaluation's columns (codes,
integer centipoints and cents, decimal texts from :mod:`smvp.textblocks`) and
the rows go to the database in one statement executed for many rows (SQLite
``executemany``) or one ``COPY`` (PostgreSQL), inside the run's transaction.
The values are the ones :func:`smvp.store.runs.person_record` stores for the
same person (tests/test_store_bulk.py compares them); ``components`` is the
JSON text ``json.dumps`` gives for the person's ``{component id: centipoints}``.

:func:`stored_rows` reads the stored people back as plain tuples, in the same
order as :func:`person_rows`, so that ``smvp verify`` can compare a million
people as two lists (and fall back to its field-by-field comparison only when
they differ).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
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


def _objects(column) -> list:
    from smvp_engine.columns import as_objects

    return as_objects(column).tolist()


def _by_code(codes: np.ndarray, values: list) -> list:
    table = np.empty(len(values) + 1, dtype=object)
    table[: len(values)] = values
    table[len(values)] = None
    codes = np.asarray(codes)
    return table[np.where(codes < 0, len(values), codes)].tolist()


def _ints(values: np.ndarray, keep: np.ndarray) -> list:
    """Integers, None where ``keep`` is False."""
    out = np.asarray(values, dtype=np.int64).astype(object)
    out[~keep] = None
    return out.tolist()


def _texts(layout: textblocks.Layout, n: int) -> list:
    """The layout's rows (each ending in a newline) as strings, None for an empty row."""
    if n == 0:
        return []
    lines = layout.render(0, n).decode("utf-8").split("\n")[:-1]
    return [line or None for line in lines]


def _decimal_texts(units: np.ndarray, digits: int, keep: np.ndarray) -> list:
    lay = textblocks.Layout()
    lay.decimal(units, digits, show=keep, null="")
    lay.text("\n")
    return _texts(lay, len(units))


def _components(ev: Any, role_codes: np.ndarray, role_ids: list, scored: np.ndarray) -> list:
    """Each person's ``json.dumps({component id: centipoints or None})``."""
    ind, rules = ev.individual, ev.rules
    n = len(role_codes)
    present = np.bincount(role_codes, minlength=len(role_ids) + 1)[: len(role_ids)] > 0
    comps = [[c.id for c in rules.roles[rid].components if c.counts] if present[k] else []
             for k, rid in enumerate(role_ids)]
    slots = max((len(c) for c in comps), default=0)
    lay = textblocks.Layout()
    for j in range(slots):
        heads = [("{" if j == 0 else ", ") + json.dumps(c[j]) + ": " if j < len(c) else
                 ("{}" if j == 0 else "") for c in comps] + ["{}" if j == 0 else ""]
        lay.lookup(role_codes, textblocks.table_of(heads))
        units = np.zeros(n, dtype=np.int64)
        has = np.zeros(n, dtype=bool)
        for k, cids in enumerate(comps):
            if j < len(cids):
                here = role_codes == k
                units[here] = np.asarray(ind.components[f"{role_ids[k]}.{cids[j]}"], dtype=np.int64)[here]
                has |= here
        lay.decimal(units, 0, show=has & scored, null_rows=has)
    if slots == 0:
        lay.text("{}")
    else:
        lay.lookup(role_codes, textblocks.table_of(["}" if c else "" for c in comps] + [""]))
    lay.text("\n")
    return _texts(lay, n)


def person_columns(ev: Any) -> dict[str, list]:
    """The :data:`COMPARED` columns of a run's people (Python values as stored)."""
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
    negative = np.asarray(ind.negative, dtype=bool).astype(object)
    negative[~scored] = None
    return {
        "person_id": [None if v is None else str(v) for v in _objects(staff["person_id"])],
        "name": _objects(staff["name"]),
        "role": _by_code(role_index, role_ids),
        "role_label": _by_code(role_index, [rules.roles[r].label for r in role_ids]),
        "unit_id": _objects(staff["unit_id"]),
        "fund": _by_code(pay.fund_code, list(pay.fund_ids)),
        "results_cp": _ints(ind.results, scored),
        "behaviour_cp": _ints(ind.behaviour, scored),
        "total_cp": _ints(ind.total, scored),
        "judgement": _by_code(ind.judgement_code, list(ind.judgement_ids)),
        "judgement_label": _by_code(ind.judgement_code, list(ind.judgement_labels)),
        "negative": negative.tolist(),
        "payout_percent": _decimal_texts(_exact_int_units(pay.factor, 10_000), 2, has_pay),
        "coefficient_name": _by_code(pay.coefficient_code, list(pay.coefficient_ids)),
        "coefficient": _decimal_texts(_exact_int_units(pay.coefficient, 1_000_000), 6, has_pay),
        "theoretical_cents": _ints(pay.theoretical, has_pay),
        "premium_cents": _ints(premium, has_pay),
        "maggiorazione_cents": _ints(magg, has_pay),
        "paid_cents": _ints(premium + magg, has_pay),
        "maggiorazione_rank": _ints(rank, rank != 0),
        "components": _components(ev, role_codes, role_ids, scored),
    }


def person_rows(ev: Any) -> list[tuple]:
    """The people as tuples of the :data:`COMPARED` columns, in the run's order."""
    return list(iter_person_rows(ev))


def iter_person_rows(ev: Any) -> Iterator[tuple]:
    """:func:`person_rows` one at a time (the columns are built once; no list of tuples)."""
    cols = person_columns(ev)
    return zip(*(cols[c] for c in COMPARED))


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
    sql = f"INSERT INTO person_result ({cols}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    rows = iter(rows)
    done = 0
    while part := [head + r for r in islice(rows, batch)]:
        conn.exec_driver_sql(sql, part)
        done += len(part)
        if total:
            phases.tick(done, total)


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


def same_as_stored(session: Any, run_id: int, rows: Iterator[tuple], batch: int = 100_000) -> bool:
    """Whether the stored people of run ``run_id`` are ``rows``, in order (compared a batch at a
    time: neither side is held whole)."""
    cursor = _people_cursor(session, run_id)
    try:
        while part := cursor.fetchmany(batch):
            if part != list(islice(rows, len(part))):  # the drivers give tuples
                return False
        return next(rows, None) is None
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
