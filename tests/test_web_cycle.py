"""The evaluation cycle end to end in headless Chromium (issue 11), each role doing its part on
one live server (tests/web_support.py, the service's upload path): the valutatore enters the
behaviour scores and dates the schede, the amministratore evaluates with them, the dipendente
opens a request of review within the term, the OIV validates the Relazione — every number
on the pages checked against the engine's own evaluation of the same scores, every term
against the engine's calendar. Failing paths: a score outside its scale (browser and
server), a negative judgement without motivation, a request after the term, a colleague's
sheet, an expired session.

The tests run in order and build on each other (one cycle).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from decimal import Decimal

import pytest
from documents_support import it_money, it_points
from web_support import TODAY, expired_cookie, login, start

P012 = {"problem_solving_autonomia": "18", "orientamento_utenza": "17,5",
        "cooperazione_team_working": "13", "esecuzione_compiti": "12"}  # 60,50 points
P013 = {"problem_solving_autonomia": "3", "orientamento_utenza": "3",
        "cooperazione_team_working": "3", "esecuzione_compiti": "3"}  # 12 < 15: negative
P012_DATE = dt.date(2025, 5, 16)  # the term of 10 days runs to the end of May
P013_DATE = dt.date(2025, 4, 1)  # before the run: its term runs from RUN_MADE
RUN_MADE = dt.datetime(2025, 5, 5, 10, 0, tzinfo=dt.UTC)  # the evaluation, as if made then
# (the server's clock is real: the test dates the stored run as a real cycle would have it)


def cents(value) -> int:
    return int(Decimal(str(value)) * 100)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s, stop = start(tmp_path_factory.mktemp("cycle"), uploads=True)
    yield s
    stop()


@pytest.fixture(scope="module")
def engine_after_scores(tmp_path_factory):
    """The engine's rows for the Cuneo sample with P012's and P013's behaviour scores
    replaced by the ones the valutatore enters (evaluated here, not through the pages)."""
    from smvp import engine_api
    from smvp.app import runs
    from smvp.commands.evaluate import sample_years

    profile = engine_api.load_profile(engine_api.find_chamber("cuneo")[1])
    src = sample_years("cuneo")[2024]
    folder = tmp_path_factory.mktemp("scored") / "2024"
    shutil.copytree(src, folder)
    path = folder / "behaviours.csv"
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["person_id"] not in ("P012", "P013")]
    for pid, scores in (("P012", P012), ("P013", P013)):
        rows += [{"person_id": pid, "factor": f, "score": v.replace(",", ".")} for f, v in scores.items()]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["person_id", "factor", "score"])
        w.writeheader()
        w.writerows(rows)
    ds = engine_api.load_dataset(folder, profile=profile)
    return {str(r["person_id"]): r for r in runs.evaluate(profile, ds).rows}


def _page(browser, site, username, **kw):
    ctx = browser.new_context(locale="it-IT", **kw)
    page = ctx.new_page()
    login(page, site, username)
    return ctx, page


def _fill(page, labels: dict[str, str], scores: dict[str, str]) -> None:
    for factor, value in scores.items():
        page.get_by_label(labels[factor], exact=True).fill(value.replace(",", "."))


def _labels() -> dict[str, str]:
    from smvp import engine_api

    profile = engine_api.load_profile(engine_api.find_chamber("cuneo")[1])
    role = profile.data["roles"]["dipendente"]
    return {k: v["label"] for k, v in role["behaviours"]["factors"].items()}


def test_valutatore_enters_scores_within_the_scale_and_dates_the_schede(site, browser, shots):
    from smvp import store
    from smvp.app import scores as uc

    ctx, page = _page(browser, site, "vale")
    assert page.url.endswith("/t/cuneo/valutazioni")
    assert page.get_by_test_id("tenant").inner_text() == "Camera di commercio di Cuneo"
    # cuneo.yaml's evaluator rules (smvp.app.visibility): P001, the Segretario generale, evaluates
    # the dirigente P002 and the people of AREA1 (the area they head), not P001, not AREA2
    engine = store.scoped(site.app.state.engine, 1)
    expected = uc.evaluatees(uc.open_dataset(engine, 1), {"P001"})
    listed = page.locator("[data-testid=evaluatees] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.person)")
    assert listed == expected and "P001" not in listed and "P012" in listed and "P002" in listed
    assert "P007" not in listed  # AREA2: the dirigente P002's
    page.screenshot(path=str(shots / "valutatore-persone.png"), full_page=False)

    labels = _labels()
    page.get_by_role("link", name="P012", exact=True).click()
    page.wait_for_url(re.compile(r"/valutazioni/1/P012$"))
    first = page.get_by_label(labels["problem_solving_autonomia"], exact=True)
    assert first.get_attribute("max") == "20" and first.get_attribute("min") == "0"
    assert "scala da 0 a 20 punti" in page.inner_text("form.scores")
    # out of scale: the browser refuses to send it …
    first.fill("25")
    page.get_by_role("button", name="Salva la bozza").click()
    assert first.evaluate("e => e.validity.rangeOverflow") is True
    assert page.url.endswith("/valutazioni/1/P012")
    # … and the server refuses it too, naming the scale, when the form is sent anyway
    page.locator("form.scores").evaluate("f => f.noValidate = true")
    page.get_by_role("button", name="Salva la bozza").click()
    page.wait_for_load_state()
    assert "25 è fuori dalla scala: il punteggio va da 0 a 20 punti" in page.inner_text("main")
    assert page.get_by_test_id("form-errors").is_visible()
    assert first.get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(shots / "valutatore-fuori-scala.png"), full_page=True)
    assert uc.get_sheet(engine, uc.open_dataset(engine, 1), "P012").state == "uploaded"  # nothing stored

    _fill(page, labels, P012)
    page.get_by_role("button", name="Salva la bozza").click()
    page.get_by_text("Bozza salvata.").wait_for()
    assert page.get_by_test_id("state").inner_text() == "Bozza"
    assert page.get_by_test_id("behaviour").inner_text() == "60,50"
    page.get_by_label("Data posta sulla scheda").fill(P012_DATE.isoformat())
    page.get_by_role("button", name="Salva e rendi definitiva").click()
    page.get_by_text("Scheda datata: ora è definitiva.").wait_for()
    assert page.get_by_test_id("state").inner_text() == "Definitiva — data della scheda 16/05/2025"
    assert page.get_by_label(labels["orientamento_utenza"], exact=True).is_disabled()
    page.screenshot(path=str(shots / "valutatore-scheda.png"), full_page=True)

    # a negative judgement needs its motivation before the scheda is dated
    page.goto(site.url + "/t/cuneo/valutazioni/1/P013")
    _fill(page, labels, P013)
    page.get_by_label("Data posta sulla scheda").fill(P013_DATE.isoformat())
    page.get_by_role("button", name="Salva e rendi definitiva").click()
    page.wait_for_load_state()
    assert "il giudizio è negativo" in page.inner_text("main")
    assert page.get_by_test_id("state").inner_text() == "Bozza"  # the scores are kept as a draft
    page.get_by_label(re.compile("^Motivazione")).fill("Obiettivi di comportamento non raggiunti nel 2024.")
    page.get_by_role("button", name="Salva e rendi definitiva").click()
    page.get_by_text("Scheda datata: ora è definitiva.").wait_for()

    # someone the valutatore does not evaluate: not found
    assert page.goto(site.url + "/t/cuneo/valutazioni/1/P075").status == 404
    ctx.close()


def test_amministratore_evaluates_with_the_final_schede(site, browser, shots, engine_after_scores):
    ctx, page = _page(browser, site, "anna", accept_downloads=True)
    row = page.locator("[data-testid=datasets] tbody tr[data-dataset='1']")
    assert "2 definitive" in row.inner_text()
    page.screenshot(path=str(shots / "amministratore-dati.png"), full_page=False)
    row.get_by_role("button", name=re.compile("^Valuta")).click()
    page.wait_for_url(re.compile(r"/t/cuneo/esecuzioni/3/risultati"))
    _date_run(site, 3, RUN_MADE)
    assert page.get_by_test_id("count").inner_text() == "80 persone su 80"
    assert page.get_by_test_id("total-paid").inner_text() == it_money(
        sum(cents(r["paid"]) for r in engine_after_scores.values() if r["paid"] is not None))
    page.goto(site.url + "/t/cuneo/esecuzioni/3/persone/P012")
    mine = engine_after_scores["P012"]
    assert page.get_by_test_id("behaviour").inner_text() == it_points(cents(mine["behaviour"])) == "60,50"
    assert page.get_by_test_id("total").inner_text() == it_points(cents(mine["total"]))
    assert page.get_by_test_id("paid").inner_text() == it_money(cents(mine["paid"]))
    ctx.close()


def _date_run(site, run_id: int, when: dt.datetime) -> None:
    from sqlmodel import Session

    from smvp import store

    with Session(store.scoped(site.app.state.engine, 1)) as s, s.begin():
        run = s.get(store.Run, run_id)
        run.created_at = when
        s.add(run)


def _term(site, run_id: int, day: dt.date):
    """The engine's due day of the request of review from a scheda dated ``day``."""
    from smvp import store
    from smvp.conciliation import run_procedure

    run = store.find_run(store.scoped(site.app.state.engine, 1), run_id)
    proc = run_procedure(run)
    return next(r for r in proc.schedule({proc.base_event: day}, as_of=TODAY)
                if r.step == "richiesta_riesame").due, proc


