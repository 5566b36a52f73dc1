"""Tenants: create, find, list (the operator's queries; the tenant table is not scoped)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from smvp.store.db import dialect_insert
from smvp.store.location import DEFAULT_NAMES
from smvp.store.tables import Tenant, table_of


def ensure_tenant(session: Session, slug: str, *, name: str | None = None,
                  chamber: str | None = None) -> int:
    """The id of tenant ``slug``, created (for chamber ``chamber`` or ``slug``) when missing.

    One INSERT … ON CONFLICT DO NOTHING, so two processes creating it at once agree.
    """
    values: dict[str, Any] = dict(slug=slug, name=name or DEFAULT_NAMES.get(slug, slug),
                                  chamber=chamber or slug, created_at=dt.datetime.now(dt.UTC))
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = dialect_insert(dialect)
        session.execute(insert(table_of(Tenant)).values(**values)
                        .on_conflict_do_nothing(index_elements=["slug"]))
    elif session.exec(select(Tenant).where(Tenant.slug == slug)).first() is None:
        session.add(Tenant(**values))
        session.flush()
    tid = session.exec(select(Tenant.id).where(Tenant.slug == slug)).one()
    if tid is None:  # pragma: no cover - the row was just made or found
        raise LookupError(f"tenant {slug!r} has no id")
    return tid


def create_tenant(engine: Engine, slug: str, *, name: str | None = None,
                  chamber: str | None = None) -> Tenant:
    with Session(engine) as session, session.begin():
        tid = ensure_tenant(session, slug, name=name, chamber=chamber)
        tenant = session.get_one(Tenant, tid)
        session.expunge(tenant)
        return tenant


def tenant_by_slug(engine: Engine, slug: str) -> Tenant | None:
    with Session(engine) as session:
        return session.exec(select(Tenant).where(Tenant.slug == slug)).first()


def tenant_by_id(engine: Engine, tenant_id: int) -> Tenant | None:
    with Session(engine) as session:
        return session.get(Tenant, tenant_id)


def list_tenants(engine: Engine) -> list[Tenant]:
    with Session(engine) as session:
        return list(session.exec(select(Tenant).order_by(Tenant.slug)).all())
