"""What scoring and visibility read from a stored dataset: its staff, units and uploaded
behaviour scores (:func:`people`), parsed once per process per content hash.

Shared by :mod:`smvp.app.scores` (the sheets) and :mod:`smvp.app.visibility` (who sees
whom); neither imports the other for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from smvp import store


@dataclass(frozen=True)
class People:
    """What scoring reads from a dataset's content (content-addressed: cached by sha256)."""

    staff: dict[str, dict[str, Any]]
    uploaded: dict[str, dict[str, int]]
    parent: dict[str, str | None]


_PEOPLE: dict[str, People] = {}
_PEOPLE_LOCK = threading.Lock()


def people(engine: Engine, sha256: str, tenant_id: int | None = None) -> People | None:
    """The staff, units and uploaded behaviour scores of the stored dataset ``sha256`` (of the
    store's tenant, or ``tenant_id``), or None. A dataset's content is immutable and named
    by its hash, so the parsed result is kept per process (at most 32 datasets); the
    caller has found ``sha256`` on a row of its own tenant (a run, an upload)."""
    with _PEOPLE_LOCK:
        got = _PEOPLE.get(sha256)
    if got is not None:  # the caller found sha256 on a row of its tenant (run, upload)
        return got
    content = store.dataset_content(engine, sha256, tenant_id)
    if content is None:
        return None
    tables = content.get("tables") or {}
    st, un, be = (tables.get(n) or {} for n in ("staff", "units", "behaviours"))
    ids = st.get("person_id") or []
    blank = [None] * len(ids)
    staff = {p: {"name": n, "role": r, "unit_id": u} for p, n, r, u in zip(
        ids, st.get("name") or blank, st.get("role") or blank, st.get("unit_id") or blank)}
    uploaded: dict[str, dict[str, int]] = {}
    for p, f, v in zip(be.get("person_id") or [], be.get("factor") or [],
                       be.get("score") or []):
        if v is not None:
            uploaded.setdefault(p, {})[f] = int(v)
    got = People(staff=staff, uploaded=uploaded,
                 parent=dict(zip(un.get("unit_id") or [], un.get("parent_id") or [])))
    with _PEOPLE_LOCK:
        if len(_PEOPLE) >= 32:
            _PEOPLE.pop(next(iter(_PEOPLE)))
        _PEOPLE[sha256] = got
    return got
