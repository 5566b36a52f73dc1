"""The JSON API of behaviour scores: ``/api/tenants/{tenant}/scores/…`` (docs/api.md).

The rules are ``smvp.app.scores``'s; this module only says who sees which sheet: the
amministratore, OIV and revisore every one; a valutatore the people they evaluate; a
dipendente their own sheet once it is final. Anyone else's sheet is 404. Only a valutatore
changes a sheet, and only of a person they evaluate (403 for one they merely see).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlmodel import Session, col, select

from smvp.app import scores as uc
from smvp.service.api import DIP, VAL, Ctx, Strict, allow, not_found
from smvp.service.auth import TenantContext
from smvp.service.refusals import Refusal
from smvp.store.tables import DatasetUpload

router = APIRouter(prefix="/api")

Score = float | int | str


class ScoresEdit(Strict):
    scores: dict[str, Score] = Field(default_factory=dict, max_length=100)
    motivation: str | None = Field(default=None, max_length=8000)


class SchedaDate(Strict):
    scheda_date: dt.date
    motivation: str | None = Field(default=None, max_length=8000)


def _open(c: TenantContext, dataset_id: int) -> uc.Scoring:
    try:
        return uc.open_dataset(c.engine, dataset_id)
    except uc.NotFound:
        raise not_found("dataset", dataset=dataset_id) from None


def _mine(c: TenantContext, sc: uc.Scoring) -> list[str]:
    """The people of ``sc`` the valutatore ``c`` evaluates."""
    return uc.evaluatees(sc, set(c.person_ids)) if c.has(VAL) else []


def _visible(c: TenantContext, sc: uc.Scoring) -> tuple[list[str], set[str]]:
    """(people whose sheets the caller sees, of them those seen only once final)."""
    if c.sees_everyone:
        return list(sc.staff), set()
    mine = _mine(c, sc)
    own = [p for p in sc.staff if p in c.person_ids and p not in mine] if c.has(DIP) else []
    return mine + own, set(own)


def _sheets(c: TenantContext, sc: uc.Scoring, people: list[str]) -> list[uc.PersonSheet]:
    seen, final_only = _visible(c, sc)
    wanted = [p for p in people if p in set(seen)]
    return [v for v in uc.list_sheets(c.engine, sc, wanted)
            if v.person_id not in final_only or v.state == "final"]


def _one(c: TenantContext, sc: uc.Scoring, person_id: str) -> uc.PersonSheet:
    got = _sheets(c, sc, [person_id])
    if not got:
        raise not_found("person_in_dataset", person=person_id, dataset=sc.upload.id)
    return got[0]


def _writable(c: TenantContext, sc: uc.Scoring, person_id: str) -> None:
    allow(c, "score.write")
    if person_id in _mine(c, sc):  # theirs to score: visible in any state, no read needed
        return
    _one(c, sc, person_id)  # 404 when not even visible
    raise Refusal(403, "api.does_not_evaluate", user=c.user.username, person=person_id,
                  tenant=c.tenant.slug)


def _dataset_json(d: DatasetUpload) -> dict[str, Any]:
    return {"id": d.id, "year": d.year, "filename": d.filename, "people": d.people,
            "created_at": d.created_at.isoformat()}


@router.get("/tenants/{tenant}/scores")
def score_datasets(c: Ctx) -> list[dict[str, Any]]:
    """The uploaded datasets open for scoring, with the caller's sheets by state."""
    allow(c, "score.read")
    with Session(c.engine) as s:
        ups = s.exec(select(DatasetUpload).where(col(DatasetUpload.derived_from).is_(None))
                     .order_by(col(DatasetUpload.id))).all()
    out = []
    for d in ups:
        sc = _open(c, int(d.id or 0))
        seen = _sheets(c, sc, list(sc.staff))
        row = _dataset_json(d)
        row["sheets"] = {state: sum(1 for v in seen if v.state == state)
                         for state in ("uploaded", "draft", "final")}
        out.append(row)
    return out


@router.get("/tenants/{tenant}/scores/{dataset_id}")
def score_sheets(c: Ctx, dataset_id: int) -> dict[str, Any]:
    """The sheets the caller sees in an uploaded dataset (a valutatore: their people)."""
    allow(c, "score.read")
    sc = _open(c, dataset_id)
    return {"dataset": _dataset_json(sc.upload),
            "people": [v.as_dict(c.lang) for v in _sheets(c, sc, list(sc.staff))]}


@router.get("/tenants/{tenant}/scores/{dataset_id}/{person_id}")
def score_sheet(c: Ctx, dataset_id: int, person_id: str) -> dict[str, Any]:
    allow(c, "score.read")
    return _one(c, _open(c, dataset_id), person_id).as_dict(c.lang)


@router.put("/tenants/{tenant}/scores/{dataset_id}/{person_id}")
def edit_scores(c: Ctx, dataset_id: int, person_id: str, body: ScoresEdit) -> dict[str, Any]:
    """Enter behaviour scores (points per factor) and/or the motivation on the draft sheet."""
    sc = _open(c, dataset_id)
    _writable(c, sc, person_id)
    return uc.edit(c.engine, sc, person_id, scores=body.scores, motivation=body.motivation,
                   user=c.user).as_dict(c.lang)


@router.post("/tenants/{tenant}/scores/{dataset_id}/{person_id}/scheda", status_code=201)
def date_scheda(c: Ctx, dataset_id: int, person_id: str, body: SchedaDate) -> dict[str, Any]:
    """Set the scheda date: the sheet becomes final (no further edits)."""
    sc = _open(c, dataset_id)
    _writable(c, sc, person_id)
    return uc.set_scheda_date(c.engine, sc, person_id, scheda_date=body.scheda_date,
                              motivation=body.motivation, user=c.user).as_dict(c.lang)

