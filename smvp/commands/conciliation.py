"""``smvp conciliation``: cases about stored evaluations, their steps and deadlines.

``open`` a case, record each ``step`` (late steps accepted and flagged, steps
out of order refused), ``close`` it, list the open ones with their next
deadline (``status``), ``show`` one, record the ``deliver``-y of the sheets.
A step with ``--scores`` ends the case with a changed evaluation: a revision
of the person's result is stored and the run's money recomputed, showing who
is affected. See docs/conciliation.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp import conciliation as domain
from smvp import store
from smvp.app import conciliation as cases
from smvp.errors import UsageProblem
from smvp.i18n import actor_label, format_date, format_money, format_points, say, t
from smvp_engine.deadlines import StepDeadline
from smvp_engine.errors import Msg


def _d(day: dt.date | None) -> str:
    """A day as people read it (dd/mm/yyyy, Babel)."""
    return format_date(day, "it")


def _line(out: Console, text: str, style: str = "") -> None:
    out.print(Text(text, style=style), soft_wrap=True)


def status_text(row: StepDeadline, lang: str) -> tuple[str, str]:
    """Short label and style of a step's status."""
    n = row.days_late if row.days_late is not None else 0
    text = t(f"st_{row.status}", lang, n=n)
    style = {"in_ritardo": "yellow", "scaduto": "bold red", "nei_termini": "green",
             "incoerente": "red"}.get(row.status, "")
    return text, style


def outcome_text(case: store.ConciliationCase, lang: str) -> str:
    if case.closed_on is None:
        return t("open", lang)
    return t("closed_on", lang, date=_d(case.closed_on),
             outcome=t(f"out_{case.outcome}", lang))


def _engine(db: str | None):
    return store.open_engine(db)


def _next_line(out: Console, view: domain.CaseView, lang: str) -> None:
    nxt = view.next
    if nxt is None:
        return
    if nxt.due is None:
        _line(out, t("next_no_term", lang, label=nxt.label))
        return
    left = (nxt.due - view.as_of).days
    if left < 0:
        days, style = t("overdue_by", lang, n=-left), "bold red"
    else:
        days, style = (t("days_today", lang) if left == 0 else t("days_n", lang, n=left)), ""
    _line(out, t("next_deadline", lang, label=nxt.label, due=_d(nxt.due), days=days), style)
    if nxt.deadline is not None and nxt.deadline.moved:
        _line(out, "  " + say(nxt.deadline.reason, lang))


# --------------------------------------------------------------------------- open, deliver


def open_(*, chamber: str, run_id: int, person: str, delivered: str | None, note: str | None,
          db: str | None, lang: str, as_of: str | None, out: Console) -> int:
    when = domain.parse_date(delivered, "--delivered") if delivered else None
    day = domain.parse_date(as_of, "--as-of") if as_of else None
    engine = _engine(db)
    try:
        view = cases.open_case(engine, chamber=chamber, run_id=run_id, person_id=person,
                               delivered=when, note=note, as_of=day)
    finally:
        engine.dispose()
    c = view.case
    _line(out, t("case_opened", lang, case=view.ref, person=c.person_id,
                 name=view.person_name or "", run=c.run_id,
                 event=view.procedure.label(c.base_event), date=_d(c.delivered)), "bold")
    _next_line(out, view, lang)
    return 0


def deliver(*, chamber: str, run_id: int, on: str, persons: list[str], db: str | None, lang: str,
            as_of: str | None, out: Console) -> int:
    day = domain.parse_date(on, "--on")
    engine = _engine(db)
    try:
        n = cases.deliver(engine, chamber=chamber, run_id=run_id, delivered=day,
                          person_ids=persons,
                          as_of=domain.parse_date(as_of, "--as-of") if as_of else None)
    finally:
        engine.dispose()
    _line(out, t("delivered_recorded", lang, run=run_id, date=_d(day), n=n))
    return 0


# --------------------------------------------------------------------------- step, close


def step(*, ref: str, chamber: str | None, event: str, on: str, scores: str | None,
         scores_file: Path | None, note: str | None, db: str | None, lang: str,
         as_of: str | None, out: Console) -> int:
    day = domain.parse_date(on, "--on")
    if scores and scores_file:
        raise UsageProblem(Msg("give --scores or --scores-file, not both"))
    parsed = domain.parse_scores(scores) if scores else None
    engine = _engine(db)
    try:
        if scores_file is not None:
            view, _revs = cases.show_case(engine, ref, chamber=chamber)
            parsed = domain.read_scores_file(scores_file, view.case.person_id)
        result = cases.record_step(engine, ref, chamber=chamber, event=event, on=day,
                                   scores=parsed, note=note,
                                   as_of=domain.parse_date(as_of, "--as-of") if as_of else None)
    finally:
        engine.dispose()
    view, row = result.view, result.row
    _line(out, t("step_recorded", lang, case=view.ref, label=row.label, date=_d(day)), "bold")
    if row.status == "in_ritardo":
        _line(out, t("step_late", lang, n=row.days_late, due=_d(row.due)), "bold yellow")
        if row.deadline is not None:
            _line(out, "  " + say(row.deadline.explain(), lang), "yellow")
    elif row.status == "nei_termini":
        _line(out, t("step_on_time", lang, due=_d(row.due)), "green")
    elif row.status == "nessun_termine":
        _line(out, t("step_no_term", lang))
    if result.revision is not None:
        print_revision(out, result.revision, view, lang)
    if result.closed:
        _line(out, t("case_closed", lang, case=view.ref, date=_d(view.case.closed_on),
                     outcome=t(f"out_{view.case.outcome}", lang)), "bold")
    else:
        _next_line(out, view, lang)
    return 0


