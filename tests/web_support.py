"""Shared by the page tests: one live server per test session on a loopback port (uvicorn in a
thread), a demo database with stored runs, accounts for every role, and the engine's own numbers
to check the pages against."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from smvp.service.web import create_app

SECRET = "test-secret-not-for-production"
PASSWORD = "parola-d-ordine"
TODAY = dt.date(2025, 5, 20)  # the day the pages believe it is (terms, drafts)
#: username → (tenant, role, person_id): stored accounts (``smvp.app.accounts``, as
#: ``smvp user add`` / ``smvp user grant``). The valutatore is P001, head of AREA1 (Cuneo).
USERS = {
    "anna": ("cuneo", "amministratore", None),
    "elena": ("cuneo", "dipendente", "P012"),
    "marco": ("cuneo", "dipendente", "P013"),
    "vale": ("cuneo", "valutatore", "P001"),
    "olga": ("cuneo", "oiv", None),
    "remo": ("cuneo", "revisore", None),
    "bruno": ("brescia", "amministratore", None),
}


@dataclass
class Site:
    url: str
    db: str
    app: object


def screenshot_dir(tmp: Path) -> Path:
    """docs/web/ when SMVP_SCREENSHOTS=1 (to refresh the documentation), else a temporary folder."""
    if os.environ.get("SMVP_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parent.parent / "docs" / "web"
    return tmp


def make_app(tmp: Path, *, uploads: bool = False, lang: str = "it"):
    """The service with its pages on a new SQLite file: cuneo run 1 and brescia run 2 stored
    (``smvp evaluate``; with ``uploads`` as the service does it: the bundled profile as
    version 1 and the newest sample year uploaded as dataset 1 and 2, then evaluated), the
    accounts of :data:`USERS`; the pages in ``lang`` (``smvp serve --lang``)."""
    from smvp import cli, store
    from smvp.app import accounts

    db = f"sqlite:///{tmp / 'web.db'}"
    if uploads:
        engine = store.open_engine(db)
        for chamber in ("cuneo", "brescia"):
            upload_sample(engine, chamber)
        engine.dispose()
    else:
        for chamber in ("cuneo", "brescia"):
            assert cli.main(["evaluate", "--chamber", chamber, "--db", db]) == 0
    engine = store.open_engine(db)
    for username, (tenant, role, person) in USERS.items():
        accounts.add_user(engine, username, PASSWORD)
        accounts.grant(engine, username, tenant, role, person_id=person)
    engine.dispose()
    return create_app(db, secret=SECRET, today=lambda: TODAY, lang=lang), db


def upload_sample(engine, chamber: str) -> int:
    """The chamber's tenant with its bundled profile (version 1) and newest sample year
    uploaded and evaluated (``smvp.app``, as ``smvp serve --demo``); the run's id."""
    from smvp import engine_api, store
    from smvp.app import runs, uploads
    from smvp.commands.evaluate import sample_years
    from smvp.service.app import _zip_folder

    tenant = store.tenants.create_tenant(engine, chamber)
    scoped = store.scoped(engine, tenant.id)
    found = engine_api.find_chamber(chamber)
    pv = uploads.add_profile_version(scoped, text=found[1].read_text("utf-8"),
                                     filename=found[1].name, user=None)
    years = sample_years(chamber)
    path = years[max(years)]
    data, name = ((_zip_folder(path), f"{chamber}-{max(years)}.zip") if path.is_dir()
                  else (path.read_bytes(), path.name))
    got = uploads.add_dataset(scoped, data=data, filename=name, version_id=pv.id, year=None,
                              user=None)
    return runs.evaluate_upload(scoped, int(got.upload.id), user=None)[0]


def start(tmp: Path, *, uploads: bool = False, lang: str = "it"):
    """(Site, stop) — a server on 127.0.0.1 with cuneo run 1 and brescia run 2 stored, its
    pages in ``lang``."""
    import uvicorn

    app, db = make_app(tmp, uploads=uploads, lang=lang)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return Site(f"http://127.0.0.1:{port}", db, app), stop


def login(page, site: Site, username: str) -> None:
    page.goto(site.url + "/login")
    submit_login(page, username)


def submit_login(page, username: str, lang: str = "it") -> None:
    """Fill and send the login form of the page the browser is on, as labelled in ``lang``."""
    page.get_by_label("Nome utente" if lang == "it" else "Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi" if lang == "it" else "Log in").click()
    page.wait_for_load_state()


def client(app, username: str | None = "anna", *, lang: str | None = None,
           raise_server_exceptions: bool = True):
    """A TestClient of ``app``, in ``lang`` when given (``/login?lang=``: the cookie a user's
    choice leaves), logged in as ``username`` when given (the login form, CSRF token and all)."""
    import re

    from fastapi.testclient import TestClient

    c = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    if lang:
        c.get(f"/login?lang={lang}")
    if username:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    return c


def expired_cookie(site: Site, username: str) -> str:
    """A session cookie of ``username`` signed with the server's secret ten hours ago (older
    than the service's 8-hour sessions)."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from smvp.app import accounts

    class TenHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 10 * 3600

    uid = accounts.find_user(site.app.state.engine, username).id
    s = URLSafeTimedSerializer(SECRET, salt="smvp-session", signer=TenHoursAgo)
    return s.dumps({"uid": uid, "csrf": "x"})


def engine_rows(chamber: str) -> dict[str, dict]:
    """The engine's rows for the chamber's bundled sample, evaluated here (not through the pages)."""
    from smvp import engine_api
    from smvp.app import runs
    from smvp.commands.evaluate import sample_years

    profile = engine_api.load_profile(engine_api.find_chamber(chamber)[1])
    years = sample_years(chamber)
    ds = engine_api.load_dataset(years[max(years)], profile=profile)
    return {str(r["person_id"]): r for r in runs.evaluate(profile, ds).rows}
