"""Verify a stored run: re-evaluate it and confirm it to the cent, or list every difference.

Also the helpers that read a stored run back (``explain``, ``diff --runs``,
the service): the run row, its profile (the exact stored text) and its
dataset (read back from its stored typed columns, or from the canonical JSON of a run
stored before schema 0008; ``smvp.store.content``). Nothing here writes: a
stored run is never modified.

Checks, in order:

1. the stored profile text still has the sha256 recorded with the run;
2. the stored dataset content (its columnar bytes, or its JSON text) still has the
   sha256 recorded with it (``dataset_blob.content_sha256``): a tampered content is
   reported;
3. the dataset rebuilt from that content has the dataset hash the run
   recorded (``run.dataset_sha256``) — catches a content edited together with
   its recorded hash;
4. the profile loads and the evaluation runs with the current engine;
5. every person's stored results (points in centipoints, money in cents,
   judgement, negative, payout %, coefficient, rank, components), every
   fund's totals and the run's totals are identical to the new evaluation.

Exit codes (docs/audit.md): 0 identical and intact; 1 a difference or a
tampered input (each listed); 2 the run cannot be read (unknown run, bad
database URL); 3 a bug.
"""


from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from smvp import engine_api, store
from smvp.errors import UsageProblem
from smvp.i18n import Words, error_text
from smvp.report import Outcome
from smvp_engine.errors import Msg, SmvpError, SmvpErrors

TEXTS = Words("verify")  # catalogue: verify.*


def tr(key: str, lang: str, **kw: Any) -> str:
    it, en = TEXTS[key]
    return (it if lang == "it" else en).format(**kw)


# --------------------------------------------------------------------------- reading stored runs


def get_run(engine: Engine, run_id: int) -> store.Run:
    """The stored run ``run_id`` (UsageProblem, exit 2, when there is none)."""
    run = store.find_run(engine, run_id)
    if run is None:
        raise UsageProblem(Msg("no run {run} in {db}", run=run_id, db=store.display_url(str(engine.url))),
                           hint=Msg("'smvp runs' lists the stored runs"))
    return run


def stored_profile(run: store.Run) -> Any:
    """The run's profile from its stored text (validated by the current engine), on the national
    layer stored with the run (``run.layer_text``); a run stored before smvp kept the layer is
    loaded on the layer as it is now (``verify`` says so)."""
    from smvp_engine.profile import load_profile

    return load_profile(run.profile_path, text=run.profile_text, layer_text=getattr(run, "layer_text", None))


def dataset_from_content(content: dict[str, Any], label: str) -> Any:
    """A Dataset rebuilt from a dataset's content as JSON data (``store.dataset_document``)."""
    from smvp_engine.dataset import dataset_from_columns

    return dataset_from_columns(content.get("tables") or {}, path=label, categorical=True)


def rebuilt_hash_matches(ds: Any, content: dict[str, Any], recorded: str) -> bool:
    """Whether the dataset rebuilt from a stored document has the hash its run recorded:
    the current hash, or — for a run stored before a column was declared — the hash over
    the columns the document has (``smvp_engine.dataset.content_sha256_as_stored``)."""
    from smvp.store.content import Stored, rebuilt_as_recorded

    return rebuilt_as_recorded(ds, Stored(document=content), recorded)


def stored_dataset(engine: Engine, run: store.Run) -> Any:
    """The run's dataset, rebuilt from its stored content (columnar, or the canonical JSON of
    a run stored before schema 0008) after checking both hashes.

    Raises StoreProblem when the content does not match its recorded hash or
    rebuilds to another dataset than the one the run recorded.
    """
    from smvp.store import content as stored_content

    blob = store.get_blob(engine, run.dataset_sha256, run.tenant_id)
    if blob is None:
        raise store.StoreProblem(Msg("the dataset {hash} of run {run} is not in the database",
                                     hash=run.dataset_sha256[:12], run=run.id))
    if not stored_content.intact(blob):
        raise store.StoreProblem(Msg("stored dataset {hash} does not match its hash",
                                     hash=run.dataset_sha256[:12]))
    try:
        stored = stored_content.read_stored(blob)
    except ValueError as exc:
        raise store.StoreProblem(Msg("stored dataset {hash} does not read: {why}",
                                     hash=run.dataset_sha256[:12], why=str(exc))) from exc
    ds = stored_content.rebuild(stored, f"run {run.id}: dataset {run.dataset_sha256[:12]}")
    if not stored_content.rebuilt_as_recorded(ds, stored, run.dataset_sha256):
        raise store.StoreProblem(Msg("the stored dataset of run {run} rebuilds to {found}, not to the recorded "
                                     "{recorded}: it was modified", run=run.id, found=ds.sha256[:12],
                                     recorded=run.dataset_sha256[:12]))
    return ds


