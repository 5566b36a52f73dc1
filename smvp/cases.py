"""Conciliation cases, revisions of results, OIV validation and the payment gate.

Stored in the same database as the runs (``smvp.store``: the tables below are
added to ``store.TABLES`` so ``open_engine`` creates them). Stored runs are
never modified: a changed evaluation is a new ``revision`` record with the
whole run's recomputed results (``revision_result``).

* A **case** is one person's conciliation procedure about one stored run. It
  belongs to the run's Chamber and is numbered per Chamber (``cuneo-1``,
  ``cremona-1``): a Chamber's commands never see another Chamber's cases.
* Its **steps** are the profile's ``conciliation.steps`` (ids, or the aliases
  of :data:`ALIASES`); the terms are computed by ``engine.deadlines`` on the
  Chamber's calendar, from the profile stored with the run.
* The **payment gate** (art. 14 c. 6 d.lgs. 150/2009): a run's payouts are
  *provvisori* until the OIV validation of the Relazione sulla performance is
  recorded and every conciliation term of the run has expired or its case is
  closed; then *definitivi*. See docs/conciliation.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, select

from smvp_engine import deadlines
from smvp_engine.deadlines import StepDeadline, WorkingCalendar
from smvp_engine.errors import ProfileError, ProfileErrors, SmvpError, SmvpErrors
from smvp import store
from smvp.errors import EdgeError, StoreProblem, UsageProblem
from smvp.report import jsonable

# --------------------------------------------------------------------------- tables


class ConciliationCase(SQLModel, table=True):
    """One person's conciliation procedure about one stored run."""

    __tablename__ = "conciliation_case"
    __table_args__ = (UniqueConstraint("chamber", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    chamber: str = Field(index=True)
    number: int = Field(description="per-chamber case number: <chamber>-<number>")
    run_id: int = Field(foreign_key="run.id", index=True)
    person_id: str
    base_event: str = Field(description="the profile's starting event, e.g. data_scheda")
    delivered: dt.date = Field(description="day of the starting event")
    opened_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_on: dt.date | None = None
    outcome: str | None = Field(default=None,
                                description="confermata | modificata | ritirata | decaduta")
    note: str | None = Field(default=None, sa_column=Column(Text))


class ConciliationStep(SQLModel, table=True):
    """A step of a case, as recorded (with its term as computed when it was recorded)."""

    __tablename__ = "conciliation_step"
    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="conciliation_case.id", index=True)
    step: str = Field(description="step id of the profile's conciliation.steps")
    done_on: dt.date
    due: dt.date | None = Field(default=None, description="null: the profile sets no term")
    status: str = Field(description="smvp_engine.deadlines status: nei_termini, in_ritardo, …")
    days_late: int | None = None
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revision_id: int | None = Field(default=None, foreign_key="revision.id")
    note: str | None = Field(default=None, sa_column=Column(Text))


class Revision(SQLModel, table=True):
    """New behaviour scores of one person of a run (the run itself is never modified)."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("run_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    number: int = Field(description="1, 2, … per run; later revisions apply over earlier ones")
    case_id: int | None = Field(default=None, foreign_key="conciliation_case.id")
    person_id: str
    decided_on: dt.date
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    scores: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                         description="factor id → new centipoints")
    previous: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                           description="factor id → centipoints before this revision")
    engine_version: str
    totals: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False),
                         description="cents per fund after the revision, and the maggiorazioni")


class RevisionResult(SQLModel, table=True):
    """Every person's result after a revision (the run's current numbers)."""

    __tablename__ = "revision_result"

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revision.id", index=True)
    person_id: str
    behaviour_cp: int | None = None
    total_cp: int | None = None
    judgement: str | None = None
    negative: bool | None = None
    payout_percent: str | None = None
    premium_cents: int | None = None
    maggiorazione_cents: int | None = None
    paid_cents: int | None = None
    maggiorazione_rank: int | None = None


class RunValidation(SQLModel, table=True):
    """The OIV's validation of the Relazione sulla performance, recorded for a run."""

    __tablename__ = "run_validation"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    oiv_date: dt.date
    requests_closed: dt.date | None = Field(
        default=None, description="from this day no new conciliation request is admissible")
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))


class SheetDelivery(SQLModel, table=True):
    """When evaluation sheets were delivered (the starting event of the terms)."""

    __tablename__ = "sheet_delivery"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    person_id: str | None = Field(default=None, description="null: every sheet of the run")
    delivered: dt.date
    recorded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


CASE_TABLES = [ConciliationCase.__table__, Revision.__table__, ConciliationStep.__table__,
               RevisionResult.__table__, RunValidation.__table__, SheetDelivery.__table__]
for _t in CASE_TABLES:
    if _t not in store.TABLES:
        store.TABLES.append(_t)

# --------------------------------------------------------------------------- errors, dates


