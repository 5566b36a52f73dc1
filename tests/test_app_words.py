"""The application layer's refusals (smvp.app: cycle dates, scores, uploads, conciliation) are
catalogue messages: said in Italian (the default) and in English with the same located facts
(issue 15). The command line and the API say them at the edge: tests/test_conciliation.py,
tests/test_scores.py, tests/test_service.py."""

from __future__ import annotations

import datetime as dt

import pytest

from smvp import i18n
from smvp.app import cycle, uploads
from smvp_engine.errors import DatasetErrors

PROFILE = {"cycle": {"steps": {"monitoraggio": {}, "relazione": {}}}}


def test_a_cycle_date_refused_in_italian_and_in_english():
    with pytest.raises(DatasetErrors) as caught:
        cycle.record_actual_dates(None, profile_data=PROFILE, year=2025, user=None,
                                  dates={"monitoragio": dt.date(2025, 7, 1), "relazione": dt.date(2031, 1, 1)})
    unknown, outside = caught.value.errors
    assert i18n.error_text(unknown, "it") == (
        "calendario: step: 'monitoragio' non è un passo del ciclo (atteso uno tra monitoraggio, relazione, "
        "trovato 'monitoragio'). forse monitoraggio?")
    assert i18n.error_text(unknown, "en") == str(unknown) == (
        "calendario: step: 'monitoragio' is not a step of the cycle (expected one of monitoraggio, relazione, "
        "found 'monitoragio'). did you mean monitoraggio?")
    assert i18n.error_text(outside, "it") == (
        "calendario: relazione: data fuori dagli anni del ciclo (atteso una data tra il 2024 e il 2027, "
        "trovato 2031-01-01)")
    assert i18n.error_text(outside, "en") == (
        "calendario: relazione: date outside the cycle's years (expected a date between 2024 and 2027, "
        "found 2031-01-01)")


def test_an_upload_refused_in_italian_and_in_english():
    with pytest.raises(uploads.UnsupportedKind) as caught:
        uploads.load_upload(b"x", "dati.ods", profile=None, year=2024)
    message = caught.value.message
    assert i18n.say(message, "it") == ("dati.ods: atteso un .zip di tabelle CSV o Parquet o una cartella di "
                                       "lavoro .xlsx (trovato .ods)")
    assert i18n.say(message, "en") == str(message) == (
        "dati.ods: expected a .zip of CSV or Parquet tables or an .xlsx workbook (found .ods)")
    assert message.params == {"file": "dati.ods", "found": ".ods"}
