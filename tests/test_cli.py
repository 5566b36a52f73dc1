"""smvp command line: options, exit codes, storing, exports (fake engine + end-to-end on cuneo)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli, store
from smvp.testing import FakeEvaluation, FakeProfile, fake_dataset, install_fake_engine
from smvp_engine.errors import DatasetError, DatasetErrors, ProfileError, ProfileErrors

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()



@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


@pytest.fixture
def chambers(tmp_path, monkeypatch) -> Path:
    base = tmp_path / "chambers"
    for year in (2023, 2024):
        (base / "data" / "fake" / str(year)).mkdir(parents=True)
    (base / "fake.yaml").write_text(FakeProfile().text, encoding="utf-8")
    monkeypatch.setenv("SMVP_CHAMBERS_DIR", str(base))
    return base


@pytest.fixture
def fake(monkeypatch, chambers):
    return install_fake_engine(monkeypatch)


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli.app, list(args), env=env)


def stored_runs(db: str) -> int:
    eng = store.open_engine(db)
    try:
        return store.counts(eng)["run"]
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- evaluate (fake engine)


def test_evaluate_italian_table_and_store(fake, db, chambers):
    result = invoke("evaluate", "--chamber", "fake", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for label in ("Risult.", "Comport.", "Giudizio", "% comp.",
                  "Coeff.", "Premio", "Magg.", "Erogato", "Risorse",
                  "Distribuito", "Economie", "Non calcolato"):
        assert label in out, label
    assert "7.350,00 €" in out and "0,722000" in out and "73,50" in out
    assert "conciliation deadlines" in out
    assert "Esecuzione salvata con id 1" in out
    assert fake["profile"] == chambers / "fake.yaml"
    assert fake["dataset"] == chambers / "data" / "fake" / "2024"   # latest bundled year
    assert fake["year"] == 2024                                        # the dataset's year
    assert stored_runs(db) == 1


def test_evaluate_english(fake, db):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Results" in result.stdout and "€7,350.00" in result.stdout
    assert "Run stored as id 1" in result.stdout


def test_evaluate_english_from_environment(fake, db):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, env={"SMVP_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert "Paid" in result.stdout


def test_evaluate_year_picks_the_bundled_folder(fake, db, chambers):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--year", "2023")
    assert result.exit_code == 0, result.output
    assert fake["dataset"] == chambers / "data" / "fake" / "2023"
    assert fake["year"] == 2023


def test_evaluate_year_without_bundled_data_is_usage(fake, db):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--year", "2019")
    assert result.exit_code == 2
    assert "2019" in result.stderr and "--data" in result.stderr


def test_evaluate_without_year_anywhere_is_usage(monkeypatch, chambers, db):
    install_fake_engine(monkeypatch, dataset=fake_dataset(year=None))
    result = invoke("evaluate", "--chamber", "fake", "--db", db)
    assert result.exit_code == 2
    assert "--year" in result.stderr
    assert stored_runs(db) == 0


def test_evaluate_explicit_profile_and_data(fake, db, tmp_path, chambers):
    data = tmp_path / "mydata"
    data.mkdir()
    result = invoke("evaluate", "--profile", str(chambers / "fake.yaml"), "--data", str(data),
                    "--db", db)
    assert result.exit_code == 0, result.output
    assert fake["dataset"] == data


def test_evaluate_chamber_mismatch_is_usage(fake, db, chambers, tmp_path):
    (chambers / "other.yaml").write_text("x: 1\n")
    result = invoke("evaluate", "--chamber", "other", "--db", db)
    assert result.exit_code == 2
    assert "'fake'" in result.stderr


def test_evaluate_json_stdout(fake, db):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["run"]["run_id"] == 1 and doc["run"]["chamber"] == "fake"
    assert doc["people"][0]["paid"] == "7350.00"  # euro, decimal string (docs/results.md)
    assert len(doc["funds"]) == 2 and len(doc["objectives"]) == 2


def test_evaluate_no_store(fake, db):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--no-store", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"]["run_id"] is None
    assert stored_runs(db) == 0


def test_evaluate_default_database_is_in_smvp_home(fake, tmp_path):
    result = invoke("evaluate", "--chamber", "fake")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "smvp.db").exists()


@pytest.mark.parametrize("name", ["people.csv", "all.json", "book.xlsx"])
def test_evaluate_out(fake, db, tmp_path, name):
    path = tmp_path / name
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--out", str(path))
    assert result.exit_code == 0, result.output
    assert path.exists() and path.stat().st_size > 0
    assert "Scritto" in result.stdout


def test_evaluate_out_unknown_extension_is_usage_and_nothing_runs(fake, db, tmp_path):
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2
    assert ".pdf" in result.stderr
    assert "profile" not in fake
    assert stored_runs(db) == 0


def test_evaluate_profile_errors_exit_1_nothing_stored(monkeypatch, chambers, db):
    install_fake_engine(monkeypatch)
    from smvp import engine_api

    def broken(path):
        raise ProfileErrors([
            ProfileError("overlapping intervals", file=str(path), line=12, column=7,
                         field="curves.graduazione.intervals", expected="disjoint intervals",
                         found="[0, 60] and [60, 90]"),
            ProfileError("unknown fund", file=str(path), line=40, field="roles.x.payout.fund"),
        ])

    monkeypatch.setattr(engine_api, "load_profile", broken)
    result = invoke("evaluate", "--chamber", "fake", "--db", db, "--lang", "en")
    assert result.exit_code == 1
    assert "2 problems found" in result.stderr
    assert "fake.yaml:12:7: curves.graduazione.intervals: overlapping intervals" in result.stderr
    assert "[0, 60] and [60, 90]" in result.stderr    # brackets are not eaten as markup
    assert result.stdout == ""
    assert stored_runs(db) == 0


def test_evaluate_dataset_error_exit_1(monkeypatch, chambers, db):
    install_fake_engine(monkeypatch)
    from smvp import engine_api

    def broken(path, **kwargs):
        raise DatasetErrors([DatasetError("not a number", file="staff.csv", line=3,
                                          field="part_time", found="'abc'")])

    monkeypatch.setattr(engine_api, "load_dataset", broken)
    result = invoke("evaluate", "--chamber", "fake", "--db", db)
    assert result.exit_code == 1
    assert "staff.csv:3: part_time: not a number" in result.stderr


def test_evaluate_single_error_exit_1(monkeypatch, chambers, db):
    install_fake_engine(monkeypatch)
    from smvp import engine_api

    def broken(profile, dataset, *, year):
        raise DatasetError("no resources for fund produttivita", file="resources.csv")

    monkeypatch.setattr(engine_api, "evaluate", broken)
    result = invoke("evaluate", "--chamber", "fake", "--db", db)
    assert result.exit_code == 1
    assert "resources.csv: no resources" in result.stderr
    assert stored_runs(db) == 0


def test_evaluate_bug_exit_3(monkeypatch, chambers, db):
    install_fake_engine(monkeypatch)
    from smvp import engine_api

    def buggy(profile, dataset, *, year):
        return {}["missing"]

    monkeypatch.setattr(engine_api, "evaluate", buggy)
    result = invoke("evaluate", "--chamber", "fake", "--db", db)
    assert result.exit_code == 3
    assert "errore interno (bug di smvp)" in result.stderr
    assert "KeyError" in result.stderr and "SMVP_DEBUG=1" in result.stderr
    english = invoke("evaluate", "--chamber", "fake", "--db", db, "--lang", "en")
    assert english.exit_code == 3 and "internal error (bug in smvp)" in english.stderr
    assert stored_runs(db) == 0


def test_evaluate_bug_traceback_with_debug(monkeypatch, chambers, db):
    install_fake_engine(monkeypatch, evaluation=FakeEvaluation(fund_list=[{"fund": "x",
                                                                           "resources": "nan?"}]))
    result = invoke("evaluate", "--chamber", "fake", "--db", db, env={"SMVP_DEBUG": "1"})
    assert result.exit_code == 3
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("args", [
    ["evaluate", "--db", "sqlite://"],                       # neither --chamber nor --profile
    ["evaluate", "--chamber", "nope"],                        # no such profile
    ["evaluate", "--chamber", "../etc"],                      # not a chamber id
    ["evaluate", "--chamber", "fake", "--lang", "fr"],
    ["evaluate", "--chamber", "fake", "--bogus"],
    ["evaluate", "--profile", "/does/not/exist.yaml"],
    ["evaluate", "--chamber", "fake", "--db", "not a url"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(fake, args):
    result = invoke(*args)
    assert result.exit_code == 2, result.output


def test_help_and_main_entry_point(capsys):
    assert invoke("--help").exit_code == 0
    assert cli.main(["--help"]) == 0
    assert cli.main(["frobnicate"]) == 2


# --------------------------------------------------------------------------- runs


def test_runs_lists_stored_runs(fake, db):
    assert invoke("runs", "--db", db).stdout.strip() == "Nessuna esecuzione salvata."
    for _ in range(2):
        assert invoke("evaluate", "--chamber", "fake", "--db", db).exit_code == 0
    result = invoke("runs", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Esecuzioni salvate" in out and "Hash profilo" in out
    assert "8.584,62 €" in out and "0.0.0-fake" in out
    assert FakeProfile().sha256[:12] in out and "d" * 12 in out
    assert "│  2 │" in out
    other = invoke("runs", "--db", db, "--chamber", "other", "--lang", "en")
    assert other.stdout.strip() == "No stored runs."


def test_runs_from_environment_url(fake, db):
    assert invoke("evaluate", "--chamber", "fake", env={"SMVP_DATABASE_URL": db}).exit_code == 0
    assert stored_runs(db) == 1
    assert "fake" in invoke("runs", env={"SMVP_DATABASE_URL": db}).stdout


# --------------------------------------------------------------------------- validate (fake engine)


def test_validate_ok_with_warnings(monkeypatch, tmp_path):
    install_fake_engine(monkeypatch, profile=FakeProfile(
        warnings=["incomplete for individual scoring"]))
    path = tmp_path / "fake.yaml"
    path.write_text(FakeProfile().text)
    result = invoke("validate", str(path), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert f"OK {path} (fake, valid 2022–)" in result.stdout
    assert "warning: incomplete for individual scoring" in result.stdout
    italian = invoke("validate", str(path))
    assert f"VALIDO {path} (fake, valido dal 2022)" in italian.stdout
    assert "avviso: incomplete for individual scoring" in italian.stdout


def test_validate_reports_each_failure(monkeypatch, tmp_path):
    install_fake_engine(monkeypatch)
    from smvp import engine_api

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(FakeProfile().text)
    bad.write_text("format: 2\n")
    real = engine_api.load_profile

    def load(path):
        if Path(path).name == "bad.yaml":
            raise ProfileErrors([ProfileError("unsupported format", file=str(path), line=1,
                                              field="format", expected="1", found="2")])
        return real(path)

    monkeypatch.setattr(engine_api, "load_profile", load)
    result = invoke("validate", str(good), str(bad), "--lang", "en")
    assert result.exit_code == 1
    assert f"OK {good}" in result.stdout
    assert f"FAIL {bad}" in result.stdout
    assert "bad.yaml:1: format: unsupported format (expected 1, found 2)" in result.stdout


def test_validate_missing_file_is_usage(tmp_path):
    result = invoke("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2


# --------------------------------------------------------------------------- end to end (real engine)


def _engine_ready() -> bool:
    try:
        import smvp_engine.dataset
        import smvp_engine.pipeline
        import smvp_engine.profile  # noqa: F401
    except ImportError:
        return False
    return any((REPO / "chambers" / "data" / "cuneo").glob("[0-9]*"))


def _profile_ready() -> bool:
    try:
        import smvp_engine.profile  # noqa: F401
    except ImportError:
        return False
    return True


needs_engine = pytest.mark.skipif(not _engine_ready(),
                                  reason="smvp_engine.pipeline or the cuneo sample not there yet")
needs_profile = pytest.mark.skipif(not _profile_ready(), reason="smvp_engine.profile not there yet")


@needs_profile
def test_validate_cuneo_real():
    path = REPO / "chambers" / "cuneo.yaml"
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    assert "(cuneo, valido dal 2022)" in result.stdout


@needs_profile
def test_validate_broken_real(tmp_path):
    text = (REPO / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace('- {interval: "(60, 90]", value: "total / 100"}',
                                   '- {interval: "(50, 90]", value: "total / 100"}'),
                      encoding="utf-8")
    result = invoke("validate", str(broken))
    assert result.exit_code == 1, result.output
    assert "NON VALIDO" in result.stdout and "broken.yaml" in result.stdout


@needs_engine
def test_e2e_evaluate_cuneo_stores_one_run(db):
    import hashlib

    from sqlmodel import Session, select

    result = invoke("evaluate", "--chamber", "cuneo", "--db", db)
    assert result.exit_code == 0, result.output
    assert "Erogato" in result.stdout and "Esecuzione salvata con id 1" in result.stdout
    assert stored_runs(db) == 1
    eng = store.open_engine(db)
    try:
        with Session(eng) as s:
            run = s.exec(select(store.Run)).one()
            people = s.exec(select(store.PersonResult)).all()
            funds = s.exec(select(store.FundResult)).all()
        profile_text = (REPO / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
        assert run.chamber == "cuneo" and run.year == 2024
        assert run.profile_text == profile_text
        assert run.profile_sha256 == hashlib.sha256(profile_text.encode()).hexdigest()
        assert run.people == len(people) > 0
        paid = sum(p.paid_cents or 0 for p in people)
        assert paid == run.totals["cents"]["paid"]
        assert sum(f.distributed_cents for f in funds) == paid   # everything paid comes from a fund
        import smvp_engine.dataset

        sample = smvp_engine.dataset.load_dataset(REPO / "chambers" / "data" / "cuneo" / "2024")
        assert run.dataset_sha256 == sample.sha256
        assert store.dataset_content(eng, run.dataset_sha256) == json.loads(
            store.dataset_canonical_json(sample))
    finally:
        eng.dispose()
    runs = invoke("runs", "--db", db, "--chamber", "cuneo")
    assert runs.exit_code == 0 and "cuneo" in runs.stdout


@needs_engine
def test_e2e_json_and_exports(db, tmp_path):
    result = invoke("evaluate", "--chamber", "cuneo", "--db", db, "--json", "--no-store")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["run"]["chamber"] == "cuneo" and doc["people"]
    assert stored_runs(db) == 0
    for name in ("x.csv", "x.json", "x.xlsx"):
        out = tmp_path / name
        r = invoke("evaluate", "--chamber", "cuneo", "--no-store", "--out", str(out), "--lang",
                   "en")
        assert r.exit_code == 0, r.output
        assert out.exists()
    rows = list(csv.DictReader((tmp_path / "x.csv").read_text(encoding="utf-8-sig")
                               .splitlines()))
    assert len(rows) == len(doc["people"])
    assert [r["person_id"] for r in rows] == [p["person_id"] for p in doc["people"]]
    assert json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))["people"] == doc["people"]
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert wb.sheetnames == ["summary", "people", "funds", "objectives", "run"]
    assert wb["people"].max_row == len(doc["people"]) + 2  # header, people, totals
    assert wb["objectives"].max_row == len(doc["objectives"]) + 1


@needs_engine
def test_e2e_dataset_error_exit_1(db, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(REPO / "chambers" / "data" / "cuneo" / "2024", data)
    lines = (data / "resources.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",abc"
    (data / "resources.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("evaluate", "--chamber", "cuneo", "--data", str(data), "--db", db)
    assert result.exit_code == 1, result.output
    assert "resources.csv:2: amount" in result.stderr
    assert stored_runs(db) == 0


@needs_engine
def test_e2e_year_mismatch_exit_1(db):
    data = REPO / "chambers" / "data" / "cuneo" / "2024"
    result = invoke("evaluate", "--chamber", "cuneo", "--data", str(data), "--year", "2023",
                    "--db", db)
    assert result.exit_code == 1, result.output
    assert "2023" in result.stderr


@needs_engine
def test_e2e_broken_profile_exit_1_nothing_stored(db, tmp_path):
    text = (REPO / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "cuneo.yaml"
    broken.write_text(text.replace("fund: produttivita", "fund: no_such_fund"), encoding="utf-8")
    result = invoke("evaluate", "--chamber", "cuneo", "--profile", str(broken), "--db", db)
    assert result.exit_code == 1, result.output
    assert stored_runs(db) == 0


def test_python_dash_m_smvp():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "smvp", "--help"], check=False, capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0 and "evaluate" in proc.stdout


def test_unscored_person_renders_and_exports(monkeypatch, chambers, db, tmp_path):
    from smvp.testing import fake_rows

    rows = fake_rows()
    rows.append({"person_id": "p4", "name": None, "role": "dipendente", "role_label": None,
                 "unit_id": "U1", "components": {"ente": None}, "results": None,
                 "behaviour": None, "total": None, "judgement": None, "judgement_label": None,
                 "negative": None, "payout_percent": None, "coefficient_name": None,
                 "coefficient": None, "fund": None, "theoretical": None, "premium": None,
                 "maggiorazione": None, "paid": None, "maggiorazione_rank": None})
    install_fake_engine(monkeypatch, evaluation=FakeEvaluation(row_list=rows))
    for name in ("x.xlsx", "x.csv", "x.json"):
        result = invoke("evaluate", "--chamber", "fake", "--db", db, "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert "p4" in result.stdout
