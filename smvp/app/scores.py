"""Behaviour scores entered by the valutatore (the "B) comportamenti" part of the scheda di
valutazione), shared by the service and, later, the pages.

The rules, in one place:

* **Who evaluates whom.** The profile says it per role (``roles.<role>.evaluator``:
  ``by_role`` and ``scope``, e.g. Cuneo §3.3: "nei confronti del Dirigente da parte del
  Segretario generale" is ``by_role: segretario_generale, scope: ente``), read in one place
  for the pages and the API: ``smvp.app.visibility.evaluatees``. A valutatore is their
  grant's ``person_id`` in the data, never their own evaluator. An evaluator outside the
  staff (``scope: external``: Giunta, Presidente, OIV) has no account role here: their
  scores come with the upload.
* **Scales.** A score is a number of points from 0 to the factor's ``max`` (the profile's
  ``behaviours.factors``, per role), at most 2 decimals; outside it is refused with the
  scale and the factor named. A factor whose scale the source does not define cannot be
  scored here (the profile says so).
* **Draft, then final.** Scores are a draft (editable, replaced factor by factor) until
  the valutatore sets the date of the scheda: the sheet is then final, every factor's
  score frozen, and further edits are refused (409) — a change after the scheda is
  delivered goes through the conciliation procedure (``smvp.app.conciliation``: a
  revision of the run), as the SMVP documents say.
* **Negative judgement.** When the behaviour points are below the role's
  ``negative.behaviour_below`` the scheda date is refused without a motivation; the
  motivation is kept with the sheet (and in the audit log).
* **Evaluation.** ``dataset_for_run``: when an uploaded dataset has final sheets, the
  amministratore's evaluation uses a NEW dataset version derived from the upload (its
  ``behaviours`` rows of those people replaced by the final scores; drafts are not
  used), stored as a dataset of the tenant with ``derived_from`` = the upload, so the
  run records and ``verify`` re-checks exactly what was evaluated.

Every change is one transaction with its audit entry (before and after).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from smvp import store
from smvp.app.accounts import audit
from smvp.app.dataset_people import people
from smvp.app.visibility import evaluatees as rule
from smvp.app.visibility import profile_rules
from smvp.errors import UsageProblem
from smvp.store import scores as q
from smvp.store.tables import DatasetUpload, ProfileVersion, User
from smvp_engine.errors import Day, Msg

CP = Decimal(100)


class ScoreProblem(UsageProblem):
    """A refused score operation; ``status`` is the HTTP status the service answers."""

    status = 400


class NotFound(ScoreProblem):
    status = 404


class Invalid(ScoreProblem):
    status = 422


class Refused(ScoreProblem):
    status = 409


# --------------------------------------------------------------------------- the dataset


@lru_cache(maxsize=16)
def _rules(text: str, filename: str, year: int) -> Any:
    from smvp.app.uploads import load_profile_text

    return load_profile_text(text, filename).for_year(year)


@dataclass
class Scoring:
    """An uploaded dataset open for scoring: its people, the uploaded scores, the rules."""

    upload: DatasetUpload
    rules: Any
    staff: dict[str, dict[str, Any]]  # person_id → {name, role, unit_id}
    uploaded: dict[str, dict[str, int]]  # person_id → factor → centipoints
    parent: dict[str, str | None]  # unit_id → parent unit_id


def open_dataset(engine: Engine, dataset_id: int) -> Scoring:
    """The tenant's uploaded dataset ``dataset_id`` (not a derived one); NotFound otherwise."""
    with Session(engine) as s:  # one query: the upload and its profile version
        got = s.exec(select(DatasetUpload, ProfileVersion)
                     .join(ProfileVersion, col(ProfileVersion.id)
                           == col(DatasetUpload.profile_version_id))
                     .where(col(DatasetUpload.id) == dataset_id)).first()
    up, pv = got if got is not None else (None, None)
    if up is None or pv is None or up.derived_from is not None:
        raise NotFound(Msg("no dataset {dataset} to score (scores are entered on an uploaded dataset)",
                           dataset=dataset_id))
    found = people(engine, up.sha256)
    if found is None:
        raise NotFound(Msg("no dataset {dataset}", dataset=dataset_id))
    return Scoring(upload=up, rules=_rules(pv.text, pv.filename, up.year), staff=found.staff,
                   uploaded=found.uploaded, parent=found.parent)