class CaseProblem(EdgeError):
    """A step or case refused (out of order, closed case, wrong chamber…): exit 1."""

    exit_code = 1


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today, or ``$SMVP_TODAY`` (YYYY-MM-DD) when set (tests, "as of" views)."""
    env = os.environ.get("SMVP_TODAY")
    if env:
        return parse_date(env, "SMVP_TODAY")
    return dt.date.today()


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str | dt.date, what: str) -> dt.date:
    """``YYYY-MM-DD`` or ``dd/mm/yyyy``; UsageProblem naming ``what`` otherwise."""
    if isinstance(text, dt.date):
        return text
    s = str(text).strip()
    try:
        m = _DMY.match(s)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date.fromisoformat(s)
    except ValueError:
        raise UsageProblem(f"{what}: not a date (expected YYYY-MM-DD or dd/mm/yyyy, found {s!r})") \
            from None


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- procedure

#: Aliases accepted for ``--event`` (docs/conciliation.md): alias → prefixes of step ids.
#: An alias names the one step of the profile whose id starts with a prefix.
ALIASES: dict[str, tuple[str, ...]] = {
    "request": ("richiesta",),
    "richiesta": ("richiesta",),
    "interview": ("colloquio",),
    "colloquio": ("colloquio",),
    "review": ("scheda_riesaminata", "riesame"),
    "riesame": ("scheda_riesaminata", "riesame"),
    "answer": ("risposta",),
    "response": ("risposta",),
    "risposta": ("risposta",),
    "activation": ("attivazione",),
    "attivazione": ("attivazione",),
    "proposal": ("proposta",),
    "proposta": ("proposta",),
    "appeal": ("ricorso",),
    "ricorso": ("ricorso",),
    "decision": ("decisione",),
    "decisione": ("decisione",),
}

ENGLISH_ALIASES = ("request", "interview", "review", "answer", "response", "activation",
                   "proposal", "appeal", "decision")

OUTCOMES = ("confermata", "modificata", "ritirata", "decaduta")
OUTCOME_ALIASES = {"confirmed": "confermata", "changed": "modificata", "withdrawn": "ritirata",
                   "lapsed": "decaduta"}


@dataclass(frozen=True)
class Procedure:
    """A profile's conciliation procedure, on the Chamber's calendar."""

    chamber: str
    steps: dict[str, dict[str, Any]]  # id → raw step, in the profile's order
    calendar: WorkingCalendar
    base_event: str  # the event the first terms run from (data_scheda, consegna_scheda)
    events: dict[str, str] = field(default_factory=dict)  # event id → label

    @property
    def order(self) -> list[str]:
        return list(self.steps)

    def label(self, sid: str) -> str:
        if sid in self.steps:
            return str(self.steps[sid].get("label") or sid)
        return self.events.get(sid, sid)

    def actor(self, sid: str) -> str | None:
        return (self.steps.get(sid) or {}).get("actor")

    def optional(self, sid: str) -> bool:
        return bool((self.steps.get(sid) or {}).get("optional"))

    def required(self, sid: str) -> bool:
        """Not optional — or every step is optional (Brescia: each step is the person's choice)."""
        return not self.optional(sid) or all(self.optional(s) for s in self.steps)

    @property
    def final(self) -> str:
        """The last required step: recording it ends the procedure."""
        return [s for s in self.steps if self.required(s)][-1]

    def resolve(self, event: str) -> str:
        """A step id from an id or an alias; UsageProblem listing the choices otherwise."""
        name = event.strip()
        if name in self.steps:
            return name
        key = name.lower().replace("-", "_")
        if key in self.steps:
            return key
        prefixes = ALIASES.get(key)
        if prefixes:
            for prefix in prefixes:
                found = [s for s in self.steps if s.startswith(prefix)]
                if len(found) == 1:
                    return found[0]
                if len(found) > 1:
                    raise UsageProblem(
                        f"--event {event}: the {self.chamber} procedure has several steps for "
                        f"{event!r} ({', '.join(found)})", hint="give the step id")
        choices = self.choices()
        near = difflib.get_close_matches(key, [*self.steps, *self._aliases()], n=1)
        raise UsageProblem(
            f"--event {event}: not a step of the {self.chamber} conciliation procedure "
            f"(expected one of {choices}, found {event!r})",
            hint=f"did you mean {near[0]}?" if near else None)

    def _try(self, alias: str) -> str | None:
        for prefix in ALIASES.get(alias, ()):
            found = [s for s in self.steps if s.startswith(prefix)]
            if found:
                return found[0] if len(found) == 1 else None
        return None

    def _aliases(self) -> list[str]:
        return [a for a in ALIASES if self._try(a) is not None]

    def alias_of(self, sid: str) -> list[str]:
        """English aliases that name ``sid`` (for help and listings)."""
        return [a for a in ENGLISH_ALIASES if self._try(a) == sid]

    def choices(self) -> str:
        parts = []
        for s in self.steps:
            aliases = self.alias_of(s)
            parts.append(f"{s} ({'/'.join(aliases)})" if aliases else s)
        return ", ".join(parts)

    def schedule(self, events: Mapping[str, dt.date], *, as_of: dt.date | None = None
                 ) -> list[StepDeadline]:
        return deadlines.conciliation_schedule(self.steps, events, self.calendar, as_of=as_of)


def profile_data(text: str, path: str = "<stored profile>") -> dict[str, Any]:
    """The parsed YAML of a (stored) profile, without schema validation."""
    from smvp_engine.yamlload import load_yaml

    try:
        data = load_yaml(text, path).data
    except ProfileError as e:
        raise ProfileErrors([e]) from None
    if not isinstance(data, dict):
        raise ProfileErrors([ProfileError("a profile must be a mapping", file=path)])
    return data


def procedure_from_profile(data: Mapping[str, Any], chamber: str, where: str = "") -> Procedure:
    """The conciliation procedure a profile declares; CaseProblem when it declares none."""
    block = data.get("conciliation")
    steps = (block or {}).get("steps") if isinstance(block, Mapping) else None
    if not steps or (isinstance(block, Mapping) and block.get("defined") is False):
        reading = (block or {}).get("reading") if isinstance(block, Mapping) else None
        raise CaseProblem(
            f"the {chamber} profile{where} defines no conciliation procedure "
            "(expected conciliation.steps, found "
            + ("defined: false" if isinstance(block, Mapping) and block.get("defined") is False
               else "none") + ")",
            hint=reading or "smvp does not invent one: add conciliation.steps to the profile "
                            "with the document's steps and terms")
    cal = deadlines.calendar_from_profile(data)
    deadlines.conciliation_schedule(steps, {}, cal)  # raises ProfileErrors for bad steps
    bases = [st.get("from_event") for st in steps.values()
             if st.get("from_event") and st.get("from_event") not in steps]
    bases = list(dict.fromkeys(bases))
    if len(bases) != 1:
        raise ProfileErrors([ProfileError(
            "the conciliation steps must run from one starting event (the sheet's date or delivery)",
            field="conciliation.steps", expected="one event such as data_scheda",
            found=", ".join(map(str, bases)) or "none")])
    events = {k: str((v or {}).get("label") or k)
              for k, v in ((block or {}).get("events") or {}).items()}
    events.setdefault(bases[0], {"data_scheda": "Data della scheda di valutazione",
                                 "consegna_scheda": "Consegna della scheda di valutazione"}
                      .get(bases[0], bases[0]))
    return Procedure(chamber=chamber, steps=dict(steps), calendar=cal, base_event=bases[0],
                     events=events)


def run_procedure(run: store.Run) -> Procedure:
    """The procedure of the profile stored with ``run``."""
    data = profile_data(run.profile_text, run.profile_path)
    return procedure_from_profile(data, run.chamber, where=f" of run {run.id}")


# --------------------------------------------------------------------------- references


def case_ref(case: ConciliationCase) -> str:
    return f"{case.chamber}-{case.number}"


def parse_case_ref(ref: str, chamber: str | None) -> tuple[str, int]:
    """``cuneo-3`` → ("cuneo", 3); ``3`` needs ``chamber``."""
    s = ref.strip()
    m = re.match(r"^([a-z0-9][a-z0-9_-]*?)-(\d+)$", s)
    if m:
        ch, n = m.group(1), int(m.group(2))
        if chamber and ch != chamber:
            raise CaseProblem(f"case {s} is not a {chamber} case (expected {chamber}-<n>, found {s})",
                              hint="a Chamber's commands only see its own cases")
        return ch, n
    if s.isdigit():
        if not chamber:
            raise UsageProblem(f"case {s}: which chamber? (expected <chamber>-<number>, "
                               f"e.g. cuneo-{s}, found {s!r})", hint="or add --chamber")
        return chamber, int(s)
    raise UsageProblem(f"not a case (expected <chamber>-<number>, e.g. cuneo-1, found {s!r})")


def _session_errors(engine: Engine, what: str):
    class _Guard:
        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            if exc is not None and isinstance(exc, SQLAlchemyError):
                raise StoreProblem(f"cannot {what} in {store.display_url(str(engine.url))}: "
                                   f"{store._short(exc)}; nothing was stored") from exc
            return False

    return _Guard()


def delivery_problem(delivered: dt.date, *, year: int, run_made: dt.date | None,
                     as_of: dt.date, option: str = "--delivered") -> str | None:
    """Why a sheet cannot have been delivered on ``delivered``; None when it can.

    A run's evaluation sheet (scheda di valutazione) is about the whole evaluated
    ``year``: it cannot be delivered before that year is over (art. 7 and 9 d.lgs.
    150/2009: annual evaluation), nor before the run that produced it was made
    (``run_made``), nor after ``as_of`` (today). When ``as_of`` is itself before the
    run was made (dates replayed with ``--as-of``), the run's day is not a bound.
    """
    if delivered > as_of:
        return (f"{option} {delivered.isoformat()} is in the future "
                f"(expected a day up to {as_of.isoformat()})")
    first = dt.date(year + 1, 1, 1)
    if delivered < first:
        return (f"{option} {delivered.isoformat()} is before the end of the evaluated year "
                f"{year}: a sheet about {year} cannot be delivered before it is over "
                f"(expected a day from {first.isoformat()})")
    if run_made is not None and run_made <= as_of and delivered < run_made:
        return (f"{option} {delivered.isoformat()} is before the run was made "
                f"({run_made.isoformat()}): its sheets cannot have been delivered before "
                f"(expected a day from {run_made.isoformat()})")
    return None


def _run_day(run: store.Run) -> dt.date | None:
    created = run.created_at
    if created is None:
        return None
    if created.tzinfo is None:  # SQLite drops the offset; runs are stored in UTC
        created = created.replace(tzinfo=dt.UTC)
    return created.astimezone(dt.UTC).date()


def get_run(session: Session, run_id: int, chamber: str | None = None) -> store.Run:
    run = session.get(store.Run, run_id)
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


def _person(session: Session, run_id: int, person_id: str) -> store.PersonResult:
    row = session.exec(select(store.PersonResult).where(
        store.PersonResult.run_id == run_id, store.PersonResult.person_id == person_id)).first()
    if row is None:
        ids = [r for r in session.exec(select(store.PersonResult.person_id)
                                       .where(store.PersonResult.run_id == run_id)).all()]
        near = difflib.get_close_matches(person_id, ids, n=1)
        raise UsageProblem(f"--person {person_id}: not in run {run_id} "
                           f"(expected a person_id of the run's {len(ids)} people, found {person_id!r})",
                           hint=f"did you mean {near[0]}?" if near else None)
    return row


def _steps(session: Session, case_id: int) -> list[ConciliationStep]:
    return list(session.exec(select(ConciliationStep).where(ConciliationStep.case_id == case_id)
                             .order_by(ConciliationStep.done_on, ConciliationStep.id)).all())


def _delivery(session: Session, run_id: int, person_id: str) -> dt.date | None:
    rows = session.exec(select(SheetDelivery).where(SheetDelivery.run_id == run_id)
                        .order_by(SheetDelivery.id)).all()
    own = [r.delivered for r in rows if r.person_id == person_id]
    every = [r.delivered for r in rows if r.person_id is None]
    return (own or every or [None])[-1]


# --------------------------------------------------------------------------- case views


@dataclass
class CaseView:
    """A case with its schedule as of a day (for status, show and messages)."""

    case: ConciliationCase
    procedure: Procedure
    schedule: list[StepDeadline]
    steps: list[ConciliationStep]
    person_name: str | None
    as_of: dt.date

    @property
    def ref(self) -> str:
        return case_ref(self.case)

    @property
    def closed(self) -> bool:
        return self.case.closed_on is not None and self.case.closed_on <= self.as_of

    @property
    def last(self) -> ConciliationStep | None:
        return self.steps[-1] if self.steps else None

    def pending(self) -> list[StepDeadline]:
        """Required steps not done whose starting event happened."""
        if self.closed:
            return []
        return [r for r in self.schedule if r.done is None and self.procedure.required(r.step)
                and r.status in ("aperto", "scaduto", "nessun_termine") and r.start is not None]

    @property
    def next(self) -> StepDeadline | None:
        pending = self.pending()
        dated = sorted((r for r in pending if r.due is not None), key=lambda r: r.due)
        return (dated or pending or [None])[0]

    @property
    def days_left(self) -> int | None:
        nxt = self.next
        return None if nxt is None or nxt.due is None else (nxt.due - self.as_of).days

    @property
    def lapsed(self) -> bool:
        """The valutato's next term expired without the step: the procedure is over for them."""
        nxt = self.next
        return (nxt is not None and nxt.status == "scaduto"
                and (self.procedure.actor(nxt.step) or "valutato") == "valutato")


def _events(case: ConciliationCase, steps: Iterable[ConciliationStep]) -> dict[str, dt.date]:
    ev = {case.base_event: case.delivered}
    for s in steps:
        ev[s.step] = s.done_on
    return ev


def _view(session: Session, case: ConciliationCase, as_of: dt.date,
          procs: dict[int, Procedure] | None = None) -> CaseView:
    procs = procs if procs is not None else {}
    if case.run_id not in procs:
        procs[case.run_id] = run_procedure(get_run(session, case.run_id))
    proc = procs[case.run_id]
    steps = [s for s in _steps(session, case.id) if s.done_on <= as_of]  # type: ignore[arg-type]
    person = session.exec(select(store.PersonResult).where(
        store.PersonResult.run_id == case.run_id,
        store.PersonResult.person_id == case.person_id)).first()
    return CaseView(case=case, procedure=proc, schedule=proc.schedule(_events(case, steps),
                                                                         as_of=as_of),
                    steps=steps, person_name=person.name if person else None, as_of=as_of)


def list_cases(engine: Engine, *, chamber: str | None = None, include_closed: bool = False,
               as_of: dt.date | None = None) -> list[CaseView]:
    as_of = as_of or today()
    with _session_errors(engine, "read the cases"), Session(engine) as session:
        stmt = select(ConciliationCase).order_by(ConciliationCase.chamber, ConciliationCase.number)
        if chamber:
            stmt = stmt.where(ConciliationCase.chamber == chamber)
        if not include_closed:
            stmt = stmt.where(ConciliationCase.closed_on.is_(None))  # type: ignore[union-attr]
        procs: dict[int, Procedure] = {}
        return [_view(session, c, as_of, procs) for c in session.exec(stmt).all()]


def show_case(engine: Engine, ref: str, *, chamber: str | None = None,
              as_of: dt.date | None = None) -> tuple[CaseView, list[Revision]]:
    with _session_errors(engine, "read the case"), Session(engine) as session:
        case = get_case(session, ref, chamber)
        revs = list(session.exec(select(Revision).where(Revision.case_id == case.id)
                                 .order_by(Revision.number)).all())
        return _view(session, case, as_of or today()), revs


# --------------------------------------------------------------------------- open / deliver


def open_case(engine: Engine, *, chamber: str, run_id: int, person_id: str,
              delivered: dt.date | None, note: str | None = None,
              as_of: dt.date | None = None) -> CaseView:
    """Open a case for a stored evaluation (the starting event: the sheet's date/delivery)."""
    as_of = as_of or today()
    with _session_errors(engine, "open the case"), Session(engine) as session, session.begin():
        run = get_run(session, run_id, chamber)
        proc = run_procedure(run)
        _person(session, run_id, person_id)
        if delivered is None:
            delivered = _delivery(session, run_id, person_id)
            if delivered is None:
                raise UsageProblem(
                    f"when was {person_id}'s sheet delivered? (expected --delivered YYYY-MM-DD: "
                    f"the day of «{proc.label(proc.base_event)}», found no date)",
                    hint="or record the delivery first: smvp conciliation deliver")
        problem = delivery_problem(delivered, year=run.year, run_made=_run_day(run),
                                   as_of=as_of)
        if problem:
            raise CaseProblem(problem)
        existing = session.exec(select(ConciliationCase).where(
            ConciliationCase.run_id == run_id, ConciliationCase.person_id == person_id,
            ConciliationCase.closed_on.is_(None))).first()  # type: ignore[union-attr]
        if existing is not None:
            raise CaseProblem(f"{person_id} already has an open case about run {run_id}: "
                              f"{case_ref(existing)}",
                              hint=f"record its steps with smvp conciliation step {case_ref(existing)}")
        number = (session.exec(select(func.max(ConciliationCase.number))
                               .where(ConciliationCase.chamber == chamber)).one() or 0) + 1
        case = ConciliationCase(chamber=chamber, number=number, run_id=run_id, person_id=person_id,
                                base_event=proc.base_event, delivered=delivered, opened_at=now(),
                                note=note)
        session.add(case)
        session.flush()
        view = _view(session, case, as_of, {run_id: proc})
        session.expunge_all()
    return view


def deliver(engine: Engine, *, chamber: str, run_id: int, delivered: dt.date,
            person_ids: Sequence[str] = (), as_of: dt.date | None = None) -> int:
    """Record the delivery of the run's sheets (all, or ``person_ids``); returns how many."""
    as_of = as_of or today()
    if delivered > as_of:
        raise CaseProblem(f"--on {delivered.isoformat()} is in the future "
                          f"(expected a day up to {as_of.isoformat()})")
    with _session_errors(engine, "record the delivery"), Session(engine) as session, \
            session.begin():
        run = get_run(session, run_id, chamber)
        run_procedure(run)
        problem = delivery_problem(delivered, year=run.year, run_made=_run_day(run),
                                   as_of=as_of, option="--on")
        if problem:
            raise CaseProblem(problem)
        for pid in person_ids:
            _person(session, run_id, pid)
        for pid in person_ids or [None]:
            session.add(SheetDelivery(run_id=run_id, person_id=pid, delivered=delivered,
                                      recorded_at=now()))
        return len(person_ids) if person_ids else int(run.people)


# --------------------------------------------------------------------------- steps


@dataclass
class StepOutcome:
    view: CaseView
    step: ConciliationStep
    row: StepDeadline
    closed: bool
    revision: RevisionOutcome | None = None


def parse_scores(text: str) -> dict[str, int]:
    """``factor=points,factor=points`` → factor → centipoints (≤ 2 decimals, dot decimal)."""
    out: dict[str, int] = {}
    for part in [p for p in re.split(r"[,;]\s*(?=[A-Za-z_])", text.strip()) if p.strip()]:
        if "=" not in part:
            raise UsageProblem(f"--scores: {part!r} is not factor=points "
                               "(expected e.g. orientamento_utenza=17.5,esecuzione_compiti=12)")
        factor, _, value = part.partition("=")
        out[factor.strip()] = _centipoints(value, f"--scores {factor.strip()}")
    if not out:
        raise UsageProblem("--scores: no scores (expected factor=points, …)")
    return out


def _centipoints(value: Any, what: str) -> int:
    s = str(value).strip().replace(",", ".")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise UsageProblem(f"{what}: not a number of points (expected e.g. 17.5, found {s!r})") \
            from None
    scaled = d.scaleb(2)
    if not d.is_finite() or scaled != scaled.to_integral_value() or d < 0:
        raise UsageProblem(f"{what}: points ≥ 0 with at most 2 decimals (found {s!r})")
    return int(scaled)


def read_scores_file(path: Path, person_id: str | None = None) -> dict[str, int]:
    """Revised scores from a file: CSV ``factor,score`` (optional ``person_id`` column, which must
    be the case's person), or YAML ``{factor: score}``."""
    if not path.is_file():
        raise UsageProblem(f"--scores-file {path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CaseProblem(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict) or not data:
            raise CaseProblem(f"{path}: expected a mapping factor: points, found "
                              f"{type(data).__name__}")
        return {str(k): _centipoints(v, f"{path}: {k}") for k, v in data.items()}
    if path.suffix.lower() != ".csv":
        raise UsageProblem(f"--scores-file {path}: expected a .csv or .yaml file")
    import csv

    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    out: dict[str, int] = {}
    for i, row in enumerate(rows, 2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if "factor" not in row or "score" not in row:
            raise CaseProblem(f"{path}:1: expected the columns factor,score (and optionally "
                              f"person_id), found {', '.join(row)}")
        if person_id and row.get("person_id") and row["person_id"] != person_id:
            raise CaseProblem(f"{path}:{i}: person_id {row['person_id']!r} is not the case's "
                              f"person (expected {person_id!r})")
        out[row["factor"]] = _centipoints(row["score"], f"{path}:{i}: score")
    if not out:
        raise CaseProblem(f"{path}: no scores (expected rows factor,score)")
    return out


def record_step(engine: Engine, ref: str, *, chamber: str | None, event: str, on: dt.date,
                scores: Mapping[str, int] | None = None, note: str | None = None,
                as_of: dt.date | None = None) -> StepOutcome:
    """Record a step of a case; refuse it when out of order; flag it when late.

    With ``scores`` the step ends the case with a changed evaluation: a revision
    of the person's result is stored and the run's money recomputed.
    """
    as_of = as_of or today()
    with _session_errors(engine, "record the step"), Session(engine) as session, session.begin():
        case = get_case(session, ref, chamber)
        ref = case_ref(case)
        run = get_run(session, case.run_id)
        proc = run_procedure(run)
        sid = proc.resolve(event)
        label = proc.label(sid)
        if case.closed_on is not None:
            raise CaseProblem(f"case {ref} was closed on {case.closed_on.isoformat()} "
                              f"({case.outcome}): no more steps can be recorded")
        steps = _steps(session, case.id)  # type: ignore[arg-type]
        done = {s.step: s for s in steps}
        if sid in done:
            raise CaseProblem(f"case {ref}: «{label}» ({sid}) is already recorded, on "
                              f"{done[sid].done_on.isoformat()}")
        if on > as_of:
            raise CaseProblem(f"--on {on.isoformat()} is in the future "
                              f"(expected a day up to {as_of.isoformat()})")
        src = proc.steps[sid].get("from_event")
        events = _events(case, steps)
        if src is not None and src not in events:
            chain = [sid]
            cur = src
            while cur in proc.steps and cur not in events:
                chain.append(cur)
                cur = proc.steps[cur].get("from_event")
            first = chain[-1]
            raise CaseProblem(
                f"case {ref}: «{label}» ({sid}) runs from «{proc.label(src)}» ({src}), which is "
                f"not recorded yet: step out of order (expected {first} next, found {sid})",
                hint=f"record --event {first} first" + (
                    "; the order is " + " → ".join(reversed(chain)) if len(chain) > 2 else ""))
        if src is not None and on < events[src]:
            raise CaseProblem(
                f"case {ref}: «{label}» on {on.isoformat()} is before «{proc.label(src)}» "
                f"({events[src].isoformat()}), the event its term runs from "
                f"(expected a day on or after {events[src].isoformat()}, found {on.isoformat()})")
        pos = proc.order.index(sid)
        later = [s for s in steps if s.step in proc.steps and proc.order.index(s.step) > pos
                 and s.done_on < on]
        if later:
            s = later[0]
            raise CaseProblem(
                f"case {ref}: «{label}» ({sid}) comes before «{proc.label(s.step)}» ({s.step}) in "
                f"the procedure, which is recorded on {s.done_on.isoformat()} "
                f"(expected a day up to {s.done_on.isoformat()}, found {on.isoformat()})")
        if scores and (proc.actor(sid) or "") == "valutato":
            raise CaseProblem(
                f"case {ref}: «{label}» is a step of the person evaluated: a changed evaluation "
                "(--scores) comes with a step of the evaluator or of the deciding body "
                f"(expected e.g. --event {proc.final})")
        events[sid] = on
        rows = proc.schedule(events, as_of=as_of)
        row = next(r for r in rows if r.step == sid)
        step = ConciliationStep(case_id=case.id, step=sid, done_on=on, due=row.due,  # type: ignore[arg-type]
                                status=row.status, days_late=row.days_late, recorded_at=now(),
                                note=note)
        session.add(step)
        session.flush()
        revision = None
        if scores:
            revision = _revise(session, run, case, dict(scores), on)
            if revision.revision is not None:
                step.revision_id = revision.revision.id
        closing = sid == proc.final or bool(scores)
        if closing:
            case.closed_on = on
            case.outcome = "modificata" if revision and revision.revision else "confermata"
            session.add(case)
        session.flush()
        view = _view(session, case, as_of, {run.id: proc})  # type: ignore[dict-item]
        session.expunge_all()
    return StepOutcome(view=view, step=step, row=row, closed=closing, revision=revision)


def close_case(engine: Engine, ref: str, *, chamber: str | None, on: dt.date, outcome: str,
               note: str | None = None, as_of: dt.date | None = None) -> CaseView:
    """Close a case without changing the evaluation (confirmed, withdrawn, lapsed)."""
    as_of = as_of or today()
    outcome = OUTCOME_ALIASES.get(outcome, outcome)
    if outcome not in ("confermata", "ritirata", "decaduta"):
        raise UsageProblem(f"--outcome {outcome}: expected confermata, ritirata or decaduta "
                           "(confirmed, withdrawn, lapsed); a changed evaluation is recorded "
                           "with smvp conciliation step … --scores")
    with _session_errors(engine, "close the case"), Session(engine) as session, session.begin():
        case = get_case(session, ref, chamber)
        if case.closed_on is not None:
            raise CaseProblem(f"case {case_ref(case)} is already closed "
                              f"({case.closed_on.isoformat()}, {case.outcome})")
        if on > as_of:
            raise CaseProblem(f"--on {on.isoformat()} is in the future "
                              f"(expected a day up to {as_of.isoformat()})")
        steps = _steps(session, case.id)  # type: ignore[arg-type]
        latest = max([case.delivered, *(s.done_on for s in steps)])
        if on < latest:
            raise CaseProblem(f"case {case_ref(case)}: --on {on.isoformat()} is before its last "
                              f"event (expected a day on or after {latest.isoformat()})")
        case.closed_on, case.outcome = on, outcome
        if note:
            case.note = (case.note + "\n" if case.note else "") + note
        session.add(case)
        session.flush()
        view = _view(session, case, as_of)
        session.expunge_all()
    return view


# --------------------------------------------------------------------------- revisions


@dataclass
class RevisionOutcome:
    """What a revision changed: the stored record and who is affected."""

    revision: Revision | None  # None: the scores given are the current ones (no change)
    person_id: str
    previous: dict[str, int]
    scores: dict[str, int]
    changes: list[Any]  # smvp_engine.revision.PersonChange
    maggiorazioni_before: list[dict[str, Any]]
    maggiorazioni_after: list[dict[str, Any]]
    funds_before: list[dict[str, Any]]
    funds_after: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def run_revisions(session: Session, run_id: int) -> list[Revision]:
    return list(session.exec(select(Revision).where(Revision.run_id == run_id)
                             .order_by(Revision.number)).all())


def _engine_revisions(revs: Iterable[Revision]) -> list[Any]:
    from smvp_engine.revision import Revision as R

    return [R(r.person_id, {k: int(v) for k, v in r.scores.items()}) for r in revs]


def load_run_inputs(engine_or_session: Any, run: store.Run) -> tuple[Any, dict[str, Any]]:
    """The stored profile (validated) and dataset tables of ``run``."""
    from smvp_engine.profile import load_profile

    if isinstance(engine_or_session, Session):
        blob = engine_or_session.get(store.DatasetBlob, run.dataset_sha256)
        content = None
        if blob is not None:
            import hashlib

            if hashlib.sha256(blob.content.encode("utf-8")).hexdigest() != blob.content_sha256:
                raise StoreProblem(f"stored dataset {run.dataset_sha256[:12]} does not match "
                                   "its hash")
            content = json.loads(blob.content)
    else:
        content = store.dataset_content(engine_or_session, run.dataset_sha256)
    if content is None:
        raise StoreProblem(f"the dataset of run {run.id} ({run.dataset_sha256[:12]}) is not stored",
                           hint="evaluate again to store it")
    try:
        profile = load_profile(run.profile_path, text=run.profile_text)
    except SmvpErrors as exc:
        raise CaseProblem(f"the profile stored with run {run.id} no longer loads: "
                          f"{exc.errors[0] if exc.errors else exc}",
                          hint="the money cannot be recomputed with this smvp") from None
    return profile, content["tables"]


def _stored_rows(session: Session, run_id: int, revs: Sequence[Revision]
                 ) -> dict[str, dict[str, Any]]:
    """The run's current money per person: the last revision's results, else the stored run."""
    if revs:
        rows = session.exec(select(RevisionResult).where(
            RevisionResult.revision_id == revs[-1].id)).all()
        return {r.person_id: {"paid": r.paid_cents, "maggiorazione": r.maggiorazione_cents,
                              "premium": r.premium_cents} for r in rows}
    rows = session.exec(select(store.PersonResult).where(store.PersonResult.run_id == run_id)).all()
    return {r.person_id: {"paid": r.paid_cents, "maggiorazione": r.maggiorazione_cents,
                          "premium": r.premium_cents} for r in rows}


def _revise(session: Session, run: store.Run, case: ConciliationCase, scores: dict[str, int],
            decided_on: dt.date) -> RevisionOutcome:
    from smvp_engine import revision as rv
    from smvp import engine_api

    profile, tables = load_run_inputs(session, run)
    revs = run_revisions(session, run.id)  # type: ignore[arg-type]
    previous = _engine_revisions(revs)
    new = rv.Revision(case.person_id, scores)
    rv.check_revision(profile, tables, run.year, new)
    current = rv.apply_revisions(tables, previous)["behaviours"]
    before_scores = {f: s for p, f, s in zip(current["person_id"], current["factor"],
                                             current["score"]) if p == case.person_id}
    prev = {f: before_scores.get(f) for f in scores}
    before = rv.reevaluate(profile, tables, run.year, previous)
    after = rv.reevaluate(profile, tables, run.year, [*previous, new])
    b_rows, a_rows = before.rows(), after.rows()
    warnings = []
    stored = _stored_rows(session, run.id, revs)  # type: ignore[arg-type]
    differ = [r["person_id"] for r in b_rows
              if str(r["person_id"]) in stored and any(
                  store.to_cents(r.get(k)) != stored[str(r["person_id"])][k]
                  for k in ("premium", "maggiorazione", "paid"))]
    if differ:
        warnings.append(
            f"recomputing run {run.id} with this smvp gives different amounts from the stored ones "
            f"for {len(differ)} people ({', '.join(map(str, differ[:5]))}"
            f"{', …' if len(differ) > 5 else ''}): the changes below are against the recomputation")
    out = RevisionOutcome(
        revision=None, person_id=case.person_id, previous=prev, scores=scores,
        changes=rv.changes(b_rows, a_rows),
        maggiorazioni_before=list(before.summary().get("maggiorazioni") or []),
        maggiorazioni_after=list(after.summary().get("maggiorazioni") or []),
        funds_before=before.funds(), funds_after=after.funds(), warnings=warnings)
    if all(prev.get(f) == s for f, s in scores.items()):
        return out  # nothing changes: the evaluation is confirmed
    totals = {
        "funds": {f["fund"]: {k: store.to_cents(f[k]) for k in ("resources", "distributed",
                                                                "economies")}
                  for f in after.funds()},
        "maggiorazioni": jsonable(after.summary().get("maggiorazioni") or [],
                                  decimals_as="string"),
    }
    rec = Revision(run_id=run.id, number=len(revs) + 1, case_id=case.id,  # type: ignore[arg-type]
                   person_id=case.person_id, decided_on=decided_on, created_at=now(),
                   scores=scores, previous={k: v for k, v in prev.items()},
                   engine_version=engine_api.engine_version(), totals=totals)
    session.add(rec)
    session.flush()
    for r in a_rows:
        session.add(RevisionResult(
            revision_id=rec.id, person_id=str(r["person_id"]),  # type: ignore[arg-type]
            behaviour_cp=store.to_centipoints(r.get("behaviour")),
            total_cp=store.to_centipoints(r.get("total")), judgement=r.get("judgement"),
            negative=r.get("negative"),
            payout_percent=None if r.get("payout_percent") is None else str(r["payout_percent"]),
            premium_cents=store.to_cents(r.get("premium")),
            maggiorazione_cents=store.to_cents(r.get("maggiorazione")),
            paid_cents=store.to_cents(r.get("paid")),
            maggiorazione_rank=r.get("maggiorazione_rank")))
    session.flush()
    out.revision = rec
    return out


def current_outcome(engine: Engine, run_id: int, *, chamber: str | None = None) -> Any:
    """The run's numbers with every revision applied, as a ``smvp.report.Outcome``."""
    from smvp_engine import revision as rv
    from smvp import engine_api
    from smvp.report import Outcome, RunInfo

    with Session(engine) as session:
        run = get_run(session, run_id, chamber)
        revs = run_revisions(session, run_id)
        profile, tables = load_run_inputs(session, run)
        ds = rv.revised_dataset(tables, _engine_revisions(revs), path=run.dataset_path)
        ev = engine_api.evaluate(profile, ds, year=run.year)
        info = RunInfo(chamber=run.chamber, year=run.year, profile_path=run.profile_path,
                       profile_sha256=run.profile_sha256, dataset_path=run.dataset_path,
                       dataset_sha256=run.dataset_sha256,
                       engine_version=engine_api.engine_version(),
                       created_at=_utc(run.created_at), run_id=run.id,
                       database=store.display_url(str(engine.url)))
        outcome = Outcome(info=info, rows=[dict(r) for r in ev.rows()],
                          funds=[dict(f) for f in ev.funds()],
                          objectives=[dict(o) for o in ev.objectives()],
                          summary=dict(ev.summary() or {}))
        outcome.summary["revisions"] = len(revs)
        return outcome


# --------------------------------------------------------------------------- OIV, payment gate


def validate_run(engine: Engine, run_id: int, *, oiv_date: dt.date,
                 requests_closed: dt.date | None = None, note: str | None = None,
                 chamber: str | None = None, as_of: dt.date | None = None) -> RunValidation:
    """Record the OIV's validation of the Relazione for ``run_id`` (a new record each time)."""
    as_of = as_of or today()
    for what, d in (("--oiv-date", oiv_date), ("--requests-closed", requests_closed)):
        if d is not None and d > as_of:
            raise CaseProblem(f"{what} {d.isoformat()} is in the future "
                              f"(expected a day up to {as_of.isoformat()})")
    with _session_errors(engine, "record the validation"), Session(engine) as session, \
            session.begin():
        run = get_run(session, run_id, chamber)
        if oiv_date.year <= run.year:
            raise CaseProblem(
                f"--oiv-date {oiv_date.isoformat()}: the Relazione on {run.year} is validated "
                f"after the year ends (expected a day in {run.year + 1} or later, found "
                f"{oiv_date.isoformat()})")
        rec = RunValidation(run_id=run_id, oiv_date=oiv_date, requests_closed=requests_closed,
                            recorded_at=now(), note=note)
        session.add(rec)
        session.flush()
        session.expunge(rec)
        return rec


PROVISIONAL, FINAL = "provvisorio", "definitivo"


@dataclass
class Gate:
    """A run's payment state as of a day, with the reasons it is not final."""

    run_id: int
    state: str  # PROVISIONAL | FINAL
    as_of: dt.date
    oiv_date: dt.date | None = None
    reasons: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # i18n key, params

    @property
    def final(self) -> bool:
        return self.state == FINAL


def payout_state(engine: Engine, run_id: int, *, as_of: dt.date | None = None) -> Gate:
    with _session_errors(engine, "read the payment state"), Session(engine) as session:
        return _gate(session, get_run(session, run_id), as_of or today())


def payout_states(engine: Engine, run_ids: Iterable[int], *, as_of: dt.date | None = None
                  ) -> dict[int, Gate]:
    as_of = as_of or today()
    with _session_errors(engine, "read the payment states"), Session(engine) as session:
        return {rid: _gate(session, get_run(session, rid), as_of) for rid in run_ids}


def revision_counts(engine: Engine, run_ids: Iterable[int]) -> dict[int, int]:
    """How many revisions each run has (runs without any are left out)."""
    ids = list(run_ids)
    with _session_errors(engine, "read the revisions"), Session(engine) as session:
        rows = session.exec(select(Revision.run_id, func.count()).where(
            Revision.run_id.in_(ids)).group_by(Revision.run_id)).all()  # type: ignore[attr-defined]
        return {int(r): int(n) for r, n in rows}


def _gate(session: Session, run: store.Run, as_of: dt.date) -> Gate:
    gate = Gate(run_id=run.id, state=PROVISIONAL, as_of=as_of)  # type: ignore[arg-type]
    vals = [v for v in session.exec(select(RunValidation).where(RunValidation.run_id == run.id)
                                    .order_by(RunValidation.id)).all() if v.oiv_date <= as_of]
    validation = vals[-1] if vals else None
    if validation is None:
        gate.reasons.append(("gate_no_oiv", {}))
    else:
        gate.oiv_date = validation.oiv_date
    try:
        proc = run_procedure(run)
    except CaseProblem:
        proc = None  # the profile defines no conciliation: no terms to wait for
    except (SmvpErrors, SmvpError) as exc:
        proc = None
        errors = exc.errors if isinstance(exc, SmvpErrors) else [exc]
        gate.reasons.append(("gate_profile", {"error": str(errors[0]) if errors else str(exc)}))
    if proc is not None:
        _gate_terms(session, run, proc, validation, as_of, gate)
    if not gate.reasons:
        gate.state = FINAL
    return gate


def _gate_terms(session: Session, run: store.Run, proc: Procedure,
                validation: RunValidation | None, as_of: dt.date, gate: Gate) -> None:
    people = [p.person_id for p in session.exec(select(store.PersonResult).where(
        store.PersonResult.run_id == run.id)).all() if p.total_cp is not None]
    cases = session.exec(select(ConciliationCase).where(ConciliationCase.run_id == run.id)
                         .order_by(ConciliationCase.number)).all()
    latest: dict[str, ConciliationCase] = {}
    for c in cases:
        latest[c.person_id] = c
    closed_requests = (validation is not None and validation.requests_closed is not None
                       and validation.requests_closed <= as_of)
    open_cases, undelivered, running, no_term = [], 0, [], 0
    first = [s for s, st in proc.steps.items()
             if st.get("from_event") == proc.base_event and proc.required(s)]
    cache: dict[dt.date, list[StepDeadline]] = {}
    for pid in people:
        case = latest.get(pid)
        if case is not None:
            if case.closed_on is not None and case.closed_on <= as_of:
                continue
            view = _view(session, case, as_of, {run.id: proc})  # type: ignore[dict-item]
            if not view.lapsed:
                open_cases.append(case_ref(case))
            continue
        if closed_requests:
            continue
        delivered = _delivery(session, run.id, pid)  # type: ignore[arg-type]
        if delivered is None or delivered > as_of:
            undelivered += 1
            continue
        if delivered not in cache:
            cache[delivered] = proc.schedule({proc.base_event: delivered}, as_of=as_of)
        rows = [r for r in cache[delivered] if r.step in first]
        if any(r.status == "nessun_termine" for r in rows):
            no_term += 1
        elif any(r.status != "scaduto" for r in rows):
            running.append(max(r.due for r in rows if r.due is not None))
    if open_cases:
        gate.reasons.append(("gate_open_cases", {"n": len(open_cases),
                                                 "cases": ", ".join(open_cases)}))
    if undelivered:
        gate.reasons.append(("gate_undelivered", {"n": undelivered}))
    if running:
        gate.reasons.append(("gate_terms_running", {"n": len(running),
                                                    "until": max(running).strftime("%d/%m/%Y")}))
    if no_term:
        gate.reasons.append(("gate_no_term", {"n": no_term}))
