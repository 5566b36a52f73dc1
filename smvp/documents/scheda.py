"""La scheda di valutazione: one sheet per person of a stored run.

The layout comes from the profile, never from the chamber: the role's results
components with their maximum points (Cuneo's "/15, /45, /20"), the behaviour
factors with their scale ("da 0 a 5") and score, the total, the judgement, the
negative-evaluation threshold, the payout curve and coefficient and the gross
amount (Cuneo SMVP 2024, Appendice, "Scheda di valutazione della performance").

* **Date and review term.** The sheet is dated (``--date``, default today) and
  shows the last day to ask for a review, computed from the conciliation steps
  of the profile stored with the run on the Chamber's calendar
  (``smvp_engine.deadlines``, as ``smvp conciliation``): Cuneo §3.4 "nel
  termine di 10 giorni dalla data posta sulla stessa". A profile without a
  procedure, or a step without a term, is said so — no term is invented.
* **Signatures.** The evaluator's signature and the person's "per presa
  visione" (§3.4: without agreement the sheet is signed by the evaluator only
  and by the person "unicamente per presa visione").
* **Motivation.** A negative judgement (the role's ``negative`` threshold, or
  the lowest band of the role's judgement) gets the written-motivation field
  (§3.1 "In caso di giudizio finale individuale negativo … motiva per iscritto").
* **No payout.** A role without ``payout`` in the profile gets no money
  section; the sheet prints why, from the profile's ``not_defined`` entries
  with ``concerns: [payout]`` (Cremona, Brescia, Lucca).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from smvp.documents import render as r
from smvp.documents.runs import RunDocument
from smvp.i18n import Words, say

TEMPLATE = "scheda.html.j2"

TEXTS = Words("scheda", "doc", "")  # catalogue: scheda.*, then the shared words


def _t(lang: str):
    return r.translator(TEXTS, lang)


def _num(value: Any) -> Decimal | None:
    """A profile number (Fraction) as an exact Decimal for display (None stays None)."""
    if value is None:
        return None
    from fractions import Fraction

    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value))


def _source(src: Any) -> str | None:
    if src is None:
        return None
    return f"{src.document}, {src.section}"


def _trace(doc: RunDocument, person: str) -> dict:
    from smvp_engine.explain import explain

    return explain(doc.evaluation, person)


def _child(node: dict, key: str) -> list[dict]:
    return [c for c in node["children"] if c["key"] == key]


def _input(node: dict, name: str) -> Any:
    return next((i["value"] for i in node["inputs"] if i["name"] == name), None)


def _is_negative(row: dict, role: Any, rules: Any) -> bool:
    """Negative: the role's behaviour threshold, or the lowest band of the role's judgement."""
    if row.get("negative"):
        return True
    jid = role.judgement
    if jid and row.get("judgement") and jid in rules.judgements:
        bands = rules.judgements[jid].bands
        lowest = min(bands, key=lambda b: (b.interval.lo, not b.interval.lo_closed)) if bands else None
        return lowest is not None and row.get("judgement") == lowest.id
    return False


def _review(doc: RunDocument, role: Any, sheet_date: dt.date, lang: str) -> dict[str, Any]:
    """The review request's term(s) from the conciliation procedure stored with the run."""
    from smvp import conciliation as cases

    t = _t(lang)
    data = doc.profile.data.get("conciliation") or {}
    out: dict[str, Any] = {"date": sheet_date, "steps": [], "decides": role.evaluator,
                           "conciliator": ((data.get("conciliator") or {}).get("label")
                                           if isinstance(data, dict) else None),
                           "source": None, "none": None}
    src = data.get("source") if isinstance(data, dict) else None
    if src:
        out["source"] = f"{src.get('document')}, {src.get('section')}"
    try:
        proc = cases.run_procedure(doc.run)
    except cases.CaseProblem as exc:
        reading = data.get("reading") if isinstance(data, dict) else None
        out["none"] = t("review_none") + (f" {say(reading, lang)}" if reading else (f" {exc.hint}" if exc.hint else ""))
        return out
    for row in proc.schedule({proc.base_event: sheet_date}):
        if row.from_event != proc.base_event:
            continue
        label = proc.label(row.step)
        if row.deadline is None:
            out["steps"].append({"text": t("review_no_term", step=label), "due": None, "why": None,
                                 "optional": proc.optional(row.step)})
            continue
        d = row.deadline
        due_text = r.long_date(d.due, lang)
        if d.days is not None and d.start is not None:
            why = t("term_days", days=d.days, start=r.long_date(d.start, lang))
        else:
            why = say(d.explain(), lang)
        if d.moved:
            why += "; " + t("term_moved", nominal=r.long_date(d.nominal, lang), why=say(d.reason, lang))
        out["steps"].append({"text": t("review_by", step=label, due=due_text), "due": d.due,
                             "why": why, "optional": proc.optional(row.step)})
    return out


def _no_money_reasons(doc: RunDocument, lang: str) -> list[dict[str, str]]:
    out = []
    for nid, nd in (doc.profile.data.get("not_defined") or {}).items():
        if "payout" in (nd.get("concerns") or []):
            src = nd.get("source") or {}
            out.append({"label": str(nd.get("label") or nid), "reading": say(nd.get("reading") or "", lang),
                        "source": f"{src.get('document')}, {src.get('section')}"})
    return out


