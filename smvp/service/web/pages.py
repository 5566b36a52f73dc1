"""The pages: login, the tenant's home per role, amministratore, dipendente (and the person page
shared by every role that may see a person). Handlers are thin: they take a Context
(``deps.context``), ask ``views`` or the app layer, and render a template."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.service import auth
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

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
LOGIN_CSRF = "smvp_login_csrf"
UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes: a year's dataset is far smaller


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, scaduta: int = 0, error: str = "") -> Response:
    token = secrets.token_urlsafe(16)
    resp = page(request, "login.html.j2", None, csrf=token, expired=bool(scaduta), error=error)
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
        return page(request, "login.html.j2", None, csrf=csrf, expired=False, error="troppi",
                    wait=wait, username=username, status_code=429,
                    headers={"Retry-After": str(wait)})
    user = accounts.authenticate(state.engine, name, password)
    if user is None:
        state.limiter.failed(key)
        return page(request, "login.html.j2", None, csrf=csrf, expired=False, error="credenziali",
                    username=username, status_code=401)
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
        raise HTTPException(status_code=403, detail="Modulo scaduto o non valido (CSRF): ricarica la pagina")
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
    from smvp.commands.evaluate import sample_years

    ctx.grant("amministratore")
    return page(ctx.request, "admin.html.j2", ctx, runs=ctx.runs(),
                samples=sorted(sample_years(ctx.tenant.chamber)), errors=[], error=error)


def _dataset_path(upload: UploadFile, folder: Path) -> Path:
    name = Path(upload.filename or "dati").name
    target = folder / name
    with target.open("wb") as fh:
        size = 0
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > UPLOAD_LIMIT:
                raise ValueError(f"il file supera il limite di {UPLOAD_LIMIT // (1024 * 1024)} MB")
            fh.write(chunk)
    suffix = target.suffix.lower()
    if suffix == ".zip":
        out = folder / "dati"
        out.mkdir(exist_ok=True)
        with zipfile.ZipFile(target) as zf:
            for info in zf.infolist():
                member = Path(info.filename)
                if info.is_dir() or member.suffix.lower() != ".csv":
                    continue
                with zf.open(info) as src, (out / member.name).open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        return out
    if suffix not in (".xlsx", ".parquet", ".csv"):
        raise ValueError(f"formato {suffix or '(nessuno)'} non riconosciuto: atteso .xlsx, .zip di file CSV o .parquet")
    return target


@router.post("/t/{tenant}/amministrazione/valuta")
def admin_evaluate(ctx: Ctx, csrf: str = Form(""), sample: str = Form(""),
                   dataset: Annotated[UploadFile | None, File()] = None) -> Response:
    """Evaluate the bundled sample year or an uploaded dataset with the tenant's profile and store
    the run (``smvp.app.runs``: the same use case as ``smvp evaluate``)."""
    from smvp import engine_api
    from smvp.app import runs as app_runs
    from smvp.commands.evaluate import sample_years
    from smvp_engine.errors import SmvpErrors

    ctx.grant("amministratore")
    ctx.check_csrf(csrf)
    found = engine_api.find_chamber(ctx.tenant.chamber)
    if found is None:
        raise not_found()
    errors: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="smvp-web-") as tmp:
        try:
            if dataset is not None and dataset.filename:
                path = _dataset_path(dataset, Path(tmp))
            else:
                years = sample_years(ctx.tenant.chamber)
                if not sample or not sample.isdigit() or int(sample) not in years:
                    raise ValueError("scegli un anno di esempio o carica un file di dati")
                path = years[int(sample)]
            profile = engine_api.load_profile(found[1])
            ds = engine_api.load_dataset(path, profile=profile)
            result = app_runs.evaluate(profile, ds, source=path.name)
            run_id = app_runs.store_run(ctx.engine, profile, ds, result)
        except SmvpErrors as exc:
            errors = list(exc.errors)
        except (ValueError, zipfile.BadZipFile) as exc:
            return page(ctx.request, "admin.html.j2", ctx, runs=ctx.runs(),
                        samples=sorted(sample_years(ctx.tenant.chamber)), errors=[],
                        error=str(exc), status_code=422)
    if errors:
        return page(ctx.request, "admin.html.j2", ctx, runs=ctx.runs(),
                    samples=sorted(sample_years(ctx.tenant.chamber)), errors=errors, error="",
                    status_code=422)
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
        return page(ctx.request, "empty.html.j2", ctx, message="Nessuna valutazione ancora pubblicata.")
    return _redirect(f"/t/{ctx.tenant.slug}/esecuzioni/{run_id}/persone/{g.person_id}")


@router.get("/t/{tenant}/esecuzioni/{run_id}/persone/{person_id}", response_class=HTMLResponse)
def person(run_id: int, person_id: str, ctx: Ctx) -> Response:
    out, row = views.person_row(ctx, run_id, person_id)
    trace = views.trace_words(ctx, run_id, person_id)
    return page(ctx.request, "person.html.j2", ctx, run=ctx.run(run_id), row=row, outcome=out,
                trace=trace)


@router.get("/t/{tenant}/esecuzioni/{run_id}/persone/{person_id}/scheda.pdf")
def person_pdf(run_id: int, person_id: str, ctx: Ctx) -> Response:
    data = views.scheda_pdf(ctx, run_id, person_id)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="scheda-{run_id}-{person_id}.pdf"'})
