"""Project valuation: the variable resources a body funds by valuing its projects/objectives.

Profile block ``project_valuation`` (schema/profile.schema.json). Each project
(an objective of the plan, with a relevance grade) gets the coefficient of its
grade; for each valued fund (e.g. the dirigenti's and the dipendenti's fund):

* unit value per coefficient point = ``percent_per_point`` % of the fund's
  ``stable`` resource, rounded to the cent (``unit_value.rounding``);
* a project's value = coefficient × unit value (exact cents); the fund's total
  is their sum;
* the total must lie in ``bounds.interval`` (percent of the fund's ``stable`` +
  ``variable`` resources, per fund or combined), else an error with the figures;
* the total is allocated to the units of ``allocation.level`` in proportion to
  the position pay (``position_pay``) or to the number of people
  (``headcount``) of ``allocation.roles`` in each unit, to the cent by largest
  remainder (the shares add up to the total).

``weight_gap``: within each group (same level and unit, or all), an objective's
weight and its relevance (coefficients), both normalised to 100 points, may
differ by at most ``max_points``.

:func:`value_projects` is the pure computation; :func:`projects` reads its
inputs from a dataset (tables ``projects``, ``objectives``, ``staff``,
``units``, ``resources``).

Dataset tables it reads beyond the core ones
are ``projects`` and ``objective_links`` and the staff column ``position_pay``
(docs/design.md); a dataset without projects gets no valuation (the pipeline notes it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from .columns import as_objects
from .errors import DatasetError, DatasetErrors, Msg, Number, SmvpError
from .exact import allocate_largest_remainder, round_fraction
from .profile_model import ProjectValuation, Resolved

# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class ProjectIn:
    """One project to value: an objective with its relevance grade."""

    objective_id: str
    relevance: str
    label: str = ""
    weight: Fraction = Fraction(1)  # the objective's weight (for weight_gap)
    group: str = ""  # weight_gap group
    row: int | None = None  # source row, for messages
    funds: tuple[str, ...] | None = None  # the valued funds financing it (None: financing.default)


@dataclass(frozen=True)
class AreaShare:
    unit_id: str
    label: str
    key: Fraction  # position pay (euro) or headcount
    amount: int  # cents


@dataclass(frozen=True)
class PersonShare:
    """A person's part of their unit's allocation, in proportion to their allocation key.

    §5.3 of Brescia's SMVP (and ``allocation``) assigns a fund's project total to
    units; this splits each unit's amount among the people whose keys make it
    (position pay, or one head), to the cent by largest remainder in staff order:
    what the allocation means per person, shown by ``smvp diff --impact``, not a
    premium (the premium rules are the funds' and roles')."""

    person_id: str
    unit_id: str
    key: Fraction
    amount: int  # cents


@dataclass(frozen=True)
class FundValue:
    """One valued fund: its figures and the allocation of its projects' total (cents)."""

    fund: str
    label: str
    stable: int
    variable: int
    base: int  # the parts named by bounds.of
    percent_per_point: Fraction
    unit_value: int  # per coefficient point
    points: Fraction  # sum of the projects' coefficients
    total: int
    percent_of_base: Fraction | None
    bounds_low: Fraction | None  # cents (exact)
    bounds_high: Fraction | None
    allocation_key: str
    allocation: tuple[AreaShare, ...]
    people: tuple[PersonShare, ...] = ()  # each unit's amount split among its people by key


@dataclass(frozen=True)
class ProjectValue:
    objective_id: str
    label: str
    relevance: str
    relevance_label: str
    coefficient: Fraction
    values: tuple[tuple[str, int], ...]  # (fund, cents), only the funds that finance it


@dataclass(frozen=True)
class WeightGap:
    """An objective's weight against its relevance, both in points out of 100 within its group."""

    objective_id: str
    group: str
    relevance_points: Fraction
    weight_points: Fraction
    gap: Fraction
    ok: bool


@dataclass(frozen=True)
class ProjectValuationResult:
    label: str
    funds: tuple[FundValue, ...]
    projects: tuple[ProjectValue, ...]
    gaps: tuple[WeightGap, ...]
    notes: tuple[str, ...]


# ---------------------------------------------------------------- the computation