def test_dipendente_opens_a_request_of_review_within_the_term(site, browser, shots, engine_after_scores):
    ctx, page = _page(browser, site, "elena")
    assert re.search(r"/t/cuneo/esecuzioni/3/persone/P012$", page.url)
    assert page.get_by_test_id("total").inner_text() == it_points(cents(engine_after_scores["P012"]["total"]))
    due, proc = _term(site, 3, P012_DATE)
    assert page.get_by_test_id("scheda-date").inner_text() == "16/05/2025"
    assert page.get_by_test_id("review-due").inner_text() == f"entro il {due:%d/%m/%Y}"
    page.get_by_label("Motivi della richiesta").fill("Chiedo il riesame del fattore «Orientamento all'utenza».")
    page.get_by_role("button", name="Presenta la richiesta di riesame").click()
    page.get_by_text("Richiesta presentata.").wait_for()
    steps = {r.step: r for r in proc.schedule({proc.base_event: P012_DATE, "richiesta_riesame": TODAY},
                                              as_of=TODAY)}
    answer = steps["risposta_valutatore"]
    assert page.get_by_test_id("case-state").inner_text() == (
        f"In corso: prossimo passo «{answer.label}» entro il {answer.due:%d/%m/%Y}")
    request_row = page.locator("[data-testid=case-steps] tr[data-step=richiesta_riesame]").inner_text()
    assert "20/05/2025" in request_row and "compiuto nei termini" in request_row
    assert page.get_by_label("Motivi della richiesta").count() == 0  # one request per case
    page.screenshot(path=str(shots / "dipendente-riesame.png"), full_page=True)
    # a colleague's scheda, and a request in a colleague's name: not found
    assert page.goto(site.url + "/t/cuneo/esecuzioni/3/persone/P013").status == 404
    r = page.request.post(site.url + "/t/cuneo/esecuzioni/3/persone/P013/riesame",
                          form={"csrf": "x", "motivi": "x"})
    assert r.status in (403, 404)
    ctx.close()


