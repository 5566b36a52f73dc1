"""A run's dataset stored as its typed columns (issue 9): read back value for value, on
SQLite and PostgreSQL, and written back as the canonical JSON by the down migration."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from smvp import store
from smvp.store.codec import dataset_columns, dataset_from_columns_blob
from smvp_engine.columns import Categorical, Decimals
from smvp_engine.dataset import SHARED_VOCABULARY, dataset_from_columns, load_dataset

REPO = Path(__file__).resolve().parents[1]
SAMPLES = [REPO / "chambers" / "data" / "cuneo" / "2024", REPO / "chambers" / "data" / "cuneo" / "2024.xlsx",
           REPO / "chambers" / "data" / "brescia" / "2021", REPO / "chambers" / "data" / "cremona" / "2021",
           REPO / "chambers" / "data" / "lucca" / "2011"]


def _same_columns(a, b) -> None:
    """``b`` holds what ``a`` holds, typed the same way: Categorical codes and categories
    (shared with the same column as in ``a``), Decimals with their numerators, int64
    units, blank masks."""
    assert a.sha256 == b.sha256 and a.year == b.year
    assert list(a.tables) == list(b.tables)
    for name, ta in a.tables.items():
        tb = b.tables[name]
        assert len(ta) == len(tb)
        assert set(ta.missing) == set(tb.missing), name
        for col, mask in ta.missing.items():
            assert np.array_equal(mask, tb.missing[col]), (name, col)
        for col, ca in ta.columns.items():
            cb = tb.columns[col]
            assert type(ca) is type(cb), (name, col, type(ca), type(cb))
            if isinstance(ca, Categorical):
                assert np.array_equal(ca.codes, cb.codes) and cb.codes.dtype == np.int64
                assert ca.categories.tolist() == cb.categories.tolist()
                ref = SHARED_VOCABULARY.get((name, col))
                if ref is not None:  # the categories *object* shared as the loader shares it
                    owner_a = a.tables[ref[0]].columns[ref[1]]
                    owner_b = b.tables[ref[0]].columns[ref[1]]
                    assert (ca.categories is getattr(owner_a, "categories", None)) == \
                        (cb.categories is getattr(owner_b, "categories", None)), (name, col)
            elif isinstance(ca, Decimals):
                assert ca.tolist() == cb.tolist() and ca.digits == cb.digits
                assert np.array_equal(ca.numerators, cb.numerators)
                assert (ca.blank is None) == (cb.blank is None)
            else:
                assert ca.dtype == cb.dtype, (name, col)
                assert [str(v) for v in ca.tolist()] == [str(v) for v in cb.tolist()], (name, col)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_a_loaded_dataset_reads_back_value_for_value(sample):
    ds = load_dataset(sample)
    back, columns = dataset_from_columns_blob(dataset_columns(ds), "stored")
    _same_columns(ds, back)
    assert columns["staff"] == list(ds.tables["staff"].columns)
    assert back.tables["staff"].file == "stored[staff]"


def test_blank_cells_and_a_hand_built_dataset_read_back():
    """Blank optional cells (a mask, the fill under it) and text held as plain object
    arrays (``dataset_from_columns`` without categorical) come back as they were."""
    doc = json.loads(store.dataset_canonical_json(load_dataset(SAMPLES[0])))
    staff = doc["tables"]["staff"]
    staff["presence_days"][1] = None
    staff["name"][2] = None
    staff["category"] = [None] * len(staff["person_id"])
    staff["pool_share"][0] = None
    staff["tie_breaker"][3] = None
    for categorical in (False, True):
        ds = dataset_from_columns(doc["tables"], categorical=categorical)
        assert {"presence_days", "name", "category", "tie_breaker"} <= set(ds.tables["staff"].missing)
        back, _ = dataset_from_columns_blob(dataset_columns(ds), "stored")
        _same_columns(ds, back)


def test_a_content_is_named_by_the_dataset_and_checked_by_its_bytes():
    """The same data read from CSV and from the workbook: one dataset hash (the blob's name,
    what runs and diffs compare) whatever bytes hold it; the content hash is the bytes'."""
    csv, xlsx = load_dataset(SAMPLES[0]), load_dataset(SAMPLES[1])
    assert csv.sha256 == xlsx.sha256
    for ds in (csv, xlsx):
        values = store.content.blob_values(ds)
        assert values["content"] is None
        assert values["content_sha256"] == hashlib.sha256(values["data"]).hexdigest()
        assert dataset_from_columns_blob(values["data"], "stored")[0].sha256 == csv.sha256


