"""Rich rendering of an outcome and of stored runs (display only: Italian number format by default)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp.i18n import format_decimal, format_money, format_percent, format_points, t, yes_no
from smvp.report import Outcome, not_computed_text
from smvp.store import RunListing, from_hundredths


SHORT = {  # compact column headers for the terminal table (exports keep the full labels)
    "results": ("Risult.", "Results"), "behaviour": ("Comport.", "Behav."), "total": ("Totale", "Total"),
    "negative": ("Neg.", "Neg."), "payout_percent": ("% comp.", "Payout %"), "coefficient": ("Coeff.", "Coeff."),
    "maggiorazione": ("Magg.", "Magg."), "paid": ("Erogato", "Paid"),
}


def _short(key: str, lang: str) -> str:
    if key in SHORT:
        return SHORT[key][0 if lang == "it" else 1]
    return t(key, lang)


def people_table(outcome: Outcome, lang: str, width: int = 200) -> Table:
    """One row per person; below ~150 columns the unit, role and component points are left out."""
    wide = width >= 150
    table = Table(title=t("people_title", lang), title_justify="left", show_lines=False)
    cols: list[tuple[str, dict]] = [("person_id", {"no_wrap": True}),
                                    ("name", {"no_wrap": True, "overflow": "ellipsis", "max_width": 22 if wide else 16})]
    if wide:
        cols += [("role", {"no_wrap": True, "overflow": "ellipsis", "max_width": 24}), ("unit_id", {"no_wrap": True}),
                 ("results", {"justify": "right", "no_wrap": True}), ("behaviour", {"justify": "right", "no_wrap": True})]
    cols += [("total", {"justify": "right", "no_wrap": True}),
             ("judgement", {"no_wrap": True, "overflow": "ellipsis", "max_width": 26 if wide else 14}),
             ("negative", {"justify": "center", "no_wrap": True}), ("payout_percent", {"justify": "right", "no_wrap": True})]
    if wide:
        cols += [("coefficient", {"justify": "right", "no_wrap": True})]
    cols += [("premium", {"justify": "right", "no_wrap": True}),
             ("maggiorazione", {"justify": "right", "no_wrap": True}), ("paid", {"justify": "right", "no_wrap": True})]
    for key, opts in cols:
        table.add_column(_short(key, lang), **opts)
    keys = [k for k, _ in cols]
    for row in outcome.rows:
        negative = row.get("negative")
        cells = {
            "person_id": Text(str(row.get("person_id", ""))),
            "name": Text(str(row.get("name") or "")),
            "role": Text(str(row.get("role_label") or row.get("role") or "")),
            "unit_id": Text(str(row.get("unit_id") or "")),
            "results": format_points(row.get("results"), lang),
            "behaviour": format_points(row.get("behaviour"), lang),
            "total": format_points(row.get("total"), lang),
            "judgement": Text(str(row.get("judgement_label") or row.get("judgement") or "")),
            "negative": Text(yes_no(negative, lang), style="bold red" if negative else ""),
            "payout_percent": format_percent(row.get("payout_percent"), lang),
            "coefficient": format_decimal(row.get("coefficient"), lang, grouping=False),
            "premium": format_money(row.get("premium"), lang),
            "maggiorazione": format_money(row.get("maggiorazione"), lang),
            "paid": format_money(row.get("paid"), lang),
        }
        table.add_row(*(cells[k] for k in keys))
    totals = outcome.totals()
    if outcome.rows:
        table.add_section()
        money = {"premium": format_money(totals["premium"], lang), "maggiorazione": format_money(totals["maggiorazione"], lang),
                 "paid": format_money(totals["paid"], lang), "person_id": t("totals", lang)}
        table.add_row(*(money.get(k, "") for k in keys), style="bold")
    return table


def funds_table(outcome: Outcome, lang: str) -> Table:
    table = Table(title=t("funds_title", lang), title_justify="left")
    table.add_column(t("fund", lang))
    for key in ("resources", "distributed", "economies"):
        table.add_column(t(key, lang), justify="right", no_wrap=True)
    for fund in outcome.funds:
        table.add_row(Text(str(fund.get("label") or fund.get("fund") or "")),
                      format_money(fund.get("resources"), lang),
                      format_money(fund.get("distributed"), lang),
                      format_money(fund.get("economies"), lang))
    if len(outcome.funds) > 1:
        totals = outcome.totals()
        table.add_section()
        table.add_row(t("totals", lang), format_money(totals["resources"], lang),
                      format_money(totals["distributed"], lang),
                      format_money(totals["economies"], lang), style="bold")
    return table


def _summary_value(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, Decimal):
        return format_decimal(value, lang)
    return str(value)


def _summary_lines(data: Any, lang: str, indent: int = 0) -> list[str]:
    """Generic rendering of summary entries smvp does not know (yet)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list, tuple)) and value:
                lines.append(f"{pad}{key}:")
                lines.extend(_summary_lines(value, lang, indent + 1))
            elif not isinstance(value, (dict, list, tuple)):
                lines.append(f"{pad}{key}: {_summary_value(value, lang)}")
    elif isinstance(data, (list, tuple)):
        for item in data:
            if isinstance(item, dict):
                lines.append(f"{pad}- " + ", ".join(
                    f"{k}: {_summary_value(v, lang)}" for k, v in item.items()))
            else:
                lines.append(f"{pad}- {_summary_value(item, lang)}")
    else:
        lines.append(pad + _summary_value(data, lang))
    return lines


