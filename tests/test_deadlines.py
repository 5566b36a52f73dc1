"""Legal terms: engine/deadlines.py against hand-worked golden cases."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from smvp.i18n import say
from smvp_engine.deadlines import (
    SEATS,
    STATUSES,
    WEEKDAYS,
    Closure,
    calendar_for_seat,
    calendar_from_profile,
    conciliation_schedule,
    cycle_schedule,
    fixed_term,
    term_end,
)
from smvp_engine.errors import DatasetErrors, ProfileError, ProfileErrors

GOLDEN = Path(__file__).parent / "golden" / "deadlines"
ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> dict:
    return yaml.safe_load((GOLDEN / name).read_text(encoding="utf-8"))


def _day(text: str | None) -> date | None:
    """'2025-10-06 lunedì' → date, checking the hand-written weekday."""
    if text is None:
        return None
    iso, weekday = str(text).split()
    d = date.fromisoformat(iso)
    assert WEEKDAYS[d.weekday()] == weekday, f"{text}: {iso} is a {WEEKDAYS[d.weekday()]}"
    return d


_CALS: dict = {}


def _cal(seat: str, saturdays: bool = False):
    key = (seat, saturdays)
    if key not in _CALS:
        _CALS[key] = calendar_for_seat(seat, saturdays_extend=saturdays)
    return _CALS[key]


TERMS = _load("terms.yaml")["cases"]
CHAINS = _load("chains.yaml")["cases"]
CALENDARS = _load("calendars.yaml")


# --------------------------------------------------------------------------- terms


@pytest.mark.parametrize("case", TERMS, ids=[c["name"] for c in TERMS])
def test_term_golden(case):
    cal = _cal(case["seat"], case.get("saturdays", False))
    start, nominal, due = _day(case["start"]), _day(case["nominal"]), _day(case["due"])
    d = term_end(start, case["days"], cal)
    assert d.nominal == nominal
    assert d.due == due
    assert (say(d.reason, "it") or None) == case["reason"]
    assert d.moved == (case["reason"] is not None)
    assert d.start == start and d.days == case["days"]
    text = say(d.explain(), "it")
    assert f"Termine di {case['days']} giorn" in text
    assert due.strftime("%d/%m/%Y") in text
    if d.moved:
        assert "prorogata" in text and case["reason"] in text
        assert len(d.moved_because) == (due - nominal).days
    else:
        assert d.moved_because == ()


def test_explain_sentences():
    cn = _cal("Cuneo")
    assert say(term_end(date(2025, 9, 19), 10, cn).explain(), "it") == (
        "Termine di 10 giorni dal 19/09/2025 (venerdì), escluso il giorno di partenza: "
        "scadenza nominale lunedì 29/09/2025, giorno non lavorativo, prorogata a "
        "martedì 30/09/2025 (29/09 San Michele, patrono di Cuneo → martedì 30/09)."
    )
    assert say(term_end(date(2025, 5, 12), 1, cn).explain(), "it") == (
        "Termine di 1 giorno dal 12/05/2025 (lunedì), escluso il giorno di partenza: "
        "scade martedì 13/05/2025."
    )
    assert say(fixed_term(date(2027, 1, 31), cn).explain(), "it") == (
        "Scadenza fissata al 31/01/2027 (domenica), giorno non lavorativo, prorogata a "
        "lunedì 01/02/2027 (domenica 31/01 → lunedì 01/02)."
    )
    assert say(fixed_term(date(2025, 6, 30), cn).explain(), "it") == (
        "Scadenza fissata al 30/06/2025 (lunedì): giorno lavorativo."
    )


def test_term_rejects_bad_days():
    cn = _cal("Cuneo")
    with pytest.raises(ValueError):
        term_end(date(2025, 1, 1), -1, cn)
    with pytest.raises(TypeError):
        term_end(date(2025, 1, 1), 2.5, cn)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        term_end(date(2025, 1, 1), True, cn)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- calendars


@pytest.mark.parametrize(
    "case", CALENDARS["cases"], ids=[f"{c['seat']}-{c['day']}" for c in CALENDARS["cases"]]
)
def test_closure_reason_golden(case):
    cal = _cal(case["seat"], case.get("saturdays", False))
    d = _day(case["day"])
    assert cal.closure_reason(d) == case["reason"]
    assert cal.is_working(d) == (case["reason"] is None)


@pytest.mark.parametrize(
    "case", CALENDARS["profiles"], ids=[c["name"] for c in CALENDARS["profiles"]]
)
def test_calendar_from_profile_golden(case):
    cal = calendar_from_profile(case["profile"])
    for row in case["days"]:
        assert cal.closure_reason(_day(row["day"])) == row["reason"], row


def test_seat_table_agrees_with_holidays_library():
    """Every patron day of the seat table is also in holidays.Italy for the seat's province."""
    for name, seat in SEATS.items():
        for year in (2025, 2026, 2027):
            local = holidays.Italy(subdiv=seat.subdivision, years=year)
            national = holidays.Italy(years=year)
            d = date(year, seat.patron_month, seat.patron_day)
            assert d in local and d not in national, (name, d)
            # Seat names resolve to the same province through the library's aliases.
            assert holidays.Italy.subdivisions_aliases[name] == seat.subdivision


