"""The national layer (chambers/national/italia.yaml) and the compliance check (smvp lint).

Findings on the four bundled profiles are recorded in docs/compliance.md; the tests pin them
(norm, severity, years), and check that each kind of departure is found in a profile edited to
make it, with both sources.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli
from smvp_engine.compliance import check
from smvp_engine.errors import ProfileErrors
from smvp_engine.profile import load_profile

REPO = Path(__file__).resolve().parent.parent
CHAMBERS = REPO / "chambers"
NATIONAL = CHAMBERS / "national" / "italia.yaml"
OLD_CUNEO = REPO / "tests" / "golden" / "readings" / "cuneo_2024" / "old.yaml"
runner = CliRunner()


def _found(profile) -> set[tuple]:
    return {(f.norm, f.severity, f.years) for f in check(profile)}


def _edited(tmp_path: Path, src: Path, *edits: tuple[str, str], extends: bool = False) -> Path:
    text = src.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    if extends:
        text = text.replace("\nformat: 1\n", "\nformat: 1\nextends: national/italia\n", 1)
    out = tmp_path / src.name
    out.write_text(text, encoding="utf-8")
    return out


def test_the_national_layer_is_a_valid_profile_and_ships():
    layer = load_profile(NATIONAL)
    assert layer.data["layer"] == "national" and layer.base is None
    assert {"relazione_entro_30_giugno", "assenze_distribuzione_fondi", "peso_prevalente_dirigenti",
            "maggiorazione_art81", "validazione_condizione_premi"} <= set(layer.data["norms"])
    from smvp_engine.resources import national_layer
    assert national_layer().read_text(encoding="utf-8") == NATIONAL.read_text(encoding="utf-8")


def test_a_chamber_inherits_unless_it_overrides():
    cuneo = load_profile(CHAMBERS / "cuneo.yaml")
    assert cuneo.base is not None and cuneo.inherited[("absence_types", "lutto")] == "national/italia"
    assert cuneo.data["absence_types"]["lutto"]["neutral"] is True
    # Cuneo's own rule with the same id (its reading of its history) overrides the national one
    assert ("absence_types", "congedo_parentale") in cuneo.overrides
    assert cuneo.layer_of(("absence_types", "congedo_parentale")) is None
    assert cuneo.layer_of(("absence_types", "maternita", "neutral")) == "national/italia"


def test_an_unknown_layer_is_an_error(tmp_path):
    p = _edited(tmp_path, CHAMBERS / "cuneo.yaml", ("extends: national/italia", "extends: national/francia"))
    with pytest.raises(ProfileErrors, match="the layer 'national/francia' is not found"):
        load_profile(p)


def test_findings_on_the_bundled_profiles():
    """docs/compliance.md records these; each is explained there."""
    assert _found(load_profile(CHAMBERS / "cuneo.yaml")) == {
        ("maggiorazione_art81", "error", "2022"),             # the SMVP pays it "dall'anno 2023"
        ("peso_prevalente_dirigenti", "warning", "2022–"),    # 45 of 100: largest part, not > 50
        ("validazione_condizione_premi", "warning", "2022–"),  # conciliation wait: a reading
        ("maggiorazione_ccnl2026", "warning", "2026–"),       # CCNL 2022-2024: text not verified
    }
    brescia = _found(load_profile(CHAMBERS / "brescia.yaml"))
    assert ("maggiorazione_art81", "warning", "2022–2025") in brescia  # art. 81 until the 2025 cycle
    assert ("maggiorazione_ccnl2026", "warning", "2026–") in brescia
    assert not any(sev == "error" for _, sev, _ in _found(load_profile(CHAMBERS / "cremona.yaml")))
    assert ("maggiorazione_art69", "warning", "2018–2021") in _found(load_profile(CHAMBERS / "lucca.yaml"))


def test_the_cuneo_profile_before_the_readings_departs_from_art_71(tmp_path):
    old = load_profile(_edited(tmp_path, OLD_CUNEO, extends=True))
    found = {(f.norm, f.severity, f.path) for f in check(old)}
    # parental leave counted as presence in distributing the fund: art. 71 c. 5 does not list it
    assert ("assenze_distribuzione_fondi", "error", "absence_types.congedo_parentale") in found
    # its cycle steps were not marked: the terms cannot be checked, a warning says so
    assert ("relazione_entro_30_giugno", "warning", "cycle.steps") in found
    errors = [f for f in check(old) if f.severity == "error"]
    assert all(f.national["document"] and f.national["at"].startswith(str(NATIONAL)) for f in errors)


def test_a_late_relazione_and_a_small_maggiorazione_are_errors_with_both_sources(tmp_path):
    p = _edited(tmp_path, CHAMBERS / "cuneo.yaml",
                ('''      date: "06-30"
      year_offset: 1
      source: {document: dlgs150, section: "art. 10 c. 1 lett. b («entro il 30 giugno»)"}''',
                 '''      date: "07-31"
      year_offset: 1
      source: {document: dlgs150, section: "art. 10 c. 1 lett. b («entro il 30 giugno»)"}'''),
                ('amount: "0.40 * mean(premium)"', 'amount: "0.25 * mean(premium)"'))
    errors = {f.norm: f for f in check(load_profile(p)) if f.severity == "error"}
    late = errors["relazione_entro_30_giugno"]
    assert "due 07-31 (year +1), later than the national 06-30" in late.message
    assert late.chamber_source["document"] == "dlgs150" and late.chamber_source["at"].startswith(str(p))
    assert late.national["section"] == "art. 10 c. 1 lett. b"
    small = errors["maggiorazione_art81"]
    assert "25% of the mean premium, below the minimum 30%" in small.message and small.last == 2025


def test_absences_counted_differently_from_art_71(tmp_path):
    p = _edited(tmp_path, CHAMBERS / "cuneo.yaml", ('''  malattia:
    label: Malattia
    neutral: false''', '''  malattia:
    label: Malattia
    neutral: true'''))
    found = [f for f in check(load_profile(p)) if f.norm == "assenze_distribuzione_fondi"]
    assert len(found) == 1 and found[0].severity == "error" and "«Malattia» counts as presence" in found[0].message
    assert found[0].national["document"] == "dl112" and found[0].chamber_source["section"].startswith("Appendice")


def test_lint_cli_exit_codes_and_json():
    r = runner.invoke(cli.app, ["lint", "cremona", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc[0]["chamber"] == "cremona" and doc[0]["findings"]
    assert {"national", "chamber_source", "years", "severity"} <= set(doc[0]["findings"][0])
    r = runner.invoke(cli.app, ["lint", "cuneo", "--lang", "en"])
    assert r.exit_code == 1 and "ERROR 2022 maggiorazione_art81" in r.stdout
    r = runner.invoke(cli.app, ["validate", "--national", "cuneo"])
    assert r.exit_code == 1 and "VALIDO " in r.stdout and "ERRORE 2022" in r.stdout


def test_diff_says_which_layer_a_rule_comes_from(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    mine = _edited(tmp_path, CHAMBERS / "cuneo.yaml", ('''  malattia:
    label: Malattia''', '''  lutto:
    label: Permesso per lutto
    neutral: false
    source: {document: smvp2024, section: "test"}
  malattia:
    label: Malattia'''))
    r = runner.invoke(cli.app, ["diff", str(mine), str(CHAMBERS / "cuneo.yaml")])
    assert r.exit_code == 1, r.output
    line = next(x for x in r.stdout.splitlines() if "Permesso per lutto" in x and "conta come presenza" in x)
    assert "no → sì" in line and "dal livello national/italia" in line
