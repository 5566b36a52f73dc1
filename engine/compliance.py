"""The compliance check: a chamber profile against the national layer it extends.

``smvp lint`` (and ``smvp validate --national``) call :func:`check`. Each
:class:`Finding` is an ``error`` (the profile's rule departs from the national
rule) or a ``warning`` (the profile cannot be checked, or departs only under
one reading of the law), for a span of years, with both sources: the national
norm (document, section, file:line) and the chamber's rule (document, section,
file:line) when there is one. A finding in a Chamber's own document is
reported, never "fixed".

The norms are the ``norms`` of ``chambers/national/italia.yaml`` (each with its
``check``, ``value``, source and validity years); a chamber profile inherits
them and may override one with its own rule and source. Checks:

* ``plan_term``, ``relazione_term``: the cycle steps that ``implements`` the
  norm are due by its date (``MM-DD``; the Relazione and its OIV validation by
  30 June of the following year, d.lgs. 150/2009 art. 10 c. 1 lett. b); a
  missing step is a warning;
* ``payment_gate``: a step implements the OIV validation (art. 14 c. 6), and
  any other condition smvp applies to payment (the conciliation terms) is a
  declared reading;
* ``presence_exceptions``: the absence types counted as presence are exactly
  those of d.l. 112/2008 art. 71 c. 5, when a coefficient uses presence days;
* ``prevailing_weight``: for dirigenti (roles ``segretario_generale`` and
  ``dirigente``, or an id containing ``dirigent``) the results of the unit they
  lead (components at a unit level, not ente nor individuale) weigh more than
  half of the total (art. 9 c. 1 lett. a);
* ``maggiorazione``: where premiums are paid to non-dirigenti, a maggiorazione
  is in force and its amount is at least ``value`` % of the mean premium
  (CCNL Funzioni Locali art. 69, then art. 81);
* ``differentiation``: no payout curve that does not depend on the evaluation
  (art. 18 c. 2, art. 19);
* ``unverified``: a norm in force whose text could not be read (the CCNL
  Funzioni Locali 2022-2024's differentiation of the individual premium): one
  warning per chamber and year, nothing checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import Msg, Number, Text
from .profile import Profile
from .profile_years import resolve_node

__all__ = ["Finding", "check", "years_checked"]

ERROR, WARNING = "error", "warning"
DIRIGENTI = ("segretario_generale", "dirigente")
_MEAN = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*\*\s*mean\(\s*premium\s*\)\s*$")


@dataclass
class Finding:
    """One departure from a national norm, for the years ``first``–``last``."""

    chamber: str
    norm: str
    severity: str  # error | warning
    message: str
    national: dict  # document, section, title, at
    chamber_source: dict | None = None
    path: str | None = None  # the chamber rule concerned (dotted path)
    first: int = 0
    last: int | None = 0
    reading: str = ""  # the national norm's reading (how it was verified)

    def key(self) -> tuple:
        return (self.norm, self.severity, self.message, self.path)

    @property
    def years(self) -> str:
        if self.last is None:
            return f"{self.first}–"
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"

    def as_dict(self) -> dict[str, Any]:
        return {"chamber": self.chamber, "norm": self.norm, "severity": self.severity, "message": self.message,
                "years": {"from": self.first, "until": self.last}, "national": self.national,
                "chamber_source": self.chamber_source, "path": self.path, "reading": self.reading}


def years_checked(profile: Profile, until: int = 2026) -> list[int]:
    """Every year of the profile's validity, up to ``until`` for a profile still in force."""
    last = profile.valid_until if profile.valid_until is not None else max(until, profile.valid_from)
    return list(range(profile.valid_from, last + 1))


def check(profile: Profile, years: list[int] | None = None) -> list[Finding]:
    """The findings of ``profile`` against the norms it inherits, merged over consecutive years.

    A profile that extends no layer gets one warning (nothing to check against).
    """
    if profile.data.get("layer"):
        return []
    if profile.base is None:
        return [Finding(profile.chamber_id, "extends", WARNING,
                        Msg("the profile does not extend the national layer: nothing to check it against "
                            "(add 'extends: national/italia')"), {"document": None, "section": None},
                        first=profile.valid_from, last=profile.valid_until)]
    years = years or years_checked(profile)
    per_year: list[tuple[int, list[Finding]]] = [(y, _check_year(profile, y)) for y in years]
    merged: list[Finding] = []
    open_: dict[tuple, Finding] = {}
    for y, found in per_year:
        keys = set()
        for f in found:
            k = f.key()
            keys.add(k)
            if k in open_ and open_[k].last == y - 1:
                open_[k].last = y
            else:
                f.first = f.last = y
                open_[k] = f
                merged.append(f)
    still = profile.valid_until is None
    for f in merged:
        if still and f.last == years[-1]:
            f.last = None  # still in force
    return sorted(merged, key=lambda f: (f.severity != ERROR, f.first, f.norm))


