"""The integer-column path of the organisational stage gives what the Fraction path gives.

``engine.organisational._organisational_columns`` (Decimal columns as int64 numerators over
one power of ten, grouped sums) against ``_organisational_exact`` (one indicator and objective
at a time with Fractions) on random small datasets: every indicator, objective, unit and the
Ente, the measured values of ``performance()``; and when the column path declines (bands,
links, errors, numbers that do not fit), :func:`organisational` is the Fraction path, errors
and all.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from benchmarks import bench_cuneo as bench
from smvp_engine.columns import Categorical, Decimals, decimals
from smvp_engine.dataset import Dataset, Table
from smvp_engine.errors import DatasetErrors
from smvp_engine.organisational import (
    _organisational_columns,
    _organisational_exact,
    organisational,
    performance,
)
from smvp_engine.profile import load_profile
from smvp_engine.profile_model import EnteRule

ROOT = Path(__file__).resolve().parents[1]
CUNEO = load_profile(ROOT / "chambers" / "cuneo.yaml").for_year(2024)
UNITS = {"unit_id": ["CCIAA", "A1", "A2", "S1", "U1", "U2", "U3"],
         "label": ["Ente", "A1", "A2", "S1", "U1", "U2", "U3"],
         "level": ["ente", "area", "area", "servizio", "ufficio", "ufficio", "ufficio"],
         "parent_id": [None, "CCIAA", "CCIAA", "A1", "S1", "S1", "S1"]}
LEVELS = ["ente", "area", "servizio", "ufficio", "individuale"]


def _obj(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _table(name: str, cols: dict) -> Table:
    n = len(next(iter(cols.values())))
    return Table(name, f"<test>[{name}]", {k: _obj(v) for k, v in cols.items()}, {},
                 np.arange(2, n + 2, dtype=np.int64))


def _dataset(objectives: list[dict], indicators: list[dict]) -> Dataset:
    o_cols = ("objective_id", "label", "level", "unit_id", "person_id", "weight", "type", "attested_percent",
              "attestation_note")
    i_cols = ("indicator_id", "objective_id", "label", "target", "actual", "weight", "direction")
    tables = {"units": _table("units", UNITS),
              "objectives": _table("objectives", {c: [o[c] for o in objectives] for c in o_cols}),
              "indicators": _table("indicators", {c: [i[c] for i in indicators] for c in i_cols}),
              "meta": _table("meta", {"key": [], "value": []})}
    return Dataset(path="<test>", tables=tables, sha256="test", year=2024)


# ordinary numbers, and now and then one the column path must decline or treat with care
# (many decimals, 0, negative, huge, an int, a non-decimal Fraction, blank)
ordinary = st.one_of(st.integers(0, 20_000).map(lambda k: Decimal(k).scaleb(-1)),
                     st.integers(0, 10**6).map(lambda k: Decimal(k).scaleb(-4)))
positive = st.one_of(st.integers(1, 20_000).map(lambda k: Decimal(k).scaleb(-1)),
                     st.integers(1, 10**6).map(lambda k: Decimal(k).scaleb(-4)))
odd = st.sampled_from([Decimal(0), Decimal("0.00"), Decimal("-1.5"), Decimal("1E+25"), Decimal("1E-30"),
                       Decimal("0.333333333333333333333"), 7, Fraction(1, 3), None])
weight = st.integers(0, 19).flatmap(  # now and then 0
    lambda k: st.just(Decimal(0)) if k == 0 else st.sampled_from([Decimal(1), Decimal(2), Decimal("0.5"),
                                                                   Decimal("1.25"), Decimal("0.001")]))
odd_weight = st.sampled_from([Decimal(0), Decimal(10**17), Decimal(-1), 3, None])
attested = st.one_of(st.none(), st.none(), st.integers(0, 12_000).map(lambda k: Decimal(k).scaleb(-2)),
                     st.sampled_from([Decimal(100), Decimal("59.995"), Decimal(60), Decimal(80)]))
odd_attested = st.sampled_from([Decimal(-5), Decimal("1E+40"), Decimal("0.1234567890123456789012"), Fraction(1, 3)])


def _odd(draw, usual, unusual, clean: bool):
    return draw(unusual) if not clean and draw(st.integers(0, 9)) == 0 else draw(usual)


@st.composite
def cases(draw):
    """(objectives, indicators): mostly valid data (every objective attested or with indicators),
    sometimes with odd numbers, objectives without indicators and indicators of unknown objectives."""
    clean = draw(st.booleans())
    objs, inds = [], []
    for k in range(draw(st.integers(0, 10))):
        o = {"level": draw(st.sampled_from(LEVELS)), "unit": draw(st.sampled_from(UNITS["unit_id"] + [None, "ZZ"])),
             "weight": _odd(draw, weight, odd_weight, clean), "type": draw(st.sampled_from(["strategico", "op", None])),
             "attested": _odd(draw, attested, odd_attested, clean)}
        objs.append(o)
        least = 1 if o["attested"] is None and (clean or draw(st.integers(0, 9))) else 0
        for _ in range(draw(st.integers(least, 3))):
            inds.append({"objective": k, "target": _odd(draw, positive, odd, clean),
                         "actual": _odd(draw, ordinary, odd, clean),
                         "weight": _odd(draw, weight, odd_weight, clean),
                         "direction": draw(st.sampled_from(["higher", "higher", "lower", None]))})
    if not clean and draw(st.booleans()):
        inds.insert(draw(st.integers(0, len(inds))), {"objective": 99, "target": Decimal(1), "actual": Decimal(1),
                                                      "weight": Decimal(1), "direction": None})
    order = draw(st.permutations(range(len(inds))))  # indicators in any order
    return objs, [inds[k] for k in order]


rules_of = st.fixed_dictionaries({
    "cap": st.sampled_from([Fraction(100), Fraction(100), None, Fraction(241, 2), Fraction(0)]),
    "decimals": st.sampled_from([2, 2, 0, 1, 3]),
    "rounding": st.sampled_from(["half_up", "down"]),
    "ente": st.booleans(),
})


def _rules(r: dict):
    ente = EnteRule("Ente", "weighted_by_area", "strategico", (), "half_up", None) if r["ente"] else None
    return dataclasses.replace(CUNEO, achievement_cap=r["cap"], achievement_decimals=r["decimals"],
                               points_rounding=r["rounding"], ente=ente, attestation=None)


def _build(objs: list[dict], inds: list[dict]) -> Dataset:
    objectives = [{"objective_id": f"O{k}", "label": f"o{k}", "level": o["level"], "unit_id": o["unit"],
                   "person_id": "P1" if o["level"] == "individuale" else None, "weight": o["weight"],
                   "type": o["type"], "attested_percent": o["attested"],
                   "attestation_note": None} for k, o in enumerate(objs)]
    indicators = [{"indicator_id": f"I{k}", "objective_id": f"O{i['objective']}", "label": None,
                   "target": i["target"], "actual": i["actual"], "weight": i["weight"],
                   "direction": i["direction"]} for k, i in enumerate(inds)]
    return _dataset(objectives, indicators)


def _outcome(fn, rules, ds):
    try:
        return fn(rules, ds)
    except (DatasetErrors, TypeError, ZeroDivisionError) as e:
        return type(e), str(e)  # every message with its file, row and field, in order


def _same(a, b) -> None:
    for f in ("scale", "objectives", "unit_achievement", "indicators", "units"):
        assert getattr(a, f) == getattr(b, f), f
    assert list(a.objectives) == list(b.objectives)  # table order


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), r=rules_of)
def test_column_path_is_the_fraction_path(case, r):
    rules, ds = _rules(r), _build(*case)
    exact = _outcome(_organisational_exact, rules, ds)
    fast = _organisational_columns(rules, ds)
    event("column path" if fast is not None else "declined: " + ("error" if isinstance(exact, tuple) else "no error"))
    if fast is None:  # declined: organisational() is the Fraction path, errors and all
        if isinstance(exact, tuple):
            assert _outcome(organisational, rules, ds) == exact
        return
    assert not isinstance(exact, tuple), exact  # the column path never hides an error
    _same(fast, exact)
    assert performance(rules, ds, fast).measured == performance(rules, ds, exact).measured


def test_column_path_is_taken_on_ordinary_data():
    """The ordinary case (decimal targets, weights, a cap, some attested objectives) takes the
    column path and agrees with the Fraction path; the benchmark's synthetic Chamber too."""
    objs = [{"level": lv, "unit": u, "weight": Decimal(w), "type": t, "attested": a}
            for lv, u, w, t, a in [("ente", None, 2, "strategico", None), ("area", "A1", 1, "strategico", None),
                                   ("ufficio", "U1", 1, None, Decimal("59.995")), ("ufficio", "U1", 3, None, None),
                                   ("individuale", None, 1, None, Decimal(80))]]
    inds = [{"objective": k % 4, "target": Decimal(t), "actual": Decimal(a), "weight": Decimal(w), "direction": d}
            for k, (t, a, w, d) in enumerate([("12.5", "10", 1, "higher"), ("3", "0", 2, "lower"),
                                              ("7", "9.1", 1, "higher"), ("100", "99.99", "0.5", "lower"),
                                              ("0.3", "0.2999", 1, "higher"), ("4", "6", 1, "lower")])]
    for r in ({"cap": Fraction(100), "decimals": 2, "rounding": "half_up", "ente": False},
              {"cap": Fraction(241, 2), "decimals": 3, "rounding": "down", "ente": True}):
        rules, ds = _rules(r), _build(objs, inds)
        fast = _organisational_columns(rules, ds)
        assert fast is not None
        _same(fast, _organisational_exact(rules, ds))
    s = bench.generate(3000, offices=90)
    ds = bench.build_dataset(s)
    fast = _organisational_columns(CUNEO, ds)
    assert fast is not None and len(fast.indicators) == len(s.i_obj)
    _same(fast, _organisational_exact(CUNEO, ds))


