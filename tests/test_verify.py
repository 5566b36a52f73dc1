"""smvp verify: a stored run re-evaluated to the cent; tampered inputs and results are reported."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli, store
from smvp.commands import verify as verify_mod

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "tests" / "golden" / "cuneo" / "main_2024"
PROFILE = REPO / "tests" / "golden" / "diff" / "base.yaml"
runner = CliRunner()


@pytest.fixture
def stored(tmp_path, monkeypatch):
    monkeypatch.setenv("SMVP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SMVP_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMVP_LANG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    path = tmp_path / "runs.db"
    db = f"sqlite:///{path}"
    r = runner.invoke(cli.app, ["evaluate", "--profile", str(PROFILE), "--data", str(CASE), "--db", db])
    assert r.exit_code == 0, r.output
    return db, path


def _sql(path: Path, statement: str, *args) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute(statement, args)
        con.commit()
    finally:
        con.close()


def _blob(path: Path) -> tuple[str, str | None, bytes | None]:
    con = sqlite3.connect(path)
    try:
        return con.execute("select sha256, content, data from dataset_blob").fetchone()
    finally:
        con.close()


def _as_json_run(path: Path) -> None:
    """The stored content written back as the canonical JSON, as smvp stored it before schema
    0008 (``data`` NULL): the old read path."""
    from smvp.store.codec import dataset_from_columns_blob

    sha, _, data = _blob(path)
    ds, _ = dataset_from_columns_blob(data, "stored")
    content = store.dataset_canonical_json(ds)
    _sql(path, "update dataset_blob set content = ?, data = NULL, content_sha256 = ? where sha256 = ?",
         content, hashlib.sha256(content.encode("utf-8")).hexdigest(), sha)


@pytest.fixture(params=["columns", "json"])
def stored_as(request, stored):
    """The stored run with its dataset content as smvp stores it now (typed columns) and as
    it stored it before schema 0008 (canonical JSON)."""
    if request.param == "json":
        _as_json_run(stored[1])
    return (*stored, request.param)


def test_a_run_stores_its_dataset_as_typed_columns(stored):
    """The content is the columnar bytes (no JSON), named by the dataset's hash, with the
    sha256 of those bytes; they read back to the dataset the run recorded."""
    from smvp.store.codec import COLUMNS_MAGIC, columns_tables

    _, path = stored
    sha, content, data = _blob(path)
    assert content is None and data.startswith(COLUMNS_MAGIC)
    con = sqlite3.connect(path)
    try:
        recorded, = con.execute("select content_sha256 from dataset_blob").fetchone()
        run_sha, = con.execute("select dataset_sha256 from run").fetchone()
    finally:
        con.close()
    assert recorded == hashlib.sha256(data).hexdigest() and sha == run_sha
    tables = columns_tables(data)
    beh = tables["behaviours"].schema
    assert beh.field("person_id").metadata[b"smvp"] == b"shares"  # codes into staff's person ids
    assert beh.field("score").metadata[b"smvp"] == b"int" and tables["behaviours"]["score"].type == "int64"


def _tamper_score(path: Path, fmt: str) -> None:
    """D01's esecuzione_compiti raised from 5.00 to 6.00 in the stored content, its own hash
    left as it was."""
    sha, content, data = _blob(path)
    if fmt == "json":
        doc = json.loads(content)
        beh = doc["tables"]["behaviours"]
        k = next(i for i, (p, f) in enumerate(zip(beh["person_id"], beh["factor"]))
                 if p == "D01" and f == "esecuzione_compiti")
        assert beh["score"][k] == 500  # centipoints
        beh["score"][k] = 600
        _sql(path, "update dataset_blob set content = ? where sha256 = ?", store.canonical_json(doc), sha)
        return
    import numpy as np
    import pyarrow as pa

    from smvp.store.codec import columns_tables, dataset_from_columns_blob, pack_columns

    ds, _ = dataset_from_columns_blob(data, "stored")
    beh = ds.table("behaviours")
    k = next(i for i, (p, f) in enumerate(zip(beh["person_id"].tolist(), beh["factor"].tolist()))
             if p == "D01" and f == "esecuzione_compiti")
    tables = columns_tables(data)
    t = tables["behaviours"]
    scores = np.array(t["score"].to_numpy())
    assert scores[k] == 500
    scores[k] = 600
    i = t.schema.get_field_index("score")
    tables["behaviours"] = t.set_column(i, t.schema.field(i), pa.array(scores))
    _sql(path, "update dataset_blob set data = ? where sha256 = ?", pack_columns(tables, ds.year), sha)


def test_tampered_dataset_content_is_reported(stored_as):
    """A behaviour score raised in the stored content: its hash no longer matches, and D01 is no longer 60.00."""
    db, path, fmt = stored_as
    _tamper_score(path, fmt)
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db])
    assert r.exit_code == 1, r.output
    out = r.stdout
    assert "✗ dati: il contenuto salvato è stato MODIFICATO" in out
    assert "NON integri" in out
    assert "persona D01" in out and "total_cp" in out and "60,00" in out and "61,00" in out
    j = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert [c["check"] for c in j["integrity"] if not c["ok"]] == ["dataset_content", "dataset_hash"]
    assert {"where": "person", "id": "D01", "field": "total_cp", "stored": 6000, "now": 6100} in j["differences"]
    _readers_refuse(db, path, "does not match its hash")  # the readers of a stored dataset refuse it too


def _readers_refuse(db: str, path: Path, by_run: str) -> None:
    """The run's dataset read for the run refused with ``by_run``, read by its hash refused as
    not matching its hash."""
    engine = store.open_engine(db)
    try:
        with pytest.raises(store.StoreProblem, match=by_run):
            verify_mod.stored_dataset(engine, verify_mod.get_run(engine, 1))
        with pytest.raises(store.StoreProblem, match="does not match its hash"):
            store.read_dataset(engine, _blob(path)[0])
    finally:
        engine.dispose()


def _rename(path: Path, fmt: str) -> None:
    """D01's name "Dipendente 01" rewritten "Dipendente 1", with the content's own hash."""
    sha, content, data = _blob(path)
    if fmt == "json":
        new = content.replace('"Dipendente 01"', '"Dipendente 1"')
        assert new != content
        _sql(path, "update dataset_blob set content = ?, content_sha256 = ? where sha256 = ?", new,
             hashlib.sha256(new.encode("utf-8")).hexdigest(), sha)
        return
    import pyarrow as pa

    from smvp.store.codec import columns_tables, pack_columns

    tables = columns_tables(data)
    t = tables["staff"]
    i = t.schema.get_field_index("name")
    names = t["name"].combine_chunks()
    words = names.dictionary.to_pylist()
    assert "Dipendente 01" in words
    renamed = pa.DictionaryArray.from_arrays(
        names.indices, pa.array(["Dipendente 1" if w == "Dipendente 01" else w for w in words]))
    tables["staff"] = t.set_column(i, t.schema.field(i), renamed)
    new = pack_columns(tables, 2024)
    _sql(path, "update dataset_blob set data = ?, content_sha256 = ? where sha256 = ?", new,
         hashlib.sha256(new).hexdigest(), sha)


def test_content_rewritten_with_its_own_hash_is_still_caught(stored_as):
    """Whoever also rewrites content_sha256 is caught by the dataset hash recorded with the run."""
    db, path, fmt = stored_as
    _rename(path, fmt)
    j = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert not j["identical"]
    assert [c["check"] for c in j["integrity"] if not c["ok"]] == ["dataset_hash"]
    assert {"where": "person", "id": "D01", "field": "name", "stored": "Dipendente 01", "now": "Dipendente 1"} \
        in j["differences"]
    _readers_refuse(db, path, "rebuilds to")


def test_both_kinds_of_content_read_back_the_same(stored):
    """A run stored as columns and the same run stored as JSON (before schema 0008) verify
    identical, and every reader of the content gets the same dataset and the same cells."""
    db, path = stored
    engine = store.open_engine(db)
    try:
        run = verify_mod.get_run(engine, 1)
        ds_cols = verify_mod.stored_dataset(engine, run)
        doc_cols = store.dataset_content(engine, run.dataset_sha256)
        assert store.read_dataset(engine, run.dataset_sha256).sha256 == run.dataset_sha256
    finally:
        engine.dispose()
    _as_json_run(path)
    engine = store.open_engine(db)
    try:
        ds_json = verify_mod.stored_dataset(engine, run)
        doc_json = store.dataset_content(engine, run.dataset_sha256)
        assert store.read_dataset(engine, run.dataset_sha256).sha256 == run.dataset_sha256
    finally:
        engine.dispose()
    assert ds_cols.sha256 == ds_json.sha256 == run.dataset_sha256
    assert doc_cols == doc_json
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["identical"], r.output


def test_a_columnar_content_that_does_not_read_is_said(stored):
    db, path = stored
    sha, _, data = _blob(path)
    cut = data[:len(data) // 2]
    _sql(path, "update dataset_blob set data = ?, content_sha256 = ? where sha256 = ?", cut,
         hashlib.sha256(cut).hexdigest(), sha)
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"])
    assert r.exit_code == 1, r.output
    j = json.loads(r.stdout)
    assert j["problems"] and "columnar content" in j["problems"][0]
    engine = store.open_engine(db)
    try:
        with pytest.raises(store.StoreProblem, match="does not read"):
            verify_mod.stored_dataset(engine, verify_mod.get_run(engine, 1))
    finally:
        engine.dispose()


def test_tampered_results_are_listed(stored):
    db, path = stored
    _sql(path, "update person_result set premium_cents = premium_cents + 1, paid_cents = paid_cents + 1 "
               "where person_id = 'D07'")
    _sql(path, "update fund_result set distributed_cents = 0 where fund = 'produttivita'")
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--lang", "en"])
    assert r.exit_code == 1, r.output
    assert "Re-evaluation DIFFERS: 3 differences." in r.stdout
    assert "987.62" in r.stdout and "987.61" in r.stdout
    j = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert j["intact"] and not j["identical"]
    assert {(d["where"], d["id"], d["field"]) for d in j["differences"]} == {
        ("person", "D07", "premium_cents"), ("person", "D07", "paid_cents"), ("fund", "produttivita", "distributed_cents")}


def test_tampered_profile_text_is_reported(stored):
    db, path = stored
    con = sqlite3.connect(path)
    text = con.execute("select profile_text from run where id = 1").fetchone()[0]
    con.close()
    _sql(path, "update run set profile_text = ? where id = 1", text.replace("behaviour_below: 15", "behaviour_below: 16"))
    j = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert [c["check"] for c in j["integrity"] if not c["ok"]] == ["profile_text"]
    assert any(d["id"] == "D13" and d["field"] == "negative" for d in j["differences"])  # 15.00 < 16


def test_unknown_run_or_database_exits_2(stored, tmp_path):
    db, _ = stored
    r = runner.invoke(cli.app, ["verify", "--run", "7", "--db", db])
    assert r.exit_code == 2 and "nessuna esecuzione 7" in r.output
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert runner.invoke(cli.app, ["verify", "--run", "1", "--db", empty]).exit_code == 2


# ---------------------------------------------------------------- the national layer is stored with the run

@pytest.fixture
def stored_on_layer(tmp_path, monkeypatch):
    """A run of Cuneo's profile on a copy of the national layer next to it (found first)."""
    monkeypatch.setenv("SMVP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SMVP_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMVP_LANG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    prof = tmp_path / "chambers"
    (prof / "national").mkdir(parents=True)
    (prof / "cuneo.yaml").write_text((REPO / "chambers" / "cuneo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    layer = prof / "national" / "italia.yaml"
    layer.write_text((REPO / "chambers" / "national" / "italia.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "runs.db"
    db = f"sqlite:///{path}"
    r = runner.invoke(cli.app, ["evaluate", "--profile", str(prof / "cuneo.yaml"), "--data", str(CASE), "--db", db])
    assert r.exit_code == 0, r.output
    return db, path, layer


def test_the_run_keeps_the_layer_it_was_evaluated_with(stored_on_layer):
    db, path, layer = stored_on_layer
    con = sqlite3.connect(path)
    try:
        name, text, sha = con.execute("select layer_name, layer_text, layer_sha256 from run").fetchone()
    finally:
        con.close()
    assert name == "national/italia" and text == layer.read_text(encoding="utf-8")
    assert sha == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # the layer file changes afterwards: maternity leave no longer counts as presence, which moves
    # D09's premium (100 days of maternita in the data) under today's layer ...
    before = layer.read_text(encoding="utf-8")
    edited = before.replace("""    label: Congedo di maternità (compresa l'interdizione anticipata dal lavoro)
    neutral: true""", """    label: Congedo di maternità (compresa l'interdizione anticipata dal lavoro)
    neutral: false""")
    assert edited != before
    layer.write_text(edited, encoding="utf-8")
    from smvp_engine.dataset import load_dataset
    from smvp_engine.pipeline import evaluate
    from smvp_engine.profile import load_profile

    def d09(profile):
        return next(x["premium"] for x in evaluate(profile, load_dataset(CASE), year=2024).rows() if x["person_id"] == "D09")

    now = load_profile(layer.parent.parent / "cuneo.yaml")
    assert d09(now) != d09(load_profile(layer.parent.parent / "cuneo.yaml", layer_text=before))
    # ... but verify re-evaluates with the layer stored with the run: identical to the cent
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db])
    assert r.exit_code == 0, r.output
    assert "livello nazionale national/italia: testo salvato con l'esecuzione, integro" in r.stdout
    layer.write_text("not: [a layer", encoding="utf-8")  # unreadable now: the stored text is used
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db])
    assert r.exit_code == 0, r.output


def test_a_tampered_layer_text_is_reported(stored_on_layer):
    db, path, _ = stored_on_layer
    _sql(path, "update run set layer_text = layer_text || ' '")
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db])
    assert r.exit_code == 1, r.output
    assert "livello nazionale national/italia: il testo salvato NON corrisponde al suo sha256" in r.stdout