def test_holidays_library_has_san_francesco_from_2026():
    """L. 8 ottobre 2025 n. 151: 4 October is a national holiday from 2026, not before."""
    assert date(2025, 10, 4) not in holidays.Italy(years=2025)
    for year in (2026, 2027, 2030):
        assert date(year, 10, 4) in holidays.Italy(years=year)


def test_seat_lookup_is_case_insensitive_and_library_seats_work():
    assert calendar_for_seat("cuneo").seat == "Cuneo"
    assert (
        calendar_for_seat(" CUNEO ").closure_reason(date(2025, 9, 29))
        == "San Michele, patrono di Cuneo"
    )
    # A seat outside the table but known to holidays.Italy: the library's own
    # patron day, labelled as a local holiday (Torino: San Giovanni, 24 June).
    to = calendar_for_seat("Torino")
    assert to.subdivision == "TO"
    reason = to.closure_reason(date(2025, 6, 24))
    assert reason is not None and reason.endswith("festività locale di Torino")


def test_unknown_seat_needs_a_patron():
    with pytest.raises(ProfileError) as e:
        calendar_for_seat("Atlantide")
    assert e.value.field == "calendar.patron"
    cal = calendar_for_seat("Atlantide", patron=Closure(5, 3, "San Nessuno, patrono di Atlantide"))
    assert cal.closure_reason(date(2027, 5, 3)) == "San Nessuno, patrono di Atlantide"
    assert cal.closure_reason(date(2025, 12, 25)) == "Natale"


def test_profile_without_calendar_block_uses_chamber_seat():
    cal = calendar_from_profile({"chamber": {"seat": "Cremona"}})
    assert cal.seat == "Cremona" and cal.saturdays_extend is False
    assert cal.closure_reason(date(2025, 11, 13)) == "Sant'Omobono, patrono di Cremona"


def test_calendar_from_profile_object_with_data():
    from types import SimpleNamespace

    # smvp_engine.profile.Profile exposes the parsed document as .data
    fake = SimpleNamespace(data={"chamber": {"seat": "Lucca"}})
    assert calendar_from_profile(fake).seat == "Lucca"


def test_profile_calendar_errors_name_their_field():
    with pytest.raises(ProfileErrors) as e:
        calendar_from_profile(
            {
                "chamber": {"seat": "Cuneo"},
                "calendar": {
                    "saturdays_extend": "yes",
                    "patron": {"date": "13-40", "label": "X"},
                    "closures": [{"date": "2025-12-24"}, {"date": "12/24", "label": "Y"}],
                },
            }
        )
    fields = {err.field for err in e.value.errors}
    assert fields == {
        "calendar.saturdays_extend",
        "calendar.patron.date",
        "calendar.closures[0]",
        "calendar.closures[1].date",
    }
    with pytest.raises(ProfileErrors) as e:
        calendar_from_profile({"chamber": {}})
    assert e.value.errors[0].field == "calendar.seat"


def test_real_cuneo_profile_calendar_and_steps():
    """chambers/cuneo.yaml works as it is (no calendar block: defaults from chamber.seat)."""
    profile = yaml.safe_load((ROOT / "chambers" / "cuneo.yaml").read_text(encoding="utf-8"))
    cal = calendar_from_profile(profile)
    assert cal.seat == "Cuneo"
    golden = next(c for c in CHAINS if c["name"] == "cuneo_projection")
    ours = conciliation_schedule(
        golden["steps"], {"data_scheda": date(2025, 5, 12)}, cal, project=True
    )
    theirs = conciliation_schedule(
        profile["conciliation"]["steps"], {"data_scheda": date(2025, 5, 12)}, cal, project=True
    )
    assert [(s.step, s.days, s.due) for s in theirs] == [(s.step, s.days, s.due) for s in ours]


# --------------------------------------------------------------------------- chains


@pytest.mark.parametrize("case", CHAINS, ids=[c["name"] for c in CHAINS])
def test_chain_golden(case):
    cal = _cal(case["seat"], case.get("saturdays", False))
    kwargs = {"as_of": case.get("as_of"), "project": case.get("project", False)}
    if "cycle_year" in case:
        rows = cycle_schedule(case["steps"], case["cycle_year"], cal, case["events"], **kwargs)
    else:
        rows = conciliation_schedule(case["steps"], case["events"], cal, **kwargs)
    assert [r.step for r in rows] == list(case["steps"])
    for r in rows:
        exp = case["expect"][r.step]
        assert r.status == exp["status"], (r.step, r.reason)
        assert r.status in STATUSES
        assert r.due == _day(exp["due"]), (r.step, r.reason)
        if "nominal" in exp:
            assert r.deadline is not None and r.deadline.nominal == _day(exp["nominal"])
        if "days_late" in exp:
            assert r.days_late == exp["days_late"], r.step
        if "late" in exp:
            assert r.late is exp["late"], r.step
        for fragment in exp.get("reason_has", []):
            assert fragment in say(r.reason, "it"), (r.step, say(r.reason, "it"))
        if r.status == "nessun_termine":
            assert r.deadline is None and r.days is None