def test_a_request_after_the_term_is_refused_with_its_date(site, browser, shots):
    from sqlmodel import Session, select

    from smvp import store
    from smvp.store.tables import ConciliationCase

    ctx, page = _page(browser, site, "marco")
    # the scheda is dated 1 April, before the run of 5 May: the term runs from 5 May (the day
    # its numbers exist, smvp.app.delivery), not from 1 April, and is over on TODAY
    due, _ = _term(site, 3, RUN_MADE.date())
    assert _term(site, 3, P013_DATE)[0] < due < TODAY
    assert page.get_by_test_id("scheda-date").inner_text() == "01/04/2025"
    assert page.get_by_test_id("term-from").inner_text() == (
        "05/05/2025 (la scheda è datata 01/04/2025, ma i suoi risultati sono stati calcolati il "
        "05/05/2025: il termine decorre da quel giorno)")
    assert page.get_by_test_id("review-closed").inner_text() == f"Il termine per la richiesta è scaduto il {due:%d/%m/%Y}."
    assert page.get_by_label("Motivi della richiesta").count() == 0
    page.screenshot(path=str(shots / "dipendente-termine-scaduto.png"), full_page=False)
    # sent anyway (an old tab): refused, naming the last day, and nothing stored
    tok = page.locator("input[name=csrf]").first.get_attribute("value")
    r = page.request.post(page.url + "/riesame", form={"csrf": tok, "motivi": "tardi"})
    assert r.status == 409
    assert f"è scaduto il {due:%d/%m/%Y}" in r.text() and "dalla data della scheda, 05/05/2025" in r.text()
    with Session(store.scoped(site.app.state.engine, 1)) as s:
        assert s.exec(select(ConciliationCase).where(ConciliationCase.person_id == "P013")).first() is None
    ctx.close()


