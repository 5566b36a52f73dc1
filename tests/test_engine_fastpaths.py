"""The whole-column shortcuts of the engine give what the plain row-by-row rules give.

Checked here on the benchmark's synthetic data (benchmarks/bench_cuneo.py), built directly
with Categorical columns so that the fast paths are taken: a repeated behaviour factor must
not hide a missing one (per-person factor bit sets), unsorted rows change nothing, the
Categorical → index mapping agrees with a dict, and the piecewise curve selection agrees with
the chain of ``where`` it replaces.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import bench_cuneo as bench
from smvp_engine.columns import Categorical, as_objects, index_of
from smvp_engine.errors import DatasetErrors
from smvp_engine.exact import Q, piecewise, where


@pytest.fixture(scope="module")
def profile():
    return bench.load_profile()


def _evaluate(profile, s):
    return bench.engine_evaluate(profile, bench.build_dataset(s))


def test_repeated_factor_does_not_hide_a_missing_one(profile):
    s = bench.generate(300)
    rows = np.flatnonzero(s.b_person == 60)
    s.b_factor[rows[1:3]] = s.b_factor[rows[0]]  # three times the first factor: 1 + 1 + 1 + 2**k …
    with pytest.raises(DatasetErrors) as e:
        _evaluate(profile, s)
    missing = [x for x in e.value.errors if "no behaviour score" in x.message]
    assert len(missing) == 2 and all("P0000061" in x.expected for x in missing)


def test_duplicate_row_is_counted_and_unsorted_rows_change_nothing(profile):
    s = bench.generate(300)
    base = _evaluate(profile, s)
    order = np.random.default_rng(3).permutation(len(s.b_person))
    s.b_person, s.b_factor, s.b_score = s.b_person[order], s.b_factor[order], s.b_score[order]
    shuffled = _evaluate(profile, s)
    assert np.array_equal(base.individual.total, shuffled.individual.total)
    assert np.array_equal(base.payout.premium, shuffled.payout.premium)
    extra = np.flatnonzero(s.b_person == 70)[0]
    s.b_person = np.append(s.b_person, 70)
    s.b_factor = np.append(s.b_factor, s.b_factor[extra])
    s.b_score = np.append(s.b_score, 100)
    ev = _evaluate(profile, s)  # the dataset loader refuses duplicates; the engine adds what it is given
    assert ev.individual.behaviour[70] == base.individual.behaviour[70] + 100


def test_index_of_categorical_agrees_with_a_dict():
    rng = np.random.default_rng(1)
    for _ in range(200):
        cats = np.empty(int(rng.integers(1, 30)), dtype=object)
        cats[:] = [f"k{i}" for i in range(len(cats))]
        col = Categorical(rng.integers(-1, len(cats), int(rng.integers(0, 200))), cats)
        keys = Categorical(rng.integers(-1, len(cats), int(rng.integers(0, 40))), cats)
        ident = Categorical(np.arange(len(cats)), cats)
        other = [f"k{i}" for i in rng.integers(0, 40, int(rng.integers(0, 10)))]
        for k in (keys, ident, other):
            objs = as_objects(k) if isinstance(k, Categorical) else k
            lookup = {v: i for i, v in enumerate(objs)}
            want = [-1 if v is None else lookup.get(v, -1) for v in as_objects(col)]
            assert index_of(col, k).tolist() == want
            small = col[np.arange(min(3, len(col)))]
            assert index_of(small, k).tolist() == want[:len(small)]


def test_piecewise_is_the_where_chain():
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(0, 8))
        vals = []
        for _ in range(int(rng.integers(0, 4))):
            u = rng.random()
            if u < 0.3:
                vals.append(Q(int(rng.integers(-5, 5)), int(rng.integers(1, 7))))
            elif u < 0.45:
                vals.append(Q(rng.integers(-10**6, 10**6, n), rng.integers(1, 9, n)))
            elif u < 0.55:
                vals.append(Q(rng.integers(-2**61, 2**61, n), int(rng.integers(1, 10**4))))
            else:
                vals.append(Q(rng.integers(-10**6, 10**6, n), int(rng.integers(1, 10**4))))
        conds = [rng.random(n) < 0.5 for _ in vals]
        default = Q(int(rng.integers(-3, 3)), 2) if rng.random() < 0.5 else Q(rng.integers(-9, 9, n), 3)
        ref = default
        for c, v in zip(conds, vals):
            ref = where(c, v, ref)
        got = piecewise(conds, vals, default)
        assert ref.broadcast(n).fractions() == got.broadcast(n).fractions()


def test_formula_failing_on_other_roles_rows_is_evaluated_on_the_roles_own(profile):
    """The dipendenti (most of the staff) are evaluated over every row at once; a formula that
    fails only on someone else's row (here: 0 presence days of the leaders) must still work."""
    from smvp_engine.profile import load_profile

    text = bench.PROFILE.read_text(encoding="utf-8")
    old_coef, old_elig = 'formula: "minimum(1, presence_days * part_time / 250)"', 'eligible: "total > 60"'
    assert old_coef in text and old_elig in text
    text = text.replace(old_coef, 'formula: "minimum(1, presence_days * part_time / 250) * presence_days / presence_days"')
    text = text.replace(old_elig, 'eligible: "total * presence_days / presence_days > 60"')
    fussy = load_profile(bench.PROFILE, text=text)
    s = bench.generate(2000)
    lead = s.role != bench.DIP
    s.presence[lead] = 0
    s.presence[~lead] = np.maximum(s.presence[~lead], 1)
    want = bench.engine_evaluate(profile, bench.build_dataset(s))
    got = bench.engine_evaluate(fussy, bench.build_dataset(s))
    for key in ("premium", "maggiorazione", "maggiorazione_rank", "theoretical"):
        assert np.array_equal(getattr(want.payout, key), getattr(got.payout, key)), key
    assert want.payout.coefficient.fractions() == got.payout.coefficient.fractions()


