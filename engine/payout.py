"""Stage 4: theoretical amounts, premiums, maggiorazioni, fund totals and economies (to the cent)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .columns import as_objects, index_of
from .errors import DatasetError, DatasetErrors, SmvpError, SmvpErrors
from .exact import Q, allocate_largest_remainder, decimal_from_units, round_fraction, where
from .profile import Resolved

from . import formula
from .stages import Individual, Payout
from .checks import _row_error

CP = 100
FRACTION_SCALE = 1_000_000


def _person_names(staff, ind: Individual, effective_days: np.ndarray) -> dict[str, Any]:
    return {
        "total": Q(ind.total, CP), "results": Q(ind.results, CP), "behaviour": Q(ind.behaviour, CP),
        "presence_days": Q.scaled(effective_days, 100),
        "part_time": Q.scaled(staff["part_time"], FRACTION_SCALE),
        "time_coefficient": Q.scaled(staff["time_coefficient"], FRACTION_SCALE),
    }


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
    errors: list[SmvpError] = []
    mode = rules.money_rounding

    # effective presence: presence + neutral absence days
    days = staff["presence_days"].astype(np.int64).copy()
    ab = ds.table("absences")
    if len(ab):
        neutral = np.array([rules.absence_types[t].neutral for t in as_objects(ab["type"])], dtype=bool)
        who = index_of(ab["person_id"], staff["person_id"])
        np.add.at(days, who[neutral & (who >= 0)], ab["days"][neutral & (who >= 0)])
    names = _person_names(staff, ind, days)

    fund = np.full(n, None, dtype=object)
    factor = Q(np.zeros(n, dtype=np.int64), 1)
    coefficient = Q(np.zeros(n, dtype=np.int64), 1)
    coef_name = np.full(n, None, dtype=object)
    theoretical = np.zeros(n, dtype=np.int64)
    premium = np.zeros(n, dtype=np.int64)

    # theoretical amounts from the data, categories as fallback
    th_given = staff["theoretical_premium"]
    th_missing = staff.missing.get("theoretical_premium", np.zeros(n, dtype=bool))
    cats = ds.table("categories")
    cat_amount = dict(zip(as_objects(cats["category"]), (int(x) for x in cats["theoretical_premium"])))
    staff_cat = staff["category"]

    res = ds.table("resources")
    resources = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"])))

    for k, rid in enumerate(ind.role_ids):
        role = rules.roles[rid]
        sel = (ind.role_index == k) & ind.scored
        if not role.payout or not sel.any():
            continue
        fid, cid, coid = role.payout
        fund[sel] = fid
        rows = np.flatnonzero(sel)
        sub = {k2: v[rows] for k2, v in names.items()}
        curve = rules.curves[cid]
        f = Q(np.zeros(len(rows), dtype=np.int64), 1)
        var = sub[curve.variable]
        try:
            for seg in curve.segments:
                val = formula.evaluate(seg.value, {curve.variable: var}, len(rows))
                f = where(seg.interval.mask(var), val, f)
            c = formula.evaluate(rules.coefficients[coid].formula, sub, len(rows))
        except formula.FormulaError as e:
            raise SmvpErrors([SmvpError(str(e), field=f"roles.{rid}.payout")]) from None
        factor = _assign(factor, rows, f, n)
        coefficient = _assign(coefficient, rows, c, n)
        coef_name[rows] = coid

    # theoretical per fund
    for fid, fnd in rules.funds.items():
        members = np.flatnonzero(fund == fid)
        if not members.size:
            continue
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
                    errors.append(_row_error(staff, i, "no theoretical premium: blank, and no category amount", "theoretical_premium",
                                             expected="an amount in euro, or a category listed in the categories table",
                                             found=f"category {staff_cat[i]!r}" if staff_cat[i] else "blank"))
        else:  # pool_split
            pool = resources.get(fnd.resource, 0)
            shares: list[Fraction] = []
            order: list[int] = []
            for rid, pct, split in fnd.shares:
                k = ind.role_ids.index(rid)
                people = [i for i in members if ind.role_index[i] == k]
                if not people:
                    continue
                if split == "pool_share":
                    ws = [Fraction(staff["pool_share"][i]) for i in people]
                else:
                    ws = [Fraction(1)] * len(people)
                wsum = sum(ws, Fraction(0))
                for i, w in zip(people, ws):
                    shares.append(Fraction(pool) * pct / 100 * (w / wsum if wsum else 0))
                    order.append(i)
            for i, cents in zip(order, allocate_largest_remainder(shares)):
                theoretical[i] = cents
            unshared = set(members) - set(order)
            for i in sorted(unshared):
                errors.append(_row_error(staff, i, f"role {ind.role_ids[ind.role_index[i]]!r} has no share of pool {fid!r}",
                                         "role", hint="add the role to the fund's theoretical.shares in the profile"))
    if errors:
        raise DatasetErrors(errors[:50])

    paid_rows = np.flatnonzero(fund != None)  # noqa: E711
    if paid_rows.size:
        prem = (Q(theoretical[paid_rows], 1) * factor[paid_rows] * coefficient[paid_rows]).to_units(1, mode)
        premium[paid_rows] = prem

    # maggiorazioni
    magg = np.zeros(n, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    info = []
    for mid, m in rules.maggiorazioni.items():
        ks = [ind.role_ids.index(r) for r in m.roles]
        pop = np.flatnonzero(np.isin(ind.role_index, ks) & ind.scored)
        mnames = {k2: v[pop] for k2, v in names.items()}
        mnames.update({"premium": Q(premium[pop], 100), "theoretical": Q(theoretical[pop], 100),
                       "payout_factor": factor[pop], "coefficient": coefficient[pop]})
        try:
            eligible = np.asarray(formula.evaluate(m.eligible, mnames, len(pop)), dtype=bool)
            el = pop[eligible]
            quota = round_fraction(m.quota_percent * len(el) / 100, 1, m.quota_rounding)
            key = {k2: v[eligible] for k2, v in mnames.items()}
            rank_q = key[m.rank_by]
            # exact descending order: common denominator, stable by staff order
            order = np.argsort(-(rank_q.num * (int(np.lcm.reduce(np.atleast_1d(rank_q.den))) // rank_q.den))
                               if len(el) else np.zeros(0), kind="stable")
            sorted_vals = (rank_q.num * (int(np.lcm.reduce(np.atleast_1d(rank_q.den))) // rank_q.den))[order] if len(el) else np.zeros(0)
            if quota >= len(el):
                take = len(el)
            elif quota == 0:
                take = 0
            else:
                cut = sorted_vals[quota - 1]
                if sorted_vals[quota] == cut:  # a tie straddles the cut
                    if m.tie_policy == "exclude_tied":
                        take = int(np.count_nonzero(sorted_vals > cut))
                    else:
                        take = int(np.count_nonzero(sorted_vals >= cut))
                else:
                    take = quota
            rank[el[order]] = np.arange(1, len(el) + 1)
            winners = el[order[:take]]
            amount = 0
            if len(el):
                amount = int(formula.evaluate(m.amount, key, None).to_units(100, mode).ravel()[0]) if take else 0
        except (formula.FormulaError, ZeroDivisionError) as e:
            raise SmvpErrors([SmvpError(f"maggiorazione {mid}: {e}", field=f"maggiorazioni.{mid}")]) from None
        available = resources.get(m.resource, 0)
        reduced = False
        if take and amount * take > available:
            if m.shortfall == "pro_rata":
                amount, reduced = available // take, True
            else:
                raise DatasetErrors([DatasetError(
                    f"maggiorazione {mid}: {take} × {decimal_from_units(amount, 2)} € exceeds the resources",
                    file=res.file, field="amount", expected=f"at least {decimal_from_units(amount * take, 2)}",
                    found=str(decimal_from_units(available, 2)))])
        magg[winners] += amount
        info.append({"id": mid, "label": m.label, "population": int(len(pop)), "eligible": int(len(el)),
                     "quota": int(quota), "recipients": int(take), "amount_each": decimal_from_units(amount, 2),
                     "reduced_pro_rata": reduced, "tie_policy": m.tie_policy,
                     "resource": m.resource, "resources": available,
                     "distributed": int(amount * take)})

    # fund totals
    totals = []
    for fid, fnd in rules.funds.items():
        members = fund == fid
        distributed = int(premium[members].sum())
        if not members.any() and fnd.resource not in resources:
            continue
        avail = resources.get(fnd.resource, 0)
        if distributed > avail:
            errors.append(DatasetError(
                f"the premiums of fund {fid!r} ({decimal_from_units(distributed, 2)} €) exceed its resources "
                f"({decimal_from_units(avail, 2)} €); the profile's source gives no rule to reduce them",
                file=res.file, field="amount", expected=f"at least {decimal_from_units(distributed, 2)} for {fnd.resource!r}",
                found=str(decimal_from_units(avail, 2)), hint="check the resources or the theoretical premiums"))
        totals.append({"fund": fid, "label": fnd.label, "resource": fnd.resource, "resources": avail,
                       "distributed": distributed, "economies": avail - distributed, "people": int(members.sum())})
    for m in info:
        totals.append({"fund": m["id"], "label": m["label"], "resource": m["resource"], "resources": m["resources"],
                       "distributed": m["distributed"], "economies": m["resources"] - m["distributed"],
                       "people": m["recipients"]})
    used = {t["resource"] for t in totals}
    for r, avail in resources.items():
        if r not in used:  # a resource of a rule not in force this year: all of it is economies
            totals.append({"fund": r, "label": f"{r} (nessuna regola in vigore nel {rules.year})", "resource": r,
                           "resources": avail, "distributed": 0, "economies": avail, "people": 0})
    if errors:
        raise DatasetErrors(errors[:50])
    return Payout(fund, factor, coefficient, coef_name, theoretical, premium, magg, rank, tuple(totals), tuple(info))


def _assign(target: Q, rows: np.ndarray, value: Q, n: int) -> Q:
    """``target`` with ``rows`` replaced by ``value`` (exact, common denominator per row)."""
    tn = np.broadcast_to(target.num, (n,)).copy()
    td = np.broadcast_to(target.den, (n,)).copy()
    vn = np.broadcast_to(value.num, (len(rows),))
    vd = np.broadcast_to(value.den, (len(rows),))
    if tn.dtype != vn.dtype:
        tn, vn = tn.astype(object), vn.astype(object)
    if td.dtype != vd.dtype:
        td, vd = td.astype(object), vd.astype(object)
    tn[rows] = vn
    td[rows] = vd
    return Q(tn, td)
