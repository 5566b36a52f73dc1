"""Chamber profiles: load, validate (schema + semantics), resolve for a year.

A profile is data: ``chambers/<chamber>.yaml`` validated by
``schema/profile.schema.json`` (JSON Schema 2020-12) and by the semantic
checks here (intervals that partition their domain, maxima that add up to the
role total, references to defined roles/funds/curves/levels, formulas that use
known names only, effective dates that do not overlap). Every error carries
``file:line:column`` and the dotted path of the offending item.

Effective dating: any rule may carry ``from``/``until`` (years, inclusive);
a rule that changes over time is written ``{variants: [{from: 2022, until:
2024, ...}, {from: 2025, ...}]}``. :meth:`Profile.for_year` picks what is in
force in a year and returns a typed, immutable :class:`Resolved` profile.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import formula
from .errors import TEXT_LANGS, Msg, Number, ProfileError, ProfileErrors, text_of
from .intervals import Interval, partition_problems
from .resources import load_schema
from .yamlload import Loaded, load_yaml

if TYPE_CHECKING:  # imported where a profile is checked against the schema
    import jsonschema

_RANGE = re.compile(r"^\s*([0-9]+)\s*[-–—]\s*([0-9]+)\s*$")  # an integer range as printed: "26 – 40"
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


# ---------------------------------------------------------------- the profile

@dataclass
class Profile:
    """A loaded, validated profile.

    Attributes:
        path: the file it was read from.
        text: its exact text (stored with every run).
        sha256: hash of ``text``.
        data: the parsed document.
        warnings: things the user should know (e.g. incomplete for individual scoring).
    """

    path: str
    text: str
    sha256: str
    loaded: Loaded
    warnings: list[str] = field(default_factory=list)
    #: the layer this profile ``extends`` (national rules), loaded; None for a profile without one
    base: "Profile | None" = None
    #: (section, id) → the layer it was inherited from (e.g. ``("absence_types", "lutto")`` →
    #: ``"national/italia"``); a rule the profile defines itself is not listed
    inherited: dict = field(default_factory=dict)
    #: (section, id) → the layer whose rule of the same id this profile overrides with its own
    overrides: dict = field(default_factory=dict)
    #: year → the rules in force (:meth:`for_year` builds them once; Resolved is immutable)
    resolved: dict = field(default_factory=dict, repr=False, compare=False)

    def layer_of(self, path) -> str | None:
        """The layer a rule path comes from: the name of the base layer (``national/italia``) for an
        inherited rule, None for a rule of this profile."""
        return self.inherited.get(tuple(path[:2])) if len(path) >= 2 else None

    @property
    def data(self) -> dict:
        return self.loaded.data

    @property
    def chamber_id(self) -> str:
        return self.data["chamber"]["id"]

    @property
    def chamber_name(self) -> str:
        return self.data["chamber"]["name"]

    @property
    def valid_from(self) -> int:
        return int(self.data["chamber"]["validity"]["from"])

    @property
    def valid_until(self) -> int | None:
        u = self.data["chamber"]["validity"].get("until")
        return int(u) if u is not None else None

    @property
    def validity_text(self) -> str:
        return f"{self.valid_from}–{self.valid_until or ''}"

    def error(self, message: str, path: tuple = (), key: bool = False, **kw) -> ProfileError:
        line, col = self.loaded.position(path, key=key)
        return ProfileError(message, file=self.path, line=line, column=col,
                            field=".".join(str(p) for p in path) or None, **kw)

    def check_year(self, year: int) -> None:
        """Raise ProfileError if ``year`` is outside the profile's validity period."""
        if year < self.valid_from or (self.valid_until is not None and year > self.valid_until):
            v = self.data["chamber"]["validity"]
            raise self.error(
                Msg('the {chamber_name} profile does not cover {year}: it is valid {validity_text}', chamber_name=self.chamber_name, year=year, validity_text=self.validity_text),
                ("chamber", "validity"), expected=Msg('a year in {validity_text}', validity_text=self.validity_text), found=str(year),
                hint=Msg("{reading} Use a profile valid for that year.", reading=text_of(v.get("reading")) or ""))

    def for_year(self, year: int) -> Resolved:
        """The rules in force in ``year``.

        Raises:
            ProfileError: when the year is outside the profile's validity.
        """
        self.check_year(year)
        rules = self.resolved.get(year)
        if rules is None:
            # a year whose rules are those of a year already built (every rule in force in one is in
            # force in the other) shares them: the same Resolved but for its ``year``
            same = next((y for y in self.resolved if self._same_rules(y, year)), None)
            rules = dataclasses.replace(self.resolved[same], year=year) if same is not None else _build(self, year)
            self.resolved[year] = rules
        return rules

    @cached_property
    def _spans(self) -> tuple:
        """(from, until) of every mapping of the document that resolution may keep or drop by year
        (the ``chamber`` block is not resolved; a mapping without from/until is always in force)."""
        return tuple(dict.fromkeys(
            (v.get("from"), v.get("until")) for path, v in self._temporal
            if path[:1] != ("chamber",) and ("from" in v or "until" in v)))

    @cached_property
    def _mappings(self) -> list[tuple[tuple, dict]]:
        """Every (path, mapping) of the document (:func:`_dicts`), walked once: the loader's checks
        and the period rules read them several times."""
        return list(_dicts(self.data))

    @cached_property
    def _timed_blocks(self) -> frozenset[str] | None:
        """The top-level keys whose block has a mapping with ``from``, ``until`` or ``variants``
        (the only blocks that resolving a year can change); None when the document itself has one."""
        timed = set()
        for path, _v in self._temporal:
            if not path:
                return None
            timed.add(path[0])
        return frozenset(timed)

    @cached_property
    def _temporal(self) -> list[tuple[tuple, dict]]:
        """The (path, mapping) of :attr:`_mappings` that have ``from``, ``until`` or ``variants``
        (what the period checks read), in document order."""
        return [(path, v) for path, v in self._mappings if "from" in v or "until" in v or "variants" in v]

    @cached_property
    def _block_mappings(self) -> dict[str, list[tuple[tuple, dict]]]:
        """:attr:`_mappings` by top-level key (each block's mappings in document order)."""
        out: dict[str, list[tuple[tuple, dict]]] = {}
        for item in self._mappings:
            if item[0]:
                out.setdefault(item[0][0], []).append(item)
        return out

    @cached_property
    def _rule_spans(self) -> tuple:
        """:attr:`_spans` without those of ``norms`` (the builder reads the norms only for their
        sources and ``defined`` flags: see :func:`_norms_only`)."""
        return tuple(dict.fromkeys(
            (v.get("from"), v.get("until")) for path, v in self._temporal
            if path[:1] not in (("chamber",), ("norms",)) and ("from" in v or "until" in v)))

    def _same_rules(self, a: int, b: int) -> bool:
        """True when years ``a`` and ``b`` resolve the document alike (see :func:`_resolve_node`)."""
        return all(_in_force({"from": f, "until": u}, a) == _in_force({"from": f, "until": u}, b)
                   for f, u in self._spans)

    @cached_property
    def boundary_years(self) -> list[int]:
        """One representative year per period in which the rules are constant."""
        years = {self.valid_from}
        for path, node in self._temporal:
            if "validity" in path:
                continue
            f, u = node.get("from"), node.get("until")
            if isinstance(f, int):
                years.add(f)
            if isinstance(u, int):
                years.add(u + 1)
        out = sorted(y for y in years if y >= self.valid_from and (self.valid_until is None or y <= self.valid_until))
        return out


def _said(e: ValueError) -> Any:
    """The catalogue message (Msg) a ValueError carries (an interval's), else its text."""
    said = e.args[0] if e.args else None
    return said if isinstance(said, Msg) else str(e)


def _walk(node, path=()):
    """Every (path, value) of a document, parents before children, in document order."""
    stack = [(path, node)]
    pop, push = stack.pop, stack.extend
    while stack:
        here, value = pop()
        yield here, value
        if isinstance(value, dict):
            push([(here + (k,), v) for k, v in reversed(value.items())])
        elif isinstance(value, list):
            push([(here + (i,), value[i]) for i in range(len(value) - 1, -1, -1)])


def _dicts(node, path=()):
    """Every (path, mapping) of a document, parents before children, in document order
    (:func:`_walk` restricted to mappings, without visiting the other values)."""
    return iter(_collect_dicts(node, path, []))


