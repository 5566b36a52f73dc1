"""The day a scheda counts as delivered (``smvp.app.delivery``) under real dates: the run made
on a day after the valutatore dated one scheda and before they dated another.

Cuneo 2024 (terms of SMVP 2024 §3.4: the request «nel termine di 10 giorni dalla data posta
sulla stessa»), the run made on Saturday 10 May 2025:

* P012's scheda dated Friday 2 May 2025, before the run: the person could not read its
  numbers before 10 May, so the term runs from 10 May → 20 May 2025 (Tuesday);
* P013's scheda dated Wednesday 14 May 2025, after the run: from 14 May → 24 May 2025 is a
  Saturday, a working day in Cuneo's calendar (the profile does not close Saturdays);
* everyone else: no date, not delivered.

Before this rule, P012's request failed (``open_case`` refused a delivery before the run) and
the payment gate counted both as undelivered.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from smvp import store
from smvp.app import conciliation as cases
from smvp.app import delivery, review, runs, uploads
from smvp.app import scores as uc
from smvp.i18n import say
from smvp.service.app import _zip_folder

ROOT = Path(__file__).resolve().parents[1]
RUN_MADE = dt.datetime(2025, 5, 10, 9, 30, tzinfo=dt.UTC)
P012_DATE = dt.date(2025, 5, 2)  # before the run
P013_DATE = dt.date(2025, 5, 14)  # after the run
SCORES = {"problem_solving_autonomia": "18", "orientamento_utenza": "17",
          "cooperazione_team_working": "13", "esecuzione_compiti": "12"}


@pytest.fixture
def world(tmp_path):
    """(tenant-scoped engine, run) — the Cuneo sample uploaded, two schede dated, evaluated,
    the run's day set to RUN_MADE (as if made then)."""
    engine = store.open_engine(f"sqlite:///{tmp_path / 'd.db'}")
    tenant = store.tenants.create_tenant(engine, "cuneo")
    scoped = store.scoped(engine, int(tenant.id or 0))
    pv = uploads.add_profile_version(scoped, text=(ROOT / "chambers" / "cuneo.yaml").read_text("utf-8"),
                                     filename="cuneo.yaml", user=None)
    got = uploads.add_dataset(scoped, data=_zip_folder(ROOT / "chambers" / "data" / "cuneo" / "2024"),
                              filename="cuneo.zip", version_id=pv.id, year=None, user=None)
    sc = uc.open_dataset(scoped, int(got.upload.id or 0))
    for pid, day in (("P012", P012_DATE), ("P013", P013_DATE)):
        uc.edit(scoped, sc, pid, scores=SCORES, motivation="", user=None)
        uc.set_scheda_date(scoped, sc, pid, scheda_date=day, user=None)
    run_id, _ = runs.evaluate_upload(scoped, int(got.upload.id or 0), user=None)
    with Session(scoped) as s, s.begin():
        run = s.get(store.Run, run_id)
        run.created_at = RUN_MADE
        s.add(run)
    yield scoped, store.find_run(scoped, run_id)
    engine.dispose()


def _due(run, day: dt.date) -> dt.date:
    from smvp.conciliation import run_procedure

    proc = run_procedure(run)
    return next(r for r in proc.schedule({proc.base_event: day}, as_of=day)
                if r.step == "richiesta_riesame").due


def test_the_scheda_counts_from_the_later_of_its_date_and_the_run(world):
    engine, run = world
    with Session(engine) as s:
        got = delivery.deliveries(s, run, as_of=dt.date(2025, 6, 1))
    assert set(got) == {"P012", "P013"}
    assert got["P012"] == delivery.Delivery(dt.date(2025, 5, 10), delivery.RUN,
                                            scheda_date=P012_DATE, run_made=dt.date(2025, 5, 10))
    assert got["P013"].day == P013_DATE and got["P013"].source == delivery.SCHEDA
    # the engine's terms from those days: 10 days (Cuneo §3.4), counted by hand above
    assert _due(run, got["P012"].day) == dt.date(2025, 5, 20)
    assert _due(run, got["P013"].day) == dt.date(2025, 5, 24)


