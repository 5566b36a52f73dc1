"""The evaluation pipeline: one place where the stages are chained.

``evaluate(profile, dataset, year)`` runs, in order:

1. :func:`check_dataset` — the dataset against the profile (roles, factors
   and their scales, absence types, resources, levels): every problem, with
   file/row/column, before anything is computed;
2. :func:`organisational` — grado di raggiungimento of every indicator and
   objective (``organisational.achievement`` of the profile);
3. :func:`individual` — per person: results points per component, behaviour
   points, total, judgement, negative flag (``roles.*``);
4. :func:`payout` — theoretical amount, payout factor (``curves``),
   coefficient (``coefficients``), premium to the cent, maggiorazione
   (``maggiorazioni``), fund totals and economies (``funds``).

Each stage returns an immutable result; the engine performs no I/O.
Units: achievement in units of ``10**-achievement_decimals`` percent, points
in centipoints, money in cents, all int64 (see docs/design.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from . import __version__, formula
from .columns import as_objects, index_of
from .errors import DatasetError, DatasetErrors, SmvpError, SmvpErrors
from .exact import Q, allocate_largest_remainder, decimal_from_units, round_fraction, where
from .profile import INDIVIDUAL_LEVEL, Profile, Resolved, Role

CP = 100  # centipoints per point
FRACTION_SCALE = 1_000_000


# ====================================================================== stage results

@dataclass(frozen=True)
class ObjectiveResult:
    """Grado di raggiungimento of one objective (``achievement`` in ``1/ach_scale`` percent)."""

    objective_id: str
    label: str
    level: str
    unit_id: str | None
    person_id: str | None
    weight: Fraction
    achievement: int
    attested: bool
    note: str | None
    indicators: tuple[tuple[str, int, str], ...]  # (indicator_id, achievement, how)


@dataclass(frozen=True)
class Organisational:
    """Stage 2: objectives and their achievement; ``scale`` units per percent."""

    scale: int
    objectives: dict[str, ObjectiveResult]
    unit_achievement: dict[tuple[str, str], int]  # (level, unit_id) → achievement of that unit's objectives


@dataclass(frozen=True)
class Individual:
    """Stage 3: per-person columns (length n = staff rows)."""

    role_index: np.ndarray  # int64 index into role_ids
    role_ids: tuple[str, ...]
    scored: np.ndarray  # bool: the role is scorable
    components: dict[str, np.ndarray]  # "role.component" → centipoints (only rows of that role meaningful)
    component_achievement: dict[str, np.ndarray]  # same keys → achievement units (-1: none)
    results: np.ndarray  # centipoints
    behaviour: np.ndarray  # centipoints
    total: np.ndarray  # centipoints
    judgement: np.ndarray  # object: band id or None
    judgement_label: np.ndarray
    negative: np.ndarray  # bool


@dataclass(frozen=True)
class Payout:
    """Stage 4: money columns in cents and fund totals."""

    fund: np.ndarray  # object: fund id or None
    factor: Q  # payout factor 0–1, exact
    coefficient: Q  # exact
    coefficient_name: np.ndarray
    theoretical: np.ndarray  # cents
    premium: np.ndarray  # cents
    maggiorazione: np.ndarray  # cents
    maggiorazione_rank: np.ndarray  # int64, 0 = not ranked
    funds: tuple[dict, ...]  # fund, label, resources, distributed, economies (cents)
    maggiorazione_info: tuple[dict, ...]


@dataclass(frozen=True)
class Evaluation:
    """The whole evaluation of one Chamber's year."""

    profile: Profile
    rules: Resolved
    dataset: Any
    year: int
    organisational: Organisational
    individual: Individual
    payout: Payout
    engine_version: str = __version__
    notes: tuple[str, ...] = field(default_factory=tuple)

    # -- views for the edges (Decimal values; not for bulk work) --------
    def rows(self) -> list[dict]:
        """One dict per person (keys in docs/design.md), Decimal points and euro."""
        staff = self.dataset.table("staff")
        ind, pay, rules = self.individual, self.payout, self.rules
        ids = as_objects(staff["person_id"])
        names = as_objects(staff["name"])
        units = as_objects(staff["unit_id"])
        factors = pay.factor.fractions()
        coefs = pay.coefficient.fractions()
        out = []
        for i in range(len(staff)):
            rid = ind.role_ids[ind.role_index[i]]
            role = rules.roles[rid]
            scored = bool(ind.scored[i])
            pts = (lambda a: decimal_from_units(int(a[i]), 2)) if scored else (lambda a: None)
            comps = {c.id: (decimal_from_units(int(ind.components[f"{rid}.{c.id}"][i]), 2) if scored else None)
                     for c in role.components}
            has_pay = pay.fund[i] is not None
            out.append({
                "person_id": ids[i], "name": names[i], "role": rid, "role_label": role.label,
                "unit_id": units[i], "components": comps,
                "results": pts(ind.results), "behaviour": pts(ind.behaviour), "total": pts(ind.total),
                "judgement": ind.judgement[i], "judgement_label": ind.judgement_label[i],
                "negative": bool(ind.negative[i]) if scored else None,
                "payout_percent": _dec(factors[i] * 100, 2) if has_pay else None,
                "coefficient_name": pay.coefficient_name[i],
                "coefficient": _dec(coefs[i], 6) if has_pay else None,
                "fund": pay.fund[i],
                "theoretical": decimal_from_units(int(pay.theoretical[i]), 2) if has_pay else None,
                "premium": decimal_from_units(int(pay.premium[i]), 2) if has_pay else None,
                "maggiorazione": decimal_from_units(int(pay.maggiorazione[i]), 2) if has_pay else None,
                "paid": decimal_from_units(int(pay.premium[i] + pay.maggiorazione[i]), 2) if has_pay else None,
                "maggiorazione_rank": int(pay.maggiorazione_rank[i]) or None,
            })
        return out

    def funds(self) -> list[dict]:
        """Per fund: fund, label, resources, distributed, economies (Decimal euro)."""
        return [{"fund": f["fund"], "label": f["label"], "resource": f["resource"],
                 "resources": decimal_from_units(f["resources"], 2),
                 "distributed": decimal_from_units(f["distributed"], 2),
                 "economies": decimal_from_units(f["economies"], 2), "people": f["people"]}
                for f in self.payout.funds]

    def objectives(self) -> list[dict]:
        """Per objective: id, label, level, unit, achievement (Decimal %), attested, note."""
        org = self.organisational
        digits = len(str(org.scale)) - 1
        return [{"objective_id": o.objective_id, "label": o.label, "level": o.level, "unit_id": o.unit_id,
                 "person_id": o.person_id, "achievement": decimal_from_units(o.achievement, digits),
                 "attested": o.attested, "note": o.note}
                for o in org.objectives.values()]

    def summary(self) -> dict:
        """Counts per judgement, negative, payout interval; totals; what could not be computed."""
        ind, pay, rules = self.individual, self.payout, self.rules
        judgements: dict[str, int] = {}
        for j in ind.judgement_label[ind.scored]:
            judgements[j] = judgements.get(j, 0) + 1
        bands = []
        total_q = Q(ind.total, CP)
        for cid, curve in rules.curves.items():
            roles_using = [i for i, r in enumerate(ind.role_ids) if rules.roles[r].payout and rules.roles[r].payout[1] == cid]
            using = np.isin(ind.role_index, roles_using) & ind.scored
            for seg in curve.segments:
                bands.append({"curve": cid, "interval": seg.interval.text, "value": seg.value,
                              "people": int(np.count_nonzero(seg.interval.mask(total_q) & using))})
        not_computed = list(rules.not_defined)
        return {
            "chamber": rules.chamber_id, "year": self.year, "people": int(len(ind.total)),
            "scored": int(np.count_nonzero(ind.scored)),
            "judgements": judgements, "negative": int(np.count_nonzero(ind.negative & ind.scored)),
            "payout_intervals": bands,
            "maggiorazioni": list(pay.maggiorazione_info),
            "resources": decimal_from_units(sum(f["resources"] for f in pay.funds), 2),
            "distributed": decimal_from_units(sum(f["distributed"] for f in pay.funds), 2),
            "economies": decimal_from_units(sum(f["economies"] for f in pay.funds), 2),
            "not_computed": not_computed,
            "notes": list(self.notes),
        }


