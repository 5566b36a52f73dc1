"""smvp.export: CSV (people, UTF-8 with BOM), JSON, XLSX (a sheet per table)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from smvp import export, results
from smvp.errors import UsageProblem
from smvp.i18n import format_decimal, format_money, resolve_lang, t
from smvp.report import Outcome, jsonable
from smvp.testing import FakeEvaluation, FakeProfile, fake_dataset

D = Decimal


@pytest.fixture
def outcome() -> Outcome:
    out = Outcome.from_evaluation(FakeProfile(), fake_dataset(), FakeEvaluation(), year=2024,
                                  engine_version="0.0.0-fake")
    out.info.run_id = 7
    return out


def test_unknown_extension_is_a_usage_error(tmp_path):
    for name in ("x.txt", "x", "x.xls", "x.csv.bak"):
        with pytest.raises(UsageProblem) as info:
            export.check_format(tmp_path / name)
        assert info.value.exit_code == 2
        assert ".csv, .json or .xlsx" in str(info.value)
    assert export.check_format("X.XLSX") == ".xlsx"


def test_csv_people_with_bom_and_plain_numbers(tmp_path, outcome):
    """The standard CSV: the results contract's names and representation (docs/results.md)."""
    path = export.write(outcome, tmp_path / "p.csv", "it", dialect="standard")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    head = rows[0]
    assert head[:5] == ["person_id", "name", "role", "role_label", "unit_id"]
    assert head[5:8] == ["component:ente", "component:area", "component:ufficio"]
    assert "results" in head and "paid" in head and "payout_percent" in head
    assert head[-1] == "payout_state"
    assert len(rows) == 4
    p2 = dict(zip(head, rows[2]))
    assert p2["paid"] == "1234.62"                 # machine-readable, no grouping
    assert p2["coefficient"] == "0.722000"
    assert p2["negative"] == "0"
    assert p2["unit_id"] == "UFF[1]"
    assert p2["component:ufficio"] == "25.00"
    assert p2["component:area"] == ""              # not a component of a dipendente


def test_standard_csv_header_is_the_same_in_every_language(tmp_path, outcome):
    it = export.write(outcome, tmp_path / "it.csv", "it", dialect="standard").read_text(encoding="utf-8-sig")
    en = export.write(outcome, tmp_path / "en.csv", "en").read_text(encoding="utf-8-sig")
    assert it.splitlines()[0] == en.splitlines()[0]


def test_italian_csv_is_the_default_with_italian_output_and_reads_back(tmp_path, outcome):
    """What Italian Excel opens directly: ';', ',' decimals, Italian headers, UTF-8 with BOM."""
    raw = export.write(outcome, tmp_path / "it.csv", "it").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    head = rows[0]
    assert head[0] == "Matricola" and "Totale erogato" in head and "Punteggio totale" in head
    assert all(len(r) == len(head) for r in rows)
    p2 = dict(zip(head, rows[2]))
    assert p2["Totale erogato"] == "1234,62"  # a number for Italian Excel: no grouping, no €
    assert p2["Coefficiente"] == "0,722000" and p2["Valutazione negativa"] == "no"
    # read back: the cents are the engine's
    paid = [D(dict(zip(head, r))["Totale erogato"].replace(",", ".") or "0") for r in rows[1:]]
    assert sum(paid) == sum((D(str(r.get("paid") or 0)) for r in outcome.rows), D(0))
    with pytest.raises(UsageProblem):
        export.csv_dialect("it", "tsv")


def test_json_document(tmp_path, outcome):
    path = export.write(outcome, tmp_path / "out.json", "it")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert list(doc) == ["format_version", "run", "people", "funds", "objectives", "summary"]
    assert doc["format_version"] == results.FORMAT_VERSION
    assert doc["run"]["run_id"] == 7 and doc["run"]["chamber"] == "fake"
    assert doc["run"]["year"] == 2024
    p2 = doc["people"][1]
    assert p2["paid"] == "1234.62"                 # euro, two decimals, a string: exact
    assert p2["components"] == {"ente": "5.00", "ufficio": "25.00"}
    assert p2["negative"] is False and p2["maggiorazione_rank"] == 1
    assert doc["funds"][1]["economies"] == "11111.05"
    assert doc["summary"]["not_computed"] == [
        "conciliation deadlines: defined: false in the profile"]


