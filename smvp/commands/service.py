"""``smvp serve`` and ``smvp user add|grant|revoke``: the service and its accounts."""

from __future__ import annotations

import getpass
import os
import sys

from rich.console import Console

from smvp import store
from smvp.errors import UsageProblem


def _password(password: str | None, stdin: bool) -> str:
    if password is not None:
        return password
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("SMVP_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise UsageProblem("no password: give --password-stdin (or $SMVP_PASSWORD)")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Ripeti la password: ") != first:
        raise UsageProblem("the two passwords differ")
    return first


def user_add(*, username: str, password: str | None, stdin: bool, db: str | None,
             out: Console) -> int:
    from smvp.app import accounts

    engine = store.open_engine(db)
    try:
        accounts.add_user(engine, username, _password(password, stdin))
    finally:
        engine.dispose()
    out.print(f"Utente {username} creato.", highlight=False, markup=False)
    return 0


def user_grant(*, username: str, tenant: str, role: str, person: str | None, db: str | None,
               out: Console) -> int:
    from smvp.app import accounts

    engine = store.open_engine(db)
    try:
        m = accounts.grant(engine, username, tenant, role, person_id=person)
    finally:
        engine.dispose()
    out.print(f"{username}: ruolo {m.role} in {tenant}"
              + (f" (persona {m.person_id})" if m.person_id else "") + ".",
              highlight=False, markup=False)
    return 0


def user_revoke(*, username: str, tenant: str, role: str | None, db: str | None,
                out: Console) -> int:
    from smvp.app import accounts

    engine = store.open_engine(db)
    try:
        n = accounts.revoke(engine, username, tenant, role)
    finally:
        engine.dispose()
    out.print(f"{username}: {n} ruoli revocati in {tenant}.", highlight=False, markup=False)
    return 0 if n else 1


def migrate(*, revision: str, db: str | None, out: Console) -> int:
    """Upgrade or downgrade the database's schema to ``revision`` (``store.db.migrate``)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    # not open_engine: it would first bring an older database to the newest schema
    engine = create_engine(store.database_url(db))
    try:
        with engine.connect() as conn:
            before = store.db.schema_revision(conn)
        try:
            store.db.migrate(engine, revision)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        except (RuntimeError, SQLAlchemyError) as exc:
            raise store.StoreProblem(f"migration to {revision} refused: "
                                     f"{store.short_error(exc)}; nothing was changed") from exc
        with engine.connect() as conn:
            after = store.db.schema_revision(conn)
    finally:
        engine.dispose()
    out.print(f"Schema: {before or 'vuoto'} → {after or 'vuoto'} "
              f"({store.display_url(str(engine.url))}).", highlight=False, markup=False)
    return 0


def serve(*, host: str, port: int, db: str | None, demo: bool, secure_cookies: bool,
          out: Console, workers: int = 1) -> int:
    """Run the service. With ``workers`` > 1, that many Uvicorn processes share the port
    (each its own connection pool and caches; sessions signed with one ``$SMVP_SECRET`` —
    a random one is made and handed to all when it is not set; the login rate limit is
    counted per process)."""
    import secrets

    import uvicorn

    from smvp.service.app import demo as make_demo
    from smvp.service.web import create_app  # the API with the pages beside it

    app = create_app(db, secure_cookies=secure_cookies)
    if demo:
        accounts = make_demo(app.state.engine)
        out.print(f"Demo: {len(accounts)} utenti (password {accounts[0]['password']}):",
                  highlight=False, markup=False)
        for a in accounts:
            out.print(f"  {a['username']:<28} {a['role']:<15} tenant {a['tenant']}",
                      highlight=False, markup=False)
    out.print(f"smvp serve: http://{host}:{port}/login (pagine), http://{host}:{port}/docs (API), database "
              f"{store.display_url(str(app.state.engine.url))}"
              + (f", {workers} processi" if workers > 1 else ""), highlight=False, markup=False)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_keep_alive=30)
        return 0
    app.state.engine.dispose()
    os.environ["SMVP_DATABASE_URL"] = str(app.state.engine.url.render_as_string(
        hide_password=False))
    os.environ.setdefault("SMVP_SECRET", secrets.token_urlsafe(32))
    os.environ["SMVP_SECURE_COOKIES"] = "1" if secure_cookies else ""
    uvicorn.run("smvp.service.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="info", timeout_keep_alive=30)
    return 0
