"""Exact rational columns and the formula sandbox."""

from fractions import Fraction

import numpy as np
import pytest

from smvp_engine import formula
from smvp_engine.exact import Q, allocate_largest_remainder, mean, minimum, round_fraction, where
from smvp_engine.intervals import Interval, partition_problems


def test_half_up_rounds_half_away_from_zero():
    q = Q(np.array([-3, -1, 1, 3, 5, 7]), 2)  # -1.5 -0.5 0.5 1.5 2.5 3.5
    assert q.to_units(1).tolist() == [-2, -1, 1, 2, 3, 4]
    assert q.to_units(1, "down").tolist() == [-1, 0, 0, 1, 2, 3]


def test_money_that_floats_get_wrong_is_exact():
    # 1300.00 € × 60.05% × 0.8333 = 650.5153... → 650.52; 0.5 cent cases exact
    premium = Q.scaled(np.array([130000]), 100) * Q(np.array([6005]), 10000) * Q.scaled(np.array([833300]), 10**6)
    assert premium.to_units(100).tolist() == [65052]
    half = Q(np.array([1005]), 1000)  # 1.005 € → 1.01 € (float round gives 1.0)
    assert half.to_units(100).tolist() == [101]


def test_overflow_falls_back_to_python_ints():
    big = Q(np.array([10**15]), 1) * Q(np.array([10**15]), 7)
    assert big.fractions() == [Fraction(10**30, 7)]
    assert big.to_units(1).tolist() == [round_fraction(Fraction(10**30, 7), 1)]


def test_where_minimum_mean():
    x = Q(np.array([1, 3, 5]), 4)
    assert minimum(x, Q(1, 2)).fractions() == [Fraction(1, 4), Fraction(1, 2), Fraction(1, 2)]
    assert where(x > Fraction(1, 2), 1, 0).fractions() == [0, 1, 1]
    assert mean(x).scalar() == Fraction(3, 4)


def test_largest_remainder_adds_up():
    assert allocate_largest_remainder([Fraction(1000001, 3)] * 3) == [333334, 333334, 333333]
    assert sum(allocate_largest_remainder([Fraction(7, 3), Fraction(5, 3), Fraction(2)])) == 6


@pytest.mark.parametrize("expr, problem", [
    ("total.__class__", "attribute access is not allowed"),
    ("total ** 2", "use multiplication"),
    ("'a' * 9", "only numbers"),
    ("totl / 100", "did you mean 'total'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("1 if total else 0", "use where(condition, a, b)"),
    ("total[0]", "indexing is not allowed"),
    ("x" * 600, "longer than 500"),
])
def test_sandbox_refuses(expr, problem):
    problems = formula.check(expr, {"total"})
    assert any(problem in p for p in problems), problems


def test_unknown_function_reported_once():
    assert formula.check("evil(total)", {"total"}) == [
        "unknown function 'evil'; available: minimum, maximum, where, mean, sum, count"]


def test_formula_literals_are_exact_and_vectorised():
    total = Q.scaled(np.array([6000, 6050, 9000, 9050]), 100)
    assert formula.evaluate("0.40 * mean(total)", {"total": total}).scalar() == Fraction(2, 5) * Fraction(30100, 400)
    assert formula.evaluate("60 < total <= 90", {"total": total}, 4).tolist() == [False, True, True, False]
    assert formula.evaluate("(total > 60) & (total < 90.5)", {"total": total}, 4).tolist() == [False, True, True, False]
    # simpleeval's default * guard would reject array * array above 4,000 rows
    big = Q(np.arange(50_000), 1)
    assert len(formula.evaluate("big * big + big", {"big": big}, 50_000)) == 50_000


def test_intervals_partition():
    parse = [Interval.parse(t) for t in ["[0, 60]", "(60, 90]", "(90, 100]"]]
    assert partition_problems(parse, (Fraction(0), Fraction(100))) == []
    gap = [Interval.parse(t) for t in ["[0, 60)", "(60, 100]"]]
    assert "gap" in partition_problems(gap, (Fraction(0), Fraction(100)))[0][0]
    with pytest.raises(ValueError, match="empty"):
        Interval.parse("(5, 5]")
    assert Interval.parse("(60, 90]").contains(Fraction(90)) and not Interval.parse("(60, 90]").contains(Fraction(60))
    assert Interval.parse("[80, inf)").contains(Fraction(10**9))
