"""A request FastAPI could not read (``RequestValidationError``), answered in the caller's
language with the service's error shape (docs/api.md, "Errors"), instead of pydantic's English.

Status 422. The body: ``detail``, ``id`` and ``fields`` of the one problem — or, when there
are several, ``richiesta non valida: N problemi`` with ``id`` ``api.invalid`` and ``fields``
``{"n": N}`` —, ``errors`` (each problem's sentence, as the other 422 answers) and
``problems`` (each problem as ``detail``, ``id`` and ``fields``:
``where`` — body, query, path, header, cookie —, ``field`` — the dotted path inside it —,
``loc`` — FastAPI's location list —, ``type`` — pydantic's error type —, ``found`` — the
value given, as JSON text — and ``limits`` — the bounds or choices expected, when the type has
them —, and ``at``, the character where a body stops being JSON: the same in every language). A sentence reads ``campo colour del corpo JSON: campo non previsto (trovato
"red")``: where, which field, what is wrong, what was expected and what was found — the same
facts in every language. Pydantic's own message is never shown: a type this module does not
know is said as "valore non valido" with pydantic's type id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from smvp.i18n import t

#: pydantic's error type → the catalogue id of what was wrong (``api.invalid.<key>``) and of
#: what was expected (``api.expected.<key>``, formatted with the error's ``ctx``; None: nothing)
TYPES: dict[str, tuple[str, str | None]] = {
    "missing": ("missing", None),
    "extra_forbidden": ("extra", None),
    "json_invalid": ("json", "json"),
    "model_attributes_type": ("value", "object"), "model_type": ("value", "object"),
    "dict_type": ("value", "object"),
    "list_type": ("value", "list"),
    "string_type": ("value", "text"),
    "int_type": ("value", "integer"), "int_parsing": ("value", "integer"),
    "int_from_float": ("value", "integer"),
    "float_type": ("value", "number"), "float_parsing": ("value", "number"),
    "decimal_type": ("value", "number"), "decimal_parsing": ("value", "number"),
    "bool_type": ("value", "bool"), "bool_parsing": ("value", "bool"),
    "date_type": ("value", "date"), "date_parsing": ("value", "date"),
    "date_from_datetime_parsing": ("value", "date"), "date_from_datetime_inexact": ("value", "date"),
    "datetime_type": ("value", "datetime"), "datetime_parsing": ("value", "datetime"),
    "datetime_from_date_parsing": ("value", "datetime"),
    "literal_error": ("value", "one_of"), "enum": ("value", "one_of"),
    "string_too_short": ("short", "min_length"), "string_too_long": ("long", "max_length"),
    "too_short": ("short", "min_items"), "too_long": ("long", "max_items"),
    "greater_than": ("range", "gt"), "greater_than_equal": ("range", "ge"),
    "less_than": ("range", "lt"), "less_than_equal": ("range", "le"),
    "finite_number": ("value", "finite"),
}
PLACES = ("body", "query", "path", "header", "cookie")
#: the facts of pydantic's ``ctx`` an answer repeats in ``fields.limits`` (not its English ``error``)
LIMITS = ("min_length", "max_length", "gt", "ge", "lt", "le", "expected")


def _found(value: Any) -> str:
    """What the request gave, as JSON text (at most 80 characters)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _ctx(error: Mapping[str, Any]) -> dict[str, Any]:
    """The error's facts (pydantic's ``ctx``) as plain values; the choices of a literal or enum
    (pydantic writes ``'it' or 'en'``, in English) as a list ``it, en``."""
    ctx = {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in (error.get("ctx") or {}).items()}
    listed = ctx.get("expected")
    if error.get("type") in ("literal_error", "enum") and isinstance(listed, str):
        choices = [c.strip().strip("'\"") for c in re.split(r",\s*|\s+or\s+", listed)]
        ctx["expected"] = ", ".join(c for c in choices if c)
    return ctx


def described(error: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """One of FastAPI's validation errors as its facts, in ``lang`` where they are words:
    ``where`` (body, query, path, header, cookie, or ""), ``field`` (the dotted path inside it),
    ``loc``, ``type`` (pydantic's), ``what`` (the key of what is wrong: ``api.invalid.<what>``),
    ``problem`` (what is wrong, said), ``expected`` (what was expected, said; None: nothing to
    say), ``found`` (the value given, as JSON text; None when missing), ``at`` (where a body
    stops being JSON, else None), ``limits`` (the bounds or choices expected). The JSON answer
    (:func:`problem`) and the pages' error page (``smvp.service.web.errors``) say these."""
    loc = [str(x) if not isinstance(x, int) else x for x in error.get("loc", ())]
    where = loc[0] if loc and loc[0] in PLACES else ""
    path = ".".join(str(x) for x in (loc[1:] if where else loc))
    kind = str(error.get("type") or "")
    what, expected_key = TYPES.get(kind, ("value", None))
    ctx = _ctx(error)
    expected = t(f"api.expected.{expected_key}", lang, **ctx) if expected_key else None
    found = None if kind in ("missing", "json_invalid") else _found(error.get("input"))
    at = None
    if kind == "json_invalid":  # loc is (body, character offset); pydantic's reason is English
        at, path = (loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None), ""
    return {"where": where, "field": path, "loc": loc, "type": kind, "what": what,
            "problem": t(f"api.invalid.{what}", lang, type=kind), "expected": expected,
            "found": found, "at": at, "limits": {k: v for k, v in ctx.items() if k in LIMITS}}


def problem(error: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """One of FastAPI's validation errors as ``detail``, ``id`` and ``fields`` in ``lang``."""
    d = described(error, lang)
    where, path, expected, found, at, limits = (d["where"], d["field"], d["expected"], d["found"],
                                                d["at"], d["limits"])
    place = (t(f"api.invalid.field_in_{where or 'body'}", lang, field=path) if path
             else t(f"api.invalid.whole_{where or 'body'}", lang))
    detail = f"{place}: {d['problem']}"
    facts = ([t("err_expected", lang, x=expected)] if expected else []) + \
        ([t("err_found", lang, x=found)] if found is not None else []) + \
        ([t("api.invalid.json_at", lang, at=at)] if at is not None else [])
    if facts:
        detail += " (" + ", ".join(facts) + ")"
    return {"detail": detail, "id": f"api.invalid.{d['what']}",
            "fields": {"where": where, "field": path, "loc": d["loc"], "type": d["type"], "found": found,
                       **({"at": at} if at is not None else {}), **({"limits": limits} if limits else {})}}


def body(errors: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """The 422 answer's body for FastAPI's ``errors`` in ``lang`` (the module's docstring)."""
    problems = [problem(e, lang) for e in errors]
    head = dict(problems[0]) if len(problems) == 1 else {
        "detail": t("api.invalid", lang, n=len(problems)), "id": "api.invalid", "fields": {"n": len(problems)}}
    return {**head, "errors": [p["detail"] for p in problems], "problems": problems}
