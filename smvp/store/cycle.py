"""The performance cycle's actual dates of a tenant's year (``cycle_date``): the day each
step of the profile's ``cycle`` was done, as ``smvp calendar --actual`` reads them from a
file. Table and queries only; the use case is ``smvp.app.cycle``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, select

from smvp.store.tables import TenantOwned


class CycleDate(TenantOwned, table=True):
    """The actual date of one step of the performance cycle in one year of a tenant."""

    __tablename__ = "cycle_date"
    __table_args__ = (UniqueConstraint("tenant_id", "year", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    step: str = Field(description="step id of the profile's cycle.steps")
    done_on: dt.date
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


def actual_dates(engine: Engine, year: int) -> dict[str, dt.date]:
    """step id → actual date of ``year`` (engine scoped to the tenant)."""
    with Session(engine) as s:
        rows = s.exec(select(CycleDate).where(CycleDate.year == year)).all()
        return {r.step: r.done_on for r in rows}
