"""Queries of the conciliation tables: cases, steps, deliveries, revisions (no domain rules)."""

from __future__ import annotations

import datetime as dt
import difflib

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from smvp.conciliation import CaseProblem, parse_case_ref
from smvp.errors import StoreProblem, UsageProblem
from smvp.store.db import display_url, short_error
from smvp.store.tables import (
    ConciliationCase,
    ConciliationStep,
    PersonResult,
    Revision,
    Run,
    SheetDelivery,
)


def session_errors(engine: Engine, what: str):
    """A context that turns a database error into StoreProblem ('cannot <what> … nothing was stored')."""
    class _Guard:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            if exc is not None and isinstance(exc, SQLAlchemyError):
                raise StoreProblem(f"cannot {what} in {display_url(str(engine.url))}: "
                                   f"{short_error(exc)}; nothing was stored") from exc
            return False

    return _Guard()


def get_run(session: Session, run_id: int, chamber: str | None = None) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise UsageProblem(f"no stored run {run_id}", hint="see smvp runs")
    if chamber and run.chamber != chamber:
        raise CaseProblem(f"run {run_id} is a {run.chamber} run, not {chamber} "
                          f"(expected a run of --chamber {chamber})",
                          hint=f"see smvp runs --chamber {chamber}")
    return run


def get_case(session: Session, ref: str, chamber: str | None) -> ConciliationCase:
    ch, n = parse_case_ref(ref, chamber)
    case = session.exec(select(ConciliationCase).where(ConciliationCase.chamber == ch,
                                                       ConciliationCase.number == n)).first()
    if case is None:
        raise UsageProblem(f"no case {ch}-{n}", hint=f"see smvp conciliation status --chamber {ch}")
    return case


def person_result(session: Session, run_id: int, person_id: str) -> PersonResult:
    row = session.exec(select(PersonResult).where(
        PersonResult.run_id == run_id, PersonResult.person_id == person_id)).first()
    if row is None:
        ids = [r for r in session.exec(select(PersonResult.person_id)
                                       .where(PersonResult.run_id == run_id)).all()]
        near = difflib.get_close_matches(person_id, ids, n=1)
        raise UsageProblem(f"--person {person_id}: not in run {run_id} "
                           f"(expected a person_id of the run's {len(ids)} people, found {person_id!r})",
                           hint=f"did you mean {near[0]}?" if near else None)
    return row


def case_steps(session: Session, case_id: int) -> list[ConciliationStep]:
    return list(session.exec(select(ConciliationStep).where(ConciliationStep.case_id == case_id)
                             .order_by(col(ConciliationStep.done_on), col(ConciliationStep.id))).all())


def delivery_day(session: Session, run_id: int, person_id: str) -> dt.date | None:
    rows = session.exec(select(SheetDelivery).where(SheetDelivery.run_id == run_id)
                        .order_by(col(SheetDelivery.id))).all()
    own = [r.delivered for r in rows if r.person_id == person_id]
    every = [r.delivered for r in rows if r.person_id is None]
    days = own or every
    return days[-1] if days else None


def run_revisions(session: Session, run_id: int) -> list[Revision]:
    return list(session.exec(select(Revision).where(Revision.run_id == run_id)
                             .order_by(col(Revision.number))).all())

