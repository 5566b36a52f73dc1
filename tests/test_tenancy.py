"""Tenants in the store: migrations (from empty, from a pre-tenant smvp.db, on SQLite and
PostgreSQL) and the one scoping layer (smvp.store.tenancy), on both databases."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select
from typer.testing import CliRunner

from smvp import cli, store
from smvp.report import Outcome
from smvp.store import tenancy, tenants
from smvp.testing import FakeEvaluation, FakeProfile, fake_dataset

FIXTURE = Path(__file__).parent / "fixtures" / "pre_tenant_smvp.db"
OLD_TABLES = ["dataset_blob", "run", "person_result", "fund_result", "conciliation_case",
              "run_validation", "sheet_delivery", "revision", "conciliation_step",
              "revision_result"]


def schema_differences(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), store.Run.metadata)
    finally:
        eng.dispose()


def old_rows() -> dict[str, list[dict]]:
    con = sqlite3.connect(FIXTURE)
    con.row_factory = sqlite3.Row
    try:
        return {t: [dict(r) for r in con.execute(f"SELECT * FROM {t} ORDER BY 1")]
                for t in OLD_TABLES}
    finally:
        con.close()


# --------------------------------------------------------------------------- migrations


def test_from_empty_the_schema_is_the_models(db_url):
    store.open_engine(db_url).dispose()
    assert schema_differences(db_url) == []
    eng = create_engine(db_url)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == \
            store.db.HEAD
    eng.dispose()


def test_a_pre_tenant_sqlite_file_upgrades_in_place(tmp_path):
    db = tmp_path / "smvp.db"
    shutil.copy(FIXTURE, db)
    before = old_rows()
    url = f"sqlite:///{db}"
    eng = store.open_engine(url)
    try:
        assert [(t.slug, t.chamber) for t in tenants.list_tenants(eng)] == \
            [("cremona", "cremona"), ("cuneo", "cuneo")]
        ids = {t.slug: t.id for t in tenants.list_tenants(eng)}
        with Session(eng) as s:
            runs = s.exec(select(store.Run).order_by(store.Run.id)).all()
            assert [(r.id, r.chamber, r.tenant_id) for r in runs] == \
                [(1, "cuneo", ids["cuneo"]), (2, "cremona", ids["cremona"])]
            for model in (store.PersonResult, store.FundResult, store.ConciliationCase,
                          store.ConciliationStep, store.RunValidation):
                for row in s.exec(select(model)).all():
                    run_id = getattr(row, "run_id", None) or 1
                    assert row.tenant_id == next(r.tenant_id for r in runs if r.id == run_id)
        counts = store.counts(eng)
        for table in ("dataset_blob", "run", "person_result", "fund_result"):
            assert counts[table] == len(before[table]), table
    finally:
        eng.dispose()
    assert schema_differences(url) == []
    runner = CliRunner()
    r = runner.invoke(cli.app, ["runs", "--db", url])
    assert r.exit_code == 0 and "cuneo" in r.output and "cremona" in r.output, r.output
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", url])  # reads every input back
    assert "profilo: testo integro" in r.output and "dati: contenuto integro" in r.output, \
        r.output
    r = runner.invoke(cli.app, ["conciliation", "status", "--chamber", "cuneo", "--db", url,
                                "--as-of", "2025-09-30"])
    assert r.exit_code == 0 and "cuneo-1" in r.output, r.output


def test_every_revision_upgrades_on_postgresql_with_its_rows(pg_server):
    """0001 (the pre-tenant schema, filled with the fixture's rows) → head, on PostgreSQL."""
    from alembic import command

    from tests.conftest import new_pg_database

    url = new_pg_database(pg_server)
    eng = create_engine(url)
    with eng.connect() as conn:
        command.upgrade(store.db.alembic_config(conn), "0001")
        conn.commit()
    rows = old_rows()
    with eng.begin() as conn:
        from sqlalchemy import MetaData

        meta = MetaData()
        meta.reflect(conn)
        import json

        from sqlalchemy import JSON

        for table in OLD_TABLES:
            t = meta.tables[table]
            as_json = [c.name for c in t.columns if isinstance(c.type, JSON)]
            values = [{k: json.loads(v) if k in as_json else v for k, v in r.items()}
                      for r in rows[table]]
            if values:
                conn.execute(t.insert(), values)
        for table in OLD_TABLES:  # ids were given: move the sequences past them
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
                         ) if table != "dataset_blob" else None
    eng.dispose()
    se = store.open_engine(url)
    try:
        assert [t.slug for t in tenants.list_tenants(se)] == ["cremona", "cuneo"]
        assert store.counts(se)["person_result"] == len(rows["person_result"])
    finally:
        se.dispose()
    assert schema_differences(url) == []
    r = CliRunner().invoke(cli.app, ["verify", "--run", "1", "--db", url])
    assert "profilo: testo integro" in r.output and "dati: contenuto integro" in r.output, \
        r.output


