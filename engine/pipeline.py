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

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from . import _version
from .checks import check_dataset
from .columns import as_objects
from .errors import DatasetError, DatasetErrors, Msg, SmvpErrors
from .exact import Q, decimal_from_units, round_fraction
from .individual import individual
from .organisational import Performance, organisational
from .organisational import performance as ente_performance
from .payout import payout
from .profile import Profile
from .profile_model import Resolved
from .projects import ProjectValuationResult
from .projects import projects as value_projects
from .stages import Individual, Organisational, Payout

CP = 100  # centipoints per point
FRACTION_SCALE = 1_000_000


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
    engine_version: str = field(default_factory=_version)
    notes: tuple[str, ...] = field(default_factory=tuple)
    performance: Performance | None = None  # organisational.ente / links / attestation (smvp_engine.organisational.performance)
    project_valuation: ProjectValuationResult | None = None  # project_valuation (smvp_engine.projects)

    # -- views for the edges (Decimal values; not for bulk work) --------
    def rows(self, limit: int | None = None) -> list[dict]:
        """One dict per person (keys in docs/design.md), Decimal points and euro; the first
        ``limit`` people only when given."""
        staff = self.dataset.table("staff")
        ind, pay, rules = self.individual, self.payout, self.rules
        ids = as_objects(staff["person_id"])
        names = as_objects(staff["name"])
        units = as_objects(staff["unit_id"])
        head = slice(None) if limit is None else slice(0, limit)
        factors = pay.factor[head].fractions()
        coefs = pay.coefficient[head].fractions()
        out = []
        for i in range(len(staff) if limit is None else min(limit, len(staff))):
            rid = ind.role_ids[ind.role_index[i]]
            role = rules.roles[rid]
            scored = bool(ind.scored[i])
            comps = {c.id: (decimal_from_units(int(ind.components[f"{rid}.{c.id}"][i]), 2) if scored else None)
                     for c in role.components if c.counts}
            has_pay = pay.fund[i] is not None
            out.append({
                "person_id": ids[i], "name": names[i], "role": rid, "role_label": role.label,
                "unit_id": units[i], "components": comps,
                "results": _points(ind.results, i, scored), "behaviour": _points(ind.behaviour, i, scored),
                "total": _points(ind.total, i, scored),
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
                "reported": {c.id: self._reported(rid, c.id, i) for c in role.components if not c.counts},
            })
        return out

    def _reported(self, rid: str, cid: str, i: int) -> Decimal | None:
        """The grado di raggiungimento (Decimal %) of a reported component (``counts: false``) for row
        ``i``; None when the person's unit has no objectives at the component's level."""
        a = int(self.individual.component_achievement[f"{rid}.{cid}"][i])
        return decimal_from_units(a, self.rules.achievement_decimals) if a >= 0 else None

    def funds(self) -> list[dict]:
        """Per fund: fund, label, resources, distributed, economies, reduction (Decimal euro).

        ``reduction``: the part of ``resources`` withheld because the Ente's final
        performance is below 100% (``organisational.ente.attestation_reduces_funds``);
        it is part of ``economies``.
        """
        return [{"fund": f["fund"], "label": f["label"], "resource": f["resource"],
                 "resources": decimal_from_units(f["resources"], 2),
                 "distributed": decimal_from_units(f["distributed"], 2),
                 "economies": decimal_from_units(f["economies"], 2), "people": f["people"],
                 "reduction": decimal_from_units(f.get("reduction", 0), 2)}
                for f in self.payout.funds]

    def ente(self) -> dict | None:
        """The Ente's performance (``organisational.ente``; None without the rule): label, computed,
        attested, final (Decimal %), note, areas (objective_id, label, weight, achievement), reductions
        (fund, resource, resources, percent, reduced, reduction), links (objective_id, linked_objective_id, weight),
        measured (objective_id → Decimal %, before attestation)."""
        perf = self.performance
        if perf is None or self.rules.ente is None:
            return None
        digits = len(str(perf.scale)) - 1
        pct = lambda u: decimal_from_units(u, digits) if u is not None else None
        return {
            "label": perf.label, "computed": pct(perf.computed), "attested": pct(perf.attested),
            "final": pct(perf.final), "note": perf.note,
            "areas": [{"objective_id": a.objective_id, "label": a.label, "weight": _dec(a.weight, 6).normalize(),
                       "achievement": pct(a.achievement)} for a in perf.areas],
            "reductions": [{"fund": r.fund, "resource": r.resource, "resources": decimal_from_units(r.resources, 2),
                            "percent": pct(r.percent), "reduced": decimal_from_units(r.reduced, 2),
                            "reduction": decimal_from_units(r.reduction, 2)} for r in perf.reductions],
            "links": [{"objective_id": p, "linked_objective_id": c, "weight": _dec(w, 6).normalize()}
                      for p, c, w in perf.links],
            "measured": {k: pct(v) for k, v in perf.measured.items()},
        }

    def projects(self) -> dict | None:
        """Project valuation (``project_valuation``; None without the rule or without a projects table):
        label; funds (fund, label, stable, variable, base, percent_per_point, unit_value, points, total,
        percent_of_fund, bounds_low, bounds_high, allocation_key, allocation [unit_id, label, key, amount],
        people [person_id, unit_id, key, amount: the unit's amount split by the person's key, largest remainder]);
        projects (objective_id, label, relevance, coefficient, funds [the funds financing it], values {fund: euro}); weight_gaps
        (objective_id, group, relevance_points, weight_points, gap, ok). Money in Decimal euro."""
        pv = self.project_valuation
        if pv is None:
            return None
        eur = lambda c: decimal_from_units(c, 2)
        ex = lambda x: _dec(x, 4) if x is not None else None
        return {
            "label": pv.label,
            "funds": [{"fund": f.fund, "label": f.label, "stable": eur(f.stable), "variable": eur(f.variable),
                       "base": eur(f.base), "percent_per_point": ex(f.percent_per_point), "unit_value": eur(f.unit_value),
                       "points": ex(f.points), "total": eur(f.total), "percent_of_fund": ex(f.percent_of_base),
                       "bounds_low": ex(f.bounds_low / 100) if f.bounds_low is not None else None,
                       "bounds_high": ex(f.bounds_high / 100) if f.bounds_high is not None else None,
                       "allocation_key": f.allocation_key,
                       "allocation": [{"unit_id": a.unit_id, "label": a.label, "key": ex(a.key), "amount": eur(a.amount)}
                                      for a in f.allocation],
                       "people": [{"person_id": x.person_id, "unit_id": x.unit_id, "key": ex(x.key),
                                   "amount": eur(x.amount)} for x in f.people]} for f in pv.funds],
            "projects": [{"objective_id": p.objective_id, "label": p.label, "relevance": p.relevance,
                          "coefficient": ex(p.coefficient), "funds": [f for f, _ in p.values],
                          "values": {f: eur(c) for f, c in p.values}}
                         for p in pv.projects],
            "weight_gaps": [{"objective_id": g.objective_id, "group": g.group, "relevance_points": ex(g.relevance_points),
                             "weight_points": ex(g.weight_points), "gap": ex(g.gap), "ok": g.ok} for g in pv.gaps],
        }

    def _ente_and_projects_summary(self) -> dict:
        """Summary entries for ``organisational.ente`` and ``project_valuation`` (only when computed)."""
        out: dict = {}
        e = self.ente()
        if e is not None:
            out["ente_performance"] = {
                "label": e["label"], "computed": e["computed"], "attested": e["attested"], "final": e["final"],
                "areas": {a["label"]: a["achievement"] for a in e["areas"]},
                **({"reductions": {r["fund"]: {k: r[k] for k in ("resources", "percent", "reduced", "reduction")}
                                   for r in e["reductions"]}}
                   if e["reductions"] else {}),
            }
        p = self.projects()
        if p is not None:
            out["project_valuation"] = {
                f["label"]: {"unit_value": f["unit_value"], "points": f["points"], "total": f["total"],
                             "percent_of_fund": f["percent_of_fund"],
                             "allocation": {a["label"]: a["amount"] for a in f["allocation"]}}
                for f in p["funds"]}
        return out

    def objectives(self) -> list[dict]:
        """Per objective: id, label, level, unit, achievement (Decimal %, as counted), status, attested, note,
        reported (an objective of a planning body's level, ``planning.bodies``: reported per unit, not
        counted in the Ente's performance).

        ``measured`` is the value before the status bands (attested, or the weighted
        mean of the indicators); ``status``/``status_label`` the band it falls in
        (None when the profile has no ``organisational.achievement.bands``).
        """
        org = self.organisational
        digits = len(str(org.scale)) - 1
        types = self._types()
        bodies = set(self.rules.body_levels)
        return [{"objective_id": o.objective_id, "label": o.label, "level": o.level, "unit_id": o.unit_id,
                 "person_id": o.person_id, "achievement": decimal_from_units(o.achievement, digits),
                 "status": o.status, "status_label": o.status_label,
                 "measured": decimal_from_units(o.measured, digits) if o.measured is not None else None,
                 "type": types.get(o.objective_id), "attested": o.attested, "note": o.note,
                 "reported": o.level in bodies}
                for o in org.objectives.values()]

    def _types(self) -> dict[str, str | None]:
        objs = self.dataset.table("objectives")
        return dict(zip(as_objects(objs["objective_id"]), as_objects(objs["type"])))

    def indicators(self) -> list[dict]:
        """Per indicator: indicator_id, objective_id, measured (uncapped ratio, Decimal %; None when
        infinite), achievement (as counted, Decimal %), status, status_label, how."""
        org = self.organisational
        digits = len(str(org.scale)) - 1
        return [{"indicator_id": r.indicator_id, "objective_id": r.objective_id,
                 "measured": decimal_from_units(r.measured, digits) if r.measured is not None else None,
                 "achievement": decimal_from_units(r.achievement, digits),
                 "status": r.status, "status_label": r.status_label, "how": r.how}
                for r in org.indicators]

    def units(self) -> list[dict]:
        """Organisational performance per level and unit (the Ente first: all top-level objectives):
        level, level_label, unit_id, unit_label, objectives (count), achievement (Decimal %), status, status_label."""
        org, rules = self.organisational, self.rules
        digits = len(str(org.scale)) - 1
        level_labels = dict(rules.levels)
        units = self.dataset.table("units")
        unit_labels = dict(zip(as_objects(units["unit_id"]), as_objects(units["label"])))
        return [{"level": u.level, "level_label": level_labels.get(u.level, u.level), "unit_id": u.unit_id,
                 "unit_label": unit_labels.get(u.unit_id) if u.unit_id else None, "objectives": u.objectives,
                 "achievement": decimal_from_units(u.achievement, digits),
                 "status": u.status, "status_label": u.status_label}
                for u in org.units]

    def _not_computed(self) -> list[str]:
        """What the evaluation does not compute, in plain words (from the profile's ``defined: false``,
        roles that cannot be scored and ``not_defined``)."""
        rules = self.rules
        out = list(rules.not_defined)
        unscored = [r.label for r in rules.roles.values() if not r.scorable]
        if unscored:
            out.insert(0, Msg("individual performance (results and behaviour points, total, judgement, premium) "
                              "of {roles}: not computed, because the source does not define the weights and "
                              "scales it needs (details below); organisational performance is computed",
                              roles=", ".join(unscored)))
        if any(r.scorable for r in rules.roles.values()) and not rules.funds:
            out.append(Msg("premiums and funds: not computed, the profile defines no fund"))
        return out

    def summary(self) -> dict:
        """Counts per judgement, negative, payout interval; totals; what could not be computed."""
        ind, pay, rules = self.individual, self.payout, self.rules
        judgements: dict[str, int] = {}
        for j in ind.judgement_label[ind.scored]:
            judgements[j] = judgements.get(j, 0) + 1
        bands = []
        total_q = Q(ind.total, CP)
        for cid, curve in rules.curves.items():
            roles_using = [i for i, r in enumerate(ind.role_ids)
                           if (paid := rules.roles[r].payout) and paid[1] == cid]
            using = np.isin(ind.role_index, roles_using) & ind.scored
            for seg in curve.segments:
                bands.append({"curve": cid, "interval": seg.interval.text, "value": seg.value,
                              "people": int(np.count_nonzero(seg.interval.mask(total_q) & using))})
        not_computed = self._not_computed()
        org = self.organisational
        statuses: dict[str, dict[str | None, int]] = {}
        if rules.achievement_bands:
            for what, items in (("indicators", org.indicators), ("objectives", org.objectives.values())):
                counts: dict[str | None, int] = {b.label: 0 for b in rules.achievement_bands}
                for x in items:
                    counts[x.status_label] = counts.get(x.status_label, 0) + 1
                statuses[what] = counts
        return {
            "chamber": rules.chamber_id, "year": self.year, "people": int(len(ind.total)),
            "scored": int(np.count_nonzero(ind.scored)),
            "judgements": judgements, "negative": int(np.count_nonzero(ind.negative & ind.scored)),
            "payout_intervals": bands,
            # resources and distributed are cents inside the engine; euro here, like every view
            "maggiorazioni": [dict(m, resources=decimal_from_units(m["resources"], 2),
                                   distributed=decimal_from_units(m["distributed"], 2))
                              for m in pay.maggiorazione_info],
            "resources": decimal_from_units(sum(f["resources"] for f in pay.funds), 2),
            "distributed": decimal_from_units(sum(f["distributed"] for f in pay.funds), 2),
            "economies": decimal_from_units(sum(f["economies"] for f in pay.funds), 2),
            "organisational": [{k: u[k] for k in ("level", "level_label", "unit_id", "unit_label", "objectives",
                                                  "achievement")
                                + (("status_label",) if rules.achievement_bands else ())} for u in self.units()],
            **({"statuses": statuses} if statuses else {}),
            **self._ente_and_projects_summary(),
            "not_computed": not_computed,
            "notes": list(self.notes),
        }


