"""The evaluation cycle on the web: server-rendered pages per role (issue 11).

``create_app(db)`` returns the service (``smvp.service.app``: the JSON API under ``/api``)
with the pages mounted beside it: one deployment, one set of stored accounts
(``smvp.app.accounts``: Argon2 hashes, ``smvp user add/grant/revoke``), one signed
HTTP-only session cookie, one login rate limiter, and the tenant scoping of
``smvp.store.tenancy`` reached through ``smvp.service.auth.tenant_context``. Templates and
htmx are package data; no JavaScript build step. Italian by default; `?lang=en` on any page
switches it and is remembered (``smvp.service.web.language``).

``smvp serve`` (and ``python -m smvp.service.web --demo``) start it; see docs/web.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

__all__ = ["create_app"]


def create_app(db: str | None = None, *, secret: str | None = None, lang: str = "it",
               today: Callable[[], dt.date] | None = None, secure_cookies: bool = False,
               login_limit: int = 5, **service: Any):
    """The service on the database ``db`` with the pages (``smvp.service.app.create_app``'s
    rules for ``db`` and ``secret``). ``today``: the date the pages work with (terms,
    drafts; default the system's date)."""
    from fastapi import Request
    from fastapi.responses import RedirectResponse, Response

    from smvp.service.app import create_app as service_app
    from smvp.service.web import (
        conciliation_pages,
        dipendente_pages,
        errors,
        oiv_pages,
        pages,
        score_pages,
        workbench,
    )
    from smvp.service.web.deps import LoginRequired, WebConfig
    from smvp.service.web.jobs import Jobs
    from smvp.service.web.language import PageLanguage
    from smvp.service.web.render import STATIC, static_bytes

    app = service_app(db, secret=secret, secure_cookies=secure_cookies, login_limit=login_limit,
                      lang=lang, **service)
    app.state.web = WebConfig(lang=lang, today=today or dt.date.today)
    app.state.jobs = Jobs()  # the schede of a run, laid out in the background
    app.add_middleware(PageLanguage)  # each page's language: ?lang=, remembered, the deployment's

    errors.install(app)  # every error of a page answered as a page; the API's stay JSON

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        target = "/login?scaduta=1" if exc.expired else "/login"
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            return Response(status_code=404)
        return Response(static_bytes(name), media_type=STATIC[name],
                        headers={"Cache-Control": "public, max-age=3600"})

    app.include_router(pages.router)
    for mine in (score_pages.router, conciliation_pages.router, dipendente_pages.router,
                 oiv_pages.router):
        app.include_router(mine)  # valutatore (scores, answers), dipendente (review), OIV
    for extra in workbench.ROUTERS:  # the amministratore's and revisore's workbench pages
        app.include_router(extra)
    return app


def app_from_env():
    """The service with its pages, configured by the environment: what each worker process of
    ``smvp serve --workers N`` runs (``$SMVP_DATABASE_URL``, ``$SMVP_SECRET``,
    ``$SMVP_SECURE_COOKIES`` non-empty: on, ``$SMVP_LANG``: the pages' and the API's default)."""
    import os

    from smvp.i18n import resolve_lang

    return create_app(None, secure_cookies=bool(os.environ.get("SMVP_SECURE_COOKIES")), lang=resolve_lang())
