"""A run stored by an older smvp still verifies (issue 13).

tests/fixtures/pre_tenant_smvp.db was written by smvp before the tenants (schema
0001), before the packaging move and before ``staff.tie_breaker`` was declared:
``smvp verify`` reads it directly (no other command upgrading it first) and finds
every input intact and the results identical to the cent; a cell edited together
with the content's own hash is still caught.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli

FIXTURE = Path(__file__).parent / "fixtures" / "pre_tenant_smvp.db"
runner = CliRunner()


@pytest.fixture
def old_db(tmp_path) -> Path:
    db = tmp_path / "old.db"
    shutil.copy(FIXTURE, db)
    return db


@pytest.mark.parametrize("run_id,people", [(1, 80), (2, 11)])
def test_an_older_run_verifies_identical(old_db, run_id, people):
    r = runner.invoke(cli.app, ["verify", "--run", str(run_id), "--db", f"sqlite:///{old_db}",
                                "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["intact"] and doc["identical"], doc
    assert all(c["ok"] for c in doc["integrity"]), doc["integrity"]
    assert {c["check"] for c in doc["integrity"]} >= {"profile_text", "dataset_content", "dataset_hash"}
    assert doc["people"] == people


def test_an_older_run_edited_with_its_content_hash_is_caught(old_db):
    con = sqlite3.connect(old_db)
    try:
        sha, content = con.execute(
            "SELECT b.sha256, b.content FROM run r JOIN dataset_blob b ON b.sha256 = r.dataset_sha256 "
            "WHERE r.id = 1").fetchone()
        doc = json.loads(content)
        scores = doc["tables"]["behaviours"]["score"]
        scores[0] = 500 if scores[0] != 500 else 400  # another score on the same scale
        edited = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        con.execute("UPDATE dataset_blob SET content = ?, content_sha256 = ? WHERE sha256 = ?",
                    (edited, hashlib.sha256(edited.encode()).hexdigest(), sha))
        con.commit()
    finally:
        con.close()
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", f"sqlite:///{old_db}", "--json"])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert not doc["problems"], doc["problems"]
    checks = {c["check"]: c["ok"] for c in doc["integrity"]}
    assert checks["dataset_content"] and not checks["dataset_hash"]
    assert not doc["intact"]
