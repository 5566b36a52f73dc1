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

Layout: this module walks the person (:func:`explain`); the score nodes are built in
:mod:`smvp_engine.explain_scores`, the payout nodes in :mod:`smvp_engine.explain_payout`,
both from what :class:`smvp_engine.explain_nodes.TraceContext` reads of the evaluation.
"""


from __future__ import annotations

from typing import Any

from .columns import as_objects
from .explain_nodes import TraceContext, _eur, _in, _node, _note, walk
from .explain_payout import PayoutTrace
from .explain_scores import ScoreTrace

__all__ = ["PersonNotFound", "explain", "walk"]


class PersonNotFound(KeyError):
    """No such person in the evaluation (``known``: a few ids that exist)."""

    def __init__(self, person_id: str, known: list[str]):
        super().__init__(person_id)
        self.person_id = person_id
        self.known = known

    def __str__(self) -> str:
        return f"no person {self.person_id!r} in this evaluation"



def explain(ev: Any, person_id: str) -> dict:
    """The trace of ``person_id``'s calculation in ``ev`` (an Evaluation).

    Raises:
        PersonNotFound: no such person in the dataset evaluated.
    """
    return _person(TraceContext(ev), str(person_id))


def _person(c: TraceContext, pid: str) -> dict:
    """The trace of person ``pid`` (see the module's docstring)."""
    scores, payout = ScoreTrace(c), PayoutTrace(c)
    if pid not in c.ids:
        raise PersonNotFound(pid, c.ids[:10])
    i = c.ids.index(pid)
    ind, pay = c.ind, c.pay
    rid = ind.role_ids[int(ind.role_index[i])]
    role = c.rules.roles[rid]
    names = as_objects(c.staff["name"])
    units = as_objects(c.staff["unit_id"])
    root_inputs = [_in("person_id", pid), _in("role", role.label), _in("unit_id", units[i]),
                   _in("year", c.ev.year), _in("chamber", c.rules.chamber_name)]
    paid = int(pay.premium[i] + pay.maggiorazione[i]) if pay.fund[i] is not None else None
    root = _node("person", _eur(paid) if paid is not None else None, "euro" if paid is not None else None,
                 label=names[i] or pid, inputs=root_inputs,
                 source=c.where.source(role.source, "roles", rid),
                 rule=c.where.rule("role", f"the rules of role {role.label!r}", "roles", rid, role=rid,
                                   label=role.label))
    if not bool(ind.scored[i]):
        root["note"] = _note("not_scored", "not scored: the source does not define " + "; ".join(map(str, role.undefined)),
                             undefined=list(role.undefined))
        root["children"].append(_node("not_scored", None, note=root["note"],
                                      source=c.where.source(role.source, "roles", rid)))
        return root
    kids = root["children"]
    results = scores.results(i, rid, role)
    behaviour = scores.behaviour(i, rid, role)
    kids += [results, behaviour, scores.total(i, rid, role)]
    if role.judgement:
        kids.append(scores.judgement(i, role))
    if role.negative_below is not None:
        kids.append(scores.negative(i, rid, role))
    if role.payout and pay.fund[i] is not None:
        fid, cid, coid = role.payout
        kids += [payout.payout_factor(i, cid), payout.coefficient(i, coid), payout.theoretical(i, rid, fid),
                 payout.premium(i, fid)]
        for mid, m in c.rules.maggiorazioni.items():
            if rid in m.roles:
                kids.append(payout.maggiorazione(i, mid, m))
        kids.append(payout.paid(i))
    return root
