"""The service's and `smvp user`'s refusals in Italian (the default) and in English, with the
same located facts in both (issue 15): a catalogue id and its fields, said at the edge in the
caller's language — ``?lang=`` on the API (docs/api.md, "Language"), the deployment's language
on the pages, ``--lang`` on the command line."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from smvp import cli
from smvp.app import accounts
from smvp.service.app import create_app

PW = "una-password-lunga"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('words') / 'smvp.db'}", secret="s",
                     login_limit=2)
    accounts.add_user(app.state.engine, "anna", PW)
    accounts.grant(app.state.engine, "anna", "cuneo", "dipendente", person_id="P012")
    yield app
    app.state.engine.dispose()


def _token(c: TestClient) -> dict[str, str]:
    r = c.post("/api/login", json={"username": "anna", "password": PW})
    assert r.status_code == 200, r.text
    c.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _both(c: TestClient, method: str, url: str, **kw) -> tuple[dict, dict]:
    """The same request answered in Italian (no ?lang=) and in English (?lang=en)."""
    it = c.request(method, url, **kw)
    en = c.request(method, url, params={"lang": "en"}, **kw)
    assert it.status_code == en.status_code, (it.text, en.text)
    return it.json(), en.json()


@pytest.mark.parametrize("method,url,auth,status,it,en,fields", [
    ("GET", "/api/me", False, 401, "accesso non effettuato (accedi con POST /api/login)",
     "not logged in (log in at POST /api/login)", {}),
    ("GET", "/api/tenants/brescia/runs", True, 404, "nessun ente 'brescia'", "no tenant 'brescia'",
     {"tenant": "brescia"}),
    ("GET", "/api/tenants/cuneo/runs/77", True, 404, "nessuna esecuzione 77", "no run 77", {"run": 77}),
    ("GET", "/api/tenants/cuneo/audit", True, 403, "audit.read: non consentito a dipendente in cuneo",
     "audit.read: not allowed to dipendente in cuneo",
     {"action": "audit.read", "roles": "dipendente", "tenant": "cuneo"}),
])
def test_api_refusals_in_italian_and_english(app, method, url, auth, status, it, en, fields):
    c = TestClient(app)
    headers = _token(c) if auth else {}
    got_it, got_en = _both(c, method, url, headers=headers)
    assert got_it["detail"] == it and got_en["detail"] == en
    assert got_it["id"] == got_en["id"] and got_it["fields"] == got_en["fields"] == fields


def test_a_bad_token_and_a_wrong_password(app):
    c = TestClient(app)
    it, en = _both(c, "GET", "/api/me", headers={"Authorization": "Bearer nope"})
    assert (it["detail"], en["detail"]) == ("token non valido o scaduto", "invalid or expired token")
    it, en = _both(c, "POST", "/api/login", json={"username": "anna", "password": "sbagliata"})
    assert (it["detail"], en["detail"]) == ("nome utente o password errati", "wrong username or password")
    r = c.post("/api/login?lang=en", json={"username": "anna", "password": "sbagliata"})
    assert r.status_code == 429 and r.json()["id"] == "api.too_many_logins"
    wait = r.json()["fields"]["seconds"]
    assert r.json()["detail"] == f"too many failed logins: try again in {wait} s"
    assert int(r.headers["retry-after"]) == wait  # the header is kept


def test_the_deployments_language_is_the_default(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'smvp.db'}", secret="s", lang="en")
    with TestClient(app) as c:
        assert c.get("/api/me").json()["detail"] == "not logged in (log in at POST /api/login)"
        assert c.get("/api/me?lang=it").json()["detail"].startswith("accesso non effettuato")
    app.state.engine.dispose()


def test_smvp_user_refusals_in_italian_and_english(tmp_path):
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'smvp.db'}"

    def smvp(*args: str):
        return runner.invoke(cli.app, list(args))

    assert smvp("user", "add", "mario", "--password", PW, "--db", db).exit_code == 0
    r = smvp("user", "add", "mario", "--password", PW, "--db", db)
    assert r.exit_code == 2 and "l'utente 'mario' esiste già" in r.stderr
    r = smvp("--lang", "en", "user", "add", "mario", "--password", PW, "--db", db)
    assert r.exit_code == 2 and "user 'mario' already exists" in r.stderr
    r = smvp("user", "add", "luigi", "--password", "corta", "--db", db)
    assert r.exit_code == 2 and "la password è troppo corta (attesi almeno 8 caratteri, trovati 5)" in r.stderr
    r = smvp("user", "add", "luigi", "--password", "corta", "--db", db, "--lang", "en")
    assert r.exit_code == 2 and "the password is too short (expected at least 8 characters, found 5)" in r.stderr
    r = smvp("user", "grant", "mario", "--tenant", "cuneo", "--role", "capo", "--db", db)
    assert r.exit_code == 2 and "ruolo 'capo' sconosciuto (atteso uno tra amministratore, valutatore" in r.stderr
    r = smvp("user", "grant", "nessuno", "--tenant", "cuneo", "--role", "oiv", "--db", db, "--lang", "en")
    assert r.exit_code == 2 and "no user 'nessuno'. smvp user add creates it" in r.stderr
    r = smvp("user", "grant", "nessuno", "--tenant", "cuneo", "--role", "oiv", "--db", db)
    assert r.exit_code == 2 and "nessun utente 'nessuno'. lo crea smvp user add" in r.stderr


# --------------------------------------------------------------------------- the pages


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The pages on one database, once in Italian (the default) and once in English."""
    from smvp.service.web import create_app as web_app

    db = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'smvp.db'}"
    it = web_app(db, secret="s")
    accounts.add_user(it.state.engine, "anna", PW)
    accounts.grant(it.state.engine, "anna", "cuneo", "amministratore")
    en = web_app(db, secret="s", lang="en")
    yield {"it": it, "en": en}
    for app in (it, en):
        app.state.engine.dispose()


