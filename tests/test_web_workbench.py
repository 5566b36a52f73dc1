"""The amministratore's and revisore's workbench pages in headless Chromium (issue 11): the
profile editor with the validator's located errors, the cycle's actual dates and deadlines,
the downloads of a run, the OIV report, the revisore's comparison and verify — against one
live server for the module (tests/web_support.py) and the app layer's own answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web_support import login, start

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s, stop = start(tmp_path_factory.mktemp("workbench"))
    yield s
    stop()


def _page(browser, site, username, **kw):
    ctx = browser.new_context(locale="it-IT", **kw)
    page = ctx.new_page()
    login(page, site, username)
    return ctx, page


def _stored_versions(site) -> list[tuple[int, str, str]]:
    from sqlmodel import Session, select

    from smvp import store
    from smvp.store.tables import ProfileVersion, Tenant

    engine = store.open_engine(site.db)
    with Session(engine) as s:
        rows = s.exec(select(ProfileVersion.id, Tenant.slug, ProfileVersion.text)
                      .join(Tenant, Tenant.id == ProfileVersion.tenant_id)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_profile_with_an_error_shows_its_line_and_column_and_nothing_is_saved(site, browser, shots):
    text = (ROOT / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
    bad = text.replace("rounding: half_up", "rounding: a_caso", 1)
    line = text[:text.index("rounding: half_up")].count("\n") + 1
    column = len(text[:text.index("rounding: half_up")].rsplit("\n", 1)[-1]) + len("rounding: ") + 1
    before = _stored_versions(site)

    ctx, page = _page(browser, site, "anna")
    page.get_by_role("link", name=re.compile("Profilo della Camera")).click()
    page.wait_for_url(re.compile("/t/cuneo/amministrazione/profilo$"))
    assert page.get_by_test_id("tenant").inner_text() == "Camera di commercio di Cuneo"
    assert page.get_by_label("Testo del profilo (YAML)").input_value().startswith("# yaml-language-server")
    page.get_by_label("Testo del profilo (YAML)").fill(bad)
    page.get_by_role("button", name="Valida e salva come nuova versione").click()
    page.wait_for_load_state()
    errors = page.get_by_test_id("profile-errors")
    assert f"riga {line}, colonna {column}" in errors.inner_text()
    assert "precision.rounding" in errors.inner_text() and "a_caso" in errors.inner_text()
    assert "valore non ammesso" in errors.inner_text() and "value not allowed" not in errors.inner_text()
    # the error links to the numbered line, which shows the text and the message
    errors.get_by_role("link", name=f"riga {line}, colonna {column}").click()
    assert page.url.endswith(f"#riga-{line}")
    row = page.locator(f"#riga-{line}")
    assert row.get_attribute("class") == "bad"
    assert "rounding: a_caso" in row.inner_text() and f"colonna {column}" in row.inner_text()
    # the text the user wrote is still in the editor; nothing was stored
    assert "rounding: a_caso" in page.get_by_label("Testo del profilo (YAML)").input_value()
    assert _stored_versions(site) == before
    page.evaluate("window.scrollTo(0, 0)")  # the errors and the editor; the lines stay at the error
    page.screenshot(path=str(shots / "amministratore-profilo-errore.png"), full_page=False)

    # the corrected text is saved as a new version of the tenant
    page.get_by_label("Testo del profilo (YAML)").fill(text.replace("rounding: half_up", "rounding: down", 1))
    page.get_by_role("button", name="Valida e salva come nuova versione").click()
    page.get_by_test_id("saved").wait_for()
    after = _stored_versions(site)
    assert len(after) == len(before) + 1
    vid, slug, stored = after[-1]
    assert slug == "cuneo" and "rounding: down" in stored
    assert f"salvato come versione {vid}" in page.get_by_test_id("saved").inner_text()
    assert page.get_by_test_id("versions").locator("tbody tr").count() == len(before) + 1
    page.screenshot(path=str(shots / "amministratore-profilo.png"), full_page=False)

    # a profile of another chamber is refused for this tenant
    other = (ROOT / "chambers" / "brescia.yaml").read_text(encoding="utf-8")
    page.get_by_label("Testo del profilo (YAML)").fill(other)
    page.get_by_role("button", name="Valida e salva come nuova versione").click()
    page.wait_for_load_state()
    assert "chamber.id" in page.get_by_test_id("profile-errors").inner_text()
    assert len(_stored_versions(site)) == len(after)
    ctx.close()


def test_revisore_and_other_tenants_cannot_edit_the_profile(site, browser):
    ctx, page = _page(browser, site, "remo")
    resp = page.goto(site.url + "/t/cuneo/amministrazione/profilo")
    assert resp.status == 404
    ctx.close()
    ctx, page = _page(browser, site, "bruno")  # the amministratore of Brescia
    for url in ("/t/cuneo/amministrazione/profilo", "/t/cuneo/amministrazione/profilo/1.yaml"):
        resp = page.goto(site.url + url)
        assert resp.status == 404, url
    # a POST without the form's token changes nothing
    resp = page.request.post(site.url + "/t/brescia/amministrazione/profilo",
                             form={"csrf": "forged", "text": "x: 1"})
    assert resp.status == 403
    ctx.close()


def _download(page, name):
    with page.expect_download() as dl:
        page.get_by_role("link", name=name).click()
    return open(dl.value.path(), "rb").read()


def test_results_page_downloads_schede_transparency_and_the_oiv_report(site, browser, shots):
    import io
    import zipfile

    from openpyxl import load_workbook
    from pypdf import PdfReader
    from web_support import TODAY

    from smvp.documents import runs, trasparenza

    ctx = browser.new_context(locale="it-IT", accept_downloads=True)
    page = ctx.new_page()
    login(page, site, "anna")
    page.goto(site.url + "/t/cuneo/esecuzioni/1/risultati?unita=SERV11")
    docs = page.get_by_test_id("run-documents")
    n = int(page.get_by_test_id("count").inner_text().split()[0])
    assert f"{n} persone filtrate" in docs.inner_text()
    doc = runs.load(site.db, 1, TODAY)
    wanted = sorted(str(r["person_id"]) for r in doc.rows if r.get("unit_id") == "SERV11")
    assert len(wanted) == n

    # the schede are laid out in the background: the job's page shows the progress, then the file
    page.get_by_role("button", name=re.compile("Prepara le schede")).click()
    page.wait_for_url(re.compile(r"/t/cuneo/lavori/[\w-]+$"))
    job_url = page.url
    page.get_by_test_id("job-done").wait_for(timeout=120_000)  # htmx polls the state every second
    assert page.get_by_test_id("job-done").inner_text() == f"Pronte: {n} schede."
    page.screenshot(path=str(shots / "amministratore-schede-pronte.png"), full_page=False)
    data = _download(page, re.compile("Scarica le schede"))
    page.goto(site.url + "/t/cuneo/esecuzioni/1/risultati?unita=SERV11")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = sorted(zf.namelist())
        assert names == sorted([f"scheda-1-{p}.pdf" for p in wanted] + ["schede-1.pdf"])
        one = zf.read(f"scheda-1-{wanted[0]}.pdf")
    assert one[:5] == b"%PDF-"
    name = next(str(r["name"]) for r in doc.rows if str(r["person_id"]) == wanted[0])
    assert name in "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(one)).pages)

    # the transparency tables are those of smvp trasparenza (same rows, same numbers)
    tab = trasparenza.tables(doc, "it")
    wb = load_workbook(io.BytesIO(_download(page, "tabelle (XLSX)")), read_only=True)
    assert wb.sheetnames == load_workbook(io.BytesIO(trasparenza.xlsx_bytes(tab, "it", "x")),
                                          read_only=True).sheetnames
    csv_text = _download(page, "tabelle (CSV)").decode("utf-8-sig")
    assert csv_text == trasparenza.csv_text(tab, "it")
    assert _download(page, "tabelle (PDF)")[:5] == b"%PDF-"

    # the OIV report, as a page: the figures of smvp report
    from smvp.documents import oiv

    page.get_by_role("link", name=re.compile("Relazione dell'OIV")).click()
    page.wait_for_url(re.compile(r"/esecuzioni/1/rapporto-oiv$"))
    assert page.get_by_test_id("year").inner_text() == "Anno 2024"
    stats = oiv.role_stats(doc)
    from documents_support import it_points

    for s in stats:
        if s.mean is not None:
            cell = page.locator(f'tr[data-role="{s.role}"] td[data-field="mean"]').inner_text()
            assert cell == it_points(int(s.mean * 100)), s.role
    assert page.locator("figure[data-figure=roles] svg").count() == 1
    page.screenshot(path=str(shots / "oiv-relazione-differenziazione.png"), full_page=False)
    assert _download(page, "Scarica la relazione (PDF)")[:5] == b"%PDF-"
    assert page.request.get(site.url + "/t/cuneo/lavori/nessuno").status == 404
    ctx.close()
    # the job is anna's: another user (here of another tenant) does not find it
    ctx, page = _page(browser, site, "bruno")
    assert page.request.get(job_url).status == 404
    assert page.request.get(job_url + "/file").status == 404
    ctx.close()


def test_documents_of_another_tenant_or_role_are_not_found(site, browser):
    ctx, page = _page(browser, site, "bruno")  # Brescia: cuneo's run 1 does not exist for him
    for url in ("/t/cuneo/esecuzioni/1/schede.zip", "/t/brescia/esecuzioni/1/schede.zip",
                "/t/brescia/esecuzioni/1/trasparenza.csv", "/t/brescia/esecuzioni/1/rapporto-oiv"):
        assert page.request.get(site.url + url).status == 404, url
    # Brescia's profile links no premium to the evaluation: nothing to publish, and the page says why
    resp = page.request.get(site.url + "/t/brescia/esecuzioni/2/trasparenza.csv")
    assert resp.status == 409 and "nulla da pubblicare ai sensi dell&#39;art. 20" in resp.text()  # the page's Italian
    assert page.request.get(site.url + "/t/brescia/esecuzioni/2/rapporto-oiv").status == 200
    ctx.close()
    ctx, page = _page(browser, site, "remo")  # the revisore reads aggregates, not the schede
    assert page.request.get(site.url + "/t/cuneo/esecuzioni/1/schede.zip").status == 404
    assert page.request.get(site.url + "/t/cuneo/esecuzioni/1/rapporto-oiv").status == 200
    ctx.close()


def _add_version(site, slug: str, text: str) -> int:
    """A profile version stored for ``slug`` through the app layer (as the editor does)."""
    from smvp import store
    from smvp.app.uploads import add_profile_version
    from smvp.store import tenants

    engine = store.open_engine(site.db)
    tid = tenants.create_tenant(engine, slug).id
    pv = add_profile_version(store.scoped(engine, int(tid)), text=text, filename=f"{slug}.yaml",
                             user=None)
    engine.dispose()
    return int(pv.id)


def test_revisore_compares_versions_with_the_impact_on_a_run_and_verifies_it(site, browser, shots):
    from smvp import engine_api
    from smvp.app.uploads import load_profile_text
    from smvp.commands.evaluate import sample_years

    text = (ROOT / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
    assert "    quota_percent: 40\n" in text
    edited = text.replace("    quota_percent: 40\n", "    quota_percent: 30\n", 1)
    vid = _add_version(site, "cuneo", edited)
    # the engine's own answer: the sample year under both versions, person by person
    years = sample_years("cuneo")
    old_p = engine_api.load_profile(ROOT / "chambers" / "cuneo.yaml")
    new_p = load_profile_text(edited, "cuneo.yaml")
    ds = engine_api.load_dataset(years[max(years)], profile=old_p)
    old_ev = engine_api.evaluate(old_p, ds, year=ds.year)
    old_rows = {r["person_id"]: r for r in old_ev.rows()}
    new_rows = {r["person_id"]: r for r in engine_api.evaluate(new_p, ds, year=ds.year).rows()}
    fields = ("total", "judgement_label", "premium", "maggiorazione", "paid")
    changed = [p for p in old_rows if any(old_rows[p].get(k) != new_rows[p].get(k) for k in fields)]
    assert changed, "the edit must change someone's maggiorazione"

    ctx, page = _page(browser, site, "remo")
    assert page.url.endswith("/t/cuneo/revisione")
    page.get_by_label("Versione precedente").select_option("smvp")
    page.get_by_label("Versione nuova").select_option(f"v{vid}")
    page.get_by_label("Impatto sui dati dell'esecuzione").select_option("1")
    page.get_by_role("button", name="Confronta").click()
    page.wait_for_url(re.compile(r"vecchia=smvp&nuova=v\d+&impatto=1"))
    rules = page.locator('ul.changes[data-category="rule"]').inner_text()
    assert "quota massima di beneficiari (%) 40 → 30" in rules
    assert page.get_by_test_id("impact-count").inner_text() == f"{len(changed)} persone su 80 cambiano."
    shown = {tr.get_attribute("data-person") for tr in page.locator("[data-testid=impact-people] tbody tr").all()}
    assert shown == set(changed)
    page.screenshot(path=str(shots / "revisore-confronto.png"), full_page=False)
    page.get_by_test_id("impact").screenshot(path=str(shots / "revisore-impatto.png"))

    # the same version on both sides: no change
    page.goto(site.url + f"/t/cuneo/revisione?vecchia=v{vid}&nuova=v{vid}")
    assert "Nessuna modifica." in page.get_by_test_id("changes").inner_text()

    # verify run 1: identical to the cent
    page.goto(site.url + "/t/cuneo/revisione")
    page.get_by_role("link", name="Verifica l'esecuzione 1").click()
    page.wait_for_url(re.compile(r"/revisione/verifica/1$"))
    assert page.get_by_test_id("verdict").inner_text() == \
        f"Ricalcolo identico al centesimo: 80 persone, {len(old_ev.funds())} fondi, totali."
    # profile text, national layer text, dataset content, dataset hash: all four intact
    integrity = page.get_by_test_id("integrity")
    assert integrity.locator("li.ok").count() == 4
    assert integrity.locator("li:not(.ok)").count() == 0
    page.screenshot(path=str(shots / "revisore-verifica.png"), full_page=False)

    # read-only: the revisore cannot reach the amministratore's forms
    assert page.request.post(site.url + "/t/cuneo/amministrazione/profilo",
                             form={"csrf": "x", "text": edited}).status in (403, 404)
    assert page.request.post(site.url + "/t/cuneo/amministrazione/valuta",
                             form={"csrf": "x", "sample": "2024"}).status in (403, 404)
    ctx.close()


def test_another_tenant_cannot_compare_or_verify_our_objects(site, browser):
    text = (ROOT / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
    vid = _add_version(site, "cuneo", text)
    ctx, page = _page(browser, site, "bruno")
    for url in ("/t/cuneo/revisione", "/t/brescia/revisione/verifica/1",
                f"/t/brescia/revisione?vecchia=v{vid}&nuova=smvp",
                "/t/brescia/revisione?vecchia=e1&nuova=smvp",
                "/t/brescia/revisione?vecchia=e2&nuova=smvp&impatto=1",
                f"/t/brescia/amministrazione/profilo/{vid}.yaml"):
        assert page.request.get(site.url + url).status == 404, url
    assert page.request.get(site.url + "/t/brescia/revisione/verifica/2").status == 200
    ctx.close()


def test_amministratore_records_the_cycle_dates_and_sees_the_deadlines(site, browser, shots):
    ctx, page = _page(browser, site, "anna")
    page.get_by_role("link", name=re.compile("Calendario del ciclo")).click()
    page.wait_for_url(re.compile("/t/cuneo/amministrazione/calendario$"))
    table = page.get_by_test_id("calendar")
    piao = table.locator('tr[data-step="piao"]')
    late_check = table.locator('tr[data-step="monitoraggio_terzo_trimestre"]')
    # cuneo.yaml cycle.steps.piao: date "01-31" of the year (31/01/2024 is a Wednesday)
    assert piao.locator('[data-field="due"]').inner_text() == "31/01/2024"
    assert late_check.get_attribute("data-state") == "condizionato"
    # the PIAO approved on 15 February: 15 days late, so the third-quarter monitoring is due
    page.get_by_label("Data effettiva: PIAO con la programmazione degli obiettivi (Giunta)").fill("2024-02-15")
    page.get_by_role("button", name="Salva le date effettive").click()
    page.get_by_test_id("saved").wait_for()
    assert piao.locator('[data-field="status"]').inner_text().startswith("in ritardo di 15 giorni")
    assert late_check.get_attribute("data-state") != "condizionato"
    assert piao.locator("input").input_value() == "2024-02-15"
    page.screenshot(path=str(shots / "amministratore-calendario.png"), full_page=False)
    # a date that is not a date: nothing is written, the field says so
    page.evaluate("document.querySelector('#data-monitoraggio').type = 'text'")
    page.get_by_label("Data effettiva: Monitoraggio intermedio (stato di attuazione al 30 giugno)").fill("31/02/2024")
    page.get_by_role("button", name="Salva le date effettive").click()
    page.get_by_test_id("calendar-errors").wait_for()
    assert "monitoraggio" in page.get_by_test_id("calendar-errors").inner_text()
    page.goto(site.url + "/t/cuneo/amministrazione/calendario?anno=2024")
    assert page.get_by_test_id("calendar").locator('tr[data-step="monitoraggio"] input').input_value() == ""
    with page.expect_download() as dl:
        page.get_by_role("link", name="Scarica il calendario (iCalendar)").click()
    ics = open(dl.value.path(), "rb").read().decode("utf-8")
    assert "BEGIN:VCALENDAR" in ics and "DTSTART;VALUE=DATE:20240131" in ics
    ctx.close()

    # on a phone the calendar and the profile editor fit the screen (tables scroll inside)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="it-IT")
    p2 = phone.new_page()
    login(p2, site, "anna")
    for url in ("/t/cuneo/amministrazione/calendario?anno=2024", "/t/cuneo/amministrazione/profilo"):
        p2.goto(site.url + url)
        assert p2.evaluate("document.documentElement.scrollWidth") <= 390 + 1, url
    phone.close()

    # the revisore sees the dates and cannot change them; Brescia's amministratore sees none of it
    ctx, page = _page(browser, site, "remo")
    page.goto(site.url + "/t/cuneo/amministrazione/calendario?anno=2024")
    row = page.get_by_test_id("calendar").locator('tr[data-step="piao"]')
    assert row.locator('[data-field="done"]').inner_text() == "15/02/2024"
    assert page.locator("input[type=date]").count() == 0
    assert page.request.post(site.url + "/t/cuneo/amministrazione/calendario",
                             form={"csrf": "x", "anno": "2024", "data_piao": ""}).status in (403, 404)
    ctx.close()
    ctx, page = _page(browser, site, "bruno")
    for url in ("/t/cuneo/amministrazione/calendario", "/t/cuneo/amministrazione/calendario-2024.ics"):
        assert page.request.get(site.url + url).status == 404, url
    resp = page.goto(site.url + "/t/brescia/amministrazione/calendario?anno=2024")
    assert resp.status == 200 and "2024-02-15" not in page.content()
    ctx.close()
