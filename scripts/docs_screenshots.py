"""Screenshots of the documents for docs/documents.md (docs/img/*.png).

Evaluates the bundled Cuneo and Brescia samples into a temporary database, renders
a scheda (with and without money), the transparency page and the OIV report, and
photographs each in the system's headless Chromium (scripts/install-chromium.sh).

    python scripts/docs_screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from smvp import cli

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    ap.add_argument("--chromium", default=os.environ.get("SMVP_CHROMIUM", "/usr/bin/chromium"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smvp-shots-") as tmp:
        work = Path(tmp)
        db = f"sqlite:///{work / 'runs.db'}"
        for chamber in ("cuneo", "brescia"):  # runs 1 and 2
            if cli.main(["evaluate", "--chamber", chamber, "--db", db]) != 0:
                raise SystemExit(f"smvp evaluate --chamber {chamber} failed")
        commands = [
            ["scheda", "--run", "1", "--person", "P012", "--date", "2025-05-12"],
            ["scheda", "--run", "2", "--person", "P08", "--date", "2025-05-12"],
            ["trasparenza", "--run", "1"],
            ["report", "--run", "1"],
        ]
        for c in commands:
            code = cli.main([*c, "--out", str(work), "--db", db])
            if code != 0:
                raise SystemExit(f"smvp {' '.join(c)} failed ({code})")
        pages = {"scheda-cuneo.png": "scheda-1-P012.html", "scheda-brescia.png": "scheda-2-P08.html",
                 "trasparenza-cuneo.png": "trasparenza-1.html", "report-cuneo.png": "report-1.html"}
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 900, "height": 1200})
            for png, html in pages.items():
                page.goto((work / html).as_uri())
                page.screenshot(path=str(args.out / png), full_page=True)
                print(f"wrote {args.out / png}")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
