"""The trace of one person's calculation: every value, the rule that produced it, its inputs, its source.

:func:`explain` reads an :class:`~smvp_engine.pipeline.Evaluation` (the stage results
and the dataset they came from) and returns a plain tree of nodes::

    {"key": "component",              # what kind of value (stable id, for renderers)
     "label": "Obiettivo d'ufficio",  # the profile's or dataset's name for it (None: use the key)
     "value": "24.38", "unit": "points",
     "rule": {"id": "component_points", "path": "roles.dipendente.results.components.ufficio.max",
              "text": "maximum points × achievement / 100, rounded half_up to 2 decimals",
              "params": {...}},
     "source": {"document": "smvp2024", "title": "…", "section": "…", "at": "chambers/cuneo.yaml:187"},
     "inputs": [{"name": "max", "value": "25", "unit": "points"}, …],
     "calc": "25 × 97.50 / 100 = 24.375 → 24.38",
     "note": None,
     "children": [ …nodes… ]}

The root is the person; its children follow the order of the calculation:
results (components → achievement of their objectives → objectives →
indicators), behaviour (factors), total, judgement, negative evaluation,
payout factor (the curve interval), coefficient, theoretical amount, premium
(and its rounding), maggiorazione (eligibility, ranking, amount) and paid.

Values are the engine's own (read from the stage results, never recomputed
for the figures); the arithmetic in ``calc`` and the lists of objectives are
rebuilt from the dataset to show how each value arises, and a ``note`` says so
if the rebuilt arithmetic does not give the engine's value. Numbers are exact
decimal text with a dot (``"97.50"``); units: points, percent, euro, days,
fraction, rank, people. Renderers translate ``key``/``rule.id`` and format
numbers (``smvp/commands/explain.py``).
"""

from __future__ import annotations

import io
import tokenize
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from . import formula
from .columns import as_objects
from .exact import Q, decimal_from_units, round_fraction
from .profile import INDIVIDUAL_LEVEL, Profile, Source, original_path

CP = 100
MILLION = 1_000_000

__all__ = ["PersonNotFound", "explain", "walk"]


class PersonNotFound(KeyError):
    """No such person in the evaluation (``known``: a few ids that exist)."""

    def __init__(self, person_id: str, known: list[str]):
        super().__init__(person_id)
        self.person_id = person_id
        self.known = known

    def __str__(self) -> str:
        return f"no person {self.person_id!r} in this evaluation"


# ----------------------------------------------------------------------------- numbers