def _dec(x: Fraction, digits: int) -> Decimal:
    return decimal_from_units(round_fraction(x, 10 ** digits), digits)


# ====================================================================== entry point

def evaluate(profile: Profile, dataset, year: int | None = None) -> Evaluation:
    """Evaluate ``dataset`` under ``profile`` for ``year``.

    Args:
        profile: a validated profile (:func:`engine.profile.load_profile`).
        dataset: a validated dataset (:func:`engine.dataset.load_dataset`).
        year: the year evaluated; defaults to the dataset's ``meta`` year.
    Returns:
        an :class:`Evaluation`.
    Raises:
        ProfileError(s): year outside the profile's validity.
        DatasetErrors: the dataset does not fit the profile, or something the
            rules need is missing (e.g. a resource), listing every problem.
    """
    if year is None:
        year = dataset.year
    if year is None:
        raise SmvpErrors([DatasetError("the year to evaluate is not given", file=dataset.path, field="meta.year",
                                       hint="pass --year or add a 'year' row to the meta table")])
    if dataset.year is not None and dataset.year != year:
        raise SmvpErrors([DatasetError(f"the dataset is for {dataset.year}, not {year}", file=dataset.path,
                                       field="meta.year", expected=str(year), found=str(dataset.year))])
    rules = profile.for_year(year)
    notes = check_dataset(rules, dataset, profile)
    org = organisational(rules, dataset)
    ind = individual(rules, dataset, org)
    pay = payout(rules, dataset, ind)
    return Evaluation(profile=profile, rules=rules, dataset=dataset, year=year,
                      organisational=org, individual=ind, payout=pay, notes=tuple(notes))


