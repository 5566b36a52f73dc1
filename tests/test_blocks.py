"""The block-wise loops (checks, payout, identity codes) give the same results with tiny blocks.

Production blocks are 65,536 rows, larger than every golden dataset, so the
block boundaries are exercised here by shrinking the blocks to 3 rows and
comparing with a normal run: the Cuneo golden case and the bundled sample, and
an error message that must name the same row either way.
"""

import shutil
from pathlib import Path

import pytest

import smvp_engine.checks
import smvp_engine.columns
import smvp_engine.payout
from smvp_engine.dataset import load_dataset
from smvp_engine.errors import SmvpErrors
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
PROFILE = load_profile(ROOT / "chambers" / "cuneo.yaml")
DATA = [ROOT / "tests" / "golden" / "cuneo" / "main_2024", ROOT / "chambers" / "data" / "cuneo" / "2024"]


def snapshot(ev):
    return ev.rows(), ev.funds(), ev.summary()


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(smvp_engine.checks, "_BLOCK", 3)
    monkeypatch.setattr(smvp_engine.payout, "_BLOCK", 3)
    monkeypatch.setattr(smvp_engine.columns, "_IDENTITY_BLOCK", 3)


@pytest.mark.parametrize("folder", DATA, ids=lambda p: p.parent.name + "/" + p.name)
def test_tiny_blocks_give_the_same_evaluation(folder, monkeypatch):
    ds = load_dataset(folder)
    normal = snapshot(evaluate(PROFILE, ds))
    monkeypatch.setattr(smvp_engine.checks, "_BLOCK", 3)
    monkeypatch.setattr(smvp_engine.payout, "_BLOCK", 3)
    monkeypatch.setattr(smvp_engine.columns, "_IDENTITY_BLOCK", 3)
    assert snapshot(evaluate(PROFILE, ds)) == normal


def test_tiny_blocks_report_the_same_bad_row(tmp_path, tiny_blocks):
    folder = tmp_path / "data"
    shutil.copytree(DATA[1], folder)
    lines = (folder / "behaviours.csv").read_text(encoding="utf-8").splitlines()
    # the 41st score row: well past the first blocks of 3
    head, rows = lines[0], lines[1:]
    pid, factor, _ = rows[40].split(",")
    rows[40] = f"{pid},{factor},99"
    (folder / "behaviours.csv").write_text("\n".join([head] + rows) + "\n", encoding="utf-8")
    with pytest.raises(SmvpErrors) as err:
        evaluate(PROFILE, load_dataset(folder))
    assert "behaviours.csv:42" in str(err.value) and "score above the factor's scale" in str(err.value)
