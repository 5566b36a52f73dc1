"""Persistence of runs (sqlmodel over SQLAlchemy).

Database URL, first found:
  1. ``--db URL`` on the command line;
  2. ``$SMVP_DATABASE_URL``;
  3. ``sqlite:///$SMVP_HOME/smvp.db`` when ``$SMVP_HOME`` is set;
  4. ``sqlite:///$XDG_DATA_HOME/smvp/smvp.db`` (``~/.local/share/smvp/smvp.db``).

Exact numbers only: money is stored as integer cents, points as integer
centipoints, percentages and coefficients as exact decimal strings. A run is
written in ONE transaction: if anything fails, the database is as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, event, func, inspect, text
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, create_engine, select

from smvp.errors import StoreProblem, UsageProblem
from smvp.report import FUND_MONEY_FIELDS, MONEY_FIELDS, POINT_FIELDS, Outcome, jsonable

# --------------------------------------------------------------------------- tables


class DatasetBlob(SQLModel, table=True):
    """The content of a dataset as loaded (canonical JSON of its typed tables)."""

    __tablename__ = "dataset_blob"

    sha256: str = Field(primary_key=True, max_length=64,
                        description="dataset.sha256 (hash of the source files)")
    content_sha256: str = Field(max_length=64, description="sha256 of `content`")
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Run(SQLModel, table=True):
    __tablename__ = "run"

    id: int | None = Field(default=None, primary_key=True)
    chamber: str = Field(index=True)
    year: int = Field(index=True)
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    profile_path: str
    profile_text: str = Field(sa_column=Column(Text, nullable=False))
    profile_sha256: str = Field(max_length=64, index=True)
    dataset_path: str
    dataset_sha256: str = Field(max_length=64, foreign_key="dataset_blob.sha256", index=True)
    engine_version: str
    people: int
    totals: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PersonResult(SQLModel, table=True):
    __tablename__ = "person_result"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    person_id: str
    name: str | None = None
    role: str | None = None
    role_label: str | None = None
    unit_id: str | None = None
    fund: str | None = None
    results_cp: int | None = Field(default=None, description="centipoints")
    behaviour_cp: int | None = Field(default=None, description="centipoints")
    total_cp: int | None = Field(default=None, description="centipoints")
    judgement: str | None = None
    judgement_label: str | None = None
    negative: bool | None = None
    payout_percent: str | None = Field(default=None, description="exact decimal string")
    coefficient_name: str | None = None
    coefficient: str | None = Field(default=None, description="exact decimal string")
    theoretical_cents: int | None = None
    premium_cents: int | None = None
    maggiorazione_cents: int | None = None
    paid_cents: int | None = None
    maggiorazione_rank: int | None = None
    components: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                             description="component id → centipoints")


class FundResult(SQLModel, table=True):
    __tablename__ = "fund_result"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    fund: str
    label: str | None = None
    resources_cents: int | None = None
    distributed_cents: int | None = None
    economies_cents: int | None = None


TABLES = [DatasetBlob.__table__, Run.__table__, PersonResult.__table__, FundResult.__table__]

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


def _exact_str(value: Any) -> str | None:
    d = _decimal(value)
    return None if d is None else str(d)


# --------------------------------------------------------------------------- dataset content


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"


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
                vals = [None if bool(m) else v for v, m in zip(vals, list(mask))]
            out[str(col)] = vals
        tables[str(name)] = out
    year = getattr(dataset, "year", None)
    return {"format": 1, "year": None if year is None else int(year), "tables": tables}


def canonical_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def dataset_canonical_json(dataset: Any) -> str:
    return canonical_json(dataset_document(dataset))


# --------------------------------------------------------------------------- location


def default_database_path() -> Path:
    home = os.environ.get("SMVP_HOME")
    if home:
        return Path(home).expanduser() / "smvp.db"
    data_home = os.environ.get("XDG_DATA_HOME")
    base = Path(data_home).expanduser() if data_home else Path.home() / ".local" / "share"
    return base / "smvp" / "smvp.db"


def database_url(url: str | None = None) -> str:
    """``url``, else ``$SMVP_DATABASE_URL``, else SQLite in the user data dir."""
    if url:
        return url
    env = os.environ.get("SMVP_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{default_database_path()}"


def display_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine for ``database_url(url)`` with the tables created."""
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise UsageProblem(f"invalid database URL {resolved!r}",
                           hint="use e.g. sqlite:///path/to/smvp.db") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db_path = Path(parsed.database).expanduser()
        if create:
            try:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreProblem(f"cannot create the database folder {db_path.parent}: "
                                   f"{exc.strerror or exc}") from exc
    try:
        engine = create_engine(resolved)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise UsageProblem(f"cannot use database URL {display_url(resolved)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    if create:
        try:
            ensure_schema(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreProblem(f"cannot open the database {display_url(resolved)}: "
                               f"{_short(exc)}") from exc
    return engine


# Any constant: the PostgreSQL advisory lock held while the schema is created.
_SCHEMA_LOCK_KEY = 0x736D7670  # "smvp"


def ensure_schema(engine: Engine) -> None:
    """Create the missing tables, safely when several processes start on a fresh database.

    Nothing is done when every table exists. Otherwise the tables are created in
    ONE transaction that first takes the database's schema lock (SQLite:
    ``BEGIN IMMEDIATE``, the write lock, waited for up to the driver's busy
    timeout; PostgreSQL: a transaction-scoped advisory lock); the existence check
    is repeated under the lock, so a process that waited finds the tables made by
    the one before it and creates nothing. Raises SQLAlchemyError.
    """
    names = {t.name for t in TABLES}
    if names <= set(inspect(engine).get_table_names()):
        return
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        SQLModel.metadata.create_all(conn, tables=TABLES, checkfirst=True)
        conn.commit()


def _insert_blob_once(session: Session, blob: dict[str, Any]) -> None:
    """Insert a dataset blob unless one with its sha256 is stored: reuse it.

    One statement (``INSERT … ON CONFLICT DO NOTHING`` on SQLite and
    PostgreSQL), so two runs of the same dataset stored at once never collide.
    """
    name = session.get_bind().dialect.name
    table = DatasetBlob.__table__
    if name in ("sqlite", "postgresql"):
        insert = sqlite_dialect.insert if name == "sqlite" else pg_dialect.insert
        session.execute(insert(table).values(**blob)
                        .on_conflict_do_nothing(index_elements=["sha256"]))
    elif session.get(DatasetBlob, blob["sha256"]) is None:
        session.add(DatasetBlob(**blob))
        session.flush()


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0]


# --------------------------------------------------------------------------- writing


def _person_record(run_id: int, row: dict[str, Any]) -> PersonResult:
    points = {f"{name}_cp": to_centipoints(row.get(name)) for name in POINT_FIELDS}
    money = {f"{name}_cents": to_cents(row.get(name)) for name in MONEY_FIELDS}
    rank = row.get("maggiorazione_rank")
    negative = row.get("negative")
    return PersonResult(
        run_id=run_id,
        person_id=str(row.get("person_id")),
        name=_opt_str(row.get("name")),
        role=_opt_str(row.get("role")),
        role_label=_opt_str(row.get("role_label")),
        unit_id=_opt_str(row.get("unit_id")),
        fund=_opt_str(row.get("fund")),
        judgement=_opt_str(row.get("judgement")),
        judgement_label=_opt_str(row.get("judgement_label")),
        negative=None if negative is None else bool(negative),
        payout_percent=_exact_str(row.get("payout_percent")),
        coefficient_name=_opt_str(row.get("coefficient_name")),
        coefficient=_exact_str(row.get("coefficient")),
        maggiorazione_rank=None if rank is None else int(rank),
        components={str(k): to_centipoints(v) for k, v in (row.get("components") or {}).items()},
        **points,
        **money,
    )


def _fund_record(run_id: int, fund: dict[str, Any]) -> FundResult:
    return FundResult(
        run_id=run_id,
        fund=str(fund.get("fund")),
        label=_opt_str(fund.get("label")),
        **{f"{name}_cents": to_cents(fund.get(name)) for name in FUND_MONEY_FIELDS},
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def totals_json(outcome: Outcome) -> dict[str, Any]:
    totals = outcome.totals()
    return {
        "cents": {name: to_cents(value) for name, value in totals.items()},
        "summary": jsonable(outcome.summary, decimals_as="string"),
    }


def save_run(engine: Engine, profile: Any, dataset: Any, outcome: Outcome) -> int:
    """Store one run (with its dataset content) in one transaction; returns the run id."""
    info = outcome.info
    content = dataset_canonical_json(dataset)
    content_sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
    created = info.created_at
    try:
        with Session(engine) as session, session.begin():
            # first statement a write: the transaction takes the write lock at once
            _insert_blob_once(session, dict(sha256=info.dataset_sha256, content=content,
                                            content_sha256=content_sha, created_at=created))
            run = Run(
                chamber=info.chamber,
                year=info.year,
                created_at=created,
                profile_path=info.profile_path,
                profile_text=str(profile.text),
                profile_sha256=info.profile_sha256,
                dataset_path=info.dataset_path,
                dataset_sha256=info.dataset_sha256,
                engine_version=info.engine_version,
                people=len(outcome.rows),
                totals=totals_json(outcome),
            )
            session.add(run)
            session.flush()
            run_id = run.id
            assert run_id is not None
            for row in outcome.rows:
                session.add(_person_record(run_id, row))
            session.flush()
            for fund in outcome.funds:
                session.add(_fund_record(run_id, fund))
            session.flush()
    except SQLAlchemyError as exc:
        raise StoreProblem(f"cannot store the run in {display_url(str(engine.url))}: "
                           f"{_short(exc)}; nothing was stored") from exc
    info.run_id = run_id
    info.database = display_url(str(engine.url))
    return run_id


# --------------------------------------------------------------------------- reading


@dataclass
class RunListing:
    id: int
    chamber: str
    year: int
    created_at: dt.datetime
    profile_sha256: str
    dataset_sha256: str
    engine_version: str
    people: int
    distributed_cents: int


def list_runs(engine: Engine, chamber: str | None = None) -> list[RunListing]:
    distributed = (
        select(FundResult.run_id, func.coalesce(func.sum(FundResult.distributed_cents), 0)
               .label("distributed"))
        .group_by(FundResult.run_id)
        .subquery()
    )
    stmt = (
        select(Run, func.coalesce(distributed.c.distributed, 0))
        .outerjoin(distributed, distributed.c.run_id == Run.id)
        .order_by(Run.id)
    )
    if chamber:
        stmt = stmt.where(Run.chamber == chamber)
    try:
        with Session(engine) as session:
            result = session.exec(stmt).all()
    except SQLAlchemyError as exc:
        raise StoreProblem(f"cannot read {display_url(str(engine.url))}: {_short(exc)}") from exc
    out = []
    for run, dist in result:
        created = run.created_at
        if created.tzinfo is None:  # SQLite drops the offset; we always store UTC
            created = created.replace(tzinfo=dt.UTC)
        out.append(RunListing(
            id=run.id, chamber=run.chamber, year=run.year, created_at=created,
            profile_sha256=run.profile_sha256, dataset_sha256=run.dataset_sha256,
            engine_version=run.engine_version, people=run.people,
            distributed_cents=int(dist or 0),
        ))
    return out


def counts(engine: Engine) -> dict[str, int]:
    """Row counts per table (for tests and diagnostics)."""
    with Session(engine) as session:
        return {
            model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
            for model in (DatasetBlob, Run, PersonResult, FundResult)
        }


def dataset_content(engine: Engine, sha256: str) -> dict[str, Any] | None:
    """The stored dataset content, verified against its recorded hash."""
    with Session(engine) as session:
        blob = session.get(DatasetBlob, sha256)
        if blob is None:
            return None
        if hashlib.sha256(blob.content.encode("utf-8")).hexdigest() != blob.content_sha256:
            raise StoreProblem(f"stored dataset {sha256[:12]} does not match its hash")
        return json.loads(blob.content)


def iter_person_results(engine: Engine, run_id: int) -> Iterable[PersonResult]:
    with Session(engine) as session:
        return list(session.exec(select(PersonResult).where(PersonResult.run_id == run_id)
                                 .order_by(PersonResult.id)).all())


# Conciliation cases, revisions, OIV validations and sheet deliveries live in the same
# database: importing smvp.cases adds its tables to TABLES (so open_engine creates them).
from smvp import cases as _cases  # noqa: F401
