"""Golden: ``smvp calendar --chamber brescia --year 2025`` (chambers/brescia.yaml, cycle block).

Every date is worked out by hand, with its weekday beside it. The rule (smvp_engine.deadlines):
a date falling on a Sunday, a national holiday or the patron's day of Brescia (15/02 Santi
Faustino e Giovita) moves to the next working day; Saturdays do not move it
(calendar.saturdays_extend: false).

Sources (the Brescia SMVP, Delibera n. 81 del 29/07/2021, unless said otherwise):
  piano                      31/01 of Y        d.l. 80/2021 art. 6 c. 1 (the SMVP gives no date)
  monitoraggio               30/06 of Y        §3.2; Scheda di monitoraggio «al 30/6»
  rendicontazione_obiettivi  20/01 of Y+1      §3.2 «entro i primi venti giorni del mese di gennaio»
  redazione_relazione        31/01 of Y+1      §3.2 «nell'ultima decade di gennaio» (last day shown)
  validazione_relazione_oiv  28/02 of Y+1      §3.2 «nel mese di febbraio»
  approvazione_relazione     28/02 of Y+1      §3.2 «nel mese di febbraio»
  pubblicazione_relazione    30/06 of Y+1      §3.2 «entro il 30 giugno»
Every other step has no term in the document and gets no date.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import yaml
from typer.testing import CliRunner

from smvp.cli import app
from smvp.i18n import say
from smvp_engine import deadlines

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)



def calendar_csv(tmp_path: Path, year: int) -> dict[str, dict[str, str]]:
    out = tmp_path / f"brescia_{year}.csv"
    r = runner.invoke(app, ["calendar", "--chamber", "brescia", "--year", str(year),
                            "--csv", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_bytes().decode("utf-8-sig")
    return {row["step"]: row for row in csv.DictReader(text.splitlines())}


# step → (nominal, due, weekday of due), worked out by hand for the cycle of 2025
DATED_2025 = {
    # 01/01/2025 mercoledì + 30 days → 31/01/2025 venerdì: a working day
    "piano": ("2025-01-31", "2025-01-31", FRI),
    # 30/06/2025 lunedì
    "monitoraggio": ("2025-06-30", "2025-06-30", MON),
    # 01/01/2026 giovedì + 19 days → 20/01/2026 martedì
    "rendicontazione_obiettivi": ("2026-01-20", "2026-01-20", TUE),
    # 31/01/2026 sabato: Saturdays do not move a date
    "redazione_relazione": ("2026-01-31", "2026-01-31", SAT),
    # 28/02/2026 = 31/01/2026 + 28 days: sabato, not moved (2026 is not a leap year)
    "validazione_relazione_oiv": ("2026-02-28", "2026-02-28", SAT),
    "approvazione_relazione": ("2026-02-28", "2026-02-28", SAT),
    # 30/06/2026 martedì
    "pubblicazione_relazione": ("2026-06-30", "2026-06-30", TUE),
}

UNDATED = ("verifica_smvp", "validazione_obiettivi_oiv", "certificazione_valorizzazione",
           "assegnazione_obiettivi", "feedback_intermedio", "comunicazione_monitoraggio_giunta",
           "variazione_obiettivi", "valutazione_individuale", "comunicazione_valutazioni")


def test_brescia_2025_printed():
    """The plain command prints each dated step with its due date on the step's first line."""
    r = runner.invoke(app, ["calendar", "--chamber", "brescia", "--year", "2025"])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "Ciclo della performance 2025" in out and "Camera di Commercio di Brescia" in out
    first_lines = {
        "│ Piano della performance": "31/01/2025",                         # venerdì
        "│ Monitoraggio semestrale": "30/06/2025",                         # lunedì
        "│ Raccolta dei dati e compilazione delle schede": "20/01/2026",   # martedì
        "│ Stesura, redazione e validazione della": "31/01/2026",          # sabato
        "│ Validazione della Relazione e del grado": "28/02/2026",         # sabato
        "│ Approvazione della Relazione sulla": "28/02/2026",              # sabato
        "│ Pubblicazione della Relazione sul sito": "30/06/2026",          # martedì
    }
    lines = out.splitlines()
    for start, due in first_lines.items():
        found = [ln for ln in lines if ln.startswith(start)]
        assert len(found) == 1, (start, found)
        assert due in found[0], (start, found[0])
    # nothing falls on a closed day in 2025: no "moved because" anywhere
    assert "→" not in out
    assert out.count("nessun termine previsto") == len(UNDATED)


