"""The results workbook for people (``smvp evaluate -o risultati.xlsx``).

Sheets: a summary (riepilogo: chamber, year, profile, people, judgements, funds
with totals, payout bands, what was not computed), people, funds, objectives
and the run's provenance. Every quantity is a numeric cell with a real number
format — euro ``#,##0.00 €``, percent as a fraction of 1 with ``0.00%``, points
``#,##0.00`` — so Excel sums, sorts and filters them; tables have a bold
header row, frozen panes, an autofilter and a totals row; every sheet prints
on A4 landscape, one page wide, repeating its header row. Headers are labels
in the chosen language (smvp/i18n.py); field names and units follow the
results contract (smvp/results.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from smvp import results
from smvp.i18n import t, yes_no
from smvp.report import Outcome, not_computed_text

MONEY_FORMAT = '#,##0.00 "€"'
POINTS_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
FRACTION_FORMAT = "0.000000"
COUNT_FORMAT = "0"

_FORMATS = {results.MONEY: MONEY_FORMAT, results.POINTS: POINTS_FORMAT,
            results.PERCENT: PERCENT_FORMAT, results.FRACTION: FRACTION_FORMAT,
            results.COUNT: COUNT_FORMAT}


def _kind(section: dict[str, str], key: str) -> str:
    if key.startswith("component:"):
        return results.POINTS
    if key.startswith("reported:"):
        return results.PERCENT
    return section.get(key, results.TEXT)


def cell_value(kind: str, value: Any, lang: str) -> Any:
    """What a cell holds: an exact Decimal for quantities (percent as a fraction of 1, for the
    ``%`` format), sì/no for flags, readable text for lists and mappings (never JSON)."""
    if value is None:
        return None
    if kind == results.FLAG:
        return yes_no(bool(value), lang)
    if kind in (results.MONEY, results.POINTS, results.PERCENT, results.FRACTION, results.COUNT):
        shown = results.quantity(kind, value)
        if shown is None:
            return None
        d = Decimal(str(shown))
        return d / 100 if kind == results.PERCENT else d
    return text_value(value)


def text_value(value: Any) -> Any:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(str(text_value(v)) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal, str, bool)):
        return value
    return str(value)


def _header(key: str, lang: str) -> str:
    from smvp.export import header

    return header(key, lang)


def _setup_print(ws: Any, header_rows: str | None = "1:1") -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows:
        ws.print_title_rows = header_rows


def table_sheet(wb: Any, title: str, cols: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]],
                lang: str, *, totals: dict[str, Any] | None = None, freeze: str = "B2") -> Any:
    """A sheet with a header row, the rows, an optional totals row (``totals``: column key →
    value, the first column labelled "Totali"), autofilter over header and rows, frozen panes,
    number formats by kind and print set-up."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([_header(key, lang) for key, _ in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    formats = [_FORMATS.get(kind) for _, kind in cols]
    for line in rows:
        ws.append([cell_value(kind, v, lang) for (_, kind), v in zip(cols, line)])
        for cell, fmt in zip(ws[ws.max_row], formats):
            if fmt and isinstance(cell.value, Decimal):
                cell.number_format = fmt
    last = ws.max_row
    ncols = len(cols)
    if cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{max(last, 1)}"
    if totals is not None and rows:
        line = [t("totals", lang)] + [None] * (ncols - 1)
        for i, (key, kind) in enumerate(cols):
            if key in totals and i > 0:
                line[i] = cell_value(kind, totals[key], lang)
        ws.append(line)
        for cell, fmt in zip(ws[ws.max_row], formats):
            cell.font = Font(bold=True)
            if fmt and isinstance(cell.value, Decimal):
                cell.number_format = fmt
    ws.freeze_panes = freeze
    for i, (key, kind) in enumerate(cols, start=1):
        sample = [len(str(r[i - 1] or "")) for r in rows[:200]]
        width = max([len(_header(key, lang))] + sample) + (3 if kind == results.MONEY else 2)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 50)
    _setup_print(ws)
    return ws


def _people(outcome: Outcome, lang: str) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    from smvp.export import payout_state

    cols = results.people_csv_columns(outcome.component_ids(), outcome.reported_ids())
    state = t(f"state_{payout_state(outcome)}", lang)
    rows = []
    for row in outcome.rows:
        comps = row.get("components") or {}
        line = []
        for key, _ in cols:
            if key.startswith("component:"):
                line.append(comps.get(key.split(":", 1)[1]))
            elif key.startswith("reported:"):
                line.append((row.get("reported") or {}).get(key.split(":", 1)[1]))
            elif key == "payout_state":
                line.append(row.get(key) or (state if row.get("paid") is not None else None))
            else:
                line.append(row.get(key))
        rows.append(line)
    return cols, rows


def _records(records: list[dict[str, Any]], section: dict[str, str]) -> tuple[list[tuple[str, str]],
                                                                               list[list[Any]]]:
    keys = list(section)
    seen = {k for r in records for k in r}
    keys = [k for k in keys if k in seen] + sorted(k for k in seen if k not in section)
    return [(k, _kind(section, k)) for k in keys], [[r.get(k) for k in keys] for r in records]


