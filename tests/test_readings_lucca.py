"""Lucca's controlled companies (issue 12 §3): named in the profile, their objectives reported apart.

The arithmetic of the golden case is in ``tests/golden/lucca/controlled_companies_2011/expected.yaml``
(run by ``tests/test_golden_org.py``); this file checks the profile and the ``smvp diff`` golden.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smvp_engine.compliance import check
from smvp_engine.errors import ProfileErrors
from smvp_engine.profile import load_profile
from tests.readings_support import assert_diff_is_golden

REPO = Path(__file__).resolve().parent.parent
PROFILE = REPO / "chambers" / "lucca.yaml"


def test_the_companies_are_named_with_their_source():
    bodies = load_profile(PROFILE).data["planning"]["bodies"]
    assert {b["label"] for b in bodies.values()} == {"Lucca Promos", "Lucca Intec"}
    assert all(b["kind"] == "societa_controllata" and b["level"] == "societa_controllata" for b in bodies.values())
    assert all("società partecipate controllate" in b["source"]["section"] for b in bodies.values())


def test_a_body_level_must_be_an_organisational_level(tmp_path):
    text = PROFILE.read_text(encoding="utf-8").replace("      level: societa_controllata\n", "      level: societa\n", 1)
    p = tmp_path / "lucca.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileErrors, match="unknown level 'societa'"):
        load_profile(p)


def test_the_oiv_validation_is_the_payment_gate():
    msgs = [f.message for f in check(load_profile(PROFILE)) if f.norm == "validazione_condizione_premi"]
    assert not any("no step of the cycle" in m for m in msgs)


def test_diff_of_the_readings_is_the_golden_file(monkeypatch):
    assert_diff_is_golden(monkeypatch, "lucca_2011", "tests/golden/readings/lucca_2011/old.yaml",
                          "tests/golden/readings/lucca_2011/new.yaml", "--impact", "tests/golden/lucca/sample_2011")
