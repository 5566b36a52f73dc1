"""Data in as Excel gives it (issue 15): Windows-1252 CSV, Italian numbers, Italian names.

A copy of the bundled Cuneo 2024 year, rewritten as Italian Excel saves it (Windows-1252,
``;``, ``1.234,56``, Italian file and column names, ``crescente``/``decrescente``), must
evaluate to the same cents — and the same typed content hash — as the UTF-8 original.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli
from smvp_engine import normalise
from smvp_engine.dataset import load_dataset
from smvp_engine.errors import DatasetErrors

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "chambers" / "data" / "cuneo" / "2024"

# the names an Italian office writes (accents and capitals included)
ITALIAN_COLUMNS = {
    "person_id": "Matricola", "name": "Cognome e nome", "role": "Ruolo", "unit_id": "Unità",
    "part_time": "Part-time", "presence_days": "Giorni di presenza",
    "time_coefficient": "Coefficiente temporale", "theoretical_premium": "Premio teorico",
    "category": "Categoria", "pool_share": "Quota fondo", "position_pay": "Retribuzione di posizione",
    "tie_breaker": "Criterio di parità", "label": "Descrizione", "level": "Livello",
    "parent_id": "Unità superiore", "objective_id": "Obiettivo", "weight": "Peso", "type": "Tipo",
    "attested_percent": "Percentuale attestata", "attestation_note": "Nota attestazione",
    "indicator_id": "Indicatore", "target": "Valore atteso", "actual": "Valore effettivo",
    "direction": "Direzione", "factor": "Fattore", "score": "Punteggio", "days": "Giorni",
    "component": "Componente", "resource": "Voce", "amount": "Importo", "key": "Chiave",
    "value": "Valore",
}
ITALIAN_TABLES = {"units": "Unità", "objectives": "obiettivi", "indicators": "indicatori",
                  "staff": "Personale", "categories": "categorie", "behaviours": "comportamenti",
                  "absences": "assenze", "assignments": "assegnazioni", "resources": "risorse",
                  "meta": "metadati"}


def _it_number(text: str) -> str:
    """84.4 → 84,4; 30000.00 → 30.000,00 (Italian grouping where it is unambiguous)."""
    d = Decimal(text)
    whole, _, frac = f"{d:f}".partition(".")
    if frac and len(whole.lstrip("-")) > 3:
        grouped = f"{int(whole):,}".replace(",", ".")
        return f"{grouped},{frac}"
    return text.replace(".", ",")


def italian_copy(dest: Path, *, encoding: str = "cp1252", italian: bool = True) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(SAMPLE.glob("*.csv")):
        rows = list(csv.reader(f.read_text(encoding="utf-8").splitlines()))
        head = rows[0]
        out = [[ITALIAN_COLUMNS.get(h, h) for h in head] if italian else head]
        for r in rows[1:]:
            line = []
            for h, c in zip(head, r):
                if c and h == "direction" and italian:
                    c = {"higher": "crescente", "lower": "Decrescente"}[c]
                elif c and h in ("amount", "actual", "target", "score", "days", "part_time",
                                 "attested_percent", "theoretical_premium") and "." in c:
                    c = _it_number(c)
                line.append(c)
            out.append(line)
        buf = io.StringIO()
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(out)
        name = ITALIAN_TABLES.get(f.stem, f.stem) if italian else f.stem
        (dest / f"{name}.csv").write_bytes(buf.getvalue().encode(encoding))
    return dest


def _evaluate(data: Path, tmp_path: Path) -> tuple[dict, str]:
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "cuneo", "--data", str(data), "--json",
                                "--no-store"], env={"SMVP_HOME": str(tmp_path / "home")})
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), r.stderr


def test_normalise_units():
    assert normalise.column_name("Matricola") == "person_id"
    assert normalise.column_name(" Unità superiore ") == "parent_id"
    assert normalise.column_name("Person ID") == "person_id"
    assert normalise.table_name("Personale") == "staff" and normalise.table_name("Unità") == "units"
    assert normalise.keyword("direction", "Decrescente") == "lower"
    assert normalise.grouped_number("1.234,56") == "1234.56"
    assert normalise.grouped_number("1,234.56") == "1234.56"
    assert normalise.grouped_number("-1.234.567") == "-1234567"
    assert normalise.grouped_number("1 234,5") == "1234.5"
    assert normalise.grouped_number("1.234") is None  # ambiguous: left to the loader's error
    assert normalise.grouped_number("12,5") is None  # not grouped: the loader reads it
    text = "Unità;Descrizione\r\nU1;Attività è più\r\n"
    data, note = normalise.decode(text.encode("cp1252"))
    assert data.decode("utf-8") == text and "Windows-1252" in note
    assert normalise.decode(b"\xef\xbb\xbfa;b") == (b"a;b", None)


def test_windows_1252_and_italian_headed_datasets_give_the_same_cents(tmp_path):
    original, _ = _evaluate(SAMPLE, tmp_path)
    plain_1252 = italian_copy(tmp_path / "cp1252", italian=False)
    italian = italian_copy(tmp_path / "italiano")
    for data in (plain_1252, italian):
        doc, err = _evaluate(data, tmp_path)
        assert "read as Windows-1252" in err  # said, not silent
        assert [(p["person_id"], p["paid"], p["total"]) for p in doc["people"]] == \
            [(p["person_id"], p["paid"], p["total"]) for p in original["people"]]
        assert doc["funds"] == original["funds"]
        assert doc["run"]["dataset_sha256"] == original["run"]["dataset_sha256"]  # same content


def test_ambiguous_thousands_is_a_located_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    lines = (data / "resources.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    lines[1] = f"{first[0]},30.000"  # 30 euro or 30 000 euro?
    (data / "resources.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetErrors) as info:
        load_dataset(data)
    text = str(info.value)
    assert "resources.csv:2" in text and "amount" in text and "30000" in text


def test_italian_percent_and_grouped_money_are_read(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    staff = (data / "staff.csv").read_text(encoding="utf-8").splitlines()
    head = staff[0].split(",")
    cells = staff[1].split(",")
    cells[head.index("part_time")] = '"83,33%"'
    staff[1] = ",".join(cells)
    (data / "staff.csv").write_text("\n".join(staff) + "\n", encoding="utf-8")
    ds = load_dataset(data)
    assert int(ds.table("staff")["part_time"][0]) == 833_300  # fraction of 1 in millionths


def test_data_template_has_lists_from_the_profile_and_loads_once_filled(tmp_path):
    import openpyxl

    out = tmp_path / "cuneo-dati.xlsx"
    r = runner.invoke(cli.app, ["init", "--data-template", "--chamber", "cuneo", "--year", "2024",
                                "-o", str(out)], env={"SMVP_HOME": str(tmp_path / "home")})
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    lists = {ws.title + "." + str(ws.cell(row=1, column=openpyxl.utils.column_index_from_string(
        str(dv.sqref).split(":")[0].rstrip("0123456789"))).value): dv.formula1
        for ws in wb.worksheets for dv in ws.data_validations.dataValidation}
    assert "dipendente" in lists["staff.role"] and "segretario_generale" in lists["staff.role"]
    assert "malattia" in lists["absences.type"] and "ufficio" in lists["units.level"]
    assert "individuale" in lists["objectives.level"] and lists["indicators.direction"] == '"higher,lower"'
    assert "behaviours.factor" in lists and "resources.resource" in lists
    assert wb["staff"]["A1"].value == "person_id" and "matricola" in wb["staff"]["A1"].comment.text
    # filled in with the sample year, it loads to the same content as the sample
    for f in sorted(SAMPLE.glob("*.csv")):
        ws = wb[f.stem]
        rows = list(csv.reader(f.read_text(encoding="utf-8").splitlines()))
        head = [c.value for c in ws[1]]
        ws.delete_rows(2, ws.max_row)
        for line in rows[1:]:
            cells = dict(zip(rows[0], line))
            ws.append([cells.get(h) or None for h in head])
    wb.save(out)
    assert load_dataset(out).sha256 == load_dataset(SAMPLE).sha256


def test_every_alias_is_documented():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "it" / "dati.md").read_text(encoding="utf-8")
    for kind, italian, name in normalise.alias_table():
        assert f"| `{italian}` | `{name}` |" in doc, (kind, italian)