@pytest.mark.parametrize("profile", ["cremona", "brescia"])
def test_bands_and_links_take_the_fraction_path(profile):
    prof = load_profile(ROOT / "chambers" / f"{profile}.yaml")
    years = [prof.for_year(y) for y in range(prof.valid_from, (prof.valid_until or 2030) + 1)]
    rules = next(r for r in years if r.achievement_bands or r.links is not None)
    objs = [{"level": "ente", "unit": None, "weight": Decimal(1), "type": None, "attested": None}]
    inds = [{"objective": 0, "target": Decimal(10), "actual": Decimal(6), "weight": Decimal(1), "direction": "higher"}]
    assert _organisational_columns(rules, _build(objs, inds)) is None


_HELD = {"objectives": ("weight", "attested_percent"), "indicators": ("target", "actual", "weight")}


def _holding(ds: Dataset) -> Dataset:
    """``ds`` as the loader types it: the decimal columns as ``columns.Decimals`` (the values and
    their int64 numerators, where the values allow it), the ids, levels and units as
    ``Categorical`` (the indicators' objective ids in the objectives' categories when they are
    all known, as the loader shares them)."""
    tables = dict(ds.tables)
    coded = {"objectives": ("objective_id", "level", "unit_id"), "indicators": ("indicator_id", "objective_id")}
    for name, cols in _HELD.items():
        t = tables[name]
        columns = {**t.columns, **{c: decimals(t.columns[c]) for c in cols}}
        for c in coded[name]:
            columns[c] = Categorical.from_values(t.columns[c].tolist())
        tables[name] = Table(t.name, t.file, columns, t.missing, t.rows)
    o_ids = tables["objectives"]["objective_id"]
    at = {v: k for k, v in enumerate(o_ids.categories.tolist())}
    refs = tables["indicators"]["objective_id"].tolist()
    if all(v in at for v in refs):
        t = tables["indicators"]
        shared = Categorical(np.array([at[v] for v in refs], dtype=np.int64), o_ids.categories)
        tables["indicators"] = Table(t.name, t.file, {**t.columns, "objective_id": shared}, t.missing, t.rows)
    return Dataset(path=ds.path, tables=tables, sha256=ds.sha256, year=ds.year)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), r=rules_of)
