"""The scores part of a person's trace (:mod:`smvp_engine.explain`): results (components, the
achievement of their objectives, objectives and indicators), behaviour, total, judgement and
negative evaluation — each value the engine's, with the rule, inputs and source behind it.
"""


from __future__ import annotations

from fractions import Fraction
from typing import Any

from .columns import as_objects
from .exact import round_fraction
from .explain_nodes import (
    CP,
    TraceContext,
    _dec,
    _in,
    _node,
    _note,
    _pts,
)
from .profile import INDIVIDUAL_LEVEL


class ScoreTrace:
    """The score nodes of one person ``i`` of the evaluation ``c`` reads."""

    def __init__(self, c: TraceContext):
        self.c = c

    def _band_note(self, r) -> dict | None:
        """The achievement band an indicator fell in and what it counts (the same choice as
        organisational.evaluate: a band's ``counts_as`` applies on indicators, or where the ratio
        is not finite); None without bands."""
        band = next((b for b in self.c.rules.achievement_bands if r is not None and b.id == r.status), None)
        if band is None:
            return None
        if band.counts_as is not None and ("indicators" in self.c.rules.bands_apply_to or r.measured is None):
            return _note("band_counts", f"{band.label}: counts {_dec(band.counts_as)}%", band=band.label,
                         counts=_dec(band.counts_as))
        return _note("band_ratio", f"{band.label}: counts the ratio", band=band.label)

    def _objectives_of(self, i: int, rid: str, comp) -> tuple[str, list[tuple[Any, Fraction]], str]:
        """The objectives behind a component's achievement for person ``i``: (rule id, [(objective, weight)], scope)."""
        org = self.c.org
        pid = self.c.ids[i]
        asg = self.c.ds.table("assignments")
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
        if comp.level == self.c.rules.level_ids[0]:
            return "top_achievement", [(o, o.weight) for o in org.objectives.values() if o.level == comp.level], comp.level
        units = self.c.ds.table("units")
        parent = dict(zip(as_objects(units["unit_id"]), as_objects(units["parent_id"])))
        level = dict(zip(as_objects(units["unit_id"]), as_objects(units["level"])))
        cur, seen = as_objects(self.c.staff["unit_id"])[i], set()
        while cur is not None and cur not in seen and level.get(cur) != comp.level:
            seen.add(cur)
            cur = parent.get(cur)
        return "unit_achievement", [(o, o.weight) for o in org.objectives.values()
                                    if o.level == comp.level and (o.unit_id or "") == (cur or "")], cur or "?"

    def objective(self, o) -> dict:
        w = self.c.where
        calc: str | None
        src = w.source(self.c.rules.achievement_source, "organisational", "achievement")
        inputs = [_in("weight", _dec(o.weight)), _in("level", o.level)]
        if o.unit_id:
            inputs.append(_in("unit_id", o.unit_id))
        if o.attested:
            return _node("objective", self.c.pct(o.achievement), "percent", label=f"{o.label} ({o.objective_id})",
                         rule=w.rule("objective_attested", "the attested value (validated), which overrides the indicators",
                                     "organisational", "achievement", note=o.note),
                         source=src, inputs=inputs + [_in("attestation_note", o.note)],
                         note=_note("attested", "attested value: the indicators are not used", note=o.note)
                         if o.indicators else None)
        inds = self.c.ds.table("indicators")
        rows = {str(k): j for j, k in enumerate(as_objects(inds["indicator_id"]))}
        labels = as_objects(inds["label"])
        dirs = as_objects(inds["direction"])
        kids, parts, wsum, acc = [], [], Fraction(0), Fraction(0)
        results = {r.indicator_id: r for r in self.c.org.indicators if r.objective_id == o.objective_id}
        for iid, ach, how in o.indicators:
            j = rows.get(str(iid))
            target = Fraction(inds["target"][j]) if j is not None else None
            actual = Fraction(inds["actual"][j]) if j is not None else None
            weight = Fraction(inds["weight"][j]) if j is not None else Fraction(1)
            wsum += weight
            acc += weight * ach
            parts.append((weight, self.c.pct(ach)))
            if j is not None and target is not None and dirs[j] == "lower" and actual:
                ratio, expr = target / actual * 100, f"{_dec(target)} / {_dec(actual)} × 100"
            elif j is not None and actual is not None and target:
                ratio, expr = actual / target * 100, f"{_dec(actual)} / {_dec(target)} × 100"
            else:
                ratio, expr = None, how
            calc = f"{expr} = {_dec(ratio)}" if ratio is not None else expr
            if ratio is not None and round_fraction(ratio, self.c.scale, self.c.mode) != ach:
                capped = self.c.rules.achievement_cap
                if capped is not None and ratio > capped:
                    calc += f"; min({_dec(ratio)}, {_dec(capped)})"
                calc += f" → {self.c.pct(ach)}"
            else:
                calc += f" → {self.c.pct(ach)}"
            kids.append(_node(
                "indicator", self.c.pct(ach), "percent", label=f"{labels[j] or iid} ({iid})" if j is not None else str(iid),
                rule=w.rule("indicator_ratio", how, "organisational", "achievement",
                            cap=self.c.rules.achievement_cap, decimals=self.c.ach_digits, rounding=self.c.mode,
                            direction=dirs[j] if j is not None else None),
                source=src, calc=calc, note=self._band_note(results.get(str(iid))),
                inputs=[_in("target", _dec(target)), _in("actual", _dec(actual)),
                        _in("direction", dirs[j]), _in("weight", _dec(weight))]
                if j is not None and target is not None and actual is not None else []))
        note = None
        if wsum:
            mean = acc / wsum
            text = " + ".join(f"{_dec(wt)} × {a}" for wt, a in parts)
            calc = f"({text}) / {_dec(wsum)} = {_dec(mean / self.c.scale)} → {self.c.pct(o.achievement)}" if len(parts) > 1 \
                else f"{parts[0][1]}"
            if round_fraction(mean, 1, self.c.mode) != o.achievement:
                note = _note("rebuilt", "the engine's value also weighs linked objectives or status bands: see the profile")
        else:
            calc = None
        return _node("objective", self.c.pct(o.achievement), "percent", label=f"{o.label} ({o.objective_id})",
                     rule=w.rule("objective_indicators", "weighted mean of the objective's indicators",
                                 "organisational", "achievement", rounding=self.c.mode),
                     source=src, inputs=inputs, calc=calc, note=note, children=kids)

    def results(self, i: int, rid: str, role) -> dict:
        w = self.c.where
        kids, parts = [], []
        for c in role.components:
            key = f"{rid}.{c.id}"
            pts = int(self.c.ind.components[key][i])
            ach = int(self.c.ind.component_achievement[key][i])
            parts.append(_pts(pts))
            kids.append(self.component(i, rid, role, c, pts, ach))
        total = int(self.c.ind.results[i])
        return _node("results", _pts(total), "points",
                     rule=w.rule("results_sum", "sum of the points of the results components", "roles", rid, "results"),
                     source=w.source(role.results_source, "roles", rid, "results"),
                     calc=" + ".join(parts) + f" = {_pts(total)}" if parts else None, children=kids)

    def component(self, i: int, rid: str, role, c, pts: int, ach: int) -> dict:
        w = self.c.where
        mx = c.max or Fraction(0)
        path = ("roles", rid, "results", "components", c.id)
        src = w.source(c.source or role.results_source, *path)
        rule = w.rule("component_points", f"maximum points × achievement / 100, rounded {self.c.mode} to "
                      f"{self.c.rules.points_decimals} decimals", *path, "max", max=mx, level=c.level,
                      decimals=self.c.rules.points_decimals, rounding=self.c.mode)
        if ach < 0:
            return _node("component", _pts(pts), "points", label=c.label, rule=rule, source=src,
                         inputs=[_in("max", _dec(mx), "points")],
                         note=_note("no_objectives", f"no objectives of level {c.level} for the person's unit: "
                                    f"{_pts(pts)} points", level=c.level, points=_pts(pts)))
        exact = mx * Fraction(ach, self.c.scale) / 100
        calc = f"{_dec(mx)} × {self.c.pct(ach)} / 100 = {_dec(exact)}"
        calc += f" → {_pts(pts)}" if exact != Fraction(pts, CP) else ""
        rid_ach, objs, scope = self._objectives_of(i, rid, c)
        level_label = dict(self.c.rules.levels).get(c.level, c.level)
        okids = [self.objective(o) for o, _ in objs]
        wsum = sum((wt for _, wt in objs), Fraction(0))
        note = None
        if objs and wsum:
            mean = sum((wt * o.achievement for o, wt in objs), Fraction(0)) / wsum
            text = " + ".join(f"{_dec(wt)} × {self.c.pct(o.achievement)}" for o, wt in objs)
            acalc = (f"({text}) / {_dec(wsum)} = {_dec(mean / self.c.scale)}" if len(objs) > 1
                     else f"{self.c.pct(objs[0][0].achievement)}")
            if round_fraction(mean, 1, self.c.mode) != ach:
                note = _note("rebuilt", "rebuilt from the objectives listed; the engine's value is shown")
            elif len(objs) > 1 and mean != ach:
                acalc += f" → {self.c.pct(ach)}"
        else:
            acalc = None
        scope_text = {"top_achievement": f"all objectives of level {level_label}",
                      "individual_achievement": f"the objectives assigned to {scope}",
                      "assigned_achievement": "the objectives assigned in the assignments table",
                      "unit_achievement": f"the objectives of {level_label} {scope}"}[rid_ach]
        achievement = _node("achievement", self.c.pct(ach), "percent", label=f"{level_label} {scope}".strip()
                            if rid_ach == "unit_achievement" else level_label,
                            rule=w.rule(rid_ach, f"weighted mean of {scope_text}", *path, "objectives",
                                        level=c.level, level_label=level_label, scope=scope, rounding=self.c.mode),
                            source=w.source(self.c.rules.achievement_source, "organisational", "achievement"),
                            calc=acalc, note=note, children=okids)
        return _node("component", _pts(pts), "points", label=c.label, rule=rule, source=src,
                     inputs=[_in("max", _dec(mx), "points"), _in("achievement", self.c.pct(ach), "percent")],
                     calc=calc, children=[achievement])

    def behaviour(self, i: int, rid: str, role) -> dict:
        w = self.c.where
        beh = self.c.ds.table("behaviours")
        scores = {f: int(s) for p, f, s in zip(as_objects(beh["person_id"]), as_objects(beh["factor"]), beh["score"])
                  if str(p) == self.c.ids[i]}
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
        total = int(self.c.ind.behaviour[i])
        return _node("behaviour", _pts(total), "points",
                     rule=w.rule("behaviour_sum", "sum of the behaviour factors' scores", *path, evaluator=role.evaluator),
                     source=src, inputs=[_in("evaluator", role.evaluator)],
                     calc=" + ".join(parts) + f" = {_pts(total)}" if parts else None, children=kids)

    def total(self, i: int, rid: str, role) -> dict:
        r, b, t = int(self.c.ind.results[i]), int(self.c.ind.behaviour[i]), int(self.c.ind.total[i])
        return _node("total", _pts(t), "points",
                     rule=self.c.where.rule("total_sum", "results points + behaviour points", "roles", rid,
                                          total_max=role.total_max),
                     source=self.c.where.source(role.source, "roles", rid),
                     inputs=[_in("results", _pts(r), "points"), _in("behaviour", _pts(b), "points")],
                     calc=f"{_pts(r)} + {_pts(b)} = {_pts(t)}")

    def judgement(self, i: int, role) -> dict:
        j = self.c.rules.judgements[role.judgement]
        value = {"total": self.c.ind.total, "results": self.c.ind.results, "behaviour": self.c.ind.behaviour}[j.variable][i]
        x = Fraction(int(value), CP)
        k = next((k for k, b in enumerate(j.bands) if b.interval.contains(x)), None)
        band = j.bands[k] if k is not None else None
        return _node("judgement", self.c.ind.judgement_label[i], None, label=j.label,
                     rule=self.c.where.rule("judgement_band", f"the band of {j.variable} in which the value falls",
                                          "judgements", j.id, "bands", *(() if k is None else (k,)),
                                          variable=j.variable, interval=band.interval.text if band else None,
                                          band=band.id if band else None),
                     source=self.c.where.source(j.source, "judgements", j.id),
                     inputs=[_in(j.variable, _pts(int(value)), "points")],
                     calc=f"{j.variable} {_pts(int(value))} ∈ {band.interval.text} → {band.label}" if band else None)

    def negative(self, i: int, rid: str, role) -> dict:
        b = int(self.c.ind.behaviour[i])
        neg = bool(self.c.ind.negative[i])
        thr = role.negative_below
        return _node("negative", neg, None,
                     rule=self.c.where.rule("negative_threshold", f"negative when behaviour points are below {_dec(thr)}",
                                          "roles", rid, "negative", "behaviour_below", below=thr),
                     source=self.c.where.source(role.negative_source, "roles", rid, "negative"),
                     inputs=[_in("behaviour", _pts(b), "points"), _in("below", _dec(thr), "points")],
                     calc=f"{_pts(b)} {'<' if neg else '≥'} {_dec(thr)}")
