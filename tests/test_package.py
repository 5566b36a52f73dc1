"""smvp as a package: package data, the profile lookup rule, version, ``smvp chambers``/``validate``.

The whole install (sdist → wheel → fresh venv → README commands from an empty
directory) is checked by ``.ci/check-install``; these tests keep its parts honest
in the source tree.
"""

from __future__ import annotations

import json
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli, engine_api
from smvp_engine.resources import bundled_chambers, schema_path

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("package, folder", [("smvp_engine.chambers", "chambers"),
                                             ("smvp_engine.schema", "schema")])
def test_every_data_file_is_package_data(package, folder):
    """A file added under chambers/ or schema/ that the wheel would not ship fails here."""
    patterns = _pyproject()["tool"]["setuptools"]["package-data"][package]
    base = ROOT / folder
    shipped = {p for pattern in patterns for p in base.glob(pattern)}
    files = {p for p in base.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
             and "__pycache__" not in p.parts}
    assert files - shipped == set(), "add a package-data pattern in pyproject.toml"


def test_nothing_generic_at_the_top_level():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert {p.split(".")[0] for p in setuptools["packages"]} == {"smvp", "smvp_engine"}
    assert setuptools["package-dir"]["smvp_engine"] == "engine"


def test_package_data_is_read_through_importlib_resources():
    assert schema_path("profile.schema.json").is_file()
    assert schema_path("results.schema.json").is_file()
    chambers = bundled_chambers()
    assert {p.stem for p in chambers.glob("*.yaml")} >= {"cuneo", "cremona", "brescia", "lucca"}
    assert (chambers / "data" / "cuneo" / "2024" / "staff.csv").is_file()


def test_version_is_defined_once():
    import smvp_engine

    assert smvp_engine.__version__ == version("smvp")
    assert version("smvp") == _pyproject()["project"]["version"], \
        "the installed metadata is older than pyproject.toml: pip install -e '.[test]' again"
    text = (ROOT / "engine" / "__init__.py").read_text(encoding="utf-8")
    assert not re.search(r"__version__\s*=\s*[\"']\d+\.\d+", text), "the version is written only in pyproject.toml"
    r = runner.invoke(cli.app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"smvp {version('smvp')}"


def test_lookup_rule_order(tmp_path, monkeypatch):
    """SMVP_CHAMBERS_DIR, then ./chambers, then bundled; the first holding the id wins."""
    env, local = tmp_path / "env", tmp_path / "work" / "chambers"
    env.mkdir()
    local.mkdir(parents=True)
    (local / "cuneo.yaml").write_text("x: 1\n")
    (local / "mine.yaml").write_text("x: 1\n")
    (env / "mine.yaml").write_text("x: 1\n")
    monkeypatch.chdir(tmp_path / "work")
    assert engine_api.find_chamber("cuneo") == ("./chambers", local / "cuneo.yaml")
    assert engine_api.find_chamber("lucca")[0] == "bundled"
    monkeypatch.setenv("SMVP_CHAMBERS_DIR", str(env))
    assert engine_api.find_chamber("mine") == ("SMVP_CHAMBERS_DIR", env / "mine.yaml")
    assert engine_api.find_chamber("nowhere") is None
    known = engine_api.known_chambers()
    assert known["mine"][0] == "SMVP_CHAMBERS_DIR" and known["cuneo"][0] == "./chambers"
    assert known["brescia"][0] == "bundled"


def test_chambers_command_lists_origin_and_years(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli.app, ["chambers", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    rows = {c["chamber"]: c for c in doc["chambers"]}
    assert rows["cuneo"]["origin"] == "bundled" and "2024" in [str(y) for y in rows["cuneo"]["sample_years"]]
    assert "SMVP_CHAMBERS_DIR" in doc["rule"]


def test_evaluate_help_states_the_rule():
    r = runner.invoke(cli.app, ["evaluate", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "SMVP_CHAMBERS_DIR" in r.stdout and "./chambers" in r.stdout


def test_unknown_chamber_lists_the_known_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "cunoe", "--no-store"])
    assert r.exit_code == 2
    assert "forse 'cuneo'" in r.stderr and "camere note: brescia, cremona, cuneo, lucca" in r.stderr
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "cunoe", "--no-store", "--lang", "en"])
    assert r.exit_code == 2
    assert "did you mean 'cuneo'" in r.stderr and "brescia, cremona, cuneo, lucca" in r.stderr


def test_validate_without_arguments_validates_every_chamber(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli.app, ["validate"])
    assert r.exit_code == 0, r.output
    assert sum(line.startswith("VALIDO ") for line in r.stdout.splitlines()) == len(engine_api.known_chambers())


def test_validate_takes_chamber_ids_and_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli.app, ["validate", "cuneo", str(ROOT / "chambers" / "lucca.yaml")])
    assert r.exit_code == 0, r.output
    assert "cuneo.yaml (cuneo" in r.stdout and "lucca.yaml (lucca" in r.stdout
    r = runner.invoke(cli.app, ["validate", "cunoe", "--lang", "en"])
    assert r.exit_code == 2 and "did you mean 'cuneo'" in r.stderr
    r = runner.invoke(cli.app, ["validate", "missing.yaml", "--lang", "en"])
    assert r.exit_code == 2 and "missing.yaml: no such file" in r.stderr
    r = runner.invoke(cli.app, ["validate", "missing.yaml"])
    assert r.exit_code == 2 and "errore d'uso: missing.yaml: file inesistente" in r.stderr