def _collect_dicts(node, path: tuple, out: list) -> list:
    """:func:`_dicts` into ``out``, recursively (a loaded document is at most
    yamlload.MAX_DEPTH levels deep; a list is built about twice as fast as a generator)."""
    if isinstance(node, dict):
        out.append((path, node))
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                _collect_dicts(v, path + (k,), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                _collect_dicts(v, path + (i,), out)
    return out


# ---------------------------------------------------------------- loading

_SCHEMA_CACHE: dict[str, Any] = {}


def _schema() -> dict:
    if "s" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["s"] = load_schema()
    return _SCHEMA_CACHE["s"]


def _to_json_types(node):
    if isinstance(node, dict):
        return {k: _to_json_types(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_to_json_types(v) for v in node]
    if isinstance(node, Decimal):
        return float(node) if node != node.to_integral_value() else int(node)
    return node


def load_profile(path: str | Path, text: str | None = None, layer_text: str | None = None) -> Profile:
    """Read and validate a profile.

    Args:
        path: the YAML file (used in messages even when ``text`` is given).
        text: the profile text, if already read (e.g. from a stored run or git).
        layer_text: the text of the layer the profile ``extends``, if already read (a stored
            run keeps the layer it was evaluated with); None: the layer file is found as usual.
    Returns:
        a validated :class:`Profile`.
    Raises:
        ProfileErrors: every problem found, each with file:line:column.
    """
    path = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileErrors([ProfileError(Msg('profile file not found'), file=path,
                                              hint=Msg('give the path of a chambers/<chamber>.yaml file'))]) from None
    try:
        loaded = load_yaml(text, path)
    except ProfileError as e:
        raise ProfileErrors([e]) from None
    profile = Profile(path=path, text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), loaded=loaded)
    errors = _schema_errors(profile)
    texts = loaded.block_texts
    loaded.block_texts = None  # only the checks read them (a cached profile need not keep them)
    if errors:
        raise ProfileErrors(errors)
    errors = _inherit(profile, layer_text)
    if errors:
        raise ProfileErrors(errors)
    errors = _semantic_errors(profile, texts)
    if errors:
        raise ProfileErrors(errors)
    return profile


#: sections a chamber profile inherits, id by id, from the layer it ``extends``
INHERITED_SECTIONS = ("documents", "absence_types", "readings", "norms")


def find_layer(name: str, near: str | None = None) -> Path | None:
    """The file of layer ``name`` (``national/italia``): next to the profile that extends it
    (``<dir>/national/italia.yaml``), else the bundled one (package data). None when neither exists."""
    from .resources import ResourceMissing, national_layer

    rel = Path(*name.split("/")).with_suffix(".yaml")
    if near:
        here = Path(str(near).split("@")[0]).parent / rel
        if here.is_file():
            return here
    try:
        return national_layer(name)
    except ResourceMissing:
        return None


#: layers already loaded in this process: (path, sha256 of the text) → the layer's Profile
_LAYERS: dict[tuple[str, str], Profile] = {}


def _load_layer(path: Path) -> Profile:
    """The layer at ``path``, loaded once per content in a process (every profile that
    ``extends`` it shares it: a national run loads the national layer once, not per body).
    The layer is read-only for the profiles that extend it (its rules are deep-copied)."""
    text = Path(path).read_text(encoding="utf-8")
    key = (str(path), hashlib.sha256(text.encode("utf-8")).hexdigest())
    layer = _LAYERS.get(key)
    if layer is None:
        layer = load_profile(path, text)
        if len(_LAYERS) > 64:  # a long-lived process that sees layers change
            _LAYERS.clear()
        _LAYERS[key] = layer
    return layer


_IMMUTABLE = (str, int, float, bool, type(None), datetime.date)


def _fresh_copy(value: Any) -> Any:
    """``copy.deepcopy`` of a parsed YAML value, without its memo and dispatch: mappings and
    lists copied, immutable scalars shared, anything else deep-copied (a national run copies
    the layer's documents and norms into every profile)."""
    kind = type(value)
    if kind is dict:
        return {k: _fresh_copy(v) for k, v in value.items()}
    if kind is list:
        return [_fresh_copy(v) for v in value]
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)


def _inherit(profile: Profile, layer_text: str | None = None) -> list[ProfileError]:
    """Load the layer of ``extends`` and add its documents, absence types, readings and norms
    that the profile does not define (d.lgs. 150/2009 and the rules around it: issue 12).

    A rule the profile defines with the same id overrides the layer's (its own source applies);
    each inherited id is recorded in ``profile.inherited``, each override in ``profile.overrides``.
    """
    d = profile.data
    name = d.get("extends")
    if name is None:
        return []
    if d.get("layer"):
        return [profile.error(Msg('a layer cannot extend another layer'), ("extends",),
                              hint=Msg("remove 'extends' from the layer"))]
    found = find_layer(name, profile.path) if layer_text is None else f"{name} (stored with the run)"
    if found is None:
        return [profile.error(Msg('the layer {name!r} is not found', name=name), ("extends",), expected=Msg('a file {name}.yaml next to the profile or bundled with smvp', name=name), found=name,
                              hint=Msg('check the name (the bundled national layer is national/italia)'))]
    try:
        base = _load_layer(found) if layer_text is None else load_profile(found, text=layer_text)
    except ProfileErrors as exc:
        return [profile.error(Msg('the layer {name!r} ({found}) is not valid: {exc_errors_0}', name=name, found=found, exc_errors_0=exc.errors[0]), ("extends",))]
    if base.data.get("layer") != "national":
        return [profile.error(Msg("{found} is not a layer (it has no 'layer: national')", found=found), ("extends",),
                              expected=Msg('a layer file'), found=str(found))]
    profile.base = base
    for section in INHERITED_SECTIONS:
        theirs = base.data.get(section) or {}
        if not theirs:
            continue
        mine = d.setdefault(section, {})
        for key, rule in theirs.items():
            if key in mine:
                profile.overrides[(section, key)] = name
            else:  # the layer's parsed values: mappings, lists and immutable scalars
                mine[key] = _fresh_copy(rule)
                profile.inherited[(section, key)] = name
    return []


def _schema_errors(profile: Profile) -> list[ProfileError]:
    if not isinstance(profile.data, dict):
        return [profile.error(Msg('a profile must be a mapping of keys (format, chamber, documents, …)'),
                              expected=Msg('a YAML mapping'), found=type(profile.data).__name__)]
    texts = getattr(profile.loaded, "block_texts", None)
    if SCHEMA_BY_BLOCK_TEXT and texts is not None and texts.keys() == profile.data.keys() \
            and "v" in _SCHEMA_CACHE and _blocks_valid(_validator(), profile.data, texts):
        return []
    instance = _to_json_types(profile.data)
    key = _schema_pass_key(instance)
    if key is not None and key in SCHEMA_PASSED:
        return []
    validator = _validator()
    if _blocks_valid(validator, instance):
        if key is not None:
            SCHEMA_PASSED.add(key)
        return []
    out: list[ProfileError] = []
    seen: set = set()
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        for e in _text_language(err) or _alternatives(err) or _leaf_errors(err):
            for pe in _schema_error_to_profile_errors(profile, e):
                k = (pe.line, pe.column, pe.message)
                if k not in seen:
                    seen.add(k)
                    out.append(pe)
    suggested = {(e.field.rsplit(".", 1)[0] if e.field and "." in e.field else "", e.message.rsplit("'", 2)[-2])
                 for e in out if e.message.startswith("unknown key") and "did you mean" in e.message}
    out = [e for e in out if not (e.message.startswith("missing key")
                                  and ((e.field or ""), e.message.split("'")[1]) in suggested)]
    out.sort(key=lambda e: (e.line or 0, e.column or 0))
    if not out and key is not None:
        SCHEMA_PASSED.add(key)
    return out


#: the keywords of the schema's top level that :func:`_blocks_valid` reproduces
_TOP_KEYWORDS = {"$schema", "$id", "$defs", "title", "description", "type", "additionalProperties", "required",
                 "properties"}
#: canonical JSON of (top-level key, block) found valid in this process, by SHA-256 (bounded)
_VALID_BLOCKS: set[str] = set()


def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    if "v" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["v"] = jsonschema.Draft202012Validator(_schema())
    return _SCHEMA_CACHE["v"]


#: (top-level key, exact block text) whose parsed value :func:`_blocks_valid` found valid in this
#: process: a block of the same text parses to the same value (yamlload's block cache), so a
#: profile made only of such blocks, with the top level right, is valid without converting it
#: to JSON types (bounded)
_VALID_BLOCK_TEXTS: set[tuple[str, str]] = set()

#: True in a process that validates many profiles sharing blocks (a national run's workers,
#: smvp/national.py): once the schema is loaded, a profile whose blocks' exact texts were all
#: found valid passes without converting it to JSON, and without adding its
#: :data:`SCHEMA_PASSED` key (that key only spares the next short command jsonschema's import;
#: a national run keeps compiled profiles in its own cache folder). Just as strict either way.
SCHEMA_BY_BLOCK_TEXT = False


def _blocks_shape_ok(schema: dict, instance: Any) -> bool:
    """The top level :func:`_blocks_valid` checks before its blocks: a schema it can split, a
    mapping of known keys with the required ones."""
    props = schema.get("properties") or {}
    return not (set(schema) - _TOP_KEYWORDS or schema.get("additionalProperties") is not False
                or not isinstance(instance, dict) or set(instance) - set(props)
                or set(schema.get("required") or ()) - set(instance))


