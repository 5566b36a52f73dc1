"""smvp trasparenza: the art. 20 d.lgs. 33/2013 tables, checked against the stored run."""

from __future__ import annotations

import csv
import io
import statistics
from decimal import ROUND_HALF_UP, Decimal

import pytest

from smvp import store
from tests.documents_support import chromium, db, documents_db, html_text, invoke, it_money  # noqa: F401 - db and documents_db are fixtures


def sections(path) -> dict[str, list[list[str]]]:
    """The CSV's tables: title → rows (header first)."""
    text = path.read_text(encoding="utf-8-sig")
    out: dict[str, list[list[str]]] = {}
    current = None
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        if not row:
            current = None
        elif current is None:
            current = row[0]
            out[current] = []
        else:
            out[current].append(row)
    return out


def cents_it(cents: int) -> str:
    euros, c = divmod(cents, 100)
    return f"{euros},{c:02d}"


@pytest.fixture(scope="module")
def cuneo(db, tmp_path_factory):
    out = tmp_path_factory.mktemp("tr")
    r = invoke("trasparenza", "--run", 1, "--out", out, "--db", db, "--pdf")
    assert r.exit_code == 0, r.output
    return out


def test_c1_funds_budgeted_distributed_economies(db, cuneo):
    engine = store.open_engine(db, create=False)
    funds = {f.label: f for f in store.fund_results(engine, 1)}
    engine.dispose()
    tables = sections(cuneo / "trasparenza-1.csv")
    c1 = {row[0]: row for row in tables["1. Ammontare dei premi stanziati e distribuiti (art. 20 c. 1)"][1:]}
    total = c1.pop("Totale")
    assert total[2] == cents_it(sum(f.resources_cents for f in funds.values()))
    assert total[3] == cents_it(sum(f.distributed_cents for f in funds.values()))
    assert total[4] == cents_it(sum(f.economies_cents for f in funds.values()))
    prod = c1["Compenso di produttività"]
    f = funds["Compenso di produttività"]
    assert prod[1:] == ["70", cents_it(f.resources_cents), cents_it(f.distributed_cents),
                        cents_it(f.economies_cents)]
    # the dirigenza's fund goes to 2 people: only its budget is published, and one more fund
    # is hidden so that the total minus the others does not give it back
    dir_ = c1["Retribuzione di risultato della dirigenza"]
    assert dir_[1] == "< 3" and dir_[2] == cents_it(funds[dir_[0]].resources_cents)
    assert dir_[3:] == ["< 3", "< 3"]
    assert sum(1 for row in c1.values() if row[3] == "< 3") == 2


