"""The output contract (smvp/results.py, schema/results.schema.json, docs/results.md).

Every bundled chamber's ``smvp evaluate --json`` validates against the shipped
schema; no quantity is a float; money is euro with two decimals everywhere
(the maggiorazioni summary agrees with the funds); the standard CSV carries the
same names and values; the dataset's percent convention refuses ambiguous values.
"""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from smvp import cli, results
from smvp_engine.dataset import load_dataset
from smvp_engine.errors import DatasetErrors
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile
from smvp_engine.resources import bundled_chambers, schema_path

ROOT = Path(__file__).resolve().parents[1]
CHAMBERS = sorted(p.stem for p in bundled_chambers().glob("*.yaml"))
runner = CliRunner()


def test_the_shipped_schema_is_the_one_the_code_builds():
    """One place: schema/results.schema.json is ``python -m smvp.results`` (regenerate it so)."""
    shipped = json.loads(schema_path(results.SCHEMA_NAME).read_text(encoding="utf-8"))
    assert shipped == results.build_schema(), "run: python -m smvp.results > schema/results.schema.json"
    jsonschema.Draft202012Validator.check_schema(shipped)
    assert shipped["properties"]["format_version"]["const"] == results.FORMAT_VERSION


def test_every_bundled_chamber_is_covered():
    assert {"cuneo", "cremona", "brescia", "lucca"} <= set(CHAMBERS)


