"""What the pages show, gathered from the application layer (``smvp.app``) — no rules here.

Each function takes a :class:`~smvp.service.web.deps.Context` (tenant and user
already checked) and returns plain data for a template. Numbers come from the
engine through the app layer: ``current_outcome`` (the run with its revisions),
``explain_person`` (the trace), ``verify``; formatting from ``smvp.i18n``.
"""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from smvp.service.web.deps import Context, not_found

MONEY = ("premium", "maggiorazione", "paid")
SORTABLE = ("person_id", "name", "role", "unit_id", "results", "behaviour", "total", "judgement",
            "premium", "maggiorazione", "paid")


def outcome(ctx: Context, run_id: int) -> Any:
    """The run's current numbers (revisions applied), ``smvp.report.Outcome``."""
    from smvp.app.conciliation import current_outcome

    run = ctx.run(run_id)
    return current_outcome(ctx.engine, run.id, chamber=run.chamber)


def unit_labels(ctx: Context, run: Any) -> dict[str, str]:
    from smvp.app.conciliation import load_run_inputs

    _, tables = load_run_inputs(ctx.engine, run)
    units = tables.get("units") or {}
    return {str(i): str(label) for i, label in zip(units.get("unit_id") or [], units.get("label") or [])}


def _sort_key(row: dict[str, Any], key: str) -> tuple:
    v = row.get(key)
    if v is None:
        return (1, "")
    return (0, v if isinstance(v, (int, float, Decimal)) else str(v).lower())


def results_table(ctx: Context, run_id: int, *, unit: str = "", role: str = "", sort: str = "total",
                  desc: bool = True) -> dict[str, Any]:
    """Rows filtered by unit and role, sorted by ``sort``, with exact totals of the money shown."""
    out = outcome(ctx, run_id)
    rows = [r for r in out.rows if (not unit or r.get("unit_id") == unit)
            and (not role or r.get("role") == role)]
    sort = sort if sort in SORTABLE else "total"
    present = [r for r in rows if r.get(sort) is not None]
    absent = [r for r in rows if r.get(sort) is None]
    present.sort(key=lambda r: _sort_key(r, sort), reverse=desc)
    totals = {k: sum((Decimal(str(r[k])) for r in rows if r.get(k) is not None), Decimal("0"))
              for k in MONEY}
    roles = sorted({(str(r.get("role")), str(r.get("role_label") or r.get("role"))) for r in out.rows})
    units = sorted({str(r.get("unit_id")) for r in out.rows if r.get("unit_id")})
    return {"outcome": out, "rows": present + absent, "totals": totals, "roles": roles,
            "units": units, "unit": unit, "role": role, "sort": sort, "desc": desc,
            "people_all": len(out.rows), "funds": out.funds, "not_computed": out.not_computed}


def results_xlsx(ctx: Context, run_id: int) -> bytes:
    """The run's results workbook (``smvp.export``, the same as ``smvp evaluate --out x.xlsx``)."""
    from smvp import export

    out = outcome(ctx, run_id)
    with tempfile.TemporaryDirectory(prefix="smvp-web-") as tmp:
        path = Path(tmp) / f"risultati-{run_id}.xlsx"
        export.write_xlsx(out, path, ctx.lang)
        return path.read_bytes()


# --------------------------------------------------------------------------- one person


def person_row(ctx: Context, run_id: int, person_id: str) -> tuple[Any, dict[str, Any]]:
    """(outcome, row) of a person the user may see, else 404 (a colleague's URL included)."""
    run = ctx.run(run_id)
    if not ctx.may_see_person(run, person_id):
        raise not_found()
    out = outcome(ctx, run.id)
    row = next((r for r in out.rows if str(r.get("person_id")) == person_id), None)
    if row is None:
        raise not_found()
    return out, row


def trace_words(ctx: Context, run_id: int, person_id: str) -> dict[str, Any]:
    """The explain trace of the person in words (``smvp.explain_words``, as ``smvp explain``):
    nested items (label, value, calculation, data, rule, source, note) and the documents cited."""
    from smvp import explain_words
    from smvp.app.explain import explain_person

    found = explain_person(ctx.engine, run_id, person_id)
    return {"items": explain_words.worded(found.trace, ctx.lang),
            "documents": explain_words.documents(found.trace), "differs": found.differs}


def scheda_pdf(ctx: Context, run_id: int, person_id: str) -> bytes:
    """The person's scheda as PDF (``smvp.documents``: the same document as ``smvp scheda``),
    read through the tenant-scoped store."""
    from smvp.documents import render as r
    from smvp.documents import runs as doc_runs
    from smvp.documents import scheda

    person_row(ctx, run_id, person_id)
    doc = doc_runs.load(ctx.engine, run_id, ctx.today(), persons=[person_id])
    html = scheda.html(doc, person_id, doc.deliveries.get(person_id) or doc.today, ctx.lang)
    return r.pdf_bytes([r.pdf_document(html)])


def xlsx_stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def datasets(ctx: Context) -> list[dict[str, Any]]:
    """The tenant's uploaded datasets (newest first) with how many schede the valutatori have
    made final or left as drafts (``smvp.store.scores``)."""
    from sqlmodel import Session

    from smvp.service.web.score_pages import score_datasets
    from smvp.store import scores as q

    out = []
    with Session(ctx.engine) as s:
        for d in score_datasets(ctx):
            sheets = q.sheets(s, int(d.id or 0))
            out.append({"upload": d, "final": sum(1 for x in sheets.values() if x.final),
                        "draft": sum(1 for x in sheets.values() if not x.final)})
    return out


def is_self(ctx: Context, person_id: str) -> bool:
    return any(g.role == "dipendente" and g.person_id == person_id for g in ctx.grants)


def review_values(ctx: Context, run: Any, person_id: str) -> dict[str, Any]:
    """What the person page shows of the request of review (empty for anyone but the person,
    or when the run's profile has no conciliation procedure)."""
    from smvp.app import review
    from smvp.conciliation import CaseProblem

    if not is_self(ctx, person_id):
        return {}
    try:
        term = review.term(ctx.engine, run, person_id, as_of=ctx.today())
    except CaseProblem:
        return {}
    return {"review": term}
