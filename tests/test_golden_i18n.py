"""Golden outputs in Italian (the default) and in English (``--lang en``) for Cuneo: evaluate,
the errors of broken profiles and datasets (validate / evaluate), explain (issue 15).

The goldens are the commands' whole output, read and checked by hand once; a change in
wording shows here as a diff. Regenerate after an intended change with
``SMVP_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_i18n.py`` and read the diff.
The located facts (file, line, column, field) must be the same in both languages.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "cuneo" / "i18n"
LANGS = ("it", "en")
BROKEN_PROFILES = ["missing_key", "unknown_key_typo", "wrong_type", "bands_gap", "unknown_role",
                   "duplicate_key", "yaml_syntax", "bands_bad_counts_as", "invalid_id"]
BROKEN_DATASETS = ["text_in_number", "missing_column", "duplicate_person_id", "unknown_unit",
                   "thousands_separator", "ambiguous_percent", "negative_days"]


def _smvp(tmp_path: Path, lang: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SMVP_HOME": str(tmp_path / "home"), "COLUMNS": "200", "SMVP_LANG": "",
           "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("SMVP_DATABASE_URL", None)
    env.pop("SMVP_CHAMBERS_DIR", None)
    return subprocess.run([sys.executable, "-m", "smvp", *args, "--lang", lang], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)


def _normalise(text: str) -> str:
    from zoneinfo import ZoneInfo

    # the run's day as smvp shows it (Italian time): after 23:00 UTC it is already tomorrow in Rome
    for today in {dt.date.today(), dt.datetime.now(ZoneInfo("Europe/Rome")).date()}:
        text = text.replace(today.strftime("%d/%m/%Y"), "DD/MM/YYYY")
    text = re.sub(r"\b(motore|engine) \d+\.\d+\.\d+\S*", r"\1 X.Y.Z", text)  # smvp's version
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    text = _normalise(text)
    if os.environ.get("SMVP_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: SMVP_UPDATE_GOLDEN=1 writes it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden"


@pytest.mark.parametrize("lang", LANGS)
def test_evaluate(tmp_path, lang):
    run = _smvp(tmp_path, lang, "evaluate", "--chamber", "cuneo", "--no-store")
    assert run.returncode == 0, run.stderr
    _check(f"evaluate.{lang}.txt", run.stdout)


@pytest.mark.parametrize("lang", LANGS)
def test_validate_broken_profiles(tmp_path, lang):
    paths = [f"tests/broken/profiles/{case}.yaml" for case in BROKEN_PROFILES]
    run = _smvp(tmp_path, lang, "validate", *paths)
    assert run.returncode == 1, run.stderr
    _check(f"validate_errors.{lang}.txt", run.stdout)


@pytest.mark.parametrize("lang", LANGS)
def test_evaluate_broken_datasets(tmp_path, lang):
    out = []
    for case in BROKEN_DATASETS:
        run = _smvp(tmp_path, lang, "evaluate", "--chamber", "cuneo", "--data",
                    f"tests/broken/datasets/{case}", "--no-store")
        assert run.returncode == 1, (case, run.stdout, run.stderr)
        out.append(f"$ smvp evaluate --chamber cuneo --data tests/broken/datasets/{case}\n{run.stderr}")
    _check(f"dataset_errors.{lang}.txt", "".join(out))


@pytest.mark.parametrize("lang", LANGS)
def test_explain(tmp_path, lang):
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    stored = _smvp(tmp_path, lang, "evaluate", "--chamber", "cuneo", "--db", db)
    assert stored.returncode == 0, stored.stderr
    run = _smvp(tmp_path, lang, "explain", "--run", "1", "--person", "P012", "--text", "--db", db)
    assert run.returncode == 0, run.stderr
    _check(f"explain.{lang}.txt", run.stdout)


LOCATED = re.compile(r"^\s+(\S+\.(?:yaml|csv|xlsx)(?::\d+){0,2}): (\S+?:)?")


@pytest.mark.parametrize("name", ["validate_errors", "dataset_errors"])
def test_the_same_located_facts_in_both_languages(name):
    def facts(lang: str) -> list[tuple[str, str | None]]:
        lines = (GOLDEN / f"{name}.{lang}.txt").read_text(encoding="utf-8").splitlines()
        return [m.groups() for m in map(LOCATED.match, lines) if m]

    it, en = facts("it"), facts("en")
    assert it and it == en


def test_italian_goldens_have_no_english_error_words():
    for name in ("validate_errors", "dataset_errors"):
        text = (GOLDEN / f"{name}.it.txt").read_text(encoding="utf-8")
        # (PyYAML's own words in a syntax error, "did not find expected ',' or '}'", stay as it writes them)
        for word in ("(expected ", ", found ", "problems found", "unknown ", "missing ", "not a number",
                     "did you mean"):
            assert word not in text, (name, word)
