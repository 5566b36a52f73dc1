"""``smvp run validate|state|export``: the OIV validation and the payment gate of a stored run.

No premium may be paid before the OIV has validated the Relazione sulla
performance (art. 14 c. 6 d.lgs. 150/2009): a run's payouts are
*provvisori* until that validation is recorded (``smvp run validate N
--oiv-date``) and every conciliation term of the run has expired or its case
is closed; then *definitivi*. ``smvp run export`` writes the run's current
numbers (every revision applied) with that state.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from smvp import conciliation as domain
from smvp import export, store
from smvp.app import conciliation as cases
from smvp.i18n import format_date, t


def _line(out: Console, text: str, style: str = "") -> None:
    out.print(Text(text, style=style), soft_wrap=True)


def print_gate(out: Console, gate: domain.Gate, lang: str) -> None:
    state = t(f"state_{gate.state}", lang)
    style = "bold green" if gate.final else "bold yellow"
    _line(out, t("payout_state_line", lang, run=gate.run_id, state=state)
          + f" ({format_date(gate.as_of, lang)})", style)
    for reason in gate.said(lang):
        _line(out, "  - " + reason, "yellow")


def validate(*, run_id: int, oiv_date: str, requests_closed: str | None, note: str | None,
             chamber: str | None, db: str | None, lang: str, as_of: str | None,
             out: Console) -> int:
    day = domain.parse_date(oiv_date, "--oiv-date")
    closed = domain.parse_date(requests_closed, "--requests-closed") if requests_closed else None
    when = domain.parse_date(as_of, "--as-of") if as_of else None
    engine = store.open_engine(db)
    try:
        cases.validate_run(engine, run_id, oiv_date=day, requests_closed=closed, note=note,
                           chamber=chamber, as_of=when)
        gate = cases.payout_state(engine, run_id, as_of=when)
    finally:
        engine.dispose()
    _line(out, t("validated", lang, run=run_id, date=format_date(day, lang)), "bold")
    print_gate(out, gate, lang)
    return 0


def state(*, run_id: int, chamber: str | None, db: str | None, lang: str, as_of: str | None,
          out: Console) -> int:
    when = domain.parse_date(as_of, "--as-of") if as_of else None
    engine = store.open_engine(db)
    try:
        from sqlmodel import Session

        from smvp.store import cases as q

        with Session(engine) as session:
            q.get_run(session, run_id, chamber)
        gate = cases.payout_state(engine, run_id, as_of=when)
    finally:
        engine.dispose()
    print_gate(out, gate, lang)
    return 0


def export_run(*, run_id: int, out_path: Path, chamber: str | None, db: str | None, lang: str,
               as_of: str | None, out: Console, csv_dialect: str | None = None) -> int:
    export.check_format(out_path)
    export.csv_dialect(lang, csv_dialect)
    when = domain.parse_date(as_of, "--as-of") if as_of else None
    engine = store.open_engine(db)
    try:
        outcome = cases.current_outcome(engine, run_id, chamber=chamber)
        gate = cases.payout_state(engine, run_id, as_of=when)
    finally:
        engine.dispose()
    outcome.info.payout_state = gate.state  # type: ignore[attr-defined]
    export.write(outcome, out_path, lang, dialect=csv_dialect)
    print_gate(out, gate, lang)
    _line(out, t("written", lang, path=out_path))
    return 0
