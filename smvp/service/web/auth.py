"""Accounts, passwords and the page session — the web pages' minimal auth seam.

Until the service's accounts (issue 10: ``smvp user add/grant/revoke``, stored
accounts, audit log) are on main, the pages authenticate against a
:class:`Directory` given to :func:`smvp.service.web.create_app`: users with an
Argon2 password hash (argon2-cffi) and their grants (tenant, role, and for a
dipendente the person id, for a valutatore the unit they head). Everything
else in the pages asks :mod:`smvp.service.web.deps` for the current user, so
switching to the service's accounts changes this module only.

Sessions are signed, HTTP-only cookies (itsdangerous, timestamped: a session
older than ``max_age`` seconds is refused as expired); each session carries a
CSRF token that every form posts back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ROLES = ("amministratore", "valutatore", "dipendente", "oiv", "revisore")
COOKIE = "smvp_session"
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (argon2-cffi defaults)."""
    return _HASHER.hash(password)


@dataclass(frozen=True)
class Tenant:
    """A Chamber served by the deployment: url id, display name, profile chamber id."""

    slug: str
    name: str
    chamber: str


@dataclass(frozen=True)
class Grant:
    """A role of a user in one tenant.

    ``person_id``: the dipendente's own matricola (what they may see).
    ``unit_id``: the unit a valutatore heads; they evaluate the people of that
    unit and of the units below it (the profiles' evaluator rule «Dirigente
    responsabile» read as the head of the person's unit or of an enclosing one).
    """

    tenant: str
    role: str
    person_id: str | None = None
    unit_id: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r}: expected one of {', '.join(ROLES)}")


@dataclass
class User:
    username: str
    name: str
    password_hash: str
    grants: list[Grant] = field(default_factory=list)

    def grants_in(self, tenant: str) -> list[Grant]:
        return [g for g in self.grants if g.tenant == tenant]


class Directory:
    """The users the pages know (in memory; the service's stored accounts replace it)."""

    def __init__(self, users: list[User] | None = None) -> None:
        self._users = {u.username: u for u in users or []}

    def add(self, username: str, password: str, name: str, grants: list[Grant]) -> User:
        user = User(username, name, hash_password(password), list(grants))
        self._users[username] = user
        return user

    def get(self, username: str) -> User | None:
        return self._users.get(username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same work either way)."""
        user = self._users.get(username)
        digest = user.password_hash if user else _DUMMY
        try:
            _HASHER.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        return user


_DUMMY = _HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class Session:
    username: str
    csrf: str


class Sessions:
    """Signed, timestamped session cookies (itsdangerous)."""

    def __init__(self, secret: str, max_age: int) -> None:
        self.max_age = max_age
        self._s = URLSafeTimedSerializer(secret, salt="smvp-web-session")

    def issue(self, username: str) -> str:
        return self._s.dumps({"u": username, "c": secrets.token_urlsafe(24)})

    def read(self, cookie: str | None) -> Session | None | str:
        """The session; None without a valid cookie; ``"expired"`` when too old."""
        if not cookie:
            return None
        try:
            data = self._s.loads(cookie, max_age=self.max_age)
        except SignatureExpired:
            return "expired"
        except BadSignature:
            return None
        return Session(str(data["u"]), str(data["c"]))
