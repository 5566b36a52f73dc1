"""Terms in months (art. 2963 c. 4 c.c.) and "by the end of the month" cycle dates.

Every date worked out by hand, weekday beside it.
"""

from datetime import date

import pytest

from smvp.i18n import say
from smvp_engine.deadlines import add_months, calendar_for_seat, schedule, term_end_months
from smvp_engine.errors import ProfileErrors

CUNEO = calendar_for_seat("Cuneo")
LUCCA = calendar_for_seat("Lucca")


@pytest.mark.parametrize("start, months, nominal", [
    (date(2025, 1, 15), 1, date(2025, 2, 15)),   # same day of the next month
    (date(2025, 1, 31), 1, date(2025, 2, 28)),   # no 31/02: last day of February (2025 not leap)
    (date(2024, 1, 31), 1, date(2024, 2, 29)),   # 2024 is leap: 29/02
    (date(2025, 8, 31), 1, date(2025, 9, 30)),   # no 31/09 → 30/09
    (date(2025, 11, 30), 3, date(2026, 2, 28)),  # across the year end
])
def test_add_months(start, months, nominal):
    assert add_months(start, months) == nominal


def test_month_term_moves_past_the_patron_saint_of_the_seat_only():
    # 29/08/2025 + 1 month = 29/09/2025, a Monday: San Michele, patrono di Cuneo → martedì 30/09
    d = term_end_months(date(2025, 8, 29), 1, CUNEO)
    assert (d.nominal, d.due) == (date(2025, 9, 29), date(2025, 9, 30))
    assert "San Michele" in say(d.reason, "it") and "Termine di 1 mese" in say(d.explain(), "it")
    # in Lucca the same day is a working day
    assert term_end_months(date(2025, 8, 29), 1, LUCCA).due == date(2025, 9, 29)


def test_month_term_ending_on_sunday():
    # 28/08/2025 + 1 month = 28/09/2025, domenica → lunedì 29/09 is San Michele in Cuneo → martedì 30/09
    d = term_end_months(date(2025, 8, 28), 1, CUNEO)
    assert (d.nominal, d.due) == (date(2025, 9, 28), date(2025, 9, 30))
    assert len(d.moved_because) == 2


def test_cycle_steps_in_months_and_end_of_month():
    steps = {
        "piano": {"label": "Piano", "date": "01-31"},
        "obiettivi": {"label": "Obiettivi alle P.O.", "from_event": "piano", "months": 1},
        "relazione": {"label": "Relazione", "date": "02-end", "year_offset": 1},
    }
    rows = {r.step: r for r in schedule(steps, {"piano": date(2027, 1, 29)}, LUCCA, year=2027)}
    # piano done on venerdì 29/01/2027; + 1 month: 29/02/2027 does not exist (2027 not leap)
    # → last day of February, domenica 28/02/2027 → lunedì 01/03/2027
    assert (rows["obiettivi"].deadline.nominal, rows["obiettivi"].due) == (date(2027, 2, 28), date(2027, 3, 1))
    # "02-end" of 2028 (leap): martedì 29/02/2028
    assert rows["relazione"].due == date(2028, 2, 29)


def test_days_and_months_together_are_refused():
    with pytest.raises(ProfileErrors, match="in days or in months"):
        schedule({"a": {"label": "A", "from_event": "x", "days": 3, "months": 1}}, {}, LUCCA, year=2025)
    with pytest.raises(ProfileErrors, match="number of months"):
        schedule({"a": {"label": "A", "from_event": "x", "months": 0}}, {}, LUCCA, year=2025)
