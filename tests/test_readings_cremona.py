"""Readings of Cremona's thresholds (issue 12 §3), checked by hand on ``tests/golden/cremona/thresholds_2021``.

Cap. 1 §4 gives a tolerance (80%: "raggiunti") and a critical threshold (60%: "assolutamente non
raggiunti") for "obiettivi/indicatori", and nothing else. The profile's reading applies the bands
to indicators and again to objectives, counting 100 / the ratio / 0 (``readings.conta_come``,
``readings.soglie_due_volte``). ``organisational.achievement.bands_apply_to`` lets the other
readings be evaluated; their effect on the golden data is below, computed by hand:

* bands on the objectives only (indicators count their measured ratio, no cap in Cremona):
  OBJ_A (80.00 + 60.00)/2 = 70.00 → parzialmente → 70.00 (reading: 100.00);
  OBJ_B (79.99 + 59.99)/2 = 69.99 → 69.99 (reading: 0.00); OBJ_C 60.00;
  OBJ_G (80.00 + 60.00 + 100.00 [actual 0: the open band])/3 = 80.00 → raggiunto → 100.00;
  OBJ_H (150.00 + 0.00)/2 = 75.00 → 75.00 (reading: 0.00); OBJ_I 79.99;
  Ente (5 × 70.00 + 69.99 + 60.00)/7 = 479.99/7 = 68.5700 → 68.57 (reading: 80.00);
  AREA2 (100.00 + 3 × 75.00 + 79.99)/5 = 404.99/5 = 80.998 → 81.00 (reading: 36.00);
* bands on the indicators only (an objective counts the mean of what its indicators count):
  OBJ_A (100.00 + 60.00)/2 = 80.00; OBJ_B (79.99 + 0.00)/2 = 39.995 → 40.00; OBJ_D attested 80.00;
  OBJ_F 59.99; OBJ_G (100.00 + 60.00 + 100.00)/3 = 86.666… → 86.67; OBJ_H (100.00 + 0.00)/2 = 50.00;
  Ente (5 × 80.00 + 40.00 + 60.00)/7 = 500/7 = 71.428… → 71.43;
  AREA1 (3 × 80.00 + 60.00 + 2 × 59.99)/6 = 419.98/6 = 69.996… → 70.00;
  AREA2 (86.67 + 3 × 50.00 + 79.99)/5 = 316.66/5 = 63.332 → 63.33.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from smvp_engine.compliance import check
from smvp_engine.dataset import load_dataset
from smvp_engine.errors import ProfileErrors
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile
from tests.readings_support import assert_diff_is_golden

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "chambers" / "cremona.yaml"
CASE = REPO / "tests" / "golden" / "cremona" / "thresholds_2021"
ANCHOR = "    bands_apply_to: [indicators, objectives]\n"


def _with(tmp_path: Path, apply_to: str | None) -> Path:
    text = PROFILE.read_text(encoding="utf-8")
    assert text.count(ANCHOR) == 1
    p = tmp_path / "cremona.yaml"
    p.write_text(text.replace(ANCHOR, f"    bands_apply_to: {apply_to}\n" if apply_to else ""), encoding="utf-8")
    return p


def _ev(profile: Path):
    ev = evaluate(load_profile(profile), load_dataset(CASE), year=2021)
    objs = {o["objective_id"]: o["achievement"] for o in ev.objectives()}
    units = {f"{u['level']}/{u['unit_id']}": u["achievement"] for u in ev.units()}
    return objs, units


def D(x: str) -> Decimal:
    return Decimal(x)


def test_the_profiles_reading_applies_the_bands_twice(tmp_path):
    objs, units = _ev(_with(tmp_path, None))  # without the key: the default, both
    assert (objs["OBJ_A"], objs["OBJ_B"], objs["OBJ_H"]) == (D("100.00"), D("0.00"), D("0.00"))
    assert (units["ente/CCIAA"], units["area/AREA2"]) == (D("80.00"), D("36.00"))
    assert _ev(PROFILE) == (objs, units)


def test_bands_on_the_objectives_only(tmp_path):
    objs, units = _ev(_with(tmp_path, "[objectives]"))
    assert {k: objs[k] for k in ("OBJ_A", "OBJ_B", "OBJ_C", "OBJ_G", "OBJ_H", "OBJ_I")} == {
        "OBJ_A": D("70.00"), "OBJ_B": D("69.99"), "OBJ_C": D("60.00"), "OBJ_G": D("100.00"),
        "OBJ_H": D("75.00"), "OBJ_I": D("79.99")}
    assert (units["ente/CCIAA"], units["area/AREA1"], units["area/AREA2"]) == (D("68.57"), D("60.00"), D("81.00"))


def test_bands_on_the_indicators_only(tmp_path):
    objs, units = _ev(_with(tmp_path, "[indicators]"))
    assert {k: objs[k] for k in ("OBJ_A", "OBJ_B", "OBJ_D", "OBJ_F", "OBJ_G", "OBJ_H")} == {
        "OBJ_A": D("80.00"), "OBJ_B": D("40.00"), "OBJ_D": D("80.00"), "OBJ_F": D("59.99"),
        "OBJ_G": D("86.67"), "OBJ_H": D("50.00")}
    assert (units["ente/CCIAA"], units["area/AREA1"], units["area/AREA2"]) == (D("71.43"), D("70.00"), D("63.33"))


def test_bands_apply_to_is_checked(tmp_path):
    with pytest.raises(ProfileErrors):
        load_profile(_with(tmp_path, "[units]"))


def test_readings_and_the_dirigenti_are_recorded():
    p = load_profile(PROFILE)
    readings = p.data["readings"]
    assert {"conta_come", "soglie_due_volte", "stato_unita"} <= set(readings)
    assert readings["conta_come"]["stated"] is False and readings["soglie_due_volte"]["stated"] is False
    rules = p.for_year(2021)
    # art. 9 c. 1 lett. a, restated by Cap. 1 §4: the unit led is a component (weight not defined)
    assert [c.level for c in rules.roles["dirigente"].components] == ["area", "individuale"]
    assert [c.level for c in rules.roles["segretario_generale"].components] == ["ente", "individuale"]
    steps = p.data["cycle"]["steps"]
    assert steps["deliberazione_giunta_dirigenti"]["from_event"] == "approvazione_consuntivo"
    assert "validazione_condizione_premi" in steps["validazione_relazione_oiv"]["implements"]


def test_lint_finds_the_oiv_validation_now():
    found = {(f.norm, f.severity) for f in check(load_profile(PROFILE))}
    assert not any(sev == "error" for _, sev in found)
    msgs = [f.message for f in check(load_profile(PROFILE)) if f.norm == "validazione_condizione_premi"]
    assert not any("no step of the cycle" in m for m in msgs)


def test_diff_of_the_readings_is_the_golden_file(monkeypatch):
    """What changed: `smvp diff old.yaml new.yaml --impact thresholds_2021` (no person is scored in Cremona)."""
    assert_diff_is_golden(monkeypatch, "cremona_2021", "tests/golden/readings/cremona_2021/old.yaml",
                          "tests/golden/readings/cremona_2021/new.yaml",
                          "--impact", "tests/golden/cremona/thresholds_2021")
