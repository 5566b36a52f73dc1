"""The explain trace in words: labels, values, rules, notes and sources of each node, in
Italian (default) or English — shared by ``smvp explain`` (terminal tree, text, JSON) and the
web pages (the person page).

The trace is ``smvp_engine.explain.explain()``'s tree (see ``engine/explain.py`` for the node
format: key, label, value, unit, calc, inputs, rule, source, note, children); nothing here
computes a number, it only words what the engine recorded.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from smvp.i18n import Words, format_decimal, format_money, format_points, localize_numbers, say

# key → (italiano, english)
KEYS = Words("explain.key")  # catalogue: explain.key.*

ROUNDING = {"half_up": ("al più vicino, la metà per eccesso", "half up"), "down": ("per difetto", "down"),
            "up": ("per eccesso", "up")}
TIES = {"exclude_tied": ("esclusi tutti i pari merito", "all tied excluded"),
        "include_tied": ("inclusi tutti i pari merito", "all tied included")}
SPLIT = {"equal": ("in parti uguali", "in equal parts"), "pool_share": ("secondo pool_share", "by pool_share")}
SHORTFALL = {"pro_rata": ("riduzione pro rata", "reduced pro rata"), "error": ("errore", "error")}

RULES_IT: dict[str, str] = {
    "role": "le regole del ruolo {role}",
    "results_sum": "somma dei punti delle componenti dei risultati",
    "component_points": "punti massimi × grado di raggiungimento / 100, arrotondato ({rounding}) a {decimals} decimali",
    "top_achievement": "media ponderata di tutti gli obiettivi di livello {level}",
    "unit_achievement": "media ponderata degli obiettivi dell'unità {scope} (livello {level})",
    "individual_achievement": "media ponderata degli obiettivi individuali",
    "assigned_achievement": "media ponderata degli obiettivi assegnati (tabella assignments)",
    "objective_attested": "valore attestato (validato), che prevale sugli indicatori",
    "objective_indicators": "media ponderata degli indicatori dell'obiettivo",
    "indicator_ratio": "effettivo / target × 100 (target / effettivo se migliora diminuendo){cap}, a {decimals} decimali",
    "factor_score": "punteggio attribuito dal valutatore ({evaluator}) sulla scala 0–{max}",
    "behaviour_sum": "somma dei punteggi dei fattori di comportamento",
    "total_sum": "punti dei risultati + punti dei comportamenti",
    "judgement_band": "la fascia di {variable} in cui cade il valore: {interval}",
    "negative_threshold": "negativa se i punti dei comportamenti sono inferiori a {below}",
    "curve_interval": "la curva di compenso nell'intervallo {interval} vale {formula}",
    "coefficient_formula": "formula {formula}",
    "effective_presence": "giorni di presenza + giorni di assenza che contano come presenza ({neutral})",
    "theoretical_category": "importo della categoria {category} (tabella categories)",
    "theoretical_person": "importo teorico della persona (tabella staff)",
    "theoretical_pool": "quota del fondo comune: {percent}% al ruolo, ripartita {split} tra {people} persone",
    "premium": "importo teorico × percentuale del compenso × coefficiente, arrotondato al centesimo ({rounding})",
    "money_rounding": "arrotondamento al centesimo ({rounding})",
    "maggiorazione": "{outcome}",
    "maggiorazione_eligible": "ammessi se {formula}",
    "maggiorazione_rank": "graduatoria per {rank_by}, dal migliore; al massimo il {quota_percent}% degli ammessi "
                          "(arrotondato {quota_rounding}); parità al taglio: {tie_policy}",
    "maggiorazione_amount": "importo {formula}, arrotondato al centesimo ({rounding}); se le risorse non bastano: {shortfall}",
    "paid": "premio + maggiorazione",
}
OUTCOME = {"recipient": ("spetta: tra i beneficiari", "paid: among the recipients"),
           "not_recipient": ("non spetta: non tra i beneficiari", "not paid: not among the recipients"),
           "not_eligible": ("non spetta: non ammesso", "not paid: not eligible")}

NOTES_IT: dict[str, str] = {
    "not_scored": "non valutato: la fonte non definisce {undefined}",
    "attested": "valore attestato: gli indicatori non sono usati",
    "rebuilt": "valore del motore; il calcolo mostrato non lo riproduce (obiettivi collegati o fasce di stato)",
    "not_counted": "non contano come presenza: {absences}",
    "largest_remainder": "il fondo è ripartito al centesimo col metodo dei resti maggiori, perché le quote diano il totale",
    "tie_at_cut": "a pari merito con {tied} ai posti {places}, a cavallo della quota {quota}: {tie_policy}",
    "tie": "a pari merito con {tied} ai posti {places}",
    "shortfall": "risorse ({resources} €) insufficienti per {recipients} beneficiari: a ciascuno risorse / "
                 "{recipients}, per difetto al centesimo",
}

INPUTS_IT = {
    "max": "punti massimi", "achievement": "raggiungimento", "weight": "peso", "level": "livello", "unit_id": "unità",
    "target": "target", "actual": "effettivo", "direction": "direzione", "scale_max": "scala massima",
    "results": "risultati", "behaviour": "comportamenti", "evaluator": "valutatore", "below": "soglia",
    "total": "punteggio totale", "presence_days": "giorni di presenza", "part_time": "part time",
    "time_coefficient": "coefficiente temporale", "category": "categoria", "pool": "fondo comune",
    "percent": "quota %", "people": "persone", "theoretical": "importo teorico",
    "payout_factor": "percentuale del compenso", "coefficient": "coefficiente", "exact": "valore esatto",
    "eligible": "ammessi", "quota": "quota", "recipients": "beneficiari", "sum(premium)": "somma dei premi",
    "count": "numero", "mean(premium)": "premio medio", "premium": "premio", "maggiorazione": "maggiorazione",
    "person_id": "matricola", "role": "ruolo", "year": "anno", "chamber": "camera",
    "attestation_note": "nota di attestazione",
}

WORDS = Words("explain")  # catalogue: explain.*


def w(key: str, lang: str, **kw: Any) -> str:
    it, en = WORDS[key]
    return (it if lang == "it" else en).format(**kw)


def _pick(table: dict, value: Any, lang: str) -> str:
    pair = table.get(value)
    return str(value) if pair is None else pair[0 if lang == "it" else 1]


# --------------------------------------------------------------------------- wording


def value_text(node: dict, lang: str) -> str:
    v, unit = node["value"], node["unit"]
    if v is None:
        return "—"
    if isinstance(v, bool):
        return w("yes" if v else "no", lang)
    if unit == "points":
        return format_points(Decimal(v), lang) + (" punti" if lang == "it" else " points")
    if unit == "percent":
        return format_decimal(Decimal(v), lang) + (" %" if lang == "it" else "%")
    if unit == "euro":
        return format_money(Decimal(v), lang)
    if unit == "days":
        return format_decimal(Decimal(v), lang) + (" giorni" if lang == "it" else " days")
    if unit == "fraction":
        return format_decimal(Decimal(v.rstrip("…")), lang, grouping=False) + ("…" if v.endswith("…") else "")
    if unit == "rank":
        return f"{v}°" if lang == "it" else f"#{v}"
    return str(v)


def calc_text(node: dict, lang: str) -> str:
    """The node's arithmetic with its numbers in ``lang``'s format (``4,84 + 0,00 = 4,84``);
    the trace's ``calc`` itself stays canonical (dot decimals) for machines."""
    return localize_numbers(node["calc"] or "", lang)


