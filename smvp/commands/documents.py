"""``smvp scheda``, ``smvp trasparenza``, ``smvp report``: the documents of a stored run.

Thin commands: they read the run (:mod:`smvp.documents.runs`), ask the
document modules for HTML (and PDF), and write the files safely (temporary
name, then rename). Every file written is printed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from smvp.documents import render as r
from smvp.documents import runs
from smvp.errors import UsageProblem
from smvp.i18n import t
from smvp_engine.errors import Msg


def _written(out: Console, path: Path, lang: str) -> None:
    out.print(Text(t("written", lang, path=path)), soft_wrap=True)


def _safe_id(person: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in person)


def scheda(*, run_id: int, persons: list[str], all_: bool, pdf: bool, out_dir: Path,
           sheet_date: str | None, template: Path | None, db: str | None, lang: str,
           out: Console, err: Console) -> int:
    """Write the scheda of each person (HTML, and PDF with ``pdf``); ``all_``: every person
    of the run, plus one combined PDF ``schede-<run>.pdf``."""
    from smvp.documents import scheda as sheet

    if not persons and not all_:
        raise UsageProblem(Msg("say whose sheet: --person ID (repeatable) or --all"))
    if persons and all_:
        raise UsageProblem(Msg("--person and --all together: give one of them"))
    day = r.parse_day(sheet_date, "--date")
    tpl = None
    if template is not None:
        try:
            tpl = Path(template).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageProblem(Msg("--template {path}: cannot read it: {why}", path=str(template),
                                   why=exc.strerror or str(exc))) from exc
    folder = r.output_dir(out_dir)
    doc = runs.load(db, run_id, r.today(), persons=None if all_ else list(persons))
    if tpl is None:
        tpl = profile_template(doc)
    people = sheet.people(doc) if all_ else list(persons)
    for p in people:
        doc.row(p)  # unknown person: a usage error before anything is written
    pages = []
    written: list[Path] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True,
                  disable=len(people) < 2) as progress:
        task = progress.add_task(t("docs.sheets", lang), total=len(people))
        rendered: list[tuple[str, str, bytes | None]] = []
        for p in people:
            # the date on the sheet: --date, else the delivery recorded (smvp conciliation
            # deliver), else today
            html = sheet.html(doc, p, day or doc.deliveries.get(p) or doc.today, lang, template=tpl)
            data = None
            if pdf or all_:
                laid = r.pdf_document(html)
                pages.append(laid)
                if pdf:
                    data = r.pdf_bytes([laid])
            rendered.append((p, html, data))
            progress.advance(task)
        combined = r.pdf_bytes(pages) if all_ and pages else None
    # everything rendered: now write (each file through a temporary name)
    for p, html, data in rendered:
        stem = f"scheda-{run_id}-{_safe_id(p)}"
        written.append(r.write_atomic(folder / f"{stem}.html", html))
        if data is not None:
            written.append(r.write_atomic(folder / f"{stem}.pdf", data))
    if combined is not None:
        written.append(r.write_atomic(folder / f"schede-{run_id}.pdf", combined))
    if all_:
        out.print(Text(t("docs.sheets_written", lang, n=len(people), run=run_id, dir=folder)), soft_wrap=True)
        if combined is not None:
            _written(out, folder / f"schede-{run_id}.pdf", lang)
    else:
        for path in written:
            _written(out, path, lang)
    return 0


def profile_template(doc: runs.RunDocument) -> str | None:
    """The text of the template the run's profile names (``scheda: {template: PATH}``, PATH
    relative to the profile file the run recorded), or None when it names none.

    Raises:
        DocumentProblem: the template file is missing or unreadable (exit 1).
    """
    named = (doc.profile.data.get("scheda") or {}).get("template")
    if not named:
        return None
    base = Path(str(doc.run.profile_path or "")).parent
    path = Path(str(named)).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise runs.DocumentProblem(
            Msg("{profile}: scheda.template {named!r} ({path}): cannot read it: {why}; no sheet was written",
                profile=str(doc.run.profile_path), named=named, path=str(path), why=why),
            hint=Msg("fix the path (relative to the profile file) or give --template FILE")) from exc


def parse_date(text: str | None) -> dt.date | None:
    return r.parse_day(text, "--date")


def trasparenza(*, run_id: int, out_dir: Path, pdf: bool, db: str | None, lang: str,
                out: Console) -> int:
    """Write the art. 20 d.lgs. 33/2013 tables: ``trasparenza-<run>.csv``, ``.xlsx``, ``.html``
    (and ``.pdf``)."""
    from smvp.documents import trasparenza as tr

    folder = r.output_dir(out_dir)
    doc = runs.load(db, run_id, r.today(), persons=[])
    tab = tr.tables(doc, lang)
    html = tr.html(doc, tab, lang)
    title = tr.TEXTS["title"][0 if lang == "it" else 1]
    files: list[tuple[str, bytes | str]] = [
        ("csv", "\ufeff" + tr.csv_text(tab, lang)),
        ("xlsx", tr.xlsx_bytes(tab, lang, f"{doc.chamber_name} {doc.year} — {title}")),
        ("html", html),
    ]
    if pdf:
        files.append(("pdf", r.pdf_bytes([r.pdf_document(html)])))
    for ext, data in files:
        _written(out, r.write_atomic(folder / f"trasparenza-{run_id}.{ext}", data), lang)
    return 0


def report(*, run_id: int, compare_run: int | None, out_dir: Path, pdf: bool, db: str | None,
           lang: str, out: Console) -> int:
    """Write the OIV's differentiation report ``report-<run>.html`` (and ``.pdf``)."""
    from smvp.documents import oiv

    folder = r.output_dir(out_dir)
    doc = runs.load(db, run_id, r.today(), persons=[])
    other = runs.load(db, compare_run, r.today(), persons=[]) if compare_run is not None else None
    html = oiv.html(doc, lang, other)
    stem = f"report-{run_id}" + (f"-vs-{compare_run}" if compare_run is not None else "")
    files: list[tuple[str, bytes | str]] = [("html", html)]
    if pdf:
        files.append(("pdf", r.pdf_bytes([r.pdf_document(html)])))
    for ext, data in files:
        _written(out, r.write_atomic(folder / f"{stem}.{ext}", data), lang)
    return 0
