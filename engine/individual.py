"""Stage 3: per-person results points, behaviour points, total, judgement, negative flag."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from .checks import _row_error
from .columns import Categorical, as_objects, index_of, index_with, take_by_value
from .errors import DatasetError, DatasetErrors, Msg, SmvpError
from .exact import Q, round_fraction
from .profile_model import INDIVIDUAL_LEVEL, Resolved
from .stages import Individual, ObjectiveResult, Organisational

CP = 100


def _ancestors(ds, level_ids) -> dict[str, dict[str, str]]:
    """unit_id → {level → ancestor unit_id at that level (itself included)}."""
    units = ds.table("units")
    uid, par, lvl = as_objects(units["unit_id"]), as_objects(units["parent_id"]), as_objects(units["level"])
    parent = dict(zip(uid, par))
    level = dict(zip(uid, lvl))
    out: dict[str, dict[str, str]] = {}
    for u in uid:
        chain: dict[Any, Any] = {}  # level (None for a unit without one) → unit
        cur, seen = u, set()
        while cur is not None and cur not in seen:
            seen.add(cur)
            chain.setdefault(level.get(cur), cur)
            cur = parent.get(cur)
        out[u] = chain
    return out


def _identity_codes(col: Categorical) -> bool:
    """Whether a Categorical column's codes are 0, 1, 2, … over all its categories (each row its
    own category, in order: a units table's ids as loaded)."""
    codes = col.codes
    return len(codes) == len(col.categories) and bool(np.array_equal(codes, np.arange(len(codes), dtype=codes.dtype)))


class _Positions(dict):
    """unit id → position in the units table, filled on the first lookup (a table whose ids are
    their codes needs it only where a unit is looked up by its id)."""

    def __init__(self, keys: list[str]):
        super().__init__()
        self._keys: list[str] | None = keys

    def _fill(self) -> None:
        if self._keys is not None:
            keys, self._keys = self._keys, None
            self.update((u, i) for i, u in enumerate(keys))

    def __contains__(self, key) -> bool:
        self._fill()
        return super().__contains__(key)

    def __getitem__(self, key):
        self._fill()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._fill()
        return super().get(key, default)

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __iter__(self):
        self._fill()
        return super().__iter__()