def label_text(node: dict, lang: str) -> str:
    generic = KEYS.get(node["key"], (node["key"], node["key"]))[0 if lang == "it" else 1]
    if node["label"] and node["key"] in ("component", "factor", "objective", "indicator"):
        return node["label"]
    if node["label"] and node["key"] in ("achievement",):
        return f"{generic} — {node['label']}"
    if node["label"] and node["key"] not in ("person",):
        return f"{generic} ({node['label']})"
    return node["label"] or generic


def rule_text(rule: dict | None, lang: str) -> str | None:
    if not rule:
        return None
    if lang != "it" or rule["id"] not in RULES_IT:
        if rule["id"] == "maggiorazione" and rule["params"].get("outcome"):
            return _pick(OUTCOME, rule["params"]["outcome"], lang)
        return rule["text"]
    p = dict(rule["params"])
    for k in ("rounding", "quota_rounding"):
        if k in p:
            p[k] = _pick(ROUNDING, p[k], lang)
    if "tie_policy" in p:
        p["tie_policy"] = _pick(TIES, p["tie_policy"], lang)
    if "split" in p:
        p["split"] = _pick(SPLIT, p["split"], lang)
    if "shortfall" in p:
        p["shortfall"] = _pick(SHORTFALL, p["shortfall"], lang)
    if "outcome" in p:
        p["outcome"] = _pick(OUTCOME, p["outcome"], lang)
    if rule["id"] == "indicator_ratio":
        p["cap"] = f", con tetto {p['cap']}%" if p.get("cap") is not None else ""
    if "neutral" in p:
        p["neutral"] = ", ".join(p["neutral"]) or "nessuna"
    try:
        return RULES_IT[rule["id"]].format_map(_Default(p))
    except (KeyError, ValueError, IndexError):
        return rule["text"]


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def note_text(note: dict | None, lang: str) -> str | None:
    if not note:
        return None
    if lang != "it" or note["id"] not in NOTES_IT:
        return note["text"]
    p = dict(note["params"])
    if "tie_policy" in p:
        p["tie_policy"] = _pick(TIES, p["tie_policy"], lang)
    for k in ("tied", "absences", "undefined"):
        if isinstance(p.get(k), list):
            p[k] = ", ".join(say(x, lang) for x in p[k])  # catalogue messages (the gaps) in Italian
    if isinstance(p.get("places"), list):
        p["places"] = "–".join(map(str, p["places"]))
    text = NOTES_IT[note["id"]].format_map(_Default(p))
    if note["id"] == "attested" and p.get("note"):
        text += f" ({p['note']})"
    return text


