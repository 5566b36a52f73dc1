"""The evaluation cycle on the web: server-rendered pages per role (issue 11).

``create_app(db_url, directory, tenants)`` returns a FastAPI app serving the
pages (Jinja2 templates and htmx, package data; no JavaScript build step),
Italian by default. Tenant, user and store come from ``deps.context`` only.
``python -m smvp.service.web --demo`` starts it with a demo tenant per bundled
chamber (see docs/web.md).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from smvp.service.web.auth import Directory, Grant, Sessions, Tenant, User, hash_password

__all__ = ["Directory", "Grant", "Tenant", "User", "create_app", "hash_password"]

SESSION_MAX_AGE = 8 * 3600  # seconds: a working day


def create_app(db_url: str, directory: Directory, tenants: list[Tenant], *,
               secret: str | None = None, session_max_age: int = SESSION_MAX_AGE,
               lang: str = "it", today: Callable[[], dt.date] | None = None,
               secure_cookies: bool = False):
    """The pages' FastAPI app on the database ``db_url`` (created when missing)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import RedirectResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from smvp.service.web import pages, workbench
    from smvp.service.web.deps import LoginRequired, WebConfig
    from smvp.service.web.render import STATIC, page, static_bytes

    app = FastAPI(title="smvp", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebConfig(db_url=db_url, directory=directory,
                              tenants={t.slug: t for t in tenants},
                              sessions=Sessions(secret or secrets.token_urlsafe(32), session_max_age),
                              lang=lang, today=today or dt.date.today, secure_cookies=secure_cookies)

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login?scaduta=1" if exc.expired else "/login"})
        return RedirectResponse("/login?scaduta=1" if exc.expired else "/login", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return page(request, "error.html.j2", None, status_code=exc.status_code,
                    status=exc.status_code, detail=exc.detail)

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC:
            return Response(status_code=404)
        return Response(static_bytes(name), media_type=STATIC[name],
                        headers={"Cache-Control": "public, max-age=3600"})

    app.include_router(pages.router)
    for extra in workbench.ROUTERS:  # the amministratore's and revisore's workbench pages
        app.include_router(extra)
    return app
