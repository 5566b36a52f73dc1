"""Shared by the readings tests (issue 12): run ``smvp diff`` as the OIV would and compare its
text with a golden file under ``tests/golden/readings/<case>/``.

The command runs from the repository root in Italian at 250 columns; the repository's path is
removed from the output and trailing blanks are dropped before the comparison, so the golden
files hold relative paths and no padding.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from typer.testing import CliRunner

from smvp import cli

REPO = Path(__file__).resolve().parent.parent
READINGS = REPO / "tests" / "golden" / "readings"


def diff_lines(monkeypatch, *args: str, code: int = 1) -> list[str]:
    """``smvp diff ARGS`` (paths relative to the repository): its stdout lines, checked to exit
    with ``code`` (1: rules changed)."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("SMVP_LANG", raising=False)
    monkeypatch.chdir(REPO)
    r = CliRunner().invoke(cli.app, ["diff", *args])
    assert r.exit_code == code, r.output
    return [re.sub(r"\s+$", "", line) for line in r.stdout.replace(str(REPO) + os.sep, "").splitlines()]


def golden_lines(case: str, name: str = "expected.txt") -> list[str]:
    """The lines of ``tests/golden/readings/<case>/<name>``."""
    return (READINGS / case / name).read_text(encoding="utf-8").splitlines()


def assert_diff_is_golden(monkeypatch, case: str, *args: str, name: str = "expected.txt") -> None:
    """``smvp diff ARGS`` prints exactly ``tests/golden/readings/<case>/<name>`` (and exits 1)."""
    assert diff_lines(monkeypatch, *args) == golden_lines(case, name)