def _ancestor_index(ds, level_ids) -> tuple[list[str], dict, dict[str, np.ndarray], bool]:
    """Units in table order, unit id → position, per level the index of each unit's ancestor
    at that level (itself included; -1 none): :func:`_ancestors` as arrays, walking all units up
    at once — and whether the units' ids are their codes (a unit's code is its position)."""
    units = ds.table("units")
    u_col = units["unit_id"]
    uid = as_objects(u_col)
    coded = isinstance(u_col, Categorical) and _identity_codes(u_col)  # as loaded: ids distinct, codes in order
    keys = u_col.categories.tolist() if coded else list(dict.fromkeys(uid))
    pos: dict = _Positions(keys) if coded else {u: i for i, u in enumerate(keys)}
    if len(keys) == len(uid):
        # each unit's parent (-1: none or unknown); by code when the parents share the ids' codes
        parent = index_of(units["parent_id"], u_col) if coded else index_with(units["parent_id"], pos)
        lvl = index_of(units["level"], list(level_ids))
        anc = {lv: np.full(len(uid), -1, dtype=np.int64) for lv in level_ids}
        cur = np.arange(len(uid), dtype=np.int64)
        for _ in range(64):  # a tree of units is never this deep; a cycle falls back below
            alive = np.flatnonzero(cur >= 0)
            if not alive.size:
                return keys, pos, anc, coded
            at, here = cur[alive], lvl[cur[alive]]
            for k, lv in enumerate(level_ids):
                a = anc[lv]
                first = (here == k) & (a[alive] < 0)
                a[alive[first]] = at[first]
            cur[alive] = parent[at]
    chains = _ancestors(ds, level_ids)  # repeated ids or a cycle: the plain walk
    return keys, pos, {lv: np.array([pos.get(chains[u].get(lv), -1) for u in keys], dtype=np.int64)
                       for lv in level_ids}, False


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
    scored = np.take(scorable, role_idx) if n else np.zeros(0, dtype=bool)
    mode = rules.points_rounding
    pscale = 10 ** rules.points_decimals
    person_ids = staff["person_id"]
    unit_col = staff["unit_id"]
    errors: list[SmvpError] = []

    # per level: achievement of each unit's ancestor at that level, as arrays over the units
    unit_keys, unit_pos, anc_at, by_code = _ancestor_index(ds, rules.level_ids)
    n_units = len(unit_keys)
    units_col = ds.table("units")["unit_id"]
    unit_idx = _unit_positions(unit_col, units_col, unit_pos, n_units, by_code)
    full = 100 * org.scale

    # individual objectives, the top level's objectives, assignments
    indiv: dict[str, list[ObjectiveResult]] = {}
    top_level = rules.level_ids[0] if rules.level_ids else None
    top: list[ObjectiveResult] = []
    wanted_levels = {INDIVIDUAL_LEVEL, top_level}
    of_levels = getattr(org.objectives, "of_levels", None)  # only these objects (LazyObjectives)
    for o in (of_levels(wanted_levels) if of_levels is not None else org.objectives.values()):
        if o.level == INDIVIDUAL_LEVEL and o.person_id:
            indiv.setdefault(o.person_id, []).append(o)
        elif o.level == top_level:
            top.append(o)
    indiv_keys = list(indiv)
    indiv_ach = np.array([_wmean([(o.achievement, o.weight) for o in indiv[k]], mode) for k in indiv_keys] + [-1],
                         dtype=np.int64)  # last slot: no individual objectives
    asg = ds.table("assignments")
    assigned = _assigned(asg)
    person_row = {p: i for i, p in enumerate(as_objects(person_ids))} if assigned else {}

    # achievement of each unit's own objectives, per level used by a component (-1: none)
    wanted = {c.level for r in role_ids for c in rules.roles[r].components
              if rules.roles[r].scorable and c.level not in (INDIVIDUAL_LEVEL, top_level)}
    own = {lv: np.full(n_units + 2, -1, dtype=np.int64) for lv in wanted}  # two -1 slots: none, unknown
    coded = org.unit_codes
    if wanted and by_code and coded is not None and coded[0] is units_col.categories:
        for lv, by_unit in coded[1].items():  # the units' codes are their positions: arrays as they are
            if lv in own:
                own[lv][:n_units] = by_unit[:n_units]
    elif wanted:
        for (lv, uid), a in org.unit_achievement.items():
            if lv in own and uid in unit_pos:
                own[lv][unit_pos[uid]] = a

    def level_achievement(level: str) -> np.ndarray:
        """Achievement per unit (one slot more: unknown unit, -1) for a component of ``level``."""
        if level == top_level:  # the top level: all its objectives, whatever the unit
            return np.full(n_units + 1, _wmean([(o.achievement, o.weight) for o in top], mode), dtype=np.int64)
        return own[level][np.append(anc_at[level], -1)]  # ancestor -1 (none) and unknown unit → a -1 slot

    chains: dict = {}

    def unit_at(unit, level: str):
        """The unit's ancestor at ``level`` (for messages), else the unit itself."""
        if not chains:
            chains.update(_ancestors(ds, rules.level_ids))
        return chains.get(unit, {}).get(level, unit)

    per_level: dict[str, np.ndarray] = {}
    # "role.component" → (rows, values, index): see stages.Individual.component_parts
    components: dict[str, tuple] = {}
    comp_ach: dict[str, tuple] = {}
    results = np.zeros(n, dtype=np.int64)
    role_counts = np.zeros(len(role_ids), dtype=np.int64)  # the scorable roles' (the others are not read)
    for k, rid in enumerate(role_ids):
        role = rules.roles[rid]
        mine = role_idx == k if role.scorable else None
        role_counts[k] = 0 if mine is None else np.count_nonzero(mine)
        if mine is None or not role_counts[k]:
            for c in role.components:
                components[f"{rid}.{c.id}"] = (_NO_ROWS, _NO_ROWS, None)
                comp_ach[f"{rid}.{c.id}"] = (_NO_ROWS, _NO_ROWS, None)
            continue
        many = role_counts[k] * 4 >= n  # most of the staff: build the columns by gathering from per-unit values
        # the role's row numbers, only where read: a role of many rows whose components are all
        # per unit, without assignments, never needs them (a million rows: 8 MB not made)
        rows = _Rows(mine)
        slot = units_of_rows = None
        unit_sum = None  # a role of many rows: its per-unit points summed over components, gathered once
        if any(c.level != INDIVIDUAL_LEVEL for c in role.components):
            if many:
                slot = np.where(mine, unit_idx, n_units + 1)
                in_use = np.bincount(slot, minlength=n_units + 2)[:n_units + 1] > 0  # units this role's rows are in
            else:
                units_of_rows = unit_idx[rows()]
        for c in role.components:
            key = f"{rid}.{c.id}"
            mx = c.max or Fraction(0)
            assigned_here = [(pid, lst) for (pid, comp), lst in assigned.items()
                             if comp == c.id and person_row.get(pid, -1) >= 0 and role_idx[person_row[pid]] == k]
            if c.level == INDIVIDUAL_LEVEL:
                ach_rows = indiv_ach[_indiv_index(person_ids, rows(), indiv_keys)]
            else:
                if c.level not in per_level:
                    per_level[c.level] = level_achievement(c.level)
                ach_unit = np.append(per_level[c.level], -1)  # one slot more: rows of other roles
                if many and not assigned_here and not (mx > 0 and (in_use & (ach_unit[:n_units + 1] < 0)).any()):
                    ach_rows = None  # not needed: nobody lacks objectives, nothing assigned
                else:
                    ach_rows = ach_unit[unit_idx[rows()] if units_of_rows is None else units_of_rows]
            overridden: list[int] = []  # positions in rows whose objectives are assigned
            for pid, lst in assigned_here:
                i = person_row[pid]
                pairs = []
                for oid, w in lst:
                    o = org.objectives.get(oid)
                    if o is None:
                        errors.append(DatasetError(Msg('assignment to unknown objective {oid!r}', oid=oid), file=asg.file,
                                                   field="objective_id"))
                        continue
                    pairs.append((o.achievement, w if w is not None else o.weight))
                j = int(np.searchsorted(rows(), i))
                ach_rows[j] = _wmean(pairs, mode)
                overridden.append(j)
            lacking = rows()[ach_rows < 0] if ach_rows is not None else _NO_ROWS
            if mx > 0:
                for i in lacking[:20]:
                    unit = _value(unit_col, i)
                    errors.append(_row_error(staff, i, Msg('no objectives for results component {cid!r} ({label})',
                                                           cid=c.id, label=c.label), "unit_id",
                                             expected=Msg('objectives of level {level!r} for person {who}', level=c.level,
                                                          who=_value(person_ids, i)) if c.level == INDIVIDUAL_LEVEL
                                             else Msg('objectives of level {level!r} for unit {who}', level=c.level,
                                                      who=unit_at(unit, c.level)),
                                             found=Msg('none'), hint=Msg('add them to the objectives table, or assign '
                                                                         'objectives to this person in the assignments table')))
            # a component's points as a whole column (a role holding much of the staff), else as its
            # rows' values, made a column on demand (Individual.components), like the achievement
            if c.level == INDIVIDUAL_LEVEL:
                pts_rows = _points(ach_rows, mx, pscale, full, mode)
                results[rows()] += pts_rows
                components[key] = (rows(), pts_rows, None)
                ach: tuple = (rows(), ach_rows, None)
            else:  # per unit, then one pass per column (or a gather for the few rows)
                pts_unit = _points(ach_unit, mx, pscale, full, mode)
                # the achievement: the rows' values when computed (overrides included), else the
                # per-unit values and each row's unit
                if ach_rows is not None:
                    ach = (rows(), ach_rows, None)
                elif slot is not None:  # a value per slot (the last: other roles' rows, -1), a slot per row
                    ach = (None, ach_unit, slot)
                else:
                    ach = (rows(), ach_unit, unit_idx)
                if many and not overridden:  # the column is pts_unit[slot]: made when read
                    assert slot is not None  # set for a role of many rows
                    unit_sum = pts_unit.copy() if unit_sum is None else unit_sum + pts_unit
                    components[key] = (None, pts_unit, slot)
                elif many:
                    assert slot is not None
                    comp, zero = _unit_column(pts_unit, slot, mine, 0)
                    comp[rows()[overridden]] = _points(ach_rows[overridden], mx, pscale, full, mode)
                    results += comp
                    components[key] = (None, comp, None)
                else:
                    pts_rows = pts_unit[units_of_rows]
                    if overridden:
                        pts_rows[overridden] = _points(ach_rows[overridden], mx, pscale, full, mode)
                    results[rows()] += pts_rows
                    components[key] = (rows(), pts_rows, None)
            comp_ach[key] = ach
        if unit_sum is not None:  # one gather for the role's components per unit (the last slot: other rows, 0)
            assert slot is not None
            comp, zero = _unit_column(unit_sum, slot, mine, 0)
            if not zero:
                results += comp
    if errors:
        raise DatasetErrors(errors[:50])

    behaviour = _behaviour(ds, person_ids, n)
    total = results + behaviour
    all_scored = bool(scored.all())
    if not all_scored:
        behaviour = np.where(scored, behaviour, 0)
        total = np.where(scored, total, 0)
        results = np.where(scored, results, 0)
    code, band_ids, band_labels = _judgement_codes(rules, role_ids, role_idx, role_counts, scored,
                                                   {"total": total, "results": results, "behaviour": behaviour})
    negative = _negative(rules, role_ids, role_idx, behaviour, scored, all_scored)
    return Individual(role_idx, role_ids, scored, components, results, behaviour, total,
                      code, band_ids, band_labels, negative, comp_ach)


