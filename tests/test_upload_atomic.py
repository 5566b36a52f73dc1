"""A tenant's first evaluation stores its chamber's bundled profile as version 1, the dataset
and the run all or nothing (``smvp.app.runs.evaluate_new_upload``): a dataset with errors, an
evaluation that fails or a database that fails while storing leave the tenant as it was."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from smvp import store
from smvp.app import runs
from smvp.errors import StoreProblem
from smvp.service.app import _zip_folder
from smvp.store.tables import AuditEntry, DatasetUpload, ProfileVersion, Run
from smvp_engine.errors import SmvpErrors

ROOT = Path(__file__).resolve().parents[1]
CUNEO = ROOT / "chambers" / "cuneo.yaml"
SAMPLE = ROOT / "chambers" / "data" / "cuneo" / "2024"


@pytest.fixture
def tenant(tmp_path):
    engine = store.open_engine(f"sqlite:///{tmp_path / 'a.db'}")
    t = store.tenants.create_tenant(engine, "cuneo")
    yield store.scoped(engine, int(t.id or 0))
    engine.dispose()


def _bundled() -> tuple[str, str]:
    return CUNEO.read_text("utf-8"), CUNEO.name


def _stored(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {name: len(s.exec(select(table)).all())
                for name, table in (("profiles", ProfileVersion), ("datasets", DatasetUpload),
                                    ("runs", Run), ("audit", AuditEntry))}


def _broken_zip() -> bytes:
    """The sample with staff.csv missing its last column's values on one row."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(SAMPLE.iterdir()):
            text = f.read_text("utf-8")
            if f.name == "staff.csv":
                lines = text.splitlines()
                lines[3] = lines[3].split(",")[0] + ",,,"
                text = "\n".join(lines) + "\n"
            z.writestr(f"2024/{f.name}", text)
    return buf.getvalue()


def test_the_first_evaluation_stores_the_bundled_profile_as_version_1_with_it(tenant):
    run_id, dataset_id = runs.evaluate_new_upload(tenant, data=_zip_folder(SAMPLE),
                                                  filename="cuneo.zip", bundled=_bundled())
    assert _stored(tenant) == {"profiles": 1, "datasets": 1, "runs": 1, "audit": 3}
    with Session(tenant) as s:
        pv = s.exec(select(ProfileVersion)).one()
        assert pv.text == CUNEO.read_text("utf-8")
        assert s.get(DatasetUpload, dataset_id).profile_version_id == pv.id
    # the second evaluation uses that version: no new one
    runs.evaluate_new_upload(tenant, data=_zip_folder(SAMPLE), filename="cuneo.zip",
                             bundled=_bundled())
    assert _stored(tenant)["profiles"] == 1 and _stored(tenant)["runs"] == 2


def test_a_dataset_with_errors_stores_nothing_not_even_the_profile(tenant):
    with pytest.raises(SmvpErrors):
        runs.evaluate_new_upload(tenant, data=_broken_zip(), filename="cuneo.zip",
                                 bundled=_bundled())
    assert _stored(tenant) == {"profiles": 0, "datasets": 0, "runs": 0, "audit": 0}


def test_an_evaluation_that_fails_stores_nothing(tenant, monkeypatch):
    def fails(*_a, **_k):
        raise SmvpErrors([])

    monkeypatch.setattr(runs.engine_api, "evaluate", fails)
    with pytest.raises(SmvpErrors):
        runs.evaluate_new_upload(tenant, data=_zip_folder(SAMPLE), filename="cuneo.zip",
                                 bundled=_bundled())
    assert _stored(tenant) == {"profiles": 0, "datasets": 0, "runs": 0, "audit": 0}


def test_a_database_failure_while_storing_the_run_rolls_back_the_profile_and_dataset(tenant, monkeypatch):
    real = store.runs.write_run

    def then_fails(session, *a, **k):
        real(session, *a, **k)  # the profile version and the dataset are written before
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(store.runs, "write_run", then_fails)
    with pytest.raises(StoreProblem, match="nothing was stored"):
        runs.evaluate_new_upload(tenant, data=_zip_folder(SAMPLE), filename="cuneo.zip",
                                 bundled=_bundled())
    assert _stored(tenant) == {"profiles": 0, "datasets": 0, "runs": 0, "audit": 0}
