"""Who is calling: signed HTTP-only session cookies (pages) and bearer tokens (API), CSRF on
cookie-authenticated changes, login rate limiting, and the tenant context of a request.

The tenant of every request is resolved HERE, once: ``tenant_context`` gives the engine
scoped to the caller's tenant (``smvp.store.scoped``); an endpoint never filters by tenant
itself. A tenant the caller has no role in is a 404 (its existence is not revealed).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.engine import Engine

from smvp import store
from smvp.app.stored_runs import StoredRuns
from smvp.service.refusals import Refusal, request_lang
from smvp.store.tables import Tenant, User

COOKIE = "smvp_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 8 * 3600
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Sessions:
    """Signed session cookies (itsdangerous): {user id, CSRF token}, valid 8 hours."""

    def __init__(self, secret: str):
        self.signer = URLSafeTimedSerializer(secret, salt="smvp-session")

    def make(self, user_id: int) -> tuple[str, str]:
        csrf = secrets.token_urlsafe(24)
        return self.signer.dumps({"uid": user_id, "csrf": csrf}), csrf

    def read(self, cookie: str) -> dict[str, Any] | None:
        return self.read_status(cookie)[0]

    def read_status(self, cookie: str) -> tuple[dict[str, Any] | None, bool]:
        """(session data or None, expired?): the pages say "session expired" on a genuine
        cookie older than 8 hours, and nothing on a forged one."""
        try:
            data = self.signer.loads(cookie, max_age=SESSION_SECONDS)
        except SignatureExpired:
            return None, True
        except BadSignature:
            return None, False
        return (data if isinstance(data, dict) and "uid" in data else None), False


class LoginLimiter:
    """At most ``limit`` failed logins per (username, client) in ``window`` seconds → 429."""

    def __init__(self, limit: int = 5, window: float = 300.0):
        self.limit, self.window = limit, window
        self.failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self.failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, key: tuple[str, str]) -> int | None:
        now = time.monotonic()
        with self.lock:
            q = self._recent(key, now)
            if len(q) >= self.limit:
                return max(1, int(q[0] + self.window - now) + 1)
        return None

    def failed(self, key: tuple[str, str]) -> None:
        with self.lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.failures.pop(key, None)


@dataclass
class Caller:
    user: User
    via_cookie: bool
    csrf: str | None = None


@dataclass
class TenantContext:
    """The caller in one tenant: its roles there and the store scoped to it."""

    caller: Caller
    tenant: Tenant
    roles: set[str]
    engine: Engine  # the store scoped to the tenant
    person_ids: set[str] = field(default_factory=set)  # the caller's person_id(s) in the data
    runs: StoredRuns = field(default_factory=StoredRuns)  # the service's stored runs (kept)
    lang: str = "it"  # the request's language (smvp.service.refusals.request_lang)

    @property
    def user(self) -> User:
        return self.caller.user

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_everyone(self) -> bool:
        return self.has("amministratore", "oiv", "revisore")


def caller(request: Request) -> Caller:
    """The authenticated caller (bearer token, else session cookie), or 401."""
    state = request.app.state
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = state.auth_cache.user_of_token(header[7:].strip())
        if user is None:
            raise Refusal(401, "api.token_invalid", headers={"WWW-Authenticate": "Bearer"})
        return Caller(user=user, via_cookie=False)
    cookie = request.cookies.get(COOKIE)
    data = state.sessions.read(cookie) if cookie else None
    if data is None:
        raise Refusal(401, "api.not_logged_in", headers={"WWW-Authenticate": "Bearer"})
    user = state.auth_cache.user(int(data["uid"]))
    if user is None:
        raise Refusal(401, "api.account_gone")
    c = Caller(user=user, via_cookie=True, csrf=data.get("csrf"))
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        if not c.csrf or not secrets.compare_digest(sent, c.csrf):
            raise Refusal(403, "api.csrf", header=CSRF_HEADER)
    return c


def tenant_context(request: Request, tenant: str, who: Caller) -> TenantContext:
    """The caller's roles in ``tenant`` and the store scoped to it; 404 without a role."""
    state = request.app.state
    cache = state.auth_cache
    roles = [m for m in cache.memberships(int(who.user.id or 0)) if m.tenant == tenant]
    t = cache.tenant(tenant) if roles else None
    if t is None:
        raise Refusal(404, "api.no_tenant", tenant=tenant)
    return TenantContext(caller=who, tenant=t, roles={m.role for m in roles},
                         engine=store.scoped(state.guarded, int(t.id or 0)),
                         person_ids={m.person_id for m in roles if m.person_id},
                         runs=state.stored_runs, lang=request_lang(request))