def test_schedule_step_errors():
    cal = _cal("Cuneo")
    steps = {
        "a": {"from_event": "x", "days": -3},
        "b": {"from_event": "x", "days": "dieci"},
        "c": {"days": 5},
        "d": {"from_event": "e", "days": 1},
        "e": {"from_event": "d", "days": 1},
    }
    with pytest.raises(ProfileErrors) as e:
        conciliation_schedule(steps, {}, cal)
    fields = sorted(err.field for err in e.value.errors)
    assert fields == [
        "conciliation.steps.a.days",
        "conciliation.steps.b.days",
        "conciliation.steps.c.from_event",
        "conciliation.steps.d.from_event",
        "conciliation.steps.e.from_event",
    ]
    with pytest.raises(DatasetErrors) as e2:
        conciliation_schedule({"a": {"from_event": "x", "days": 1}}, {"x": "12 maggio"}, cal)
    assert e2.value.errors[0].field == "events.x"
    with pytest.raises(ProfileErrors):
        conciliation_schedule({"p": {"date": "01-31"}}, {}, cal)  # fixed date needs a year


def test_step_done_before_its_event_is_flagged():
    cal = _cal("Cuneo")
    rows = conciliation_schedule(
        {"a": {"from_event": "x", "days": 10}}, {"x": "2025-05-12", "a": date(2025, 5, 1)}, cal
    )
    assert rows[0].status == "incoerente" and rows[0].late is None


# --------------------------------------------------------------------------- invariants

_SEAT_CALS = [calendar_for_seat(s, saturdays_extend=sat) for s in SEATS for sat in (False, True)]


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    days=st.integers(min_value=0, max_value=400),
    cal=st.sampled_from(_SEAT_CALS),
)
def test_term_invariants(start, days, cal):
    d = term_end(start, days, cal)
    assert d.nominal == start + timedelta(days=days)
    assert d.due >= d.nominal
    assert cal.is_working(d.due)
    # Every day skipped is a non-working day, and there is one reason per day.
    skipped = [d.nominal + timedelta(days=i) for i in range((d.due - d.nominal).days)]
    assert all(not cal.is_working(x) for x in skipped)
    assert len(d.moved_because) == len(skipped)
    assert d.due.weekday() != 6
    if not cal.saturdays_extend:
        # Extending to the next working day never skips more than the longest
        # run of closed days (e.g. Natale, Santo Stefano, Sunday).
        assert (d.due - d.nominal).days <= 3
    else:
        assert d.due.weekday() != 5 and (d.due - d.nominal).days <= 4


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
)
def test_saturday_policy_only_ever_delays(start, days):
    off = term_end(start, days, _cal("Cuneo", False))
    on = term_end(start, days, _cal("Cuneo", True))
    assert on.nominal == off.nominal and on.due >= off.due


# --------------------------------------------------------------------------- purity


def test_module_imports_no_edge_libraries():
    tree = ast.parse((ROOT / "engine" / "deadlines.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    assert not names & {"typer", "rich", "sqlmodel", "smvp"}


@pytest.mark.parametrize(
    ("seat", "day", "italian", "english"),
    [
        ("Cuneo", date(2025, 12, 25), "25/12 Natale", "25/12 Christmas Day"),
        ("Cuneo", date(2025, 6, 2), "02/06 Festa della Repubblica", "02/06 Republic Day"),
        ("Cuneo", date(2025, 9, 29), "29/09 San Michele, patrono di Cuneo",
         "29/09 Saint Michael, patron saint of Cuneo"),
        ("Brescia", date(2027, 2, 15), "15/02 Santi Faustino e Giovita, patroni di Brescia",
         "15/02 Saints Faustinus and Jovita, patron saints of Brescia"),
        ("Cuneo", date(2025, 4, 20), "domenica 20/04 Pasqua", "Sunday 20/04 Easter Sunday"),
        ("Torino", date(2025, 6, 24), "24/06 San Giovanni Battista, festività locale di Torino",
         "24/06 Saint John's Day, local holiday of Torino"),
    ],
)
def test_a_moved_deadline_names_the_holiday_in_the_users_language(seat, day, italian, english):
    """A "moved because" link names the holiday as the ``holidays`` library does in that
    language, and the seat's patron by the seat table's label in that language."""
    link = calendar_for_seat(seat).skip_label(day)
    assert (say(link, "it"), say(link, "en")) == (italian, english)