def test_a_run_stored_before_the_layer_was_kept_says_so(stored_on_layer):
    db, path, _ = stored_on_layer
    _sql(path, "update run set layer_name = null, layer_text = null, layer_sha256 = null")
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db])
    assert r.exit_code == 0, r.output
    assert "livello nazionale: non salvato con questa esecuzione" in r.stdout


def test_a_run_that_cannot_be_re_evaluated_says_why_in_the_users_language(stored, monkeypatch):
    """A located error of the re-evaluation is said in the user's language (issue 15), with
    the same file, field and found value in both."""
    from smvp import engine_api
    from smvp.app import verify as verify_uc
    from smvp_engine.errors import DatasetError, Msg, SmvpErrors

    db, _ = stored

    def broken(*_a, **_k):
        raise SmvpErrors([DatasetError(Msg("not a number"), file="staff.csv", line=4,
                                       field="presence_days", found='"dieci"')])

    monkeypatch.setattr(engine_api, "evaluate", broken)
    engine = store.open_engine(db)
    try:
        it, en = verify_uc.verify(engine, 1, "it"), verify_uc.verify(engine, 1, "en")
    finally:
        engine.dispose()
    assert it.problems == ['staff.csv:4: presence_days: non è un numero (trovato "dieci")']
    assert en.problems == ['staff.csv:4: presence_days: not a number (found "dieci")']