def evaluatees(sc: Scoring, person_ids: set[str]) -> list[str]:
    """The people a valutatore who is ``person_ids`` in the data evaluates, by the profile's
    evaluator rules (``smvp.app.visibility.evaluatees``), in the staff's order."""
    key = (sc.upload.sha256, sc.upload.profile_version_id, sc.upload.year,
           frozenset(person_ids))
    with _EVALUATEES_LOCK:
        got = _EVALUATEES.get(key)
    if got is None:
        mine = rule(sc.staff, sc.parent, profile_rules(sc.rules), person_ids)
        got = tuple(p for p in sc.staff if p in mine)
        with _EVALUATEES_LOCK:
            if len(_EVALUATEES) >= 1024:
                _EVALUATEES.pop(next(iter(_EVALUATEES)))
            _EVALUATEES[key] = got
    return list(got)


#: (dataset sha256, profile version id, year, valutatore's person_ids) → their evaluatees.
#: Every part of the key is immutable (a dataset's content is named by its hash, a profile
#: version is never changed, the person_ids are the grant's): the rule's answer is kept
#: per process, as the dataset's People are.
_EVALUATEES: dict[tuple[Any, ...], tuple[str, ...]] = {}
_EVALUATEES_LOCK = threading.Lock()


# --------------------------------------------------------------------------- reading


def _points(cp: int | None) -> str | None:
    return None if cp is None else str(Decimal(cp) / CP)


def _scale(mx: Any) -> str:
    """A scale's maximum (a Fraction) as points: 20, 7.5."""
    return f"{(Decimal(mx.numerator) / Decimal(mx.denominator)).normalize():f}"


