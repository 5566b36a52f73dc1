"""Shared by the document tests: one database with a stored run of each bundled chamber,
headless Chromium (the system's package, driven by Playwright's Python package), PDF text.

Browser tests are never skipped silently: without /usr/bin/chromium they FAIL, saying
to run ``scripts/install-chromium.sh`` (``.ci/run`` does). ``SMVP_NO_BROWSER=1``
skips them on purpose, with that reason in the report.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from smvp import cli

CHAMBERS = ("cuneo", "cremona", "brescia", "lucca")  # run ids 1..4, in this order
CHROMIUM = os.environ.get("SMVP_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def evaluate_all(db: str) -> dict[str, int]:
    """Evaluate every bundled chamber's sample into ``db``; chamber → run id."""
    runs = {}
    for n, chamber in enumerate(CHAMBERS, 1):
        code = cli.main(["evaluate", "--chamber", chamber, "--db", db])
        assert code == 0, f"evaluate {chamber} failed"
        runs[chamber] = n
    return runs


def it_money(cents: int) -> str:
    """Hand-written Italian money (independent of smvp.i18n): 152490 → '1.524,90 €'."""
    sign = "-" if cents < 0 else ""
    euros, c = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{c:02d} €"


def it_points(cp: int) -> str:
    whole, c = divmod(cp, 100)
    return f"{whole},{c:02d}"


def en_money(cents: int) -> str:
    euros, c = divmod(cents, 100)
    return f"€{euros:,}.{c:02d}"


def pdf_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def squash(text: str) -> str:
    return " ".join(text.split())


@contextlib.contextmanager
def chromium(tmp_path: Path):
    """A Playwright browser on the system's headless Chromium (never a downloaded one)."""
    if os.environ.get("SMVP_NO_BROWSER") == "1":
        pytest.skip("SMVP_NO_BROWSER=1: browser tests skipped on purpose")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium.sh (apt-get install "
                    "chromium); browser tests are not skipped silently")
    from playwright.sync_api import sync_playwright

    # Playwright's launch() gives Chromium a fresh temporary --user-data-dir of its own.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=[f for f in FLAGS if f != "--headless"])
        try:
            yield browser
        finally:
            browser.close()


def dec(value: object) -> Decimal:
    return Decimal(str(value))


def html_text(html: str) -> str:
    """The visible text of an HTML page (no tags, no stylesheet), whitespace squashed."""
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("style", "script", "title"):
                self.skip += 1

        def handle_endtag(self, tag):
            if tag in ("style", "script", "title"):
                self.skip -= 1

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    return squash(" ".join(parser.parts))


@pytest.fixture(scope="session")
def documents_db(tmp_path_factory) -> str:
    """One database for every document test: runs 1-4 the bundled chambers, run 5 Cuneo again."""
    url = f"sqlite:///{tmp_path_factory.mktemp('documents') / 'runs.db'}"
    evaluate_all(url)
    assert cli.main(["evaluate", "--chamber", "cuneo", "--db", url]) == 0
    return url


@pytest.fixture(scope="session")
def db(documents_db) -> str:
    """:func:`documents_db` under the short name the documents' tests use."""
    return documents_db


def invoke(*args: object):
    """``smvp ARGS`` through typer's CliRunner (each argument as a string); the Result."""
    from typer.testing import CliRunner

    return CliRunner().invoke(cli.app, [str(a) for a in args])

