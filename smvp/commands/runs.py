"""``smvp runs``: list the stored runs."""

from __future__ import annotations

from rich.console import Console

from smvp import render, store
from smvp.i18n import t


def run(*, chamber: str | None, db: str | None, lang: str, out: Console) -> int:
    from smvp.app import conciliation as cases

    engine = store.open_engine(db)
    try:
        runs = store.list_runs(engine, chamber=chamber)
        # payment state (smvp/conciliation.py): provisional until OIV validation and conciliation end
        states = {rid: t(f"state_{g.state}", lang)
                  for rid, g in cases.payout_states(engine, [r.id for r in runs]).items()}
        for rid, n in cases.revision_counts(engine, [r.id for r in runs]).items():
            states[rid] += ", " + t("revisions_n", lang, n=n)
    finally:
        engine.dispose()
    if not runs:
        out.print(t("no_runs", lang))
        return 0
    out.print(render.runs_table(runs, lang, states=states, width=out.width))
    return 0
