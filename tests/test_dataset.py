"""Tests of engine/dataset.py: loading, typing, validation; the bundled Cuneo sample."""

from __future__ import annotations

import importlib.util
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from smvp_engine.dataset import (
    TABLES,
    Dataset,
    _cell,
    dataset_from_columns,
    load_dataset,
)
from smvp_engine.errors import DatasetError, DatasetErrors

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "chambers" / "data" / "cuneo" / "2024"
SAMPLE_XLSX = ROOT / "chambers" / "data" / "cuneo" / "2024.xlsx"
PROFILE = ROOT / "chambers" / "cuneo.yaml"
BROKEN = ROOT / "tests" / "broken" / "datasets"
BASE = BROKEN / "_base"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir() and not p.name.startswith("_"))


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def sample_xlsx() -> Dataset:
    return load_dataset(SAMPLE_XLSX)


def row_of(table, column, value) -> int:
    idx = [i for i, v in enumerate(table.columns[column]) if v == value]
    assert len(idx) == 1, (column, value, idx)
    return idx[0]


def errors_of(path) -> list[DatasetError]:
    with pytest.raises(DatasetErrors) as exc:
        load_dataset(path)
    return exc.value.errors


def base_copy(tmp_path: Path, **edits) -> Path:
    """A copy of the valid base dataset with files replaced: name=text (None removes)."""
    d = tmp_path / "ds"
    shutil.copytree(BASE, d)
    for name, text in edits.items():
        f = d / f"{name}.csv"
        if text is None:
            f.unlink()
        else:
            f.write_text(text, encoding="utf-8")
    return d


def edit(name: str, old: str, new: str) -> str:
    text = (BASE / f"{name}.csv").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


# ---------------------------------------------------------------------------
# Broken fixtures: one problem each, with the fragments its message must contain
# ---------------------------------------------------------------------------


