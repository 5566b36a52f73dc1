"""The performance cycle's calendar of a year (issue 11): the deadlines of the profile's
``cycle`` computed from the actual dates the amministratore records here — what ``smvp
calendar --actual`` prints — and its iCalendar file.

The deadlines come from ``smvp.commands.calendar.cycle_rows`` (``smvp_engine.deadlines``);
the dates are stored by ``smvp.app.cycle.record_actual_dates``. The profile is the tenant's
latest stored version, else the one bundled with smvp.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.i18n import t
from smvp.service.refusals import said_each
from smvp.service.web.deps import Context, context, not_found
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
READERS = ("amministratore", "oiv", "revisore")
FIELD = "data_"  # form field of a step's actual date: data_<step id>


def tenant_profile(ctx: Context) -> tuple[str, Any]:
    """(label, profile) the calendar uses: the latest stored version, else the bundled one."""
    from smvp import engine_api
    from smvp.app.uploads import load_profile_text, profile_version

    pv = profile_version(ctx.engine, None)
    if pv is not None:
        return t("web.cycle.of_version", ctx.lang, n=pv.id), load_profile_text(pv.text, pv.filename)
    found = engine_api.find_chamber(ctx.tenant.chamber)
    if found is None:
        raise not_found()
    return t("web.cycle.of_bundled", ctx.lang), engine_api.load_profile(found[1])


def _year(ctx: Context, anno: int | None) -> int:
    year = anno or ctx.year() or ctx.today().year
    if not 1900 <= year <= 2200:
        raise not_found()
    return year


def calendar_view(ctx: Context, year: int, actual: dict[str, dt.date]) -> dict[str, Any]:
    """The rows of the year's calendar with the actual dates, judged as of today when any
    actual date is recorded (as ``smvp calendar --actual``), else the plain calendar."""
    from smvp.commands.calendar import cycle_rows, role_labels, status_label
    from smvp.i18n import actor_label, say
    from smvp_engine.errors import SmvpErrors

    label, prof = tenant_profile(ctx)
    data = prof.data
    block = data.get("cycle")
    if not isinstance(block, dict) or not block.get("steps") or block.get("defined") is False:
        reading = block.get("reading") if isinstance(block, dict) else None
        return {"profile_label": label, "rows": [], "none": t("calendar_none", ctx.lang,
                                                                 chamber=prof.chamber_id,
                                                                 reading=say(reading, ctx.lang))}
    as_of = ctx.today() if actual else None
    roles = role_labels(data)
    rows = []
    try:
        prof.check_year(year)
        computed = cycle_rows(data, year, actual, as_of, "calendario", ctx.lang)
    except SmvpErrors as exc:
        return {"profile_label": label, "rows": [], "none": "; ".join(said_each(exc, ctx.lang))}
    for cr in computed:
        r = cr.row
        status, _ = status_label(r, ctx.lang)
        rows.append({"step": r.step, "label": r.label, "optional": cr.optional,
                     "actor": actor_label(r.actor, ctx.lang, roles), "due": r.due,
                     "moved": say(r.deadline.reason, ctx.lang) if r.deadline else "",
                     "done": actual.get(r.step), "status": status, "state": r.status,
                     "why": (say(r.reason, ctx.lang)
                             if r.status in ("condizionato", "non_applicabile", "sostituito") else ""),
                     "source": cr.source})
    return {"profile_label": label, "rows": rows, "none": "", "as_of": as_of, "data": data,
            "profile": prof}


def _render(ctx: Context, year: int, *, actual: dict[str, dt.date], entered: dict[str, str] | None = None,
            errors: list[Any] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    view = calendar_view(ctx, year, actual)
    return page(ctx.request, "calendar.html.j2", ctx, year=year, view=view,
                entered=entered or {}, errors=errors or [], saved=saved,
                may_edit="amministratore" in ctx.roles(), status_code=status_code)


@router.get("/t/{tenant}/amministrazione/calendario", response_class=HTMLResponse)
def calendar(ctx: Ctx, anno: int | None = None, salvato: int = 0) -> Response:
    from smvp.app.cycle import actual_dates

    ctx.grant(*READERS)
    year = _year(ctx, anno)
    return _render(ctx, year, actual=actual_dates(ctx.engine, year), saved=bool(salvato))


@router.post("/t/{tenant}/amministrazione/calendario")
async def calendar_save(request: Request, ctx: Ctx) -> Response:
    """Record the year's actual dates (every step of the form: an empty field is "not done");
    a date that does not parse or a step not in the cycle is shown, and nothing is written."""
    from smvp.app.cycle import actual_dates, record_actual_dates
    from smvp.conciliation import parse_date
    from smvp.errors import UsageProblem
    from smvp.service.web.profile_pages import store_user
    from smvp_engine.errors import DatasetError, DatasetErrors, Msg

    ctx.grant("amministratore")
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf") or ""))
    raw_year = str(form.get("anno") or "")
    year = _year(ctx, int(raw_year) if raw_year.isdigit() else None)
    entered = {k[len(FIELD):]: str(v).strip() for k, v in form.items() if k.startswith(FIELD)}
    dates: dict[str, dt.date | None] = {}
    errors: list[Any] = []
    for step, text in entered.items():
        if not text:
            dates[step] = None
            continue
        try:
            dates[step] = parse_date(text, step)
        except UsageProblem:
            errors.append(DatasetError(Msg("not a date"), field=step, expected=Msg("dd/mm/yyyy or YYYY-MM-DD"),
                                       found=repr(text)))
    if not errors:
        _, prof = tenant_profile(ctx)
        try:
            record_actual_dates(ctx.engine, profile_data=prof.data, year=year, dates=dates,
                                user=store_user(ctx))
        except DatasetErrors as exc:
            errors = list(exc.errors)
    if errors:
        return _render(ctx, year, actual=actual_dates(ctx.engine, year), entered=entered,
                       errors=errors, status_code=422)
    return RedirectResponse(f"/t/{ctx.tenant.slug}/amministrazione/calendario?anno={year}&salvato=1",
                            status_code=303)


@router.get("/t/{tenant}/amministrazione/calendario-{year}.ics")
def calendar_ics(year: int, ctx: Ctx) -> Response:
    """The year's deadlines as an iCalendar file (``smvp calendar --ics``)."""
    from smvp.app.cycle import actual_dates
    from smvp.commands.calendar import cycle_rows, to_ics

    ctx.grant(*READERS)
    year = _year(ctx, year)
    actual = actual_dates(ctx.engine, year)
    _, prof = tenant_profile(ctx)
    if not (prof.data.get("cycle") or {}).get("steps"):
        raise not_found()
    rows = cycle_rows(prof.data, year, actual, ctx.today() if actual else None, "calendario", ctx.lang)
    text = to_ics(rows, chamber=str(prof.chamber_id), chamber_name=ctx.tenant.name, year=year)
    return Response(text, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="ciclo-{ctx.tenant.slug}-{year}.ics"'})
