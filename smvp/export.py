"""Exports of an evaluation: .csv (people), .json (everything), .xlsx (a sheet per table).

JSON and CSV follow the results contract (smvp/results.py, docs/results.md):
the same field names, money as ``1524.90`` in euro, points and percent as exact
decimals. XLSX holds the same fields and units as numeric cells with a number
format, under headers that are labels in the chosen language.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from smvp import results
from smvp.errors import ExportProblem, UsageProblem
from smvp.i18n import t
from smvp.report import (
    FUND_FIELDS,
    FUND_MONEY_FIELDS,
    LazyRows,
    MONEY_FIELDS,
    OBJECTIVE_FIELDS,
    POINT_FIELDS,
    Outcome,
    columns_of,
    not_computed_text,
)

FORMATS = (".csv", ".json", ".xlsx", ".parquet")

# people columns, in order (components are inserted after unit_id)
PEOPLE_COLUMNS = (
    "person_id", "name", "role", "role_label", "unit_id",
    "results", "behaviour", "total", "judgement", "judgement_label", "negative",
    "payout_percent", "coefficient_name", "coefficient", "theoretical", "premium",
    "maggiorazione", "paid", "maggiorazione_rank", "fund", "payout_state",
)
MONEY_FORMAT = "#,##0.00"
POINTS_FORMAT = "#,##0.00"
COEFFICIENT_FORMAT = "0.000000"


def check_format(path: Path | str) -> str:
    """The export format of ``path`` from its extension; UsageProblem (exit 2) if unknown."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageProblem(
            f"cannot export to {str(path)!r}: unknown extension {suffix or '(none)'!r}",
            hint="use a file name ending in .csv, .json or .xlsx (or .parquet: the people as a table)",
        )
    return suffix


def write(outcome: Outcome, path: Path | str, lang: str) -> Path:
    """Write ``outcome`` to ``path`` in the format its extension names."""
    path = Path(path)
    writer: Callable[[Outcome, Path, str], None] = {
        ".csv": write_csv, ".json": write_json, ".xlsx": write_xlsx, ".parquet": write_parquet,
    }[check_format(path)]
    try:
        writer(outcome, path, lang)
    except OSError as exc:
        raise ExportProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


# --------------------------------------------------------------------------- tables


def _component_key(cid: str) -> str:
    return f"component:{cid}"


def people_columns(outcome: Outcome) -> list[str]:
    cols = list(PEOPLE_COLUMNS)
    at = cols.index("unit_id") + 1
    cols[at:at] = [_component_key(c) for c in outcome.component_ids()]
    return cols


def header(key: str, lang: str) -> str:
    if key.startswith("component:"):
        return f"{t('component', lang)} {key.split(':', 1)[1]}"
    if key == "role":
        return t("role", lang) + " (id)"
    if key == "judgement":
        return t("judgement", lang) + " (id)"
    return t(key, lang)


def payout_state(outcome: Outcome) -> str:
    """"provvisorio" or "definitivo" (smvp/conciliation.py): a run is provisional until the OIV has
    validated the Relazione and its conciliation terms are over (``smvp run export`` sets it)."""
    return str(getattr(outcome.info, "payout_state", None) or "provvisorio")


def people_table(outcome: Outcome, lang: str | None = None) -> tuple[list[str], list[list[Any]]]:
    cols = people_columns(outcome)
    state = payout_state(outcome)
    shown_state = t(f"state_{state}", lang) if lang else state
    rows = []
    for row in outcome.rows:
        comps = row.get("components") or {}
        line = []
        for key in cols:
            if key.startswith("component:"):
                line.append(comps.get(key.split(":", 1)[1]))
            elif key == "payout_state":
                line.append(row.get(key) or (shown_state if row.get("paid") is not None else None))
            else:
                line.append(row.get(key))
        rows.append(line)
    return cols, rows


def funds_table(outcome: Outcome) -> tuple[list[str], list[list[Any]]]:
    cols = columns_of(outcome.funds, FUND_FIELDS) or list(FUND_FIELDS)
    return cols, [[f.get(k) for k in cols] for f in outcome.funds]


def objectives_table(outcome: Outcome) -> tuple[list[str], list[list[Any]]]:
    cols = columns_of(outcome.objectives, OBJECTIVE_FIELDS) or list(OBJECTIVE_FIELDS)
    return cols, [[o.get(k) for k in cols] for o in outcome.objectives]


def run_table(outcome: Outcome, lang: str) -> list[tuple[str, Any]]:
    info = outcome.info.as_dict()
    items: list[tuple[str, Any]] = [(t(k, lang), v) for k, v in info.items()]
    items.append((t("people", lang), len(outcome.rows)))
    items.append((t("payout_state", lang), t(f"state_{payout_state(outcome)}", lang)))
    for name, value in outcome.totals().items():
        items.append((f"{t('totals', lang)}: {t(name, lang)}", value))
    for item in outcome.not_computed:
        items.append((t("not_computed", lang), not_computed_text(item)))
    return items


# --------------------------------------------------------------------------- csv


