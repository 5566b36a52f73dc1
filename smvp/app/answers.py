"""The evaluator's side of the conciliation procedure: the open cases on the people a
valutatore evaluates, and the steps the profile gives to the evaluator (their answer to a
request of review, their decision on the conciliator's proposal). Shared by the pages;
the rules (order, terms, late steps, revisions) are ``smvp.app.conciliation.record_step``'s.

Which steps are the evaluator's: the profile's ``conciliation.steps`` whose ``actor`` is the
evaluator of the person — Cuneo's ``valutatore`` (SMVP 2024 §3.4: «Il valutatore entro 10
giorni dal ricevimento della richiesta … risponde accogliendo l'istanza di riesame, ovvero
motivandone il diniego»; «Il valutatore nei successivi 10 giorni dal ricevimento della
proposta può accoglierla o confermare la propria valutazione»), Cremona's ``dirigente``
(SMVP 2021 Cap. 6: the request of review goes «al Dirigente», who delivers «la scheda
successiva al colloquio di riesame»). Brescia's procedure (SMVP 2021 §4.4) and the
conciliator's or Segretario Generale's steps are not the evaluator's: nothing to answer here.

Who sees a case: the people the valutatore evaluates (``smvp.app.visibility``), never their
own case. Another case is "not found" for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from smvp.conciliation import CaseProblem, CaseView, StepOutcome
from smvp_engine.errors import Msg

#: the ``actor`` ids of conciliation steps that are the person's evaluator's (module doc)
EVALUATOR_ACTORS = ("valutatore", "dirigente")


@dataclass
class Factor:
    """A behaviour factor of the person's role with their current score (revisions applied)."""

    id: str
    label: str
    max: Decimal | None  # points; None: the profile gives no scale
    score: Decimal | None  # points; None: no score


def evaluator_steps(view: CaseView) -> list[Any]:
    """The evaluator's steps of the case that can be recorded now (their starting event
    happened, not done yet), as the schedule's rows (``StepDeadline``), soonest first."""
    rows = [r for r in view.pending() if view.procedure.actor(r.step) in EVALUATOR_ACTORS]
    return sorted(rows, key=lambda r: (r.due is None, r.due or dt.date.max))


def _visible(engine: Engine, run: Any, roles: Iterable[str], person_ids: set[str]
             ) -> set[str] | None:
    from smvp.app.visibility import visible_people

    return visible_people(engine, run, roles=roles, person_ids=person_ids)


def cases_for(engine: Engine, *, roles: Iterable[str], person_ids: Iterable[str],
              as_of: dt.date, include_closed: bool = False) -> list[CaseView]:
    """The cases about the people a valutatore with ``person_ids`` evaluates (not their own),
    open ones only unless ``include_closed``; ``engine``: the tenant-scoped store."""
    from smvp import store
    from smvp.app import conciliation as cases

    roles, own = set(roles), set(person_ids)
    if "valutatore" not in roles:
        return []
    seen: dict[int, set[str] | None] = {}
    out = []
    for view in cases.list_cases(engine, include_closed=include_closed, as_of=as_of):
        rid = view.case.run_id
        if rid not in seen:
            run = store.find_run(engine, rid)
            seen[rid] = _visible(engine, run, {"valutatore"}, own) if run is not None else set()
        visible = seen[rid]
        if view.case.person_id not in own and (visible is None or view.case.person_id in visible):
            out.append(view)
    return out


def case_for(engine: Engine, ref: str, *, chamber: str, roles: Iterable[str],
             person_ids: Iterable[str], as_of: dt.date) -> CaseView | None:
    """The case ``ref`` when it is about someone the valutatore evaluates, else None."""
    found = [v for v in cases_for(engine, roles=roles, person_ids=person_ids, as_of=as_of,
                                  include_closed=True)
             if v.ref == ref and v.case.chamber == chamber]
    return found[0] if found else None


def factors(engine: Engine, run: Any, person_id: str) -> list[Factor]:
    """The behaviour factors of ``person_id``'s role in ``run`` with the current scores
    (every revision of the run applied), in the profile's order."""
    from smvp.app.conciliation import _engine_revisions, load_run_inputs
    from smvp.store import cases as q
    from smvp_engine import revision as rv

    with Session(engine) as s:
        profile, tables = load_run_inputs(s, run)
        revs = q.run_revisions(s, run.id)
        current = rv.apply_revisions(tables, _engine_revisions(revs))["behaviours"]
    staff = tables.get("staff") or {}
    ids = list(staff.get("person_id") or [])
    if person_id not in ids:
        return []
    role = profile.for_year(run.year).roles.get(list(staff.get("role") or [])[ids.index(person_id)])
    if role is None:
        return []
    scores = {f: Decimal(int(cp)) / 100 for p, f, cp in zip(current["person_id"], current["factor"],
                                                           current["score"])
              if p == person_id and cp is not None}
    return [Factor(f.id, f.label, None if f.max is None else
                   Decimal(f.max.numerator) / Decimal(f.max.denominator), scores.get(f.id))
            for f in role.factors]


def answer(engine: Engine, view: CaseView, *, step: str, on: dt.date, note: str,
           scores: Mapping[str, int] | None = None, user: Any = None,
           as_of: dt.date) -> StepOutcome:
    """Record the evaluator's ``step`` of the case on ``on`` with its motivation ``note``;
    with ``scores`` (factor → centipoints) a changed evaluation that closes the case (a
    revision of the run, ``record_step``). CaseProblem when ``step`` is not an evaluator's
    step open now or the motivation is missing; the record_step refusals otherwise.
    Audited as ``case.step``."""
    from smvp.app import accounts
    from smvp.app import conciliation as cases

    if step not in {r.step for r in evaluator_steps(view)}:
        raise CaseProblem(Msg("case {case}: {step} is not a step of the evaluator open now", case=view.ref,
                              step=step))
    text = (note or "").strip()
    if not text:
        raise CaseProblem(Msg("case {case}: the answer needs its motivation", case=view.ref))
    done = cases.record_step(engine, view.ref, chamber=view.case.chamber, event=step, on=on,
                             scores=dict(scores) if scores else None, note=text, as_of=as_of)
    with Session(engine) as s, s.begin():
        accounts.audit(s, user=user, action="case.step", kind="case", object_id=view.ref,
                       after={"step": step, "on": on.isoformat(), "note": text,
                              "scores": dict(scores) if scores else None,
                              "closed": done.closed,
                              "revision": getattr(getattr(done.revision, "revision", None),
                                                  "number", None)})
    return done
