"""Run use cases: evaluate a dataset with a profile, store the run, list stored runs.

Shared by ``smvp evaluate`` / ``smvp runs`` and the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smvp import engine_api
from smvp.errors import UsageProblem
from smvp.report import Outcome
from smvp_engine.errors import Msg

if TYPE_CHECKING:  # the store (sqlalchemy, sqlmodel) is imported when a run is stored, not to evaluate
    from sqlalchemy.engine import Engine


def evaluate(profile: Any, dataset: Any, *, year: int | None = None,
             source: str = "the dataset") -> Outcome:
    """Evaluate ``dataset`` with ``profile`` for ``year`` (default: the dataset's year).

    Raises the engine's ``SmvpErrors`` (located problems) and UsageProblem when no
    year is known. Nothing is stored.
    """
    year = year if year is not None else getattr(dataset, "year", None)
    if year is None:
        raise UsageProblem(Msg("no year: the dataset {path} does not say which year it is", path=source),
                           hint=Msg("give --year"))
    ev = engine_api.evaluate(profile, dataset, year=int(year))
    return outcome(profile, dataset, ev, year=int(year))


def outcome(profile: Any, dataset: Any, evaluation: Any, *, year: int) -> Outcome:
    """The evaluation gathered as rows, funds and totals (``smvp.report.Outcome``)."""
    return Outcome.from_evaluation(profile, dataset, evaluation, year=year,
                                   engine_version=engine_api.engine_version())


def store_run(engine: Engine, profile: Any, dataset: Any, outcome: Outcome) -> int:
    """Store the run in one transaction (nothing stored on failure); returns its id."""
    from smvp import store

    return store.save_run(engine, profile, dataset, outcome)


def store_run_at(url: str | None, profile: Any, dataset: Any, outcome: Outcome) -> int:
    """Store the run in the database of ``url`` (``--db``; else the default one, see
    ``smvp.store.location``) in one transaction; returns its id. An SQLite database at the
    newest schema is written with the standard library (``smvp.store.direct``: SQLAlchemy
    is not imported); any other, or one to create or upgrade, through the store's engine."""
    from smvp.store import direct

    run_id = direct.save_run(url, profile, dataset, outcome)
    if run_id is not None:
        return run_id
    from smvp import store

    engine = store.open_engine(url)
    try:
        return store_run(engine, profile, dataset, outcome)
    finally:
        engine.dispose()


def evaluate_upload(engine: Engine, dataset_id: int, *, user: Any = None) -> tuple[int, Any]:
    """Evaluate the tenant's uploaded dataset ``dataset_id`` with the profile version it was
    validated against — with the valutatori's final behaviour scores when there are
    (``smvp.app.scores.dataset_for_run``: a derived dataset version) — store the run and
    audit it. Returns (run id, ``smvp.app.scores.ForRun``); UsageProblem when the tenant has
    no such dataset. ``engine``: the tenant-scoped store."""
    from sqlmodel import Session

    from smvp import store
    from smvp.app import accounts, uploads
    from smvp.app import scores as score_uc

    got = score_uc.dataset_for_run(engine, dataset_id, user=user)
    if got is None:
        raise UsageProblem(Msg("no dataset {id}", id=dataset_id))
    pv, d = got.profile_version, got.upload
    profile = uploads.load_profile_text(pv.text, pv.filename)
    out = evaluate(profile, got.dataset, year=d.year, source=d.filename)
    run_id = store_run(engine, profile, got.dataset, out)
    with Session(engine) as s, s.begin():
        accounts.audit(s, user=user, action="run.evaluate", kind="run", object_id=run_id,
                       after={"dataset": d.id, "requested_dataset": dataset_id,
                              "final_score_sheets": got.final_sheets,
                              "profile_version": pv.id, "people": len(out.rows),
                              "totals": store.totals_json(out)["cents"]})
    return run_id, got


def evaluate_new_upload(engine: Engine, *, data: bytes, filename: str, user: Any = None,
                        year: int | None = None, bundled: tuple[str, str] | None = None
                        ) -> tuple[int, int]:
    """Store an uploaded dataset and evaluate it, all or nothing: validate it against the
    tenant's newest profile version — or, when the tenant has none, against ``bundled``
    (text, file name: its chamber's profile shipped with smvp), which then becomes version 1
    — evaluate it, and store the profile version, the dataset and the run in ONE transaction
    (audited). Any failure (a profile or dataset error, an evaluation error, the database)
    raises and leaves the database as it was. Returns (run id, dataset id). UploadProblem
    when the tenant has no profile version and nothing is ``bundled``."""
    from sqlmodel import Session

    from smvp import store
    from smvp.app import accounts, uploads
    from smvp.store.cases import session_errors

    pv = uploads.profile_version(engine, None)
    if pv is not None:
        text, name = pv.text, pv.filename
    elif bundled is not None:
        text, name = bundled
    else:
        raise uploads.UploadProblem(Msg("no profile version to validate the dataset against"))
    profile = uploads.load_profile_text(text, name)
    dataset = uploads.load_upload(data, filename, profile, year)
    out = evaluate(profile, dataset, year=year, source=filename)
    with session_errors(engine, Msg("store the dataset and its run")), \
            Session(engine) as s, s.begin():
        if pv is None:
            pv = uploads.write_profile_version(s, profile, text=text, filename=name, user=user)
        up = uploads.write_dataset(s, dataset, filename=filename, version_id=int(pv.id or 0),
                                   year=year, user=user)
        run_id = store.runs.write_run(s, profile, dataset, out)
        accounts.audit(s, user=user, action="run.evaluate", kind="run", object_id=run_id,
                       after={"dataset": up.id, "requested_dataset": up.id,
                              "final_score_sheets": 0, "profile_version": pv.id,
                              "people": len(out.rows),
                              "totals": store.totals_json(out)["cents"]})
        dataset_id = int(up.id or 0)
    out.info.run_id = run_id
    return run_id, dataset_id