def value_projects(spec: ProjectValuation, projects: Sequence[ProjectIn], resources: Mapping[str, int],
                   keys: Mapping[str, Sequence[tuple[str, str, Fraction]]], *,
                   file: str = "projects", resources_file: str = "resources",
                   notes: Sequence[str] = (),
                   people_keys: Mapping[str, Sequence[tuple[str, str, Fraction]]] | None = None,
                   ) -> ProjectValuationResult:
    """Value ``projects`` under ``spec``.

    Args:
        spec: the profile's ``project_valuation``.
        projects: the projects, in table order.
        resources: resource id → cents.
        keys: fund id → [(unit_id, unit label, allocation key)] in unit order.
        file, resources_file: names for messages.
        notes: notes to carry into the result.
        people_keys: fund id → [(person_id, unit_id, key)] in staff order (the parts of ``keys``):
            each unit's amount is split among them (:class:`PersonShare`); None: not split.
    Returns:
        the figures per fund, per project and the weight gaps.
    Raises:
        DatasetErrors: unknown relevance, missing resource, total outside the
            bounds (with the figures), weight too far from relevance, nothing to
            allocate a total to.
    """
    errors: list[SmvpError] = []
    rel = spec.relevance
    for p in projects:
        if p.relevance not in rel:
            errors.append(DatasetError(Msg('unknown relevance {relevance!r} for project {objective_id!r}', relevance=p.relevance, objective_id=p.objective_id), file=file,
                                       line=p.row, field="relevance", expected=Msg("one of {values}", values=", ".join(rel)),
                                       found=repr(p.relevance)))
    for f in spec.funds.values():
        for r in (f.stable, f.variable):
            if r not in resources:
                errors.append(DatasetError(Msg('missing resource {r!r} ({label})', r=r, label=f.label), file=resources_file, field="resource",
                                           expected=Msg("a row '{r}' with its amount in euro", r=r), found=Msg('no such row'),
                                           hint=Msg('project valuation needs the stable and variable part of each fund')))
    default = spec.financing_default or tuple(spec.funds)
    financed = {p.objective_id: (p.funds or default) for p in projects}
    for p in projects:
        for fid in p.funds or ():
            if fid not in spec.funds:
                errors.append(DatasetError(Msg('unknown fund {fid!r} financing project {project!r}', fid=fid, project=p.objective_id),
                                           file=file, line=p.row, field="funds",
                                           expected=Msg("fund ids of the profile's project_valuation.funds: {funds} (separated by '+'; blank: {default})",
                                                        funds=", ".join(spec.funds), default="+".join(default)),
                                           found=repr(fid)))
    if errors:
        raise DatasetErrors(errors)
    funds: list[FundValue] = []
    values: dict[str, list[tuple[str, int]]] = {p.objective_id: [] for p in projects}
    for f in spec.funds.values():
        stable, variable = resources[f.stable], resources[f.variable]
        unit = round_fraction(Fraction(stable) * f.percent_per_point / 100, 1, spec.unit_value_rounding)
        total = 0
        mine = [p for p in projects if f.id in financed[p.objective_id]]
        points = sum((rel[p.relevance].coefficient for p in mine), Fraction(0))
        for p in mine:
            v = rel[p.relevance].coefficient * unit
            if v.denominator != 1:  # a fractional coefficient: round the project's value like the unit value
                v = Fraction(round_fraction(v, 1, spec.unit_value_rounding))
            values[p.objective_id].append((f.id, int(v)))
            total += int(v)
        base = sum(resources[x] for x in ((f.stable,) if "stable" in spec.bounds_of else ())
                   + ((f.variable,) if "variable" in spec.bounds_of else ()))
        pct = Fraction(total * 100, base) if base else None
        low = high = None
        if spec.bounds is not None:
            low = Fraction(base) * spec.bounds.lo / 100
            high = Fraction(base) * spec.bounds.hi / 100 if spec.bounds.hi is not None else None
        shares = list(keys.get(f.id, ()))
        ksum = sum((k for _, _, k in shares), Fraction(0))
        alloc: tuple[AreaShare, ...] = ()
        if total and not ksum:
            errors.append(DatasetError(
                Msg("{label}: the projects' total {total} € cannot be allocated: no unit of level {level!r} has "
                    "people of roles {roles}{with_pay}", label=f.label, total=_euro(total), level=f.level,
                    roles=", ".join(f.roles),
                    with_pay=Msg(" with a position pay") if f.allocation == "position_pay" else ""),
                file="staff", field="unit_id",
                hint=(Msg("check the staff's roles and units and column {column!r}", column=f.pay_column)
                      if f.pay_column else Msg("check the staff's roles and units"))))
        elif ksum:
            cents = allocate_largest_remainder([Fraction(total) * k / ksum for _, _, k in shares], total)
            alloc = tuple(AreaShare(u, lab, k, c) for (u, lab, k), c in zip(shares, cents))
        people: list[PersonShare] = []
        for a in alloc if people_keys is not None else ():
            who = [(pid, k) for pid, u, k in people_keys.get(f.id, ()) if u == a.unit_id and k]
            parts = allocate_largest_remainder([Fraction(a.amount) * k / a.key for _, k in who], a.amount)
            people += [PersonShare(pid, a.unit_id, k, c) for (pid, k), c in zip(who, parts)]
        funds.append(FundValue(f.id, f.label, stable, variable, base, f.percent_per_point, unit, points, total, pct,
                               low, high, f.allocation, alloc, tuple(people)))
    # bounds
    if spec.bounds is not None:
        what = _plus([_PART[part] for part in ("stable", "variable") if part in spec.bounds_of])
        groups = [[fv] for fv in funds] if spec.bounds_per == "fund" else [funds]
        for g in groups:
            total = sum(fv.total for fv in g)
            base = sum(fv.base for fv in g)
            name = g[0].label if len(g) == 1 else Msg("all valued funds together")
            parts = _plus([Msg("{euro} {part}", euro=_euro(getattr(fv, part)), part=_PART[part]) for fv in g
                           for part in ("stable", "variable") if part in spec.bounds_of])
            if not base:
                errors.append(DatasetError(Msg("{name}: the fund ({what}) is 0 €, so the projects' bounds cannot be checked", name=name, what=what),
                                           file=resources_file, field="amount"))
                continue
            pct = Fraction(total * 100, base)
            if not spec.bounds.contains(pct):
                low = Fraction(base) * spec.bounds.lo / 100
                high = Fraction(base) * spec.bounds.hi / 100 if spec.bounds.hi is not None else None
                errors.append(DatasetError(
                    Msg('{name}: the projects are worth {euro_total} €, {percent} of the fund ({what} = {parts} = {euro_base} €), outside {bounds} of it', name=name, euro_total=_euro(total), percent=Msg("{number}%", number=_pct(pct)), what=what, parts=parts, euro_base=_euro(base), bounds=f"{spec.bounds} %"),
                    file=file, field="relevance",
                    expected=Msg('a total from {euro_low} to {v1} € ({low_percent}–{high_percent} of {euro_base} €)', euro_low=_euro(low), v1=_euro(high) if high is not None else '∞', low_percent=Msg("{number}%", number=_pct(spec.bounds.lo)), high_percent=Msg("{number}%", number=_pct(spec.bounds.hi) if spec.bounds.hi is not None else '∞'), euro_base=_euro(base)),
                    found=Msg("{euro_total} € = {points} points × {euro_unit} €", euro_total=_euro(total),
                              points=_fmt_points(g[0].points), euro_unit=_euro(g[0].unit_value)) if len(g) == 1
                    else Msg("{euro_total} € = {parts}", euro_total=_euro(total),
                             parts=_plus([Msg("{euro} {part}", euro=_euro(fv.total), part=fv.label) for fv in g])),
                    hint=Msg("change the projects' relevance or the funds' resources")))
    # weight gap
    gaps: list[WeightGap] = []
    if spec.max_weight_gap is not None:
        by_group: dict[str, list[ProjectIn]] = {}
        for p in projects:
            by_group.setdefault(p.group, []).append(p)
        for group, ps in by_group.items():
            csum = sum((rel[p.relevance].coefficient for p in ps), Fraction(0))
            wsum = sum((p.weight for p in ps), Fraction(0))
            if not wsum:
                errors.append(DatasetError(Msg('the objectives valued as projects in {group_or_the_plan} all have weight 0', group_or_the_plan=group or Msg('the plan')),
                                           file="objectives", field="weight"))
                continue
            for p in ps:
                r = 100 * rel[p.relevance].coefficient / csum
                w = 100 * p.weight / wsum
                gap = abs(w - r)
                ok = gap <= spec.max_weight_gap
                gaps.append(WeightGap(p.objective_id, group, r, w, gap, ok))
                if not ok:
                    errors.append(DatasetError(
                        Msg('objective {objective_id!r}: its weight is {fmt_points_w} points and its relevance {fmt_points_r} points (both out of 100 in {group_or_the_plan}): they differ by {fmt_points_gap} points, more than {v5}', objective_id=p.objective_id, fmt_points_w=_fmt_points(w), fmt_points_r=_fmt_points(r), group_or_the_plan=group or Msg('the plan'), fmt_points_gap=_fmt_points(gap), v5=_fmt_points(spec.max_weight_gap)),
                        file="objectives", field="weight",
                        expected=Msg('a weight of {v0}–{v1} points out of 100', v0=_fmt_points(max(r - spec.max_weight_gap, Fraction(0))), v1=_fmt_points(r + spec.max_weight_gap)),
                        found=Msg("{points} (weight {weight} of {weights}; relevance {coefficient} of {coefficients})",
                                  points=_fmt_points(w), weight=_fmt_points(p.weight), weights=_fmt_points(wsum),
                                  coefficient=_fmt_points(rel[p.relevance].coefficient),
                                  coefficients=_fmt_points(csum))))
    if errors:
        raise DatasetErrors(errors[:50])
    pvs = tuple(ProjectValue(p.objective_id, p.label, p.relevance, rel[p.relevance].label, rel[p.relevance].coefficient,
                             tuple(values[p.objective_id])) for p in projects)
    return ProjectValuationResult(spec.label, tuple(funds), pvs, tuple(gaps), tuple(notes))