# ====================================================================== stage 1: checks

def _row_error(table, i, message, field, **kw) -> DatasetError:
    return DatasetError(message, file=table.file, line=int(table.rows[i]), field=field, **kw)


def check_dataset(rules: Resolved, ds, profile: Profile | None = None) -> list[str]:
    """Check the dataset against the rules in force.

    Raises:
        DatasetErrors: unknown role, factor or absence type; score above the
            factor's scale; missing or unknown scores; unknown level; missing
            or unknown resource; theoretical amount missing. At most 50 listed.
    Returns:
        notes for the report (e.g. a resource whose rule is not in force this year).
    """
    notes: list[str] = []
    known_any = _all_resources(profile) if profile is not None else set()
    errors: list[SmvpError] = []
    staff, beh = ds.table("staff"), ds.table("behaviours")
    role_ids = list(rules.roles)
    role_idx = index_of(staff["role"], role_ids)
    for i in np.flatnonzero(role_idx < 0)[:20]:
        found = as_objects(staff["role"][i:i + 1])[0] if not hasattr(staff["role"], "codes") else staff["role"][int(i)]
        errors.append(_row_error(staff, i, "unknown role", "role", expected="one of " + ", ".join(role_ids),
                                 found=repr(found), hint=_near(found, role_ids)))
    # levels
    levels = set(rules.level_ids)
    units = ds.table("units")
    for i, lvl in enumerate(as_objects(units["level"])):
        if lvl not in levels:
            errors.append(_row_error(units, i, "unknown level", "level", expected="one of " + ", ".join(rules.level_ids),
                                     found=repr(lvl), hint=_near(lvl, rules.level_ids)))
    objs = ds.table("objectives")
    for i, lvl in enumerate(as_objects(objs["level"])):
        if lvl not in levels and lvl != INDIVIDUAL_LEVEL:
            errors.append(_row_error(objs, i, "unknown level", "level",
                                     expected="one of " + ", ".join(rules.level_ids + (INDIVIDUAL_LEVEL,)),
                                     found=repr(lvl), hint=_near(lvl, rules.level_ids)))
    # behaviour scores: factor of the person's role, within scale, one per factor
    if len(staff) and (role_idx >= 0).all():
        person = index_of(beh["person_id"], staff["person_id"])
        factor_keys = [f"{r}.{f.id}" for r in role_ids for f in rules.roles[r].factors]
        fmax = np.array([int(f.max * CP) if f.max is not None else -1 for r in role_ids for f in rules.roles[r].factors],
                        dtype=np.int64)
        brole = role_idx[np.maximum(person, 0)]
        bfactor = as_objects(beh["factor"]) if not hasattr(beh["factor"], "codes") else beh["factor"].to_objects()
        key = np.empty(len(beh), dtype=object)
        rid_arr = np.asarray(role_ids, dtype=object)
        key[:] = [f"{a}.{b}" for a, b in zip(rid_arr[brole], bfactor)] if len(beh) < 200_000 else None
        if len(beh) >= 200_000:  # large populations: vectorised concatenation
            key = np.char.add(np.char.add(rid_arr[brole].astype(str), "."), bfactor.astype(str)).astype(object)
        fidx = index_of(key, factor_keys)
        bad = np.flatnonzero(fidx < 0)
        for i in bad[:20]:
            rid = role_ids[brole[i]]
            allowed = [f.id for f in rules.roles[rid].factors]
            errors.append(_row_error(beh, i, f"factor {bfactor[i]!r} is not a behaviour factor of role {rid!r}", "factor",
                                     expected="one of " + ", ".join(allowed) if allowed else "no factors (the role's scales are not defined)",
                                     found=repr(bfactor[i]), hint=_near(bfactor[i], allowed)))
        ok = fidx >= 0
        over = np.flatnonzero(ok & (beh["score"] > fmax[np.maximum(fidx, 0)]) & (fmax[np.maximum(fidx, 0)] >= 0))
        for i in over[:20]:
            mx = fmax[fidx[i]]
            errors.append(_row_error(beh, i, "score above the factor's scale", "score",
                                     expected=f"0–{decimal_from_units(mx, 2).normalize()} for {factor_keys[fidx[i]]}",
                                     found=str(decimal_from_units(int(beh['score'][i]), 2).normalize())))
        # every scorable person has one score per factor of the role
        nf = len(factor_keys)
        if nf and not bad.size:
            counts = np.bincount(person[ok] * nf + fidx[ok], minlength=len(staff) * nf).reshape(len(staff), nf)
            starts = np.cumsum([0] + [len(rules.roles[r].factors) for r in role_ids])
            need = np.zeros((len(role_ids), nf), dtype=bool)
            for k, r in enumerate(role_ids):
                if rules.roles[r].scorable:
                    need[k, starts[k]:starts[k + 1]] = True
            missing = need[role_idx] & (counts == 0)
            for i, j in zip(*np.nonzero(missing)):
                if len(errors) >= 50:
                    break
                errors.append(DatasetError(f"no behaviour score for factor {factor_keys[j].split('.', 1)[1]!r}",
                                           file=beh.file, field="score",
                                           expected=f"one row for person {as_objects(staff['person_id'][i:i+1])[0] if not hasattr(staff['person_id'], 'codes') else staff['person_id'][int(i)]}",
                                           found="none", hint="add the missing row to the behaviours table"))
    # absences
    ab = ds.table("absences")
    for i, t in enumerate(as_objects(ab["type"])):
        if t not in rules.absence_types:
            errors.append(_row_error(ab, i, "unknown absence type", "type",
                                     expected="one of " + ", ".join(rules.absence_types) if rules.absence_types else "no absence types (the profile defines none)",
                                     found=repr(t), hint=_near(t, list(rules.absence_types))))
    # resources
    res = ds.table("resources")
    names = list(as_objects(res["resource"]))
    needed = rules.resources
    for i, r in enumerate(names):
        if r not in needed and r in known_any:
            notes.append(f"resource {r!r} is not used in {rules.year}: no rule of the profile that uses it is in force")
        elif r not in needed:
            errors.append(_row_error(res, i, "unknown resource", "resource",
                                     expected="one of " + ", ".join(sorted(needed)) if needed else "none",
                                     found=repr(r), hint=_near(r, sorted(needed))))
    if len(staff) and (role_idx >= 0).all():
        paid_roles = {r.payout[0] for r in rules.roles.values() if r.payout and r.scorable
                      and np.any(role_idx == role_ids.index(r.id))}
        wanted = {rules.funds[f].resource for f in paid_roles}
        wanted |= {m.resource for m in rules.maggiorazioni.values()
                   if any(np.any(role_idx == role_ids.index(x)) for x in m.roles)}
        for r in sorted(wanted - set(names)):
            errors.append(DatasetError(f"missing resource {r!r}", file=res.file, field="resource",
                                       expected=f"a row '{r}' with its amount in euro", found="no such row",
                                       hint="add the row to the resources table"))
    if errors:
        raise DatasetErrors(errors[:50])
    return notes


