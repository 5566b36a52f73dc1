"""``smvp compare cuneo cremona brescia lucca``: the same rules of several profiles side by side.

Rows: validity; per role (aligned by role id) the evaluator, maximum total,
results weights, behaviour scales, negative-evaluation threshold, judgement
bands, payout curve, coefficient and fund; then maggiorazioni, achievement
cap, rounding, neutral absences, conciliation terms and what the documents
leave undefined. A cell says "non definito" ("not defined") where the
profile is silent or marks the rule ``defined: false``.

Each profile is resolved for ``--year`` or, without it, for the last period of
its effective-dated rules. A profile that does not load gets a column saying
so (its errors on stderr) and the command exits 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp.i18n import Words, error_text, t
from smvp_engine.errors import SmvpError, SmvpErrors

WORDS = Words("compare")  # catalogue: compare.*
ROUND = Words("compare.round")
TIES = Words("compare.ties")


def wd(key: str, lang: str, **kw: Any) -> str:
    it, en = WORDS[key]
    return (it if lang == "it" else en).format(**kw)


def _n(x: Any) -> str:
    if x is None:
        return "?"
    f = Fraction(x)
    if f.denominator == 1:
        return str(f.numerator)
    from decimal import Decimal

    return format(Decimal(f.numerator) / Decimal(f.denominator), "f")


def _pick(table: Mapping[Any, tuple[str, str]], v: Any, lang: str) -> str:
    return table[v][0 if lang == "it" else 1] if v in table else str(v)


def default_year(profile: Any) -> int:
    years = list(getattr(profile, "boundary_years", None) or [profile.valid_from])
    return years[-1]


def column(profile: Any, year: int, lang: str) -> dict[tuple, list[str] | None]:
    """Row key → lines (None: not defined) for one profile in one year. Missing keys are not errors."""
    r = profile.for_year(year)
    d = profile.data
    cells: dict[tuple, list[str] | None] = {}
    until = profile.valid_until
    cells[("validity",)] = [wd("from", lang, y=profile.valid_from) if until is None else f"{profile.valid_from}–{until}"]
    cells[("year",)] = [str(year)]
    for rid, role in r.roles.items():
        k = ("role", rid)
        cells[k + ("evaluator",)] = [role.evaluator] if role.evaluator else None
        cells[k + ("total_max",)] = [_n(role.total_max)] if role.total_max is not None else None
        comps = [f"{c.label}: " + (wd("reported", lang) if not c.counts
                                   else _n(c.max) if c.max is not None else wd("undefined", lang))
                 for c in role.components]
        cells[k + ("results",)] = comps or None
        facs = [f"{f.label}: 0–{_n(f.max)}" if f.max is not None else f"{f.label}: {wd('undefined', lang)}"
                for f in role.factors]
        cells[k + ("behaviours",)] = facs or None
        cells[k + ("negative",)] = [wd("behaviour_below", lang, x=_n(role.negative_below))] \
            if role.negative_below is not None else None
        j = r.judgements.get(role.judgement) if role.judgement else None
        cells[k + ("judgement",)] = [f"{b.interval.text} {b.label}" for b in j.bands] if j else None
        if role.payout:
            fid, cid, coid = role.payout
            curve, co, fund = r.curves.get(cid), r.coefficients.get(coid), r.funds.get(fid)
            cells[k + ("curve",)] = [f"{s.interval.text} → {s.value}" for s in curve.segments] if curve else None
            cells[k + ("coefficient",)] = [f"{co.label}: {co.formula}"] if co else None
            if fund is None:
                cells[k + ("fund",)] = None
            elif fund.method == "pool_split":
                shares = ", ".join(f"{role_id} {_n(pct)}%" for role_id, pct, _ in fund.shares)
                cells[k + ("fund",)] = [fund.label, wd("pool", lang, r=fund.resource, shares=shares)]
            else:
                cells[k + ("fund",)] = [fund.label, wd("per_person", lang, r=fund.resource)]
        else:
            for key in ("curve", "coefficient", "fund"):
                cells[k + (key,)] = None
    mag = []
    for m in r.maggiorazioni.values():
        raw = (d.get("maggiorazioni") or {}).get(m.id) or {}
        since = f" ({wd('from', lang, y=raw['from'])})" if isinstance(raw, dict) and raw.get("from") else ""
        mag += [m.label + since, "  " + wd("roles", lang, r=", ".join(m.roles)), "  " + wd("eligible", lang, e=m.eligible),
                "  " + wd("quota", lang, q=_n(m.quota_percent), r=_pick(ROUND, m.quota_rounding, lang),
                          t=_pick(TIES, m.tie_policy, lang).format(by=", ".join(m.tie_breaker))),
                "  " + wd("amount", lang, a=m.amount)]
    cells[("maggiorazioni",)] = mag or None
    cells[("cap",)] = [f"{_n(r.achievement_cap)}%"] if r.achievement_cap is not None else None
    cells[("rounding",)] = [wd("points", lang, d=r.points_decimals, r=_pick(ROUND, r.points_rounding, lang)),
                            wd("money", lang, r=_pick(ROUND, r.money_rounding, lang))]
    neutral = [a.label for a in r.absence_types.values() if a.neutral]
    cells[("absences",)] = neutral or ([wd("none", lang)] if r.absence_types else None)
    conc = d.get("conciliation") if isinstance(d.get("conciliation"), dict) else None
    if conc and conc.get("defined") is not False:
        conciliator = conc.get("conciliator") or {}
        cells[("conciliator",)] = [conciliator["label"]] if isinstance(conciliator, dict) and conciliator.get("label") else None
        steps = []
        for sid, st in (conc.get("steps") or {}).items():
            if not isinstance(st, dict):
                continue
            label = st.get("label", sid)
            if st.get("days") is None:
                steps.append(wd("no_term", lang, label=label))
            else:
                steps.append(wd("days_from", lang, label=label, days=st["days"], event=st.get("from_event", "?")))
        cells[("conciliation",)] = steps or None
    else:
        cells[("conciliator",)] = None
        cells[("conciliation",)] = None
    nd = [str(v.get("label")) for v in (d.get("not_defined") or {}).values() if isinstance(v, dict) and v.get("label")]
    cells[("not_defined",)] = nd or None
    rd = [str(v.get("label")) + ("" if v.get("stated") else f" ({wd('not_stated', lang)})")
          for v in (d.get("readings") or {}).values() if isinstance(v, dict) and v.get("label")]
    cells[("readings",)] = rd or None
    return cells


def effect(profile, year: int, dataset, lang: str) -> list[str] | None:
    """The maggiorazioni of ``profile`` evaluated on ``dataset``: eligible, quota, recipients."""
    from smvp_engine.pipeline import evaluate

    ev = evaluate(profile, dataset, year=year)
    lines = [wd("effect_line", lang, label=m["label"], eligible=m["eligible"], quota=m["quota"],
                recipients=m["recipients"], each=m["amount_each"])
             for m in ev.payout.maggiorazione_info]
    return lines or None


def row_label(key: tuple, role_labels: dict[str, str], lang: str) -> tuple[str, str]:
    if key[0] == "role":
        return wd("rows_role", lang, label=role_labels.get(key[1], key[1]), id=key[1]), wd(key[2], lang)
    return wd(key[0], lang), ""


def build(specs: list[str], year: int | None, lang: str, data: str | None = None) -> dict[str, Any]:
    """Columns (one per profile) and aligned rows; profiles that do not load are reported, not raised."""
    from smvp.commands.diff import load_side

    columns: list[dict[str, Any]] = []
    cells: list[dict[tuple, list[str] | None] | None] = []
    role_labels: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    dataset = None
    if data is not None:
        from smvp_engine.dataset import load_dataset

        dataset = load_dataset(data)  # bad data: the errors say so, nothing is compared
        year = year if year is not None else dataset.year
    for spec in specs:
        try:
            side = load_side(spec)
            p = side.profile
            y = year if year is not None else default_year(p)
            col = column(p, y, lang)
            if data is not None:
                col[("effect",)] = effect(p, y, dataset, lang)
            for rid, role in p.for_year(y).roles.items():
                role_labels.setdefault(rid, role.label)
            columns.append({"spec": spec, "chamber": p.chamber_id, "path": str(p.path), "year": y, "valid": True})
            cells.append(col)
        except (SmvpErrors, SmvpError) as exc:
            errs = exc.errors if isinstance(exc, SmvpErrors) else [exc]
            errors[spec] = [error_text(e, lang) for e in errs]
            columns.append({"spec": spec, "chamber": spec, "path": spec, "year": year, "valid": False,
                            "errors": errors[spec]})
            cells.append(None)
    order: list[tuple] = []
    for key in [("validity",), ("year",)]:
        order.append(key)
    for profile_cells in cells:
        for key in (profile_cells or {}):
            if key[0] == "role" and key not in order:
                order.append(key)
    for key in [("maggiorazioni",)] + ([("effect",)] if data is not None else []) + [
            ("cap",), ("rounding",), ("absences",), ("conciliator",), ("conciliation",), ("not_defined",), ("readings",)]:
        order.append(key)
    # role rows grouped by role, in first-seen order
    roles = list(dict.fromkeys(k[1] for k in order if k[0] == "role"))
    parts = ("evaluator", "total_max", "results", "behaviours", "negative", "judgement", "curve", "coefficient", "fund")
    order = order[:2] + [("role", r, p) for r in roles for p in parts] + [k for k in order[2:] if k[0] != "role"]
    rows = []
    for key in order:
        section, item = row_label(key, role_labels, lang)
        row_cells: list[dict[str, Any]] = []
        for profile_cells in cells:
            if profile_cells is None:
                row_cells.append({"state": "invalid", "lines": [wd("invalid", lang)]})
            elif profile_cells.get(key) is None:
                row_cells.append({"state": "undefined", "lines": [wd("undefined", lang)]})
            else:
                row_cells.append({"state": "defined", "lines": profile_cells[key]})
        rows.append({"key": list(key), "section": section, "item": item, "cells": row_cells})
    return {"columns": columns, "rows": rows, "errors": errors}


def run(*, specs: list[str], year: int | None, lang: str, json_out: bool, out: Console, err: Console,
        data: str | None = None) -> int:
    doc = build(specs, year, lang, data)
    for spec, errs in doc["errors"].items():
        count = t("problem", lang) if len(errs) == 1 else t("problems", lang, n=len(errs))
        err.print(Text(f"{spec}: {count}:", style="bold red"))
        for e in errs:
            err.print(Text("  " + e, style="red"), soft_wrap=True)
    if json_out:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(show_lines=True)
        table.add_column("", style="bold", overflow="fold")
        for c in doc["columns"]:
            table.add_column(f"{c['chamber']} ({c['year']})" if c["valid"] else f"{c['spec']}", overflow="fold")
        for row in doc["rows"]:
            label = row["section"] + (f"\n  {row['item']}" if row["item"] else "")
            table.add_row(label, *[Text("\n".join(c["lines"]), style="dim italic" if c["state"] != "defined" else "")
                                   for c in row["cells"]])
        out.print(table)
    return 1 if doc["errors"] else 0
