"""Who may see which person of a stored run, and who evaluates whom: the ONE rule shared by
the JSON API (``smvp.service.api``, ``smvp.service.scores_api``) and the pages
(``smvp.service.web.deps``).

* amministratore, OIV, revisore: everyone of their tenant (``None``);
* dipendente: themself (the person id of their grant);
* valutatore: the people they evaluate (:func:`evaluatees`) — and themself.

**Who evaluates whom** comes from the profile: each role's ``evaluator.by_role`` and
``evaluator.scope`` (``smvp_engine.profile.EvaluatorRule``; docs/profile.md, roles), read
with the dataset's staff (``role``, ``unit_id``) and units (``parent_id``). A valutatore
(their grant's ``person_id`` in the data) evaluates a person when the person's role names
the valutatore's role in ``by_role`` and the valutatore's unit is in the ``scope``
(``own_unit``; ``unit_tree``; ``head``: the nearest holder above; ``ente``; ``external``:
nobody on the staff — the Giunta's or the OIV's scores come with the upload). A role whose
evaluator says neither (``by_role``/``scope`` absent) keeps the rule used before profiles
said it: any valutatore evaluates the people of their own unit and of the units below it.
Never themself.

The store is the tenant-scoped engine (``smvp.store.tenancy``): another tenant's run is not
reachable through it in the first place. Callers answer 404 for a person outside the set.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Engine

#: the roles that see every person of their tenant
EVERYONE = frozenset({"amministratore", "oiv", "revisore"})

#: role id → its evaluator rule (None or absent: the default rule, module doc)
Rules = Mapping[str, Any]


def visible_people(engine: Engine, run: Any, *, roles: Iterable[str],
                   person_ids: Iterable[str]) -> set[str] | None:
    """The person ids of ``run`` (a stored run or its summary: ``id``, ``year``,
    ``profile_sha256``, ``dataset_sha256``, ``tenant_id``) that a user holding ``roles``
    with ``person_ids`` (their grants' person ids) may see; None means everyone."""
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
    from smvp.app.dataset_people import people

    found = people(engine, run.dataset_sha256, run.tenant_id)
    if found is None:
        return set(person_ids)
    return evaluatees(found.staff, found.parent, run_rules(engine, run), person_ids) \
        | set(person_ids)


def evaluatees(staff: Mapping[str, Mapping[str, Any]], parent: Mapping[str, Any],
               rules: Rules, person_ids: set[str]) -> set[str]:
    """The people of ``staff`` (person_id → {role, unit_id}) that the valutatore who is
    ``person_ids`` in the data evaluates, by ``rules`` (role id → ``EvaluatorRule`` or
    None) over the units' tree ``parent`` (unit_id → parent unit_id); never themself."""
    mine = {p for p in person_ids if p in staff}
    if not mine:
        return set()
    my_roles = {staff[p].get("role") for p in mine}
    my_units = {staff[p].get("unit_id") for p in mine} - {None}
    holders: dict[tuple[Any, Any], set[str]] = {}  # (role, unit) → people, for "head"
    out = set()
    for p, info in staff.items():
        if p in mine:
            continue
        unit = info.get("unit_id")
        rule = rules.get(info.get("role") or "")
        if rule is None:  # the profile does not say: the people of my units and below
            if my_units & set(_up(unit, parent)):
                out.add(p)
            continue
        by = set(rule.by_roles)
        if rule.scope == "external" or not by & my_roles:
            continue
        mine_by = {q for q in mine if staff[q].get("role") in by}
        units_by = {staff[q].get("unit_id") for q in mine_by}
        if rule.scope == "ente":
            hit = True
        elif rule.scope == "own_unit":
            hit = unit is not None and unit in units_by
        elif rule.scope == "unit_tree":
            hit = bool(units_by & set(_up(unit, parent)))
        else:  # head: the holders in the nearest unit above that has any
            if not holders:
                for q, qi in staff.items():
                    holders.setdefault((qi.get("role"), qi.get("unit_id")), set()).add(q)
            hit = False
            for u in _up(unit, parent):
                here = set().union(*(holders.get((r, u), set()) for r in by)) - {p}
                if here:
                    hit = bool(here & mine_by)
                    break
        if hit:
            out.add(p)
    return out


def _up(unit: Any, parent: Mapping[str, Any]) -> list[Any]:
    """``unit`` and the units enclosing it, nearest first (a cycle ends the walk)."""
    chain: list[Any] = []
    while unit is not None and unit not in chain:
        chain.append(unit)
        unit = parent.get(unit)
    return chain


_RULES: dict[tuple[str, int], dict[str, Any]] = {}
_RULES_LOCK = threading.Lock()


def run_rules(engine: Engine, run: Any) -> dict[str, Any]:
    """Role id → evaluator rule of the profile ``run`` was evaluated with, in its year. A
    stored run is immutable and its profile named by its hash: kept per process (at most
    32 profiles)."""
    key = (run.profile_sha256, int(run.year))
    with _RULES_LOCK:
        got = _RULES.get(key)
    if got is not None:
        return got
    from smvp import store
    from smvp.app.verify import stored_profile

    stored = store.find_run(engine, run.id)
    got = {} if stored is None else profile_rules(stored_profile(stored).for_year(run.year))
    with _RULES_LOCK:
        if len(_RULES) >= 32:
            _RULES.pop(next(iter(_RULES)))
        _RULES[key] = got
    return got


def profile_rules(resolved: Any) -> dict[str, Any]:
    """Role id → evaluator rule of a profile resolved for a year (``Profile.for_year``)."""
    return {rid: role.evaluated_by for rid, role in resolved.roles.items()}