def close(*, ref: str, chamber: str | None, on: str, outcome: str, note: str | None,
          db: str | None, lang: str, as_of: str | None, out: Console) -> int:
    day = domain.parse_date(on, "--on")
    engine = _engine(db)
    try:
        view = cases.close_case(engine, ref, chamber=chamber, on=day, outcome=outcome, note=note,
                                as_of=domain.parse_date(as_of, "--as-of") if as_of else None)
    finally:
        engine.dispose()
    _line(out, t("case_closed", lang, case=view.ref, date=_d(day),
                 outcome=t(f"out_{view.case.outcome}", lang)), "bold")
    return 0


# --------------------------------------------------------------------------- revision


def _money(cents_or_dec: Any, lang: str) -> str:
    return format_money(cents_or_dec, lang) if cents_or_dec is not None else ""


def _arrow(before: Any, after: Any, fmt) -> Text:
    if before == after:
        return Text(fmt(after))
    return Text.assemble(fmt(before), " → ", (fmt(after), "bold"))


def print_revision(out: Console, rev: domain.RevisionOutcome, view: domain.CaseView,
                   lang: str) -> None:
    for w in rev.warnings:
        _line(out, say(w, lang), "yellow")
    table = Table(title=t("scores_title", lang, person=rev.person_id), title_justify="left")
    for key in ("factor", "before", "after"):
        table.add_column(t(key, lang), justify="left" if key == "factor" else "right")
    for factor, score in rev.scores.items():
        old = rev.previous.get(factor)
        table.add_row(factor, format_points(None if old is None else Decimal(old).scaleb(-2), lang),
                      format_points(Decimal(score).scaleb(-2), lang))
    out.print(table)
    if rev.revision is None:
        _line(out, t("revision_none", lang), "yellow")
        return
    _line(out, t("revision_stored", lang, n=rev.revision.number, run=rev.revision.run_id,
                 person=rev.person_id), "bold")
    print_changes(out, rev, lang)


def print_changes(out: Console, rev: domain.RevisionOutcome, lang: str) -> None:
    if not rev.changes:
        _line(out, t("affected_none", lang))
        return
    table = Table(title=t("affected_title", lang), title_justify="left")
    table.add_column(t("person_id", lang), no_wrap=True)
    table.add_column(t("name", lang), no_wrap=True, overflow="ellipsis", max_width=24)
    for key in ("total", "premium", "maggiorazione", "rank", "paid", "delta_paid"):
        table.add_column(t(key, lang), justify="right", no_wrap=True)
    pts = lambda v: format_points(v, lang)
    money = lambda v: format_money(v, lang)
    rank = lambda v: "" if v is None else str(v)
    for c in rev.changes:
        b, a = c.before, c.after
        delta = c.delta_paid
        table.add_row(
            c.person_id, c.name or "",
            _arrow(b.get("total"), a.get("total"), pts),
            _arrow(b.get("premium"), a.get("premium"), money),
            _arrow(b.get("maggiorazione"), a.get("maggiorazione"), money),
            _arrow(b.get("maggiorazione_rank"), a.get("maggiorazione_rank"), rank),
            _arrow(b.get("paid"), a.get("paid"), money),
            Text(("+" if delta > 0 else "") + money(delta),
                 style="green" if delta > 0 else ("red" if delta < 0 else "")),
        )
    out.print(table)
    for mb, ma in zip(rev.maggiorazioni_before, rev.maggiorazioni_after):
        parts = []
        for key in ("eligible", "quota", "recipients", "amount_each"):
            if key in mb or key in ma:
                fmt = money if key == "amount_each" else str
                before, after = mb.get(key), ma.get(key)
                parts.append(f"{t(key, lang)} {fmt(before)}" + (
                    f" → {fmt(after)}" if before != after else ""))
        _line(out, f"{ma.get('label') or ma.get('id')}: " + ", ".join(parts))
    fb = {f["fund"]: f for f in rev.funds_before}
    for f in rev.funds_after:
        old = fb.get(f["fund"], {})
        if old.get("distributed") != f.get("distributed"):
            _line(out, f"{f.get('label') or f['fund']}: {t('distributed', lang)} "
                       f"{money(old.get('distributed'))} → {money(f.get('distributed'))}, "
                       f"{t('economies', lang)} {money(old.get('economies'))} → "
                       f"{money(f.get('economies'))}")