@dataclass
class PersonSheet:
    """One person's behaviour scores: the uploaded ones, the valutatore's, the state."""

    person_id: str
    name: str | None
    role: str | None
    role_label: str | None
    unit_id: str | None
    state: str  # "uploaded" (nothing entered) | "draft" | "final"
    scheda_date: dt.date | None
    motivation: str | None
    factors: list[dict[str, Any]] = field(default_factory=list)
    behaviour_cp: int | None = None
    negative_below_cp: int | None = None
    problems: list[str] = field(default_factory=list)  # catalogue messages (Msg), said by the edge

    @property
    def negative(self) -> bool | None:
        if self.behaviour_cp is None or self.negative_below_cp is None:
            return None
        return self.behaviour_cp < self.negative_below_cp

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The sheet as JSON data; its ``problems`` said in ``lang`` (the catalogue's English
        text when None)."""
        from smvp.i18n import say

        return {"person_id": self.person_id, "name": self.name, "role": self.role,
                "role_label": self.role_label, "unit_id": self.unit_id, "state": self.state,
                "scheda_date": self.scheda_date.isoformat() if self.scheda_date else None,
                "motivation": self.motivation, "factors": self.factors,
                "behaviour": _points(self.behaviour_cp),
                "negative_below": _points(self.negative_below_cp),
                "negative": self.negative,
                "problems": [say(p, lang) if lang else str(p) for p in self.problems]}

    def audit_view(self) -> dict[str, Any]:
        return {"state": self.state, "motivation": self.motivation,
                "scheda_date": self.scheda_date.isoformat() if self.scheda_date else None,
                "scores": {f["id"]: f["score"] for f in self.factors if f["entered"]}}


def _role(sc: Scoring, person_id: str) -> Any:
    rid = (sc.staff.get(person_id) or {}).get("role")
    return sc.rules.roles.get(rid) if rid else None


def _sheet_view(sc: Scoring, person_id: str, sheet: q.Sheet | None) -> PersonSheet:
    info = sc.staff[person_id]
    role = _role(sc, person_id)
    up = sc.uploaded.get(person_id, {})
    entered = sheet.scores if sheet else {}
    view = PersonSheet(person_id=person_id, name=info["name"], role=info["role"],
                       role_label=role.label if role else None, unit_id=info["unit_id"],
                       state="uploaded" if sheet is None else
                       ("final" if sheet.final else "draft"),
                       scheda_date=sheet.scheda_date if sheet else None,
                       motivation=sheet.motivation if sheet else None)
    total: int | None = 0
    for f in role.factors if role else ():
        cp = entered.get(f.id, up.get(f.id))
        view.factors.append({"id": f.id, "label": f.label,
                             "max": None if f.max is None else _scale(f.max),
                             "uploaded": _points(up.get(f.id)), "score": _points(cp),
                             "entered": f.id in entered})
        total = None if total is None or cp is None else total + cp
    view.behaviour_cp = total if role and role.factors else None
    if role is not None and role.negative_below is not None:
        view.negative_below_cp = int(Decimal(role.negative_below.numerator) * CP
                                     / role.negative_below.denominator)
    if role is None:
        view.problems.append(Msg("role {role!r} is not in the profile", role=info["role"]))
    elif not role.factors:
        view.problems.append(
            Msg("the profile defines no behaviour factors for {role} ({why})", role=role.label,
                why="; ".join(role.undefined)) if role.undefined
            else Msg("the profile defines no behaviour factors for {role}", role=role.label))
    elif role.per_person_scale:
        view.problems.append(Msg("{role}: the factor scores come weighted from each person's sheet "
                                 "(behaviours.scale per_person): not entered here", role=role.label))
    return view


def list_sheets(engine: Engine, sc: Scoring, people: list[str]) -> list[PersonSheet]:
    with Session(engine) as s:
        found = q.sheets(s, sc.upload.id, people)  # type: ignore[arg-type]
    return [_sheet_view(sc, p, found.get(p)) for p in people]


def get_sheet(engine: Engine, sc: Scoring, person_id: str) -> PersonSheet:
    if person_id not in sc.staff:
        raise NotFound(Msg("no person {person} in dataset {dataset}", person=person_id, dataset=sc.upload.id))
    return list_sheets(engine, sc, [person_id])[0]


# --------------------------------------------------------------------------- changing


def parse_score(factor: Any, value: Any, role_label: str) -> int:
    """``value`` (points) as centipoints, checked against the factor's scale; Invalid."""
    not_points = Msg("{factor}: expected a number of points, found {value!r}", factor=factor.id, value=value)
    if isinstance(value, bool) or value is None:
        raise Invalid(not_points)
    try:
        d = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise Invalid(not_points) from None
    if not d.is_finite():
        raise Invalid(not_points)
    if factor.max is None:
        raise Invalid(Msg("{factor}: the profile does not define the scale of «{label}» ({role}): it cannot "
                          "be scored", factor=factor.id, label=factor.label, role=role_label))
    mx = Decimal(factor.max.numerator) / Decimal(factor.max.denominator)
    if d < 0 or d > mx:
        raise Invalid(Msg("{factor}: {value} is outside the scale 0–{max} of «{label}» ({role})",
                          factor=factor.id, value=value, max=_scale(factor.max), label=factor.label,
                          role=role_label))
    scaled = d * CP
    if scaled != scaled.to_integral_value():
        raise Invalid(Msg("{factor}: {value} has more than 2 decimals (expected points such as 12.5)",
                          factor=factor.id, value=value))
    return int(scaled)


def _check_editable(view: PersonSheet, role: Any) -> None:
    if role is None or not role.factors or role.per_person_scale:
        raise Invalid(Msg("{person}: {problem}", person=view.person_id,
                          problem=_joined(view.problems)))


