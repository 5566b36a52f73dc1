"""Accounts, roles per tenant, bearer tokens and the audit log (shared by ``smvp user`` and
the service).

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher`` defaults); a bearer
token is 32 random bytes, of which only the sha256 is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smvp.errors import UsageProblem
from smvp.store import tenants
from smvp.store.tables import ApiToken, AuditEntry, AuthEpoch, Membership, Tenant, User
from smvp.store.tenancy import session_tenant
from smvp_engine.errors import Msg

ROLES = ("amministratore", "valutatore", "dipendente", "oiv", "revisore")
ROLE_ALIASES = {"admin": "amministratore", "administrator": "amministratore",
                "evaluator": "valutatore", "employee": "dipendente", "auditor": "revisore",
                "OIV": "oiv"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def role_name(role: str) -> str:
    name = ROLE_ALIASES.get(role, role).lower()
    if name not in ROLES:
        raise UsageProblem(Msg("unknown role {role!r} (expected one of {roles})", role=role,
                               roles=", ".join(ROLES)))
    return name


def add_user(engine: Engine, username: str, password: str) -> User:
    """Create an account; UsageProblem when the name is taken or the password too short."""
    if not username or len(username) > 128:
        raise UsageProblem(Msg("a username is 1 to 128 characters (found {n})", n=len(username)))
    if len(password) < 8:
        raise UsageProblem(Msg("the password is too short (expected at least {min} characters, found {n})",
                               min=8, n=len(password)))
    user = User(username=username, password_hash=_hasher().hash(password), created_at=_now())
    try:
        with Session(engine) as s, s.begin():
            s.add(user)
            s.flush()
            s.expunge(user)
    except IntegrityError:
        raise UsageProblem(Msg("user {user!r} already exists", user=username)) from None
    return user


def find_user(engine: Engine, username: str) -> User | None:
    with Session(engine) as s:
        return s.exec(select(User).where(User.username == username)).first()


def _user(engine: Engine, username: str) -> User:
    user = find_user(engine, username)
    if user is None:
        raise UsageProblem(Msg("no user {user!r}", user=username), hint=Msg("smvp user add creates it"))
    return user


def grant(engine: Engine, username: str, tenant: str, role: str,
          person_id: str | None = None) -> Membership:
    """Give ``username`` a role in ``tenant`` (created for the chamber of the same id when
    missing). A dipendente's ``person_id`` says which person of the data they are."""
    role = role_name(role)
    user = _user(engine, username)
    if role == "dipendente" and not person_id:
        raise UsageProblem(Msg("a dipendente needs --person (their person_id in the data)"))
    with Session(engine) as s, s.begin():
        tid = tenants.ensure_tenant(s, tenant)
        existing = s.exec(select(Membership).where(
            Membership.tenant_id == tid, Membership.user_id == user.id,
            Membership.role == role)).first()
        if existing is not None:
            existing.person_id = person_id or existing.person_id
            s.add(existing)
            m = existing
        else:
            m = Membership(tenant_id=tid, user_id=int(user.id or 0), role=role, person_id=person_id,
                           created_at=_now())
            s.add(m)
        bump_epoch(s)
        s.flush()
        s.expunge(m)
        return m


def revoke(engine: Engine, username: str, tenant: str, role: str | None = None) -> int:
    """Remove ``username``'s role (every role when None) in ``tenant``; how many were removed."""
    user = _user(engine, username)
    with Session(engine) as s, s.begin():
        t = s.exec(select(Tenant).where(Tenant.slug == tenant)).first()
        if t is None:
            raise UsageProblem(Msg("no tenant {tenant!r}", tenant=tenant))
        stmt = select(Membership).where(Membership.tenant_id == t.id,
                                        Membership.user_id == user.id)
        if role:
            stmt = stmt.where(Membership.role == role_name(role))
        rows = s.exec(stmt).all()
        for m in rows:
            s.delete(m)
        bump_epoch(s)
        return len(rows)


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user when the password matches its Argon2 hash, else None (same work either way)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    user = find_user(engine, username)
    ph = _hasher()
    if user is None:
        try:  # spend the same time as for a real user: no user enumeration by timing
            ph.verify(_DUMMY_HASH[0] or _dummy(), password)
        except (VerificationError, InvalidHashError):
            pass
        return None
    try:
        ph.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


_DUMMY_HASH: list[str | None] = [None]


def _dummy() -> str:
    made = str(_hasher().hash(secrets.token_hex(16)))
    _DUMMY_HASH[0] = made
    return made


