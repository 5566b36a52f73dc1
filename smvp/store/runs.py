"""Writing a run in one transaction, and the queries that read runs back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from smvp.errors import StoreProblem
from smvp.report import MONEY_FIELDS, POINT_FIELDS, Outcome
from smvp.store import bulk, tenants
from smvp.store import content as stored_content
from smvp.store.codec import exact_str, to_centipoints, to_cents
from smvp.store.db import dialect_insert, display_url, short_error
from smvp.store.direct import fund_columns, run_columns
from smvp.store.tables import DatasetBlob, FundResult, PersonResult, Run, table_of
from smvp.store.tenancy import session_tenant
from smvp_engine.errors import Msg

# --------------------------------------------------------------------------- writing


def insert_blob_once(session: Session, blob: dict[str, Any]) -> None:
    """Insert a dataset blob unless one with its sha256 is stored: reuse it.

    One statement (``INSERT … ON CONFLICT DO NOTHING`` on SQLite and
    PostgreSQL), so two runs of the same dataset stored at once never collide.
    """
    name = session.get_bind().dialect.name
    table = table_of(DatasetBlob)
    if name in ("sqlite", "postgresql"):
        insert = dialect_insert(name)
        session.execute(insert(table).values(**blob)
                        .on_conflict_do_nothing(index_elements=["tenant_id", "sha256"]))
    elif session.get(DatasetBlob, (blob["tenant_id"], blob["sha256"])) is None:
        session.add(DatasetBlob(**blob))
        session.flush()


def person_record(run_id: int, row: dict[str, Any], tenant_id: int) -> PersonResult:
    points = {f"{name}_cp": to_centipoints(row.get(name)) for name in POINT_FIELDS}
    money = {f"{name}_cents": to_cents(row.get(name)) for name in MONEY_FIELDS}
    rank = row.get("maggiorazione_rank")
    negative = row.get("negative")
    return PersonResult(
        tenant_id=tenant_id,
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
        payout_percent=exact_str(row.get("payout_percent")),
        coefficient_name=_opt_str(row.get("coefficient_name")),
        coefficient=exact_str(row.get("coefficient")),
        maggiorazione_rank=None if rank is None else int(rank),
        components={str(k): to_centipoints(v) for k, v in (row.get("components") or {}).items()},
        **points,
        **money,
    )


def fund_record(run_id: int, fund: dict[str, Any], tenant_id: int) -> FundResult:
    return FundResult(tenant_id=tenant_id, run_id=run_id, **fund_columns(fund))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def save_run(engine: Engine, profile: Any, dataset: Any, outcome: Outcome) -> int:
    """Store one run (with its dataset content) in one transaction; returns the run id."""
    info = outcome.info
    try:
        with Session(engine) as session, session.begin():
            run_id = write_run(session, profile, dataset, outcome)
    except SQLAlchemyError as exc:
        raise StoreProblem(Msg("cannot store the run in {url}: {why}; nothing was stored",
                               url=display_url(str(engine.url)), why=short_error(exc))) from exc
    info.run_id = run_id
    info.database = display_url(str(engine.url))
    return run_id


def write_run(session: Session, profile: Any, dataset: Any, outcome: Outcome) -> int:
    """Add one run (with its dataset content) in the caller's transaction; the run id. The
    caller commits (``save_run``, or a use case storing more in the same transaction)."""
    info = outcome.info
    blob = stored_content.blob_values(dataset)  # the typed columns (DatasetBlob's doc)
    created = info.created_at
    # first statement a write: the transaction takes the write lock at once
    tenant_id = session_tenant(session)
    if tenant_id is None:  # the operator's command line: the tenant of the chamber
        tenant_id = tenants.ensure_tenant(session, info.chamber)
    insert_blob_once(session, dict(tenant_id=tenant_id, sha256=info.dataset_sha256,
                                   created_at=created, **blob))
    run = Run(tenant_id=tenant_id, **run_columns(profile, outcome))
    session.add(run)
    session.flush()
    run_id = run.id
    assert run_id is not None
    evaluation = getattr(outcome.rows, "evaluation", None)
    if evaluation is not None and bulk.columnar(evaluation):  # from the columns, in bulk
        bulk.insert_people(session, run_id, tenant_id, bulk.iter_person_rows(evaluation),
                           total=len(outcome.rows))
    else:
        for row in outcome.rows:
            session.add(person_record(run_id, row, tenant_id))
    session.flush()
    for fund in outcome.funds:
        session.add(fund_record(run_id, fund, tenant_id))
    session.flush()
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
        .group_by(col(FundResult.run_id))
        .subquery()
    )
    stmt = (
        select(Run, func.coalesce(distributed.c.distributed, 0))
        .outerjoin(distributed, distributed.c.run_id == Run.id)
        .order_by(col(Run.id))
    )
    if chamber:
        stmt = stmt.where(Run.chamber == chamber)
    try:
        with Session(engine) as session:
            result = session.exec(stmt).all()
    except SQLAlchemyError as exc:
        raise StoreProblem(Msg("cannot read {url}: {why}", url=display_url(str(engine.url)), why=short_error(exc))) from exc
    out = []
    for run, dist in result:
        assert run.id is not None  # a stored row
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


def dataset_content(engine: Engine, sha256: str, tenant_id: int | None = None
                    ) -> dict[str, Any] | None:
    """The stored dataset content (of ``tenant_id``, else of the store's tenant) as JSON data
    ``{"format", "year", "tables": {table: {column: [values]}}}``, verified against its
    recorded hash; None when it is not stored. A columnar content is rebuilt and written
    out (:func:`read_dataset` gives the dataset itself, without Python values per cell)."""
    with Session(engine) as session:
        blob = _blob(session, sha256, tenant_id)
        if blob is None:
            return None
        session.expunge(blob)
    if not stored_content.intact(blob):
        raise StoreProblem(Msg("stored dataset {hash} does not match its hash", hash=sha256[:12]))
    return stored_content.document(blob)


def read_dataset(engine_or_session: Any, sha256: str, tenant_id: int | None = None,
                 label: str | None = None) -> Any:
    """The stored dataset ``sha256`` (of ``tenant_id``, else of the store's tenant) as a
    Dataset, after checking the stored bytes against ``content_sha256`` and the dataset
    read back against ``sha256``; None when it is not stored. ``label``: its path in
    messages. Raises StoreProblem (a content that does not match its hashes, or does not
    read) and DatasetErrors (a content that breaks the format's rules)."""
    if isinstance(engine_or_session, Session):
        blob = _blob(engine_or_session, sha256, tenant_id)
    else:
        with Session(engine_or_session) as session:
            blob = _blob(session, sha256, tenant_id)
            if blob is not None:
                session.expunge(blob)
    if blob is None:
        return None
    if not stored_content.intact(blob):
        raise StoreProblem(Msg("stored dataset {hash} does not match its hash", hash=sha256[:12]))
    try:
        stored = stored_content.read_stored(blob)
        dataset = stored_content.rebuild(stored, label or f"dataset {sha256[:12]}")
    except (TypeError, ValueError) as exc:
        raise StoreProblem(Msg("stored dataset {hash} does not read: {why}", hash=sha256[:12],
                               why=str(exc))) from exc
    if not stored_content.rebuilt_as_recorded(dataset, stored, sha256):
        raise StoreProblem(Msg("stored dataset {hash} does not match its hash", hash=sha256[:12]))
    return dataset


def iter_person_results(engine: Engine, run_id: int) -> Iterable[PersonResult]:
    with Session(engine) as session:
        return list(session.exec(select(PersonResult).where(PersonResult.run_id == run_id)
                                 .order_by(col(PersonResult.id))).all())



@dataclass(frozen=True)
class RunSummary:
    """A stored run without its profile text and results (what a listing or a check needs)."""

    id: int
    tenant_id: int
    chamber: str
    year: int
    created_at: dt.datetime
    people: int
    profile_sha256: str
    dataset_sha256: str
    engine_version: str
    totals: dict


_SUMMARY: tuple[Any, ...] = (Run.id, Run.tenant_id, Run.chamber, Run.year, Run.created_at,
                             Run.people, Run.profile_sha256, Run.dataset_sha256,
                             Run.engine_version, Run.totals)


def run_summaries(engine: Engine, run_id: int | None = None) -> list[RunSummary]:
    """Every stored run (or run ``run_id``) of the store's tenant, oldest first, without
    the profile text: one query."""
    stmt = sa_select(*_SUMMARY).order_by(col(Run.id))  # ORM attributes: the tenant's rows only
    if run_id is not None:
        stmt = stmt.where(col(Run.id) == run_id)
    try:
        with Session(engine) as session:
            return [RunSummary(*row) for row in session.execute(stmt).all()]
    except SQLAlchemyError as exc:
        raise StoreProblem(Msg("cannot read {url}: {why}", url=display_url(str(engine.url)),
                               why=short_error(exc))) from exc


def run_ids(engine: Engine) -> list[int]:
    """The ids of the store's tenant's runs, oldest first: one query the index on
    ``run.tenant_id`` answers alone (it reads no run row: on SQLite a row is read through
    its profile text to reach the columns after it)."""
    try:
        with Session(engine) as session:
            return [int(i) for i in session.execute(
                sa_select(Run.id).order_by(col(Run.id))).scalars()]  # type: ignore[call-overload]
    except SQLAlchemyError as exc:
        raise StoreProblem(Msg("cannot read {url}: {why}", url=display_url(str(engine.url)),
                               why=short_error(exc))) from exc


def person_rows(engine: Engine, run_id: int, person_id: str | None = None
                ) -> list[dict[str, Any]]:
    """The stored results of run ``run_id`` (of one person when given) as plain dicts of
    the ``person_result`` columns, in stored order: one query, no ORM objects."""
    names = [c.name for c in table_of(PersonResult).columns if c.name not in ("tenant_id", "run_id")]
    # ORM attributes, not the table's columns: the tenant scoping applies to them
    stmt = sa_select(*[getattr(PersonResult, name) for name in names]).where(
        col(PersonResult.run_id) == run_id)
    if person_id is not None:
        stmt = stmt.where(col(PersonResult.person_id) == person_id)
    with Session(engine) as session:
        return [dict(zip(names, row))
                for row in session.execute(stmt.order_by(col(PersonResult.id)))]


def find_run(engine: Engine, run_id: int) -> Run | None:
    """The stored run ``run_id``, or None."""
    try:
        with Session(engine) as session:
            return session.get(Run, run_id)
    except SQLAlchemyError as exc:
        raise StoreProblem(Msg("cannot read {url}: {why}", url=display_url(str(engine.url)),
                               why=short_error(exc))) from exc


def _blob(session: Session, sha256: str, tenant_id: int | None) -> DatasetBlob | None:
    stmt = select(DatasetBlob).where(DatasetBlob.sha256 == sha256)
    if tenant_id is not None:
        stmt = stmt.where(DatasetBlob.tenant_id == tenant_id)
    return session.exec(stmt).first()


def get_blob(engine: Engine, sha256: str, tenant_id: int | None = None) -> DatasetBlob | None:
    with Session(engine) as session:
        return _blob(session, sha256, tenant_id)


def fund_results(engine: Engine, run_id: int) -> list[FundResult]:
    with Session(engine) as session:
        return list(session.exec(select(FundResult).where(FundResult.run_id == run_id)
                                 .order_by(col(FundResult.id))).all())
