"""The building blocks of a person's trace (:mod:`smvp_engine.explain`): nodes and notes, the
profile positions and sources of rules (:class:`_Where`), formulas shown with their numbers,
exact decimal text, and what a trace reads of one evaluation (:class:`TraceContext`).
"""


from __future__ import annotations

import io
import tokenize
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from .columns import as_objects
from .exact import Q, decimal_from_units
from .profile import Profile, Source, original_path

CP = 100
MILLION = 1_000_000


def _dec(x: Fraction | int, places: int | None = None) -> str:
    """Exact decimal text of ``x``; with ``places`` fixed decimals (already exact), else as short as exact."""
    x = Fraction(x)
    if places is not None and (x * 10 ** places).denominator == 1:
        return str(decimal_from_units(int(x * 10 ** places), places))
    d = x.denominator
    k = 0
    while d % 2 == 0 or d % 5 == 0:
        d //= 2 if d % 2 == 0 else 5
        k += 1
    if d == 1:
        text = format(Decimal(x.numerator) / Decimal(x.denominator), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return format(Decimal(x.numerator) / Decimal(x.denominator), ".6f") + "…"  # not a terminating decimal


def _pts(cp: int) -> str:
    return str(decimal_from_units(int(cp), 2))


def _eur(cents: int) -> str:
    return str(decimal_from_units(int(cents), 2))


def _node(key: str, value: Any = None, unit: str | None = None, *, label: str | None = None,
          rule: dict | None = None, source: dict | None = None, inputs: list | None = None,
          calc: str | None = None, note: dict | None = None, children: list | None = None) -> dict:
    return {"key": key, "label": label, "value": value, "unit": unit, "rule": rule, "source": source,
            "inputs": inputs or [], "calc": calc, "note": note, "children": children or []}


def _note(nid: str, text: str, **params: Any) -> dict:
    """A remark on a node: ``id`` (for renderers), English ``text``, ``params``."""
    return {"id": nid, "text": text, "params": params}


def _in(name: str, value: Any, unit: str | None = None) -> dict:
    return {"name": name, "value": value, "unit": unit}


def walk(node: dict):
    """Every node of a trace, depth first."""
    yield node
    for c in node["children"]:
        yield from walk(c)


# ----------------------------------------------------------------------------- sources

class _Where:
    """Rule paths → positions in the profile text (through variants in force in the year)."""

    def __init__(self, profile: Profile, year: int):
        self.p = profile
        self.year = year
        self.docs = profile.data.get("documents") or {}

    def origin(self, *keys) -> tuple:
        return original_path(self.p.data, self.year, keys)

    def at(self, *keys) -> str:
        line, _ = self.p.loaded.position(self.origin(*keys), key=True)
        return f"{self.p.path}:{line}" if line else str(self.p.path)

    def source(self, src: Source | None, *keys) -> dict | None:
        """Document, title, section and where the rule is written; an inherited rule carries the
        ``layer`` it comes from (``national/italia``) and points at that layer's file."""
        if src is None:
            return None
        layer = self.p.layer_of(keys) if keys else None
        if layer and self.p.base is not None:
            base = self.p.base
            line, _ = base.loaded.position(tuple(keys), key=True)
            at: str | None = f"{base.path}:{line}" if line else str(base.path)
        else:
            at = self.at(*keys) if keys else None
        return {"document": src.document, "title": src.title or (self.docs.get(src.document) or {}).get("title"),
                "section": src.section, "at": at, "layer": layer}

    def rule(self, rid: str, text: str, *keys, **params) -> dict:
        return {"id": rid, "path": ".".join(str(k) for k in self.origin(*keys)) if keys else None,
                "text": text, "params": {k: _plainp(v) for k, v in params.items()}}


def _plainp(v: Any) -> Any:
    if isinstance(v, Fraction):
        return _dec(v)
    if isinstance(v, (list, tuple)):
        return [_plainp(x) for x in v]
    return v


# ----------------------------------------------------------------------------- formulas shown with numbers

def _substitute(expr: str, values: dict[str, str]) -> str:
    """``minimum(1, presence_days * part_time / 250)`` with the names replaced by their values."""
    try:
        out, last = [], (1, 0)
        lines = expr.splitlines() or [""]
        for tok in tokenize.generate_tokens(io.StringIO(expr).readline):
            if tok.type == tokenize.ENDMARKER:
                break
            (sr, sc), (er, ec) = tok.start, tok.end
            if sr != last[0]:
                last = (sr, 0)
            out.append(lines[sr - 1][last[1]:sc] if sr - 1 < len(lines) else "")
            out.append(values.get(tok.string, tok.string) if tok.type == tokenize.NAME else tok.string)
            last = (er, ec)
        return "".join(out).replace("*", "×").strip()
    except (tokenize.TokenError, IndentationError):
        return expr


# ----------------------------------------------------------------------------- the trace

POINTS = {"total", "results", "behaviour"}


def _with_result(expr: str, values: dict[str, str], result: str) -> str:
    """``formula = formula with numbers = result`` (without repeating what is already shown)."""
    sub = _substitute(expr, values)
    parts = [expr.replace("*", "×")] if values else []
    if sub not in parts:
        parts.append(sub)
    if result not in parts:
        parts.append(result)
    return " = ".join(parts)


def _names_in(expr: str) -> set[str]:
    try:
        return {t.string for t in tokenize.generate_tokens(io.StringIO(expr).readline) if t.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError):
        return set()


class TraceContext:
    """What a trace reads of one evaluation: its rules, dataset, stage results, the profile's
    positions (:class:`_Where`) and the quantities formulas use (:meth:`names`)."""

    def __init__(self, ev: Any):
        self.ev = ev
        self.rules = ev.rules
        self.ds = ev.dataset
        self.where = _Where(ev.profile, ev.year)
        self.staff = self.ds.table("staff")
        self.ids = [str(x) for x in as_objects(self.staff["person_id"])]
        self.org = ev.organisational
        self.ind = ev.individual
        self.pay = ev.payout
        self.scale = self.org.scale
        self.ach_digits = len(str(self.scale)) - 1
        self.mode = self.rules.points_rounding
        self.money_mode = self.rules.money_rounding

    def pct(self, units: int) -> str:
        return str(decimal_from_units(int(units), self.ach_digits))

    def effective_days(self) -> tuple[np.ndarray, dict[int, list[tuple[str, int, bool]]]]:
        """Presence + neutral absence days per person (hundredths), and each person's absences."""
        days = np.asarray(self.staff["presence_days"], dtype=np.int64).copy()
        ab = self.ds.table("absences")
        per: dict[int, list[tuple[str, int, bool]]] = {}
        if len(ab):
            index = {p: i for i, p in enumerate(self.ids)}
            for pid, typ, d in zip(as_objects(ab["person_id"]), as_objects(ab["type"]), ab["days"]):
                i = index.get(str(pid))
                at = self.rules.absence_types.get(typ)
                if i is None or at is None:
                    continue
                per.setdefault(i, []).append((typ, int(d), at.neutral))
                if at.neutral:
                    days[i] += int(d)
        return days, per

    def names(self) -> dict[str, Q]:
        """The quantities formulas use, one value per staff row (as the payout stage binds them)."""
        days, _ = self.effective_days()
        ind = self.ind
        return {
            "total": Q(ind.total, CP), "results": Q(ind.results, CP), "behaviour": Q(ind.behaviour, CP),
            "presence_days": Q.scaled(days, 100),
            "part_time": Q.scaled(np.asarray(self.staff["part_time"], dtype=np.int64), MILLION),
            "time_coefficient": Q.scaled(np.asarray(self.staff["time_coefficient"], dtype=np.int64), MILLION),
            "premium": Q(self.pay.premium, 100), "theoretical": Q(self.pay.theoretical, 100),
            "payout_factor": self.pay.factor, "coefficient": self.pay.coefficient,
            "tie_breaker": Q(np.asarray(self.staff["tie_breaker"], dtype=np.int64), CP),
        }
