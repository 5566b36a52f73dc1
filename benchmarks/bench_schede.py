"""Benchmark: the schede of a whole run for the web's ZIP (``smvp.service.web.document_pages``).

    nice -n 10 python benchmarks/bench_schede.py [--chamber cuneo] [--repeat 3]

Stores the chamber's bundled sample as a run in a temporary SQLite file, reads it as the
pages do (``smvp.documents.runs.load``), then times ``schede_zip_bytes`` for every person:
the per-person HTML (``smvp.documents.scheda.html``), the WeasyPrint layout (once per
sheet; its pages are reused for the combined PDF), one PDF per person and the combined one.

Two modes, CPU seconds of this process (``time.process_time``), median of ``--repeat``:

- ``cold templates``: the Jinja environment and the profile's compiled sheet template
  dropped before each person — how the ZIP was made before (a new environment per sheet,
  the template compiled again each time);
- ``kept templates``: one environment per language and the compiled template kept
  (``smvp.documents.render.environment`` / ``from_string``, cached).

Wall time is not reported: the machine is shared; measure CPU.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chamber", default="cuneo")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from smvp import cli
    from smvp.commands.documents import profile_template
    from smvp.documents import render, runs, scheda
    from smvp.service.web.document_pages import schede_zip_bytes

    tmp = Path(tempfile.mkdtemp(prefix="smvp-bench-schede-"))
    db = f"sqlite:///{tmp / 'b.db'}"
    assert cli.main(["evaluate", "--chamber", args.chamber, "--db", db]) == 0
    doc = runs.load(db, 1, dt.date.today())
    people = scheda.people(doc)
    template = profile_template(doc)

    def cold(_i: int, _p: str) -> None:
        render.environment.cache_clear()
        render.from_string.cache_clear()

    results = {}
    for mode, progress in (("cold templates", cold), ("kept templates", None)):
        times = []
        for _ in range(args.repeat):
            render.environment.cache_clear()
            render.from_string.cache_clear()
            t = time.process_time()
            data = schede_zip_bytes(doc, people, 1, "it", template, progress=progress)
            times.append(time.process_time() - t)
        results[mode] = statistics.median(times)
        print(f"{args.chamber}: {len(people)} schede, {mode}: {results[mode]:.2f} s CPU "
              f"({results[mode] / len(people) * 1000:.0f} ms a person), ZIP {len(data) // 1024} KiB",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