def test_every_python_package_is_listed():
    """A new sub-package (smvp/<x>/__init__.py) missing from [tool.setuptools] packages works
    in the editable install and is absent from the wheel: caught here."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "smvp").rglob("__init__.py")}
    found |= {"smvp_engine" + "".join("." + x for x in p.parent.relative_to(ROOT / "engine").parts)
              for p in (ROOT / "engine").rglob("__init__.py")}
    found = {f for f in found if "__pycache__" not in f}
    assert found - listed == set(), "add them to [tool.setuptools] packages in pyproject.toml"


def test_shell_completion_is_available():
    """The bash completion script, asked for as the installed script asks (Click's protocol:
    ``_SMVP_COMPLETE=source_bash``), so the answer does not depend on the shell pytest runs
    under: ``--show-completion`` without a value detects the parent shell (shellingham) and
    answers "Shell sh not supported" under dash, as it did once in CI."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("_SMVP_COMPLETE", "_TYPER_COMPLETE"))}
    done = subprocess.run([sys.executable, "-m", "smvp"], capture_output=True, text=True,
                          check=False, env={**env, "_SMVP_COMPLETE": "source_bash"})
    assert done.returncode == 0, done.stderr
    assert "_smvp_completion()" in done.stdout
    assert "complete -o default -F _smvp_completion smvp" in done.stdout
    help_text = runner.invoke(cli.app, ["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_default_database_follows_the_platform(monkeypatch, tmp_path):
    from platformdirs import user_data_path

    from smvp import store

    monkeypatch.delenv("SMVP_HOME")
    assert store.default_database_path() == user_data_path("smvp", appauthor=False) / "smvp.db"
    monkeypatch.setenv("SMVP_HOME", str(tmp_path))
    assert store.default_database_path() == tmp_path / "smvp.db"


def test_directly_imported_packages_are_declared():
    """Every third-party package the code imports is a declared dependency (not a transitive one)."""
    import ast
    import sys

    declared = {d.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower().replace("-", "_")
                for d in _pyproject()["project"]["dependencies"]}
    import_names = {"pyyaml": "yaml", "babel": "babel", "jinja2": "jinja2", "argon2_cffi": "argon2"}
    provided = {import_names.get(d, d) for d in declared}
    stdlib = set(sys.stdlib_module_names)
    own = {"smvp", "smvp_engine", "engine", "tests", "benchmarks", "chambers", "schema"}
    imported: dict[str, str] = {}
    for folder in ("smvp", "engine"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top not in stdlib and top not in own:
                        imported.setdefault(top.lower(), str(path.relative_to(ROOT)))
    missing = {k: v for k, v in imported.items() if k not in provided}
    assert not missing, f"declare in pyproject.toml [project] dependencies: {missing}"


@pytest.mark.parametrize("content, fragment", [
    (None, "is missing from the installation"),
    (b"{broken", "is damaged (not JSON"),
    (b"\xff\xfe{}", "is damaged (not UTF-8 text"),
    ("folder", "is missing from the installation"),
])
def test_broken_installed_schema_is_an_environment_error(content, fragment, tmp_path, monkeypatch):
    """A missing, unreadable or damaged schema: exit 1 with what to do, even with --profile."""
    import smvp_engine.profile as profile_mod
    import smvp_engine.resources as resources_mod

    bad = tmp_path / "schema" / "profile.schema.json"
    bad.parent.mkdir()
    if content == "folder":
        bad.mkdir()
    elif content is not None:
        bad.write_bytes(content)
    real = resources_mod.schema_path

    def fake(name: str = "profile.schema.json"):
        if name != "profile.schema.json":
            return real(name)
        if not bad.is_file():
            raise resources_mod.ResourceMissing(
                f"the schema {name} is missing from the installation ({bad})", hint="reinstall smvp")
        return bad

    monkeypatch.setattr(resources_mod, "schema_path", fake)
    monkeypatch.setattr(profile_mod, "_SCHEMA_CACHE", {})
    monkeypatch.setenv("SMVP_HOME", str(tmp_path / "home"))
    profile = str(ROOT / "chambers" / "cuneo.yaml")
    for args in (["validate", profile],
                 ["evaluate", "--chamber", "cuneo", "--profile", profile, "--no-store"]):
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 1, (args, result.output)
        assert fragment in result.output and "reinstall smvp" in result.output, result.output
        assert "internal error" not in result.output and "errore interno" not in result.output


def test_modules_not_yet_type_checked_exist():
    """The mypy list of modules with open type errors names real modules (it only shrinks)."""
    overrides = _pyproject()["tool"]["mypy"]["overrides"]
    listed = [m for o in overrides if o.get("ignore_errors") for m in o["module"]]
    for module in listed:
        path = ROOT / Path(*module.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), (
            f"{module} is gone: remove it from [[tool.mypy.overrides]] in pyproject.toml")


def test_a_stored_run_records_the_version_and_the_profile_hash(tmp_path, monkeypatch):
    """After the move to smvp_engine: the run row holds the installed version and the
    SHA-256 of the exact profile text evaluated (the bundled one here)."""
    import hashlib

    from smvp import store

    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    r = runner.invoke(cli.app, ["evaluate", "--chamber", "cuneo", "--db", db])
    assert r.exit_code == 0, r.output
    engine = store.open_engine(db)
    try:
        run = store.find_run(engine, 1)
    finally:
        engine.dispose()
    assert run is not None
    assert run.engine_version == version("smvp")
    profile = bundled_chambers() / "cuneo.yaml"
    assert run.profile_sha256 == hashlib.sha256(profile.read_bytes()).hexdigest()


def test_runs_of_two_versions_are_told_apart(tmp_path, monkeypatch):
    """Every stored run records the version that computed it, on either write path (the first
    run creates the database through SQLAlchemy, the next is written with sqlite3): ``smvp
    runs`` lists it and ``smvp verify`` says it with the version verifying it."""
    import sqlite3

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    db_file = tmp_path / "runs.db"
    db = f"sqlite:///{db_file}"
    for _ in range(2):
        r = runner.invoke(cli.app, ["evaluate", "--chamber", "cuneo", "--db", db, "--lang", "en"])
        assert r.exit_code == 0, r.output
    con = sqlite3.connect(db_file)
    assert con.execute("SELECT engine_version FROM run ORDER BY id").fetchall() == \
        [(version("smvp"),)] * 2
    con.execute("UPDATE run SET engine_version = '0.0.9' WHERE id = 1")  # as an older smvp stored it
    con.commit()
    con.close()
    r = runner.invoke(cli.app, ["runs", "--db", db, "--lang", "en"])
    assert r.exit_code == 0, r.output
    rows = [line for line in r.stdout.splitlines() if "cuneo" in line]
    assert len(rows) == 2 and "0.0.9" in rows[0] and version("smvp") in rows[1], r.stdout
    r = runner.invoke(cli.app, ["verify", "--run", "1", "--db", db, "--json"])
    doc = json.loads(r.stdout)
    assert (doc["engine_stored"], doc["engine_now"]) == ("0.0.9", version("smvp"))