def _page_client(app, password: str = PW, username: str = "anna") -> tuple[TestClient, object]:
    import re

    c = TestClient(app)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": username, "password": password, "csrf": token},
               follow_redirects=False)
    return c, r


def _sample_run(pages) -> TestClient:
    """The administrator's client of the Italian deployment, with the Cuneo sample year
    evaluated and stored once (the first test that needs a run stores it)."""
    import re

    c, _ = _page_client(pages["it"])
    if "/risultati" not in c.get("/t/cuneo/amministrazione").text:  # no run yet: the sample year
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/t/cuneo/amministrazione").text).group(1)
        assert c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf, "sample": "2024"},
                      follow_redirects=False).status_code == 303
    return c


def _reads_in_both(pages, said: dict[str, list[str]], path: str, username: str = "anna") -> None:
    """``path`` read by ``username`` from the Italian and the English deployment shows every
    text of its language in ``said`` and none of the other's."""
    import html

    for lang, other in (("it", "en"), ("en", "it")):
        c, _ = _page_client(pages[lang], username=username)
        text = html.unescape(c.get(path).text)
        assert [w for w in said[lang] if w not in text] == []
        assert [w for w in said[other] if w in text] == []


@pytest.mark.parametrize("lang,words", [
    ("it", {"wrong": "Nome utente o password non corretti.", "missing": "Pagina non trovata",
            "format": "dati.txt: formato non riconosciuto (atteso un file .xlsx o un .zip di file CSV o "
                      "Parquet, trovato .txt)",
            "csrf": "Modulo scaduto o non valido (CSRF): ricarica la pagina"}),
    ("en", {"wrong": "Wrong username or password.", "missing": "Page not found",
            "format": "dati.txt: format not recognised (expected an .xlsx workbook or a .zip of CSV or "
                      "Parquet files, found .txt)",
            "csrf": "The form expired or is not valid (CSRF): reload the page"}),
])
def test_page_refusals_in_the_deployments_language(pages, lang, words):
    import html

    app = pages[lang]
    _, r = _page_client(app, password="sbagliata")
    assert r.status_code == 401 and words["wrong"] in html.unescape(r.text)
    c, r = _page_client(app)
    assert r.status_code == 303
    r = c.get("/t/brescia/amministrazione")  # another tenant: 404, nothing said about it
    assert r.status_code == 404 and words["missing"] in r.text and "brescia" not in r.text.lower()
    form = c.get("/t/cuneo/amministrazione").text
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf},
               files={"dataset": ("dati.txt", b"hello")})
    assert r.status_code == 422 and words["format"] in html.unescape(r.text)
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": "forged"},
               files={"dataset": ("dati.txt", b"hello")})
    assert r.status_code == 403 and words["csrf"] in html.unescape(r.text)


