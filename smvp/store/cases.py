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
from smvp_engine.errors import Msg


def session_errors(engine: Engine, what: str):
    """A context that turns a database error into StoreProblem ('cannot <what> … nothing was stored');
    ``what``: a catalogue message (``Msg("record the step")``) said in the user's language."""
    class _Guard:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            if exc is not None and isinstance(exc, SQLAlchemyError):
                raise StoreProblem(Msg("cannot {what} in {url}: {error}; nothing was stored", what=what,
                                       url=display_url(str(engine.url)), error=short_error(exc))) from exc
            return False

    return _Guard()


def get_run(session: Session, run_id: int, chamber: str | None = None) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise UsageProblem(Msg("no stored run {run}", run=run_id), hint=Msg("see smvp runs"))
    if chamber and run.chamber != chamber:
        raise CaseProblem(Msg("run {run} is a {found} run, not {chamber} (expected a run of --chamber {chamber})",
                              run=run_id, found=run.chamber, chamber=chamber),
                          hint=Msg("see smvp runs --chamber {chamber}", chamber=chamber))
    return run


def get_case(session: Session, ref: str, chamber: str | None) -> ConciliationCase:
    ch, n = parse_case_ref(ref, chamber)
    case = session.exec(select(ConciliationCase).where(ConciliationCase.chamber == ch,
                                                       ConciliationCase.number == n)).first()
    if case is None:
        raise UsageProblem(Msg("no case {case}", case=f"{ch}-{n}"),
                           hint=Msg("see smvp conciliation status --chamber {chamber}", chamber=ch))
    return case


def person_result(session: Session, run_id: int, person_id: str) -> PersonResult:
    row = session.exec(select(PersonResult).where(
        PersonResult.run_id == run_id, PersonResult.person_id == person_id)).first()
    if row is None:
        ids = [r for r in session.exec(select(PersonResult.person_id)
                                       .where(PersonResult.run_id == run_id)).all()]
        near = difflib.get_close_matches(person_id, ids, n=1)
        raise UsageProblem(Msg("--person {person}: not in run {run} (expected a person_id of the run's {n} "
                               "people, found {person!r})", person=person_id, run=run_id, n=len(ids)),
                           hint=Msg("did you mean {near}?", near=near[0]) if near else None)
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

