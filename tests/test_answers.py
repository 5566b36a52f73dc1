"""The evaluator's side of conciliation (``smvp.app.answers``): whose cases a valutatore sees,
which steps are theirs, a reasoned refusal that lets the procedure go on (Cuneo SMVP 2024
§3.4: the valutatore «risponde accogliendo l'istanza di riesame, ovvero motivandone il
diniego»; then the valutato may ask for the conciliation within 10 days)."""

from __future__ import annotations

import datetime as dt

import pytest
from test_delivery import world  # noqa: F401 - the Cuneo run made on 10 May 2025

from smvp.app import answers, review
from smvp.app import conciliation as cases
from smvp.conciliation import CaseProblem

VAL = dict(roles={"valutatore"}, person_ids={"P001"})  # head of AREA1: evaluates P012, P013


def test_a_valutatore_sees_the_cases_of_the_people_they_evaluate_only(world):  # noqa: F811
    engine, run = world
    review.request(engine, run, "P012", reasons="motivi", on=dt.date(2025, 5, 19))
    cases.open_case(engine, chamber="cuneo", run_id=run.id, person_id="P075",
                    delivered=dt.date(2025, 5, 12), as_of=dt.date(2025, 5, 19))
    cases.open_case(engine, chamber="cuneo", run_id=run.id, person_id="P001",
                    delivered=dt.date(2025, 5, 12), as_of=dt.date(2025, 5, 19))
    seen = answers.cases_for(engine, as_of=dt.date(2025, 5, 20), **VAL)
    assert [v.case.person_id for v in seen] == ["P012"]  # not P075 (another area), not themself
    assert answers.case_for(engine, "cuneo-2", chamber="cuneo", as_of=dt.date(2025, 5, 20), **VAL) is None
    assert answers.cases_for(engine, roles={"dipendente"}, person_ids={"P012"},
                             as_of=dt.date(2025, 5, 20)) == []


def test_a_reasoned_refusal_records_the_answer_and_the_procedure_goes_on(world):  # noqa: F811
    engine, run = world
    review.request(engine, run, "P012", reasons="motivi", on=dt.date(2025, 5, 19))
    view = answers.case_for(engine, "cuneo-1", chamber="cuneo", as_of=dt.date(2025, 5, 26), **VAL)
    assert [r.step for r in answers.evaluator_steps(view)] == ["risposta_valutatore"]
    # the valutato's own step is not the evaluator's to record
    with pytest.raises(CaseProblem, match="not a step of the evaluator"):
        answers.answer(engine, view, step="attivazione_conciliazione", on=dt.date(2025, 5, 26),
                       note="x", as_of=dt.date(2025, 5, 26))
    with pytest.raises(CaseProblem, match="motivation"):
        answers.answer(engine, view, step="risposta_valutatore", on=dt.date(2025, 5, 26),
                       note="  ", as_of=dt.date(2025, 5, 26))
    done = answers.answer(engine, view, step="risposta_valutatore", on=dt.date(2025, 5, 26),
                          note="Diniego: i punteggi riflettono l'anno.", as_of=dt.date(2025, 5, 26))
    assert not done.closed and done.revision is None and done.row.status == "nei_termini"
    after = answers.case_for(engine, "cuneo-1", chamber="cuneo", as_of=dt.date(2025, 5, 26), **VAL)
    assert answers.evaluator_steps(after) == []  # now the valutato's 10 days to ask for conciliation
    assert after.next.step == "attivazione_conciliazione"
    assert after.next.due == dt.date(2025, 6, 5)  # 26 May + 10 days


def test_the_factors_carry_the_current_scores_and_scales(world):  # noqa: F811
    engine, run = world
    got = {f.id: (f.max, f.score) for f in answers.factors(engine, run, "P012")}
    assert {k: (str(m), str(s)) for k, (m, s) in got.items()} == {
        "problem_solving_autonomia": ("20", "18"), "orientamento_utenza": ("20", "17"),
        "cooperazione_team_working": ("15", "13"), "esecuzione_compiti": ("15", "12")}