def _unit_positions(unit_col, units_col, unit_pos: dict, n_units: int, by_code: bool) -> np.ndarray:
    """Each staff row's position in the units table (int64; ``n_units``, the slot after the units:
    an unknown or blank unit). By code when the staff's units share the units table's categories
    (as loaded: a code is the unit's position), else each category (or value) looked up once."""
    if by_code and isinstance(unit_col, Categorical) and unit_col.categories is units_col.categories:
        codes = unit_col.codes
        return np.where((codes < 0) | (codes >= n_units), n_units, codes)
    if isinstance(unit_col, Categorical):
        ext = np.append(index_with(unit_col.categories, unit_pos), -1)  # blank code -1: the last entry
        return np.where(ext < 0, n_units, ext)[unit_col.codes]
    unit_idx = index_with(unit_col, unit_pos)
    np.putmask(unit_idx, unit_idx < 0, n_units)
    return unit_idx


def _assigned(asg) -> dict[tuple[str, str], list[tuple[str, Fraction | None]]]:
    """The assignments table as (person, component) → [(objective, weight or None)], in table order."""
    assigned: dict[tuple[str, str], list[tuple[str, Fraction | None]]] = {}
    a_p, a_c, a_o = as_objects(asg["person_id"]), as_objects(asg["component"]), as_objects(asg["objective_id"])
    for i in range(len(asg)):
        w = asg["weight"][i]
        assigned.setdefault((a_p[i], a_c[i]), []).append((a_o[i], Fraction(w) if w is not None else None))
    return assigned


