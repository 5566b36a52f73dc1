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

from smvp.service.web import Directory, Grant, Tenant, create_app

SECRET = "test-secret-not-for-production"
PASSWORD = "parola-d-ordine"
TODAY = dt.date(2025, 5, 20)  # the day the pages believe it is (terms, drafts)
USERS = {
    "anna": ("Anna Amministratrice", [Grant("cuneo", "amministratore")]),
    "elena": ("Elena Audisio", [Grant("cuneo", "dipendente", person_id="P012")]),
    "vale": ("Valerio Valutatore", [Grant("cuneo", "valutatore", unit_id="AREA1")]),
    "olga": ("Olga OIV", [Grant("cuneo", "oiv")]),
    "remo": ("Remo Revisore", [Grant("cuneo", "revisore")]),
    "bruno": ("Bruno di Brescia", [Grant("brescia", "amministratore")]),
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


def start(tmp: Path):
    """(Site, stop) — a server on 127.0.0.1 with cuneo run 1 and brescia run 2 stored."""
    import uvicorn

    from smvp import cli

    db = f"sqlite:///{tmp / 'web.db'}"
    for chamber in ("cuneo", "brescia"):
        assert cli.main(["evaluate", "--chamber", chamber, "--db", db]) == 0
    directory = Directory()
    for username, (name, grants) in USERS.items():
        directory.add(username, PASSWORD, name, grants)
    tenants = [Tenant("cuneo", "Camera di commercio di Cuneo", "cuneo"),
               Tenant("brescia", "Camera di commercio di Brescia", "brescia")]
    app = create_app(db, directory, tenants, secret=SECRET, today=lambda: TODAY)
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
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_load_state()


def expired_cookie(username: str) -> str:
    """A session cookie signed with the server's secret ten hours ago (older than its max age)."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class TenHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 10 * 3600

    s = URLSafeTimedSerializer(SECRET, salt="smvp-web-session", signer=TenHoursAgo)
    return s.dumps({"u": username, "c": "x"})


def engine_rows(chamber: str) -> dict[str, dict]:
    """The engine's rows for the chamber's bundled sample, evaluated here (not through the pages)."""
    from smvp import engine_api
    from smvp.app import runs
    from smvp.commands.evaluate import sample_years

    profile = engine_api.load_profile(engine_api.find_chamber(chamber)[1])
    years = sample_years(chamber)
    ds = engine_api.load_dataset(years[max(years)], profile=profile)
    return {str(r["person_id"]): r for r in runs.evaluate(profile, ds).rows}
