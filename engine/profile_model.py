"""The typed rules of a profile in force in one year: :class:`Resolved` and its parts (immutable).

Built by :mod:`smvp_engine.profile_build` from a validated profile (:mod:`smvp_engine.profile`);
read by the engine's stages, the explanation and the diff. Units: points and percents are
exact fractions (:class:`fractions.Fraction`); intervals say which end is closed
(:class:`smvp_engine.intervals.Interval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .intervals import Interval

INDIVIDUAL_LEVEL = "individuale"

# Quantities a formula may use, by where it is used.
PERSON_NAMES = {"total", "results", "behaviour", "presence_days", "part_time", "time_coefficient"}
MAGGIORAZIONE_NAMES = PERSON_NAMES | {"premium", "payout_factor", "coefficient", "theoretical"}
#: what may break a tie at the maggiorazione cut: a quantity of the person, or the staff column ``tie_breaker``
TIE_BREAKER_NAMES = MAGGIORAZIONE_NAMES | {"tie_breaker"}

# Collections whose entries may be dated / have variants.
DATED_COLLECTIONS = ("curves", "judgements", "coefficients", "funds", "roles", "maggiorazioni")


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a document id of the profile and its section."""

    document: str
    section: str
    title: str = ""

    def __str__(self) -> str:
        return f"{self.title or self.document}, {self.section}"


# ---------------------------------------------------------------- typed rules

@dataclass(frozen=True)
class CurveSegment:
    """One interval of a payout curve and the payout factor's formula there (``curves.<id>.intervals``)."""

    interval: Interval
    value: str  # formula over the curve's variable


@dataclass(frozen=True)
class Curve:
    """Payout curve: the factor (0–1) paid of the theoretical amount, by interval of ``variable``."""

    id: str
    label: str
    variable: str
    segments: tuple[CurveSegment, ...]
    source: Source
    reading: str = ""


@dataclass(frozen=True)
class Band:
    """A judgement band: the totals it covers (points, ends closed or open as written) and its label
    (``judgements.<id>.bands``)."""

    interval: Interval
    id: str
    label: str
    printed: str = ""  # the integer range as printed (``range:``), e.g. "26 – 40"; "" for ``interval:``


@dataclass(frozen=True)
class AchievementBand:
    """A status of indicators and objectives over the measured ratio (percent of target).

    ``counts_as`` is the achievement counted for a value in the band: None for the
    measured ratio itself (capped at ``cap_percent``), else a fixed percent.
    """

    interval: Interval
    id: str
    label: str
    counts_as: Fraction | None


@dataclass(frozen=True)
class Judgement:
    """Qualitative judgement bands over ``variable`` (points)."""

    id: str
    label: str
    variable: str
    bands: tuple[Band, ...]
    source: Source
    reading: str = ""


@dataclass(frozen=True)
class Coefficient:
    """A per-person multiplier of the premium (0–1), as a formula.

    ``parts``: for the product of several coefficients (``payout.coefficient`` a list), the
    ids of the factors; the formula is then their product, ``(f1) * (f2)``.
    """

    id: str
    label: str
    formula: str
    source: Source
    reading: str = ""
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fund:
    """A resource from which premiums are paid; ``shares`` only for ``pool_split``.

    ``shares`` maps role id → (percent of the pool, split 'equal' | 'pool_share').
    """

    id: str
    label: str
    resource: str
    method: str
    shares: tuple[tuple[str, Fraction, str], ...]
    source: Source
    reading: str = ""


@dataclass(frozen=True)
class Component:
    """A results component: ``max`` points × grado di raggiungimento of objectives at ``level``."""

    id: str
    label: str
    max: Fraction | None  # None: not defined by the source
    level: str
    source: Source | None
    counts: bool = True  # False: reported (its grado di raggiungimento), worth no points


@dataclass(frozen=True)
class Factor:
    """A behaviour factor scored from 0 to ``max`` points (None: scale not defined)."""

    id: str
    label: str
    max: Fraction | None