# --------------------------------------------------------------------------- scoping


def _save(engine, chamber: str) -> int:
    profile = FakeProfile()
    profile.chamber_id = chamber
    dataset = fake_dataset()
    out = Outcome.from_evaluation(profile, dataset, FakeEvaluation(), year=2024,
                                  engine_version="0.0.0-fake")
    out.info.chamber = chamber
    return store.save_run(engine, profile, dataset, out)


@pytest.fixture
def two_tenants(db_url):
    eng = store.open_engine(db_url)
    a = tenants.create_tenant(eng, "alfa", chamber="cuneo")
    b = tenants.create_tenant(eng, "beta", chamber="cuneo")
    run_a = _save(store.scoped(eng, a.id), "cuneo")
    run_b = _save(store.scoped(eng, b.id), "cuneo")
    yield eng, a, b, run_a, run_b
    eng.dispose()


def test_a_tenant_sees_only_its_rows(two_tenants):
    eng, a, b, run_a, run_b = two_tenants
    ea, eb = store.scoped(eng, a.id), store.scoped(eng, b.id)
    assert [r.id for r in store.list_runs(ea)] == [run_a]
    assert [r.id for r in store.list_runs(eb)] == [run_b]
    assert store.find_run(ea, run_b) is None and store.find_run(ea, run_a) is not None
    assert store.iter_person_results(ea, run_b) == []
    assert store.iter_person_results(eb, run_b)
    assert store.fund_results(ea, run_b) == []
    run = store.find_run(eb, run_b)
    # both stored the same dataset: each reads its own copy, never the other's
    assert store.get_blob(ea, run.dataset_sha256).tenant_id == a.id
    assert store.get_blob(ea, run.dataset_sha256, tenant_id=b.id) is None
    assert store.dataset_content(ea, run.dataset_sha256, b.id) is None
    assert store.dataset_content(eb, run.dataset_sha256, b.id) is not None
    with Session(ea) as s:  # joins and counts are scoped too
        n = s.exec(select(store.PersonResult).join(
            store.Run, store.Run.id == store.PersonResult.run_id)).all()
        assert {p.tenant_id for p in n} == {a.id}
    # the operator's (unscoped) engine sees both
    assert [r.id for r in store.list_runs(eng)] == [run_a, run_b]


def test_a_tenant_cannot_write_into_another(two_tenants):
    eng, a, b, run_a, run_b = two_tenants
    with pytest.raises(tenancy.TenantMismatch):
        with Session(store.scoped(eng, a.id)) as s, s.begin():
            s.add(store.SheetDelivery(tenant_id=b.id, run_id=run_b, delivered="2025-01-02",
                                      recorded_at=store.Run.model_fields and __import__(
                                          "datetime").datetime.now()))
    with Session(store.scoped(eng, a.id)) as s, s.begin():  # updates are scoped: B untouched
        from sqlalchemy import update

        s.execute(update(store.Run).values(people=999))
    assert store.find_run(eng, run_b).people != 999
    assert store.find_run(eng, run_a).people == 999


def test_the_service_engine_refuses_to_run_without_a_tenant(two_tenants):
    eng, a, *_ = two_tenants
    guarded = store.require_tenant(eng)
    with pytest.raises(tenancy.TenantRequired):
        store.list_runs(guarded)
    assert store.list_runs(store.scoped(guarded, a.id))


# --------------------------------------------------------------------------- downgrades