def _blocks_valid(validator, instance, texts: dict[str, str] | None = None) -> bool:
    """True when the profile is valid against the schema, decided block by block: the top
    level (a mapping of known keys with the required ones) and each top-level block against
    its own subschema, a block already found valid in this process (the same canonical JSON)
    not validated again. Profiles of a national roll-out share most blocks (documents,
    coefficients, conciliation …): they are validated once. False means "not known valid":
    the caller validates the whole document and reports its errors as before.

    ``texts``: each block's exact text (``Loaded.block_texts``), ``instance`` then the data as
    parsed: a block whose text was found valid before is not converted to JSON types again."""
    schema = validator.schema
    props = schema.get("properties") or {}
    if not _blocks_shape_ok(schema, instance):
        return False
    passed = []
    for key, block in instance.items():
        if texts is not None:
            if (key, texts[key]) in _VALID_BLOCK_TEXTS:
                continue
            passed.append((key, texts[key]))
            block = _to_json_types(block)
        text = json.dumps([key, block], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest in _VALID_BLOCKS:
            continue
        if not validator.evolve(schema=props[key]).is_valid(block):
            return False
        if len(_VALID_BLOCKS) > 100_000:
            _VALID_BLOCKS.clear()
        _VALID_BLOCKS.add(digest)
    if len(_VALID_BLOCK_TEXTS) > 20_000:
        _VALID_BLOCK_TEXTS.clear()
    _VALID_BLOCK_TEXTS.update(passed)
    return True


#: Profiles that passed the JSON Schema, each as the sha256 of (jsonschema's version, the
#: schema, the profile as JSON): the same profile against the same schema passes again,
#: so it is not checked again. Importing jsonschema and checking cost ~50 ms, a large part
#: of a short command's start-up; smvp keeps this set in its cache folder (smvp/cache.py).
#: Only passes are kept: a profile with an error is checked, and its errors reported, each time.
SCHEMA_PASSED: set[str] = set()


def _schema_pass_key(instance: Any) -> str | None:
    """The :data:`SCHEMA_PASSED` key of a profile (as JSON types); None if it has no JSON text.

    The SHA-256 of ``json.dumps([jsonschema's version, the schema, instance], sort_keys=True)``;
    the hash of the text before ``instance`` (the same for every profile) is computed once."""
    import json

    prefix = _SCHEMA_CACHE.get("key prefix")
    if prefix is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            head = json.dumps([version("jsonschema"), _schema()], sort_keys=True, ensure_ascii=False,
                              allow_nan=False)
        except (PackageNotFoundError, TypeError, ValueError):
            return None
        # "[v, schema]" -> "[v, schema, " : json.dumps of a list joins its items with ", "
        prefix = _SCHEMA_CACHE["key prefix"] = hashlib.sha256((head[:-1] + ", ").encode("utf-8"))
    try:
        text = json.dumps(instance, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    h = prefix.copy()
    h.update((text + "]").encode("utf-8"))
    return h.hexdigest()


def _leaf_errors(err: jsonschema.ValidationError):
    if err.context:
        import jsonschema

        best = jsonschema.exceptions.best_match(err.context)
        yield from _leaf_errors(best)
    else:
        yield err


# JSON types as the user knows them (jsonschema's type names are English words)
_TYPE_WORDS = {"string": "a text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
               "object": "a mapping (key: value)", "array": "a list", "null": "nothing (null)"}
# the schema's patterns said in words (any other pattern is shown as written)
_PATTERN_FORMS = {
    "^[a-z][a-z0-9_]*$": "an id: lower-case letters, digits and _ (starting with a letter)",
    "^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$": '"MM-DD" (every year) or "YYYY-MM-DD" (that day only)',
    "^[0-9]{2}-([0-9]{2}|end)$": '"MM-DD" or "MM-end"',
    "^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$": "a layer's path, e.g. national/italia",
    "^[A-Za-z0-9][A-Za-z0-9_.-]*$": "letters, digits, '_', '.' or '-' (starting with a letter or digit)",
}


def _type_word(name: object) -> Msg | str:
    return Msg(_TYPE_WORDS[name]) if name in _TYPE_WORDS else str(name)


def _one_of_words(words: list) -> Msg | str:
    """``a text or a number`` (each word said in the user's language)."""
    said = words[-1]
    for word in reversed(words[:-1]):
        said = Msg("{a} or {b}", a=word, b=said)
    return said


def _found(instance: object) -> str:
    """What was found, for a located error: a scalar as written, a mapping or a list by its kind."""
    if isinstance(instance, str) and len(instance) > 80:
        return Msg("{n} characters", n=len(instance))
    if isinstance(instance, dict):
        return Msg("a mapping (key: value)")
    if isinstance(instance, list):
        return Msg("a list")
    if instance is None:
        return Msg("nothing (null)")
    return repr(instance)


def _quoted(value: object) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _schema_error_facts(e: jsonschema.ValidationError) -> tuple[Msg, Msg | str | None, Msg | str | None]:
    """(message, expected, found) of a schema error, from its structured fields (validator,
    validator_value, instance, schema) — never from jsonschema's English ``message`` — as
    catalogue messages, so each is said in the user's language with the same facts."""
    kind, v, instance = e.validator, e.validator_value, e.instance
    found = _found(instance)
    if isinstance(e, _Alternatives):
        said: dict[str, Any] = {}
        for branch in e.branches:
            expected = _schema_error_facts(branch)[1]
            if expected is not None:
                said.setdefault(str(expected), expected)
        return Msg("value not allowed"), _one_of_words(list(said.values())) if said else None, found
    if kind == "type":
        names = v if isinstance(v, list) else [v]
        return Msg("wrong type"), _one_of_words([_type_word(n) for n in names]), found
    if kind == "enum":
        return Msg("value not allowed"), Msg("one of {values}", values=", ".join(map(str, v or []))), found
    if kind == "const":
        return Msg("value not allowed"), Msg("exactly {value}", value=_quoted(v)), found
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "a number ≥ {v}", "maximum": "a number ≤ {v}", "exclusiveMinimum": "a number > {v}",
                 "exclusiveMaximum": "a number < {v}"}[kind]
        return Msg("number out of range"), Msg(bound, v=v), found
    if kind == "multipleOf":
        return Msg("number out of range"), Msg("a multiple of {v}", v=v), found
    if kind == "pattern":
        form = _PATTERN_FORMS.get(v)
        return (Msg("wrong format"), Msg("the form {form}", form=Msg(form)) if form
                else Msg("text matching the pattern {pattern}", pattern=v), found)
    if kind == "format":
        return Msg("wrong format"), Msg("a {format} value", format=v), found
    if kind == "minLength":
        return ((Msg("empty text"), Msg("non-empty text"), found) if v == 1
                else (Msg("text too short"), Msg("at least {v} characters", v=v), found))
    if kind == "maxLength":
        return Msg("text too long"), Msg("at most {v} characters", v=v), found
    if kind == "minItems":
        return Msg("too few items"), Msg("at least {v} item(s)", v=v), Msg("{n} item(s)", n=_size(instance))
    if kind == "maxItems":
        return Msg("too many items"), Msg("at most {v} item(s)", v=v), Msg("{n} item(s)", n=_size(instance))
    if kind == "uniqueItems":
        return Msg("repeated items"), Msg("items all different"), found
    if kind == "minProperties":
        return Msg("too few keys"), Msg("at least {v} key(s)", v=v), Msg("{n} key(s)", n=_size(instance))
    if kind == "maxProperties":
        return Msg("too many keys"), Msg("at most {v} key(s)", v=v), Msg("{n} key(s)", n=_size(instance))
    if kind in ("oneOf", "anyOf"):
        many = kind == "oneOf" and not e.context  # valid under more than one alternative
        return (Msg("matches more than one of the allowed forms") if many
                else Msg("matches none of the allowed forms"),
                Msg("exactly one of the forms the schema allows") if many
                else Msg("one of the forms the schema allows"), found)
    if kind == "not" or kind is None:  # a ``not`` rule, or a ``false`` schema
        return Msg("not allowed here"), Msg("a value the schema allows here"), found
    # a rule this code does not know yet: still where, what was expected and found
    return (Msg("not allowed (schema rule {rule!r})", rule=str(kind)),
            Msg("what the schema's {rule!r} rule allows: {value}", rule=str(kind), value=_quoted(v)), found)


class _Alternatives:
    """An ``anyOf``/``oneOf`` whose every alternative fails on the value itself (``counts_as:
    rapporto`` against ``'ratio'`` or a number): one error saying all the alternatives."""

    validator = "alternatives"

    def __init__(self, err: jsonschema.ValidationError, branches: list) -> None:
        self.err, self.branches = err, branches
        self.absolute_path, self.relative_schema_path = err.absolute_path, err.relative_schema_path
        self.instance, self.validator_value, self.schema, self.context = err.instance, None, err.schema, []


def _is_text_langs(schema: object) -> bool:
    """Whether ``schema`` is the schema's ``text_langs``: a text given per language."""
    return isinstance(schema, dict) and schema.get("additionalProperties") is False \
        and set(schema.get("properties") or ()) == set(TEXT_LANGS)


def _text_language(err: jsonschema.ValidationError) -> list | None:
    """A text given per language with a key that is not a language (``reading: {de: …}``):
    the failing alternative's error on that key (``unknown language 'de'``); else None."""
    if err.validator not in ("anyOf", "oneOf") or not isinstance(err.instance, dict):
        return None
    hits = [c for c in err.context if c.validator == "additionalProperties" and _is_text_langs(c.schema)
            and tuple(c.absolute_path) == tuple(err.absolute_path)]
    return hits[:1] or None


def _alternatives(err: jsonschema.ValidationError) -> list | None:
    """``[_Alternatives]`` when each alternative of an ``anyOf``/``oneOf`` error fails at the
    same place as the error (a wrong value, not a wrong part inside it); else None (the best
    matching alternative's error says where, as before)."""
    if err.validator not in ("anyOf", "oneOf") or not err.context:
        return None
    branches: dict = {}
    for c in err.context:
        if tuple(c.absolute_path) != tuple(err.absolute_path) or c.context:
            return None
        branches.setdefault(c.relative_schema_path[0], c)
    return [_Alternatives(err, list(branches.values()))]


#: what a section the source leaves undefined (``conciliation: {defined: false, …}``) is called
#: in "not computed" lines (a catalogue id each; any other section is named by its path)
_SECTION_NAMES = {"conciliation": "Conciliation procedure", "cycle": "Performance cycle", "calendar": "Calendar"}


def _gap(kind: Msg, reading: object) -> Msg:
    """What a role's source does not define: ``kind: the profile's reading`` (the reading as the
    profile writes it, else "not defined by the source"); :func:`_gap_kind` gives ``kind`` back."""
    return Msg("{kind}: {reading}", kind=kind, reading=text_of(reading) or Msg("not defined by the source"))


def _gap_kind(gap: str) -> object:
    params = getattr(gap, "params", None) or {}
    return params.get("kind", gap)


def _listed(items: list, template: str) -> object:
    """``a, b, c`` (``template`` "{a}, {b}" or "{a}; {b}") as a message whose items are each said
    in the user's language."""
    if not items:
        return ""
    said = items[-1]
    for item in reversed(items[:-1]):
        said = Msg(template, a=item, b=said)
    return said


def _size(instance: object) -> int:
    return len(instance) if isinstance(instance, (list, dict, str)) else 0


def _missing_keys(e: jsonschema.ValidationError) -> list[str]:
    """The keys a ``required`` or ``dependentRequired`` error is about (from its fields)."""
    instance = e.instance if isinstance(e.instance, dict) else {}
    if e.validator == "required":
        return [k for k in (e.validator_value or []) if k not in instance]
    return [k for key, needed in (e.validator_value or {}).items() if key in instance
            for k in needed if k not in instance]


def _schema_error_to_profile_errors(profile: Profile, e: jsonschema.ValidationError) -> list[ProfileError]:
    path = tuple(e.absolute_path)
    if e.validator == "additionalProperties" and _is_text_langs(e.schema):
        return [profile.error(Msg("unknown language {key!r} of a text", key=key), path + (key,), key=True,
                              expected=Msg("it (Italian) or en (English)"), found=repr(key),
                              hint=Msg("write the text as a plain string, or per language: {{it: ..., en: ...}}"))
                for key in e.instance if key not in TEXT_LANGS]
    if e.validator == "additionalProperties":
        allowed = sorted((e.schema.get("properties") or {}).keys())
        extra = [k for k in e.instance if k not in allowed] if isinstance(e.instance, dict) else []
        out = []
        for key in extra or ["?"]:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            message = (Msg("unknown key {key!r}; did you mean {close!r}?", key=key, close=close[0]) if close
                       else Msg("unknown key {key!r}", key=key))
            out.append(profile.error(message, path + (key,), key=True,
                                     expected=Msg("one of: {allowed}", allowed=", ".join(allowed)) if allowed
                                     else None, found=repr(key)))
        return out
    if e.validator in ("required", "dependentRequired"):
        return [profile.error(Msg('missing key {missing!r}', missing=missing), path,
                              expected=Msg('a {missing!r} entry', missing=missing), found=Msg("nothing"))
                for missing in _missing_keys(e)]
    if ("propertyNames" in e.relative_schema_path or e.validator == "propertyNames") and isinstance(e.instance, str):
        return [profile.error(Msg('{instance!r} is not a valid id', instance=e.instance), path + (e.instance,),
                              key=True, expected=Msg('lower-case letters, digits and _ (starting with a letter)'),
                              found=repr(e.instance))]
    if e.validator == "propertyNames":
        return [profile.error(Msg('{instance!r} is not a valid id', instance=e.instance), path, key=True,
                              expected=Msg('lower-case letters, digits and _ (starting with a letter)'),
                              found=_found(e.instance))]
    message, expected, found = _schema_error_facts(e)
    return [profile.error(message, path, expected=expected, found=found)]


# ---------------------------------------------------------------- resolution

def _resolve_node(node, year: int, path: tuple, origin: dict):
    """Keep what is in force in ``year``; record resolved path → original path."""
    if isinstance(node, dict):
        if "variants" in node and isinstance(node["variants"], list):
            for i, v in enumerate(node["variants"]):
                if isinstance(v, dict) and _in_force(v, year):
                    return _resolve_node(v, year, path + ("variants", i), origin)
            return None
        if not _in_force(node, year):
            return None
        out = {}
        for k, v in node.items():
            r = _resolve_node(v, year, path + (k,), origin)
            if r is not None or v is None:
                out[k] = r
                origin[path + (k,)] = path + (k,)
        return out
    if isinstance(node, list):
        return [_resolve_node(v, year, path + (i,), origin) for i, v in enumerate(node)]
    return node


def _resolved(node, year: int):
    """:func:`_resolve_node` without recording paths (the builder does not need them)."""
    if isinstance(node, dict):
        variants = node.get("variants") if "variants" in node else None
        if isinstance(variants, list):
            for v in variants:
                if isinstance(v, dict) and _in_force(v, year):
                    return _resolved(v, year)
            return None
        if not _in_force(node, year):
            return None
        out = {}
        for k, v in node.items():
            r = _resolved(v, year) if isinstance(v, (dict, list)) else v
            if r is not None or v is None:
                out[k] = r
        return out
    if isinstance(node, list):
        return [_resolved(v, year) if isinstance(v, (dict, list)) else v for v in node]
    return node


def original_path(data: Any, year: int, keys) -> tuple:
    """The path in the profile as written of a path in the rules resolved for ``year``.

    A rule written ``{variants: [...]}`` resolves to the variant in force; its
    original path goes through ``variants.<i>``. Used to point messages and
    traces at the right line.
    """
    def variant(node):
        if isinstance(node, dict) and isinstance(node.get("variants"), list):
            for i, v in enumerate(node["variants"]):
                if isinstance(v, dict) and _in_force(v, year):
                    return i, v
        return None

    node, out = data, []
    for k in keys:
        if isinstance(node, dict) and k not in node and (hit := variant(node)):
            out += ["variants", hit[0]]
            node = hit[1]
        out.append(k)
        if isinstance(node, dict):
            node = node.get(k)
        elif isinstance(node, list) and isinstance(k, int) and k < len(node):
            node = node[k]
        else:
            node = None
    if hit := variant(node):
        out += ["variants", hit[0]]
    return tuple(out)


def _in_force(node: dict, year: int) -> bool:
    f, u = node.get("from"), node.get("until")
    if isinstance(f, int) and year < f:
        return False
    if isinstance(u, int) and year > u:
        return False
    return True


def _frac(x) -> Fraction | None:
    if x is None:
        return None
    return Fraction(x) if not isinstance(x, Decimal) else Fraction(x)


#: formula.check's problems by (formula text, names allowed), checked once in a process: the
#: profiles of a national roll-out share most formulas (bounded)
_FORMULA_PROBLEMS: dict[tuple[str, frozenset], tuple[str, ...]] = {}


class _Builder:
    """Builds a :class:`Resolved` from the resolved document, collecting semantic errors."""

    def __init__(self, profile: Profile, year: int):
        self.p = profile
        self.year = year
        self.errors: list[ProfileError] = []
        self.docs = profile.data.get("documents") or {}
        chamber = profile.data["chamber"]
        timed = profile._timed_blocks
        if timed is None:  # from/until or variants on the document itself: resolved whole
            self.data = {k: v for k, v in profile.data.items() if k != "chamber"}
            self.data = _resolved(self.data, year) or {}
        else:  # a block without from/until or variants anywhere resolves to itself: not copied
            self.data = {}
            for k, v in profile.data.items():
                if k == "chamber":
                    continue
                r = _resolved(v, year) if k in timed and isinstance(v, (dict, list)) else v
                if r is not None or v is None:
                    self.data[k] = r
        self.data["chamber"] = chamber

    def err(self, message, path, **kw):
        self.errors.append(self.p.error(message, path, **kw))

    def mappings(self):
        """``_dicts(self.data)``: every (path, mapping) of the resolved document in document
        order — a block taken as written (see ``__init__``) gives the profile's own walk of it
        (:attr:`Profile._block_mappings`), only the resolved blocks are walked again."""
        timed = self.p._timed_blocks
        if timed is None:
            yield from _dicts(self.data)
            return
        written = self.p._block_mappings
        yield (), self.data
        for k, v in self.data.items():
            if k in timed and k != "chamber":
                yield from _dicts(v, (k,))
            else:
                yield from written.get(k, ())

    def path_of(self, *keys) -> tuple:
        """Original path (through variants) of a resolved path."""
        return original_path(self.p.data, self.year, keys)

    def source(self, node: dict | None, *path) -> Source | None:
        if not node or not isinstance(node.get("source"), dict):
            return None
        s = node["source"]
        doc = s.get("document")
        if doc not in self.docs:
            self.err(Msg("source document {doc!r} is not declared in 'documents'", doc=doc), self.path_of(*path, "source", "document"),
                     expected=Msg("one of: {allowed}", allowed=", ".join(self.docs)), found=repr(doc))
            return Source(str(doc), str(s.get("section")))
        return Source(doc, str(s.get("section")), self.docs[doc].get("title", ""))

    def intervals(self, items: list, path: tuple, domain: tuple) -> list[Interval]:
        out = []
        for i, item in enumerate(items):
            try:
                out.append(Interval.parse(str(item["interval"])))
            except ValueError as e:
                self.err(_said(e), self.path_of(*path, i, "interval"))
                return []
        for message, a, b in partition_problems(out, domain):
            at = self.path_of(*path, b if b is not None else a, "interval")
            if b is not None:
                message = Msg("{message} (lines {a} and {b})", message=message,
                              a=self.p.loaded.position(self.path_of(*path, a))[0],
                              b=self.p.loaded.position(self.path_of(*path, b))[0])
            self.err(message, at, hint=Msg("every value must fall in exactly one interval: use '(' or ')' for an open end and '[' or ']' for a closed end"))
        return out

    def band_intervals(self, j: dict, path: tuple, domain: tuple) -> list[Interval]:
        """The intervals of a judgement's bands: ``interval:`` as written, or ``range:`` (an
        integer range as printed, "26 – 40") read by ``integer_ranges`` (see the schema).

        Overlaps and gaps name the bands (label and printed range).
        """
        items = j["bands"]
        spec = j.get("integer_ranges") or {}
        rounding = spec.get("rounding")
        out: list[Interval] = []
        ranges: list[tuple[int, int] | None] = []
        for i, item in enumerate(items):
            if ("interval" in item) == ("range" in item):
                self.err(Msg("a band needs either 'interval' or 'range' (not both)"), self.path_of(*path, "bands", i),
                         expected=Msg('interval: "(60, 90]" or range: "26 – 40"'), found=Msg('both') if "interval" in item else Msg('neither'))
                return []
            if "interval" in item:
                try:
                    Interval.parse(str(item["interval"]))
                except ValueError as e:
                    self.err(_said(e), self.path_of(*path, "bands", i, "interval"))
                    return []
                ranges.append(None)
                continue
            m = _RANGE.match(str(item["range"]))
            lo, hi = (int(m.group(1)), int(m.group(2))) if m else (1, 0)
            if not m or hi < lo:
                self.err(Msg('{item_range!r} is not an integer range from low to high', item_range=item['range']), self.path_of(*path, "bands", i, "range"),
                         expected=Msg('"a – b" with whole numbers a ≤ b, e.g. "26 – 40"'), found=repr(item["range"]))
                return []
            ranges.append((lo, hi))
        printed = [r for r in ranges if r is not None]
        if printed and spec.get("extend_ends"):
            first = min(printed)[0]
            last = max(printed, key=lambda r: r[1])[1]
        for item, r in zip(items, ranges):
            if r is None:
                out.append(Interval.parse(str(item["interval"])))
                continue
            lo, hi = Fraction(r[0]), Fraction(r[1])
            if rounding == "down":      # the total's integer part is looked up: [a, b + 1)
                iv = [lo, hi + 1, True, False]
            elif rounding == "half_up":  # the total rounded half-up is looked up: [a − ½, b + ½)
                iv = [lo - Fraction(1, 2), hi + Fraction(1, 2), True, False]
            elif rounding == "up":      # the total rounded up is looked up: (a − 1, b]
                iv = [lo - 1, hi, False, True]
            else:                       # as printed: [a, b], fractional totals between ranges fall in no band
                iv = [lo, hi, True, True]
            if spec.get("extend_ends") and r[0] == first and domain[0] < iv[0]:
                iv[0], iv[2] = domain[0], True
            if spec.get("extend_ends") and r[1] == last and domain[1] is not None and domain[1] > lo:
                iv[1], iv[3] = domain[1], True
            text = f"{'[' if iv[2] else '('}{_pct(iv[0])}, {_pct(iv[1])}{']' if iv[3] else ')'}"
            out.append(Interval(iv[0], iv[1], iv[2], iv[3], text))
        names = [f"{b['label']!r}" + (f" (printed {b['range']})" if "range" in b else f" {out[k]}")
                 for k, b in enumerate(items)]
        for message, a, b in partition_problems(out, domain):
            at = self.path_of(*path, "bands", b if b is not None else a, "range" if "range" in items[b if b is not None else a] else "interval")
            who = (Msg("bands {a} and {b}", a=names[a], b=names[b]) if b is not None
                   else Msg("band {a}", a=names[a]))
            involved = [x for x in (a, b) if x is not None]
            if any("range" in items[x] for x in involved) and "gap" in message and not rounding:
                how = Msg("say how a total between two printed ranges is banded with integer_ranges.rounding "
                          "(down, half_up or up)")
            elif any("range" in items[x] for x in involved) and "overlap" in message:
                how = Msg("correct the range that the source misprints and keep the printed text and the reason "
                          "in the band's erratum")
            elif any("range" in items[x] for x in involved):
                how = Msg("extend the printed ranges to the totals' domain with integer_ranges.extend_ends, "
                          "or give the missing band")
            else:
                how = Msg("use '(' or ')' for an open end and '[' or ']' for a closed end")
            hint = Msg("every total must fall in exactly one band: {how}", how=how)
            self.err(Msg('{who}: {message}', who=who, message=message), at, hint=hint)
        return out

    def build(self) -> Resolved:
        d = self.data
        roles_raw = d.get("roles") or {}
        org = d.get("organisational") or {}
        levels = tuple((k, v.get("label", k)) for k, v in (org.get("levels") or {}).items())
        level_ids = {k for k, _ in levels} | {INDIVIDUAL_LEVEL}
        ach = org.get("achievement") or {}
        prec = d.get("precision") or {}
        money = d.get("money") or {}
        not_defined: list[str] = []

        flagged = []  # mappings with a 'defined' key, for not_defined below (one walk of the document)
        for path, value in self.mappings():
            if path and path[-1] == "source" and path[:1] != ("chamber",):
                self.source({"source": value}, *path[:-1])
            if "defined" in value:
                flagged.append((path, value))

        bands = self.achievement_bands(ach)
        objective_types = self.planning(d.get("planning") or {})
        for _nid, nd in (d.get("not_defined") or {}).items():
            not_defined.append(Msg("{role}: {what}", role=nd["label"], what=text_of(nd["reading"])))

        # absence types
        absences = {k: AbsenceType(k, v["label"], bool(v["neutral"]), self.source(v, "absence_types", k))
                    for k, v in (d.get("absence_types") or {}).items()}

        # domains: totals go from 0 to the largest total_max of the roles
        maxima = [_frac(r.get("total_max")) for r in roles_raw.values() if r and r.get("total_max") is not None]
        total_domain = (Fraction(0), max(maxima) if maxima else Fraction(100))

        curves = {}
        for cid, c in (d.get("curves") or {}).items():
            ivs = self.intervals(c["intervals"], ("curves", cid, "intervals"), total_domain)
            segs = []
            for i, (iv, item) in enumerate(zip(ivs, c["intervals"])):
                self.formula(item["value"], {c["variable"]}, ("curves", cid, "intervals", i, "value"))
                segs.append(CurveSegment(iv, str(item["value"])))
            self.variable(c["variable"], ("curves", cid, "variable"))
            curves[cid] = Curve(cid, c["label"], c["variable"], tuple(segs), self.source(c, "curves", cid), text_of(c.get("reading", "")))

        judgements = {}
        for jid, j in (d.get("judgements") or {}).items():
            ivs = self.band_intervals(j, ("judgements", jid), total_domain)
            ids = [b["id"] for b in j["bands"]]
            for dup in {x for x in ids if ids.count(x) > 1}:
                self.err(Msg('band id {dup!r} is used twice', dup=dup), self.path_of("judgements", jid, "bands"))
            self.variable(j["variable"], ("judgements", jid, "variable"))
            judgements[jid] = Judgement(jid, j["label"], j["variable"],
                                        tuple(Band(iv, b["id"], b["label"], str(b.get("range") or ""))
                                              for iv, b in zip(ivs, j["bands"])),
                                        self.source(j, "judgements", jid), text_of(j.get("reading", "")))

        coefficients = {}
        for cid, c in (d.get("coefficients") or {}).items():
            self.formula(c["formula"], PERSON_NAMES, ("coefficients", cid, "formula"))
            coefficients[cid] = Coefficient(cid, c["label"], str(c["formula"]), self.source(c, "coefficients", cid), text_of(c.get("reading", "")))

        funds = {}
        for fid, f in (d.get("funds") or {}).items():
            th = f["theoretical"]
            shares = []
            if th["method"] == "pool_split":
                if not th.get("shares"):
                    self.err(Msg("a pool_split fund needs 'shares' (role → percent)"), self.path_of("funds", fid, "theoretical"))
                total = Fraction(0)
                for rid, s in (th.get("shares") or {}).items():
                    if rid not in roles_raw:
                        self.ref_error("role", rid, roles_raw, ("funds", fid, "theoretical", "shares", rid))
                    shares.append((rid, _frac(s["percent"]), s["split"]))
                    total += _frac(s["percent"])
                if th.get("shares") and total != 100:
                    self.err(Msg('the shares of the pool add up to {pct_total}%, not 100%', pct_total=_pct(total)),
                             self.path_of("funds", fid, "theoretical", "shares"), expected=Msg('100'), found=_pct(total),
                             hint=Msg("every part of the pool goes to a role: check the 'percent' of each share"))
            elif th.get("shares"):
                self.err(Msg("'shares' is only for method pool_split"), self.path_of("funds", fid, "theoretical", "shares"))
            funds[fid] = Fund(fid, f["label"], f["resource"], th["method"], tuple(shares), self.source(f, "funds", fid), text_of(f.get("reading", "")))

        roles = {}
        for rid, r in roles_raw.items():
            roles[rid] = self.role(rid, r, level_ids, curves, judgements, coefficients, funds, roles_raw)
            for u in roles[rid].undefined:
                not_defined.append(Msg("{role}: {what}", role=roles[rid].label, what=u))

        magg = {}
        for mid, m in (d.get("maggiorazioni") or {}).items():
            base = ("maggiorazioni", mid)
            for i, rid in enumerate(m["roles"]):
                if rid not in roles:
                    self.ref_error("role", rid, roles, base + ("roles", i))
            self.formula(m["eligible"], MAGGIORAZIONE_NAMES, base + ("eligible",))
            self.formula(m["amount"], MAGGIORAZIONE_NAMES, base + ("amount",))
            if m["rank_by"] not in MAGGIORAZIONE_NAMES:
                self.ref_error("quantity", m["rank_by"], MAGGIORAZIONE_NAMES, base + ("rank_by",))
            breaker = tuple((m.get("tie_breaker") or {}).get("by") or ())
            if m["tie_policy"] == "break_by" and not breaker:
                self.err(Msg("tie_policy break_by needs 'tie_breaker: {{by: [...]}}' (the quantities that break a tie)"),
                         self.path_of(*base, "tie_policy"), hint=Msg('add tie_breaker, or use exclude_tied / include_tied'))
            elif breaker and m["tie_policy"] != "break_by":
                self.err(Msg("'tie_breaker' is only used with tie_policy break_by (found {m_tie_policy})", m_tie_policy=m['tie_policy']),
                         self.path_of(*base, "tie_breaker"), hint=Msg('set tie_policy: break_by, or remove tie_breaker'))
            for i, q in enumerate(breaker):
                if q not in TIE_BREAKER_NAMES:
                    self.ref_error("quantity", q, TIE_BREAKER_NAMES, base + ("tie_breaker", "by", i))
            magg[mid] = Maggiorazione(mid, m["label"], tuple(m["roles"]), m["resource"], str(m["eligible"]),
                                      _frac(m["quota_percent"]), m["quota_rounding"], m["rank_by"], m["tie_policy"],
                                      str(m["amount"]), m["shortfall"], self.source(m, *base), text_of(m.get("reading", "")),
                                      tie_breaker=breaker)

        for path, value in flagged:
            if value.get("defined") is False and path:
                what = ".".join(str(p) for p in path)
                if path[0] == "roles" and len(path) > 1 and path[1] in roles and roles[path[1]].undefined:
                    continue  # already listed with the role's label
                if not any(what in n for n in not_defined):
                    named = value.get("label") or (Msg(_SECTION_NAMES[what]) if what in _SECTION_NAMES else what)
                    not_defined.append(Msg("{role}: {what}", role=named, what=text_of(value.get("reading")) or text_of(value.get("note"))
                                           or Msg("not defined by the source")))

        links, ente, attestation = self.organisational_rules(org, funds)
        valuation = self.project_valuation(d.get("project_valuation"), roles, level_ids)
        plan = d.get("planning") if isinstance(d.get("planning"), dict) else {}
        bodies = plan.get("bodies") if isinstance(plan.get("bodies"), dict) else {}
        body_levels = tuple(dict.fromkeys(str(b["level"]) for b in bodies.values()
                                          if isinstance(b, dict) and b.get("level") in level_ids))
        return Resolved(
            body_levels=body_levels,
            chamber_id=self.p.chamber_id, chamber_name=self.p.chamber_name, year=self.year,
            levels=levels, achievement_cap=_frac(ach.get("cap_percent")),
            achievement_source=self.source(ach, "organisational", "achievement"),
            achievement_decimals=int(prec.get("achievement_decimals", 2)),
            points_decimals=int(prec.get("points_decimals", 2)),
            points_rounding=prec.get("rounding", "half_up"),
            money_rounding=money.get("rounding", "half_up"),
            absence_types=absences, curves=curves, judgements=judgements, coefficients=coefficients,
            funds=funds, roles=roles, maggiorazioni=magg,
            economies_label=(d.get("economies") or {}).get("label", "Economie"),
            precision_source=self.source(prec, "precision"), money_source=self.source(money, "money"),
            not_defined=tuple(not_defined),
            achievement_bands=bands, objective_types=objective_types,
            bands_apply_to=tuple(ach.get("bands_apply_to") or ("indicators", "objectives")),
            links=links, ente=ente, attestation=attestation, project_valuation=valuation,
        )

    def role(self, rid, r, level_ids, curves, judgements, coefficients, funds, roles_raw=None) -> Role:
        base = ("roles", rid)
        undefined: list[str] = []
        results = r.get("results") or {}
        behaviours = r.get("behaviours") or {}
        comps = []
        if results.get("defined") is False or not results:
            undefined.append(_gap(Msg("results components and their weights"), results.get("reading")))
        for cid, c in (results.get("components") or {}).items():
            lvl = c["objectives"]["level"]
            if lvl not in level_ids:
                self.ref_error("level", lvl, level_ids, base + ("results", "components", cid, "objectives", "level"))
            if c.get("counts") is False:  # reported, worth no points
                if c.get("max"):
                    self.err(Msg("results component {cid!r} has counts: false (reported, worth no points) and a 'max'", cid=cid),
                             self.path_of(*base, "results", "components", cid, "max"),
                             hint=Msg("remove 'max', or remove 'counts: false'"))
                comps.append(Component(cid, c["label"], Fraction(0), lvl,
                                       self.source(c, *base, "results", "components", cid), counts=False))
                continue
            if c.get("max") is None or c.get("defined") is False:
                if results.get("defined") is not False:
                    undefined.append(Msg("maximum points of results component {label!r}", label=c["label"]))
            comps.append(Component(cid, c["label"], _frac(c.get("max")) if c.get("defined") is not False else None, lvl,
                                   self.source(c, *base, "results", "components", cid)))
        factors = []
        if behaviours.get("defined") is False or not behaviours:
            undefined.append(_gap(Msg("behaviour factors' scales"), behaviours.get("reading")))
        per_person = behaviours.get("scale") == "per_person"
        for fid, f in (behaviours.get("factors") or {}).items():
            if per_person and f.get("max") is not None:
                self.err(Msg("behaviour factor {fid!r} has a 'max', but the role's behaviours have scale per_person (each person's sheet sets the maxima and weights)", fid=fid), self.path_of(*base, "behaviours", "factors", fid, "max"),
                         hint=Msg("remove 'max', or remove 'scale: per_person'"))
            elif (not per_person and (f.get("max") is None or f.get("defined") is False)
                  and behaviours.get("defined") is not False):
                undefined.append(Msg("scale of behaviour factor {label!r}", label=f["label"]))
            factors.append(Factor(fid, f["label"], _frac(f.get("max")) if f.get("defined") is not False else None))
        total_max = _frac(r.get("total_max"))
        if total_max is None and not undefined:
            undefined.append(Msg("maximum total points"))
        if per_person and not undefined and total_max is not None:
            s = sum((c.max for c in comps), Fraction(0))
            if s > total_max:
                self.err(Msg('the results maxima of role {rid!r} add up to {pct_s}, more than its total_max {pct_total_max}', rid=rid, pct_s=_pct(s), pct_total_max=_pct(total_max)),
                         self.path_of(*base, "total_max"), expected=Msg('at least {pct_s}', pct_s=_pct(s)), found=_pct(total_max))
        elif not undefined and total_max is not None:
            s = sum((c.max for c in comps), Fraction(0)) + sum((f.max for f in factors), Fraction(0))
            if s != total_max:
                parts = " + ".join(_pct(c.max) for c in comps) + " (results) + " + " + ".join(_pct(f.max) for f in factors) + " (behaviours)"
                self.err(Msg('the maxima of role {rid!r} add up to {pct_s}, not to its total_max {pct_total_max}: {parts}', rid=rid, pct_s=_pct(s), pct_total_max=_pct(total_max), parts=parts),
                         self.path_of(*base, "total_max"), expected=_pct(total_max), found=_pct(s),
                         hint=Msg("check the results components' 'max' and the behaviour factors' 'max'"))
        neg = r.get("negative")
        neg_below = _frac(neg["behaviour_below"]) if neg else None
        if neg_below is not None and factors and all(f.max is not None for f in factors):
            bmax = sum((f.max for f in factors), Fraction(0))
            if neg_below > bmax:
                self.err(Msg('negative threshold {pct_neg_below} is above the behaviour maximum {pct_bmax}', pct_neg_below=_pct(neg_below), pct_bmax=_pct(bmax)),
                         self.path_of(*base, "negative", "behaviour_below"), expected=Msg('at most {pct_bmax}', pct_bmax=_pct(bmax)), found=_pct(neg_below))
        j = r.get("judgement")
        if j is not None and j not in judgements:
            self.ref_error("judgement", j, judgements, base + ("judgement",))
        payout = None
        if r.get("payout"):
            pz = r["payout"]
            for kind, coll in (("fund", funds), ("curve", curves)):
                if pz[kind] not in coll:
                    self.ref_error(kind, pz[kind], coll, base + ("payout", kind))
            payout = (pz["fund"], pz["curve"], self.coefficient_of(pz["coefficient"], coefficients, base))
        ev = r.get("evaluator") or {}
        rule = self.evaluator_rule(ev, roles_raw or {}, base + ("evaluator",))
        return Role(rid, r["label"], ev.get("label", ""), total_max, tuple(comps), tuple(factors), neg_below, j, payout,
                    self.source(r, *base), self.source(results, *base, "results"), self.source(behaviours, *base, "behaviours"),
                    self.source(neg, *base, "negative") if neg else None, tuple(undefined),
                    per_person_scale=per_person, evaluated_by=rule)

    def evaluator_rule(self, ev: dict, roles_raw: dict, path: tuple) -> EvaluatorRule | None:
        """``evaluator.by_role`` / ``scope`` (see :class:`EvaluatorRule`); None when neither."""
        given = ev.get("by_role")
        by = (given,) if isinstance(given, str) else tuple(given or ())
        scope = ev.get("scope")
        if not by and scope is None:
            return None
        if by and scope in (None, "external"):
            self.err(Msg("evaluator 'by_role' needs a 'scope' other than external: own_unit, unit_tree, head or ente"),
                     self.path_of(*path), expected=Msg("own_unit, unit_tree, head or ente"),
                     found=repr(scope) if scope else Msg("nothing"),
                     hint=Msg("a body outside the staff (Giunta, OIV, Presidente) is 'scope: external' without 'by_role'"))
            return None
        if not by and scope != "external":
            self.err(Msg("evaluator scope {scope!r} needs 'by_role': the role whose holders evaluate", scope=scope),
                     self.path_of(*path), expected=Msg("a {kind} defined in the profile: {defined}", kind="role",
                                                                  defined=", ".join(sorted(roles_raw))),
                     found=Msg("nothing"))
            return None
        for i, rid in enumerate(by):
            if rid not in roles_raw:
                self.ref_error("role", rid, roles_raw, path + (("by_role",) if isinstance(given, str) else ("by_role", i)))
        return EvaluatorRule(by, scope)

    def coefficient_of(self, given, coefficients: dict, base: tuple) -> str:
        """The coefficient id of a payout; a list of ids becomes their product, added to
        ``coefficients`` as ``a*b`` (Cuneo §3.3: «commisurati al grado di effettivo coinvolgimento
        temporale negli obiettivi e all'effettiva prestazione lavorativa»)."""
        ids = [given] if isinstance(given, str) else list(given)
        for i, cid in enumerate(ids):
            if cid not in coefficients:
                self.ref_error("coefficient", cid, coefficients,
                               base + (("payout", "coefficient") if isinstance(given, str) else ("payout", "coefficient", i)))
        if len(ids) == 1 or any(c not in coefficients for c in ids):
            return ids[0]
        key = "*".join(ids)
        if key not in coefficients:
            parts = [coefficients[c] for c in ids]
            coefficients[key] = Coefficient(
                key, " × ".join(c.label for c in parts), " * ".join(f"({c.formula})" for c in parts),
                parts[0].source, "product of " + ", ".join(ids), parts=tuple(ids))
        return key

    def achievement_bands(self, ach: dict) -> tuple[AchievementBand, ...]:
        """``organisational.achievement.bands``: a partition of [0, inf) of the measured ratio."""
        items = ach.get("bands") or []
        if not items:
            return ()
        path = ("organisational", "achievement", "bands")
        ivs = self.intervals(items, path, (Fraction(0), None))
        if ivs and all(iv.hi is not None for iv in ivs):
            top = max(range(len(ivs)), key=lambda i: (ivs[i].hi, ivs[i].hi_closed))
            self.err(Msg('values above {ivs_top} fall in no band: the measured ratio has no upper limit', ivs_top=ivs[top]),
                     self.path_of(*path, top, "interval"), expected=Msg("a last band ending in 'inf)'"),
                     found=ivs[top].text, hint=Msg('write the last band e.g. "[80, inf)"'))
        ids = [b["id"] for b in items]
        for dup in sorted({x for x in ids if ids.count(x) > 1}):
            self.err(Msg('band id {dup!r} is used twice', dup=dup), self.path_of(*path, ids.index(dup, ids.index(dup) + 1), "id"))
        out = []
        for iv, b in zip(ivs, items):
            c = b["counts_as"]
            out.append(AchievementBand(iv, b["id"], b["label"], None if c == "ratio" else _frac(c)))
        return tuple(out)

    def planning(self, plan: dict) -> tuple[tuple[str, str], ...]:
        """``planning``: objective types (parents must exist, no circles) and priorities (unique ids)."""
        types = plan.get("objective_types") or {}
        for tid, t in types.items():
            parent = t.get("parent")
            if parent is not None and parent not in types:
                self.ref_error("objective type", parent, types, ("planning", "objective_types", tid, "parent"))
        for tid in types:
            seen, cur = [tid], types[tid].get("parent")
            while cur in types:
                if cur in seen:
                    self.err(Msg("objective types are each other's parents in a circle: {cycle}", cycle=" → ".join(seen + [cur])),
                             self.path_of("planning", "objective_types", tid, "parent"))
                    break
                seen.append(cur)
                cur = types[cur].get("parent")
        levels = ((self.data.get("organisational") or {}).get("levels") or {})
        for bid, b in (plan.get("bodies") or {}).items():
            if b.get("level") is not None and b["level"] not in levels:
                self.ref_error("level", b["level"], levels, ("planning", "bodies", bid, "level"))
        prio = plan.get("priorities") or []
        ids = [str(p["id"]) for p in prio]
        for i, x in enumerate(ids):
            if x in ids[:i]:
                self.err(Msg('priority id {x!r} is used twice (first at item {ids_index_x_1})', x=x, ids_index_x_1=ids.index(x) + 1),
                         self.path_of("planning", "priorities", i, "id"))
        return tuple((tid, t["label"]) for tid, t in types.items())

    def organisational_rules(self, org: dict, funds: dict):
        """``organisational.links``, ``.ente`` and ``.attestation`` (None when absent)."""
        base = ("organisational",)
        lk = org.get("links")
        links = None
        if lk:
            links = ObjectiveLinks(lk["method"], str(lk.get("separator", ".")), self.source(lk, *base, "links"),
                                   text_of(lk.get("reading", "")))
        en = org.get("ente")
        ente = None
        if en:
            red = en.get("attestation_reduces_funds") or {}
            for i, fid in enumerate(red.get("funds") or []):
                if fid not in funds:
                    self.ref_error("fund", fid, funds, base + ("ente", "attestation_reduces_funds", "funds", i))
            types = ((self.data.get("planning") or {}).get("objective_types") or {})
            if types and en["area_type"] not in types:
                self.ref_error("objective type", en["area_type"], types, base + ("ente", "area_type"))
            ente = EnteRule(en["label"], en["method"], en["area_type"], tuple(red.get("funds") or ()),
                            red.get("rounding", "down"), self.source(en, *base, "ente"), text_of(en.get("reading", "")),
                            self.source(red, *base, "ente", "attestation_reduces_funds") if red else None)
        at = org.get("attestation")
        attestation = None
        if at:
            iv = None
            if at.get("interval") is not None:
                try:
                    iv = Interval.parse(str(at["interval"]))
                except ValueError as e:
                    self.err(_said(e), self.path_of(*base, "attestation", "interval"))
            attestation = AttestationRule(iv, bool(at.get("note_when_differs", False)),
                                          self.source(at, *base, "attestation"), text_of(at.get("reading", "")))
        return links, ente, attestation

    def project_valuation(self, pv: dict | None, roles: dict, level_ids: set) -> ProjectValuation | None:
        """``project_valuation``: relevance grades, valued funds, bounds, weight gap."""
        if not pv:
            return None
        base = ("project_valuation",)
        relevance = {k: Relevance(k, v["label"], _frac(v["coefficient"]), v.get("definition", ""))
                     for k, v in pv["relevance"].items()}
        vfunds = {}
        resources_seen: dict[str, tuple] = {}
        for fid, f in pv["funds"].items():
            al = f["allocation"]
            for i, rid in enumerate(al["roles"]):
                if rid not in roles:
                    self.ref_error("role", rid, roles, base + ("funds", fid, "allocation", "roles", i))
            if al["level"] not in level_ids:
                self.ref_error("level", al["level"], level_ids, base + ("funds", fid, "allocation", "level"))
            if al["key"] == "position_pay" and not al.get("column"):
                self.err(Msg("allocation by position_pay needs the staff 'column' holding each person's position pay"),
                         self.path_of(*base, "funds", fid, "allocation"), expected=Msg('column: position_pay'), found=Msg('nothing'))
            for part in ("stable", "variable"):
                r = f[part]
                if r in resources_seen:
                    self.err(Msg('resource {r!r} is already the {resources_seen_r_1} part of fund {resources_seen_r_0!r}', r=r, resources_seen_r_1=resources_seen[r][1], resources_seen_r_0=resources_seen[r][0]),
                             self.path_of(*base, "funds", fid, part), hint=Msg('each part of each fund is its own resource'))
                resources_seen[r] = (fid, part)
            vfunds[fid] = ValuationFund(fid, f["label"], f["stable"], f["variable"], _frac(f["percent_per_point"]),
                                        al["key"], tuple(al["roles"]), al["level"], al.get("column"),
                                        self.source(f, *base, "funds", fid))
        uv = pv.get("unit_value") or {}
        bd = pv.get("bounds") or {}
        bounds = None
        if bd:
            try:
                bounds = Interval.parse(str(bd["interval"]))
            except ValueError as e:
                self.err(_said(e), self.path_of(*base, "bounds", "interval"))
        wg = pv.get("weight_gap") or {}
        fin = pv.get("financing") or {}
        for i, fid in enumerate(fin.get("default") or ()):
            if fid not in vfunds:
                self.ref_error("valued fund", fid, vfunds, base + ("financing", "default", i))
        return ProjectValuation(
            pv["label"], relevance, vfunds, uv.get("rounding", "half_up"), bounds,
            tuple(bd.get("of") or ("stable", "variable")), bd.get("per", "fund"), self.source(bd, *base, "bounds") if bd else None,
            _frac(wg.get("max_points")), wg.get("group_by", "unit"), self.source(wg, *base, "weight_gap") if wg else None,
            self.source(pv, *base), text_of(pv.get("reading", "")),
            tuple(fin.get("default") or vfunds), self.source(fin, *base, "financing") if fin else None)

    def ref_error(self, kind, value, defined, path):
        close = difflib.get_close_matches(str(value), [str(x) for x in defined], n=1)
        self.err(Msg("unknown {kind} {value!r}; did you mean {close!r}?", kind=kind, value=value, close=close[0]) if close
                 else Msg("unknown {kind} {value!r}", kind=kind, value=value),
                 self.path_of(*path), expected=Msg("a {kind} defined in the profile: {defined}", kind=kind,
                                                   defined=", ".join(map(str, sorted(defined))) or "none"),
                 found=repr(value))

    def formula(self, expr, names, path):
        key = (str(expr), frozenset(names))
        problems = _FORMULA_PROBLEMS.get(key)
        if problems is None:
            problems = tuple(formula.check(key[0], set(names)))
            if len(_FORMULA_PROBLEMS) > 10_000:
                _FORMULA_PROBLEMS.clear()
            _FORMULA_PROBLEMS[key] = problems
        for problem in problems:
            self.err(Msg('formula {str_expr!r}: {problem}', str_expr=str(expr), problem=problem), self.path_of(*path))

    def variable(self, name, path):
        if name not in PERSON_NAMES:
            self.ref_error("variable", name, PERSON_NAMES, path)


def _pct(x: Fraction) -> Number:
    """A percent or points in a message (shown in the user's locale by smvp)."""
    if x.denominator == 1:
        return Number(str(x.numerator))
    return Number(str(Decimal(x.numerator) / Decimal(x.denominator)))


def _build(profile: Profile, year: int) -> Resolved:
    b = _Builder(profile, year)
    resolved = b.build()
    if b.errors:
        raise ProfileErrors(b.errors)
    return resolved


def _norms_only(profile: Profile, year: int) -> _Builder | None:
    """The checks a full build of ``year`` makes on the ``norms`` in force then — their
    ``source`` documents — when the rest of the document resolves as for a year already
    built (the builder reads norms for nothing else); None when a norm in force has a
    ``defined`` flag (it would add to the rules' not_defined: build in full)."""
    norms = profile.data.get("norms")
    b = _Builder.__new__(_Builder)
    b.p, b.year, b.errors = profile, year, []
    b.docs = profile.data.get("documents") or {}
    resolved = _resolved(norms, year) if isinstance(norms, (dict, list)) else None
    for path, value in _dicts(resolved, ("norms",)) if resolved is not None else ():
        if "defined" in value:
            return None
        if path[-1] == "source":
            b.source({"source": value}, *path[:-1])
    return b


def _semantic_errors(profile: Profile, texts: dict[str, str] | None = None) -> list[ProfileError]:
    errors: list[ProfileError] = []
    v = profile.data["chamber"]["validity"]
    if v.get("until") is not None and v["until"] < v["from"]:
        errors.append(profile.error(Msg('validity ends before it starts'), ("chamber", "validity", "until"),
                                    expected=Msg('a year ≥ {v_from}', v_from=v['from']), found=str(v["until"])))
    # effective dates: from ≤ until, variants must not overlap
    for path, node in profile._temporal:
        f, u = node.get("from"), node.get("until")
        if isinstance(f, int) and isinstance(u, int) and u < f and "validity" not in path:
            errors.append(profile.error(Msg("'until' {u} is before 'from' {f}", u=u, f=f), path + ("until",)))
        if isinstance(node.get("variants"), list):
            spans = []
            for i, var in enumerate(node["variants"]):
                if not isinstance(var, dict):
                    continue
                if var.get("from") is None:
                    errors.append(profile.error(Msg("each variant needs a 'from' year"), path + ("variants", i)))
                    continue
                spans.append((var["from"], var.get("until"), i))
            spans.sort()
            for (f1, u1, i1), (f2, u2, i2) in zip(spans, spans[1:]):
                if u1 is None or u1 >= f2:
                    errors.append(profile.error(
                        Msg('effective dates overlap: variant {i1_1} ({f1}–{u1_or}) and variant {i2_1} ({f2}–{u2_or})', i1_1=i1 + 1, f1=f1, u1_or=u1 or '', i2_1=i2 + 1, f2=f2, u2_or=u2 or ''),
                        path + ("variants", i2, "from"), hint=Msg("end the earlier variant with 'until' the year before")))
    if errors:
        return errors
    errors += _term_errors(profile, texts)
    seen: set = set()
    built: dict[int, Resolved] = {}
    by_rules: dict[tuple, int] = {}  # in-force pattern of every span outside norms -> year built
    for year in profile.boundary_years:
        rules = tuple(_in_force({"from": f, "until": u}, year) for f, u in profile._rule_spans)
        twin = by_rules.setdefault(rules, year)
        b = _norms_only(profile, year) if twin != year and twin in built else None
        if b is not None:  # the same rules as ``twin`` but for norms: only the norms are checked
            resolved = dataclasses.replace(built[twin], year=year)
        else:
            b = _Builder(profile, year)
            try:
                resolved = b.build()
            except (KeyError, TypeError) as e:  # defensive: a shape the schema let through
                b.err(Msg('cannot read the profile: {e}', e=e), ())
                resolved = None
        for e in b.errors:
            key = (e.line, e.column, e.message)
            if key not in seen:
                seen.add(key)
                errors.append(e)
        if resolved is not None and not b.errors:
            built[year] = resolved
        if resolved is not None and not errors:
            incomplete = [r for r in resolved.roles.values() if not r.scorable]
            if incomplete and not any(w.startswith("incomplete for individual scoring") for w in profile.warnings):
                profile.warnings.append(Msg(
                    "incomplete for individual scoring: the source does not define {gaps} — smvp evaluate "
                    "computes organisational performance only for these roles",
                    gaps=_listed([Msg("{role}: {what}", role=r.label, what=_listed([_gap_kind(u) for u in r.undefined], "{a}, {b}"))
                                  for r in incomplete], "{a}; {b}")))
            gaps = [f"{v['label']}" for v in ((profile.data.get("not_defined") or {}).values())
                    if isinstance(v, dict) and v.get("label")]
            if gaps and not any(w.startswith("the source does not define") for w in profile.warnings):
                profile.warnings.append(Msg("the source does not define: {gaps} — smvp evaluate does not "
                                            "compute them (see not_defined)", gaps="; ".join(gaps)))
    errors.sort(key=lambda e: (e.line or 0, e.column or 0))
    if not errors:  # the rules of each period, built above: for_year gives them without building again
        profile.resolved.update(built)
    return errors


def _field_path(field: str | None) -> tuple:
    """``"calendar.closures[1].date"`` → ``("calendar", "closures", 1, "date")``."""
    out: list = []
    for part in (field or "").split("."):
        while "[" in part and part.endswith("]"):
            name, _, idx = part.partition("[")
            if name:
                out.append(name)
            part = idx[:-1]
            if part.isdigit():
                out.append(int(part))
                part = ""
        if part:
            out.append(part)
    return tuple(out)


#: (calendar, conciliation and cycle block texts, chamber seat, first year) whose terms were
#: checked without an error in this process (:func:`_term_errors`)
_TERMS_PASSED: set[tuple] = set()
_TERM_BLOCKS = ("calendar", "conciliation", "cycle")


def _term_errors(profile: Profile, texts: dict[str, str] | None = None) -> list[ProfileError]:
    """``calendar``, ``conciliation.steps`` and ``cycle.steps`` checked with smvp_engine.deadlines.

    Steps run from an event or another step: when the block declares its ``events``,
    a ``from_event`` that is neither is an error (with 'did you mean').

    ``texts``: the document's block texts (yamlload's ``Loaded.block_texts``); with them a
    check that passed is not made again for the same three blocks, seat and first year
    (what the check reads: a national run's varied copies share them).
    """
    from . import deadlines

    d = profile.data
    blocks = [(k, d.get(k)) for k in ("conciliation", "cycle")
              if isinstance(d.get(k), dict) and d[k].get("steps")]
    if not blocks and "calendar" not in d:
        return []
    passed = None
    chamber = d.get("chamber")
    if texts is not None and isinstance(chamber, dict) and all((k in texts) == (k in d) for k in _TERM_BLOCKS):
        passed = tuple(texts.get(k) for k in _TERM_BLOCKS) + (repr(chamber.get("seat")), profile.valid_from)
        if passed in _TERMS_PASSED:
            return []
    errors: list[ProfileError] = []

    def located(e: ProfileError) -> ProfileError:
        path = _field_path(e.field)
        line, col = profile.loaded.position(path)
        return ProfileError(e.message, file=profile.path, line=line, column=col, field=e.field,
                            expected=e.expected, found=e.found, hint=e.hint)

    try:
        cal = deadlines.calendar_from_profile(d)
    except ProfileErrors as es:
        return [located(e) for e in es.errors]
    for key, block in blocks:
        steps = block["steps"]
        events = block.get("events")
        if isinstance(events, dict):
            known = set(events) | set(steps)
            for sid, st in steps.items():
                fe = st.get("from_event") if isinstance(st, dict) else None
                if fe is not None and fe not in known:
                    close = difflib.get_close_matches(str(fe), sorted(known), n=1)
                    errors.append(profile.error(
                        Msg("unknown event {fe!r}; did you mean {close!r}?", fe=fe, close=close[0]) if close
                        else Msg("unknown event {fe!r}", fe=fe),
                        (key, "steps", sid, "from_event"),
                        expected=Msg('an event of {key}.events or a step id: {join_sorted_known}', key=key, join_sorted_known=', '.join(sorted(known))), found=repr(fe)))
        try:
            deadlines.schedule(steps, {}, cal, year=profile.valid_from, where=f"{key}.steps")
        except ProfileErrors as es:
            errors += [located(e) for e in es.errors]
    if passed is not None and not errors:
        if len(_TERMS_PASSED) > 10_000:
            _TERMS_PASSED.clear()
        _TERMS_PASSED.add(passed)
    return errors
