"""Re-evaluate a stored run with revised behaviour scores (conciliation outcomes).

Pure: no CLI, no rendering, no database. The edges give the stored profile
(``load_profile(path, text=run.profile_text)``), the stored dataset content
(``smvp.store.dataset_content`` → its ``tables``: columns in the engine's units,
see docs/cli.md "Database"), the run's year and the revisions so far; this
module returns a new :class:`engine.pipeline.Evaluation` and the people whose
numbers changed.

A revision replaces some behaviour scores of one person::

    Revision(person_id="R5", scores={"orientamento_utenza": 1700})   # centipoints

Revisions apply in order; a later one wins for the same person and factor.
The original tables are never modified: a revised dataset is a new object
built with :func:`engine.dataset.dataset_from_columns`. Everything else (the
objectives, the presence, the resources) stays as stored, so the money is
recomputed for the whole run: premiums, the maggiorazione ranking and amount
(which can change for people other than the revised one), fund totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from smvp_engine.dataset import Dataset, dataset_from_columns
from smvp_engine.errors import DatasetError, DatasetErrors, Msg

__all__ = [
    "COMPARED",
    "PersonChange",
    "Revision",
    "apply_revisions",
    "changes",
    "check_revision",
    "reevaluate",
    "revised_dataset",
]

#: Person-row fields compared between two evaluations (smvp_engine.pipeline row keys).
COMPARED = (
    "behaviour",
    "total",
    "judgement",
    "negative",
    "payout_percent",
    "premium",
    "maggiorazione",
    "maggiorazione_rank",
    "paid",
)

CP = 100  # centipoints per point


@dataclass(frozen=True)
class Revision:
    """New behaviour scores of one person: factor id → centipoints (1/100 point)."""

    person_id: str
    scores: Mapping[str, int] = field(default_factory=dict)


def _column(tables: Mapping[str, Mapping[str, Sequence[Any]]], table: str, col: str) -> list:
    return list((tables.get(table) or {}).get(col) or [])


def apply_revisions(
    tables: Mapping[str, Mapping[str, Sequence[Any]]], revisions: Iterable[Revision]
) -> dict[str, dict[str, list]]:
    """A copy of ``tables`` whose ``behaviours`` carry the revised scores.

    A revised (person, factor) row gets the new score in place; a factor the
    person had no row for is appended. ``tables`` is not modified.
    """
    out = {name: {c: list(v) for c, v in cols.items()} for name, cols in tables.items()}
    beh = out.setdefault("behaviours", {"person_id": [], "factor": [], "score": []})
    for c in ("person_id", "factor", "score"):
        beh.setdefault(c, [None] * len(beh.get("person_id", [])))
    index = {(p, f): i for i, (p, f) in enumerate(zip(beh["person_id"], beh["factor"]))}
    others = [c for c in beh if c not in ("person_id", "factor", "score")]
    for rev in revisions:
        for factor, score in rev.scores.items():
            if isinstance(score, bool) or not isinstance(score, int):
                raise TypeError(f"score of {factor!r} must be int centipoints, not {score!r}")
            key = (rev.person_id, factor)
            if key in index:
                beh["score"][index[key]] = score
            else:
                index[key] = len(beh["person_id"])
                beh["person_id"].append(rev.person_id)
                beh["factor"].append(factor)
                beh["score"].append(score)
                for c in others:
                    beh[c].append(None)
    return out


def revised_dataset(
    tables: Mapping[str, Mapping[str, Sequence[Any]]],
    revisions: Iterable[Revision] = (),
    path: str = "<stored>",
) -> Dataset:
    """The stored dataset with ``revisions`` applied, validated like any dataset."""
    return dataset_from_columns(apply_revisions(tables, revisions), path=path)


def _points(cp: int) -> str:
    return str(Decimal(cp).scaleb(-2))


def check_revision(profile: Any, tables: Mapping[str, Mapping[str, Sequence[Any]]], year: int,
                   revision: Revision) -> None:
    """Refuse a revision naming an unknown person or factor, or a score off the scale.

    Raises :class:`DatasetErrors` with one error per problem (field
    ``scores.<factor>``, expected and found), before anything is computed.
    """
    errors: list[DatasetError] = []
    ids = _column(tables, "staff", "person_id")
    roles = _column(tables, "staff", "role")
    if revision.person_id not in ids:
        raise DatasetErrors([DatasetError(
            Msg("person {person_id!r} is not in the run's dataset", person_id=revision.person_id), field="person_id",
            expected=Msg('a person_id of the staff table'), found=repr(revision.person_id))])
    if not revision.scores:
        raise DatasetErrors([DatasetError(
            Msg('no scores given'), field="scores", expected=Msg('factor=points, …'), found=Msg('nothing'))])
    rid = roles[ids.index(revision.person_id)]
    role = profile.for_year(year).roles.get(rid)
    if role is None:
        raise DatasetErrors([DatasetError(
            Msg('role {rid!r} of {person_id} is not in the profile', rid=rid, person_id=revision.person_id), field="staff.role",
            found=repr(rid))])
    factors = {f.id: f for f in role.factors}
    for fid, score in revision.scores.items():
        where = f"scores.{fid}"
        if fid not in factors:
            import difflib

            near = difflib.get_close_matches(fid, list(factors), n=1)
            errors.append(DatasetError(
                Msg('{fid!r} is not a behaviour factor of role {rid!r}', fid=fid, rid=rid), field=where,
                expected=Msg("one of {values}", values=", ".join(factors)), found=repr(fid),
                hint=Msg("did you mean {near}?", near=near[0]) if near else None))
            continue
        top = factors[fid].max
        if score < 0 or (top is not None and not role.per_person_scale and score > top * CP):
            errors.append(DatasetError(
                Msg("score outside the factor's scale"), field=where,
                expected=Msg('0 to {v0} points', v0=_points(int(top * CP)) if top is not None else '…'),
                found=_points(score)))
    if errors:
        raise DatasetErrors(errors)


def reevaluate(profile: Any, tables: Mapping[str, Mapping[str, Sequence[Any]]], year: int,
               revisions: Sequence[Revision] = ()) -> Any:
    """Evaluate the stored dataset with ``revisions`` applied (an Evaluation)."""
    from smvp_engine.pipeline import evaluate

    return evaluate(profile, revised_dataset(tables, revisions), year=year)


@dataclass(frozen=True)
class PersonChange:
    """One person's numbers before and after a revision (engine row values)."""

    person_id: str
    name: str | None
    before: dict[str, Any]
    after: dict[str, Any]

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(k for k in COMPARED if self.before.get(k) != self.after.get(k))

    @property
    def delta_paid(self) -> Decimal:
        return Decimal(self.after.get("paid") or 0) - Decimal(self.before.get("paid") or 0)


def changes(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]],
            fields: Sequence[str] = COMPARED) -> list[PersonChange]:
    """The people whose ``fields`` differ between two lists of person rows, in ``after`` order."""
    old = {str(r["person_id"]): r for r in before}
    out = []
    for r in after:
        pid = str(r["person_id"])
        b = old.get(pid, {})
        if any(b.get(k) != r.get(k) for k in fields):
            out.append(PersonChange(pid, r.get("name"), {k: b.get(k) for k in fields},
                                    {k: r.get(k) for k in fields}))
    return out
