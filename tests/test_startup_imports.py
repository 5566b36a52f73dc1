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
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def loaded(tmp_path, *args: str) -> set[str]:
    env = {"SMVP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args))], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=True)
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    assert doc["code"] in (0, None), done.stderr
    return set(doc["modules"])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["chambers"]])
def test_light_commands_load_no_engine_no_store(tmp_path, args):
    modules = loaded(tmp_path, *args)
    assert not modules & {"numpy", "sqlalchemy", "sqlmodel", "holidays", "openpyxl", "jsonschema"}


def test_evaluate_without_store_loads_no_database_or_workbook_code(tmp_path):
    modules = loaded(tmp_path, "evaluate", "--chamber", "cuneo", "--no-store")
    assert "numpy" in modules  # it did evaluate
    assert not modules & {"sqlalchemy", "sqlmodel", "openpyxl"}


def test_evaluate_with_store_loads_the_store(tmp_path):
    modules = loaded(tmp_path, "evaluate", "--chamber", "cuneo")
    assert {"sqlalchemy", "sqlmodel"} <= modules
    assert "openpyxl" not in modules