def test_the_frame_and_a_runs_documents_verification_and_report_pages_in_both_languages(pages):
    """base, results, run_documents, verify, oiv_report and person take their words from the catalogue: the same
    run's pages say them in Italian and, from the English deployment, in English."""
    import html
    import re

    c, _ = _page_client(pages["it"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/t/cuneo/amministrazione").text).group(1)
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf, "sample": "2024"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    run = re.search(r"/esecuzioni/(\d+)/risultati", r.headers["location"]).group(1)
    said = {
        "it": ["Vai al contenuto", "data-testid=\"year\">Anno 2024", "Esci", "della performance (d.lgs. 150/2009)",
               "Tabelle per la trasparenza", "tabelle (XLSX)", "relazione OIV in PDF",
               f"Verifica dell'esecuzione {run}", "Torna alla revisione",
               "Torna ai risultati", "Scarica la relazione (PDF)", f"esecuzione {run}, anno 2024",
               "Come è calcolato ogni numero", "Scarica la scheda (PDF)", "Calcolo:", "Documenti citati",
               "Scarica i risultati (XLSX)", "Risultati per persona", "persone su", "Distribuito"],
        "en": ["Skip to content", "data-testid=\"year\">Year 2024", "Log out", "performance measurement and evaluation system",
               "Transparency tables", "tables (XLSX)", "OIV report as PDF",
               f"Verification of run {run}", "Back to the review",
               "Back to the results", "Download the report (PDF)", f"run {run}, year 2024",
               "How every number is calculated", "Download the scheda (PDF)", "Calculation:", "Documents cited",
               "Download the results (XLSX)", "Results per person", "people of", "Distributed"],
    }
    for lang, other in (("it", "en"), ("en", "it")):
        c, _ = _page_client(pages[lang])
        text = " ".join(html.unescape(c.get(f"/t/cuneo/{path}").text) for path in (
            f"esecuzioni/{run}/risultati", f"revisione/verifica/{run}", f"esecuzioni/{run}/rapporto-oiv",
            f"esecuzioni/{run}/persone/P012"))
        assert [w for w in said[lang] if w not in text] == []
        assert [w for w in said[other] if w in text and w not in said[lang]] == []


def test_the_valutatores_list_and_the_roles_in_both_languages(pages):
    """valutazioni.html.j2 and valutazione.html.j2, the scheda states and the role names of the navigation come from the
    catalogue: the valutatore's list of the sample year in Italian and in English."""
    import html
    import re

    accounts.add_user(pages["it"].state.engine, "vale", PW)
    accounts.grant(pages["it"].state.engine, "vale", "cuneo", "valutatore", person_id="P001")
    c, _ = _page_client(pages["it"])
    if "Valuta i dati" not in c.get("/t/cuneo/amministrazione").text:  # no dataset yet: the sample year
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/t/cuneo/amministrazione").text).group(1)
        assert c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf, "sample": "2024"},
                      follow_redirects=False).status_code == 303
    said = {"it": ["Le persone che valuti", "persone da valutare", "Stato della scheda", "Da compilare",
                   "Valutatore", "I punteggi restano una bozza", "Punteggio per fattore", "Salva la bozza",
                   "scala da 0 a", "Salva e rendi definitiva"],
            "en": ["The people you evaluate", "people to evaluate", "State of the scheda", "To fill in",
                   "Evaluator", "The scores stay a draft", "Score per factor", "Save the draft",
                   "scale from 0 to", "Save and make final"]}
    for lang, other in (("it", "en"), ("en", "it")):
        c, _ = _page_client(pages[lang], username="vale")
        text = html.unescape(c.get("/t/cuneo/valutazioni").text)
        sheet = re.search(r'href="(/t/cuneo/valutazioni/\d+/P\d+)"', text).group(1)
        text += html.unescape(c.get(sheet).text)  # valutazione.html.j2: one person's scores
        assert [w for w in said[lang] if w not in text] == []
        assert [w for w in said[other] if w in text] == []


