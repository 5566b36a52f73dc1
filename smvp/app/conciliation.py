"""Conciliation use cases over a store: open, deliver, step, close; revisions; OIV validation;
the payment gate. Shared by the CLI (``smvp conciliation``, ``smvp run``) and the service.

Each use case takes an engine, works in ONE transaction and leaves the database as it
was when it raises. The rules (procedure, terms, refusals) are ``smvp.conciliation``;
the tables and queries ``smvp.store``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smvp import store
from smvp.conciliation import (
    FINAL,
    OUTCOME_ALIASES,
    PROVISIONAL,
    CaseProblem,
    CaseView,
    Gate,
    Procedure,
    RevisionOutcome,
    StepOutcome,
    case_events,
    case_ref,
    delivery_problem,
    in_the_future,
    now,
    run_day,
    run_procedure,
    today,
    utc,
)
from smvp.errors import StoreProblem, UsageProblem
from smvp.i18n import format_date
from smvp.report import jsonable
from smvp.store import cases as q
from smvp.store.db import display_url
from smvp.store.tables import (
    ConciliationCase,
    ConciliationStep,
    Revision,
    RevisionResult,
    RunValidation,
    SheetDelivery,
)
from smvp_engine.deadlines import StepDeadline
from smvp_engine.errors import Day, Msg, SmvpError, SmvpErrors

# --------------------------------------------------------------------------- case views


def case_view(session: Session, case: ConciliationCase, as_of: dt.date,
              procs: dict[int, Procedure] | None = None) -> CaseView:
    procs = procs if procs is not None else {}
    if case.run_id not in procs:
        procs[case.run_id] = run_procedure(q.get_run(session, case.run_id))
    proc = procs[case.run_id]
    steps = [s for s in q.case_steps(session, store.row_id(case)) if s.done_on <= as_of]
    person = session.exec(select(store.PersonResult).where(
        store.PersonResult.run_id == case.run_id,
        store.PersonResult.person_id == case.person_id)).first()
    return CaseView(case=case, procedure=proc, schedule=proc.schedule(case_events(case, steps),
                                                                         as_of=as_of),
                    steps=steps, person_name=person.name if person else None, as_of=as_of)


def list_cases(engine: Engine, *, chamber: str | None = None, include_closed: bool = False,
               as_of: dt.date | None = None) -> list[CaseView]:
    as_of = as_of or today()
    with q.session_errors(engine, Msg("read the cases")), Session(engine) as session:
        stmt = select(ConciliationCase).order_by(col(ConciliationCase.chamber),
                                                 col(ConciliationCase.number))
        if chamber:
            stmt = stmt.where(ConciliationCase.chamber == chamber)
        if not include_closed:
            stmt = stmt.where(col(ConciliationCase.closed_on).is_(None))
        procs: dict[int, Procedure] = {}
        return [case_view(session, c, as_of, procs) for c in session.exec(stmt).all()]


def show_case(engine: Engine, ref: str, *, chamber: str | None = None,
              as_of: dt.date | None = None) -> tuple[CaseView, list[Revision]]:
    with q.session_errors(engine, Msg("read the case")), Session(engine) as session:
        case = q.get_case(session, ref, chamber)
        revs = list(session.exec(select(Revision).where(Revision.case_id == case.id)
                                 .order_by(col(Revision.number))).all())
        return case_view(session, case, as_of or today()), revs


# --------------------------------------------------------------------------- open / deliver


def open_case(engine: Engine, *, chamber: str, run_id: int, person_id: str,
              delivered: dt.date | None, note: str | None = None,
              as_of: dt.date | None = None) -> CaseView:
    """Open a case for a stored evaluation (the starting event: the sheet's date/delivery).

    Without ``delivered`` the day is the scheda's delivery by :mod:`smvp.app.delivery`
    (a recorded delivery, else the valutatore's date on the final scheda, never before the
    run); UsageProblem when there is none, CaseProblem when the day is refused
    (``smvp.conciliation.delivery_problem``) or the person already has an open case."""
    as_of = as_of or today()
    with q.session_errors(engine, Msg("open the case")), Session(engine) as session, session.begin():
        run = q.get_run(session, run_id, chamber)
        proc = run_procedure(run)
        q.person_result(session, run_id, person_id)
        if delivered is None:
            from smvp.app.delivery import delivery

            found = delivery(session, run, person_id, as_of=as_of)
            delivered = found.day if found is not None else None
            if delivered is None:
                raise UsageProblem(
                    Msg("when was {person}'s sheet delivered? (expected --delivered YYYY-MM-DD: "
                        "the day of «{event}», found no date)",
                        person=person_id, event=proc.label(proc.base_event)),
                    hint=Msg("or record the delivery first: smvp conciliation deliver"))
        problem = delivery_problem(delivered, year=run.year, run_made=run_day(run),
                                   as_of=as_of)
        if problem:
            raise CaseProblem(problem)
        existing = session.exec(select(ConciliationCase).where(
            ConciliationCase.run_id == run_id, ConciliationCase.person_id == person_id,
            col(ConciliationCase.closed_on).is_(None))).first()
        if existing is not None:
            raise CaseProblem(Msg("{person} already has an open case about run {run}: {case}",
                                  person=person_id, run=run_id, case=case_ref(existing)),
                              hint=Msg("record its steps with smvp conciliation step {case}",
                                       case=case_ref(existing)))
        number = (session.exec(select(func.max(ConciliationCase.number))
                               .where(ConciliationCase.chamber == chamber,
                                      ConciliationCase.tenant_id == run.tenant_id)).one() or 0) + 1
        case = ConciliationCase(tenant_id=run.tenant_id, chamber=chamber, number=number,
                                run_id=run_id, person_id=person_id,
                                base_event=proc.base_event, delivered=delivered, opened_at=now(),
                                note=note)
        session.add(case)
        session.flush()
        view = case_view(session, case, as_of, {run_id: proc})
        session.expunge_all()
    return view


def deliver(engine: Engine, *, chamber: str, run_id: int, delivered: dt.date,
            person_ids: Sequence[str] = (), as_of: dt.date | None = None) -> int:
    """Record the delivery of the run's sheets (all, or ``person_ids``); returns how many."""
    as_of = as_of or today()
    if delivered > as_of:
        raise CaseProblem(in_the_future("--on", delivered, as_of))
    with q.session_errors(engine, Msg("record the delivery")), Session(engine) as session, \
            session.begin():
        run = q.get_run(session, run_id, chamber)
        run_procedure(run)
        problem = delivery_problem(delivered, year=run.year, run_made=run_day(run),
                                   as_of=as_of, option="--on")
        if problem:
            raise CaseProblem(problem)
        for person in person_ids:
            q.person_result(session, run_id, person)
        pids: list[str | None] = [*person_ids] or [None]  # None: every sheet of the run
        for pid in pids:
            session.add(SheetDelivery(tenant_id=run.tenant_id, run_id=run_id, person_id=pid, delivered=delivered,
                                      recorded_at=now()))
        return len(person_ids) if person_ids else int(run.people)


def record_step(engine: Engine, ref: str, *, chamber: str | None, event: str, on: dt.date,
                scores: Mapping[str, int] | None = None, note: str | None = None,
                as_of: dt.date | None = None) -> StepOutcome:
    """Record a step of a case; refuse it when out of order; flag it when late.

    With ``scores`` the step ends the case with a changed evaluation: a revision
    of the person's result is stored and the run's money recomputed.
    """
    as_of = as_of or today()
    with q.session_errors(engine, Msg("record the step")), Session(engine) as session, session.begin():
        case = q.get_case(session, ref, chamber)
        ref = case_ref(case)
        run = q.get_run(session, case.run_id)
        proc = run_procedure(run)
        sid = proc.resolve(event)
        label = proc.label(sid)
        if case.closed_on is not None:
            raise CaseProblem(Msg("case {case} was closed on {day} ({outcome}): no more steps can be recorded",
                                  case=ref, day=Day(case.closed_on), outcome=case.outcome))
        steps = q.case_steps(session, store.row_id(case))
        done = {s.step: s for s in steps}
        if sid in done:
            raise CaseProblem(Msg("case {case}: «{label}» ({step}) is already recorded, on {day}",
                                  case=ref, label=label, step=sid, day=Day(done[sid].done_on)))
        if on > as_of:
            raise CaseProblem(in_the_future("--on", on, as_of))
        src = proc.steps[sid].get("from_event")
        events = case_events(case, steps)
        if src is not None and src not in events:
            chain = [sid]
            cur = src
            while cur in proc.steps and cur not in events:
                chain.append(cur)
                cur = proc.steps[cur].get("from_event")
            first = chain[-1]
            raise CaseProblem(
                Msg("case {case}: «{label}» ({step}) runs from «{source_label}» ({source}), which is "
                    "not recorded yet: step out of order (expected {first} next, found {step})",
                    case=ref, label=label, step=sid, source_label=proc.label(src), source=src, first=first),
                hint=Msg("record --event {first} first; the order is {order}", first=first,
                         order=" → ".join(reversed(chain))) if len(chain) > 2
                else Msg("record --event {first} first", first=first))
        if src is not None and on < events[src]:
            raise CaseProblem(
                Msg("case {case}: «{label}» on {day} is before «{source_label}» ({source_day}), the event "
                    "its term runs from (expected a day on or after {source_day}, found {day})",
                    case=ref, label=label, day=Day(on), source_label=proc.label(src),
                    source_day=Day(events[src])))
        pos = proc.order.index(sid)
        later = [s for s in steps if s.step in proc.steps and proc.order.index(s.step) > pos
                 and s.done_on < on]
        if later:
            s = later[0]
            raise CaseProblem(
                Msg("case {case}: «{label}» ({step}) comes before «{later_label}» ({later}) in the procedure, "
                    "which is recorded on {later_day} (expected a day up to {later_day}, found {day})",
                    case=ref, label=label, step=sid, later_label=proc.label(s.step), later=s.step,
                    later_day=Day(s.done_on), day=Day(on)))
        if scores and (proc.actor(sid) or "") == "valutato":
            raise CaseProblem(
                Msg("case {case}: «{label}» is a step of the person evaluated: a changed evaluation "
                    "(--scores) comes with a step of the evaluator or of the deciding body "
                    "(expected e.g. --event {final})", case=ref, label=label, final=proc.final))
        events[sid] = on
        rows = proc.schedule(events, as_of=as_of)
        row = next(r for r in rows if r.step == sid)
        step = ConciliationStep(tenant_id=case.tenant_id, case_id=store.row_id(case), step=sid,
                                done_on=on, due=row.due,
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
        view = case_view(session, case, as_of, {store.row_id(run): proc})
        session.expunge_all()
    return StepOutcome(view=view, step=step, row=row, closed=closing, revision=revision)


def close_case(engine: Engine, ref: str, *, chamber: str | None, on: dt.date, outcome: str,
               note: str | None = None, as_of: dt.date | None = None) -> CaseView:
    """Close a case without changing the evaluation (confirmed, withdrawn, lapsed)."""
    as_of = as_of or today()
    outcome = OUTCOME_ALIASES.get(outcome, outcome)
    if outcome not in ("confermata", "ritirata", "decaduta"):
        raise UsageProblem(Msg("--outcome {outcome}: expected confermata, ritirata or decaduta "
                               "(confirmed, withdrawn, lapsed); a changed evaluation is recorded "
                               "with smvp conciliation step … --scores", outcome=outcome))
    with q.session_errors(engine, Msg("close the case")), Session(engine) as session, session.begin():
        case = q.get_case(session, ref, chamber)
        if case.closed_on is not None:
            raise CaseProblem(Msg("case {case} is already closed ({day}, {outcome})", case=case_ref(case),
                                  day=Day(case.closed_on), outcome=case.outcome))
        if on > as_of:
            raise CaseProblem(in_the_future("--on", on, as_of))
        steps = q.case_steps(session, store.row_id(case))
        latest = max([case.delivered, *(s.done_on for s in steps)])
        if on < latest:
            raise CaseProblem(Msg("case {case}: --on {day} is before its last event "
                                  "(expected a day on or after {latest})", case=case_ref(case),
                                  day=Day(on), latest=Day(latest)))
        case.closed_on, case.outcome = on, outcome
        if note:
            case.note = (case.note + "\n" if case.note else "") + note
        session.add(case)
        session.flush()
        view = case_view(session, case, as_of)
        session.expunge_all()
    return view


def _engine_revisions(revs: Iterable[Revision]) -> list[Any]:
    from smvp_engine.revision import Revision as R

    return [R(r.person_id, {k: int(v) for k, v in r.scores.items()}) for r in revs]


def load_run_inputs(engine_or_session: Any, run: store.Run) -> tuple[Any, dict[str, Any]]:
    """The stored profile (validated) and dataset tables of ``run``."""
    from smvp_engine.profile import load_profile

    if isinstance(engine_or_session, Session):
        from smvp.store import content as stored_content

        blob = engine_or_session.get(store.DatasetBlob, (run.tenant_id, run.dataset_sha256))
        content = None
        if blob is not None:
            if not stored_content.intact(blob):
                raise StoreProblem(Msg("stored dataset {hash} does not match its hash",
                                       hash=run.dataset_sha256[:12]))
            content = stored_content.document(blob)
    else:
        content = store.dataset_content(engine_or_session, run.dataset_sha256, run.tenant_id)
    if content is None:
        raise StoreProblem(Msg("the dataset of run {run} ({hash}) is not stored", run=run.id,
                               hash=run.dataset_sha256[:12]), hint=Msg("evaluate again to store it"))
    try:
        profile = load_profile(run.profile_path, text=run.profile_text, layer_text=getattr(run, "layer_text", None))
    except SmvpErrors as exc:
        raise CaseProblem(Msg("the profile stored with run {run} no longer loads: {error}", run=run.id,
                              error=exc.errors[0] if exc.errors else exc),
                          hint=Msg("the money cannot be recomputed with this smvp")) from None
    return profile, content["tables"]


def _stored_rows(session: Session, run_id: int, revs: Sequence[Revision]
                 ) -> dict[str, dict[str, Any]]:
    """The run's current money per person: the last revision's results, else the stored run."""
    if revs:
        revised = session.exec(select(RevisionResult).where(
            RevisionResult.revision_id == revs[-1].id)).all()
        return {r.person_id: {"paid": r.paid_cents, "maggiorazione": r.maggiorazione_cents,
                              "premium": r.premium_cents} for r in revised}
    rows = session.exec(select(store.PersonResult).where(store.PersonResult.run_id == run_id)).all()
    return {r.person_id: {"paid": r.paid_cents, "maggiorazione": r.maggiorazione_cents,
                          "premium": r.premium_cents} for r in rows}


def _revise(session: Session, run: store.Run, case: ConciliationCase, scores: dict[str, int],
            decided_on: dt.date) -> RevisionOutcome:
    from smvp import engine_api
    from smvp_engine import revision as rv

    profile, tables = load_run_inputs(session, run)
    revs = q.run_revisions(session, store.row_id(run))
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
    stored = _stored_rows(session, store.row_id(run), revs)
    differ = [r["person_id"] for r in b_rows
              if str(r["person_id"]) in stored and any(
                  store.to_cents(r.get(k)) != stored[str(r["person_id"])][k]
                  for k in ("premium", "maggiorazione", "paid"))]
    if differ:
        warnings.append(Msg(
            "recomputing run {run} with this smvp gives different amounts from the stored ones for {n} "
            "people ({people}): the changes below are against the recomputation", run=run.id, n=len(differ),
            people=", ".join(map(str, differ[:5])) + (", …" if len(differ) > 5 else "")))
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
    rec = Revision(tenant_id=run.tenant_id, run_id=store.row_id(run), number=len(revs) + 1,
                   case_id=case.id,
                   person_id=case.person_id, decided_on=decided_on, created_at=now(),
                   scores=scores, previous={k: v for k, v in prev.items()},
                   engine_version=engine_api.engine_version(), totals=totals)
    session.add(rec)
    session.flush()
    for r in a_rows:
        session.add(RevisionResult(
            tenant_id=run.tenant_id,
            revision_id=store.row_id(rec), person_id=str(r["person_id"]),
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
    from smvp import engine_api
    from smvp.report import Outcome, RunInfo
    from smvp_engine import revision as rv

    with Session(engine) as session:
        run = q.get_run(session, run_id, chamber)
        revs = q.run_revisions(session, run_id)
        profile, tables = load_run_inputs(session, run)
        ds = rv.revised_dataset(tables, _engine_revisions(revs), path=run.dataset_path)
        ev = engine_api.evaluate(profile, ds, year=run.year)
        info = RunInfo(chamber=run.chamber, year=run.year, profile_path=run.profile_path,
                       profile_sha256=run.profile_sha256, dataset_path=run.dataset_path,
                       dataset_sha256=run.dataset_sha256,
                       engine_version=engine_api.engine_version(),
                       created_at=utc(run.created_at), run_id=run.id,
                       database=display_url(str(engine.url)))
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
            raise CaseProblem(in_the_future(what, d, as_of))
    with q.session_errors(engine, Msg("record the validation")), Session(engine) as session, \
            session.begin():
        run = q.get_run(session, run_id, chamber)
        if oiv_date.year <= run.year:
            raise CaseProblem(
                Msg("--oiv-date {day}: the Relazione on {year} is validated after the year ends "
                    "(expected a day in {next} or later, found {day})", day=Day(oiv_date),
                    year=run.year, next=run.year + 1))
        rec = RunValidation(tenant_id=run.tenant_id, run_id=run_id, oiv_date=oiv_date, requests_closed=requests_closed,
                            recorded_at=now(), note=note)
        session.add(rec)
        session.flush()
        session.expunge(rec)
        return rec


def payout_state(engine: Engine, run_id: int, *, as_of: dt.date | None = None) -> Gate:
    with q.session_errors(engine, Msg("read the payment state")), Session(engine) as session:
        return _gate(session, q.get_run(session, run_id), as_of or today())


def payout_states(engine: Engine, run_ids: Iterable[int], *, as_of: dt.date | None = None
                  ) -> dict[int, Gate]:
    as_of = as_of or today()
    with q.session_errors(engine, Msg("read the payment states")), Session(engine) as session:
        return {rid: _gate(session, q.get_run(session, rid), as_of) for rid in run_ids}


def revision_counts(engine: Engine, run_ids: Iterable[int]) -> dict[int, int]:
    """How many revisions each run has (runs without any are left out)."""
    ids = list(run_ids)
    with q.session_errors(engine, Msg("read the revisions")), Session(engine) as session:
        rows = session.exec(select(Revision.run_id, func.count()).where(
            col(Revision.run_id).in_(ids)).group_by(col(Revision.run_id))).all()
        return {int(r): int(n) for r, n in rows}


def _gate(session: Session, run: store.Run, as_of: dt.date) -> Gate:
    gate = Gate(run_id=store.row_id(run), state=PROVISIONAL, as_of=as_of)
    vals = [v for v in session.exec(select(RunValidation).where(RunValidation.run_id == run.id)
                                    .order_by(col(RunValidation.id))).all() if v.oiv_date <= as_of]
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
        gate.reasons.append(("gate_profile", {"error": errors[0] if errors else exc}))  # said at the edge
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
                         .order_by(col(ConciliationCase.number))).all()
    latest: dict[str, ConciliationCase] = {}
    for c in cases:
        latest[c.person_id] = c
    closed_requests = (validation is not None and validation.requests_closed is not None
                       and validation.requests_closed <= as_of)
    open_cases, undelivered, running, no_term = [], 0, [], 0
    first = [s for s, st in proc.steps.items()
             if st.get("from_event") == proc.base_event and proc.required(s)]
    cache: dict[dt.date, list[StepDeadline]] = {}
    from smvp.app.delivery import deliveries

    known = deliveries(session, run, as_of=as_of)
    for pid in people:
        case = latest.get(pid)
        if case is not None:
            if case.closed_on is not None and case.closed_on <= as_of:
                continue
            view = case_view(session, case, as_of, {store.row_id(run): proc})
            if not view.lapsed:
                open_cases.append(case_ref(case))
            continue
        if closed_requests:
            continue
        found = known.get(pid)  # recorded, else the scheda's date (never before the run)
        delivered = found.day if found is not None else None
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
                                                    "until": format_date(max(running), "it")}))
    if no_term:
        gate.reasons.append(("gate_no_term", {"n": no_term}))

