"""A run stored straight into SQLite with sqlite3 (smvp/store/direct.py): the same rows as the
SQLAlchemy store writes, only into a database already at the newest schema, nothing written when
it fails, and the command line stores through it without importing SQLAlchemy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from smvp import store
from smvp.report import Outcome
from smvp.store import direct, location

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted(p for p in (ROOT / "chambers" / "data").glob("*/*") if p.is_dir())
TABLES = ("tenant", "dataset_blob", "run", "person_result", "fund_result")



def _evaluated(data: Path) -> tuple:
    from smvp_engine.dataset import load_dataset
    from smvp_engine.pipeline import evaluate
    from smvp_engine.profile import load_profile

    profile = load_profile(ROOT / "chambers" / f"{data.parent.name}.yaml")
    dataset = load_dataset(data)
    ev = evaluate(profile, dataset, year=int(data.name))
    return profile, dataset, Outcome.from_evaluation(profile, dataset, ev, year=int(data.name),
                                                     engine_version="9.9.9-test")


def _at_head(path: Path) -> str:
    url = f"sqlite:///{path}"
    store.open_engine(url).dispose()  # created at the newest schema by the SQLAlchemy store
    return url


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of the run tables, with each value's SQLite type (tenant times aside: now())."""
    con = sqlite3.connect(path)
    try:
        out = {}
        for table in TABLES:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")
                    if not (table == "tenant" and r[1] == "created_at")]
            sel = ", ".join(f"{c}, typeof({c})" for c in cols)
            out[table] = con.execute(f"SELECT {sel} FROM {table} ORDER BY 1, 2").fetchall()
        return out
    finally:
        con.close()


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


@pytest.mark.parametrize("data", SAMPLES, ids=[f"{p.parent.name}-{p.name}" for p in SAMPLES])
def test_the_direct_rows_are_the_sqlalchemy_stores_rows(tmp_path, data):
    """Each bundled sample stored twice by each path: the two databases hold the same values,
    of the same SQLite types (the second run reuses the tenant and the dataset blob)."""
    orm_db, direct_db = tmp_path / "orm.db", tmp_path / "direct.db"
    orm_url, direct_url = _at_head(orm_db), _at_head(direct_db)
    for _ in range(2):
        profile, dataset, out_orm = _evaluated(data)
        engine = store.open_engine(orm_url)
        try:
            orm_id = store.save_run(engine, profile, dataset, out_orm)
        finally:
            engine.dispose()
        _, _, out_direct = _evaluated(data)
        out_direct.info.created_at = out_orm.info.created_at
        assert direct.save_run(direct_url, profile, dataset, out_direct) == orm_id
        assert (out_direct.info.run_id, out_direct.info.database) == (orm_id, direct_url)
        assert out_orm.info.database == orm_url
    orm, got = _dump(orm_db), _dump(direct_db)
    assert got.keys() == orm.keys()
    for table in TABLES:
        assert got[table] == orm[table], table
    assert len(got["run"]) == 2 and len(got["dataset_blob"]) == 1 and len(got["tenant"]) == 1


def test_a_direct_run_reads_back_and_verifies(tmp_path):
    from smvp.app import verify as verify_app

    url = _at_head(tmp_path / "smvp.db")
    profile, dataset, out = _evaluated(ROOT / "chambers" / "data" / "cuneo" / "2024")
    run_id = direct.save_run(url, profile, dataset, out)
    engine = store.open_engine(url)
    try:
        [listed] = store.list_runs(engine)
        assert (listed.id, listed.people, listed.engine_version) == (run_id, 80, "9.9.9-test")
        assert listed.created_at == out.info.created_at
        v = verify_app.verify(engine, run_id, "en")
        assert v.identical, (v.problems, v.differences[:5])
    finally:
        engine.dispose()


def test_not_written_here_unless_a_plain_sqlite_file_at_head(tmp_path):
    """None, and nothing written, where the SQLAlchemy store must do it: no file yet (it
    creates), an older schema (it upgrades), another database, rows without the engine's
    columns."""
    from smvp.testing import FakeEvaluation, FakeProfile, fake_dataset

    profile, dataset, out = _evaluated(ROOT / "chambers" / "data" / "cuneo" / "2024")
    missing = tmp_path / "none" / "smvp.db"
    assert direct.save_run(f"sqlite:///{missing}", profile, dataset, out) is None
    assert not missing.exists() and not missing.parent.exists()
    for url in ("postgresql://u@localhost/x", "sqlite://", "sqlite:///:memory:",
                f"sqlite:///{tmp_path}/a.db?mode=ro", f"sqlite+pysqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/a%20b.db"):
        assert direct.save_run(url, profile, dataset, out) is None, url
    old = tmp_path / "old.db"
    engine = store.open_engine(f"sqlite:///{old}")
    try:
        store.db.migrate(engine, "0003")
    finally:
        engine.dispose()
    before = _counts_if(old)
    assert direct.save_run(f"sqlite:///{old}", profile, dataset, out) is None
    assert _counts_if(old) == before
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    assert direct.save_run(f"sqlite:///{foreign}", profile, dataset, out) is None
    fake = Outcome.from_evaluation(FakeProfile(), fake_dataset(), FakeEvaluation(), year=2024,
                                   engine_version="x")
    assert direct.save_run(_at_head(tmp_path / "head.db"), FakeProfile(), fake_dataset(), fake) is None
    assert out.info.run_id is None


