"""A stored run, read back for the documents.

Read through the functions ``smvp explain`` and ``smvp verify`` use
(:func:`smvp.app.verify.get_run`, :func:`smvp.app.verify.reevaluate`,
:func:`smvp.app.explain.stale_fields`) and, when the run has revisions
(conciliation: "la nuova scheda finale … sostituisce la precedente", Cuneo
SMVP 2024 §3.4), the revisions stored for it (:func:`smvp.store.cases.run_revisions`)
applied in order, as ``smvp run export`` does.

A document must carry the stored numbers: when the current engine does not
reproduce a run that has no revisions, :class:`DocumentProblem` says for whom
and points to ``smvp verify``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from smvp.errors import EdgeError, UsageProblem
from smvp_engine.errors import Msg


class DocumentProblem(EdgeError):
    """A document cannot be made from this run (exit 1)."""

    exit_code = 1


@dataclass
class RunDocument:
    """What the documents need from one stored run.

    Attributes:
        run: the stored ``run`` row (id, chamber, year, profile text and hashes).
        profile: the profile stored with the run (``smvp_engine.profile.Profile``).
        rules: its rules for the run's year (``Resolved``).
        evaluation: the run re-evaluated (revisions applied), ``smvp_engine`` Evaluation.
        rows: ``evaluation.rows()`` (one dict per person: points as Decimal, money in euro).
        funds: ``evaluation.funds()`` (resources, distributed, economies in euro).
        revisions: number of revisions applied.
        today: the day the document is made (``$SMVP_TODAY`` or today).
    """

    run: Any
    profile: Any
    rules: Any
    evaluation: Any
    rows: list[dict[str, Any]]
    funds: list[dict[str, Any]]
    revisions: int
    today: dt.date
    database: str
    units: dict[str, str] = field(default_factory=dict)
    deliveries: dict[str, dt.date | None] = field(default_factory=dict)  # recorded sheet deliveries

    @property
    def run_id(self) -> int:
        return int(self.run.id)

    @property
    def year(self) -> int:
        return int(self.run.year)

    @property
    def chamber(self) -> str:
        return str(self.run.chamber)

    @property
    def chamber_name(self) -> str:
        return str(self.rules.chamber_name)

    @property
    def profile_sha256(self) -> str:
        return str(self.run.profile_sha256)

    def row(self, person: str) -> dict[str, Any]:
        for r in self.rows:
            if str(r.get("person_id")) == person:
                return r
        known = ", ".join(str(r.get("person_id")) for r in self.rows[:8])
        raise UsageProblem(Msg("--person {person}: no such person in run {run} ({chamber} {year})", person=person,
                               run=self.run_id, chamber=self.chamber, year=self.year),
                           hint=Msg("known ids include {known}", known=known) if known else None)

    def sources_titles(self) -> dict[str, str]:
        docs = (self.profile.data.get("documents") or {})
        return {k: str((v or {}).get("title") or k) for k, v in docs.items()}


def load(db: Any, run_id: int, today: dt.date,
         persons: list[str] | None = None) -> RunDocument:
    """The stored run ``run_id`` re-evaluated for documents (revisions applied), with the
    recorded sheet deliveries of ``persons`` (default: everyone; ``[]``: nobody).

    ``db``: a database URL (None: the default database), opened and closed here; or an open
    store engine, used as given — the service passes its tenant-scoped engine
    (``smvp.store.scoped``), through which another tenant's run is not found.

    Raises:
        UsageProblem: no such run (exit 2).
        DocumentProblem: the current engine does not reproduce the stored results.
        StoreProblem: the database or the stored inputs cannot be read.
    """
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from smvp import engine_api, store
    from smvp.app import conciliation as app_conciliation
    from smvp.app.verify import get_run, reevaluate
    from smvp.store import cases as stored_cases

    given = isinstance(db, Engine)
    engine = db if given else store.open_engine(db, create=False)
    try:
        run = get_run(engine, run_id)
        with Session(engine) as session:
            revs = stored_cases.run_revisions(session, run_id)
        if revs:
            from smvp_engine import revision as rv

            profile, tables = app_conciliation.load_run_inputs(engine, run)
            ds = rv.revised_dataset(tables, app_conciliation._engine_revisions(revs),
                                    path=run.dataset_path)
            ev = engine_api.evaluate(profile, ds, year=run.year)
        else:
            profile, _, ev = reevaluate(engine, run)
        rows = [dict(r) for r in ev.rows()]
        if not revs:
            _check_stored(engine, run, rows)
        wanted = persons if persons is not None else [str(r.get("person_id")) for r in rows]
        with Session(engine) as session:
            deliveries = {p: stored_cases.delivery_day(session, run_id, p) for p in wanted}
        database = store.display_url(str(engine.url))
    finally:
        if not given:
            engine.dispose()
    rules = ev.rules
    try:  # unit labels from the dataset's units table (ids are shown without them)
        from smvp_engine.columns import as_objects

        table = ev.dataset.table("units")
        units = {str(i): str(label) for i, label in zip(as_objects(table["unit_id"]),
                                                        as_objects(table["label"])) if i and label}
    except Exception:  # noqa: BLE001 - labels are a nicety
        units = {}
    return RunDocument(run=run, profile=profile, rules=rules, evaluation=ev, rows=rows,
                       funds=[dict(f) for f in ev.funds()], revisions=len(revs), today=today,
                       database=database, units=units, deliveries=deliveries)


def _check_stored(engine: Any, run: Any, rows: list[dict[str, Any]]) -> None:
    """DocumentProblem when the re-evaluation differs from the stored person results."""
    from smvp import store

    stored_rows = {p.person_id: p for p in store.iter_person_results(engine, run.id)}
    differ = []
    for r in rows:
        pid = str(r.get("person_id"))
        was = stored_rows.get(pid)
        if was is None:
            differ.append(pid)
            continue
        now = store.person_record(run.id, r, run.tenant_id).model_dump()
        old = was.model_dump()
        if any(old[k] != now.get(k) for k in old if k not in ("id", "run_id")):
            differ.append(pid)
    if differ or len(stored_rows) != len(rows):
        raise DocumentProblem(
            Msg("the current smvp does not reproduce the stored results of run {run} for {n} people ({people}): "
                "a document must carry the stored numbers, so none was written", run=run.id, n=len(differ),
                people=", ".join(differ[:5]) + (", …" if len(differ) > 5 else "")),
            hint=Msg("'smvp verify --run {run}' lists the differences", run=run.id))


def load_from(engine: Any, run_id: int, today: dt.date,
              persons: list[str] | None = None) -> RunDocument:
    """:func:`load` on an open store (the service's, scoped to a tenant)."""
    return load(engine, run_id, today, persons)
