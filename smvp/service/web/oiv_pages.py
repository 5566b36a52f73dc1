"""The OIV's page: per stored run the state of the payouts, the validation of the Relazione
sulla performance (recorded here, with the OIV's comment) and the organisational results
with their attestations.

The rules are the app layer's: ``smvp.app.conciliation.validate_run`` (the validation, which
with the conciliation terms makes the payouts final — art. 14 c. 6 d.lgs. 150/2009) and
``payout_state``; the organisational results are the engine's (``Outcome.objectives``:
grado di raggiungimento, attested values with their note). Audited like the API's
``POST /runs/{id}/validation``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.i18n import t
from smvp.service.refusals import said
from smvp.service.web.deps import Context, context
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]


def validations(ctx: Context, run_id: int) -> list[Any]:
    from sqlmodel import Session, col, select

    from smvp.store.tables import RunValidation

    with Session(ctx.engine) as s:
        return list(s.exec(select(RunValidation).where(RunValidation.run_id == run_id)
                           .order_by(col(RunValidation.id))).all())


def _gate_words(gate: Any, lang: str) -> list[str]:
    return list(gate.said(lang))


def oiv_view(ctx: Context, run_id: int | None) -> dict[str, Any]:
    from smvp.app import conciliation as cases
    from smvp.service.web import views

    runs = sorted(ctx.runs(), key=lambda r: r.id, reverse=True)
    run = ctx.run(run_id) if run_id is not None else (runs[0] if runs else None)
    if run is None:
        return {"runs": runs, "run": None}
    gate = cases.payout_state(ctx.engine, run.id, as_of=ctx.today())
    out = views.outcome(ctx, run.id)
    objectives = sorted(out.objectives, key=lambda o: (str(o.get("level") or ""),
                                                       str(o.get("unit_id") or ""),
                                                       str(o.get("objective_id") or "")))
    return {"runs": runs, "run": run, "gate": gate, "gate_words": _gate_words(gate, ctx.lang),
            "validations": validations(ctx, run.id), "objectives": objectives,
            "attested": sum(1 for o in objectives if o.get("attested"))}


@router.get("/t/{tenant}/oiv", response_class=HTMLResponse)
def oiv_home(ctx: Ctx, esecuzione: int | None = None, registrata: str = "") -> Response:
    ctx.grant("oiv")
    return page(ctx.request, "oiv.html.j2", ctx, today=ctx.today(), saved=registrata,
                errors={}, form={}, **oiv_view(ctx, esecuzione))


@router.post("/t/{tenant}/oiv/{run_id}/validazione", response_class=HTMLResponse)
def oiv_validate(ctx: Ctx, run_id: int, csrf: str = Form(""), data_validazione: str = Form(""),
                 richieste_chiuse: str = Form(""), commento: str = Form("")) -> Response:
    """Record the OIV's validation of the Relazione for ``run_id`` (date, optional closing
    date of the conciliation requests, comment)."""
    from sqlmodel import Session

    from smvp.app import accounts
    from smvp.app import conciliation as cases
    from smvp.conciliation import CaseProblem
    from smvp.i18n import format_date

    ctx.grant("oiv")
    ctx.check_csrf(csrf)
    run = ctx.run(run_id)
    errors: dict[str, str] = {}
    today = ctx.today()

    def day(text: str, key: str, required: bool) -> dt.date | None:
        if not text.strip():
            if required:
                errors[key] = t("web.oiv.date_needed", ctx.lang)
            return None
        try:
            d = dt.date.fromisoformat(text.strip())
        except ValueError:
            errors[key] = t("web.oiv.not_a_date", ctx.lang, found=text)
            return None
        if d > today:
            errors[key] = t("web.oiv.after_today", ctx.lang, today=format_date(today, ctx.lang))
        return d

    oiv_date = day(data_validazione, "data_validazione", True)
    closed = day(richieste_chiuse, "richieste_chiuse", False)
    if oiv_date is not None and oiv_date.year <= run.year and "data_validazione" not in errors:
        errors["data_validazione"] = t("web.oiv.after_year", ctx.lang, year=run.year,
                                       start=format_date(dt.date(run.year + 1, 1, 1), ctx.lang))
    if not errors:
        try:
            rec = cases.validate_run(ctx.engine, run.id, oiv_date=oiv_date,  # type: ignore[arg-type]
                                     requests_closed=closed, note=commento.strip() or None,
                                     chamber=run.chamber, as_of=today)
        except CaseProblem as exc:
            errors["data_validazione"] = said(exc, ctx.lang)
        else:
            with Session(ctx.engine) as s, s.begin():
                accounts.audit(s, user=ctx.user, action="run.validate", kind="run",
                               object_id=run.id,
                               after={"oiv_date": rec.oiv_date.isoformat(),
                                      "requests_closed": closed.isoformat() if closed else None,
                                      "note": rec.note, "validation": rec.id})
            return RedirectResponse(f"/t/{ctx.tenant.slug}/oiv?esecuzione={run.id}&registrata=1",
                                    status_code=303)
    form = {"data_validazione": data_validazione, "richieste_chiuse": richieste_chiuse,
            "commento": commento}
    return page(ctx.request, "oiv.html.j2", ctx, today=today, saved="", errors=errors,
                form=form, status_code=422, **oiv_view(ctx, run.id))
