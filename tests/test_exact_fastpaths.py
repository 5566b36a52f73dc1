"""Q against a Fraction reference, over the values that steer its fast paths.

engine/exact.py takes shortcuts for speed (int64 while a bound proves the result fits,
comparisons against a scalar as an integer threshold, rounding of non-negative columns
without a sign pass, known bounds carried from operands to results). Every shortcut must
give the same values as exact rational arithmetic: this checks them, column by column and
row by row, on small, large (near the int64 limit), negative, scalar and per-row
denominators and Python-int (object) columns.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smvp_engine.exact import Q, maximum, mean, minimum, total, where

BIG = 1 << 62

ints = st.one_of(st.integers(-1000, 1000), st.integers(-(10**12), 10**12), st.integers(-(BIG - 1), BIG - 1))
dens = st.one_of(st.integers(1, 1000), st.integers(1, 10**12), st.integers(1, BIG - 1))


@st.composite
def columns(draw, size=None):
    """A Q column (scalar or per-row denominators, int64 or object), with its Fractions."""
    n = draw(st.integers(0, 6)) if size is None else size
    nums = draw(st.lists(ints, min_size=n, max_size=n))
    if draw(st.booleans()):
        d = draw(dens)
        ds = [d] * n
        den = d
    else:
        ds = draw(st.lists(dens, min_size=n, max_size=n))
        den = np.array(ds, dtype=np.int64)
    if draw(st.integers(0, 4)) == 0:  # Python ints, as after an overflow
        num = np.empty(n, dtype=object)
        num[:] = [v * 3 for v in nums]
        nums = [v * 3 for v in nums]
    else:
        num = np.array(nums, dtype=np.int64)
    return Q(num, den), [Fraction(a, b) for a, b in zip(nums, ds)]


scalars = st.builds(Fraction, ints, dens)


def same(q: Q, ref: list[Fraction]) -> None:
    assert q.fractions() == ref


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 6).flatmap(lambda n: st.tuples(columns(n), columns(n))))
def test_arithmetic_between_columns(pair):
    (a, fa), (b, fb) = pair
    same(a + b, [x + y for x, y in zip(fa, fb)])
    same(a - b, [x - y for x, y in zip(fa, fb)])
    same(a * b, [x * y for x, y in zip(fa, fb)])
    if all(fb):
        same(a / b, [x / y for x, y in zip(fa, fb)])
    for op in (operator.lt, operator.le, operator.gt, operator.ge):
        assert op(a, b).tolist() == [op(x, y) for x, y in zip(fa, fb)]
    assert a.eq(b).tolist() == [x == y for x, y in zip(fa, fb)]
    cond = np.array([x > 0 for x in fa], dtype=bool)
    same(where(cond, a, b), [x if c else y for c, x, y in zip(cond, fa, fb)])
    same(minimum(a, b), [min(x, y) for x, y in zip(fa, fb)])
    same(maximum(a, b), [max(x, y) for x, y in zip(fa, fb)])


@settings(max_examples=150, deadline=None)
@given(columns(), scalars, st.booleans())
def test_column_and_scalar(col, s, scalar_as_int):
    a, fa = col
    other = s.numerator if scalar_as_int else s
    s = Fraction(other)
    for op in (operator.lt, operator.le, operator.gt, operator.ge):
        assert op(a, other).tolist() == [op(x, s) for x in fa]
        assert op(Q.of(other), a).tolist() == [op(s, x) for x in fa]
    assert a.eq(other).tolist() == [x == s for x in fa]
    same(a * other, [x * s for x in fa])
    same(other * a, [s * x for x in fa])
    same(a + other, [x + s for x in fa])
    same(other - a, [s - x for x in fa])
    if s:
        same(a / other, [x / s for x in fa])
    same(minimum(other, a), [min(s, x) for x in fa])
    same(maximum(a, other), [max(x, s) for x in fa])


@settings(max_examples=150, deadline=None)
@given(columns(), st.sampled_from([1, 100, 10**6]), st.sampled_from(["half_up", "down"]))
def test_rounding_to_units(col, scale, mode):
    a, fa = col

    def ref(x: Fraction) -> int:
        v = abs(x) * scale
        r = (2 * v.numerator + v.denominator) // (2 * v.denominator) if mode == "half_up" else v.numerator // v.denominator
        return r if x >= 0 else -r

    assert [int(v) for v in a.to_units(scale, mode)] == [ref(x) for x in fa]


@settings(max_examples=100, deadline=None)
@given(columns())
def test_population_functions_and_views(col):
    a, fa = col
    assert total(a).scalar() == sum(fa, Fraction(0))
    if fa:
        assert mean(a).scalar() == sum(fa, Fraction(0)) / len(fa)
        idx = np.array([len(fa) - 1, 0])
        same(a[idx], [fa[-1], fa[0]])
        same(a[np.array([x > 0 for x in fa])], [x for x in fa if x > 0])
    same(a.reduced(), fa)
    same((a * 2) * Fraction(1, 2), fa)


def test_premium_shape_stays_int64():
    """theoretical cents × (total/100 as a factor) × presence coefficient: the benchmark's shape."""
    rng = np.random.default_rng(1)
    n = 10_000
    theo = Q(rng.integers(80_000, 300_000, n), 1)
    f = Q(rng.integers(6_001, 9_001, n), 10_000)
    c = minimum(1, Q.scaled(rng.integers(0, 26_000, n), 100) * Q.scaled(rng.choice([10**6, 833_300], n), 10**6) / 250)
    prem = theo * f * c
    assert prem.num.dtype == np.int64
    ref = [x * y * z for x, y, z in zip(theo.fractions(), f.fractions(), c.fractions())]
    assert prem.fractions() == ref
    assert prem.to_units(1).tolist() == [(2 * r.numerator + r.denominator) // (2 * r.denominator) for r in ref]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([100, 10**6, 2**20, 3 * 5**7, 10**12]),
       st.integers(1, 200_000), st.integers(0, 3), st.integers(0, 5), st.floats(0, 1), st.booleans())
def test_reduced_divides_by_the_gcd_of_the_whole_column(den, size, shape, odd, where, negative):
    """Q.reduced over columns longer than one gcd block: multiples of a divisor of ``den`` in the
    first block and beyond it, one value anywhere that breaks the pattern, negative values."""
    rng = np.random.default_rng(size)
    step = [den, den // 4 or 1, 100 if den % 100 == 0 else 1, 1][shape]
    num = rng.integers(0, 1000, size) * step
    if odd:
        num[int(where * (size - 1))] += odd  # a row that is not a multiple (often past the first block)
    if negative:
        num[::3] *= -1
    q = Q(num.astype(np.int64), den).reduced()
    g = math.gcd(den, *map(int, num))
    assert int(q.den) == den // g and np.array_equal(q.num, num // g)
    assert q.fractions() == [Fraction(int(v), den) for v in num]
