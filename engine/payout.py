"""Stage 4: theoretical amounts, premiums, maggiorazioni, fund totals and economies (to the cent)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from . import formula
from .checks import _row_error
from .columns import Categorical, as_objects, index_of, take_by_value
from .errors import DatasetError, DatasetErrors, Msg, SmvpError, SmvpErrors
from .exact import Q, allocate_largest_remainder, decimal_from_units, piecewise
from .maggiorazione import maggiorazioni
from .payout_names import ALL, Columns, person_names, take_rows
from .profile_model import Resolved
from .stages import Individual, Payout
from .stages import assemble_parts as _assemble

_BLOCK = 1 << 16  # rows per block where each row's value is computed on its own
_LIMIT = 1 << 62  # int64 work is kept below this


def _effective_days(rules: Resolved, ds, staff) -> np.ndarray:
    """presence + neutral absence days, per staff row (hundredths of a day)."""
    days = staff["presence_days"].astype(np.int64)
    ab = ds.table("absences")
    if len(ab):
        types = ab["type"]
        if isinstance(types, Categorical):
            neutral_cat = np.array([rules.absence_types[t].neutral for t in types.categories] + [False], dtype=bool)
            if (types.codes < 0).any():
                raise KeyError(None)  # a blank type: the same KeyError as row by row
            neutral = neutral_cat[types.codes]
        else:
            neutral = np.array([rules.absence_types[t].neutral for t in as_objects(types)], dtype=bool)
        who = index_of(ab["person_id"], staff["person_id"])
        add = neutral & (who >= 0)
        if add.any():
            np.add.at(days, who[add], ab["days"][add])
    return days


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
    mode = rules.money_rounding

    # effective presence: presence + neutral absence days
    days = _effective_days(rules, ds, staff)
    names = Columns(person_names(staff, ind, days))

    fund_ids = list(rules.funds)
    small = np.int8 if len(fund_ids) + len(ind.role_ids) < 127 else np.int64  # codes: less memory to touch
    coef_ids: list[str] = []
    # each role's fund and coefficient code (last slot: unknown role); the rows' codes are then one
    # gather over the role codes, not one masked write per role over the whole staff
    fund_of_role = np.full(len(ind.role_ids) + 1, -1, dtype=small)
    coef_of_role = np.full(len(ind.role_ids) + 1, -1, dtype=small)
    premium = np.zeros(n, dtype=np.int64)

    res = ds.table("resources")
    resources = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"])))

    # payout factor (curve) and coefficient per role, over that role's rows; a role holding most
    # of the staff is evaluated over every row (no gathering), its own rows then taken as they are
    parts: list[tuple[np.ndarray, np.ndarray | None, Q, Q, bool]] = []
    for k, rid in enumerate(ind.role_ids):
        role = rules.roles[rid]
        if not role.payout:
            continue
        sel = ind.role_index == k
        if not ind.all_scored:
            sel &= ind.scored
        count = int(np.count_nonzero(sel))
        if not count:
            continue
        fid, cid, coid = role.payout
        if fid not in fund_ids:
            fund_ids.append(fid)
        fund_of_role[k] = fund_ids.index(fid)
        curve = rules.curves[cid]
        coef_formula = rules.coefficients[coid].formula
        whole = count * 2 > n
        rows = None  # the role's rows: only where the role is not evaluated over every row
        try:
            if whole:
                try:
                    f, c = _factor_coefficient(curve, coef_formula, names, ALL, n)
                except formula.FormulaError:
                    whole = False  # it fails on some row: the role's own rows decide
            if not whole:
                rows = np.flatnonzero(sel)
                f, c = _factor_coefficient(curve, coef_formula, names, rows, len(rows))
        except formula.FormulaError as e:
            raise SmvpErrors([SmvpError(e.args[0] if isinstance(e.args[0], Msg) else str(e),
                                        field=f"roles.{rid}.payout")]) from None
        parts.append((sel, rows, f, c, whole))
        if coid not in coef_ids:
            coef_ids.append(coid)
        coef_of_role[k] = coef_ids.index(coid)
    # scored rows of a role with a payout: its codes; every other row -1 (blank role code -1: last slot)
    fund_code, coef_code = np.take(fund_of_role, ind.role_index), np.take(coef_of_role, ind.role_index)
    if not ind.all_scored:
        fund_code[~ind.scored] = -1
        coef_code[~ind.scored] = -1

    theoretical = _theoretical(rules, ds, ind, fund_code, resources)

    # premium = theoretical × factor × coefficient, exact, rounded once to the cent
    for sel, rows, f, c, whole in parts:
        if whole and _premium_in_int64(premium, sel, theoretical, f, c, mode):
            continue
        if whole:  # theoretical 0 outside the role: other rows cannot widen the bounds
            # by blocks of rows (each row's premium is its own): small temporaries, reused memory
            for start in range(0, n, _BLOCK):
                part = slice(start, min(start + _BLOCK, n))
                here = sel[part]
                p = (Q(np.where(here, theoretical[part], 0), 1) * f[part] * c[part]).to_units(1, mode)
                if p.dtype == object:
                    premium[part][here] = p[here]
                else:
                    np.copyto(premium[part], p, where=here)
        else:
            premium[rows] = (Q(theoretical[rows], 1) * f * c).to_units(1, mode)
    # factor and coefficient as whole columns only when read (Payout.factor / .coefficient, or a formula)
    factor_parts = tuple((sel, rows, f, whole) for sel, rows, f, _, whole in parts)
    coef_parts = tuple((sel, rows, c, whole) for sel, rows, _, c, whole in parts)
    built: dict[str, Q] = {}

    def assembled(name: str, of: tuple) -> Q:
        if name not in built:
            built[name] = _assemble(n, of)
        return built[name]

    names.add("premium", lambda r: Q(take_rows(premium, r), 100))
    names.add("theoretical", lambda r: Q(take_rows(theoretical, r), 100))
    names.add("payout_factor", lambda r: assembled("factor", factor_parts)[r])
    names.add("coefficient", lambda r: assembled("coefficient", coef_parts)[r])

    # maggiorazioni
    magg, rank_parts, info = maggiorazioni(rules, staff, ind, names, resources, res.file, mode)

    totals = _totals(rules, fund_code, premium, resources, info, res.file)
    out = Payout(fund_code, tuple(fund_ids), factor_parts, coef_parts, coef_code, tuple(coef_ids), theoretical, premium,
                 magg, rank_parts, tuple(totals), tuple(info))
    out.__dict__.update(built)  # columns a formula already built: Payout.factor / .coefficient as they are
    return out


def _theoretical(rules: Resolved, ds, ind: Individual, fund_code: np.ndarray, resources: dict[str, int]) -> np.ndarray:
    """Each person's theoretical amount in cents (0 outside a fund): per fund, from the staff's
    ``theoretical_premium``, else the category's amount (``per_person``), or the fund's pool split
    among the roles' shares by largest remainder (``pool_split``).

    Raises:
        DatasetErrors: an amount blank without a category amount; a role without a share of its
            fund's pool (at most 50 listed, each by file and row).
    """
    staff = ds.table("staff")
    n = len(staff)
    errors: list[SmvpError] = []
    theoretical = np.zeros(n, dtype=np.int64)
    # theoretical amounts from the data, categories as fallback
    th_given = staff["theoretical_premium"]
    th_missing = staff.missing.get("theoretical_premium", np.zeros(n, dtype=bool))
    cats = ds.table("categories")
    cat_amount = dict(zip(as_objects(cats["category"]), (int(x) for x in cats["theoretical_premium"])))
    staff_cat = staff["category"]

    # theoretical per fund
    for j, (fid, fnd) in enumerate(rules.funds.items()):
        in_fund = fund_code == j
        n_members = int(np.count_nonzero(in_fund))
        if not n_members:
            continue
        if fnd.method == "per_person" and n_members * 2 > n:  # most of the staff: whole columns
            cat_keys = list(cat_amount)
            amounts = np.array([cat_amount[k] for k in cat_keys] + [0], dtype=np.int64)
            need_mask = in_fund & th_missing  # the category's amount: only these rows
            if isinstance(staff_cat, Categorical):  # amounts per category code: one gather, whole columns
                cpos = index_of(staff_cat.categories, cat_keys)  # -1 takes the last amount, 0
                codes = staff_cat.codes
                np.copyto(theoretical, np.where(th_missing, np.take(np.append(amounts[cpos], 0), codes), th_given),
                          where=in_fund)  # blank code -1: 0
                bad = need_mask & np.append(cpos < 0, True)[codes] if (cpos < 0).any() \
                    else need_mask & (codes < 0)
                need = np.flatnonzero(bad) if bad.any() else np.zeros(0, dtype=np.int64)
                lacking = np.ones(len(need), dtype=bool)
            else:
                np.copyto(theoretical, th_given, where=in_fund)
                need = np.flatnonzero(need_mask)
                ci = index_of(staff_cat[need], cat_keys)  # -1 takes the last amount, 0
                from_cat, lacking = amounts[ci], ci < 0
                theoretical[need] = from_cat
            for i in need[lacking][:20]:
                errors.append(_row_error(staff, i, Msg('no theoretical premium: blank, and no category amount'),
                                         "theoretical_premium",
                                         expected=Msg('an amount in euro, or a category listed in the categories table'),
                                         found=Msg('category {category!r}', category=staff_cat[i]) if staff_cat[i]
                                         else Msg('blank')))
            continue
        members = np.flatnonzero(in_fund)
        if fnd.method == "per_person":
            given = members[~th_missing[members]]
            theoretical[given] = th_given[given]
            need = members[th_missing[members]]
            if need.size:
                cat_keys = list(cat_amount)
                ci = index_of(staff["category"][need], cat_keys)
                amounts = np.array([cat_amount[k] for k in cat_keys] + [0], dtype=np.int64)
                theoretical[need] = amounts[np.where(ci < 0, len(cat_keys), ci)]
                for i in need[ci < 0][:20]:
                    errors.append(_row_error(staff, i, Msg('no theoretical premium: blank, and no category amount'),
                                             "theoretical_premium",
                                             expected=Msg('an amount in euro, or a category listed in the categories table'),
                                             found=Msg('category {category!r}', category=staff_cat[i]) if staff_cat[i]
                                             else Msg('blank')))
        else:  # pool_split
            pool = resources.get(fnd.resource, 0)
            shares: list[Fraction] = []
            sharers: list[int] = []  # staff rows, in the order of their shares
            for rid, pct, split in fnd.shares:
                k = ind.role_ids.index(rid)
                people = members[ind.role_index[members] == k].tolist()
                if not people:
                    continue
                if split == "pool_share":
                    ws = [Fraction(staff["pool_share"][i]) for i in people]
                else:
                    ws = [Fraction(1)] * len(people)
                wsum = sum(ws, Fraction(0))
                for i, w in zip(people, ws):
                    shares.append(Fraction(pool) * pct / 100 * (w / wsum if wsum else 0))
                    sharers.append(i)
            for i, cents in zip(sharers, allocate_largest_remainder(shares)):
                theoretical[i] = cents
            unshared = np.setdiff1d(members, np.array(sharers, dtype=np.int64))
            for i in unshared:
                errors.append(_row_error(staff, i, Msg('role {rid!r} has no share of pool {fid!r}',
                                                       rid=ind.role_ids[ind.role_index[i]], fid=fid),
                                         "role", hint=Msg("add the role to the fund's theoretical.shares in the profile")))
    if errors:
        raise DatasetErrors(errors[:50])
    return theoretical


def _totals(rules: Resolved, fund_code: np.ndarray, premium: np.ndarray, resources: dict[str, int],
            info: list[dict], resources_file: str) -> list[dict]:
    """Each fund's and maggiorazione's resources, distributed amount, economies and people (cents);
    a resource no rule in force uses is all economies. Conserved: distributed + economies =
    resources, to the cent.

    Raises:
        DatasetErrors: a fund's premiums above its resources (the profile's source gives no rule
            to reduce them).
    """
    errors: list[SmvpError] = []
    totals = []
    for j, (fid, fnd) in enumerate(rules.funds.items()):
        members = fund_code == j
        people = int(np.count_nonzero(members))
        distributed = int(np.sum(premium, where=members))  # int64, exact: no copy of the members' premiums
        if not people and fnd.resource not in resources:
            continue
        avail = resources.get(fnd.resource, 0)
        if distributed > avail:
            errors.append(DatasetError(
                Msg("the premiums of fund {fid!r} ({v1} €) exceed its resources ({v2} €); the profile's source gives no rule to reduce them", fid=fid, v1=decimal_from_units(distributed, 2), v2=decimal_from_units(avail, 2)),
                file=resources_file, field="amount", expected=Msg('at least {v0} for {resource!r}', v0=decimal_from_units(distributed, 2), resource=fnd.resource),
                found=str(decimal_from_units(avail, 2)), hint=Msg('check the resources or the theoretical premiums')))
        totals.append({"fund": fid, "label": fnd.label, "resource": fnd.resource, "resources": avail,
                       "distributed": distributed, "economies": avail - distributed, "people": people})
    for given in info:
        totals.append({"fund": given["id"], "label": given["label"], "resource": given["resource"],
                       "resources": given["resources"], "distributed": given["distributed"],
                       "economies": given["resources"] - given["distributed"], "people": given["recipients"]})
    used = {t["resource"] for t in totals}
    for r, avail in resources.items():
        if r not in used:  # a resource of a rule not in force this year: all of it is economies
            totals.append({"fund": r, "label": f"{r} (nessuna regola in vigore nel {rules.year})", "resource": r,
                           "resources": avail, "distributed": 0, "economies": avail, "people": 0})
    if errors:
        raise DatasetErrors(errors[:50])
    return totals


def _premium_in_int64(premium: np.ndarray, sel: np.ndarray, theoretical: np.ndarray, f: Q, c: Q,
                      mode: str) -> bool:
    """premium = theoretical × f × c rounded to the cent by ``mode``, written at the rows ``sel``,
    when it can be done in int64 at once: f and c over one denominator each, every factor ≥ 0 and
    the bound of ``2·theoretical·f·c + den`` below 2**62 (checked on the whole columns first, the
    theoretical amounts on the rows ``sel``: other rows' products are computed and dropped). Then
    ``round(t·fn·cn / (fd·cd))`` is one product and one integer division per row, by blocks (each
    row's value is its own): the value :meth:`Q.to_units` gives. False (nothing written) otherwise."""
    fn, fd, cn, cd = f.num, f.den, c.num, c.den
    if (fd.ndim or cd.ndim or fn.dtype == object or cn.dtype == object or fd.dtype == object
            or cd.dtype == object or fn.shape != theoretical.shape or cn.shape != theoretical.shape
            or mode not in ("half_up", "down") or not theoretical.size):
        return False
    den = int(fd) * int(cd)
    # the role's rows bound the products written (other rows' may wrap around: never written)
    tb, fb, cb = int(np.max(theoretical, where=sel, initial=0)), int(fn.max()), int(cn.max())
    if den <= 0 or den * 2 >= _LIMIT or tb * fb * cb * 2 + den >= _LIMIT:
        return False
    if int(np.min(theoretical, where=sel, initial=0)) < 0 or int(fn.min()) < 0 or int(cn.min()) < 0:
        return False
    n = len(theoretical)
    buf = np.empty(min(_BLOCK, n), dtype=np.int64)
    for start in range(0, n, _BLOCK):
        part = slice(start, min(start + _BLOCK, n))
        x = np.multiply(theoretical[part], fn[part], out=buf[:part.stop - start])
        x *= cn[part]
        if mode == "half_up":  # floor((2x + d) / 2d): .5 goes up (x ≥ 0)
            x *= 2
            x += den
            x //= 2 * den
        else:
            x //= den
        np.copyto(premium[part], x, where=sel[part])
    return True


def _factor_coefficient(curve, coef_formula: str, names: Columns, rows, size: int) -> tuple[Q, Q]:
    """Payout factor (the curve: a later interval wins where two would hold) and coefficient."""
    var = names.column(curve.variable, rows)
    f = _curve_by_value(curve, var)
    if f is None:
        f = _curve(curve, var)
    c = formula.evaluate(coef_formula, names.take([coef_formula], rows), size)
    return f.broadcast(size), c


def _curve(curve, var: Q) -> Q:
    """The curve's value at each value of ``var`` (a later interval wins where two would hold)."""
    values, masks = [], []
    for seg in curve.segments:
        values.append(formula.evaluate(seg.value, {curve.variable: var}))  # a constant stays scalar
        masks.append(seg.interval.mask(var))
    return piecewise(masks, values, Q(0))


#: functions whose value depends on the whole population, not on the row alone
_POPULATION_FUNCTIONS = frozenset({"mean", "sum", "count"})
_BY_VALUE_MIN_ROWS = 1 << 12


def _curve_by_value(curve, var: Q) -> Q | None:
    """:func:`_curve` evaluated once per value of the variable's range and gathered by row; None
    when that does not apply (the caller evaluates it over the rows).

    The curve's intervals and value formulas depend only on the row's own value of the variable
    (no ``mean``/``sum``/``count``: checked), so evaluating them over ``lo … hi`` (the smallest and
    largest value present, integers over one denominator, e.g. a total in centipoints: at most
    10,001 values) and picking each row's result gives the same exact values as evaluating them over
    every row — in one gather instead of a comparison per interval bound and a selection per
    interval. Taken for a column of at least 4,096 rows whose range is at most a quarter of its
    length. A formula that fails on the range (a value no row has, e.g. a division by zero there)
    sends the caller to the rows, which decide as before.
    """
    num, den = var.num, var.den
    if num.ndim != 1 or den.ndim != 0 or num.dtype != np.int64 or den.dtype == object \
            or len(num) < _BY_VALUE_MIN_ROWS:
        return None
    if any(formula.names_in(seg.value) & _POPULATION_FUNCTIONS for seg in curve.segments):
        return None
    lo, hi = int(num.min()), int(num.max())
    span = hi - lo + 1
    if span * 4 > len(num):
        return None
    domain = Q._make(np.arange(lo, hi + 1, dtype=np.int64), den, max(abs(lo), abs(hi)), var._db)
    try:
        small = _curve(curve, domain).broadcast(span)
    except (formula.FormulaError, ZeroDivisionError, ArithmeticError, ValueError, TypeError):
        return None
    f_num = take_by_value(small.num if small.num.ndim else np.broadcast_to(small.num, (span,)), num, lo)
    f_den = take_by_value(small.den, num, lo) if small.den.ndim else small.den
    return Q._make(f_num, f_den, small._nbound, small._dbound)  # bounds over the range hold for its part
