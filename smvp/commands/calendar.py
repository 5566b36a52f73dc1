"""``smvp calendar``: the year's performance-cycle deadlines from a profile's ``cycle`` block.

Each step is a fixed date of the cycle (``date: "06-30"``, ``year_offset``)
or a term from another step; dates falling on a non-working day of the
Chamber's calendar move to the next working day, saying why. Given the
actual dates (``--actual FILE``: CSV ``step,date`` or a workbook with a
``cycle`` sheet) each step is marked on time or late by how many days.
``--ics`` writes an iCalendar file (RFC 5545, written by hand: all-day
events, CRLF, folded lines), ``--csv`` a table.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp import engine_api
from smvp.commands.evaluate import Options, resolve_profile_path
from smvp.conciliation import parse_date, today
from smvp.errors import ExportProblem, UsageProblem
from smvp.i18n import actor_label, format_date, resolve_lang, say, t
from smvp_engine import deadlines
from smvp_engine.deadlines import StepDeadline
from smvp_engine.errors import DatasetError, DatasetErrors, Msg, ProfileError, ProfileErrors


@dataclass
class CycleRow:
    row: StepDeadline
    optional: bool
    source: str
    note: str


def _d(day: dt.date | None) -> str:
    """A day as people read it (dd/mm/yyyy, Babel)."""
    return format_date(day, "it")


def role_labels(data: dict[str, Any]) -> dict[str, str]:
    """Role id → label from a profile's ``roles`` block (to name the actors of the steps)."""
    roles = data.get("roles") or {}
    return {str(k): str(v.get("label")) for k, v in roles.items()
            if isinstance(v, dict) and v.get("label")}


def _source(raw: Any, documents: dict[str, Any]) -> str:
    if not isinstance(raw, dict):
        return ""
    doc = raw.get("document") or ""
    title = (documents.get(doc) or {}).get("title") if isinstance(documents.get(doc), dict) else None
    short = doc
    if title:
        short = title.split(" (")[0]
        if len(short) > 40:
            short = short.split(",")[0]
    return ", ".join(x for x in (short, raw.get("section")) if x)


# --------------------------------------------------------------------------- actual dates


_STEP_COLS = ("step", "event", "passo", "evento")
_DATE_COLS = ("date", "data", "done", "actual", "effettivo")


def read_actual(path: Path) -> tuple[dict[str, dt.date], str]:
    """Actual dates: CSV ``step,date``, a dataset folder holding ``cycle.csv``, or an .xlsx
    workbook with a ``cycle`` sheet (the year's dataset workbook may carry it).

    Returns (step id → date, file label for messages). Raises DatasetErrors naming
    the file, row and column.
    """
    if not path.exists():
        raise UsageProblem(Msg("--actual {path}: no such file", path=str(path)))
    if path.is_dir():  # a dataset folder: its cycle table
        if not (path / "cycle.csv").exists():
            raise UsageProblem(Msg("--actual {path}: the folder has no cycle.csv (columns step, date)", path=str(path)))
        path = path / "cycle.csv"
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        first = text.splitlines()[0] if text.strip() else ""
        delim = ";" if first.count(";") > first.count(",") else ","
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delim)]
        where = str(path)
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        names = {n.lower(): n for n in wb.sheetnames}
        sheet = names.get("cycle") or names.get("calendario") or names.get("ciclo")
        if sheet is None:
            raise DatasetErrors([DatasetError(
                Msg("no sheet with the cycle's actual dates"), file=str(path),
                expected=Msg("a sheet named cycle (or calendario) with columns step, date"),
                found=", ".join(wb.sheetnames))])
        rows = [["" if c is None else c for c in r] for r in wb[sheet].iter_rows(values_only=True)]
        where = f"{path}[{sheet}]"
    else:
        raise UsageProblem(Msg("--actual {path}: expected a .csv file or an .xlsx workbook", path=str(path)))
    if not rows:
        raise DatasetErrors([DatasetError(Msg("empty file"), file=where,
                                          expected=Msg("a header row step,date"))])
    head = [str(c).strip().lower() for c in rows[0]]
    si = next((head.index(c) for c in _STEP_COLS if c in head), None)
    di = next((head.index(c) for c in _DATE_COLS if c in head), None)
    if si is None or di is None:
        raise DatasetErrors([DatasetError(
            Msg("missing columns"), file=where, line=1, expected=Msg("columns step and date"),
            found=", ".join(head))])
    out: dict[str, dt.date] = {}
    errors: list[DatasetError] = []
    for n, r in enumerate(rows[1:], 2):
        if not any(str(c).strip() for c in r):
            continue
        sid = str(r[si]).strip() if si < len(r) else ""
        raw = r[di] if di < len(r) else ""
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if raw in ("", None):
            continue  # not done yet
        try:
            out[sid] = parse_date(raw, "date")
        except UsageProblem:
            errors.append(DatasetError(Msg("not a date"), file=where, line=n, field=head[di],
                                       expected=Msg("YYYY-MM-DD or dd/mm/yyyy"), found=repr(raw)))
    if errors:
        raise DatasetErrors(errors)
    return out, where


