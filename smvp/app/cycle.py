"""The cycle's actual dates of a tenant's year: read them, and record them (the
amministratore's use case; the pages' calendar shows the deadlines computed from them with
``smvp.commands.calendar.cycle_rows``, as ``smvp calendar --actual``).

Recording replaces the year's dates in ONE transaction, with an audit entry: a step left
empty is "not done yet"; a step the profile's ``cycle`` does not have, or a date outside
the years around the cycle, raises ``DatasetErrors`` naming the step, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from smvp.app.accounts import audit
from smvp.errors import UsageProblem
from smvp.store.cycle import CycleDate, actual_dates
from smvp.store.tables import User
from smvp.store.tenancy import session_tenant
from smvp_engine.errors import DatasetError, DatasetErrors, Msg

__all__ = ["actual_dates", "record_actual_dates", "steps"]


def steps(profile_data: dict[str, Any]) -> dict[str, Any]:
    """The profile's cycle steps (id → step), {} when it declares no calendar."""
    block = profile_data.get("cycle") or {}
    if not isinstance(block, dict) or block.get("defined") is False:
        return {}
    return dict(block.get("steps") or {})


def record_actual_dates(engine: Engine, *, profile_data: dict[str, Any], year: int,
                        dates: dict[str, dt.date | None], user: User | None,
                        where: str = "calendario") -> dict[str, dt.date]:
    """Replace the year's actual dates with ``dates`` (None: not done); the dates stored.

    Raises:
        DatasetErrors: a step the profile's cycle does not have; a date more than a year
            away from the cycle's year (``year``-1 … ``year``+2). Nothing is written.
    """
    known = steps(profile_data)
    errors = []
    for step, day in dates.items():
        if step not in known:
            near = difflib.get_close_matches(step, list(known), n=1)
            errors.append(DatasetError(Msg("{step!r} is not a step of the cycle", step=step), file=where,
                                       field="step", expected=Msg("one of {values}", values=", ".join(known)),
                                       found=repr(step),
                                       hint=Msg("did you mean {near}?", near=near[0]) if near else None))
        elif day is not None and not (year - 1 <= day.year <= year + 2):
            errors.append(DatasetError(Msg("date outside the cycle's years"), file=where, field=step,
                                       expected=Msg("a date between {first} and {last}", first=year - 1,
                                                    last=year + 2),
                                       found=day.isoformat()))
    if errors:
        raise DatasetErrors(errors)
    before = actual_dates(engine, year)
    after = {k: v for k, v in dates.items() if v is not None}
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s, s.begin():
        tenant_id = session_tenant(s)
        if tenant_id is None:
            raise UsageProblem(Msg("the cycle's dates belong to a tenant (use store.scoped(engine, tenant_id))"))
        rows = {r.step: r for r in s.exec(select(CycleDate).where(CycleDate.year == year)).all()}
        for step, gone in rows.items():
            if step not in after:
                s.delete(gone)
        for step, day in after.items():
            row = rows.get(step)
            if row is None:
                s.add(CycleDate(tenant_id=tenant_id, year=year, step=step, done_on=day, recorded_at=now,
                                recorded_by=user.id if user else None))
            elif row.done_on != day:
                row.done_on, row.recorded_at = day, now
                row.recorded_by = user.id if user else None
        s.flush()
        if before != after:
            audit(s, user=user, action="cycle.dates", kind="cycle_year", object_id=year,
                  before={k: v.isoformat() for k, v in before.items()},
                  after={k: v.isoformat() for k, v in after.items()})
    return after