def _points(column, i: int, scored: bool) -> Decimal | None:
    """Row ``i`` of a centipoints column as Decimal points (None when the person is not scored)."""
    return decimal_from_units(int(column[i]), 2) if scored else None


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
        raise SmvpErrors([DatasetError(Msg('the year to evaluate is not given'), file=dataset.path, field="meta.year",
                                       hint=Msg("pass --year or add a 'year' row to the meta table"))])
    if dataset.year is not None and dataset.year != year:
        raise SmvpErrors([DatasetError(Msg('the dataset is for {year}, not {year2}', year=dataset.year, year2=year), file=dataset.path,
                                       field="meta.year", expected=str(year), found=str(dataset.year))])
    rules = profile.for_year(year)
    notes = check_dataset(rules, dataset, profile)
    org = organisational(rules, dataset)
    perf = ente_performance(rules, dataset, org)
    ind = individual(rules, dataset, org)
    _check_per_person_totals(rules, dataset, ind)
    pay = payout(rules, _reduced(dataset, perf.reductions), ind)
    pay = _fund_totals(rules, pay, perf)
    valuation = value_projects(rules, dataset)
    notes = list(notes) + list(perf.notes)
    if rules.project_valuation is not None and valuation is None:
        notes.append(Msg("{label}: not computed, the dataset has no projects table",
                         label=rules.project_valuation.label))
    elif valuation is not None:
        notes += list(valuation.notes)
    return Evaluation(profile=profile, rules=rules, dataset=dataset, year=year,
                      organisational=org, individual=ind, payout=pay, notes=tuple(notes),
                      performance=perf, project_valuation=valuation)


