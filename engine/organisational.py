"""Stage 2: grado di raggiungimento of indicators and objectives (performance organizzativa)."""

from __future__ import annotations

from fractions import Fraction


from .columns import as_objects
from .errors import DatasetErrors, SmvpError
from .exact import round_fraction
from .profile import INDIVIDUAL_LEVEL, Resolved

from .stages import ObjectiveResult, Organisational
from .checks import _row_error


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
