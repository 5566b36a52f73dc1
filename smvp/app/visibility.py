"""Who may see which person of a stored run: the ONE rule shared by the JSON API
(``smvp.service.api``) and the pages (``smvp.service.web.deps``).

* amministratore, OIV, revisore: everyone of their tenant (``None``);
* dipendente: themself (the person id of their grant);
* valutatore: the people they evaluate — the people of the unit their own person id belongs
  to and of the units below it (``smvp.app.scores.people_of_units``, the profiles'
  evaluator rule «Dirigente responsabile» read as the head of the person's unit or of an
  enclosing one) — and themself.

The store is the tenant-scoped engine (``smvp.store.tenancy``): another tenant's run is not
reachable through it in the first place. Callers answer 404 for a person outside the set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine

#: the roles that see every person of their tenant
EVERYONE = frozenset({"amministratore", "oiv", "revisore"})


def visible_people(engine: Engine, run: Any, *, roles: Iterable[str],
                   person_ids: Iterable[str]) -> set[str] | None:
    """The person ids of ``run`` (a stored run or its summary: ``dataset_sha256``,
    ``tenant_id``) that a user holding ``roles`` with ``person_ids`` (their grants' person
    ids) may see; None means everyone."""
    have = set(roles)
    own = set(person_ids)
    if have & EVERYONE:
        return None
    seen = set(own) if "dipendente" in have else set()
    if "valutatore" in have:
        seen |= evaluated_by(engine, run, own)
    return seen


def evaluated_by(engine: Engine, run: Any, person_ids: set[str]) -> set[str]:
    """The people of ``run`` a valutatore with ``person_ids`` evaluates, and themself."""
    from smvp.app import scores

    found = scores.people(engine, run.dataset_sha256, run.tenant_id)
    if found is None:
        return set(person_ids)
    unit_of = {p: v["unit_id"] for p, v in found.staff.items()}
    return scores.people_of_units(unit_of, found.parent, set(person_ids)) | set(person_ids)