def test_there_are_broken_cases():
    assert {"negative_days", "missing_column", "duplicate_person_id", "text_in_number",
            "unknown_column", "too_many_decimals", "unknown_unit",
            "fraction_out_of_range"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_broken_dataset(case):
    folder = BROKEN / case
    expected = [ln for ln in (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
                if ln.strip()]
    assert expected, "expected.txt is empty"
    errors = errors_of(folder)
    messages = [str(e) for e in errors]
    # each case breaks exactly one thing of a valid base: exactly one problem
    assert len(errors) == 1, messages
    assert all(isinstance(e, DatasetError) for e in errors)
    for fragment in expected:
        assert fragment in messages[0], f"{fragment!r} not in {messages[0]!r}"


def test_base_is_valid_and_typed():
    ds = load_dataset(BASE)
    assert ds.year == 2024
    assert ds.meta == {"year": "2024", "chamber": "prova"}
    staff = ds.table("staff")
    assert len(staff) == 4
    assert staff.rows.tolist() == [2, 3, 4, 5]
    assert staff.columns["person_id"].tolist() == ["P01", "P02", "P03", "P04"]
    assert staff.columns["part_time"].dtype == np.int64
    assert staff.columns["part_time"].tolist() == [1_000_000, 1_000_000, 500_000, 1_000_000]
    assert staff.columns["presence_days"].tolist() == [0, 23000, 21050, 18000]
    assert staff.missing["presence_days"].tolist() == [True, False, False, False]
    assert staff.columns["time_coefficient"].tolist() == [1_000_000] * 4  # default 1
    assert "time_coefficient" not in staff.missing  # has a default
    assert staff.columns["theoretical_premium"].tolist() == [0, 0, 0, 0]
    assert staff.missing["theoretical_premium"].all()
    assert staff.columns["category"].tolist() == [None, "C", "B", "C"]
    assert staff.columns["pool_share"].tolist() == [Decimal(1)] * 4
    cats = ds.table("categories")
    assert cats.columns["theoretical_premium"].tolist() == [110000, 130000]
    beh = ds.table("behaviours")
    i = row_of(beh, "factor", "responsabilizzazione_leadership")
    assert beh.columns["score"][i] == 450 and beh.rows[i] == 3
    assert int(beh.columns["score"].sum()) == 16600  # 17.5 + 62.5 + 55.5 + 30.5 points
    ab = ds.table("absences")
    assert ab.columns["days"].tolist() == [1000, 4550]
    ind = ds.table("indicators")
    assert ind.columns["direction"].tolist() == ["higher", "lower", "higher"]
    assert ind.columns["target"].tolist() == [Decimal(90), Decimal(5), Decimal(4)]
    assert ind.columns["actual"][0] == Decimal("85.5")
    assert all(isinstance(v, Decimal) for v in ind.columns["actual"])
    obj = ds.table("objectives")
    assert obj.columns["weight"].tolist() == [Decimal(1), Decimal(2), Decimal(1)]
    assert obj.columns["unit_id"].tolist() == ["CCIAA", "UFF1", None]
    assert obj.missing["attested_percent"].all()
    assert ds.table("resources").columns["amount"].tolist() == [3000000, 500000, 50000]
    # absent optional table: present with 0 rows and every column
    asg = ds.table("assignments")
    assert len(asg) == 0 and set(asg.columns) == {"person_id", "component", "objective_id",
                                                    "weight"}
    assert set(ds.tables) == set(TABLES)
    with pytest.raises(KeyError):
        ds.table("stafff")


def test_columns_are_read_only():
    staff = load_dataset(BASE).table("staff")
    with pytest.raises(ValueError):
        staff.columns["presence_days"][0] = 5
    with pytest.raises(ValueError):
        staff.rows[0] = 9


def test_all_problems_are_collected(tmp_path):
    d = base_copy(
        tmp_path,
        staff=edit("staff", "P04,Neri Paolo,dipendente,UFF1,1,180", "P04,Neri Paolo,dipendente,UFF9,1,-2"),
        absences=edit("absences", "P03,malattia,10", "P03,malattia,dieci"),
        resources=None,
    )
    messages = [str(e) for e in errors_of(d)]
    assert len(messages) == 4, messages
    text = "\n".join(messages)
    for fragment in ("staff.csv:5: presence_days", "staff.csv:5: unit_id", 'unknown unit_id "UFF9"',
                     'absences.csv:2: days: not a number', "missing required table resources"):
        assert fragment in text


# ---------------------------------------------------------------------------
# Number formats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, millionths", [
    ("0.5", 500_000), ("0,5", 500_000), ("50%", 500_000), ("50 %", 500_000),
    (".5", 500_000), ("83,33%", 833_300), ("0.8333", 833_300), ("1", 1_000_000),
    ("100%", 1_000_000), ("0.000001", 1),
])
def test_part_time_formats(tmp_path, text, millionths):
    staff = edit("staff", "P03,Verdi Laura,dipendente,UFF1,0.5", f'P03,Verdi Laura,dipendente,UFF1,"{text}"')
    ds = load_dataset(base_copy(tmp_path, staff=staff))
    assert ds.table("staff").columns["part_time"][2] == millionths


@pytest.mark.parametrize("text, message", [
    ("0.0000001", "too many decimals"), ("1.5", "out of range"), ("-0.5", "out of range"),
    ("mezzo", "not a number"), ("50€", "not a number"),
])
def test_part_time_rejected(tmp_path, text, message):
    staff = edit("staff", "P03,Verdi Laura,dipendente,UFF1,0.5", f'P03,Verdi Laura,dipendente,UFF1,"{text}"')
    (err,) = errors_of(base_copy(tmp_path, staff=staff))
    assert err.line == 4 and err.field == "part_time" and message in err.message


@given(st.integers(min_value=0, max_value=10**13), st.sampled_from([".", ","]),
       st.sampled_from(["", " €", "€ "]))
@settings(max_examples=200, deadline=None)
def test_money_text_is_exact(cents, sep, euro):
    amount = TABLES["resources"].column("amount")
    text = f"{cents // 100}{sep}{cents % 100:02d}"
    text = (euro + text) if euro.endswith(" ") else (text + euro)
    assert _cell(amount, text) == cents
    assert _cell(amount, f"{cents // 100}") == cents - cents % 100


@pytest.mark.parametrize("text, cents", [("1.234,56", 123456), ("1,234.56", 123456),
                                         ("1.234.567", 123456700), ("1 234", 123400),
                                         ("12'000", 1200000), ("1.234,56 €", 123456)])
def test_unambiguous_thousands_separators_are_read(text, cents):
    """As Italian Excel writes money (issue 15): grouped numbers read where unambiguous."""
    amount = TABLES["resources"].column("amount")
    assert _cell(amount, text) == cents


