"""The output contract of ``smvp evaluate --json`` (and of the standard CSV): one place.

Every machine-readable result smvp writes follows this module: field names,
their order, and one representation per quantity. The JSON Schema
``schema/results.schema.json`` (shipped as ``smvp_engine.schema``) states the
same contract for other tools; docs/results.md explains it for people.
Writers that stream huge runs (one person at a time) call the per-record
functions here (:func:`person_record`, :func:`fund_record`, ...) and
:func:`document_head`, so every writer emits the same document.

Representation (format :data:`FORMAT_VERSION`):

=============  ==========================================  ===================
kind           unit                                        written as
=============  ==========================================  ===================
``money``      euro                                        ``"1524.90"``: decimal string, always two decimals
``points``     points of the profile's scale               ``"74.01"``: exact decimal string
``percent``    percent (``"100"`` is 100 %)                ``"96.97"``: exact decimal string
``fraction``   fraction of 1 (``"1"`` is the whole)        ``"0.722000"``: exact decimal string
``count``      people, objectives, ranks, years            JSON integer
``text``       ids, labels, notes                          JSON string
``flag``       yes / no                                    JSON true / false
=============  ==========================================  ===================

A missing value (a person who is not scored, a fund without rule) is ``null``.
No quantity is ever a JSON floating-point number: decimal strings are exact and
are what accounting tools import.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import orjson

#: Version of the contract. Bump the major part when a field is removed,
#: renamed or changes representation; the minor part when a field is added.
FORMAT_VERSION = "1.1"

#: File name of the JSON Schema in the ``smvp_engine.schema`` package data.
SCHEMA_NAME = "results.schema.json"

MONEY, POINTS, PERCENT, FRACTION, COUNT, TEXT, FLAG = (
    "money", "points", "percent", "fraction", "count", "text", "flag")

#: kind -> (unit, description used in docs and in the schema)
KINDS: dict[str, str] = {
    MONEY: "euro, decimal string with two decimals (\"1524.90\")",
    POINTS: "points, exact decimal string (\"74.01\")",
    PERCENT: "percent, exact decimal string (\"96.97\" is 96.97 %)",
    FRACTION: "fraction of 1, exact decimal string (\"0.5\" is one half)",
    COUNT: "integer",
    TEXT: "text",
    FLAG: "true or false",
}

# --------------------------------------------------------------------------- the fields

#: One person's results, in this order. ``components`` (points per results
#: component, ``{component_id: points}``) is written in JSON as one object and
#: in CSV as one column per component, ``component:<id>``, after ``unit_id``.
#: ``reported`` (format 1.1; objectives too: a flag) is the grado di raggiungimento (percent) of each
#: results component the profile marks ``counts: false``: computed and reported,
#: worth no points, never part of ``results`` or ``total`` (``{}`` for a role
#: without such components); in CSV one column ``reported:<id>`` per component,
#: after the ``component:<id>`` columns.
PEOPLE: dict[str, str] = {
    "person_id": TEXT, "name": TEXT, "role": TEXT, "role_label": TEXT, "unit_id": TEXT,
    "components": POINTS, "reported": PERCENT,
    "results": POINTS, "behaviour": POINTS, "total": POINTS,
    "judgement": TEXT, "judgement_label": TEXT, "negative": FLAG,
    "payout_percent": PERCENT, "coefficient_name": TEXT, "coefficient": FRACTION,
    "fund": TEXT, "theoretical": MONEY, "premium": MONEY, "maggiorazione": MONEY, "paid": MONEY,
    "maggiorazione_rank": COUNT,
}

#: One fund (and one maggiorazione, which is paid from its own resource).
FUNDS: dict[str, str] = {
    "fund": TEXT, "label": TEXT, "resource": TEXT, "resources": MONEY, "distributed": MONEY,
    "economies": MONEY, "people": COUNT, "reduction": MONEY,
}

#: One objective.
OBJECTIVES: dict[str, str] = {
    "objective_id": TEXT, "label": TEXT, "level": TEXT, "unit_id": TEXT, "person_id": TEXT,
    "achievement": PERCENT, "status": TEXT, "status_label": TEXT, "measured": PERCENT,
    "type": TEXT, "attested": FLAG, "note": TEXT, "reported": FLAG,
}

#: Where the run came from.
RUN: dict[str, str] = {
    "run_id": COUNT, "chamber": TEXT, "year": COUNT, "created_at": TEXT,
    "profile_path": TEXT, "profile_sha256": TEXT, "dataset_path": TEXT, "dataset_sha256": TEXT,
    "engine_version": TEXT, "payout_state": TEXT,
}

#: The kinds of the summary's quantities, by path (``*`` is any key or list item).
#: A quantity of the summary not listed here keeps an exact decimal string.
SUMMARY: dict[str, str] = {
    "people": COUNT, "scored": COUNT, "negative": COUNT, "year": COUNT,
    "judgements.*": COUNT,
    "payout_intervals.*.people": COUNT,
    "maggiorazioni.*.amount_each": MONEY,
    "maggiorazioni.*.resources": MONEY,
    "maggiorazioni.*.distributed": MONEY,
    "resources": MONEY, "distributed": MONEY, "economies": MONEY,
    "organisational.*.achievement": PERCENT, "organisational.*.objectives": COUNT,
    "statuses.*.*": COUNT,
    "ente_performance.computed": PERCENT, "ente_performance.attested": PERCENT,
    "ente_performance.final": PERCENT, "ente_performance.areas.*": PERCENT,
    "project_valuation.*.unit_value": MONEY, "project_valuation.*.points": POINTS,
    "project_valuation.*.total": MONEY, "project_valuation.*.percent_of_fund": PERCENT,
    "project_valuation.*.allocation.*": MONEY,
}

#: Fields that are a mapping id -> quantity of the field's kind (CSV: one column ``<field prefix>:<id>``).
MAPS: dict[str, str] = {"components": "component", "reported": "reported"}

#: The top-level sections of the document, in order.
SECTIONS = ("format_version", "run", "people", "funds", "objectives", "summary")


# --------------------------------------------------------------------------- representation


class ContractError(ValueError):
    """A value that cannot be written under the contract (a bug upstream, not a user error)."""


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ContractError(f"not a quantity: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Fraction):
        d = Decimal(value.numerator) / Decimal(value.denominator)
        if Fraction(d) != value:
            raise ContractError(f"{value} has no exact decimal representation")
        return d
    if isinstance(value, str):
        return Decimal(value)
    module = type(value).__module__ or ""
    if module.startswith("numpy") and hasattr(value, "item"):
        return _decimal(value.item())
    if isinstance(value, float):
        # a float quantity reaching the edge is a defect: refuse rather than drift
        raise ContractError(f"a float quantity ({value!r}): quantities must be exact")
    raise ContractError(f"not a quantity: {value!r}")


def money(value: Any) -> str | None:
    """Euro as a decimal string with exactly two decimals: ``Decimal("1524.9")`` → ``"1524.90"``.

    Raises:
        ContractError: the amount is not a whole number of cents (money is exact to the
            cent upstream; rounding here would hide a defect).
    """
    if value is None:
        return None
    d = _decimal(value)
    if not d.is_finite():
        raise ContractError(f"not a finite amount: {value!r}")
    q = d.quantize(Decimal("0.01"))
    if q != d:
        raise ContractError(f"{d} € is not a whole number of cents")
    return format(abs(q) if q.is_zero() else q, "f")


def decimal(value: Any) -> str | None:
    """Points, percent or fraction as an exact decimal string (as the engine computed it)."""
    if value is None:
        return None
    d = _decimal(value)
    if not d.is_finite():
        raise ContractError(f"not a finite number: {value!r}")
    return format(abs(d) if d.is_zero() else d, "f")


def quantity(kind: str, value: Any) -> Any:
    """``value`` written as ``kind`` (see the module's table)."""
    if value is None:
        return None
    if kind == MONEY:
        return money(value)
    if kind in (POINTS, PERCENT, FRACTION):
        return decimal(value)
    if kind == COUNT:
        if isinstance(value, bool):
            raise ContractError(f"not a count: {value!r}")
        return int(value)
    if kind == FLAG:
        return bool(value)
    return str(value)


def _record(fields: Mapping[str, str], source: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in fields.items():
        value = source.get(name)
        if name in MAPS and fields is PEOPLE:
            out[name] = {str(k): quantity(kind, v) for k, v in (value or {}).items()}
        else:
            out[name] = quantity(kind, value)
    return out


def person_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One person (a row of ``Evaluation.rows()``) under the contract: :data:`PEOPLE`, in order."""
    return _record(PEOPLE, row)


def fund_record(fund: Mapping[str, Any]) -> dict[str, Any]:
    """One fund (an item of ``Evaluation.funds()``) under the contract: :data:`FUNDS`."""
    return _record(FUNDS, fund)


def objective_record(objective: Mapping[str, Any]) -> dict[str, Any]:
    """One objective (an item of ``Evaluation.objectives()``) under the contract: :data:`OBJECTIVES`."""
    return _record(OBJECTIVES, objective)


def run_record(info: Mapping[str, Any]) -> dict[str, Any]:
    """Where the run came from: :data:`RUN` (``payout_state`` "provvisorio" or "definitivo")."""
    return _record(RUN, info)


def _summary_value(path: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _summary_value(f"{path}.{k}" if path else str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_summary_value(f"{path}.*", v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    kind = _summary_kind(path)
    if kind is not None:
        return quantity(kind, value)
    if isinstance(value, int) or (type(value).__module__ == "numpy" and "int" in type(value).__name__):
        return int(value)
    if isinstance(value, (Decimal, Fraction, float)):
        return decimal(value)
    return str(value)


@functools.lru_cache(maxsize=4096)
def _summary_kind(path: str) -> str | None:
    parts = path.split(".")
    for pattern, kind in SUMMARY.items():
        pp = pattern.split(".")
        if len(pp) == len(parts) and all(p in ("*", q) for p, q in zip(pp, parts)):
            return kind
    return None


def summary_record(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The run's summary under the contract: quantities by :data:`SUMMARY`, texts as they are.

    Besides counts and totals it holds ``not_computed`` and ``notes``: what the
    evaluation could not compute (the profile's ``defined: false``) and why, in words.
    """
    out = _summary_value("", dict(summary))
    out["not_computed"] = [not_computed_text(x) for x in summary.get("not_computed") or []]
    out["notes"] = [not_computed_text(x) for x in summary.get("notes") or []]
    return out


def not_computed_text(item: Any) -> str:
    """One line for an entry of ``summary()['not_computed']`` (string, error or mapping)."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        parts = [str(v) for k, v in item.items() if v not in (None, "")]
        return ": ".join(parts) if parts else str(item)
    return str(item)


def document(*, run: Mapping[str, Any], people: Iterable[Mapping[str, Any]],
             funds: Iterable[Mapping[str, Any]], objectives: Iterable[Mapping[str, Any]],
             summary: Mapping[str, Any]) -> dict[str, Any]:
    """The whole results document (the JSON of ``smvp evaluate --json``), keys in :data:`SECTIONS` order."""
    return {
        "format_version": FORMAT_VERSION,
        "run": run_record(run),
        "people": [person_record(r) for r in people],
        "funds": [fund_record(f) for f in funds],
        "objectives": [objective_record(o) for o in objectives],
        "summary": summary_record(summary),
    }


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as JSON text (UTF-8, indented; never NaN).

    Written by orjson (in C: the standard library's encoder is pure Python once it
    indents), whose text for what the contract holds — strings, integers, flags,
    null, lists and string-keyed objects, never a float (every quantity is a decimal
    string, :func:`quantity`) — is byte for byte ``json.dumps(doc, ensure_ascii=False,
    indent=2)``'s (tests/test_results_contract.py). What orjson refuses (an integer
    beyond 64 bits, a key that is not a string, a lone surrogate, another type) is
    written by ``json``.
    """
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        pass
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)


def schema() -> dict[str, Any]:
    """The results JSON Schema, as shipped (``smvp_engine.schema/results.schema.json``)."""
    from smvp_engine.resources import load_schema

    return load_schema(SCHEMA_NAME)


# --------------------------------------------------------------------------- standard CSV


def csv_cell(kind: str, value: Any) -> str:
    """A value in the standard CSV dialect: the JSON representation, blank for null, 1/0 for flags."""
    if value is None:
        return ""
    if kind == FLAG:
        return "1" if value else "0"
    shown = quantity(kind, value)
    return "" if shown is None else str(shown)


def people_csv_columns(component_ids: Iterable[str],
                       reported_ids: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Columns of the standard people CSV: ``[(name, kind)]``, components expanded after ``unit_id``
    (``component:<id>``, points), then the reported components (``reported:<id>``, percent: the
    grado di raggiungimento of a ``counts: false`` component, worth no points), then the other
    fields and ``payout_state`` (text)."""
    cols: list[tuple[str, str]] = []
    for name, kind in PEOPLE.items():
        if name == "components":
            cols += [(f"component:{c}", POINTS) for c in component_ids]
        elif name == "reported":
            cols += [(f"reported:{c}", PERCENT) for c in reported_ids]
        else:
            cols.append((name, kind))
    cols.append(("payout_state", TEXT))
    return cols


# --------------------------------------------------------------------------- the JSON Schema

#: What each field means (the unit comes from its kind). Used for the schema and docs/results.md.
DESCRIPTIONS: dict[str, str] = {
    "format_version": "version of this contract (major.minor); a major change breaks readers",
    "run.run_id": "id of the stored run (smvp runs), null with --no-store",
    "run.chamber": "chamber id of the profile", "run.year": "year evaluated",
    "run.created_at": "when the run was made (ISO 8601, UTC)",
    "run.profile_path": "profile file evaluated", "run.profile_sha256": "SHA-256 of the profile",
    "run.dataset_path": "dataset evaluated", "run.dataset_sha256": "SHA-256 of the dataset's canonical form",
    "run.engine_version": "smvp version that computed the run",
    "run.payout_state": "provvisorio until the OIV validated and conciliation terms are over, then definitivo",
    "people.person_id": "matricola", "people.name": "name", "people.role": "role id (profile)",
    "people.role_label": "role as the source document names it", "people.unit_id": "unit of the person",
    "people.components": "points of each results component, by component id (null: not scored)",
    "people.reported": ("reported, not counted: grado di raggiungimento of each results component the "
                        "profile marks counts: false, by component id; worth no points, not in results "
                        "or total (null: the person's unit has no objectives at the component's level)"),
    "people.results": "results points (sum of the components)", "people.behaviour": "behaviour points",
    "people.total": "total points (results + behaviour)", "people.judgement": "judgement band id",
    "people.judgement_label": "judgement band as the source document names it",
    "people.negative": "negative evaluation (below the profile's threshold)",
    "people.payout_percent": "share of the theoretical premium paid by the payout curve",
    "people.coefficient_name": "coefficient applied (presence, time, ...)",
    "people.coefficient": "value of the coefficient",
    "people.fund": "fund that pays the premium", "people.theoretical": "theoretical premium",
    "people.premium": "premium after curve and coefficient", "people.maggiorazione": "maggiorazione",
    "people.paid": "premium + maggiorazione",
    "people.maggiorazione_rank": "rank in the maggiorazione order (null: not eligible)",
    "funds.fund": "fund or maggiorazione id", "funds.label": "fund as the source names it",
    "funds.resource": "resource (dataset table resources) that finances it",
    "funds.resources": "resources available", "funds.distributed": "paid out",
    "funds.economies": "resources − distributed (includes the reduction)",
    "funds.people": "people paid from it",
    "funds.reduction": "withheld because the Ente's final performance is below 100 %",
    "objectives.objective_id": "objective id", "objectives.label": "objective",
    "objectives.level": "level (ente, area, servizio, ufficio, individuale)",
    "objectives.unit_id": "unit", "objectives.person_id": "person of an individual objective",
    "objectives.achievement": "grado di raggiungimento as counted",
    "objectives.status": "achievement band id", "objectives.status_label": "achievement band",
    "objectives.measured": "value before the bands (attested or from the indicators)",
    "objectives.type": "type (strategico, operativo, ...)", "objectives.attested": "attested by the OIV",
    "objectives.note": "the OIV's note",
    "objectives.reported": ("reported, not counted: an objective of a body outside the Chamber's structure "
                            "(planning.bodies, e.g. a controlled company); its unit's achievement is reported, "
                            "it is not part of the Ente's performance"),
    "summary": "counts, totals, maggiorazioni, organisational performance; not_computed and notes "
               "say in words what the evaluation cannot compute and why",
}

_PATTERNS = {
    MONEY: r"^-?[0-9]+\.[0-9]{2}$",
    "decimal": r"^-?[0-9]+(\.[0-9]+)?$",
}


def _kind_schema(kind: str, description: str | None, nullable: bool = True) -> dict[str, Any]:
    ref = {"$ref": f"#/$defs/{kind}"}
    node: dict[str, Any] = {"anyOf": [ref, {"type": "null"}]} if nullable else dict(ref)
    if description:
        unit = KINDS[kind] if kind in (MONEY, POINTS, PERCENT, FRACTION) else None
        node["description"] = f"{description}; {unit}" if unit else description
    return node


def _object_schema(section: str, fields: Mapping[str, str], not_null: Iterable[str]) -> dict[str, Any]:
    """Every field present (``null`` when missing), except those in ``not_null``."""
    required = tuple(not_null)
    props: dict[str, Any] = {}
    for name, kind in fields.items():
        desc = DESCRIPTIONS.get(f"{section}.{name}")
        if name in MAPS and fields is PEOPLE:
            props[name] = {"type": "object", "description": desc,
                           "additionalProperties": _kind_schema(kind, None)}
        else:
            props[name] = _kind_schema(kind, desc, nullable=name not in required)
    return {"type": "object", "properties": props, "required": list(fields),
            "additionalProperties": False}


def build_schema() -> dict[str, Any]:
    """The JSON Schema of the results document, built from this module's tables.

    ``schema/results.schema.json`` is this output (``python -m smvp.results``);
    a test keeps the two equal.
    """
    defs: dict[str, Any] = {
        MONEY: {"type": "string", "pattern": _PATTERNS[MONEY], "description": KINDS[MONEY]},
        POINTS: {"type": "string", "pattern": _PATTERNS["decimal"], "description": KINDS[POINTS]},
        PERCENT: {"type": "string", "pattern": _PATTERNS["decimal"], "description": KINDS[PERCENT]},
        FRACTION: {"type": "string", "pattern": _PATTERNS["decimal"], "description": KINDS[FRACTION]},
        COUNT: {"type": "integer"},
        TEXT: {"type": "string"},
        FLAG: {"type": "boolean"},
        "exact": {"description": "any summary value: no floating-point numbers anywhere",
                  "anyOf": [{"type": ["string", "integer", "boolean", "null"]},
                            {"type": "array", "items": {"$ref": "#/$defs/exact"}},
                            {"type": "object", "additionalProperties": {"$ref": "#/$defs/exact"}}]},
    }
    summary_props: dict[str, Any] = {
        "chamber": {"type": "string"},
        "year": {"type": "integer"}, "people": {"type": "integer"}, "scored": {"type": "integer"},
        "negative": {"type": "integer", "description": "people with a negative evaluation"},
        "judgements": {"type": "object", "description": "people per judgement label",
                       "additionalProperties": {"type": "integer"}},
        "resources": _kind_schema(MONEY, "resources of all funds", nullable=False),
        "distributed": _kind_schema(MONEY, "paid out from all funds", nullable=False),
        "economies": _kind_schema(MONEY, "resources − distributed, all funds", nullable=False),
        "maggiorazioni": {"type": "array", "items": {
            "type": "object", "required": ["id", "amount_each", "resources", "distributed"],
            "properties": {
                "id": {"type": "string"}, "label": {"type": "string"},
                "population": {"type": "integer"}, "eligible": {"type": "integer"},
                "quota": {"type": "integer"}, "recipients": {"type": "integer"},
                "amount_each": _kind_schema(MONEY, "maggiorazione of each recipient", nullable=False),
                "reduced_pro_rata": {"type": "boolean"}, "tie_policy": {"type": "string"},
                "resource": {"type": "string"},
                "resources": _kind_schema(MONEY, "resources of the maggiorazione", nullable=False),
                "distributed": _kind_schema(MONEY, "paid out as maggiorazione", nullable=False),
            }, "additionalProperties": {"$ref": "#/$defs/exact"}}},
        "organisational": {"type": "array", "items": {
            "type": "object", "properties": {
                "achievement": _kind_schema(PERCENT, "achievement of the unit", nullable=False),
                "objectives": {"type": "integer"}},
            "additionalProperties": {"$ref": "#/$defs/exact"}}},
        "not_computed": {"type": "array", "items": {"type": "string"},
                         "description": "what the evaluation cannot compute, and why"},
        "notes": {"type": "array", "items": {"type": "string"}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://smvp.example/schema/results.schema.json",
        "title": "smvp evaluation results",
        "description": ("Output of `smvp evaluate --json` (and of --out results.json). "
                        "Money is euro as a decimal string with two decimals; points, percent and "
                        "fractions are exact decimal strings; counts are integers. See docs/results.md. "
                        "Generated by `python -m smvp.results`."),
        "type": "object",
        "required": list(SECTIONS),
        "additionalProperties": False,
        "properties": {
            "format_version": {"const": FORMAT_VERSION, "description": DESCRIPTIONS["format_version"]},
            "run": _object_schema("run", RUN, ("chamber", "year", "created_at", "profile_sha256",
                                               "dataset_sha256", "engine_version", "payout_state")),
            "people": {"type": "array", "items": _object_schema(
                "people", PEOPLE, ("person_id", "role", "role_label", "unit_id", "components", "reported"))},
            "funds": {"type": "array", "items": _object_schema(
                "funds", FUNDS, ("fund", "resources", "distributed", "economies", "people"))},
            "objectives": {"type": "array", "items": _object_schema(
                "objectives", OBJECTIVES, ("objective_id", "label", "level", "achievement",
                                           "attested"))},
            "summary": {"type": "object", "description": DESCRIPTIONS["summary"],
                        "required": ["people", "resources", "distributed", "economies",
                                     "not_computed", "notes"],
                        "properties": summary_props,
                        "additionalProperties": {"$ref": "#/$defs/exact"}},
        },
        "$defs": defs,
    }


def main() -> None:
    """Print the JSON Schema (``python -m smvp.results > schema/results.schema.json``)."""
    print(json.dumps(build_schema(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