# ---------------------------------------------------------------- from a dataset

def projects(rules: Resolved, ds) -> ProjectValuationResult | None:
    """The valuation of the dataset's ``projects`` table (None: no rule, or no such table).

    Raises:
        DatasetErrors: see :func:`value_projects`; a project whose objective is
            unknown; a staff column for position pay that the dataset lacks.
    """
    spec = rules.project_valuation
    table = getattr(ds, "tables", {}).get("projects")
    if spec is None or table is None or len(table) == 0:  # no projects table (or an empty one): no valuation
        return None
    from .individual import _ancestors  # unit → {level → ancestor}

    errors: list[SmvpError] = []
    objs = ds.table("objectives")
    o_ids = as_objects(objs["objective_id"])
    o_row = {o: i for i, o in enumerate(o_ids)}
    labels, levels, units = as_objects(objs["label"]), as_objects(objs["level"]), as_objects(objs["unit_id"])
    p_ids, p_rel = as_objects(table["objective_id"]), as_objects(table["relevance"])
    p_funds = as_objects(table["funds"]) if "funds" in table.columns else [None] * len(table)
    items: list[ProjectIn] = []
    for i in range(len(table)):
        k = o_row.get(p_ids[i])
        if k is None:
            errors.append(DatasetError(Msg('unknown objective {p_ids_i!r}', p_ids_i=p_ids[i]), file=table.file, line=int(table.rows[i]),
                                       field="objective_id", hint=Msg('a project is an objective of the objectives table')))
            continue
        group = "all" if spec.weight_gap_group == "all" else f"{levels[k]} {units[k] or ''}".strip()
        items.append(ProjectIn(p_ids[i], p_rel[i], labels[k], Fraction(objs["weight"][k]), group, int(table.rows[i]),
                               _fund_ids(p_funds[i])))
    res = ds.table("resources")
    resources = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"])))
    staff = ds.table("staff")
    u = ds.table("units")
    unit_ids = list(as_objects(u["unit_id"]))
    unit_labels = dict(zip(unit_ids, as_objects(u["label"])))
    anc = _ancestors(ds, rules.level_ids)
    roles_col, unit_col, person_col = as_objects(staff["role"]), as_objects(staff["unit_id"]), as_objects(staff["person_id"])
    keys: dict[str, list[tuple[str, str, Fraction]]] = {}
    people_keys: dict[str, list[tuple[str, str, Fraction]]] = {}
    notes: list[str] = []
    for f in spec.funds.values():
        if f.allocation == "position_pay":
            col = staff.columns.get(f.pay_column)
            if col is None:
                errors.append(DatasetError(Msg('{label}: the staff table has no column {pay_column!r} for the position pay', label=f.label, pay_column=f.pay_column),
                                           file=staff.file, field=f.pay_column,
                                           hint=Msg("the profile's project_valuation allocation names it")))
                continue
            blank = staff.missing.get(f.pay_column, np.zeros(len(staff), dtype=bool))
            pay = [None if blank[i] or x is None else Fraction(int(x)) if isinstance(x, (int, np.integer)) else Fraction(x)
                   for i, x in enumerate(col)]
        per_unit: dict[str, Fraction] = {}
        outside: list[str] = []
        for i in range(len(staff)):
            if roles_col[i] not in f.roles:
                continue
            at = anc.get(unit_col[i], {}).get(f.level)
            if at is None:
                outside.append(person_col[i])
                continue
            if f.allocation == "position_pay":
                if pay[i] is None:
                    errors.append(DatasetError(Msg('{label}: no position pay for person {person_col_i!r}', label=f.label, person_col_i=person_col[i]), file=staff.file,
                                               line=int(staff.rows[i]), field=f.pay_column, expected=Msg('an amount in euro'),
                                               found=Msg('a blank cell')))
                    continue
                per_unit[at] = per_unit.get(at, Fraction(0)) + pay[i]
                people_keys.setdefault(f.id, []).append((person_col[i], at, pay[i]))
            else:
                per_unit[at] = per_unit.get(at, Fraction(0)) + 1
                people_keys.setdefault(f.id, []).append((person_col[i], at, Fraction(1)))
        if outside:
            notes.append(Msg("{fund}: not counted in the allocation to units of level {level!r} (their unit is in "
                             "none): {people}", fund=f.label, level=f.level, people=", ".join(outside)))
        keys[f.id] = [(x, unit_labels.get(x, x), per_unit[x]) for x in unit_ids if per_unit.get(x)]
    if errors:
        raise DatasetErrors(errors[:50])
    return value_projects(spec, items, resources, keys, file=table.file, resources_file=res.file, notes=notes,
                          people_keys=people_keys)


