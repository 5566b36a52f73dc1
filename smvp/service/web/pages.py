"""The pages: login, the tenant's home per role, amministratore, dipendente (and the person page
shared by every role that may see a person). Handlers are thin: they take a Context
(``deps.context``), ask ``views`` or the app layer, and render a template."""

from __future__ import annotations

import secrets
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.i18n import t
from smvp.service import auth
from smvp.service.refusals import Refusal, said
from smvp.service.web import views
from smvp.service.web.deps import (
    HOME,
    Context,
    LoginRequired,
    context,
    current_user,
    memberships,
    not_found,
)
from smvp.service.web.render import page
from smvp_engine.errors import Msg

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
LOGIN_CSRF = "smvp_login_csrf"
UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes: a year's dataset is far smaller


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _lang(request: Request) -> str:
    """The page's language before login (``smvp.service.web.language``)."""
    from smvp.service.web.language import page_lang

    return page_lang(request)


# --------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, scaduta: int = 0, error: str = "") -> Response:
    token = secrets.token_urlsafe(16)
    message = t("web.login.form_expired", _lang(request)) if error == "csrf" else ""
    resp = page(request, "login.html.j2", None, csrf=token, expired=bool(scaduta), error=message)
    resp.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict")
    return resp


@router.post("/login")
def login(request: Request, username: str = Form(...), password: str = Form(...),
          csrf: str = Form("")) -> Response:
    """The stored accounts (``smvp.app.accounts.authenticate``: Argon2), the service's login
    rate limit per (name, client), and the service's signed HTTP-only session cookie."""
    from smvp.app import accounts

    state = request.app.state
    if not csrf or not secrets.compare_digest(csrf, request.cookies.get(LOGIN_CSRF) or ""):
        return _redirect("/login?error=csrf")
    name = username.strip()
    key = (name, request.client.host if request.client else "?")
    wait = state.limiter.retry_after(key)
    if wait:
        return page(request, "login.html.j2", None, csrf=csrf, expired=False,
                    error=t("web.login.too_many", _lang(request), seconds=wait), username=username, status_code=429,
                    headers={"Retry-After": str(wait)})
    user = accounts.authenticate(state.engine, name, password)
    if user is None:
        state.limiter.failed(key)
        return page(request, "login.html.j2", None, csrf=csrf, expired=False,
                    error=t("web.login.wrong", _lang(request)), username=username, status_code=401)
    state.limiter.succeeded(key)
    cookie, _ = state.sessions.make(int(user.id or 0))
    resp = _redirect("/")
    resp.set_cookie(auth.COOKIE, cookie, httponly=True, samesite="lax", path="/",
                    secure=state.secure_cookies, max_age=auth.SESSION_SECONDS)
    resp.delete_cookie(LOGIN_CSRF)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    try:
        _, session_csrf = current_user(request)
    except LoginRequired:
        return _redirect("/login")
    if not csrf or not secrets.compare_digest(csrf, session_csrf):
        raise Refusal(403, "web.csrf")
    resp = _redirect("/login")
    resp.delete_cookie(auth.COOKIE, path="/")
    return resp


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    user, csrf = current_user(request)
    roles = memberships(request, user)
    if len(roles) == 1:
        return _redirect(f"/t/{roles[0].tenant}/{HOME[roles[0].role]}")
    links = [(m.tenant, m.role, f"/t/{m.tenant}/{HOME[m.role]}") for m in roles]
    return page(request, "home.html.j2", None, user=user, links=links, csrf=csrf)


# --------------------------------------------------------------------------- amministratore


@router.get("/t/{tenant}/amministrazione", response_class=HTMLResponse)
def admin_home(ctx: Ctx, error: str = "") -> Response:
    ctx.grant("amministratore")
    return _admin_page(ctx, error=error)


def _admin_page(ctx: Context, *, status_code: int = 200, errors: list[Any] | None = None,
                error: str = "") -> Response:
    from smvp.commands.evaluate import sample_years

    return page(ctx.request, "admin.html.j2", ctx, runs=ctx.runs(),
                samples=sorted(sample_years(ctx.tenant.chamber)), datasets=views.datasets(ctx),
                errors=errors or [], error=error, status_code=status_code)


