"""The revisore's pages (issue 11), read-only: compare two versions of the tenant's profile
in the users' words (the sentences of ``smvp diff``) with the impact on a stored run's
dataset, and verify a stored run (``smvp verify``: integrity of its inputs, re-evaluation
to the cent). Nothing here writes.

The versions a revisore may compare: the tenant's stored profile versions
(``profile_version``), the profile stored with each of the tenant's runs, and the profile
bundled with smvp for the tenant's chamber. Each is named in the form by a key: ``v<id>``,
``e<run id>``, ``smvp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from smvp.i18n import t
from smvp.service.refusals import said
from smvp.service.web.deps import Context, context, not_found
from smvp.service.web.render import page

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
REVIEWERS = ("revisore", "amministratore", "oiv")
PEOPLE_SHOWN = 50


@dataclass
class Version:
    key: str
    label: str


def choices(ctx: Context) -> list[Version]:
    """The versions the form offers, newest first."""
    from smvp.i18n import format_datetime
    from smvp.service.web.profile_pages import versions

    out = [Version(f"v{pv.id}", t("web.review.version", ctx.lang, n=pv.id, file=pv.filename,
                                  when=format_datetime(pv.created_at, ctx.lang)))
           for pv in versions(ctx)]
    out += [Version(f"e{r.id}", t("web.review.run_profile", ctx.lang, run=r.id, year=r.year))
            for r in sorted(ctx.runs(), key=lambda r: r.id, reverse=True)]
    out.append(Version("smvp", t("web.review.bundled", ctx.lang)))
    return out


def profile_of(ctx: Context, key: str) -> tuple[str, Any]:
    """(label, validated profile) of the version ``key`` of this tenant, else 404."""
    from smvp import engine_api
    from smvp.app.uploads import load_profile_text
    from smvp.app.verify import stored_profile
    from smvp.service.web.profile_pages import version

    if key == "smvp":
        found = engine_api.find_chamber(ctx.tenant.chamber)
        if found is None:
            raise not_found()
        return t("web.review.bundled_lower", ctx.lang), engine_api.load_profile(found[1])
    if key[:1] in ("v", "e") and key[1:].isdigit():
        n = int(key[1:])
        if key[0] == "v":
            pv = version(ctx, n)
            return t("web.review.version_short", ctx.lang, n=pv.id), load_profile_text(pv.text, pv.filename)
        run = ctx.run(n)
        return t("web.review.run_short", ctx.lang, n=run.id), stored_profile(run)
    raise not_found()


def changes_in_words(old: Any, new: Any, lang: str) -> dict[str, Any]:
    """The changes grouped as ``smvp diff`` prints them: rules, sources, wording."""
    from smvp.commands.diff import sentence
    from smvp_engine.diff import diff_profiles

    result = diff_profiles(old, new)
    groups = []
    for category, title in (("rule", "web.review.rules"), ("source", "web.review.sources"), ("text", "web.review.texts")):
        items = [sentence(c, lang) for c in result.changes if c.category == category]
        if items:
            groups.append({"category": category, "title": t(title, lang), "sentences": items})
    return {"groups": groups, "years": list(result.years), "rules": len(result.rule_changes),
            "total": len(result.changes)}


def impact_on_run(ctx: Context, run_id: int, old: Any, new: Any) -> dict[str, Any]:
    """The stored run's dataset evaluated under both versions (``smvp diff --impact``), for the
    run's year: the people who change (at most PEOPLE_SHOWN), per role, per fund, totals."""
    from smvp import engine_api
    from smvp.app.verify import stored_dataset
    from smvp_engine.diff import impact

    run = ctx.run(run_id)
    ds = stored_dataset(ctx.engine, run)
    imp = impact(engine_api.evaluate(old, ds, year=run.year), engine_api.evaluate(new, ds, year=run.year))
    changed = imp.changed_people
    return {"run": run, "people": changed[:PEOPLE_SHOWN], "more": max(0, len(changed) - PEOPLE_SHOWN),
            "roles": imp.roles, "funds": imp.funds, "totals": imp.totals}


@router.get("/t/{tenant}/revisione", response_class=HTMLResponse)
def review(ctx: Ctx, vecchia: str = "", nuova: str = "", impatto: str = "") -> Response:
    """The comparison form; with two versions chosen, the changes in words and, with a run
    chosen, the impact on its dataset; the runs to verify."""
    from smvp_engine.errors import SmvpError, SmvpErrors

    ctx.grant(*REVIEWERS)
    options = choices(ctx)
    result: dict[str, Any] | None = None
    problem = ""
    if vecchia and nuova:
        try:
            old_label, old = profile_of(ctx, vecchia)
            new_label, new = profile_of(ctx, nuova)
            result = {"old": old_label, "new": new_label,
                      **changes_in_words(old, new, ctx.lang)}
            if impatto:
                if not impatto.isdigit():
                    raise not_found()
                result["impact"] = impact_on_run(ctx, int(impatto), old, new)
        except (SmvpErrors, SmvpError) as exc:
            errors = getattr(exc, "errors", None) or [exc]
            problem = "; ".join(said(e, ctx.lang) for e in errors[:5])
    return page(ctx.request, "review.html.j2", ctx, options=options, runs=ctx.runs(),
                old=vecchia, new=nuova, impact_run=impatto, result=result, problem=problem,
                status_code=422 if problem else 200)


@router.get("/t/{tenant}/revisione/verifica/{run_id}", response_class=HTMLResponse)
def verify_run(run_id: int, ctx: Ctx) -> Response:
    """``smvp verify`` of a stored run of the tenant: reads only."""
    from smvp.app.verify import tr, verify
    from smvp.i18n import format_datetime

    ctx.grant(*REVIEWERS)
    run = ctx.run(run_id)
    v = verify(ctx.engine, run.id, ctx.lang)
    rows = [{"where": tr(d["where"], ctx.lang) + (f" {d['id']}" if d["id"] else ""),
             "field": d["field"] or "", "stored": _shown(d["field"], d["stored"], ctx.lang),
             "now": _shown(d["field"], d["now"], ctx.lang)} for d in v.differences]
    return page(ctx.request, "verify.html.j2", ctx, run=run, v=v, rows=rows,
                head=tr("run_head", ctx.lang, id=v.run_id, chamber=v.chamber, year=v.year,
                        when=format_datetime(run.created_at, ctx.lang), stored=v.engine_stored,
                        now=v.engine_now),
                verdict=(tr("identical", ctx.lang, people=v.people, funds=v.funds) if v.identical
                         else tr("tampered", ctx.lang) if not v.intact
                         else tr("differs", ctx.lang, n=len(v.differences)) if v.differences
                         else tr("cannot", ctx.lang)))


def _shown(field_name: str | None, value: Any, lang: str) -> str:
    from smvp.commands.verify import _shown as shown

    return shown(field_name, value, lang)
