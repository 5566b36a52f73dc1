"""At 80 columns (issue 15) the stored runs and the cycle calendar show every amount, date, id
and status word whole, within the width; the full columns come back in a wider terminal."""

from __future__ import annotations

import datetime as dt
import re

from rich.console import Console
from typer.testing import CliRunner

from smvp import cli, render
from smvp.store.runs import RunListing


def _render(renderable, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def test_runs_at_80_columns_keep_every_amount_and_state_whole():
    runs = [RunListing(n, chamber, year, dt.datetime(2025, 5, 12, 12, 3), "a" * 64, "b" * 64, "0.1.0", 80,
                       cents) for n, chamber, year, cents in
            ((1, "cremona", 2021, 0), (12, "brescia", 2021, 12345678901), (3, "cuneo", 2024, 13296859))]
    states = {1: "provvisorio", 12: "provvisorio, 2 revisioni", 3: "definitivo"}
    lines = _render(render.runs_table(runs, "it", states=states, width=80), 80)
    text = "\n".join(lines)
    assert max(map(len, lines)) <= 80
    for amount in ("0,00 €", "123.456.789,01 €", "132.968,59 €"):
        assert amount in text
    assert "…" not in text and "provvisorio" in text and "definitivo" in text
    assert re.search(r"│\s+12 │ brescia │ 2021 │", text)
    assert "aaaaaaaaaaaa" not in text and "smvp runs --json" in text  # hashes: a wider terminal
    wide = "\n".join(_render(render.runs_table(runs, "it", states=states, width=160), 160))
    assert "aaaaaaaaaaaa" in wide and "0.1.0" in wide


def test_the_cycle_calendar_at_80_columns():
    result = CliRunner().invoke(cli.app, ["calendar", "--chamber", "cremona", "--year", "2021"],
                                env={"COLUMNS": "80", "SMVP_LANG": "it"})
    assert result.exit_code == 0, result.output
    table = [line for line in result.stdout.splitlines() if line[:1] in "┏┃│┡└"]
    assert table and max(map(len, table)) <= 80
    head = next(line for line in table if "Passo" in line)
    assert all(word in head for word in ("Passo", "Chi", "Scadenza", "Effettivo", "Esito"))
    assert "…" not in result.stdout
    assert re.search(r"│ \d\d/\d\d/2021 ", result.stdout)  # dates whole
    assert "Giunta" in result.stdout and "giunta " not in result.stdout  # labels, not raw ids


def test_profile_places_are_shown_without_machine_paths(tmp_path, monkeypatch):
    from smvp.explain_words import short_at

    monkeypatch.chdir(tmp_path)
    assert short_at("/srv/x/chambers/national/italia.yaml:186") == "chambers/national/italia.yaml:186"
    assert short_at("/home/anna/profili/cuneo.yaml:12") == "cuneo.yaml:12"
    assert short_at(str(tmp_path / "p" / "cuneo.yaml") + ":3") == "p/cuneo.yaml:3"
    assert short_at("chambers/cuneo.yaml:187") == "chambers/cuneo.yaml:187"
    lint = CliRunner().invoke(cli.app, ["lint", "cuneo"], env={"COLUMNS": "200", "SMVP_LANG": "it"})
    assert "[chambers/national/italia.yaml:" in lint.stdout
    assert not re.search(r"\[/[^\]]*\.yaml:\d+\]", lint.stdout), lint.stdout
