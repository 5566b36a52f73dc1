"""Start-up stays lazy: a command imports what it needs when it needs it (issue 13).

Not a timing test (times are measured in benchmarks/bench_startup.py): these check
*which* heavy packages a command loads, which does not depend on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = r"""
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from smvp import cli
sys.argv = ["smvp", *json.loads(sys.argv[1])]
try:
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        cli.main()
except SystemExit as e:
    code = e.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules}),
                  "full": sorted(sys.modules)}))
"""


def loaded(tmp_path, *args: str, full: bool = False) -> set[str]:
    """The top-level packages (or, with ``full``, every module) a command loads."""
    env = {"SMVP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args))], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=True)
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    assert doc["code"] in (0, None), done.stderr
    return set(doc["full" if full else "modules"])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["chambers"]])
def test_light_commands_load_no_engine_no_store(tmp_path, args):
    modules = loaded(tmp_path, *args)
    assert not modules & {"numpy", "sqlalchemy", "sqlmodel", "holidays", "openpyxl", "jsonschema"}


def test_evaluate_without_store_loads_no_database_or_workbook_code(tmp_path):
    modules = loaded(tmp_path, "evaluate", "--chamber", "cuneo", "--no-store")
    assert "numpy" in modules  # it did evaluate
    assert not modules & {"sqlalchemy", "sqlmodel", "openpyxl"}


def test_evaluate_with_store_loads_the_store_only_to_create_the_database(tmp_path):
    """The first stored run creates the database (SQLAlchemy, Alembic); the next ones write an
    SQLite database at the newest schema with sqlite3 (smvp.store.direct): no SQLAlchemy,
    SQLModel, Alembic, PostgreSQL driver or workbook code."""
    first = loaded(tmp_path, "evaluate", "--chamber", "cuneo")
    assert {"sqlalchemy", "sqlmodel", "alembic"} <= first
    assert "openpyxl" not in first
    full = loaded(tmp_path, "evaluate", "--chamber", "cuneo", full=True)
    assert "smvp.store.direct" in full and "sqlite3" in full
    assert not {m.split(".")[0] for m in full} & {"sqlalchemy", "sqlmodel", "alembic", "psycopg",
                                                  "openpyxl", "pydantic_settings"}


def test_a_store_to_upgrade_or_elsewhere_goes_through_sqlalchemy(tmp_path):
    """A database given by URL that is not a plain SQLite file (here a query option) is
    opened with SQLAlchemy, and a SQLite one never loads the PostgreSQL dialect; a database
    at the newest schema never loads Alembic."""
    url = f"sqlite:///{tmp_path / 'x.db'}?timeout=5"
    loaded(tmp_path, "evaluate", "--chamber", "cuneo", "--db", url)  # creates the database
    full = loaded(tmp_path, "evaluate", "--chamber", "cuneo", "--db", url, full=True)
    assert "sqlalchemy.dialects.sqlite" in full
    assert "sqlalchemy.dialects.postgresql" not in full
    assert not {m for m in full if m.split(".")[0] in ("alembic", "psycopg")}


def test_a_second_evaluation_reads_schema_passes_and_holidays_from_the_cache(tmp_path):
    """The profile's schema pass and the year's holidays.Italy tables are kept in the cache
    folder (smvp/cache.py): the first run imports jsonschema and holidays, the next none."""
    first = loaded(tmp_path, "evaluate", "--chamber", "cuneo", "--no-store")
    assert {"jsonschema", "holidays"} <= first
    assert (tmp_path / "home" / "cache" / "engine.json").is_file()
    second = loaded(tmp_path, "evaluate", "--chamber", "cuneo", "--no-store")
    assert "numpy" in second
    assert not second & {"jsonschema", "holidays", "sqlalchemy", "sqlmodel", "openpyxl"}


def test_the_cache_never_spares_a_profile_with_errors(tmp_path):
    """Only passes are kept: a profile edited into an error is checked and reported again."""
    import shutil

    from smvp_engine.resources import bundled_chambers

    chambers = tmp_path / "chambers"
    chambers.mkdir()
    src = bundled_chambers()
    shutil.copy(src / "cuneo.yaml", chambers / "cuneo.yaml")
    shutil.copytree(src / "data" / "cuneo", chambers / "data" / "cuneo")
    loaded(tmp_path, "validate", "cuneo")  # passes, cached
    text = (chambers / "cuneo.yaml").read_text(encoding="utf-8")
    (chambers / "cuneo.yaml").write_text(text.replace("\nchamber:", "\nchamberz:", 1), encoding="utf-8")
    env = {"SMVP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-m", "smvp", "validate", "cuneo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "chamberz" in done.stdout + done.stderr


def test_no_cache_when_turned_off(tmp_path, monkeypatch):
    from smvp import cache

    monkeypatch.setenv("SMVP_NO_CACHE", "1")
    assert cache.cache_path() is None
    monkeypatch.delenv("SMVP_NO_CACHE")
    monkeypatch.setenv("SMVP_HOME", str(tmp_path))
    assert cache.cache_path() == tmp_path / "cache" / "engine.json"
