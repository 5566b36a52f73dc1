"""smvp conciliation / run validate / runs: cases, steps, revisions, the payment gate.

* ``tests/golden/conciliation/cases.yaml``: cases per Chamber through the CLI, dates worked
  out by hand (Sunday, 25–26 December, Easter Monday, the patron saint of that city and not
  of another, year end, Saturday policy on and off), late steps flagged, steps out of order
  refused;
* ``tests/golden/conciliation/cuneo_reopened/``: a Cuneo evaluation reopened by conciliation
  that moves someone across the maggiorazione cut (``expected.yaml``, arithmetic beside the
  numbers);
* the payment gate's transitions, chamber isolation, errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, select
from typer.testing import CliRunner

from smvp import cli, store
from smvp.store import cases

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "conciliation"
REOPENED = GOLDEN / "cuneo_reopened"
runner = CliRunner()
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")



@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


def day(text: str) -> dt.date:
    """"2025-05-19 lunedì" → the date, checking the weekday written beside it."""
    iso, _, weekday = str(text).partition(" ")
    d = dt.date.fromisoformat(iso)
    if weekday:
        assert WEEKDAYS[d.weekday()] == weekday, f"{iso} is a {WEEKDAYS[d.weekday()]}, not {weekday}"
    return d


def profile_text(name: str) -> str:
    golden = yaml.safe_load((GOLDEN / "cases.yaml").read_text(encoding="utf-8"))
    if name == "cuneo_sabato":
        text = (REPO / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
        assert "  saturdays_extend: false\n" in text
        return text.replace("  saturdays_extend: false\n", "  saturdays_extend: true\n")
    if name in golden:
        return golden[name]
    return (REPO / "chambers" / f"{name}.yaml").read_text(encoding="utf-8")


def fake_run(db: str, chamber: str, text: str, people: int = 3, year: int = 2023) -> int:
    """Store a run directly (profile text + people), for cases that need no evaluation.

    The run is made on 1 January after its year (sheets can be delivered from then on).
    """
    made = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    engine = store.open_engine(db)
    try:
        with Session(engine) as session, session.begin():
            content = json.dumps({"format": 1, "tables": {}, "year": year})
            sha = hashlib.sha256(f"{chamber}{year}{text}".encode()).hexdigest()
            tid = store.tenants.ensure_tenant(session, chamber)
            if session.get(store.DatasetBlob, (tid, sha)) is None:
                session.add(store.DatasetBlob(
                    tenant_id=tid, sha256=sha, content=content, created_at=dt.datetime.now(dt.UTC),
                    content_sha256=hashlib.sha256(content.encode()).hexdigest()))
            run = store.Run(tenant_id=tid, chamber=chamber, year=year, created_at=made,
                            profile_path=f"{chamber}.yaml", profile_text=text,
                            profile_sha256=hashlib.sha256(text.encode()).hexdigest(),
                            dataset_path="mem", dataset_sha256=sha, engine_version="test",
                            people=people, totals={})
            session.add(run)
            session.flush()
            for i in range(1, people + 1):
                session.add(store.PersonResult(tenant_id=tid, run_id=run.id, person_id=f"P{i}",
                                               name=f"Persona {i}", total_cp=8000 + i,
                                               paid_cents=100000))
            return int(run.id)
    finally:
        engine.dispose()


def evaluate_reopened(db: str) -> int:
    result = invoke("evaluate", "--chamber", "cuneo", "--data", REOPENED, "--year", "2024",
                    "--db", db)
    assert result.exit_code == 0, result.output
    return int(re.search(r"id (\d+)", result.stdout).group(1))


def ddmm(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- golden cases

CASES = yaml.safe_load((GOLDEN / "cases.yaml").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_golden(case, db):
    chamber = "cuneo" if case["profile"].startswith("cuneo") else case["profile"].split("_")[0]
    delivered = day(case["delivered"])
    run_id = fake_run(db, chamber, profile_text(case["profile"]), year=delivered.year - 1)
    as_of = "2027-01-01"
    r = invoke("conciliation", "open", "--chamber", chamber, "--run", run_id, "--person", "P1",
               "--delivered", delivered.isoformat(), "--db", db, "--as-of", as_of)
    assert r.exit_code == 0, r.output
    ref = f"{chamber}-1"
    assert f"Aperto il caso {ref}" in r.stdout
    exp = case["open"]
    if exp.get("no_term"):
        assert "nessun termine previsto" in r.stdout, r.stdout
    else:
        assert f"entro {ddmm(day(exp['due']))}" in r.stdout, r.stdout
        if "moved" in exp:
            assert exp["moved"] in r.stdout, r.stdout
    recorded: list[str] = []
    for st in case["steps"]:
        on = day(st["date"])
        r = invoke("conciliation", "step", ref, "--event", st["event"], "--on", on.isoformat(),
                   "--db", db, "--as-of", as_of)
        where = f"{case['name']}: {st['event']} {on}"
        if "refused" in st or "refused_usage" in st:
            assert r.exit_code == (1 if "refused" in st else 2), (where, r.output)
            for fragment in st.get("refused") or st.get("refused_usage"):
                assert fragment in r.stderr, (where, fragment, r.stderr)
            continue
        assert r.exit_code == 0, (where, r.output)
        recorded.append(st["event"])
        row = _last_step(db, ref)
        assert row.status == st["status"], (where, row.status)
        assert row.due == (None if st["due"] is None else day(st["due"])), (where, row.due)
        assert row.days_late == st["days_late"], (where, row.days_late)
        if st["status"] == "in_ritardo":
            assert f"IN RITARDO di {st['days_late']} giorn" in r.stdout, r.stdout
    assert len(_steps(db, ref)) == len(recorded)          # refused steps stored nothing
    if "status" in case:
        r = invoke("conciliation", "status", "--chamber", chamber, "--db", db,
                   "--as-of", day(case["status"]["as_of"]).isoformat())
        assert r.exit_code == 0, r.output
        for fragment in case["status"]["has"]:
            assert fragment in r.stdout, (case["name"], fragment, r.stdout)


def _steps(db: str, ref: str) -> list[store.ConciliationStep]:
    engine = store.open_engine(db)
    try:
        with Session(engine) as session:
            case = cases.get_case(session, ref, None)
            return list(session.exec(select(store.ConciliationStep)
                                     .where(store.ConciliationStep.case_id == case.id)
                                     .order_by(store.ConciliationStep.id)).all())
    finally:
        engine.dispose()


def _last_step(db: str, ref: str) -> store.ConciliationStep:
    return _steps(db, ref)[-1]


def test_lucca_defines_no_procedure(db):
    run_id = fake_run(db, "lucca", profile_text("lucca"), year=2020)
    r = invoke("conciliation", "open", "--chamber", "lucca", "--run", run_id, "--person", "P1",
               "--delivered", "2021-05-03", "--db", db)
    assert r.exit_code == 1
    assert "non definisce una procedura di conciliazione" in r.stderr
    assert "defined: false" in r.stderr
    # the profile's reading, in the user's language (Italian here)
    assert "non prevede alcuna procedura di conciliazione" in r.stderr and "SMVP della Camera, non allegato" in r.stderr


def test_english_labels(db):
    run_id = fake_run(db, "cuneo", profile_text("cuneo"))
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "P2",
               "--delivered", "2025-05-08", "--db", db, "--as-of", "2025-05-10", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "Opened case cuneo-1" in r.stdout and "Next deadline" in r.stdout
    assert "in 9 days" in r.stdout                          # 19/05 − 10/05
    r = invoke("conciliation", "status", "--db", db, "--as-of", "2025-05-21", "--lang", "en")
    assert "Conciliation cases" in r.stdout and "overdue by 2 days" in r.stdout


# --------------------------------------------------------------------------- refusals


def test_step_errors_name_what_was_expected(db):
    run_id = fake_run(db, "cuneo", profile_text("cuneo"))
    base = ("--db", db, "--as-of", "2025-06-30")
    assert invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person",
                  "P1", "--delivered", "2025-05-12", *base).exit_code == 0
    # unknown person, unknown run, wrong date format, future date
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "P9",
               "--delivered", "2025-05-12", *base)
    assert r.exit_code == 2 and "--person P9: non è nell'esecuzione" in r.stderr
    assert "atteso un person_id delle 3 persone dell'esecuzione, trovato 'P9'" in r.stderr
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "P9",
               "--delivered", "2025-05-12", *base, "--lang", "en")
    assert r.exit_code == 2 and f"--person P9: not in run {run_id} (expected a person_id of the run's 3 " \
        "people, found 'P9')" in r.stderr
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", 99, "--person", "P1",
               "--delivered", "2025-05-12", *base)
    assert r.exit_code == 2 and "nessuna esecuzione salvata 99. vedi smvp runs" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "request", "--on", "20 maggio", *base)
    assert r.exit_code == 2 and "atteso AAAA-MM-GG o gg/mm/aaaa, trovato '20 maggio'" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "request", "--on", "2025-07-01", *base)
    assert r.exit_code == 1 and "--on 01/07/2025 è nel futuro (atteso un giorno fino al 30/06/2025)" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "request", "--on", "2025-07-01", *base,
               "--lang", "en")
    assert r.exit_code == 1 and "--on 01/07/2025 is in the future (expected a day up to 30/06/2025)" in r.stderr
    # a second open case for the same person and run
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "P1",
               "--delivered", "2025-05-12", *base)
    assert r.exit_code == 1 and f"P1 ha già un caso aperto sull'esecuzione {run_id}: cuneo-1. " \
        "registrane i passi con smvp conciliation step cuneo-1" in r.stderr
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "P1",
               "--delivered", "2025-05-12", *base, "--lang", "en")
    assert r.exit_code == 1 and f"P1 already has an open case about run {run_id}: cuneo-1. " \
        "record its steps with smvp conciliation step cuneo-1" in r.stderr
    # dd/mm/yyyy is accepted
    r = invoke("conciliation", "step", "cuneo-1", "--event", "request", "--on", "20/05/2025", *base)
    assert r.exit_code == 0, r.output
    # scores with a step of the person evaluated
    r = invoke("conciliation", "step", "cuneo-1", "--event", "activation", "--on", "2025-05-21",
               *base)
    assert r.exit_code == 1 and "passo fuori ordine (atteso prima risposta_valutatore, trovato " \
        "attivazione_conciliazione). registra prima --event risposta_valutatore" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "activation", "--on", "2025-05-21",
               *base, "--lang", "en")
    assert r.exit_code == 1 and "step out of order (expected risposta_valutatore next, found " \
        "attivazione_conciliazione). record --event risposta_valutatore first" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-05-22",
               "--scores", "orientamento_utenza=x", *base)
    assert r.exit_code == 2 and "non è un numero di punti" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-05-22",
               "--scores", "orientamento_utenza", *base)
    assert r.exit_code == 2 and "non è fattore=punti" in r.stderr
    # close, then nothing more
    r = invoke("conciliation", "close", "cuneo-1", "--on", "2025-05-25", "--outcome", "withdrawn",
               *base)
    assert r.exit_code == 0 and "chiuso il 25/05/2025: ritirata" in r.stdout
    r = invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-05-26", *base)
    assert r.exit_code == 1 and "il caso cuneo-1 è stato chiuso il 25/05/2025 (ritirata): non si possono " \
        "registrare altri passi" in r.stderr
    r = invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-05-26", *base,
               "--lang", "en")
    assert r.exit_code == 1 and "case cuneo-1 was closed on 25/05/2025 (ritirata): no more steps can be " \
        "recorded" in r.stderr
    r = invoke("conciliation", "close", "cuneo-1", "--on", "2025-05-26", *base)
    assert r.exit_code == 1 and "il caso cuneo-1 è già chiuso (25/05/2025, ritirata)" in r.stderr
    # a bare number needs the chamber
    r = invoke("conciliation", "show", "1", *base)
    assert r.exit_code == 2 and "ad es. cuneo-1" in r.stderr
    assert invoke("conciliation", "show", "1", "--chamber", "cuneo", *base).exit_code == 0


def test_delivery_before_the_year_or_the_run_is_refused(db):
    """A 2024 run made on 2025-01-01: a sheet about 2024 is delivered from then on."""
    run_id = fake_run(db, "cuneo", profile_text("cuneo"), year=2024)
    base = ("--chamber", "cuneo", "--run", run_id, "--db", db, "--as-of", "2026-06-30")
    r = invoke("conciliation", "open", "--person", "P1", "--delivered", "2019-01-01", *base)
    assert r.exit_code == 1, r.output
    assert "--delivered 01/01/2019 è prima della fine dell'anno valutato 2024" in r.stderr
    assert "(atteso un giorno dal 01/01/2025)" in r.stderr
    r = invoke("conciliation", "open", "--person", "P1", "--delivered", "2019-01-01", *base, "--lang", "en")
    assert r.exit_code == 1 and "--delivered 01/01/2019 is before the end of the evaluated year 2024: a sheet " \
        "about 2024 cannot be delivered before it is over (expected a day from 01/01/2025)" in r.stderr
    r = invoke("conciliation", "open", "--person", "P1", "--delivered", "2024-12-31", *base)
    assert r.exit_code == 1 and "prima della fine dell'anno valutato 2024" in r.stderr
    r = invoke("conciliation", "deliver", "--on", "2024-06-01", *base)
    assert r.exit_code == 1 and "--on 01/06/2024 è prima della fine" in r.stderr
    # the first day after the year is fine
    r = invoke("conciliation", "open", "--person", "P1", "--delivered", "2025-01-01", *base)
    assert r.exit_code == 0, r.output


def test_delivery_before_the_run_is_refused(db):
    """A 2024 run made today: its sheets cannot have been delivered last week."""
    r = invoke("evaluate", "--chamber", "cuneo", "--db", db)
    assert r.exit_code == 0, r.output
    run_id = int(re.search(r"id (\d+)", r.stdout).group(1))
    made = dt.datetime.now(dt.UTC).date()
    before = made - dt.timedelta(days=7)
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person",
               "P012", "--delivered", before.isoformat(), "--db", db)
    assert r.exit_code == 1, r.output
    assert f"è prima che l'esecuzione fosse fatta ({made:%d/%m/%Y})" in r.stderr
    r = invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person",
               "P012", "--delivered", made.isoformat(), "--db", db)
    assert r.exit_code == 0, r.output


def test_optional_step_and_order_by_dates(db):
    """Cremona's optional colloquio (no term) may be recorded, but not after the request."""
    run_id = fake_run(db, "cremona", profile_text("cremona"), year=2022)
    base = ("--db", db, "--as-of", "2023-12-31")
    invoke("conciliation", "open", "--chamber", "cremona", "--run", run_id, "--person", "P1",
           "--delivered", "2023-11-10", *base)
    assert invoke("conciliation", "step", "cremona-1", "--event", "request", "--on", "2023-11-13",
                  *base).exit_code == 0
    r = invoke("conciliation", "step", "cremona-1", "--event", "interview", "--on", "2023-11-20",
               *base)
    assert r.exit_code == 1 and "(richiesta_riesame) nella procedura, che è registrato il 13/11/2023 " \
        "(atteso un giorno fino al 13/11/2023, trovato 20/11/2023)" in r.stderr
    r = invoke("conciliation", "step", "cremona-1", "--event", "colloquio_rappresentante", "--on",
               "2023-11-12", *base)
    assert r.exit_code == 0, r.output
    assert "non prevede un termine" in r.stdout
    r = invoke("conciliation", "show", "cremona-1", *base)
    assert "facoltativo" in r.stdout and "nessun termine previsto" in r.stdout


