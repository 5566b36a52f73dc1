"""The amministratore's profile editor: the tenant's profile versions, the YAML in a textarea
(or uploaded as a file), the validator's located errors beside a numbered view of the text,
and saving a valid profile as a new version (issue 11).

Validation and storage are the service's use case (``smvp.app.uploads.add_profile_version``,
the same validator as ``smvp validate``); this module only shows them. Tenant and role come
from ``deps.context``; the versions are read through the tenant-scoped store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.i18n import t
from smvp.service.web.deps import Context, context, not_found
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
PROFILE_LIMIT = 2 * 1024 * 1024  # bytes: a profile is a few tens of kilobytes


@dataclass
class Located:
    """One validator error as the page shows it (line and column 1-based, or None)."""

    line: int | None
    column: int | None
    field: str | None
    message: str
    expected: str | None
    found: str | None
    hint: str | None


def located(exc: Any, lang: str = "it") -> list[Located]:
    """The errors of a ``ProfileErrors`` (or one ``ProfileError``), sorted by line; message,
    expected, found and hint said in ``lang`` (catalogue messages), the place as it is."""
    from smvp.i18n import say

    def said(value: Any) -> str | None:
        return None if value is None else say(value, lang)

    errors = getattr(exc, "errors", None) or [exc]
    out = [Located(getattr(e, "line", None), getattr(e, "column", None), getattr(e, "field", None),
                   say(getattr(e, "message", None) or str(e), lang), said(getattr(e, "expected", None)),
                   said(getattr(e, "found", None)), said(getattr(e, "hint", None))) for e in errors]
    return sorted(out, key=lambda e: (e.line is None, e.line or 0, e.column or 0))


def versions(ctx: Context) -> list[Any]:
    """The tenant's stored profile versions, newest first (tenant-scoped store)."""
    from sqlmodel import Session, select

    from smvp.store.tables import ProfileVersion

    with Session(ctx.engine) as s:
        rows = list(s.exec(select(ProfileVersion).order_by(ProfileVersion.id.desc())).all())  # type: ignore[union-attr]
        for r in rows:
            s.expunge(r)
    return rows


def version(ctx: Context, version_id: int) -> Any:
    """The tenant's profile version ``version_id``, else 404."""
    from smvp.app.uploads import profile_version

    pv = profile_version(ctx.engine, version_id)
    if pv is None:
        raise not_found()
    return pv


def bundled_text(ctx: Context) -> tuple[str, str]:
    """(text, file name) of the profile bundled with smvp for the tenant's chamber."""
    from smvp import engine_api

    found = engine_api.find_chamber(ctx.tenant.chamber)
    if found is None:
        return "", f"{ctx.tenant.chamber}.yaml"
    return found[1].read_text(encoding="utf-8"), found[1].name


def store_user(ctx: Context) -> Any:
    """The stored account of the page's user (for the audit log)."""
    return ctx.user


def numbered(text: str, errors: list[Located]) -> list[dict[str, Any]]:
    """The text's lines with their number and the errors located on each."""
    by_line: dict[int, list[Located]] = {}
    for e in errors:
        if e.line is not None:
            by_line.setdefault(e.line, []).append(e)
    lines = text.splitlines() or [""]
    return [{"n": n, "text": line, "errors": by_line.get(n, [])} for n, line in enumerate(lines, 1)]


def _editor(ctx: Context, *, text: str, filename: str, errors: list[Located] | None = None,
            saved: Any = None, problem: str = "", status_code: int = 200) -> Response:
    errors = errors or []
    return page(ctx.request, "profile.html.j2", ctx, versions=versions(ctx), text=text,
                filename=filename, errors=errors, lines=numbered(text, errors) if errors else [],
                saved=saved, problem=problem, status_code=status_code)


@router.get("/t/{tenant}/amministrazione/profilo", response_class=HTMLResponse)
def profile_editor(ctx: Ctx, versione: int | None = None, salvata: int | None = None) -> Response:
    """The latest version (or ``versione``), else the bundled profile, in the editor."""
    ctx.grant("amministratore")
    pv = version(ctx, versione) if versione is not None else None
    if pv is None:
        stored = versions(ctx)
        pv = stored[0] if stored else None
    if pv is not None:
        text, filename = pv.text, pv.filename
    else:
        text, filename = bundled_text(ctx)
    saved = version(ctx, salvata) if salvata is not None else None
    return _editor(ctx, text=text, filename=filename, saved=saved)


@router.post("/t/{tenant}/amministrazione/profilo")
def profile_save(ctx: Ctx, csrf: str = Form(""), text: str = Form(""), filename: str = Form(""),
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Validate the text (or the uploaded file) and store it as a new version; nothing is
    stored when the validator finds anything, and the errors are shown with line and column."""
    from smvp.app.uploads import add_profile_version, load_profile_text
    from smvp_engine.errors import Msg, ProfileError, SmvpError, SmvpErrors

    ctx.grant("amministratore")
    ctx.check_csrf(csrf)
    name = (filename or "").strip() or f"{ctx.tenant.chamber}.yaml"
    if file is not None and file.filename:
        data = file.file.read(PROFILE_LIMIT + 1)
        if len(data) > PROFILE_LIMIT:
            return _editor(ctx, text=text, filename=name, status_code=413,
                           problem=t("web.profile.too_large", ctx.lang, file=file.filename,
                                     mb=PROFILE_LIMIT // (1024 * 1024)))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _editor(ctx, text=text, filename=name, status_code=422,
                           problem=t("web.profile.not_utf8", ctx.lang, file=file.filename))
        name = file.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    text = text.replace("\r\n", "\n")
    if not text.strip():
        return _editor(ctx, text=text, filename=name, status_code=422,
                       problem=t("web.profile.empty", ctx.lang))
    try:
        profile = load_profile_text(text, name)
        chamber = str(getattr(profile, "chamber_id", "") or "")
        if chamber != ctx.tenant.chamber:
            raise SmvpErrors([ProfileError(
                Msg("the profile is for another chamber"), file=name, field="chamber.id",
                expected=repr(ctx.tenant.chamber), found=repr(chamber))])
        pv = add_profile_version(ctx.engine, text=text, filename=name, user=store_user(ctx))
    except (SmvpErrors, SmvpError) as exc:
        return _editor(ctx, text=text, filename=name, errors=located(exc, ctx.lang), status_code=422)
    return RedirectResponse(f"/t/{ctx.tenant.slug}/amministrazione/profilo?salvata={pv.id}",
                            status_code=303)


@router.get("/t/{tenant}/amministrazione/profilo/{version_id}.yaml")
def profile_download(version_id: int, ctx: Ctx) -> Response:
    """A stored version's text as a file (amministratore and revisore)."""
    ctx.grant("amministratore", "revisore")
    pv = version(ctx, version_id)
    return Response(pv.text, media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="profilo-{ctx.tenant.slug}-v{pv.id}.yaml"'})

