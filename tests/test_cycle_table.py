"""The dataset may carry the cycle's actual dates (table ``cycle``): evaluate accepts it, calendar reads it."""

import shutil
from pathlib import Path

from typer.testing import CliRunner

from smvp.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_dataset_folder_with_cycle_dates(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "chambers" / "data" / "cuneo" / "2024", data)
    # PIAO approved on 15/03/2024 (venerdì), after its term of 31/01/2024 (mercoledì): 44 days late
    (data / "cycle.csv").write_text("step,date\npiao,2024-03-15\n", encoding="utf-8")
    ev = CliRunner().invoke(app, ["evaluate", "-c", "cuneo", "-d", str(data), "--no-store"])
    assert ev.exit_code == 0, ev.output
    # 31/01 → 29/02 (2024 is leap) = 29 days, + 15 days of March = 44
    cal = CliRunner().invoke(app, ["calendar", "-c", "cuneo", "--year", "2024", "--actual", str(data), "--lang", "it"],
                             env={"COLUMNS": "250"})
    assert cal.exit_code == 0, cal.output
    assert "15/03/2024" in cal.stdout and "in ritardo di 44 giorni" in cal.stdout
    # Cuneo §2.3: objectives approved late → monitoring at the end of the third quarter instead
    assert "terzo trimestre" in cal.stdout


def test_unknown_step_in_cycle_table_is_named(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "chambers" / "data" / "cuneo" / "2024", data)
    (data / "cycle.csv").write_text("step,date\npiano,2024-01-30\n", encoding="utf-8")
    cal = CliRunner().invoke(app, ["calendar", "-c", "cuneo", "--year", "2024", "--actual", str(data)])
    assert cal.exit_code == 1 and "cycle.csv" in cal.output and "'piano'" in cal.output
