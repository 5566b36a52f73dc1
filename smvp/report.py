"""What one evaluation produced, gathered once for rendering, storing and exporting.

The engine's ``Evaluation`` is asked for its rows, funds, objectives and
summary exactly once; everything at the edges reads this ``Outcome``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

PERSON_FIELDS = (
    "person_id", "name", "role", "role_label", "unit_id", "components", "reported",
    "results", "behaviour", "total", "judgement", "judgement_label", "negative",
    "payout_percent", "coefficient_name", "coefficient", "theoretical", "premium",
    "maggiorazione", "paid", "maggiorazione_rank", "fund",
)
MONEY_FIELDS = ("theoretical", "premium", "maggiorazione", "paid")
POINT_FIELDS = ("results", "behaviour", "total")
FUND_FIELDS = ("fund", "label", "resource", "resources", "distributed", "economies", "people")
FUND_MONEY_FIELDS = ("resources", "distributed", "economies")
OBJECTIVE_FIELDS = ("objective_id", "label", "level", "unit_id", "person_id", "achievement",
                    "status", "attested", "note")


def columns_of(records: list[dict[str, Any]], preferred: tuple[str, ...]) -> list[str]:
    """The preferred keys present in any record (in that order), then any other keys seen."""
    seen: dict[str, None] = {}
    for rec in records:
        for key in rec:
            seen.setdefault(str(key), None)
    return [k for k in preferred if k in seen] + [k for k in seen if k not in preferred]


@dataclass
class RunInfo:
    """Where a run came from (and, once stored, where it went)."""

    chamber: str
    year: int
    profile_path: str
    profile_sha256: str
    dataset_path: str
    dataset_sha256: str
    engine_version: str
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    run_id: int | None = None
    database: str | None = None
    chamber_name: str | None = None  # for people's headers (the profile's chamber name)
    profile_version: str | None = None  # the profile's validity (e.g. "2024–"), shown with its hash

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "chamber": self.chamber,
            "year": self.year,
            "created_at": self.created_at.isoformat(),
            "profile_path": self.profile_path,
            "profile_sha256": self.profile_sha256,
            "dataset_path": self.dataset_path,
            "dataset_sha256": self.dataset_sha256,
            "engine_version": self.engine_version,
        }


class LazyRows(Sequence[dict[str, Any]]):
    """The per-person dicts of ``Evaluation.rows()``, built on first use.

    A large run written as JSON or Parquet, or shown as its first rows, never
    needs them (smvp/results_columns.py writes from the engine's columns);
    storing a run or exporting CSV/XLSX reads them as before. ``len`` needs no
    rows; :meth:`head` builds only the first ones.
    """

    def __init__(self, evaluation: Any):
        self.evaluation = evaluation
        self._rows: list[dict[str, Any]] | None = None

    @property
    def loaded(self) -> bool:
        return self._rows is not None

    def _all(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = [dict(r) for r in self.evaluation.rows()]
        return self._rows

    def __len__(self) -> int:
        if self._rows is None and self.columnar:
            return len(self.evaluation.individual.role_index)
        return len(self._all())

    @property
    def columnar(self) -> bool:
        """Whether the evaluation has the engine's columns (the edges' fakes may not)."""
        ev = self.evaluation
        return all(hasattr(ev, a) for a in ("individual", "payout", "dataset", "rules"))

    def __getitem__(self, i):
        return self._all()[i]

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, Sequence) else other)

    def head(self, k: int) -> list[dict[str, Any]]:
        """The first ``k`` rows (without building the others)."""
        if self._rows is not None or not self.columnar:
            return self._all()[:k]
        try:
            return [dict(r) for r in self.evaluation.rows(limit=k)]
        except TypeError:  # an evaluation without row limits
            return self._all()[:k]

    def money_totals(self) -> dict[str, Decimal]:
        """Sums of theoretical, premium, maggiorazione and paid (euro), from the cent columns."""
        import numpy as np

        pay = self.evaluation.payout
        paid = np.asarray(pay.fund_code) >= 0
        cents = {"theoretical": pay.theoretical, "premium": pay.premium,
                 "maggiorazione": pay.maggiorazione}
        out = {k: int(np.asarray(v, dtype=np.int64)[paid].sum()) for k, v in cents.items()}
        out["paid"] = out["premium"] + out["maggiorazione"]
        return {k: Decimal(v).scaleb(-2) for k, v in out.items()}


@dataclass
class Outcome:
    info: RunInfo
    rows: Sequence[dict[str, Any]]  # LazyRows from an evaluation
    funds: list[dict[str, Any]]
    objectives: list[dict[str, Any]]
    summary: dict[str, Any]

    @classmethod
    def from_evaluation(cls, profile: Any, dataset: Any, ev: Any, *, year: int,
                        engine_version: str) -> Outcome:
        info = RunInfo(
            chamber=str(profile.chamber_id),
            year=int(year),
            profile_path=_absolute(profile.path),
            profile_sha256=str(profile.sha256),
            dataset_path=_absolute(dataset.path),
            dataset_sha256=str(dataset.sha256),
            engine_version=str(engine_version),
            chamber_name=_text_attr(profile, "chamber_name"),
            profile_version=_text_attr(profile, "validity_text"),
        )
        return cls(
            info=info,
            rows=LazyRows(ev),
            funds=[dict(f) for f in ev.funds()],
            objectives=[dict(o) for o in ev.objectives()],
            summary=dict(ev.summary() or {}),
        )

    @property
    def not_computed(self) -> list[Any]:
        return list(self.summary.get("not_computed") or [])

    def component_ids(self) -> list[str]:
        """Component ids over all rows, in first-seen order."""
        if isinstance(self.rows, LazyRows) and not self.rows.loaded and self.rows.columnar:
            from smvp.results_columns import component_ids

            return component_ids(self.rows.evaluation)
        seen: dict[str, None] = {}
        for row in self.rows:
            for key in (row.get("components") or {}):
                seen.setdefault(str(key), None)
        return list(seen)

    def reported_ids(self) -> list[str]:
        """Ids of the reported components (``counts: false``: grado di raggiungimento reported,
        worth no points) over all rows, in first-seen order."""
        if isinstance(self.rows, LazyRows) and not self.rows.loaded and self.rows.columnar:
            from smvp.results_columns import component_ids

            return component_ids(self.rows.evaluation, reported=True)
        seen: dict[str, None] = {}
        for row in self.rows:
            for key in (row.get("reported") or {}):
                seen.setdefault(str(key), None)
        return list(seen)

    def totals(self) -> dict[str, Decimal]:
        """Sums of the money columns of the rows and of the funds (Decimal euro)."""
        out: dict[str, Decimal] = {}
        if isinstance(self.rows, LazyRows) and not self.rows.loaded and self.rows.columnar:
            out.update(self.rows.money_totals())
        else:
            for name in MONEY_FIELDS:
                out[name] = sum((_dec(r.get(name)) for r in self.rows), Decimal(0))
        for name in FUND_MONEY_FIELDS:
            out[name] = sum((_dec(f.get(name)) for f in self.funds), Decimal(0))
        return out

    def as_document(self) -> dict[str, Any]:
        """The whole outcome as JSON-able data (numbers stay numbers; see ``jsonable``)."""
        return {
            "run": self.info.as_dict(),
            "people": [jsonable(r) for r in self.rows],
            "funds": [jsonable(f) for f in self.funds],
            "objectives": [jsonable(o) for o in self.objectives],
            "summary": jsonable(self.summary),
        }


def _text_attr(obj: Any, name: str) -> str | None:
    try:
        value = getattr(obj, name, None)
    except Exception:  # a profile property that cannot be computed is not worth failing a run
        return None
    return None if value in (None, "") else str(value)


def _absolute(path: Any) -> str:
    """An existing file's absolute path (so a stored run says where it came from), else as given."""
    p = Path(str(path))
    try:
        return str(p.resolve()) if p.exists() else str(path)
    except OSError:
        return str(path)


