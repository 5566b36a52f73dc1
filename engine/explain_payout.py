"""The payout part of a person's trace (:mod:`smvp_engine.explain`): payout factor (the curve's
interval), coefficient and presence, theoretical amount, premium and its rounding,
maggiorazione (eligibility, ranking, amount) and what is paid — euro to the cent, as the
engine computed them.
"""


from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from . import formula
from .columns import as_objects
from .exact import round_fraction
from .explain_nodes import (
    POINTS,
    TraceContext,
    _dec,
    _eur,
    _in,
    _names_in,
    _node,
    _note,
    _pts,
    _substitute,
    _with_result,
)


class PayoutTrace:
    """The payout nodes of one person ``i`` of the evaluation ``c`` reads."""

    def __init__(self, c: TraceContext):
        self.c = c

    def payout_factor(self, i: int, cid: str) -> dict:
        curve = self.c.rules.curves[cid]
        names = self.c.names()
        x = names[curve.variable].fractions()[i]
        k = next((k for k, s in enumerate(curve.segments) if s.interval.contains(x)), None)
        f = self.c.pay.factor.fractions()[i]
        seg = curve.segments[k] if k is not None else None
        shown = _dec(x, 2)
        calc = None
        if seg:
            sub = _substitute(seg.value, {curve.variable: shown})
            calc = f"{curve.variable} {shown} ∈ {seg.interval.text} → {sub}" + (f" = {_dec(f)}" if sub != _dec(f) else "") \
                + f" = {_dec(f * 100)}%"
        return _node("payout_factor", _dec(f * 100), "percent", label=curve.label,
                     rule=self.c.where.rule("curve_interval", f"the value of the payout curve in the interval of {curve.variable}",
                                          "curves", cid, "intervals", *(() if k is None else (k,)),
                                          curve=cid, interval=seg.interval.text if seg else None,
                                          formula=seg.value if seg else None),
                     source=self.c.where.source(curve.source, "curves", cid),
                     inputs=[_in(curve.variable, shown, "points")], calc=calc)

    def coefficient(self, i: int, coid: str, value: Fraction | None = None) -> dict:
        co = self.c.rules.coefficients[coid]
        names = self.c.names()
        if co.parts:  # a product of coefficients: one node per factor
            kids = []
            for part in co.parts:
                f = self.c.rules.coefficients[part].formula
                one = {n: names[n][i:i + 1] for n in names if n in _names_in(f)}
                kids.append(self.coefficient(i, part, formula.evaluate(f, one, 1).fractions()[0]))
            c = self.c.pay.coefficient.fractions()[i]
            shown = " × ".join(str(k["value"]) for k in kids)
            return _node("coefficient", _dec(c), "fraction", label=co.label,
                         rule=self.c.where.rule("coefficient_product", f"product of {', '.join(co.parts)}",
                                              formula=co.formula,
                                              parts=[k["label"] or p for k, p in zip(kids, co.parts)]),
                         source=self.c.where.source(co.source, "coefficients", co.parts[0]),
                         inputs=[_in(k["label"] or p, k["value"], "fraction") for k, p in zip(kids, co.parts)],
                         calc=f"{shown} = {_dec(c)}", children=kids)
        used = [n for n in names if n in _names_in(co.formula)]
        vals = {n: _dec(names[n].fractions()[i], 2 if n in POINTS else None) for n in used}
        c = self.c.pay.coefficient.fractions()[i] if value is None else value
        kids = []
        if "presence_days" in used:
            kids.append(self.presence(i))
        return _node("coefficient", _dec(c), "fraction", label=co.label,
                     rule=self.c.where.rule("coefficient_formula", f"formula {co.formula}", "coefficients", coid, "formula",
                                          formula=co.formula),
                     source=self.c.where.source(co.source, "coefficients", coid),
                     inputs=[_in(n, vals[n], "days" if n == "presence_days" else "fraction") for n in used],
                     calc=_with_result(co.formula, vals, _dec(c)), children=kids)

    def presence(self, i: int) -> dict:
        days, per = self.c.effective_days()
        raw = int(np.asarray(self.c.staff["presence_days"], dtype=np.int64)[i])
        parts = [_pts(raw)]
        inputs = [_in("presence_days", _pts(raw), "days")]
        src = None
        for typ, d, neutral in per.get(i, []):
            at = self.c.rules.absence_types[typ]
            inputs.append(_in(f"absence {at.label}", _pts(d), "days"))
            if neutral:
                parts.append(f"{_pts(d)} ({at.label})")
                src = src or self.c.where.source(at.source, "absence_types", typ)
        if src is None:  # no neutral absence for this person: cite the rule that would have counted one
            first = next((t for t, a in self.c.rules.absence_types.items() if a.neutral), None)
            if first is not None:
                src = self.c.where.source(self.c.rules.absence_types[first].source, "absence_types", first)
        calc = " + ".join(parts) + f" = {_pts(int(days[i]))}" if len(parts) > 1 else None
        not_counted = [self.c.rules.absence_types[t].label for t, _, n in per.get(i, []) if not n]
        return _node("presence_days", _pts(int(days[i])), "days",
                     rule=self.c.where.rule("effective_presence", "presence days + days of absences that count as presence "
                                          "(neutral absence types)", "absence_types",
                                          neutral=[t for t, a in self.c.rules.absence_types.items() if a.neutral]),
                     source=src, inputs=inputs, calc=calc,
                     note=_note("not_counted", "not counted as presence: " + ", ".join(not_counted), absences=not_counted)
                     if not_counted else None)

    def theoretical(self, i: int, rid: str, fid: str) -> dict:
        fund = self.c.rules.funds[fid]
        th = int(self.c.pay.theoretical[i])
        src = self.c.where.source(fund.source, "funds", fid)
        if fund.method == "per_person":
            missing = self.c.staff.missing.get("theoretical_premium")
            if missing is not None and bool(missing[i]):
                cat = as_objects(self.c.staff["category"])[i]
                return _node("theoretical", _eur(th), "euro", label=fund.label,
                             rule=self.c.where.rule("theoretical_category", f"the amount of category {cat} (categories table)",
                                                  "funds", fid, "theoretical", category=cat),
                             source=src, inputs=[_in("category", cat)])
            return _node("theoretical", _eur(th), "euro", label=fund.label,
                         rule=self.c.where.rule("theoretical_person", "the person's theoretical premium (staff table)",
                                              "funds", fid, "theoretical"),
                         source=src)
        res = self.c.ds.table("resources")
        pool = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"]))).get(fund.resource, 0)
        share = next((s for s in fund.shares if s[0] == rid), None)
        pct, split = (share[1], share[2]) if share else (Fraction(0), "equal")
        k = self.c.ind.role_ids.index(rid)
        members = [j for j in range(len(self.c.ids)) if int(self.c.ind.role_index[j]) == k and self.c.pay.fund[j] == fid]
        if split == "pool_share":
            ws = {j: Fraction(self.c.staff["pool_share"][j]) for j in members}
        else:
            ws = {j: Fraction(1) for j in members}
        wsum = sum(ws.values(), Fraction(0))
        exact = Fraction(pool, 100) * pct / 100 * (ws[i] / wsum if wsum else 0)
        calc = f"{_eur(pool)} × {_dec(pct)}% × {_dec(ws[i])}/{_dec(wsum)} = {_dec(exact)}"
        note = None
        if exact != Fraction(th, 100):
            calc += f" → {_eur(th)}"
            note = _note("largest_remainder", "the pool is split to the cent by largest remainder, so that the shares add up")
        return _node("theoretical", _eur(th), "euro", label=fund.label,
                     rule=self.c.where.rule("theoretical_pool", f"share of the pool {fund.resource}: {_dec(pct)}% to role "
                                          f"{rid}, split {split}", "funds", fid, "theoretical", "shares", rid,
                                          percent=pct, split=split, people=len(members)),
                     source=src, inputs=[_in("pool", _eur(pool), "euro"), _in("percent", _dec(pct), "percent"),
                                         _in("people", len(members), "people")], calc=calc, note=note)

    def premium(self, i: int, fid: str) -> dict:
        th = int(self.c.pay.theoretical[i])
        f = self.c.pay.factor.fractions()[i]
        c = self.c.pay.coefficient.fractions()[i]
        exact = Fraction(th, 100) * f * c
        p = int(self.c.pay.premium[i])
        calc = f"{_eur(th)} × {_dec(f)} × {_dec(c)} = {_dec(exact)}"
        if exact != Fraction(p, 100):
            calc += f" → {_eur(p)}"
        fund = self.c.rules.funds[fid]
        money = self.c.where.source(self.c.rules.money_source, "money")
        return _node("premium", _eur(p), "euro", label=fund.label,
                     rule=self.c.where.rule("premium", f"theoretical × payout factor × coefficient, rounded {self.c.money_mode} "
                                          "to the cent", "money", "rounding", rounding=self.c.money_mode),
                     source=self.c.where.source(fund.source, "funds", fid),
                     inputs=[_in("theoretical", _eur(th), "euro"), _in("payout_factor", _dec(f), "fraction"),
                             _in("coefficient", _dec(c), "fraction")],
                     calc=calc, children=[_node("rounding", _eur(p), "euro",
                                                rule=self.c.where.rule("money_rounding", f"rounded {self.c.money_mode} to the cent",
                                                                     "money", "rounding", rounding=self.c.money_mode),
                                                source=money, inputs=[_in("exact", _dec(exact), "euro")],
                                                calc=f"{_dec(exact)} → {_eur(p)}")])

    def maggiorazione(self, i: int, mid: str, m) -> dict:
        ind, pay, w = self.c.ind, self.c.pay, self.c.where
        src = w.source(m.source, "maggiorazioni", mid)
        ks = [ind.role_ids.index(r) for r in m.roles if r in ind.role_ids]
        pop = np.flatnonzero(np.isin(ind.role_index, ks) & ind.scored)
        names = {k: v[pop] for k, v in self.c.names().items()}
        eligible = np.asarray(formula.evaluate(m.eligible, names, len(pop)), dtype=bool)
        pos = int(np.flatnonzero(pop == i)[0])
        el = pop[eligible]
        key = {k: v[eligible] for k, v in names.items()}
        rank_vals = key[m.rank_by].fractions() if len(el) else []
        breakers = [key[b].fractions() for b in m.tie_breaker] if len(el) else []
        # stable: staff order among equals; break_by: the declared quantities after rank_by, higher first
        order = sorted(range(len(el)), key=lambda j: (-rank_vals[j], *(-b[j] for b in breakers)))
        quota = round_fraction(m.quota_percent * len(el) / 100, 1, m.quota_rounding)
        info: dict = next((x for x in pay.maggiorazione_info if x.get("id") == mid), {})
        amount = int(pay.maggiorazione[i])
        shown_names = {n: _dec(names[n].fractions()[pos], 2 if n in POINTS else None)
                       for n in _names_in(m.eligible) if n in names}
        elig_node = _node("eligibility", bool(eligible[pos]), None,
                          rule=w.rule("maggiorazione_eligible", f"eligible when {m.eligible}", "maggiorazioni", mid, "eligible",
                                      formula=m.eligible),
                          source=src, inputs=[_in(n, v) for n, v in shown_names.items()],
                          calc=f"{_substitute(m.eligible, shown_names)} {'✓' if eligible[pos] else '✗'}")
        kids = [elig_node]
        value = _eur(amount)
        if not eligible[pos]:
            return _node("maggiorazione", value, "euro", label=m.label,
                         rule=w.rule("maggiorazione", "not eligible", "maggiorazioni", mid, outcome="not_eligible"),
                         source=src, children=kids)
        me = list(el).index(i)
        place = order.index(me) + 1
        ties = [self.c.ids[int(el[j])] for j in order if rank_vals[j] == rank_vals[me] and int(el[j]) != i]
        tied_places = [order.index(j) + 1 for j in range(len(el)) if rank_vals[j] == rank_vals[me]]
        lo, hi = min(tied_places), max(tied_places)
        straddles = bool(ties) and lo <= quota < hi
        recipients = int(info.get("recipients", 0))
        my_value = _dec(rank_vals[me], 2 if m.rank_by in POINTS else None)
        note = None
        if straddles:
            note = _note("tie_at_cut", f"tied with {', '.join(ties)} at places {lo}–{hi}, across the quota {quota}: "
                         f"all tied {'excluded' if m.tie_policy == 'exclude_tied' else 'included'} ({m.tie_policy})",
                         tied=ties, places=[lo, hi], quota=quota, tie_policy=m.tie_policy)
        elif ties:
            note = _note("tie", f"tied with {', '.join(ties)} at places {lo}–{hi}", tied=ties, places=[lo, hi])
        qexact = m.quota_percent * len(el) / 100
        kids.append(_node("ranking", place, "rank",
                          rule=w.rule("maggiorazione_rank", f"ranked by {m.rank_by}, best first; at most "
                                      f"{_dec(m.quota_percent)}% of the eligible (rounded {m.quota_rounding}); ties: {m.tie_policy}",
                                      "maggiorazioni", mid, "tie_policy", quota_percent=m.quota_percent,
                                      quota_rounding=m.quota_rounding, tie_policy=m.tie_policy, rank_by=m.rank_by),
                          source=src, inputs=[_in(m.rank_by, my_value), _in("eligible", len(el), "people"),
                                              _in("quota", quota, "people"), _in("recipients", recipients, "people")],
                          calc=f"{place}/{len(el)}; quota {_dec(m.quota_percent)}% × {len(el)} = {_dec(qexact)}"
                               + (f" → {quota}" if qexact != quota else ""),
                          note=note))
        each = info.get("amount_each")
        inputs = []
        for n in sorted(_names_in(m.amount) & set(key)):
            vals = key[n].fractions()
            tot = sum(vals, Fraction(0))
            inputs.append(_in(f"sum({n})", _dec(tot), "euro" if n in ("premium", "theoretical") else None))
            inputs.append(_in("count", len(el), "people"))
            inputs.append(_in(f"mean({n})", _dec(tot / len(el)) if len(el) else None,
                              "euro" if n in ("premium", "theoretical") else None))
        try:
            exact = formula.evaluate(m.amount, key, None).fractions()[0] if len(el) else Fraction(0)
        except formula.FormulaError:
            exact = None
        acalc = f"{m.amount.replace('*', '×')} = {_dec(exact)}" if exact is not None else m.amount
        if each is not None and (exact is None or Fraction(Decimal(str(each))) != exact):
            acalc += f" → {each}"
        anote = None
        if info.get("reduced_pro_rata"):
            anote = _note("shortfall", f"resources {_eur(int(info.get('resources', 0)))} are short for {recipients} "
                          f"recipients: each gets resources / {recipients}, rounded down to the cent",
                          resources=_eur(int(info.get("resources", 0))), recipients=recipients)
        kids.append(_node("amount", str(each) if each is not None else None, "euro",
                          rule=w.rule("maggiorazione_amount", f"amount {m.amount}, rounded {self.c.money_mode} to the cent;"
                                      f" if resources are short: {m.shortfall}", "maggiorazioni", mid, "amount",
                                      formula=m.amount, shortfall=m.shortfall, rounding=self.c.money_mode),
                          source=src, inputs=inputs, calc=acalc, note=anote))
        got = amount > 0 or bool(recipients and place <= recipients and not straddles)
        return _node("maggiorazione", value, "euro", label=m.label,
                     rule=w.rule("maggiorazione", "paid to the recipients" if got else "not among the recipients",
                                 "maggiorazioni", mid, outcome="recipient" if got else "not_recipient"),
                     source=src, children=kids)

    def paid(self, i: int) -> dict:
        p, m = int(self.c.pay.premium[i]), int(self.c.pay.maggiorazione[i])
        return _node("paid", _eur(p + m), "euro",
                     rule=self.c.where.rule("paid", "premium + maggiorazione"),
                     inputs=[_in("premium", _eur(p), "euro"), _in("maggiorazione", _eur(m), "euro")],
                     calc=f"{_eur(p)} + {_eur(m)} = {_eur(p + m)}")