# --------------------------------------------------------------------------- status, show


def status(*, chamber: str | None, include_closed: bool, db: str | None, lang: str,
           as_of: str | None, out: Console) -> int:
    day = domain.parse_date(as_of, "--as-of") if as_of else domain.today()
    engine = _engine(db)
    try:
        views = cases.list_cases(engine, chamber=chamber, include_closed=include_closed, as_of=day)
    finally:
        engine.dispose()
    if not views:
        _line(out, t("no_cases_any" if include_closed else "no_cases", lang))
        return 0
    by_chamber: dict[str, list[domain.CaseView]] = {}
    for v in views:
        by_chamber.setdefault(v.case.chamber, []).append(v)
    for ch, items in by_chamber.items():
        out.print(cases_table(ch, items, lang, day))
    return 0


def cases_table(chamber: str, views: list[domain.CaseView], lang: str, day: dt.date) -> Table:
    table = Table(title=f"{t('cases_title', lang)} — {chamber} ({_d(day)})",
                  title_justify="left")
    for key, opts in (("case", {"no_wrap": True}), ("run", {"justify": "right"}),
                      ("person_id", {"no_wrap": True}),
                      ("name", {"no_wrap": True, "overflow": "ellipsis", "max_width": 22}),
                      ("delivered", {"no_wrap": True}), ("last_step", {"max_width": 34}),
                      ("next_step", {"max_width": 40}), ("due", {"no_wrap": True}),
                      ("days_left", {"justify": "right", "no_wrap": True}),
                      ("case_state", {"max_width": 36})):
        table.add_column(t(key, lang), **opts)

    def order(v: domain.CaseView) -> tuple:
        nxt = v.next
        return (v.closed, nxt is None or nxt.due is None, nxt.due if nxt and nxt.due else day,
                v.case.number)

    for v in sorted(views, key=order):
        last = v.last
        last_text = "" if last is None else f"{v.procedure.label(last.step)} {_d(last.done_on)}"
        if last is not None and last.status == "in_ritardo":
            last_text += f" ({t('st_in_ritardo', lang, n=last.days_late)})"
        nxt = v.next
        left = v.days_left
        style = "bold red" if left is not None and left < 0 else ""
        if v.closed:
            state = outcome_text(v.case, lang)
        elif v.lapsed:
            state = t("lapsed", lang)
        elif nxt is not None and nxt.due is None:
            state = t("no_term", lang)
        else:
            state = t("open", lang)
        if left is None:
            left_text = ""
        elif left < 0:
            left_text = t("overdue_by", lang, n=-left)
        else:
            left_text = str(left)
        table.add_row(v.ref, str(v.case.run_id), v.case.person_id, v.person_name or "",
                      _d(v.case.delivered), last_text,
                      "" if nxt is None else nxt.label,
                      "" if nxt is None else (_d(nxt.due) if nxt.due else t("no_term", lang)),
                      Text(left_text, style=style), Text(state, style=style))
    return table


def show(*, ref: str, chamber: str | None, db: str | None, lang: str, as_of: str | None,
         out: Console) -> int:
    day = domain.parse_date(as_of, "--as-of") if as_of else domain.today()
    engine = _engine(db)
    try:
        view, revs = cases.show_case(engine, ref, chamber=chamber, as_of=day)
    finally:
        engine.dispose()
    c = view.case
    _line(out, f"{view.ref}: {c.person_id} {view.person_name or ''} — {t('run', lang)} "
               f"{c.run_id} — {outcome_text(c, lang)}", "bold")
    table = Table(title_justify="left", show_lines=False)
    for key, opts in (("step", {"max_width": 44}), ("actor", {}), ("due", {"no_wrap": True}),
                      ("done_on", {"no_wrap": True}), ("case_state", {}), ("why", {"ratio": 1})):
        table.add_column(t(key, lang), **opts)
    table.add_row(view.procedure.label(c.base_event), "", "", _d(c.delivered), "", "")
    for row in view.schedule:
        text, style = status_text(row, lang)
        label = row.label + (f" ({t('optional', lang)})" if view.procedure.optional(row.step)
                             else "")
        table.add_row(label, actor_label(row.actor, lang), _d(row.due), _d(row.done), Text(text, style=style),
                      say(row.reason, lang))
    out.print(table)
    for rev in revs:
        _line(out, t("revision_line", lang, n=rev.number, run=rev.run_id,
                     date=_d(rev.decided_on),
                     scores=", ".join(f"{k} {format_points(Decimal(v).scaleb(-2), lang)}"
                                      for k, v in rev.scores.items())))
    if not view.closed:
        _next_line(out, view, lang)
    return 0
