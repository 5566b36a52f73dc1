"""Readings that move money on Cuneo (issue 12, section 3), checked by hand.

* the maggiorazione tie at the cut: exclude_tied (the profile's reading of §3.3's silence),
  include_tied, and break_by with a declared tie-breaker (a quantity, or the staff column
  ``tie_breaker``), on ``tests/golden/cuneo/main_2024`` where D11 and D12 tie at 93.00 on
  places 4–5 with a quota of 4;
* ``smvp diff`` between the profile before and after the readings, with its impact on the
  golden dataset: ``tests/golden/readings/cuneo_2024/expected.txt`` (written from the
  arithmetic in ``tests/golden/cuneo/main_2024/expected.yaml``).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli
from smvp_engine.dataset import load_dataset
from smvp_engine.errors import DatasetErrors, ProfileErrors
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile
from tests.readings_support import assert_diff_is_golden

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "chambers" / "cuneo.yaml"
CASE = REPO / "tests" / "golden" / "cuneo" / "main_2024"
READINGS = REPO / "tests" / "golden" / "readings" / "cuneo_2024"
runner = CliRunner()

BREAK = """    tie_policy: break_by
    tie_breaker:
      by: {by}
      source: {{document: smvp2024, section: "3.3 (silent on ties)"}}
      reading: declared tie-breaker (test)
"""


def _profile(tmp_path: Path, tie: str) -> Path:
    text = PROFILE.read_text(encoding="utf-8")
    assert text.count("    tie_policy: exclude_tied\n") == 1
    p = tmp_path / "cuneo.yaml"
    p.write_text(text.replace("    tie_policy: exclude_tied\n", tie), encoding="utf-8")
    return p


def _data(tmp_path: Path, breaker: dict[str, str] | None = None) -> Path:
    out = tmp_path / "data"
    shutil.copytree(CASE, out)
    (out / "expected.yaml").unlink()
    if breaker is not None:
        lines = (out / "staff.csv").read_text(encoding="utf-8").splitlines()
        rows = [lines[0] + ",tie_breaker"]
        for line in lines[1:]:
            rows.append(line + "," + breaker.get(line.split(",")[0], ""))
        (out / "staff.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def _magg(profile: Path, data: Path) -> tuple[dict[str, Decimal], dict]:
    ev = evaluate(load_profile(profile), load_dataset(data), year=2024)
    paid = {r["person_id"]: r["maggiorazione"] for r in ev.rows() if r["maggiorazione"]}
    return paid, ev.payout.maggiorazione_info[0]


def test_exclude_tied_is_the_profiles_reading(tmp_path):
    # ranking 1 D06 98.00, 2 D07 96.00, 3 D09 94.00, 4–5 D11 = D12 93.00; quota floor(40% × 10) = 4:
    # the tied group straddles the cut → both out; 3 × 402.80 (40% × 1007.011 = 402.8044 → 402.80)
    paid, info = _magg(PROFILE, CASE)
    assert paid == {"D06": Decimal("402.80"), "D07": Decimal("402.80"), "D09": Decimal("402.80")}
    assert (info["quota"], info["recipients"], info["tie_policy"]) == (4, 3, "exclude_tied")


def test_include_tied_exceeds_the_quota(tmp_path):
    # both tied in: 5 recipients > quota 4; 5 × 402.80 = 2014.00 > 1500.00 → pro rata 1500.00 // 5 = 300.00
    paid, info = _magg(_profile(tmp_path, "    tie_policy: include_tied\n"), CASE)
    assert set(paid) == {"D06", "D07", "D09", "D11", "D12"}
    assert set(paid.values()) == {Decimal("300.00")} and info["reduced_pro_rata"]


def test_break_by_behaviour(tmp_path):
    # D12 behaviour 69.30 > D11 63.81 → D12 4th, D11 5th: quota filled exactly
    # 4 × 402.80 = 1611.20 > 1500.00 → pro rata 1500.00 // 4 = 375.00 each
    paid, info = _magg(_profile(tmp_path, BREAK.format(by="[behaviour]")), CASE)
    assert set(paid) == {"D06", "D07", "D09", "D12"}
    assert set(paid.values()) == {Decimal("375.00")} and info["recipients"] == 4


def test_break_by_the_staff_column(tmp_path):
    # tie_breaker D11 5 > D12 3 → D11 4th; the others' values do not matter (no tie elsewhere at the cut)
    data = _data(tmp_path, {"D11": "5", "D12": "3", "D06": "1", "D07": "1", "D09": "1"})
    paid, _ = _magg(_profile(tmp_path, BREAK.format(by="[tie_breaker]")), data)
    assert set(paid) == {"D06", "D07", "D09", "D11"}


def test_a_tie_left_after_the_breakers_is_excluded(tmp_path):
    # equal tie_breaker → still tied on every key across the cut → both out, as exclude_tied
    data = _data(tmp_path, {"D11": "2", "D12": "2", "D06": "1", "D07": "1", "D09": "1"})
    paid, info = _magg(_profile(tmp_path, BREAK.format(by="[tie_breaker]")), data)
    assert set(paid) == {"D06", "D07", "D09"} and info["recipients"] == 3


def test_a_blank_tie_breaker_at_the_cut_is_an_error(tmp_path):
    data = _data(tmp_path, {"D11": "5"})
    with pytest.raises(DatasetErrors) as exc:
        _magg(_profile(tmp_path, BREAK.format(by="[tie_breaker]")), data)
    text = str(exc.value)
    assert "tie_breaker" in text and "blank" in text and "staff.csv" in text


def test_break_by_needs_a_tie_breaker_and_vice_versa(tmp_path):
    with pytest.raises(ProfileErrors, match="tie_policy break_by needs 'tie_breaker"):
        load_profile(_profile(tmp_path, "    tie_policy: break_by\n"))
    with pytest.raises(ProfileErrors, match="quantity 'seniority'"):
        load_profile(_profile(tmp_path, BREAK.format(by="[seniority]")))


def test_compare_shows_the_effect_of_the_tie_policy(tmp_path):
    include = _profile(tmp_path, "    tie_policy: include_tied\n")
    r = runner.invoke(cli.app, ["compare", str(PROFILE), str(include), "--data", str(CASE), "--json"])
    assert r.exit_code == 0, r.output
    import json
    doc = json.loads(r.stdout)
    row = next(x for x in doc["rows"] if x["key"] == ["effect"])
    assert "10 ammessi, quota 4, beneficiari 3, 402.80 €" in row["cells"][0]["lines"][0]
    assert "10 ammessi, quota 4, beneficiari 5, 300.00 €" in row["cells"][1]["lines"][0]
    quota = next(x for x in doc["rows"] if x["key"] == ["maggiorazioni"])
    assert any("parità: esclusi" in line for line in quota["cells"][0]["lines"])
    readings = next(x for x in doc["rows"] if x["key"] == ["readings"])
    assert "Coefficiente di presenza non superiore a 1 (non enunciata)" in readings["cells"][0]["lines"]


def test_diff_of_the_readings_is_the_golden_file(monkeypatch):
    """What changed and for whom: `smvp diff old.yaml new.yaml --impact main_2024`."""
    assert_diff_is_golden(monkeypatch, "cuneo_2024", str(READINGS / "old.yaml"), str(READINGS / "new.yaml"),
                          "--impact", str(CASE))
