"""``smvp runs``: list the stored runs."""

from __future__ import annotations

from rich.console import Console

from smvp import render, store
from smvp.i18n import t


def run(*, chamber: str | None, db: str | None, lang: str, out: Console) -> int:
    engine = store.open_engine(db)
    try:
        runs = store.list_runs(engine, chamber=chamber)
    finally:
        engine.dispose()
    if not runs:
        out.print(t("no_runs", lang))
        return 0
    out.print(render.runs_table(runs, lang))
    return 0
