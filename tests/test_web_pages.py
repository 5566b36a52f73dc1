"""The pages of the evaluation cycle in headless Chromium (issue 11), against one live server
(tests/web_support.py), checked against the engine's own numbers for the bundled samples."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from documents_support import it_money, it_points
from web_support import engine_rows, expired_cookie, login, start


def cents(value) -> int:
    return int(Decimal(str(value)) * 100)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s, stop = start(tmp_path_factory.mktemp("web"))
    yield s
    stop()


@pytest.fixture(scope="module")
def cuneo():
    return engine_rows("cuneo")


def test_amministratore_evaluates_filters_sorts_and_downloads(site, browser, shots, cuneo):
    from openpyxl import load_workbook

    ctx = browser.new_context(accept_downloads=True, locale="it-IT")
    page = ctx.new_page()
    login(page, site, "anna")
    assert page.url.endswith("/t/cuneo/amministrazione")
    assert page.get_by_test_id("tenant").inner_text() == "Camera di commercio di Cuneo"
    assert page.get_by_test_id("year").inner_text() == "Anno 2024"
    page.screenshot(path=str(shots / "amministratore-esecuzioni.png"), full_page=False)
    page.get_by_role("button", name="Valuta e salva").click()
    page.wait_for_url(re.compile(r"/t/cuneo/esecuzioni/\d+/risultati"))
    assert page.get_by_test_id("count").inner_text() == "80 persone su 80"
    assert page.get_by_test_id("total-paid").inner_text() == it_money(
        sum(cents(r["paid"]) for r in cuneo.values() if r["paid"] is not None))
    page.screenshot(path=str(shots / "amministratore-risultati.png"), full_page=False)

    # filter by role (htmx swaps the table; the URL keeps the filter)
    page.get_by_label("Ruolo").select_option("elevata_qualificazione")
    page.get_by_test_id("count").filter(has_text="8 persone su 80").wait_for()
    eq = [r for r in cuneo.values() if r["role"] == "elevata_qualificazione"]
    assert page.get_by_test_id("total-premium").inner_text() == it_money(sum(cents(r["premium"]) for r in eq))
    assert "ruolo=elevata_qualificazione" in page.url
    # sort by total, ascending (second click on the active column)
    page.get_by_role("link", name=re.compile("Punteggio totale")).click()
    page.wait_for_url(re.compile("verso=asc"))
    firsts = page.locator("table.results tbody tr").first.get_attribute("data-person")
    assert firsts == min(eq, key=lambda r: (r["total"], ))["person_id"]
    # by unit: only the people of SERV11
    page.get_by_label("Ruolo").select_option("")
    page.get_by_label("Unità").select_option("SERV11")
    n = sum(1 for r in cuneo.values() if r["unit_id"] == "SERV11")
    page.get_by_test_id("count").filter(has_text=f"{n} persone su 80").wait_for()

    with page.expect_download() as dl:
        page.get_by_role("link", name="Scarica i risultati (XLSX)").click()
    wb = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()), read_only=True)
    people = [ws for ws in wb.worksheets
              if any(row and "P012" in row for row in ws.iter_rows(values_only=True))]
    assert people and sum(1 for row in people[0].iter_rows(values_only=True)
                          if row and any(str(v or "").startswith("P0") for v in row)) == 80
    ctx.close()


def test_dipendente_sees_own_scheda_explained_and_nothing_else(site, browser, shots, cuneo):
    ctx = browser.new_context(accept_downloads=True, locale="it-IT")
    page = ctx.new_page()
    login(page, site, "elena")
    assert re.search(r"/t/cuneo/esecuzioni/\d+/persone/P012$", page.url)
    mine = cuneo["P012"]
    assert page.get_by_test_id("total").inner_text() == it_points(cents(mine["total"]))
    assert page.get_by_test_id("paid").inner_text() == it_money(cents(mine["paid"]))
    explain = page.get_by_test_id("explain").inner_text()
    assert "Punteggio totale" in explain and "Fonte:" in explain and "Regola:" in explain
    page.screenshot(path=str(shots / "dipendente-scheda.png"), full_page=False)
    with page.expect_download() as dl:
        page.get_by_role("link", name="Scarica la scheda (PDF)").click()
    assert open(dl.value.path(), "rb").read(5) == b"%PDF-"

    # a colleague's scheda, another tenant's run, a page of another role: all "not found"
    run_url = page.url.rsplit("/persone/", 1)[0]
    for url in (run_url + "/persone/P013", "/t/brescia/esecuzioni/2/risultati",
                run_url + "/risultati", "/t/cuneo/amministrazione"):
        resp = page.goto(url if url.startswith("http") else site.url + url)
        assert resp.status == 404, url
        assert "Pagina non trovata" in page.inner_text("h1")
    # on a phone
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="it-IT")
    p2 = phone.new_page()
    login(p2, site, "elena")
    assert p2.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    p2.screenshot(path=str(shots / "dipendente-scheda-telefono.png"), full_page=False)
    phone.close()
    ctx.close()


def test_expired_session_goes_back_to_login_saying_so(site, browser):
    ctx = browser.new_context(locale="it-IT")
    ctx.add_cookies([{"name": "smvp_session", "value": expired_cookie(site, "elena"), "url": site.url}])
    page = ctx.new_page()
    page.goto(site.url + "/t/cuneo/scheda")
    assert "/login" in page.url
    assert "Sessione scaduta" in page.inner_text("main")
    ctx.close()
