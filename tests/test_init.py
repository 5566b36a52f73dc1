"""`smvp init`: a commented skeleton that validates, refuses to overwrite, and says what is missing."""

from pathlib import Path

from typer.testing import CliRunner

from smvp.cli import app
from smvp_engine.profile import load_profile


def test_skeleton_validates_and_says_what_is_missing(tmp_path: Path):
    out = tmp_path / "mantova.yaml"
    result = CliRunner().invoke(app, ["init", "--chamber", "mantova", "--out", str(out), "--year", "2025"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=file://")
    profile = load_profile(out)
    assert profile.chamber_id == "mantova" and profile.valid_from == 2025
    assert profile.data["chamber"]["seat"] == "Mantova"
    assert any("incomplete for individual scoring" in w for w in profile.warnings)
    check = CliRunner().invoke(app, ["validate", str(out)])
    assert check.exit_code == 0 and "VALIDO" in check.stdout
    assert "Prossimo passo" in result.stdout and "avviso:" in result.stdout
    english = CliRunner().invoke(app, ["init", "--chamber", "mantova", "--out", str(out), "--force", "--lang", "en"])
    assert english.exit_code == 0 and "Next step" in english.stdout and "warning:" in english.stdout


def test_existing_file_is_not_overwritten(tmp_path: Path):
    out = tmp_path / "x.yaml"
    out.write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", "--chamber", "x", "--out", str(out)])
    assert result.exit_code == 2 and "esiste già" in result.output
    assert out.read_text(encoding="utf-8") == "mine"


def test_bad_id_and_unknown_seat_are_usage_errors(tmp_path: Path):
    bad = CliRunner().invoke(app, ["init", "--chamber", "Man-tova", "--out", str(tmp_path / "a.yaml")])
    assert bad.exit_code == 2 and "non è valido" in bad.output
    seat = CliRunner().invoke(app, ["init", "-c", "tno", "--name", "Camera di Commercio della Toscana Nord-Ovest",
                                    "--out", str(tmp_path / "b.yaml")])
    assert seat.exit_code == 2 and "--seat" in seat.output and not (tmp_path / "b.yaml").exists()
    ok = CliRunner().invoke(app, ["init", "-c", "tno", "--name", "Camera di Commercio della Toscana Nord-Ovest",
                                  "--seat", "Lucca", "--out", str(tmp_path / "b.yaml")])
    assert ok.exit_code == 0, ok.output
