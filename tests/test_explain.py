"""smvp explain: the trace of one person's calculation, against the hand-worked Cuneo golden case.

``tests/golden/explain/main_2024.yaml`` holds, per person, nodes of the trace with the value
and the arithmetic written by hand from ``tests/golden/cuneo/main_2024/expected.yaml``; every
person's figures are also checked against that file directly.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from smvp import cli
from smvp_engine.dataset import load_dataset
from smvp_engine.explain import PersonNotFound, explain, walk
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "tests" / "golden" / "cuneo" / "main_2024"
PROFILE = REPO / "chambers" / "cuneo.yaml"  # the Cuneo profile the golden case is worked on
NATIONAL = REPO / "chambers" / "national" / "italia.yaml"  # the layer it extends
GOLDEN = yaml.safe_load((REPO / "tests" / "golden" / "explain" / "main_2024.yaml").read_text(encoding="utf-8"))
EXPECTED = yaml.safe_load((CASE / "expected.yaml").read_text(encoding="utf-8"))
runner = CliRunner()


@pytest.fixture(scope="module")
def ev():
    return evaluate(load_profile(PROFILE), load_dataset(CASE))


def _find(trace: dict, path: list) -> dict:
    node = trace
    for step in path:
        matches = [c for c in node["children"] if c["label"] == step or c["key"] == step]
        assert matches, f"no {step!r} under {node['key']} {node['label']!r}: " + \
            ", ".join(f"{c['key']}/{c['label']}" for c in node["children"])
        node = matches[0]
    return node


CHECKS = [(pid, i, check) for pid, checks in GOLDEN["people"].items() for i, check in enumerate(checks)]


@pytest.mark.parametrize("pid,i,check", CHECKS, ids=[f"{p}-{i}-{'/'.join(map(str, c['at']))}" for p, i, c in CHECKS])
def test_trace_node_matches_the_hand_arithmetic(ev, pid, i, check):
    node = _find(explain(ev, pid), check["at"])
    assert node["value"] == check["value"]
    if "calc" in check:
        assert node["calc"] == check["calc"]
    if "rule" in check:
        assert node["rule"]["id"] == check["rule"]
    if "note" in check:
        assert node["note"] and node["note"]["id"] == check["note"]
    for name, value in (check.get("inputs") or {}).items():
        assert {i["name"]: i["value"] for i in node["inputs"]}[name] == value


@pytest.mark.parametrize("pid", sorted(EXPECTED["people"]))
def test_every_figure_of_the_golden_case(ev, pid):
    exp = EXPECTED["people"][pid]
    trace = explain(ev, pid)
    top = {c["key"]: c for c in trace["children"]}
    for field in ("results", "behaviour", "total", "theoretical", "premium", "paid"):
        if field in exp:
            assert Decimal(top[field]["value"]) == Decimal(exp[field]), field
    comps = {c["label"]: c["value"] for c in top["results"]["children"]}
    assert sorted(Decimal(v) for v in comps.values()) == sorted(Decimal(v) for v in exp["components"].values())
    assert Decimal(top["coefficient"]["value"]) == Decimal(exp["coefficient"])
    assert top["negative"]["value"] is exp["negative"]
    assert top["judgement"]["value"] == {"positiva": "Valutazione positiva",
                                         "non_positiva": "Valutazione non positiva"}[exp["judgement"]]
    magg = top.get("maggiorazione")
    assert Decimal(magg["value"] if magg else "0") == Decimal(exp["maggiorazione"])
    assert Decimal(trace["value"]) == Decimal(exp["paid"])


def test_order_of_the_calculation(ev):
    keys = [c["key"] for c in explain(ev, "D06")["children"]]
    assert keys == ["results", "behaviour", "total", "judgement", "negative", "payout_factor", "coefficient",
                    "theoretical", "premium", "maggiorazione", "paid"]
    assert [c["key"] for c in explain(ev, "EQ1")["children"]][-1] == "paid"
    assert "maggiorazione" not in [c["key"] for c in explain(ev, "SG")["children"]]


def test_every_rule_cites_its_source_at_the_right_line(ev):
    lines = PROFILE.read_text(encoding="utf-8").splitlines()
    trace = explain(ev, "D07")
    layered = 0
    for node in walk(trace):
        if node["key"] in ("paid",):
            continue
        assert node["source"], node["key"]
        src = node["source"]
        assert src["document"] in ("smvp2024", "dlgs150", "dl112", "smvp_engine") and src["section"] and src["title"]
        file, line = src["at"].rsplit(":", 1)
        # a rule inherited from the national layer is written there, and says so
        assert file == (str(NATIONAL) if src.get("layer") == "national/italia" else str(PROFILE))
        layered += bool(src.get("layer"))
    ufficio = _find(trace, ["results", "Obiettivo d'ufficio"])
    assert ufficio["rule"]["path"] == "roles.dipendente.results.components.ufficio.max"
    line = int(ufficio["source"]["at"].rsplit(":", 1)[1])
    assert "ufficio: {label" in lines[line - 1]
    curve = _find(trace, ["payout_factor"])
    assert curve["rule"]["path"] == "curves.graduazione.intervals.2"
    assert 'graduazione:' in lines[int(curve["source"]["at"].rsplit(":", 1)[1]) - 1]
    assert _find(trace, ["maggiorazione", "ranking"])["rule"]["params"]["tie_policy"] == "exclude_tied"
    # D07 has no absence: the presence rule cites the first type counted as presence (maternità, national layer)
    assert layered >= 1


def test_unknown_person(ev):
    with pytest.raises(PersonNotFound):
        explain(ev, "NOBODY")


# --------------------------------------------------------------------------- through the CLI, on a stored run


@pytest.fixture
def stored(tmp_path):  # in the environment tests/conftest.py sets up
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    r = runner.invoke(cli.app, ["evaluate", "--profile", str(PROFILE), "--data", str(CASE), "--db", db])
    assert r.exit_code == 0, r.output
    return db


def test_explain_text_for_a_conciliation_reply(stored):
    r = runner.invoke(cli.app, ["explain", "--run", "1", "--person", "D12", "--text", "--db", stored])
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "Dipendente 12 (D12), Dipendente, unità UFF3" in text
    assert "3. Punteggio totale: 93,00 punti" in text
    assert "Calcolo: 1.100,00 × 1 × 0,8 = 880" in text         # parental leave is not presence (art. 71 c. 5)
    assert "Calcolo: 0,8 × 1 = 0,8" in text                    # presenza × coinvolgimento temporale
    assert "a pari merito con D11 ai posti 4–5, a cavallo della quota 4: esclusi tutti i pari merito" in text
    assert "Regola: negativa se i punti dei comportamenti sono inferiori a 15" in text
    assert "Fonte: smvp2024, 3.3 Valutazione negativa" in text
    assert "Documenti citati:" in text and "dl112: D.l. 25 giugno 2008, n. 112" in text
    assert "ATTENZIONE" not in text
    en = runner.invoke(cli.app, ["explain", "--run", "1", "--person", "D12", "--text", "--db", stored, "--lang", "en"])
    assert "3. Total points: 93.00 points" in en.stdout and "Documents cited:" in en.stdout


def test_explain_tree_and_json(stored):
    r = runner.invoke(cli.app, ["explain", "--run", "1", "--person", "SG", "--db", stored])
    assert r.exit_code == 0, r.output
    assert "Importo teorico (Retribuzione di risultato della dirigenza): 12.000,00 €" in r.stdout
    assert "20.000,00 × 60 % × 1/1 = 12.000" in r.stdout  # Italian numbers in the arithmetic
    en = runner.invoke(cli.app, ["explain", "--run", "1", "--person", "SG", "--db", stored, "--lang", "en"])
    assert "20000.00 × 60% × 1/1 = 12000" in en.stdout
    j = runner.invoke(cli.app, ["explain", "--run", "1", "--person", "EQ1", "--json", "--db", stored])
    assert j.exit_code == 0, j.output
    doc = json.loads(j.stdout)
    assert doc["run"]["matches_stored"] is True and doc["person_id"] == "EQ1"
    trace = doc["trace"]
    assert trace["value"] == "2500.00" and trace["value_text"] == "2.500,00 €"
    labels = [c["label"] for c in trace["children"]]
    assert labels[0] == "Punti dei risultati" and labels[-1] == "Totale erogato"
    coefficient = next(c for c in trace["children"] if c["key"] == "coefficient")
    assert coefficient["rule"]["description"] == "formula time_coefficient"


def test_explain_errors(stored):
    r = runner.invoke(cli.app, ["explain", "--run", "1", "--person", "NOBODY", "--db", stored])
    assert r.exit_code == 2 and "nessuna persona 'NOBODY' nell'esecuzione 1" in r.output
    r = runner.invoke(cli.app, ["explain", "--run", "99", "--person", "D01", "--db", stored])
    assert r.exit_code == 2 and "nessuna esecuzione 99" in r.output
