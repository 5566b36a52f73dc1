"""Results written from the engine's columns (smvp/results_columns.py): the same document as
the per-person path, byte for byte; Parquet out; the terminal's first rows of a large run."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from benchmarks import bench_cuneo as bench
from smvp import export, render, results
from smvp.report import LazyRows, Outcome
from smvp_engine.dataset import load_dataset
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [(ch, y) for ch in ("cuneo", "cremona", "brescia", "lucca")
           for y in sorted(p for p in (ROOT / "chambers" / "data" / ch).iterdir() if p.is_dir())]


def _outcome(chamber: str, data: Path) -> Outcome:
    profile = load_profile(ROOT / "chambers" / f"{chamber}.yaml")
    ds = load_dataset(data)
    ev = evaluate(profile, ds, year=int(data.name))
    return Outcome.from_evaluation(profile, ds, ev, year=int(data.name), engine_version="test")


@pytest.mark.parametrize("chamber,data", SAMPLES, ids=[f"{c}-{d.name}" for c, d in SAMPLES])
def test_streamed_json_is_the_contract_document(chamber, data):
    outcome = _outcome(chamber, data)
    buf = io.StringIO()
    export.stream_json(outcome, buf)
    assert isinstance(outcome.rows, LazyRows) and not outcome.rows.loaded  # no per-person dicts
    assert buf.getvalue() == export.to_json(outcome) + "\n"  # to_json builds them: same text
    doc = json.loads(buf.getvalue())
    assert len(doc["people"]) == len(outcome.rows)


def test_parquet_people_are_the_contract_values(tmp_path):
    chamber, data = SAMPLES[0]
    outcome = _outcome(chamber, data)
    path = tmp_path / "r.parquet"
    export.write(outcome, path, "it")
    table = pq.read_table(path)
    doc = json.loads(table.schema.metadata[b"smvp.results"])
    assert doc["people"] == [] and doc["funds"] and doc["run"]["chamber"] == chamber
    got = table.to_pylist()
    want = [results.person_record(r) for r in outcome.rows]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        for key, value in w.items():
            if key in results.MAPS:
                for cid, v in value.items():
                    assert g[f"{results.MAPS[key]}:{cid}"] == v, (key, cid)
            else:
                assert g[key] == value, key
        assert g["payout_state"] == ("provvisorio" if w["paid"] is not None else None)


def test_a_large_run_shows_its_first_rows():
    s = bench.generate(1000)
    ev = bench.engine_evaluate(bench.load_profile(), bench.build_dataset(s))
    outcome = Outcome.from_evaluation(bench.load_profile(), ev.dataset, ev, year=2024,
                                      engine_version="test")
    console = Console(file=io.StringIO(), width=200)
    render.print_outcome(console, outcome, "it")
    text = console.file.getvalue()
    assert not outcome.rows.loaded  # the first rows only were built
    assert f"Prime {render.FIRST_ROWS} persone di 1000" in text
    assert "P0000020" in text and "P0000021" not in text
    totals = outcome.totals()
    assert totals["paid"] == sum(r["paid"] or 0 for r in outcome.rows)  # now built: same totals
    console = Console(file=io.StringIO(), width=200)
    render.print_outcome(console, outcome, "it", all_rows=True)
    assert "P0001000" in console.file.getvalue()


def test_streamed_json_of_a_synthetic_chamber_is_the_contract_document():
    """Many roles, components, unscored and unpaid people: the columns' text is the records' text,
    in bytes (a binary stdout) and in text (StringIO), in several chunks."""
    s = bench.generate(3000)
    ev = bench.engine_evaluate(bench.load_profile(), bench.build_dataset(s))
    outcome = Outcome.from_evaluation(bench.load_profile(), ev.dataset, ev, year=2024,
                                      engine_version="test")
    from smvp import results_columns

    text = io.StringIO()
    results_columns.write_json(text, export._document_without_people(outcome), ev, chunk=700)
    raw = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    results_columns.write_json(raw, export._document_without_people(outcome), ev, chunk=1000)
    raw.flush()
    assert not outcome.rows.loaded
    want = export.to_json(outcome) + "\n"
    assert text.getvalue() == want
    assert raw.buffer.getvalue().decode("utf-8") == want


@pytest.mark.parametrize("dialect", ["standard", "it"])
def test_csv_from_columns_is_the_rows_csv(tmp_path, dialect):
    """The people CSV written from the columns (both dialects) is byte for byte the row writer's:
    every sample chamber and the synthetic Chamber (several roles and components)."""
    s = bench.generate(1500)
    ev = bench.engine_evaluate(bench.load_profile(), bench.build_dataset(s))
    cases = [Outcome.from_evaluation(bench.load_profile(), ev.dataset, ev, year=2024, engine_version="t")]
    cases += [_outcome(ch, d) for ch, d in SAMPLES]
    write = export.write_csv if dialect == "standard" else export.write_csv_it
    for k, outcome in enumerate(cases):
        fast, slow = tmp_path / f"fast{k}.csv", tmp_path / f"slow{k}.csv"
        write(outcome, fast, "it")
        assert not outcome.rows.loaded  # written from the columns
        rows_only = dataclasses.replace(outcome, rows=list(outcome.rows))  # no columns: the row writer
        write(rows_only, slow, "it")
        assert fast.read_bytes() == slow.read_bytes(), k


def test_a_large_export_shows_a_bar_on_a_terminal_only(tmp_path, monkeypatch):
    """Store and export of a large run advance a rich progress bar on a terminal stderr (the
    writers report the people done); not on a plain stderr."""
    from smvp import phases
    from smvp.commands import evaluate as evaluate_cmd

    monkeypatch.setattr(phases, "BAR_MIN", 1)
    seen = []
    real = phases.tick
    monkeypatch.setattr(phases, "tick", lambda done, total: (seen.append((done, total)), real(done, total)))
    data = ROOT / "chambers" / "data" / "cuneo" / "2024"
    for terminal in (True, False):
        err = Console(file=io.StringIO(), force_terminal=terminal, width=100)
        opts = evaluate_cmd.Options(chamber="cuneo", data=data, out=tmp_path / f"p{terminal}.csv",
                                    db=f"sqlite:///{tmp_path / 'smvp.db'}")
        assert evaluate_cmd.run(opts, out=Console(file=io.StringIO()), err=err) == 0
        assert (tmp_path / f"p{terminal}.csv").stat().st_size > 0
        shown = err.file.getvalue()
        assert ("━" in shown) == terminal, shown[-500:]
    assert seen and seen[-1][0] == seen[-1][1]


def _evaluations():
    for chamber, data in SAMPLES:
        yield f"{chamber}-{data.name}", export.columnar(_outcome(chamber, data))
    s = bench.generate(3000)
    yield "synthetic", bench.engine_evaluate(bench.load_profile(), bench.build_dataset(s))


def test_a_role_s_rows_from_the_parts_are_the_whole_column_s():
    """The writers take each role's rows of a component's points and grado di raggiungimento from
    the engine's parts (no whole column a component): the same values as the whole columns."""
    import numpy as np

    from smvp.results_columns import _put

    checked = 0
    for name, ev in _evaluations():
        ind = ev.individual
        role_index = np.asarray(ind.role_index)
        for reported, whole in ((False, ind.components), (True, ind.component_achievement)):
            for key, column in whole.items():
                for k in range(len(ind.role_ids)):
                    here = role_index == k
                    got = np.full(len(role_index), 7, dtype=np.int64)
                    _put(got, here, ind, key, reported)
                    assert (got[here] == np.asarray(column, dtype=np.int64)[here]).all(), (name, key, k)
                    assert (got[~here] == 7).all(), (name, key, k)
                    checked += int(here.sum())
    assert checked > 3000
