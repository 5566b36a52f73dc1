"""The end-to-end benchmark's CSV datasets are the benchmark's synthetic Chamber, exactly.

``benchmarks/bench_cli.py`` times ``smvp evaluate`` on CSV folders it writes from
``bench_cuneo.generate``; the figures only mean something if that folder loads, passes
validation and evaluates to what the hand-written numpy version computes (correctness at a
small size, not timing).
"""

from __future__ import annotations

import pytest

from benchmarks import bench_cli
from benchmarks import bench_cuneo as bench
from smvp_engine.dataset import load_dataset


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_dataset_evaluates_like_numpy(tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    data = bench_cli.write_dataset(2000, tmp_path / fmt, fmt)
    ds = load_dataset(data)
    s = bench.generate(2000)
    hand = bench.numpy_evaluate(s)
    ev = bench.engine_evaluate(bench.load_profile(), ds)
    problems = bench.compare(bench.engine_columns(ev), hand, s.person_ids)
    assert not problems, "\n".join(problems)
