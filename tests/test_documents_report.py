"""smvp report: the OIV's differentiation report, checked against the stored run."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal

import pytest

from smvp import store
from tests.documents_support import (  # noqa: F401 - db and documents_db are fixtures
    chromium,
    db,
    documents_db,
    html_text,
    invoke,
    it_money,
    pdf_text,
)


@pytest.fixture(scope="module")
def report(db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    r = invoke("report", "--run", 1, "--compare-run", 5, "--out", out, "--db", db, "--pdf")
    assert r.exit_code == 0, r.output
    return out / "report-1-vs-5"


def _dipendenti(db: str) -> list[store.PersonResult]:
    engine = store.open_engine(db, create=False)
    try:
        return [p for p in store.iter_person_results(engine, 1) if p.role == "dipendente"]
    finally:
        engine.dispose()


def test_role_statistics_match_the_stored_totals(db, report):
    totals = [Decimal(p.total_cp) / 100 for p in _dipendenti(db)]
    mean = (sum(totals) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    median = statistics.median(totals).quantize(Decimal("0.01"), ROUND_HALF_UP)
    cv = statistics.pstdev([float(x) for x in totals]) / statistics.fmean([float(x) for x in totals]) * 100
    text = html_text(report.with_suffix(".html").read_text(encoding="utf-8"))
    row = text[text.index("Dipendente 70"):][:120]
    assert f"{mean}".replace(".", ",") in row and f"{median}".replace(".", ",") in row
    assert f"{cv:.2f}".replace(".", ",") + " %" in row
    # the plots are SVG with their text as text (titles and the roles on the axis)
    html = report.with_suffix(".html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2
    assert "Distribuzione dei punteggi totali per ruolo" in html and "Dipendente (n=70)" in html


def test_funds_maggiorazione_and_comparison(db, report):
    engine = store.open_engine(db, create=False)
    funds = store.fund_results(engine, 1)
    engine.dispose()
    text = html_text(report.with_suffix(".html").read_text(encoding="utf-8"))
    assert it_money(sum(f.distributed_cents for f in funds)) in text
    assert "Beneficiari 23" in text
    assert "6. Confronto con l'esecuzione n. 5" in text
    pages, pdf = pdf_text(report.with_suffix(".pdf"))
    assert pages >= 2 and it_money(sum(f.resources_cents for f in funds)) in pdf
    assert "Relazione dell'OIV sulla differenziazione" in " ".join(pdf.split())


def test_report_of_a_chamber_without_scores_and_bad_comparisons(db, tmp_path):
    r = invoke("report", "--run", 2, "--out", tmp_path, "--db", db)
    assert r.exit_code == 0, r.output
    text = html_text((tmp_path / "report-2.html").read_text(encoding="utf-8"))
    assert "Nessuna persona valutata" in text and "<svg" not in text
    r = invoke("report", "--run", 1, "--compare-run", 2, "--out", tmp_path / "x", "--db", db)
    assert r.exit_code == 1 and "--compare-run 2 è un'esecuzione di cremona" in r.output
    assert "attesa un'esecuzione di cuneo, trovata cremona" in r.output
    r = invoke("report", "--run", 1, "--compare-run", 2, "--out", tmp_path / "x", "--db", db, "--lang", "en")
    assert r.exit_code == 1 and "--compare-run 2 is a run of cremona" in r.output
    assert "expected a run of cuneo, found cremona" in r.output
    r = invoke("report", "--run", 1, "--compare-run", 42, "--out", tmp_path / "x", "--db", db)
    assert r.exit_code == 2 and "nessuna esecuzione 42" in r.output
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def test_report_in_a_real_browser(db, report, tmp_path):
    dip = _dipendenti(db)
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto(report.with_suffix(".html").as_uri())
        assert page.locator("[data-figure=roles] svg").count() == 1
        box = page.locator("[data-figure=roles] svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        cells = page.locator("tr[data-role=dipendente] td").all_inner_texts()
        assert cells[1].strip() == str(len(dip))
