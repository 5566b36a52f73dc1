"""Explicit intervals: ``"[0, 60]"``, ``"(60, 90]"``, ``"(90, 100]"``, ``"[80, inf)"``.

A square bracket is a closed end, a round bracket an open end. Every band,
threshold and curve of a profile is a list of these; :func:`partition_problems`
rejects overlaps and gaps so that every value of the domain falls in exactly
one interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from .errors import Msg
from .exact import Q

_RE = re.compile(r"^\s*([\[\(])\s*(-?[0-9]+(?:\.[0-9]+)?)\s*,\s*(-?[0-9]+(?:\.[0-9]+)?|inf)\s*([\]\)])\s*$")


@dataclass(frozen=True)
class Interval:
    """An interval of exact numbers. ``hi`` is None for +infinity."""

    lo: Fraction
    hi: Fraction | None
    lo_closed: bool
    hi_closed: bool
    text: str

    @classmethod
    def parse(cls, text: str) -> "Interval":
        """Parse interval notation.

        Raises:
            ValueError: when the text is not an interval, or is empty/reversed.
        """
        m = _RE.match(text)
        if not m:
            raise ValueError(Msg("{text!r} is not an interval; write e.g. \"[0, 60]\" or \"(60, 90]\"", text=text))
        lb, lo, hi, rb = m.groups()
        lo_f = Fraction(Decimal(lo))
        hi_f = None if hi == "inf" else Fraction(Decimal(hi))
        if hi_f is None and rb == "]":
            raise ValueError(Msg("{text!r}: an infinite end must be open: write 'inf)'", text=text))
        if hi_f is not None and (hi_f < lo_f or (hi_f == lo_f and not (lb == "[" and rb == "]"))):
            raise ValueError(Msg("{text!r} is empty: its lower end is not below its upper end", text=text))
        return cls(lo_f, hi_f, lb == "[", rb == "]", text.strip())

    def contains(self, x: Fraction) -> bool:
        if x < self.lo or (x == self.lo and not self.lo_closed):
            return False
        if self.hi is None:
            return True
        return x < self.hi or (x == self.hi and self.hi_closed)

    def mask(self, q: Q) -> np.ndarray:
        """Boolean column: which values of ``q`` lie in the interval (exact)."""
        m = (q >= self.lo) if self.lo_closed else (q > self.lo)
        if self.hi is not None:
            m = m & ((q <= self.hi) if self.hi_closed else (q < self.hi))
        return m

    def __str__(self) -> str:
        return self.text


def _fmt(x: Fraction | None) -> str:
    if x is None:
        return "inf"
    if x.denominator == 1:
        return str(x.numerator)
    return str(Decimal(x.numerator) / Decimal(x.denominator))


def partition_problems(intervals: list[Interval], domain: tuple[Fraction, Fraction | None]) -> list[tuple[str, int | None, int | None]]:
    """Check that ``intervals`` cover ``domain`` exactly once.

    Args:
        intervals: in profile order.
        domain: (low, high) closed ends of the values that must be covered
            (high None = unbounded).
    Returns:
        list of (message, index_a, index_b): overlaps name both intervals, gaps
        name the neighbours. Empty when the intervals partition the domain.
    """
    problems: list[tuple[str, int | None, int | None]] = []
    order = sorted(range(len(intervals)), key=lambda i: (intervals[i].lo, not intervals[i].lo_closed))
    def ends_after(x: Interval, y: Interval) -> bool:  # x reaches further right than y
        if x.hi is None or y.hi is None:
            return y.hi is not None
        return x.hi > y.hi or (x.hi == y.hi and x.hi_closed and not y.hi_closed)

    if not order:
        return problems
    reach = order[0]  # the interval reaching furthest so far
    for b in order[1:]:
        a = reach
        A, B = intervals[a], intervals[b]
        if A.hi is None or B.lo < A.hi or (B.lo == A.hi and A.hi_closed and B.lo_closed):
            both = Msg(" (both contain {x})", x=_fmt(B.lo)) if A.hi is not None and B.lo == A.hi else ""
            problems.append((Msg("intervals {A} and {B} overlap{both}", A=str(A), B=str(B), both=both), a, b))
        elif B.lo > A.hi or (B.lo == A.hi and not A.hi_closed and not B.lo_closed):
            if B.lo > A.hi:
                gap = f"{'(' if A.hi_closed else '['}{_fmt(A.hi)}, {_fmt(B.lo)}{')' if B.lo_closed else ']'}"
            else:
                gap = Msg("the point {x}", x=_fmt(B.lo))
            problems.append((Msg("gap between {A} and {B}: values in {gap} fall in no interval",
                                 A=str(A), B=str(B), gap=gap), a, b))
        if ends_after(B, A):
            reach = b
    first, last = intervals[order[0]], intervals[reach]
    lo, hi = domain
    if first.lo > lo or (first.lo == lo and not first.lo_closed):
        problems.append((f"values from {_fmt(lo)} up to {first} fall in no interval", order[0], None))
    if hi is not None and last.hi is not None and (last.hi < hi or (last.hi == hi and not last.hi_closed)):
        problems.append((f"values above {last} up to {_fmt(hi)} fall in no interval", reach, None))
    return problems
