"""The dipendente's request of review, on their own scheda's page: the term computed by the
engine from the date of the scheda, the form within it, the state of the case and its
deadlines after it. The rules are ``smvp.app.review``'s; a request after the term is
refused naming the last day. Only the person themself may make it (anyone else: 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from smvp.service.web.deps import Context, context, not_found

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]


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


@router.post("/t/{tenant}/esecuzioni/{run_id}/persone/{person_id}/riesame")
def request_review(ctx: Ctx, run_id: int, person_id: str, csrf: str = Form(""),
                   motivi: str = Form("")) -> Response:
    from smvp.app import review
    from smvp.i18n import say
    from smvp.service.web import pages

    ctx.grant("dipendente")
    ctx.check_csrf(csrf)
    if not is_self(ctx, person_id):
        raise not_found()
    run = ctx.run(run_id)
    try:
        review.request(ctx.engine, run, person_id, reasons=motivi, on=ctx.today(),
                       user=ctx.user)
    except review.ReviewRefused as exc:
        return pages.person_page(ctx, run_id, person_id, status_code=409,
                                 review_error=say(exc.message, ctx.lang))
    return RedirectResponse(f"/t/{ctx.tenant.slug}/esecuzioni/{run_id}/persone/{person_id}"
                            "?riesame=1#riesame-h", status_code=303)
