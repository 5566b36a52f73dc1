"""Immutable results of the pipeline stages (one named type per stage)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np

from .exact import Q


class LazyTuple(Sequence):
    """A tuple built on first use by ``build()`` (a picklable callable): the organisational stage's
    per-indicator and per-unit results, which evaluation does not read (only explanations and
    reports do). Compares equal to the tuple it builds."""

    def __init__(self, build: Callable[[], tuple]):
        self._build: Callable[[], tuple] | None = build
        self._items: tuple = ()

    @property
    def items(self) -> tuple:
        if self._build is not None:
            self._items, self._build = tuple(self._build()), None
        return self._items

    def __getitem__(self, k):  # type: ignore[override]
        return self.items[k]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator:
        return iter(self.items)

    def __eq__(self, other) -> bool:
        return self.items == (tuple(other) if isinstance(other, Sequence) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.items)


class LazyMapping(Mapping):
    """A dict built on first use by ``build()`` (a picklable callable): per-objective values of the
    integer-column path that evaluation does not read (only the Ente's checks and reports do).
    Compares equal to the dict it builds."""

    def __init__(self, build: Callable[[], dict]):
        self._build: Callable[[], dict] | None = build
        self._items: dict = {}

    @property
    def items_dict(self) -> dict:
        if self._build is not None:
            self._items, self._build = self._build(), None
        return self._items

    def __getitem__(self, k):
        return self.items_dict[k]

    def __len__(self) -> int:
        return len(self.items_dict)

    def __iter__(self) -> Iterator:
        return iter(self.items_dict)

    def __eq__(self, other) -> bool:
        return self.items_dict == (dict(other.items()) if isinstance(other, Mapping) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.items_dict)


class LazyObjectives(LazyMapping):
    """objective id → :class:`ObjectiveResult`, built on first use by ``build()``;
    :meth:`of_levels` builds only the objectives of some levels (what evaluation reads:
    the individual and top-level ones) while the whole mapping is not built. Compares
    equal to the dict it builds."""

    def __init__(self, build: Callable[[], dict], of_levels: Callable[[frozenset], list]):
        super().__init__(build)
        self._of_levels = of_levels

    def of_levels(self, levels) -> list:
        """The objectives whose level is in ``levels``, in table order."""
        if self._build is None:
            return [o for o in self._items.values() if o.level in levels]
        return self._of_levels(frozenset(levels))


@dataclass(frozen=True)
class ObjectiveResult:
    """Grado di raggiungimento of one objective (``achievement`` in ``1/ach_scale`` percent)."""

    objective_id: str
    label: str
    level: str
    unit_id: str | None
    person_id: str | None
    weight: Fraction
    achievement: int
    attested: bool
    note: str | None
    indicators: tuple[tuple[str, int, str], ...]  # (indicator_id, achievement, how)
    measured: int | None = None  # before the status bands: attested value or weighted mean of the indicators
    status: str | None = None  # band id of organisational.achievement.bands (None: no bands)
    status_label: str | None = None


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator: measured ratio (uncapped; None when infinite), counted achievement, status."""

    indicator_id: str
    objective_id: str
    measured: int | None
    achievement: int
    status: str | None
    status_label: str | None
    how: str


@dataclass(frozen=True)
class UnitResult:
    """Organisational performance of one unit (or of the Ente: the top level, all its objectives)."""

    level: str
    unit_id: str | None
    objectives: int
    achievement: int  # weighted mean of the objectives' counted achievement
    status: str | None  # that value read on the status bands (None: no bands)
    status_label: str | None


@dataclass(frozen=True)
class Organisational:
    """Stage 2: objectives and their achievement; ``scale`` units per percent."""

    scale: int
    objectives: Mapping[str, ObjectiveResult]  # a dict, or a LazyObjectives (integer-column path)
    unit_achievement: Mapping[tuple[str, str], int]  # (level, unit_id) → achievement of that unit's objectives
    indicators: Sequence[IndicatorResult] = ()  # a tuple, or a LazyTuple
    units: Sequence[UnitResult] = ()  # per level (profile order) and unit; the top level merged into one
    # objective → weighted mean of its own indicators' achievement, attested or not (None: not computed here;
    # smvp_engine.organisational.performance then computes it)
    indicator_mean: Mapping[str, int] | None = None  # a dict, or a LazyMapping (integer-column path)
    #: ``unit_achievement`` again, by unit code (integer-column path; None otherwise): the units'
    #: vocabulary (the Categorical categories of ``objectives.unit_id``) and, per level, each code's
    #: achievement (-1: none) — what the individual stage reads without a dict lookup per unit
    unit_codes: tuple[Any, dict[str, np.ndarray]] | None = None


@dataclass(frozen=True)
class Individual:
    """Stage 3: per-person columns (length n = staff rows).

    ``components``, ``judgement``, ``judgement_label`` and ``component_achievement`` are built on
    first use (from ``component_parts``, ``judgement_code`` and ``achievement_parts``): only
    explanations and row views read them.
    """

    role_index: np.ndarray  # int64 index into role_ids
    role_ids: tuple[str, ...]
    scored: np.ndarray  # bool: the role is scorable
    # "role.component" → (rows, values, index) as achievement_parts (0 at every other row),
    # (None, column, None): the whole column, or (None, per_slot, slot): the column per_slot[slot]
    component_parts: dict[str, tuple]
    results: np.ndarray  # centipoints
    behaviour: np.ndarray  # centipoints
    total: np.ndarray  # centipoints
    judgement_code: np.ndarray  # integer index into judgement_ids / judgement_labels, -1: none
    judgement_ids: tuple  # band ids
    judgement_labels: tuple  # band labels
    negative: np.ndarray  # bool
    # "role.component" → (rows, values, index): the achievement at ``rows`` is ``values`` (index None)
    # or ``values[index[rows]]``; -1 at every other row
    achievement_parts: dict[str, tuple] = field(default_factory=dict, repr=False)

    @cached_property
    def all_scored(self) -> bool:
        """Every person is scored: a role's rows are then its code's rows, no mask to combine."""
        return bool(self.scored.all())

    def scored_in(self, in_role: np.ndarray) -> np.ndarray:
        """bool per person: scored, and of a role flagged in ``in_role`` (bool, one entry per
        role id and a last one for an unknown role)."""
        out = np.take(in_role, self.role_index)
        if not self.all_scored:
            out &= self.scored
        return out

    @cached_property
    def components(self) -> dict[str, np.ndarray]:
        """"role.component" → centipoints (only rows of that role meaningful)."""
        return {key: _column(len(self.role_index), part, 0) for key, part in self.component_parts.items()}

    @cached_property
    def judgement(self) -> np.ndarray:
        """object: band id or None."""
        return np.array(list(self.judgement_ids) + [None], dtype=object)[self.judgement_code]

    @cached_property
    def judgement_label(self) -> np.ndarray:
        return np.array(list(self.judgement_labels) + [None], dtype=object)[self.judgement_code]

    @cached_property
    def component_achievement(self) -> dict[str, np.ndarray]:
        """Same keys as ``components`` → achievement units (-1: none)."""
        return {key: _column(len(self.role_index), part, -1) for key, part in self.achievement_parts.items()}


def _column(n: int, part: tuple, fill: int) -> np.ndarray:
    """A whole int64 column from (rows, values, index): ``values`` (or ``values[index[rows]]``) at
    ``rows``, ``fill`` elsewhere; rows None: ``values`` is the column (or ``values[index]``, index
    then a slot per row)."""
    rows, values, index = part
    if rows is None:
        return values if index is None else values[index]
    col = np.full(n, fill, dtype=np.int64)
    col[rows] = values if index is None else values[index[rows]]
    return col


@dataclass(frozen=True)
class Payout:
    """Stage 4: money columns in cents and fund totals.

    ``fund``, ``coefficient_name``, ``factor`` and ``coefficient`` are built on first use (from
    ``fund_code``, ``coefficient_code`` and the parts).
    """

    fund_code: np.ndarray  # integer index into fund_ids, -1: no fund
    fund_ids: tuple[str, ...]
    # payout factor 0–1 and coefficient, exact, as parts (sel, rows, Q, whole): see assemble_parts
    factor_parts: tuple
    coefficient_parts: tuple
    coefficient_code: np.ndarray  # integer index into coefficient_ids, -1: none
    coefficient_ids: tuple[str, ...]
    theoretical: np.ndarray  # cents
    premium: np.ndarray  # cents
    maggiorazione: np.ndarray  # cents
    # per maggiorazione: (eligible rows, their rank values in row order, stable order or None):
    # maggiorazione_rank is built from them on first use (evaluation needs only the winners)
    rank_parts: tuple
    funds: tuple[dict, ...]  # fund, label, resources, distributed, economies (cents)
    maggiorazione_info: tuple[dict, ...]

    @cached_property
    def maggiorazione_rank(self) -> np.ndarray:
        """int64 per row: place in the maggiorazione order (1 = best; ties in staff order), 0 = not ranked."""
        rank = np.zeros(len(self.fund_code), dtype=np.int64)
        for el, vals, order in self.rank_parts:
            if order is None:
                order = rank_descending(vals)
            rank_el = np.empty(len(el), dtype=np.int64)
            rank_el[order] = np.arange(1, len(el) + 1, dtype=np.int64)
            rank[el] = rank_el
        return rank

    @cached_property
    def fund(self) -> np.ndarray:
        """object: fund id or None."""
        return np.array(list(self.fund_ids) + [None], dtype=object)[self.fund_code]

    @cached_property
    def factor(self) -> Q:
        """Payout factor 0–1 per row, exact (0 outside the paid rows)."""
        return assemble_parts(len(self.fund_code), self.factor_parts)

    @cached_property
    def coefficient(self) -> Q:
        """Coefficient per row, exact (0 outside the paid rows)."""
        return assemble_parts(len(self.fund_code), self.coefficient_parts)

    @cached_property
    def coefficient_name(self) -> np.ndarray:
        return np.array(list(self.coefficient_ids) + [None], dtype=object)[self.coefficient_code]


def assemble_parts(n: int, parts: Sequence) -> Q:
    """One Q over ``n`` rows (0/1 elsewhere, one denominator per row) from values on disjoint
    ``rows`` — given over those rows, or over every row and taken where ``sel`` holds."""
    objects = any(q.num.dtype == object for _, _, q, _ in parts)
    objects_d = any(q.den.dtype == object for _, _, q, _ in parts)
    num = np.zeros(n, dtype=object if objects else np.int64)
    den = np.empty(n, dtype=object if objects_d else np.int64)
    den.fill(1)
    for sel, rows, q, whole in parts:
        if whole:
            np.copyto(num, np.broadcast_to(q.num, (n,)), where=sel)
            np.copyto(den, np.broadcast_to(q.den, (n,)), where=sel)
        else:
            num[rows] = np.broadcast_to(q.num, (len(rows),))
            den[rows] = np.broadcast_to(q.den, (len(rows),))
    return Q._make(num, den)


def rank_descending(vals: np.ndarray) -> np.ndarray:
    """Stable order of integer ``vals`` from the largest (ties in row order)."""
    if not len(vals):
        return np.zeros(0, dtype=np.int64)
    if vals.dtype != object and vals.ndim == 1:
        hi, lo = int(vals.max()), int(vals.min())
        if hi - lo < 1 << 16:  # small range: a stable radix sort of the distance from the top
            # hi − v in uint16 arithmetic: exact, as 0 ≤ hi − v < 2**16 (no int64 temporary)
            return np.argsort(np.subtract(np.uint16(hi & 0xFFFF), vals, dtype=np.uint16, casting="unsafe"), kind="stable")
    return np.argsort(-vals, kind="stable")
