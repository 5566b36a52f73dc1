"""The JSON API: ``/api/login``, ``/api/me`` and ``/api/tenants/{tenant}/…``.

Every tenant endpoint goes through ONE dependency (:func:`ctx`) that authenticates the
caller, resolves the tenant (404 without a role there) and hands out the store scoped to
it; what each role may do is the one table :data:`PERMISSIONS`. Objects of another tenant
are simply not found by the scoped store: 404. Errors are 4xx with the message, never a
500: the engine's located problems are 422 ``{"errors": [...]}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from smvp import store
from smvp.app import accounts, uploads
from smvp.app import conciliation as cases
from smvp.app import runs as run_uc
from smvp.app import verify as verify_uc
from smvp.app.stored_runs import StoredRun, dumps
from smvp.app.visibility import visible_people
from smvp.conciliation import CaseProblem
from smvp.errors import UsageProblem
from smvp.report import jsonable
from smvp.service import auth
from smvp.service.auth import Caller, TenantContext
from smvp.service.refusals import Refusal
from smvp.store.tables import AuditEntry, DatasetUpload, ProfileVersion

ALL = frozenset(accounts.ROLES)
ADM, VAL, DIP, OIV, REV = "amministratore", "valutatore", "dipendente", "oiv", "revisore"

#: action → roles allowed (anything else: 403). Rows of people are further limited for
#: valutatore (the people they evaluate, by the profile: smvp.app.visibility) and dipendente
#: (themselves): others are 404.
PERMISSIONS: dict[str, frozenset[str]] = {
    "tenant.read": ALL,
    "profile.read": frozenset({ADM, OIV, REV, VAL}),
    "profile.write": frozenset({ADM}),
    "dataset.read": frozenset({ADM}),
    "dataset.write": frozenset({ADM}),
    "run.read": ALL,
    "run.evaluate": frozenset({ADM}),
    "run.verify": frozenset({ADM, OIV, REV}),
    "run.explain": ALL,
    "run.state": frozenset({ADM, OIV, REV}),
    "run.validate": frozenset({OIV}),
    "case.read": frozenset({ADM, OIV, REV, VAL, DIP}),
    "case.open": frozenset({ADM, DIP}),
    "case.step": frozenset({ADM, VAL, DIP}),
    "diff.read": frozenset({ADM, OIV, REV}),
    "audit.read": frozenset({OIV, REV}),  # the issue: "readable by OIV and revisore"
    "report.read": frozenset({ADM, OIV, REV}),
    # behaviour scores (smvp.app.scores): a valutatore enters them for the people they
    # evaluate; the others read (a dipendente only their own final sheet)
    "score.read": ALL,
    "score.write": frozenset({VAL}),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Login(Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class EvaluateRequest(Strict):
    dataset_id: int


class OpenCase(Strict):
    run_id: int
    person_id: str = Field(min_length=1, max_length=64)
    delivered: dt.date | None = None
    note: str | None = Field(default=None, max_length=4000)


class StepRequest(Strict):
    event: str = Field(min_length=1, max_length=64)
    on: dt.date
    scores: dict[str, float | int | str] | None = None
    note: str | None = Field(default=None, max_length=4000)


class ValidationRequest(Strict):
    oiv_date: dt.date
    requests_closed: dt.date | None = None
    note: str | None = Field(default=None, max_length=4000)


router = APIRouter(prefix="/api")


def who(request: Request) -> Caller:
    return auth.caller(request)


def ctx(request: Request, tenant: str) -> TenantContext:
    """The caller (as :func:`who`) in ``tenant``: one dependency, so one hand-off to the
    thread pool per request for both (each sync dependency is one)."""
    return auth.tenant_context(request, tenant, auth.caller(request))


Ctx = Annotated[TenantContext, Depends(ctx)]


def allow(c: TenantContext, action: str) -> None:
    if not c.roles.intersection(PERMISSIONS[action]):
        raise Refusal(403, "api.not_allowed", action=action, roles=", ".join(sorted(c.roles)),
                      tenant=c.tenant.slug)


def not_found(key: str, **fields: Any) -> Refusal:
    """404 "no …": ``key`` is the catalogue id under ``api.no.`` (run, dataset, person_in_run,
    case, profile_version) with its fields."""
    return Refusal(404, f"api.no.{key}", **fields)


# --------------------------------------------------------------------------- session


@router.post("/login")
def login(body: Login, request: Request, response: Response) -> dict[str, Any]:
    """Password login: sets the signed HTTP-only session cookie and returns a bearer token
    and the CSRF value to send as X-CSRF-Token with cookie-authenticated changes."""
    state = request.app.state
    key = (body.username, request.client.host if request.client else "?")
    wait = state.limiter.retry_after(key)
    if wait:
        raise Refusal(429, "api.too_many_logins", headers={"Retry-After": str(wait)}, seconds=wait)
    user = accounts.authenticate(state.engine, body.username, body.password)
    if user is None:
        state.limiter.failed(key)
        raise Refusal(401, "api.wrong_login")
    state.limiter.succeeded(key)
    cookie, csrf = state.sessions.make(user.id)
    response.set_cookie(auth.COOKIE, cookie, max_age=auth.SESSION_SECONDS, httponly=True,
                        samesite="lax", secure=state.secure_cookies, path="/")
    token = accounts.new_token(state.engine, user.id)  # type: ignore[arg-type]
    return {"user": user.username, "token": token, "csrf": csrf,
            "roles": [vars(r) for r in accounts.memberships(state.engine, int(user.id or 0))]}


@router.post("/logout")
def logout(request: Request, response: Response,
           caller: Annotated[Caller, Depends(who)]) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        accounts.drop_token(request.app.state.engine, header[7:].strip())
    response.delete_cookie(auth.COOKIE, path="/")
    return {"logged_out": caller.user.username}


@router.get("/me")
def me(request: Request, caller: Annotated[Caller, Depends(who)]) -> dict[str, Any]:
    return {"user": caller.user.username,
            "roles": [vars(r) for r in accounts.memberships(request.app.state.engine,
                                                            int(caller.user.id or 0))]}


# --------------------------------------------------------------------------- tenant, profiles


def _profile_json(pv: ProfileVersion, text: bool = False) -> dict[str, Any]:
    out = {"id": pv.id, "chamber": pv.chamber, "filename": pv.filename, "sha256": pv.sha256,
           "created_at": pv.created_at.isoformat()}
    if text:
        out["text"] = pv.text
    return out


@router.get("/tenants/{tenant}")
def tenant_info(c: Ctx) -> dict[str, Any]:
    allow(c, "tenant.read")
    return {"slug": c.tenant.slug, "name": c.tenant.name, "chamber": c.tenant.chamber,
            "roles": sorted(c.roles)}


def _listed(c: TenantContext, table: Any, to_json: Any) -> list[dict[str, Any]]:
    """Every row of ``table`` of the tenant, oldest first, as ``to_json`` writes it."""
    with Session(c.engine) as s:
        return [to_json(row) for row in s.exec(select(table).order_by(col(table.id))).all()]


def _found(row: Any, what: str, **fields: Any) -> Any:
    """``row``, or 404 "no ``what``" (:func:`not_found`) when there is none (not the tenant's,
    or no such id)."""
    if row is None:
        raise not_found(what, **fields)
    return row


@router.get("/tenants/{tenant}/profiles")
def list_profiles(c: Ctx) -> list[dict[str, Any]]:
    allow(c, "profile.read")
    return _listed(c, ProfileVersion, _profile_json)


@router.get("/tenants/{tenant}/profiles/{version_id}")
def get_profile(c: Ctx, version_id: int) -> dict[str, Any]:
    allow(c, "profile.read")
    pv = _found(uploads.profile_version(c.engine, version_id), "profile_version", version=version_id)
    return _profile_json(pv, text=True)


async def _read_upload(request: Request, file: UploadFile) -> bytes:
    limit = request.app.state.max_upload
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise Refusal(413, "api.too_large", file=file.filename or "", mib=limit // 2**20)
    return data


@router.post("/tenants/{tenant}/profiles", status_code=201)
async def upload_profile(request: Request, c: Ctx,
                         file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    allow(c, "profile.write")
    data = await _read_upload(request, file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refusal(400, "api.profile_not_utf8", file=file.filename or "") from None
    # a tenant may move to a renamed profile id: the id is shown with the version
    pv = uploads.add_profile_version(c.engine, text=text, filename=file.filename or "profile.yaml",
                                     user=c.user)
    return _profile_json(pv)


# --------------------------------------------------------------------------- datasets


def _dataset_json(d: DatasetUpload) -> dict[str, Any]:
    return {"id": d.id, "filename": d.filename, "sha256": d.sha256, "year": d.year,
            "people": d.people, "profile_version_id": d.profile_version_id,
            "derived_from": d.derived_from, "created_at": d.created_at.isoformat()}


@router.post("/tenants/{tenant}/datasets", status_code=201)
async def upload_dataset(request: Request, c: Ctx, file: Annotated[UploadFile, File()],
                         profile_version_id: Annotated[int | None, Form()] = None,
                         year: Annotated[int | None, Form(ge=1900, le=2999)] = None
                         ) -> dict[str, Any]:
    allow(c, "dataset.write")
    data = await _read_upload(request, file)
    got = uploads.add_dataset(c.engine, data=data, filename=file.filename or "dataset",
                              version_id=profile_version_id, year=year, user=c.user)
    return _dataset_json(got.upload)


@router.get("/tenants/{tenant}/datasets")
def list_datasets(c: Ctx) -> list[dict[str, Any]]:
    allow(c, "dataset.read")
    return _listed(c, DatasetUpload, _dataset_json)


@router.get("/tenants/{tenant}/datasets/{dataset_id}")
def get_dataset(c: Ctx, dataset_id: int) -> dict[str, Any]:
    allow(c, "dataset.read")
    with Session(c.engine) as s:
        return _dataset_json(_found(s.get(DatasetUpload, dataset_id), "dataset", dataset=dataset_id))


# --------------------------------------------------------------------------- runs


def _run(c: TenantContext, run_id: int) -> StoredRun:
    """The tenant's stored run ``run_id`` (kept per process: ``smvp.app.stored_runs``), or 404."""
    found = c.runs.get(c.engine, run_id)
    if found is None:
        raise not_found("run", run=run_id)
    return found


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def _visible(c: TenantContext, run: store.RunSummary) -> set[str] | None:
    """The person_ids of ``run`` the caller may see: None = everyone
    (``smvp.app.visibility``, the rule the pages use too)."""
    return visible_people(c.engine, run, roles=c.roles, person_ids=c.person_ids)


