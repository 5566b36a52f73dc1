"""smvp.store: exact storage, canonical dataset content, one transaction per run."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from smvp import store
from smvp.errors import UsageProblem
from smvp.report import Outcome
from smvp.testing import FakeEvaluation, FakeProfile, fake_dataset, fake_rows

D = Decimal



@pytest.fixture
def engine(db_url):
    """The store on SQLite and on PostgreSQL (tests/conftest.py)."""
    eng = store.open_engine(db_url)
    yield eng
    eng.dispose()


def outcome(profile=None, dataset=None, ev=None) -> tuple[FakeProfile, object, Outcome]:
    profile = profile or FakeProfile()
    dataset = dataset or fake_dataset()
    ev = ev or FakeEvaluation()
    return profile, dataset, Outcome.from_evaluation(profile, dataset, ev, year=2024,
                                                     engine_version="0.0.0-fake")


# --------------------------------------------------------------------------- numbers


def test_hundredths_are_exact():
    assert store.to_cents(D("1234.50")) == 123450
    assert store.to_cents(D("-0.01")) == -1
    assert store.to_cents(D("7")) == 700
    assert store.to_cents(12) == 1200
    assert store.to_cents(None) is None
    assert store.to_centipoints(D("73.5")) == 7350
    assert store.from_hundredths(123450) == D("1234.50")


def test_more_than_two_decimals_is_a_bug_not_rounded():
    with pytest.raises(ValueError):
        store.to_cents(D("0.005"))
    with pytest.raises(TypeError):
        store.to_cents(True)


# --------------------------------------------------------------------------- location


def test_default_location_smvp_home(monkeypatch, tmp_path):
    monkeypatch.setenv("SMVP_HOME", str(tmp_path / "h"))
    assert store.default_database_path() == tmp_path / "h" / "smvp.db"
    assert store.database_url() == f"sqlite:///{tmp_path / 'h' / 'smvp.db'}"


def test_default_location_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("SMVP_HOME")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert store.default_database_path() == tmp_path / ".local" / "share" / "smvp" / "smvp.db"


def test_url_precedence(monkeypatch):
    monkeypatch.setenv("SMVP_DATABASE_URL", "sqlite:///from-env.db")
    assert store.database_url() == "sqlite:///from-env.db"
    assert store.database_url("sqlite:///from-option.db") == "sqlite:///from-option.db"


def test_open_creates_the_folder(tmp_path):
    eng = store.open_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'x.db'}")
    try:
        assert (tmp_path / "a" / "b" / "x.db").exists()
        assert store.counts(eng) == {"dataset_blob": 0, "run": 0, "person_result": 0,
                                     "fund_result": 0}
    finally:
        eng.dispose()


def test_bad_url_is_a_usage_problem():
    with pytest.raises(UsageProblem):
        store.open_engine("not a url")
    with pytest.raises(UsageProblem):
        store.open_engine("nosuchdialect://x")


# --------------------------------------------------------------------------- dataset content


def test_dataset_canonical_json_types():
    doc = json.loads(store.dataset_canonical_json(fake_dataset()))
    staff = doc["tables"]["staff"]
    assert doc["year"] == 2024
    assert staff["person_id"] == ["p1", "p2", "p3"]
    assert staff["name"] == ["Anna Rossi", "Bruno Bianchi", None]
    assert staff["presence_days"] == ["250.00", "180.50", None]      # Decimal: exact strings
    assert staff["part_time"] == [1, 1, 1]                            # numpy int64 → int
    assert staff["ratio"] == [0.5, None, 1.0]                         # NaN → null
    assert doc["tables"]["resources"]["amount"] == [1234567, 1000000]


def test_dataset_canonical_json_is_deterministic():
    a = fake_dataset()
    b = fake_dataset()
    b.tables = dict(reversed(list(b.tables.items())))
    assert store.dataset_canonical_json(a) == store.dataset_canonical_json(b)
    text = store.dataset_canonical_json(a)
    assert ", " not in text and ": " not in text.replace("Anna Rossi", "")


def test_dataset_exact_columns():
    exact = pytest.importorskip("smvp_engine.exact")
    ds = fake_dataset(tables={"t": {"q": exact.Q(np.array([1, 3, 4]), np.array([2, 1, 3])),
                                    "f": [Fraction(1, 3), None]}})
    doc = store.dataset_document(ds)
    assert doc["tables"]["t"]["q"] == ["1/2", "3", "4/3"]
    assert doc["tables"]["t"]["f"] == ["1/3", None]


# --------------------------------------------------------------------------- runs


def test_save_run_stores_everything_exactly(engine):
    profile, dataset, out = outcome()
    run_id = store.save_run(engine, profile, dataset, out)
    assert run_id == 1 and out.info.run_id == 1
    assert store.counts(engine) == {"dataset_blob": 1, "run": 1, "person_result": 3,
                                    "fund_result": 2}
    people = store.iter_person_results(engine, run_id)
    p2 = next(p for p in people if p.person_id == "p2")
    assert p2.total_cp == 9500 and p2.results_cp == 3000 and p2.behaviour_cp == 6500
    assert p2.paid_cents == 123462 and p2.maggiorazione_cents == 15162
    assert p2.premium_cents == 108300 and p2.theoretical_cents == 150000
    assert p2.payout_percent == "100.00" and p2.coefficient == "0.722000"
    assert p2.components == {"ente": 500, "ufficio": 2500}
    assert p2.maggiorazione_rank == 1 and p2.negative is False
    p3 = next(p for p in people if p.person_id == "p3")
    assert p3.negative is True and p3.judgement == "non_positiva"

    [listing] = store.list_runs(engine)
    assert listing.chamber == "fake" and listing.year == 2024
    assert listing.people == 3 and listing.distributed_cents == 735000 + 123462
    assert listing.profile_sha256 == profile.sha256
    assert listing.created_at.tzinfo is not None
    content = store.dataset_content(engine, dataset.sha256)
    assert content == json.loads(store.dataset_canonical_json(dataset))


def test_run_row_keeps_profile_text_and_totals(engine):
    from sqlmodel import Session

    profile, dataset, out = outcome()
    run_id = store.save_run(engine, profile, dataset, out)
    with Session(engine) as s:
        run = s.get(store.Run, run_id)
        assert run.profile_text == profile.text
        assert run.profile_path == str(profile.path)
        assert run.dataset_sha256 == dataset.sha256
        assert run.engine_version == "0.0.0-fake"
        assert run.totals["cents"]["paid"] == 735000 + 123462
        assert run.totals["cents"]["economies"] == 265000 + 1111105
        assert run.totals["summary"]["not_computed"] == [
            "conciliation deadlines: defined: false in the profile"]


def test_same_dataset_is_stored_once(engine):
    profile, dataset, out1 = outcome()
    store.save_run(engine, profile, dataset, out1)
    _, _, out2 = outcome(profile, dataset)
    store.save_run(engine, profile, dataset, out2)
    assert store.counts(engine)["dataset_blob"] == 1
    assert store.counts(engine)["run"] == 2
    assert [r.id for r in store.list_runs(engine, chamber="fake")] == [1, 2]
    assert store.list_runs(engine, chamber="other") == []


@pytest.mark.parametrize("prior_runs", [0, 1])
def test_failure_mid_write_leaves_the_database_as_it_was(engine, monkeypatch, prior_runs):
    for _ in range(prior_runs):
        profile, dataset, out = outcome()
        store.save_run(engine, profile, dataset, out)
    before = store.counts(engine)

    def boom(run_id, fund, *_):
        # by now the blob, the run and all person rows have been flushed
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store.runs, "fund_record", boom)
    profile, _, out = outcome(dataset=fake_dataset(sha256="e" * 64))
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.save_run(engine, profile, fake_dataset(sha256="e" * 64), out)
    assert store.counts(engine) == before
    assert out.info.run_id is None


def test_bad_row_mid_write_stores_nothing(engine):
    rows = fake_rows()
    rows[2]["paid"] = D("0.001")  # the engine broke its contract on the last row
    profile, dataset, out = outcome(ev=FakeEvaluation(row_list=rows))
    with pytest.raises(ValueError):
        store.save_run(engine, profile, dataset, out)
    assert store.counts(engine) == {"dataset_blob": 0, "run": 0, "person_result": 0,
                                    "fund_result": 0}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write read-only files")
def test_database_error_is_a_store_problem(tmp_path):
    from smvp.errors import StoreProblem

    db = tmp_path / "ro.db"
    eng = store.open_engine(f"sqlite:///{db}")
    eng.dispose()
    db.chmod(0o444)
    try:
        eng = store.open_engine(f"sqlite:///{db}")
        profile, dataset, out = outcome()
        try:
            with pytest.raises(StoreProblem, match="nothing was stored"):
                store.save_run(eng, profile, dataset, out)
        finally:
            eng.dispose()
    finally:
        db.chmod(0o644)


def test_list_runs_of_empty_database(engine):
    assert store.list_runs(engine) == []


def test_sqlite_path_helper(tmp_path):
    # a URL for a file in a folder that cannot be created → StoreProblem
    from smvp.errors import StoreProblem

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreProblem):
        store.open_engine(f"sqlite:///{Path(blocker) / 'sub' / 'x.db'}")


def test_database_error_mid_write_is_a_store_problem_and_rolls_back(tmp_path):
    """A database whose fund_result table lost a column: the insert fails after the run row."""
    import sqlite3

    from smvp.errors import StoreProblem

    db = tmp_path / "odd.db"
    store.open_engine(f"sqlite:///{db}").dispose()
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE fund_result RENAME COLUMN label TO label_gone")
    con.commit()
    con.close()
    eng = store.open_engine(f"sqlite:///{db}")
    try:
        profile, dataset, out = outcome()
        with pytest.raises(StoreProblem, match="nothing was stored"):
            store.save_run(eng, profile, dataset, out)
        assert store.counts(eng)["run"] == 0
        assert store.counts(eng)["person_result"] == 0
        assert store.counts(eng)["dataset_blob"] == 0
    finally:
        eng.dispose()


def test_a_foreign_half_schema_is_refused_with_the_reason(tmp_path):
    """A database holding a table smvp did not make: opening says so, nothing is changed."""
    import sqlite3

    from smvp.errors import StoreProblem

    db = tmp_path / "odd.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE person_result (id INTEGER PRIMARY KEY, run_id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(StoreProblem, match="cannot open the database .*person_result"):
        store.open_engine(f"sqlite:///{db}")
    con = sqlite3.connect(db)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")] \
        == ["person_result"]
    con.close()


def test_dataset_missing_masks_become_null():
    ds = fake_dataset(tables={"staff": type("T", (), {
        "columns": {"days": np.array([100, 0, 250], dtype=np.int64)},
        "missing": {"days": np.array([False, True, False])},
    })()})
    assert store.dataset_document(ds)["tables"]["staff"]["days"] == [100, None, 250]


def test_real_dataset_content(tmp_path):
    dataset_mod = pytest.importorskip("smvp_engine.dataset")
    sample = Path(__file__).resolve().parents[1] / "chambers" / "data" / "cuneo" / "2024"
    if not sample.is_dir():
        pytest.skip("no cuneo sample yet")
    ds = dataset_mod.load_dataset(sample)
    doc = json.loads(store.dataset_canonical_json(ds))
    assert set(doc["tables"]) >= {"staff", "units", "objectives", "resources"}
    assert all(isinstance(v, (int, type(None))) for v in doc["tables"]["resources"]["amount"])
    assert store.dataset_canonical_json(ds) == store.dataset_canonical_json(
        dataset_mod.load_dataset(sample))


def test_paths_are_stored_absolute(engine, tmp_path, monkeypatch):
    (tmp_path / "p.yaml").write_text("x")
    monkeypatch.chdir(tmp_path)
    _, dataset, out = outcome(profile=FakeProfile(path=Path("p.yaml")))
    assert out.info.profile_path == str(tmp_path / "p.yaml")
    assert out.info.dataset_path == str(dataset.path)  # not on disk: kept as given


def test_unscored_person_is_stored_with_nulls(engine):
    rows = fake_rows()
    rows.append({"person_id": "p4", "name": None, "role": "dipendente", "role_label": "Dipendente",
                 "unit_id": "U1", "components": {"ente": None}, "results": None,
                 "behaviour": None, "total": None, "judgement": None, "judgement_label": None,
                 "negative": None, "payout_percent": None, "coefficient_name": None,
                 "coefficient": None, "fund": None, "theoretical": None, "premium": None,
                 "maggiorazione": None, "paid": None, "maggiorazione_rank": None})
    profile, dataset, out = outcome(ev=FakeEvaluation(row_list=rows))
    run_id = store.save_run(engine, profile, dataset, out)
    p4 = next(p for p in store.iter_person_results(engine, run_id) if p.person_id == "p4")
    assert p4.total_cp is None and p4.paid_cents is None and p4.negative is None
    assert p4.components == {"ente": None}


# --------------------------------------------------------------------------- concurrency


def _store_one(url: str, barrier, results) -> None:
    """Child process: open the (fresh) database and store one run of the same dataset."""
    try:
        barrier.wait(timeout=30)
        eng = store.open_engine(url)
        try:
            results.put(store.save_run(eng, *outcome()))
        finally:
            eng.dispose()
    except BaseException as exc:  # reported to the parent, not lost in the child
        results.put(f"{type(exc).__name__}: {exc}")


def test_concurrent_first_runs_on_a_fresh_database_are_all_stored(db_url):
    """8 processes start together on a database without tables (SQLite: without its
    file): 8 runs, 1 blob. On SQLite and on PostgreSQL.

    Creating the schema races (``table … already exists``) unless done under a
    lock, and the same dataset's blob is inserted by every process (``UNIQUE
    constraint failed``) unless an existing one is reused.
    """
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    url = db_url
    barrier, results = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=_store_one, args=(url, barrier, results)) for _ in range(8)]
    for p in procs:
        p.start()
    got = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(isinstance(g, int) for g in got), got
    assert sorted(got) == list(range(1, 9))
    eng = store.open_engine(url)
    try:
        assert store.counts(eng)["run"] == 8
        assert store.counts(eng)["dataset_blob"] == 1
    finally:
        eng.dispose()


def _store_and_hang(url: str, ready: str) -> None:
    """Child process: store a run, but stop for good inside the open transaction (after the
    dataset blob and the run row are written, before the people) and say so."""
    import time

    from smvp.store import runs

    real = runs.person_record

    def hang(*args, **kwargs):
        tmp = Path(ready + ".tmp")
        tmp.write_text("open")
        tmp.replace(ready)  # appears whole: the parent never reads a half-written file
        time.sleep(120)  # killed here
        return real(*args, **kwargs)

    runs.person_record = hang
    eng = store.open_engine(url)
    dataset = fake_dataset(sha256="b" * 64)  # a new dataset: its blob is written too
    store.save_run(eng, *outcome(dataset=dataset))


def test_kill_9_inside_the_store_transaction_leaves_the_database_as_before(db_url, tmp_path):
    """kill -9 while a run is being stored (its blob and run row written, uncommitted): the
    database has what it had before, passes its integrity check, and takes the next run."""
    import multiprocessing as mp
    import signal
    import sqlite3
    import time

    url = db_url
    eng = store.open_engine(url)
    store.save_run(eng, *outcome())
    before = store.counts(eng)
    eng.dispose()
    ready = tmp_path / "ready"
    child = mp.get_context("fork").Process(target=_store_and_hang, args=(url, str(ready)))
    child.start()
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), "the child never reached the open transaction"
        assert ready.read_text() == "open"   # its blob and run row written, not committed
    finally:
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            con.close()
    eng = store.open_engine(url)
    try:
        assert store.counts(eng) == before
        # the next run is stored normally (PostgreSQL's sequence skips the id it had taken)
        assert store.save_run(eng, *outcome()) in (2, 3)
        assert store.counts(eng)["run"] == before["run"] + 1
    finally:
        eng.dispose()
