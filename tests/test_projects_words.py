"""The project valuation's errors in Italian and in English (issue 15): what was found (the
projects' total and its parts, an objective's weight and relevance) and the names of a fund's
parts are catalogue messages, so an Italian error says no English word of its own; the
located facts (file, field) and the figures are the same in both languages, each number in
the locale's format (``134.864,30`` in Italian, smvp_engine.errors.Number).

The cases are Brescia's golden error cases (tests/golden/brescia/, worked out by hand there).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_golden_brescia import _run

from smvp import i18n
from smvp_engine.errors import SmvpErrors

# English words of the project valuation's own that an Italian message must not show
ENGLISH = ["points", "weight", "relevance", "stable", "variable", "all valued funds", "the plan", "found",
           "expected", "of the fund"]


def _errors(case: str, tmp_path: Path):
    with pytest.raises(SmvpErrors) as info:
        _run(case, tmp_path)
    return info.value.errors


def _english_in(text: str) -> list[str]:
    """The English words in an error's text after its location and field (``file: field:``, the
    same located facts in both languages: the field is the column's name)."""
    said = text.split(": ", 2)[-1]
    return [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", said)]


def test_the_projects_total_per_fund_in_both_languages(tmp_path):
    error = _errors("bounds_per_fund_above_50", tmp_path)[0]
    it, en = i18n.error_text(error, "it"), i18n.error_text(error, "en")
    assert en == str(error)
    assert "(stable + variable = 100,000.00 stable + 19,999.99 variable = 119,999.99 €)" in en
    assert "found 60,000.00 € = 30 points × 2,000.00 €)" in en
    assert ("(parte stabile + parte variabile = 100.000,00 parte stabile + 19.999,99 parte variabile "
            "= 119.999,99 €)") in it
    assert "trovato 60.000,00 € = 30 punti × 2.000,00 €)" in it
    # the numbers in the locale's format, the same digits
    assert "i progetti valgono 60.000,00 €, il ≈50,000004 % del fondo" in it
    assert "the projects are worth 60,000.00 €, ≈50.000004% of the fund" in en
    assert _english_in(it) == []
    assert it.split(": ")[:2] == en.split(": ")[:2]  # file and field


def test_the_projects_total_of_all_funds_in_both_languages(tmp_path):
    error = _errors("bounds_combined_below_25", tmp_path)[0]
    it, en = i18n.error_text(error, "it"), i18n.error_text(error, "en")
    assert en.split("relevance: ")[1].startswith("all valued funds together: the projects are worth")
    assert it.split("relevance: ")[1].startswith("tutti i fondi valorizzati insieme: i progetti valgono")
    parts = "27,654.34 Fondo del personale dirigente + 107,209.96 Fondo del personale non dirigente"
    parti = "27.654,34 Fondo del personale dirigente + 107.209,96 Fondo del personale non dirigente"
    assert f"found 134,864.30 € = {parts})" in en and f"trovato 134.864,30 € = {parti})" in it
    assert _english_in(it) == []


def test_an_objectives_weight_and_relevance_in_both_languages(tmp_path):
    error = _errors("weight_gap_over_20", tmp_path)[0]
    it, en = i18n.error_text(error, "it"), i18n.error_text(error, "en")
    assert en.endswith("found 82.51 (weight 82.51 of 100; relevance 5 of 8))")
    assert it.endswith("trovato 82,51 (peso 82,51 su 100; rilevanza 5 su 8))")
    assert "il suo peso è 82,51 punti e la sua rilevanza 62,5 punti" in it
    assert _english_in(it) == []


def test_objectives_without_a_group_are_the_plan():
    """``weight_gap.group`` none and every weight 0: "the plan" / "il piano"."""
    from fractions import Fraction

    from smvp_engine import projects
    from smvp_engine.profile import load_profile

    root = Path(__file__).resolve().parents[1]
    spec = load_profile(root / "chambers" / "brescia.yaml").for_year(2021).project_valuation
    grade = next(iter(spec.relevance))
    items = [projects.ProjectIn("1.1", grade, weight=Fraction(0), group="")]
    resources = {r: 100_000_00 for f in spec.funds.values() for r in (f.stable, f.variable)}
    with pytest.raises(SmvpErrors) as info:
        projects.value_projects(spec, items, resources, {})
    said = {lang: [i18n.error_text(e, lang) for e in info.value.errors] for lang in ("it", "en")}
    assert any("valued as projects in the plan all have weight 0" in e for e in said["en"])
    assert any("valorizzati come progetti in tutto il piano hanno tutti peso 0" in e for e in said["it"])
