"""smvp diff: golden semantic diffs, dated changes, what-if edits, impact on the Cuneo golden dataset, compare.

Golden diffs live in ``tests/golden/diff/<case>/`` (README there). The impact test
checks, by hand, what the same golden dataset (``tests/golden/cuneo/main_2024``)
gives under an edited Cuneo profile; the arithmetic is written beside the numbers.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from smvp import cli
from smvp.commands.diff import Side, render_lines
from smvp_engine.diff import diff_profiles, diff_years, parse_edit, parse_path, what_if
from smvp_engine.errors import ProfileErrors
from smvp_engine.profile import load_profile

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "diff"
BASE = GOLDEN / "base.yaml"
CUNEO_2024 = REPO / "tests" / "golden" / "cuneo" / "main_2024"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "case.yaml").is_file())
runner = CliRunner()



def _case(name: str) -> dict:
    return yaml.safe_load((GOLDEN / name / "case.yaml").read_text(encoding="utf-8"))


def _new_text(name: str) -> str:
    case = _case(name)
    if "new" in case:
        return (GOLDEN / name / case["new"]).read_text(encoding="utf-8")
    text = BASE.read_text(encoding="utf-8")
    for e in case.get("edits") or []:
        assert text.count(e["old"]) == 1, f"{name}: edit must match exactly once: {e['old'][:60]!r}"
        text = text.replace(e["old"], e["new"])
    return text


def _lines(name: str, lang: str = "it") -> list[str]:
    case = _case(name)
    base = load_profile(BASE)
    if "years" in case:
        y0, y1 = case["years"]
        result = diff_years(base, y0, y1)
        return render_lines(Side(f"base.yaml {y0}", base), Side(f"base.yaml {y1}", base), result, lang)
    new = load_profile(GOLDEN / name / "new.yaml", text=_new_text(name))
    return render_lines(Side("base.yaml", base), Side(name, new), diff_profiles(base, new), lang)


# --------------------------------------------------------------------------- golden diffs


def test_every_kind_of_change_has_a_case():
    assert {"threshold", "threshold_from_2025", "scale", "weights", "new_rule", "removed_rule", "tie_policy",
            "source_only", "reordering", "years_2022_2024"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_golden_diff(name):
    expected = (GOLDEN / name / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert _lines(name) == expected


@pytest.mark.parametrize("name", [c for c in CASES if (GOLDEN / c / "expected.en.txt").is_file()])
def test_golden_diff_english(name):
    expected = (GOLDEN / name / "expected.en.txt").read_text(encoding="utf-8").splitlines()
    assert _lines(name, "en") == expected


@pytest.mark.parametrize("name", [c for c in CASES if "years" not in _case(c)])
def test_golden_exit_code_through_the_cli(name, tmp_path):
    new = tmp_path / f"{name}.yaml"
    new.write_text(_new_text(name), encoding="utf-8")
    result = runner.invoke(cli.app, ["diff", str(BASE), str(new)])
    assert result.exit_code == _case(name)["exit"], result.output


def test_years_exit_code_and_json():
    result = runner.invoke(cli.app, ["diff", str(BASE), "--years", "2022", "2024", "--json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["mode"] == "years" and doc["counts"] == {"rule": 1, "source": 0, "text": 0}
    (c,) = doc["changes"]
    assert c["kind"] == "maggiorazione" and c["change"] == "added" and c["years"] == {"from": 2023, "until": None}
    assert c["new"]["tie_policy"] == "exclude_tied" and c["new"]["quota_percent"] == "40"


def test_source_only_is_not_a_rule_change_unless_strict(tmp_path):
    new = tmp_path / "new.yaml"
    new.write_text(_new_text("source_only"), encoding="utf-8")
    assert runner.invoke(cli.app, ["diff", str(BASE), str(new)]).exit_code == 0
    assert runner.invoke(cli.app, ["diff", str(BASE), str(new), "--strict"]).exit_code == 1


def test_reading_and_label_changes_are_wording():
    text = BASE.read_text(encoding="utf-8").replace("label: Valutazione positiva}", "label: Valutazione positiva piena}")
    new = load_profile("new.yaml", text=text)
    d = diff_profiles(load_profile(BASE), new)
    assert [c.category for c in d.changes] == ["text"]
    assert d.rule_changes == []
    assert "«Valutazione positiva» → «Valutazione positiva piena»" in render_lines(
        Side("a", new), Side("b", new), d, "it")[2 + 1]


def test_a_reading_given_per_language_is_a_change_like_any_text():
    # the rule's reading appears as {it, en} (e.g. a type inherited from the national layer):
    # the diff lists it once, as wording (it used to stop on "unhashable type: 'dict'")
    text = BASE.read_text(encoding="utf-8").replace(
        "    label: Congedo di paternità\n",
        "    label: Congedo di paternità\n    reading: {it: Dieci giorni, en: Ten days}\n")
    d = diff_profiles(load_profile(BASE), load_profile("new.yaml", text=text))
    assert [(c.path, c.attribute, c.category) for c in d.changes] == [
        (("absence_types", "paternita"), "reading", "text")]
    assert d.changes[0].new == {"it": "Dieci giorni", "en": "Ten days"}


def test_a_threshold_moved_across_the_closed_end_is_worded():
    text = BASE.read_text(encoding="utf-8").replace('"[0, 60]", value: "0"', '"[0, 60)", value: "0"') \
        .replace('"(60, 90]", value: "total / 100"', '"[60, 90]", value: "total / 100"')
    d = diff_profiles(load_profile(BASE), load_profile("n.yaml", text=text))
    (line,) = [x for x in render_lines(Side("a", None), Side("b", None), d, "it") if "soglia" in x]
    assert "soglia 60 (compreso sotto) → 60 (compreso sopra)" in line


# --------------------------------------------------------------------------- git revisions


def test_a_file_at_a_git_revision(tmp_path):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    prof = repo / "cuneo.yaml"
    prof.write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([*git, "add", "cuneo.yaml"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "v2023"], cwd=repo, check=True)
    subprocess.run([*git, "tag", "v2023"], cwd=repo, check=True)
    prof.write_text(_new_text("threshold"), encoding="utf-8")
    result = runner.invoke(cli.app, ["diff", f"{prof}@v2023", str(prof)])
    assert result.exit_code == 1, result.output
    assert "soglia 60 → 65" in result.stdout
    assert f"{prof}@v2023 →" in result.stdout
    bad = runner.invoke(cli.app, ["diff", f"{prof}@v1999", str(prof)])
    assert bad.exit_code == 2 and "revisione 'v1999'" in bad.output


# --------------------------------------------------------------------------- what-if


def test_set_threshold_equals_the_edited_file():
    base = load_profile(BASE)
    edited = what_if(base, [parse_edit("curves.graduazione.thresholds.0=65")])
    assert render_lines(Side("base.yaml", base), Side("threshold", edited), diff_profiles(base, edited), "it") \
        == (GOLDEN / "threshold" / "expected.txt").read_text(encoding="utf-8").splitlines()


def test_set_by_path_with_index_and_brackets():
    assert parse_path("curves.graduazione.intervals[0].interval") == ("curves", "graduazione", "intervals", 0, "interval")
    assert parse_path("curves.graduazione.intervals.0.interval") == ("curves", "graduazione", "intervals", 0, "interval")
    base = load_profile(BASE)
    edited = what_if(base, [parse_edit("curves.graduazione.intervals.0.interval=[0, 65]"),
                            parse_edit("curves.graduazione.intervals[1].interval=(65, 90]"),
                            parse_edit("maggiorazioni.art81.quota_percent=35")])
    words = [c.attribute for c in diff_profiles(base, edited).changes]
    assert words == ["threshold", "quota_percent"]


def test_unset_removes_a_rule():
    base = load_profile(BASE)
    edited = what_if(base, [parse_edit("maggiorazioni.art81", unset=True)])
    (c,) = diff_profiles(base, edited).changes
    assert (c.kind, c.change, c.years) == ("maggiorazione", "removed", (2023, None))


def test_set_that_breaks_the_profile_points_at_the_original_line():
    base = load_profile(BASE)
    with pytest.raises(ProfileErrors) as exc:
        what_if(base, [parse_edit("curves.graduazione.intervals.0.interval=[0, 65]")])
    (err,) = exc.value.errors
    line = BASE.read_text(encoding="utf-8").splitlines()[err.line - 1]
    assert err.file == str(BASE) and '"(60, 90]"' in line
    assert "overlap" in err.message and "(lines" not in err.message
    assert "--set curves.graduazione.intervals.0.interval=[0, 65]" in err.hint


def test_set_errors_through_the_cli_exit_2():
    bad_path = runner.invoke(cli.app, ["diff", str(BASE), "--set", "curves.graduazion.thresholds.0=65"])
    assert bad_path.exit_code == 2 and "nessuna chiave 'graduazion'" in bad_path.output  # Italian by default
    assert "una mappa con le chiavi" in bad_path.output and "no key" not in bad_path.output
    en = runner.invoke(cli.app, ["diff", str(BASE), "--set", "curves.graduazion.thresholds.0=65", "--lang", "en"])
    assert en.exit_code == 2 and "no key 'graduazion'" in en.output and "a mapping with keys" in en.output
    invalid = runner.invoke(cli.app, ["diff", str(BASE), "--set", "roles.dipendente.total_max=90"])
    assert invalid.exit_code == 2 and "add up to 100, not to its total_max 90" in invalid.output
    no_eq = runner.invoke(cli.app, ["diff", str(BASE), "--set", "roles.dipendente.total_max"])
    assert no_eq.exit_code == 2 and "PERCORSO=VALORE" in no_eq.output
    variants = runner.invoke(cli.app, ["diff", str(GOLDEN / "base.yaml"), "--set",
                                       "maggiorazioni.art81.variants.0.tie_policy=include_tied"])
    assert variants.exit_code == 2


def test_usage_errors_exit_2(tmp_path):
    assert runner.invoke(cli.app, ["diff"]).exit_code == 2
    assert runner.invoke(cli.app, ["diff", str(tmp_path / "nope.yaml"), str(BASE)]).exit_code == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text(BASE.read_text(encoding="utf-8").replace("total_max: 100", "total_max: 90", 1), encoding="utf-8")
    r = runner.invoke(cli.app, ["diff", str(BASE), str(broken)])
    assert r.exit_code == 2 and "total_max" in r.output
    assert runner.invoke(cli.app, ["diff", str(BASE), "--years", "2019", "2024"]).exit_code == 2
    assert runner.invoke(cli.app, ["diff", str(BASE), str(BASE), "--out", str(tmp_path / "x.pdf")]).exit_code == 2


# --------------------------------------------------------------------------- impact


def _impact_args(*extra: str) -> list[str]:
    return ["diff", str(BASE), "--set", "curves.graduazione.thresholds.0=65",
            "--set", "roles.dipendente.results.components.ente.max=10",
            "--set", "roles.dipendente.results.components.ufficio.max=20", "--impact", str(CUNEO_2024), *extra]


def test_impact_on_the_cuneo_golden_dataset_by_hand(tmp_path):
    """Threshold 60 → 65 and dipendenti's weights Ente 5 → 10, ufficio 25 → 20, on main_2024.

    New dipendente components (achievements from tests/golden/cuneo/main_2024/expected.yaml):
      ente 10 × 96.25/100 = 9.625 → 9.63; ufficio UFF1 20 × 97.50/100 = 19.50; UFF2 20 × 100/100 = 20.00;
      UFF3 20 × 75.56/100 = 15.112 → 15.11. Results: UFF1 29.13, UFF2 29.63, UFF3 24.74.
    D02 (UFF2, cat. C 1300.00): total 29.63 + 30.69 = 60.32 ≤ 65 → factor 0 → premium 0.00 (was 786.50);
      the judgement bands did not move: 60.32 > 60 is still 'positiva'.
    D03 (UFF2, C): total 29.63 + 60.19 = 89.82 → 1300.00 × 0.8982 = 1167.66 (was 1170.00).
    Maggiorazione: eligible (total > 60) D02 60.32, D03 89.82, D04 90.32, D05 90.82, D06 97.94, D07 95.94,
      D08 81.04, D09 93.82, D11 92.94, D12 94.04 = 10 (D01 59.82, D10 39.24, D13 39.74 out); quota floor(4.0) = 4;
      ranking D06 97.94, D07 95.94, D12 94.04, D09 93.82 | D11 92.94: no tie at the cut → 4 recipients.
      Premiums of the eligible: 0.00 + 1167.66 + 1600.00 + 1196.00 + 550.00 + 987.61 + 0.00 + 1600.00
      + 1300.00 + 990.00 = 9391.27; mean 939.127; 40% = 375.6508 → 375.65; 4 × 375.65 = 1502.60 > 1500.00
      → pro rata: 1500.00 / 4 = 375.00 each.
    D12 (UFF3, B): total 24.74 + 69.30 = 94.04, premium 990.00 unchanged, maggiorazione 0.00 → 375.00: paid 1365.00.
    D09: maggiorazione 407.20 → 375.00, paid 2007.20 → 1975.00 (−32.20).
    Funds: produttività distributed 10180.11 → 9391.27 (economies 4819.89 → 5608.73); maggiorazione 1221.60 →
      1500.00 (economies 278.40 → 0.00); dirigenza and EQ unchanged (their totals are all above 65 and their
      weights did not change). Total distributed 34578.18 → 34067.74 (−510.44).
    """
    out = tmp_path / "impact.json"
    result = runner.invoke(cli.app, _impact_args("--json", "--out", str(out)))
    assert result.exit_code == 1, result.output  # rules changed
    doc = json.loads(result.stdout)
    people = {p["person_id"]: p for p in doc["impact"]["people"]}
    D = Decimal
    assert (people["D02"]["old"]["total"], people["D02"]["new"]["total"]) == ("60.50", "60.32")
    assert (people["D02"]["old"]["premium"], people["D02"]["new"]["premium"]) == ("786.50", "0.00")
    assert people["D02"]["new"]["judgement_label"] == "Valutazione positiva"
    assert people["D03"]["new"]["premium"] == "1167.66" and people["D03"]["new"]["total"] == "89.82"
    assert people["D12"]["new"]["total"] == "94.04"
    assert (people["D12"]["new"]["maggiorazione"], people["D12"]["new"]["paid"]) == ("375.00", "1365.00")
    assert (people["D09"]["new"]["paid"], people["D09"]["delta"]["paid"]) == ("1975.00", "-32.20")
    assert people["SG"]["changed"] is False and people["EQ2"]["changed"] is False
    # sorted by size of change: D02 (−786.50), then D12 (+375.00)
    order = [p["person_id"] for p in doc["impact"]["people"]]
    assert order[:2] == ["D02", "D12"]
    funds = {f["fund"]: f for f in doc["impact"]["funds"]}
    assert (funds["produttivita"]["distributed_new"], funds["produttivita"]["economies_new"]) == ("9391.27", "5608.73")
    assert (funds["art81"]["distributed_new"], funds["art81"]["economies_new"]) == ("1500.00", "0.00")
    assert funds["risultato_dirigenza"]["distributed_delta"] == "0.00"
    totals = doc["impact"]["totals"]
    assert (totals["distributed_old"], totals["distributed_new"], totals["distributed_delta"]) == \
        ("34578.18", "34067.74", "-510.44")
    assert D(totals["distributed_new"]) + D(totals["economies_new"]) == D(totals["resources_new"])  # conserved
    roles = {r["role"]: r for r in doc["impact"]["roles"]}
    assert roles["dipendente"]["paid_delta"] == "-510.44" and roles["dipendente"]["changed"] == 13
    assert json.loads(out.read_text(encoding="utf-8"))["impact"]["totals"] == totals


def test_impact_table_and_exports(tmp_path):
    result = runner.invoke(cli.app, _impact_args())
    assert result.exit_code == 1, result.output
    text = result.stdout
    assert "soglia 60 → 65" in text and "13 persone su 17 cambiano" in text
    assert "786,50 € → 0,00 €" in text and "+375,00 €" in text
    csv_out = tmp_path / "impact.csv"
    assert runner.invoke(cli.app, _impact_args("--out", str(csv_out))).exit_code == 1
    rows = list(csv.DictReader(csv_out.open(encoding="utf-8-sig")))
    assert rows[0]["person_id"] == "D02" and rows[0]["paid_delta"] == "-786.50"
    xlsx_out = tmp_path / "impact.xlsx"
    assert runner.invoke(cli.app, _impact_args("--out", str(xlsx_out), "--lang", "en")).exit_code == 1
    from openpyxl import load_workbook

    wb = load_workbook(xlsx_out)
    assert wb.sheetnames == ["changes", "people", "roles", "funds"]
    assert wb["people"]["A2"].value == "D02"


def test_impact_under_two_years_of_one_profile():
    """2022 (no maggiorazione) vs 2024 on main_2024: only the three recipients change, by 407.20 each."""
    r = runner.invoke(cli.app, ["diff", str(BASE), "--years", "2022", "2024", "--impact", str(CUNEO_2024), "--json"])
    assert r.exit_code == 1, r.output
    imp = json.loads(r.stdout)["impact"]
    changed = [p for p in imp["people"] if p["changed"]]
    assert sorted(p["person_id"] for p in changed) == ["D06", "D07", "D09"]
    assert all(p["delta"]["paid"] == "407.20" for p in changed)
    assert imp["totals"]["distributed_delta"] == "1221.60"


def test_no_rule_change_no_impact():
    r = runner.invoke(cli.app, ["diff", str(BASE), str(GOLDEN / "reordering" / "new.yaml"), "--impact", str(CUNEO_2024)])
    assert r.exit_code == 0, r.output
    assert "Nessun cambiamento per le persone né per i fondi." in r.stdout


# --------------------------------------------------------------------------- compare

MINI = """format: 1
chamber:
  id: {id}
  name: Camera {id}
  validity: {{from: 2023, source: {{document: d, section: "1"}}}}
