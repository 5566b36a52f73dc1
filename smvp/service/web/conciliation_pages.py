"""The valutatore's side of conciliation: the open cases on the people they evaluate and,
for each, the form of their step (the answer to a request of review, the decision on the
conciliator's proposal) with its term computed by the engine.

Everything that decides is ``smvp.app.answers`` (whose cases, which steps are the
evaluator's, the current scores) and ``smvp.app.conciliation.record_step`` (order, terms,
late steps flagged, revisions); this module reads the form, words the refusals in Italian
(catalogue ``web.answer.*``) and renders. A case about someone the valutatore does not
evaluate — or about themself, or of another tenant — is 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.i18n import t
from smvp.service.refusals import said_each
from smvp.service.web.deps import Context, context, not_found
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]


def _cases(ctx: Context, *, include_closed: bool = False) -> list[Any]:
    from smvp.app import answers

    return answers.cases_for(ctx.engine, roles=ctx.tc.roles, person_ids=ctx.tc.person_ids,
                             as_of=ctx.today(), include_closed=include_closed)


def _case(ctx: Context, ref: str) -> Any:
    from smvp.app import answers

    view = answers.case_for(ctx.engine, ref, chamber=ctx.tenant.chamber, roles=ctx.tc.roles,
                            person_ids=ctx.tc.person_ids, as_of=ctx.today())
    if view is None:
        raise not_found()
    return view


@router.get("/t/{tenant}/conciliazione", response_class=HTMLResponse)
def case_list(ctx: Ctx) -> Response:
    """The open cases on the people the valutatore evaluates, with the next step and its term."""
    from smvp.app import answers

    ctx.grant("valutatore")
    views = _cases(ctx)
    return page(ctx.request, "conciliazioni.html.j2", ctx, views=views,
                mine={v.ref: answers.evaluator_steps(v) for v in views})


def _case_page(ctx: Context, view: Any, *, status_code: int = 200, **values: Any) -> Response:
    from smvp.app import answers
    from smvp.i18n import actor_label

    run = ctx.run(view.case.run_id)
    values.setdefault("errors", [])
    values.setdefault("field_errors", {})
    values.setdefault("form", {})
    request_notes = [s.note for s in view.steps if s.note]
    return page(ctx.request, "conciliazione.html.j2", ctx, view=view, run=run,
                steps=answers.evaluator_steps(view), factors=answers.factors(ctx.engine, run,
                                                                             view.case.person_id),
                reasons=request_notes[0] if request_notes else view.case.note,
                actor=lambda a: actor_label(a, ctx.lang), today=ctx.today(),
                status_code=status_code, **values)


@router.get("/t/{tenant}/conciliazione/{ref}", response_class=HTMLResponse)
def case_page(ctx: Ctx, ref: str, registrato: str = "") -> Response:
    ctx.grant("valutatore")
    return _case_page(ctx, _case(ctx, ref), saved=registrato)


def _read_scores(form: Any, factors: list[Any], lang: str) -> tuple[dict[str, int], dict[str, str]]:
    """(factor → centipoints changed, factor → the refusal in words): each value within the
    factor's scale, at most two decimals; an empty or unchanged field is no change."""
    from decimal import InvalidOperation

    changed: dict[str, int] = {}
    errors: dict[str, str] = {}
    for f in factors:
        raw = str(form.get(f"f_{f.id}", "")).strip().replace(",", ".")
        if raw == "":
            continue
        try:
            d = Decimal(raw)
            ok = d.is_finite()
        except InvalidOperation:
            ok = False
        scale = "?" if f.max is None else str(f.max).replace(".", ",")
        if not ok:
            errors[f.id] = t("web.answer.not_a_number", lang, found=raw, max=scale)
        elif f.max is None or d < 0 or d > f.max:
            errors[f.id] = t("web.answer.out_of_scale", lang, found=raw.replace(".", ","), max=scale)
        elif d.scaleb(2) != d.scaleb(2).to_integral_value():
            errors[f.id] = t("web.answer.decimals", lang, found=raw.replace(".", ","), max=scale)
        elif f.score is None or d != f.score:
            changed[f.id] = int(d.scaleb(2))
    return changed, errors


@router.post("/t/{tenant}/conciliazione/{ref}", response_class=HTMLResponse)
async def record(request: Request, ctx: Ctx, ref: str) -> Response:
    """Record the valutatore's step: «accolgo» with the new scores (a revision, the case
    closes) or «confermo» with the motivation (the procedure goes on, or ends when it is the
    last step)."""
    from smvp.app import answers
    from smvp.conciliation import CaseProblem
    from smvp_engine.errors import SmvpErrors

    ctx.grant("valutatore")
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf") or ""))
    view = _case(ctx, ref)
    lang = ctx.lang
    steps = {r.step: r for r in answers.evaluator_steps(view)}
    step = str(form.get("passo") or "")
    values = {k: str(v) for k, v in form.items() if k != "csrf"}
    if step not in steps:
        return _case_page(ctx, view, status_code=409, form=values,
                          errors=[t("web.answer.no_step", lang)])
    field_errors: dict[str, str] = {}
    try:
        on = dt.date.fromisoformat(str(form.get("data") or "").strip())
    except ValueError:
        field_errors["data"] = t("web.answer.bad_date", lang)
    else:
        start = steps[step].start
        if on > ctx.today() or (start is not None and on < start):
            field_errors["data"] = t("web.answer.date_range", lang,
                                     start=_day(start, lang), today=_day(ctx.today(), lang))
    note = str(form.get("motivazione") or "").strip()
    if not note:
        field_errors["motivazione"] = t("web.answer.motivation_needed", lang)
    outcome = str(form.get("esito") or "")
    scores: dict[str, int] = {}
    if outcome not in ("accolgo", "confermo"):
        field_errors["esito"] = t("web.answer.choose_outcome", lang)
    elif outcome == "accolgo":
        run = ctx.run(view.case.run_id)
        scores, score_errors = _read_scores(form, answers.factors(ctx.engine, run,
                                                                  view.case.person_id), lang)
        field_errors.update(score_errors)
        if not scores and not score_errors:
            field_errors["esito"] = t("web.answer.change_a_score", lang)
    if field_errors:
        return _case_page(ctx, view, status_code=422, form=values, field_errors=field_errors)
    try:
        done = answers.answer(ctx.engine, view, step=step, on=on, note=note,
                              scores=scores or None, user=ctx.user, as_of=ctx.today())
    except (CaseProblem, SmvpErrors) as exc:
        return _case_page(ctx, view, status_code=409, form=values, errors=said_each(exc, lang))
    saved = "revisione" if done.revision is not None and done.revision.revision is not None \
        else ("chiusa" if done.closed else "passo")
    return RedirectResponse(f"/t/{ctx.tenant.slug}/conciliazione/{view.ref}?registrato={saved}",
                            status_code=303)


def _day(day: dt.date | None, lang: str) -> str:
    from smvp.i18n import format_date

    return "" if day is None else format_date(day, lang)
