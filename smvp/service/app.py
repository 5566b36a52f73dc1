"""The FastAPI application: ``create_app(db)``; ``smvp serve`` runs it on Uvicorn.

Errors become 4xx responses with the message (never a 500 for bad input): the engine's
located problems (profile, dataset) are 422 ``{"errors": [...]}``, usage and upload
problems 400/413/415, conciliation refusals 409, a database problem 503.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from smvp import store
from smvp.app import accounts, uploads
from smvp.app import scores as score_uc
from smvp.app.stored_runs import StoredRuns
from smvp.conciliation import CaseProblem
from smvp.errors import EdgeError, StoreProblem, UsageProblem
from smvp.i18n import error_text, problems_found, resolve_lang
from smvp.service import api, scores_api
from smvp.service.auth import LoginLimiter, Sessions
from smvp.service.refusals import Refusal, message_body, request_lang, said
from smvp_engine.errors import SmvpError, SmvpErrors


def create_app(db: str | None = None, *, secret: str | None = None,
               max_upload: int = uploads.MAX_UPLOAD_BYTES, secure_cookies: bool = False,
               login_limit: int = 5, lang: str | None = None) -> FastAPI:
    """The service on the database ``db`` (``store.database_url`` rules), migrated to the
    newest schema. ``secret`` signs the session cookies (default ``$SMVP_SECRET``, else a
    random one: sessions then end when the process does). ``lang``: the language of answers
    to requests without ``?lang=`` (default ``$SMVP_LANG``, else Italian;
    ``smvp.service.refusals``)."""
    app = FastAPI(title="smvp", version=_version(),
                  description="Valutazione della performance (SMVP): a multi-tenant service. "
                              "See docs/api.md.")
    engine = store.open_engine(db)
    if engine.dialect.name == "sqlite":
        _sqlite_for_service(engine)
    app.state.engine = engine  # accounts and tenants (auth only)
    app.state.guarded = store.require_tenant(engine)  # tenant data: always scoped
    app.state.auth_cache = accounts.AuthCache(engine)  # who a token is, their roles
    app.state.stored_runs = StoredRuns()  # stored runs never change: read once, JSON once
    app.state.sessions = Sessions(secret or os.environ.get("SMVP_SECRET")
                                  or secrets.token_urlsafe(32))
    app.state.limiter = LoginLimiter(limit=login_limit)
    app.state.max_upload = max_upload
    app.state.secure_cookies = secure_cookies
    app.state.lang = resolve_lang(lang)
    app.include_router(api.router)
    app.include_router(scores_api.router)
    _handlers(app)
    return app


def _sqlite_for_service(engine: Any) -> None:
    """Many requests at once on one SQLite file: write-ahead logging (readers never wait for
    a writer, nor a writer for readers) and a 30 s busy wait for the write lock instead of
    the driver's 5 s (writes queue rather than fail with "database is locked")."""
    from sqlalchemy import event

    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    event.listen(engine, "connect", _on_connect)
    engine.dispose()  # connections opened before the listener: reopen with it
    if engine.url.database not in (None, "", ":memory:"):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")


def app_from_env() -> FastAPI:
    """``create_app`` configured by the environment (each worker of ``smvp serve --workers``):
    ``$SMVP_DATABASE_URL``, ``$SMVP_SECRET``, ``$SMVP_SECURE_COOKIES`` (non-empty: on)."""
    return create_app(None, secure_cookies=bool(os.environ.get("SMVP_SECURE_COOKIES")))


def _version() -> str:
    from smvp import engine_api

    return engine_api.engine_version()


