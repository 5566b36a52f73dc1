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

from . import __version__
from .columns import as_objects
from .errors import DatasetError, SmvpErrors
from .exact import Q, decimal_from_units, round_fraction
from .profile import Profile, Resolved
from .stages import Individual, Organisational, Payout
from .checks import check_dataset
from .organisational import organisational
from .individual import individual
from .payout import payout

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
        """Per objective: id, label, level, unit, achievement (Decimal %, as counted), status, attested, note.

        ``measured`` is the value before the status bands (attested, or the weighted
        mean of the indicators); ``status``/``status_label`` the band it falls in
        (None when the profile has no ``organisational.achievement.bands``).
        """
        org = self.organisational
        digits = len(str(org.scale)) - 1
        types = self._types()
        return [{"objective_id": o.objective_id, "label": o.label, "level": o.level, "unit_id": o.unit_id,
                 "person_id": o.person_id, "achievement": decimal_from_units(o.achievement, digits),
                 "status": o.status, "status_label": o.status_label,
                 "measured": decimal_from_units(o.measured, digits) if o.measured is not None else None,
                 "type": types.get(o.objective_id), "attested": o.attested, "note": o.note}
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
            out.insert(0, "individual performance (results and behaviour points, total, judgement, premium) of "
                       + ", ".join(unscored) + ": not computed, because the source does not define the weights "
                       "and scales it needs (details below); organisational performance is computed")
        if any(r.scorable for r in rules.roles.values()) and not rules.funds:
            out.append("premiums and funds: not computed, the profile defines no fund")
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
            roles_using = [i for i, r in enumerate(ind.role_ids) if rules.roles[r].payout and rules.roles[r].payout[1] == cid]
            using = np.isin(ind.role_index, roles_using) & ind.scored
            for seg in curve.segments:
                bands.append({"curve": cid, "interval": seg.interval.text, "value": seg.value,
                              "people": int(np.count_nonzero(seg.interval.mask(total_q) & using))})
        not_computed = self._not_computed()
        org = self.organisational
        statuses: dict[str, dict[str, int]] = {}
        if rules.achievement_bands:
            for what, items in (("indicators", org.indicators), ("objectives", org.objectives.values())):
                counts = {b.label: 0 for b in rules.achievement_bands}
                for x in items:
                    counts[x.status_label] = counts.get(x.status_label, 0) + 1
                statuses[what] = counts
        return {
            "chamber": rules.chamber_id, "year": self.year, "people": int(len(ind.total)),
            "scored": int(np.count_nonzero(ind.scored)),
            "judgements": judgements, "negative": int(np.count_nonzero(ind.negative & ind.scored)),
            "payout_intervals": bands,
            "maggiorazioni": list(pay.maggiorazione_info),
            "resources": decimal_from_units(sum(f["resources"] for f in pay.funds), 2),
            "distributed": decimal_from_units(sum(f["distributed"] for f in pay.funds), 2),
            "economies": decimal_from_units(sum(f["economies"] for f in pay.funds), 2),
            "organisational": [{k: u[k] for k in ("level", "unit_id", "unit_label", "objectives", "achievement")
                                + (("status_label",) if rules.achievement_bands else ())} for u in self.units()],
            **({"statuses": statuses} if statuses else {}),
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
