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

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, Response

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
        raise HTTPException(status_code=409, detail=str(exc)) from None


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


def schede_zip(ctx: Context, run_id: int, unit: str = "", role: str = "") -> tuple[bytes, int]:
    """(zip bytes, people): ``scheda-<run>-<id>.pdf`` for each person of the run (of ``unit``
    and ``role`` when given) and ``schede-<run>.pdf`` with all of them, as ``smvp scheda --all
    --pdf`` writes them; the date on each sheet is its recorded delivery, else today."""
    from smvp.commands.documents import profile_template
    from smvp.documents import render as r
    from smvp.documents import scheda

    doc = load(ctx, run_id)
    people = [p for p in scheda.people(doc)
              if (not unit or str(doc.row(p).get("unit_id")) == unit)
              and (not role or str(doc.row(p).get("role")) == role)]
    if not people:
        raise HTTPException(status_code=404, detail="Nessuna persona con questi filtri")
    with refused():
        template = profile_template(doc)
    buf = io.BytesIO()
    laid = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in people:
            html = scheda.html(doc, p, doc.deliveries.get(p) or doc.today, ctx.lang, template=template)
            one = r.pdf_document(html)
            laid.append(one)
            zf.writestr(f"scheda-{run_id}-{_safe(p)}.pdf", r.pdf_bytes([one]))
        zf.writestr(f"schede-{run_id}.pdf", r.pdf_bytes(laid))
    return buf.getvalue(), len(people)


@router.get("/t/{tenant}/esecuzioni/{run_id}/schede.zip")
def schede(run_id: int, ctx: Ctx, unita: str = "", ruolo: str = "") -> Response:
    ctx.grant("amministratore")
    data, _ = schede_zip(ctx, run_id, unita, ruolo)
    suffix = "".join(f"-{_safe(x)}" for x in (unita, ruolo) if x)
    return _attachment(data, "zip", f"schede-{ctx.tenant.slug}-{run_id}{suffix}.zip")


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
