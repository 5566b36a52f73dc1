"""The benchmark's two implementations agree exactly at a small size (correctness, not timing).

``benchmarks/bench_cuneo.py`` times the engine against a hand-written numpy version of the
Cuneo rules; the timing is only meaningful if both compute the same thing. Here both run on
the benchmark's synthetic data (2,000 staff) and must agree on every person's total,
behaviour, negative flag, theoretical amount, premium and maggiorazione — also when the
same data goes through :func:`engine.dataset.dataset_from_columns` (the validated in-memory
loader) instead of the directly built, Categorical-columned Dataset the benchmark times.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import bench_cuneo as bench
from smvp_engine.dataset import dataset_from_columns


@pytest.fixture(scope="module")
def synthetic():
    return bench.generate(2000)


@pytest.fixture(scope="module")
def profile():
    return bench.load_profile()


def test_generator_is_deterministic(synthetic):
    again = bench.generate(2000)
    assert np.array_equal(again.b_score, synthetic.b_score)
    assert np.array_equal(again.presence, synthetic.presence)
    assert again.resources == synthetic.resources


def test_engine_and_numpy_agree(synthetic, profile):
    hand = bench.numpy_evaluate(synthetic)
    ev = bench.engine_evaluate(profile, bench.build_dataset(synthetic))
    problems = bench.compare(bench.engine_columns(ev), hand, synthetic.person_ids)
    assert not problems, "\n".join(problems)
    # the workload exercises what it should: every payout band, ties left out at the cut, money
    total = hand["total"]
    assert (total <= 6000).any() and ((total > 6000) & (total <= 9000)).any() and (total > 9000).any()
    info = ev.payout.maggiorazione_info[0]
    assert 0 < info["recipients"] <= info["quota"]
    assert hand["negative"].any()
    assert np.count_nonzero(hand["maggiorazione"]) == info["recipients"]


def test_validated_dataset_gives_the_same_results(synthetic, profile):
    hand = bench.numpy_evaluate(synthetic)
    ev = bench.engine_evaluate(profile, dataset_from_columns(bench.plain_tables(synthetic)))
    problems = bench.compare(bench.engine_columns(ev), hand, synthetic.person_ids)
    assert not problems, "\n".join(problems)


def test_compare_reports_a_difference(synthetic):
    hand = bench.numpy_evaluate(synthetic)
    other = dict(hand, premium=hand["premium"] + (np.arange(len(hand["premium"])) == 7))
    problems = bench.compare(other, hand, synthetic.person_ids)
    assert len(problems) == 1 and "premium: 1 people differ" in problems[0]
