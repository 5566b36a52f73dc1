"""Access rules of the pages without a browser (FastAPI's test client): login, CSRF, tenants
and roles (404, never 403, for what a user must not learn exists), bad uploads."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from web_support import PASSWORD, make_app

from smvp import store
from smvp.store.tables import DatasetUpload, ProfileVersion


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("access"))[0]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def client(app, username: str | None) -> TestClient:
    c = TestClient(app)
    if username:
        r = c.post("/login", data={"username": username, "password": PASSWORD,
                                   "csrf": _csrf(c.get("/login").text)}, follow_redirects=False)
        assert r.status_code == 303 and "smvp_session" in c.cookies, r.text[:200]
    return c


def test_login_refuses_a_wrong_password_and_a_missing_form_token(app):
    c = TestClient(app)
    tok = _csrf(c.get("/login").text)
    r = c.post("/login", data={"username": "anna", "password": "sbagliata", "csrf": tok})
    assert r.status_code == 401 and "non corretti" in r.text
    r = c.post("/login", data={"username": "anna", "password": PASSWORD, "csrf": "forged"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?error=csrf"
    assert "smvp_session" not in c.cookies


def test_pages_need_a_session(app):
    r = TestClient(app).get("/t/cuneo/amministrazione", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_session_cookie_is_signed_and_http_only(app):
    c = TestClient(app)
    r = c.post("/login", data={"username": "anna", "password": PASSWORD,
                               "csrf": _csrf(c.get("/login").text)}, follow_redirects=False)
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("smvp_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    value = cookie.split(";")[0].split("=", 1)[1]
    forged = TestClient(app, cookies={"smvp_session": value[:-2] + "xx"})
    assert forged.get("/t/cuneo/amministrazione", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("who,url", [
    ("bruno", "/t/cuneo/amministrazione"),                    # another tenant's page
    ("bruno", "/t/brescia/esecuzioni/1/risultati"),           # cuneo's run through brescia
    ("bruno", "/t/brescia/esecuzioni/1/risultati.xlsx"),
    ("anna", "/t/cuneo/esecuzioni/2/risultati"),              # brescia's run through cuneo
    ("anna", "/t/cuneo/esecuzioni/999/risultati"),            # no such run: the same answer
    ("elena", "/t/cuneo/esecuzioni/1/persone/P013"),          # a colleague
    ("elena", "/t/cuneo/esecuzioni/1/persone/P013/scheda.pdf"),
    ("elena", "/t/cuneo/esecuzioni/1/risultati"),             # a page of another role
    ("vale", "/t/cuneo/esecuzioni/1/persone/P075"),           # outside the valutatore's area
    ("olga", "/t/cuneo/amministrazione"),
    ("remo", "/t/cuneo/amministrazione"),
])
def test_what_a_user_must_not_see_is_not_found(app, who, url):
    r = client(app, who).get(url, follow_redirects=False)
    assert r.status_code == 404, (who, url, r.status_code)
    assert "Pagina non trovata" in r.text


def test_valutatore_sees_the_people_of_their_area(app):
    c = client(app, "vale")  # AREA1: SERV11, SERV12 and their offices
    assert c.get("/t/cuneo/esecuzioni/1/persone/P012").status_code == 200
    assert c.get("/t/cuneo/esecuzioni/1/persone/P003").status_code == 200


def test_forms_refuse_a_missing_csrf_token(app):
    c = client(app, "anna")
    before = store.list_runs(app.state.engine)
    r = c.post("/t/cuneo/amministrazione/valuta", data={"sample": "2024"})
    assert r.status_code == 403
    assert len(store.list_runs(app.state.engine)) == len(before)


def test_a_dataset_with_errors_shows_them_located_and_stores_nothing(app):
    import openpyxl
    from web_support import engine_rows  # noqa: F401 - same sample the pages evaluate

    c = client(app, "anna")
    tok = _csrf(c.get("/t/cuneo/amministrazione").text)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "staff"
    ws.append(["person_id", "name", "role", "unit_id"])
    ws.append(["P1", "Rossi Mario", "dipendente", "U1"])
    buf = io.BytesIO()
    wb.save(buf)
    before = len(store.list_runs(app.state.engine))
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": tok},
               files={"dataset": ("cuneo-2024.xlsx", buf.getvalue(),
                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert r.status_code == 422
    assert 'data-testid="dataset-errors"' in r.text and "nulla è stato salvato" in r.text
    assert "units" in r.text  # the missing table is named
    assert len(store.list_runs(app.state.engine)) == before
    # the tenant had no profile version: the bundled one is not stored as v1 by a failed upload
    with Session(app.state.engine) as s:
        assert s.exec(select(ProfileVersion)).all() == []
        assert s.exec(select(DatasetUpload)).all() == []
    r = c.post("/t/cuneo/amministrazione/valuta", data={"csrf": tok},
               files={"dataset": ("dati.txt", b"x", "text/plain")})
    assert r.status_code == 422 and "dati.txt: formato non riconosciuto (atteso un file .xlsx" in r.text


def test_static_files_are_package_data(app):
    c = TestClient(app)
    assert c.get("/static/htmx.min.js").content.startswith(b"var htmx")
    assert c.get("/static/web.css").status_code == 200
    assert c.get("/static/../pyproject.toml").status_code == 404


def test_pages_and_api_share_the_stored_accounts_and_one_session(app):
    from smvp.app import accounts

    c = client(app, "anna")
    me = c.get("/api/me")  # the page's session cookie is the API's
    assert me.status_code == 200 and me.json()["user"] == "anna", me.text
    assert c.get("/api/tenants/brescia/runs").json()["detail"] == "nessun ente 'brescia'"  # JSON, not a page
    assert c.get("/api/tenants/brescia/runs?lang=en").json() == {
        "detail": "no tenant 'brescia'", "id": "api.no_tenant", "fields": {"tenant": "brescia"}}
    # an account added as `smvp user add` / `smvp user grant` does logs in on the pages
    accounts.add_user(app.state.engine, "nuovo-oiv", PASSWORD)
    accounts.grant(app.state.engine, "nuovo-oiv", "cuneo", "oiv")
    c2 = client(app, "nuovo-oiv")
    assert c2.get("/t/cuneo/esecuzioni/1/risultati").status_code == 200
    # a revoked role is gone at the next request of the open session (roles are not in the cookie)
    accounts.revoke(app.state.engine, "nuovo-oiv", "cuneo")
    assert c2.get("/t/cuneo/esecuzioni/1/risultati").status_code == 404


def test_login_is_rate_limited_per_name_and_client(app):
    c = TestClient(app)
    tok = _csrf(c.get("/login").text)
    for _ in range(5):
        r = c.post("/login", data={"username": "remo", "password": "no", "csrf": tok})
        assert r.status_code == 401
    r = c.post("/login", data={"username": "remo", "password": PASSWORD, "csrf": tok},
               follow_redirects=False)
    assert r.status_code == 429 and "Troppi tentativi" in r.text and int(r.headers["retry-after"]) > 0
    assert "smvp_session" not in c.cookies


def test_logout_needs_the_form_token(app):
    c = client(app, "olga")
    assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert c.get("/t/cuneo/esecuzioni/1/risultati").status_code == 200
    tok = _csrf(c.get("/t/cuneo/esecuzioni/1/risultati").text)
    r = c.post("/logout", data={"csrf": tok}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    c.cookies.clear()  # the browser drops the deleted cookie
    assert c.get("/t/cuneo/esecuzioni/1/risultati", follow_redirects=False).status_code == 303
