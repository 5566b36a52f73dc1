"""A run's people stored in bulk from the engine's columns (smvp/store/bulk.py): the same values
as the record-by-record path, a failed run stores nothing, and verify reads them back."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_cuneo as bench
from smvp import store
from smvp.app import verify as verify_app
from smvp.report import Outcome
from smvp.store import bulk

_CACHE: dict = {}


def _outcome(n: int) -> tuple:
    """The benchmark's synthetic Chamber of ``n`` staff, written as CSV and loaded (a dataset hash
    as a real run has), evaluated."""
    import tempfile
    from pathlib import Path

    from benchmarks import bench_cli
    from smvp_engine.dataset import load_dataset
    from smvp_engine.pipeline import evaluate

    if n not in _CACHE:
        folder = Path(tempfile.mkdtemp(prefix="smvp-bulk-")) / "data"
        _CACHE[n] = load_dataset(bench_cli.write_dataset(n, folder))
    profile = bench.load_profile()
    ds = _CACHE[n]
    ev = evaluate(profile, ds, year=2024)
    return profile, ev, Outcome.from_evaluation(profile, ds, ev, year=2024, engine_version="test")


def _as_record_values(row: dict) -> tuple:
    rec = store.person_record(0, row, 0)
    values = []
    for c in bulk.COMPARED:
        v = getattr(rec, c)
        values.append(json.dumps(v) if c == "components" else v)
    return tuple(values)


def test_bulk_rows_are_the_records_values():
    _profile, ev, outcome = _outcome(1500)
    rows = bulk.person_rows(ev)
    want = [_as_record_values(r) for r in ev.rows()]
    assert rows == want
    assert any(r[bulk.COMPARED.index("paid_cents")] for r in rows)
    assert not outcome.rows.loaded


ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
SAMPLES = sorted(p for p in (ROOT / "chambers" / "data").glob("*/*") if p.is_dir())


@pytest.mark.parametrize("data", SAMPLES, ids=[f"{p.parent.name}-{p.name}" for p in SAMPLES])
def test_bulk_rows_of_the_samples_are_the_records_values(data):
    """Unscored and unpaid people, roles without components, every chamber's rules."""
    from smvp_engine.dataset import load_dataset
    from smvp_engine.pipeline import evaluate
    from smvp_engine.profile import load_profile

    profile = load_profile(ROOT / "chambers" / f"{data.parent.name}.yaml")
    ev = evaluate(profile, load_dataset(data), year=int(data.name))
    assert bulk.person_rows(ev) == [_as_record_values(r) for r in ev.rows()]


@pytest.mark.parametrize("size", [1200])
def test_stored_in_bulk_verifies_and_reads_back(db_url, size, monkeypatch):
    profile, ev, outcome = _outcome(size)
    engine = store.open_engine(db_url)
    try:
        run_id = store.save_run(engine, profile, ev.dataset, outcome)
        assert not outcome.rows.loaded  # stored from the columns
        assert store.counts(engine)["person_result"] == size
        stored = store.iter_person_results(engine, run_id)
        records = [store.person_record(run_id, r, s.tenant_id) for r, s in zip(ev.rows(), stored)]
        skip = {"id"}
        assert [s.model_dump(exclude=skip) for s in stored] == [r.model_dump(exclude=skip) for r in records]
        v = verify_app.verify(engine, run_id, "en")
        assert v.identical, (v.problems, v.differences[:5])
        assert v.people == size
    finally:
        engine.dispose()


def test_a_failed_bulk_store_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    profile, ev, outcome = _outcome(300)
    engine = store.open_engine(f"sqlite:///{tmp_path / 'smvp.db'}")
    try:
        before = store.counts(engine)
        real = bulk.insert_people

        def half_then_fail(session, run_id, tenant_id, rows, batch=50_000, total=None):
            real(session, run_id, tenant_id, list(rows)[:100], batch)
            from sqlalchemy.exc import OperationalError

            raise OperationalError("INSERT INTO person_result", {}, Exception("disk full"))

        monkeypatch.setattr(bulk, "insert_people", half_then_fail)
        with pytest.raises(store.StoreProblem):
            store.save_run(engine, profile, ev.dataset, outcome)
        assert store.counts(engine) == before
    finally:
        engine.dispose()


