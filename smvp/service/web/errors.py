"""Every error of a page answered as a page: in the frame, in the page's language
(``smvp.service.web.language``), with the status kept.

The service (``smvp.service.app``) answers its refusals as JSON (docs/api.md, "Errors"); the
pages are the same app, so :func:`install` wraps each of its error handlers: a request to the
JSON API (``/api``, ``/docs``) still gets the service's answer, unchanged; a page gets
``error.html.j2`` —

- a request FastAPI cannot read (``RequestValidationError``: a form field missing, a number
  that is not one, ``/esecuzioni/abc/…``): 422, a table naming each field, where it is (the
  form, the address), what is wrong, what was expected and what was found
  (``smvp.service.invalid.described``), and a link back to the page that sent it;
- a refusal (``Refusal``: 403 of a forged form, 404 of what is not the user's — another
  tenant's resource says nothing of it —, 409 …) said in the page's language; FastAPI's own
  404 / 405 in the catalogue's words, never Starlette's English;
- an edge or engine error no handler of the page caught (``PROBLEM_STATUS``, ``SmvpError``):
  the service's status, its sentences in the page's language;
- anything unexpected: 500, a page that says so (the traceback goes to the server's log, as
  before, never to the page).
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from smvp.i18n import has, t
from smvp.service.refusals import Refusal, said_each
from smvp.service.web.language import back, is_page, page_lang
from smvp.service.web.render import page

#: the places a field can be in, as a page names them (``api.invalid.field_in_*`` for the rest)
FORM_PLACE = "web.invalid.in_form"


def _frame(request: Request) -> Any:
    """The tenant context of a page under ``/t/<tenant>/`` when the user is logged in and holds a
    role there (the frame then shows the tenant, the year and the navigation), else None —
    never a hint of a tenant the user does not belong to."""
    from smvp.service.web.deps import context

    parts = request.url.path.split("/")
    if len(parts) < 3 or parts[1] != "t" or not parts[2]:
        return None
    try:
        return context(request, parts[2])
    except Exception:  # not logged in, not a member, the database unreachable: no frame
        return None


def _place(d: dict[str, Any], lang: str) -> str:
    where, field = d["where"], d["field"]
    if where == "body":
        return t(FORM_PLACE, lang, field=field) if field else t("web.invalid.whole_form", lang)
    return (t(f"api.invalid.field_in_{where or 'body'}", lang, field=field) if field
            else t(f"api.invalid.whole_{where or 'body'}", lang))


def invalid_page(request: Request, exc: RequestValidationError) -> Response:
    """422: what FastAPI could not read of a page's request, field by field."""
    from smvp.service import invalid

    lang = page_lang(request)
    rows = []
    for error in exc.errors():
        d = invalid.described(error, lang)
        said = t("web.invalid.value", lang) if d["what"] == "value" else d["problem"]  # no pydantic ids
        rows.append({"place": _place(d, lang), "field": d["field"], "problem": said,
                     "expected": d["expected"], "found": d["found"]})
    return page(request, "error.html.j2", _frame(request), status_code=422, status=422,
                detail=t("web.invalid.text", lang), problems=rows, back=back(request))


def _http_detail(exc: StarletteHTTPException, lang: str) -> str:
    if isinstance(exc, Refusal):
        return exc.said(lang)
    key = f"web.error.http_{exc.status_code}"
    return t(key, lang) if has(key) else t("web.error.http", lang, status=exc.status_code)


def http_page(request: Request, exc: StarletteHTTPException) -> Response:
    """An ``HTTPException`` of a page (404 says only that the page is not there)."""
    lang = page_lang(request)
    ctx = None if exc.status_code == 404 else _frame(request)
    return page(request, "error.html.j2", ctx, status_code=exc.status_code, status=exc.status_code,
                detail=_http_detail(exc, lang), back=back(request),
                headers=getattr(exc, "headers", None))


def problem_page(request: Request, exc: BaseException, status: int) -> Response:
    """An edge or engine error (the service's ``status``) said in the page's language."""
    lang = page_lang(request)
    said = said_each(exc, lang)
    return page(request, "error.html.j2", _frame(request), status_code=status, status=status,
                detail=said[0] if len(said) == 1 else t("web.error.problems", lang, n=len(said)),
                details=said if len(said) > 1 else [], back=back(request))


def internal_page(request: Request, exc: BaseException) -> Response:
    """500 of a page: says it in the page's language; the API's 500 stays Starlette's."""
    if not is_page(request.url.path):
        return PlainTextResponse("Internal Server Error", status_code=500)
    try:
        lang = page_lang(request)
        return page(request, "error.html.j2", None, status_code=500, status=500,
                    detail=t("web.error.internal", lang), back=back(request))
    except Exception:  # the page itself fails: the plain answer
        return PlainTextResponse("Internal Server Error", status_code=500)


def install(app: FastAPI) -> None:
    """Answer every error of a page as a page (the module's rules); the API's answers stay the
    service's. Call after the service's handlers are registered."""
    for cls, previous in list(app.exception_handlers.items()):
        if isinstance(cls, int) or cls in (RequestValidationError, StarletteHTTPException):
            continue
        app.add_exception_handler(cls, _page_or(previous))

    service_invalid = app.exception_handlers.get(RequestValidationError)
    service_http = app.exception_handlers.get(StarletteHTTPException)

    async def _invalid(request: Request, exc: Exception) -> Response:
        if is_page(request.url.path):
            return invalid_page(request, exc)  # type: ignore[arg-type]
        return await _call(service_invalid, request, exc)

    async def _http(request: Request, exc: Exception) -> Response:
        if is_page(request.url.path):
            return http_page(request, exc)  # type: ignore[arg-type]
        return await _call(service_http, request, exc)

    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, internal_page)


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer


def _page_or(previous: Any) -> Any:
    """``previous`` (the service's JSON answer) for the API; for a page, its status as a page."""

    async def handler(request: Request, exc: Exception) -> Response:
        answer = await _call(previous, request, exc)
        if not is_page(request.url.path):
            return answer
        return problem_page(request, exc, answer.status_code)

    return handler