def test_numerators_held_by_the_columns_give_the_same_result(case, r):
    """Decimal columns holding their numerators (as loaded) give what the values give: the same
    result by the column path, the same decline, the same errors."""
    rules, plain = _rules(r), _build(*case)
    held = _holding(plain)
    event("held: " + ", ".join(f"{t}.{c}" for t, cs in _HELD.items() for c in cs
                               if isinstance(held.table(t)[c], Decimals)))
    a, b = _organisational_columns(rules, plain), _organisational_columns(rules, held)
    assert (a is None) == (b is None)
    if a is not None:
        # some levels' objectives (what the individual stage reads), by text and by level code,
        # before the whole mapping is built; then the mapping itself
        for levels in ({"individuale"}, {"ente", "individuale"}, {"servizio", "ufficio"}):
            want = [o for o in _organisational_exact(rules, plain).objectives.values() if o.level in levels]
            assert a.objectives.of_levels(levels) == want
            assert b.objectives.of_levels(levels) == want
        _same(a, b)
        assert performance(rules, plain, a).measured == performance(rules, held, b).measured
    else:  # both declined: the Fraction path, errors and all
        assert _outcome(organisational, rules, held) == _outcome(organisational, rules, plain)


def test_decimals_hold_the_values_numerators():
    """``columns.decimals``: numerators over 10**digits equal to the values, blanks marked; a value
    that is not an exact number of at most 18 decimals under 2**62 leaves the column as it is;
    a slice or a result is a plain array (no numerators that would not match it)."""
    col = _obj([Decimal("1.5"), None, 3, Decimal("0.25"), Decimal("-0"), Decimal("1E+2")])
    d = decimals(col)
    assert isinstance(d, Decimals) and d.digits == 2
    assert [Fraction(int(x), 10 ** d.digits) for x in d.numerators] == [Fraction(3, 2), 0, 3, Fraction(1, 4), 0, 100]
    assert d.blank.tolist() == [False, True, False, False, False, False]
    assert d.tolist() == col.tolist() and d[0] == Decimal("1.5")
    assert getattr(d[1:], "numerators", None) is None and type(d == None) is np.ndarray  # noqa: E711
    for bad in (1.5, Fraction(1, 3), Decimal("NaN"), Decimal("1E-19"), Decimal(2 ** 62), "2", True):
        assert not isinstance(decimals(_obj([Decimal(1), bad])), Decimals), bad
    import pickle

    assert type(pickle.loads(pickle.dumps(d))) is np.ndarray


