"""ruff and mypy pass (the same checks as .ci/run), so a landing that breaks them fails here first.

Configuration and the reason for every rule switched off, and for every module
not yet type-checked: pyproject.toml ``[tool.ruff]``, ``[tool.mypy]``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff():
    pytest.importorskip("ruff")
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = _run(ruff, "check", ".", "--output-format", "concise")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy():
    pytest.importorskip("mypy")
    done = _run(sys.executable, "-m", "mypy")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