documents:
  d: {{title: Documento {id}}}
organisational:
  source: {{document: d, section: "3"}}
  levels:
    ente: {{label: Ente}}
  achievement: {{source: {{document: d, section: "3.1"}}}}
roles:
  dipendente:
    label: Dipendente
    source: {{document: d, section: "2"}}
    total_max: 100
    results:
      source: {{document: d, section: "2.1"}}
      components:
        ente: {{label: Ente, max: 40, objectives: {{level: ente}}}}
    behaviours:
      source: {{document: d, section: "2.2"}}
      factors:
        impegno: {{label: Impegno, max: 60}}
"""


def test_compare_cuneo_with_minimal_profiles(tmp_path):
    mini = tmp_path / "mini.yaml"
    mini.write_text(MINI.format(id="mini"), encoding="utf-8")
    broken = tmp_path / "rotto.yaml"
    broken.write_text(MINI.format(id="rotto").replace("max: 60", "max: 70"), encoding="utf-8")
    r = runner.invoke(cli.app, ["compare", str(BASE), str(mini), "--year", "2024", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [c["chamber"] for c in doc["columns"]] == ["cuneo", "mini"]
    rows = {tuple(row["key"]): row["cells"] for row in doc["rows"]}
    cuneo, mini_ = 0, 1
    assert rows[("role", "dipendente", "results")][cuneo]["lines"] == [
        "Obiettivo di struttura (Ente): 5", "Obiettivo coordinamento (Area/servizio): 0", "Obiettivo d'ufficio: 25"]
    assert rows[("role", "dipendente", "results")][mini_]["lines"] == ["Ente: 40"]
    assert rows[("role", "dipendente", "behaviours")][mini_]["lines"] == ["Impegno: 0–60"]
    assert rows[("role", "dipendente", "negative")][cuneo]["lines"] == ["comportamenti < 15"]
    for key in (("role", "dipendente", "negative"), ("role", "dipendente", "curve"), ("maggiorazioni",),
                ("conciliation",), ("cap",), ("role", "segretario_generale", "results")):
        assert rows[key][mini_] == {"state": "undefined", "lines": ["non definito"]}, key
    assert rows[("role", "dipendente", "curve")][cuneo]["lines"] == ["[0, 60] → 0", "(60, 90] → total / 100",
                                                                     "(90, 100] → 1"]
    assert "Richiesta scritta di riesame al valutatore: 10 giorni da data_scheda" in rows[("conciliation",)][cuneo]["lines"]
    bad = runner.invoke(cli.app, ["compare", str(BASE), str(broken), "--lang", "en"])
    assert bad.exit_code == 1
    assert "invalid profile" in bad.stdout
    assert "total_max" in bad.output
    assert runner.invoke(cli.app, ["compare", "nessuna_camera"]).exit_code == 2


def test_compare_table_renders_every_chamber_present():
    chambers = sorted(p.stem for p in (REPO / "chambers").glob("*.yaml"))
    r = runner.invoke(cli.app, ["compare", *chambers])
    assert r.exit_code in (0, 1), r.output  # a profile being written may not load yet: its column says so
    for c in chambers:
        assert c in r.stdout


def test_diff_the_profiles_of_two_stored_runs(tmp_path):
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    edited = tmp_path / "cuneo.yaml"
    edited.write_text(_new_text("tie_policy"), encoding="utf-8")
    for prof in (BASE, edited):
        r = runner.invoke(cli.app, ["evaluate", "--profile", str(prof), "--data", str(CUNEO_2024), "--db", db])
        assert r.exit_code == 0, r.output
    r = runner.invoke(cli.app, ["diff", "--runs", "1", "2", "--db", db])
    assert r.exit_code == 1, r.output
    assert "Confronto: esecuzione 1 (cuneo 2024) → esecuzione 2 (cuneo 2024)" in r.stdout
    assert "parità al taglio: esclusi tutti i pari merito → inclusi tutti i pari merito" in r.stdout
    assert runner.invoke(cli.app, ["diff", "--runs", "1", "1", "--db", db]).exit_code == 0
    assert runner.invoke(cli.app, ["diff", "--runs", "1", "9", "--db", db]).exit_code == 2
