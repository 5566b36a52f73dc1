"""The valutatore's pages: the people they evaluate and the behaviour part of each scheda.

Everything that decides is ``smvp.app.scores`` (who evaluates whom, the scales, draft and
final, the motivation of a negative judgement; audited); this module reads the form, words
the refusals in Italian beside the field they concern, and renders. A person the valutatore
does not evaluate is 404, like any page outside what the user may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.i18n import say, t
from smvp.service.web.deps import Context, context, not_found
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
#: a scheda's states, each named by a catalogue id (said in the page's language)
STATES = {"uploaded": "web.sheet_state.uploaded", "draft": "web.sheet_state.draft", "final": "web.sheet_state.final"}


def _states(lang: str) -> dict[str, str]:
    return {state: t(key, lang) for state, key in STATES.items()}


def score_datasets(ctx: Context) -> list[Any]:
    """The tenant's uploaded datasets open for scoring (not the versions derived from them),
    newest first."""
    from sqlmodel import Session, col, select

    from smvp.store.tables import DatasetUpload

    with Session(ctx.engine) as s:
        return list(s.exec(select(DatasetUpload).where(col(DatasetUpload.derived_from).is_(None))
                           .order_by(col(DatasetUpload.id).desc())).all())


def _scoring(ctx: Context, dataset_id: int) -> Any:
    from smvp.app import scores as uc

    try:
        return uc.open_dataset(ctx.engine, dataset_id)
    except uc.NotFound:
        raise not_found() from None


def evaluatees(ctx: Context, sc: Any) -> list[str]:
    """The people of ``sc`` this user evaluates (``smvp.app.scores.evaluatees``)."""
    from smvp.app import scores as uc

    return uc.evaluatees(sc, set(ctx.tc.person_ids)) if "valutatore" in ctx.roles() else []


def _sheet(ctx: Context, sc: Any, person_id: str) -> Any:
    from smvp.app import scores as uc

    if person_id not in evaluatees(ctx, sc):
        raise not_found()
    return uc.get_sheet(ctx.engine, sc, person_id)


@router.get("/t/{tenant}/valutazioni", response_class=HTMLResponse)
def valutazioni(ctx: Ctx, dati: int | None = None) -> Response:
    from smvp.app import scores as uc

    ctx.grant("valutatore")
    datasets = score_datasets(ctx)
    chosen = next((d for d in datasets if d.id == dati), None) if dati else \
        (datasets[0] if datasets else None)
    if dati and chosen is None:
        raise not_found()
    sheets: list[Any] = []
    if chosen is not None:
        sc = _scoring(ctx, int(chosen.id or 0))
        sheets = uc.list_sheets(ctx.engine, sc, evaluatees(ctx, sc))
    return page(ctx.request, "valutazioni.html.j2", ctx, datasets=datasets, chosen=chosen,
                sheets=sheets, states=_states(ctx.lang), year=chosen.year if chosen else None)


def _sheet_page(ctx: Context, sc: Any, sheet: Any, *, status_code: int = 200,
                **values: Any) -> Response:
    values.setdefault("field_errors", {})
    values.setdefault("form", {})
    values.setdefault("errors", [])
    return page(ctx.request, "valutazione.html.j2", ctx, sc=sc, sheet=sheet, states=_states(ctx.lang),
                today=ctx.today(), year=sc.upload.year, status_code=status_code, **values)


@router.get("/t/{tenant}/valutazioni/{dataset_id}/{person_id}", response_class=HTMLResponse)
def sheet_form(ctx: Ctx, dataset_id: int, person_id: str, salvata: str = "") -> Response:
    ctx.grant("valutatore")
    sc = _scoring(ctx, dataset_id)
    return _sheet_page(ctx, sc, _sheet(ctx, sc, person_id), saved=salvata)


def _points(value: str | None, lang: str = "it") -> str:
    """Points as typed or stored (``12.5``), with the language's decimal mark (``12,5``)."""
    text = "" if value is None else str(value)
    return text.replace(".", ",") if lang == "it" else text


