"""A run stored straight into an SQLite database with the standard library's ``sqlite3``.

``smvp evaluate`` stores its run here when it can: importing SQLAlchemy and SQLModel and
mapping the tables costs more than the rest of the stored command together
(benchmarks/STARTUP.md). The rows written are the ones :func:`smvp.store.runs.save_run`
writes through the ORM, column for column (tests/test_store_direct.py compares the two
databases), in ONE transaction that takes the write lock first (``BEGIN IMMEDIATE``,
waiting up to sqlite3's busy timeout of 5 s): when anything fails the database is as it
was.

:func:`save_run` returns None, having written nothing, when the store is not a plain
SQLite file already at the newest schema (:data:`smvp.store.location.HEAD`): another
database, a database to create or to upgrade, or rows without the engine's columns. The
caller then stores the run with ``smvp.store.runs.save_run``, which creates and upgrades
(Alembic). So this module never changes a schema.

The values of the run row (:func:`run_columns`), of a fund (:func:`fund_columns`) and the
totals (:func:`totals_json`) are defined here once and used by both paths; the people are
``smvp.store.bulk``'s columns.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from itertools import islice
from typing import Any

from smvp import phases
from smvp.errors import StoreProblem
from smvp.report import FUND_MONEY_FIELDS, Outcome, jsonable
from smvp.store import bulk
from smvp.store.codec import to_cents
from smvp.store.content import blob_values
from smvp.store.location import (
    DEFAULT_NAMES,
    HEAD,
    database_url,
    display_sqlite_file,
    plain_sqlite_file,
)
from smvp_engine.errors import Msg

# --------------------------------------------------------------------------- the values


def totals_json(outcome: Outcome) -> dict[str, Any]:
    """The run's ``totals`` column: cents per total, and the summary with exact strings."""
    totals = outcome.totals()
    return {
        "cents": {name: to_cents(value) for name, value in totals.items()},
        "summary": jsonable(outcome.summary, decimals_as="string"),
    }


def layer_columns(profile: Any) -> dict[str, str]:
    """The layer ``profile`` extends (name, text, sha256) for the run row; empty without one."""
    base = getattr(profile, "base", None)
    if base is None:
        return {}
    return {"layer_name": str(profile.data.get("extends")), "layer_text": str(base.text),
            "layer_sha256": str(base.sha256)}


def run_columns(profile: Any, outcome: Outcome) -> dict[str, Any]:
    """The ``run`` row of ``outcome`` but its id and tenant."""
    info = outcome.info
    return dict(
        chamber=info.chamber,
        year=info.year,
        created_at=info.created_at,
        profile_path=info.profile_path,
        profile_text=str(profile.text),
        profile_sha256=info.profile_sha256,
        dataset_path=info.dataset_path,
        dataset_sha256=info.dataset_sha256,
        engine_version=info.engine_version,
        people=len(outcome.rows),
        totals=totals_json(outcome),
        **layer_columns(profile),
    )


def fund_columns(fund: dict[str, Any]) -> dict[str, Any]:
    """A ``fund_result`` row but its ids: the fund, its label, money in cents."""
    label = fund.get("label")
    return dict(fund=str(fund.get("fund")), label=None if label is None else str(label),
                **{f"{name}_cents": to_cents(fund.get(name)) for name in FUND_MONEY_FIELDS})


def sqlite_datetime(value: dt.datetime) -> str:
    """A datetime as SQLAlchemy's SQLite ``DateTime`` stores it (its wall clock, microseconds
    always; the offset dropped: smvp stores UTC)."""
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


# --------------------------------------------------------------------------- writing


def save_run(url: str | None, profile: Any, dataset: Any, outcome: Outcome) -> int | None:
    """Store the run in the SQLite database of ``url`` (``smvp.store.location.database_url``)
    in one transaction and return its id; None, with nothing written, when this path does
    not apply (see the module's doc). Raises StoreProblem when the database refuses the
    run (nothing is stored)."""
    resolved = database_url(url)
    path = plain_sqlite_file(resolved)
    evaluation = getattr(outcome.rows, "evaluation", None)
    if path is None or not path.is_file() or evaluation is None or not bulk.columnar(evaluation):
        return None
    try:
        con = sqlite3.connect(path, isolation_level=None)  # the transaction is ours: BEGIN below
    except sqlite3.Error:
        return None
    try:
        try:
            con.execute("PRAGMA foreign_keys=ON")
            at_head = con.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        except sqlite3.Error:  # no version table: not a database this path writes
            return None
        if not at_head:
            return None
        run_id = _write(con, profile, dataset, outcome, evaluation)
    except sqlite3.Error as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreProblem(Msg("cannot store the run in {url}: {why}; nothing was stored",
                               url=display_sqlite_file(path), why=message)) from exc
    finally:
        con.close()
    outcome.info.run_id = run_id
    outcome.info.database = display_sqlite_file(path)
    return run_id


def _insert(con: sqlite3.Connection, table: str, values: dict[str, Any], tail: str = "") -> Any:
    marks = ", ".join("?" * len(values))
    return con.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks}){tail}",
                       list(values.values()))


def _write(con: sqlite3.Connection, profile: Any, dataset: Any, outcome: Outcome,
           evaluation: Any) -> int:
    info = outcome.info
    blob = dict(sha256=info.dataset_sha256, created_at=sqlite_datetime(info.created_at),
                **blob_values(dataset))  # the typed columns (smvp.store.tables.DatasetBlob)
    run = run_columns(profile, outcome)
    run["created_at"] = sqlite_datetime(run["created_at"])
    run["totals"] = json.dumps(run["totals"])  # as SQLAlchemy's JSON type writes it
    slug = info.chamber
    con.execute("BEGIN IMMEDIATE")  # the write lock first: one writer at a time
    try:
        _insert(con, "tenant", dict(slug=slug, name=DEFAULT_NAMES.get(slug, slug), chamber=slug,
                                    created_at=sqlite_datetime(dt.datetime.now(dt.UTC))),
                " ON CONFLICT (slug) DO NOTHING")
        tenant_id = con.execute("SELECT id FROM tenant WHERE slug = ?", (slug,)).fetchone()[0]
        _insert(con, "dataset_blob", dict(tenant_id=tenant_id, **blob),
                " ON CONFLICT (tenant_id, sha256) DO NOTHING")
        run_id = _insert(con, "run", dict(tenant_id=tenant_id, **run)).lastrowid
        assert run_id is not None
        _insert_people(con, run_id, tenant_id, bulk.iter_person_rows(evaluation),
                       total=len(outcome.rows))
        for fund in outcome.funds:
            _insert(con, "fund_result", dict(tenant_id=tenant_id, run_id=run_id,
                                             **fund_columns(fund)))
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    return int(run_id)


def _insert_people(con: sqlite3.Connection, run_id: int, tenant_id: int, rows: Iterable[tuple],
                   total: int, batch: int = 50_000) -> None:
    """The people (tuples of ``bulk.COMPARED``), a batch at a time, with progress."""
    sql = bulk.insert_sql(run_id, tenant_id)
    it = iter(rows)
    done = 0
    while True:  # each batch streamed to sqlite3 (no list of its rows)
        added = con.executemany(sql, islice(it, batch)).rowcount
        if added <= 0:
            break
        done += added
        phases.tick(done, total)