def test_maggiorazione_cut_by_selection_matches_a_full_sort():
    """The k-th largest by selection (maggiorazione._cut), the counts above it and at least it, and
    the lazy rank order (stages.rank_descending) agree with a plain stable sort, ties in row order."""
    import numpy as np

    from smvp_engine.maggiorazione import _cut
    from smvp_engine.stages import rank_descending

    rng = np.random.default_rng(7)
    for size, spread in ((1, 3), (50, 3), (500, 40), (2000, 1 << 20)):
        vals = rng.integers(0, spread, size).astype(np.int64)
        want = sorted(range(size), key=lambda i: (-int(vals[i]), i))
        assert rank_descending(vals).tolist() == want
        assert rank_descending(vals.astype(object)).tolist() == want
        for k in {1, size // 2 or 1, size}:
            cut = int(vals[want[k - 1]])
            counts = (cut, int((vals > cut).sum()), int((vals >= cut).sum()))
            assert _cut(vals, k) == counts
            assert _cut(vals.astype(object), k) == counts


@pytest.mark.parametrize("values", [
    ["4731.9", "5118.2", "0.1", "100"],
    ["1", "2", "30"],
    ["13.50", "13.125", "-2", "0", "-0"],
    ["1E+3", "2.50", "0.00001"],
    ["0.1234567890123", "1"],
    ["0.1234567890123456789"],  # 19 decimals: no scale holds it
    ["123456789012345678901"],  # beyond int64
    ["4611686018427387904"],  # 2**62
    ["NaN", "1"],
])
def test_decimal_columns_through_arrow_equal_the_per_value_path(values):
    """The 128-bit decimal conversion gives the values the per-value path gives (as fractions),
    or refuses the column as that path does (None)."""
    from decimal import Decimal
    from fractions import Fraction

    from smvp_engine.organisational import _decimal_arrow_ints, _decimal_ints

    col = [Decimal(v) for v in values] + [1]
    plain = None
    try:
        pairs = [v.as_integer_ratio() for v in col]
        plain = [Fraction(a, b) for a, b in pairs]
    except ValueError:  # NaN
        pass
    fast = _decimal_arrow_ints(col)
    both = _decimal_ints(col)
    if fast is not None:
        nums, digits = fast
        assert [Fraction(int(x), 10 ** digits) for x in nums] == plain
    if both is not None:
        assert [Fraction(int(x), 10 ** both[1]) for x in both[0]] == plain
    if plain is not None and all(abs(q) < 2 ** 40 for q in plain) and all((q * 10 ** 18).denominator == 1 for q in plain):
        assert fast is not None  # the ordinary columns take the fast path
    assert (fast is None) == (values[0] in ("0.1234567890123456789", "123456789012345678901", "4611686018427387904", "NaN"))


def test_decimal_columns_of_other_types_are_left_to_the_per_value_path():
    from decimal import Decimal

    from smvp_engine.organisational import _decimal_arrow_ints

    assert _decimal_arrow_ints([Decimal("1.5"), "2"]) is None
    assert _decimal_arrow_ints([Decimal("1.5"), None]) is None
    assert _decimal_arrow_ints([Decimal("1.5"), True]) is None
    assert _decimal_arrow_ints([1.5]) is None
    assert _decimal_arrow_ints([]) is None


def _test_curve(*segments):
    from smvp_engine.intervals import Interval
    from smvp_engine.profile_model import Curve, CurveSegment

    return Curve("c", "c", "total", tuple(CurveSegment(Interval.parse(i), v) for i, v in segments), source=None)


@pytest.mark.parametrize("segments", [
    (("[0, 60]", "0"), ("(60, 90]", "total / 100"), ("(90, 100]", "1")),  # Cuneo's
    (("[0, 50)", "total / 200"), ("[50, 100]", "minimum(1, total * total / 7000)"), ("[70, 80]", "3 / 7")),
    (("(10, 100]", "where(total > 55, 1, total / 300)"),),  # below 10: no interval, 0
    (("[0, 100]", "1 / 2"),),  # a constant
])
def test_curve_by_value_equals_the_curve_over_rows(segments):
    """The curve evaluated once per value of the total's range and gathered gives, row by row,
    the exact values of the curve evaluated over every row."""
    from smvp_engine.payout import _curve, _curve_by_value

    rng = np.random.default_rng(7)
    total = Q(rng.integers(0, 10_001, 50_000), 100)
    curve = _test_curve(*segments)
    fast = _curve_by_value(curve, total)
    assert fast is not None
    assert fast.fractions() == _curve(curve, total).broadcast(50_000).fractions()


def test_curve_by_value_is_not_taken_where_it_would_differ():
    """A population function (the row's value alone does not decide), a formula failing on a value
    of the range that no row has, a short column or a wide range: the rows decide."""
    from smvp_engine.payout import _curve_by_value

    rng = np.random.default_rng(8)
    vals = rng.integers(0, 10_001, 50_000)
    vals[vals == 5_000] = 5_001
    total = Q(vals, 100)
    assert _curve_by_value(_test_curve(("[0, 100]", "total / mean(total)")), total) is None
    assert _curve_by_value(_test_curve(("[0, 100]", "1 / (total - 50)")), total) is None  # 50 is in the range only
    assert _curve_by_value(_test_curve(("[0, 100]", "total / 100")), Q(vals[:1000], 100)) is None
    assert _curve_by_value(_test_curve(("[0, 100]", "total / 100")), Q(vals * 10, 1000)) is None


@pytest.mark.parametrize("mode", ["half_up", "down"])
def test_premium_in_int64_equals_the_exact_q_arithmetic(mode):
    """theoretical × factor × coefficient rounded to the cent in one int64 product and division
    gives what the exact Q product and to_units give, at the rows of the role only; columns whose
    bounds do not prove int64 (or with a negative factor) are left to the Q path."""
    from smvp_engine.payout import _premium_in_int64

    rng = np.random.default_rng(11)
    n = 100_000
    theo = rng.integers(0, 500_000, n)
    f = Q(rng.integers(0, 10_001, n), 10_000)
    c = Q(rng.integers(0, 250_000_001, n), 250_000_000)
    sel = rng.random(n) < 0.9
    premium = np.full(n, -7, dtype=np.int64)
    assert _premium_in_int64(premium, sel, theo, f, c, mode)
    want = (Q(theo, 1) * f * c).to_units(1, mode)
    assert np.array_equal(premium[sel], want[sel]) and (premium[~sel] == -7).all()
    halves = Q(np.array([1, 3, 5, 7]), 2)  # exact half cents: up, or down
    out = np.zeros(4, dtype=np.int64)
    assert _premium_in_int64(out, np.ones(4, dtype=bool), np.ones(4, dtype=np.int64), halves, Q(np.ones(4, dtype=np.int64), 1), mode)
    assert out.tolist() == ([1, 2, 3, 4] if mode == "half_up" else [0, 1, 2, 3])
    assert not _premium_in_int64(premium, sel, theo * 10**9, f, c, mode)  # beyond int64: the Q path
    other = np.where(sel, theo, 10**12)  # other rows' amounts (another fund) do not count
    again = np.full(n, -7, dtype=np.int64)
    assert _premium_in_int64(again, sel, other, f, c, mode)
    assert np.array_equal(again[sel], want[sel]) and (again[~sel] == -7).all()
    assert not _premium_in_int64(premium, sel, theo, Q(-f.num, 10_000), c, mode)


@pytest.mark.parametrize("offices", [None, 7])
def test_unit_achievement_by_code_equals_the_lookup_by_id(profile, offices):
    """The individual stage reads the units' achievement from the organisational stage's arrays
    by unit code (``Organisational.unit_codes``); by unit id through the dict it gives the same."""
    import dataclasses

    from smvp_engine.individual import individual
    from smvp_engine.organisational import organisational

    ds = bench.build_dataset(bench.generate(3000, offices=offices))
    rules = profile.for_year(bench.YEAR)
    org = organisational(rules, ds)
    assert org.unit_codes is not None and org.unit_codes[1]  # the by-code path is the one taken
    by_code, by_id = individual(rules, ds, org), individual(rules, ds, dataclasses.replace(org, unit_codes=None))
    assert np.array_equal(by_code.results, by_id.results) and np.array_equal(by_code.total, by_id.total)
    assert by_code.components.keys() == by_id.components.keys()
    for key in by_code.components:  # each component's points and its objectives' achievement, row by row
        assert np.array_equal(by_code.components[key], by_id.components[key]), key
        assert np.array_equal(by_code.component_achievement[key], by_id.component_achievement[key]), key
    assert (by_code.results > 0).any()


@pytest.mark.parametrize("size", [300, 3000])  # the fund of most of the staff: whole columns either way
def test_a_blank_theoretical_premium_without_category_is_named(profile, size):
    s = bench.generate(size)
    need = np.flatnonzero(s.theo_missing & (s.category >= 0))
    rows = need[[0, len(need) // 2, -1]]  # first, middle and last of the rows taking the category's amount
    s.category[rows] = -1
    with pytest.raises(DatasetErrors) as e:
        _evaluate(profile, s)
    named = [x for x in e.value.errors if "no theoretical premium" in x.message]
    assert [x.line for x in named] == [int(r) + 2 for r in rows]  # the staff table's rows (header: line 1)
    base = _evaluate(profile, bench.generate(size))  # and without blanks: every amount from its category
    s2 = bench.generate(size)
    assert np.array_equal(base.payout.theoretical[s2.theo_missing & (s2.category >= 0)],
                          s2.cat_amount[s2.category[s2.theo_missing & (s2.category >= 0)]])


def test_the_achievement_of_a_role_of_many_rows_is_its_units(profile):
    """The dipendenti (most of the staff) get their components' achievement as a value per unit
    and a unit per row (no row numbers made): each row reads its unit's ancestor at the
    component's level, the Ente's for the top level, and -1 on every other role's row."""
    from smvp_engine.individual import individual
    from smvp_engine.organisational import organisational

    s = bench.generate(3000)
    ds = bench.build_dataset(s)
    rules = profile.for_year(bench.YEAR)
    org = organisational(rules, ds)
    ind = individual(rules, ds, org)
    dip = s.role == bench.DIP
    for comp in rules.roles["dipendente"].components:
        key = f"dipendente.{comp.id}"
        assert ind.achievement_parts[key][0] is None  # the per-unit path is the one taken
        got = ind.component_achievement[key]
        assert (got[~dip] == -1).all()
        level = bench.LEVELS.index(comp.level)
        for i in np.flatnonzero(dip)[::37]:
            unit = int(s.unit[i])
            while s.unit_level[unit] != level:
                unit = int(s.unit_parent[unit])
            want = org.unit_achievement.get((comp.level, s.unit_ids[unit]), -1)
            assert got[i] == want, (key, i)


def test_take_by_value_is_the_table_at_the_offsets():
    from smvp_engine.columns import take_by_value

    rng = np.random.default_rng(5)
    for lo, span, n in ((0, 11, 50), (7, 11, 50), (7, 60, 50), (-5, 11, 50), (3_000, 10, 40), (1, 1, 1)):
        table = rng.integers(-9, 9, span).astype(np.int8)
        values = rng.integers(lo, lo + span, n).astype(np.int64)
        got = take_by_value(table, values, lo)
        assert got.dtype == table.dtype and np.array_equal(got, table[values - lo]), (lo, span, n)


def test_a_categoricals_order_is_looked_at_once_and_right():
    from smvp_engine.columns import Categorical

    cats = np.array([f"P{i}" for i in range(200_000)], dtype=object)
    in_order = Categorical(np.arange(len(cats)), cats)
    assert in_order.in_order() and in_order.in_order()
    late = np.arange(len(cats))
    late[-70_000], late[-69_999] = late[-69_999], late[-70_000]  # a swap past the first block
    assert not Categorical(late, cats).in_order()
    assert not Categorical(np.arange(len(cats) - 1), cats).in_order()  # a category never used
    rows = Categorical(np.array([3, 0, 3, -1]), cats)  # another table's ids in the same vocabulary
    assert index_of(rows, in_order).tolist() == [3, 0, 3, -1]
    assert index_of(rows, Categorical(late, cats)).tolist() == [3, 0, 3, -1]


def test_behaviour_rows_of_unknown_persons_are_left_out_of_the_sums(profile):
    """The individual stage on its own (the checks refuse such rows before it in a run): a
    behaviour row whose person is not in the staff (code -1) adds to nobody, the others' sums
    are unchanged, the last person's included."""
    from smvp_engine.individual import individual
    from smvp_engine.organisational import organisational

    s = bench.generate(500)
    rules = profile.for_year(bench.YEAR)
    ds = bench.build_dataset(s)
    base = individual(rules, ds, organisational(rules, ds))
    s.b_person = np.append(s.b_person, [-1, -1])  # two rows of nobody's, at the end
    s.b_factor = np.append(s.b_factor, [0, 1])
    s.b_score = np.append(s.b_score, [700, 900])
    ds2 = bench.build_dataset(s)
    got = individual(rules, ds2, organisational(rules, ds2))
    assert np.array_equal(got.behaviour, base.behaviour) and got.behaviour[-1] > 0
    assert len(got.behaviour) == 500