def _read_upload(upload: UploadFile) -> bytes:
    from smvp.app.uploads import TooLarge

    data = bytearray()
    while chunk := upload.file.read(1 << 20):
        data += chunk
        if len(data) > UPLOAD_LIMIT:
            raise TooLarge(Msg("{file}: larger than the limit of {mib} MiB", file=upload.filename or "",
                               mib=UPLOAD_LIMIT // (1024 * 1024)))
    return bytes(data)


def _bundled(ctx: Context) -> tuple[str, str] | None:
    """(text, file name) of the profile bundled with smvp for the tenant's chamber: stored as
    version 1 with the tenant's first evaluation when it has none (as ``smvp serve --demo``)."""
    from smvp import engine_api

    found = engine_api.find_chamber(ctx.tenant.chamber)
    return (found[1].read_text(encoding="utf-8"), found[1].name) if found is not None else None


@router.post("/t/{tenant}/amministrazione/valuta")
def admin_evaluate(ctx: Ctx, csrf: str = Form(""), sample: str = Form(""), dati: str = Form(""),
                   dataset: Annotated[UploadFile | None, File()] = None) -> Response:
    """Evaluate the year's data and store the run (``smvp.app.runs.evaluate_upload``, as the
    API's ``POST /runs``): a dataset already uploaded (``dati``: with the valutatori's final
    schede), or a new upload / the bundled sample year (``smvp.app.runs.evaluate_new_upload``:
    validated against the newest profile version — the chamber's bundled profile, stored as
    version 1 in the same transaction, when the tenant has none — evaluated, and stored with
    its run all or nothing; with errors nothing is stored and they are shown in a table)."""
    from smvp.app import runs as app_runs
    from smvp.app.uploads import UnsupportedKind
    from smvp.commands.evaluate import sample_years
    from smvp.errors import EdgeError, UsageProblem
    from smvp_engine.errors import SmvpError, SmvpErrors

    ctx.grant("amministratore")
    ctx.check_csrf(csrf)
    name = ""
    try:
        if dati:
            if not dati.isdigit() or not any(d["upload"].id == int(dati) for d in views.datasets(ctx)):
                raise not_found()
            dataset_id = int(dati)
        else:
            if dataset is not None and dataset.filename:
                name = Path(dataset.filename).name
                if Path(name).suffix.lower() not in (".xlsx", ".zip"):
                    raise UnsupportedKind(Msg("{file}: format not recognised (expected an .xlsx workbook or a "
                                              ".zip of CSV or Parquet files, found {found})", file=name,
                                              found=Path(name).suffix or Msg("nothing")))
                data = _read_upload(dataset)
            else:
                from smvp.service.app import _zip_folder

                years = sample_years(ctx.tenant.chamber)
                if not sample or not sample.isdigit() or int(sample) not in years:
                    raise UsageProblem(Msg("choose a sample year or upload a data file"))
                path = years[int(sample)]
                data, name = ((_zip_folder(path), f"{ctx.tenant.chamber}-{sample}.zip")
                              if path.is_dir() else (path.read_bytes(), path.name))
            # the profile (bundled as version 1 when the tenant has none), the dataset and
            # the run: stored together or not at all
            run_id, _ = app_runs.evaluate_new_upload(ctx.engine, data=data, filename=name,
                                                     user=ctx.user, bundled=_bundled(ctx))
            return _redirect(f"/t/{ctx.tenant.slug}/esecuzioni/{run_id}/risultati")
        run_id, _ = app_runs.evaluate_upload(ctx.engine, dataset_id, user=ctx.user)
    except SmvpErrors as exc:
        return _admin_page(ctx, status_code=422, errors=list(exc.errors))
    except SmvpError as exc:
        return _admin_page(ctx, status_code=422, errors=[exc])
    except EdgeError as exc:
        return _admin_page(ctx, status_code=422, error=said(exc, ctx.lang))
    except zipfile.BadZipFile:
        return _admin_page(ctx, status_code=422, error=t("web.not_a_zip", ctx.lang, file=name))
    return _redirect(f"/t/{ctx.tenant.slug}/esecuzioni/{run_id}/risultati")


@router.get("/t/{tenant}/esecuzioni/{run_id}/risultati", response_class=HTMLResponse)
def results(run_id: int, ctx: Ctx, unita: str = "", ruolo: str = "",
            ordina: str = "total", verso: str = "desc") -> Response:
    ctx.grant("amministratore", "oiv", "revisore")
    data = views.results_table(ctx, run_id, unit=unita, role=ruolo, sort=ordina, desc=verso != "asc")
    return page(ctx.request, "results.html.j2", ctx, run=ctx.run(run_id), **data)


@router.get("/t/{tenant}/esecuzioni/{run_id}/risultati.xlsx")
def results_xlsx(run_id: int, ctx: Ctx) -> Response:
    ctx.grant("amministratore", "oiv", "revisore")
    data = views.results_xlsx(ctx, run_id)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="risultati-{ctx.tenant.slug}-{run_id}.xlsx"'})


# --------------------------------------------------------------------------- a person (dipendente and others)


@router.get("/t/{tenant}/scheda")
def own_scheda(ctx: Ctx) -> Response:
    g = ctx.grant("dipendente")
    run_id = ctx.latest_run_id()
    if run_id is None or not g.person_id:
        return page(ctx.request, "empty.html.j2", ctx, message=t("web.no_evaluation", ctx.lang))
    return _redirect(f"/t/{ctx.tenant.slug}/esecuzioni/{run_id}/persone/{g.person_id}")


@router.get("/t/{tenant}/esecuzioni/{run_id}/persone/{person_id}", response_class=HTMLResponse)
def person(run_id: int, person_id: str, ctx: Ctx, riesame: str = "") -> Response:
    return person_page(ctx, run_id, person_id, review_done=bool(riesame))


def person_page(ctx: Context, run_id: int, person_id: str, *, status_code: int = 200,
                **extra: Any) -> Response:
    """A person's evaluation explained; for the person themself, their request of review."""
    out, row = views.person_row(ctx, run_id, person_id)
    trace = views.trace_words(ctx, run_id, person_id)
    run = ctx.run(run_id)
    return page(ctx.request, "person.html.j2", ctx, run=run, row=row, outcome=out,
                trace=trace, status_code=status_code,
                **views.review_values(ctx, run, person_id), **extra)


@router.get("/t/{tenant}/esecuzioni/{run_id}/persone/{person_id}/scheda.pdf")
def person_pdf(run_id: int, person_id: str, ctx: Ctx) -> Response:
    data = views.scheda_pdf(ctx, run_id, person_id)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="scheda-{run_id}-{person_id}.pdf"'})