def _behaviour(ds, person_ids, n: int) -> np.ndarray:
    """Behaviour points per staff row (centipoints): the sum of the person's factor scores."""
    beh = ds.table("behaviours")
    person = index_of(beh["person_id"], person_ids)
    # one slot more: the rows of a person not in the staff (index -1) add there, and are dropped
    behaviour = np.zeros(n + 1, dtype=np.int64)
    if len(beh):
        np.add.at(behaviour, person, beh["score"])
    return behaviour[:n]


def _judgement_codes(rules: Resolved, role_ids: tuple, role_idx: np.ndarray, role_counts: np.ndarray,
                     scored: np.ndarray, values: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple, tuple]:
    """Each scored person's band of their role's judgement (profile ``judgements``) read on its
    variable (``values``: total, results or behaviour, centipoints), as codes into the band ids and
    labels returned with them (-1: none; int8 when the bands are few)."""
    band_ids: list = []
    band_labels: list = []
    n = len(role_idx)
    n_bands = sum(len(j.bands) for j in rules.judgements.values())
    code = np.empty(n, dtype=np.int8 if n_bands < 127 else np.int64)  # a small dtype: less memory to touch
    code.fill(-1)
    for jid, judgement in rules.judgements.items():
        uses = [k for k, rid in enumerate(role_ids) if rules.roles[rid].judgement == jid and role_counts[k]]
        if not uses:
            continue
        using = np.zeros(len(role_ids) + 1, dtype=bool)  # last slot: unknown role
        using[uses] = True
        sel = scored & using[role_idx]
        if not sel.any():
            continue
        var = values[judgement.variable]
        by_value = _band_codes_by_value(var, judgement.bands, len(band_ids), code.dtype)
        if by_value is not None:
            np.copyto(code, by_value, where=sel)
            band_ids.extend(b.id for b in judgement.bands)
            band_labels.extend(b.label for b in judgement.bands)
            continue
        q = Q(var, CP)
        for band in judgement.bands:
            code[sel & band.interval.mask(q)] = len(band_ids)
            band_ids.append(band.id)
            band_labels.append(band.label)
    return code, tuple(band_ids), tuple(band_labels)


