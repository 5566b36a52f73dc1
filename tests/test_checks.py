"""Bad input checked against the profile: each mistake gets a clear message, and nothing is stored.

Each case copies the bundled Cuneo sample, breaks one thing, and runs
``smvp evaluate``: exit 1, the message names file, row, field, expected and
found, and the database has no run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "chambers" / "data" / "cuneo" / "2024"


def edit(folder: Path, table: str, old: str, new: str, count: int = 1) -> None:
    path = folder / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {table}.csv"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


CASES = {
    # case: (table, old, new, fragments of the message)
    "unknown_role": ("staff", ",dipendente,UFF111,", ",dipendnete,UFF111,",
                     ["staff.csv:", "role", "unknown role", "'dipendnete'", "did you mean 'dipendente'"]),
    "score_above_scale": ("behaviours", "P011,cooperazione_team_working,", "P011,cooperazione_team_working,16\nXX,",
                          ["behaviours.csv:", "score", "score above the factor's scale", "0–15", "found 16)"]),
    "score_above_scale_20": ("behaviours", "P011,esecuzione_compiti,", "",
                             ["behaviours.csv:", "score above the factor's scale", "0–15", "found 20)"]),
    "factor_of_another_role": ("behaviours", "P011,esecuzione_compiti,", "P011,capacita_direzionale,",
                               ["behaviours.csv:", "factor", "'capacita_direzionale' is not a behaviour factor of role 'dipendente'"]),
    "unknown_absence_type": ("absences", "maternita", "maternità",
                             ["absences.csv:2", "type", "unknown absence type", "did you mean 'maternita'"]),
    "unknown_resource": ("resources", "produttivita,", "produtivita,",
                         ["resources.csv:", "unknown resource", "did you mean 'produttivita'"]),
    "unknown_level": ("units", ",ufficio,", ",uffico,", ["units.csv:", "level", "unknown level", "'uffico'"]),
    "assignment_to_unknown_component": ("assignments", "P075,ufficio,", "P075,uffcio,",
                                        ["assignments.csv:2", "component", "'uffcio' is not a results component of role 'dipendente'",
                                         "did you mean 'ufficio'"]),
    # 2024 at Cuneo: 366 days − 52 Sundays − 9 holidays on other days (1/1, 6/1, 1/4, 25/4,
    # 1/5, 15/8, 1/11, 25/12, 26/12; 2/6, 8/12 and San Michele 29/9 are Sundays) = 305
    "presence_beyond_working_days": ("staff", "P012,Audisio Elena,dipendente,UFF111,1,218,",
                                     "P012,Audisio Elena,dipendente,UFF111,1,306,",
                                     ["staff.csv:13", "presence_days",
                                      "more presence days than the 305 working days of 2024",
                                      "found 306)", "Cuneo calendar"]),
    "attested_above_cap": ("objectives", "del territorio,ente,CCIAA,,,strategico,,", "del territorio,ente,CCIAA,,,strategico,105,",
                           ["objectives.csv:2", "attested_percent", "above the profile's cap", "expected 0–100%", "found 105%"]),
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_dataset_is_refused_and_nothing_stored(case, data, tmp_path):
    table, old, new, fragments = CASES[case]
    if case.startswith("score_above_scale"):  # replace the whole row's score
        text = (data / "behaviours.csv").read_text(encoding="utf-8").splitlines()
        row = {"score_above_scale": "P011,cooperazione_team_working,16", "score_above_scale_20": "P011,esecuzione_compiti,20"}[case]
        text = [(row if line.startswith(row.rsplit(",", 1)[0] + ",") else line) for line in text]
        (data / "behaviours.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    else:
        edit(data, table, old, new)
    db = tmp_path / "runs.db"
    result = CliRunner().invoke(app, ["evaluate", "--lang", "en", "--chamber", "cuneo", "--data", str(data), "--db", f"sqlite:///{db}"])
    assert result.exit_code == 1, result.output
    message = result.stderr if hasattr(result, "stderr") else result.output
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    runs = CliRunner().invoke(app, ["runs", "--db", f"sqlite:///{db}"])
    assert "cuneo" not in runs.stdout


def test_missing_behaviour_score_is_reported(data, tmp_path):
    lines = (data / "behaviours.csv").read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("P012,orientamento_utenza,")]
    (data / "behaviours.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "--lang", "en", "-c", "cuneo", "-d", str(data), "--no-store"])
    assert result.exit_code == 1
    assert "no behaviour score for factor 'orientamento_utenza'" in result.output
    assert "person P012" in result.output


def test_missing_resource_is_reported(data):
    edit(data, "resources", "produttivita,95000.00\n", "")
    result = CliRunner().invoke(app, ["evaluate", "--lang", "en", "-c", "cuneo", "-d", str(data), "--no-store"])
    assert result.exit_code == 1
    assert "missing resource 'produttivita'" in result.output


def test_year_outside_validity_is_refused(data):
    edit(data, "meta", "year,2024", "year,2019")
    result = CliRunner().invoke(app, ["evaluate", "--lang", "en", "-c", "cuneo", "-d", str(data), "--no-store"])
    assert result.exit_code == 1
    assert "does not cover 2019" in result.output and "valid 2022" in result.output


def test_fund_too_small_is_an_error_with_the_figures(data):
    edit(data, "resources", "produttivita,95000.00", "produttivita,1000.00")
    result = CliRunner().invoke(app, ["evaluate", "--lang", "en", "-c", "cuneo", "-d", str(data), "--no-store"])
    assert result.exit_code == 1
    assert "exceed its resources" in result.output and "1000.00" in result.output


def test_presence_up_to_the_working_days_is_accepted(data, tmp_path):
    edit(data, "staff", "P012,Audisio Elena,dipendente,UFF111,1,218,",
         "P012,Audisio Elena,dipendente,UFF111,1,305,")
    result = CliRunner().invoke(app, ["evaluate", "--lang", "en", "--chamber", "cuneo", "--data", str(data),
                                      "--no-store"])
    assert result.exit_code == 0, result.output


ITALIAN = {
    # the same located facts as CASES, said in Italian (the default language)
    "unknown_role": ["staff.csv:", "role", "ruolo sconosciuto", "'dipendnete'", "'dipendente'"],
    "unknown_absence_type": ["absences.csv:2", "type", "tipo di assenza sconosciuto", "'maternita'"],
    "assignment_to_unknown_component": ["assignments.csv:2", "component",
                                        "'uffcio' non è una componente dei risultati del ruolo 'dipendente'"],
    "presence_beyond_working_days": ["staff.csv:13", "presence_days",
                                     "più giorni di presenza dei 305 giorni lavorativi del 2024",
                                     "trovato 306", "calendario di Cuneo"],
    "attested_above_cap": ["objectives.csv:2", "attested_percent", "oltre il tetto del profilo",
                           "atteso 0–100%", "trovato 105%"],
}


@pytest.mark.parametrize("case", sorted(ITALIAN))
def test_bad_dataset_is_refused_in_italian_with_the_same_facts(case, data):
    table, old, new, _ = CASES[case]
    edit(data, table, old, new)
    result = CliRunner().invoke(app, ["evaluate", "--chamber", "cuneo", "--data", str(data), "--no-store"])
    assert result.exit_code == 1, result.output
    message = result.stderr if hasattr(result, "stderr") else result.output
    for fragment in ITALIAN[case]:
        assert fragment in message, (fragment, message)
    assert " the " not in message and "unknown" not in message, message