def test_the_dipendentes_request_of_review_in_both_languages(pages):
    """riesame.html.j2 takes its words from the catalogue: a dipendente's own page of the sample
    year shows the request of review in Italian and, from the English deployment, in English."""

    accounts.add_user(pages["it"].state.engine, "elena", PW)
    accounts.grant(pages["it"].state.engine, "elena", "cuneo", "dipendente", person_id="P012")
    _sample_run(pages)
    said = {"it": ["Richiesta di riesame", "Data della scheda"],
            "en": ["Request of review", "Date of the scheda"]}
    _reads_in_both(pages, said, "/t/cuneo/scheda", username="elena")


def test_the_cycle_calendar_in_both_languages(pages):
    """calendar.html.j2 takes its words from the catalogue: the administrator's calendar of the
    cycle in Italian and, from the English deployment, in English."""

    said = {"it": ["Ciclo della performance 2025", "Salva le date effettive", "scope=\"col\">Scadenza<", "Spostata perché"],
            "en": ["Performance cycle 2025", "Save the actual dates", "scope=\"col\">Deadline<", "Moved because"]}
    _reads_in_both(pages, said, "/t/cuneo/amministrazione/calendario?anno=2025")


def test_the_oivs_page_in_both_languages(pages):
    """oiv.html.j2 takes its words from the catalogue: the OIV's page of a stored run in Italian
    and, from the English deployment, in English."""

    accounts.add_user(pages["it"].state.engine, "olga", PW)
    accounts.grant(pages["it"].state.engine, "olga", "cuneo", "oiv")
    _sample_run(pages)
    said = {"it": ["Organismo indipendente di valutazione", "Registra la validazione", "Risultati organizzativi",
                   "Grado di raggiungimento", "Data della validazione"],
            "en": ["Independent evaluation body", "Record the validation", "Organisational results",
                   "Degree of achievement", "Date of the validation"]}
    _reads_in_both(pages, said, "/t/cuneo/oiv", username="olga")


def test_the_profile_editor_in_both_languages(pages):
    """profile.html.j2 takes its words from the catalogue: the administrator's profile editor
    in Italian and, from the English deployment, in English."""

    said = {"it": ["Profilo della Camera", "Valida e salva come nuova versione", "Testo del profilo (YAML)"],
            "en": ["The Chamber's profile", "Validate and save as a new version", "Text of the profile (YAML)"]}
    _reads_in_both(pages, said, "/t/cuneo/amministrazione/profilo")


def test_the_administration_page_in_both_languages(pages):
    """admin.html.j2 takes its words from the catalogue: the administrator's page (data, runs)
    in Italian and, from the English deployment, in English."""

    said = {"it": ["Esegui la valutazione", "Valuta e salva", "Esecuzioni salvate", "oppure usa i dati di esempio"],
            "en": ["Run the evaluation", "Evaluate and save", "Stored runs", "or use the year's sample data"]}
    _reads_in_both(pages, said, "/t/cuneo/amministrazione")


def test_the_review_page_in_both_languages(pages):
    """review.html.j2 takes its words from the catalogue: the revisore's comparison of two
    profile versions, its impact on a stored run and the runs to verify, in Italian and, from
    the English deployment, in English."""
    import re

    c = _sample_run(pages)
    run = re.search(r"/esecuzioni/(\d+)/risultati", c.get("/t/cuneo/amministrazione").text).group(1)
    said = {"it": ["Confronta due versioni del profilo", "Versione precedente", "nessuna (solo le modifiche)",
                   f"Modifiche: esecuzione {run} → profilo distribuito con smvp", "Anni confrontati:",
                   f"Impatto sui dati dell'esecuzione {run} (anno 2024)", "persone su", "Per ruolo",
                   "Verifica un'esecuzione salvata", f"Verifica l'esecuzione {run}", ">Erogato<"],
            "en": ["Compare two versions of the profile", "Previous version", "none (the changes only)",
                   f"Changes: run {run} → profile bundled with smvp", "Years compared:",
                   f"Impact on the data of run {run} (year 2024)", "people change", "By role",
                   "Verify a stored run", f"Verify run {run}", ">Paid<"]}
    _reads_in_both(pages, said, f"/t/cuneo/revisione?vecchia=e{run}&nuova=smvp&impatto={run}")