def reevaluate(engine: Engine, run: store.Run) -> tuple[Any, Any, Any]:
    """(profile, dataset, evaluation) of a stored run, with the current engine."""
    profile = stored_profile(run)
    dataset = stored_dataset(engine, run)
    return profile, dataset, engine_api.evaluate(profile, dataset, year=run.year)


# --------------------------------------------------------------------------- verification

PERSON_SKIP = {"id", "run_id"}
FUND_FIELDS = ("label", "resources_cents", "distributed_cents", "economies_cents")


@dataclass
class Verification:
    run_id: int
    chamber: str
    year: int
    created_at: str
    engine_stored: str
    engine_now: str
    integrity: list[dict] = field(default_factory=list)  # {check, ok, message}
    problems: list[str] = field(default_factory=list)  # why it could not be re-evaluated
    differences: list[dict] = field(default_factory=list)  # {where, id, field, stored, now}
    people: int = 0
    funds: int = 0

    @property
    def intact(self) -> bool:
        return all(c["ok"] for c in self.integrity)

    @property
    def identical(self) -> bool:
        return self.intact and not self.problems and not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "chamber": self.chamber, "year": self.year, "created_at": self.created_at,
                "engine_stored": self.engine_stored, "engine_now": self.engine_now, "identical": self.identical,
                "intact": self.intact, "integrity": self.integrity, "problems": self.problems,
                "differences": self.differences, "people": self.people, "funds": self.funds}


def _record_values(rec: Any, skip: set[str]) -> dict[str, Any]:
    return {k: v for k, v in rec.model_dump().items() if k not in skip}


def verify(engine: Engine, run_id: int, lang: str = "it") -> Verification:
    """Check a stored run's inputs and re-evaluate it (reads only)."""
    run = get_run(engine, run_id)
    created = run.created_at.isoformat(timespec="seconds") if run.created_at else ""
    v = Verification(run_id, run.chamber, run.year, created, run.engine_version, engine_api.engine_version())
    # 1. profile text
    sha = hashlib.sha256(run.profile_text.encode("utf-8")).hexdigest()
    ok = sha == run.profile_sha256
    v.integrity.append({"check": "profile_text", "ok": ok,
                        "message": tr("profile_ok", lang, sha=sha[:12]) if ok else
                        tr("profile_bad", lang, rec=run.profile_sha256[:12], now=sha[:12])})
    # 1b. the national layer the profile extends, as stored with the run
    if run.layer_text is not None:
        sha = hashlib.sha256(run.layer_text.encode("utf-8")).hexdigest()
        ok = sha == run.layer_sha256
        v.integrity.append({"check": "layer_text", "ok": ok,
                            "message": tr("layer_ok", lang, name=run.layer_name, sha=sha[:12]) if ok else
                            tr("layer_bad", lang, name=run.layer_name, rec=(run.layer_sha256 or "")[:12], now=sha[:12])})
    elif "extends:" in run.profile_text:  # stored before runs kept their layer: said, not a failure
        v.integrity.append({"check": "layer_text", "ok": True, "message": tr("layer_not_stored", lang)})
    # 2. dataset content (columnar, or the canonical JSON of a run stored before schema 0008)
    from smvp.store import content as stored_content

    blob = store.get_blob(engine, run.dataset_sha256, run.tenant_id)
    stored = None
    if blob is None:
        v.integrity.append({"check": "dataset_content", "ok": False,
                            "message": tr("blob_missing", lang, sha=run.dataset_sha256[:12])})
    else:
        now = stored_content.content_sha256_now(blob)
        ok = now == blob.content_sha256
        v.integrity.append({"check": "dataset_content", "ok": ok,
                            "message": tr("blob_ok", lang, sha=now[:12]) if ok else
                            tr("blob_bad", lang, now=now[:12], rec=blob.content_sha256[:12])})
        try:
            stored = stored_content.read_stored(blob)
        except ValueError as exc:
            v.problems.append(tr("unreadable", lang, err=exc))
    # 3-4. rebuild and re-evaluate
    outcome = None
    if stored is not None:
        try:
            ds = stored_content.rebuild(stored, f"run {run.id}: dataset {run.dataset_sha256[:12]}")
            ok = stored_content.rebuilt_as_recorded(ds, stored, run.dataset_sha256)
            v.integrity.append({"check": "dataset_hash", "ok": ok,
                                "message": tr("dataset_ok", lang, sha=run.dataset_sha256[:12]) if ok else
                                tr("dataset_bad", lang, now=ds.sha256[:12], rec=run.dataset_sha256[:12])})
            profile = stored_profile(run)
            ev = engine_api.evaluate(profile, ds, year=run.year)
            outcome = Outcome.from_evaluation(profile, ds, ev, year=run.year, engine_version=v.engine_now)
        except SmvpErrors as exc:  # located errors, said in the user's language
            v.problems += [error_text(e, lang) for e in exc.errors]
        except SmvpError as exc:
            v.problems.append(error_text(exc, lang))
        except (TypeError, ValueError, KeyError) as exc:  # the stored content, not the user's words
            v.problems.append(tr("unexpected", lang, kind=type(exc).__name__, err=exc))
    # 5. compare
    if outcome is not None:
        _compare(engine, run, outcome, v)
    return v