def _run_json(run: store.RunSummary, totals: bool = True) -> dict[str, Any]:
    """A run's summary; ``totals`` (the whole Chamber's sums) only for the roles that see
    everyone — a valutatore or a dipendente sees the rows of their people, not the fund."""
    out = {"id": run.id, "chamber": run.chamber, "year": run.year,
           "created_at": run.created_at.isoformat(), "people": run.people,
           "profile_sha256": run.profile_sha256, "dataset_sha256": run.dataset_sha256,
           "engine_version": run.engine_version}
    if totals:
        out["totals"] = jsonable(run.totals, decimals_as="string")
    return out


@router.post("/tenants/{tenant}/runs", status_code=201)
def evaluate(c: Ctx, body: EvaluateRequest) -> dict[str, Any]:
    """Evaluate an uploaded dataset with the profile version it was validated against; with
    the valutatori's final behaviour scores when there are (a derived dataset version,
    ``smvp.app.scores.dataset_for_run``)."""
    allow(c, "run.evaluate")
    try:
        run_id, got = run_uc.evaluate_upload(c.engine, body.dataset_id, user=c.user)
    except UsageProblem:
        raise not_found("dataset", dataset=body.dataset_id) from None
    d = got.upload
    out = _run_json(_run(c, run_id).summary)
    out["dataset_id"] = d.id
    out["final_score_sheets"] = got.final_sheets
    return out


