"""The command-line framework's own words come from the gettext catalogue (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from smvp import cli_i18n

PO = Path(__file__).resolve().parents[1] / "smvp" / "locale" / "it" / "LC_MESSAGES" / "smvp.po"


def test_every_msgid_is_translated_and_the_compiled_catalogue_is_current():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    messages = {m.id: m.string for m in catalog if m.id}
    assert messages and all(messages.values()), [k for k, v in messages.items() if not v]
    compiled = cli_i18n.catalogue("it")
    for msgid, text in messages.items():
        assert compiled.gettext(msgid) == text, f"{msgid!r}: run pybabel compile -D smvp -d smvp/locale"


def _help(*args: str, env: dict | None = None) -> str:
    import os

    run = subprocess.run([sys.executable, "-m", "smvp", *args], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120", **(env or {})}, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_help_in_italian_with_metavars_that_say_what_is_expected():
    text = _help("evaluate", "--help", env={"SMVP_LANG": "it"})
    assert text.startswith("Uso: smvp evaluate") and "Opzioni:" in text
    assert "Mostra questo messaggio ed esce." in text and "Show this message" not in text
    assert "--year ANNO" in text and "--out FILE" in text and "--chamber CAMERA" in text
    assert "<int range>" not in text and "<str>" not in text
    assert "URL del database" in text  # --db help no longer English


def test_help_in_english_with_lang_en():
    text = _help("evaluate", "--help", "--lang", "en")
    assert text.startswith("Usage: smvp evaluate") and "Show this message and exit." in text
    assert "Commands:" in _help("--help", env={"SMVP_LANG": "en"})
    assert "Comandi:" in _help("--help", env={"SMVP_LANG": "it"})