def test_verify_of_a_bulk_run_names_a_tampered_person(tmp_path):
    from sqlalchemy import text

    profile, ev, outcome = _outcome(1200)
    engine = store.open_engine(f"sqlite:///{tmp_path / 'smvp.db'}")
    try:
        run_id = store.save_run(engine, profile, ev.dataset, outcome)
        with engine.begin() as conn:
            conn.execute(text("UPDATE person_result SET premium_cents = premium_cents + 1 "
                              "WHERE person_id = 'P0000700'"))
        v = verify_app.verify(engine, run_id, "en")
        assert not v.identical
        assert [(d["id"], d["field"]) for d in v.differences] == [("P0000700", "premium_cents")]
    finally:
        engine.dispose()


@pytest.mark.parametrize("data", SAMPLES, ids=[f"{p.parent.name}-{p.name}" for p in SAMPLES])
def test_a_stored_dataset_rebuilds_categorical_with_the_same_hash_and_results(data):
    """verify rebuilds the stored content with Categorical id columns (in C): the dataset hash and
    every person's stored values are the object-array rebuild's."""
    from smvp.app.verify import dataset_from_content
    from smvp.store.codec import dataset_document
    from smvp_engine.columns import Categorical
    from smvp_engine.dataset import dataset_from_columns, load_dataset
    from smvp_engine.pipeline import evaluate
    from smvp_engine.profile import load_profile

    profile = load_profile(ROOT / "chambers" / f"{data.parent.name}.yaml")
    ds = load_dataset(data)
    content = json.loads(json.dumps(dataset_document(ds)))
    fast = dataset_from_content(content, "stored")
    plain = dataset_from_columns(content["tables"], path="stored")
    assert fast.sha256 == plain.sha256 == ds.sha256
    assert isinstance(fast.table("behaviours")["person_id"], Categorical)
    year = int(data.name)
    assert bulk.person_rows(evaluate(profile, fast, year=year)) == \
        bulk.person_rows(evaluate(profile, plain, year=year))


def test_categorical_rebuild_keeps_the_messages_of_bad_cells():
    """Blank required ids and ids with spaces at the ends go the usual way: same errors."""
    from smvp.store.codec import dataset_document
    from smvp_engine.dataset import dataset_from_columns, load_dataset
    from smvp_engine.errors import DatasetErrors

    data = SAMPLES[0]
    tables = json.loads(json.dumps(dataset_document(load_dataset(data))))["tables"]
    tables["staff"]["person_id"][0] = ""
    tables["behaviours"]["factor"][1] = " x "
    messages = []
    for categorical in (False, True):
        with pytest.raises(DatasetErrors) as exc:
            dataset_from_columns(tables, path="t", categorical=categorical)
        messages.append([str(e) for e in exc.value.errors])
    assert messages[0] == messages[1]


#: (what is changed, the stored person, the SQL that changes it (or a component added to its
#: components), the field verify names)
TAMPERINGS = [
    ("money, first row", "P0000001", "UPDATE person_result SET premium_cents = premium_cents + 1 "
     "WHERE person_id = :p", "premium_cents"),
    ("points, middle row", "P0000600", "UPDATE person_result SET total_cp = total_cp - 1 "
     "WHERE person_id = :p", "total_cp"),
    ("a value made blank, middle row", "P0000601", "UPDATE person_result SET results_cp = NULL "
     "WHERE person_id = :p", "results_cp"),
    ("text, last row", "P0001200", "UPDATE person_result SET role_label = role_label || 'x' "
     "WHERE person_id = :p", "role_label"),
    ("decimal text, last row", "P0001200", "UPDATE person_result SET payout_percent = '0.01' "
     "WHERE person_id = :p", "payout_percent"),
    ("components, first row", "P0000001", {"x": 1}, "components"),
    ("a missing row (the last)", "P0001200", "DELETE FROM person_result WHERE person_id = :p", None),
    ("an extra row", "EXTRA", None, None),
]