@pytest.mark.parametrize("text", ["12.34,56", "1.234,5.6", "1,23.456"])
def test_malformed_thousands_separators_are_refused(text):
    from smvp_engine.dataset import _Bad
    amount = TABLES["resources"].column("amount")
    with pytest.raises(_Bad, match="thousands separator|not a number"):
        _cell(amount, text)


def test_ambiguous_thousands_hint():
    from smvp_engine.dataset import _Bad
    amount = TABLES["resources"].column("amount")
    with pytest.raises(_Bad) as exc:
        _cell(amount, "1.500")  # 1.5 euro written with 3 decimals, or 1500?
    assert "too many decimals" in exc.value.message and "write 1500" in exc.value.hint


def test_semicolon_bom_decimal_comma_and_header_case(tmp_path):
    staff = ("\ufeffPerson_ID; NAME ;Role;unit_id;Part_Time;presence_days\n"
             "P01;Rossi Anna;segretario_generale;AREA1;1;\n"
             "P02;Bianchi Marco;dipendente;UFF1;100%;230,25\n"
             "P03;Verdi Laura;dipendente;UFF1;0,5;210,5\n"
             "P04;Neri Paolo;dipendente;UFF1;75 %;180\n")
    d = base_copy(tmp_path)
    (d / "staff.csv").write_bytes(staff.encode("utf-8"))
    ds = load_dataset(d)
    s = ds.table("staff")
    assert s.columns["name"].tolist() == ["Rossi Anna", "Bianchi Marco", "Verdi Laura", "Neri Paolo"]
    assert s.columns["presence_days"].tolist() == [0, 23025, 21050, 18000]
    assert s.columns["part_time"].tolist() == [1_000_000, 1_000_000, 500_000, 750_000]


def test_percent_columns(tmp_path):
    objectives = edit("objectives", "OBU1,Obiettivo d'ufficio,ufficio,UFF1,,2,operativo,,",
                      "OBU1,Obiettivo d'ufficio,ufficio,UFF1,,2,operativo,95%,validato OIV")
    indicators = edit("indicators", "OBE1.1,OBE1,Indicatore di ente (%),90,85.5",
                      'OBE1.1,OBE1,Indicatore di ente (%),90%,"85,5%"')
    ds = load_dataset(base_copy(tmp_path, objectives=objectives, indicators=indicators))
    assert ds.table("objectives").columns["attested_percent"][1] == Decimal(95)
    assert ds.table("objectives").missing["attested_percent"].tolist() == [True, False, True]
    ind = ds.table("indicators")
    assert ind.columns["target"][0] == Decimal("0.9")
    assert ind.columns["actual"][0] == Decimal("0.855")


def test_unknown_column_is_not_ignored_and_missing_required_columns_listed(tmp_path):
    staff = edit("staff", "person_id,name,role,unit_id", "person_id,name,rolle,unit,extra")
    msgs = [str(e) for e in errors_of(base_copy(tmp_path, staff=staff))]
    text = "\n".join(msgs)
    assert "staff.csv:1: role: missing required column" in text
    assert "staff.csv:1: unit_id: missing required column" in text
    assert 'did you mean \'unit\'' in text
    assert "staff.csv:1: rolle: unknown column" in text or "did you mean 'rolle'" in text
    assert "extra" in text


# ---------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------


