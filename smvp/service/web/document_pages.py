"""The documents of a stored run on the web (issue 11): the schede (a zip of one PDF per
person, optionally of one unit or role, with the combined PDF), the transparency tables
(art. 20 d.lgs. 33/2013: CSV, XLSX, PDF) and the OIV's differentiation report (a page, and
its PDF) — the same documents as ``smvp scheda``, ``smvp trasparenza``, ``smvp report``,
made by ``smvp.documents``; nothing is computed here.

The run is found through ``Context.run`` first (404 for another tenant's run), then read by
``smvp.documents.runs.load`` as the commands do.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smvp.service.refusals import Refusal
from smvp.service.web.deps import Context, context, not_found
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
READERS = ("amministratore", "oiv", "revisore")  # who may read a run's aggregate documents
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


def _attachment(data: bytes | str, kind: str, filename: str) -> Response:
    return Response(data, media_type=MEDIA.get(kind, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@contextmanager
def refused() -> Iterator[None]:
    """A document the run cannot give (the commands' exit 1: e.g. no premiums to publish, or
    the current engine does not reproduce the stored numbers) is a 409 saying why."""
    from smvp.errors import EdgeError

    try:
        yield
    except EdgeError as exc:
        if exc.hint:
            raise Refusal(409, "web.document_refused_hint", why=exc.message, hint=exc.hint) from None
        raise Refusal(409, "web.document_refused", why=exc.message) from None


def load(ctx: Context, run_id: int, persons: list[str] | None = None) -> Any:
    """The tenant's run ``run_id`` read for documents (404 when it is not the tenant's)."""
    from smvp.documents import runs

    run = ctx.run(run_id)  # the tenant's, else 404; then read as the commands read it
    database = ctx.engine.url.render_as_string(hide_password=False)
    with refused():
        return runs.load(database, run.id, ctx.today(), persons=persons)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


# --------------------------------------------------------------------------- schede


def _schede_input(ctx: Context, run_id: int, unit: str, role: str) -> tuple[Any, list[str], Any]:
    """(the run read for documents, the people of ``unit`` and ``role``, the profile's sheet
    template or None); 404 when nobody matches."""
    from smvp.commands.documents import profile_template
    from smvp.documents import scheda

    doc = load(ctx, run_id)
    people = [p for p in scheda.people(doc)
              if (not unit or str(doc.row(p).get("unit_id")) == unit)
              and (not role or str(doc.row(p).get("role")) == role)]
    if not people:
        raise Refusal(404, "web.no_people_filtered")
    with refused():
        template = profile_template(doc)
    return doc, people, template


def schede_zip_bytes(doc: Any, people: list[str], run_id: int, lang: str, template: Any,
                     progress: Any = None) -> bytes:
    """``scheda-<run>-<id>.pdf`` for each of ``people`` and ``schede-<run>.pdf`` with all of
    them, in a ZIP, as ``smvp scheda --all --pdf`` writes them: each sheet laid out once
    (its pages are reused for the combined PDF); ``progress(done, phase)`` after each."""
    from smvp.documents import render as r
    from smvp.documents import scheda

    buf = io.BytesIO()
    laid = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, p in enumerate(people, 1):
            html = scheda.html(doc, p, doc.deliveries.get(p) or doc.today, lang, template=template)
            one = r.pdf_document(html)
            laid.append(one)
            zf.writestr(f"scheda-{run_id}-{_safe(p)}.pdf", r.pdf_bytes([one]))
            if progress is not None:
                progress(i, p)
        zf.writestr(f"schede-{run_id}.pdf", r.pdf_bytes(laid))
    return buf.getvalue()


def schede_zip(ctx: Context, run_id: int, unit: str = "", role: str = "") -> tuple[bytes, int]:
    """(zip bytes, people): the schede of the run's people (of ``unit`` and ``role`` when
    given), in this request; the date on each sheet is its recorded delivery, else today."""
    doc, people, template = _schede_input(ctx, run_id, unit, role)
    return schede_zip_bytes(doc, people, run_id, ctx.lang, template), len(people)


def _zip_name(ctx: Context, run_id: int, unit: str, role: str) -> str:
    suffix = "".join(f"-{_safe(x)}" for x in (unit, role) if x)
    return f"schede-{ctx.tenant.slug}-{run_id}{suffix}.zip"


@router.get("/t/{tenant}/esecuzioni/{run_id}/schede.zip")
def schede(run_id: int, ctx: Ctx, unita: str = "", ruolo: str = "") -> Response:
    """The ZIP in one request (scripts; the page starts a job with progress instead)."""
    ctx.grant("amministratore")
    data, _ = schede_zip(ctx, run_id, unita, ruolo)
    return _attachment(data, "zip", _zip_name(ctx, run_id, unita, ruolo))


@router.post("/t/{tenant}/esecuzioni/{run_id}/schede")
def schede_job(run_id: int, ctx: Ctx, csrf: str = Form(""), unita: str = Form(""),
               ruolo: str = Form("")) -> Response:
    """Start laying out the schede in the background (``smvp.service.web.jobs``) and go to the
    job's page, which shows the progress and then the download."""
    from smvp.i18n import t
    from smvp.service.web.jobs import registry

    ctx.grant("amministratore")
    ctx.check_csrf(csrf)
    doc, people, template = _schede_input(ctx, run_id, unita, ruolo)
    lang = ctx.lang

    def work(job: Any) -> bytes:
        job.phase = t("web.jobs.phase_start", lang)
        return schede_zip_bytes(doc, people, run_id, lang, template, progress=lambda i, p: job.step(
            i, t("web.jobs.phase_person", lang, person=p) if i < len(people)
            else t("web.jobs.phase_combined", lang)))

    job = registry(ctx.request.app).start(
        tenant=ctx.tenant.slug, user_id=int(ctx.user.id or 0),
        title=t("web.jobs.title", lang, run=run_id), total=len(people),
        filename=_zip_name(ctx, run_id, unita, ruolo), work=work, lang=lang)
    return RedirectResponse(f"/t/{ctx.tenant.slug}/lavori/{job.id}", status_code=303)