def test_verify_catches_each_tampered_stored_person(db_url):
    """A changed money, points, text, decimal text or components value in the first, a middle or
    the last stored row, a row missing and a row too many: the fast comparison of the whole
    run (bulk.same_as_stored) says the people differ, and verify names the person and field.
    Each change is undone before the next; the untouched run compares equal (the fast path is
    taken, not only the field-by-field one)."""
    from sqlalchemy import insert, select, text
    from sqlmodel import Session

    from smvp.store.tables import PersonResult

    profile, ev, outcome = _outcome(1200)
    engine = store.open_engine(db_url)
    table = PersonResult.__table__
    try:
        run_id = store.save_run(engine, profile, ev.dataset, outcome)

        def fast() -> bool:
            with Session(engine) as session:
                return bulk.same_as_stored(session, run_id, bulk.person_parts(ev))

        assert fast()
        for what, pid, sql, field in TAMPERINGS:
            with engine.begin() as conn:
                if pid == "EXTRA":
                    row = dict(conn.execute(select(table).where(table.c.person_id == "P0000002")).mappings().one())
                    row.pop("id")
                    conn.execute(insert(table).values(**{**row, "person_id": "EXTRA"}))
                else:
                    saved = dict(conn.execute(select(table).where(table.c.person_id == pid)).mappings().one())
                    if isinstance(sql, dict):  # JSON on PostgreSQL, text on SQLite: the driver's
                        conn.execute(table.update().where(table.c.person_id == pid)
                                     .values(components={**saved["components"], **sql}))
                    else:
                        conn.execute(text(sql), {"p": pid})
            assert not fast(), what
            v = verify_app.verify(engine, run_id, "en")
            assert not v.identical, what
            assert [(d["where"], d["id"], d["field"]) for d in v.differences] == [("person", pid, field)], what
            with engine.begin() as conn:  # undone: the same row back, with its id (its place)
                conn.execute(table.delete().where(table.c.person_id == pid))
                if pid != "EXTRA":
                    conn.execute(insert(table).values(**saved))
            assert fast(), what
        assert verify_app.verify(engine, run_id, "en").identical
    finally:
        engine.dispose()


def test_people_turned_into_values_a_slice_at_a_time_are_the_same():
    """Rows made a chunk at a time (any chunk size) are the whole columns' rows; a text made once
    per distinct value (most rows share one) is the text made for each row."""
    import numpy as np

    _profile, ev, _outcome_ = _outcome(1500)
    whole = bulk.person_columns(ev)
    rows = list(zip(*(whole[c] for c in bulk.COMPARED)))
    assert list(bulk.iter_person_rows(ev, chunk=7)) == rows == bulk.person_rows(ev)
    units = np.array([5, -5, 123456, 0, 5, 7, -120], dtype=np.int64)
    keep = np.array([True, True, True, True, True, False, True])
    want = ["0.05", "-0.05", "1234.56", "0.00", "0.05", None, "-1.20"]
    per_row = bulk._decimal_texts(units[[0, 1, 2, 3, 6]], 2, keep[[0, 1, 2, 3, 6]])
    shared = bulk._decimal_texts(np.tile(units, 10), 2, np.tile(keep, 10))
    assert type(per_row).__name__ == "_Listed" and type(shared).__name__ == "_Coded"
    assert per_row.part(0, 5) == [want[i] for i in (0, 1, 2, 3, 6)]
    assert shared.part(0, 70) == want * 10 and shared.part(68, 70) == want[5:]