def _dec(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _number(d: Decimal) -> Any:
    """A Decimal as a JSON number when it round-trips exactly, else as a string."""
    if not d.is_finite():
        return None
    exponent = d.as_tuple().exponent  # an int: d is finite
    if d == d.to_integral_value() and isinstance(exponent, int) and exponent >= 0:
        return int(d)
    f = float(d)
    if Decimal(repr(f)) == d:
        return f
    return str(d)


def jsonable(value: Any, *, decimals_as: str = "number") -> Any:
    """Convert engine values (Decimal, numpy scalars/arrays, dataclasses, errors) to JSON data.

    ``decimals_as="number"``: Decimal → JSON number when that is exact
    (always, for amounts of 2 decimals below 10^13), else string.
    ``decimals_as="string"``: Decimal → its exact string (canonical storage).
    """
    rec = lambda v: jsonable(v, decimals_as=decimals_as)
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        if decimals_as == "string":
            return str(value) if value.is_finite() else None
        return _number(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): rec(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if isinstance(value, (set, frozenset)):
            items = sorted(items, key=repr)
        return [rec(v) for v in items]
    # numpy, without importing it here
    module = type(value).__module__ or ""
    if module.startswith("numpy"):
        if hasattr(value, "tolist"):
            return rec(value.tolist())
        if hasattr(value, "item"):
            return rec(value.item())
    if isinstance(value, BaseException) and dataclasses.is_dataclass(value):
        data = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        data = {k: v for k, v in data.items() if v is not None}
        data["text"] = str(value)
        data["kind"] = type(value).__name__
        return rec(data)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return rec({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if hasattr(value, "tolist"):
        return rec(value.tolist())
    return str(value)