# ----------------------------------------------------------------------------- one year

class _Year:
    def __init__(self, profile: Profile, year: int):
        self.p = profile
        self.year = year
        data = {k: v for k, v in profile.data.items() if k != "chamber"}
        self.d = resolve_node(data, year, (), {}) or {}
        self.docs = profile.data.get("documents") or {}

    def national(self, nid: str, norm: dict) -> dict:
        src = norm.get("source") or {}
        base = self.p.base
        line = base.loaded.position(("norms", nid), key=True)[0] if base is not None else None
        where = f"{base.path}:{line}" if base is not None and line else None
        if ("norms", nid) in self.p.overrides:  # the chamber's own version of the norm
            line = self.p.loaded.position(("norms", nid), key=True)[0]
            where = f"{self.p.path}:{line}" if line else str(self.p.path)
        return {"document": src.get("document"), "section": src.get("section"),
                "title": (self.docs.get(src.get("document")) or {}).get("title"), "at": where}

    def own(self, *path) -> dict | None:
        """The chamber rule at ``path``: its source and where it is written."""
        node: Any = self.d
        for k in path:
            node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return None
        src = node.get("source") or {}
        if self.p.layer_of(path):
            return {"document": src.get("document"), "section": src.get("section"), "at": None,
                    "layer": self.p.layer_of(path)}
        line = self.p.loaded.position(tuple(path), key=True)[0]
        return {"document": src.get("document"), "section": src.get("section"),
                "title": (self.docs.get(src.get("document")) or {}).get("title"),
                "at": f"{self.p.path}:{line}" if line else str(self.p.path)}


def _check_year(profile: Profile, year: int) -> list[Finding]:
    y = _Year(profile, year)
    out: list[Finding] = []
    norms = y.d.get("norms") or {}
    steps = (y.d.get("cycle") or {}).get("steps") or {}
    for sid, st in steps.items():
        for nid in (st.get("implements") or []) if isinstance(st, dict) else []:
            if nid not in (profile.data.get("norms") or {}):
                out.append(Finding(profile.chamber_id, nid, WARNING,
                                   Msg("cycle step {sid!r} implements {nid!r}, which is not a norm of the national layer",
                                       sid=sid, nid=nid),
                                   {"document": None, "section": None}, y.own("cycle", "steps", sid),
                                   f"cycle.steps.{sid}.implements"))
    for nid, norm in norms.items():
        fn = _CHECKS.get(norm.get("check"))
        if fn is None:
            continue
        for severity, message, own, path in fn(y, nid, norm, steps):
            out.append(Finding(profile.chamber_id, nid, severity, message, y.national(nid, norm), own, path,
                               reading=str(norm.get("reading") or "") if not isinstance(norm.get("reading"), dict)
                               else Text(norm["reading"])))
    return out


def _term(step: dict) -> tuple[int, str] | None:
    """(year_offset, "MM-DD") of a step with a fixed date; "MM-end" as the month's last day 31."""
    date = step.get("date")
    if not isinstance(date, str):
        return None
    mm, dd = date.split("-")
    return int(step.get("year_offset") or 0), f"{mm}-{'31' if dd == 'end' else dd}"


def _implementing(steps: dict, nid: str) -> list[tuple[str, dict]]:
    return [(sid, st) for sid, st in steps.items() if isinstance(st, dict) and nid in (st.get("implements") or [])]


def _check_term(y: _Year, nid: str, norm: dict, steps: dict, offset: int, what: str):
    value = str(norm.get("value"))
    national = Msg("{value} of the following year", value=value) if offset else value
    found = _implementing(steps, nid)
    if not found:
        yield (WARNING, Msg("no step of the cycle is marked as the {what} (implements: [{nid}]): its term "
                            "cannot be checked against {term}", what=what, nid=nid, term=national), None, "cycle.steps")
        return
    for sid, st in found:
        term = _term(st)
        label = st.get("label", sid)
        where = f"cycle.steps.{sid}"
        if term is None:
            yield (WARNING if st.get("from_event") else ERROR,
                   Msg("«{label}» has no term; the national term is {term}", label=label, term=national),
                   y.own("cycle", "steps", sid), where)
        elif term > (offset, value):
            yield (ERROR, Msg("«{label}» is due {due} (year +{offset}), later than the national {term}", label=label,
                              due=term[1], offset=term[0], term=national), y.own("cycle", "steps", sid), where)


