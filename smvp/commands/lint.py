"""``smvp lint [CHAMBER|PATH...]`` (also ``smvp validate --national``): each chamber profile
against the national layer it extends (engine/compliance.py), with both sources per finding.

Exit 0: no error (warnings may be listed); 1: a profile departs from a national rule (an
error finding) or does not load.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from smvp.explain_words import short_at
from smvp.i18n import Words, error_text, say, t
from smvp_engine.compliance import ERROR, check
from smvp_engine.errors import SmvpError, SmvpErrors
from smvp_engine.profile import load_profile

WORDS = Words("lint")  # catalogue: lint.*


def w(key: str, lang: str, **kw) -> str:
    it, en = WORDS[key]
    return (it if lang == "it" else en).format(**kw)


def _src(src: dict | None, lang: str) -> str:
    if not src or not src.get("document"):
        return w("none", lang)
    text = f"{src['document']}, {src.get('section') or ''}"
    if src.get("layer"):
        text += f" ({w('layer', lang, l=src['layer'])})"
    if src.get("at"):
        text += f" [{short_at(str(src['at']))}]"
    return text


def run(paths: list[Path], *, lang: str, out: Console, json_out: bool = False, years: list[int] | None = None) -> int:
    failed = False
    doc = []
    for path in paths:
        try:
            profile = load_profile(path)
        except (SmvpErrors, SmvpError) as exc:
            failed = True
            errors = exc.errors if isinstance(exc, SmvpErrors) else [exc]
            doc.append({"profile": str(path), "errors": [str(e) for e in errors], "findings": []})
            if not json_out:
                out.print(Text.assemble((t("status_fail", lang), "bold red"), f" {path}"), soft_wrap=True)
                for e in errors:
                    out.print(Text("  " + error_text(e, lang), style="red"), soft_wrap=True)
            continue
        if profile.data.get("layer"):
            continue  # the national layer itself
        findings = check(profile, years)
        failed |= any(f.severity == ERROR for f in findings)
        doc.append({"profile": str(path), "chamber": profile.chamber_id, "findings": [f.as_dict() for f in findings]})
        if json_out:
            continue
        n_err = sum(f.severity == ERROR for f in findings)
        head = w("summary", lang, c=profile.chamber_id, e=n_err, w=len(findings) - n_err) if findings \
            else w("clean", lang, c=profile.chamber_id)
        out.print(Text(head, style="bold"), soft_wrap=True)
        for f in findings:
            style = "red" if f.severity == ERROR else "yellow"
            out.print(Text(f"  {w(f.severity, lang)} {f.years} {f.norm}: {say(f.message, lang)}", style=style),
                      soft_wrap=True)
            out.print(Text(f"    {w('national', lang)}: {_src(f.national, lang)}", style="dim"), soft_wrap=True)
            out.print(Text(f"    {w('chamber', lang)}: {_src(f.chamber_source, lang)}", style="dim"), soft_wrap=True)
    if json_out:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 1 if failed else 0