def _joined(problems: list[Any]) -> Any:
    """The problems as one message, each said in the user's language: ``a; b; c``."""
    if len(problems) <= 1:
        return problems[0] if problems else ""
    return Msg("{first}; {rest}", first=problems[0], rest=_joined(problems[1:]))


def edit(engine: Engine, sc: Scoring, person_id: str, *, scores: dict[str, Any],
         motivation: str | None = None, user: User | None) -> PersonSheet:
    """Enter (replace) behaviour scores of ``person_id`` on the draft sheet; Invalid for an
    unknown factor or a value outside the scale (nothing is stored), Refused when the
    sheet is final."""
    if person_id not in sc.staff:
        raise NotFound(Msg("no person {person} in dataset {dataset}", person=person_id, dataset=sc.upload.id))
    role = _role(sc, person_id)
    _check_editable(_sheet_view(sc, person_id, None), role)  # its problems: profile only
    known = {f.id: f for f in role.factors}
    unknown = sorted(set(scores) - set(known))
    if unknown:
        raise Invalid(Msg("{factors}: not a behaviour factor of {role} (expected one of {known})",
                          factors=", ".join(unknown), role=role.label, known=", ".join(known)))
    parsed = {k: parse_score(known[k], v, role.label) for k, v in scores.items()}
    with Session(engine) as s, s.begin():
        locked = q.lock_draft(s, sc.upload.id, person_id, _uid(user))  # type: ignore[arg-type]
        if locked is None:
            raise Refused(Msg("the scheda of {person} is final (dated {day}): a change now goes through the "
                              "conciliation procedure", person=person_id, day=_final_date(s, sc, person_id)))
        before = _sheet_view(sc, person_id, locked if locked.scores or locked.motivation
                             else None)
        q.write_scores(s, locked.id, parsed)  # type: ignore[arg-type]
        now = replace(locked, scores={**locked.scores, **parsed})  # the lock is held: no
        if motivation is not None:  # one else wrote it since lock_draft read it
            now.motivation = motivation.strip() or None
            q.set_motivation(s, locked.id, now.motivation)  # type: ignore[arg-type]
        after = _sheet_view(sc, person_id, now)
        audit(s, user=user, action="score.edit", kind="score_sheet",
              object_id=f"{sc.upload.id}/{person_id}", before=before.audit_view(),
              after=after.audit_view())
    return after


def set_scheda_date(engine: Engine, sc: Scoring, person_id: str, *, scheda_date: dt.date,
                    motivation: str | None = None, user: User | None) -> PersonSheet:
    """Make the sheet final on ``scheda_date``: every factor's current score (entered, else
    uploaded) is frozen on it. Invalid when a factor has no score or a negative judgement
    has no motivation; Refused when already final."""
    view = get_sheet(engine, sc, person_id)
    _check_editable(view, _role(sc, person_id))
    with Session(engine) as s, s.begin():
        locked = q.lock_draft(s, sc.upload.id, person_id, _uid(user))  # type: ignore[arg-type]
        if locked is None:
            raise Refused(Msg("the scheda of {person} is already final (dated {day})", person=person_id,
                              day=_final_date(s, sc, person_id)))
        if motivation is not None:
            q.set_motivation(s, locked.id, motivation.strip() or None)  # type: ignore[arg-type]
        current = _sheet_view(sc, person_id, q.sheets(s, _ds(sc), [person_id])[person_id])
        missing = [f["id"] for f in current.factors if f["score"] is None]
        if missing:
            raise Invalid(Msg("{person}: no score for {factors}: every factor needs one before the scheda "
                              "is dated", person=person_id, factors=", ".join(missing)))
        if current.negative and not current.motivation:
            raise Invalid(Msg("{person}: the judgement is negative (behaviour {points} < {below}): the scheda "
                              "needs the motivation", person=person_id, points=_points(current.behaviour_cp),
                              below=_points(current.negative_below_cp)))
        q.write_scores(s, locked.id, {f["id"]: int(Decimal(f["score"]) * CP)  # type: ignore[arg-type]
                                      for f in current.factors})
        q.finalise(s, locked.id, scheda_date, _uid(user))  # type: ignore[arg-type]
        after = _sheet_view(sc, person_id, q.sheets(s, _ds(sc), [person_id])[person_id])
        audit(s, user=user, action="score.final", kind="score_sheet",
              object_id=f"{sc.upload.id}/{person_id}", before=view.audit_view(),
              after=after.audit_view())
    return after


