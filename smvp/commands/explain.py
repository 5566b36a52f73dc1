"""``smvp explain --run N --person ID``: one person's whole calculation, as a tree.

The stored run is re-evaluated (its stored profile text and stored dataset,
with the current engine) and :func:`engine.explain.explain` builds the trace;
this module only draws it (the words are :mod:`smvp.explain_words`, shared with the
web pages):

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
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from smvp import store
from smvp.app.explain import explain_person
from smvp.explain_words import (
    SHOW_INPUTS,
    calc_text,
    documents,
    input_text,
    label_text,
    localized,
    note_text,
    rule_text,
    same_source,
    short_at,
    source_text,
    value_text,
    w,
)
from smvp.i18n import format_date

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
        if src and not same_source(src, parent_source):
            at = f" [{short_at(str(src['at']))}]" if src.get("at") else ""
            branch.add(Text(f"{w('source', lang)}: {source_text(src, short=True)}{at}", style="dim italic"))
        nt = note_text(node["note"], lang)
        if nt:
            branch.add(Text(f"{w('note', lang)}: {nt}", style="yellow"))
        for c in node["children"]:
            add(branch, c, src or parent_source)

    for c in trace["children"]:
        add(root, c)
    docs = documents(trace)
    if docs:
        legend = root.add(Text(w("documents", lang), style="bold"))
        for d, doc_title in docs.items():
            legend.add(Text(f"{d}: {doc_title}", style="dim"))
    return root


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
            if not same_source(src, parent_source):
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
        paid = f": {value_text(trace, lang)}" if trace["value"] is not None else ""  # no premium: no value
        out.print(tree(trace, lang, f"{head[0]} — {label_text(trace, lang)}{paid}"))
    sys.stdout.flush()
    return 0