def _job(ctx: Context, job_id: str) -> Any:
    from smvp.service.web.jobs import registry

    ctx.grant("amministratore")
    job = registry(ctx.request.app).get(job_id, tenant=ctx.tenant.slug,
                                        user_id=int(ctx.user.id or 0))
    if job is None:
        raise not_found()
    return job


@router.get("/t/{tenant}/lavori/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, ctx: Ctx) -> Response:
    """The job's progress (htmx polls ``/stato`` every second), then its download."""
    return page(ctx.request, "job.html.j2", ctx, job=_job(ctx, job_id),
                back=f"/t/{ctx.tenant.slug}/amministrazione")


@router.get("/t/{tenant}/lavori/{job_id}/stato", response_class=HTMLResponse)
def job_status(job_id: str, ctx: Ctx) -> Response:
    return page(ctx.request, "job_status.html.j2", ctx, job=_job(ctx, job_id))


@router.get("/t/{tenant}/lavori/{job_id}/file")
def job_file(job_id: str, ctx: Ctx) -> Response:
    job = _job(ctx, job_id)
    if job.result is None:
        raise not_found()
    return _attachment(job.result, "zip", job.filename)


# --------------------------------------------------------------------------- trasparenza


@router.get("/t/{tenant}/esecuzioni/{run_id}/trasparenza.{kind}")
def trasparenza(run_id: int, kind: str, ctx: Ctx) -> Response:
    """The art. 20 d.lgs. 33/2013 tables of the run (``smvp trasparenza``): csv, xlsx or pdf."""
    from smvp.documents import render as r
    from smvp.documents import trasparenza as tr

    ctx.grant(*READERS)
    if kind not in ("csv", "xlsx", "pdf"):
        raise not_found()
    doc = load(ctx, run_id, persons=[])
    with refused():
        tab = tr.tables(doc, ctx.lang)
    if kind == "csv":
        data: bytes | str = ("\ufeff" + tr.csv_text(tab, ctx.lang)).encode("utf-8")
    elif kind == "xlsx":
        title = tr.TEXTS["title"][0 if ctx.lang == "it" else 1]
        data = tr.xlsx_bytes(tab, ctx.lang, f"{doc.chamber_name} {doc.year} — {title}")
    else:
        data = r.pdf_bytes([r.pdf_document(tr.html(doc, tab, ctx.lang))])
    return _attachment(data, kind, f"trasparenza-{ctx.tenant.slug}-{run_id}.{kind}")


# --------------------------------------------------------------------------- OIV report


def _other(ctx: Context, run_id: int, compare: int | None) -> Any:
    if compare is None or compare == run_id:
        return None
    other = load(ctx, compare, persons=[])
    return other


@router.get("/t/{tenant}/esecuzioni/{run_id}/rapporto-oiv", response_class=HTMLResponse)
def oiv_report(run_id: int, ctx: Ctx, confronta: int | None = None) -> Response:
    """The OIV's differentiation report of the run (``smvp report``) as a page, optionally
    compared with another run of the tenant."""
    from smvp.documents import oiv

    ctx.grant(*READERS)
    doc = load(ctx, run_id, persons=[])
    other = _other(ctx, run_id, confronta)
    with refused():
        data = oiv.model(doc, ctx.lang, other)
    return page(ctx.request, "oiv_report.html.j2", ctx, run=doc.run, report=data,
                runs=[r for r in ctx.runs() if r.id != run_id], compare=confronta if other else None)


@router.get("/t/{tenant}/esecuzioni/{run_id}/rapporto-oiv.pdf")
def oiv_report_pdf(run_id: int, ctx: Ctx, confronta: int | None = None) -> Response:
    from smvp.documents import oiv
    from smvp.documents import render as r

    ctx.grant(*READERS)
    doc = load(ctx, run_id, persons=[])
    other = _other(ctx, run_id, confronta)
    with refused():
        data = r.pdf_bytes([r.pdf_document(oiv.html(doc, ctx.lang, other))])
    stem = f"rapporto-oiv-{ctx.tenant.slug}-{run_id}" + (f"-vs-{confronta}" if other else "")
    return _attachment(data, "pdf", f"{stem}.pdf")
