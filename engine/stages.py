"""Immutable results of the pipeline stages (one named type per stage)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .exact import Q


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
    objectives: dict[str, ObjectiveResult]
    unit_achievement: dict[tuple[str, str], int]  # (level, unit_id) → achievement of that unit's objectives
    indicators: tuple[IndicatorResult, ...] = ()
    units: tuple[UnitResult, ...] = ()  # per level (profile order) and unit; the top level merged into one
    # objective → weighted mean of its own indicators' achievement, attested or not (None: not computed here;
    # engine.organisational.performance then computes it)
    indicator_mean: dict[str, int] | None = None


@dataclass(frozen=True)
class Individual:
    """Stage 3: per-person columns (length n = staff rows)."""

    role_index: np.ndarray  # int64 index into role_ids
    role_ids: tuple[str, ...]
    scored: np.ndarray  # bool: the role is scorable
    components: dict[str, np.ndarray]  # "role.component" → centipoints (only rows of that role meaningful)
    component_achievement: dict[str, np.ndarray]  # same keys → achievement units (-1: none)
    results: np.ndarray  # centipoints
    behaviour: np.ndarray  # centipoints
    total: np.ndarray  # centipoints
    judgement: np.ndarray  # object: band id or None
    judgement_label: np.ndarray
    negative: np.ndarray  # bool


@dataclass(frozen=True)
class Payout:
    """Stage 4: money columns in cents and fund totals."""

    fund: np.ndarray  # object: fund id or None
    factor: Q  # payout factor 0–1, exact
    coefficient: Q  # exact
    coefficient_name: np.ndarray
    theoretical: np.ndarray  # cents
    premium: np.ndarray  # cents
    maggiorazione: np.ndarray  # cents
    maggiorazione_rank: np.ndarray  # int64, 0 = not ranked
    funds: tuple[dict, ...]  # fund, label, resources, distributed, economies (cents)
    maggiorazione_info: tuple[dict, ...]
