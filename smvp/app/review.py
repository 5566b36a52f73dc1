"""A dipendente's request of review of their evaluation (the first step of the conciliation
procedure), shared by the pages and usable by the API.

The procedure and its terms are the profile's (``conciliation.steps``, e.g. Cuneo SMVP 2024
§3.4: «richiesta scritta di riesame al valutatore … nel termine di 10 giorni dalla data
posta sulla stessa»), counted on the Chamber's calendar by the engine
(``smvp_engine.deadlines`` through :meth:`smvp.conciliation.Procedure.schedule`). This
module only finds the day the term runs from and refuses a request after it:

* **The day of the scheda** (the procedure's starting event): its delivery by the one rule
  of :mod:`smvp.app.delivery` — a recorded delivery (``smvp conciliation deliver``), else
  the date the valutatore put on the person's final scheda (``smvp.app.scores``) in the
  dataset the run evaluated, but never before the run was made (the person cannot contest
  numbers not computed yet). Without either, no request can be made yet.
* **The request** is the procedure's first step of the person evaluated (actor
  ``valutato``, from the starting event). After its term the request is refused, naming
  the last day; within it a case is opened (``smvp.app.conciliation.open_case``) and the
  step recorded with the reasons (``record_step``), one transaction each, audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smvp.conciliation import CaseProblem, run_procedure
from smvp.i18n import format_date
from smvp_engine.errors import Msg


class ReviewRefused(CaseProblem):
    """A request of review that cannot be made (no scheda date yet, term expired, a case
    already open); the message is a catalogue message (``Msg``), said in the person's language
    by the page (``smvp.i18n.say``)."""


@dataclass
class ReviewTerm:
    """Where a person stands with the request of review of one run's evaluation."""

    run_id: int
    person_id: str
    step: str | None  # the request step's id (None: the profile has no such step)
    label: str | None  # its label, from the profile
    scheda_date: dt.date | None  # the day the term runs from (the scheda's delivery)
    due: dt.date | None  # the last day of the term (None: no term, or no scheda date)
    open: bool  # may the request be made as of ``as_of``?
    case: Any = None  # smvp.conciliation.CaseView of the person's latest case on the run
    source: str | None = None  # the profile's source of the procedure
    delivery: Any = None  # smvp.app.delivery.Delivery: why scheda_date is that day


def scheda_date(engine: Engine, run: Any, person_id: str, *,
                as_of: dt.date) -> dt.date | None:
    """The day the person's term runs from: their scheda's delivery by the rule of
    :mod:`smvp.app.delivery` (a recorded delivery, else the valutatore's date but never
    before the run); None when not delivered yet."""
    found = delivery_of(engine, run, person_id, as_of=as_of)
    return found.day if found is not None else None


def delivery_of(engine: Engine, run: Any, person_id: str, *, as_of: dt.date) -> Any:
    """:func:`smvp.app.delivery.delivery` in a session of its own."""
    from smvp.app.delivery import delivery

    with Session(engine) as s:
        return delivery(s, run, person_id, as_of=as_of)


def _request_step(proc: Any) -> str | None:
    for sid, st in proc.steps.items():
        if st.get("from_event") == proc.base_event and (proc.actor(sid) or "valutato") == "valutato":
            return sid
    return None


def term(engine: Engine, run: Any, person_id: str, *, as_of: dt.date) -> ReviewTerm:
    """The request term of ``person_id`` in ``run`` as of ``as_of`` (CaseProblem when the
    run's profile has no conciliation procedure)."""
    from smvp.app import conciliation as cases
    from smvp.store.tables import ConciliationCase

    proc = run_procedure(run)
    sid = _request_step(proc)
    found = delivery_of(engine, run, person_id, as_of=as_of)
    day = found.day if found is not None else None
    due = None
    if sid is not None and day is not None:
        row = next(r for r in proc.schedule({proc.base_event: day}, as_of=as_of) if r.step == sid)
        due = row.due
    with Session(engine) as s:
        latest = s.exec(select(ConciliationCase).where(ConciliationCase.run_id == run.id,
                                                       ConciliationCase.person_id == person_id)
                        .order_by(col(ConciliationCase.number).desc())).first()
        view = cases.case_view(s, latest, as_of) if latest is not None else None
    is_open = (sid is not None and day is not None and day <= as_of
               and (due is None or as_of <= due) and (view is None or view.closed))
    return ReviewTerm(run_id=run.id, person_id=person_id, step=sid,
                      label=proc.label(sid) if sid else None, scheda_date=day, due=due,
                      open=is_open, case=view, delivery=found)


def request(engine: Engine, run: Any, person_id: str, *, reasons: str, on: dt.date,
            user: Any = None) -> Any:
    """Open the case and record the request with ``reasons`` on ``on``; ReviewRefused (a
    catalogue message) when it cannot be made. Returns the case (``CaseView``)."""
    from smvp.app import accounts
    from smvp.app import conciliation as cases

    text = (reasons or "").strip()
    t = term(engine, run, person_id, as_of=on)
    if t.case is not None and not t.case.closed:
        raise ReviewRefused(Msg("The request has already been made: case {case}.", case=t.case.ref))
    if t.step is None:
        raise ReviewRefused(Msg("The evaluation system provides no request of review by the person evaluated."))
    if t.scheda_date is None:
        raise ReviewRefused(Msg("The scheda has not been delivered yet: the request can be made from the "
                                "date of the scheda."))
    if t.due is not None and on > t.due:
        raise ReviewRefused(Msg("The term for the request of review expired on {due} ({label}: from the "
                                "date of the scheda, {scheda_date}).", due=format_date(t.due, "it"),
                                label=t.label, scheda_date=format_date(t.scheda_date, "it")))
    if not text:
        raise ReviewRefused(Msg("Write the reasons for the request."))
    view = cases.open_case(engine, chamber=run.chamber, run_id=run.id, person_id=person_id,
                           delivered=t.scheda_date, note=text, as_of=on)
    done = cases.record_step(engine, view.ref, chamber=run.chamber, event=t.step, on=on,
                             note=text, as_of=on)
    with Session(engine) as s, s.begin():
        accounts.audit(s, user=user, action="case.open", kind="case", object_id=view.ref,
                       after={"run": run.id, "person": person_id, "step": t.step,
                              "on": on.isoformat(), "reasons": text})
    return done.view