# --------------------------------------------------------------------------- computation


def cycle_rows(data: dict[str, Any], year: int, actual: dict[str, dt.date],
               as_of: dt.date | None, where: str = "--actual", lang: str | None = None) -> list[CycleRow]:
    block = data.get("cycle") or {}
    steps = block.get("steps") or {}
    known = set(steps) | set(block.get("events") or {})
    unknown = [k for k in actual if k not in known]
    if unknown:
        errors = []
        for k in unknown:
            near = difflib.get_close_matches(k, list(known), n=1)
            errors.append(DatasetError(
                Msg("{step!r} is not a step of the cycle", step=k), file=where, field="step",
                expected=Msg("one of {values}", values=", ".join(steps)), found=repr(k),
                hint=Msg("did you mean {near}?", near=near[0]) if near else None))
        raise DatasetErrors(errors)
    cal = deadlines.calendar_from_profile(data)
    rows = deadlines.cycle_schedule(steps, year, cal, events=actual, as_of=as_of, project=True)
    docs = data.get("documents") or {}
    return [CycleRow(r, bool(steps[r.step].get("optional")),
                     _source(steps[r.step].get("source"), docs),
                     say(steps[r.step].get("note") or steps[r.step].get("reading") or "", resolve_lang(lang)))
            for r in rows]


def status_label(r: StepDeadline, lang: str) -> tuple[str, str]:
    n = r.days_late if r.days_late is not None else 0
    style = {"in_ritardo": "yellow", "scaduto": "bold red", "nei_termini": "green"}.get(r.status, "")
    return t(f"st_{r.status}", lang, n=n), style


# --------------------------------------------------------------------------- ics, csv


def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def to_ics(rows: list[CycleRow], *, chamber: str, chamber_name: str, year: int,
           stamp: dt.datetime | None = None) -> str:
    """An iCalendar (RFC 5545) document: one all-day VEVENT per step with a due date (in
    Italian, as its name and categories are)."""
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    dtstamp = stamp.strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//smvp//calendario del ciclo//IT",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_ics_escape(f'{chamber_name} — ciclo della performance {year}')}"]
    for cr in rows:
        r = cr.row
        if r.due is None or r.status in ("non_applicabile", "sostituito"):
            continue
        desc = say(r.reason, "it") + (f"\nFonte: {cr.source}" if cr.source else "")
        summary = r.label + (" (facoltativo)" if cr.optional else "")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{chamber}-{year}-{r.step}@smvp",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{r.due.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(r.due + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_ics_escape(summary)}",
            f"DESCRIPTION:{_ics_escape(desc)}",
            f"CATEGORIES:{_ics_escape(t('st_' + r.status, 'it', n=r.days_late or 0))}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(x) + "\r\n" for x in lines)


CSV_COLUMNS = ("step", "label", "actor", "optional", "nominal", "due", "moved_because", "actual",
               "status", "days_late", "source", "why")