def test_oiv_validates_the_relazione_and_sees_the_organisational_results(site, browser, shots):
    from smvp import store
    from smvp.app.conciliation import current_outcome

    ctx, page = _page(browser, site, "olga")
    assert page.url.endswith("/t/cuneo/oiv")
    assert "Provvisorio" in page.get_by_test_id("payout-state").inner_text()
    reasons = page.get_by_test_id("gate-reasons").inner_text()
    assert "validazione" in reasons.lower()
    # P012 (a case open) and P013 (a dated scheda, term over) are not among the undelivered
    assert "scheda non ancora consegnata (né datata dal valutatore né consegna registrata): 78" in reasons
    out = current_outcome(store.scoped(site.app.state.engine, 1), 3)
    objectives = page.locator("[data-testid=objectives] tbody tr")
    assert objectives.count() == len(out.objectives)
    attested = [o for o in out.objectives if o.get("attested")]
    for o in attested:
        row = page.locator(f"[data-testid=objectives] tr[data-objective='{o['objective_id']}']").first
        assert "sì" in row.inner_text()
    # a validation dated inside the evaluated year is refused, saying from when
    page.get_by_label("Data della validazione").fill("2024-12-31")
    page.get_by_label("Commento dell'OIV").fill("Relazione validata senza rilievi.")
    page.locator("form[action$='/validazione']").evaluate("f => f.noValidate = true")
    page.get_by_role("button", name="Registra la validazione").click()
    page.wait_for_load_state()
    assert "dal 01/01/2025" in page.inner_text("main")
    page.get_by_label("Data della validazione").fill(TODAY.isoformat())
    page.get_by_role("button", name="Registra la validazione").click()
    page.get_by_text("Validazione registrata.").wait_for()
    assert "Relazione validata il 20/05/2025" in page.get_by_test_id("payout-state").inner_text()
    assert "Relazione validata senza rilievi." in page.get_by_test_id("validations").inner_text()
    page.screenshot(path=str(shots / "oiv.png"), full_page=False)
    ctx.close()


def test_an_expired_session_on_a_form_goes_back_to_login(site, browser):
    ctx = browser.new_context(locale="it-IT")
    ctx.add_cookies([{"name": "smvp_session", "value": expired_cookie(site, "vale"), "url": site.url}])
    page = ctx.new_page()
    page.goto(site.url + "/t/cuneo/valutazioni/1/P012")
    assert "/login" in page.url and "Sessione scaduta" in page.inner_text("main")
    ctx.close()
