"""Tenant scoping: the ONE place where every query is limited to one tenant.

A store handle is an SQLAlchemy engine. ``scoped(engine, tenant_id)`` returns
the same engine (same pool) carrying the execution option ``smvp_tenant``;
every ORM session bound to it then

* reads only the tenant's rows: each ORM SELECT, UPDATE and DELETE gets the
  criterion ``tenant_id = :tenant`` on every tenant-owned table it touches
  (``with_loader_criteria`` on :class:`TenantOwned`,
  joins and relationships included);
* writes only into the tenant: a new tenant-owned row takes the tenant's id,
  and a row of another tenant refuses to be flushed (:class:`TenantMismatch`).

The service opens its engine with ``require_tenant(engine)``: a session on it
without a tenant raises instead of seeing every tenant. The command line is the
machine's operator: its unscoped engine sees every tenant, and a run it stores
goes into the tenant of the run's chamber (created when missing).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlmodel import Field, SQLModel, col

OPTION = "smvp_tenant"
REQUIRED = "smvp_tenant_required"


class TenantOwned(SQLModel):
    """Mixin: a row that belongs to one tenant. Defined here, beside the listeners that scope
    it, so that a module using the tables (``smvp.store.tables`` re-exports it) always has
    them registered."""

    tenant_id: int = Field(foreign_key="tenant.id", index=True)


class TenantMismatch(RuntimeError):
    """A row of one tenant written through another tenant's session (a bug, never data)."""


class TenantRequired(RuntimeError):
    """A session of the service's engine used without a tenant (a bug, never data)."""


def tenant_models() -> list[type[TenantOwned]]:
    """Every mapped table class that belongs to a tenant (subclasses of TenantOwned)."""
    found: list[type[TenantOwned]] = []
    todo = list(TenantOwned.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if getattr(cls, "__table__", None) is not None:
            found.append(cls)
    return found


def scoped(engine: Engine, tenant_id: int) -> Engine:
    """``engine`` limited to ``tenant_id`` (shares the connection pool)."""
    return engine.execution_options(**{OPTION: int(tenant_id)})


def require_tenant(engine: Engine) -> Engine:
    """``engine`` whose sessions refuse to run without a tenant (the service's engine)."""
    return engine.execution_options(**{REQUIRED: True})


def tenant_of(bind: Any) -> int | None:
    """The tenant an engine (or connection) is scoped to, or None (the operator's engine)."""
    try:
        options = bind.get_execution_options()
    except AttributeError:
        return None
    tid = options.get(OPTION)
    if tid is None and options.get(REQUIRED):
        raise TenantRequired("a tenant-scoped store was used without a tenant")
    return tid


def session_tenant(session: Session) -> int | None:
    return tenant_of(session.get_bind())


@lru_cache(maxsize=4096)
def _criteria(tid: int, models: tuple[type[TenantOwned], ...]) -> tuple[Any, ...]:
    """The loader criteria limiting every model of ``models`` to tenant ``tid``: built once
    per tenant (building them for every statement was a quarter of a request's time)."""
    return tuple(with_loader_criteria(model, col(model.tenant_id) == tid, include_aliases=True)
                 for model in models)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tid = session_tenant(state.session)
    if tid is None:
        return
    state.statement = state.statement.options(*_criteria(int(tid), tuple(tenant_models())))


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    tid = session_tenant(session)
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantOwned):
            continue
        if tid is None:
            if getattr(obj, "tenant_id", None) is None:
                raise TenantMismatch(f"{type(obj).__name__} without a tenant")
            continue
        if getattr(obj, "tenant_id", None) is None:
            obj.tenant_id = tid
        elif obj.tenant_id != tid:
            raise TenantMismatch(f"{type(obj).__name__} of tenant {obj.tenant_id} written "
                                 f"through a session of tenant {tid}")