def new_token(engine: Engine, user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    with Session(engine) as s, s.begin():
        s.add(ApiToken(user_id=user_id, token_sha256=hashlib.sha256(token.encode()).hexdigest(),
                       created_at=_now()))
    return token


def user_of_token(engine: Engine, token: str) -> User | None:
    sha = hashlib.sha256(token.encode()).hexdigest()
    with Session(engine) as s:
        row = s.exec(select(ApiToken).where(ApiToken.token_sha256 == sha)).first()
        return s.get(User, row.user_id) if row is not None else None


def drop_token(engine: Engine, token: str) -> None:
    sha = hashlib.sha256(token.encode()).hexdigest()
    with Session(engine) as s, s.begin():
        for row in s.exec(select(ApiToken).where(ApiToken.token_sha256 == sha)).all():
            s.delete(row)
        bump_epoch(s)


def bump_epoch(session: Session) -> None:
    """Move the auth epoch (in the caller's transaction): every process's AuthCache drops
    what it knew about tokens, users and roles at its next request."""
    from sqlalchemy import update

    done = session.execute(update(AuthEpoch).where(col(AuthEpoch.id) == 1)
                           .values(value=AuthEpoch.value + 1))
    if getattr(done, "rowcount", 1) == 0:
        session.add(AuthEpoch(id=1, value=1))


def auth_epoch(engine: Engine) -> int:
    with engine.connect() as conn:
        from sqlalchemy import text

        value = conn.execute(text("SELECT value FROM auth_epoch WHERE id = 1")).scalar()
    return int(value or 0)


class AuthCache:
    """Who a bearer token or a session's user id is, their roles and tenants: cached per
    process, valid while the auth epoch (:func:`bump_epoch`) does not move. Each lookup
    costs one primary-key read of the epoch; grant, revoke and logout — from this
    process, another worker or the command line — move it, so a revoked role or token is
    refused at the very next request."""

    def __init__(self, engine: Engine, max_entries: int = 10_000):
        self.engine, self.max_entries = engine, max_entries
        self.lock = threading.Lock()
        self.epoch: int | None = None
        self.tokens: dict[str, User | None] = {}
        self.users: dict[int, User | None] = {}
        self.roles: dict[int, list[Role]] = {}
        self.tenants: dict[str, Tenant | None] = {}

    def _fresh(self) -> None:
        now = auth_epoch(self.engine)
        with self.lock:
            size = len(self.tokens) + len(self.users) + len(self.roles) + len(self.tenants)
            if now != self.epoch or size > self.max_entries:
                self.tokens, self.users, self.roles, self.tenants = {}, {}, {}, {}
                self.epoch = now

    def _get(self, table: dict, key: Any, load: Any) -> Any:
        with self.lock:
            if key in table:
                return table[key]
        value = load()
        with self.lock:
            table[key] = value
        return value

    def user_of_token(self, token: str) -> User | None:
        """The token's user (None: unknown token); refreshes the epoch first."""
        self._fresh()
        sha = hashlib.sha256(token.encode()).hexdigest()
        return self._get(self.tokens, sha, lambda: user_of_token(self.engine, token))

    def user(self, user_id: int) -> User | None:
        """A session's user (None: no such user); refreshes the epoch first."""
        self._fresh()

        def load() -> User | None:
            with Session(self.engine) as s:
                return s.get(User, user_id)

        return self._get(self.users, user_id, load)

    def memberships(self, user_id: int) -> list[Role]:
        """The user's roles (as of the epoch read by the user lookup of this request)."""
        return self._get(self.roles, user_id, lambda: memberships(self.engine, user_id))

    def tenant(self, slug: str) -> Tenant | None:
        def load() -> Tenant | None:
            with Session(self.engine) as s:
                return s.exec(select(Tenant).where(Tenant.slug == slug)).first()

        return self._get(self.tenants, slug, load)


@dataclass
class Role:
    tenant_id: int
    tenant: str
    role: str
    person_id: str | None


def memberships(engine: Engine, user_id: int) -> list[Role]:
    with Session(engine) as s:
        rows = s.exec(select(Membership, Tenant).join(Tenant, col(Tenant.id) == Membership.tenant_id)
                      .where(Membership.user_id == user_id).order_by(Tenant.slug,
                                                                     Membership.role)).all()
        return [Role(t.id, t.slug, m.role, m.person_id) for m, t in rows]  # type: ignore[arg-type]


def audit(session: Session, *, user: User | None, action: str, kind: str, object_id: Any,
          before: dict | None = None, after: dict | None = None,
          tenant_id: int | None = None) -> None:
    """Append one entry to the audit log, in the caller's transaction (append-only: the
    service has no endpoint that changes or deletes entries)."""
    tid = tenant_id if tenant_id is not None else session_tenant(session)
    if tid is None:
        raise ValueError("an audit entry belongs to a tenant")
    session.add(AuditEntry(tenant_id=tid, at=_now(),
                           user_id=user.id if user else None,
                           username=user.username if user else None, action=action,
                           object_kind=kind, object_id=str(object_id), before=before,
                           after=after))