def test_loaded_objectives_and_indicators_hold_their_numerators():
    """The loader types the objectives' and indicators' decimal columns as ``Decimals`` whose
    numerators are the values (so the organisational stage converts no Decimal), and their ids,
    levels and units as ``Categorical`` (the indicators' objective ids in the objectives' codes;
    the units' parents and the objectives' and staff's units in the units' codes)."""
    from smvp_engine.dataset import dataset_from_columns, load_dataset

    s = bench.generate(400, offices=12)
    ds = dataset_from_columns(bench.plain_tables(s))
    for name, cols in _HELD.items():
        for c in cols:
            col = ds.table(name)[c]
            assert isinstance(col, Decimals), (name, c)
            blank = col.blank if col.blank is not None else np.zeros(len(col), dtype=bool)
            assert [None if b else Fraction(int(x), 10 ** col.digits) for x, b in zip(col.numerators, blank)] == \
                   [None if v is None else Fraction(v) for v in col.tolist()]
    loaded = load_dataset(ROOT / "chambers" / "data" / "cuneo" / "2024")
    objs, inds = loaded.table("objectives"), loaded.table("indicators")
    for col in (objs["objective_id"], objs["level"], objs["unit_id"], inds["indicator_id"], inds["objective_id"]):
        assert isinstance(col, Categorical)
    assert inds["objective_id"].categories is objs["objective_id"].categories  # mapped by code
    units = loaded.table("units")
    for col in (units["unit_id"], units["level"], units["parent_id"]):
        assert isinstance(col, Categorical)
    for col in (units["parent_id"], objs["unit_id"], loaded.table("staff")["unit_id"]):
        assert col.categories is units["unit_id"].categories  # one vocabulary of unit ids
    fast = _organisational_columns(CUNEO, loaded)
    assert fast is not None
    _same(fast, _organisational_exact(CUNEO, loaded))
    for name, cols in _HELD.items():
        for c in cols:
            col = loaded.table(name)[c]
            assert isinstance(col, Decimals), (name, c)
            blank = col.blank if col.blank is not None else np.zeros(len(col), dtype=bool)
            assert [None if b else Fraction(int(x), 10 ** col.digits) for x, b in zip(col.numerators, blank)] == \
                   [None if v is None else Fraction(v) for v in col.tolist()]