def base_workbook(path: Path, tweak=None) -> Path:
    """The base dataset as a workbook (numbers as numbers), optionally tweaked per cell."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for csv_file in sorted(BASE.glob("*.csv")):
        ws = wb.create_sheet(csv_file.stem)
        spec = TABLES[csv_file.stem]
        lines = csv_file.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        ws.append(header)
        for line in lines[1:]:
            row = []
            for name, text in zip(header, line.split(",")):
                kind = spec.column(name).kind
                if text == "":
                    row.append(None)
                elif kind in ("score", "days", "money", "fraction", "decimal"):
                    row.append(float(text) if "." in text else int(text))
                else:
                    row.append(text)
            ws.append(row)
    if tweak:
        tweak(wb)
    wb.save(path)
    return path


def test_workbook_equals_csv(tmp_path):
    book = base_workbook(tmp_path / "base.xlsx")
    a, b = load_dataset(BASE), load_dataset(book)
    assert a.sha256 == b.sha256
    assert b.table("staff").file == f"{book}[staff]"


def test_workbook_cells(tmp_path):
    def tweak(wb):
        st_ = wb["staff"]
        st_["E4"] = 0.5
        st_["E4"].number_format = "0%"          # part_time shown as 50%
        st_["A5"] = 1004                         # a numeric id
        st_["F5"] = 180.1                        # float: read via repr, exactly
        obj = wb["objectives"]
        obj["H3"] = 0.95
        obj["H3"].number_format = "0.00%"       # attested 95%
        obj["F2"] = 0.1                          # weight 0.1
        wb["behaviours"]["A17"] = 1004
        wb["behaviours"]["A16"] = 1004
        wb["behaviours"]["A15"] = 1004
        wb["behaviours"]["A14"] = 1004
        wb["absences"]["A3"] = 1004

    ds = load_dataset(base_workbook(tmp_path / "book.xlsx", tweak))
    s = ds.table("staff")
    assert s.columns["part_time"][2] == 500_000
    assert s.columns["person_id"][3] == "1004"
    assert s.columns["presence_days"][3] == 18010
    obj = ds.table("objectives")
    assert obj.columns["attested_percent"][1] == Decimal(95)
    assert obj.columns["weight"][0] == Decimal("0.1")


def test_workbook_errors_name_the_sheet_and_row(tmp_path):
    def tweak(wb):
        wb["staff"]["F5"] = -3
        wb["staff"]["F4"] = 210.125              # 3 decimals
        wb.create_sheet("Stafff")

    book = base_workbook(tmp_path / "book.xlsx", tweak)
    msgs = [str(e) for e in errors_of(book)]
    assert len(msgs) == 3, msgs
    text = "\n".join(msgs)
    assert f"{book}[staff]:5: presence_days: negative number of days" in text
    assert f"{book}[staff]:4: presence_days: too many decimals" in text
    assert "found 210.125)" in text
    assert "unknown table 'stafff'" in text and "did you mean staff?" in text


def _with_cached_error(book: Path, sheet: str, cell: str, code: str) -> Path:
    """Rewrite a workbook as Excel saves a failed formula: <c t="e"><f>…</f><v>#DIV/0!</v></c>."""
    import re
    import zipfile

    wb = openpyxl.load_workbook(book, read_only=True)
    xml_path = wb[sheet]._worksheet_path
    wb.close()
    out = book.with_name("cached-" + book.name)
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == xml_path:
                data = re.sub(rf'<c r="{cell}"[^>]*>.*?</c>'.encode(),
                              f'<c r="{cell}" t="e"><f>1/0</f><v>{code}</v></c>'.encode(), data)
            zout.writestr(item, data)
    return out


def test_workbook_formula_errors_are_named_once(tmp_path):
    """=1/0 in a cell: its error code and cell, not 'blank' nor a cascade."""
    def tweak(wb):
        wb["staff"]["F3"] = "=1/0"           # no computed value (written by a program)
        wb["staff"]["E4"] = 0.5              # computed below as #DIV/0!

    book = base_workbook(tmp_path / "book.xlsx", tweak)
    msgs = [str(e) for e in errors_of(_with_cached_error(book, "staff", "E4", "#DIV/0!"))]
    assert len(msgs) == 2, msgs
    assert "[staff]:3: presence_days: formula without a computed value in cell F3" in msgs[0]
    assert "found =1/0" in msgs[0]
    assert "[staff]:4: part_time: formula error #DIV/0! in cell E4" in msgs[1]


def test_row_cut_short_is_one_field_count_error(tmp_path):
    d = base_copy(tmp_path, staff=edit("staff", "P03,Verdi Laura,dipendente,UFF1,0.5,210.5,,,B,",
                                      "P03,Verdi Laura"))
    msgs = [str(e) for e in errors_of(d)]
    assert len(msgs) == 1, msgs
    assert "staff.csv:4: the row has 2 cells but the header has 10 columns" in msgs[0]