def write_csv(outcome: Outcome, path: Path, lang: str) -> None:
    """People only, the standard dialect: the results contract's field names as header
    (smvp/results.py, docs/results.md), its representation (money ``1524.90`` in euro,
    exact decimal points and percent, ``.`` decimals, 1/0 flags, blank for null);
    comma separated; UTF-8 with BOM so that Excel reads the accents."""
    cols = results.people_csv_columns(outcome.component_ids())
    state = payout_state(outcome)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([name for name, _ in cols])
        for row in outcome.rows:
            comps = row.get("components") or {}
            line = []
            for name, kind in cols:
                if name.startswith("component:"):
                    value = comps.get(name.split(":", 1)[1])
                elif name == "payout_state":
                    value = row.get(name) or (state if row.get("paid") is not None else None)
                else:
                    value = row.get(name)
                line.append(results.csv_cell(kind, value))
            out.writerow(line)


# --------------------------------------------------------------------------- json


def contract_document(outcome: Outcome) -> dict[str, Any]:
    """The results document (smvp/results.py, schema/results.schema.json) of ``outcome``."""
    return results.document(
        run=dict(outcome.info.as_dict(), payout_state=payout_state(outcome)),
        people=outcome.rows, funds=outcome.funds, objectives=outcome.objectives,
        summary=outcome.summary)


def to_json(outcome: Outcome) -> str:
    """``smvp evaluate --json``: the results document as JSON text."""
    return results.dumps(contract_document(outcome))


def _columnar(outcome: Outcome) -> Any:
    """The evaluation the people can be written from as columns (an outcome of this process's
    evaluation, whether or not its rows were built), or None (e.g. a run read back from the
    store)."""
    rows = outcome.rows
    return rows.evaluation if isinstance(rows, LazyRows) and rows.columnar else None


def _document_without_people(outcome: Outcome) -> dict[str, Any]:
    return results.document(
        run=dict(outcome.info.as_dict(), payout_state=payout_state(outcome)),
        people=[], funds=outcome.funds, objectives=outcome.objectives, summary=outcome.summary)


def stream_json(outcome: Outcome, out: TextIO) -> None:
    """Write the results document (the text of :func:`to_json` and a newline) to ``out``;
    the people streamed from the engine's columns when no per-person rows were built."""
    ev = _columnar(outcome)
    if ev is None:
        out.write(to_json(outcome) + "\n")
        return
    from smvp import results_columns

    results_columns.write_json(out, _document_without_people(outcome), ev)


def write_json(outcome: Outcome, path: Path, lang: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        stream_json(outcome, fh)


def write_parquet(outcome: Outcome, path: Path, lang: str) -> None:
    """The people as a Parquet table (the contract's fields and representations: ids and
    labels as text, points and euro as exact decimal strings, ``component:<id>`` columns,
    ``payout_state``); the rest of the results document (run, funds, objectives, summary)
    in the file's metadata under ``smvp.results`` (JSON)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from smvp import results_columns

    ev = _columnar(outcome)
    if ev is not None:
        table = results_columns.people_table(ev, payout_state(outcome))
    else:
        cols, rows = people_table(outcome)
        table = pa.table({c: pa.array([results.csv_cell(_kind(c), r[k]) if r[k] is not None else None
                                       for r in rows], pa.string())
                          for k, c in enumerate(cols)})
    meta = dict(table.schema.metadata or {})
    meta[b"smvp.results"] = results.dumps(_document_without_people(outcome)).encode("utf-8")
    pq.write_table(table.replace_schema_metadata(meta), path)


def _kind(column: str) -> str:
    if column.startswith("component:"):
        return results.POINTS
    return results.PEOPLE.get(column, results.TEXT)


# --------------------------------------------------------------------------- xlsx


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "isoformat") and getattr(value, "tzinfo", None) is not None:
        return value.isoformat()  # openpyxl refuses tz-aware datetimes
    return value


def _number_format(key: str) -> str | None:
    if key in MONEY_FIELDS or key in FUND_MONEY_FIELDS:
        return MONEY_FORMAT
    if key in POINT_FIELDS or key.startswith("component:") or key in ("payout_percent",
                                                                        "achievement"):
        return POINTS_FORMAT
    if key == "coefficient":
        return COEFFICIENT_FORMAT
    return None


def _sheet(wb: Any, title: str, cols: list[str], rows: list[list[Any]], lang: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([header(c, lang) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    formats = [_number_format(c) for c in cols]
    for line in rows:
        ws.append([_cell(v) for v in line])
        for cell, fmt in zip(ws[ws.max_row], formats):
            if fmt and isinstance(cell.value, (int, float, Decimal)) \
                    and not isinstance(cell.value, bool):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    for i, col in enumerate(cols, start=1):
        width = max([len(header(col, lang))] + [len(str(r[i - 1] or "")) for r in rows[:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 50)


def write_xlsx(outcome: Outcome, path: Path, lang: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, t("sheet_people", lang), *people_table(outcome, lang), lang)
    _sheet(wb, t("sheet_funds", lang), *funds_table(outcome), lang)
    _sheet(wb, t("sheet_objectives", lang), *objectives_table(outcome), lang)
    ws = wb.create_sheet(t("sheet_run", lang))
    ws.append([t("key", lang), t("value", lang)])
    for key, value in run_table(outcome, lang):
        ws.append([key, _cell(value)])
        if isinstance(value, Decimal):
            ws.cell(row=ws.max_row, column=2).number_format = MONEY_FORMAT
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70
    wb.save(path)