def test_c2_means_shares_and_differentiation_index(db, cuneo):
    engine = store.open_engine(db, create=False)
    people = [p for p in store.iter_person_results(engine, 1) if p.role == "dipendente"]
    engine.dispose()
    tables = sections(cuneo / "trasparenza-1.csv")
    c2 = {row[0]: row for row in tables["2. Distribuzione dei premi e grado di differenziazione (art. 20 c. 2)"][1:]}
    row = c2["Dipendente"]
    paid = [p.paid_cents for p in people]
    n = len(paid)
    mean = (Decimal(sum(paid)) / n / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    theo = (Decimal(sum(p.theoretical_cents for p in people)) / n / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    at100 = sum(1 for p in people if p.payout_percent == "100.00")
    zero = sum(1 for p in people if p.paid_cents == 0)
    cv = statistics.pstdev(paid) / statistics.fmean(paid) * 100
    assert row[1] == str(n) == "70"
    assert row[2] == str(theo).replace(".", ",")
    assert row[3] == str(mean).replace(".", ",")
    assert row[4] == cents_it(sum(paid))
    assert row[5] == f"{at100 * 100 / n:.2f}".replace(".", ",")
    assert row[6] == f"{zero * 100 / n:.2f}".replace(".", ",")
    assert abs(float(row[7].replace(",", ".")) - cv) < 0.006
    # groups of fewer than 3 people: nothing but "< 3"
    for label in ("Dirigenti", "Segretario Generale", "Dirigente"):
        assert set(c2[label][1:]) == {"< 3"}


def test_no_published_cell_describes_fewer_than_three_people(cuneo):
    tables = sections(cuneo / "trasparenza-1.csv")
    bands = tables["3. Persone per fascia della graduazione del compenso"]
    head, rows = bands[0], {row[0]: row[1:] for row in bands[1:]}
    for label, counts in rows.items():
        for c in counts:
            assert c == "< 3" or int(c) == 0 or int(c) >= 3, f"{label}: {c}"
    # no hidden count comes back by difference: where the parent shows a count, its children
    # hide none or at least two
    families = {"Personale non dirigente": ["Elevata Qualificazione", "Dipendente"],
                "Dipendente": ["Dipendente — B", "Dipendente — C", "Dipendente — D"]}
    for parent, children in families.items():
        for j in range(len(head) - 1):
            if rows[parent][j] != "< 3":
                assert sum(rows[c][j] == "< 3" for c in children) != 1, (parent, head[j + 1])
    text = (cuneo / "trasparenza-1.csv").read_text(encoding="utf-8-sig")
    assert "Nessuna cella pubblicata descrive meno di 3 persone" in text


def test_xlsx_and_pdf(db, cuneo):
    from openpyxl import load_workbook

    from tests.documents_support import pdf_text

    wb = load_workbook(cuneo / "trasparenza-1.xlsx")
    assert len(wb.sheetnames) == 3
    ws = wb[wb.sheetnames[0]]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(row for row in values if row and row[0] == "Totale")
    engine = store.open_engine(db, create=False)
    dist = sum(f.distributed_cents for f in store.fund_results(engine, 1))
    engine.dispose()
    assert round(total[3] * 100) == dist
    pages, text = pdf_text(cuneo / "trasparenza-1.pdf")
    assert pages <= 2 and it_money(dist) in text


def test_english_csv_uses_commas(db, tmp_path):
    r = invoke("trasparenza", "--run", 1, "--out", tmp_path, "--db", db, "--lang", "en")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "trasparenza-1.csv").read_text(encoding="utf-8-sig")
    assert "Fund,People,Budgeted,Distributed,Economies" in text
    assert "No published cell describes fewer than 3 people" in text


def test_a_run_without_premiums_is_refused_and_nothing_written(db, tmp_path):
    for run in (2, 3, 4):  # cremona, brescia, lucca: no role has a payout
        r = invoke("trasparenza", "--run", run, "--out", tmp_path / "out", "--db", db)
        assert r.exit_code == 1, r.output
        assert f"l'esecuzione {run} (" in r.output and "non ha premi" in r.output
        assert "non è stato scritto nulla" in r.output
    r = invoke("trasparenza", "--run", 3, "--out", tmp_path / "out", "--db", db, "--lang", "en")
    assert r.exit_code == 1, r.output
    assert "run 3 (brescia " in r.output and "has no premiums" in r.output and "nothing was written" in r.output
    assert not any((tmp_path / "out").iterdir())


def test_out_that_is_a_file_is_refused_in_either_language(db, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    r = invoke("trasparenza", "--run", 1, "--out", a_file, "--db", db)
    assert r.exit_code == 1, r.output
    assert "non è una cartella (attesa una cartella per i documenti, trovato un file)" in " ".join(r.output.split())
    r = invoke("trasparenza", "--run", 1, "--out", a_file, "--db", db, "--lang", "en")
    assert "not a folder (expected a folder for the documents, found a file)" in " ".join(r.output.split())
    assert a_file.read_text() == "x"


def test_transparency_page_in_a_real_browser(db, cuneo, tmp_path):
    engine = store.open_engine(db, create=False)
    dist = sum(f.distributed_cents for f in store.fund_results(engine, 1))
    engine.dispose()
    assert "Protezione dei dati personali" in html_text((cuneo / "trasparenza-1.html").read_text())
    with chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto((cuneo / "trasparenza-1.html").as_uri())
        total = page.locator("table[data-table=c1] tr.total td").all_inner_texts()
        assert total[3].strip() == it_money(dist)
        rule = page.inner_text("[data-field=suppression-rule]")
        assert "Nessuna cella pubblicata descrive meno di 3 persone" in rule
        dirigenti = page.locator("table[data-table=c2] tr.level-group").first.all_inner_texts()[0]
        assert dirigenti.split("\t")[0].strip() == "Dirigenti" and "€" not in dirigenti