def to_csv(rows: list[CycleRow], lang: str = "it") -> str:
    """The calendar as a table (columns :data:`CSV_COLUMNS`; why a deadline moved and the
    step's reason in ``lang``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for cr in rows:
        r = cr.row
        w.writerow([r.step, r.label, r.actor or "", "1" if cr.optional else "0",
                    r.deadline.nominal.isoformat() if r.deadline else "",
                    r.due.isoformat() if r.due else "",
                    say(r.deadline.reason, lang) if r.deadline else "",
                    r.done.isoformat() if r.done else "", r.status,
                    "" if r.days_late is None else r.days_late, cr.source, say(r.reason, lang)])
    return buf.getvalue()


def _write(path: Path, text: str, *, bom: bool = False) -> None:
    try:
        with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise ExportProblem(Msg("cannot write {path}: {why}", path=str(path), why=exc.strerror or str(exc))) from exc


# --------------------------------------------------------------------------- command


def run(*, chamber: str | None, profile: Path | None, year: int, actual: Path | None,
        ics: Path | None, csv_path: Path | None, as_of: str | None, lang: str,
        out: Console) -> int:
    for path, ext in ((ics, ".ics"), (csv_path, ".csv")):
        if path is not None and path.suffix.lower() != ext:
            raise UsageProblem(Msg("cannot write {path}: expected a file name ending in {ext}", path=str(path), ext=ext))
    # Without actual dates nothing is judged (no step is "overdue"): the plain calendar.
    day = parse_date(as_of, "--as-of") if as_of else (today() if actual is not None else None)
    profile_path = resolve_profile_path(Options(chamber=chamber, profile=profile))
    prof = engine_api.load_profile(profile_path)
    chamber_id = str(prof.chamber_id)
    if chamber and chamber != chamber_id:
        raise UsageProblem(Msg("--chamber {given} but the profile {path} is for {chamber!r}", given=chamber,
                                path=str(profile_path), chamber=chamber_id))
    prof.check_year(year)
    data = prof.data
    block = data.get("cycle")
    if not isinstance(block, dict) or not block.get("steps") or block.get("defined") is False:
        reading = (block or {}).get("reading") if isinstance(block, dict) else None
        if isinstance(block, dict) and block.get("defined") is False:
            out.print(Text(t("calendar_none", lang, chamber=chamber_id, reading=say(reading, lang)),
                           style="yellow"), soft_wrap=True)
            return 0
        raise ProfileErrors([ProfileError(
            Msg("the {chamber} profile declares no performance-cycle calendar", chamber=chamber_id),
            file=str(prof.path), field="cycle.steps",
            expected=Msg("a cycle block with steps (docs/deadlines.md)"), found=Msg("nothing"),
            hint=Msg("add the document's cycle dates as cycle.steps, or "
                     "cycle: {{defined: false, reading: ...}} when it gives none"))])
    for key in ("from", "until"):
        bound = block.get(key)
        if bound is not None and ((key == "from" and year < bound) or
                                  (key == "until" and year > bound)):
            raise ProfileErrors([ProfileError(
                Msg("the cycle calendar of the {chamber} profile is not in force in {year}",
                    chamber=chamber_id, year=year),
                file=str(prof.path), field=f"cycle.{key}", found=str(bound))])
    events, where = read_actual(actual) if actual is not None else ({}, "--actual")
    rows = cycle_rows(data, year, events, day, where, lang)

    name = str(getattr(prof, "chamber_name", chamber_id))
    table = Table(title=t("calendar_title", lang, year=year, chamber=name)
                  + (f" ({_d(day)})" if day else ""),
                  title_justify="left")
    # Narrower than 120 columns: five columns (the step with its source under it, the deadline
    # with why it moved under it), every date whole; wider: one column each.
    narrow = out.width < 120
    roles = role_labels(data)

    def longest_word(texts: list[str]) -> int:  # a column no narrower than its longest word
        return max((len(word) for text in texts for word in text.split()), default=1)

    actors = longest_word([actor_label(cr.row.actor, lang, roles) for cr in rows])
    outcomes = longest_word([status_label(cr.row, lang)[0] for cr in rows])
    columns = ((("step", {"min_width": 16}), ("actor", {"width": max(actors, 10)}),
                ("due", {"width": 12}), ("actual", {"no_wrap": True, "min_width": 10}),
                ("outcome", {"width": max(outcomes, 12)}))
               if narrow else
               (("step", {"max_width": 48}), ("actor", {"no_wrap": True}), ("due", {"no_wrap": True}),
                ("moved_because", {"max_width": 40}), ("actual", {"no_wrap": True}),
                ("outcome", {"no_wrap": True}), ("source", {"max_width": 40})))
    for key, opts in columns:
        table.add_column(t(key, lang), **opts)
    for cr in rows:
        r = cr.row
        text, style = status_label(r, lang)
        label = r.label + (f" ({t('optional', lang)})" if cr.optional else "")
        moved = say(r.deadline.reason, lang) if r.deadline else ""
        if narrow:
            step = Text(label)
            if cr.source:
                step.append("\n" + cr.source, style="dim")
            due = Text(_d(r.due))
            if moved:
                due.append("\n" + moved, style="dim")
            table.add_row(step, actor_label(r.actor, lang, roles), due, _d(r.done), Text(text, style=style))
            continue
        table.add_row(label, actor_label(r.actor, lang, roles), _d(r.due), moved, _d(r.done),
                      Text(text, style=style), cr.source)
    out.print(table)
    for cr in rows:
        if cr.row.status in ("condizionato", "non_applicabile", "sostituito"):
            out.print(Text(f"{cr.row.label}: {say(cr.row.reason, lang)}", style="dim"), soft_wrap=True)
    undated = [cr.row.label for cr in rows
               if cr.row.due is None or cr.row.status in ("non_applicabile", "sostituito")]
    if ics is not None:
        _write(ics, to_ics(rows, chamber=chamber_id, chamber_name=name, year=year))
        out.print(Text(t("written", lang, path=ics)), soft_wrap=True)
        if undated:
            out.print(Text(t("not_in_ics", lang, steps="; ".join(undated)), style="dim"),
                      soft_wrap=True)
    if csv_path is not None:
        _write(csv_path, to_csv(rows, lang), bom=True)
        out.print(Text(t("written", lang, path=csv_path)), soft_wrap=True)
    return 0