def _json(status: int, detail: Any, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


#: a refused request's problem → the status answered with its message (None: the problem's
#: own ``status``); the most specific class wins (ScoreProblem is a UsageProblem)
PROBLEM_STATUS: tuple[tuple[type[Exception], int | None], ...] = (
    (uploads.UploadProblem, None), (score_uc.ScoreProblem, None), (CaseProblem, 409),
    (StoreProblem, 503), (UsageProblem, 400), (EdgeError, 400))


def edge_body(exc: Exception, lang: str) -> dict[str, Any]:
    """An edge error (``smvp.errors.EdgeError``: message and hint) as the JSON answer's body,
    said in ``lang`` (``detail``, with ``id`` and ``fields`` of a catalogue message)."""
    body = message_body(getattr(exc, "message", None) or str(exc), lang)
    body["detail"] = said(exc, lang)  # the message and its hint
    return body


def _answer(status: int | None) -> Any:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        body = edge_body(exc, request_lang(request))
        return JSONResponse(body, status_code=status or int(getattr(exc, "status", 400)))

    return handler


async def http_error(request: Request, exc: Exception) -> Response:
    """An ``HTTPException`` of the API: a :class:`Refusal` said in the caller's language
    (``detail``, ``id``, ``fields``); any other (FastAPI's own 404, 405) as FastAPI says it."""
    if isinstance(exc, Refusal):
        return JSONResponse(message_body(exc, request_lang(request)), status_code=exc.status_code,
                            headers=exc.headers)
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    return await http_exception_handler(request, exc)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(SmvpErrors)
    async def _engine_errors(request: Request, exc: SmvpErrors) -> JSONResponse:
        lang = request_lang(request)
        errors = [error_text(e, lang) for e in exc.errors]
        return _json(422, problems_found(len(errors), lang).rstrip(":"), errors=errors)

    @app.exception_handler(SmvpError)
    async def _engine_error(request: Request, exc: SmvpError) -> JSONResponse:
        text = error_text(exc, request_lang(request))
        return _json(422, text, errors=[text])

    for problem, status in PROBLEM_STATUS:
        app.add_exception_handler(problem, _answer(status))

    app.add_exception_handler(StarletteHTTPException, http_error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        from smvp.service import invalid

        return JSONResponse(invalid.body(exc.errors(), request_lang(request)), status_code=422)


# --------------------------------------------------------------------------- demo


def demo(engine: Any, *, password: str = "demo-smvp-2024", evaluate: bool = True
         ) -> list[dict[str, str]]:
    """A demo tenant per bundled chamber: its bundled profile as version 1, its newest
    sample year uploaded (and evaluated), and one demo user per role. Returns the accounts.

    Idempotent: an existing tenant keeps its data; existing users keep their passwords.
    """
    from smvp.app import runs as run_uc
    from smvp.commands.evaluate import sample_years
    from smvp_engine.resources import bundled_chambers

    made: list[dict[str, str]] = []
    for profile_path in sorted(bundled_chambers().glob("*.yaml")):
        chamber = profile_path.stem
        tenant = store.tenants.create_tenant(engine, chamber)
        scoped = store.scoped(engine, tenant.id)  # type: ignore[arg-type]
        if uploads.profile_version(scoped, None) is None:
            pv = uploads.add_profile_version(scoped, text=profile_path.read_text("utf-8"),
                                             filename=profile_path.name, user=None)
            years = sample_years(chamber)
            if years:
                path = years[max(years)]
                data = _zip_folder(path) if path.is_dir() else path.read_bytes()
                name = f"{chamber}-{max(years)}" + (".zip" if path.is_dir() else ".xlsx")
                try:
                    got = uploads.add_dataset(scoped, data=data, filename=name,
                                              version_id=pv.id, year=None, user=None)
                except (SmvpErrors, EdgeError):
                    got = None
                if got is not None and evaluate:
                    profile = uploads.load_profile_text(pv.text, pv.filename)
                    ds = store.read_dataset(scoped, got.upload.sha256, label=name)
                    out = run_uc.evaluate(profile, ds, year=got.upload.year, source=name)
                    run_uc.store_run(scoped, profile, ds, out)
        for role in accounts.ROLES:
            username = f"{chamber}-{role}"
            if accounts.find_user(engine, username) is None:
                accounts.add_user(engine, username, password)
            person = _demo_person(scoped, role)
            accounts.grant(engine, username, chamber, role, person_id=person)
            made.append({"tenant": chamber, "role": role, "username": username,
                         "password": password})
    return made


def _demo_person(scoped: Any, role: str) -> str | None:
    if role not in ("dipendente", "valutatore"):
        return None
    runs = store.list_runs(scoped)
    if not runs:
        return "P001"
    people = list(store.iter_person_results(scoped, runs[-1].id))
    pick = people[0] if role == "valutatore" else people[-1]
    return pick.person_id if people else "P001"


def _zip_folder(folder: Any) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            if p.suffix.lower() in uploads.TABLE_SUFFIXES:
                z.write(p, p.name)
    return buf.getvalue()
