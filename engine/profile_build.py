"""The rules in force in one year (:class:`~smvp_engine.profile_model.Resolved`), built from a
profile's document with the semantic checks of each block.

Checked here: intervals and bands that partition their domain (``[``/``]`` closed ends, ``(``/``)``
open ones; no gap, no overlap), maxima that add up to the role's ``total_max``, references to
defined roles, funds, curves, coefficients, judgements and levels (with "did you mean"),
formulas that use known names only (:mod:`smvp_engine.formula`, simpleeval's sandbox), and
every ``source`` naming a declared document. Every error is located in the profile as written
(through ``variants``): :class:`Diagnostics`.

Schema errors and the period checks (``from``/``until``, ``variants``) are made before, in
:mod:`smvp_engine.profile`; this module builds one year at a time.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from . import formula
from .errors import Msg, Number, ProfileError, ProfileErrors, text_of
from .intervals import Interval, partition_problems
from .profile_model import (
    INDIVIDUAL_LEVEL,
    MAGGIORAZIONE_NAMES,
    PERSON_NAMES,
    TIE_BREAKER_NAMES,
    AbsenceType,
    AchievementBand,
    AttestationRule,
    Band,
    Coefficient,
    Component,
    Curve,
    CurveSegment,
    EnteRule,
    EvaluatorRule,
    Factor,
    Fund,
    Judgement,
    Maggiorazione,
    ObjectiveLinks,
    ProjectValuation,
    Relevance,
    Resolved,
    Role,
    Source,
    ValuationFund,
)
from .profile_years import dicts, original_path, resolve_year
from .yamlload import Loaded


class Profile(Protocol):
    """What building reads of a loaded profile (:class:`smvp_engine.profile.Profile`)."""

    loaded: Loaded

    @property
    def data(self) -> dict: ...
    @property
    def chamber_id(self) -> str: ...
    @property
    def chamber_name(self) -> str: ...
    @property
    def timed_blocks(self) -> frozenset[str] | None: ...
    @property
    def block_mappings(self) -> dict[str, list[tuple[tuple, dict]]]: ...
    def error(self, message: Any, path: tuple = (), key: bool = False, **kw: Any) -> ProfileError: ...

_RANGE = re.compile(r"^\s*([0-9]+)\s*[-–—]\s*([0-9]+)\s*$")  # an integer range as printed: "26 – 40"

def _said(e: ValueError) -> Any:
    """The catalogue message (Msg) a ValueError carries (an interval's), else its text."""
    said = e.args[0] if e.args else None
    return said if isinstance(said, Msg) else str(e)


#: what a section the source leaves undefined (``conciliation: {defined: false, …}``) is called
#: in "not computed" lines (a catalogue id each; any other section is named by its path)
_SECTION_NAMES = {"conciliation": "Conciliation procedure", "cycle": "Performance cycle", "calendar": "Calendar"}


def _gap(kind: Msg, reading: object) -> Msg:
    """What a role's source does not define: ``kind: the profile's reading`` (the reading as the
    profile writes it, else "not defined by the source"); :func:`gap_kind` gives ``kind`` back."""
    return Msg("{kind}: {reading}", kind=kind, reading=text_of(reading) or Msg("not defined by the source"))


def gap_kind(gap: str) -> object:
    """What a gap of :func:`_gap` is about (its ``kind``), without the profile's reading."""
    params = getattr(gap, "params", None) or {}
    return params.get("kind", gap)


def _frac(x) -> Fraction | None:
    if x is None:
        return None
    return Fraction(x) if not isinstance(x, Decimal) else Fraction(x)


#: formula.check's problems by (formula text, names allowed), checked once in a process: the
#: profiles of a national roll-out share most formulas (bounded)
_FORMULA_PROBLEMS: dict[tuple[str, frozenset], tuple[str, ...]] = {}


def resolved_document(profile: Profile, year: int) -> dict:
    """The profile's document as in force in ``year`` (``from``/``until`` and ``variants``
    resolved; :func:`~smvp_engine.profile_years.resolve_year`). A top-level block without any
    of them is the document's own (not copied); ``chamber`` is never resolved."""
    chamber = profile.data["chamber"]
    timed = profile.timed_blocks
    if timed is None:  # from/until or variants on the document itself: resolved whole
        data = resolve_year({k: v for k, v in profile.data.items() if k != "chamber"}, year) or {}
    else:
        data = {}
        for k, v in profile.data.items():
            if k == "chamber":
                continue
            r = resolve_year(v, year) if k in timed and isinstance(v, (dict, list)) else v
            if r is not None or v is None:
                data[k] = r
    data["chamber"] = chamber
    return data


class Diagnostics:
    """The semantic errors of building one year of a profile, and the checks every block makes.

    ``data`` is the document in force in ``year`` (:func:`resolved_document`); every error is
    located in the profile as written, through ``variants`` (:meth:`path_of`). The checks:
    a ``source`` names a declared document, a reference names a defined item (with "did you
    mean"), a formula uses only the names allowed where it is used, intervals and bands
    partition their domain.
    """

    def __init__(self, profile: Profile, year: int, data: dict | None = None):
        self.p = profile
        self.year = year
        self.errors: list[ProfileError] = []
        self.docs = profile.data.get("documents") or {}
        self.data = data if data is not None else {}

    def err(self, message, path, **kw):
        self.errors.append(self.p.error(message, path, **kw))

    def path_of(self, *keys) -> tuple:
        """Original path (through variants) of a resolved path."""
        return original_path(self.p.data, self.year, keys)

    def source(self, node: dict | None, *path) -> Source | None:
        if not node or not isinstance(node.get("source"), dict):
            return None
        s = node["source"]
        doc = s.get("document")
        if doc not in self.docs:
            self.err(Msg("source document {doc!r} is not declared in 'documents'", doc=doc), self.path_of(*path, "source", "document"),
                     expected=Msg("one of: {allowed}", allowed=", ".join(self.docs)), found=repr(doc))
            return Source(str(doc), str(s.get("section")))
        return Source(doc, str(s.get("section")), self.docs[doc].get("title", ""))

    def intervals(self, items: list, path: tuple, domain: tuple) -> list[Interval]:
        out = []
        for i, item in enumerate(items):
            try:
                out.append(Interval.parse(str(item["interval"])))
            except ValueError as e:
                self.err(_said(e), self.path_of(*path, i, "interval"))
                return []
        for message, a, b in partition_problems(out, domain):
            at = self.path_of(*path, b if b is not None else a, "interval")
            if b is not None:
                message = Msg("{message} (lines {a} and {b})", message=message,
                              a=self.p.loaded.position(self.path_of(*path, a))[0],
                              b=self.p.loaded.position(self.path_of(*path, b))[0])
            self.err(message, at, hint=Msg("every value must fall in exactly one interval: use '(' or ')' for an open end and '[' or ']' for a closed end"))
        return out

    def band_intervals(self, j: dict, path: tuple, domain: tuple) -> list[Interval]:
        """The intervals of a judgement's bands: ``interval:`` as written, or ``range:`` (an
        integer range as printed, "26 – 40") read by ``integer_ranges`` (see the schema).

        Overlaps and gaps name the bands (label and printed range).
        """
        items = j["bands"]
        spec = j.get("integer_ranges") or {}
        rounding = spec.get("rounding")
        out: list[Interval] = []
        ranges: list[tuple[int, int] | None] = []
        for i, item in enumerate(items):
            if ("interval" in item) == ("range" in item):
                self.err(Msg("a band needs either 'interval' or 'range' (not both)"), self.path_of(*path, "bands", i),
                         expected=Msg('interval: "(60, 90]" or range: "26 – 40"'), found=Msg('both') if "interval" in item else Msg('neither'))
                return []
            if "interval" in item:
                try:
                    Interval.parse(str(item["interval"]))
                except ValueError as e:
                    self.err(_said(e), self.path_of(*path, "bands", i, "interval"))
                    return []
                ranges.append(None)
                continue
            m = _RANGE.match(str(item["range"]))
            lo, hi = (int(m.group(1)), int(m.group(2))) if m else (1, 0)
            if not m or hi < lo:
                self.err(Msg('{item_range!r} is not an integer range from low to high', item_range=item['range']), self.path_of(*path, "bands", i, "range"),
                         expected=Msg('"a – b" with whole numbers a ≤ b, e.g. "26 – 40"'), found=repr(item["range"]))
                return []
            ranges.append((lo, hi))
        printed = [r for r in ranges if r is not None]
        if printed and spec.get("extend_ends"):
            first = min(printed)[0]
            last = max(printed, key=lambda r: r[1])[1]
        for item, r in zip(items, ranges):
            if r is None:
                out.append(Interval.parse(str(item["interval"])))
                continue
            lo, hi = Fraction(r[0]), Fraction(r[1])
            if rounding == "down":      # the total's integer part is looked up: [a, b + 1)
                iv = [lo, hi + 1, True, False]
            elif rounding == "half_up":  # the total rounded half-up is looked up: [a − ½, b + ½)
                iv = [lo - Fraction(1, 2), hi + Fraction(1, 2), True, False]
            elif rounding == "up":      # the total rounded up is looked up: (a − 1, b]
                iv = [lo - 1, hi, False, True]
            else:                       # as printed: [a, b], fractional totals between ranges fall in no band
                iv = [lo, hi, True, True]
            if spec.get("extend_ends") and r[0] == first and domain[0] < iv[0]:
                iv[0], iv[2] = domain[0], True
            if spec.get("extend_ends") and r[1] == last and domain[1] is not None and domain[1] > lo:
                iv[1], iv[3] = domain[1], True
            text = f"{'[' if iv[2] else '('}{_pct(iv[0])}, {_pct(iv[1])}{']' if iv[3] else ')'}"
            out.append(Interval(iv[0], iv[1], iv[2], iv[3], text))
        names = [f"{b['label']!r}" + (f" (printed {b['range']})" if "range" in b else f" {out[k]}")
                 for k, b in enumerate(items)]
        for message, a, b in partition_problems(out, domain):
            at = self.path_of(*path, "bands", b if b is not None else a, "range" if "range" in items[b if b is not None else a] else "interval")
            who = (Msg("bands {a} and {b}", a=names[a], b=names[b]) if b is not None
                   else Msg("band {a}", a=names[a]))
            involved = [x for x in (a, b) if x is not None]
            if any("range" in items[x] for x in involved) and "gap" in message and not rounding:
                how = Msg("say how a total between two printed ranges is banded with integer_ranges.rounding "
                          "(down, half_up or up)")
            elif any("range" in items[x] for x in involved) and "overlap" in message:
                how = Msg("correct the range that the source misprints and keep the printed text and the reason "
                          "in the band's erratum")
            elif any("range" in items[x] for x in involved):
                how = Msg("extend the printed ranges to the totals' domain with integer_ranges.extend_ends, "
                          "or give the missing band")
            else:
                how = Msg("use '(' or ')' for an open end and '[' or ']' for a closed end")
            hint = Msg("every total must fall in exactly one band: {how}", how=how)
            self.err(Msg('{who}: {message}', who=who, message=message), at, hint=hint)
        return out

    def ref_error(self, kind, value, defined, path):
        close = difflib.get_close_matches(str(value), [str(x) for x in defined], n=1)
        self.err(Msg("unknown {kind} {value!r}; did you mean {close!r}?", kind=kind, value=value, close=close[0]) if close
                 else Msg("unknown {kind} {value!r}", kind=kind, value=value),
                 self.path_of(*path), expected=Msg("a {kind} defined in the profile: {defined}", kind=kind,
                                                   defined=", ".join(map(str, sorted(defined))) or "none"),
                 found=repr(value))

    def formula(self, expr, names, path):
        key = (str(expr), frozenset(names))
        problems = _FORMULA_PROBLEMS.get(key)
        if problems is None:
            problems = tuple(formula.check(key[0], set(names)))
            if len(_FORMULA_PROBLEMS) > 10_000:
                _FORMULA_PROBLEMS.clear()
            _FORMULA_PROBLEMS[key] = problems
        for problem in problems:
            self.err(Msg('formula {str_expr!r}: {problem}', str_expr=str(expr), problem=problem), self.path_of(*path))

    def variable(self, name, path):
        if name not in PERSON_NAMES:
            self.ref_error("variable", name, PERSON_NAMES, path)



def _mappings(dx: Diagnostics):
    """``dicts(dx.data)``: every (path, mapping) of the resolved document in document
    order — a block taken as written (see :func:`resolved_document`) gives the profile's own walk of it
    (:attr:`Profile.block_mappings`), only the resolved blocks are walked again."""
    timed = dx.p.timed_blocks
    if timed is None:
        yield from dicts(dx.data)
        return
    written = dx.p.block_mappings
    yield (), dx.data
    for k, v in dx.data.items():
        if k in timed and k != "chamber":
            yield from dicts(v, (k,))
        else:
            yield from written.get(k, ())


def build_rules(dx: Diagnostics) -> Resolved:
    """The rules in force in ``dx.year``, built from ``dx.data``; the semantic errors found are
    added to ``dx.errors`` (the rules are then not to be used)."""
    d = dx.data
    roles_raw = d.get("roles") or {}
    org = d.get("organisational") or {}
    levels = tuple((k, v.get("label", k)) for k, v in (org.get("levels") or {}).items())
    level_ids = {k for k, _ in levels} | {INDIVIDUAL_LEVEL}
    ach = org.get("achievement") or {}
    prec = d.get("precision") or {}
    money = d.get("money") or {}

    flagged = []  # mappings with a 'defined' key, for not_defined below (one walk of the document)
    for path, value in _mappings(dx):
        if path and path[-1] == "source" and path[:1] != ("chamber",):
            dx.source({"source": value}, *path[:-1])
        if "defined" in value:
            flagged.append((path, value))

    bands = _achievement_bands(dx, ach)
    objective_types = _planning(dx, d.get("planning") or {})
    not_defined: list = [Msg("{role}: {what}", role=nd["label"], what=text_of(nd["reading"]))
                         for nd in (d.get("not_defined") or {}).values()]
    absences = {k: AbsenceType(k, v["label"], bool(v["neutral"]), dx.source(v, "absence_types", k))
                for k, v in (d.get("absence_types") or {}).items()}

    # domains: totals go from 0 to the largest total_max of the roles
    maxima = [_frac(r.get("total_max")) for r in roles_raw.values() if r and r.get("total_max") is not None]
    total_domain = (Fraction(0), max(maxima) if maxima else Fraction(100))
    curves = _curves(dx, d.get("curves") or {}, total_domain)
    judgements = _judgements(dx, d.get("judgements") or {}, total_domain)
    coefficients = _coefficients(dx, d.get("coefficients") or {})
    funds = _funds(dx, d.get("funds") or {}, roles_raw)

    roles = {}
    for rid, r in roles_raw.items():
        roles[rid] = _role(dx, rid, r, level_ids, curves, judgements, coefficients, funds, roles_raw)
        for u in roles[rid].undefined:
            not_defined.append(Msg("{role}: {what}", role=roles[rid].label, what=u))
    magg = _maggiorazioni(dx, d.get("maggiorazioni") or {}, roles)
    not_defined += _flagged_not_defined(flagged, roles, not_defined)

    links, ente, attestation = _organisational_rules(dx, org, funds)
    valuation = _project_valuation(dx, d.get("project_valuation"), roles, level_ids)
    plan = d.get("planning") if isinstance(d.get("planning"), dict) else {}
    bodies = plan.get("bodies") if isinstance(plan.get("bodies"), dict) else {}
    body_levels = tuple(dict.fromkeys(str(b["level"]) for b in bodies.values()
                                      if isinstance(b, dict) and b.get("level") in level_ids))
    return Resolved(
        body_levels=body_levels,
        chamber_id=dx.p.chamber_id, chamber_name=dx.p.chamber_name, year=dx.year,
        levels=levels, achievement_cap=_frac(ach.get("cap_percent")),
        achievement_source=dx.source(ach, "organisational", "achievement"),
        achievement_decimals=int(prec.get("achievement_decimals", 2)),
        points_decimals=int(prec.get("points_decimals", 2)),
        points_rounding=prec.get("rounding", "half_up"),
        money_rounding=money.get("rounding", "half_up"),
        absence_types=absences, curves=curves, judgements=judgements, coefficients=coefficients,
        funds=funds, roles=roles, maggiorazioni=magg,
        economies_label=(d.get("economies") or {}).get("label", "Economie"),
        precision_source=dx.source(prec, "precision"), money_source=dx.source(money, "money"),
        not_defined=tuple(not_defined),
        achievement_bands=bands, objective_types=objective_types,
        bands_apply_to=tuple(ach.get("bands_apply_to") or ("indicators", "objectives")),
        links=links, ente=ente, attestation=attestation, project_valuation=valuation,
    )


def _curves(dx: Diagnostics, raw: dict, total_domain: tuple) -> dict[str, Curve]:
    """``curves``: payout curves, piecewise formulas of one person quantity over intervals that
    partition the totals' domain."""
    curves = {}
    for cid, c in raw.items():
        ivs = dx.intervals(c["intervals"], ("curves", cid, "intervals"), total_domain)
        segs = []
        for i, (iv, item) in enumerate(zip(ivs, c["intervals"])):
            dx.formula(item["value"], {c["variable"]}, ("curves", cid, "intervals", i, "value"))
            segs.append(CurveSegment(iv, str(item["value"])))
        dx.variable(c["variable"], ("curves", cid, "variable"))
        curves[cid] = Curve(cid, c["label"], c["variable"], tuple(segs), dx.source(c, "curves", cid), text_of(c.get("reading", "")))
    return curves


def _judgements(dx: Diagnostics, raw: dict, total_domain: tuple) -> dict[str, Judgement]:
    """``judgements``: bands of a total (a partition of its domain, ids unique)."""
    judgements = {}
    for jid, j in raw.items():
        ivs = dx.band_intervals(j, ("judgements", jid), total_domain)
        ids = [b["id"] for b in j["bands"]]
        for dup in {x for x in ids if ids.count(x) > 1}:
            dx.err(Msg('band id {dup!r} is used twice', dup=dup), dx.path_of("judgements", jid, "bands"))
        dx.variable(j["variable"], ("judgements", jid, "variable"))
        judgements[jid] = Judgement(jid, j["label"], j["variable"],
                                    tuple(Band(iv, b["id"], b["label"], str(b.get("range") or ""))
                                          for iv, b in zip(ivs, j["bands"])),
                                    dx.source(j, "judgements", jid), text_of(j.get("reading", "")))
    return judgements


def _coefficients(dx: Diagnostics, raw: dict) -> dict[str, Coefficient]:
    """``coefficients``: formulas of a person's quantities (presence, part time…)."""
    coefficients = {}
    for cid, c in raw.items():
        dx.formula(c["formula"], PERSON_NAMES, ("coefficients", cid, "formula"))
        coefficients[cid] = Coefficient(cid, c["label"], str(c["formula"]), dx.source(c, "coefficients", cid), text_of(c.get("reading", "")))
    return coefficients


def _funds(dx: Diagnostics, raw: dict, roles_raw: dict) -> dict[str, Fund]:
    """``funds``: a pool_split fund's shares name defined roles and add up to 100 %."""
    funds = {}
    for fid, f in raw.items():
        th = f["theoretical"]
        shares = []
        if th["method"] == "pool_split":
            if not th.get("shares"):
                dx.err(Msg("a pool_split fund needs 'shares' (role → percent)"), dx.path_of("funds", fid, "theoretical"))
            total = Fraction(0)
            for rid, s in (th.get("shares") or {}).items():
                if rid not in roles_raw:
                    dx.ref_error("role", rid, roles_raw, ("funds", fid, "theoretical", "shares", rid))
                shares.append((rid, _frac(s["percent"]), s["split"]))
                total += _frac(s["percent"])
            if th.get("shares") and total != 100:
                dx.err(Msg('the shares of the pool add up to {pct_total}%, not 100%', pct_total=_pct(total)),
                       dx.path_of("funds", fid, "theoretical", "shares"), expected=Msg('100'), found=_pct(total),
                       hint=Msg("every part of the pool goes to a role: check the 'percent' of each share"))
        elif th.get("shares"):
            dx.err(Msg("'shares' is only for method pool_split"), dx.path_of("funds", fid, "theoretical", "shares"))
        funds[fid] = Fund(fid, f["label"], f["resource"], th["method"], tuple(shares), dx.source(f, "funds", fid), text_of(f.get("reading", "")))
    return funds


def _maggiorazioni(dx: Diagnostics, raw: dict, roles: dict) -> dict[str, Maggiorazione]:
    """``maggiorazioni``: roles defined, formulas over the allowed quantities, a tie policy that
    says how a tie at the cut is broken."""
    magg = {}
    for mid, m in raw.items():
        base = ("maggiorazioni", mid)
        for i, rid in enumerate(m["roles"]):
            if rid not in roles:
                dx.ref_error("role", rid, roles, base + ("roles", i))
        dx.formula(m["eligible"], MAGGIORAZIONE_NAMES, base + ("eligible",))
        dx.formula(m["amount"], MAGGIORAZIONE_NAMES, base + ("amount",))
        if m["rank_by"] not in MAGGIORAZIONE_NAMES:
            dx.ref_error("quantity", m["rank_by"], MAGGIORAZIONE_NAMES, base + ("rank_by",))
        breaker = tuple((m.get("tie_breaker") or {}).get("by") or ())
        if m["tie_policy"] == "break_by" and not breaker:
            dx.err(Msg("tie_policy break_by needs 'tie_breaker: {{by: [...]}}' (the quantities that break a tie)"),
                   dx.path_of(*base, "tie_policy"), hint=Msg('add tie_breaker, or use exclude_tied / include_tied'))
        elif breaker and m["tie_policy"] != "break_by":
            dx.err(Msg("'tie_breaker' is only used with tie_policy break_by (found {m_tie_policy})", m_tie_policy=m['tie_policy']),
                   dx.path_of(*base, "tie_breaker"), hint=Msg('set tie_policy: break_by, or remove tie_breaker'))
        for i, q in enumerate(breaker):
            if q not in TIE_BREAKER_NAMES:
                dx.ref_error("quantity", q, TIE_BREAKER_NAMES, base + ("tie_breaker", "by", i))
        magg[mid] = Maggiorazione(mid, m["label"], tuple(m["roles"]), m["resource"], str(m["eligible"]),
                                  _frac(m["quota_percent"]), m["quota_rounding"], m["rank_by"], m["tie_policy"],
                                  str(m["amount"]), m["shortfall"], dx.source(m, *base), text_of(m.get("reading", "")),
                                  tie_breaker=breaker)
    return magg


def _flagged_not_defined(flagged: list, roles: dict[str, Role], listed: list) -> list:
    """The sections marked ``defined: false`` that ``listed`` does not name yet (a role's own
    gaps are listed with the role's label)."""
    out: list = []
    for path, value in flagged:
        if value.get("defined") is False and path:
            what = ".".join(str(p) for p in path)
            if path[0] == "roles" and len(path) > 1 and path[1] in roles and roles[path[1]].undefined:
                continue  # already listed with the role's label
            if not any(what in n for n in listed + out):
                named = value.get("label") or (Msg(_SECTION_NAMES[what]) if what in _SECTION_NAMES else what)
                out.append(Msg("{role}: {what}", role=named, what=text_of(value.get("reading")) or text_of(value.get("note"))
                               or Msg("not defined by the source")))
    return out


def _role(dx: Diagnostics, rid, r, level_ids, curves, judgements, coefficients, funds, roles_raw=None) -> Role:
    base = ("roles", rid)
    undefined: list[str] = []
    results = r.get("results") or {}
    behaviours = r.get("behaviours") or {}
    comps = []
    if results.get("defined") is False or not results:
        undefined.append(_gap(Msg("results components and their weights"), results.get("reading")))
    for cid, c in (results.get("components") or {}).items():
        lvl = c["objectives"]["level"]
        if lvl not in level_ids:
            dx.ref_error("level", lvl, level_ids, base + ("results", "components", cid, "objectives", "level"))
        if c.get("counts") is False:  # reported, worth no points
            if c.get("max"):
                dx.err(Msg("results component {cid!r} has counts: false (reported, worth no points) and a 'max'", cid=cid),
                         dx.path_of(*base, "results", "components", cid, "max"),
                         hint=Msg("remove 'max', or remove 'counts: false'"))
            comps.append(Component(cid, c["label"], Fraction(0), lvl,
                                   dx.source(c, *base, "results", "components", cid), counts=False))
            continue
        if c.get("max") is None or c.get("defined") is False:
            if results.get("defined") is not False:
                undefined.append(Msg("maximum points of results component {label!r}", label=c["label"]))
        comps.append(Component(cid, c["label"], _frac(c.get("max")) if c.get("defined") is not False else None, lvl,
                               dx.source(c, *base, "results", "components", cid)))
    factors = []
    if behaviours.get("defined") is False or not behaviours:
        undefined.append(_gap(Msg("behaviour factors' scales"), behaviours.get("reading")))
    per_person = behaviours.get("scale") == "per_person"
    for fid, f in (behaviours.get("factors") or {}).items():
        if per_person and f.get("max") is not None:
            dx.err(Msg("behaviour factor {fid!r} has a 'max', but the role's behaviours have scale per_person (each person's sheet sets the maxima and weights)", fid=fid), dx.path_of(*base, "behaviours", "factors", fid, "max"),
                     hint=Msg("remove 'max', or remove 'scale: per_person'"))
        elif (not per_person and (f.get("max") is None or f.get("defined") is False)
              and behaviours.get("defined") is not False):
            undefined.append(Msg("scale of behaviour factor {label!r}", label=f["label"]))
        factors.append(Factor(fid, f["label"], _frac(f.get("max")) if f.get("defined") is not False else None))
    total_max = _frac(r.get("total_max"))
    if total_max is None and not undefined:
        undefined.append(Msg("maximum total points"))
    if per_person and not undefined and total_max is not None:
        s = sum((c.max for c in comps), Fraction(0))
        if s > total_max:
            dx.err(Msg('the results maxima of role {rid!r} add up to {pct_s}, more than its total_max {pct_total_max}', rid=rid, pct_s=_pct(s), pct_total_max=_pct(total_max)),
                     dx.path_of(*base, "total_max"), expected=Msg('at least {pct_s}', pct_s=_pct(s)), found=_pct(total_max))
    elif not undefined and total_max is not None:
        s = sum((c.max for c in comps), Fraction(0)) + sum((f.max for f in factors), Fraction(0))
        if s != total_max:
            parts = " + ".join(_pct(c.max) for c in comps) + " (results) + " + " + ".join(_pct(f.max) for f in factors) + " (behaviours)"
            dx.err(Msg('the maxima of role {rid!r} add up to {pct_s}, not to its total_max {pct_total_max}: {parts}', rid=rid, pct_s=_pct(s), pct_total_max=_pct(total_max), parts=parts),
                     dx.path_of(*base, "total_max"), expected=_pct(total_max), found=_pct(s),
                     hint=Msg("check the results components' 'max' and the behaviour factors' 'max'"))
    neg = r.get("negative")
    neg_below = _frac(neg["behaviour_below"]) if neg else None
    if neg_below is not None and factors and all(f.max is not None for f in factors):
        bmax = sum((f.max for f in factors), Fraction(0))
        if neg_below > bmax:
            dx.err(Msg('negative threshold {pct_neg_below} is above the behaviour maximum {pct_bmax}', pct_neg_below=_pct(neg_below), pct_bmax=_pct(bmax)),
                     dx.path_of(*base, "negative", "behaviour_below"), expected=Msg('at most {pct_bmax}', pct_bmax=_pct(bmax)), found=_pct(neg_below))
    j = r.get("judgement")
    if j is not None and j not in judgements:
        dx.ref_error("judgement", j, judgements, base + ("judgement",))
    payout = None
    if r.get("payout"):
        pz = r["payout"]
        for kind, coll in (("fund", funds), ("curve", curves)):
            if pz[kind] not in coll:
                dx.ref_error(kind, pz[kind], coll, base + ("payout", kind))
        payout = (pz["fund"], pz["curve"], _coefficient_of(dx, pz["coefficient"], coefficients, base))
    ev = r.get("evaluator") or {}
    rule = _evaluator_rule(dx, ev, roles_raw or {}, base + ("evaluator",))
    return Role(rid, r["label"], ev.get("label", ""), total_max, tuple(comps), tuple(factors), neg_below, j, payout,
                dx.source(r, *base), dx.source(results, *base, "results"), dx.source(behaviours, *base, "behaviours"),
                dx.source(neg, *base, "negative") if neg else None, tuple(undefined),
                per_person_scale=per_person, evaluated_by=rule)


def _evaluator_rule(dx: Diagnostics, ev: dict, roles_raw: dict, path: tuple) -> EvaluatorRule | None:
    """``evaluator.by_role`` / ``scope`` (see :class:`EvaluatorRule`); None when neither."""
    given = ev.get("by_role")
    by = (given,) if isinstance(given, str) else tuple(given or ())
    scope = ev.get("scope")
    if not by and scope is None:
        return None
    if by and scope in (None, "external"):
        dx.err(Msg("evaluator 'by_role' needs a 'scope' other than external: own_unit, unit_tree, head or ente"),
                 dx.path_of(*path), expected=Msg("own_unit, unit_tree, head or ente"),
                 found=repr(scope) if scope else Msg("nothing"),
                 hint=Msg("a body outside the staff (Giunta, OIV, Presidente) is 'scope: external' without 'by_role'"))
        return None
    if not by and scope != "external":
        dx.err(Msg("evaluator scope {scope!r} needs 'by_role': the role whose holders evaluate", scope=scope),
                 dx.path_of(*path), expected=Msg("a {kind} defined in the profile: {defined}", kind="role",
                                                              defined=", ".join(sorted(roles_raw))),
                 found=Msg("nothing"))
        return None
    for i, rid in enumerate(by):
        if rid not in roles_raw:
            dx.ref_error("role", rid, roles_raw, path + (("by_role",) if isinstance(given, str) else ("by_role", i)))
    return EvaluatorRule(by, scope)


def _coefficient_of(dx: Diagnostics, given, coefficients: dict, base: tuple) -> str:
    """The coefficient id of a payout; a list of ids becomes their product, added to
    ``coefficients`` as ``a*b`` (Cuneo §3.3: «commisurati al grado di effettivo coinvolgimento
    temporale negli obiettivi e all'effettiva prestazione lavorativa»)."""
    ids = [given] if isinstance(given, str) else list(given)
    for i, cid in enumerate(ids):
        if cid not in coefficients:
            dx.ref_error("coefficient", cid, coefficients,
                           base + (("payout", "coefficient") if isinstance(given, str) else ("payout", "coefficient", i)))
    if len(ids) == 1 or any(c not in coefficients for c in ids):
        return ids[0]
    key = "*".join(ids)
    if key not in coefficients:
        parts = [coefficients[c] for c in ids]
        coefficients[key] = Coefficient(
            key, " × ".join(c.label for c in parts), " * ".join(f"({c.formula})" for c in parts),
            parts[0].source, "product of " + ", ".join(ids), parts=tuple(ids))
    return key


def _achievement_bands(dx: Diagnostics, ach: dict) -> tuple[AchievementBand, ...]:
    """``organisational.achievement.bands``: a partition of [0, inf) of the measured ratio."""
    items = ach.get("bands") or []
    if not items:
        return ()
    path = ("organisational", "achievement", "bands")
    ivs = dx.intervals(items, path, (Fraction(0), None))
    if ivs and all(iv.hi is not None for iv in ivs):
        top = max(range(len(ivs)), key=lambda i: (ivs[i].hi, ivs[i].hi_closed))
        dx.err(Msg('values above {ivs_top} fall in no band: the measured ratio has no upper limit', ivs_top=ivs[top]),
                 dx.path_of(*path, top, "interval"), expected=Msg("a last band ending in 'inf)'"),
                 found=ivs[top].text, hint=Msg('write the last band e.g. "[80, inf)"'))
    ids = [b["id"] for b in items]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        dx.err(Msg('band id {dup!r} is used twice', dup=dup), dx.path_of(*path, ids.index(dup, ids.index(dup) + 1), "id"))
    out = []
    for iv, b in zip(ivs, items):
        c = b["counts_as"]
        out.append(AchievementBand(iv, b["id"], b["label"], None if c == "ratio" else _frac(c)))
    return tuple(out)


def _planning(dx: Diagnostics, plan: dict) -> tuple[tuple[str, str], ...]:
    """``planning``: objective types (parents must exist, no circles) and priorities (unique ids)."""
    types = plan.get("objective_types") or {}
    for tid, t in types.items():
        parent = t.get("parent")
        if parent is not None and parent not in types:
            dx.ref_error("objective type", parent, types, ("planning", "objective_types", tid, "parent"))
    for tid in types:
        seen, cur = [tid], types[tid].get("parent")
        while cur in types:
            if cur in seen:
                dx.err(Msg("objective types are each other's parents in a circle: {cycle}", cycle=" → ".join(seen + [cur])),
                         dx.path_of("planning", "objective_types", tid, "parent"))
                break
            seen.append(cur)
            cur = types[cur].get("parent")
    levels = ((dx.data.get("organisational") or {}).get("levels") or {})
    for bid, b in (plan.get("bodies") or {}).items():
        if b.get("level") is not None and b["level"] not in levels:
            dx.ref_error("level", b["level"], levels, ("planning", "bodies", bid, "level"))
    prio = plan.get("priorities") or []
    ids = [str(p["id"]) for p in prio]
    for i, x in enumerate(ids):
        if x in ids[:i]:
            dx.err(Msg('priority id {x!r} is used twice (first at item {ids_index_x_1})', x=x, ids_index_x_1=ids.index(x) + 1),
                     dx.path_of("planning", "priorities", i, "id"))
    return tuple((tid, t["label"]) for tid, t in types.items())


def _organisational_rules(dx: Diagnostics, org: dict, funds: dict):
    """``organisational.links``, ``.ente`` and ``.attestation`` (None when absent)."""
    base = ("organisational",)
    lk = org.get("links")
    links = None
    if lk:
        links = ObjectiveLinks(lk["method"], str(lk.get("separator", ".")), dx.source(lk, *base, "links"),
                               text_of(lk.get("reading", "")))
    en = org.get("ente")
    ente = None
    if en:
        red = en.get("attestation_reduces_funds") or {}
        for i, fid in enumerate(red.get("funds") or []):
            if fid not in funds:
                dx.ref_error("fund", fid, funds, base + ("ente", "attestation_reduces_funds", "funds", i))
        types = ((dx.data.get("planning") or {}).get("objective_types") or {})
        if types and en["area_type"] not in types:
            dx.ref_error("objective type", en["area_type"], types, base + ("ente", "area_type"))
        ente = EnteRule(en["label"], en["method"], en["area_type"], tuple(red.get("funds") or ()),
                        red.get("rounding", "down"), dx.source(en, *base, "ente"), text_of(en.get("reading", "")),
                        dx.source(red, *base, "ente", "attestation_reduces_funds") if red else None)
    at = org.get("attestation")
    attestation = None
    if at:
        iv = None
        if at.get("interval") is not None:
            try:
                iv = Interval.parse(str(at["interval"]))
            except ValueError as e:
                dx.err(_said(e), dx.path_of(*base, "attestation", "interval"))
        attestation = AttestationRule(iv, bool(at.get("note_when_differs", False)),
                                      dx.source(at, *base, "attestation"), text_of(at.get("reading", "")))
    return links, ente, attestation


def _project_valuation(dx: Diagnostics, pv: dict | None, roles: dict, level_ids: set) -> ProjectValuation | None:
    """``project_valuation``: relevance grades, valued funds, bounds, weight gap."""
    if not pv:
        return None
    base = ("project_valuation",)
    relevance = {k: Relevance(k, v["label"], _frac(v["coefficient"]), v.get("definition", ""))
                 for k, v in pv["relevance"].items()}
    vfunds = {}
    resources_seen: dict[str, tuple] = {}
    for fid, f in pv["funds"].items():
        al = f["allocation"]
        for i, rid in enumerate(al["roles"]):
            if rid not in roles:
                dx.ref_error("role", rid, roles, base + ("funds", fid, "allocation", "roles", i))
        if al["level"] not in level_ids:
            dx.ref_error("level", al["level"], level_ids, base + ("funds", fid, "allocation", "level"))
        if al["key"] == "position_pay" and not al.get("column"):
            dx.err(Msg("allocation by position_pay needs the staff 'column' holding each person's position pay"),
                     dx.path_of(*base, "funds", fid, "allocation"), expected=Msg('column: position_pay'), found=Msg('nothing'))
        for part in ("stable", "variable"):
            r = f[part]
            if r in resources_seen:
                dx.err(Msg('resource {r!r} is already the {resources_seen_r_1} part of fund {resources_seen_r_0!r}', r=r, resources_seen_r_1=resources_seen[r][1], resources_seen_r_0=resources_seen[r][0]),
                         dx.path_of(*base, "funds", fid, part), hint=Msg('each part of each fund is its own resource'))
            resources_seen[r] = (fid, part)
        vfunds[fid] = ValuationFund(fid, f["label"], f["stable"], f["variable"], _frac(f["percent_per_point"]),
                                    al["key"], tuple(al["roles"]), al["level"], al.get("column"),
                                    dx.source(f, *base, "funds", fid))
    uv = pv.get("unit_value") or {}
    bd = pv.get("bounds") or {}
    bounds = None
    if bd:
        try:
            bounds = Interval.parse(str(bd["interval"]))
        except ValueError as e:
            dx.err(_said(e), dx.path_of(*base, "bounds", "interval"))
    wg = pv.get("weight_gap") or {}
    fin = pv.get("financing") or {}
    for i, fid in enumerate(fin.get("default") or ()):
        if fid not in vfunds:
            dx.ref_error("valued fund", fid, vfunds, base + ("financing", "default", i))
    return ProjectValuation(
        pv["label"], relevance, vfunds, uv.get("rounding", "half_up"), bounds,
        tuple(bd.get("of") or ("stable", "variable")), bd.get("per", "fund"), dx.source(bd, *base, "bounds") if bd else None,
        _frac(wg.get("max_points")), wg.get("group_by", "unit"), dx.source(wg, *base, "weight_gap") if wg else None,
        dx.source(pv, *base), text_of(pv.get("reading", "")),
        tuple(fin.get("default") or vfunds), dx.source(fin, *base, "financing") if fin else None)

def _pct(x: Fraction) -> Number:
    """A percent or points in a message (shown in the user's locale by smvp)."""
    if x.denominator == 1:
        return Number(str(x.numerator))
    return Number(str(Decimal(x.numerator) / Decimal(x.denominator)))


def build(profile: Profile, year: int) -> Resolved:
    """The rules of ``profile`` in force in ``year``.

    Raises:
        ProfileErrors: the semantic errors found, each located in the profile as written.
    """
    dx = Diagnostics(profile, year, resolved_document(profile, year))
    rules = build_rules(dx)
    if dx.errors:
        raise ProfileErrors(dx.errors)
    return rules


def norms_only(profile: Profile, year: int) -> Diagnostics | None:
    """The checks a full build of ``year`` makes on the ``norms`` in force then — their
    ``source`` documents — when the rest of the document resolves as for a year already
    built (the builder reads norms for nothing else); None when a norm in force has a
    ``defined`` flag (it would add to the rules' not_defined: build in full)."""
    norms = profile.data.get("norms")
    dx = Diagnostics(profile, year)
    in_force = resolve_year(norms, year) if isinstance(norms, (dict, list)) else None
    for path, value in dicts(in_force, ("norms",)) if in_force is not None else ():
        if "defined" in value:
            return None
        if path[-1] == "source":
            dx.source({"source": value}, *path[:-1])
    return dx
