"""Property tests: the engine against an independent exact reference, and invariants.

Random Cuneo populations (dipendenti, ufficio objectives attested at random
percentages) are evaluated by the engine and by a plain-Python Fraction
implementation of the Cuneo rules written from the document (SMVP 2024 §3.3
and the appendix sheets), not from the engine's code. Then invariants:
monotone payout, conserved totals, the maggiorazione quota never exceeded.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smvp_engine.dataset import dataset_from_columns
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
PROFILE = load_profile(ROOT / "chambers" / "cuneo.yaml")
FACTORS = {"problem_solving_autonomia": 20, "orientamento_utenza": 20,
           "cooperazione_team_working": 15, "esecuzione_compiti": 15}
CATEGORY_CENTS = {"B": 110000, "C": 130000, "D": 150000}


def half_up(x: Fraction) -> int:
    return int((2 * x.numerator + x.denominator) // (2 * x.denominator)) if x >= 0 else -half_up(-x)


person = st.fixed_dictionaries({
    "office": st.integers(0, 2),
    # half points; mostly a narrow high band so totals tie often (ties at the maggiorazione cut)
    "scores": st.one_of(st.tuples(*[st.integers(2 * m - 2, 2 * m) for m in FACTORS.values()]),
                        st.tuples(*[st.integers(0, 2 * m) for m in FACTORS.values()])),
    "part_time": st.sampled_from([1_000_000, 500_000, 750_000, 833_333]),
    "days": st.integers(0, 26_000),  # hundredths of a day
    "category": st.sampled_from(sorted(CATEGORY_CENTS)),
})
population = st.fixed_dictionaries({
    "people": st.lists(person, min_size=1, max_size=30),
    "ente": st.one_of(st.just(10_000), st.integers(0, 10_000)),  # attested percent in hundredths
    "offices": st.one_of(st.just((10_000, 10_000, 10_000)), st.tuples(*[st.integers(0, 10_000)] * 3)),
    "magg_cents": st.integers(0, 2_000_000),
})


def build(pop: dict):
    people = pop["people"]
    n = len(people)
    ids = [f"D{i:03d}" for i in range(n)]
    units = {"unit_id": ["CCIAA", "A1", "S1", "U0", "U1", "U2"],
             "label": ["Ente", "Area", "Servizio", "Ufficio 0", "Ufficio 1", "Ufficio 2"],
             "level": ["ente", "area", "servizio", "ufficio", "ufficio", "ufficio"],
             "parent_id": [None, "CCIAA", "A1", "S1", "S1", "S1"]}
    pct = lambda h: Decimal(h) / 100  # noqa: E731
    objectives = {"objective_id": ["E", "S", "O0", "O1", "O2"], "label": ["e", "s", "o0", "o1", "o2"],
                  "level": ["ente", "servizio", "ufficio", "ufficio", "ufficio"],
                  "unit_id": ["CCIAA", "S1", "U0", "U1", "U2"],
                  "attested_percent": [pct(pop["ente"]), Decimal(100)] + [pct(h) for h in pop["offices"]]}
    staff = {"person_id": ids, "name": ids, "role": ["dipendente"] * n,
             "unit_id": [f"U{p['office']}" for p in people],
             "part_time": [p["part_time"] for p in people], "presence_days": [p["days"] for p in people],
             "category": [p["category"] for p in people]}
    beh = {"person_id": [], "factor": [], "score": []}
    for pid, p in zip(ids, people):
        for f, s in zip(FACTORS, p["scores"]):
            beh["person_id"].append(pid)
            beh["factor"].append(f)
            beh["score"].append(s * 50)  # half points → centipoints
    cats = {"category": list(CATEGORY_CENTS), "theoretical_premium": list(CATEGORY_CENTS.values())}
    resources = {"resource": ["produttivita", "maggiorazione"], "amount": [n * 150_000, pop["magg_cents"]]}
    return dataset_from_columns({"units": units, "objectives": objectives,
                                 "indicators": {"indicator_id": [], "objective_id": [], "target": [], "actual": []},
                                 "staff": staff, "behaviours": beh, "categories": cats, "resources": resources})


def reference(pop: dict, year: int) -> list[dict]:
    """The Cuneo dipendenti rules, from the document, in Fractions."""
    out = []
    for p in pop["people"]:
        ente = Fraction(half_up(Fraction(5 * pop["ente"], 10_000) * 100), 100)  # 5 × achievement, 2 dp
        office = Fraction(half_up(Fraction(25 * pop["offices"][p["office"]], 10_000) * 100), 100)
        behaviour = Fraction(sum(p["scores"]), 2)
        total = ente + office + behaviour
        factor = Fraction(0) if total <= 60 else (total / 100 if total <= 90 else Fraction(1))
        coef = min(Fraction(1), Fraction(p["days"], 100) * Fraction(p["part_time"], 1_000_000) / 250)
        premium = half_up(CATEGORY_CENTS[p["category"]] * factor * coef)
        out.append({"total": total, "premium": premium, "negative": behaviour < 15, "magg": 0})
    if year >= 2023:
        eligible = [r for r in out if r["total"] > 60]
        quota = len(eligible) * 40 // 100
        ranked = sorted(eligible, key=lambda r: -r["total"])
        if 0 < quota < len(ranked) and ranked[quota]["total"] == ranked[quota - 1]["total"]:
            winners = [r for r in ranked if r["total"] > ranked[quota - 1]["total"]]
        else:
            winners = ranked[:quota]
        if winners:
            mean = Fraction(sum(r["premium"] for r in eligible), len(eligible))
            amount = half_up(Fraction(2, 5) * mean)
            if amount * len(winners) > pop["magg_cents"]:
                amount = pop["magg_cents"] // len(winners)
            for r in winners:
                r["magg"] = amount
    return out


_P = {"office": 0, "scores": (40, 40, 30, 30), "part_time": 1_000_000, "days": 25_000, "category": "C"}
_Q = dict(_P, scores=(39, 40, 30, 30))
# five eligible, quota floor(40% × 5) = 2, three tied at the top: the tie straddles the cut
TIE_AT_CUT = {"people": [_P, _P, _P, _Q, _Q], "ente": 10_000, "offices": (10_000,) * 3, "magg_cents": 10**6}

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(population, st.sampled_from([2022, 2024]))
@example(TIE_AT_CUT, 2024)
def test_engine_matches_exact_reference(pop, year):
    ev = evaluate(PROFILE, build(pop), year=year)
    ind, pay = ev.individual, ev.payout
    for i, ref in enumerate(reference(pop, year)):
        assert Fraction(int(ind.total[i]), 100) == ref["total"]
        assert int(pay.premium[i]) == ref["premium"], (i, ref)
        assert int(pay.maggiorazione[i]) == ref["magg"], (i, ref)
        assert bool(ind.negative[i]) == ref["negative"]


@SETTINGS
@given(population)
def test_totals_are_conserved_and_quota_respected(pop):
    ev = evaluate(PROFILE, build(pop), year=2024)
    pay = ev.payout
    for f in pay.funds:
        assert f["distributed"] + f["economies"] == f["resources"]
        assert 0 <= f["distributed"] <= f["resources"]
    prod = next(f for f in pay.funds if f["fund"] == "produttivita")
    assert prod["distributed"] == int(pay.premium.sum())
    assert (pay.premium <= pay.theoretical).all()
    info = pay.maggiorazione_info[0]
    assert info["recipients"] <= info["quota"] <= info["eligible"]
    magg = next(f for f in pay.funds if f["fund"] == "art81")
    assert magg["distributed"] == int(pay.maggiorazione.sum())


@SETTINGS
@given(population, st.integers(0, 29), st.integers(0, 3))
def test_payout_is_monotone_in_the_score(pop, who, factor):
    """Raising one behaviour score by half a point never lowers that person's premium."""
    who %= len(pop["people"])
    p = pop["people"][who]
    mx = 2 * list(FACTORS.values())[factor]
    if p["scores"][factor] >= mx:
        return
    before = evaluate(PROFILE, build(pop), year=2022).payout.premium[who]
    scores = list(p["scores"])
    scores[factor] += 1
    higher = dict(pop, people=[dict(q, scores=tuple(scores)) if i == who else q for i, q in enumerate(pop["people"])])
    after = evaluate(PROFILE, build(higher), year=2022).payout.premium[who]
    assert after >= before