def _counts_if(path: Path) -> list:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT (SELECT count(*) FROM run), (SELECT version_num FROM "
                           "alembic_version)").fetchall()
    finally:
        con.close()


def test_a_refused_write_stores_nothing_and_says_so(tmp_path):
    """The database refuses the funds (a trigger), after the tenant, the blob, the run and its
    people were written: a StoreProblem, and the database as it was."""
    db = tmp_path / "smvp.db"
    url = _at_head(db)
    profile, dataset, out = _evaluated(ROOT / "chambers" / "data" / "cuneo" / "2024")
    assert direct.save_run(url, profile, dataset, out) == 1
    before = _counts(db)
    con = sqlite3.connect(db)
    con.execute("CREATE TRIGGER refuse BEFORE INSERT ON fund_result "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    con.commit()
    con.close()
    _, dataset2, out2 = _evaluated(ROOT / "chambers" / "data" / "cuneo" / "2024")
    out2.info.dataset_sha256 = "e" * 64  # a new blob too
    with pytest.raises(store.StoreProblem, match=r"disk on fire; nothing was stored"):
        direct.save_run(url, profile, dataset2, out2)
    assert _counts(db) == before
    assert out2.info.run_id is None


def test_an_error_of_ours_mid_write_rolls_back(tmp_path, monkeypatch):
    db = tmp_path / "smvp.db"
    url = _at_head(db)
    profile, dataset, out = _evaluated(ROOT / "chambers" / "data" / "cuneo" / "2024")
    before = _counts(db)

    def boom(fund):
        raise RuntimeError("a bug")

    monkeypatch.setattr(direct, "fund_columns", boom)
    with pytest.raises(RuntimeError, match="a bug"):
        direct.save_run(url, profile, dataset, out)
    assert _counts(db) == before
    con = sqlite3.connect(db)  # not left locked
    con.execute("BEGIN IMMEDIATE")
    con.rollback()
    con.close()


def test_head_is_the_newest_migration():
    versions = ROOT / "smvp" / "store" / "migrations" / "versions"
    newest = max(p.name.split("_")[0] for p in versions.glob("[0-9]*.py"))
    assert location.HEAD == newest == store.db.HEAD


@pytest.mark.parametrize("url", ["sqlite:////abs/path/smvp.db", "sqlite:///rel/smvp.db",
                                 "sqlite:///C:\\Users\\Ufficio Personale\\smvp.db",
                                 "sqlite:////tmp/perché è/smvp.db", "sqlite:///~/smvp.db"])
def test_a_plain_sqlite_url_is_read_as_sqlalchemy_reads_it(url):
    from sqlalchemy.engine import make_url

    path = location.plain_sqlite_file(url)
    assert path is not None
    assert str(path) == make_url(url).database
    # what a stored run says it was stored in
    assert location.display_sqlite_file(path) == store.display_url(url)


def test_the_store_package_imports_no_sqlalchemy_until_used(tmp_path):
    """``smvp.store`` loads SQLAlchemy at the first use of a name that needs it, and then the
    tables with their tenant scoping; the tables alone bring the scoping with them."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import smvp.store\n"
        "from smvp.store import bulk, codec, direct, location\n"
        "assert 'sqlalchemy' not in sys.modules, 'light'\n"
        "from smvp.store.tables import Run\n"
        "from sqlalchemy import event\n"
        "from sqlalchemy.orm import Session\n"
        "from smvp.store import tenancy\n"
        "assert event.contains(Session, 'do_orm_execute', tenancy._scope_statement)\n"
        "assert event.contains(Session, 'before_flush', tenancy._stamp_new_rows)\n"
        "smvp.store.open_engine\n"
        "assert 'smvp.store.cycle' in sys.modules and 'smvp.store.runs' in sys.modules\n"
        "assert smvp.store.TenantOwned is tenancy.TenantOwned\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.stdout.strip() == "ok", done.stderr