def _floats(node, path="$"):
    if isinstance(node, float):
        yield path
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _floats(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _floats(v, f"{path}[{i}]")


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    out = {}
    for chamber in CHAMBERS:
        r = runner.invoke(cli.app, ["evaluate", "--chamber", chamber, "--json", "--no-store"])
        assert r.exit_code == 0, (chamber, r.output)
        out[chamber] = json.loads(r.stdout)
    return out


@pytest.mark.parametrize("chamber", CHAMBERS)
def test_json_output_validates_against_the_schema(documents, chamber):
    doc = documents[chamber]
    validator = jsonschema.Draft202012Validator(results.schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert doc["format_version"] == results.FORMAT_VERSION
    assert list(doc) == list(results.SECTIONS)
    assert not list(_floats(doc)), "a quantity written as a JSON float"
    assert doc["people"], chamber


def test_the_schema_rejects_what_the_contract_forbids(documents):
    validator = jsonschema.Draft202012Validator(results.schema())
    doc = json.loads(json.dumps(documents["cuneo"]))
    doc["people"][0]["paid"] = 18000.0                  # a float
    doc["funds"][0]["resources"] = "30000"              # money without its two decimals
    doc["summary"]["maggiorazioni"][0]["distributed"] = 899990  # cents
    doc["people"][1]["surprise"] = "x"                  # a field outside the contract
    paths = {tuple(e.absolute_path) for e in validator.iter_errors(doc)}
    assert ("people", 0, "paid") in paths
    assert ("funds", 0, "resources") in paths
    assert ("summary", "maggiorazioni", 0, "distributed") in paths
    assert ("people", 1) in paths


def test_money_is_euro_everywhere(documents):
    """summary.maggiorazioni (once cents) agrees with its fund and with the people, in euro."""
    doc = documents["cuneo"]
    (m,) = doc["summary"]["maggiorazioni"]
    fund = next(f for f in doc["funds"] if f["fund"] == m["id"])
    assert m["resources"] == fund["resources"] == "9000.00"
    assert m["distributed"] == fund["distributed"]
    paid = sum(Decimal(p["maggiorazione"]) for p in doc["people"] if p["maggiorazione"])
    assert Decimal(m["distributed"]) == paid == Decimal(m["amount_each"]) * m["recipients"]
    total = sum(Decimal(f["distributed"]) for f in doc["funds"])
    assert Decimal(doc["summary"]["distributed"]) == total
    for p in doc["people"]:
        if p["paid"] is not None:
            assert Decimal(p["paid"]) == Decimal(p["premium"]) + Decimal(p["maggiorazione"])


def test_representation():
    assert results.money(Decimal("1524.9")) == "1524.90"
    assert results.money(Decimal("-0.00")) == "0.00"
    assert results.money(7) == "7.00"
    assert results.money(None) is None
    with pytest.raises(results.ContractError):
        results.money(Decimal("0.005"))                  # not a whole cent: a defect upstream
    with pytest.raises(results.ContractError):
        results.money(12.5)                              # floats never reach the contract
    assert results.decimal(Decimal("74.010")) == "74.010"
    assert results.decimal(Fraction(1, 4)) == "0.25"
    with pytest.raises(results.ContractError):
        results.decimal(Fraction(1, 3))
    assert results.csv_cell(results.FLAG, True) == "1" and results.csv_cell(results.MONEY, None) == ""


def test_standard_csv_follows_the_contract(tmp_path, documents):
    out = tmp_path / "people.csv"
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "cuneo", "--no-store", "--out", str(out),
                                "--csv-dialect", "standard"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    people = documents["cuneo"]["people"]
    assert len(rows) == len(people)
    for row, person in zip(rows, people):
        for name, kind in results.PEOPLE.items():
            if name in results.MAPS:  # component:<id> points, reported:<id> percent
                for cid, value in person[name].items():
                    assert row[f"{results.MAPS[name]}:{cid}"] == (value or "")
            elif kind == results.FLAG:
                assert row[name] == ("" if person[name] is None else str(int(person[name])))
            else:
                assert row[name] == ("" if person[name] is None else str(person[name])), name


# --------------------------------------------------------------------------- percent convention


def test_meta_attested_percent_is_in_percent(tmp_path):
    """``ente_attested_percent`` 0.95 is ambiguous (0.95 % or 95 %?): a located error, nothing computed."""
    data = tmp_path / "brescia"
    shutil.copytree(ROOT / "chambers" / "data" / "brescia" / "2021", data)
    with open(data / "meta.csv", "a", encoding="utf-8") as fh:
        fh.write("ente_attested_percent,0.95\nente_attestation_note,OIV\n")
    profile = load_profile(ROOT / "chambers" / "brescia.yaml")
    with pytest.raises(DatasetErrors) as info:
        evaluate(profile, load_dataset(data))
    text = "\n".join(str(e) for e in info.value.errors)
    assert "meta.csv:5" in text and "ambiguous percent" in text and "write 95 for 95 %" in text


@pytest.mark.parametrize("written", ["95", "95%", "0.95%"])
def test_meta_attested_percent_unambiguous(tmp_path, written):
    data = tmp_path / "brescia"
    shutil.copytree(ROOT / "chambers" / "data" / "brescia" / "2021", data)
    with open(data / "meta.csv", "a", encoding="utf-8") as fh:
        fh.write(f"ente_attested_percent,{written}\nente_attestation_note,OIV\n")
    profile = load_profile(ROOT / "chambers" / "brescia.yaml")
    ev = evaluate(profile, load_dataset(data))
    assert ev.summary()["ente_performance"]["attested"] == Decimal(written.rstrip("%"))


@pytest.mark.parametrize("chamber", CHAMBERS)
def test_dumps_is_the_standard_librarys_text(chamber):
    """results.dumps writes with orjson: the same text as json.dumps(indent=2) on every document."""
    from smvp import export
    from smvp.report import Outcome

    data = sorted(p for p in (ROOT / "chambers" / "data" / chamber).iterdir() if p.is_dir())[-1]
    profile = load_profile(ROOT / "chambers" / f"{chamber}.yaml")
    ds = load_dataset(data)
    ev = evaluate(profile, ds, year=int(data.name))
    doc = export.contract_document(Outcome.from_evaluation(profile, ds, ev, year=int(data.name),
                                                           engine_version="test"))
    assert results.dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=2)


def test_dumps_falls_back_where_orjson_differs_or_refuses():
    odd = {"s": "".join(map(chr, range(0x30))) + "è€\u2028\U0001f600\x7f\\\"", "e": [[], {}],
           "n": [-(2**63), 2**63 - 1], "big": 2**70, "lone": "\ud800", 1: "key not a string"}
    for key in ("big", "lone", 1):
        doc = {k: v for k, v in odd.items() if k not in {"big", "lone", 1} - {key}}
        assert results.dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
    doc = {k: v for k, v in odd.items() if k in ("s", "e", "n")}
    assert results.dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