def _final_date(s: Session, sc: Scoring, person_id: str) -> Day | str:
    """The day a final scheda is dated (a message's field, shown in the locale's format)."""
    sheet = q.sheets(s, _ds(sc), [person_id]).get(person_id)  # type: ignore[arg-type]
    return Day(sheet.scheda_date) if sheet and sheet.scheda_date else "?"


def _ds(sc: Scoring) -> int:
    return int(sc.upload.id or 0)


def _uid(user: User | None) -> int | None:
    return int(user.id) if user is not None and user.id is not None else None


# --------------------------------------------------------------------------- evaluation


@dataclass
class ForRun:
    """The dataset an evaluation uses: the upload itself, or its version with final scores."""

    upload: DatasetUpload
    profile_version: ProfileVersion
    dataset: Any  # the engine's Dataset
    final_sheets: int = 0


def dataset_for_run(engine: Engine, dataset_id: int, *, user: User | None) -> ForRun | None:
    """What ``POST /runs`` evaluates for ``dataset_id`` (None: not the tenant's dataset).

    With final sheets on an uploaded dataset: the derived version (module doc), stored
    once per content (the same final scores give the same dataset id again).
    """
    from smvp.app.verify import dataset_from_content

    with Session(engine) as s, s.begin():
        up = s.get(DatasetUpload, dataset_id)
        pv = s.get(ProfileVersion, up.profile_version_id) if up is not None else None
        if up is None or pv is None:
            return None
        content = store.dataset_content(engine, up.sha256)
        if content is None:
            return None
        finals = q.final_sheets(s, dataset_id) if up.derived_from is None else {}
        if not finals:
            s.expunge_all()
            return ForRun(upload=up, profile_version=pv,
                          dataset=dataset_from_content(content, up.filename))
        tables = dict(content.get("tables") or {})
        be = tables.get("behaviours") or {}
        rows = [r for r in zip(be.get("person_id") or [], be.get("factor") or [],
                               be.get("score") or []) if r[0] not in finals]
        for p in sorted(finals):
            rows += [(p, f, cp) for f, cp in sorted(finals[p].scores.items())]
        tables["behaviours"] = {"person_id": [r[0] for r in rows],
                                "factor": [r[1] for r in rows], "score": [r[2] for r in rows]}
        ds = dataset_from_content({**content, "tables": tables},
                                  f"{up.filename} + schede ({len(finals)})")
        existing = s.exec(select(DatasetUpload).where(DatasetUpload.derived_from == dataset_id,
                                                      DatasetUpload.sha256 == ds.sha256)).first()
        if existing is None:
            from smvp.store.content import blob_values

            store.runs.insert_blob_once(s, dict(tenant_id=up.tenant_id, sha256=ds.sha256,
                                                created_at=dt.datetime.now(dt.UTC),
                                                **blob_values(ds)))
            existing = DatasetUpload(
                tenant_id=up.tenant_id, filename=f"{up.filename} + schede di valutazione ({len(finals)} definitive)",
                sha256=ds.sha256, year=up.year, people=up.people,
                profile_version_id=up.profile_version_id, created_at=dt.datetime.now(dt.UTC),
                created_by=_uid(user), derived_from=dataset_id)
            s.add(existing)
            s.flush()
            audit(s, user=user, action="dataset.derive", kind="dataset", object_id=existing.id,
                  before={"dataset": dataset_id, "sha256": up.sha256},
                  after={"sha256": ds.sha256, "final_sheets": sorted(finals)})
            s.flush()
        s.expunge_all()
    return ForRun(upload=existing, profile_version=pv, dataset=ds, final_sheets=len(finals))