def test_references_to_an_empty_table_are_one_error(tmp_path):
    header = (BASE / "objectives.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
    d = base_copy(tmp_path, objectives=header)
    msgs = [str(e) for e in errors_of(d)]
    assert len(msgs) == 1, msgs
    assert "indicators.csv:2: objective_id: objectives.csv has no rows, but 3 rows of " \
           "indicators.csv refer to it" in msgs[0]


def test_days_of_the_year_follow_meta_year(tmp_path):
    d = base_copy(tmp_path, staff=edit("staff", ",1,230,", ",1,365.5,"),
                  meta="key,value\nyear,2023\n")
    msgs = [str(e) for e in errors_of(d)]
    assert len(msgs) == 1 and "more days than the 365 days of 2023" in msgs[0], msgs
    load_dataset(base_copy(tmp_path / "leap", staff=edit("staff", ",1,230,", ",1,365.5,")))


def test_cycle_dates_are_checked_at_load(tmp_path):
    d = base_copy(tmp_path, cycle="step,date\na,2025-06-30\nb,30/06/2025\nc,2025-02-30\n")
    msgs = [str(e) for e in errors_of(d)]
    assert len(msgs) == 1 and "cycle.csv:4: date: not a date" in msgs[0], msgs


def test_not_a_dataset(tmp_path):
    (err,) = errors_of(tmp_path / "nope")
    assert "no such folder or workbook" in str(err)
    f = tmp_path / "staff.csv"
    f.write_text("x\n")
    (err,) = errors_of(f)
    assert "not a dataset" in str(err)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    (err,) = errors_of(bad)
    assert "cannot read the workbook" in str(err)


def test_not_utf8(tmp_path):
    d = base_copy(tmp_path)
    # bytes that are neither UTF-8 nor Windows-1252 (0x81 is undefined there)
    (d / "staff.csv").write_bytes((BASE / "staff.csv").read_text().replace("Rossi", "Ross\x01")
                                  .encode("latin-1").replace(b"\x01", b"\x81"))
    (err,) = errors_of(d)
    assert "staff.csv" in str(err) and "not UTF-8" in str(err)


def test_windows_1252_is_read_with_a_note(tmp_path):
    d = base_copy(tmp_path)
    (d / "staff.csv").write_bytes((BASE / "staff.csv").read_text().replace("Rossi", "Rossì").encode("cp1252"))
    ds = load_dataset(d)
    assert "Rossì Anna" in list(ds.table("staff")["name"])
    assert len(ds.notes) == 1 and "staff.csv: read as Windows-1252" in ds.notes[0]


# ---------------------------------------------------------------------------
# Content hash and in-memory datasets
# ---------------------------------------------------------------------------


def test_hash_follows_content_not_spelling(tmp_path):
    base = load_dataset(BASE)
    # weight blank (default 1) and weight written as 1,0: same content
    same = edit("objectives", "OBE1,Obiettivo di ente,ente,CCIAA,,,", 'OBE1,Obiettivo di ente,ente,CCIAA,,"1,0",')
    assert load_dataset(base_copy(tmp_path / "a", objectives=same)).sha256 == base.sha256
    changed = edit("staff", "P02,Bianchi Marco,dipendente,UFF1,1,230", "P02,Bianchi Marco,dipendente,UFF1,1,230.01")
    assert load_dataset(base_copy(tmp_path / "b", staff=changed)).sha256 != base.sha256
    # a blank money cell is not the same content as 0.00
    zero = edit("staff", "P02,Bianchi Marco,dipendente,UFF1,1,230,,", "P02,Bianchi Marco,dipendente,UFF1,1,230,,0.00")
    assert load_dataset(base_copy(tmp_path / "c", staff=zero)).sha256 != base.sha256


def columns_of(ds: Dataset) -> dict[str, dict[str, object]]:
    out = {}
    for name, t in ds.tables.items():
        cols = {}
        for c, a in t.columns.items():
            m = t.missing.get(c)
            if m is not None:
                cols[c] = [None if blank else v for v, blank in zip(a.tolist(), m.tolist())]
            else:
                cols[c] = a
        out[name] = cols
    return out


def test_dataset_from_columns_round_trip(sample):
    ds = dataset_from_columns(columns_of(sample), path="mem")
    assert ds.sha256 == sample.sha256
    assert ds.year == 2024
    t = ds.table("staff")
    assert t.rows.tolist() == list(range(2, len(t) + 2))
    assert t.file == "mem[staff]"


def test_dataset_from_columns_defaults_and_errors():
    tables = {
        "units": {"unit_id": ["E", "U"], "label": ["Ente", "Ufficio"], "level": ["ente", "ufficio"],
                  "parent_id": [None, "E"]},
        "objectives": {"objective_id": ["O1"], "label": ["o"], "level": ["ente"]},
        "indicators": {"indicator_id": ["I1"], "objective_id": ["O1"], "target": [Decimal(10)],
                       "actual": [8]},
        "staff": {"person_id": ["A", "B"], "role": ["dipendente"] * 2, "unit_id": ["U", "U"],
                  "presence_days": np.array([23000, 0], dtype=np.int64)},
        "behaviours": {"person_id": ["A"], "factor": ["f"], "score": [1250]},
        "resources": {"resource": ["produttivita"], "amount": [100000]},
    }
    ds = dataset_from_columns(tables)
    s = ds.table("staff")
    assert s.columns["part_time"].tolist() == [1_000_000, 1_000_000]
    assert s.columns["pool_share"].tolist() == [Decimal(1), Decimal(1)]
    assert s.missing["theoretical_premium"].tolist() == [True, True]
    assert ds.table("indicators").columns["actual"].tolist() == [Decimal(8)]
    assert ds.table("indicators").columns["direction"].tolist() == ["higher"]
    assert ds.year is None and len(ds.table("absences")) == 0

    bad = {k: dict(v) for k, v in tables.items()}
    bad["staff"] = dict(tables["staff"], unit_id=["U", "X"], presence_days=[-1, 0])
    with pytest.raises(DatasetErrors) as exc:
        dataset_from_columns(bad)
    text = str(exc.value)
    assert "<memory>[staff]:3: unit_id: unknown unit_id \"X\"" in text
    assert "<memory>[staff]:2: presence_days: negative number of days" in text
    assert "found -0.01)" in text
    with pytest.raises(TypeError):
        dataset_from_columns(dict(tables, resources={"resource": ["r"], "amount": [1000.0]}))


# ---------------------------------------------------------------------------
# The bundled Cuneo sample
# ---------------------------------------------------------------------------


def test_sample_csv_and_xlsx_are_the_same(sample, sample_xlsx):
    assert sample.sha256 == sample_xlsx.sha256
    assert sample.year == sample_xlsx.year == 2024
    assert set(sample.tables) == set(sample_xlsx.tables) == set(TABLES)
    for name, a in sample.tables.items():
        b = sample_xlsx.tables[name]
        assert len(a) == len(b), name
        assert len(a) > 0 or name in ("projects", "objective_links", "cycle"), name  # not in the Cuneo sample
        assert a.rows.tolist() == b.rows.tolist(), name
        assert set(a.missing) == set(b.missing), name
        for col, va in a.columns.items():
            vb = b.columns[col]
            assert va.dtype == vb.dtype, (name, col)
            assert va.tolist() == vb.tolist(), (name, col)


def test_sample_structure(sample):
    profile = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    units = sample.table("units")
    level = dict(zip(units.columns["unit_id"], units.columns["level"]))
    parent = dict(zip(units.columns["unit_id"], units.columns["parent_id"]))
    assert Counter(level.values()) == {"ente": 1, "area": 2, "servizio": 4, "ufficio": 11}
    assert set(level.values()) <= set(profile["organisational"]["levels"])

    staff = sample.table("staff")
    roles = Counter(staff.columns["role"])
    assert roles == {"segretario_generale": 1, "dirigente": 1, "elevata_qualificazione": 8,
                     "dipendente": 70}
    unit_level = {r: {level[u] for u, rr in zip(staff.columns["unit_id"], staff.columns["role"])
                      if rr == r} for r in roles}
    assert unit_level == {"segretario_generale": {"area"}, "dirigente": {"area"},
                          "elevata_qualificazione": {"servizio"}, "dipendente": {"ufficio"}}
    sg = row_of(staff, "role", "segretario_generale")
    assert staff.columns["unit_id"][sg] == "AREA1"
    assert staff.missing["theoretical_premium"][sg]
    role_of = dict(zip(staff.columns["person_id"], staff.columns["role"]))
    # presence: one person with 0 days, a few low ones; varied part time
    dip = staff.columns["role"] == "dipendente"
    days = staff.columns["presence_days"][dip]
    assert (days == 0).sum() == 1 and ((days > 0) & (days < 20000)).sum() >= 3
    assert set(staff.columns["part_time"][dip].tolist()) >= {1_000_000, 500_000, 833_300, 750_000}
    assert not staff.missing["presence_days"][dip].any()
    assert staff.missing["theoretical_premium"][dip].all()
    eq = staff.columns["role"] == "elevata_qualificazione"
    assert not staff.missing["theoretical_premium"][eq].any()
    assert (staff.columns["time_coefficient"][eq] == 500_000).sum() == 1

    # behaviours: one row per person per factor of the role, within the maxima
    factors = {r: spec["behaviours"]["factors"] for r, spec in profile["roles"].items()}
    beh = sample.table("behaviours")
    seen: dict[str, set] = {}
    total: Counter = Counter()
    for p, f, s in zip(beh.columns["person_id"], beh.columns["factor"], beh.columns["score"]):
        seen.setdefault(p, set()).add(f)
        assert 0 <= s <= factors[role_of[p]][f]["max"] * 100, (p, f, s)
        assert s % 50 == 0, (p, f, s)  # integers or .5
        total[p] += int(s)
    assert {p: set(factors[role_of[p]]) for p in role_of} == seen
    dip_totals = sorted(v for p, v in total.items() if role_of[p] == "dipendente")
    assert dip_totals[0] < 1500           # one negative evaluation (behaviour < 15)
    assert dip_totals[1] >= 1500
    assert sum(1 for v in dip_totals if v <= 3100) >= 3  # totals ≤ 60 even with full results

    # objectives: every level, individual objectives for SG, dirigente and each EQ
    obj = sample.table("objectives")
    levels = Counter(obj.columns["level"])
    assert levels["ente"] == 3 and levels["area"] == 4
    units_with = {lv: {u for u, lvl in zip(obj.columns["unit_id"], obj.columns["level"]) if lvl == lv}
                  for lv in ("area", "servizio", "ufficio")}
    for lv, have in units_with.items():
        assert have == {u for u, lvl in level.items() if lvl == lv}, lv
    owners = {p for p, lvl in zip(obj.columns["person_id"], obj.columns["level"]) if lvl == "individuale"}
    assert owners == {p for p, r in role_of.items() if r != "dipendente"}
    attested = [i for i, v in enumerate(obj.columns["attested_percent"]) if v is not None]
    assert len(attested) == 1 and obj.columns["attestation_note"][attested[0]]
    ind = sample.table("indicators")
    per_obj = Counter(ind.columns["objective_id"])
    assert set(per_obj) == set(obj.columns["objective_id"])
    assert set(per_obj.values()) <= {1, 2, 3}
    assert "lower" in set(ind.columns["direction"])

    # the parents lead up to the ente
    for u in level:
        seen_u = set()
        while parent[u] is not None:
            assert u not in seen_u
            seen_u.add(u)
            u = parent[u]
        assert u == "CCIAA"

    # resources cover the theoretical amounts
    res = dict(zip(sample.table("resources").columns["resource"],
                   sample.table("resources").columns["amount"].tolist()))
    assert set(res) == {"risultato_dirigenza", "risultato_eq", "produttivita", "maggiorazione"}
    assert set(res) <= {f["resource"] for f in profile["funds"].values()} | {
        m["resource"] for m in profile["maggiorazioni"].values()}
    cat = dict(zip(sample.table("categories").columns["category"],
                   sample.table("categories").columns["theoretical_premium"].tolist()))
    assert cat == {"B": 110000, "C": 130000, "D": 150000}
    assert res["risultato_eq"] >= int(staff.columns["theoretical_premium"][eq].sum())
    assert res["produttivita"] >= sum(cat[c] for c in staff.columns["category"][dip])
    absence_types = set(sample.table("absences").columns["type"])
    assert {"maternita", "malattia", "congedo_parentale"} <= absence_types
    from smvp_engine.profile import load_profile  # with the types inherited from the national layer
    assert absence_types <= set(load_profile(PROFILE).data["absence_types"])
    assert sample.meta["chamber"] == "cuneo"


def test_sample_generator_is_reproducible(tmp_path):
    spec = importlib.util.spec_from_file_location("make_cuneo_sample",
                                                  ROOT / "scripts" / "make_cuneo_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--out", str(tmp_path)]) == 0
    for f in sorted(SAMPLE.glob("*.csv")):
        assert (tmp_path / "2024" / f.name).read_bytes() == f.read_bytes(), f.name
    assert sorted(p.name for p in (tmp_path / "2024").iterdir()) == sorted(p.name for p in SAMPLE.iterdir())
    assert (tmp_path / "2024.xlsx").read_bytes() == SAMPLE_XLSX.read_bytes()
