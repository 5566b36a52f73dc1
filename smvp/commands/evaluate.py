"""``smvp evaluate``: profile + dataset → evaluation → store → export → report."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from smvp import engine_api, export, phases, render
from smvp.app import runs
from smvp.errors import UsageProblem
from smvp.i18n import say, t
from smvp.report import Outcome
from smvp_engine.errors import Msg

CHAMBER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass
class Options:
    chamber: str | None = None
    profile: Path | None = None
    data: Path | None = None
    year: int | None = None
    out: Path | None = None
    json: bool = False
    db: str | None = None
    lang: str = "it"
    store: bool = True
    csv_dialect: str | None = None  # of a .csv export: "it" (default with Italian) or "standard"
    wide: bool = False  # people table with every column (else fitted to the terminal)
    all_rows: bool = False  # every person in the terminal (else the first ones of a large run)


# --------------------------------------------------------------------------- resolution


def resolve_profile_path(opts: Options) -> Path:
    if opts.profile is not None:
        return opts.profile
    if not opts.chamber:
        raise UsageProblem(Msg("no profile: give --chamber or --profile"))
    if not CHAMBER_ID.match(opts.chamber):
        raise UsageProblem(Msg("invalid chamber id {chamber!r}", chamber=opts.chamber),
                           hint=Msg("a chamber id is lower case letters, digits, '_' or '-'"))
    hit = engine_api.find_chamber(opts.chamber)
    if hit is None:
        raise unknown_chamber(opts.chamber)
    return hit[1]


def unknown_chamber(chamber: str) -> UsageProblem:
    """The usage error for a chamber id that resolves nowhere: the known ids and a did-you-mean."""
    import difflib

    known = sorted(engine_api.known_chambers())
    close = difflib.get_close_matches(chamber, known, n=1)
    where = (Msg("known chambers: {known}", known=", ".join(known)) if known
             else Msg("give --profile PATH or set SMVP_CHAMBERS_DIR"))
    hint = Msg("did you mean {close!r}? {where}", close=close[0], where=where) if close else where
    return UsageProblem(Msg("no profile for chamber {chamber!r} ({rule})", chamber=chamber,
                            rule=engine_api.PROFILE_RULE), hint=hint)


def sample_years(chamber: str) -> dict[int, Path]:
    """Bundled samples: ``chambers/data/<chamber>/<year>/`` (a folder), else ``<year>.xlsx``."""
    base = engine_api.sample_dir(chamber)
    if not base.is_dir():
        return {}
    found: dict[int, Path] = {}
    for p in sorted(base.iterdir()):
        if p.is_dir() and p.name.isdigit():
            found[int(p.name)] = p
    for p in sorted(base.glob("*.xlsx")):
        if p.stem.isdigit():
            found.setdefault(int(p.stem), p)
    return found


def resolve_data_path(opts: Options, chamber: str) -> Path:
    if opts.data is not None:
        return opts.data
    years = sample_years(chamber)
    if not years:
        raise UsageProblem(Msg("no dataset: give --data (there is no bundled sample for {chamber!r} in {folder})",
                               chamber=chamber, folder=engine_api.sample_dir(chamber)))
    if opts.year is not None:
        if opts.year not in years:
            raise UsageProblem(
                Msg("no bundled sample for {chamber!r} {year}", chamber=chamber, year=opts.year),
                hint=Msg("give --data; bundled years: {years}", years=", ".join(map(str, sorted(years)))))
        return years[opts.year]
    return years[max(years)]


def bars_hidden(opts: Options) -> bool:
    """Progress bars go to stderr, on a terminal only; with ``--json`` they are left out when
    stdout is that terminal too (the JSON is never mixed with them)."""
    return bool(opts.json) and sys.stdout.isatty()


def _stage(err: Console, quiet: bool, message: str, name: str):
    """Time a phase (smvp/phases.py); a spinner on stderr while it runs (only on a terminal)."""
    return phases.phase(name, err, message, quiet)


# --------------------------------------------------------------------------- command


def compute(opts: Options, err: Console) -> tuple[Any, Any, Outcome]:
    """Load, evaluate and gather; raises engine errors and UsageProblem."""
    lang = opts.lang
    quiet = opts.json
    if opts.out is not None:
        export.check_format(opts.out)
        export.csv_dialect(lang, opts.csv_dialect)  # before any work: a bad name is a usage error

    profile_path = resolve_profile_path(opts)
    with _stage(err, quiet, t("stage_profile", lang), "profile"):
        profile = engine_api.load_profile(profile_path)
    chamber = str(getattr(profile, "chamber_id", None) or opts.chamber)
    if opts.chamber and chamber != opts.chamber:
        raise UsageProblem(Msg("--chamber {given} but the profile {path} is for {chamber!r}",
                               given=opts.chamber, path=profile_path, chamber=chamber))

    data_path = resolve_data_path(opts, chamber)
    # a bar (share of the files' bytes read, typed and checked): loading is the longest phase
    with phases.bar("load", err, t("stage_dataset", lang), bars_hidden(opts), percent=True):
        dataset = engine_api.load_dataset(data_path, profile=profile, year=opts.year)
    for note in getattr(dataset, "notes", ()) or ():  # e.g. a CSV read as Windows-1252
        err.print(Text(f"{t('note_label', lang)}: {say(note, lang)}", style="yellow"), soft_wrap=True)
    year = opts.year if opts.year is not None else getattr(dataset, "year", None)
    if year is None:
        raise UsageProblem(Msg("no year: the dataset {path} does not say which year it is", path=data_path),
                           hint=Msg("give --year"))

    with _stage(err, quiet, t("stage_evaluate", lang), "evaluate"):
        ev = engine_api.evaluate(profile, dataset, year=int(year))
    with _stage(err, quiet, t("stage_evaluate", lang), "build_output"):
        outcome = runs.outcome(profile, dataset, ev, year=int(year))
    return profile, dataset, outcome


def run(opts: Options, *, out: Console, err: Console) -> int:
    phases.reset()
    try:
        return _run(opts, out=out, err=err)
    finally:
        phases.dump()


def _run(opts: Options, *, out: Console, err: Console) -> int:
    lang = opts.lang
    quiet = opts.json
    profile, dataset, outcome = compute(opts, err)

    big = len(outcome.rows) >= phases.BAR_MIN  # a bar (people done) rather than a spinner

    def stage(message: str, name: str):
        return phases.bar(name, err, message, bars_hidden(opts)) if big else _stage(err, quiet, message, name)

    if opts.store:
        with stage(t("stage_store", lang), "store"):
            runs.store_run_at(opts.db, profile, dataset, outcome)

    if opts.out is not None:
        with stage(t("stage_export", lang), "export"):
            export.write(outcome, opts.out, lang, dialect=opts.csv_dialect)

    if opts.json:
        with stage(t("stage_export", lang), "write"):  # a bar on stderr for a large run
            export.stream_json(outcome, sys.stdout)
            sys.stdout.flush()
        return 0

    with phases.phase("write"):
        render.print_outcome(out, outcome, lang, wide=opts.wide, all_rows=opts.all_rows)
    out.print()
    if outcome.info.run_id is not None:
        out.print(t("stored_as", lang, id=outcome.info.run_id, db=outcome.info.database),
                  highlight=False, markup=False)
    else:
        out.print(t("not_stored", lang), highlight=False, markup=False)
    if opts.out is not None:
        out.print(t("written", lang, path=opts.out), highlight=False, markup=False)
    return 0