def summary_sheet(wb: Any, outcome: Outcome, lang: str) -> Any:
    """Riepilogo: who, when, with what; people, judgements, negatives; funds with totals;
    payout bands; what was not computed."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(t("sheet_summary", lang))
    info, summary = outcome.info, outcome.summary
    bold = Font(bold=True)

    def pair(label: str, value: Any, fmt: str | None = None) -> None:
        ws.append([label, value])
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt

    def title(text: str) -> None:
        if ws.max_row > 1:
            ws.append([])
        ws.append([text])
        ws.cell(row=ws.max_row, column=1).font = bold

    ws.append([f"{info.chamber_name or info.chamber} — {t('year', lang)} {info.year}"])
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    pair(t("chamber", lang), info.chamber)
    pair(t("year", lang), info.year)
    pair(t("profile_path", lang), Path(str(info.profile_path)).name
         + (f" ({t('valid_from_text', lang, validity=info.profile_version)})"
            if info.profile_version else ""))
    pair(t("profile_hash", lang), info.profile_sha256[:12])
    pair(t("dataset_path", lang), Path(str(info.dataset_path)).name)
    pair(t("dataset_hash", lang), info.dataset_sha256[:12])
    if info.run_id is not None:
        pair(t("run_id", lang), info.run_id)

    title(t("people_title", lang))
    people = summary.get("people", len(outcome.rows))
    scored = summary.get("scored", sum(1 for r in outcome.rows if r.get("total") is not None))
    pair(t("people", lang), people, COUNT_FORMAT)
    pair(t("scored", lang), scored, COUNT_FORMAT)
    pair(t("negatives", lang), summary.get("negative", 0), COUNT_FORMAT)
    judgements = summary.get("judgements")
    if isinstance(judgements, dict) and judgements:
        title(t("judgements_title", lang))
        for label, n in judgements.items():
            pair(str(label), n, COUNT_FORMAT)

    if outcome.funds:
        title(t("funds_title", lang))
        keys = ("resources", "distributed", "economies")
        ws.append([t("fund", lang)] + [t(k, lang) for k in keys])
        for cell in ws[ws.max_row]:
            cell.font = bold
        header_row = ws.max_row
        for fund in outcome.funds:
            ws.append([str(fund.get("label") or fund.get("fund"))]
                      + [cell_value(results.MONEY, fund.get(k), lang) for k in keys])
            for c in range(2, 5):
                ws.cell(row=ws.max_row, column=c).number_format = MONEY_FORMAT
        totals = outcome.totals()
        ws.append([t("totals", lang)] + [cell_value(results.MONEY, totals[k], lang) for k in keys])
        for c in range(1, 5):
            ws.cell(row=ws.max_row, column=c).font = bold
            if c > 1:
                ws.cell(row=ws.max_row, column=c).number_format = MONEY_FORMAT
        ws.cell(row=header_row, column=1).font = bold
        money = outcome.totals()
        pair(f"{t('totals', lang)}: {t('paid', lang)}", cell_value(results.MONEY, money["paid"], lang),
             MONEY_FORMAT)

    bands = summary.get("payout_intervals") or []
    if bands:
        title(t("payout_intervals", lang))
        for band in bands:
            label = f"{band.get('curve', '')} {band.get('interval', '')} → {band.get('value', '')}"
            pair(label.strip(), band.get("people"), COUNT_FORMAT)

    if outcome.not_computed:
        title(t("not_computed", lang))
        for item in outcome.not_computed:
            ws.append([not_computed_text(item)])
    ws.column_dimensions["A"].width = 60
    for col in "BCD":
        ws.column_dimensions[col].width = 18
    _setup_print(ws, None)
    return ws


def write_xlsx(outcome: Outcome, path: Path, lang: str) -> None:
    """The workbook: riepilogo, persone, fondi, obiettivi, esecuzione (see the module)."""
    from openpyxl import Workbook

    from smvp.export import run_table

    wb = Workbook()
    wb.remove(wb.active)
    summary_sheet(wb, outcome, lang)
    cols, rows = _people(outcome, lang)
    totals = outcome.totals()
    table_sheet(wb, t("sheet_people", lang), cols, rows, lang,
                totals={k: totals[k] for k in ("theoretical", "premium", "maggiorazione", "paid")})
    fcols, frows = _records(outcome.funds, results.FUNDS)
    table_sheet(wb, t("sheet_funds", lang), fcols, frows, lang,
                totals={k: totals[k] for k in ("resources", "distributed", "economies")}
                | {"reduction": sum((Decimal(str(f.get("reduction") or 0)) for f in outcome.funds),
                                    Decimal(0))})
    ocols, orows = _records(outcome.objectives, results.OBJECTIVES)
    table_sheet(wb, t("sheet_objectives", lang), ocols, orows, lang)
    ws = wb.create_sheet(t("sheet_run", lang))
    ws.append([t("key", lang), t("value", lang)])
    for key, value in run_table(outcome, lang):
        ws.append([key, cell_value(results.MONEY, value, lang) if isinstance(value, Decimal)
                   else text_value(value)])
        if isinstance(value, Decimal):
            ws.cell(row=ws.max_row, column=2).number_format = MONEY_FORMAT
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70
    _setup_print(ws)
    wb.save(path)
