"""The explain trace in words (smvp/explain_words.py): every rule and note the engine records
has its words in the catalogue in both languages, and what the engine leaves open (a factor
with no scale maximum, a component with no objectives) reads as words, not as ``None``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smvp import explain_words as ew
from smvp_engine.dataset import load_dataset
from smvp_engine.explain import explain, walk
from smvp_engine.pipeline import evaluate
from smvp_engine.profile import load_profile

REPO = Path(__file__).resolve().parents[1]
ENGINE_EXPLAIN = "\n".join((REPO / "engine" / name).read_text(encoding="utf-8")  # the trace and its parts
                           for name in ("explain.py", "explain_scores.py", "explain_payout.py"))


def _ids(pattern: str) -> set[str]:
    return set(re.findall(pattern, ENGINE_EXPLAIN))


RULE_IDS = _ids(r'\.rule\(\s*"([a-z_]+)"') | {"factor_score_open", "indicator_ratio_higher", "indicator_ratio_lower"}
NOTE_IDS = _ids(r'_note\(\s*"([a-z_]+)"')


def test_the_engine_records_rules_and_notes():  # the patterns above find what they look for
    assert {"component_points", "judgement_band", "maggiorazione_rank"} <= RULE_IDS
    assert {"not_scored", "no_objectives", "band_counts", "shortfall"} <= NOTE_IDS


@pytest.mark.parametrize("rid", sorted(RULE_IDS))
def test_every_rule_has_its_words_in_both_languages(rid):
    it, en = ew.RULES[rid]
    assert it and en and it != f"explain.rule_text.{rid}"


@pytest.mark.parametrize("nid", sorted(NOTE_IDS))
def test_every_note_has_its_words_in_both_languages(nid):
    it, en = ew.NOTES[nid]
    assert it and en and it != f"explain.note_text.{nid}"


@pytest.fixture(scope="module")
def brescia_trace():
    ev = evaluate(load_profile(REPO / "chambers" / "brescia.yaml"), load_dataset(REPO / "chambers" / "data" / "brescia" / "2021"))
    return explain(ev, "P08")


def _words(trace: dict, lang: str) -> str:
    return "\n".join(" | ".join(filter(None, [ew.label_text(n, lang), ew.value_text(n, lang), ew.calc_text(n, lang),
                                              ew.rule_text(n["rule"], lang), ew.note_text(n["note"], lang),
                                              *(ew.input_text(i, lang) for i in n["inputs"])]))
                     for n in walk(trace))


def test_a_scale_without_maximum_and_a_component_without_objectives_read_as_words(brescia_trace):
    # Brescia's dipendenti: factors scored without a scale maximum in the profile, and a results
    # component at the servizio level whose unit (AMM_RF) has no objectives of that level
    it, en = _words(brescia_trace, "it"), _words(brescia_trace, "en")
    for text in (it, en):
        assert "None" not in text and "no objectives)" not in text
    assert "il profilo non fissa il massimo della scala" in it
    assert "the profile sets no maximum of the scale" in en
    assert "nessun obiettivo di livello servizio per l'unità della persona: 0,00 punti" in it
    assert "no objectives of level servizio for the person's unit: 0.00 points" in en
    assert "la fascia di punteggio totale in cui cade il valore: [56, 71)" in it


def test_band_notes_and_direction_words():
    counts = {"id": "band_counts", "text": "Raggiunto: counts 100%", "params": {"band": "Raggiunto", "counts": "100"}}
    assert ew.note_text(counts, "it") == "fascia «Raggiunto»: conta 100 %"
    assert ew.note_text(counts, "en") == "band «Raggiunto»: counts 100%"
    rule = {"id": "indicator_ratio", "text": "target/actual × 100", "params": {"direction": "lower", "cap": "100",
                                                                               "decimals": 2, "rounding": "half_up"}}
    assert ew.rule_text(rule, "it") == "target / effettivo × 100 (migliore se diminuisce), con tetto 100 %, a 2 decimali"
    assert ew.input_text({"name": "direction", "value": "lower"}, "it") == "direzione migliore se diminuisce"
    assert ew.input_text({"name": "absence parental_leave", "value": "10", "unit": "days"}, "en") == \
        "absence parental_leave 10"
