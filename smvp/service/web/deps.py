"""The ONE place where a page gets its tenant, its user and its store.

Every page handler takes a :class:`Context` from :func:`context` (FastAPI
dependency): the signed session's user, the tenant of the URL (``/t/<slug>/…``)
in which the user must hold a role, the database, and the checks that keep a
page inside the tenant and inside what the role may see. Anything outside
answers 404 — the caller must not learn that another tenant's run or a
colleague's scheda exists.

:attr:`Context.engine` is the store scoped to the tenant (``smvp.store.scoped``,
issue 10): every query through it sees only the tenant's rows, and
:meth:`Context.run` checks the run's chamber on top.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.engine import Engine

from smvp.service.web.auth import COOKIE, Directory, Grant, Sessions, Tenant, User


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the login form (``expired``: say why)."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


@dataclass
class WebConfig:
    db_url: str
    directory: Directory
    tenants: dict[str, Tenant]
    sessions: Sessions
    lang: str = "it"
    today: Callable[[], dt.date] = dt.date.today
    secure_cookies: bool = False
    _engine: Engine | None = field(default=None, repr=False)
    _tenant_ids: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from smvp import store

            self._engine = store.open_engine(self.db_url)
        return self._engine

    def tenant_engine(self, tenant: Tenant) -> Engine:
        """The store limited to ``tenant`` (``smvp.store.tenancy.scoped``): its sessions read
        and write only that tenant's rows. The tenant row is created when missing."""
        from smvp import store
        from smvp.store import tenants

        if tenant.slug not in self._tenant_ids:
            row = tenants.create_tenant(self.engine, tenant.slug, name=tenant.name,
                                        chamber=tenant.chamber)
            assert row.id is not None
            self._tenant_ids[tenant.slug] = int(row.id)
        return store.scoped(self.engine, self._tenant_ids[tenant.slug])


def not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="Pagina non trovata")


def config(request: Request) -> WebConfig:
    return request.app.state.web


def current_user(request: Request) -> tuple[User, str]:
    """(user, csrf token) of the session, or LoginRequired."""
    cfg = config(request)
    session = cfg.sessions.read(request.cookies.get(COOKIE))
    if session == "expired":
        raise LoginRequired(expired=True)
    if session is None:
        raise LoginRequired()
    user = cfg.directory.get(session.username)  # type: ignore[union-attr]
    if user is None:
        raise LoginRequired()
    return user, session.csrf  # type: ignore[union-attr]


@dataclass
class Context:
    """What a tenant page works with; every scoping decision is a method here."""

    request: Request
    cfg: WebConfig
    user: User
    csrf: str
    tenant: Tenant
    grants: list[Grant]

    @property
    def engine(self) -> Engine:
        """The tenant-scoped store: another tenant's rows are invisible through it."""
        return self.cfg.tenant_engine(self.tenant)

    @property
    def lang(self) -> str:
        return self.cfg.lang

    def today(self) -> dt.date:
        return self.cfg.today()

    def roles(self) -> list[str]:
        return [g.role for g in self.grants]

    def grant(self, *roles: str) -> Grant:
        """The user's grant for one of ``roles`` in this tenant, else 404."""
        for g in self.grants:
            if g.role in roles:
                return g
        raise not_found()

    def check_csrf(self, token: str | None) -> None:
        if not token or token != self.csrf:
            raise HTTPException(status_code=403, detail="Modulo scaduto o non valido (CSRF): ricarica la pagina")

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
        runs = self.runs()
        return max((r.id for r in runs), default=None)

    def year(self) -> int | None:
        """The year of the tenant's latest run (shown on every page), None before any run."""
        runs = self.runs()
        latest = max(runs, key=lambda r: r.id, default=None)
        return latest.year if latest else None

    def may_see_person(self, person_id: str, unit_id: str | None, units: dict[str, str | None]) -> bool:
        """May this user see ``person_id``'s evaluation? amministratore, OIV, revisore: all;
        dipendente: only their own; valutatore: the people of their unit and units below."""
        for g in self.grants:
            if g.role in ("amministratore", "oiv", "revisore"):
                return True
            if g.role == "dipendente" and g.person_id == person_id:
                return True
            if g.role == "valutatore" and g.unit_id and within(unit_id, g.unit_id, units):
                return True
        return False


def within(unit: str | None, head: str, parents: dict[str, str | None]) -> bool:
    """Is ``unit`` ``head`` or below it (``parents``: unit → parent unit)?"""
    seen = set()
    while unit is not None and unit not in seen:
        if unit == head:
            return True
        seen.add(unit)
        unit = parents.get(unit)
    return False


def context(request: Request, tenant: str) -> Context:
    """FastAPI dependency of every tenant page: 404 unless the user holds a role in ``tenant``."""
    user, csrf = current_user(request)
    cfg = config(request)
    t = cfg.tenants.get(tenant)
    grants = user.grants_in(tenant)
    if t is None or not grants:
        raise not_found()
    return Context(request, cfg, user, csrf, t, grants)
