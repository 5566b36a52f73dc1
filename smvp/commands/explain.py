"""``smvp explain --run N --person ID``: one person's whole calculation, as a tree.

The stored run is re-evaluated (its stored profile text and stored dataset,
with the current engine) and :func:`engine.explain.explain` builds the trace;
this module only words and draws it:

* a rich tree on the terminal (default);
* ``--json``: the trace as data (``engine/explain.py`` node format, labels and
  rule descriptions in the chosen language);
* ``--text``: plain text, numbered, to paste into a reply to a conciliation
  request (sources cited by document id, with the documents listed at the end).

If the current engine no longer gives the stored results for this person the
output says so (``smvp verify`` lists the differences).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from smvp import store
from smvp.app.explain import explain_person
from smvp.i18n import Words, format_date, format_decimal, format_money, format_points, localize_numbers

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
            p[k] = ", ".join(map(str, p[k]))
    if isinstance(p.get("places"), list):
        p["places"] = "–".join(map(str, p["places"]))
    text = NOTES_IT[note["id"]].format_map(_Default(p))
    if note["id"] == "attested" and p.get("note"):
        text += f" ({p['note']})"
    return text


def source_text(src: dict | None, short: bool = False) -> str | None:
    if not src:
        return None
    base = f"{src['document']}, {src['section']}" if short else f"{src.get('title') or src['document']}, {src['section']}"
    if src.get("layer"):  # a rule inherited from the national layer, not written in the chamber's profile
        base += f" ⟨{src['layer']}⟩"
    return base + (f" [{src['at']}]" if src.get("at") and not short else "")


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
        shown += {"percent": " %" if lang == "it" else "%"}.get(inp.get("unit"), "")
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


# --------------------------------------------------------------------------- renderers


def tree(trace: dict, lang: str, title: str) -> Tree:
    root = Tree(Text(title, style="bold"))

    def add(parent: Tree, node: dict, parent_source: Any = None) -> None:
        head = Text.assemble((label_text(node, lang), "bold"), ": ", (value_text(node, lang), "cyan"))
        branch = parent.add(head)
        if node["calc"]:
            branch.add(Text(f"{w('calc', lang)}: {calc_text(node, lang)}", style="green"))
        if node["inputs"] and node["key"] in SHOW_INPUTS:
            branch.add(Text(f"{w('inputs', lang)}: " + "; ".join(input_text(i, lang) for i in node["inputs"]), style="dim"))
        rt = rule_text(node["rule"], lang)
        if rt:
            branch.add(Text(f"{w('rule', lang)}: {rt}", style="dim"))
        src = node["source"]
        if src and not _same_source(src, parent_source):
            at = f" [{src['at']}]" if src.get("at") else ""
            branch.add(Text(f"{w('source', lang)}: {source_text(src, short=True)}{at}", style="dim italic"))
        nt = note_text(node["note"], lang)
        if nt:
            branch.add(Text(f"{w('note', lang)}: {nt}", style="yellow"))
        for c in node["children"]:
            add(branch, c, src or parent_source)

    for c in trace["children"]:
        add(root, c)
    docs = {}
    for node in _walk(trace):
        if node["source"]:
            docs.setdefault(node["source"]["document"], node["source"].get("title") or node["source"]["document"])
    if docs:
        legend = root.add(Text(w("documents", lang), style="bold"))
        for d, doc_title in docs.items():
            legend.add(Text(f"{d}: {doc_title}", style="dim"))
    return root


def _walk(node: dict):
    yield node
    for c in node["children"]:
        yield from _walk(c)


def _same_source(a: dict | None, b: dict | None) -> bool:
    """Same document and section (a child citing what its parent cites is not repeated)."""
    return bool(a and b and a["document"] == b["document"] and a["section"] == b["section"])


def plain_text(trace: dict, lang: str, head: list[str]) -> str:
    """Numbered plain text (1., 1.1, 1.1.1 …), sources by document id and the documents at the end."""
    lines = list(head) + [""]
    docs: dict[str, str] = {}

    def add(node: dict, number: str, depth: int, parent_source: Any = None) -> None:
        pad = "   " * depth
        lines.append(f"{pad}{number} {label_text(node, lang)}: {value_text(node, lang)}")
        pad2 = pad + " " * (len(number) + 1)
        if node["calc"]:
            lines.append(f"{pad2}{w('calc', lang)}: {calc_text(node, lang)}")
        if node["inputs"] and node["key"] in SHOW_INPUTS:
            lines.append(f"{pad2}{w('inputs', lang)}: " + "; ".join(input_text(i, lang) for i in node["inputs"]))
        rt = rule_text(node["rule"], lang)
        if rt:
            lines.append(f"{pad2}{w('rule', lang)}: {rt}")
        src = node["source"]
        if src:
            docs.setdefault(src["document"], src.get("title") or src["document"])
            if not _same_source(src, parent_source):
                lines.append(f"{pad2}{w('source', lang)}: {source_text(src, short=True)}")
        nt = note_text(node["note"], lang)
        if nt:
            lines.append(f"{pad2}{w('note', lang)}: {nt}")
        for k, c in enumerate(node["children"], 1):
            add(c, f"{number}{k}.", depth + 1, src or parent_source)

    for k, c in enumerate(trace["children"], 1):
        add(c, f"{k}.", 0)
    if docs:
        lines += ["", w("documents", lang) + ":"]
        lines += [f"  {d}: {title}" for d, title in docs.items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- command


def build(run_id: int, person: str, db: str | None, lang: str) -> tuple[dict, list[str], dict]:
    """(trace, head lines, run info) for a stored run's person."""
    engine = store.open_engine(db, create=False)
    try:
        found = explain_person(engine, run_id, person)
    finally:
        engine.dispose()
    run, ev, trace, stale = found.run, found.evaluation, found.trace, found.differs
    when = format_date(run.created_at, lang) if run.created_at else ""
    role = next((i["value"] for i in trace["inputs"] if i["name"] == "role"), "")
    unit = next((i["value"] for i in trace["inputs"] if i["name"] == "unit_id"), "")
    head = [w("head", lang, chamber=ev.rules.chamber_name, year=run.year, run=run.id, when=when),
            w("who", lang, name=trace["label"], pid=person, role=role, unit=unit),
            w("profile", lang, path=Path(run.profile_path).name, sha=run.profile_sha256[:12], engine=ev.engine_version)]
    if stale:
        head.append(w("stale", lang, fields=", ".join(stale), run=run.id))
    info = {"run_id": run.id, "chamber": run.chamber, "year": run.year, "profile_sha256": run.profile_sha256,
            "dataset_sha256": run.dataset_sha256, "engine_version": ev.engine_version,
            "matches_stored": not stale, "differs": stale}
    return trace, head, info


def run(*, run_id: int, person: str, db: str | None, lang: str, fmt: str, out: Console) -> int:
    trace, head, info = build(run_id, person, db, lang)
    if fmt == "json":
        doc = {"run": info, "person_id": person, "lang": lang, "trace": localized(trace, lang)}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "text":
        sys.stdout.write(plain_text(trace, lang, head))
    else:
        for line in head[1:]:
            out.print(Text(line, style="bold red" if line.startswith(("ATTENZIONE", "WARNING")) else "dim"))
        out.print(tree(trace, lang, f"{head[0]} — {label_text(trace, lang)}: {value_text(trace, lang)}"))
    sys.stdout.flush()
    return 0
