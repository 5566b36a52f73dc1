"""Golden cases of organisational performance: Cremona and Lucca, hand-computed.

Every folder ``tests/golden/<chamber>/<case>/`` holding an ``expected.yaml`` is a
dataset (docs/design.md, "Dataset format") evaluated with ``chambers/<chamber>.yaml``.
A case says ``collector: organisational`` in its expected.yaml (other chambers' golden
folders may hold cases of other collectors). The expected file writes the arithmetic
beside each number and is checked field by field against the engine's views:

* ``indicators.<id>.{measured, achievement, status}`` against ``ev.indicators()``;
* ``objectives.<id>.{measured, achievement, status, attested}`` against ``ev.objectives()``;
* ``units.<level>/<unit_id>.{objectives, achievement, status}`` against ``ev.units()``;
* ``statuses`` against ``ev.summary()["statuses"]``; ``people``/``scored`` against
  ``ev.rows()`` (unscorable roles: every score blank); ``not_computed`` as substrings
  of ``ev.summary()["not_computed"]``;
* ``refused``: the evaluation must raise, with each text in the message.

``tests/golden/<chamber>/terms.yaml`` holds hand-checked conciliation and cycle
calendars (dates written with their weekday; the test checks both).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from smvp_engine.dataset import load_dataset
from smvp_engine.deadlines import calendar_from_profile, conciliation_schedule, cycle_schedule
from smvp_engine.errors import SmvpError, SmvpErrors
from smvp_engine.intervals import Interval
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
CHAMBERS = ("cremona", "lucca")  # profiles whose source leaves individual scoring undefined
# every chamber's golden organisational cases: expected.yaml saying `collector: organisational`
GOLDEN_CHAMBERS = tuple(sorted(p.name for p in GOLDEN.iterdir()
                               if p.is_dir() and (REPO / "chambers" / f"{p.name}.yaml").is_file()))
CASES = [(c, p.name) for c in GOLDEN_CHAMBERS for p in sorted((GOLDEN / c).iterdir())
         if (p / "expected.yaml").is_file()
         and (yaml.safe_load((p / "expected.yaml").read_text(encoding="utf-8")) or {}).get("collector") == "organisational"]
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")

_PROFILES: dict[str, Any] = {}
_EVALUATIONS: dict[tuple[str, str], Any] = {}


def _profile(chamber: str):
    if chamber not in _PROFILES:
        _PROFILES[chamber] = load_profile(REPO / "chambers" / f"{chamber}.yaml")
    return _PROFILES[chamber]


def _expected(chamber: str, case: str) -> dict[str, Any]:
    return yaml.safe_load((GOLDEN / chamber / case / "expected.yaml").read_text(encoding="utf-8"))


def _evaluate(chamber: str, case: str):
    key = (chamber, case)
    if key not in _EVALUATIONS:
        ds = load_dataset(GOLDEN / chamber / case)
        _EVALUATIONS[key] = evaluate(_profile(chamber), ds, year=_expected(chamber, case)["year"])
    return _EVALUATIONS[key]


def _num(want: Any, got: Any, where: str) -> list[str]:
    if want is None:
        return [] if got is None else [f"{where}: expected none, got {got}"]
    if not isinstance(got, Decimal) or Decimal(str(want)) != got:
        return [f"{where}: expected {want}, got {got!r}"]
    return []


def _compare(kind: str, expected: dict, got: dict[str, dict]) -> list[str]:
    problems = []
    missing = sorted(set(expected) - set(got))
    if missing:
        problems.append(f"{kind} missing from the engine's results: {missing}")
    extra = sorted(set(got) - set(expected))
    if extra:
        problems.append(f"{kind} not in expected.yaml: {extra}")
    for key, fields in expected.items():
        if key not in got:
            continue
        for field, want in fields.items():
            where = f"{kind} {key} {field}"
            have = got[key].get(field)
            if field in ("measured", "achievement"):
                problems += _num(want, have, where)
            elif have != want:
                problems.append(f"{where}: expected {want!r}, got {have!r}")
    return problems


ORG_CASES = [(c, n) for c, n in CASES if "refused" not in _expected(c, n)]
REFUSED_CASES = [(c, n) for c, n in CASES if "refused" in _expected(c, n)]


@pytest.mark.parametrize("chamber,case", ORG_CASES, ids=[f"{c}/{n}" for c, n in ORG_CASES])
def test_indicators_and_objectives(chamber: str, case: str) -> None:
    exp, ev = _expected(chamber, case), _evaluate(chamber, case)
    problems = _compare("indicator", exp["indicators"], {r["indicator_id"]: r for r in ev.indicators()})
    problems += _compare("objective", exp["objectives"], {r["objective_id"]: r for r in ev.objectives()})
    assert not problems, f"{chamber}/{case}: {len(problems)} mismatch(es):\n" + "\n".join(problems)


@pytest.mark.parametrize("chamber,case", ORG_CASES, ids=[f"{c}/{n}" for c, n in ORG_CASES])
def test_units_and_ente(chamber: str, case: str) -> None:
    exp, ev = _expected(chamber, case), _evaluate(chamber, case)
    units = {f"{u['level']}/{u['unit_id']}": u for u in ev.units()}
    problems = _compare("unit", exp["units"], units)
    summary = ev.summary()
    if "statuses" in exp:
        if summary.get("statuses") != exp["statuses"]:
            problems.append(f"statuses: expected {exp['statuses']}, got {summary.get('statuses')}")
    else:
        assert "statuses" not in summary, "a profile without bands reports no statuses"
    listed = [(u["level"], u["unit_id"], u["achievement"]) for u in summary["organisational"]]
    assert listed == [(u["level"], u["unit_id"], u["achievement"]) for u in ev.units()]
    assert not problems, f"{chamber}/{case}: {len(problems)} mismatch(es):\n" + "\n".join(problems)


@pytest.mark.parametrize("chamber,case", ORG_CASES, ids=[f"{c}/{n}" for c, n in ORG_CASES])
def test_people_blank_and_not_computed_stated(chamber: str, case: str) -> None:
    """A person listed with only a role belongs to a role that is not scorable: blank row."""
    exp, ev = _expected(chamber, case), _evaluate(chamber, case)
    if "people" not in exp:
        pytest.skip("no people in this case")
    rows = {r["person_id"]: r for r in ev.rows()}
    assert set(rows) == set(exp["people"])
    for pid, fields in exp["people"].items():
        row = rows[pid]
        assert row["role"] == fields["role"], pid
        for key in ("results", "behaviour", "total", "judgement", "negative", "premium", "paid"):
            assert row[key] is None, f"{pid}: {key} should be blank, got {row[key]!r}"
    summary = ev.summary()
    assert summary["scored"] == exp["scored"]
    if exp["scored"] == 0:
        assert ev.funds() == []
    text = "\n".join(map(str, summary["not_computed"]))
    for want in exp["not_computed"]:
        assert want in text, f"{chamber}/{case}: not_computed does not say {want!r}:\n{text}"


@pytest.mark.parametrize("chamber,case", REFUSED_CASES, ids=[f"{c}/{n}" for c, n in REFUSED_CASES])
def test_year_outside_validity_is_refused(chamber: str, case: str) -> None:
    exp = _expected(chamber, case)
    ds = load_dataset(GOLDEN / chamber / case)
    with pytest.raises((SmvpError, SmvpErrors)) as info:
        evaluate(_profile(chamber), ds, year=exp["year"])
    message = str(info.value)
    for want in exp["refused"]:
        assert want in message, f"{chamber}/{case}: the refusal does not say {want!r}:\n{message}"
    assert "chamber.validity" in message and f"{chamber}.yaml:" in message  # file:line:column and the field


# ----------------------------------------------------------------- self-consistency (no engine)

def _bands(chamber: str) -> list[tuple[Interval, str, Any]]:
    data = yaml.safe_load((REPO / "chambers" / f"{chamber}.yaml").read_text(encoding="utf-8"))
    return [(Interval.parse(b["interval"]), b["id"], b["counts_as"])
            for b in data["organisational"]["achievement"].get("bands") or []]


@pytest.mark.parametrize("chamber,case", ORG_CASES, ids=[f"{c}/{n}" for c, n in ORG_CASES])
def test_expected_files_are_consistent(chamber: str, case: str) -> None:
    """Each expected status is the band of the expected measured value, and what it counts
    agrees with the band; unit achievements are the weighted means of the objectives
    (weights from objectives.csv). Runs on the YAML and CSV only."""
    import csv

    exp = _expected(chamber, case)
    bands = _bands(chamber)
    problems = []
    for kind in ("indicators", "objectives"):
        for key, f in exp[kind].items():
            measured = f.get("measured", f["achievement"])
            if not bands:
                if f["status"] is not None:
                    problems.append(f"{kind} {key}: a status without bands")
                continue
            if measured is None:
                band = next(b for b in bands if b[0].hi is None)
            else:
                band = next(b for b in bands if b[0].contains(Fraction(Decimal(measured))))
            if band[1] != f["status"]:
                problems.append(f"{kind} {key}: {measured} is in band {band[1]}, not {f['status']}")
            counts = Decimal(measured) if band[2] == "ratio" else Decimal(band[2])
            if counts != Decimal(f["achievement"]):
                problems.append(f"{kind} {key}: band {band[1]} counts {counts}, not {f['achievement']}")
    with open(GOLDEN / chamber / case / "objectives.csv", encoding="utf-8", newline="") as fh:
        objs = list(csv.DictReader(fh))
    top = next(iter(yaml.safe_load((REPO / "chambers" / f"{chamber}.yaml").read_text(encoding="utf-8"))
                    ["organisational"]["levels"]))
    for key, f in exp["units"].items():
        level, unit = key.split("/")
        mine = [o for o in objs if o["level"] == level and (level == top or o["unit_id"] == unit)]
        w = sum(Decimal(o["weight"] or 1) for o in mine)
        mean = sum(Decimal(o["weight"] or 1) * Decimal(exp["objectives"][o["objective_id"]]["achievement"])
                   for o in mine) / w
        if mean.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") != Decimal(f["achievement"]):
            problems.append(f"unit {key}: weighted mean {mean} is not {f['achievement']}")
        if len(mine) != f["objectives"]:
            problems.append(f"unit {key}: {len(mine)} objectives, not {f['objectives']}")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------- terms (conciliation, cycle)

def _day(text: str | None) -> date | None:
    """``"2023-11-14 martedì"`` → the date, checking the weekday written beside it."""
    if text is None:
        return None
    iso, weekday = text.split()
    d = date.fromisoformat(iso)
    assert WEEKDAYS[d.weekday()] == weekday, f"{iso} is a {WEEKDAYS[d.weekday()]}, not a {weekday}"
    return d


def _check_steps(rows, expected: dict, where: str) -> list[str]:
    by_step = {r.step: r for r in rows}
    problems = []
    for sid, f in expected.items():
        r = by_step[sid]
        if r.status != f["status"]:
            problems.append(f"{where} {sid}: status {r.status}, expected {f['status']} ({r.reason})")
        if r.due != _day(f.get("due")):
            problems.append(f"{where} {sid}: due {r.due}, expected {f.get('due')} ({r.reason})")
        if "nominal" in f and (r.deadline is None or r.deadline.nominal != _day(f["nominal"])):
            problems.append(f"{where} {sid}: nominal {r.deadline and r.deadline.nominal}, expected {f['nominal']}")
        if "days_late" in f and r.days_late != f["days_late"]:
            problems.append(f"{where} {sid}: {r.days_late} days late, expected {f['days_late']}")
    return problems


TERMS = [c for c in GOLDEN_CHAMBERS if (GOLDEN / c / "terms.yaml").is_file()]


@pytest.mark.parametrize("chamber", TERMS)
def test_terms(chamber: str) -> None:
    exp = yaml.safe_load((GOLDEN / chamber / "terms.yaml").read_text(encoding="utf-8"))
    profile = _profile(chamber)
    cal = calendar_from_profile(profile)
    problems = []
    for case in exp.get("conciliation") or []:
        events = {k: date.fromisoformat(v) for k, v in case["events"].items()}
        rows = conciliation_schedule(profile.data["conciliation"]["steps"], events, cal,
                                     project=case.get("project", False))
        problems += _check_steps(rows, case["steps"], f"conciliation «{case['name']}»")
    if "cycle" in exp:
        c = exp["cycle"]
        rows = cycle_schedule(profile.data["cycle"]["steps"], c["year"], cal, project=c.get("project", False))
        problems += _check_steps(rows, c["steps"], f"cycle {c['year']}")
        assert {r.step for r in rows} == set(c["steps"]), "every cycle step has an expected line"
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------- profiles and samples

@pytest.mark.parametrize("chamber", CHAMBERS)
def test_profile_is_incomplete_for_individual_scoring(chamber: str) -> None:
    """`smvp validate` passes with a warning that says what individual scoring lacks."""
    profile = _profile(chamber)
    text = "\n".join(profile.warnings)
    assert "incomplete for individual scoring" in text
    assert "the source does not define" in text
    rules = profile.for_year(profile.valid_from)
    assert rules.roles and not any(r.scorable for r in rules.roles.values())


@pytest.mark.parametrize("chamber", CHAMBERS)
def test_bundled_sample_evaluates(chamber: str) -> None:
    """`smvp evaluate --chamber <chamber>` finds a sample and the engine evaluates it."""
    from smvp.commands.evaluate import sample_years

    years = sample_years(chamber)
    assert years, f"no bundled sample for {chamber}"
    year = max(years)
    ev = evaluate(_profile(chamber), load_dataset(years[year]), year=year)
    assert ev.units() and ev.units()[0]["level"] == "ente"
    assert ev.summary()["scored"] == 0


def test_cremona_roles_and_factors() -> None:
    """Cap. 5 §5.2: 5 factors for the Segretario Generale and Dirigenti, 4 for P.O., 11 for staff."""
    rules = _profile("cremona").for_year(2021)
    counts = {rid: len(r.factors) for rid, r in rules.roles.items()}
    assert counts == {"segretario_generale": 5, "dirigente": 5, "posizione_organizzativa": 4, "dipendente": 11}
    assert all(f.max is None for r in rules.roles.values() for f in r.factors)
    assert rules.roles["segretario_generale"].evaluator.startswith("Giunta")
    assert rules.roles["dirigente"].evaluator.startswith("Segretario Generale")


def test_lucca_priorities_and_planning_tree() -> None:
    data = _profile("lucca").data["planning"]
    assert [p["id"] for p in data["priorities"]] == list("ABCDEFGHI")
    types = data["objective_types"]
    chain, cur = [], "obiettivo_operativo"
    while cur:
        chain.append(cur)
        cur = types[cur].get("parent")
    assert chain == ["obiettivo_operativo", "progetto_operativo", "programma", "obiettivo_strategico",
                     "priorita_strategica"]
    assert data["monitoring"]["frequency"] == "semestrale"
