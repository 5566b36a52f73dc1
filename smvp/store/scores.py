"""The valutatore's score sheets: tables ``score_sheet`` / ``score_entry`` and their queries.

Queries only (the rules — scales, who evaluates whom, draft and final — live in
``smvp.app.scores``). Every session here is bound to a tenant-scoped engine: the scoping is
``smvp.store.tenancy``'s, never a filter written here.

Concurrency: a change to a sheet is ONE transaction whose first statement is a write on
the sheet row (SQLite: the database write lock; PostgreSQL: the row lock), so two edits
of one sheet, or an edit and the scheda date, are serialised and none is lost; an edit
checks "still a draft" in that same statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from smvp.store.db import dialect_insert
from smvp.store.tables import ScoreEntry, ScoreSheet
from smvp.store.tenancy import session_tenant

SHEET = SQLModel.metadata.tables["score_sheet"]
ENTRY = SQLModel.metadata.tables["score_entry"]


@dataclass
class Sheet:
    """A sheet as read: ``scores`` factor → centipoints (only the factors entered)."""

    person_id: str
    id: int | None = None
    scheda_date: dt.date | None = None
    motivation: str | None = None
    updated_at: dt.datetime | None = None
    scores: dict[str, int] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.scheda_date is not None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sheets(session: Session, dataset_id: int, people: Iterable[str] | None = None
           ) -> dict[str, Sheet]:
    """The sheets of ``dataset_id`` (of ``people`` when given), by person_id."""
    stmt = select(ScoreSheet).where(ScoreSheet.dataset_id == dataset_id)
    if people is not None:
        stmt = stmt.where(col(ScoreSheet.person_id).in_(list(people)))
    rows = session.exec(stmt).all()
    out = {r.person_id: Sheet(person_id=r.person_id, id=r.id, scheda_date=r.scheda_date,
                              motivation=r.motivation, updated_at=r.updated_at) for r in rows}
    if out:
        by_id = {s.id: s for s in out.values()}
        for e in session.exec(select(ScoreEntry).where(
                col(ScoreEntry.sheet_id).in_(list(by_id)))).all():
            by_id[e.sheet_id].scores[e.factor] = e.score_cp
    return out


def _insert(session: Session, table, values: dict, conflict: list[str],
            update_cols: dict | None = None) -> None:
    name = session.get_bind().dialect.name
    insert = dialect_insert(name)
    stmt = insert(table).values(**values)
    stmt = (stmt.on_conflict_do_update(index_elements=conflict, set_=update_cols)
            if update_cols else stmt.on_conflict_do_nothing(index_elements=conflict))
    session.execute(stmt)


def lock_draft(session: Session, dataset_id: int, person_id: str, user_id: int | None
               ) -> Sheet | None:
    """Create the sheet when missing and take its write lock; the sheet as it was (before
    this change) when it is a draft, None when it is final. First statement of the
    transaction of every change."""
    tid = session_tenant(session)
    _insert(session, SHEET,
            dict(tenant_id=tid, dataset_id=dataset_id, person_id=person_id,
                 updated_at=_now(), updated_by=user_id),
            ["tenant_id", "dataset_id", "person_id"])
    done = session.execute(update(ScoreSheet)
                           .where(col(ScoreSheet.dataset_id) == dataset_id,
                                  col(ScoreSheet.person_id) == person_id,
                                  col(ScoreSheet.scheda_date).is_(None))
                           .values(updated_at=_now(), updated_by=user_id)
                           .execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) == 0:
        return None
    return sheets(session, dataset_id, [person_id])[person_id]


def write_scores(session: Session, sheet_id: int, scores: dict[str, int]) -> None:
    tid = session_tenant(session)
    for factor, cp in scores.items():
        _insert(session, ENTRY,
                dict(tenant_id=tid, sheet_id=sheet_id, factor=factor, score_cp=int(cp)),
                ["sheet_id", "factor"], {"score_cp": int(cp)})


def set_motivation(session: Session, sheet_id: int, motivation: str | None) -> None:
    session.execute(update(ScoreSheet).where(col(ScoreSheet.id) == sheet_id)
                    .values(motivation=motivation)
                    .execution_options(synchronize_session=False))


def finalise(session: Session, sheet_id: int, scheda_date: dt.date, user_id: int | None
             ) -> None:
    session.execute(update(ScoreSheet).where(col(ScoreSheet.id) == sheet_id)
                    .values(scheda_date=scheda_date, finalised_by=user_id)
                    .execution_options(synchronize_session=False))


def final_sheets(session: Session, dataset_id: int) -> dict[str, Sheet]:
    """The final sheets of ``dataset_id`` (a consistent read in the caller's transaction)."""
    return {p: s for p, s in sheets(session, dataset_id).items() if s.final}
