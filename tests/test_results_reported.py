"""Results reported, not counted (``counts: false``) in every output of the results contract.

Brescia §4.2.3 names the dipendenti's contribution to the objectives of their
structure, but its evaluation sheet gives it no points: the profile's component
``struttura`` is ``counts: false``. Its grado di raggiungimento per person is
written in ``people[].reported`` (JSON, format 1.1), ``reported:<id>`` columns
(standard and Italian CSV, XLSX, Parquet), the scheda and ``smvp compare``, each
labelled "reported, not counted"; it never enters ``results`` or ``total``.

Data: ``tests/golden/readings/brescia_2021/data`` (the servizi's objectives of
``tests/golden/brescia/results_reported``), worked out by hand there:
AMM_S 80.00 % (P07–P09), ANA_S 100.00 % (P11–P13), PROM_S 91.67 % (P14–P16),
P10 in no servizio: null; P01–P06 (other roles): no reported component.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from smvp import cli, export, results
from smvp.report import LazyRows, Outcome
from smvp_engine.dataset import load_dataset
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "golden" / "readings" / "brescia_2021" / "data"
WANT = {"P01": {}, "P04": {}, "P07": {"struttura": "80.00"}, "P09": {"struttura": "80.00"},
        "P10": {"struttura": None}, "P11": {"struttura": "100.00"}, "P14": {"struttura": "91.67"},
        "P16": {"struttura": "91.67"}}
runner = CliRunner()


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    profile = load_profile(ROOT / "chambers" / "brescia.yaml")
    ds = load_dataset(DATA)
    ev = evaluate(profile, ds, year=2021)
    return Outcome.from_evaluation(profile, ds, ev, year=2021, engine_version="test")


def test_json_reports_each_person_and_validates(outcome):
    buf = io.StringIO()
    export.stream_json(outcome, buf)                         # from the engine's columns
    assert isinstance(outcome.rows, LazyRows) and not outcome.rows.loaded
    assert buf.getvalue() == export.to_json(outcome) + "\n"  # the per-person writer: same text
    doc = json.loads(buf.getvalue())
    assert doc["format_version"] == "1.1"
    jsonschema.Draft202012Validator(results.schema()).validate(doc)
    people = {p["person_id"]: p for p in doc["people"]}
    assert {k: people[k]["reported"] for k in WANT} == WANT
    # reported, not counted: the dipendenti's results are 0.00 points, their total is the sheet's
    assert people["P07"]["components"] == {} and people["P07"]["results"] == "0.00"
    assert people["P07"]["total"] == "60.00"


def test_the_schema_describes_reported_as_not_counted(outcome):
    field = results.schema()["properties"]["people"]["items"]["properties"]["reported"]
    assert "reported, not counted" in field["description"] and "counts: false" in field["description"]
    doc = json.loads(export.to_json(outcome))
    doc["people"][6]["reported"]["struttura"] = 80.0        # a float: refused
    del doc["people"][7]["reported"]                        # always present ({} without such components)
    paths = {tuple(e.absolute_path) for e in jsonschema.Draft202012Validator(results.schema()).iter_errors(doc)}
    assert ("people", 6, "reported", "struttura") in paths and ("people", 7) in paths


@pytest.mark.parametrize("dialect", ["standard", "it"])
def test_csv_has_one_reported_column(tmp_path, dialect):
    out = tmp_path / "people.csv"
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "brescia", "--data", str(DATA), "--year", "2021",
                                "--no-store", "--out", str(out), "--csv-dialect", dialect, "--lang", "it"])
    assert r.exit_code == 0, r.output
    sep = "," if dialect == "standard" else ";"
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=sep))
    key = "reported:struttura" if dialect == "standard" else "Riportato, non conteggiato: struttura (% raggiungimento)"
    head = list(rows[0])
    assert head[head.index(key) - 1].startswith("component:" if dialect == "standard" else "Componente ")
    got = {row[head[0]]: row[key] for row in rows}
    point = "." if dialect == "standard" else ","
    assert got["P07"] == "80.00".replace(".", point) and got["P14"] == "91.67".replace(".", point)
    assert got["P10"] == "" and got["P01"] == ""


def test_row_and_column_csv_writers_agree(tmp_path, outcome):
    """The columnar CSV (rows not built) and the per-person one write the same bytes."""
    profile = load_profile(ROOT / "chambers" / "brescia.yaml")
    ds = load_dataset(DATA)
    ev = evaluate(profile, ds, year=2021)
    lazy = Outcome.from_evaluation(profile, ds, ev, year=2021, engine_version="test")
    export.write(lazy, tmp_path / "a.csv", "it", dialect="standard")
    assert not lazy.rows.loaded
    built = Outcome.from_evaluation(profile, ds, ev, year=2021, engine_version="test")
    list(built.rows)  # build the per-person rows: the row writer applies
    export.write(built, tmp_path / "b.csv", "it", dialect="standard")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert b"reported:struttura" in (tmp_path / "a.csv").read_bytes()


def test_xlsx_and_parquet_carry_the_reported_column(tmp_path, outcome):
    export.write(outcome, tmp_path / "r.xlsx", "en")
    ws = load_workbook(tmp_path / "r.xlsx").worksheets[1]  # Riepilogo, then the people
    head = [c.value for c in ws[1]]
    col = head.index("Reported, not counted: struttura (% achieved)")
    cells = {row[0].value: row[col] for row in ws.iter_rows(min_row=2) if row[0].value}
    assert cells["P07"].value == 0.8 and cells["P07"].number_format == "0.00%"
    assert cells["P10"].value is None
    export.write(outcome, tmp_path / "r.parquet", "it")
    table = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert {r["person_id"]: r["reported:struttura"] for r in table}["P14"] == "91.67"


def test_scheda_and_compare_label_it_reported_not_counted(tmp_path):
    from tests.documents_support import html_text

    db = f"sqlite:///{tmp_path / 'smvp.db'}"
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "brescia", "--data", str(DATA), "--year", "2021",
                                "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli.app, ["scheda", "--run", "1", "--person", "P07", "--out", str(tmp_path), "--db", db])
    assert r.exit_code == 0, r.output
    text = html_text((tmp_path / "scheda-1-P07.html").read_text(encoding="utf-8"))
    line = next(x for x in text.splitlines() if "Contributo al raggiungimento" in x)
    assert "80,00" in line and "riportato, non conteggiato (nessun punto)" in line, line
    r = runner.invoke(cli.app, ["compare", "brescia", "cuneo", "--lang", "en"], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "reported, not counted (counts: false" in r.output


def test_objectives_of_planning_bodies_are_reported_not_counted():
    """Lucca's controlled companies (planning.bodies): their objectives are reported per unit and flagged
    ``reported`` in the results contract; they are not in the Ente's performance (readings.societa_fuori_ente)."""
    data = ROOT / "tests" / "golden" / "lucca" / "controlled_companies_2011"
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "lucca", "--data", str(data), "--json", "--no-store"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    jsonschema.Draft202012Validator(results.schema()).validate(doc)
    flags = {o["objective_id"]: o["reported"] for o in doc["objectives"]}
    assert {k for k, v in flags.items() if v} == {"SP1", "SP2", "SI1"}  # Lucca Promos, Lucca Intec
    assert flags["A1"] is False and flags["OO1"] is False
    field = results.schema()["properties"]["objectives"]["items"]["properties"]["reported"]
    assert "reported, not counted" in field["description"]


def test_xlsx_objectives_sheet_labels_the_reported_flag(tmp_path):
    from smvp import export as ex

    profile = load_profile(ROOT / "chambers" / "lucca.yaml")
    data = ROOT / "tests" / "golden" / "lucca" / "controlled_companies_2011"
    ds = load_dataset(data)
    out = Outcome.from_evaluation(profile, ds, evaluate(profile, ds, year=2011), year=2011, engine_version="test")
    ex.write(out, tmp_path / "r.xlsx", "it")
    ws = next(w for w in load_workbook(tmp_path / "r.xlsx").worksheets if w.title.lower().startswith("obiettiv"))
    head = [c.value for c in ws[1]]
    col = head.index("Riportato, non conteggiato")
    flags = {row[0].value: row[col].value for row in ws.iter_rows(min_row=2) if row[0].value}
    assert flags["SP1"] == "sì" and flags["A1"] == "no"
