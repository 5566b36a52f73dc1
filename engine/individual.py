"""Stage 3: per-person results points, behaviour points, total, judgement, negative flag."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .columns import as_objects, index_of
from .errors import DatasetError, DatasetErrors, SmvpError
from .exact import Q, round_fraction
from .profile import INDIVIDUAL_LEVEL, Resolved

from .stages import Individual, Organisational, ObjectiveResult
from .checks import _row_error

CP = 100


def _ancestors(ds, level_ids) -> dict[str, dict[str, str]]:
    """unit_id → {level → ancestor unit_id at that level (itself included)}."""
    units = ds.table("units")
    uid, par, lvl = as_objects(units["unit_id"]), as_objects(units["parent_id"]), as_objects(units["level"])
    parent = dict(zip(uid, par))
    level = dict(zip(uid, lvl))
    out: dict[str, dict[str, str]] = {}
    for u in uid:
        chain, cur, seen = {}, u, set()
        while cur is not None and cur not in seen:
            seen.add(cur)
            chain.setdefault(level.get(cur), cur)
            cur = parent.get(cur)
        out[u] = chain
    return out


def individual(rules: Resolved, ds, org: Organisational) -> Individual:
    """Results points, behaviour points, total, judgement and negative flag per person.

    Component points = max × (weighted mean achievement of the component's
    objectives) / 100, rounded to ``precision.points_decimals``; behaviour =
    sum of factor scores; total = results + behaviour (centipoints, exact).

    Raises:
        DatasetErrors: a person with no objectives for a component worth points.
    """
    staff = ds.table("staff")
    n = len(staff)
    role_ids = tuple(rules.roles)
    role_idx = index_of(staff["role"], role_ids)
    scorable = np.array([rules.roles[r].scorable for r in role_ids] or [False], dtype=bool)
    scored = scorable[role_idx] if n else np.zeros(0, dtype=bool)
    mode = rules.points_rounding
    pscale = 10 ** rules.points_decimals
    person_ids = staff["person_id"]
    person_obj = as_objects(person_ids)
    unit_col = staff["unit_id"]
    units_obj = as_objects(unit_col)
    errors: list[SmvpError] = []

    # unit → per-level achievement, as arrays over distinct units
    anc = _ancestors(ds, rules.level_ids)
    unit_keys = list(anc)
    unit_idx = index_of(unit_col, unit_keys)
    unit_idx = np.where(unit_idx < 0, len(unit_keys), unit_idx)
    full = 100 * org.scale

    # individual objectives and assignments
    indiv: dict[str, list[ObjectiveResult]] = {}
    for o in org.objectives.values():
        if o.level == INDIVIDUAL_LEVEL and o.person_id:
            indiv.setdefault(o.person_id, []).append(o)
    indiv_keys = list(indiv)
    indiv_ach = np.array([_wmean([(o.achievement, o.weight) for o in indiv[k]], mode) for k in indiv_keys] + [-1],
                         dtype=np.int64)  # last slot: no individual objectives
    indiv_idx = index_of(person_ids, indiv_keys)
    indiv_idx = np.where(indiv_idx < 0, len(indiv_keys), indiv_idx)
    assigned: dict[tuple[str, str], list[tuple[str, Fraction | None]]] = {}
    asg = ds.table("assignments")
    a_p, a_c, a_o = as_objects(asg["person_id"]), as_objects(asg["component"]), as_objects(asg["objective_id"])
    for i in range(len(asg)):
        w = asg["weight"][i]
        assigned.setdefault((a_p[i], a_c[i]), []).append((a_o[i], Fraction(w) if w is not None else None))
    person_row = {p: i for i, p in enumerate(person_obj)} if assigned else {}

    results = np.zeros(n, dtype=np.int64)
    components: dict[str, np.ndarray] = {}
    comp_ach: dict[str, np.ndarray] = {}
    for k, rid in enumerate(role_ids):
        role = rules.roles[rid]
        rows = np.flatnonzero(role_idx == k)
        if not role.scorable or not rows.size:
            for c in role.components:
                components[f"{rid}.{c.id}"] = np.zeros(n, dtype=np.int64)
                comp_ach[f"{rid}.{c.id}"] = np.full(n, -1, dtype=np.int64)
            continue
        for c in role.components:
            ach = np.full(n, -1, dtype=np.int64)
            if c.level == INDIVIDUAL_LEVEL:
                ach[rows] = indiv_ach[indiv_idx[rows]]
            else:
                per_unit = np.full(len(unit_keys) + 1, -1, dtype=np.int64)  # last slot: unknown unit
                if c.level == rules.level_ids[0]:  # the top level: all its objectives, whatever the unit
                    top = [o for o in org.objectives.values() if o.level == c.level]
                    per_unit[:-1] = _wmean([(o.achievement, o.weight) for o in top], mode)
                else:
                    for u_i, u in enumerate(unit_keys):
                        at = anc[u].get(c.level)
                        if at is not None:
                            per_unit[u_i] = org.unit_achievement.get((c.level, at), -1)
                ach[rows] = per_unit[unit_idx[rows]]
            for (pid, comp), lst in assigned.items():
                i = person_row.get(pid, -1)
                if comp == c.id and i >= 0 and role_idx[i] == k:
                    pairs = []
                    for oid, w in lst:
                        o = org.objectives.get(oid)
                        if o is None:
                            errors.append(DatasetError(f"assignment to unknown objective {oid!r}", file=asg.file,
                                                       field="objective_id"))
                            continue
                        pairs.append((o.achievement, w if w is not None else o.weight))
                    ach[i] = _wmean(pairs, mode)
            mx = c.max or Fraction(0)
            lacking = rows[ach[rows] < 0]
            if mx > 0:
                for i in lacking[:20]:
                    errors.append(_row_error(staff, i, f"no objectives for results component {c.id!r} ({c.label})", "unit_id",
                                             expected=f"objectives of level {c.level!r}" + (
                                                 f" for person {person_obj[i]}" if c.level == INDIVIDUAL_LEVEL
                                                 else f" for unit {anc.get(units_obj[i], {}).get(c.level, units_obj[i])}"),
                                             found="none", hint="add them to the objectives table, or assign objectives "
                                             "to this person in the assignments table"))
            # points = max × ach / (100 × scale), in 1/pscale points, expressed in centipoints
            num = np.where(ach >= 0, ach, 0) * int(mx.numerator) * pscale
            den = full * int(mx.denominator)
            pts = Q(num, den).to_units(1, mode) * (CP // pscale)
            pts = np.where(ach >= 0, pts, 0)
            key = f"{rid}.{c.id}"
            components[key] = np.where(role_idx == k, pts, 0)
            comp_ach[key] = ach
            results[rows] += pts[rows]
    if errors:
        raise DatasetErrors(errors[:50])

    # behaviour: sum of scores per person
    beh = ds.table("behaviours")
    person = index_of(beh["person_id"], person_ids)
    behaviour = np.zeros(n, dtype=np.int64)
    if len(beh):
        known = person >= 0
        np.add.at(behaviour, person[known], beh["score"][known])
    total = results + behaviour
    behaviour = np.where(scored, behaviour, 0)
    total = np.where(scored, total, 0)
    results = np.where(scored, results, 0)

    judgement = np.full(n, None, dtype=object)
    jlabel = np.full(n, None, dtype=object)
    negative = np.zeros(n, dtype=bool)
    tq = Q(total, CP)
    bq = Q(behaviour, CP)
    for k, rid in enumerate(role_ids):
        role = rules.roles[rid]
        sel = (role_idx == k) & scored
        if not sel.any():
            continue
        if role.judgement:
            j = rules.judgements[role.judgement]
            values = {"total": tq, "results": Q(results, CP), "behaviour": bq}[j.variable]
            for band in j.bands:
                m = sel & band.interval.mask(values)
                judgement[m] = band.id
                jlabel[m] = band.label
        if role.negative_below is not None:
            negative |= sel & (bq < role.negative_below)
    return Individual(role_idx, role_ids, scored, components, comp_ach, results, behaviour, total,
                      judgement, jlabel, negative)


def _wmean(pairs: list[tuple[int, Fraction]], mode: str) -> int:
    w = sum((p[1] for p in pairs), Fraction(0))
    if not pairs or w == 0:
        return -1
    return round_fraction(sum((Fraction(a) * wt for a, wt in pairs), Fraction(0)) / w, 1, mode)