def _same_people(engine: Engine, run: store.Run, outcome: Outcome) -> bool:
    """Whether every stored person of the run is, in order, the re-evaluation's: the two as
    columns of plain values (smvp/store/bulk.py), no object per person. False also when the
    evaluation has no columns: then the people are compared field by field."""
    from sqlmodel import Session

    from smvp.store import bulk

    ev = getattr(outcome.rows, "evaluation", None)
    if ev is None or not bulk.columnar(ev):
        return False
    with Session(engine) as session:
        return bulk.same_as_stored(session, store.row_id(run), bulk.person_parts(ev))


def _compare(engine: Engine, run: store.Run, outcome: Outcome, v: Verification) -> None:
    if _same_people(engine, run, outcome):
        v.people = len(outcome.rows)
        _compare_funds_and_totals(engine, run, outcome, v)
        return
    run_id = store.row_id(run)
    stored = {p.person_id: p for p in store.iter_person_results(engine, run_id)}
    now = {str(r.get("person_id")): store.person_record(run_id, r, run.tenant_id) for r in outcome.rows}
    v.people = len(now)
    _compare_records("person", stored, now, lambda rec: _record_values(rec, PERSON_SKIP), v)
    _compare_funds_and_totals(engine, run, outcome, v)


def _compare_records(where: str, stored: dict[str, Any], now: dict[str, Any],
                     values: Callable[[Any], dict[str, Any]], v: Verification) -> None:
    """Append to ``v.differences`` one entry per record present on one side only and one per
    field (of ``values(record)``) that differs, stored records first, in their order."""
    for key in list(stored) + [k for k in now if k not in stored]:
        a, b = stored.get(key), now.get(key)
        if a is None or b is None:
            v.differences.append({"where": where, "id": key, "field": None,
                                  "stored": None if a is None else "present", "now": None if b is None else "present"})
            continue
        va, vb = values(a), values(b)
        for k in va:
            if va[k] != vb.get(k):
                v.differences.append({"where": where, "id": key, "field": k, "stored": va[k], "now": vb.get(k)})


def _compare_funds_and_totals(engine: Engine, run: store.Run, outcome: Outcome, v: Verification) -> None:
    run_id = store.row_id(run)
    f_stored = {f.fund: f for f in store.fund_results(engine, run_id)}
    f_now = {str(f.get("fund")): store.fund_record(run_id, f, run.tenant_id) for f in outcome.funds}
    v.funds = len(f_now)
    _compare_records("fund", f_stored, f_now, lambda rec: {k: getattr(rec, k) for k in FUND_FIELDS}, v)
    t_stored = (run.totals or {}).get("cents") or {}
    t_now = store.totals_json(outcome)["cents"]
    for k in list(t_stored) + [k for k in t_now if k not in t_stored]:
        if t_stored.get(k) != t_now.get(k):
            v.differences.append({"where": "totals", "id": None, "field": f"{k}_cents",
                                  "stored": t_stored.get(k), "now": t_now.get(k)})
    if run.people != len(outcome.rows):
        v.differences.append({"where": "run", "id": None, "field": "people", "stored": run.people, "now": len(outcome.rows)})