def test_a_scheda_dated_before_the_run_opens_a_request_within_the_term_from_the_run(world):
    engine, run = world
    t = review.term(engine, run, "P012", as_of=dt.date(2025, 5, 19))
    assert (t.scheda_date, t.due, t.open) == (dt.date(2025, 5, 10), dt.date(2025, 5, 20), True)
    done = review.request(engine, run, "P012", reasons="Chiedo il riesame.", on=dt.date(2025, 5, 20))
    assert done.case.delivered == dt.date(2025, 5, 10)
    assert [s.step for s in done.steps] == ["richiesta_riesame"]


def test_a_request_after_the_term_is_refused_naming_the_day_it_ran_from(world):
    engine, run = world
    with pytest.raises(review.ReviewRefused) as err:
        review.request(engine, run, "P012", reasons="tardi", on=dt.date(2025, 5, 21))
    it, en = say(err.value.message, "it"), say(err.value.message, "en")  # the page says it in its language
    assert "scaduto il 20/05/2025" in it and "dalla data della scheda, 10/05/2025" in it
    assert "expired on 20/05/2025" in en and "from the date of the scheda, 10/05/2025" in en
    with pytest.raises(review.ReviewRefused) as err:
        review.request(engine, run, "P013", reasons="tardi", on=dt.date(2025, 5, 26))
    assert "scaduto il 24/05/2025" in say(err.value.message, "it") and "14/05/2025" in say(err.value.message, "it")
    with Session(engine) as s:
        assert s.exec(select(store.ConciliationCase)).all() == []
    # within P013's own term (from its date, after the run) it is accepted
    assert review.request(engine, run, "P013", reasons="motivi", on=dt.date(2025, 5, 24)).case.delivered == P013_DATE


def test_open_case_without_a_day_takes_the_same_delivery(world):
    engine, run = world
    view = cases.open_case(engine, chamber="cuneo", run_id=run.id, person_id="P012",
                           delivered=None, as_of=dt.date(2025, 5, 12))
    assert view.case.delivered == dt.date(2025, 5, 10)


def test_the_payment_gate_counts_the_dated_schede_as_delivered(world):
    engine, run = world
    people = run.people
    cases.validate_run(engine, run.id, oiv_date=dt.date(2025, 6, 3), as_of=dt.date(2025, 6, 3))
    gate = cases.payout_state(engine, run.id, as_of=dt.date(2025, 5, 21))
    reasons = dict(gate.reasons)
    assert reasons["gate_undelivered"] == {"n": people - 2}
    assert reasons["gate_terms_running"]["n"] == 1  # P013's term runs to 24/05; P012's is over
    gate = cases.payout_state(engine, run.id, as_of=dt.date(2025, 6, 3))
    assert dict(gate.reasons) == {"gate_undelivered": {"n": people - 2}}
    # a delivery of every sheet on 12 May: P012 from then, P013 still from its own later date
    cases.deliver(engine, chamber="cuneo", run_id=run.id, delivered=dt.date(2025, 5, 12),
                  as_of=dt.date(2025, 5, 12))
    with Session(engine) as s:
        got = delivery.deliveries(s, run, as_of=dt.date(2025, 6, 3))
    assert (got["P012"].day, got["P013"].day, got["P050"].day) == (
        dt.date(2025, 5, 12), P013_DATE, dt.date(2025, 5, 12))
    assert cases.payout_state(engine, run.id, as_of=dt.date(2025, 6, 3)).state == "definitivo"


def test_replayed_dates_before_the_run_keep_the_schede_date(world):
    """A day considered before the run was made (tests, ``--as-of``): the run is no bound."""
    engine, run = world
    with Session(engine) as s:
        assert delivery.delivery(s, run, "P012", as_of=dt.date(2025, 5, 5)).day == P012_DATE