# summary keys shown elsewhere (funds table, header) or by the specific renderers below
_SHOWN = {"chamber", "year", "people", "scored", "judgements", "negative", "payout_intervals",
          "maggiorazioni", "resources", "distributed", "economies", "not_computed", "notes",
          "organisational", "statuses"}
_LEVELS = {"ente": ("Ente", "Ente"), "area": ("Area", "Area"), "servizio": ("Servizio", "Service"),
           "ufficio": ("Ufficio", "Office")}


def organisational_table(outcome: Outcome, lang: str) -> Table | None:
    """Performance organizzativa: weighted achievement and status per unit and for the Ente."""
    units = outcome.summary.get("organisational") or []
    if not units:
        return None
    it = lang == "it"
    table = Table(title="Performance organizzativa" if it else "Organisational performance", title_justify="left")
    table.add_column("Livello" if it else "Level", no_wrap=True)
    table.add_column(t("unit_id", lang), no_wrap=True)
    table.add_column("Denominazione" if it else "Name", overflow="ellipsis", max_width=48)
    table.add_column("Obiettivi" if it else "Objectives", justify="right")
    table.add_column("Grado di raggiungimento" if it else "Achievement", justify="right", no_wrap=True)
    has_status = any(u.get("status_label") for u in units)
    if has_status:
        table.add_column("Stato" if it else "Status", no_wrap=True)
    for u in units:
        level = str(u.get("level", ""))
        cells = [_LEVELS.get(level, (level, level))[0 if it else 1], str(u.get("unit_id") or ""),
                 str(u.get("unit_label") or ""), str(u.get("objectives", "")),
                 format_percent(u.get("achievement"), lang)]
        if has_status:
            cells.append(str(u.get("status_label") or ""))
        table.add_row(*cells)
    return table


def _status_lines(console: Console, summary: dict, lang: str) -> None:
    statuses = summary.get("statuses") or {}
    names = {"indicators": ("Stato degli indicatori", "Indicator status"),
             "objectives": ("Stato degli obiettivi", "Objective status")}
    for key, counts in statuses.items():
        if isinstance(counts, dict) and counts:
            label = names.get(key, (key, key))[0 if lang == "it" else 1]
            _line(console, f"{label}: " + "; ".join(f"{k} {v}" for k, v in counts.items()))
_TIE_POLICY = {
    "exclude_tied": ("esclusi tutti i pari merito al taglio (la quota non è mai superata)",
                     "everyone tied at the cut left out (the quota is never exceeded)"),
    "include_tied": ("inclusi tutti i pari merito al taglio (la quota può essere superata)",
                     "everyone tied at the cut included (the quota may be exceeded)"),
}
_MAGG_KEYS = ("population", "eligible", "quota", "recipients", "amount_each",
              "reduced_pro_rata", "tie_policy")


def _line(console: Console, text: str, style: str = "") -> None:
    console.print(Text(text, style=style), soft_wrap=True)