def _negative(rules: Resolved, role_ids: tuple, role_idx: np.ndarray, behaviour: np.ndarray,
              scored: np.ndarray, all_scored: bool) -> np.ndarray:
    """The negative flag: a scored person's behaviour below the role's ``negative_below`` (exact:
    behaviour < t ⟺ behaviour < ceil(t × CP), centipoints)."""
    never = np.iinfo(np.int64).min
    thresholds = [rules.roles[r].negative_below for r in role_ids]
    below = np.array([never if t is None else math.ceil(t * CP) for t in thresholds] + [never],
                     dtype=np.int64)
    negative = behaviour < np.take(below, role_idx) if len(role_idx) else np.zeros(0, dtype=bool)
    if not all_scored:
        negative &= scored
    return negative


_NO_ROWS = np.zeros(0, dtype=np.int64)


class _Rows:
    """The row numbers where ``mask`` holds (int64), made on the first call."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self.rows: np.ndarray | None = None

    def __call__(self) -> np.ndarray:
        if self.rows is None:
            self.rows = np.flatnonzero(self.mask)
        return self.rows
_BY_VALUE_MIN_ROWS = 1 << 12


def _band_codes_by_value(var: np.ndarray, bands, first: int, dtype) -> np.ndarray | None:
    """Each row's band code (``first`` + the band's position; a later band wins where two hold; -1:
    none) for centipoints ``var``, read once per value of the column's range and gathered by row;
    None for a column under 4,096 rows or whose range is over a quarter of its length (the caller
    then reads each band over the rows: the same codes)."""
    if len(var) < _BY_VALUE_MIN_ROWS or var.dtype != np.int64:
        return None
    lo, hi = int(var.min()), int(var.max())
    span = hi - lo + 1
    if span * 4 > len(var):
        return None
    domain = Q(np.arange(lo, hi + 1, dtype=np.int64), CP)
    table = np.full(span, -1, dtype=dtype)
    for k, band in enumerate(bands):
        table[band.interval.mask(domain)] = first + k
    return take_by_value(table, var, lo)


def _filled(n: int, value: int) -> np.ndarray:
    """``np.full(n, value)`` for int64 (empty + fill: much cheaper on fresh memory)."""
    out = np.empty(n, dtype=np.int64)
    out.fill(value)
    return out


def _unit_column(per_unit: np.ndarray, slot: np.ndarray, mine: np.ndarray, outside: int) -> tuple[np.ndarray, bool]:
    """``per_unit[slot]`` (the last slot of ``per_unit`` holds ``outside``, for rows not ``mine``),
    without a gather when every unit has the same value; and whether the column is all zeros."""
    units = per_unit[:-1]
    if len(units) and (units == units[0]).all():
        v = int(units[0])
        if v == outside:
            return (np.zeros(len(slot), dtype=np.int64) if v == 0 else _filled(len(slot), v)), v == 0
        return np.where(mine, v, outside), False
    return np.take(per_unit, slot), False


def _points(ach: np.ndarray, mx: Fraction, pscale: int, full: int, mode: str) -> np.ndarray:
    """Centipoints of a component worth ``mx`` at achievement ``ach`` (-1: none → 0)."""
    # points = max × ach / (100 × scale), in 1/pscale points, expressed in centipoints
    num = np.where(ach >= 0, ach, 0) * int(mx.numerator) * pscale
    pts = Q(num, full * int(mx.denominator)).to_units(1, mode) * (CP // pscale)
    return np.where(ach >= 0, pts, 0)


def _indiv_index(person_ids, rows: np.ndarray, indiv_keys: list[str]) -> np.ndarray:
    """Index into ``indiv_keys`` of the persons at ``rows`` (the slot after the keys when none)."""
    idx = index_of(person_ids[rows], indiv_keys)
    return np.where(idx < 0, len(indiv_keys), idx)


def _value(col, i):
    return col[int(i)]


def _wmean(pairs: list[tuple[int, Fraction]], mode: str) -> int:
    w = sum((p[1] for p in pairs), Fraction(0))
    if not pairs or w == 0:
        return -1
    return round_fraction(sum((Fraction(a) * wt for a, wt in pairs), Fraction(0)) / w, 1, mode)
