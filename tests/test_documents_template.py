"""smvp scheda with the template a profile names (``scheda: {template: PATH}``, issue 14 §1):
used when --template is not given, --template wins, a missing file is a located error."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from smvp import cli

runner = CliRunner()
CUNEO = Path(__file__).resolve().parents[1] / "chambers" / "cuneo.yaml"
TEMPLATE = ('{% extends "base.html.j2" %}{% block content %}<p>{{ marker }}</p>{% endblock %}')


def invoke(*args: object):
    return runner.invoke(cli.app, [str(a) for a in args])


def profile_copy(folder: Path, template: str) -> Path:
    """The bundled Cuneo profile, copied to ``folder`` with ``scheda.template`` set."""
    data = yaml.safe_load(CUNEO.read_text(encoding="utf-8"))
    data["scheda"] = {"template": template}
    path = folder / "cuneo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_with(tmp_path: Path, template: str) -> str:
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    profile = profile_copy(tmp_path, template)
    r = invoke("evaluate", "--chamber", "cuneo", "--profile", profile, "--db", db)
    assert r.exit_code == 0, r.output
    return db


def test_the_profile_template_is_used_and_template_option_wins(tmp_path):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "mine.html.j2").write_text("PROFILE-MARKER " + TEMPLATE.replace(
        "{{ marker }}", "from-profile"), encoding="utf-8")
    db = run_with(tmp_path, "tpl/mine.html.j2")
    out = tmp_path / "out"
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", out, "--db", db)
    assert r.exit_code == 0, r.output
    html = (out / "scheda-1-P012.html").read_text(encoding="utf-8")
    assert "from-profile" in html
    other = tmp_path / "other.html.j2"
    other.write_text(TEMPLATE.replace("{{ marker }}", "from-option"), encoding="utf-8")
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", out, "--db", db,
               "--template", other)
    assert r.exit_code == 0, r.output
    html = (out / "scheda-1-P012.html").read_text(encoding="utf-8")
    assert "from-option" in html and "from-profile" not in html


def test_a_missing_profile_template_is_a_located_error_and_writes_nothing(tmp_path):
    db = run_with(tmp_path, "nowhere/missing.html.j2")
    out = tmp_path / "out"
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", out, "--db", db)
    assert r.exit_code == 1, r.output
    text = " ".join(r.output.split())
    assert "scheda.template" in text and "missing.html.j2" in text and "cuneo.yaml" in text
    assert "impossibile leggerlo" in text
    assert not any(out.iterdir())
    # --template still works around it
    other = tmp_path / "other.html.j2"
    other.write_text(TEMPLATE.replace("{{ marker }}", "from-option"), encoding="utf-8")
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", out, "--db", db,
               "--template", other)
    assert r.exit_code == 0, r.output


def test_the_schema_rejects_an_unknown_scheda_key(tmp_path):
    data = yaml.safe_load(CUNEO.read_text(encoding="utf-8"))
    data["scheda"] = {"template": "x.html.j2", "colour": "red"}
    path = tmp_path / "cuneo.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    r = invoke("validate", path)
    assert r.exit_code != 0 and "colour" in r.output
