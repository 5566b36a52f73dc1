"""Stage 2: grado di raggiungimento of indicators and objectives (performance organizzativa)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction


from .columns import as_objects
from .errors import DatasetError, DatasetErrors, SmvpError
from .exact import decimal_from_units, round_fraction
from .profile import INDIVIDUAL_LEVEL, Resolved

from .stages import IndicatorResult, ObjectiveResult, Organisational, UnitResult
from .checks import _row_error


def organisational(rules: Resolved, ds) -> Organisational:
    """Grado di raggiungimento of each indicator and objective.

    Indicator: actual/target (target/actual when lower is better) × 100,
    capped at ``organisational.achievement.cap_percent``, rounded to
    ``precision.achievement_decimals`` (``precision.rounding``). Objective: the
    attested value if given, else the weighted mean of its indicators, rounded.

    With ``organisational.achievement.bands`` the measured value of each
    indicator (its uncapped ratio, rounded) and of each objective is read on the
    bands: the band gives the status and what the value counts as (the ratio
    itself, capped, or a fixed percent). Units and the Ente (the top level, all
    its objectives) get the weighted mean of their objectives' counted
    achievement, and the status of that value on the same bands.

    Raises:
        DatasetErrors: an objective with neither indicators nor attested value;
            a ratio that cannot be computed (lower-is-better with actual 0 and no cap).
    """
    return _organisational_exact(rules, ds)


def _organisational_exact(rules: Resolved, ds) -> Organisational:
    """:func:`organisational` one row at a time, with Fractions (every feature, every error)."""
    scale = 10 ** rules.achievement_decimals  # units per percent
    mode = rules.points_rounding
    cap = rules.achievement_cap
    objs, inds = ds.table("objectives"), ds.table("indicators")
    errors: list[SmvpError] = []
    by_obj: dict[str, list[tuple[str, int, Fraction, str]]] = {}
    o_ids = as_objects(inds["objective_id"])
    i_ids = as_objects(inds["indicator_id"])
    directions = as_objects(inds["direction"])
    bands = rules.achievement_bands
    open_top = next((b for b in bands if b.interval.hi is None), None)
    indicator_results: list[IndicatorResult] = []

    def band_of(units: int):
        x = Fraction(units, scale)
        return next((b for b in bands if b.interval.contains(x)), None)

    for i in range(len(inds)):
        target, actual = Fraction(inds["target"][i]), Fraction(inds["actual"][i])
        weight = Fraction(inds["weight"][i])
        ratio: Fraction | None
        if directions[i] == "lower":
            if actual == 0:
                ratio, how = None, "target/actual with actual 0 (no finite ratio)"
                counted_base = cap
                if cap is None and not (open_top is not None and open_top.counts_as is not None):
                    errors.append(_row_error(inds, i, "lower-is-better indicator with actual 0 has no finite achievement",
                                             "actual", hint="set a cap_percent in the profile or attest the objective"))
                    continue
                if cap is not None:
                    how = f"target/actual with actual 0 → cap {cap}%"
            else:
                ratio, how = target / actual * 100, "target/actual × 100"
        else:
            ratio, how = actual / target * 100, "actual/target × 100"
        if ratio is not None and ratio < 0:
            errors.append(_row_error(inds, i, "negative achievement: the profile's source gives no rule for it", "actual",
                                     found=str(inds["actual"][i])))
            continue
        measured = round_fraction(ratio, scale, mode) if ratio is not None else None
        if ratio is not None:
            counted_base = ratio
            if cap is not None and ratio > cap:
                counted_base, how = cap, how + f", capped at {cap}%"
        band = None
        if bands:
            band = band_of(measured) if measured is not None else open_top
        if band is not None and band.counts_as is not None:
            counted = round_fraction(band.counts_as, scale, mode)
            how += f"; {band.label}: counts {band.counts_as}%"
        else:
            counted = round_fraction(counted_base, scale, mode)
            if band is not None:
                how += f"; {band.label}: counts the ratio"
        indicator_results.append(IndicatorResult(i_ids[i], o_ids[i], measured, counted,
                                                 band.id if band else None, band.label if band else None, how))
        by_obj.setdefault(o_ids[i], []).append((i_ids[i], counted, weight, how))
    results: dict[str, ObjectiveResult] = {}
    ids = as_objects(objs["objective_id"])
    labels, levels = as_objects(objs["label"]), as_objects(objs["level"])
    units, persons = as_objects(objs["unit_id"]), as_objects(objs["person_id"])
    notes = as_objects(objs["attestation_note"])
    children = objective_links(rules, ds, errors)  # organisational.links: parent → [(child, weight)]
    for i in _children_first(ids, children):
        oid = ids[i]
        att = objs["attested_percent"][i]
        ind_list = by_obj.get(oid, [])
        linked = [(c, results[c].achievement, w, "linked objective") for c, w in children.get(oid, ()) if c in results]
        if att is not None:
            ach, attested = round_fraction(Fraction(att), scale, mode), True
        elif ind_list or linked:
            items = ind_list + linked  # own indicators and linked objectives, weighed in one list
            wsum = sum((w for _, _, w, _ in items), Fraction(0))
            if wsum == 0:
                errors.append(_row_error(objs, i, "the indicators of this objective all have weight 0", "weight"))
                continue
            ach = round_fraction(sum((Fraction(a) * w for _, a, w, _ in items), Fraction(0)) / wsum, 1, mode)
            attested = False
        else:
            errors.append(_row_error(objs, i, f"objective {oid!r} has no indicators and no attested value", "attested_percent",
                                     hint="add its indicators to the indicators table or an attested_percent"))
            continue
        measured, band = ach, (band_of(ach) if bands else None)
        if band is not None and band.counts_as is not None:
            ach = round_fraction(band.counts_as, scale, mode)
        results[oid] = ObjectiveResult(oid, labels[i], levels[i], units[i], persons[i], Fraction(objs["weight"][i]),
                                       ach, attested, notes[i], tuple((a, b, d) for a, b, _, d in ind_list),
                                       measured, band.id if band else None, band.label if band else None)
    if errors:
        raise DatasetErrors(errors[:50])
    results = {o: results[o] for o in ids if o in results}  # table order (links computed children first)
    unit_ach: dict[tuple[str, str], int] = {}
    counts: dict[tuple[str, str], int] = {}
    groups: dict[tuple[str, str], list[ObjectiveResult]] = {}
    for o in results.values():
        if o.level != INDIVIDUAL_LEVEL:
            groups.setdefault((o.level, o.unit_id or ""), []).append(o)
    for key, os_ in groups.items():
        w = sum((o.weight for o in os_), Fraction(0))
        if w:
            unit_ach[key] = round_fraction(sum((o.weight * o.achievement for o in os_), Fraction(0)) / w, 1, mode)
            counts[key] = len(os_)
    return Organisational(scale=scale, objectives=results, unit_achievement=unit_ach,
                          indicators=tuple(indicator_results),
                          units=_units(rules, ds, unit_ach, counts, _top_exact(rules, ds, results, mode),
                                       band_of if bands else None))


def _top_exact(rules: Resolved, ds, results: dict[str, ObjectiveResult], mode) -> tuple[int, int] | None:
    """The top level (the Ente): number of objectives and their weighted achievement (None: none,
    or weights summing to 0). All objectives of the top level, whatever their unit_id; with
    ``organisational.ente`` the objectives of its ``area_type`` only (as measured; the OIV's
    attestation of the Ente is in :func:`performance`)."""
    levels = rules.level_ids
    if not levels:
        return None
    if rules.ente is not None:  # organisational.ente: the Ente is the weighted mean of its areas
        objs = ds.table("objectives")
        types = dict(zip(as_objects(objs["objective_id"]), as_objects(objs["type"])))
        os_ = [o for o in results.values() if types.get(o.objective_id) == rules.ente.area_type]
    else:
        os_ = [o for o in results.values() if o.level == levels[0]]
    w = sum((o.weight for o in os_), Fraction(0))
    if not os_ or not w:
        return None
    return len(os_), round_fraction(sum((o.weight * o.achievement for o in os_), Fraction(0)) / w, 1, mode)


def _units(rules: Resolved, ds, unit_ach: dict, counts: dict, top: tuple[int, int] | None,
           band_of) -> tuple[UnitResult, ...]:
    """Per level (profile order) and unit (units table order): weighted achievement and status.

    ``unit_ach``: (level, unit_id or "") → achievement, ``counts``: the same keys → number of
    objectives; ``top``: the top level (the Ente) as one entry, see :func:`_top_exact`.
    """
    units = ds.table("units")
    u_ids, u_levels = as_objects(units["unit_id"]), as_objects(units["level"])
    order = {u: k for k, u in enumerate(u_ids)}
    out: list[UnitResult] = []
    levels = rules.level_ids
    by_level: dict[str, list[tuple[str, str]]] = {}
    for k in unit_ach:
        by_level.setdefault(k[0], []).append(k)
    last = len(order)
    for lvl in levels:
        if lvl == levels[0]:
            if top is None:
                continue
            tops = [u for u, ul in zip(u_ids, u_levels) if ul == lvl]
            groups = [(tops[0] if len(tops) == 1 else None, top[0], top[1])]
        else:
            keys = sorted(by_level.get(lvl, ()), key=lambda k: (order.get(k[1], last), k[1]))
            groups = [(k[1] or None, counts[k], unit_ach[k]) for k in keys]
        for uid, n, ach in groups:
            band = band_of(ach) if band_of else None
            out.append(UnitResult(lvl, uid, n, ach, band.id if band else None, band.label if band else None))
    return tuple(out)


# ---------------------------------------------------------------- objective links, Ente, attestation
# (profile: organisational.links, organisational.ente, organisational.attestation)

def objective_links(rules: Resolved, ds, errors: list) -> dict[str, list[tuple[str, Fraction]]]:
    """``organisational.links``: parent objective → [(linked objective, weight)], in table order.

    ``dotted_ids``: the parent of ``1.1.1`` is ``1.1`` when that objective exists; the
    child's ``weight`` is its weight in the parent. ``table``: the ``objective_links``
    table (objective_id, linked_objective_id, weight; no table = no links). Unknown
    ids, self-links and circles are appended to ``errors``.
    """
    spec = rules.links
    if spec is None:
        return {}
    objs = ds.table("objectives")
    ids = as_objects(objs["objective_id"])
    known = set(ids)
    out: dict[str, list[tuple[str, Fraction]]] = {}
    if spec.method == "dotted_ids":
        for i, oid in enumerate(ids):
            if spec.separator in oid:
                parent = oid.rsplit(spec.separator, 1)[0]
                if parent in known:
                    out.setdefault(parent, []).append((oid, Fraction(objs["weight"][i])))
        return out
    table = getattr(ds, "tables", {}).get("objective_links")
    if table is None or not len(table):
        return {}
    parents, linked = as_objects(table["objective_id"]), as_objects(table["linked_objective_id"])
    for i in range(len(table)):
        bad = [(f, v) for f, v in (("objective_id", parents[i]), ("linked_objective_id", linked[i])) if v not in known]
        for f, v in bad:
            errors.append(_row_error(table, i, f"unknown objective {v!r}", f, hint="link objectives of the objectives table"))
        if bad:
            continue
        if parents[i] == linked[i]:
            errors.append(_row_error(table, i, f"objective {parents[i]!r} is linked to itself", "linked_objective_id"))
            continue
        w = table["weight"][i]
        out.setdefault(parents[i], []).append((linked[i], Fraction(w) if w is not None else Fraction(1)))
    # circles: an objective cannot count itself through its linked objectives
    state: dict[str, int] = {}
    for start in out:
        stack = [(start, iter(out.get(start, ())))]
        path = [start]
        state[start] = state.get(start, 0) or 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            child = nxt[0]
            if state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                errors.append(DatasetError("objectives are linked in a circle: " + " → ".join(cycle), file=table.file,
                                           field="linked_objective_id", hint="an objective cannot count itself"))
                return {}
            if not state.get(child):
                state[child] = 1
                stack.append((child, iter(out.get(child, ()))))
                path.append(child)
    return out


def _children_first(ids, children: dict) -> list[int]:
    """Row indices of the objectives with every linked objective before its parent (else table order)."""
    if not children:
        return list(range(len(ids)))
    index = {o: i for i, o in enumerate(ids)}
    done: set[str] = set()
    order: list[int] = []

    def visit(oid: str, seen: tuple = ()) -> None:
        if oid in done or oid in seen:
            return
        for c, _ in children.get(oid, ()):
            visit(c, seen + (oid,))
        done.add(oid)
        order.append(index[oid])

    for oid in ids:
        visit(oid)
    return order


@dataclass(frozen=True)
class AreaResult:
    """An objective weighed into the Ente's performance (e.g. a strategic area)."""

    objective_id: str
    label: str
    weight: Fraction
    achievement: int