def _dec(x: Fraction | int, places: int | None = None) -> str:
    """Exact decimal text of ``x``; with ``places`` fixed decimals (already exact), else as short as exact."""
    x = Fraction(x)
    if places is not None and (x * 10 ** places).denominator == 1:
        return str(decimal_from_units(int(x * 10 ** places), places))
    d = x.denominator
    k = 0
    while d % 2 == 0 or d % 5 == 0:
        d //= 2 if d % 2 == 0 else 5
        k += 1
    if d == 1:
        text = format(Decimal(x.numerator) / Decimal(x.denominator), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return format(Decimal(x.numerator) / Decimal(x.denominator), ".6f") + "…"  # not a terminating decimal


def _pts(cp: int) -> str:
    return str(decimal_from_units(int(cp), 2))


def _eur(cents: int) -> str:
    return str(decimal_from_units(int(cents), 2))


def _node(key: str, value: Any = None, unit: str | None = None, *, label: str | None = None,
          rule: dict | None = None, source: dict | None = None, inputs: list | None = None,
          calc: str | None = None, note: str | None = None, children: list | None = None) -> dict:
    return {"key": key, "label": label, "value": value, "unit": unit, "rule": rule, "source": source,
            "inputs": inputs or [], "calc": calc, "note": note, "children": children or []}


def _note(nid: str, text: str, **params: Any) -> dict:
    """A remark on a node: ``id`` (for renderers), English ``text``, ``params``."""
    return {"id": nid, "text": text, "params": params}


def _in(name: str, value: Any, unit: str | None = None) -> dict:
    return {"name": name, "value": value, "unit": unit}


def walk(node: dict):
    """Every node of a trace, depth first."""
    yield node
    for c in node["children"]:
        yield from walk(c)


# ----------------------------------------------------------------------------- sources

class _Where:
    """Rule paths → positions in the profile text (through variants in force in the year)."""

    def __init__(self, profile: Profile, year: int):
        self.p = profile
        self.year = year
        self.docs = profile.data.get("documents") or {}

    def origin(self, *keys) -> tuple:
        return original_path(self.p.data, self.year, keys)

    def at(self, *keys) -> str:
        line, _ = self.p.loaded.position(self.origin(*keys), key=True)
        return f"{self.p.path}:{line}" if line else str(self.p.path)

    def source(self, src: Source | None, *keys) -> dict | None:
        """Document, title, section and where the rule is written; an inherited rule carries the
        ``layer`` it comes from (``national/italia``) and points at that layer's file."""
        if src is None:
            return None
        layer = self.p.layer_of(keys) if keys else None
        if layer and self.p.base is not None:
            base = self.p.base
            line, _ = base.loaded.position(tuple(keys), key=True)
            at = f"{base.path}:{line}" if line else str(base.path)
        else:
            at = self.at(*keys) if keys else None
        return {"document": src.document, "title": src.title or (self.docs.get(src.document) or {}).get("title"),
                "section": src.section, "at": at, "layer": layer}

    def rule(self, rid: str, text: str, *keys, **params) -> dict:
        return {"id": rid, "path": ".".join(str(k) for k in self.origin(*keys)) if keys else None,
                "text": text, "params": {k: _plainp(v) for k, v in params.items()}}


def _plainp(v: Any) -> Any:
    if isinstance(v, Fraction):
        return _dec(v)
    if isinstance(v, (list, tuple)):
        return [_plainp(x) for x in v]
    return v


# ----------------------------------------------------------------------------- formulas shown with numbers

def _substitute(expr: str, values: dict[str, str]) -> str:
    """``minimum(1, presence_days * part_time / 250)`` with the names replaced by their values."""
    try:
        out, last = [], (1, 0)
        lines = expr.splitlines() or [""]
        for tok in tokenize.generate_tokens(io.StringIO(expr).readline):
            if tok.type == tokenize.ENDMARKER:
                break
            (sr, sc), (er, ec) = tok.start, tok.end
            if sr != last[0]:
                last = (sr, 0)
            out.append(lines[sr - 1][last[1]:sc] if sr - 1 < len(lines) else "")
            out.append(values.get(tok.string, tok.string) if tok.type == tokenize.NAME else tok.string)
            last = (er, ec)
        return "".join(out).replace("*", "×").strip()
    except (tokenize.TokenError, IndentationError):
        return expr


# ----------------------------------------------------------------------------- the trace

def explain(ev: Any, person_id: str) -> dict:
    """The trace of ``person_id``'s calculation in ``ev`` (an Evaluation).

    Raises:
        PersonNotFound: no such person in the dataset evaluated.
    """
    return _Trace(ev).person(str(person_id))


class _Trace:
    def __init__(self, ev: Any):
        self.ev = ev
        self.rules = ev.rules
        self.ds = ev.dataset
        self.where = _Where(ev.profile, ev.year)
        self.staff = self.ds.table("staff")
        self.ids = [str(x) for x in as_objects(self.staff["person_id"])]
        self.org = ev.organisational
        self.ind = ev.individual
        self.pay = ev.payout
        self.scale = self.org.scale
        self.ach_digits = len(str(self.scale)) - 1
        self.mode = self.rules.points_rounding
        self.money_mode = self.rules.money_rounding

    # -- helpers ------------------------------------------------------------
    def pct(self, units: int) -> str:
        return str(decimal_from_units(int(units), self.ach_digits))

    def effective_days(self) -> tuple[np.ndarray, dict[int, list[tuple[str, int, bool]]]]:
        """Presence + neutral absence days per person (hundredths), and each person's absences."""
        days = np.asarray(self.staff["presence_days"], dtype=np.int64).copy()
        ab = self.ds.table("absences")
        per: dict[int, list[tuple[str, int, bool]]] = {}
        if len(ab):
            index = {p: i for i, p in enumerate(self.ids)}
            for pid, typ, d in zip(as_objects(ab["person_id"]), as_objects(ab["type"]), ab["days"]):
                i = index.get(str(pid))
                at = self.rules.absence_types.get(typ)
                if i is None or at is None:
                    continue
                per.setdefault(i, []).append((typ, int(d), at.neutral))
                if at.neutral:
                    days[i] += int(d)
        return days, per

    def names(self) -> dict[str, Q]:
        """The quantities formulas use, one value per staff row (as the payout stage binds them)."""
        days, _ = self.effective_days()
        ind = self.ind
        return {
            "total": Q(ind.total, CP), "results": Q(ind.results, CP), "behaviour": Q(ind.behaviour, CP),
            "presence_days": Q.scaled(days, 100),
            "part_time": Q.scaled(np.asarray(self.staff["part_time"], dtype=np.int64), MILLION),
            "time_coefficient": Q.scaled(np.asarray(self.staff["time_coefficient"], dtype=np.int64), MILLION),
            "premium": Q(self.pay.premium, 100), "theoretical": Q(self.pay.theoretical, 100),
            "payout_factor": self.pay.factor, "coefficient": self.pay.coefficient,
            "tie_breaker": Q(np.asarray(self.staff["tie_breaker"], dtype=np.int64), CP),
        }

    # -- the person -----------------------------------------------------------
    def person(self, pid: str) -> dict:
        if pid not in self.ids:
            raise PersonNotFound(pid, self.ids[:10])
        i = self.ids.index(pid)
        ind, pay = self.ind, self.pay
        rid = ind.role_ids[int(ind.role_index[i])]
        role = self.rules.roles[rid]
        names = as_objects(self.staff["name"])
        units = as_objects(self.staff["unit_id"])
        root_inputs = [_in("person_id", pid), _in("role", role.label), _in("unit_id", units[i]),
                       _in("year", self.ev.year), _in("chamber", self.rules.chamber_name)]
        paid = int(pay.premium[i] + pay.maggiorazione[i]) if pay.fund[i] is not None else None
        root = _node("person", _eur(paid) if paid is not None else None, "euro" if paid is not None else None,
                     label=names[i] or pid, inputs=root_inputs,
                     source=self.where.source(role.source, "roles", rid),
                     rule=self.where.rule("role", f"the rules of role {role.label!r}", "roles", rid, role=rid,
                                              label=role.label))
        if not bool(ind.scored[i]):
            root["note"] = _note("not_scored", "not scored: the source does not define " + "; ".join(map(str, role.undefined)),
                                 undefined=list(role.undefined))
            root["children"].append(_node("not_scored", None, note=root["note"],
                                          source=self.where.source(role.source, "roles", rid)))
            return root
        kids = root["children"]
        results = self.results(i, rid, role)
        behaviour = self.behaviour(i, rid, role)
        kids += [results, behaviour, self.total(i, rid, role)]
        if role.judgement:
            kids.append(self.judgement(i, role))
        if role.negative_below is not None:
            kids.append(self.negative(i, rid, role))
        if role.payout and pay.fund[i] is not None:
            fid, cid, coid = role.payout
            kids += [self.payout_factor(i, cid), self.coefficient(i, coid), self.theoretical(i, rid, fid),
                     self.premium(i, fid)]
            for mid, m in self.rules.maggiorazioni.items():
                if rid in m.roles:
                    kids.append(self.maggiorazione(i, mid, m))
            kids.append(self.paid(i))
        return root

    # -- organisational -------------------------------------------------------
    def _band_note(self, r) -> dict | None:
        """The achievement band an indicator fell in and what it counts (the same choice as
        organisational.evaluate: a band's ``counts_as`` applies on indicators, or where the ratio
        is not finite); None without bands."""
        band = next((b for b in self.rules.achievement_bands if r is not None and b.id == r.status), None)
        if band is None:
            return None
        if band.counts_as is not None and ("indicators" in self.rules.bands_apply_to or r.measured is None):
            return _note("band_counts", f"{band.label}: counts {_dec(band.counts_as)}%", band=band.label,
                         counts=_dec(band.counts_as))
        return _note("band_ratio", f"{band.label}: counts the ratio", band=band.label)

    def _objectives_of(self, i: int, rid: str, comp) -> tuple[str, list[tuple[Any, Fraction]], str]:
        """The objectives behind a component's achievement for person ``i``: (rule id, [(objective, weight)], scope)."""
        org = self.org
        pid = self.ids[i]
        asg = self.ds.table("assignments")
        if len(asg):
            rows = [(o, w) for p, c, o, w in zip(as_objects(asg["person_id"]), as_objects(asg["component"]),
                                                 as_objects(asg["objective_id"]), asg["weight"])
                    if str(p) == pid and c == comp.id]
            if rows:
                return "assigned_achievement", [(org.objectives[o], Fraction(w) if w is not None else org.objectives[o].weight)
                                                for o, w in rows if o in org.objectives], "assignments"
        if comp.level == INDIVIDUAL_LEVEL:
            return "individual_achievement", [(o, o.weight) for o in org.objectives.values()
                                              if o.level == INDIVIDUAL_LEVEL and o.person_id == pid], pid
        if comp.level == self.rules.level_ids[0]:
            return "top_achievement", [(o, o.weight) for o in org.objectives.values() if o.level == comp.level], comp.level
        units = self.ds.table("units")
        parent = dict(zip(as_objects(units["unit_id"]), as_objects(units["parent_id"])))
        level = dict(zip(as_objects(units["unit_id"]), as_objects(units["level"])))
        cur, seen = as_objects(self.staff["unit_id"])[i], set()
        while cur is not None and cur not in seen and level.get(cur) != comp.level:
            seen.add(cur)
            cur = parent.get(cur)
        return "unit_achievement", [(o, o.weight) for o in org.objectives.values()
                                    if o.level == comp.level and (o.unit_id or "") == (cur or "")], cur or "?"

    def objective(self, o) -> dict:
        w = self.where
        src = w.source(self.rules.achievement_source, "organisational", "achievement")
        inputs = [_in("weight", _dec(o.weight)), _in("level", o.level)]
        if o.unit_id:
            inputs.append(_in("unit_id", o.unit_id))
        if o.attested:
            return _node("objective", self.pct(o.achievement), "percent", label=f"{o.label} ({o.objective_id})",
                         rule=w.rule("objective_attested", "the attested value (validated), which overrides the indicators",
                                     "organisational", "achievement", note=o.note),
                         source=src, inputs=inputs + [_in("attestation_note", o.note)],
                         note=_note("attested", "attested value: the indicators are not used", note=o.note)
                         if o.indicators else None)
        inds = self.ds.table("indicators")
        rows = {str(k): j for j, k in enumerate(as_objects(inds["indicator_id"]))}
        labels = as_objects(inds["label"])
        dirs = as_objects(inds["direction"])
        kids, parts, wsum, acc = [], [], Fraction(0), Fraction(0)
        results = {r.indicator_id: r for r in self.org.indicators if r.objective_id == o.objective_id}
        for iid, ach, how in o.indicators:
            j = rows.get(str(iid))
            target = Fraction(inds["target"][j]) if j is not None else None
            actual = Fraction(inds["actual"][j]) if j is not None else None
            weight = Fraction(inds["weight"][j]) if j is not None else Fraction(1)
            wsum += weight
            acc += weight * ach
            parts.append((weight, self.pct(ach)))
            if j is not None and dirs[j] == "lower" and actual:
                ratio, expr = target / actual * 100, f"{_dec(target)} / {_dec(actual)} × 100"
            elif j is not None and target:
                ratio, expr = actual / target * 100, f"{_dec(actual)} / {_dec(target)} × 100"
            else:
                ratio, expr = None, how
            calc = f"{expr} = {_dec(ratio)}" if ratio is not None else expr
            if ratio is not None and round_fraction(ratio, self.scale, self.mode) != ach:
                capped = self.rules.achievement_cap
                if capped is not None and ratio > capped:
                    calc += f"; min({_dec(ratio)}, {_dec(capped)})"
                calc += f" → {self.pct(ach)}"
            else:
                calc += f" → {self.pct(ach)}"
            kids.append(_node(
                "indicator", self.pct(ach), "percent", label=f"{labels[j] or iid} ({iid})" if j is not None else str(iid),
                rule=w.rule("indicator_ratio", how, "organisational", "achievement",
                            cap=self.rules.achievement_cap, decimals=self.ach_digits, rounding=self.mode,
                            direction=dirs[j] if j is not None else None),
                source=src, calc=calc, note=self._band_note(results.get(str(iid))),
                inputs=[_in("target", _dec(target)), _in("actual", _dec(actual)),
                        _in("direction", dirs[j]), _in("weight", _dec(weight))] if j is not None else []))
        note = None
        if wsum:
            mean = acc / wsum
            text = " + ".join(f"{_dec(wt)} × {a}" for wt, a in parts)
            calc = f"({text}) / {_dec(wsum)} = {_dec(mean / self.scale)} → {self.pct(o.achievement)}" if len(parts) > 1 \
                else f"{parts[0][1]}"
            if round_fraction(mean, 1, self.mode) != o.achievement:
                note = _note("rebuilt", "the engine's value also weighs linked objectives or status bands: see the profile")
        else:
            calc = None
        return _node("objective", self.pct(o.achievement), "percent", label=f"{o.label} ({o.objective_id})",
                     rule=w.rule("objective_indicators", "weighted mean of the objective's indicators",
                                 "organisational", "achievement", rounding=self.mode),
                     source=src, inputs=inputs, calc=calc, note=note, children=kids)

    # -- results --------------------------------------------------------------
    def results(self, i: int, rid: str, role) -> dict:
        w = self.where
        kids, parts = [], []
        for c in role.components:
            key = f"{rid}.{c.id}"
            pts = int(self.ind.components[key][i])
            ach = int(self.ind.component_achievement[key][i])
            parts.append(_pts(pts))
            kids.append(self.component(i, rid, role, c, pts, ach))
        total = int(self.ind.results[i])
        return _node("results", _pts(total), "points",
                     rule=w.rule("results_sum", "sum of the points of the results components", "roles", rid, "results"),
                     source=w.source(role.results_source, "roles", rid, "results"),
                     calc=" + ".join(parts) + f" = {_pts(total)}" if parts else None, children=kids)

    def component(self, i: int, rid: str, role, c, pts: int, ach: int) -> dict:
        w = self.where
        mx = c.max or Fraction(0)
        path = ("roles", rid, "results", "components", c.id)
        src = w.source(c.source or role.results_source, *path)
        rule = w.rule("component_points", f"maximum points × achievement / 100, rounded {self.mode} to "
                      f"{self.rules.points_decimals} decimals", *path, "max", max=mx, level=c.level,
                      decimals=self.rules.points_decimals, rounding=self.mode)
        if ach < 0:
            return _node("component", _pts(pts), "points", label=c.label, rule=rule, source=src,
                         inputs=[_in("max", _dec(mx), "points")],
                         note=_note("no_objectives", f"no objectives of level {c.level} for the person's unit: "
                                    f"{_pts(pts)} points", level=c.level, points=_pts(pts)))
        exact = mx * Fraction(ach, self.scale) / 100
        calc = f"{_dec(mx)} × {self.pct(ach)} / 100 = {_dec(exact)}"
        calc += f" → {_pts(pts)}" if exact != Fraction(pts, CP) else ""
        rid_ach, objs, scope = self._objectives_of(i, rid, c)
        level_label = dict(self.rules.levels).get(c.level, c.level)
        okids = [self.objective(o) for o, _ in objs]
        wsum = sum((wt for _, wt in objs), Fraction(0))
        note = None
        if objs and wsum:
            mean = sum((wt * o.achievement for o, wt in objs), Fraction(0)) / wsum
            text = " + ".join(f"{_dec(wt)} × {self.pct(o.achievement)}" for o, wt in objs)
            acalc = (f"({text}) / {_dec(wsum)} = {_dec(mean / self.scale)}" if len(objs) > 1
                     else f"{self.pct(objs[0][0].achievement)}")
            if round_fraction(mean, 1, self.mode) != ach:
                note = _note("rebuilt", "rebuilt from the objectives listed; the engine's value is shown")
            elif len(objs) > 1 and mean != ach:
                acalc += f" → {self.pct(ach)}"
        else:
            acalc = None
        scope_text = {"top_achievement": f"all objectives of level {level_label}",
                      "individual_achievement": f"the objectives assigned to {scope}",
                      "assigned_achievement": "the objectives assigned in the assignments table",
                      "unit_achievement": f"the objectives of {level_label} {scope}"}[rid_ach]
        achievement = _node("achievement", self.pct(ach), "percent", label=f"{level_label} {scope}".strip()
                            if rid_ach == "unit_achievement" else level_label,
                            rule=w.rule(rid_ach, f"weighted mean of {scope_text}", *path, "objectives",
                                        level=c.level, level_label=level_label, scope=scope, rounding=self.mode),
                            source=w.source(self.rules.achievement_source, "organisational", "achievement"),
                            calc=acalc, note=note, children=okids)
        return _node("component", _pts(pts), "points", label=c.label, rule=rule, source=src,
                     inputs=[_in("max", _dec(mx), "points"), _in("achievement", self.pct(ach), "percent")],
                     calc=calc, children=[achievement])

    # -- behaviour --------------------------------------------------------------
    def behaviour(self, i: int, rid: str, role) -> dict:
        w = self.where
        beh = self.ds.table("behaviours")
        scores = {f: int(s) for p, f, s in zip(as_objects(beh["person_id"]), as_objects(beh["factor"]), beh["score"])
                  if str(p) == self.ids[i]}
        path = ("roles", rid, "behaviours")
        src = w.source(role.behaviours_source, *path)
        kids, parts = [], []
        for f in role.factors:
            s = scores.get(f.id, 0)
            parts.append(_pts(s))
            kids.append(_node("factor", _pts(s), "points", label=f.label,
                              rule=w.rule("factor_score", f"score given by the evaluator on the scale 0–{_dec(f.max)}"
                                          if f.max is not None else "score given by the evaluator",
                                          *path, "factors", f.id, max=f.max, evaluator=role.evaluator),
                              source=src, inputs=[_in("scale_max", _dec(f.max), "points")] if f.max is not None else []))
        total = int(self.ind.behaviour[i])
        return _node("behaviour", _pts(total), "points",
                     rule=w.rule("behaviour_sum", "sum of the behaviour factors' scores", *path, evaluator=role.evaluator),
                     source=src, inputs=[_in("evaluator", role.evaluator)],
                     calc=" + ".join(parts) + f" = {_pts(total)}" if parts else None, children=kids)

    def total(self, i: int, rid: str, role) -> dict:
        r, b, t = int(self.ind.results[i]), int(self.ind.behaviour[i]), int(self.ind.total[i])
        return _node("total", _pts(t), "points",
                     rule=self.where.rule("total_sum", "results points + behaviour points", "roles", rid,
                                          total_max=role.total_max),
                     source=self.where.source(role.source, "roles", rid),
                     inputs=[_in("results", _pts(r), "points"), _in("behaviour", _pts(b), "points")],
                     calc=f"{_pts(r)} + {_pts(b)} = {_pts(t)}")

    def judgement(self, i: int, role) -> dict:
        j = self.rules.judgements[role.judgement]
        value = {"total": self.ind.total, "results": self.ind.results, "behaviour": self.ind.behaviour}[j.variable][i]
        x = Fraction(int(value), CP)
        k = next((k for k, b in enumerate(j.bands) if b.interval.contains(x)), None)
        band = j.bands[k] if k is not None else None
        return _node("judgement", self.ind.judgement_label[i], None, label=j.label,
                     rule=self.where.rule("judgement_band", f"the band of {j.variable} in which the value falls",
                                          "judgements", j.id, "bands", *(() if k is None else (k,)),
                                          variable=j.variable, interval=band.interval.text if band else None,
                                          band=band.id if band else None),
                     source=self.where.source(j.source, "judgements", j.id),
                     inputs=[_in(j.variable, _pts(int(value)), "points")],
                     calc=f"{j.variable} {_pts(int(value))} ∈ {band.interval.text} → {band.label}" if band else None)

    def negative(self, i: int, rid: str, role) -> dict:
        b = int(self.ind.behaviour[i])
        neg = bool(self.ind.negative[i])
        thr = role.negative_below
        return _node("negative", neg, None,
                     rule=self.where.rule("negative_threshold", f"negative when behaviour points are below {_dec(thr)}",
                                          "roles", rid, "negative", "behaviour_below", below=thr),
                     source=self.where.source(role.negative_source, "roles", rid, "negative"),
                     inputs=[_in("behaviour", _pts(b), "points"), _in("below", _dec(thr), "points")],
                     calc=f"{_pts(b)} {'<' if neg else '≥'} {_dec(thr)}")

    # -- payout -----------------------------------------------------------------
    def payout_factor(self, i: int, cid: str) -> dict:
        curve = self.rules.curves[cid]
        names = self.names()
        x = names[curve.variable].fractions()[i]
        k = next((k for k, s in enumerate(curve.segments) if s.interval.contains(x)), None)
        f = self.pay.factor.fractions()[i]
        seg = curve.segments[k] if k is not None else None
        shown = _dec(x, 2)
        calc = None
        if seg:
            sub = _substitute(seg.value, {curve.variable: shown})
            calc = f"{curve.variable} {shown} ∈ {seg.interval.text} → {sub}" + (f" = {_dec(f)}" if sub != _dec(f) else "") \
                + f" = {_dec(f * 100)}%"
        return _node("payout_factor", _dec(f * 100), "percent", label=curve.label,
                     rule=self.where.rule("curve_interval", f"the value of the payout curve in the interval of {curve.variable}",
                                          "curves", cid, "intervals", *(() if k is None else (k,)),
                                          curve=cid, interval=seg.interval.text if seg else None,
                                          formula=seg.value if seg else None),
                     source=self.where.source(curve.source, "curves", cid),
                     inputs=[_in(curve.variable, shown, "points")], calc=calc)

    def coefficient(self, i: int, coid: str, value: Fraction | None = None) -> dict:
        co = self.rules.coefficients[coid]
        names = self.names()
        if co.parts:  # a product of coefficients: one node per factor
            kids = []
            for part in co.parts:
                f = self.rules.coefficients[part].formula
                one = {n: names[n][i:i + 1] for n in names if n in _names_in(f)}
                kids.append(self.coefficient(i, part, formula.evaluate(f, one, 1).fractions()[0]))
            c = self.pay.coefficient.fractions()[i]
            shown = " × ".join(str(k["value"]) for k in kids)
            return _node("coefficient", _dec(c), "fraction", label=co.label,
                         rule=self.where.rule("coefficient_product", f"product of {', '.join(co.parts)}",
                                              formula=co.formula,
                                              parts=[k["label"] or p for k, p in zip(kids, co.parts)]),
                         source=self.where.source(co.source, "coefficients", co.parts[0]),
                         inputs=[_in(k["label"] or p, k["value"], "fraction") for k, p in zip(kids, co.parts)],
                         calc=f"{shown} = {_dec(c)}", children=kids)
        used = [n for n in names if n in _names_in(co.formula)]
        vals = {n: _dec(names[n].fractions()[i], 2 if n in POINTS else None) for n in used}
        c = self.pay.coefficient.fractions()[i] if value is None else value
        kids = []
        if "presence_days" in used:
            kids.append(self.presence(i))
        return _node("coefficient", _dec(c), "fraction", label=co.label,
                     rule=self.where.rule("coefficient_formula", f"formula {co.formula}", "coefficients", coid, "formula",
                                          formula=co.formula),
                     source=self.where.source(co.source, "coefficients", coid),
                     inputs=[_in(n, vals[n], "days" if n == "presence_days" else "fraction") for n in used],
                     calc=_with_result(co.formula, vals, _dec(c)), children=kids)

    def presence(self, i: int) -> dict:
        days, per = self.effective_days()
        raw = int(np.asarray(self.staff["presence_days"], dtype=np.int64)[i])
        parts = [_pts(raw)]
        inputs = [_in("presence_days", _pts(raw), "days")]
        src = None
        for typ, d, neutral in per.get(i, []):
            at = self.rules.absence_types[typ]
            inputs.append(_in(f"absence {at.label}", _pts(d), "days"))
            if neutral:
                parts.append(f"{_pts(d)} ({at.label})")
                src = src or self.where.source(at.source, "absence_types", typ)
        if src is None:  # no neutral absence for this person: cite the rule that would have counted one
            first = next((t for t, a in self.rules.absence_types.items() if a.neutral), None)
            if first is not None:
                src = self.where.source(self.rules.absence_types[first].source, "absence_types", first)
        calc = " + ".join(parts) + f" = {_pts(int(days[i]))}" if len(parts) > 1 else None
        not_counted = [self.rules.absence_types[t].label for t, _, n in per.get(i, []) if not n]
        return _node("presence_days", _pts(int(days[i])), "days",
                     rule=self.where.rule("effective_presence", "presence days + days of absences that count as presence "
                                          "(neutral absence types)", "absence_types",
                                          neutral=[t for t, a in self.rules.absence_types.items() if a.neutral]),
                     source=src, inputs=inputs, calc=calc,
                     note=_note("not_counted", "not counted as presence: " + ", ".join(not_counted), absences=not_counted)
                     if not_counted else None)

    def theoretical(self, i: int, rid: str, fid: str) -> dict:
        fund = self.rules.funds[fid]
        th = int(self.pay.theoretical[i])
        src = self.where.source(fund.source, "funds", fid)
        if fund.method == "per_person":
            missing = self.staff.missing.get("theoretical_premium")
            if missing is not None and bool(missing[i]):
                cat = as_objects(self.staff["category"])[i]
                return _node("theoretical", _eur(th), "euro", label=fund.label,
                             rule=self.where.rule("theoretical_category", f"the amount of category {cat} (categories table)",
                                                  "funds", fid, "theoretical", category=cat),
                             source=src, inputs=[_in("category", cat)])
            return _node("theoretical", _eur(th), "euro", label=fund.label,
                         rule=self.where.rule("theoretical_person", "the person's theoretical premium (staff table)",
                                              "funds", fid, "theoretical"),
                         source=src)
        res = self.ds.table("resources")
        pool = dict(zip(as_objects(res["resource"]), (int(x) for x in res["amount"]))).get(fund.resource, 0)
        share = next((s for s in fund.shares if s[0] == rid), None)
        pct, split = (share[1], share[2]) if share else (Fraction(0), "equal")
        k = self.ind.role_ids.index(rid)
        members = [j for j in range(len(self.ids)) if int(self.ind.role_index[j]) == k and self.pay.fund[j] == fid]
        if split == "pool_share":
            ws = {j: Fraction(self.staff["pool_share"][j]) for j in members}
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
                     rule=self.where.rule("theoretical_pool", f"share of the pool {fund.resource}: {_dec(pct)}% to role "
                                          f"{rid}, split {split}", "funds", fid, "theoretical", "shares", rid,
                                          percent=pct, split=split, people=len(members)),
                     source=src, inputs=[_in("pool", _eur(pool), "euro"), _in("percent", _dec(pct), "percent"),
                                         _in("people", len(members), "people")], calc=calc, note=note)

    def premium(self, i: int, fid: str) -> dict:
        th = int(self.pay.theoretical[i])
        f = self.pay.factor.fractions()[i]
        c = self.pay.coefficient.fractions()[i]
        exact = Fraction(th, 100) * f * c
        p = int(self.pay.premium[i])
        calc = f"{_eur(th)} × {_dec(f)} × {_dec(c)} = {_dec(exact)}"
        if exact != Fraction(p, 100):
            calc += f" → {_eur(p)}"
        fund = self.rules.funds[fid]
        money = self.where.source(self.rules.money_source, "money")
        return _node("premium", _eur(p), "euro", label=fund.label,
                     rule=self.where.rule("premium", f"theoretical × payout factor × coefficient, rounded {self.money_mode} "
                                          "to the cent", "money", "rounding", rounding=self.money_mode),
                     source=self.where.source(fund.source, "funds", fid),
                     inputs=[_in("theoretical", _eur(th), "euro"), _in("payout_factor", _dec(f), "fraction"),
                             _in("coefficient", _dec(c), "fraction")],
                     calc=calc, children=[_node("rounding", _eur(p), "euro",
                                                rule=self.where.rule("money_rounding", f"rounded {self.money_mode} to the cent",
                                                                     "money", "rounding", rounding=self.money_mode),
                                                source=money, inputs=[_in("exact", _dec(exact), "euro")],
                                                calc=f"{_dec(exact)} → {_eur(p)}")])

    def maggiorazione(self, i: int, mid: str, m) -> dict:
        ind, pay, w = self.ind, self.pay, self.where
        src = w.source(m.source, "maggiorazioni", mid)
        ks = [ind.role_ids.index(r) for r in m.roles if r in ind.role_ids]
        pop = np.flatnonzero(np.isin(ind.role_index, ks) & ind.scored)
        names = {k: v[pop] for k, v in self.names().items()}
        eligible = np.asarray(formula.evaluate(m.eligible, names, len(pop)), dtype=bool)
        pos = int(np.flatnonzero(pop == i)[0])
        el = pop[eligible]
        key = {k: v[eligible] for k, v in names.items()}
        rank_vals = key[m.rank_by].fractions() if len(el) else []
        breakers = [key[b].fractions() for b in m.tie_breaker] if len(el) else []
        # stable: staff order among equals; break_by: the declared quantities after rank_by, higher first
        order = sorted(range(len(el)), key=lambda j: (-rank_vals[j], *(-b[j] for b in breakers)))
        quota = round_fraction(m.quota_percent * len(el) / 100, 1, m.quota_rounding)
        info = next((x for x in pay.maggiorazione_info if x.get("id") == mid), {})
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
        ties = [self.ids[int(el[j])] for j in order if rank_vals[j] == rank_vals[me] and int(el[j]) != i]
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
                          rule=w.rule("maggiorazione_amount", f"amount {m.amount}, rounded {self.money_mode} to the cent;"
                                      f" if resources are short: {m.shortfall}", "maggiorazioni", mid, "amount",
                                      formula=m.amount, shortfall=m.shortfall, rounding=self.money_mode),
                          source=src, inputs=inputs, calc=acalc, note=anote))
        got = amount > 0 or bool(recipients and place <= recipients and not straddles)
        return _node("maggiorazione", value, "euro", label=m.label,
                     rule=w.rule("maggiorazione", "paid to the recipients" if got else "not among the recipients",
                                 "maggiorazioni", mid, outcome="recipient" if got else "not_recipient"),
                     source=src, children=kids)

    def paid(self, i: int) -> dict:
        p, m = int(self.pay.premium[i]), int(self.pay.maggiorazione[i])
        return _node("paid", _eur(p + m), "euro",
                     rule=self.where.rule("paid", "premium + maggiorazione"),
                     inputs=[_in("premium", _eur(p), "euro"), _in("maggiorazione", _eur(m), "euro")],
                     calc=f"{_eur(p)} + {_eur(m)} = {_eur(p + m)}")


POINTS = {"total", "results", "behaviour"}


def _with_result(expr: str, values: dict[str, str], result: str) -> str:
    """``formula = formula with numbers = result`` (without repeating what is already shown)."""
    sub = _substitute(expr, values)
    parts = [expr.replace("*", "×")] if values else []
    if sub not in parts:
        parts.append(sub)
    if result not in parts:
        parts.append(result)
    return " = ".join(parts)


def _names_in(expr: str) -> set[str]:
    try:
        return {t.string for t in tokenize.generate_tokens(io.StringIO(expr).readline) if t.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError):
        return set()
