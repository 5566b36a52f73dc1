"""Stage 1: the dataset checked against the rules in force (docs/design.md)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from .columns import Categorical, Decimals, as_objects, index_of
from .errors import DatasetError, DatasetErrors, Msg, Number, SmvpError, SmvpErrors
from .exact import decimal_from_units
from .profile import Profile
from .profile_model import INDIVIDUAL_LEVEL, Resolved

CP = 100


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
        found = _value(staff["role"], i)
        errors.append(_row_error(staff, i, Msg('unknown role'), "role", expected=Msg('one of {values}', values=", ".join(role_ids)),
                                 found=repr(found), hint=_near(found, role_ids)))
    # levels
    levels = set(rules.level_ids)
    units = ds.table("units")
    for i in _rows_not_in(units["level"], levels):
        lvl = _value(units["level"], i)
        errors.append(_row_error(units, i, Msg('unknown level'), "level", expected=Msg('one of {values}', values=", ".join(rules.level_ids)),
                                 found=repr(lvl), hint=_near(lvl, rules.level_ids)))
    objs = ds.table("objectives")
    for i in _rows_not_in(objs["level"], levels | {INDIVIDUAL_LEVEL}):
        lvl = _value(objs["level"], i)
        errors.append(_row_error(objs, i, Msg('unknown level'), "level",
                                 expected=Msg('one of {values}', values=", ".join(rules.level_ids + (INDIVIDUAL_LEVEL,))),
                                 found=repr(lvl), hint=_near(lvl, rules.level_ids)))
    # behaviour scores: factor of the person's role, within scale, one per factor
    if len(staff) and (role_idx >= 0).all():
        _check_behaviours(rules, staff, beh, role_ids, role_idx, errors)
    # assignments name a results component of the person's role
    asg = ds.table("assignments")
    if len(asg) and len(staff) and (role_idx >= 0).all():
        who = index_of(asg["person_id"], staff["person_id"])
        for i, comp in enumerate(as_objects(asg["component"])):
            if who[i] < 0:
                continue
            rid = role_ids[role_idx[who[i]]]
            allowed = [c.id for c in rules.roles[rid].components]
            if comp not in allowed:
                errors.append(_row_error(asg, i, Msg('{comp!r} is not a results component of role {rid!r}', comp=comp, rid=rid), "component",
                                         expected=Msg('one of {values}', values=", ".join(allowed)) if allowed
                                         else Msg('none (the role has no components)'),
                                         found=repr(comp), hint=_near(comp, allowed)))
    # attested achievement within the profile's cap
    objs = ds.table("objectives")
    if rules.achievement_cap is not None:
        cap = rules.achievement_cap
        for i in _above(objs["attested_percent"], cap):
            att = objs["attested_percent"][i]
            errors.append(_row_error(objs, i, Msg("attested achievement above the profile's cap"), "attested_percent",
                                         expected=Msg('0–{cap}%', cap=_fmt_frac(rules.achievement_cap)), found=f"{att}%",
                                         hint=Msg('the profile caps the grado di raggiungimento (organisational.achievement.cap_percent)')))
    # presence within the year's working days (on a six-day week: the widest schedule)
    if profile is not None and len(staff):
        _check_presence(rules, staff, profile, errors)
    # absences
    ab = ds.table("absences")
    for i in _rows_not_in(ab["type"], rules.absence_types):
        t = _value(ab["type"], i)
        errors.append(_row_error(ab, i, Msg('unknown absence type'), "type",
                                 expected=Msg('one of {values}', values=", ".join(rules.absence_types)) if rules.absence_types
                                 else Msg('no absence types (the profile defines none)'),
                                 found=repr(t), hint=_near(t, list(rules.absence_types))))
    # resources
    res = ds.table("resources")
    names = list(as_objects(res["resource"]))
    needed = rules.resources
    for i, r in enumerate(names):
        if r not in needed and r in known_any:
            notes.append(Msg("resource {resource!r} is not used in {year}: no rule of the profile that uses it is in force",
                             resource=r, year=rules.year))
        elif r not in needed:
            errors.append(_row_error(res, i, Msg('unknown resource'), "resource",
                                     expected=Msg('one of {values}', values=", ".join(sorted(needed))) if needed else Msg('none'),
                                     found=repr(r), hint=_near(r, sorted(needed))))
    if len(staff) and (role_idx >= 0).all():
        present = np.bincount(role_idx, minlength=len(role_ids)) > 0
        paid_roles = {r.payout[0] for r in rules.roles.values() if r.payout and r.scorable
                      and present[role_ids.index(r.id)]}
        wanted = {rules.funds[f].resource for f in paid_roles}
        wanted |= {m.resource for m in rules.maggiorazioni.values()
                   if any(present[role_ids.index(x)] for x in m.roles)}
        for r in sorted(wanted - set(names)):
            errors.append(DatasetError(Msg('missing resource {r!r}', r=r), file=res.file, field="resource",
                                       expected=Msg("a row '{r}' with its amount in euro", r=r), found=Msg('no such row'),
                                       hint=Msg('add the row to the resources table')))
    if errors:
        raise DatasetErrors(errors[:50])
    return notes


def _check_presence(rules: Resolved, staff, profile: Profile, errors: list[SmvpError]) -> None:
    """presence_days at most the working days of the evaluated year: Monday to Saturday
    less the national holidays, the patron's day and the closures of the profile's calendar
    (engine.deadlines). More days cannot have been worked; they would raise a presence
    coefficient (e.g. Cuneo's minimum(1, presence_days × part_time / 250)) and the pay."""
    from . import deadlines

    try:
        cal = deadlines.calendar_from_profile(profile)
    except SmvpErrors:
        cal = deadlines.WorkingCalendar(seat="Italia")  # no seat: national holidays only
    limit = cal.working_days(rules.year)
    days = np.asarray(staff["presence_days"])
    for i in np.flatnonzero(days > limit * CP)[:20]:
        errors.append(_row_error(
            staff, i, Msg('more presence days than the {limit} working days of {year}', limit=limit, year=rules.year),
            "presence_days", expected=Msg('at most {limit} days', limit=limit),
            found=_days_text(int(days[i])),
            hint=Msg('{year} has {limit} days from Monday to Saturday less holidays and closures ({seat} calendar); '
                     'count the days actually worked', year=rules.year, limit=limit, seat=cal.seat)))


def _days_text(hundredths: int) -> str:
    return str(hundredths // CP) if hundredths % CP == 0 else str(decimal_from_units(hundredths, 2))


def _check_behaviours(rules: Resolved, staff, beh, role_ids: list[str], role_idx: np.ndarray,
                      errors: list[SmvpError]) -> None:
    """Each score is for a factor of the person's role, within the factor's scale; every
    scorable person has a score for every factor of the role. Whole-column work only."""
    person = index_of(beh["person_id"], staff["person_id"])
    factor_keys = [f"{r}.{f.id}" for r in role_ids for f in rules.roles[r].factors]
    fmax = np.array([int(f.max * CP) if f.max is not None else -1 for r in role_ids for f in rules.roles[r].factors],
                    dtype=np.int64)
    factor_names = sorted({f.id for r in role_ids for f in rules.roles[r].factors})
    # (role, factor) → factor key; first column: unknown factor, last row: unknown person
    lookup = np.full((len(role_ids) + 1, len(factor_names) + 1), -1, dtype=np.int64)
    for g, key in enumerate(factor_keys):
        r, f = key.split(".", 1)
        lookup[role_ids.index(r), factor_names.index(f) + 1] = g
    factors = beh["factor"]
    if isinstance(factors, Categorical):  # columns by category code, so the codes index the table as they are
        lookup = lookup[:, np.concatenate([[0], index_of(factors.categories, factor_names) + 1]).astype(np.intp)]
        fcode = factors.codes
    else:
        fcode = index_of(factors, factor_names)
    width = lookup.shape[1]
    # each person's first cell: role × width + 1 (person -1 → the unknown-person row); a row's
    # cell is its person's first cell + its factor code (-1: unknown, the column 0)
    role_cell = np.append(role_idx, len(role_ids)) * width + 1
    key_of_cell = lookup.ravel().astype(np.int64)  # factor key of each cell, -1: not a factor of the role
    valid = key_of_cell >= 0
    # scale: no maximum (-1) and not a factor of the role never exceed
    never = np.iinfo(np.int64).max
    limit = np.where(valid, np.append(np.where(fmax >= 0, fmax, never), never)[key_of_cell], never)
    # one comparison per row finds the blocks with a problem: score ≥ gate holds for every row
    # outside its role's factors (gate: the int64 minimum) and every score above its scale (gate:
    # the maximum + 1); such blocks (and rows at the int64 maximum) are then looked at exactly
    gate = np.where(valid, np.where(limit < never, limit + 1, never), np.iinfo(np.int64).min)
    nf = len(factor_keys)
    plan = _bit_plan(len(person), nf, key_of_cell)
    # every scorable person's factors as a bit set summed in the same pass (see _missing_factors)
    total = np.zeros(len(staff), dtype=np.int64) if plan is not None and plan[2] else None
    add = plan[0] + (np.int64(1) << plan[1]) if plan is not None and total is not None else None
    score = beh["score"]
    bad_rows: list[np.ndarray] = []
    over_rows: list[np.ndarray] = []
    n_bad = n_over = 0
    # by blocks of rows: the (role, factor) cell of each row and what is looked up from it stay in
    # small buffers reused block after block, instead of several fresh columns as long as the table
    m = len(person)
    block = min(_BLOCK, max(m, 1))
    cbuf, lbuf, vbuf, obuf = (np.empty(block, dtype=np.int64), np.empty(block, dtype=np.int64),
                              np.empty(block, dtype=bool), np.empty(block, dtype=bool))
    # np.take(..., mode="wrap"): every index here is in range by construction (-1 reads the last
    # slot, as Python's indexing does); in the default mode ("raise") numpy copies ``out`` in and
    # back for each call, a third of the work of a take
    for start in range(0, m, block):
        stop = min(start + block, m)
        k = stop - start
        cell = _cells(role_cell, person, fcode, start, stop, cbuf[:k])
        if np.greater_equal(score[start:stop], np.take(gate, cell, out=lbuf[:k], mode="wrap"), out=obuf[:k]).any():
            ok = np.take(valid, cell, out=vbuf[:k], mode="wrap")
            if not ok.all():
                if n_bad < 20:
                    bad_rows.append(np.flatnonzero(~ok)[:20 - n_bad] + start)
                n_bad += k - int(np.count_nonzero(ok))
                total = None  # a row outside the role's factors: the missing factors are not listed
            hi = np.greater(score[start:stop], np.take(limit, cell, out=lbuf[:k], mode="wrap"), out=obuf[:k])
            if n_over < 20 and hi.any():
                over_rows.append(np.flatnonzero(hi)[:20 - n_over] + start)
                n_over += len(over_rows[-1])
        if total is not None and add is not None:
            np.add.at(total, person[start:stop], np.take(add, cell, out=lbuf[:k], mode="wrap"))
    bad = np.concatenate(bad_rows)[:20] if bad_rows else np.zeros(0, dtype=np.int64)
    for i in bad:
        rid = role_ids[role_idx[max(int(person[i]), 0)]]
        allowed = [f.id for f in rules.roles[rid].factors]
        found = _value(beh["factor"], i)
        errors.append(_row_error(beh, i, Msg('factor {found!r} is not a behaviour factor of role {rid!r}', found=found, rid=rid),
                                 "factor", expected=Msg('one of {values}', values=", ".join(allowed)) if allowed
                                 else Msg("no factors (the role's scales are not defined)"),
                                 found=repr(found), hint=_near(found, allowed)))
    over = np.concatenate(over_rows)[:20] if over_rows else np.zeros(0, dtype=np.int64)
    for i in over:
        g = int(key_of_cell[_cells(role_cell, person, fcode, int(i), int(i) + 1)[0]])
        errors.append(_row_error(beh, i, Msg("score above the factor's scale"), "score",
                                 expected=Msg('0–{max} for {factor}', max=_points(fmax[g]), factor=factor_keys[g]),
                                 found=_points(beh['score'][i])))
    # every scorable person has one score per factor of the role
    if not nf or n_bad:
        return
    starts = np.cumsum([0] + [len(rules.roles[r].factors) for r in role_ids])
    need = np.zeros((len(role_ids), nf), dtype=bool)
    for k, r in enumerate(role_ids):
        if rules.roles[r].scorable:
            need[k, starts[k]:starts[k + 1]] = True
    missing = _missing_factors(person, lambda: _cells(role_cell, person, fcode), key_of_cell, len(staff), nf,
                               need, role_idx, total)
    for i, j in missing:
        if len(errors) >= 50:
            break
        errors.append(DatasetError(Msg('no behaviour score for factor {factor_keys_j_split_1_1!r}', factor_keys_j_split_1_1=factor_keys[j].split('.', 1)[1]),
                                   file=beh.file, field="score",
                                   expected=Msg('one row for person {value_staff_person_id_i}', value_staff_person_id_i=_value(staff['person_id'], i)),
                                   found=Msg('none'), hint=Msg('add the missing row to the behaviours table')))


_BLOCK = 1 << 16  # rows of the behaviours table per block


def _cells(role_cell: np.ndarray, person: np.ndarray, fcode: np.ndarray, start: int = 0,
           stop: int | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """(role, factor) cell of rows ``start:stop`` of the behaviours table (int64: fast gathers):
    the person's first cell (``role_cell``: role × width + 1) plus the factor code."""
    cell = np.take(role_cell, person[start:stop], out=out, mode="wrap")
    cell += fcode[start:stop]
    return cell


def _bit_plan(rows: int, nf: int, key_of_cell: np.ndarray) -> tuple[np.ndarray, int, bool] | None:
    """For :func:`_missing_factors`: the bit of each cell, the shift of the row count, and whether
    bits and row counts can be summed in one int64 pass; None when the factors do not fit a bit set."""
    if nf > 52 or rows * (1 << nf) >= 1 << 62:
        return None
    bit_of_cell = np.where(key_of_cell >= 0, np.left_shift(np.int64(1), np.maximum(key_of_cell, 0)), 0)
    shift = (rows << max(nf - 1, 0)).bit_length()  # every person's sum of bits stays below 2**shift
    return bit_of_cell, shift, shift + (rows + 1).bit_length() <= 62


def _missing_factors(person: np.ndarray, cells, key_of_cell: np.ndarray, n: int, nf: int,
                     need: np.ndarray, role_idx: np.ndarray, total: np.ndarray | None = None) -> Iterator[tuple[int, int]]:
    """(person, factor key) pairs needed but without a score, person by person; every row's
    cell (``cells()``: the whole column) holds a factor key of the person's role (``key_of_cell[cell]`` ≥ 0).

    With at most 52 factor keys each person's factors are a bit set: the sum of
    ``2**key`` per person (int64, exact under the guard) equals the set
    when the person's factors are distinct, which holds when its popcount equals
    the person's number of rows; otherwise the set is OR-ed exactly. ``total``: that
    sum already made in one pass (bits plus, above the plan's shift, one per row).
    """
    plan = _bit_plan(len(person), nf, key_of_cell)
    if plan is None:
        fidx = key_of_cell[cells()]
        counts = np.bincount(person * nf + fidx, minlength=n * nf).reshape(n, nf)
        return ((int(i), int(j)) for i, j in zip(*np.nonzero(need[role_idx] & (counts == 0))))
    bit_of_cell, shift, one_pass = plan
    need_bits = (need.astype(np.int64) << np.arange(nf, dtype=np.int64)).sum(axis=1)
    cell = None
    if one_pass:
        # one pass: each row adds its bit and, above ``shift``, one to the person's row count
        if total is None:
            cell = cells()
            total = np.zeros(n, dtype=np.int64)
            np.add.at(total, person, (bit_of_cell + (np.int64(1) << shift))[cell])
        # the common case in one comparison: every person has exactly the factors the role needs,
        # each once (the sum is the role's bits plus, above ``shift``, their number)
        if np.array_equal(total, np.take(need_bits + (_popcount(need_bits, nf) << shift), role_idx)):
            return iter(())
        have, rows = total & ((1 << shift) - 1), total >> shift
    else:
        cell = cells()
        have = np.zeros(n, dtype=np.int64)
        np.add.at(have, person, bit_of_cell[cell])  # int64: the bound above keeps every sum exact
        rows = np.bincount(person, minlength=n)
    if not np.array_equal(_popcount(have, nf), rows):  # a repeated (person, factor): OR instead of sum
        cell = cells() if cell is None else cell
        have = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(have, person, bit_of_cell[cell])
    lack = need_bits[role_idx] & ~have
    return ((int(i), j) for i in np.flatnonzero(lack) for j in range(nf) if (int(lack[i]) >> j) & 1)


def _popcount(x: np.ndarray, nbits: int) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.int64)
    out = np.zeros(len(x), dtype=np.int64)
    for j in range(nbits):
        out += (x >> j) & 1
    return out


def _rows_not_in(col, allowed) -> list[int]:
    """Rows of a text column whose value (None when blank) is not in ``allowed``."""
    if isinstance(col, Categorical):
        bad = np.array([c not in allowed for c in col.categories] + [None not in allowed], dtype=bool)
        return np.flatnonzero(bad[col.codes]).tolist()
    return [i for i, v in enumerate(col) if v not in allowed]


def _above(col, cap: Fraction) -> list[int]:
    """Rows of a decimal column (None: blank) whose value is above ``cap``: compared as integers
    when the column holds its numerators (:class:`~engine.columns.Decimals`), else value by value."""
    nums = getattr(col, "numerators", None)
    if isinstance(col, Decimals) and nums is not None and len(nums) == len(col):
        one = 10 ** col.digits
        bound = max(abs(int(nums.max())), abs(int(nums.min()))) if len(nums) else 0
        if bound * cap.denominator < 1 << 62 and abs(cap.numerator) * one < 1 << 62:
            hit = nums * cap.denominator > cap.numerator * one  # value > cap, exactly
            if col.blank is not None:
                hit &= ~col.blank
            return np.flatnonzero(hit).tolist()
    return [i for i, att in enumerate(col) if att is not None and att > cap]


def _all_resources(profile: Profile) -> set[str]:
    """Resource ids named anywhere in the profile, in any year."""
    out = set()
    for key in ("funds", "maggiorazioni"):
        for entry in (profile.data.get(key) or {}).values():
            for variant in (entry.get("variants") or [entry]) if isinstance(entry, dict) else []:
                if isinstance(variant, dict) and variant.get("resource"):
                    out.add(variant["resource"])
    return out


def _value(col, i):
    """The text value of row ``i`` of an object or categorical column."""
    return col[int(i)]


def _near(value, choices) -> str | None:
    import difflib

    if value is None:
        return None
    m = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return Msg("did you mean {near!r}?", near=m[0]) if m else None


def _points(centipoints) -> Number:
    """Centipoints as plain points text: 2000 → "20", 1650 → "16.5" (never "2E+1"); a message's
    field, shown by smvp in the user's locale ("16,5" in Italian)."""
    return Number(format(decimal_from_units(int(centipoints), 2).normalize(), "f"))


def _fmt_frac(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else str(x.numerator / x.denominator)
