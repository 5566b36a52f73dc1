"""Explain one person's numbers of a stored run: the engine's trace, re-evaluated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from smvp import store
from smvp.app.verify import get_run, reevaluate
from smvp.errors import UsageProblem
from smvp_engine.errors import Msg


@dataclass
class Explanation:
    run: Any  # smvp.store.Run
    evaluation: Any  # smvp_engine evaluation (rules, rows, engine_version)
    trace: dict[str, Any]  # smvp_engine.explain.explain(): the tree of the person's numbers
    differs: list[str] = field(default_factory=list)  # stored fields the re-evaluation changes


def stale_fields(engine: Engine, run: Any, ev: Any, person: str) -> list[str]:
    """Fields where the re-evaluation differs from the stored result of this person."""
    row = next((r for r in ev.rows() if str(r.get("person_id")) == person), None)
    rec = next((p for p in store.iter_person_results(engine, run.id) if p.person_id == person),
               None)
    if row is None or rec is None:
        return ["person"]
    now = store.person_record(run.id, row, run.tenant_id).model_dump()
    was = rec.model_dump()
    return [k for k in was if k not in ("id", "run_id") and was[k] != now.get(k)]


def explain_person(engine: Engine, run_id: int, person: str) -> Explanation:
    """The trace of ``person`` in stored run ``run_id`` (UsageProblem: no such run or person)."""
    from smvp_engine.explain import PersonNotFound, explain

    run = get_run(engine, run_id)
    _, _, ev = reevaluate(engine, run)
    try:
        trace = explain(ev, person)
    except PersonNotFound as exc:
        raise UsageProblem(Msg("no person {person!r} in run {run}", person=person, run=run_id),
                           hint=Msg("known ids include {known}", known=", ".join(exc.known))) from None
    return Explanation(run=run, evaluation=ev, trace=trace,
                       differs=stale_fields(engine, run, ev, person))