@dataclass(frozen=True)
class EvaluatorRule:
    """Who evaluates the people of a role, as a program reads it (``roles.<role>.evaluator``
    ``by_role`` / ``scope``; docs/profile.md): the holders of one of ``by_roles`` (role ids)

    * ``own_unit``: whose unit is the person's unit;
    * ``unit_tree``: whose unit is the person's unit or encloses it;
    * ``head``: the nearest such holder: in the person's unit, else in the closest
      enclosing unit that has one (the «dirigente responsabile delle unità organizzative
      di competenza»);
    * ``ente``: anywhere in the Chamber;
    * ``external``: nobody on the staff (Giunta, OIV, Presidente): ``by_roles`` is empty.

    Never the person themself. Source: the profile's citation on the role's evaluator."""

    by_roles: tuple[str, ...]
    scope: str


EVALUATOR_SCOPES = ("own_unit", "unit_tree", "head", "ente", "external")


@dataclass(frozen=True)
class Role:
    """A role's rules (``roles.<id>``): its results components and behaviour factors with their
    maxima (points), the total maximum, the negative threshold, its judgement and payout (fund,
    curve, coefficient), its evaluator, and what its source leaves undefined (then not scorable)."""

    id: str
    label: str
    evaluator: str
    total_max: Fraction | None
    components: tuple[Component, ...]
    factors: tuple[Factor, ...]
    negative_below: Fraction | None
    judgement: str | None
    payout: tuple[str, str, str] | None  # (fund, curve, coefficient)
    source: Source
    results_source: Source | None
    behaviours_source: Source | None
    negative_source: Source | None
    undefined: tuple[str, ...]  # what the source does not define for this role
    per_person_scale: bool = False  # behaviours.scale per_person: factor scores come weighted from each person's sheet
    evaluated_by: EvaluatorRule | None = None  # evaluator.by_role/scope; None: not said (the default rule)

    @property
    def scorable(self) -> bool:
        """True when every weight and scale needed for individual scoring is defined."""
        return not self.undefined and self.total_max is not None


@dataclass(frozen=True)
class Maggiorazione:
    """A premium supplement to the best-rated share of a population (e.g. art. 81 CCNL 2019-2021)."""

    id: str
    label: str
    roles: tuple[str, ...]
    resource: str
    eligible: str
    quota_percent: Fraction
    quota_rounding: str
    rank_by: str
    tie_policy: str
    amount: str
    shortfall: str
    source: Source
    reading: str = ""
    tie_breaker: tuple[str, ...] = ()  # with tie_policy break_by: quantities that break a tie, higher first


@dataclass(frozen=True)
class AbsenceType:
    """An absence type (``absence_types.<id>``); ``neutral``: its days count as presence (d.l.
    112/2008 art. 71 c. 5 and the profile's source)."""

    id: str
    label: str
    neutral: bool
    source: Source


@dataclass(frozen=True)
class ObjectiveLinks:
    """``organisational.links``: an objective's achievement also counts its linked objectives.

    ``method``: ``dotted_ids`` (the parent of ``1.1.1`` is ``1.1``: the child's id up
    to its last ``separator``; the child's ``weight`` is its weight in the parent) or
    ``table`` (the ``objective_links`` table: objective_id, linked_objective_id, weight).
    """

    method: str
    separator: str
    source: Source | None
    reading: str = ""


@dataclass(frozen=True)
class EnteRule:
    """``organisational.ente``: the performance of the whole body and what it reduces.

    ``weighted_by_area``: weighted mean (objectives' ``weight``) of the achievement
    of the objectives whose ``type`` is ``area_type`` (e.g. strategic areas).
    ``reduces_funds``: funds whose resources are multiplied by the final
    performance (attested, else computed) when it is below 100%, rounded by
    ``reduction_rounding``; the rest goes to economies.
    """

    label: str
    method: str
    area_type: str
    reduces_funds: tuple[str, ...]
    reduction_rounding: str
    source: Source | None
    reading: str = ""
    reduction_source: Source | None = None