def read_scores(sheet: Any, form: Any, role_factors: dict[str, Any], role_label: str,
                lang: str = "it") -> tuple[dict[str, str], dict[str, str]]:
    """(factor → value typed, factor → the refusal in ``lang``) — each value checked by
    ``smvp.app.scores.parse_score`` (the scale of the factor); an empty field is no change."""
    from decimal import Decimal, InvalidOperation

    from smvp.app import scores as uc

    given: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in sheet.factors:
        raw = str(form.get(f"f_{f['id']}", "")).strip()
        if raw == "" or (f["score"] is not None and _same(raw, f["score"])):
            continue
        given[f["id"]] = raw
        try:
            uc.parse_score(role_factors[f["id"]], raw, role_label)
        except uc.Invalid:
            try:
                d = Decimal(raw.replace(",", "."))
                number = d.is_finite()
            except InvalidOperation:
                number = False
            if f["max"] is None:
                errors[f["id"]] = t("web.score.no_scale", lang)
            elif not number:
                errors[f["id"]] = t("web.answer.not_a_number", lang, found=raw, max=_points(f["max"], lang))
            elif d < 0 or d > Decimal(f["max"]):
                errors[f["id"]] = t("web.answer.out_of_scale", lang, found=_points(raw, lang),
                                    max=_points(f["max"], lang))
            else:
                errors[f["id"]] = t("web.answer.decimals", lang, found=_points(raw, lang),
                                    max=_points(f["max"], lang))
    return given, errors


def _same(raw: str, score: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(raw.replace(",", ".")) == Decimal(score)
    except InvalidOperation:
        return False


@router.post("/t/{tenant}/valutazioni/{dataset_id}/{person_id}", response_class=HTMLResponse)
async def sheet_save(request: Request, ctx: Ctx, dataset_id: int, person_id: str) -> Response:
    """Save the draft (scores and motivation); with ``azione=definitiva`` also date the scheda
    (final: no further edits)."""
    from smvp.app import scores as uc
    from smvp.conciliation import delivery_problem
    from smvp.i18n import format_date

    ctx.grant("valutatore")
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf") or ""))
    sc = _scoring(ctx, dataset_id)
    sheet = _sheet(ctx, sc, person_id)
    if sheet.state == "final":
        return _sheet_page(ctx, sc, sheet, status_code=409, errors=[
            t("web.score.final_since", ctx.lang, date=format_date(sheet.scheda_date, ctx.lang))])
    role = uc._role(sc, person_id)
    if role is None or not role.factors or role.per_person_scale:
        return _sheet_page(ctx, sc, sheet, status_code=422, errors=[say(p, ctx.lang) for p in sheet.problems])
    factors = {f.id: f for f in role.factors}
    given, field_errors = read_scores(sheet, form, factors, role.label, ctx.lang)
    motivation = str(form.get("motivazione") or "").strip()
    final = form.get("azione") == "definitiva"
    day_text = str(form.get("data_scheda") or "").strip()
    errors: list[str] = []
    day = None
    if final:
        try:
            day = dt.date.fromisoformat(day_text)
        except ValueError:
            field_errors["data_scheda"] = t("web.score.date_needed", ctx.lang)
        else:
            if delivery_problem(day, year=sc.upload.year, run_made=None, as_of=ctx.today()):
                field_errors["data_scheda"] = t(
                    "web.score.date_range", ctx.lang, start=format_date(dt.date(sc.upload.year + 1, 1, 1), ctx.lang),
                    year=sc.upload.year, today=format_date(ctx.today(), ctx.lang))
    form_values = {k: str(v) for k, v in form.items() if k != "csrf"}
    if field_errors:
        return _sheet_page(ctx, sc, sheet, status_code=422, field_errors=field_errors,
                           form=form_values)
    if given or motivation != (sheet.motivation or ""):
        sheet = uc.edit(ctx.engine, sc, person_id, scores=given, motivation=motivation,
                        user=ctx.user)
    if not final:
        return RedirectResponse(f"/t/{ctx.tenant.slug}/valutazioni/{dataset_id}/{person_id}"
                                "?salvata=bozza", status_code=303)
    missing = [f["label"] for f in sheet.factors if f["score"] is None]
    if missing:
        errors.append(t("web.score.missing", ctx.lang, factors=", ".join(missing)))
    elif sheet.negative and not sheet.motivation:
        field_errors["motivazione"] = t("web.score.negative", ctx.lang,
                                        points=_points(sheet.as_dict()["behaviour"], ctx.lang),
                                        below=_points(sheet.as_dict()["negative_below"], ctx.lang))
    if errors or field_errors:
        return _sheet_page(ctx, sc, sheet, status_code=422, errors=errors,
                           field_errors=field_errors, form=form_values)
    assert day is not None
    uc.set_scheda_date(ctx.engine, sc, person_id, scheda_date=day, user=ctx.user)
    return RedirectResponse(f"/t/{ctx.tenant.slug}/valutazioni/{dataset_id}/{person_id}"
                            "?salvata=definitiva", status_code=303)
