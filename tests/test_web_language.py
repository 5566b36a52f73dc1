"""The pages' language as a user chooses it (issue 15; ``smvp.service.web.language``): ``?lang=``
on any page switches it and a cookie remembers it for the next pages; the frame shows the
switch (Italiano / English); without a choice, the deployment's language; an unknown value
changes nothing. The JSON API keeps its own rule (``?lang=`` per request)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from web_support import PASSWORD, make_app, submit_login

from smvp.service.web.language import COOKIE


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An Italian deployment (the default) with cuneo's run 1."""
    it, _ = make_app(tmp_path_factory.mktemp("language"))
    yield it
    it.state.engine.dispose()


def _login(app, username: str = "anna", *, first: str = "/login") -> TestClient:
    c = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get(first).text).group(1)
    r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _lang_of(text: str) -> str:
    """The language a page is in, by its <html lang> and its logout button / login title."""
    declared = re.search(r'<html lang="(\w+)"', text).group(1)
    said = {"Esci": "it", "Log out": "en", "Accesso": "it", "Log in": "en"}
    words = {lang for word, lang in said.items() if re.search(rf">\s*{word}\s*<", text)}
    assert words == {declared}, (declared, words)
    return declared


def _switch(text: str) -> dict[str, tuple[str, bool]]:
    """The frame's switch: language → (href, is the page's language)."""
    nav = re.search(r'<nav class="langs"[^>]*>(.*?)</nav>', text, re.S)
    assert nav, "no language switch in the frame"
    links = re.findall(r'<a href="([^"]*)" hreflang="(\w+)"[^>]*?( aria-current="true")?>([^<]*)</a>', nav.group(1))
    return {code: (html.unescape(href), bool(current), name) for href, code, current, name in links}


def test_lang_en_on_an_italian_deployment_switches_the_page_and_the_next_ones(app):
    c = _login(app)
    r = c.get("/t/cuneo/esecuzioni/1/risultati")
    assert _lang_of(r.text) == "it" and "Risultati dell&#39;esecuzione 1" in r.text
    r = c.get("/t/cuneo/esecuzioni/1/risultati?lang=en")
    assert _lang_of(r.text) == "en" and "Results of run 1" in r.text
    assert f"{COOKIE}=en" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    # the next pages, without ?lang=: still English (the cookie), forms' answers too
    r = c.get("/t/cuneo/amministrazione")
    assert _lang_of(r.text) == "en" and "Administration" in r.text and "set-cookie" not in r.headers
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf},
               files={"dataset": ("dati.txt", b"hello")})
    assert r.status_code == 422 and _lang_of(r.text) == "en"
    assert "format not recognised" in html.unescape(r.text)
    # and back to Italian, remembered too
    r = c.get("/t/cuneo/amministrazione?lang=it")
    assert _lang_of(r.text) == "it" and f"{COOKIE}=it" in r.headers["set-cookie"]
    assert _lang_of(c.get("/t/cuneo/esecuzioni/1/risultati").text) == "it"


def test_a_language_chosen_before_login_is_kept_after_it(app):
    c = _login(app, first="/login?lang=en")
    r = c.get("/t/cuneo/esecuzioni/1/risultati")  # after the redirects of the login
    assert _lang_of(r.text) == "en"
    other = _login(app)  # another browser: the deployment's language
    assert _lang_of(other.get("/t/cuneo/esecuzioni/1/risultati").text) == "it"


def test_the_frame_shows_the_switch_keeping_the_pages_query(app):
    c = _login(app)
    r = c.get("/t/cuneo/esecuzioni/1/risultati?unita=AREA1&ordina=name&verso=asc")
    links = _switch(r.text)
    assert set(links) == {"it", "en"}
    assert links["it"] == ("?unita=AREA1&ordina=name&verso=asc&lang=it", True, "Italiano")
    assert links["en"] == ("?unita=AREA1&ordina=name&verso=asc&lang=en", False, "English")
    # following the English link: the same table, in English, the switch now on English
    r = c.get("/t/cuneo/esecuzioni/1/risultati" + links["en"][0])
    assert _lang_of(r.text) == "en" and _switch(r.text)["en"][1] and not _switch(r.text)["it"][1]
    assert "?unita=AREA1&ordina=name&verso=asc&lang=it" == _switch(r.text)["it"][0]
    # on the login page too (no one logged in), named each in its own language
    login = TestClient(app).get("/login?lang=en").text
    assert {k: v[2] for k, v in _switch(login).items()} == {"it": "Italiano", "en": "English"}
    assert re.search(r'<a href="\?lang=it" hreflang="it" lang="it"', login)