# --------------------------------------------------------------------------- isolation


def test_chambers_never_see_each_others_cases(db):
    cuneo = fake_run(db, "cuneo", profile_text("cuneo"))
    cremona = fake_run(db, "cremona", profile_text("cremona"))
    base = ("--db", db, "--as-of", "2025-12-31")
    for chamber, run_id, person in (("cuneo", cuneo, "P1"), ("cremona", cremona, "P1"),
                                    ("cuneo", cuneo, "P2")):
        r = invoke("conciliation", "open", "--chamber", chamber, "--run", run_id, "--person",
                   person, "--delivered", "2025-11-10", *base)
        assert r.exit_code == 0, r.output
    # numbering is per chamber: cuneo-1, cuneo-2, cremona-1
    r = invoke("conciliation", "status", "--chamber", "cremona", *base)
    assert "cremona-1" in r.stdout and "cuneo" not in r.stdout
    r = invoke("conciliation", "status", "--chamber", "cuneo", *base)
    assert "cuneo-1" in r.stdout and "cuneo-2" in r.stdout and "cremona" not in r.stdout
    # another chamber's case, by reference or by number, cannot be touched
    r = invoke("conciliation", "step", "cuneo-1", "--chamber", "cremona", "--event", "request",
               "--on", "2025-11-12", *base)
    assert r.exit_code == 1 and "non è un caso di cremona" in r.stderr
    r = invoke("conciliation", "step", "2", "--chamber", "cremona", "--event", "request",
               "--on", "2025-11-12", *base)
    assert r.exit_code == 2 and "nessun caso cremona-2" in r.stderr
    r = invoke("conciliation", "close", "cuneo-1", "--chamber", "cremona", "--on", "2025-11-12",
               *base)
    assert r.exit_code == 1
    r = invoke("conciliation", "open", "--chamber", "cremona", "--run", cuneo, "--person", "P3",
               "--delivered", "2025-11-10", *base)
    assert r.exit_code == 1 and f"l'esecuzione {cuneo} è di cuneo, non di cremona" in r.stderr
    r = invoke("run", "validate", cuneo, "--chamber", "cremona", "--oiv-date", "2024-06-20", *base)
    assert r.exit_code == 1
    # the number 1 with --chamber cremona is cremona-1, whose rules are Cremona's (3 days)
    r = invoke("conciliation", "step", "1", "--chamber", "cremona", "--event", "request",
               "--on", "2025-11-14", *base)
    assert r.exit_code == 0 and "scadenza 14/11/2025" in r.stdout, r.output
    # without --chamber, every chamber is listed, each in its own table
    r = invoke("conciliation", "status", *base)
    assert "— cuneo" in r.stdout and "— cremona" in r.stdout