def test_the_runs_time_is_in_italian_time_and_the_locales_format(stored):
    """The head says when the run was stored as people read it (Europe/Rome, dd/mm/yyyy hh:mm),
    not the database's UTC ISO text; the JSON keeps the machine's form."""
    db, path = stored
    _sql(path, "update run set created_at = '2025-03-30 01:30:00.000000'")  # UTC: 03:30 in Rome (summer time)
    it = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db])
    en = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--lang", "en"])
    assert it.exit_code == 0 and en.exit_code == 0, it.output + en.output
    assert "salvata il 30/03/2025 03:30 (motore" in it.stdout
    assert "stored 30/03/2025 03:30 (engine" in en.stdout
    assert "2025-03-30T" not in it.stdout + en.stdout
    doc = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert doc["created_at"].startswith("2025-03-30T01:30")


def test_a_columnar_content_stored_before_a_column_was_declared_verifies(stored):
    """A content without ``staff.tie_breaker`` (as one stored before the column was declared):
    the column reads blank, the dataset hashes over the stored columns as it did then, and
    the run verifies identical; a cell edited in it is still caught."""
    from smvp.store.codec import columns_tables, dataset_from_columns_blob, pack_columns
    from smvp_engine.dataset import content_sha256_as_stored

    db, path = stored
    sha, _, data = _blob(path)
    tables = columns_tables(data)
    tables["staff"] = tables["staff"].drop_columns(["tie_breaker"])
    older = pack_columns(tables, 2024)
    ds, columns = dataset_from_columns_blob(older, "stored")
    assert "tie_breaker" not in columns["staff"]
    assert not ds.tables["staff"]["tie_breaker"].any() and ds.tables["staff"].missing["tie_breaker"].all()
    then = content_sha256_as_stored(ds, {t: dict.fromkeys(c) for t, c in columns.items()})
    assert then != sha == ds.sha256  # hashed then without the column; now, blank, as the run's
    for statement, args in (
            ("update dataset_blob set sha256 = ?, data = ?, content_sha256 = ? where sha256 = ?",
             (then, older, hashlib.sha256(older).hexdigest(), sha)),
            ("update run set dataset_sha256 = ? where dataset_sha256 = ?", (then, sha))):
        _sql(path, statement, *args)
    j = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert j["intact"] and j["identical"], j["integrity"]
    _tamper_score(path, "columns")
    j = json.loads(runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"]).stdout)
    assert [c["check"] for c in j["integrity"] if not c["ok"]] == ["dataset_content", "dataset_hash"]
