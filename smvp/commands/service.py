"""``smvp serve`` and ``smvp user add|grant|revoke``: the service and its accounts."""

from __future__ import annotations

import getpass
import os
import sys

from rich.console import Console

from smvp import store
from smvp.errors import UsageProblem
from smvp.i18n import t
from smvp_engine.errors import Msg


def _password(password: str | None, stdin: bool, lang: str = "it") -> str:
    if password is not None:
        return password
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("SMVP_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise UsageProblem(Msg("no password: give --password-stdin (or $SMVP_PASSWORD)"))
    first = getpass.getpass(t("user.password", lang))
    if getpass.getpass(t("user.password_again", lang)) != first:
        raise UsageProblem(Msg("the two passwords differ"))
    return first


def user_add(*, username: str, password: str | None, stdin: bool, db: str | None,
             out: Console, lang: str = "it") -> int:
    from smvp.app import accounts

    engine = store.open_engine(db)
    try:
        accounts.add_user(engine, username, _password(password, stdin, lang))
    finally:
        engine.dispose()
    out.print(t("user.created", lang, user=username), highlight=False, markup=False)
    return 0


def user_grant(*, username: str, tenant: str, role: str, person: str | None, db: str | None,
               out: Console, lang: str = "it") -> int:
    from smvp.app import accounts

    engine = store.open_engine(db)
    try:
        m = accounts.grant(engine, username, tenant, role, person_id=person)
    finally:
        engine.dispose()
    out.print(t("user.granted_person" if m.person_id else "user.granted", lang, user=username, role=m.role,
                tenant=tenant, person=m.person_id), highlight=False, markup=False)
    return 0


def user_revoke(*, username: str, tenant: str, role: str | None, db: str | None,
                out: Console, lang: str = "it") -> int:
    from smvp.app import accounts

    engine = store.open_engine(db)
    try:
        n = accounts.revoke(engine, username, tenant, role)
    finally:
        engine.dispose()
    out.print(t("user.revoked", lang, user=username, n=n, tenant=tenant), highlight=False, markup=False)
    return 0 if n else 1


def migrate(*, revision: str, db: str | None, out: Console, lang: str = "it") -> int:
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
            raise UsageProblem(exc.args[0] if exc.args else str(exc)) from None  # a Msg (store.db.migrate)
        except (RuntimeError, SQLAlchemyError) as exc:
            said = exc.args[0] if isinstance(exc, RuntimeError) and exc.args else None  # a migration's Msg
            why = said if getattr(said, "template", None) is not None else store.short_error(exc)
            raise store.StoreProblem(Msg("migration to {revision} refused: {why}; nothing was changed",
                                         revision=revision, why=why)) from exc
        with engine.connect() as conn:
            after = store.db.schema_revision(conn)
    finally:
        engine.dispose()
    empty = t("migrate.empty", lang)
    out.print(t("migrate.done", lang, before=before or empty, after=after or empty,
                url=store.display_url(str(engine.url))), highlight=False, markup=False)
    return 0


def serve(*, host: str, port: int, db: str | None, demo: bool, secure_cookies: bool,
          out: Console, workers: int = 1, lang: str = "it") -> int:
    """Run the service. With ``workers`` > 1, that many Uvicorn processes share the port
    (each its own connection pool and caches; sessions signed with one ``$SMVP_SECRET`` —
    a random one is made and handed to all when it is not set; the login rate limit is
    counted per process)."""
    import secrets

    import uvicorn

    from smvp.service.app import demo as make_demo
    from smvp.service.web import create_app  # the API with the pages beside it

    app = create_app(db, secure_cookies=secure_cookies, lang=lang)  # the pages' and the API's default
    if demo:
        accounts = make_demo(app.state.engine)
        out.print(t("serve.demo", lang, n=len(accounts), password=accounts[0]["password"]),
                  highlight=False, markup=False)
        for a in accounts:
            out.print(t("serve.demo_user", lang, user=f"{a['username']:<28}", role=f"{a['role']:<15}",
                        tenant=a["tenant"]), highlight=False, markup=False)
    url = store.display_url(str(app.state.engine.url))
    out.print(t("serve.listening_workers" if workers > 1 else "serve.listening", lang,
                base=f"http://{host}:{port}", url=url, workers=workers), highlight=False, markup=False)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_keep_alive=30)
        return 0
    app.state.engine.dispose()
    os.environ["SMVP_DATABASE_URL"] = str(app.state.engine.url.render_as_string(
        hide_password=False))
    os.environ.setdefault("SMVP_SECRET", secrets.token_urlsafe(32))
    os.environ["SMVP_SECURE_COOKIES"] = "1" if secure_cookies else ""
    os.environ["SMVP_LANG"] = lang
    # each worker process: the API and the pages (smvp.service.web), configured by the environment
    uvicorn.run("smvp.service.web:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="info", timeout_keep_alive=30)
    return 0
