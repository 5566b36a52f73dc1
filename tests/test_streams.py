"""A terminal that is not UTF-8 gets readable output, not a crash (issue 15, "readable in any
terminal"; smvp/streams.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from smvp.streams import plain


@pytest.mark.parametrize(
    ("char", "expected"),
    [("à", "a'"), ("è", "e'"), ("é", "e'"), ("ù", "u'"), ("€", "EUR"), ("—", "-"),
     ("…", "..."), ("×", "x"), ("\u00a0", " "), ("ç", "c"), ("┏", "?")],
)
def test_plain_forms(char: str, expected: str) -> None:
    assert plain(char) == expected


def _evaluate(encoding: str, tmp_path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "SMVP_HOME": str(tmp_path),
           "COLUMNS": "200", "SMVP_LANG": "it"}
    env.pop("PYTHONUTF8", None)
    return subprocess.run([sys.executable, "-m", "smvp", "evaluate", "--chamber", "cuneo", "--no-store"],
                          capture_output=True, env=env, timeout=120, check=False)


def test_ascii_terminal_reads_italian_in_plain_letters(tmp_path) -> None:
    done = _evaluate("ascii", tmp_path)
    assert done.returncode == 0, done.stderr.decode("ascii", "replace")
    out = done.stdout.decode("ascii")  # every byte is ASCII: nothing unencodable was written
    assert "Camera di Commercio di Cuneo - anno 2024" in out
    assert "Unita'" in out
    assert "18.000,00 EUR" in out  # P001's premium, whole (golden main_2024)


def test_cp850_terminal_keeps_what_it_can_show(tmp_path) -> None:
    """The Italian Windows console's code page has "à" but neither "€" nor "—"."""
    done = _evaluate("cp850", tmp_path)
    assert done.returncode == 0, done.stderr.decode("cp850", "replace")
    out = done.stdout.decode("cp850")
    assert "Unità" in out
    assert "18.000,00 EUR" in out
    assert "Cuneo - anno 2024" in out
