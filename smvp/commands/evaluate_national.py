"""``smvp evaluate --chambers-dir DIR --data-root ROOT``: every body in one run (smvp/national.py).

Writes, when asked:

- ``--out people.parquet`` — every tenant's people in one Parquet file, one row
  per person: ``tenant``, the results contract's people fields (points and
  euro as exact decimal strings) and ``components`` (a map component id →
  points); one row group per chunk of tenants;
- ``--tenants FILE.jsonl`` — one JSON line per tenant, in tenant order: its run
  (profile and dataset hashes), funds and summary under the results contract,
  or ``"status": "error"`` with its located errors.

The terminal shows the totals (tenants evaluated and failed, people, time,
compiled profiles served by the cache) and every failed tenant with its first
errors; ``--json`` prints the tenants' lines on stdout instead. Exit code 0 when
every tenant was evaluated, 1 when any failed on a problem in its profile or
data (the others are still evaluated and written), 3 when any failed on a bug.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from smvp import national
from smvp.errors import UsageProblem
from smvp.i18n import format_decimal, t
from smvp_engine.errors import Msg

EXIT_OK, EXIT_USER, EXIT_BUG = 0, 1, 3
#: errors shown per failed tenant in the terminal (all of them are in --tenants)
SHOWN_ERRORS = 3


@dataclass
class Options:
    chambers_dir: Path
    data_root: Path
    year: int | None = None
    out: Path | None = None
    tenants_out: Path | None = None
    json: bool = False
    jobs: int | None = None
    cache_dir: Path | None = None
    lang: str = "it"


def _check(opts: Options) -> None:
    if not opts.chambers_dir.is_dir():
        raise UsageProblem(Msg("--chambers-dir {path} is not a folder", path=str(opts.chambers_dir)))
    if not opts.data_root.is_dir():
        raise UsageProblem(Msg("--data-root {path} is not a folder", path=str(opts.data_root)))
    if opts.out is not None and opts.out.suffix.lower() != ".parquet":
        raise UsageProblem(Msg("--out {path}: the people of a national run are written as .parquet", path=str(opts.out)),
                           hint=Msg("give --out FILE.parquet (and --tenants FILE.jsonl for the summaries)"))
    if opts.tenants_out is not None and opts.tenants_out.suffix.lower() not in (".jsonl", ".json"):
        raise UsageProblem(Msg("--tenants {path}: one JSON line per tenant, give a .jsonl file",
                                   path=str(opts.tenants_out)))


def run(opts: Options, *, out: Console, err: Console) -> int:
    _check(opts)
    tenants = national.discover(opts.chambers_dir, opts.data_root, opts.year)
    if not tenants:
        raise UsageProblem(Msg("no profiles (*.yaml) in {path}", path=str(opts.chambers_dir)))
    for path in (opts.out, opts.tenants_out):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    stats = national.RunStats(tenants=len(tenants))
    writer = None
    lines = open(opts.tenants_out, "w", encoding="utf-8") if opts.tenants_out else None
    tmp = opts.out.with_name(opts.out.name + ".part") if opts.out is not None else None
    try:
        import pyarrow.parquet as pq

        if tmp is not None:
            writer = pq.ParquetWriter(tmp, national.PEOPLE_SCHEMA, compression="zstd")
        batch: list = []
        rows = 0
        with _progress(err, len(tenants), quiet=opts.json, lang=opts.lang) as advance:
            for result in national.run(tenants, year=opts.year, jobs=opts.jobs, cache_dir=opts.cache_dir,
                                          people=writer is not None, lang=opts.lang):
                _count(stats, result)
                line = result.line or national.summary_line(result.record)
                if lines is not None:
                    lines.write(line + "\n")
                if opts.json:
                    sys.stdout.write(line + "\n")
                if writer is not None and result.people is not None:
                    batch.append(national.read_ipc(result.people))
                    rows += batch[-1].num_rows
                    if rows >= 100_000:
                        writer.write_table(_concat(batch))
                        batch, rows = [], 0
                advance()
        if writer is not None and batch:
            writer.write_table(_concat(batch))
    finally:
        if writer is not None:
            writer.close()
        if lines is not None:
            lines.close()
    if tmp is not None and opts.out is not None:
        tmp.replace(opts.out)
    seconds = time.perf_counter() - start
    if not opts.json:
        _report(out, err, opts, stats, seconds)
    if stats.internal:
        return EXIT_BUG
    return EXIT_USER if stats.failed else EXIT_OK


def _concat(batches: list):
    """One table of the workers' record batches (national.read_ipc)."""
    import pyarrow as pa

    return pa.Table.from_batches(batches, schema=national.PEOPLE_SCHEMA)


def _count(stats: national.RunStats, result: national.TenantResult) -> None:
    stats.worker_seconds += result.seconds
    if result.ok:
        stats.ok += 1
        stats.people += int(result.record.get("people") or 0)
    else:
        stats.failed += 1
        stats.internal += int(result.internal)
        stats.failures.append(result.record)


class _progress:
    """A rich progress bar on stderr (only on a terminal); ``advance()`` per tenant."""

    def __init__(self, err: Console, total: int, quiet: bool, lang: str = "it"):
        self.err, self.total, self.quiet, self.lang = err, total, quiet, lang
        self.bar = None

    def __enter__(self):
        if self.quiet or not self.err.is_terminal:
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=self.err, transient=True)
        self.bar.__enter__()
        task = self.bar.add_task(t("national.bodies", self.lang), total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _report(out: Console, err: Console, opts: Options, stats: national.RunStats, seconds: float) -> None:
    lang = opts.lang
    rate = stats.people / seconds if seconds else 0
    out.print(Text(t("national.done", lang, ok=stats.ok, failed=stats.failed,
                     people=format_decimal(stats.people, lang), seconds=format_decimal(round(seconds, 1), lang),
                     rate=format_decimal(round(rate), lang), jobs=opts.jobs or national.default_jobs())),
              highlight=False)
    for path, label in ((opts.out, "national.people_file"), (opts.tenants_out, "national.tenants_file")):
        if path is not None:
            out.print(f"{t(label, lang)}: {path}", highlight=False, markup=False)
    for rec in stats.failures:
        errors = rec.get("errors") or []
        n = len(errors)
        count = t("problem", lang) if n == 1 else t("problems", lang, n=n)
        err.print(Text(f"{rec['tenant']}: {count}", style="bold red"))
        for e in errors[:SHOWN_ERRORS]:
            err.print(Text("  " + e, style="red"), soft_wrap=True)
        if len(errors) > SHOWN_ERRORS:
            err.print(Text("  " + t("national.more", lang, n=len(errors) - SHOWN_ERRORS), style="red"))