def print_summary(console: Console, outcome: Outcome, lang: str) -> None:
    summary = outcome.summary
    org = organisational_table(outcome, lang)
    if org is not None:
        console.print(org)
        console.print()
    if outcome.funds:
        console.print(funds_table(outcome, lang))
        console.print()
    _line(console, t("summary", lang), "bold")

    people = summary.get("people", len(outcome.rows))
    scored = summary.get("scored", sum(1 for r in outcome.rows if r.get("total") is not None))
    _line(console, t("people_scored", lang, people=people, scored=scored))

    judgements = summary.get("judgements")
    if not isinstance(judgements, dict):
        judgements = dict(Counter(str(r.get("judgement_label") or r.get("judgement"))
                                  for r in outcome.rows if r.get("judgement") is not None))
    if judgements:
        _line(console, f"{t('judgements_title', lang)}: " + "; ".join(
            f"{label} {n}" for label, n in judgements.items()))
    negatives = summary.get("negative")
    if negatives is None:
        negatives = sum(1 for r in outcome.rows if r.get("negative"))
    _line(console, f"{t('negatives', lang)}: {negatives}")
    _status_lines(console, summary, lang)

    intervals = summary.get("payout_intervals") or []
    if intervals:
        curves: dict[str, list[dict[str, Any]]] = {}
        for band in intervals:
            curves.setdefault(str(band.get("curve", "")), []).append(band)
        for curve, bands in curves.items():
            _line(console, f"{t('payout_intervals', lang)} ({curve}):")
            for band in bands:
                _line(console, f"  {band.get('interval', '')} → {band.get('value', '')}: "
                               f"{t('people_count', lang, n=band.get('people', '?'))}")

    maggiorazioni = summary.get("maggiorazioni") or []
    if maggiorazioni:
        _line(console, f"{t('maggiorazioni_title', lang)}:")
        for m in maggiorazioni:
            if not isinstance(m, dict):
                _line(console, f"  {m}")
                continue
            parts = []
            for key in _MAGG_KEYS:
                if key not in m:
                    continue
                value = m[key]
                if key == "amount_each":
                    shown = format_money(value, lang)
                elif key == "reduced_pro_rata":
                    if not value:
                        continue
                    parts.append(t(key, lang))
                    continue
                elif key == "tie_policy":
                    shown = _TIE_POLICY.get(str(value), (value, value))[0 if lang == "it" else 1]
                else:
                    shown = _summary_value(value, lang)
                parts.append(f"{t(key, lang)} {shown}")
            _line(console, f"  {m.get('label') or m.get('id')}: " + ", ".join(parts))

    rest = {k: v for k, v in summary.items() if k not in _SHOWN}
    for line in _summary_lines(rest, lang):
        _line(console, line)

    for note in summary.get("notes") or []:
        _line(console, f"{t('notes', lang)}: {not_computed_text(note)}")

    not_computed = outcome.not_computed
    if not_computed:
        _line(console, t("not_computed", lang), "bold yellow")
        for item in not_computed:
            _line(console, "  - " + not_computed_text(item), "yellow")
    else:
        _line(console, t("nothing_not_computed", lang))


def print_outcome(console: Console, outcome: Outcome, lang: str) -> None:
    info = outcome.info
    console.print(Text.assemble(
        (info.chamber, "bold"), f" {info.year} — {info.profile_path} "
        f"({info.profile_sha256[:12]}), {info.dataset_path} ({info.dataset_sha256[:12]})"))
    if any(r.get("total") is not None for r in outcome.rows):  # nobody scored: no empty table
        console.print(people_table(outcome, lang, console.width))
        console.print()
    print_summary(console, outcome, lang)


def runs_table(runs: list[RunListing], lang: str, states: dict[int, str] | None = None) -> Table:
    table = Table(title=t("runs_title", lang), title_justify="left")
    table.add_column("id", justify="right")
    table.add_column(t("chamber", lang))
    table.add_column(t("year", lang), justify="right")
    table.add_column(t("created_at", lang), no_wrap=True)
    table.add_column(t("profile_hash", lang), no_wrap=True)
    table.add_column(t("dataset_hash", lang), no_wrap=True)
    table.add_column(t("engine_version", lang))
    table.add_column(t("people", lang), justify="right")
    table.add_column(t("distributed_total", lang), justify="right", no_wrap=True)
    if states is not None:
        table.add_column(t("payout_state", lang), no_wrap=True)
    for run in runs:
        cells = [str(run.id), Text(run.chamber), str(run.year),
                 run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                 run.profile_sha256[:12], run.dataset_sha256[:12], run.engine_version,
                 str(run.people), format_money(from_hundredths(run.distributed_cents), lang)]
        if states is not None:
            cells.append(states.get(run.id, ""))
        table.add_row(*cells)
    return table