def test_a_form_answer_links_the_switch_to_the_forms_page(app):
    """A page answering a POST whose address has no GET page (the evaluation's form): the
    switch goes to the page the form was sent from, never to an address that answers 405."""
    c = _login(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/t/cuneo/amministrazione").text).group(1)
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf},
               files={"dataset": ("dati.txt", b"hello")},
               headers={"Referer": "http://testserver/t/cuneo/amministrazione"})
    assert r.status_code == 422
    assert _switch(r.text)["en"][0] == "/t/cuneo/amministrazione?lang=en"
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": csrf},
               files={"dataset": ("dati.txt", b"hello")}, headers={"Referer": "http://elsewhere.example/x"})
    assert _switch(r.text)["en"][0] == "/?lang=en"


@pytest.mark.parametrize("value", ["xx", "", "EN-GB", "de", "it;drop"])
def test_an_unknown_lang_value_falls_back_cleanly(app, value):
    c = _login(app)
    r = c.get("/t/cuneo/esecuzioni/1/risultati", params={"lang": value})
    assert r.status_code == 200 and _lang_of(r.text) == "it"  # the deployment's
    assert COOKIE not in r.headers.get("set-cookie", "")
    c.get("/t/cuneo/amministrazione?lang=en")
    r = c.get("/t/cuneo/esecuzioni/1/risultati", params={"lang": value})
    assert _lang_of(r.text) == "en"  # the language chosen before stays
    c.cookies.set(COOKIE, value or "zz")  # a cookie the service never wrote: ignored
    assert _lang_of(c.get("/t/cuneo/amministrazione").text) == "it"


def test_an_english_deployment_switches_to_italian(tmp_path):
    from web_support import SECRET, TODAY

    from smvp.service.web import create_app

    _, db = make_app(tmp_path)
    en = create_app(db, secret=SECRET, today=lambda: TODAY, lang="en")
    try:
        c = _login(en)
        assert _lang_of(c.get("/t/cuneo/amministrazione").text) == "en"
        assert _lang_of(c.get("/t/cuneo/amministrazione?lang=it").text) == "it"
        assert _lang_of(c.get("/t/cuneo/esecuzioni/1/risultati").text) == "it"
    finally:
        en.state.engine.dispose()


def test_a_background_job_keeps_the_language_of_the_request_that_started_it(app):
    from smvp.i18n import t
    from smvp.service.web.jobs import registry

    c = _login(app)
    c.get("/t/cuneo/amministrazione?lang=en")
    page = c.get("/t/cuneo/esecuzioni/1/risultati").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post("/t/cuneo/esecuzioni/1/schede", data={"csrf": csrf, "unita": "UFF111"},
               follow_redirects=False)
    assert r.status_code == 303
    job_id = r.headers["location"].rsplit("/", 1)[1]
    job = registry(app).get(job_id, tenant="cuneo", user_id=job_user(app, "anna"))
    assert job is not None and job.lang == "en" and job.title == t("web.jobs.title", "en", run=1)
    c.get("/t/cuneo/amministrazione?lang=it")  # the user switches meanwhile: the job keeps its own
    assert job.lang == "en"
    assert _lang_of(c.get(f"/t/cuneo/lavori/{job_id}").text) == "it"


def job_user(app, username: str) -> int:
    from smvp.app import accounts

    return int(accounts.find_user(app.state.engine, username).id)


def test_the_api_keeps_its_own_rule(app):
    """The cookie is the pages': the JSON API answers in ?lang= else the deployment's, and a
    ?lang= on the API remembers nothing."""
    c = _login(app)
    c.get("/t/cuneo/amministrazione?lang=en")
    r = c.get("/api/tenants/brescia/runs")
    assert r.status_code == 404 and r.json()["detail"] == "nessun ente 'brescia'"
    r = c.get("/api/tenants/brescia/runs?lang=it")
    assert "set-cookie" not in r.headers
    r = c.get("/api/tenants/brescia/runs?lang=en")
    assert r.json()["detail"] == "no tenant 'brescia'" and "set-cookie" not in r.headers


@pytest.fixture(scope="module")
def italian_site(tmp_path_factory):
    from web_support import start

    s, stop = start(tmp_path_factory.mktemp("web-lang"))
    yield s
    stop()


def test_the_switch_in_chromium(italian_site, browser):
    """In headless Chromium on an Italian deployment: «English» on the login page, log in, the
    next page is English; «Italiano» brings Italian back, and it stays."""
    ctx = browser.new_context(locale="it-IT")
    page = ctx.new_page()
    page.goto(italian_site.url + "/login")
    assert page.locator("html").get_attribute("lang") == "it"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    submit_login(page, "anna", lang="en")
    page.goto(italian_site.url + "/t/cuneo/esecuzioni/1/risultati")
    text = page.inner_text("body")
    assert "Results of run 1" in text and "Log out" in text
    assert page.get_by_test_id("lang-en").get_attribute("aria-current") == "true"
    page.get_by_test_id("lang-it").click()
    page.wait_for_load_state()
    assert "Risultati dell'esecuzione 1" in page.inner_text("body")
    page.locator('header nav a[href="/t/cuneo/amministrazione"]').click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "it" and "Esci" in page.inner_text("body")
    ctx.close()
