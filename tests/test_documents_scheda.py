"""smvp scheda: the scheda di valutazione, checked against the stored run (HTML, PDF text, browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smvp import cli, store
from tests.documents_support import (  # noqa: F401 - db and documents_db are fixtures
    chromium,
    db,
    documents_db,
    en_money,
    html_text,
    invoke,
    it_money,
    it_points,
    pdf_text,
    squash,
)


def stored(db: str, run: int) -> dict[str, store.PersonResult]:
    engine = store.open_engine(db, create=False)
    try:
        return {p.person_id: p for p in store.iter_person_results(engine, run)}
    finally:
        engine.dispose()


def sheet(db: str, out: Path, run: int, person: str, *extra: object) -> str:
    """The visible text of the written sheet."""
    r = invoke("scheda", "--run", run, "--person", person, "--out", out, "--db", db, *extra)
    assert r.exit_code == 0, r.output
    return html_text((out / f"scheda-{run}-{person}.html").read_text(encoding="utf-8"))


def test_cuneo_sheet_carries_the_stored_figures_and_the_review_term(db, tmp_path):
    html = (sheet(db, tmp_path, 1, "P012", "--date", "2025-05-12"))
    p = stored(db, 1)["P012"]
    assert "Audisio Elena" in html and "Scheda di valutazione della performance — Dipendente" in html
    # A) components with their maximum points (Appendice, scheda dipendenti: /5, /0, /25, /30)
    for comp, max_points in (("ente", 5), ("area_servizio", 0), ("ufficio", 25)):
        assert f"{it_points(p.components[comp])} / {max_points}" in html
    assert f"{it_points(p.results_cp)} / 30" in html
    # B) factors with their scale, total /70; total /100
    assert "da 0 a 20" in html and "da 0 a 15" in html
    assert f"{it_points(p.behaviour_cp)} / 70" in html
    assert f"{it_points(p.total_cp)} / 100" in html
    # money: theoretical, premium, maggiorazione, gross (1.524,90 € in the issue)
    for cents in (p.theoretical_cents, p.premium_cents, p.maggiorazione_cents, p.paid_cents):
        assert it_money(cents) in html
    assert it_money(p.paid_cents) == "1.524,90 €"
    # §3.4: 10 days from the date on the sheet, 12/05/2025 (Monday) → 22/05/2025
    assert "Data della scheda: 12 maggio 2025" in html
    assert "Richiesta scritta di riesame al valutatore: entro il 22 maggio 2025" in html
    assert "Firma del valutato per presa visione" in html
    assert "Motivazione scritta" not in html  # positive evaluation: no motivation field


@pytest.mark.parametrize("date, due", [
    ("2025-05-15", "26 maggio 2025"),     # +10 = Sunday 25/05 → Monday 26/05
    ("2025-09-19", "30 settembre 2025"),  # +10 = 29/09, San Michele, patron of Cuneo → 30/09
    ("2025-12-15", "27 dicembre 2025"),   # +10 = 25/12 Christmas, 26/12 Santo Stefano → 27/12 (a Saturday works)
])
def test_review_term_moves_past_non_working_days(db, tmp_path, date, due):
    html = (sheet(db, tmp_path, 1, "P012", "--date", date))
    assert f"entro il {due}" in html


def test_negative_judgement_gets_the_motivation_field(db, tmp_path):
    negatives = [pid for pid, p in stored(db, 1).items() if p.judgement == "non_positiva"]
    assert negatives, "the Cuneo sample has people with a non-positive judgement"
    html = sheet(db, tmp_path, 1, negatives[0])
    assert "Motivazione scritta del giudizio negativo" in html


def test_chambers_without_payout_get_no_money_section_and_say_why(db, tmp_path):
    for run, person, quote in ((2, "P006", "Ai fini retributivi"), (3, "P08", "nessuna curva, soglia o quota"),
                               (4, "L007", "retribuzione accessoria di produttività")):
        html = (sheet(db, tmp_path, run, person))
        assert "Nessun compenso su questa scheda" in html
        assert quote in html
        assert "€" not in html
    # Brescia's dipendente is scored: the judgement is printed with its stored label
    html = (sheet(db, tmp_path, 3, "P08"))
    assert "70,00" in html and "Buono" in html
    # Lucca defines no conciliation procedure: said, no date invented
    html = (sheet(db, tmp_path, 4, "L007"))
    assert "Il profilo non definisce una procedura di conciliazione" in html
    assert "entro il" not in html


def test_english_sheet(db, tmp_path):
    html = (sheet(db, tmp_path, 1, "P012", "--date", "2025-05-12", "--lang", "en"))
    p = stored(db, 1)["P012"]
    assert "Performance evaluation sheet — Dipendente" in html
    assert en_money(p.paid_cents) in html and "€1,524.90" in html
    assert "by 22 May 2025" in html


def test_pdf_fits_one_a4_page_for_every_role_of_every_chamber(db, tmp_path):
    people = {1: ["P001", "P002", "P003", "P011"], 2: ["P001", "P004", "P006"],
              3: ["P01", "P04", "P08"], 4: ["L001", "L007"]}
    for run, persons in people.items():
        args = [x for p in persons for x in ("--person", p)]
        r = invoke("scheda", "--run", run, *args, "--pdf", "--out", tmp_path, "--db", db,
                   "--date", "2025-05-12")
        assert r.exit_code == 0, r.output
        rows = stored(db, run)
        for person in persons:
            pages, text = pdf_text(tmp_path / f"scheda-{run}-{person}.pdf")
            assert pages == 1, f"run {run} {person}: {pages} pages"
            text = squash(text)
            assert rows[person].name in text
            if rows[person].paid_cents is not None:
                assert it_money(rows[person].paid_cents) in text
            else:
                assert "Nessun compenso su questa scheda" in text


def test_all_writes_one_file_per_person_and_one_combined_pdf(db, tmp_path):
    r = invoke("scheda", "--run", 4, "--all", "--out", tmp_path, "--db", db)
    assert r.exit_code == 0, r.output
    people = stored(db, 4)
    assert sorted(p.name for p in tmp_path.glob("scheda-4-*.html")) == \
        sorted(f"scheda-4-{pid}.html" for pid in people)
    pages, text = pdf_text(tmp_path / "schede-4.pdf")
    assert pages == len(people)
    for p in people.values():
        assert p.name in text
    assert not list(tmp_path.glob(".*tmp")), "no temporary file left behind"


def test_bad_input_is_a_clear_message_and_writes_nothing(db, tmp_path):
    out = tmp_path / "out"
    r = invoke("scheda", "--run", 99, "--person", "P012", "--out", out, "--db", db)
    assert r.exit_code == 2 and "nessuna esecuzione 99" in r.output
    r = invoke("scheda", "--run", 1, "--person", "NOBODY", "--out", out, "--db", db)
    assert r.exit_code == 2 and "persona assente" in r.output and "P001" in r.output
    r = invoke("scheda", "--run", 1, "--out", out, "--db", db)
    assert r.exit_code == 2 and "--person ID" in r.output
    assert not out.exists() or not any(out.iterdir())
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("x")
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", a_file, "--db", db)
    assert r.exit_code == 1 and "non è una cartella" in r.output
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", a_file / "sub", "--db", db)
    assert r.exit_code == 1 and "impossibile creare la cartella" in r.output
    assert a_file.read_text() == "x"


def test_sheets_in_a_real_browser(db, tmp_path):
    sheet(db, tmp_path, 1, "P012", "--date", "2025-05-12")
    sheet(db, tmp_path, 3, "P08", "--date", "2025-05-12")
    p = stored(db, 1)["P012"]
    b = stored(db, 3)["P08"]
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto((tmp_path / "scheda-1-P012.html").as_uri())
        assert page.inner_text("[data-field=paid]").strip() == it_money(p.paid_cents)
        assert page.inner_text("[data-field=total]").strip() == f"{it_points(p.total_cp)} / 100"
        assert page.inner_text("[data-field=review_due]").strip() == \
            "Richiesta scritta di riesame al valutatore: entro il 22 maggio 2025"
        assert page.inner_text("[data-field=name]").strip() == p.name
        page.goto((tmp_path / "scheda-3-P08.html").as_uri())
        assert page.inner_text("[data-field=total]").strip().startswith(it_points(b.total_cp))
        assert "Nessun compenso" in page.inner_text("[data-field=no_money]")
        assert page.locator("[data-field=paid]").count() == 0


def test_every_role_of_every_bundled_chamber_renders_a_sheet(db, tmp_path):
    for run in (1, 2, 3, 4):
        first: dict[str, store.PersonResult] = {}
        for p in stored(db, run).values():
            first.setdefault(p.role, p)
        args = [x for p in first.values() for x in ("--person", p.person_id)]
        r = invoke("scheda", "--run", run, *args, "--out", tmp_path, "--db", db)
        assert r.exit_code == 0, r.output
        for p in first.values():
            text = html_text((tmp_path / f"scheda-{run}-{p.person_id}.html").read_text(encoding="utf-8"))
            assert p.name in text and f"— {p.role_label}" in text
            assert "Firma del valutatore" in text and "Richiesta di riesame" in text
            if p.total_cp is not None:
                assert it_points(p.total_cp) in text


def test_a_stored_result_the_engine_does_not_reproduce_writes_no_sheet(tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'tampered.db'}"
    assert cli.main(["evaluate", "--chamber", "cuneo", "--db", url]) == 0
    with sqlite3.connect(tmp_path / "tampered.db") as con:
        con.execute("UPDATE person_result SET paid_cents = paid_cents + 100 WHERE person_id = 'P012'")
    out = tmp_path / "out"
    r = invoke("scheda", "--run", 1, "--person", "P012", "--out", out, "--db", url)
    assert r.exit_code == 1, r.output
    assert "non riproduce i risultati salvati dell'esecuzione 1 per 1 persone (P012)" in " ".join(r.output.split())
    assert "smvp verify --run 1" in r.output
    assert not any(out.iterdir())