def _all_resources(profile: Profile) -> set[str]:
    """Resource ids named anywhere in the profile, in any year."""
    out = set()
    for key in ("funds", "maggiorazioni"):
        for entry in (profile.data.get(key) or {}).values():
            for variant in (entry.get("variants") or [entry]) if isinstance(entry, dict) else []:
                if isinstance(variant, dict) and variant.get("resource"):
                    out.add(variant["resource"])
    return out


def _near(value, choices) -> str | None:
    import difflib

    if value is None:
        return None
    m = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return f"did you mean {m[0]!r}?" if m else None


# ====================================================================== stage 2: organisational

def organisational(rules: Resolved, ds) -> Organisational:
    """Grado di raggiungimento of each indicator and objective.

    Indicator: actual/target (target/actual when lower is better) × 100,
    capped at ``organisational.achievement.cap_percent``, rounded to
    ``precision.achievement_decimals`` (``precision.rounding``). Objective: the
    attested value if given, else the weighted mean of its indicators, rounded.

    Raises:
        DatasetErrors: an objective with neither indicators nor attested value;
            a ratio that cannot be computed (lower-is-better with actual 0 and no cap).
    """
    scale = 10 ** rules.achievement_decimals  # units per percent
    mode = rules.points_rounding
    cap = rules.achievement_cap
    objs, inds = ds.table("objectives"), ds.table("indicators")
    errors: list[SmvpError] = []
    by_obj: dict[str, list[tuple[str, int, Fraction, str]]] = {}
    o_ids = as_objects(inds["objective_id"])
    i_ids = as_objects(inds["indicator_id"])
    directions = as_objects(inds["direction"])
    for i in range(len(inds)):
        target, actual = Fraction(inds["target"][i]), Fraction(inds["actual"][i])
        weight = Fraction(inds["weight"][i])
        if directions[i] == "lower":
            if actual == 0:
                if cap is None:
                    errors.append(_row_error(inds, i, "lower-is-better indicator with actual 0 has no finite achievement",
                                             "actual", hint="set a cap_percent in the profile or attest the objective"))
                    continue
                ratio, how = cap, f"target/actual with actual 0 → cap {cap}%"
            else:
                ratio, how = target / actual * 100, "target/actual × 100"
        else:
            ratio, how = actual / target * 100, "actual/target × 100"
        if ratio < 0:
            errors.append(_row_error(inds, i, "negative achievement: the profile's source gives no rule for it", "actual",
                                     found=str(inds["actual"][i])))
            continue
        if cap is not None and ratio > cap:
            ratio, how = cap, how + f", capped at {cap}%"
        by_obj.setdefault(o_ids[i], []).append((i_ids[i], round_fraction(ratio, scale, mode), weight, how))
    results: dict[str, ObjectiveResult] = {}
    ids = as_objects(objs["objective_id"])
    labels, levels = as_objects(objs["label"]), as_objects(objs["level"])
    units, persons = as_objects(objs["unit_id"]), as_objects(objs["person_id"])
    notes = as_objects(objs["attestation_note"])
    for i in range(len(objs)):
        oid = ids[i]
        att = objs["attested_percent"][i]
        ind_list = by_obj.get(oid, [])
        if att is not None:
            ach, attested = round_fraction(Fraction(att), scale, mode), True
        elif ind_list:
            wsum = sum((w for _, _, w, _ in ind_list), Fraction(0))
            if wsum == 0:
                errors.append(_row_error(objs, i, "the indicators of this objective all have weight 0", "weight"))
                continue
            ach = round_fraction(sum((Fraction(a) * w for _, a, w, _ in ind_list), Fraction(0)) / wsum, 1, mode)
            attested = False
        else:
            errors.append(_row_error(objs, i, f"objective {oid!r} has no indicators and no attested value", "attested_percent",
                                     hint="add its indicators to the indicators table or an attested_percent"))
            continue
        results[oid] = ObjectiveResult(oid, labels[i], levels[i], units[i], persons[i], Fraction(objs["weight"][i]),
                                       ach, attested, notes[i], tuple((a, b, d) for a, b, _, d in ind_list))
    if errors:
        raise DatasetErrors(errors[:50])
    unit_ach: dict[tuple[str, str], int] = {}
    groups: dict[tuple[str, str], list[ObjectiveResult]] = {}
    for o in results.values():
        if o.level != INDIVIDUAL_LEVEL:
            groups.setdefault((o.level, o.unit_id or ""), []).append(o)
    for key, os_ in groups.items():
        w = sum((o.weight for o in os_), Fraction(0))
        if w:
            unit_ach[key] = round_fraction(sum((o.weight * o.achievement for o in os_), Fraction(0)) / w, 1, mode)
    return Organisational(scale=scale, objectives=results, unit_achievement=unit_ach)


