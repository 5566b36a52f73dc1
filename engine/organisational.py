"""Stage 2: grado di raggiungimento of indicators and objectives (performance organizzativa)."""

from __future__ import annotations

from fractions import Fraction


from .columns import as_objects
from .errors import DatasetErrors, SmvpError
from .exact import round_fraction
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
        measured, band = ach, (band_of(ach) if bands else None)
        if band is not None and band.counts_as is not None:
            ach = round_fraction(band.counts_as, scale, mode)
        results[oid] = ObjectiveResult(oid, labels[i], levels[i], units[i], persons[i], Fraction(objs["weight"][i]),
                                       ach, attested, notes[i], tuple((a, b, d) for a, b, _, d in ind_list),
                                       measured, band.id if band else None, band.label if band else None)
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
    return Organisational(scale=scale, objectives=results, unit_achievement=unit_ach,
                          indicators=tuple(indicator_results),
                          units=_units(rules, ds, results, unit_ach, band_of if bands else None, mode))


def _units(rules: Resolved, ds, results: dict[str, ObjectiveResult], unit_ach: dict, band_of, mode) -> tuple[UnitResult, ...]:
    """Per level (profile order) and unit (units table order): weighted achievement and status.

    The top level (the Ente) is one entry over all of its objectives, whatever their unit_id.
    """
    units = ds.table("units")
    u_ids, u_levels = as_objects(units["unit_id"]), as_objects(units["level"])
    order = {u: k for k, u in enumerate(u_ids)}
    out: list[UnitResult] = []
    levels = rules.level_ids
    for lvl in levels:
        if lvl == levels[0]:
            os_ = [o for o in results.values() if o.level == lvl]
            w = sum((o.weight for o in os_), Fraction(0))
            if not os_ or not w:
                continue
            tops = [u for u, ul in zip(u_ids, u_levels) if ul == lvl]
            groups = [(tops[0] if len(tops) == 1 else None, len(os_),
                       round_fraction(sum((o.weight * o.achievement for o in os_), Fraction(0)) / w, 1, mode))]
        else:
            keys = sorted((k for k in unit_ach if k[0] == lvl), key=lambda k: (order.get(k[1], len(order)), k[1]))
            groups = [(k[1] or None, sum(1 for o in results.values() if o.level == lvl and (o.unit_id or "") == k[1]),
                       unit_ach[k]) for k in keys]
        for uid, n, ach in groups:
            band = band_of(ach) if band_of else None
            out.append(UnitResult(lvl, uid, n, ach, band.id if band else None, band.label if band else None))
    return tuple(out)