@router.get("/tenants/{tenant}/runs")
def list_runs(c: Ctx) -> Response:
    allow(c, "run.read")
    everyone = c.sees_everyone

    def row(r: store.RunSummary) -> bytes:
        return c.runs.summary_json(c.engine, r, everyone, lambda: _run_json(r, everyone))

    return _json(b"[" + b",".join(row(r) for r in c.runs.listing(c.engine)) + b"]")


@router.get("/tenants/{tenant}/runs/{run_id}")
def get_run(c: Ctx, run_id: int) -> Response:
    """The run's summary and the results of the people the caller sees; for the roles that
    see everyone also the totals and the funds (that JSON is written once per process)."""
    allow(c, "run.read")
    run = _run(c, run_id)
    visible = _visible(c, run.summary)
    if visible is None:
        return _json(run.encoded("everyone", lambda: {
            **_run_json(run.summary), "results": run.rows, "funds": run.funds}))
    return _json(dumps({**_run_json(run.summary, False),
                        "results": [p for p in run.rows if p["person_id"] in visible]}))


def _person(c: TenantContext, run_id: int, person_id: str) -> StoredRun:
    """The run, when ``person_id`` is one of its people the caller may see; else 404."""
    run = _run(c, run_id)
    visible = _visible(c, run.summary)
    if (visible is not None and person_id not in visible) or person_id not in run.by_person:
        raise not_found("person_in_run", person=person_id, run=run_id)
    return run


