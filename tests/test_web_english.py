"""Every page of the service read in English (``smvp serve --lang en``) says no Italian word of
its own, and the same pages in Italian (the default) still say them in Italian (issue 15: the
templates' words come from the catalogue, tests/test_catalogue.py). The data keep their words
(names, the profile's labels): the tell-tale words below are the pages' own, never data's."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
import web_support
from fastapi.testclient import TestClient
from web_support import SECRET, TODAY, make_app, submit_login

# Words of the pages' own that an English page must not show (whole words, case as written)…
ITALIAN = ["Valutazione", "Valuta", "Salva", "Esci", "Anno", "Risultati", "Scarica",
           "Torna", "Nessuna", "Confronta", "Revisione", "Amministrazione", "Esecuzioni",
           "Verifica", "Persone", "Calendario", "Scadenza", "Documenti", "Carica", "Accedi", "Motivi",
           "Giudizio", "Premio", "Erogato", "Fondi", "Richiesta", "Riesami", "Vai", "Registra",
           "Profilo", "Matricola", "Ruolo", "Stato", "Pagina"]
# (and these, looked for on the English pages only: not every one shows on an Italian page of this run)
ITALIAN_TOO = ["Conciliazione", "Nessun", "Procedura", "Nome", "Modifiche", "Dati"]
# …and the English an Italian page must not show.
ENGLISH = ["Save", "Log out", "Year", "Results", "Download", "Back", "Compare", "Verify", "People",
           "Calendar", "Deadline", "Evaluation", "Review", "Skip", "Page not found", "Record",
           "Profile", "Role", "State", "Judgement", "Premium"]


def _profile_texts() -> list[str]:
    """Every text of cuneo's bundled profile (labels, sources, steps, judgements; a document's
    title also as cited, up to its first comma) and of its sample year's CSV files (names,
    objectives): data that keeps its words in both languages, longest first."""
    import csv

    import yaml

    from smvp import engine_api
    from smvp.commands.evaluate import sample_years

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                yield from walk(k)
                yield from walk(x)
        elif isinstance(v, list):
            for x in v:
                yield from walk(x)
        elif isinstance(v, str) and len(v) >= 4:
            yield " ".join(v.split())
            yield v.split(",")[0].strip()

    texts = set(walk(yaml.safe_load(engine_api.find_chamber("cuneo")[1].read_text("utf-8"))))
    for table in sample_years("cuneo")[2024].glob("*.csv"):
        with table.open(encoding="utf-8") as f:
            texts |= set(walk(list(csv.reader(f))))
    return sorted((t for t in texts if len(t) >= 4), key=len, reverse=True)


def pages_own(text: str) -> str:
    """``text`` without the profile's texts: the pages' own words (the engine's reasons on the
    calendar, why a step is conditional or a deadline moved, are the pages' words too)."""
    for data in _profile_texts():
        text = text.replace(data, " ")
    return text


class _Visible(HTMLParser):
    """The text a reader sees (text nodes, title/aria-label/placeholder/alt, an input button's
    value), without scripts, styles and the form's own values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea"):
            self.skip += 1
        a = dict(attrs)
        for name in ("title", "aria-label", "placeholder", "alt"):
            if a.get(name):
                self.parts.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.parts.append(a["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(page: str) -> str:
    v = _Visible()
    v.feed(page)
    return " ".join(" ".join(v.parts).split())


def found(words: list[str], text: str) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w']){re.escape(w)}(?!\w)", text)]


def _client(app, username: str | None) -> TestClient:
    return web_support.client(app, username)


#: (user, path, status) — every page of every role on cuneo's run 1 (uploaded: profile
#: version 1, dataset 1), with the comparison and its impact, a request of review and the
#: conciliation case it opened, an error page
PAGES = [
    (None, "/login", 200),
    ("anna", "/", 200),
    ("anna", "/t/cuneo/amministrazione", 200),
    ("anna", "/t/cuneo/amministrazione/calendario?anno=2025", 200),
    ("anna", "/t/cuneo/amministrazione/profilo", 200),
    ("anna", "/t/cuneo/esecuzioni/1/risultati", 200),
    ("anna", "/t/cuneo/esecuzioni/1/persone/P012", 200),
    ("anna", "/t/cuneo/esecuzioni/1/rapporto-oiv", 200),
    ("anna", "/t/cuneo/esecuzioni/1/nessuna-pagina", 404),
    ("remo", "/t/cuneo/revisione?vecchia=v1&nuova=smvp&impatto=1", 200),
    ("remo", "/t/cuneo/revisione/verifica/1", 200),
    ("elena", "/t/cuneo/scheda", 200),
    ("vale", "/t/cuneo/valutazioni", 200),
    ("vale", "/t/cuneo/valutazioni/1/P012", 200),
    ("vale", "/t/cuneo/conciliazione", 200),
    ("vale", "/t/cuneo/conciliazione/cuneo-1", 200),
    ("olga", "/t/cuneo/oiv", 200),
]


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """The same database served in Italian (the default) and in English, with a case of
    conciliation on P012 (the valutatore P001's)."""
    from smvp import store
    from smvp.app import conciliation as cases
    from smvp.service.web import create_app

    it, db = make_app(tmp_path_factory.mktemp("english"), uploads=True)
    cases.open_case(store.scoped(it.state.engine, 1), chamber="cuneo", run_id=1, person_id="P012",
                    delivered=TODAY - dt.timedelta(days=5), note="riesame", as_of=TODAY)
    en = create_app(db, secret=SECRET, today=lambda: TODAY, lang="en")
    yield {"it": it, "en": en}
    for app in (it, en):
        app.state.engine.dispose()


def _pages(app) -> dict[str, str]:
    out, clients = {}, {}
    for user, path, status in PAGES:
        c = clients.get(user) or clients.setdefault(user, _client(app, user))
        r = c.get(path)
        assert r.status_code == status, (user, path, r.status_code, r.text[-2000:])
        out[path] = visible(r.text)
    return out


def test_every_page_in_english_says_no_italian_word_of_its_own(apps):
    en = _pages(apps["en"])
    said = {path: found(ITALIAN + ITALIAN_TOO, pages_own(text)) for path, text in en.items()}
    assert {path: words for path, words in said.items() if words} == {}
    assert "Log out" in en["/t/cuneo/amministrazione"] and "Page not found" in en["/t/cuneo/esecuzioni/1/nessuna-pagina"]


def test_the_same_pages_in_italian_still_speak_italian(apps):
    it = _pages(apps["it"])
    assert {path: found(ENGLISH, text) for path, text in it.items() if found(ENGLISH, text)} == {}
    every = " ".join(pages_own(text) for text in it.values())
    assert found(ITALIAN, every) == ITALIAN  # each tell-tale word is the pages' own: Italian shows it


def test_the_scan_sees_a_planted_word():
    assert found(ITALIAN, visible('<p title="Salva">x</p><main>Anno 2024</main><script>"Esci"</script>')) == ["Salva", "Anno"]
    assert found(ITALIAN, visible("<p>Annotazioni dell'Anno'</p>")) == []
    assert found(ITALIAN, pages_own("Judgement Valutazione positiva · Valutazione")) == ["Valutazione"]


@pytest.fixture(scope="module")
def english_site(tmp_path_factory):
    from web_support import start

    s, stop = start(tmp_path_factory.mktemp("web-en"), uploads=True, lang="en")
    yield s
    stop()


def test_the_english_pages_in_chromium(english_site, browser):
    """Two pages as a browser shows them (headless Chromium): logging in and the results of the
    run, in English, with no Italian word of the pages' own."""
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    page.goto(english_site.url + "/login")
    assert found(ITALIAN + ITALIAN_TOO, page.inner_text("body")) == []
    submit_login(page, "anna", lang="en")
    page.goto(english_site.url + "/t/cuneo/esecuzioni/1/risultati")
    text = page.inner_text("body")
    assert "Results per person" in text and "Log out" in text
    assert found(ITALIAN + ITALIAN_TOO, pages_own(" ".join(text.split()))) == []
    ctx.close()