def _store_sample(db_url: str) -> tuple[int, str]:
    from smvp.app import runs as run_uc
    from smvp_engine.profile import load_profile

    profile = load_profile(REPO / "chambers" / "cuneo.yaml")
    ds = load_dataset(SAMPLES[0])
    eng = store.open_engine(db_url)
    try:
        out = run_uc.evaluate(profile, ds)
        return run_uc.store_run(eng, profile, ds, out), ds.sha256
    finally:
        eng.dispose()


def test_columns_are_stored_and_read_on_both_databases_and_go_down_as_json(db_url):
    """SQLite and PostgreSQL (bytea) hold the columnar content; ``smvp verify`` and every
    reader read it; the migration down to 0007 writes it back as the canonical JSON (with
    its sha256), which reads as a run stored before, and up again keeps it so."""
    from smvp.app.verify import verify

    run_id, sha = _store_sample(db_url)
    eng = store.open_engine(db_url)
    try:
        blob = store.get_blob(eng, sha)
        assert blob.content is None and bytes(blob.data).startswith(store.codec.COLUMNS_MAGIC)
        doc = store.dataset_content(eng, sha)
        assert store.read_dataset(eng, sha).sha256 == sha
        v = verify(eng, run_id)
        assert v.identical and v.people == 80, (v.integrity, v.problems, v.differences[:3])
        store.db.migrate(eng, "0007")
        with eng.connect() as conn:
            assert "data" not in {c["name"] for c in inspect(conn).get_columns("dataset_blob")}
            content, content_sha = conn.execute(text(
                "SELECT content, content_sha256 FROM dataset_blob")).one()
        assert content_sha == hashlib.sha256(content.encode("utf-8")).hexdigest()
        assert json.loads(content) == doc
        store.db.migrate(eng, "head")
        blob = store.get_blob(eng, sha)
        assert blob.data is None and blob.content == content
        assert store.read_dataset(eng, sha).sha256 == sha
        assert verify(eng, run_id).identical
    finally:
        eng.dispose()


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(data=st.data(), categorical=st.booleans())
@settings(max_examples=40, deadline=None)
def test_any_valid_staff_reads_back_value_for_value(data, categorical):
    """Staff cells drawn at random (blank or not: names of any characters, days, exact shares
    with up to 6 decimals, tie breakers, categories): the columns read back are the dataset's,
    with the same hash."""
    doc = _sample_document()
    staff = {k: list(v) for k, v in doc["tables"]["staff"].items()}
    n = len(staff["person_id"])
    blank_or = lambda s: st.one_of(st.none(), s)  # noqa: E731
    staff["name"] = data.draw(st.lists(blank_or(_TEXT), min_size=n, max_size=n))
    absent: dict[str, int] = {}  # hundredths of a day: presence + absences stay within the year
    for pid, days in zip(doc["tables"]["absences"]["person_id"], doc["tables"]["absences"]["days"]):
        absent[pid] = absent.get(pid, 0) + int(days)
    staff["presence_days"] = [data.draw(blank_or(st.integers(0, min(15_000, 36_500 - absent.get(pid, 0)))))
                              for pid in staff["person_id"]]
    staff["tie_breaker"] = data.draw(st.lists(blank_or(st.integers(0, 10_000)), min_size=n, max_size=n))
    staff["category"] = data.draw(st.lists(blank_or(st.sampled_from(["A", "B", "Cà"])), min_size=n, max_size=n))
    shares = st.decimals(min_value=0, max_value=5, places=data.draw(st.integers(0, 6)),
                         allow_nan=False, allow_infinity=False)
    staff["pool_share"] = [None if v is None else str(v) for v in
                           data.draw(st.lists(blank_or(shares), min_size=n, max_size=n))]
    ds = dataset_from_columns({**doc["tables"], "staff": staff}, categorical=categorical)
    back, _ = dataset_from_columns_blob(dataset_columns(ds), "stored")
    _same_columns(ds, back)


_DOC: dict = {}


def _sample_document() -> dict:
    if not _DOC:
        _DOC.update(json.loads(store.dataset_canonical_json(load_dataset(SAMPLES[0]))))
    return _DOC