def _fund_ids(cell) -> tuple[str, ...] | None:
    """The fund ids of a projects.funds cell ("dirigenti+dipendenti"; '+', ';' or ',' between ids);
    None when blank (the profile's financing.default applies)."""
    if cell is None:
        return None
    ids = tuple(dict.fromkeys(x.strip() for x in re.split(r"[+;,]", str(cell)) if x.strip()))
    return ids or None


# ---------------------------------------------------------------- display helpers

#: A fund's parts, as the messages name them (``bounds.of``).
_PART = {"stable": Msg("stable"), "variable": Msg("variable")}


def _plus(items: Sequence[object]) -> object:
    """``a + b + c`` as one catalogue message (each item said in the user's language)."""
    if not items:
        return ""
    out = items[0]
    for item in items[1:]:
        out = Msg("{before} + {after}", before=out, after=item)
    return out


def _dec(x: Fraction) -> Decimal | None:
    """``x`` as an exact Decimal, or None when it has no finite decimal expansion."""
    den = x.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return Decimal(x.numerator) / Decimal(x.denominator) if den == 1 else None


def _euro(cents) -> Number:
    """Cents (int or exact Fraction) as euro: 2 decimals, more when there are fractions of a cent
    (a message's field: smvp shows it in the user's locale, ``1.234,50`` in Italian)."""
    x = Fraction(cents) / 100
    d = _dec(x)
    if d is None:
        return Number("≈" + f"{Decimal(x.numerator) / Decimal(x.denominator):,.4f}")
    return Number(f"{d:,.2f}" if d == d.quantize(Decimal("0.01")) else f"{d.normalize():,f}")


def _pct(x: Fraction) -> Number:
    """A percent or a number of points: exact when it has a finite expansion of at most 4 decimals, else ≈ 6 decimals
    (a message's field: smvp shows it in the user's locale)."""
    d = _dec(x)
    if d is not None and d == d.quantize(Decimal("0.0001")):
        return Number(format(d.normalize(), "f"))
    return Number("≈" + format((Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.000001")), "f"))


_fmt_points = _pct