def model(doc: RunDocument, person: str, sheet_date: dt.date, lang: str) -> dict[str, Any]:
    """Everything one sheet shows, as plain data (Decimal points and euro, dates).

    Raises UsageProblem for an unknown person.
    """
    t = _t(lang)
    row = doc.row(person)
    rules = doc.rules
    role = rules.roles[row["role"]]
    trace = _trace(doc, person)
    scored = row.get("total") is not None

    # A) results: one line per component of the role, in the profile's order
    results_node = next(iter(_child(trace, "results")), None)
    comp_nodes = {c["label"]: c for c in (results_node or {"children": []})["children"]}
    components = []
    for c in role.components:
        if not c.counts:  # reported, not counted (counts: false): its grado, no points
            components.append({"label": c.label, "max": None, "points": None, "reported": True,
                               "achievement": r.dec((row.get("reported") or {}).get(c.id))})
            continue
        node = comp_nodes.get(c.label)
        ach = _input(node, "achievement") if node else None
        components.append({"label": c.label, "max": _num(c.max), "points": (row.get("components") or {}).get(c.id),
                           "achievement": r.dec(ach), "reported": False})
    counted = [c for c in role.components if c.counts]
    results_max = (sum((_num(c.max) or Decimal(0) for c in counted), Decimal(0))
                   if counted and all(c.max is not None for c in counted) else None)

    # B) behaviours
    beh_node = next(iter(_child(trace, "behaviour")), None)
    scores = {f["label"]: f["value"] for f in (beh_node or {"children": []})["children"]}
    factors = [{"label": f.label, "max": _num(f.max), "score": r.dec(scores.get(f.label)),
                "scale": (t("per_person_scale") if f.max is None and role.per_person_scale
                          else None)} for f in role.factors]
    behaviour_max = (sum((_num(f.max) or Decimal(0) for f in role.factors), Decimal(0))
                     if role.factors and all(f.max is not None for f in role.factors) else None)

    judgement = None
    if role.judgement and role.judgement in rules.judgements:
        judgement = rules.judgements[role.judgement]
    negative = scored and _is_negative(row, role, rules)

    money = None
    no_money = None
    if role.payout:
        fund_id, curve_id, coef_id = role.payout
        mags = [m for m in rules.maggiorazioni.values() if role.id in m.roles]
        money = {
            "fund": rules.funds[fund_id].label if fund_id in rules.funds else fund_id,
            "curve": rules.curves[curve_id].label if curve_id in rules.curves else curve_id,
            "curve_source": _source(rules.curves[curve_id].source) if curve_id in rules.curves else None,
            "payout_percent": row.get("payout_percent"),
            "coefficient_label": (rules.coefficients[coef_id].label if coef_id in rules.coefficients
                                  else coef_id),
            "coefficient": row.get("coefficient"),
            "theoretical": row.get("theoretical"),
            "premium": row.get("premium"),
            "maggiorazione": row.get("maggiorazione") if mags else None,
            "maggiorazione_label": mags[0].label if mags else None,
            "paid": row.get("paid"),
        }
    else:
        no_money = {"text": t("no_money_why"), "reasons": _no_money_reasons(doc, lang)}

    unit = row.get("unit_id")
    unit_label = doc.units.get(str(unit)) if unit else None
    ctx = {
        "t": t,
        "head": r.header(doc, t("title_role", role=role.label), lang),
        "person": {"name": row.get("name") or "", "id": person, "role": role.label,
                   "unit": f"{unit_label} ({unit})" if unit_label else (unit or "")},
        "evaluator": role.evaluator,
        "scored": scored,
        "not_scored": None if scored else t("not_scored", what="; ".join(
            u.split(": ", 1)[0] for u in role.undefined) or "—"),
        "components": components,
        "results": row.get("results"),
        "results_max": results_max,
        "results_source": _source(role.results_source),
        "factors": factors,
        "behaviour": row.get("behaviour"),
        "behaviour_max": behaviour_max,
        "behaviours_source": _source(role.behaviours_source),
        "total": row.get("total"),
        "total_max": _num(role.total_max),
        "judgement": row.get("judgement_label"),
        "judgement_title": judgement.label if judgement else None,
        "judgement_source": _source(judgement.source) if judgement else None,
        "negative": negative,
        "negative_flag": row.get("negative"),
        "negative_rule": (t("negative_rule", below=r.format_points(_num(role.negative_below), lang))
                          if role.negative_below is not None else None),
        "negative_source": _source(role.negative_source),
        "money": money,
        "no_money": no_money,
        "review": _review(doc, role, sheet_date, lang),
        "revised": t("revised", n=doc.revisions) if doc.revisions else None,
    }
    cited = [ctx["results_source"], ctx["behaviours_source"], ctx["judgement_source"],
             ctx["negative_source"], (money or {}).get("curve_source"), ctx["review"]["source"],
             *[x["source"] for x in (no_money or {}).get("reasons", [])]]
    ids = {str(c).split(",", 1)[0] for c in cited if c}
    ctx["documents"] = {k: v for k, v in doc.sources_titles().items() if k in ids}
    return ctx



def html(doc: RunDocument, person: str, sheet_date: dt.date, lang: str,
         template: str | None = None) -> str:
    """The sheet of ``person`` as a complete HTML page (one A4 page when printed)."""
    ctx = model(doc, person, sheet_date, lang)
    if template is not None:
        return r.from_string(template, lang).render(**ctx)
    return r.render(TEMPLATE, lang, **ctx)


def people(doc: RunDocument) -> list[str]:
    return [str(row.get("person_id")) for row in doc.rows]
