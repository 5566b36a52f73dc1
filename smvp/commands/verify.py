"""``smvp verify --run N``: the verification of a stored run (``smvp.app.verify``) on a terminal.

The checks and their exit codes are described in ``smvp.app.verify``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smvp import store
from smvp.app.verify import (  # noqa: F401 - re-exported for the commands reading stored runs
    Verification,
    get_run,
    reevaluate,
    stored_dataset,
    stored_profile,
    tr,
    verify,
)
from smvp.errors import EdgeError
from smvp.i18n import format_datetime, format_decimal, yes_no


class CheckFailed(EdgeError):
    """Verification could not even start (exit 2 for verify, like a usage error)."""

    exit_code = 2



# --------------------------------------------------------------------------- rendering


def _shown(field_name: str | None, value: Any, lang: str) -> str:
    if value is None:
        return tr("absent", lang)
    if isinstance(value, bool):
        return yes_no(value, lang)
    if field_name and field_name.endswith(("_cents", "_cp")) and isinstance(value, int):
        return format_decimal(Decimal(value).scaleb(-2), lang, places=2)
    if isinstance(value, dict):
        return ", ".join(f"{k} {format_decimal(Decimal(x).scaleb(-2), lang, places=2) if isinstance(x, int) else x}"
                         for k, x in value.items())
    return str(value)


def render(v: Verification, lang: str, out: Console) -> None:
    when = format_datetime(dt.datetime.fromisoformat(v.created_at), lang) if v.created_at else ""
    out.print(tr("run_head", lang, id=v.run_id, chamber=v.chamber, year=v.year, when=when,
                 stored=v.engine_stored, now=v.engine_now), highlight=False, markup=False)
    for c in v.integrity:
        out.print(Text(("  ✓ " if c["ok"] else "  ✗ ") + c["message"], style="" if c["ok"] else "bold red"))
    if v.problems:
        out.print(Text(tr("cannot", lang), style="bold red"))
        for p in v.problems:
            out.print(Text("  " + p, style="red"), soft_wrap=True)
    if v.differences:
        table = Table(title=tr("differs", lang, n=len(v.differences)), title_justify="left")
        for k in ("col_what", "col_field", "col_stored", "col_now"):
            table.add_column(tr(k, lang))
        for d in v.differences:
            where = tr(d["where"], lang) + (f" {d['id']}" if d["id"] else "")
            table.add_row(where, d["field"] or "", _shown(d["field"], d["stored"], lang), _shown(d["field"], d["now"], lang))
        out.print(table)
    if not v.intact:
        out.print(Text(tr("tampered", lang), style="bold red"))
    elif v.identical:
        out.print(Text(tr("identical", lang, people=v.people, funds=v.funds), style="bold green"))


def run(*, run_id: int, db: str | None, lang: str, json_out: bool, out: Console, err: Console) -> int:
    try:
        engine = store.open_engine(db, create=False)
    except EdgeError as exc:  # its message and hint, said in the user's language
        raise CheckFailed(exc.message, hint=exc.hint) from exc
    try:
        try:
            v = verify(engine, run_id, lang)
        except store.StoreProblem as exc:
            raise CheckFailed(exc.message, hint=exc.hint) from exc
    finally:
        engine.dispose()
    if json_out:
        sys.stdout.write(json.dumps(v.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        render(v, lang, out)
    return 0 if v.identical else 1

