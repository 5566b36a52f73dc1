"""The ONE place where a page gets its user, its tenant and its store.

Every page handler takes a :class:`Context` from :func:`context` (FastAPI dependency).
Nothing here is the pages' own: the user is the stored account of the signed session
cookie (``smvp.service.auth.Sessions``, the cookie the API reads too); the tenant, the
caller's roles in it and the store scoped to it come from
``smvp.service.auth.tenant_context`` (``smvp.store.tenancy``: through that engine another
tenant's rows do not exist); who may see which person is the rule the API
uses too (``smvp.app.visibility``). Anything outside answers 404 — the caller must not learn that
another tenant's run or a colleague's scheda exists.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.engine import Engine

from smvp.service import auth
from smvp.service.refusals import Refusal

#: role → the page it lands on, in the order the navigation shows them
HOME = {"amministratore": "amministrazione", "valutatore": "valutazioni", "dipendente": "scheda",
        "oiv": "oiv", "revisore": "revisione"}


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the login form (``expired``: say why)."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


@dataclass
class WebConfig:
    lang: str = "it"  # the deployment's: a page without a chosen language (smvp.service.web.language)
    today: Callable[[], dt.date] = dt.date.today


def not_found() -> HTTPException:
    """404: the error page says only that the page is not there (no hint of what exists)."""
    return Refusal(404, "web.not_found")


def config(request: Request) -> WebConfig:
    return request.app.state.web


def current_user(request: Request) -> tuple[Any, str]:
    """(stored user, the session's CSRF token), or LoginRequired."""
    from sqlmodel import Session

    from smvp.store.tables import User

    state = request.app.state
    cookie = request.cookies.get(auth.COOKIE)
    if not cookie:
        raise LoginRequired()
    data, expired = state.sessions.read_status(cookie)
    if data is None:
        raise LoginRequired(expired=expired)
    with Session(state.engine) as s:
        user = s.get(User, int(data["uid"]))
    if user is None:
        raise LoginRequired()
    return user, str(data.get("csrf") or "")


def memberships(request: Request, user: Any) -> list[Any]:
    """The user's roles in every tenant (``smvp.app.accounts.Role``)."""
    from smvp.app import accounts

    return accounts.memberships(request.app.state.engine, int(user.id or 0))


@dataclass
class Context:
    """What a tenant page works with; every scoping decision is a method here."""

    request: Request
    cfg: WebConfig
    tc: auth.TenantContext
    csrf: str
    grants: list[Any]  # smvp.app.accounts.Role of the user in this tenant

    @property
    def user(self) -> Any:
        return self.tc.user

    @property
    def tenant(self) -> Any:
        """The tenant row (slug, name, chamber)."""
        return self.tc.tenant

    @property
    def engine(self) -> Engine:
        """The tenant-scoped store: another tenant's rows are invisible through it."""
        return self.tc.engine

    @property
    def lang(self) -> str:
        """The page's language: asked (``?lang=``), remembered, else the deployment's
        (``smvp.service.web.language``)."""
        from smvp.service.web.language import page_lang

        return page_lang(self.request)

    def today(self) -> dt.date:
        return self.cfg.today()

    def roles(self) -> list[str]:
        """The user's roles here, in the navigation's order."""
        have = {g.role for g in self.grants}
        return [r for r in HOME if r in have]

    def grant(self, *roles: str) -> Any:
        """The user's membership for one of ``roles`` in this tenant, else 404."""
        for g in self.grants:
            if g.role in roles:
                return g
        raise not_found()

    def check_csrf(self, token: str | None) -> None:
        if not token or not secrets.compare_digest(token, self.csrf):
            raise Refusal(403, "web.csrf")

    def run(self, run_id: int) -> Any:
        """The stored run ``run_id`` of this tenant, else 404."""
        from smvp import store

        run = store.find_run(self.engine, run_id)
        if run is None or run.chamber != self.tenant.chamber:
            raise not_found()
        return run

    def runs(self) -> list[Any]:
        from smvp import store

        return store.list_runs(self.engine, self.tenant.chamber)

    def latest_run_id(self) -> int | None:
        return max((r.id for r in self.runs()), default=None)

    def year(self) -> int | None:
        """The year of the tenant's latest run (shown on every page), None before any run."""
        latest = max(self.runs(), key=lambda r: r.id, default=None)
        return latest.year if latest else None

    def visible(self, run: Any) -> set[str] | None:
        """The person ids of ``run`` this user may see (None: everyone) — the API's rule:
        amministratore, OIV, revisore everyone; dipendente themself; valutatore the people
        the profile's evaluator rules give them (``smvp.app.visibility``)."""
        from smvp.app.visibility import visible_people

        return visible_people(self.engine, run, roles=self.tc.roles,
                              person_ids=self.tc.person_ids)

    def may_see_person(self, run: Any, person_id: str) -> bool:
        seen = self.visible(run)
        return seen is None or person_id in seen


def context(request: Request, tenant: str) -> Context:
    """FastAPI dependency of every tenant page: 404 unless the user holds a role in ``tenant``."""
    user, csrf = current_user(request)
    tc = auth.tenant_context(request, tenant, auth.Caller(user=user, via_cookie=True, csrf=csrf))
    grants = [m for m in memberships(request, user) if m.tenant == tenant]
    return Context(request, config(request), tc, csrf, grants)
