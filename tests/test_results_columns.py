"""Results written from the engine's columns (smvp/results_columns.py): the same document as
the per-person path, byte for byte; Parquet out; the terminal's first rows of a large run."""

from __future__ import annotations

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
            if key == "components":
                for cid, points in value.items():
                    assert g[f"component:{cid}"] == points, (key, cid)
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
