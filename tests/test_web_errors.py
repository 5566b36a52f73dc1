"""Every error of a page is a page (issue 15; ``smvp.service.web.errors``): in the frame, in the
page's language, with its status — a request FastAPI cannot read (422) names the field, what was
expected and what was found, with a link back; 403, 404 (another tenant's: nothing said of
it), 405, an edge error and a 500 likewise. The JSON API keeps its answers (docs/api.md)."""

from __future__ import annotations

import html
import re

import pytest
import web_support
from fastapi.testclient import TestClient
from web_support import make_app

from smvp.errors import UsageProblem
from smvp_engine.errors import Msg


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An Italian deployment with cuneo's run 1, and four routes that fail on purpose: a page
    and an API route each raising an unexpected error and an edge error (a usage problem)."""
    it, _ = make_app(tmp_path_factory.mktemp("errors"))

    def boom() -> None:
        raise RuntimeError("a bug")

    def usage() -> None:
        raise UsageProblem(Msg("choose a sample year or upload a data file"))

    for path, endpoint in (("/t/cuneo/prova-guasto", boom), ("/api/prova-guasto", boom),
                           ("/t/cuneo/prova-uso", usage), ("/api/prova-uso", usage)):
        it.add_api_route(path, endpoint, methods=["GET"])
    yield it
    it.state.engine.dispose()


def _client(app, username: str | None = "anna", lang: str | None = None) -> TestClient:
    return web_support.client(app, username, lang=lang, raise_server_exceptions=False)


def _page(r) -> dict:
    """An error page's facts: its language, title, sentence, rows of fields, back link."""
    assert r.headers["content-type"].startswith("text/html"), r.text[:300]
    text = r.text
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', text)
    back = re.search(r'<a href="([^"]*)" data-testid="back">', text)
    return {"lang": re.search(r'<html lang="(\w+)"', text).group(1),
            "title": html.unescape(re.search(r'data-testid="error-title">(.*?)</h1>', text).group(1)),
            "detail": html.unescape(re.search(r'data-testid="error-detail">(.*?)</p>', text, re.S).group(1)),
            "rows": [tuple(html.unescape(re.sub(r"<[^>]+>", "", x)) for x in row) for row in rows],
            "back": back.group(1) if back else None, "frame": 'data-testid="tenant"' in text,
            "switch": '<nav class="langs"' in text}


def test_a_page_form_fastapi_cannot_read_is_a_page_naming_the_field(app):
    c = _client(app, username=None)
    r = c.post("/login", data={"password": "x"}, headers={"Referer": "http://testserver/login"})
    assert r.status_code == 422
    p = _page(r)
    assert p["lang"] == "it" and p["title"] == "Richiesta non valida" and p["switch"]
    assert "non ha salvato nulla" in p["detail"]
    assert p["rows"] == [("campo username del modulo", "manca (è obbligatorio)", "", "nulla")]
    assert p["back"] == "/login"
    # the same in English, asked on the request or remembered
    r = c.post("/login?lang=en", data={"password": "x"})
    p = _page(r)
    assert r.status_code == 422 and p["lang"] == "en" and p["title"] == "Request not valid"
    assert p["rows"] == [("field username of the form", "missing (it is required)", "", "nothing")]
    assert p["back"] is None  # no page sent it: only the link to the start


def test_an_address_fastapi_cannot_read_names_the_parameter_expected_and_found(app):
    c = _client(app, lang="en")
    r = c.get("/t/cuneo/esecuzioni/abc/risultati",
              headers={"Referer": "http://testserver/t/cuneo/amministrazione?x=1"})
    assert r.status_code == 422
    p = _page(r)
    assert p["lang"] == "en" and p["frame"]  # in the tenant's frame: the user is a member
    assert p["rows"] == [("path parameter run_id", "not a valid value", "a whole number", '"abc"')]
    assert p["back"] == "/t/cuneo/amministrazione?x=1"
    r = c.get("/t/cuneo/amministrazione/calendario?anno=duemila&lang=it")
    p = _page(r)
    assert r.status_code == 422 and p["lang"] == "it"
    assert p["rows"] == [("parametro anno dell'indirizzo", "valore non valido",
                          "un numero intero", '"duemila"')]
    # a back link to another site is never offered
    r = c.get("/t/cuneo/esecuzioni/abc/risultati", headers={"Referer": "https://elsewhere.example/t/x"})
    assert _page(r)["back"] is None


def test_the_api_keeps_its_json_answer(app):
    c = _client(app, lang="en")  # the pages' cookie says English: the API does not read it
    r = c.post("/api/login", json={"password": "x"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["id"] == "api.invalid.missing" and body["fields"]["field"] == "username"
    assert body["detail"] == "campo username del corpo JSON: manca (è obbligatorio)"
    r = c.get("/api/tenants/brescia/runs?lang=en")
    assert r.status_code == 404 and r.json()["detail"] == "no tenant 'brescia'"
    r = c.get("/api/prova-uso?lang=en")
    assert r.status_code == 400 and r.json()["detail"].startswith("choose a sample year")
    r = c.get("/api/prova-guasto")
    assert r.status_code == 500 and r.text == "Internal Server Error"


@pytest.mark.parametrize("lang,missing,csrf,method", [
    ("it", "Pagina non trovata", "Modulo scaduto o non valido (CSRF)", "Questa pagina non si apre così"),
    ("en", "Page not found", "The form expired or is not valid (CSRF)", "This page does not open this way"),
])
def test_403_404_405_are_pages_in_the_users_language(app, lang, missing, csrf, method):
    c = _client(app, lang=lang)
    r = c.get("/t/brescia/amministrazione")  # another tenant: 404, nothing said about it
    p = _page(r)
    assert r.status_code == 404 and p["lang"] == lang and p["title"] == missing
    assert "brescia" not in r.text.lower() and not p["frame"]
    r = c.get("/t/cuneo/esecuzioni/99/risultati")  # not a run of the tenant
    assert r.status_code == 404 and _page(r)["title"] == missing
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": "forged"})
    p = _page(r)
    assert r.status_code == 403 and p["lang"] == lang and p["detail"].startswith(csrf)
    r = c.get("/logout")  # a form's address opened as a page
    p = _page(r)
    assert r.status_code == 405 and p["detail"].startswith(method) and "Method Not Allowed" not in r.text


def test_an_edge_error_and_an_unexpected_one_are_pages(app):
    c = _client(app, lang="en")
    r = c.get("/t/cuneo/prova-uso")
    p = _page(r)
    assert r.status_code == 400 and p["lang"] == "en" and p["frame"]
    assert p["detail"].startswith("choose a sample year or upload a data file")
    r = c.get("/t/cuneo/prova-guasto")
    p = _page(r)
    assert r.status_code == 500 and p["lang"] == "en" and p["title"] == "Service error"
    assert "a bug" not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    r = c.get("/t/cuneo/prova-guasto?lang=it")
    assert r.status_code == 500 and _page(r)["title"] == "Errore del servizio"
    r = c.get("/t/cuneo/prova-uso?lang=it")
    assert _page(r)["detail"].startswith("scegli un anno di esempio")
    assert _page(c.get("/t/cuneo/prova-guasto"))["lang"] == "it"  # remembered
