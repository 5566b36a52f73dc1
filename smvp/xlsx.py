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
from itertools import chain, islice
from pathlib import Path
from typing import Any

from smvp import results
from smvp.export_tables import columnar, header, payout_state, run_table
from smvp.i18n import say, t, yes_no
from smvp.report import Outcome
from smvp.results import not_computed_text

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

    return header(key, lang)


def _setup_print(ws: Any, header_rows: str | None = "1:1") -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4; a write-only sheet lacks the name)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows:
        ws.print_title_rows = header_rows


class _Rows:
    """Cells for a write-only sheet (openpyxl's ``write_only`` mode streams each row to the file
    as it is appended: no cell objects kept). Styled cells are one reusable cell per style: a row
    is written before the next is built."""

    def __init__(self, ws: Any):
        self.ws = ws
        self.count = 0
        self._styled: dict[tuple, Any] = {}

    def cell(self, value: Any, fmt: str | None = None, bold: bool = False, size: int | None = None,
             col: int = 0) -> Any:
        """``value`` in a cell with that style (``col``: the column, so that two cells of a row
        are never the same object), or the value itself when unstyled."""
        if value is None or (fmt is None and not bold and size is None):
            return value
        key = (col, fmt, bold, size)
        c = self._styled.get(key)
        if c is None:
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Font

            c = WriteOnlyCell(self.ws)
            if fmt:
                c.number_format = fmt
            if bold or size:
                c.font = Font(bold=bold, size=size) if size else Font(bold=True)
            self._styled[key] = c
        c.value = value
        return c

    def append(self, values: Sequence[Any]) -> None:
        self.ws.append(values)
        self.count += 1


def table_sheet(wb: Any, title: str, cols: Sequence[tuple[str, str]], rows: Any,
                lang: str, *, totals: dict[str, Any] | None = None, freeze: str = "B2") -> Any:
    """A sheet with a header row, the rows, an optional totals row (``totals``: column key →
    value, the first column labelled "Totali"), autofilter over header and rows, frozen panes,
    number formats by kind and print set-up. ``rows``: a sequence or an iterable of row value
    lists (read once, written as they come); ``wb`` a write-only workbook."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    rows = iter(rows)
    sample = list(islice(rows, 200))  # column widths, before the first row is written
    ncols = len(cols)
    for i, (key, kind) in enumerate(cols, start=1):
        lengths = [len(str(r[i - 1] or "")) for r in sample]
        width = max([len(_header(key, lang))] + lengths) + (3 if kind == results.MONEY else 2)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 50)
    ws.freeze_panes = freeze
    _setup_print(ws)
    out = _Rows(ws)
    out.append([out.cell(_header(key, lang), bold=True, col=i) for i, (key, _) in enumerate(cols)])
    formats = [_FORMATS.get(kind) for _, kind in cols]
    kinds = [kind for _, kind in cols]
    n = 0
    for line in chain(sample, rows):
        values = []
        for i, (kind, fmt, v) in enumerate(zip(kinds, formats, line)):
            v = cell_value(kind, v, lang)
            values.append(out.cell(v, fmt, col=i) if fmt and isinstance(v, Decimal) else v)
        out.append(values)
        n += 1
    if cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{n + 1}"
    if totals is not None and n:
        line = [t("totals", lang)] + [None] * (ncols - 1)
        for i, (key, kind) in enumerate(cols):
            if key in totals and i > 0:
                line[i] = cell_value(kind, totals[key], lang)
        out.append([out.cell(v, fmt if isinstance(v, Decimal) else None, bold=True, col=i)
                    for i, (v, fmt) in enumerate(zip(line, formats))])
    return ws


def _people(outcome: Outcome, lang: str) -> tuple[list[tuple[str, str]], Any]:
    """The people sheet's columns and rows: from the engine's columns when the outcome has them
    (no per-person dict), else from the outcome's rows."""

    cols = results.people_csv_columns(outcome.component_ids(), outcome.reported_ids())
    state = t(f"state_{payout_state(outcome)}", lang)
    ev = columnar(outcome)
    if ev is not None:
        from smvp import results_columns

        table = results_columns.people_table(ev, state)
        if all(key in table.column_names for key, _ in cols):
            return cols, zip(*(table.column(key).to_pylist() for key, _ in cols))
    return cols, _people_rows(outcome, cols, state)


def _people_rows(outcome: Outcome, cols: Sequence[tuple[str, str]], state: str) -> Any:
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
        yield line


def _records(records: list[dict[str, Any]], section: dict[str, str]) -> tuple[list[tuple[str, str]],
                                                                               list[list[Any]]]:
    keys = list(section)
    seen = {k for r in records for k in r}
    keys = [k for k in keys if k in seen] + sorted(k for k in seen if k not in section)
    return [(k, _kind(section, k)) for k in keys], [[r.get(k) for k in keys] for r in records]


def summary_sheet(wb: Any, outcome: Outcome, lang: str) -> Any:
    """Riepilogo: who, when, with what; people, judgements, negatives; funds with totals;
    payout bands; what was not computed."""
    ws = wb.create_sheet(t("sheet_summary", lang))
    ws.column_dimensions["A"].width = 60
    for col in "BCD":
        ws.column_dimensions[col].width = 18
    _setup_print(ws, None)
    out = _Rows(ws)
    info, summary = outcome.info, outcome.summary

    def pair(label: str, value: Any, fmt: str | None = None) -> None:
        out.append([label, out.cell(value, fmt, col=1)])

    def title(text: str) -> None:
        if out.count > 1:
            out.append([])
        out.append([out.cell(text, bold=True)])

    out.append([out.cell(f"{info.chamber_name or info.chamber} — {t('year', lang)} {info.year}", bold=True, size=14)])
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
    people = summary["people"] if "people" in summary else len(outcome.rows)
    scored = (summary["scored"] if "scored" in summary  # else counted over the rows (built then)
              else sum(1 for r in outcome.rows if r.get("total") is not None))
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
        out.append([out.cell(v, bold=True, col=i)
                    for i, v in enumerate([t("fund", lang)] + [t(k, lang) for k in keys])])
        for fund in outcome.funds:
            out.append([str(fund.get("label") or fund.get("fund"))]
                       + [out.cell(cell_value(results.MONEY, fund.get(k), lang), MONEY_FORMAT, col=i)
                          for i, k in enumerate(keys, start=1)])
        totals = outcome.totals()
        out.append([out.cell(t("totals", lang), bold=True)]
                   + [out.cell(cell_value(results.MONEY, totals[k], lang), MONEY_FORMAT, bold=True, col=i)
                      for i, k in enumerate(keys, start=1)])
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
            out.append([say(not_computed_text(item), lang)])
    return ws


def write_xlsx(outcome: Outcome, path: Path, lang: str) -> None:
    """The workbook: riepilogo, persone, fondi, obiettivi, esecuzione (see the module)."""
    from openpyxl import Workbook


    wb = Workbook(write_only=True)  # rows streamed to the file, sheet by sheet, in order
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
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70
    _setup_print(ws)
    out = _Rows(ws)
    out.append([t("key", lang), t("value", lang)])
    for key, value in run_table(outcome, lang):
        out.append([key, out.cell(cell_value(results.MONEY, value, lang), MONEY_FORMAT, col=1)
                    if isinstance(value, Decimal) else text_value(value)])
    wb.save(path)
