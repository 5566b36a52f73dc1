"""The dipendente's request of review, on their own scheda's page: the term computed by the
engine from the date of the scheda, the form within it, the state of the case and its
deadlines after it. The rules are ``smvp.app.review``'s; a request after the term is
refused naming the last day. Only the person themself may make it (anyone else: 404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from smvp.service.web import views
from smvp.service.web.deps import Context, context, not_found

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]


@router.post("/t/{tenant}/esecuzioni/{run_id}/persone/{person_id}/riesame")
def request_review(ctx: Ctx, run_id: int, person_id: str, csrf: str = Form(""),
                   motivi: str = Form("")) -> Response:
    from smvp.app import review
    from smvp.i18n import say
    from smvp.service.web import pages

    ctx.grant("dipendente")
    ctx.check_csrf(csrf)
    if not views.is_self(ctx, person_id):
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
