"""The amministratore's and revisore's workbench pages in headless Chromium (issue 11): the
profile editor with the validator's located errors, the cycle's actual dates and deadlines,
the downloads of a run, the OIV report, the revisore's comparison and verify — against one
live server for the module (tests/web_support.py) and the app layer's own answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from documents_support import chromium
from web_support import login, screenshot_dir, start

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s, stop = start(tmp_path_factory.mktemp("workbench"))
    yield s
    stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium")) as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshot_dir(tmp_path_factory.mktemp("shots"))


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