def short_at(at: str) -> str:
    """A profile place ``PATH:LINE`` for people: PATH relative to the working directory when it
    is under it, else from its ``chambers/`` folder on, else the file's name — never a machine's
    absolute path (the JSON trace keeps the whole path)."""
    import os

    path, sep, line = at.rpartition(":") if at.rpartition(":")[2].isdigit() else (at, "", "")
    p = Path(path)
    if p.is_absolute():
        try:
            shown = str(p.relative_to(Path(os.getcwd()).resolve()))
        except ValueError:
            parts = p.parts
            shown = str(Path(*parts[len(parts) - 1 - parts[::-1].index("chambers"):])) if "chambers" in parts \
                else p.name
    else:
        shown = path
    return shown + sep + line


def source_text(src: dict | None, short: bool = False) -> str | None:
    if not src:
        return None
    base = f"{src['document']}, {src['section']}" if short else f"{src.get('title') or src['document']}, {src['section']}"
    if src.get("layer"):  # a rule inherited from the national layer, not written in the chamber's profile
        base += f" ⟨{src['layer']}⟩"
    return base + (f" [{short_at(str(src['at']))}]" if src.get("at") and not short else "")


def input_text(inp: dict, lang: str) -> str:
    name = INPUTS_IT.get(inp["name"], inp["name"]) if lang == "it" else inp["name"]
    if name.startswith("absence ") and lang == "it":
        name = "assenza " + name[len("absence "):]
    v = inp["value"]
    if inp["name"] == "direction" and lang == "it":
        v = {"higher": "migliore se cresce", "lower": "migliore se diminuisce"}.get(v, v)
    if v is None:
        shown = "—"
    elif inp.get("unit") == "euro":
        shown = format_money(Decimal(str(v).rstrip("…")), lang)
    elif inp.get("unit") in ("points", "days", "percent") or (isinstance(v, str) and _is_number(v)):
        shown = format_decimal(Decimal(str(v).rstrip("…")), lang) + ("…" if str(v).endswith("…") else "")
        shown += {"percent": " %" if lang == "it" else "%"}.get(str(inp.get("unit")), "")
    else:
        shown = str(v)
    return f"{name} {shown}"


def _is_number(s: str) -> bool:
    try:
        Decimal(s.rstrip("…"))
        return True
    except ArithmeticError:
        return False
    except ValueError:
        return False


SHOW_INPUTS = {"indicator", "objective", "theoretical", "ranking", "amount", "presence_days", "eligibility", "factor",
               "behaviour"}


def localized(node: dict, lang: str) -> dict:
    """The trace with labels, rule descriptions, notes and values worded in ``lang`` (for --json)."""
    out = dict(node)
    out["label"] = label_text(node, lang)
    out["value_text"] = value_text(node, lang)
    out["calc_text"] = calc_text(node, lang)
    if node["rule"]:
        out["rule"] = dict(node["rule"], description=rule_text(node["rule"], lang))
    if node["note"]:
        out["note"] = dict(node["note"], description=note_text(node["note"], lang))
    out["children"] = [localized(c, lang) for c in node["children"]]
    return out


def walk(node: dict):
    """Every node of the trace, depth first (the root included)."""
    yield node
    for c in node["children"]:
        yield from walk(c)


def same_source(a: dict | None, b: dict | None) -> bool:
    """Same document and section (a child citing what its parent cites is not repeated)."""
    return bool(a and b and a["document"] == b["document"] and a["section"] == b["section"])


def documents(trace: dict) -> dict[str, str]:
    """document id → title of every document the trace cites, in order of first citation."""
    docs: dict[str, str] = {}
    for node in walk(trace):
        if node["source"]:
            docs.setdefault(node["source"]["document"],
                            node["source"].get("title") or node["source"]["document"])
    return docs


def worded(trace: dict, lang: str) -> list[dict[str, Any]]:
    """The trace below its root as nested items in words, for a page or a document: each
    ``{label, value, calc, inputs, rule, source, note, children}`` (strings or None; a source
    is shown only where it differs from the enclosing node's)."""

    def node(n: dict, parent_source: Any = None) -> dict[str, Any]:
        src = n["source"]
        return {
            "label": label_text(n, lang), "value": value_text(n, lang),
            "calc": calc_text(n, lang) if n["calc"] else None,
            "inputs": "; ".join(input_text(i, lang) for i in n["inputs"])
            if n["inputs"] and n["key"] in SHOW_INPUTS else None,
            "rule": rule_text(n["rule"], lang),
            "source": source_text(src, short=True) if src and not same_source(src, parent_source)
            else None,
            "note": note_text(n["note"], lang),
            "children": [node(c, src or parent_source) for c in n["children"]],
        }

    return [node(c) for c in trace["children"]]