@router.get("/tenants/{tenant}/runs/{run_id}/people/{person_id}")
def get_person(c: Ctx, run_id: int, person_id: str) -> Response:
    """One person's stored result (their scheda's numbers)."""
    allow(c, "run.read")
    return _json(_person(c, run_id, person_id).person_json(person_id) or b"{}")


@router.get("/tenants/{tenant}/runs/{run_id}/people/{person_id}/scheda",
            response_class=HTMLResponse)
def get_scheda(c: Ctx, run_id: int, person_id: str,
               lang: Literal["it", "en"] = "it") -> HTMLResponse:
    """One person's scheda di valutazione (HTML, as ``smvp scheda``; revisions applied),
    dated with the delivery recorded for it, else today. The profile's own sheet template
    (``scheda.template``, a file beside the profile) is a command-line feature: the
    service uses the standard one."""
    allow(c, "run.read")
    from smvp.documents import runs, scheda

    _person(c, run_id, person_id)
    doc = runs.load_from(c.engine, run_id, dt.date.today(), persons=[person_id])
    day = doc.deliveries.get(person_id) or doc.today
    return HTMLResponse(scheda.html(doc, person_id, day, lang))


@router.get("/tenants/{tenant}/runs/{run_id}/verify")
def verify(c: Ctx, run_id: int) -> dict[str, Any]:
    allow(c, "run.verify")
    _run(c, run_id)
    return jsonable(verify_uc.verify(c.engine, run_id, c.lang).as_dict(), decimals_as="string")


@router.get("/tenants/{tenant}/runs/{run_id}/explain/{person_id}")
def explain(c: Ctx, run_id: int, person_id: str) -> dict[str, Any]:
    allow(c, "run.explain")
    from smvp.app.explain import explain_person

    _person(c, run_id, person_id)
    found = explain_person(c.engine, run_id, person_id)
    return {"run_id": run_id, "person_id": person_id, "matches_stored": not found.differs,
            "differs": found.differs, "trace": jsonable(found.trace, decimals_as="string")}


@router.get("/tenants/{tenant}/runs/{run_id}/report", response_class=HTMLResponse)
def report(c: Ctx, run_id: int, compare: int | None = None,
           lang: Literal["it", "en"] = "it") -> HTMLResponse:
    """The OIV's differentiation report of a run (HTML, as ``smvp report``), optionally
    beside another run of the tenant (``?compare=M``)."""
    allow(c, "report.read")
    from smvp.documents import oiv, runs

    _run(c, run_id)
    if compare is not None:
        _run(c, compare)
    today = dt.date.today()
    doc = runs.load_from(c.engine, run_id, today, persons=[])
    other = runs.load_from(c.engine, compare, today, persons=[]) if compare is not None else None
    return HTMLResponse(oiv.html(doc, lang, other))


@router.get("/tenants/{tenant}/runs/{run_id}/state")
def payout_state(c: Ctx, run_id: int, request: Request) -> dict[str, Any]:
    """The run's payment state; each reason it is not final with its catalogue ``key``, its
    fields and its ``text`` in the request's language (docs/api.md, "Language")."""
    from smvp.i18n import said_fields
    from smvp.service.refusals import request_lang

    allow(c, "run.state")
    _run(c, run_id)
    g = cases.payout_state(c.engine, run_id)
    lang = request_lang(request)
    return {"run_id": run_id, "state": g.state, "as_of": g.as_of.isoformat(),
            "oiv_date": g.oiv_date.isoformat() if g.oiv_date else None,
            "reasons": [{"key": k, **jsonable(said_fields(p, lang), decimals_as="string"), "text": text}
                        for (k, p), text in zip(g.reasons, g.said(lang), strict=True)]}


@router.post("/tenants/{tenant}/runs/{run_id}/validation", status_code=201)
def validate(c: Ctx, run_id: int, body: ValidationRequest) -> dict[str, Any]:
    """The OIV's validation of the Relazione sulla performance for a run."""
    allow(c, "run.validate")
    run = _run(c, run_id)
    rec = cases.validate_run(c.engine, run_id, oiv_date=body.oiv_date,
                             requests_closed=body.requests_closed, note=body.note,
                             chamber=run.summary.chamber)
    with Session(c.engine) as s, s.begin():
        accounts.audit(s, user=c.user, action="run.validate", kind="run", object_id=run_id,
                       after={"oiv_date": body.oiv_date.isoformat(), "validation": rec.id})
    return {"run_id": run_id, "validation_id": rec.id, "oiv_date": rec.oiv_date.isoformat()}


# --------------------------------------------------------------------------- cases


