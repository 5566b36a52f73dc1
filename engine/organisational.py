"""Stage 2: grado di raggiungimento of indicators and objectives (performance organizzativa)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property, partial
from itertools import pairwise, repeat
from typing import Any

import numpy as np

from .checks import _row_error
from .columns import Categorical, Decimals, as_objects, index_of, index_with
from .errors import DatasetError, DatasetErrors, Msg, SmvpError
from .exact import decimal_from_units, round_fraction
from .profile_model import INDIVIDUAL_LEVEL, Resolved
from .stages import (
    IndicatorResult,
    LazyMapping,
    LazyObjectives,
    LazyTuple,
    ObjectiveResult,
    Organisational,
    UnitResult,
)


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

    Without bands and links, and when every number fits in int64, the work is done on integer
    columns (:func:`_organisational_columns`); otherwise, and whenever there is an error to
    report, one indicator and objective at a time with Fractions (:func:`_organisational_exact`).
    Both give the same result.
    """
    with _gc_paused():
        fast = _organisational_columns(rules, ds)
    return fast or _organisational_exact(rules, ds)


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
    on_indicators = "indicators" in rules.bands_apply_to  # counts_as applies there (else: status only)
    on_objectives = "objectives" in rules.bands_apply_to
    open_top = next((b for b in bands if b.interval.hi is None), None)
    indicator_results: list[IndicatorResult] = []

    seen_bands: dict = {}  # units -> band (indicators share achievement values)

    def band_of(units: int):
        if units in seen_bands:
            return seen_bands[units]
        x = Fraction(units, scale)
        band = seen_bands[units] = next((b for b in bands if b.interval.contains(x)), None)
        return band

    for i in range(len(inds)):
        target, actual = Fraction(inds["target"][i]), Fraction(inds["actual"][i])
        weight = Fraction(inds["weight"][i])
        ratio: Fraction | None
        if directions[i] == "lower":
            if actual == 0:
                ratio, how = None, "target/actual with actual 0 (no finite ratio)"
                counted_base = cap
                if cap is None and not (open_top is not None and open_top.counts_as is not None):
                    errors.append(_row_error(inds, i, Msg('lower-is-better indicator with actual 0 has no finite achievement'),
                                             "actual", hint=Msg('set a cap_percent in the profile or attest the objective')))
                    continue
                if cap is not None:
                    how = f"target/actual with actual 0 → cap {cap}%"
            else:
                ratio, how = target / actual * 100, "target/actual × 100"
        else:
            ratio, how = actual / target * 100, "actual/target × 100"
        if ratio is not None and ratio < 0:
            errors.append(_row_error(inds, i, Msg("negative achievement: the profile's source gives no rule for it"), "actual",
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
        if band is not None and band.counts_as is not None and (on_indicators or measured is None):
            # (no finite ratio: the open band's value is the only one there is, wherever bands apply)
            counted = round_fraction(band.counts_as, scale, mode)
            how += f"; {band.label}: counts {band.counts_as}%"
        else:
            # the ratio, or the cap when the ratio is not finite (without a cap, the open top
            # band's counts_as above, or the row was an error)
            assert counted_base is not None
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
                errors.append(_row_error(objs, i, Msg('the indicators of this objective all have weight 0'), "weight"))
                continue
            ach = round_fraction(sum((Fraction(a) * w for _, a, w, _ in items), Fraction(0)) / wsum, 1, mode)
            attested = False
        else:
            errors.append(_row_error(objs, i, Msg('objective {oid!r} has no indicators and no attested value', oid=oid),
                                     "attested_percent",
                                     hint=Msg('add its indicators to the indicators table or an attested_percent')))
            continue
        measured, band = ach, (band_of(ach) if bands else None)
        if band is not None and band.counts_as is not None and on_objectives:
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


# ---------------------------------------------------------------- the same on integer columns

_LIMIT = 1 << 62  # every int64 value and intermediate is kept below this
_INDICATOR_HOW = ("actual/target × 100", "actual/target × 100, capped at {cap}%",
                  "target/actual × 100", "target/actual × 100, capped at {cap}%",
                  "target/actual with actual 0 → cap {cap}%")


def _organisational_columns(rules: Resolved, ds) -> Organisational | None:
    """:func:`organisational` on integer columns: None when it cannot be done that way.

    Each number column (targets, actuals, weights, attested percents: Decimals) becomes
    int64 numerators over one power of ten; ratios, caps and rounding are integer
    divisions; weighted means are grouped sums (``np.add.at`` on int64). Every bound is
    checked before the arithmetic it covers. None (the caller then takes the Fraction path,
    which reports the errors in their order) with status bands or objective links, a
    rounding mode other than half_up/down, repeated objective or indicator ids, a blank or
    non-decimal number, a target ≤ 0, a negative actual, weight or attested value, a
    lower-is-better indicator with actual 0 and no cap, an objective with neither
    indicators nor attested value or with indicator weights summing to 0, and whenever a
    bound does not hold.
    """
    mode, cap = rules.points_rounding, rules.achievement_cap
    if rules.achievement_bands or rules.links is not None or mode not in ("half_up", "down"):
        return None
    if cap is not None and cap < 0:
        return None
    scale = 10 ** rules.achievement_decimals
    objs, inds = ds.table("objectives"), ds.table("indicators")
    o_col, i_col = objs["objective_id"], inds["indicator_id"]
    n_obj, n_ind = len(o_col), len(i_col)
    pos = None
    if isinstance(o_col, Categorical):  # ids as codes (as loaded): distinct codes are distinct ids
        if not _distinct_codes(o_col):
            return None
    else:
        pos = {o: k for k, o in enumerate(as_objects(o_col).tolist())}
        if len(pos) != n_obj:
            return None
    if not (_distinct_codes(i_col) if isinstance(i_col, Categorical)
            else len(set(as_objects(i_col).tolist())) == n_ind):
        return None

    # -- indicators: target, actual (one scale), weight
    ta = _decimal_pair_ints(inds["target"], inds["actual"])
    iw = _decimal_ints(inds["weight"])
    if ta is None or iw is None:
        return None
    target, actual, w_ind = ta[0][:n_ind], ta[0][n_ind:], iw[0]
    if n_ind and (int(target.min()) <= 0 or int(actual.min()) < 0 or int(w_ind.min()) < 0):
        return None
    lower = np.asarray(as_objects(inds["direction"]) == "lower", dtype=bool).reshape(n_ind)
    num = np.where(lower, target, actual)  # ratio = num / den × 100
    den = np.where(lower, actual, target)
    zero = den == 0  # lower is better with actual 0: no finite ratio
    infinite = bool(zero.any())
    if infinite:
        if cap is None:
            return None
        den = np.where(zero, 1, den)
    nb, db = _bound(num), _bound(den)
    if nb * 200 * scale + db >= _LIMIT:
        return None
    measured = _round_div(num * (100 * scale), den, mode)
    how_code = lower.astype(np.int64) * 2
    if cap is not None:
        cn, cd = cap.numerator, cap.denominator
        if nb * 100 * cd >= _LIMIT or cn * db >= _LIMIT:
            return None
        capped = num * (100 * cd) > den * cn  # ratio > cap, exactly
        if infinite:
            capped &= ~zero
        counted = np.where(capped | zero, round_fraction(cap, scale, mode), measured)
        how_code += capped
        how_code[zero] = 4
    else:
        counted = measured

    # -- objectives: attested value, else the weighted mean of their indicators
    # each indicator's objective row (-1: unknown); by code when both columns share their ids (as loaded)
    of_all = index_with(inds["objective_id"], pos) if pos is not None else index_of(inds["objective_id"], o_col)
    of_ind, known = of_all, of_all >= 0
    if not known.all():
        of_ind, counted_k, w_k = of_ind[known], counted[known], w_ind[known]
    else:
        counted_k, w_k = counted, w_ind
    ib = _bound(counted_k)
    w_total = _sum_bound(w_k)
    if w_total is None or (2 * ib + 1) * w_total >= _LIMIT:  # 2·Σ(a·w) + Σw, for the rounding
        return None
    n_of = np.bincount(of_ind, minlength=n_obj)
    wsum = _group_sum(of_ind, w_k, n_obj)
    awsum = _group_sum(of_ind, counted_k * w_k, n_obj)
    mean = np.where(wsum > 0, _round_div(awsum, np.maximum(wsum, 1), mode), -1)
    att_col = objs["attested_percent"]
    held = _held(att_col, blank_ok=True)
    if held is not None:  # the numerators the column holds (engine.columns.Decimals), blanks marked
        attested = ~att_col.blank if att_col.blank is not None else np.ones(n_obj, dtype=bool)
    else:
        att_col = np.asarray(att_col, dtype=object)
        attested = np.fromiter((v is not None for v in att_col), dtype=bool, count=n_obj)
    ach = mean
    if attested.any():
        at = (held[0][attested], held[1]) if held is not None else _decimal_ints(att_col[attested])
        if at is None:
            return None
        a_num, a_digits = at
        if int(a_num.min()) < 0 or _bound(a_num) * 2 * scale + 10 ** a_digits >= _LIMIT:
            return None
        ach = mean.copy()
        ach[attested] = _round_div(a_num * scale, np.int64(10 ** a_digits), mode)
    if ((~attested) & (wsum == 0)).any():  # no indicators, or their weights sum to 0: errors
        return None
    ow = _decimal_ints(objs["weight"])
    if ow is None:
        return None
    w_obj, w_digits = ow
    if n_obj and int(w_obj.min()) < 0:
        return None
    w_obj_total = _sum_bound(w_obj)
    if w_obj_total is None or (2 * _bound(ach) + 1) * w_obj_total >= _LIMIT:
        return None

    # -- units: weighted mean of their objectives (not the individual ones), in order of appearance
    grouped = _unit_groups(objs["level"], objs["unit_id"])
    key_codes = None
    if grouped is not None:  # the groups' keys as texts only when read (reports, explanations)
        group, key_codes = grouped
        keys_of: Callable[[], list[tuple[str, str]]] = partial(_group_keys, objs["level"], objs["unit_id"], key_codes)
        n_keys = len(key_codes)
    else:
        seen: dict[tuple[str, str], int] = {}
        levels, unit_ids = as_objects(objs["level"]).tolist(), as_objects(objs["unit_id"]).tolist()
        group = np.fromiter((-1 if lv == INDIVIDUAL_LEVEL else seen.setdefault((lv, u or ""), len(seen))
                             for lv, u in zip(levels, unit_ids)), dtype=np.int64, count=n_obj)
        keys_of, n_keys = partial(list, seen), len(seen)
    in_unit = group >= 0
    g, gw, ga = group[in_unit], w_obj[in_unit], ach[in_unit]
    n_in = np.bincount(g, minlength=n_keys)
    uw = _group_sum(g, gw, n_keys)
    ua = _group_sum(g, ga * gw, n_keys)
    has = uw > 0
    u_ach = _round_div(ua, np.maximum(uw, 1), mode)
    # (level, unit) → achievement and → number of objectives: dicts made when read (evaluation
    # reads the achievement by unit code, unit_codes)
    unit_ach = LazyMapping(partial(_keyed, keys_of, u_ach, has))
    unit_codes = _by_unit_code(objs["level"], objs["unit_id"], key_codes, u_ach, has) if key_codes is not None else None
    counts = LazyMapping(partial(_keyed, keys_of, n_in, has))
    top = None
    if rules.level_ids:
        if rules.ente is not None:
            mine = np.asarray(as_objects(objs["type"]) == rules.ente.area_type, dtype=bool).reshape(n_obj)
        else:
            mine = np.asarray(objs["level"] == rules.level_ids[0], dtype=bool).reshape(n_obj)
        tw = int(w_obj[mine].sum())
        if mine.any() and tw:
            top = int(np.count_nonzero(mine)), int(_round_div(np.asarray((ach[mine] * w_obj[mine]).sum(), dtype=np.int64),
                                                              np.int64(tw), mode))

    # -- the results as objects: built when read (evaluation reads the individual and top-level
    # objectives only; explanations and reports read the rest)
    rows = _ColumnResults(inds=inds, measured=measured, zero=zero if infinite else None, counted=counted,
                          how_code=how_code, cap=cap, of_all=of_all, objs=objs, w_obj=w_obj,
                          w_digits=w_digits, ach=ach, attested=attested)
    own = n_of > 0  # the weighted mean of the objective's own indicators, attested or not (performance())
    own &= wsum > 0
    indicator_mean = LazyMapping(partial(_indicator_mean, o_col, mean, own))  # read by performance() when it checks
    return Organisational(scale=scale, objectives=LazyObjectives(rows.objectives, rows.of_levels),
                          unit_achievement=unit_ach, indicators=LazyTuple(rows.indicators),
                          units=LazyTuple(partial(_units, rules, ds, unit_ach, counts, top, None)),
                          indicator_mean=indicator_mean, unit_codes=unit_codes)


def _distinct_codes(col: Categorical) -> bool:
    """Whether a Categorical column has no blank cell and no repeated value (its categories
    are distinct texts: each is one code)."""
    codes = col.codes
    if not len(codes):
        return True
    if int(codes.min()) < 0:
        return False
    return int(np.bincount(codes, minlength=len(col.categories)).max()) <= 1


def _keyed(keys_of: Callable[[], list], values: np.ndarray, has: np.ndarray) -> dict:
    """key → value for the keys (``keys_of()``, one per position) where ``has`` holds."""
    return {k: v for k, v, h in zip(keys_of(), values.tolist(), has.tolist()) if h}


def _group_keys(level_col: Categorical, unit_col: Categorical, codes: np.ndarray) -> list[tuple[str, str]]:
    """The (level, unit_id or "") key of each group code of :func:`_unit_groups`."""
    l_cats, u_cats = level_col.categories.tolist(), unit_col.categories.tolist()
    width = len(u_cats) + 1
    return [(l_cats[k // width], u_cats[k % width - 1] if k % width else "") for k in codes.tolist()]


def _unit_groups(level_col, unit_col) -> tuple[np.ndarray, np.ndarray] | None:
    """Each objective's (level, unit_id or "") group, numbered in order of first appearance (-1:
    individual objectives), and the groups' codes (level code × (unit categories + 1) + unit
    code + 1; their keys: :func:`_group_keys`) — from the codes of Categorical columns (None for
    other columns: the caller keys each row in Python)."""
    if not (isinstance(level_col, Categorical) and isinstance(unit_col, Categorical)):
        return None
    lc, uc = level_col.codes, unit_col.codes
    l_cats = level_col.categories.tolist()
    width = len(unit_col.categories) + 1  # unit code + 1: 0 for a blank unit
    if int(lc.min(initial=0)) < 0 or (len(l_cats) + 1) * width >= _LIMIT:
        return None  # a blank level (refused by the loader): the per-row path decides
    individual = np.array([lv == INDIVIDUAL_LEVEL for lv in l_cats] + [False], dtype=bool)[lc]
    key = lc * width + (uc + 1)
    rows = np.flatnonzero(~individual)
    uniq, first, inverse = np.unique(key[rows], return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # the groups in order of first appearance
    number = np.empty(len(uniq), dtype=np.int64)
    number[order] = np.arange(len(uniq), dtype=np.int64)
    group = np.full(len(lc), -1, dtype=np.int64)
    group[rows] = number[inverse.reshape(-1)]
    return group, uniq[order]


def _by_unit_code(level_col, unit_col, key_codes: np.ndarray, u_ach: np.ndarray,
                  has: np.ndarray) -> tuple[Any, dict[str, np.ndarray]]:
    """:attr:`Organisational.unit_codes`: per level, the achievement of each unit code (-1: the
    unit has no objectives of that level, or their weights sum to 0), from the groups of
    :func:`_unit_groups` (``key_codes``) and their achievement ``u_ach`` where ``has``."""
    width = len(unit_col.categories) + 1
    level, unit = key_codes // width, key_codes % width - 1  # unit -1: a blank unit (no code)
    by_level: dict[str, np.ndarray] = {}
    for k, lv in enumerate(level_col.categories.tolist()):
        sel = (level == k) & (unit >= 0) & has
        if sel.any():
            a = np.full(width - 1, -1, dtype=np.int64)
            a[unit[sel]] = u_ach[sel]
            by_level[lv] = a
    return unit_col.categories, by_level


def _indicator_mean(ids, mean: np.ndarray, own: np.ndarray) -> dict[str, int]:
    """objective id (``ids``: the objectives' id column) → weighted mean of its own indicators,
    for the objectives that have them."""
    ids = as_objects(ids)
    return {ids[k]: int(mean[k]) for k in np.flatnonzero(own).tolist()}


#: the objectives' text columns an ObjectiveResult holds
_OBJECTIVE_TEXTS = ("label", "level", "unit_id", "person_id", "attestation_note")


class _ColumnResults:
    """The indicators' and objectives' results of :func:`_organisational_columns` as columns;
    :class:`IndicatorResult` and :class:`ObjectiveResult` objects are built from them when read.
    The tables' text columns are turned into Python texts when read, too."""

    def __init__(self, *, inds, measured, zero, counted, how_code, cap, of_all, objs, w_obj, w_digits, ach,
                 attested):
        self.inds, self.objs, self.measured, self.zero = inds, objs, measured, zero
        self.counted, self.how_code, self.cap, self.of_all = counted, how_code, cap, of_all
        self.w_obj, self.w_digits, self.ach, self.attested = w_obj, w_digits, ach, attested
        self._texts: dict[str, np.ndarray] = {}

    @cached_property
    def i_ids(self) -> list:
        return as_objects(self.inds["indicator_id"]).tolist()

    @cached_property
    def o_ids(self) -> np.ndarray:
        return as_objects(self.inds["objective_id"])

    @cached_property
    def ids(self) -> list:
        return as_objects(self.objs["objective_id"]).tolist()

    def texts(self, column: str) -> np.ndarray:
        """The objectives' text column ``column`` as str/None, whole (made on first use, kept)."""
        if column not in self._texts:
            self._texts[column] = as_objects(self.objs[column])
        return self._texts[column]

    def _how(self, at: np.ndarray | None = None) -> list[str]:
        how_text = [h.format(cap=self.cap) for h in _INDICATOR_HOW]
        codes = self.how_code if at is None else self.how_code[at]
        return [how_text[c] for c in codes.tolist()]

    def indicators(self) -> tuple[IndicatorResult, ...]:
        m_list = self.measured.tolist()
        if self.zero is not None:
            for j in np.flatnonzero(self.zero).tolist():
                m_list[j] = None
        none = repeat(None)
        with _gc_paused():
            return tuple(map(IndicatorResult, self.i_ids, self.o_ids.tolist(), m_list, self.counted.tolist(),
                             none, none, self._how()))

    def _objects(self, rows: np.ndarray | None) -> list[ObjectiveResult]:
        """The objects of objective rows ``rows`` (None: all), in table order."""
        n_obj = len(self.objs)
        if rows is None:
            per_obj = _grouped(list(zip(self.i_ids, self.counted.tolist(), self._how())), self.of_all, n_obj)
            pick: slice | np.ndarray = slice(None)
            ids = self.ids
            texts = {c: self.texts(c).tolist() for c in _OBJECTIVE_TEXTS}
        else:  # only these rows' texts
            at = np.flatnonzero(np.isin(self.of_all, rows))  # their indicators, in table order
            items = list(zip(as_objects(self.inds["indicator_id"][at]).tolist(), self.counted[at].tolist(),
                             self._how(at)))
            grouped = _grouped(items, np.searchsorted(rows, self.of_all[at]), len(rows))
            per_obj, pick = grouped, rows
            ids = as_objects(self.objs["objective_id"][rows]).tolist()
            texts = {c: as_objects(self.objs[c][rows]).tolist() for c in _OBJECTIVE_TEXTS}
        one = 10 ** self.w_digits
        w = self.w_obj[pick].tolist()
        fractions = {v: Fraction(v, one) for v in set(w)}
        ach_list = self.ach[pick].tolist()
        none = repeat(None)
        with _gc_paused():
            return list(map(ObjectiveResult, ids, texts["label"], texts["level"], texts["unit_id"],
                            texts["person_id"], [fractions[v] for v in w], ach_list, self.attested[pick].tolist(),
                            texts["attestation_note"], per_obj, ach_list, none, none))

    def objectives(self) -> dict[str, ObjectiveResult]:
        return dict(zip(self.ids, self._objects(None)))

    def of_levels(self, levels: frozenset) -> list[ObjectiveResult]:
        col = self.objs["level"]
        if isinstance(col, Categorical):  # by code: the level of each category looked at once
            wanted = np.array([c in levels for c in col.categories.tolist()] + [None in levels], dtype=bool)
            return self._objects(np.flatnonzero(wanted[col.codes]))
        return self._objects(np.flatnonzero(np.fromiter((lv in levels for lv in self.texts("level").tolist()), dtype=bool,
                                                        count=len(self.objs))))


@contextmanager
def _gc_paused():
    """Automatic garbage collection paused while the column path builds its result objects.

    They hold no reference cycles (reference counting frees them), but each is a tracked
    container: at 45,000 indicators and 30,000 objectives the collector would start five
    full collections walking all of them again, 150 ms of the stage's 330 ms. Restores the
    previous state (a collection paused by the caller stays paused)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _decimal_ints(col) -> tuple[np.ndarray, int] | None:
    """A column of exact numbers (Decimal, int) as int64 numerators over ``10**digits``:
    (numerators, digits); None for a blank or other value, a denominator that is not a
    divisor of a power of ten, or a numerator of 2**62 or more. A :class:`~engine.columns.Decimals`
    column without blanks gives the numerators it holds (converted once, when it was typed)."""
    held = _held(col)
    if held is not None:
        return held
    col = np.asarray(col, dtype=object).reshape(-1)
    values = col.tolist()
    fast = _decimal_arrow_ints(values)
    if fast is None:
        fast = _decimal_texts_ints(values)
    if fast is not None:
        return fast
    try:
        pairs = [v.as_integer_ratio() for v in values]
    except (AttributeError, TypeError, ValueError, OverflowError):  # None, text, NaN, infinity
        return None
    if not pairs:
        return np.zeros(0, dtype=np.int64), 0
    nums, dens = zip(*pairs)
    digits = 0
    for q in set(dens):
        k = _ten_power(q)
        if k is None:
            return None
        digits = max(digits, k)
    if digits > 18:
        return None
    one = 10 ** digits
    try:
        out = np.fromiter(nums, dtype=np.int64, count=len(nums))
    except OverflowError:
        return None
    bound = _bound(out)
    steps = set(dens)
    if len(steps) == 1:
        k = one // dens[0]
        if bound * k >= _LIMIT:
            return None
        return (out * k if k != 1 else out), digits
    mult = {q: one // q for q in steps}
    if bound * max(mult.values()) >= _LIMIT:
        return None
    return out * np.fromiter((mult[q] for q in dens), dtype=np.int64, count=len(dens)), digits


def _held(col, blank_ok: bool = False) -> tuple[np.ndarray, int] | None:
    """(numerators, digits) a :class:`~engine.columns.Decimals` column holds; None for any other
    column, or for one with blank cells unless ``blank_ok`` (blanks are then 0: the caller
    reads ``col.blank``)."""
    nums = getattr(col, "numerators", None)
    if nums is None or not isinstance(col, Decimals) or len(nums) != len(col):
        return None
    if col.blank is not None and not blank_ok:
        return None
    return nums, col.digits


def _decimal_pair_ints(a, b) -> tuple[np.ndarray, int] | None:
    """:func:`_decimal_ints` of two columns over one power of ten, ``a`` then ``b`` (one array):
    from the numerators they hold when both do (the larger power of ten, bounds checked),
    else from their values."""
    ha, hb = _held(a), _held(b)
    if ha is not None and hb is not None:
        digits = max(ha[1], hb[1])
        parts = []
        for nums, d in (ha, hb):
            k = 10 ** (digits - d)
            if k != 1 and _bound(nums) * k >= _LIMIT:
                break
            parts.append(nums * k if k != 1 else nums)
        else:
            return np.concatenate(parts), digits
    return _decimal_ints(np.concatenate([np.asarray(a, dtype=object), np.asarray(b, dtype=object)]))


#: scales tried for :func:`_decimal_arrow_ints`, smallest first (a try that loses a digit stops at that value)
_ARROW_SCALES = (0, 1, 2, 3, 4, 6, 9, 12, 18)


def _decimal_arrow_ints(values: list) -> tuple[np.ndarray, int] | None:
    """:func:`_decimal_ints` for a column of Decimals and ints, converted in C by pyarrow into
    128-bit decimals at the first scale of :data:`_ARROW_SCALES` that holds every value
    exactly (pyarrow refuses a value that would lose a digit, and the conversion stops there):
    about 3× faster than writing each value as text. None when the column is anything else,
    when no scale fits, or when a numerator is 2**62 or more (the caller then takes the text
    or per-value path, which decides). The power of ten may be larger than the least one
    :func:`_decimal_texts_ints` gives (values of 5 decimals: 6 digits); every use
    of the numerators is a ratio, a sum or a Fraction over that same power, so the results
    are the same — only the bounds, checked by the callers, see the difference.
    """
    if sys.byteorder != "little" or not values or not set(map(type, values)) <= {Decimal, int}:
        return None
    import pyarrow as pa

    for digits in _ARROW_SCALES:
        try:
            arr = pa.array(values, type=pa.decimal128(38, digits), from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # a digit lost, too large, NaN
            continue
        if arr.null_count:
            return None
        words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset:2 * (arr.offset + len(arr))]
        low, high = words[0::2], words[1::2]  # little-endian two's complement: low word, then high
        if not np.array_equal(high, low >> 63):  # beyond int64
            return None
        out = low.copy()
        if _bound(out) >= _LIMIT:
            return None
        return out, digits
    return None


_PLAIN_DECIMAL = r"^-?[0-9]{1,18}(\.[0-9]{1,18})?$"


def _decimal_texts_ints(values: list) -> tuple[np.ndarray, int] | None:
    """:func:`_decimal_ints` for a column of Decimals and ints written plainly (``-12.50``, no
    exponent, at most 18 digits each side): their exact text parsed in columns (pyarrow),
    about 6× faster than one ``as_integer_ratio`` per value. None when the column is anything
    else (the caller then takes the per-value path, which decides). Same result: numerators
    over the least common power of ten."""
    if not values or not set(map(type, values)) <= {Decimal, int}:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(list(map(str, values)), pa.string())
    if not pc.all(pc.match_substring_regex(text, _PLAIN_DECIMAL)).as_py():
        return None
    dot = pc.find_substring(text, ".")
    length = pc.utf8_length(text)
    frac = pc.if_else(pc.less(dot, 0), 0, pc.subtract(pc.subtract(length, dot), 1))
    digits = int(pc.max(frac).as_py() or 0)
    if digits > 18:
        return None
    pad = pc.binary_repeat("0", pc.subtract(digits, frac))
    whole = pc.binary_join_element_wise(pc.replace_substring(text, ".", ""), pad, "")
    try:
        out = np.array(pc.cast(whole, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowInvalid, OverflowError):  # beyond int64
        return None
    while digits and not (out % 10).any():  # the least common power of ten, as as_integer_ratio gives
        out = out // 10
        digits -= 1
    if _bound(out) >= _LIMIT:
        return None
    return out, digits


def _ten_power(q: int) -> int | None:
    """The least k with q dividing 10**k (None: there is none)."""
    twos = (q & -q).bit_length() - 1
    q >>= twos
    fives = 0
    while q % 5 == 0:
        q //= 5
        fives += 1
    return max(twos, fives) if q == 1 else None


def _bound(a: np.ndarray) -> int:
    """max |a| (0 for an empty array) as a Python int."""
    if not a.size:
        return 0
    return max(abs(int(a.max())), abs(int(a.min())))


def _sum_bound(a: np.ndarray) -> int | None:
    """The exact sum of a non-negative int64 column, None when it could reach 2**62."""
    if _bound(a) * max(len(a), 1) >= _LIMIT:
        return None
    return int(a.sum())


def _group_sum(idx: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of ``values`` by ``idx`` (callers bound the sums below 2**62)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, idx, values)
    return out


def _round_div(n: np.ndarray, d: np.ndarray | np.integer, mode: str) -> np.ndarray:
    """``n / d`` rounded to an integer by ``mode`` (half_up or down), for n ≥ 0, d > 0 and
    2n + d below 2**63 (:func:`engine.exact.round_fraction` on each value)."""
    if mode == "half_up":
        return (2 * n + d) // (2 * d)
    return n // d


def _grouped(items: list, group: np.ndarray, size: int) -> list[tuple]:
    """``items`` as one tuple per group ``0 … size-1`` (rows in their order; group -1: none)."""
    if size == 0:
        return []
    if len(group) and not (np.diff(group) >= 0).all():
        order = np.argsort(group, kind="stable")
        group = group[order]
        items = [items[k] for k in order.tolist()]
    starts = np.searchsorted(group, np.arange(size + 1), side="left").tolist()
    return [tuple(items[a:b]) for a, b in pairwise(starts)]


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


def _units(rules: Resolved, ds, unit_ach: Mapping, counts: Mapping, top: tuple[int, int] | None,
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
            errors.append(_row_error(table, i, Msg('unknown objective {v!r}', v=v), f,
                                     hint=Msg('link objectives of the objectives table')))
        if bad:
            continue
        if parents[i] == linked[i]:
            errors.append(_row_error(table, i, Msg('objective {oid!r} is linked to itself', oid=parents[i]), "linked_objective_id"))
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
                errors.append(DatasetError(Msg("objectives are linked in a circle: {cycle}", cycle=" → ".join(cycle)), file=table.file,
                                           field="linked_objective_id", hint=Msg('an objective cannot count itself')))
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
    measured: Mapping[str, int]  # objective → value from its indicators and linked objectives (before attestation)
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
    children = objective_links(rules, ds, errors)
    measured: Mapping[str, int]
    if org.indicator_mean is not None and not children:  # computed with the objectives (integer columns)
        measured = org.indicator_mean  # read only (a LazyMapping: built when first read)
    else:
        measured = computed_mean = {}
        iw = dict(zip(as_objects(inds["indicator_id"]), (Fraction(w) for w in inds["weight"])))
        for oid, o in org.objectives.items():
            items = [(a, iw.get(iid, Fraction(1))) for iid, a, _ in o.indicators]
            items += [(org.objectives[c].achievement, w) for c, w in children.get(oid, ()) if c in org.objectives]
            wsum = sum((w for _, w in items), Fraction(0))
            if items and wsum:
                computed_mean[oid] = round_fraction(sum((Fraction(a) * w for a, w in items), Fraction(0)) / wsum, 1, mode)
    att_rule = rules.attestation
    ids = as_objects(objs["objective_id"])
    notes_col = as_objects(objs["attestation_note"])
    if att_rule is not None:
        for i, oid in enumerate(ids):
            att = objs["attested_percent"][i]
            if att is None:
                continue
            if att_rule.interval is not None and not att_rule.interval.contains(Fraction(att)):
                errors.append(_row_error(objs, i, Msg('attested achievement outside the range the OIV attests'),
                                         "attested_percent",
                                         expected=Msg('a percent in {interval}', interval=att_rule.interval), found=str(att)))
            m = measured.get(oid)
            if (att_rule.note_when_differs and m is not None and round_fraction(Fraction(att), scale, mode) != m
                    and not (notes_col[i] or "").strip()):
                errors.append(_row_error(objs, i, Msg('attested {att}% differs from the measured {measured}% but gives '
                                                      'no reasons', att=att, measured=_pct_units(m, scale)),
                                         "attestation_note",
                                         expected=Msg("the OIV's reasons in attestation_note"), found=Msg('a blank cell')))
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
            notes.append(Msg("{label}: not computed, the dataset has no objectives of type {type!r} "
                             "with a positive weight", label=ente.label, type=ente.area_type))
        meta = ds.meta if "meta" in getattr(ds, "tables", {}) else {}
        raw = meta.get(ENTE_ATTESTED_KEY)
        note = meta.get(ENTE_NOTE_KEY)
        meta_t = ds.table("meta") if "meta" in getattr(ds, "tables", {}) else None
        if raw not in (None, ""):
            value = _percent(raw)
            row = list(as_objects(meta_t["key"])).index(ENTE_ATTESTED_KEY) if meta_t is not None else 0
            if value is None:
                errors.append(_row_error(meta_t, row, Msg('{key} is not a percent', key=ENTE_ATTESTED_KEY), "value",
                                         expected=Msg('a percent, e.g. 95 or 95%'), found=repr(raw)))
            elif 0 < value <= 1 and "%" not in str(raw):  # the dataset's percent convention
                shown = format((Decimal(value.numerator) / value.denominator * 100).normalize(), "f")
                errors.append(_row_error(meta_t, row, Msg('{key}: ambiguous percent, the value is in percent, not a '
                                                          'fraction of 1', key=ENTE_ATTESTED_KEY), "value",
                                         expected=Msg('a percent, e.g. 95 or 95% (a value from 0 to 1 needs the % sign)'),
                                         found=repr(raw),
                                         hint=Msg('write {plain} for {plain_pct}, or {raw_pct} for {raw_spaced}', plain=shown,
                                                  plain_pct=f"{shown} %", raw_pct=f"{str(raw).strip()}%",
                                                  raw_spaced=f"{str(raw).strip()} %")))
            elif att_rule is not None and att_rule.interval is not None and not att_rule.interval.contains(value):
                errors.append(_row_error(meta_t, row, Msg('attested Ente performance outside the range the OIV attests'),
                                         "value", expected=Msg('a percent in {interval}', interval=att_rule.interval),
                                         found=str(raw)))
            else:
                attested = round_fraction(value, scale, mode)
                if (att_rule is not None and att_rule.note_when_differs and computed is not None
                        and attested != computed and not (note or "").strip()):
                    errors.append(_row_error(meta_t, row, Msg('attested Ente performance {raw}% differs from the computed '
                                                              '{computed}% but gives no reasons', raw=raw,
                                                              computed=_pct_units(computed, scale)), "value",
                                             expected=Msg("the OIV's reasons in a meta row {key!r}", key=ENTE_NOTE_KEY),
                                             found=Msg('none')))
        final = attested if attested is not None else computed
    reductions: list[FundReduction] = []
    if ente is not None and ente.reduces_funds and not errors:
        res = ds.table("resources")
        amounts = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"])))
        present = [fid for fid in ente.reduces_funds if rules.funds[fid].resource in amounts]
        if final is None and present:
            errors.append(DatasetError(
                Msg('the funds {join_present} are reduced in proportion to the {label}, which cannot be computed', join_present=', '.join(present), label=ente.label), file=objs.file, field="type",
                expected=Msg('objectives of type {area_type!r} or a meta row {ENTE_ATTESTED_KEY!r}', area_type=ente.area_type, ENTE_ATTESTED_KEY=ENTE_ATTESTED_KEY), found=Msg('none')))
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