@dataclass(frozen=True)
class FundReduction:
    """A fund's resources reduced in proportion to the Ente's final performance (cents)."""

    fund: str
    resource: str
    resources: int
    percent: int  # the final performance, in achievement units
    reduced: int  # resources × percent, rounded
    reduction: int  # resources − reduced: to economies


@dataclass(frozen=True)
class Performance:
    """The Ente's performance (``organisational.ente``), measured values and fund reductions."""

    scale: int
    label: str | None
    computed: int | None  # weighted mean of the areas (None: no areas or no rule)
    attested: int | None  # meta ente_attested_percent
    final: int | None  # attested, else computed
    note: str | None
    areas: tuple[AreaResult, ...]
    measured: dict[str, int]  # objective → value from its indicators and linked objectives (before attestation)
    links: tuple[tuple[str, str, Fraction], ...]  # (objective, linked objective, weight)
    reductions: tuple[FundReduction, ...]
    notes: tuple[str, ...]


ENTE_ATTESTED_KEY = "ente_attested_percent"
ENTE_NOTE_KEY = "ente_attestation_note"


def performance(rules: Resolved, ds, org: Organisational) -> Performance:
    """The Ente's performance, the checks on attestations and the funds it reduces.

    * measured value of each objective: weighted mean of its indicators' counted
      achievement and of its linked objectives' final achievement (None without either);
    * ``organisational.attestation``: attested values inside ``interval``; when
      ``note_when_differs``, an attested value other than the measured one needs
      its ``attestation_note``;
    * ``organisational.ente`` (``weighted_by_area``): weighted mean of the objectives
      whose type is ``area_type``; the OIV's attestation (meta ``ente_attested_percent``)
      overrides it;
    * ``attestation_reduces_funds``: below 100%, each fund's resources × final
      performance, rounded to the cent; the rest is reported as reduction.

    Raises:
        DatasetErrors: attested value outside the interval, missing note, a fund to
            reduce while the Ente's performance cannot be computed.
    """
    scale, mode = org.scale, rules.points_rounding
    objs, inds = ds.table("objectives"), ds.table("indicators")
    errors: list[SmvpError] = []
    notes: list[str] = []
    iw = dict(zip(as_objects(inds["indicator_id"]), (Fraction(w) for w in inds["weight"])))
    children = objective_links(rules, ds, errors)
    measured: dict[str, int] = {}
    for oid, o in org.objectives.items():
        items = [(a, iw.get(iid, Fraction(1))) for iid, a, _ in o.indicators]
        items += [(org.objectives[c].achievement, w) for c, w in children.get(oid, ()) if c in org.objectives]
        wsum = sum((w for _, w in items), Fraction(0))
        if items and wsum:
            measured[oid] = round_fraction(sum((Fraction(a) * w for a, w in items), Fraction(0)) / wsum, 1, mode)
    att_rule = rules.attestation
    ids = as_objects(objs["objective_id"])
    notes_col = as_objects(objs["attestation_note"])
    if att_rule is not None:
        for i, oid in enumerate(ids):
            att = objs["attested_percent"][i]
            if att is None:
                continue
            if att_rule.interval is not None and not att_rule.interval.contains(Fraction(att)):
                errors.append(_row_error(objs, i, "attested achievement outside the range the OIV attests", "attested_percent",
                                         expected=f"a percent in {att_rule.interval}", found=str(att)))
            m = measured.get(oid)
            if (att_rule.note_when_differs and m is not None and round_fraction(Fraction(att), scale, mode) != m
                    and not (notes_col[i] or "").strip()):
                errors.append(_row_error(objs, i, f"attested {att}% differs from the measured "
                                         f"{_pct_units(m, scale)}% but gives no reasons", "attestation_note",
                                         expected="the OIV's reasons in attestation_note", found="a blank cell"))
    ente = rules.ente
    label = computed = attested = final = note = None
    areas: list[AreaResult] = []
    if ente is not None:
        label = ente.label
        types = dict(zip(ids, as_objects(objs["type"])))
        for oid, o in org.objectives.items():
            if types.get(oid) == ente.area_type:
                areas.append(AreaResult(oid, o.label, o.weight, o.achievement))
        w = sum((a.weight for a in areas), Fraction(0))
        if areas and w:
            computed = round_fraction(sum((a.weight * a.achievement for a in areas), Fraction(0)) / w, 1, mode)
        else:
            notes.append(f"{ente.label}: not computed, the dataset has no objectives of type {ente.area_type!r} "
                         "with a positive weight")
        meta = ds.meta if "meta" in getattr(ds, "tables", {}) else {}
        raw = meta.get(ENTE_ATTESTED_KEY)
        note = meta.get(ENTE_NOTE_KEY)
        meta_t = ds.table("meta") if "meta" in getattr(ds, "tables", {}) else None
        if raw not in (None, ""):
            value = _percent(raw)
            row = list(as_objects(meta_t["key"])).index(ENTE_ATTESTED_KEY) if meta_t is not None else 0
            if value is None:
                errors.append(_row_error(meta_t, row, f"{ENTE_ATTESTED_KEY} is not a percent", "value",
                                         expected="a percent, e.g. 95 or 95%", found=repr(raw)))
            elif att_rule is not None and att_rule.interval is not None and not att_rule.interval.contains(value):
                errors.append(_row_error(meta_t, row, "attested Ente performance outside the range the OIV attests",
                                         "value", expected=f"a percent in {att_rule.interval}", found=str(raw)))
            else:
                attested = round_fraction(value, scale, mode)
                if (att_rule is not None and att_rule.note_when_differs and computed is not None
                        and attested != computed and not (note or "").strip()):
                    errors.append(_row_error(meta_t, row, f"attested Ente performance {raw}% differs from the computed "
                                             f"{_pct_units(computed, scale)}% but gives no reasons", "value",
                                             expected=f"the OIV's reasons in a meta row {ENTE_NOTE_KEY!r}", found="none"))
        final = attested if attested is not None else computed
    reductions: list[FundReduction] = []
    if ente is not None and ente.reduces_funds and not errors:
        res = ds.table("resources")
        amounts = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"])))
        present = [fid for fid in ente.reduces_funds if rules.funds[fid].resource in amounts]
        if final is None and present:
            errors.append(DatasetError(
                f"the funds {', '.join(present)} are reduced in proportion to the {ente.label}, "
                "which cannot be computed", file=objs.file, field="type",
                expected=f"objectives of type {ente.area_type!r} or a meta row {ENTE_ATTESTED_KEY!r}", found="none"))
        elif final is not None and final < 100 * scale:
            for fid in present:
                r = rules.funds[fid].resource
                reduced = round_fraction(Fraction(amounts[r]) * final / (100 * scale), 1, ente.reduction_rounding)
                reductions.append(FundReduction(fid, r, amounts[r], final, reduced, amounts[r] - reduced))
    if errors:
        raise DatasetErrors(errors[:50])
    links = tuple((p, c, w) for p, lst in children.items() for c, w in lst)
    return Performance(scale, label, computed, attested, final, note, tuple(areas), measured, links,
                       tuple(reductions), tuple(notes))


def _percent(raw) -> Fraction | None:
    """A percent written as 95, 95%, 95.5 or 95,5."""
    text = str(raw).strip().rstrip("%").strip().replace(",", ".")
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        return None


def _pct_units(units: int, scale: int) -> str:
    digits = len(str(scale)) - 1
    return format(decimal_from_units(units, digits).normalize(), "f") if digits else str(units)