def _plan_term(y, nid, norm, steps):
    yield from _check_term(y, nid, norm, steps, 0, Msg("Piano/PIAO"))


def _relazione_term(y, nid, norm, steps):
    yield from _check_term(y, nid, norm, steps, 1, Msg("Relazione sulla performance or its OIV validation"))


def _payment_gate(y: _Year, nid, norm, steps):
    if not _implementing(steps, nid):
        yield (WARNING, Msg("no step of the cycle is marked as the OIV validation that opens payment "
                            "(implements: [{nid}])", nid=nid), None, "cycle.steps")
    conc = y.d.get("conciliation") or {}
    if conc.get("steps") and conc.get("defined") is not False:
        readings = y.d.get("readings") or {}
        gate = readings.get("cancello_pagamento")
        if gate is None:
            yield (ERROR, Msg("smvp keeps payouts provisional until the conciliation terms expire, a condition no "
                              "source requires, and the profile declares no reading of it (readings.cancello_pagamento)"),
                   None, "readings")
        else:
            yield (WARNING, Msg("payment also waits for the conciliation terms: not required by the law, a declared "
                                "reading (national layer)") if y.p.layer_of(("readings", "cancello_pagamento"))
                   else Msg("payment also waits for the conciliation terms: not required by the law, a declared "
                            "reading of the profile"),
                   y.own("readings", "cancello_pagamento"), "readings.cancello_pagamento")


def _uses_presence(y: _Year) -> list[str]:
    return [cid for cid, c in (y.d.get("coefficients") or {}).items()
            if isinstance(c, dict) and "presence_days" in str(c.get("formula", ""))]


def _presence_exceptions(y: _Year, nid, norm, steps):
    users = _uses_presence(y)
    if not users:
        return
    listed = set(norm.get("value") or [])
    types = y.d.get("absence_types") or {}
    for tid, t in types.items():
        if not isinstance(t, dict):
            continue
        neutral = bool(t.get("neutral"))
        if tid in listed and not neutral:
            yield (ERROR, Msg("absence type «{label}» is not counted as presence, but art. 71 c. 5 "
                              "lists it among the absences that count", label=t.get("label", tid)),
                   y.own("absence_types", tid), f"absence_types.{tid}")
        elif tid not in listed and neutral:
            yield (ERROR, Msg("absence type «{label}» counts as presence in distributing the fund "
                              "(coefficient {coefficients}), but art. 71 c. 5 does not list it",
                              label=t.get("label", tid), coefficients=", ".join(users)),
                   y.own("absence_types", tid), f"absence_types.{tid}")
    for tid in sorted(listed - set(types)):
        yield (ERROR, Msg("the dataset cannot carry the absence type {tid!r} that art. 71 c. 5 counts as presence",
                          tid=tid),
               None, "absence_types")


def _is_dirigente(rid: str) -> bool:
    return rid in DIRIGENTI or "dirigent" in rid


def _frac(x) -> Fraction | None:
    try:
        return Fraction(str(x)) if x is not None else None
    except ValueError:
        return None