# ====================================================================== stage 3: individual

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
    full = 100 * org.scale

    # individual objectives and assignments
    indiv: dict[str, list[ObjectiveResult]] = {}
    for o in org.objectives.values():
        if o.level == INDIVIDUAL_LEVEL and o.person_id:
            indiv.setdefault(o.person_id, []).append(o)
    assigned: dict[tuple[str, str], list[tuple[str, Fraction | None]]] = {}
    asg = ds.table("assignments")
    a_p, a_c, a_o = as_objects(asg["person_id"]), as_objects(asg["component"]), as_objects(asg["objective_id"])
    for i in range(len(asg)):
        w = asg["weight"][i]
        assigned.setdefault((a_p[i], a_c[i]), []).append((a_o[i], Fraction(w) if w is not None else None))
    assigned_people = {p for p, _ in assigned}

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
                for i in rows:
                    os_ = indiv.get(person_obj[i], [])
                    ach[i] = _wmean([(o.achievement, o.weight) for o in os_], mode)
            else:
                per_unit = np.array([org.unit_achievement.get((c.level, anc[u].get(c.level) if c.level != "ente" or True else ""), -1)
                                     if anc[u].get(c.level) is not None else -1 for u in unit_keys] or [-1], dtype=np.int64)
                if c.level == rules.level_ids[0]:  # the top level: all its objectives, whatever the unit
                    top = [o for o in org.objectives.values() if o.level == c.level]
                    per_unit[:] = _wmean([(o.achievement, o.weight) for o in top], mode)
                ach[rows] = np.where(unit_idx[rows] >= 0, per_unit[np.maximum(unit_idx[rows], 0)], -1)
            if assigned_people:
                for i in rows:
                    lst = assigned.get((person_obj[i], c.id))
                    if lst:
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
    behaviour = np.bincount(person[person >= 0], weights=None, minlength=n).astype(np.int64) * 0
    if len(beh):
        behaviour = np.zeros(n, dtype=np.int64)
        np.add.at(behaviour, person[person >= 0], beh["score"][person >= 0])
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