# --------------------------------------------------------------------------- reopened Cuneo


def _expected() -> dict[str, Any]:
    return yaml.safe_load((REOPENED / "expected.yaml").read_text(encoding="utf-8"))


def _results(db: str, run_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(stored run's results, latest revision's results) per person, as Decimal strings."""
    engine = store.open_engine(db)
    try:
        with Session(engine) as session:
            orig = {r.person_id: r for r in session.exec(select(store.PersonResult).where(
                store.PersonResult.run_id == run_id)).all()}
            revs = cases.run_revisions(session, run_id)
            last = {}
            if revs:
                last = {r.person_id: r for r in session.exec(select(store.RevisionResult).where(
                    store.RevisionResult.revision_id == revs[-1].id)).all()}
            return orig, last
    finally:
        engine.dispose()


def _money(cents: int | None) -> str:
    return str(store.from_hundredths(cents))


def _check(rows: dict[str, Any], expected: dict[str, Any], what: str) -> None:
    for pid, exp in expected.items():
        r = rows[pid]
        got = {"total": _money(r.total_cp), "premium": _money(r.premium_cents),
               "maggiorazione": _money(r.maggiorazione_cents), "paid": _money(r.paid_cents),
               "rank": r.maggiorazione_rank}
        for key, value in exp.items():
            want = value if key == "rank" else str(Decimal(str(value)).quantize(Decimal("0.01")))
            assert got[key] == want, f"{what} {pid}.{key}: expected {want}, found {got[key]}"


def test_reopened_cuneo_moves_someone_across_the_maggiorazione_cut(db, tmp_path):
    exp = _expected()
    run_id = evaluate_reopened(db)
    orig, _ = _results(db, run_id)
    _check(orig, exp["original"]["people"], "original")

    base = ("--db", db, "--as-of", "2025-07-31")
    chain = exp["revision_1"]["case"]
    assert invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "R5",
                  "--delivered", chain["delivered"], *base).exit_code == 0
    for st in chain["steps"]:
        args = ["conciliation", "step", "cuneo-1", "--event", st["event"], "--on", st["date"], *base]
        if "scores" in st:
            args += ["--scores", st["scores"]]
        r = invoke(*args)
        assert r.exit_code == 0, r.output
    out = r.stdout
    # who is affected: R1 and R5 money, R2 loses the maggiorazione, R3/R4 move down one place
    assert "Revisione 1 dell'esecuzione 1 salvata (R5)" in out
    assert "330,00 € → 346,67 €" in out and "330,00 € → 0,00 €" in out
    assert "750,00 € → 1.000,00 €" in out and "+596,67 €" in out and "-330,00 €" in out
    assert "importo ciascuno 330,00 € → 346,67 €" in out
    assert "chiuso il 15/07/2025: valutazione modificata" in out
    assert "R6" not in out.split("Chi cambia")[1].split("Maggiorazione del premio")[0]
    orig_after, rev1 = _results(db, run_id)
    _check(rev1, exp["revision_1"]["people"], "revision 1")
    _check(orig_after, exp["original"]["people"], "original after revision 1")   # never modified

    # a second case (R7), closed at the evaluator's answer with a partial score change
    chain = exp["revision_2"]["case"]
    assert invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "R7",
                  "--delivered", chain["delivered"], *base).exit_code == 0
    scores = tmp_path / "r7.csv"
    scores.write_text("person_id,factor,score\nR7,cooperazione_team_working,10\n", encoding="utf-8")
    for st in chain["steps"]:
        args = ["conciliation", "step", "cuneo-2", "--event", st["event"], "--on", st["date"], *base]
        if "scores" in st:
            args += ["--scores-file", scores]
        r = invoke(*args)
        assert r.exit_code == 0, r.output
    assert "Revisione 2 dell'esecuzione 1 salvata (R7)" in r.stdout
    assert "beneficiari 2" in r.stdout and "ammessi 6 → 7" in r.stdout
    _, rev2 = _results(db, run_id)
    _check(rev2, exp["revision_2"]["people"], "revision 2")

    # the stored run is untouched: one run, its people as evaluated
    engine = store.open_engine(db)
    try:
        assert store.counts(engine)["run"] == 1
    finally:
        engine.dispose()

    r = invoke("runs", "--db", db, env={"SMVP_TODAY": "2025-07-31"})
    assert "provvisorio, revisioni: 2" in r.stdout

    # the export of the run carries every revision and the payment state
    path = tmp_path / "run.csv"
    r = invoke("run", "export", run_id, "--out", path, "--csv-dialect", "standard", *base)
    assert r.exit_code == 0, r.output
    rows = {row["person_id"]: row for row in csv.DictReader(  # the standard CSV (docs/results.md)
        path.read_text(encoding="utf-8-sig").splitlines())}
    for pid, e in exp["revision_2"]["people"].items():
        assert Decimal(rows[pid]["paid"]) == Decimal(str(e["paid"])), pid
    assert {row["payout_state"] for row in rows.values()} == {"provvisorio"}


def test_revision_refusals(db, tmp_path):
    run_id = evaluate_reopened(db)
    base = ("--db", db, "--as-of", "2025-07-31")
    invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "R5",
           "--delivered", "2025-05-12", *base)
    invoke("conciliation", "step", "cuneo-1", "--event", "request", "--on", "2025-05-20", *base)
    r = invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-05-28",
               "--scores", "orientamento=17,esecuzione_compiti=16", *base, "--lang", "en")
    assert r.exit_code == 1
    assert "'orientamento' is not a behaviour factor of role 'dipendente'" in r.stderr
    assert "did you mean orientamento_utenza" in r.stderr
    assert "expected 0 to 15.00 points, found 16.00" in r.stderr
    assert len(_steps(db, "cuneo-1")) == 1                       # nothing stored
    # the scores already stored: the evaluation is confirmed, no revision
    r = invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-05-28",
               "--scores", "orientamento_utenza=10", *base)
    assert r.exit_code == 0, r.output
    assert "nessuna revisione" in r.stdout and "valutazione confermata" in r.stdout
    _, last = _results(db, run_id)
    assert last == {}
    # a YAML scores file naming another factor set; a CSV for someone else is refused
    bad = tmp_path / "other.csv"
    bad.write_text("person_id,factor,score\nR1,orientamento_utenza,12\n", encoding="utf-8")
    invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "R6",
           "--delivered", "2025-05-12", *base)
    invoke("conciliation", "step", "cuneo-2", "--event", "request", "--on", "2025-05-20", *base)
    r = invoke("conciliation", "step", "cuneo-2", "--event", "answer", "--on", "2025-05-28",
               "--scores-file", bad, *base)
    assert r.exit_code == 1 and "non è la persona del caso (atteso 'R6')" in r.stderr
    good = tmp_path / "r6.yaml"
    good.write_text("orientamento_utenza: 12.5\n", encoding="utf-8")
    r = invoke("conciliation", "step", "cuneo-2", "--event", "answer", "--on", "2025-05-28",
               "--scores-file", good, *base)
    assert r.exit_code == 0, r.output
    assert "R6" in r.stdout and "67,50" in r.stdout              # 65.00 + 2.50


# --------------------------------------------------------------------------- payment gate


def _state(db: str, run_id: int, as_of: str) -> str:
    r = invoke("run", "state", run_id, "--db", db, "--as-of", as_of)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_payment_gate_transitions(db, tmp_path):
    """provvisorio → … → definitivo, one condition at a time (Cuneo: request within 10 days)."""
    run_id = fake_run(db, "cuneo", profile_text("cuneo"), people=3, year=2024)
    s = _state(db, run_id, "2025-05-13")
    assert "provvisorio" in s and "validazione OIV della Relazione non registrata" in s
    assert "scheda non ancora consegnata (né datata dal valutatore né consegna registrata): 3" in s
    # OIV validation: still provisional, sheets not delivered
    r = invoke("run", "validate", run_id, "--oiv-date", "2025-05-13", "--db", db,
               "--as-of", "2025-05-13")
    assert r.exit_code == 0 and "registrata per l'esecuzione 1: 13/05/2025" in r.stdout
    assert "provvisorio" in r.stdout and "validazione OIV" not in r.stdout.split("provvisorio")[1]
    # sheets delivered 12/05: request terms run until 22/05 (12/05 + 10, giovedì)
    assert invoke("conciliation", "deliver", "--chamber", "cuneo", "--run", run_id, "--on",
                  "2025-05-12", "--db", db, "--as-of", "2025-05-13").exit_code == 0
    s = _state(db, run_id, "2025-05-22")
    assert "provvisorio" in s and "termine per la richiesta in corso: 3 (fino al 22/05/2025)" in s
    # P1 asks for review on 20/05: a case
    invoke("conciliation", "open", "--chamber", "cuneo", "--run", run_id, "--person", "P1",
           "--db", db, "--as-of", "2025-05-20")                     # delivery recorded: no --delivered
    invoke("conciliation", "step", "cuneo-1", "--event", "request", "--on", "2025-05-20",
           "--db", db, "--as-of", "2025-05-20")
    # 23/05: the others' terms expired; P1's case is open (the evaluator has 10 days to answer)
    s = _state(db, run_id, "2025-05-23")
    assert "provvisorio" in s and "casi di conciliazione aperti: 1 (cuneo-1)" in s
    assert "in corso" not in s
    # the evaluator answers late (after 30/05): the administration's lateness does not end it
    s = _state(db, run_id, "2025-06-05")
    assert "cuneo-1" in s
    invoke("conciliation", "step", "cuneo-1", "--event", "answer", "--on", "2025-06-03",
           "--db", db, "--as-of", "2025-06-05")
    # the person does not activate the conciliation within 03/06 + 10 = 13/06: lapsed
    s = _state(db, run_id, "2025-06-14")
    assert "definitivo" in s
    # a case closed explicitly
    invoke("conciliation", "close", "cuneo-1", "--on", "2025-06-16", "--outcome", "lapsed",
           "--db", db, "--as-of", "2025-06-16")
    assert "definitivo" in _state(db, run_id, "2025-06-16")
    # before the OIV date the run was provisional, whatever the terms
    assert "provvisorio" in _state(db, run_id, "2025-05-12")
    # runs and exports show the state
    r = invoke("runs", "--db", db, env={"SMVP_TODAY": "2025-06-16"})
    assert "Stato pagamenti" in r.stdout and "definitivo" in r.stdout
    r = invoke("runs", "--db", db, "--lang", "en", env={"SMVP_TODAY": "2025-05-12"})
    assert "Payout state" in r.stdout and "provisional" in r.stdout


def test_gate_needs_requests_closed_when_the_profile_sets_no_term(db):
    run_id = fake_run(db, "brescia", profile_text("brescia_inline"), people=2)
    invoke("conciliation", "deliver", "--chamber", "brescia", "--run", run_id, "--on",
           "2025-03-03", "--db", db, "--as-of", "2025-03-03")
    invoke("run", "validate", run_id, "--oiv-date", "2025-06-20", "--db", db,
           "--as-of", "2025-06-20")
    s = _state(db, run_id, "2026-01-01")
    assert "provvisorio" in s and "non fissa un termine per la richiesta: 2" in s
    r = invoke("run", "validate", run_id, "--oiv-date", "2025-06-20", "--requests-closed",
               "2025-09-30", "--db", db, "--as-of", "2025-10-01")
    assert r.exit_code == 0 and "definitivo" in r.stdout
    assert "provvisorio" in _state(db, run_id, "2025-09-29")   # before the declared closure


def test_validate_refuses_an_oiv_date_inside_the_year(db):
    run_id = fake_run(db, "cuneo", profile_text("cuneo"), year=2024)
    r = invoke("run", "validate", run_id, "--oiv-date", "2024-12-31", "--db", db)
    assert r.exit_code == 1 and "--oiv-date 31/12/2024: la Relazione sul 2024 si valida dopo la fine " \
        "dell'anno (atteso un giorno dal 2025 in poi, trovato 31/12/2024)" in r.stderr
    r = invoke("run", "validate", run_id, "--oiv-date", "2024-12-31", "--db", db, "--lang", "en")
    assert r.exit_code == 1 and "--oiv-date 31/12/2024: the Relazione on 2024 is validated after the year " \
        "ends (expected a day in 2025 or later, found 31/12/2024)" in r.stderr
    r = invoke("run", "validate", 42, "--oiv-date", "2025-06-30", "--db", db)
    assert r.exit_code == 2 and "nessuna esecuzione salvata 42" in r.stderr
    r = invoke("run", "validate", 42, "--oiv-date", "2025-06-30", "--db", db, "--lang", "en")
    assert r.exit_code == 2 and "no stored run 42. see smvp runs" in r.stderr


def test_evaluate_exports_are_provisional(db, tmp_path):
    path = tmp_path / "out.json"
    r = invoke("evaluate", "--chamber", "cuneo", "--data", REOPENED, "--year", "2024", "--db", db,
               "--out", path)
    assert r.exit_code == 0, r.output
    assert json.loads(path.read_text(encoding="utf-8"))["run"]["payout_state"] == "provvisorio"


# --------------------------------------------------------------------------- smvp_engine.revision


def test_apply_revisions_is_pure_and_appends_missing_factors():
    from smvp_engine.revision import Revision, apply_revisions, changes

    tables = {"behaviours": {"person_id": ["A", "A", "B"], "factor": ["f", "g", "f"],
                             "score": [1000, 500, 700]}}
    out = apply_revisions(tables, [Revision("A", {"g": 900}), Revision("B", {"h": 100}),
                                   Revision("A", {"g": 950})])
    assert tables["behaviours"]["score"] == [1000, 500, 700]          # input untouched
    assert out["behaviours"] == {"person_id": ["A", "A", "B", "B"],
                                 "factor": ["f", "g", "f", "h"], "score": [1000, 950, 700, 100]}
    with pytest.raises(TypeError):
        apply_revisions(tables, [Revision("A", {"g": 9.5})])           # centipoints only
    before = [{"person_id": "A", "paid": Decimal("1.00")}, {"person_id": "B", "paid": None}]
    after = [{"person_id": "A", "paid": Decimal("1.50")}, {"person_id": "B", "paid": None}]
    [c] = changes(before, after)
    assert c.person_id == "A" and c.changed == ("paid",) and c.delta_paid == Decimal("0.50")