def _check_per_person_totals(rules: Resolved, ds, ind: Individual) -> None:
    """Roles whose behaviours have ``scale: per_person``: a total above ``total_max`` is an error."""
    staff = ds.table("staff")
    errors = []
    for k, rid in enumerate(ind.role_ids):
        role = rules.roles[rid]
        if not role.per_person_scale or role.total_max is None:
            continue
        cap = role.total_max * CP
        for i in np.flatnonzero((ind.role_index == k) & ind.scored & (ind.total > int(cap)))[:20]:
            errors.append(DatasetError(
                Msg('the total of person {staff_person_id_i!r} is above the maximum of role {rid!r}', staff_person_id_i=staff['person_id'][i], rid=rid),
                file=ds.table("behaviours").file, field="score", expected=Msg('at most {v0}', v0=decimal_from_units(int(cap), 2)),
                found=str(decimal_from_units(int(ind.total[i]), 2)),
                hint=Msg("the role's behaviour scores come weighted from each person's sheet: check them")))
    if errors:
        raise DatasetErrors(errors)


def _reduced(ds, reductions) -> Any:
    """``ds`` with the resources of reduced funds replaced by their reduced amounts (for the payout stage)."""
    if not reductions:
        return ds
    from .dataset import Dataset, Table

    res = ds.table("resources")
    new = {r.resource: r.reduced for r in reductions}
    amounts = np.array([new.get(r, int(a)) for r, a in zip(as_objects(res["resource"]), res["amount"])], dtype=np.int64)
    table = Table(res.name, res.file, {**res.columns, "amount": amounts}, res.missing, res.rows)
    return Dataset(path=ds.path, tables={**ds.tables, "resources": table}, sha256=ds.sha256, year=ds.year)


def _fund_totals(rules: Resolved, pay: Payout, perf: Performance) -> Payout:
    """Fund totals with the reductions (resources as given; the reduction goes to economies) and
    without the resources that only size project valuation."""
    red = {r.fund: r for r in perf.reductions}
    only_valuation = rules.valuation_resources - {f.resource for f in rules.funds.values()}
    if not red and not only_valuation:
        return pay
    totals = []
    for t in pay.funds:
        if t["fund"] in only_valuation and t["resource"] == t["fund"] and not t["people"]:
            continue
        r = red.get(t["fund"])
        if r is not None and t["resource"] == r.resource:
            t = {**t, "resources": r.resources, "economies": r.resources - t["distributed"], "reduction": r.reduction}
        totals.append(t)
    return replace(pay, funds=tuple(totals))