def test_brescia_2025_dates(tmp_path):
    rows = calendar_csv(tmp_path, 2025)
    assert list(rows) == ["verifica_smvp", "validazione_obiettivi_oiv", "piano",
                          "certificazione_valorizzazione", "assegnazione_obiettivi",
                          "feedback_intermedio", "monitoraggio",
                          "comunicazione_monitoraggio_giunta", "variazione_obiettivi",
                          "rendicontazione_obiettivi", "redazione_relazione",
                          "validazione_relazione_oiv", "approvazione_relazione",
                          "valutazione_individuale", "comunicazione_valutazioni",
                          "pubblicazione_relazione"]
    for step, (nominal, due, weekday) in DATED_2025.items():
        row = rows[step]
        assert (row["nominal"], row["due"]) == (nominal, due), step
        assert dt.date.fromisoformat(due).weekday() == weekday, step
        assert row["moved_because"] == "", step
        assert row["status"] == "aperto", step                  # no actual dates: nothing judged
    for step in UNDATED:                                        # the document sets no term
        assert (rows[step]["due"], rows[step]["status"]) == ("", "nessun_termine"), step
    assert rows["feedback_intermedio"]["optional"] == "1"
    assert rows["variazione_obiettivi"]["optional"] == "1"
    assert rows["piano"]["source"].startswith("D.l. 9 giugno 2021 n. 80, art. 6 c. 1")
    assert rows["rendicontazione_obiettivi"]["source"].endswith(
        "3.2 Rendicontazione finale («entro i primi venti giorni del mese di gennaio»)")


def test_brescia_2026_sundays_move(tmp_path):
    """The cycle of 2026: two dates of 2027 fall on a Sunday and move to Monday."""
    rows = calendar_csv(tmp_path, 2026)
    assert rows["piano"]["due"] == "2026-01-31"                  # sabato: not moved
    assert dt.date(2026, 1, 31).weekday() == SAT
    assert rows["rendicontazione_obiettivi"]["due"] == "2027-01-20"   # mercoledì
    assert dt.date(2027, 1, 20).weekday() == WED
    # 31/01/2027 domenica → lunedì 01/02/2027
    red = rows["redazione_relazione"]
    assert (red["nominal"], red["due"]) == ("2027-01-31", "2027-02-01")
    assert red["moved_because"] == "domenica 31/01 → lunedì 01/02"
    assert dt.date(2027, 1, 31).weekday() == SUN
    # 28/02/2027 domenica → lunedì 01/03/2027
    app_ = rows["approvazione_relazione"]
    assert (app_["nominal"], app_["due"]) == ("2027-02-28", "2027-03-01")
    assert app_["moved_because"] == "domenica 28/02 → lunedì 01/03"
    assert dt.date(2027, 2, 28).weekday() == SUN
    assert rows["pubblicazione_relazione"]["due"] == "2027-06-30"     # mercoledì
    assert dt.date(2027, 6, 30).weekday() == WED


def test_patron_of_brescia_closes_the_offices():
    data = yaml.safe_load((REPO / "chambers" / "brescia.yaml").read_text(encoding="utf-8"))
    cal = deadlines.calendar_from_profile(data)
    # 15/02/2027 lunedì: Santi Faustino e Giovita → a date on it moves to martedì 16/02
    assert dt.date(2027, 2, 15).weekday() == MON
    assert cal.closure_reason(dt.date(2027, 2, 15)) == "Santi Faustino e Giovita, patroni di Brescia"
    d = deadlines.fixed_term(dt.date(2027, 2, 15), cal)
    assert d.due == dt.date(2027, 2, 16)
    assert say(d.reason, "it") == "15/02 Santi Faustino e Giovita, patroni di Brescia → martedì 16/02"
    # in 2025 and 2026 the patron's day is a sabato and a domenica
    assert dt.date(2025, 2, 15).weekday() == SAT and dt.date(2026, 2, 15).weekday() == SUN