# ====================================================================== stage 4: payout & funds

def _person_names(staff, ind: Individual, effective_days: np.ndarray) -> dict[str, Any]:
    return {
        "total": Q(ind.total, CP), "results": Q(ind.results, CP), "behaviour": Q(ind.behaviour, CP),
        "presence_days": Q.scaled(effective_days, 100),
        "part_time": Q.scaled(staff["part_time"], FRACTION_SCALE),
        "time_coefficient": Q.scaled(staff["time_coefficient"], FRACTION_SCALE),
    }


def payout(rules: Resolved, ds, ind: Individual) -> Payout:
    """Premiums and maggiorazioni to the cent; fund totals with economies.

    premium = theoretical × curve factor × coefficient, rounded by
    ``money.rounding`` to the cent (exact); theoretical from the data
    (``per_person``) or split from a pool (``pool_split``, largest remainder).
    Economies = resources − distributed, so totals are conserved to the cent.

    Raises:
        DatasetErrors: a theoretical amount missing; premiums above a fund's
            resources (the source gives no reduction rule); a formula that fails.
    """
    staff = ds.table("staff")
    n = len(staff)
    errors: list[SmvpError] = []
    mode = rules.money_rounding
    person_obj = as_objects(staff["person_id"])

    # effective presence: presence + neutral absence days
    days = staff["presence_days"].astype(np.int64).copy()
    ab = ds.table("absences")
    if len(ab):
        neutral = np.array([rules.absence_types[t].neutral for t in as_objects(ab["type"])], dtype=bool)
        who = index_of(ab["person_id"], staff["person_id"])
        np.add.at(days, who[neutral & (who >= 0)], ab["days"][neutral & (who >= 0)])
    names = _person_names(staff, ind, days)

    fund = np.full(n, None, dtype=object)
    factor = Q(np.zeros(n, dtype=np.int64), 1)
    coefficient = Q(np.zeros(n, dtype=np.int64), 1)
    coef_name = np.full(n, None, dtype=object)
    theoretical = np.zeros(n, dtype=np.int64)
    premium = np.zeros(n, dtype=np.int64)

    # theoretical amounts from the data, categories as fallback
    th_given = staff["theoretical_premium"]
    th_missing = staff.missing.get("theoretical_premium", np.zeros(n, dtype=bool))
    cats = ds.table("categories")
    cat_amount = dict(zip(as_objects(cats["category"]), (int(x) for x in cats["theoretical_premium"])))
    staff_cat = as_objects(staff["category"])

    res = ds.table("resources")
    resources = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"])))

    for k, rid in enumerate(ind.role_ids):
        role = rules.roles[rid]
        sel = (ind.role_index == k) & ind.scored
        if not role.payout or not sel.any():
            continue
        fid, cid, coid = role.payout
        fund[sel] = fid
        rows = np.flatnonzero(sel)
        sub = {k2: v[rows] for k2, v in names.items()}
        curve = rules.curves[cid]
        f = Q(np.zeros(len(rows), dtype=np.int64), 1)
        var = sub[curve.variable]
        try:
            for seg in curve.segments:
                val = formula.evaluate(seg.value, {curve.variable: var}, len(rows))
                f = where(seg.interval.mask(var), val, f)
            c = formula.evaluate(rules.coefficients[coid].formula, sub, len(rows))
        except formula.FormulaError as e:
            raise SmvpErrors([SmvpError(str(e), field=f"roles.{rid}.payout")]) from None
        factor = _assign(factor, rows, f, n)
        coefficient = _assign(coefficient, rows, c, n)
        coef_name[rows] = coid

    # theoretical per fund
    for fid, fnd in rules.funds.items():
        members = np.flatnonzero(fund == fid)
        if not members.size:
            continue
        if fnd.method == "per_person":
            for i in members:
                if not th_missing[i]:
                    theoretical[i] = int(th_given[i])
                elif staff_cat[i] in cat_amount:
                    theoretical[i] = cat_amount[staff_cat[i]]
                else:
                    errors.append(_row_error(staff, i, "no theoretical premium: blank, and no category amount", "theoretical_premium",
                                             expected="an amount in euro, or a category listed in the categories table",
                                             found=f"category {staff_cat[i]!r}" if staff_cat[i] else "blank"))
        else:  # pool_split
            pool = resources.get(fnd.resource, 0)
            shares: list[Fraction] = []
            order: list[int] = []
            for rid, pct, split in fnd.shares:
                k = ind.role_ids.index(rid)
                people = [i for i in members if ind.role_index[i] == k]
                if not people:
                    continue
                if split == "pool_share":
                    ws = [Fraction(staff["pool_share"][i]) for i in people]
                else:
                    ws = [Fraction(1)] * len(people)
                wsum = sum(ws, Fraction(0))
                for i, w in zip(people, ws):
                    shares.append(Fraction(pool) * pct / 100 * (w / wsum if wsum else 0))
                    order.append(i)
            for i, cents in zip(order, allocate_largest_remainder(shares)):
                theoretical[i] = cents
            unshared = set(members) - set(order)
            for i in sorted(unshared):
                errors.append(_row_error(staff, i, f"role {ind.role_ids[ind.role_index[i]]!r} has no share of pool {fid!r}",
                                         "role", hint="add the role to the fund's theoretical.shares in the profile"))
    if errors:
        raise DatasetErrors(errors[:50])

    paid_rows = np.flatnonzero(fund != None)  # noqa: E711
    if paid_rows.size:
        prem = (Q(theoretical[paid_rows], 1) * factor[paid_rows] * coefficient[paid_rows]).to_units(1, mode)
        premium[paid_rows] = prem

    # maggiorazioni
    magg = np.zeros(n, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    info = []
    for mid, m in rules.maggiorazioni.items():
        ks = [ind.role_ids.index(r) for r in m.roles]
        pop = np.flatnonzero(np.isin(ind.role_index, ks) & ind.scored)
        mnames = {k2: v[pop] for k2, v in names.items()}
        mnames.update({"premium": Q(premium[pop], 100), "theoretical": Q(theoretical[pop], 100),
                       "payout_factor": factor[pop], "coefficient": coefficient[pop]})
        try:
            eligible = np.asarray(formula.evaluate(m.eligible, mnames, len(pop)), dtype=bool)
            el = pop[eligible]
            quota = round_fraction(m.quota_percent * len(el) / 100, 1, m.quota_rounding)
            key = {k2: v[eligible] for k2, v in mnames.items()}
            rank_q = key[m.rank_by]
            # exact descending order: common denominator, stable by staff order
            order = np.argsort(-(rank_q.num * (int(np.lcm.reduce(np.atleast_1d(rank_q.den))) // rank_q.den))
                               if len(el) else np.zeros(0), kind="stable")
            sorted_vals = (rank_q.num * (int(np.lcm.reduce(np.atleast_1d(rank_q.den))) // rank_q.den))[order] if len(el) else np.zeros(0)
            if quota >= len(el):
                take = len(el)
            elif quota == 0:
                take = 0
            else:
                cut = sorted_vals[quota - 1]
                if sorted_vals[quota] == cut:  # a tie straddles the cut
                    if m.tie_policy == "exclude_tied":
                        take = int(np.count_nonzero(sorted_vals > cut))
                    else:
                        take = int(np.count_nonzero(sorted_vals >= cut))
                else:
                    take = quota
            rank[el[order]] = np.arange(1, len(el) + 1)
            winners = el[order[:take]]
            amount = 0
            if len(el):
                amount = int(formula.evaluate(m.amount, key, None).to_units(100, mode).ravel()[0]) if take else 0
        except (formula.FormulaError, ZeroDivisionError) as e:
            raise SmvpErrors([SmvpError(f"maggiorazione {mid}: {e}", field=f"maggiorazioni.{mid}")]) from None
        available = resources.get(m.resource, 0)
        reduced = False
        if take and amount * take > available:
            if m.shortfall == "pro_rata":
                amount, reduced = available // take, True
            else:
                raise DatasetErrors([DatasetError(
                    f"maggiorazione {mid}: {take} × {decimal_from_units(amount, 2)} € exceeds the resources",
                    file=res.file, field="amount", expected=f"at least {decimal_from_units(amount * take, 2)}",
                    found=str(decimal_from_units(available, 2)))])
        magg[winners] += amount
        info.append({"id": mid, "label": m.label, "population": int(len(pop)), "eligible": int(len(el)),
                     "quota": int(quota), "recipients": int(take), "amount_each": decimal_from_units(amount, 2),
                     "reduced_pro_rata": reduced, "tie_policy": m.tie_policy,
                     "resource": m.resource, "resources": available,
                     "distributed": int(amount * take)})

    # fund totals
    totals = []
    for fid, fnd in rules.funds.items():
        members = fund == fid
        distributed = int(premium[members].sum())
        if not members.any() and fnd.resource not in resources:
            continue
        avail = resources.get(fnd.resource, 0)
        if distributed > avail:
            errors.append(DatasetError(
                f"the premiums of fund {fid!r} ({decimal_from_units(distributed, 2)} €) exceed its resources "
                f"({decimal_from_units(avail, 2)} €); the profile's source gives no rule to reduce them",
                file=res.file, field="amount", expected=f"at least {decimal_from_units(distributed, 2)} for {fnd.resource!r}",
                found=str(decimal_from_units(avail, 2)), hint="check the resources or the theoretical premiums"))
        totals.append({"fund": fid, "label": fnd.label, "resource": fnd.resource, "resources": avail,
                       "distributed": distributed, "economies": avail - distributed, "people": int(members.sum())})
    for m in info:
        totals.append({"fund": m["id"], "label": m["label"], "resource": m["resource"], "resources": m["resources"],
                       "distributed": m["distributed"], "economies": m["resources"] - m["distributed"],
                       "people": m["recipients"]})
    used = {t["resource"] for t in totals}
    for r, avail in resources.items():
        if r not in used:  # a resource of a rule not in force this year: all of it is economies
            totals.append({"fund": r, "label": f"{r} (nessuna regola in vigore nel {rules.year})", "resource": r,
                           "resources": avail, "distributed": 0, "economies": avail, "people": 0})
    if errors:
        raise DatasetErrors(errors[:50])
    return Payout(fund, factor, coefficient, coef_name, theoretical, premium, magg, rank, tuple(totals), tuple(info))


def _assign(target: Q, rows: np.ndarray, value: Q, n: int) -> Q:
    """``target`` with ``rows`` replaced by ``value`` (exact, common denominator per row)."""
    tn = np.broadcast_to(target.num, (n,)).copy()
    td = np.broadcast_to(target.den, (n,)).copy()
    vn = np.broadcast_to(value.num, (len(rows),))
    vd = np.broadcast_to(value.den, (len(rows),))
    if tn.dtype != vn.dtype:
        tn, vn = tn.astype(object), vn.astype(object)
    if td.dtype != vd.dtype:
        td, vd = td.astype(object), vd.astype(object)
    tn[rows] = vn
    td[rows] = vd
    return Q(tn, td)