def _prevailing_weight(y: _Year, nid, norm, steps):
    threshold = Fraction(str(norm.get("value", 50)))
    for rid, r in (y.d.get("roles") or {}).items():
        if not isinstance(r, dict) or not _is_dirigente(rid):
            continue
        comps = (r.get("results") or {}).get("components") or {}
        total = _frac(r.get("total_max"))
        given = {cid: _frac(c.get("max")) for cid, c in comps.items() if isinstance(c, dict)}
        where = f"roles.{rid}.results"
        own = y.own("roles", rid, "results")
        if total is None or not comps or any(v is None for v in given.values()):
            yield (WARNING, Msg("{role}: the weights are not defined by the document, so the prevailing "
                                "weight of the results of the unit led cannot be checked", role=r.get("label", rid)),
                   own, where)
            continue
        maxima: dict[str, Fraction] = {cid: v for cid, v in given.items() if v is not None}
        unit = sum((maxima[c] for c, v in comps.items()
                    if (v.get("objectives") or {}).get("level") not in ("ente", "individuale")), Fraction(0))
        share = unit * 100 / total
        others = [maxima[c] for c, v in comps.items()
                  if (v.get("objectives") or {}).get("level") in ("ente", "individuale")]
        behaviour = total - sum(maxima.values(), Fraction(0))
        if share > threshold:
            continue
        largest = unit > max(others + [behaviour], default=Fraction(0))
        facts = {"role": r.get("label", rid), "unit": _n(unit), "total": _n(total), "share": _n(share),
                 "threshold": _n(threshold)}
        if largest:
            yield (WARNING, Msg("{role}: the results of the unit led weigh {unit} of {total} points ({share}%), not "
                                "more than {threshold}%; they are the largest single part, so they prevail only if "
                                "'peso prevalente' means the largest weight", **facts), own, where)
        else:
            yield (ERROR, Msg("{role}: the results of the unit led weigh {unit} of {total} points ({share}%), not "
                              "more than {threshold}% nor the largest part", **facts), own, where)


def _n(x: Fraction) -> Number:
    """A number in a finding (a message's field, shown by smvp in the user's locale)."""
    return Number(str(x.numerator) if x.denominator == 1 else f"{float(x):.2f}")


def _pays_non_dirigenti(y: _Year) -> list[str]:
    return [rid for rid, r in (y.d.get("roles") or {}).items()
            if isinstance(r, dict) and r.get("payout") and not _is_dirigente(rid)]


def _maggiorazione(y: _Year, nid, norm, steps):
    minimum = Fraction(str(norm.get("value", 30)))
    mags = {mid: m for mid, m in (y.d.get("maggiorazioni") or {}).items() if isinstance(m, dict)}
    payers = _pays_non_dirigenti(y)
    if not mags:
        if payers:
            yield (ERROR, Msg("no maggiorazione del premio individuale, while the profile pays individual "
                              "premiums ({roles}) and the contract requires one", roles=", ".join(payers)),
                   None, "maggiorazioni")
        else:
            yield (WARNING, Msg("the document defines no maggiorazione del premio individuale (nor the "
                                "premiums it would add to): the contract requires one; it may be in the integrative "
                                "contract, which is not a source of the profile"), None, "maggiorazioni")
        return
    for mid, m in mags.items():
        match = _MEAN.match(str(m.get("amount", "")))
        where = f"maggiorazioni.{mid}.amount"
        if match is None:
            yield (WARNING, Msg("maggiorazione {mid}: the amount {amount!r} is not of the form "
                                "'k * mean(premium)': it cannot be checked against the minimum", mid=mid,
                                amount=m.get("amount")), y.own("maggiorazioni", mid), where)
            continue
        k = Fraction(match.group(1)) * 100
        if k < minimum:
            yield (ERROR, Msg("maggiorazione {mid}: {k} of the mean premium, below the minimum {minimum}", mid=mid,
                              k=Msg("{number}%", number=_n(k)), minimum=Msg("{number}%", number=_n(minimum))),
                   y.own("maggiorazioni", mid), where)


def _differentiation(y: _Year, nid, norm, steps):
    for cid, c in (y.d.get("curves") or {}).items():
        if not isinstance(c, dict):
            continue
        var = str(c.get("variable", ""))
        values = [str(i.get("value", "")) for i in (c.get("intervals") or []) if isinstance(i, dict)]
        if len(set(values)) <= 1 and not any(var in v for v in values):
            yield (ERROR, Msg("curve {cid!r} pays the same share whatever the evaluation: a premium by automatism",
                              cid=cid),
                   y.own("curves", cid), f"curves.{cid}")


def _unverified(y: _Year, nid, norm, steps):
    """A norm in force whose text could not be read: nothing is checked, and the chamber is told so."""
    yield (WARNING, Msg("{norm}: the text in force could not be verified, so smvp checks nothing "
                        "against it (see the norm's reading)", norm=norm.get("label", nid)), None, None)


_CHECKS = {
    "plan_term": _plan_term, "relazione_term": _relazione_term, "payment_gate": _payment_gate,
    "presence_exceptions": _presence_exceptions, "prevailing_weight": _prevailing_weight,
    "maggiorazione": _maggiorazione, "differentiation": _differentiation, "unverified": _unverified,
}
