"""The explain trace in words: labels, values, rules, notes and sources of each node, in
Italian (default) or English — shared by ``smvp explain`` (terminal tree, text, JSON) and the
web pages (the person page).

The trace is ``smvp_engine.explain.explain()``'s tree (see ``engine/explain.py`` for the node
format: key, label, value, unit, calc, inputs, rule, source, note, children); nothing here
computes a number, it only words what the engine recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from smvp.i18n import Words, format_decimal, format_money, format_points, localize_numbers, say

# key → (italiano, english)
KEYS = Words("explain.key")  # catalogue: explain.key.*

# the catalogue's words of the trace (ids explain.<namespace>.<key>): key → (italiano, english)
ROUNDING = Words("explain.rounding")
TIES = Words("explain.ties")
SPLIT = Words("explain.split")
SHORTFALL = Words("explain.shortfall")
OUTCOME = Words("explain.outcome")
DIRECTION = Words("explain.direction")
RULES = Words("explain.rule_text")  # one per rule id the engine's trace records
NOTES = Words("explain.note_text")  # one per note id
INPUTS = Words("explain.input_name")
UNITS = Words("explain.unit")

WORDS = Words("explain")  # catalogue: explain.*


def w(key: str, lang: str, **kw: Any) -> str:
    it, en = WORDS[key]
    return (it if lang == "it" else en).format(**kw)


def _pick(table: Mapping[str, tuple[str, str]], value: Any, lang: str) -> str:
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
        return _unit("points", lang, format_points(Decimal(v), lang))
    if unit == "percent":
        return _unit("percent", lang, format_decimal(Decimal(v), lang))
    if unit == "euro":
        return format_money(Decimal(v), lang)
    if unit == "days":
        return _unit("days", lang, format_decimal(Decimal(v), lang))
    if unit == "fraction":
        return format_decimal(Decimal(v.rstrip("…")), lang, grouping=False) + ("…" if v.endswith("…") else "")
    if unit == "rank":
        return _unit("rank", lang, v)
    return str(v)


def _unit(unit: str, lang: str, value: object) -> str:
    return _pick(UNITS, unit, lang).format(value=value)


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
    """The rule's description in ``lang`` from the catalogue (``explain.rule_text.<id>``) with
    the engine's parameters worded; the engine's own English text for an id the catalogue
    lacks (tests/test_explain_words.py keeps every id the engine records in the catalogue)."""
    if not rule:
        return None
    rid = rule["id"]
    if rid == "factor_score" and rule["params"].get("max") is None:
        rid = "factor_score_open"
    if rid == "indicator_ratio" and rule["params"].get("direction") in ("higher", "lower"):
        rid = f"indicator_ratio_{rule['params']['direction']}"
    if rid not in RULES:
        return rule["text"]
    p = dict(rule["params"])
    for k in ("rounding", "quota_rounding"):
        if k in p:
            p[k] = _pick(ROUNDING, p[k], lang)
    for k, table in (("tie_policy", TIES), ("split", SPLIT), ("shortfall", SHORTFALL), ("outcome", OUTCOME)):
        if k in p:
            p[k] = _pick(table, p[k], lang)
    for k in ("variable", "rank_by"):  # the value a band or a ranking reads (total, behaviour …)
        if k in p:
            p[k] = _pick(INPUTS, p[k], lang)
    if rule["id"] == "indicator_ratio":
        p["cap"] =  _pick(UNITS, "cap", lang).format(cap=format_decimal(Decimal(str(p["cap"])), lang)) if p.get("cap") is not None else ""
    if isinstance(p.get("parts"), list):
        p["parts"] = "; ".join(map(str, p["parts"]))
    if "neutral" in p:
        p["neutral"] = ", ".join(p["neutral"]) or _pick(UNITS, "none", lang)
    for k in ("max", "below", "percent", "quota_percent"):
        if isinstance(p.get(k), str) and _is_number(p[k]):
            p[k] = format_decimal(Decimal(p[k]), lang)
    try:
        return _pick(RULES, rid, lang).format_map(_Default(p))
    except (KeyError, ValueError, IndexError):
        return rule["text"]


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def note_text(note: dict | None, lang: str) -> str | None:
    """The note in ``lang`` from the catalogue (``explain.note_text.<id>``); the engine's
    English text for an id the catalogue lacks."""
    if not note:
        return None
    if note["id"] not in NOTES:
        return note["text"]
    p = dict(note["params"])
    if "tie_policy" in p:
        p["tie_policy"] = _pick(TIES, p["tie_policy"], lang)
    for k in ("tied", "absences", "undefined"):
        if isinstance(p.get(k), list):
            p[k] = ", ".join(say(x, lang) for x in p[k])  # catalogue messages (the gaps) in ``lang``
    if isinstance(p.get("places"), list):
        p["places"] = "–".join(map(str, p["places"]))
    if isinstance(p.get("points"), str) and _is_number(p["points"]):
        p["points"] = format_points(Decimal(p["points"]), lang)
    if isinstance(p.get("counts"), str) and _is_number(p["counts"]):
        p["counts"] = format_decimal(Decimal(p["counts"]), lang)
    if isinstance(p.get("resources"), str) and _is_number(p["resources"]):
        p["resources"] = format_decimal(Decimal(p["resources"]), lang)
    text = _pick(NOTES, note["id"], lang).format_map(_Default(p))
    if note["id"] == "attested" and p.get("note"):
        text += _pick(NOTES, "attestation", lang).format(note=p["note"])
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
    name = inp["name"]
    if name.startswith("absence "):
        name = _pick(INPUTS, "absence", lang).format(type=name[len("absence "):])
    else:
        name = _pick(INPUTS, name, lang)
    v = inp["value"]
    if inp["name"] == "direction":
        v = _pick(DIRECTION, v, lang)
    if v is None:
        shown = "—"
    elif inp.get("unit") == "euro":
        shown = format_money(Decimal(str(v).rstrip("…")), lang)
    elif inp.get("unit") in ("points", "days", "percent") or (isinstance(v, str) and _is_number(v)):
        shown = format_decimal(Decimal(str(v).rstrip("…")), lang) + ("…" if str(v).endswith("…") else "")
        if inp.get("unit") == "percent":
            shown = _unit("percent", lang, shown)
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
