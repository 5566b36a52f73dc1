"""The XLSX people sheet written from the engine's columns (no per-person dict), in openpyxl's
write-only mode: the same cells, formats and totals as from the rows."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from rich.console import Console

from smvp import export, export_tables, xlsx
from smvp.commands import evaluate

SAMPLE = Path(__file__).resolve().parent.parent / "chambers" / "data" / "cuneo" / "2024"
openpyxl = pytest.importorskip("openpyxl")


def _outcome():
    opts = evaluate.Options(chamber="cuneo", data=SAMPLE, json=True, store=False)
    return evaluate.compute(opts, Console(file=io.StringIO()))[2]


def _cells(cols, rows):
    return [[xlsx.cell_value(kind, v, "it") for (_, kind), v in zip(cols, r)] for r in rows]


def test_people_from_columns_are_the_cells_of_the_rows():
    outcome = _outcome()
    assert export_tables.columnar(outcome) is not None
    cols, from_columns = xlsx._people(outcome, "it")
    from_columns = list(from_columns)
    assert not outcome.rows.loaded  # no per-person dict was built
    state = xlsx.t(f"state_{export_tables.payout_state(outcome)}", "it")
    from_rows = list(xlsx._people_rows(outcome, cols, state))
    assert len(from_columns) == len(from_rows) == len(outcome.rows)
    assert _cells(cols, from_columns) == _cells(cols, from_rows)
    assert any(isinstance(v, D) for v in _cells(cols, from_columns)[0])


def test_the_workbook_of_a_columnar_run(tmp_path):
    outcome = _outcome()
    path = export.write(outcome, tmp_path / "r.xlsx", "it")
    assert not outcome.rows.loaded
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["riepilogo", "persone", "fondi", "obiettivi", "esecuzione"]
    ws = wb["persone"]
    head = [c.value for c in ws[1]]
    assert all(c.font.bold for c in ws[1])
    n = len(outcome.rows)
    assert ws.max_row == n + 2 and ws.auto_filter.ref.endswith(str(n + 1))
    col = head.index("Totale erogato") + 1
    paid = [ws.cell(row=r, column=col) for r in range(2, n + 2)]
    assert all(c.number_format == '#,##0.00 "€"' for c in paid if c.value is not None)
    total = ws.cell(row=n + 2, column=col)
    assert ws.cell(row=n + 2, column=1).value == "Totali" and total.font.bold
    assert D(str(total.value)).quantize(D("0.01")) == outcome.totals()["paid"]
    assert sum(D(str(c.value)) for c in paid if c.value is not None).quantize(D("0.01")) == outcome.totals()["paid"]
    assert ws.freeze_panes == "B2" and ws.print_title_rows == "$1:$1"
    summary = {r[0].value: r[1].value for r in wb["riepilogo"].iter_rows(min_row=2) if r[0].value}
    assert summary[xlsx.t("people", "it")] == n
    assert wb["riepilogo"]["A1"].font.bold and wb["riepilogo"]["A1"].font.size == 14