def test_xlsx_sheets_and_numeric_cells(tmp_path, outcome):
    openpyxl = pytest.importorskip("openpyxl")
    path = export.write(outcome, tmp_path / "out.xlsx", "it")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["riepilogo", "persone", "fondi", "obiettivi", "esecuzione"]
    ws = wb["persone"]
    head = [c.value for c in ws[1]]
    paid = ws.cell(row=3, column=head.index("Totale erogato") + 1)
    assert isinstance(paid.value, (int, float)) and D(str(paid.value)) == D("1234.62")
    assert paid.number_format == '#,##0.00 "€"'
    total = ws.cell(row=3, column=head.index("Punteggio totale") + 1)
    assert total.value == 95 and total.number_format == "#,##0.00"
    pct = ws.cell(row=3, column=head.index("% compenso") + 1)
    assert pct.number_format == "0.00%" and 0 <= pct.value <= 1  # a real percentage, not 100.00
    # the totals row: the engine's totals, to the cent
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "Totali" and ws.max_row == len(outcome.rows) + 2
    assert D(str(last[head.index("Totale erogato")])).quantize(D("0.01")) == outcome.totals()["paid"]
    assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=len(head)).column_letter}{len(outcome.rows) + 1}"
    assert ws.freeze_panes == "B2" and ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert not any(isinstance(c.value, str) and c.value.startswith(("{", "["))
                   for row in ws.iter_rows() for c in row)  # no JSON inside cells
    funds = wb["fondi"]
    assert [c.value for c in funds[1]][:5] == ["Fondo", "Descrizione", "Risorse", "Distribuito",
                                               "Economie"]
    assert funds.cell(row=3, column=3).value == pytest.approx(12345.67)
    assert funds.cell(row=3, column=3).number_format == '#,##0.00 "€"'
    summary = {r[0].value: r[1].value for r in wb["riepilogo"].iter_rows(min_row=2) if r[0].value}
    assert summary["Totali: Totale erogato"] == pytest.approx(float(outcome.totals()["paid"]))
    objectives = wb["obiettivi"]
    assert objectives.max_row == 3
    run = {r[0].value: r[1].value for r in wb["esecuzione"].iter_rows(min_row=2)}
    assert run["Camera"] == "fake" and run["Id esecuzione"] == 7
    assert run["Non calcolato"] == "conciliation deadlines: defined: false in the profile"


def test_xlsx_english_sheet_names(tmp_path, outcome):
    openpyxl = pytest.importorskip("openpyxl")
    path = export.write(outcome, tmp_path / "out.xlsx", "en")
    assert openpyxl.load_workbook(path).sheetnames == ["summary", "people", "funds", "objectives", "run"]


def test_unwritable_path_is_an_export_problem(tmp_path, outcome):
    from smvp.errors import ExportProblem

    with pytest.raises(ExportProblem) as info:
        export.write(outcome, tmp_path / "missing-dir" / "x.csv", "it")
    assert info.value.exit_code == 1


# --------------------------------------------------------------------------- labels & numbers


def test_italian_and_english_formatting():
    assert format_money(D("1234.5"), "it") == "1.234,50 €"
    assert format_money(D("1234567.89"), "en") == "€1,234,567.89"
    assert format_money(D("-12.3"), "en") == "-€12.30"
    assert format_decimal(D("0.722000"), "it", grouping=False) == "0,722000"
    assert format_decimal(D("0.0051"), "it", places=2) == "0,0051"  # never rounds for display
    assert format_money(None, "it") == ""


def test_labels_and_language_resolution(monkeypatch):
    assert t("results", "it") == "Punti risultati" and t("results", "en") == "Results points"
    assert t("behaviour", "it") == "Punti comportamenti"
    assert t("judgement", "it") == "Giudizio"
    assert t("negative", "it") == "Valutazione negativa"
    assert t("payout_percent", "it") == "% compenso"
    assert t("paid", "it") == "Totale erogato"
    assert t("economies", "it") == "Economie"
    monkeypatch.delenv("SMVP_LANG", raising=False)
    assert resolve_lang(None) == "it"
    monkeypatch.setenv("SMVP_LANG", "en_GB.UTF-8")
    assert resolve_lang(None) == "en"
    assert resolve_lang("it") == "it"
    monkeypatch.setenv("SMVP_LANG", "fr")
    assert resolve_lang(None) == "it"


def test_jsonable_numbers():
    np = pytest.importorskip("numpy")
    assert jsonable(D("1234.50")) == 1234.5
    assert jsonable(D("12")) == 12
    assert jsonable(D("0.1234567890123456789")) == "0.1234567890123456789"
    assert jsonable(np.int64(3)) == 3 and isinstance(jsonable(np.int64(3)), int)
    assert jsonable(np.array([1, 2])) == [1, 2]
    assert jsonable(float("nan")) is None
    assert jsonable(D("1.5"), decimals_as="string") == "1.5"
