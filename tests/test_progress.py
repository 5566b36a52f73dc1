"""Progress of the long phases: the loader reports through smvp_engine.progress, the command
draws a bar on a terminal stderr (load, and the JSON/CSV writers of a large run), never on stdout."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from rich.console import Console

from smvp import phases
from smvp_engine import progress
from smvp_engine.dataset import load_dataset

SAMPLE = Path(__file__).resolve().parent.parent / "chambers" / "data" / "cuneo" / "2024"


def _calls(path: Path) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    with progress.reporting(lambda done, total: seen.append((done, total))):
        load_dataset(path)
    return seen


def test_the_loader_reports_bytes_up_to_the_total():
    seen = _calls(SAMPLE)
    files = [p for p in SAMPLE.iterdir() if p.suffix == ".csv"]
    assert len(seen) >= len(files) * 2 + 2  # each file read and typed, the checks, the end
    totals = {total for _, total in seen}
    assert len(totals) == 1 and totals.pop() >= 2 * sum(p.stat().st_size for p in files)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][1] and done[0] > 0


def test_a_workbook_reports_per_sheet():
    seen = _calls(SAMPLE.with_suffix(".xlsx"))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_nothing_is_reported_without_a_listener():
    assert not progress.active()
    load_dataset(SAMPLE)  # no callback: nothing to call, nothing fails
    with progress.reporting(lambda d, t: None):
        assert progress.active()
    assert not progress.active()


def test_the_load_bar_is_drawn_on_a_terminal_and_advanced_by_the_loader():
    from smvp import engine_api

    term = io.StringIO()
    err = Console(file=term, force_terminal=True, width=100)
    with phases.bar("load", err, "Caricamento dei dati…", percent=True):
        engine_api.load_dataset(SAMPLE)
    shown = term.getvalue()
    assert "Caricamento dei dati" in shown and "100%" in shown
    assert phases.TIMES["load"] > 0


def test_no_bar_when_stderr_is_not_a_terminal_or_quiet():
    for err, quiet in ((Console(file=io.StringIO(), force_terminal=False), False),
                       (Console(file=io.StringIO(), force_terminal=True), True)):
        with phases.bar("write", err, "Esportazione…", quiet):
            phases.tick(5, 10)
        assert err.file.getvalue() == ""


def test_json_stdout_is_only_json_while_stderr_shows_the_bars(monkeypatch, tmp_path):
    """--json with stdout piped and stderr a terminal: the load bar goes to stderr; stdout is the
    document alone."""
    from smvp.commands import evaluate

    monkeypatch.setattr(phases, "BAR_MIN", 1)  # the sample counts as a large run: bars for the writer too
    term = io.StringIO()
    err = Console(file=term, force_terminal=True, width=100)
    out = Console(file=io.StringIO())
    opts = evaluate.Options(chamber="cuneo", data=SAMPLE, json=True, store=False)
    target = tmp_path / "out.json"
    with open(target, "w", encoding="utf-8") as fh:
        monkeypatch.setattr(sys, "stdout", fh)  # stdout a file (not a terminal), stderr a terminal
        assert not evaluate.bars_hidden(opts)
        assert evaluate.run(opts, out=out, err=err) == 0
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["people"]
    shown = term.getvalue()
    assert "100%" in shown and "━" in shown  # the load bar, then the writer's


def test_the_loader_measures_nothing_without_a_bar(monkeypatch):
    """engine_api installs the loader's callback only while a bar runs (a national run loads
    10,000 small years: no file sizes looked up for nobody)."""
    from smvp import engine_api
    from smvp_engine import dataset

    sized: list[Path] = []
    monkeypatch.setattr(dataset._Meter, "_size", staticmethod(lambda path: sized.append(path) or 1))
    engine_api.load_dataset(SAMPLE)
    assert sized == []
    with phases.bar("load", Console(file=io.StringIO(), force_terminal=True), "…"):
        engine_api.load_dataset(SAMPLE)
    assert len(sized) >= 2 * len(list(SAMPLE.glob("*.csv")))