def _tables(url: str) -> set[str]:
    from sqlalchemy import inspect

    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return set(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        eng.dispose()


def test_migrations_go_down_to_base_and_back_up(db_url):
    """Every revision down, one by one, to base, and back up: the rows of the kept tables
    survive a downgrade to the schema without tenants, and the schema is the models' again."""
    eng = store.open_engine(db_url)
    try:
        for slug in ("cuneo", "cremona"):
            t = tenants.create_tenant(eng, slug)
            _save(store.scoped(eng, t.id), slug)
        from smvp.app import accounts

        accounts.add_user(eng, "mario", "password-lunga")
        accounts.grant(eng, "mario", "cuneo", "oiv")
        people = store.counts(eng)["person_result"]
        assert people > 0
        from alembic.script import ScriptDirectory

        revisions = [r.revision for r in ScriptDirectory.from_config(
            store.db.alembic_config()).walk_revisions()][1:]  # head-1 … 0001
        assert revisions[-1] == "0001" and len(revisions) >= 4
        for rev in revisions:
            store.db.migrate(eng, rev)
            with eng.connect() as conn:
                assert store.db.schema_revision(conn) == rev
        assert "tenant" not in _tables(db_url) and "app_user" not in _tables(db_url)
        with eng.connect() as conn:  # the runs and their results are still there
            assert conn.execute(text("SELECT COUNT(*) FROM run")).scalar() == 2
            assert conn.execute(text("SELECT COUNT(*) FROM person_result")).scalar() == people
            assert conn.execute(text("SELECT COUNT(*) FROM dataset_blob")).scalar() == 1
        store.db.migrate(eng, "head")
        assert schema_differences(db_url) == []
        assert sorted(t.slug for t in tenants.list_tenants(eng)) == ["cremona", "cuneo"]
        assert store.counts(eng)["person_result"] == people
        for slug in ("cuneo", "cremona"):  # each run back in the tenant of its chamber
            t = tenants.tenant_by_slug(eng, slug)
            assert [r.chamber for r in store.list_runs(store.scoped(eng, t.id))] == [slug]
        store.db.migrate(eng, "base")
        assert _tables(db_url) == set()
        for rev in reversed(revisions):
            store.db.migrate(eng, rev)
        store.db.migrate(eng, "head")
        assert schema_differences(db_url) == []
        with eng.connect() as conn:
            assert store.db.schema_revision(conn) == store.db.HEAD
    finally:
        eng.dispose()


def test_a_downgrade_that_would_merge_two_tenants_cases_is_refused(tmp_path):
    from smvp.store.tables import ConciliationCase

    url = f"sqlite:///{tmp_path / 'smvp.db'}"
    eng = store.open_engine(url)
    try:
        import datetime as dt

        for slug in ("alfa", "beta"):  # two tenants of one chamber, each with its case cuneo-1
            t = tenants.create_tenant(eng, slug, chamber="cuneo")
            run = _save(store.scoped(eng, t.id), "cuneo")
            with Session(store.scoped(eng, t.id)) as s, s.begin():
                s.add(ConciliationCase(chamber="cuneo", number=1, run_id=run, person_id="P1",
                                       base_event="data_scheda", delivered=dt.date(2025, 5, 2),
                                       opened_at=dt.datetime.now(dt.UTC)))
        store.db.migrate(eng, "0002")
        with pytest.raises(RuntimeError, match="case cuneo-1 exists in more than one tenant"):
            store.db.migrate(eng, "0001")
        with eng.connect() as conn:  # nothing changed
            assert store.db.schema_revision(conn) == "0002"
        # `smvp migrate` says the refusal in the user's language, with the same case
        from smvp.commands.service import migrate
        from smvp.errors import StoreProblem
        from smvp.i18n import say

        with pytest.raises(StoreProblem) as refused:
            migrate(revision="0001", db=url, out=None)  # type: ignore[arg-type]
        assert "il caso cuneo-1 esiste in più di un ente" in say(refused.value.message, "it")
        assert "case cuneo-1 exists in more than one tenant" in say(refused.value.message, "en")
    finally:
        eng.dispose()


def test_smvp_migrate_goes_down_and_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'smvp.db'}"
    store.open_engine(url).dispose()
    runner = CliRunner()
    r = runner.invoke(cli.app, ["migrate", "0003", "--db", url])
    assert r.exit_code == 0 and f"{store.db.HEAD} → 0003" in r.output, r.output
    assert "score_sheet" not in _tables(url)
    r = runner.invoke(cli.app, ["migrate", "0009", "--db", url])
    assert r.exit_code == 2 and "nessuna migrazione '0009'" in r.output, r.output
    r = runner.invoke(cli.app, ["migrate", "--db", url])
    assert r.exit_code == 0 and f"0003 → {store.db.HEAD}" in r.output, r.output
    assert schema_differences(url) == []