def _case_json(v: Any) -> dict[str, Any]:
    nxt = v.next
    return {"ref": v.ref, "run_id": v.case.run_id, "person_id": v.case.person_id,
            "person_name": v.person_name, "delivered": v.case.delivered.isoformat(),
            "closed_on": v.case.closed_on.isoformat() if v.case.closed_on else None,
            "outcome": v.case.outcome,
            "steps": [{"step": s.step, "done_on": s.done_on.isoformat(), "status": s.status,
                       "due": s.due.isoformat() if s.due else None} for s in v.steps],
            "next": None if nxt is None else {
                "step": nxt.step, "label": v.procedure.label(nxt.step),
                "due": nxt.due.isoformat() if nxt.due else None, "status": nxt.status}}


def _case_visible(c: TenantContext, case_view: Any) -> bool:
    if c.sees_everyone:
        return True
    found = c.runs.get(c.engine, case_view.case.run_id)
    visible = _visible(c, found.summary) if found is not None else set()
    return visible is None or case_view.case.person_id in visible


@router.get("/tenants/{tenant}/cases")
def list_cases(c: Ctx, closed: bool = False) -> list[dict[str, Any]]:
    allow(c, "case.read")
    views = cases.list_cases(c.engine, include_closed=closed)
    return [_case_json(v) for v in views if _case_visible(c, v)]


def _case(c: TenantContext, ref: str) -> Any:
    try:
        view, _revs = cases.show_case(c.engine, ref, chamber=c.tenant.chamber)
    except (CaseProblem, UsageProblem):
        raise not_found("case", case=ref) from None
    if not _case_visible(c, view):
        raise not_found("case", case=ref)
    return view


@router.get("/tenants/{tenant}/cases/{ref}")
def get_case(c: Ctx, ref: str) -> dict[str, Any]:
    allow(c, "case.read")
    return _case_json(_case(c, ref))


@router.post("/tenants/{tenant}/cases", status_code=201)
def open_case(c: Ctx, body: OpenCase) -> dict[str, Any]:
    allow(c, "case.open")
    run = _run(c, body.run_id).summary
    visible = _visible(c, run)
    if visible is not None and body.person_id not in visible:
        raise not_found("person_in_run", person=body.person_id, run=body.run_id)
    view = cases.open_case(c.engine, chamber=run.chamber, run_id=body.run_id,
                           person_id=body.person_id, delivered=body.delivered, note=body.note)
    with Session(c.engine) as s, s.begin():
        accounts.audit(s, user=c.user, action="case.open", kind="case", object_id=view.ref,
                       after={"run": body.run_id, "person": body.person_id})
    return _case_json(view)


@router.post("/tenants/{tenant}/cases/{ref}/steps", status_code=201)
def step_case(c: Ctx, ref: str, body: StepRequest) -> dict[str, Any]:
    allow(c, "case.step")
    before = _case_json(_case(c, ref))
    scores = None
    if body.scores:
        from smvp.conciliation import parse_scores

        scores = parse_scores(",".join(f"{k}={v}" for k, v in body.scores.items()))
    done = cases.record_step(c.engine, ref, chamber=c.tenant.chamber, event=body.event,
                             on=body.on, scores=scores, note=body.note)
    after = _case_json(done.view)
    with Session(c.engine) as s, s.begin():
        accounts.audit(s, user=c.user, action="case.step", kind="case", object_id=ref,
                       before=before, after=after)
    return after


# --------------------------------------------------------------------------- diff, audit


@router.get("/tenants/{tenant}/diff")
def diff(c: Ctx, old: int, new: int) -> dict[str, Any]:
    """Rule-by-rule changes between two profile versions of the tenant."""
    allow(c, "diff.read")
    from smvp_engine.diff import diff_profiles

    a, b = uploads.profile_version(c.engine, old), uploads.profile_version(c.engine, new)
    if a is None or b is None:
        raise not_found("profile_version", version=old if a is None else new)
    d = diff_profiles(uploads.load_profile_text(a.text, a.filename),
                      uploads.load_profile_text(b.text, b.filename))
    return {"old": old, "new": new, "diff": jsonable(d.as_dict(), decimals_as="string")}


@router.get("/tenants/{tenant}/audit")
def audit_log(c: Ctx, limit: int = 200) -> list[dict[str, Any]]:
    allow(c, "audit.read")
    with Session(c.engine) as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
                      .limit(max(1, min(limit, 1000)))).all()
        return [{"id": e.id, "at": e.at.isoformat(), "user": e.username, "action": e.action,
                 "object_kind": e.object_kind, "object_id": e.object_id, "before": e.before,
                 "after": e.after} for e in rows]
