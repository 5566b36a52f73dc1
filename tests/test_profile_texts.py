"""A profile's prose per language (docs/profile.md, "Texts in more than one language"):
``reading: {it: …, en: …}`` is shown in the user's language, a plain string still works,
and a key that is not a language is a located error (issue 15)."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli
from smvp.i18n import say
from smvp_engine.diff import same_text
from smvp_engine.errors import Msg, ProfileErrors, Text, text_of
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "broken" / "profiles" / "_base.yaml"
runner = CliRunner()

# English function words that no Italian sentence of the profiles uses (quotes from the
# documents are Italian): one of them in a "Non calcolato" line is an English reading
ENGLISH = re.compile(r"\b(the|is|are|which|not|and|of|gives|says)\b")


def _not_computed(output: str) -> list[str]:
    lines = output.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.strip() in ("Non calcolato", "Not computed"))
    return [ln for ln in lines[head + 1:] if ln.startswith("  - ")]


@pytest.mark.parametrize("chamber", ["cremona", "lucca", "brescia"])
def test_evaluate_in_italian_shows_the_italian_readings_and_in_english_the_english(chamber):
    it = runner.invoke(cli.app, ["evaluate", "--chamber", chamber, "--no-store"], env={"SMVP_LANG": "it"})
    assert it.exit_code == 0, it.output
    lines = _not_computed(it.output)
    assert len(lines) >= 3
    english = [ln for ln in lines if ENGLISH.search(ln)]
    assert english == []
    en = runner.invoke(cli.app, ["--lang", "en", "evaluate", "--chamber", chamber, "--no-store"])
    assert en.exit_code == 0, en.output
    lines_en = _not_computed(en.output)
    assert len(lines_en) == len(lines)
    assert any(ENGLISH.search(ln) for ln in lines_en)


def test_cremona_reading_word_for_word_in_each_language():
    it = runner.invoke(cli.app, ["evaluate", "--chamber", "cremona", "--no-store"], env={"SMVP_LANG": "it"})
    assert "Gli undici fattori sono elencati; le loro scale sono nelle schede non allegate." in it.output
    assert "The eleven factors" not in it.output
    en = runner.invoke(cli.app, ["--lang", "en", "evaluate", "--chamber", "cremona", "--no-store"])
    assert "The eleven factors are listed; their scales are in the sheets not attached." in en.output
    assert "Gli undici fattori" not in en.output


def test_lucca_undefined_conciliation_is_named_not_shown_as_an_id():
    it = runner.invoke(cli.app, ["evaluate", "--chamber", "lucca", "--no-store"], env={"SMVP_LANG": "it"})
    assert "  - Procedura di conciliazione: Il documento non prevede alcuna procedura" in it.output
    assert "  - conciliation:" not in it.output


def _profile(tmp_path: Path, reading: str) -> Path:
    lines = BASE.read_text(encoding="utf-8").splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.strip() == "variable: total")
    lines.insert(i + 1, f"    reading: {reading}")
    path = tmp_path / "profile.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_plain_string_still_works_and_is_shown_as_written(tmp_path):
    prof = load_profile(_profile(tmp_path, '"Linear above 60 points."'))
    reading = prof.for_year(2024).curves["graduazione"].reading
    assert type(reading) is str and reading == "Linear above 60 points."
    assert say(reading, "it") == say(reading, "en") == "Linear above 60 points."


def test_a_text_per_language_picks_the_language_and_falls_back_to_the_other(tmp_path):
    prof = load_profile(_profile(tmp_path, '{it: "Lineare sopra 60 punti.", en: "Linear above 60 points."}'))
    reading = prof.for_year(2024).curves["graduazione"].reading
    assert isinstance(reading, Text)
    assert say(reading, "it") == "Lineare sopra 60 punti."
    assert say(reading, "en") == "Linear above 60 points."
    only_it = load_profile(_profile(tmp_path, '{it: "Lineare sopra 60 punti."}')).for_year(2024).curves["graduazione"].reading
    assert say(only_it, "en") == "Lineare sopra 60 punti."  # the other language, no error
    # inside an engine message, and through a process pool
    msg = Msg("{role}: {what}", role="Premi", what=reading)
    assert say(msg, "it") == "Premi: Lineare sopra 60 punti."
    assert say(pickle.loads(pickle.dumps(msg)), "en") == "Premi: Linear above 60 points."
    assert say({"it": "sì", "en": "yes"}, "en") == "yes"  # the raw mapping, as read from a profile


def test_an_unknown_language_is_a_located_error(tmp_path):
    path = _profile(tmp_path, '{it: "Lineare sopra 60 punti.", de: "Linear über 60 Punkte."}')
    with pytest.raises(ProfileErrors) as info:
        load_profile(path)
    (error,) = info.value.errors
    assert (error.line, error.field) == (41, "curves.graduazione.reading.de")
    assert str(error).startswith(f"{path}:41:")
    assert "unknown language 'de' of a text" in str(error)
    done = subprocess.run([sys.executable, "-m", "smvp", "validate", str(path)], capture_output=True,
                          text=True, env={"SMVP_LANG": "it", "PATH": ""})
    assert done.returncode != 0
    assert "lingua 'de' sconosciuta in un testo" in done.stdout + done.stderr


def test_diff_compares_texts_language_by_language():
    assert same_text("x", {"it": "y", "en": "x"})  # adding a translation is not a change
    assert not same_text({"it": "y", "en": "x"}, {"it": "z", "en": "x"})
    assert not same_text("x", {"it": "y", "en": "w"})
    assert text_of(None) is None and text_of("a") == "a"
