"""smvp calendar: the performance-cycle deadlines of a year, on-time/late marks, .ics and .csv.

Dates worked out by hand beside each expectation ("dd/mm/yyyy weekday"); the rule is
smvp_engine.deadlines' (a date falling on a Sunday, a holiday or the seat's patron day moves to
the next working day; Saturdays do not move unless the profile says so).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smvp import cli
from smvp.commands import calendar as calcmd
from smvp.i18n import say
from smvp_engine import deadlines
from smvp_engine.errors import ProfileErrors

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()



def invoke(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


def csv_rows(path: Path) -> dict[str, dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return {r["step"]: r for r in csv.DictReader(raw.decode("utf-8-sig").splitlines())}


def calendar_csv(tmp_path: Path, *args) -> dict[str, dict[str, str]]:
    out = tmp_path / "cal.csv"
    r = invoke("calendar", *args, "--csv", out)
    assert r.exit_code == 0, r.output
    return csv_rows(out)


# --------------------------------------------------------------------------- Cuneo


def test_cuneo_2025_plain(tmp_path):
    rows = calendar_csv(tmp_path, "--chamber", "cuneo", "--year", 2025)
    assert rows["piao"]["due"] == "2025-01-31"                  # venerdì: a working day
    assert rows["monitoraggio"]["due"] == "2025-06-30"          # lunedì
    assert rows["monitoraggio_terzo_trimestre"]["due"] == "2025-09-30"   # martedì (29/09 is San Michele, 30/09 is not)
    assert rows["relazione"]["due"] == "2026-06-30"             # 30 June of 2025 + 1, martedì
    # without actual dates nothing is judged; the Q3 monitoring only applies if the PIAO is late
    assert rows["piao"]["status"] == "aperto"
    assert rows["monitoraggio_terzo_trimestre"]["status"] == "condizionato"
    assert rows["assegnazione_obiettivi"]["status"] == "nessun_termine"
    # art. 10 c. 1 lett. b d.lgs. 150/2009: the OIV validates the Relazione by 30 June too
    assert rows["validazione_oiv"]["due"] == "2026-06-30"
    assert rows["validazione_oiv"]["status"] == "aperto"


def test_cuneo_2027_sunday_and_leap_year(tmp_path):
    rows = calendar_csv(tmp_path, "--chamber", "cuneo", "--year", 2027)
    # 31/01/2027 is a domenica → lunedì 01/02/2027
    assert rows["piao"]["nominal"] == "2027-01-31" and rows["piao"]["due"] == "2027-02-01"
    assert rows["piao"]["moved_because"] == "domenica 31/01 → lunedì 01/02"
    # 30/06/2028: 2028 is a leap year, 30/06/2027 mercoledì + 366 days → venerdì
    assert rows["relazione"]["due"] == "2028-06-30"
    assert dt.date(2028, 6, 30).weekday() == 4


def test_cuneo_late_piao_moves_the_monitoring_to_the_third_quarter(tmp_path):
    actual = tmp_path / "actual.csv"
    # PIAO approved 20/02/2025, 20 days after 31/01 → "not at the start of the year" (§2.3)
    actual.write_text("step,date\npiao,2025-02-20\nmonitoraggio_terzo_trimestre,03/10/2025\n"
                      "relazione,2026-06-29\n", encoding="utf-8")
    rows = calendar_csv(tmp_path, "--chamber", "cuneo", "--year", 2025, "--actual", actual,
                        "--as-of", "2026-07-01")
    assert (rows["piao"]["status"], rows["piao"]["days_late"]) == ("in_ritardo", "20")
    assert rows["monitoraggio"]["status"] == "sostituito"
    # 30/09/2025 martedì; done venerdì 03/10 → 3 days late
    mt = rows["monitoraggio_terzo_trimestre"]
    assert (mt["status"], mt["days_late"], mt["actual"]) == ("in_ritardo", "3", "2025-10-03")
    assert "Dovuto perché «PIAO" in mt["why"]
    assert (rows["relazione"]["status"], rows["relazione"]["days_late"]) == ("nei_termini", "0")


def test_cuneo_piao_on_time_no_third_quarter_monitoring(tmp_path):
    actual = tmp_path / "actual.csv"
    actual.write_text("step;date\npiao;2025-01-30\nmonitoraggio;2025-07-02\n", encoding="utf-8")
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--actual", actual,
               "--as-of", "2025-12-31")
    assert r.exit_code == 0, r.output
    assert "non dovuto" in r.stdout and "in ritardo di 2 giorni" in r.stdout   # 02/07 − 30/06
    rows = calendar_csv(tmp_path, "--chamber", "cuneo", "--year", 2025, "--actual", actual,
                        "--as-of", "2025-12-31")
    assert rows["monitoraggio_terzo_trimestre"]["status"] == "non_applicabile"
    # not yet done and past due on the as-of day: overdue
    assert rows["relazione"]["status"] == "aperto"             # due 30/06/2026, after 31/12/2025


def test_overdue_in_red_and_english(tmp_path):
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--actual",
               _write(tmp_path, "step,date\n"), "--as-of", "2025-02-03", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "Performance cycle 2025" in r.stdout and "overdue by 3 days" in r.stdout  # 03/02 − 31/01


def test_the_engines_reasons_in_english_and_italian_by_default(tmp_path):
    """Why a step is conditional, why a deadline moved: the engine's reasons are catalogue
    messages, said in the user's language (issue 15), with the dates in the locale's format."""
    en = invoke("--lang", "en", "calendar", "--chamber", "cuneo", "--year", 2025)
    it = invoke("calendar", "--chamber", "cuneo", "--year", 2025)
    assert en.exit_code == 0 and it.exit_code == 0, en.output + it.output
    flat_en, flat_it = " ".join(en.stdout.split()), " ".join(it.stdout.split())
    assert ("Due only if «PIAO con la programmazione degli obiettivi (Giunta)» is done after its term. "
            "Deadline fixed on 30/09/2025 (Tuesday): a working day.") in flat_en
    assert "Dovuto solo se" not in flat_en and "Scadenza fissata" not in flat_en
    assert ("Dovuto solo se «PIAO con la programmazione degli obiettivi (Giunta)» è compiuto oltre il "
            "termine. Scadenza fissata al 30/09/2025 (martedì): giorno lavorativo.") in flat_it
    # a moved deadline: the weekdays of its chain in the user's language (31/01/2027 is a Sunday)
    moved_en = calendar_csv(tmp_path, "--chamber", "cuneo", "--year", 2027, "--lang", "en")["piao"]
    assert moved_en["moved_because"] == "Sunday 31/01 → Monday 01/02"
    assert moved_en["why"].startswith("Deadline fixed on 31/01/2027 (Sunday), a non-working day, "
                                      "extended to Monday 01/02/2027")


def _write(tmp_path: Path, text: str, name: str = "a.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- Cremona, Lucca


def test_cremona_2021(tmp_path):
    rows = calendar_csv(tmp_path, "--chamber", "cremona", "--year", 2021)
    assert rows["piano_performance"]["due"] == "2021-02-01"     # 31/01/2021 domenica → lunedì
    assert rows["dati_dirigenti_oiv"]["due"] == "2022-04-30"    # sabato: Saturdays do not move it
    assert rows["colloquio_finale"]["due"] == "2022-05-31"      # martedì
    assert rows["colloquio_intermedio"]["optional"] == "1"


def test_lucca_2021_and_the_patron_of_lucca(tmp_path):
    rows = calendar_csv(tmp_path, "--chamber", "lucca", "--year", 2021)
    assert rows["rpp"]["due"] == "2020-10-31"                   # year_offset -1; sabato, not moved
    assert rows["preventivo"]["due"] == "2020-12-31"            # giovedì
    assert rows["piano_performance"]["due"] == "2021-02-01"     # 31/01 domenica → lunedì
    # publication 30 days from the Piano, presumed approved on its last day 01/02/2021:
    # 01/02 + 30 = 03/03/2021 mercoledì
    assert (rows["pubblicazione_piano"]["due"], rows["pubblicazione_piano"]["status"]) == \
        ("2021-03-03", "presunto")
    actual = _write(tmp_path, "step,date\napprovazione_consiglio,2022-06-12\n")
    # Council approval on sabato 12/06/2022 (in time for 30/06); publication within 30 days:
    # 12/06 + 30 = 12/07/2022 martedì, San Paolino, patrono di Lucca → mercoledì 13/07
    rows = calendar_csv(tmp_path, "--chamber", "lucca", "--year", 2021, "--actual", actual,
                        "--as-of", "2022-07-01")
    pub = rows["pubblicazione_relazione"]
    assert (pub["nominal"], pub["due"]) == ("2022-07-12", "2022-07-13")
    assert pub["moved_because"] == "12/07 San Paolino, patrono di Lucca → mercoledì 13/07"


def test_patron_of_lucca_is_not_a_holiday_in_cuneo():
    cal = deadlines.calendar_for_seat("Cuneo")
    assert deadlines.term_end(dt.date(2022, 6, 12), 30, cal).due == dt.date(2022, 7, 12)


def test_year_outside_the_profile(tmp_path):
    r = invoke("calendar", "--chamber", "lucca", "--year", 2023, "--lang", "en")
    assert r.exit_code == 1 and "does not cover 2023" in r.stderr


# --------------------------------------------------------------------------- exports


def test_ics_is_rfc5545(tmp_path):
    ics = tmp_path / "c.ics"
    actual = _write(tmp_path, "step,date\npiao,2025-02-20\n")
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--ics", ics, "--actual", actual,
               "--as-of", "2025-12-31")
    assert r.exit_code == 0, r.output
    raw = ics.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)               # folded at 75 octets
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    for line in lines:
        line.decode("utf-8")                                    # no character split by folding
    text = raw.decode("utf-8").replace("\r\n ", "")             # unfold
    # piao, Q3 monitoring, Relazione, OIV validation (30 June, art. 10 c. 1 lett. b); the assignment has no date
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == 4
    # the replaced 30 June monitoring and the steps without a date are not events
    assert "UID:cuneo-2025-monitoraggio@smvp" not in text
    assert "UID:cuneo-2025-assegnazione_obiettivi@smvp" not in text
    assert "UID:cuneo-2025-validazione_oiv@smvp" in text
    assert "UID:cuneo-2025-piao@smvp" in text
    assert "DTSTART;VALUE=DATE:20250131\r\nDTEND;VALUE=DATE:20250201" in text
    assert "DTSTART;VALUE=DATE:20250930" in text                # Q3 monitoring, now due
    assert "SUMMARY:Relazione sulla performance (Giunta)" in text
    assert "\\, " in text and "\\;" in text                     # commas and semicolons escaped
    assert "VERSION:2.0" in text and "PRODID:" in text and "DTSTAMP:" in text


def test_fold_never_splits_a_character():
    line = "DESCRIPTION:" + "è" * 100
    folded = calcmd._fold(line).encode("utf-8").split(b"\r\n")
    assert all(len(x) <= 75 for x in folded)
    assert "".join(x.decode("utf-8")[1:] if i else x.decode("utf-8")
                   for i, x in enumerate(folded)) == line


def test_export_names_are_checked_first(tmp_path):
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--ics", tmp_path / "c.txt")
    assert r.exit_code == 2 and "finisce in .ics" in r.stderr
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--csv", tmp_path / "c.xlsx")
    assert r.exit_code == 2 and "finisce in .csv" in r.stderr


# --------------------------------------------------------------------------- actual dates


def test_actual_file_errors(tmp_path):
    bad = _write(tmp_path, "step,date\npiao,2025-02-20\nmonitoragio,2025-07-01\n")
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--actual", bad, "--lang", "en")
    assert r.exit_code == 1
    assert "'monitoragio' is not a step of the cycle" in r.stderr
    assert "did you mean monitoraggio" in r.stderr
    bad = _write(tmp_path, "step,date\npiao,20 febbraio\n", "b.csv")
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--actual", bad, "--lang", "en")
    assert r.exit_code == 1 and "b.csv:2" in r.stderr and "'20 febbraio'" in r.stderr
    bad = _write(tmp_path, "passo,quando\npiao,2025-02-20\n", "c.csv")
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--actual", bad, "--lang", "en")
    assert r.exit_code == 1 and "expected columns step and date" in r.stderr
    r = invoke("calendar", "--chamber", "cuneo", "--year", 2025, "--actual", tmp_path / "no.csv")
    assert r.exit_code == 2


def test_actual_dates_from_a_workbook_sheet(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "staff"
    ws = wb.create_sheet("cycle")
    ws.append(["step", "date"])
    ws.append(["piao", dt.datetime(2025, 1, 28)])
    path = tmp_path / "data.xlsx"
    wb.save(path)
    rows = calendar_csv(tmp_path, "--chamber", "cuneo", "--year", 2025, "--actual", path,
                        "--as-of", "2025-03-01")
    assert (rows["piao"]["status"], rows["piao"]["actual"]) == ("nei_termini", "2025-01-28")
    assert rows["monitoraggio_terzo_trimestre"]["status"] == "non_applicabile"


def test_profile_without_cycle(tmp_path):
    text = (REPO / "chambers" / "cuneo.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\ncycle:\n")
    path = _write(tmp_path, head + "\n", "nocycle.yaml")
    r = invoke("calendar", "--profile", path, "--year", 2025)
    assert r.exit_code == 1 and "non dichiara un calendario del ciclo" in r.stderr
    path = _write(tmp_path, head + "\ncycle:\n  defined: false\n  source: {document: smvp2024, "
                  "section: x}\n  reading: the document sets no dates\n", "undefined.yaml")
    r = invoke("calendar", "--profile", path, "--year", 2025)
    assert r.exit_code == 0 and "the document sets no dates" in r.stdout


# --------------------------------------------------------------------------- engine: conditions


def test_conditional_step_errors_name_the_field():
    cal = deadlines.calendar_for_seat("Cuneo")
    steps = {"a": {"date": "01-31"}, "b": {"date": "09-30", "if_late": "x", "replaces": "b"}}
    with pytest.raises(ProfileErrors) as e:
        deadlines.cycle_schedule(steps, 2025, cal)
    assert sorted(err.field for err in e.value.errors) == ["cycle.steps.b.if_late",
                                                           "cycle.steps.b.replaces"]


def test_conditional_step_overdue_reference():
    """The PIAO not approved by its due date (as of 10/02/2025): the Q3 monitoring is due."""
    cal = deadlines.calendar_for_seat("Cuneo")
    steps = {"piao": {"date": "01-31"}, "m": {"date": "06-30"},
             "q3": {"date": "09-30", "if_late": "piao", "replaces": "m"}}
    rows = {r.step: r for r in deadlines.cycle_schedule(steps, 2025, cal,
                                                        as_of=dt.date(2025, 2, 10))}
    assert rows["piao"].status == "scaduto" and rows["piao"].days_late == 10
    assert rows["m"].status == "sostituito" and rows["q3"].status == "aperto"
    assert "non è stato compiuto entro il termine (31/01/2025)" in say(rows["q3"].reason, "it")