@dataclass(frozen=True)
class AttestationRule:
    """``organisational.attestation``: the range of an attested percent and whether it needs a note."""

    interval: Interval | None
    note_when_differs: bool
    source: Source | None
    reading: str = ""


@dataclass(frozen=True)
class Relevance:
    """A relevance grade of a project/objective and its coefficient (points)."""

    id: str
    label: str
    coefficient: Fraction
    definition: str


@dataclass(frozen=True)
class ValuationFund:
    """A fund valued by projects: ``percent_per_point`` % of its ``stable`` resource per coefficient point.

    ``allocation``: ``position_pay`` (share of the position pay, staff column
    ``pay_column``, of the people of ``roles`` in each unit of ``level``) or
    ``headcount`` (share of the people of ``roles`` in each unit of ``level``).
    """

    id: str
    label: str
    stable: str
    variable: str
    percent_per_point: Fraction
    allocation: str
    roles: tuple[str, ...]
    level: str
    pay_column: str | None
    source: Source | None


@dataclass(frozen=True)
class ProjectValuation:
    """``project_valuation``: the value of projects/objectives that funds the variable resources."""

    label: str
    relevance: dict[str, Relevance]
    funds: dict[str, ValuationFund]
    unit_value_rounding: str
    bounds: Interval | None  # percent of the base; None: no bounds
    bounds_of: tuple[str, ...]  # "stable", "variable"
    bounds_per: str  # "fund" | "combined"
    bounds_source: Source | None
    max_weight_gap: Fraction | None  # points (normalised to 100 in the group); None: not checked
    weight_gap_group: str  # "unit" | "all"
    weight_gap_source: Source | None
    source: Source | None
    reading: str = ""
    # fund ids financing a project whose projects.funds cell is blank (all funds when no financing block)
    financing_default: tuple[str, ...] = ()
    financing_source: Source | None = None


@dataclass(frozen=True)
class Resolved:
    """The rules of one profile in force in one year (immutable)."""

    chamber_id: str
    chamber_name: str
    year: int
    levels: tuple[tuple[str, str], ...]  # (id, label), top to bottom
    achievement_cap: Fraction | None  # percent; None = no cap
    achievement_source: Source
    achievement_decimals: int
    points_decimals: int
    points_rounding: str
    money_rounding: str
    absence_types: dict[str, AbsenceType]
    curves: dict[str, Curve]
    judgements: dict[str, Judgement]
    coefficients: dict[str, Coefficient]
    funds: dict[str, Fund]
    roles: dict[str, Role]
    maggiorazioni: dict[str, Maggiorazione]
    economies_label: str
    precision_source: Source | None
    money_source: Source | None
    not_defined: tuple[str, ...]  # what the profile says its source does not define
    achievement_bands: tuple[AchievementBand, ...] = ()  # organisational.achievement.bands (empty: none)
    # where a band's counts_as applies: "indicators", "objectives" (organisational.achievement.bands_apply_to)
    bands_apply_to: tuple[str, ...] = ("indicators", "objectives")
    objective_types: tuple[tuple[str, str], ...] = ()  # planning.objective_types: (id, label), top-down
    links: ObjectiveLinks | None = None  # organisational.links
    ente: EnteRule | None = None  # organisational.ente
    attestation: AttestationRule | None = None  # organisational.attestation
    project_valuation: ProjectValuation | None = None
    # planning.bodies: the levels of bodies outside the Chamber's structure (controlled companies...):
    # their objectives are reported per unit, not counted in the Ente's performance
    body_levels: tuple[str, ...] = ()

    @property
    def level_ids(self) -> tuple[str, ...]:
        return tuple(i for i, _ in self.levels)

    @property
    def resources(self) -> set[str]:
        out = {f.resource for f in self.funds.values()} | {m.resource for m in self.maggiorazioni.values()}
        return out | self.valuation_resources

    @property
    def valuation_resources(self) -> set[str]:
        """Resources that only size funds for project valuation (stable and variable parts)."""
        pv = self.project_valuation
        return {r for f in pv.funds.values() for r in (f.stable, f.variable)} if pv else set()

