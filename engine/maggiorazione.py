"""Stage 4, the maggiorazioni (e.g. art. 81 CCNL Funzioni Locali 16.11.2022, Cuneo's SMVP
§3.3): the population and who of it is eligible, the quota, the cut in the ranking with the
declared tie policy, the amount each and the resource it is paid from (to the cent)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import formula
from .checks import _row_error
from .errors import DatasetError, DatasetErrors, Msg, SmvpError, SmvpErrors
from .exact import Q, decimal_from_units, round_fraction
from .payout_names import ALL, Columns
from .profile_model import Resolved
from .stages import Individual


def maggiorazioni(rules: Resolved, staff, ind: Individual, names: Columns, resources: dict[str, int],
                  resources_file: str, mode: str) -> tuple[np.ndarray, tuple, list[dict]]:
    """Each person's maggiorazione in cents (the sum over the maggiorazioni in force), the parts of
    the rank column (per maggiorazione: eligible rows, their rank values, the order or None) and
    each maggiorazione's figures (population, eligible, quota, recipients, amount each, resources).

    ``names``: the payout's quantities (``premium`` and ``theoretical`` included). The source of each rule is the profile's
    ``maggiorazioni`` entry (its ``source``).

    Raises:
        SmvpErrors: a formula (eligibility, amount) that fails.
        DatasetErrors: the amounts exceed the resource with no ``pro_rata`` shortfall rule; a tie
            at the cut broken by a blank ``tie_breaker``.
    """
    n = len(ind.role_index)
    magg = np.zeros(n, dtype=np.int64)
    magg_zero = True  # every maggiorazione so far 0
    rank_parts: list[tuple] = []
    info = []
    for mid, m in rules.maggiorazioni.items():
        in_roles = np.zeros(len(ind.role_ids) + 1, dtype=bool)  # last slot: unknown role
        in_roles[[ind.role_ids.index(r) for r in m.roles]] = True
        in_pop = ind.scored_in(in_roles)
        n_pop = int(np.count_nonzero(in_pop))
        pop = None  # the population's rows, when needed
        try:
            el = None
            if n_pop * 2 > n:  # most of the staff: the condition over every row, then the population's
                try:
                    everyone = formula.evaluate(m.eligible, names.take([m.eligible], ALL), n)
                    el = np.flatnonzero(np.asarray(everyone, dtype=bool) & in_pop)
                except formula.FormulaError:
                    el = None  # it fails on some row: the population's own rows decide
            if el is None:
                pop = np.flatnonzero(in_pop)
                eligible = np.asarray(formula.evaluate(m.eligible, names.take([m.eligible], pop), len(pop)), dtype=bool)
                el = np.compress(eligible, pop)
            quota = round_fraction(m.quota_percent * len(el) / 100, 1, m.quota_rounding)
            key = names.take([m.amount], el, extra=(m.rank_by,) + m.tie_breaker)
            # exact values over a common denominator (row order); the winners by counting around
            # the cut (no sort), the full order only for break_by (or later, for the rank column);
            # rows picked by np.compress (a boolean subscript of a random mask: six times slower)
            vals = _common_values(key[m.rank_by], len(el))
            order = None
            if quota >= len(el):
                take, winners = len(el), el
            elif quota == 0:
                take, winners = 0, el[:0]
            else:
                cut, n_above, n_at_least = _cut(vals, quota)
                if n_at_least > quota:  # a tie straddles the cut
                    if m.tie_policy == "exclude_tied":
                        take, winners = n_above, np.compress(vals > cut, el)
                    elif m.tie_policy == "include_tied":
                        take, winners = n_at_least, np.compress(vals >= cut, el)
                    else:  # break_by: the declared quantities, in order, higher first
                        _missing_breaker(staff, el[vals == cut], m, mid)  # the tied group needs values
                        order, take = _break_ties(vals, [_common(key[b], len(el)) for b in m.tie_breaker], quota)
                        chosen = np.zeros(len(el), dtype=bool)
                        chosen[order[:take]] = True
                        winners = el[chosen]  # the first ``take`` in the order, in staff order
                else:  # exactly the quota at or above the cut
                    take, winners = quota, np.compress(vals >= cut, el)
            rank_parts.append((el, vals, order))
            amount = 0
            if len(el):
                amount = int(formula.evaluate(m.amount, key, None).to_units(100, mode).ravel()[0]) if take else 0
        except (formula.FormulaError, ZeroDivisionError) as e:
            said = e.args[0] if isinstance(e, formula.FormulaError) and isinstance(e.args[0], Msg) else str(e)
            raise SmvpErrors([SmvpError(Msg('maggiorazione {mid}: {e}', mid=mid, e=said),
                                        field=f"maggiorazioni.{mid}")]) from None
        available = resources.get(m.resource, 0)
        reduced = False
        if take and amount * take > available:
            if m.shortfall == "pro_rata":
                amount, reduced = available // take, True
            else:
                raise DatasetErrors([DatasetError(
                    Msg('maggiorazione {mid}: {take} × {v2} € exceeds the resources', mid=mid, take=take, v2=decimal_from_units(amount, 2)),
                    file=resources_file, field="amount", expected=Msg('at least {v0}', v0=decimal_from_units(amount * take, 2)),
                    found=str(decimal_from_units(available, 2)))])
        if magg_zero:  # the first to give one: the amount written, nothing to add to
            magg[winners] = amount
            magg_zero = not (amount and len(winners))
        else:
            magg[winners] += amount
        info.append({"id": mid, "label": m.label, "population": n_pop, "eligible": int(len(el)),
                     "quota": int(quota), "recipients": int(take), "amount_each": decimal_from_units(amount, 2),
                     "reduced_pro_rata": reduced, "tie_policy": m.tie_policy,
                     "resource": m.resource, "resources": available,
                     "distributed": int(amount * take)})
    return magg, tuple(rank_parts), info


def _common(q: Q, size: int) -> np.ndarray:
    """Exact values of ``q`` as integers over a common denominator (row order)."""
    q = q.broadcast(size) if q.num.ndim == 0 else q
    return q.num if q.den.ndim == 0 else q.num * (int(np.lcm.reduce(q.den)) // q.den)


def _break_ties(vals: np.ndarray, breakers: list[np.ndarray], quota: int) -> tuple[np.ndarray, int]:
    """Order by ``vals`` then each breaker, all higher first (stable: staff order among equals),
    and how many are taken: the first ``quota``, less a group still tied on every key across the
    cut (the quota is never exceeded). Whole columns: one lexsort, one comparison per key."""
    keys = [vals, *breakers]
    order = np.lexsort([-np.asarray(k) for k in reversed(keys)])
    same = np.ones(len(order), dtype=bool)  # sorted positions equal to the last one inside the quota
    for k in keys:
        ks = np.asarray(k)[order]
        same &= ks == ks[quota - 1]
    if not same[quota]:  # the breakers separate the cut
        return order, quota
    return order, int(np.argmax(same))  # the tied group starts here: all of it left out


def _missing_breaker(staff, el: np.ndarray, m, mid: str) -> None:
    """A blank ``tie_breaker`` cell of a person tied at the cut, when the column breaks the tie: an error."""
    if "tie_breaker" not in m.tie_breaker:
        return
    blank = staff.missing.get("tie_breaker")
    if blank is None:
        return
    bad = el[blank[el]]
    if bad.size:
        raise DatasetErrors([_row_error(staff, int(i), Msg('maggiorazione {mid}: a tie at the cut is broken by the column '
                                                           'tie_breaker, which is blank', mid=mid), "tie_breaker",
                                        expected=Msg('a number (higher first)'), found=Msg('blank')) for i in bad[:20]])


def _common_values(q: Q, size: int) -> np.ndarray:
    """The exact values of ``q`` as integers over a common denominator (row order)."""
    return _common(q, size) if size else np.zeros(0, dtype=np.int64)


def _cut(vals: np.ndarray, k: int) -> tuple[Any, int, int]:
    """The ``k``-th largest of ``vals`` (1 ≤ k ≤ len), how many values are above it and how many
    at least it: a selection, not a sort. The counts come from the selection's two sides (the
    ``k`` values at or above the cut, the others at or below it): one pass over the values."""
    if vals.dtype == object:
        cut = sorted(vals.tolist(), reverse=True)[k - 1]
        return cut, int(np.count_nonzero(vals > cut)), int(np.count_nonzero(vals >= cut))
    split = len(vals) - k
    part = np.partition(vals, split)  # the values only: no index column
    cut = part[split]
    return cut, int(np.count_nonzero(part[split:] > cut)), k + int(np.count_nonzero(part[:split] == cut))
