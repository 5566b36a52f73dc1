"""Italian (default) and English human output: Babel formats, readable summaries, an 80-column
people table that never cuts an amount (issue 15)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from smvp import cli
from smvp.i18n import (
    actor_label,
    format_date,
    format_datetime,
    format_decimal,
    format_money,
    format_percent,
    localize_numbers,
)

runner = CliRunner()


def test_babel_formats_exact_in_both_languages():
    assert format_money(Decimal("1524.9"), "it") == "1.524,90 €"
    assert format_money(Decimal("1524.9"), "en") == "€1,524.90"
    assert format_money(Decimal("-0.5"), "it") == "-0,50 €"
    assert format_percent(Decimal("96.79"), "it") == "96,79 %"
    assert format_percent(Decimal("96.79"), "en") == "96.79%"
    # display never rounds: more digits than asked are all shown
    assert format_decimal(Decimal("96.793333"), "it", places=2) == "96,793333"
    assert format_money(Decimal("0.125"), "it") == "0,125 €"
    assert format_decimal(Decimal("1234567"), "it", grouping=False) == "1234567"
    assert format_date(dt.date(2025, 5, 12), "it") == "12/05/2025"
    # times in Europe/Rome: 12:03 UTC in May is 14:03 (CEST), in January 13:03 (CET)
    assert format_datetime(dt.datetime(2025, 5, 12, 12, 3, tzinfo=dt.UTC), "it") == "12/05/2025 14:03"
    assert format_datetime(dt.datetime(2025, 1, 12, 12, 3), "it") == "12/01/2025 13:03"


def test_engine_arithmetic_localized_without_touching_ids():
    calc = "(1 × 94.48 + 1 × 100.00) / 2 = 97.24; min(117.647059…, 100) → 100.00 OBE1.1"
    assert localize_numbers(calc, "it") == \
        "(1 × 94,48 + 1 × 100,00) / 2 = 97,24; min(117,647059…; 100) → 100,00 OBE1.1"
    assert localize_numbers(calc, "en") == calc
    assert localize_numbers("60000.00 × 60%", "it") == "60.000,00 × 60 %"


def test_actor_labels():
    assert actor_label("giunta", "it") == "Giunta camerale"
    assert actor_label("oiv", "it") == "OIV"
    assert actor_label("capo_ufficio", "it", {"capo_ufficio": "Capo ufficio"}) == "Capo ufficio"
    assert actor_label("ufficio_personale", "it") == "Ufficio personale"


@pytest.fixture
def env(tmp_path):  # SMVP_HOME and no SMVP_LANG: tests/conftest.py
    return tmp_path


def _evaluate(chamber: str, columns: int, *extra: str) -> str:
    r = runner.invoke(cli.app, ["evaluate", "--chamber", chamber, "--no-store", *extra],
                      env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    return r.stdout


MONEY = re.compile(r"\d[\d.]*,\d\d €")


@pytest.mark.parametrize("lang", ["it", "en"])
def test_people_table_at_80_columns_shows_every_amount_whole(env, lang):
    text = _evaluate("cuneo", 80, "--lang", lang)
    table = text.split("\n\n")[0].splitlines()
    assert all(len(line) <= 80 for line in text.splitlines() if "│" in line or "┃" in line)
    body = [line for line in table if line.startswith("│")]
    assert len(body) == 81  # 80 people and the totals row
    # no cell holding money or points is cut
    for line in body:
        for cell in line.strip("│").split("│"):
            cell = cell.strip()
            if any(ch.isdigit() for ch in cell) and not cell.startswith("P"):
                assert not cell.endswith("…"), line
    if lang == "it":
        assert "18.000,00 €" in body[0] and "132.968,59 €" in body[-1]  # P001 and the total paid (P016, P055: parental leave not presence, −507,00 €)
        assert "--wide" in text  # the columns left out are named
    else:
        assert "€18,000.00" in body[0] and "€132,968.59" in body[-1]


def test_header_names_chamber_year_profile_not_paths(env):
    text = _evaluate("cuneo", 200)
    first = text.splitlines()[0]
    assert first.startswith("Camera di Commercio di Cuneo — anno 2024 — profilo cuneo.yaml")
    assert "/" not in first.replace("/ ", "")  # no machine path


def test_brescia_summary_in_words_not_a_dump(env):
    text = _evaluate("brescia", 200)
    assert "ente_performance" not in text and "attested: None" not in text
    assert "reductions" not in text and "unit_value" not in text
    assert "Retribuzione di risultato della dirigenza: 60.000,00 € × 96,97 % = 58.182,00 € " \
           "(riduzione 1.818,00 €)" in text
    assert "Performance Camera di Commercio: 96,97 % (calcolata 96,97 %; attestata dall'OIV: " \
           "non attestata)" in text
    assert "valore del punto 4.200,00 €" in text
    en = _evaluate("brescia", 200, "--lang", "en")
    assert "€60,000.00 × 96.97% = €58,182.00 (reduction €1,818.00)" in en


def test_lucca_levels_by_their_label(env):
    text = _evaluate("lucca", 200)
    assert "unita_organizzativa" not in text
    assert "│ Unità " in text and "organizzativa" in text  # the level label (wrapped in its column)


def test_calendar_names_who_acts(env):
    r = runner.invoke(cli.app, ["calendar", "--chamber", "brescia", "--year", "2025"],
                      env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert "Giunta camerale" in r.stdout and "│ giunta " not in r.stdout


def test_cuneo_exports_for_people_match_the_contract_to_the_cent(env):
    """Italian CSV read back with ';'/',' and the XLSX's totals equal the JSON contract's cents."""
    import csv
    import json

    import openpyxl

    r = runner.invoke(cli.app, ["evaluate", "--chamber", "cuneo", "--no-store", "--json"])
    doc = json.loads(r.stdout)
    paid = {p["person_id"]: Decimal(p["paid"]) for p in doc["people"] if p["paid"] is not None}
    out_csv, out_xlsx = env / "risultati.csv", env / "risultati.xlsx"
    for out in (out_csv, out_xlsx):
        r = runner.invoke(cli.app, ["evaluate", "--chamber", "cuneo", "--no-store", "-o", str(out)])
        assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out_csv.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    back = {row["Matricola"]: Decimal(row["Totale erogato"].replace(",", "."))
            for row in rows if row["Totale erogato"]}
    assert back == paid
    wb = openpyxl.load_workbook(out_xlsx)
    ws = wb["persone"]
    head = [c.value for c in ws[1]]
    col = head.index("Totale erogato") + 1
    cells = [ws.cell(row=i, column=col) for i in range(2, ws.max_row)]
    assert {c.number_format for c in cells if c.value is not None} == {'#,##0.00 "€"'}
    assert sum(Decimal(str(c.value)) for c in cells if c.value is not None) == sum(paid.values())
    total = ws.cell(row=ws.max_row, column=col).value
    assert ws.cell(row=ws.max_row, column=1).value == "Totali"
    assert Decimal(str(total)).quantize(Decimal("0.01")) == sum(paid.values())
    assert head[0] == "Matricola" and "reduction" not in head and "status_label" not in head
    objectives = [c.value for c in wb["obiettivi"][1]]
    assert not {"reduction", "status_label", "measured", "type"} & set(objectives)
    assert wb.sheetnames[0] == "riepilogo"
