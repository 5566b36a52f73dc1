"""Exact rational columns: the arithmetic under every point and every euro.

A :class:`Q` is a column of rationals ``num / den`` held as numpy int64 arrays
(``den`` > 0, either one value for the whole column or one per row). All
operations are exact and vectorised. When an int64 product could overflow,
the operands are first reduced by their gcd and, if that is not enough, the
operation falls back to Python integers in an object array: slower, never
wrong. Floats never enter.

Units used by the engine (docs/design.md):
- points as centipoints (1/100 point), achievement as basis points
  (1/100 percent), money as cents; fractions of 1 as millionths.

Rounding modes (declared in profiles):
- ``half_up``: half away from zero ("arrotondamento commerciale"), 0.005 → 0.01.
- ``down``: towards zero (for amounts that must not exceed a resource).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np

_LIMIT = 1 << 62  # products are kept below this in int64

Number = int | Fraction | Decimal
ROUNDING_MODES = ("half_up", "down")


def _as_array(x) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == object:
        return a
    if a.dtype.kind == "b":
        return a.astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"exact columns need integers, got dtype {a.dtype}")
    if a.dtype == np.uint64 and a.size and int(a.max()) > _INT64_MAX:  # e.g. a Python int in [2**63, 2**64)
        return _to_object(a)
    return a.astype(np.int64, copy=False)


def _maxabs(a: np.ndarray) -> int:
    if a.size == 0:
        return 0
    if a.dtype == object:
        return max(abs(int(v)) for v in a.ravel())
    return int(max(abs(int(a.max())), abs(int(a.min()))))


def _to_object(a: np.ndarray) -> np.ndarray:
    if a.dtype == object:
        return a
    out = np.empty(a.shape, dtype=object)
    out[...] = [int(v) for v in a.ravel()] if a.ndim else int(a)
    return out


def _mul(a: np.ndarray, b: np.ndarray, ab: int | None = None, bb: int | None = None) -> tuple[np.ndarray, int]:
    """Exact elementwise product and a bound of its absolute values; int64 when the bounds
    of the operands (``ab``, ``bb``: computed when not given) prove it fits, else Python ints."""
    if b.ndim == 0 and a.ndim and b.dtype != object and int(b) == 1:  # × 1: the other operand as is
        return a, _maxabs(a) if ab is None else ab
    if a.ndim == 0 and b.ndim and a.dtype != object and int(a) == 1:
        return b, _maxabs(b) if bb is None else bb
    ab = _maxabs(a) if ab is None else ab
    bb = _maxabs(b) if bb is None else bb
    if a.dtype != object and b.dtype != object and ab * bb < _LIMIT:
        return a * b, ab * bb
    return np.asarray(_to_object(a) * _to_object(b), dtype=object), ab * bb


def _add(a: np.ndarray, b: np.ndarray, ab: int | None = None, bb: int | None = None) -> tuple[np.ndarray, int]:
    ab = _maxabs(a) if ab is None else ab
    bb = _maxabs(b) if bb is None else bb
    if a.dtype != object and b.dtype != object and ab + bb < _LIMIT:
        return a + b, ab + bb
    return np.asarray(_to_object(a) + _to_object(b), dtype=object), ab + bb


def _shrink(a: np.ndarray) -> np.ndarray:
    """Return to int64 when an object array's values fit again."""
    if a.dtype == object and _maxabs(a) < _LIMIT:
        return a.astype(np.int64)
    return a


_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq"}
_OPS = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal, "eq": np.equal}


def _compare_threshold(num: np.ndarray, d: int, p: int, q: int, op: str) -> np.ndarray:
    """``num / d  op  p / q`` for integer ``num`` and ``d, q > 0``: one comparison of ``num``
    against an integer threshold (``x < t ⟺ x < ceil(t)``, ``x ≤ t ⟺ x ≤ floor(t)``…)."""
    t = p * d
    if op == "eq":
        if t % q:
            return np.zeros(num.shape, dtype=bool)
        bound = t // q
    elif op in ("lt", "ge"):
        bound = -((-t) // q)  # ceil
    else:
        bound = t // q  # floor
    if num.dtype != object and not _INT64_MIN <= bound <= _INT64_MAX:
        above = bound > _INT64_MAX  # every int64 is below the threshold
        value = {"lt": above, "le": above, "gt": not above, "ge": not above, "eq": False}[op]
        return np.full(num.shape, value, dtype=bool)
    return np.asarray(_OPS[op](num, bound if num.dtype == object else np.int64(bound)), dtype=bool)


_GCD_BLOCK = 1 << 16  # numerators per block of a column's gcd


class Q:
    """A column (or scalar) of exact rationals ``num / den``.

    Args:
        num: integer array-like (any shape) or int.
        den: positive integer array-like broadcastable to ``num``, or int.

    Raises:
        ZeroDivisionError: when a denominator is zero.

    A Q does not copy its arrays: they must not be changed while the Q is in
    use (it remembers bounds of their absolute values, to prove products fit
    in int64 without looking at every value again).
    """

    __slots__ = ("num", "den", "_nb", "_db")
    __array_priority__ = 1000  # numpy defers to Q's reflected operators

    def __init__(self, num, den=1):
        num = _as_array(num)
        den = _as_array(den)
        if den.size and (den == 0).any():
            raise ZeroDivisionError("rational with a zero denominator")
        if den.size and (den < 0).any():
            num, den = np.where(den < 0, -num, num), np.abs(den)
        self.num = num
        self.den = den
        self._nb = None
        self._db = None

    @classmethod
    def _make(cls, num: np.ndarray, den: np.ndarray, nb: int | None = None, db: int | None = None) -> "Q":
        """A Q from arrays already checked (``den`` > 0), with known bounds (None: unknown)."""
        q = cls.__new__(cls)
        q.num, q.den, q._nb, q._db = num, den, nb, db
        return q

    @property
    def _nbound(self) -> int:
        """An upper bound of ``|num|`` (exact once looked at)."""
        if self._nb is None:
            self._nb = _maxabs(self.num)
        return self._nb

    @property
    def _dbound(self) -> int:
        if self._db is None:
            self._db = _maxabs(self.den)
        return self._db

    def _exact_bounds(self) -> "Q":
        """Replace carried bounds by the exact maxima (when a carried bound is too large to decide)."""
        self._nb, self._db = _maxabs(self.num), _maxabs(self.den)
        return self

    # -- construction -------------------------------------------------
    @classmethod
    def of(cls, x) -> "Q":
        """Coerce an int, Fraction, Decimal, bool array or Q into a Q."""
        if isinstance(x, Q):
            return x
        if isinstance(x, bool):
            return cls(int(x))
        if isinstance(x, int):
            return cls(x)
        if isinstance(x, Decimal):
            x = Fraction(x)
        if isinstance(x, Fraction):
            return cls(x.numerator, x.denominator)
        if isinstance(x, float):
            raise TypeError("floats are not exact: use Decimal or Fraction")
        if isinstance(x, np.ndarray):
            return cls(x)
        raise TypeError(f"cannot make an exact number of {type(x).__name__}")

    @classmethod
    def scaled(cls, ints, scale: int) -> "Q":
        """Column of ``ints / scale`` (e.g. cents with scale 100), reduced."""
        return cls(ints, scale).reduced()

    # -- shape ---------------------------------------------------------
    @property
    def shape(self):
        return np.broadcast_shapes(self.num.shape, self.den.shape)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 1

    def __getitem__(self, idx) -> "Q":
        num = np.broadcast_to(self.num, self.shape)[idx] if self.num.ndim else self.num
        den = np.broadcast_to(self.den, self.shape)[idx] if self.den.ndim else self.den
        return Q._make(num, den, self._nb, self._db)  # a part's bounds are the whole's

    def broadcast(self, n: int) -> "Q":
        """This value repeated to ``n`` rows (when it is a scalar)."""
        if self.shape == ():
            return Q._make(np.full(n, int(self.num), dtype=np.int64) if self.num.dtype != object
                           else np.array([self.num.item()] * n, dtype=object), self.den, self._nb, self._db)
        return self

    def reduced(self) -> "Q":
        """Divide numerator and denominator by their gcd (scalar denominators only).

        The gcd of the denominator and the first block of numerators is a candidate that most
        columns bring to 1 at once; otherwise (e.g. part-time shares in millionths, all multiples
        of 100) the column is divided by it and the quotients checked to give the column back
        (the division is the one the reduction needs; a product and a comparison check it). A
        column the candidate does not divide goes on block by block, as gcd does."""
        if self.den.ndim == 0 and self.num.dtype != object and self.den.dtype != object:
            flat = self.num.ravel()
            g = math.gcd(int(self.den), int(np.gcd.reduce(flat[:_GCD_BLOCK])) if flat.size else 0)
            if g > 1 and flat.size > _GCD_BLOCK:
                q = self.num // g
                if np.array_equal(q * g, self.num):  # every value a multiple of g
                    return Q._make(q, self.den // g, None if self._nb is None else self._nb // g,
                                   None if self._db is None else self._db // g)
                rest = flat[_GCD_BLOCK:]
                for start in range(0, rest.size, _GCD_BLOCK):
                    if g == 1:
                        break
                    g = math.gcd(g, int(np.gcd.reduce(rest[start:start + _GCD_BLOCK])))
            if g > 1:
                return Q._make(self.num // g, self.den // g,
                               None if self._nb is None else self._nb // g, None if self._db is None else self._db // g)
        return self

    def _elementwise_reduced(self) -> "Q":
        if self.num.dtype == object or self.den.dtype == object:
            return self
        g = np.gcd(self.num, self.den)
        g = np.where(g == 0, 1, g)
        return Q._make(self.num // g, self.den // g, self._nb, self._db)

    # -- arithmetic ----------------------------------------------------
    def __add__(self, other) -> "Q":
        o = Q.of(other)
        if self.den.ndim == 0 and o.den.ndim == 0 and int(self.den) == int(o.den):
            num, nb = _add(self.num, o.num, self._nbound, o._nbound)
            return Q._make(num, self.den, nb, self._db)
        a, b = self.reduced(), o.reduced()
        n1, b1 = _mul(a.num, b.den, a._nbound, b._dbound)
        n2, b2 = _mul(b.num, a.den, b._nbound, a._dbound)
        num, nb = _add(n1, n2, b1, b2)
        den, db = _mul(a.den, b.den, a._dbound, b._dbound)
        return Q._make(num, den, nb, db)._settle()

    __radd__ = __add__

    def __neg__(self) -> "Q":
        return Q._make(-self.num, self.den, self._nb, self._db)

    def __sub__(self, other) -> "Q":
        return self + (-Q.of(other))

    def __rsub__(self, other) -> "Q":
        return Q.of(other) + (-self)

    def __mul__(self, other) -> "Q":
        o = Q.of(other)
        a, b = self, o
        if a._nbound * b._nbound >= _LIMIT or a._dbound * b._dbound >= _LIMIT:
            a, b = a.reduced(), b.reduced()
            # cross-reduce scalar denominators against the other numerator
            a, b = _cross_reduce(a, b)
        num, nb = _mul(a.num, b.num, a._nbound, b._nbound)
        den, db = _mul(a.den, b.den, a._dbound, b._dbound)
        return Q._make(num, den, nb, db)._settle()

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Q":
        o = Q.of(other)
        if o.num.size and (o.num == 0).any():
            raise ZeroDivisionError("division by zero in a formula")
        inv = Q(o.den, o.num)  # the sign moves to the numerator
        inv._nb, inv._db = o._db, o._nb
        return self * inv

    def __rtruediv__(self, other) -> "Q":
        return Q.of(other) / self

    def _settle(self) -> "Q":
        if self.num.dtype == object or self.den.dtype == object:
            q = self
            if self.den.ndim == 0:
                from math import gcd

                g = 0
                for v in np.asarray(self.num).ravel():
                    g = gcd(g, int(v))
                g = gcd(g, int(self.den))
                if g > 1:
                    num = self.num if g < _LIMIT else _to_object(self.num)
                    q = Q._make(_as_array(num // g), _as_array(self.den // g))
            return Q._make(_shrink(q.num), _shrink(q.den))
        big = 1 << 40
        if (self._dbound >= big or self._nbound >= big) and (
                _maxabs(self.den) >= big or _maxabs(self.num) >= big):
            r = self._exact_bounds().reduced() if self.den.ndim == 0 else self._elementwise_reduced()
            return r
        return self

    # -- comparison (elementwise, exact) ------------------------------
    def _compare(self, other, op: str) -> np.ndarray:
        o = Q.of(other)
        if self.den.ndim == 0 and o.shape == () and self.den.dtype != object and o.den.dtype != object:
            return _compare_threshold(self.num, int(self.den), int(o.num), int(o.den), op)
        if o.den.ndim == 0 and self.shape == () and o.den.dtype != object and self.den.dtype != object:
            return _compare_threshold(o.num, int(o.den), int(self.num), int(self.den), _FLIP[op])
        if self.den.ndim == 0 and o.den.ndim == 0 and int(self.den) == int(o.den):
            a, b = self.num, o.num
        else:
            a, _ = _mul(self.num, o.den, self._nbound, o._dbound)
            b, _ = _mul(o.num, self.den, o._nbound, self._dbound)
        return np.asarray(_OPS[op](a, b), dtype=bool)

    def __lt__(self, other):
        return self._compare(other, "lt")

    def __le__(self, other):
        return self._compare(other, "le")

    def __gt__(self, other):
        return self._compare(other, "gt")

    def __ge__(self, other):
        return self._compare(other, "ge")

    def eq(self, other):
        return self._compare(other, "eq")

    __hash__ = None  # type: ignore[assignment]

    # -- conversion ----------------------------------------------------
    def to_units(self, scale: int, rounding: str = "half_up") -> np.ndarray:
        """Integer count of ``1/scale`` units, rounded by ``rounding``.

        Example: euro amounts ``.to_units(100)`` gives cents.

        Returns:
            int64 array (or object array of Python ints if out of int64 range).
        Raises:
            ValueError: for an unknown rounding mode.
        """
        if rounding not in ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {rounding!r}; expected one of {ROUNDING_MODES}")
        num, d = self.num, self.den
        scale = int(scale)
        if (num.dtype != object and d.dtype != object and 0 < scale
                and self._nbound * scale * 2 + self._dbound < _LIMIT and self._dbound * 2 < _LIMIT
                and (num.size == 0 or int(num.min()) >= 0)):
            # non-negative and provably inside int64: no sign pass
            if rounding == "half_up":  # floor((2n + d) / 2d): .5 goes up
                out = num * (2 * scale) + d
                return np.floor_divide(out, 2 * d, out=out) if out.ndim else np.asarray(out // (2 * d))
            return np.asarray((num * scale) // d)
        n, nb = _mul(num, _as_array(scale), self._nbound, abs(scale))
        sign = np.where(n < 0, -1, 1)
        an = n * sign
        if rounding == "half_up":
            # floor((2|n| + d) / 2d): .5 goes away from zero
            twice, tb = _mul(an, _as_array(2), nb, 2)
            top, _ = _add(twice, d, tb, self._dbound)
            out = top // _mul(d, _as_array(2), self._dbound, 2)[0]
        else:
            out = an // d
        return _shrink(np.asarray(out * sign))

    def fractions(self) -> list[Fraction]:
        """The values as Python Fractions (for reports and tests; not for bulk work)."""
        num = np.broadcast_to(self.num, self.shape).ravel() if self.shape else [self.num.item()]
        den = np.broadcast_to(self.den, self.shape).ravel() if self.shape else [self.den.item()]
        return [Fraction(int(n), int(d)) for n, d in zip(num, den)]

    def scalar(self) -> Fraction:
        """The single value of a scalar Q."""
        if self.shape != ():
            raise ValueError("not a scalar")
        return Fraction(int(self.num), int(self.den))

    def __repr__(self) -> str:
        vals = self.fractions()
        head = ", ".join(str(v) for v in vals[:6])
        more = ", …" if len(vals) > 6 else ""
        return f"Q([{head}{more}])" if self.shape else f"Q({vals[0]})"


def _cross_reduce(a: Q, b: Q) -> tuple[Q, Q]:
    """Cancel common factors between a scalar denominator and the other numerator."""
    if b.den.ndim == 0 and a.num.dtype != object and a.num.size and b.den.dtype != object:
        g = int(np.gcd(int(np.gcd.reduce(a.num.ravel())), int(b.den)))
        if g > 1:
            a, b = Q._make(a.num // g, a.den, a._nbound // g, a._db), Q._make(b.num, b.den // g, b._nb, b._dbound // g)
    if a.den.ndim == 0 and b.num.dtype != object and b.num.size and a.den.dtype != object:
        g = int(np.gcd(int(np.gcd.reduce(b.num.ravel())), int(a.den)))
        if g > 1:
            a, b = Q._make(a.num, a.den // g, a._nb, a._dbound // g), Q._make(b.num // g, b.den, b._nbound // g, b._db)
    return a, b


# -- vectorised helpers exposed to formulas ------------------------------

def where(cond, a, b) -> Q:
    """Rows of ``a`` where ``cond`` holds, else rows of ``b`` (exact)."""
    a, b = Q.of(a), Q.of(b)
    cond = np.asarray(cond, dtype=bool)
    if a.den.ndim == 0 and b.den.ndim == 0 and int(a.den) == int(b.den):
        return Q._make(np.where(cond, a.num, b.num), a.den, max(a._nbound, b._nbound), a._db)
    n1, b1 = _mul(a.num, b.den, a._nbound, b._dbound)
    n2, b2 = _mul(b.num, a.den, b._nbound, a._dbound)
    den, db = _mul(a.den, b.den, a._dbound, b._dbound)
    return Q._make(np.where(cond, n1, n2), den, max(b1, b2), db)._settle()


def piecewise(conds: list, values: list, default=0) -> Q:
    """Per row the value of the *last* condition that holds, else ``default``: exactly
    ``where(conds[-1], values[-1], … where(conds[0], values[0], default))``, done as one
    selection over a common denominator when every value has a scalar denominator."""
    vals = [Q.of(v) for v in values] + [Q.of(default)]
    if conds and all(v.den.ndim == 0 and v.den.dtype != object and v.num.dtype != object for v in vals):
        common = int(np.lcm.reduce(np.array([int(v.den) for v in vals], dtype=np.int64)))
        steps = [common // int(v.den) for v in vals]
        if 0 < common < _LIMIT and all(v._nbound * k < _LIMIT for v, k in zip(vals, steps)):
            nums = [_mul(v.num, np.asarray(k, dtype=np.int64), v._nbound, k)[0] for v, k in zip(vals, steps)]
            shape = np.broadcast_shapes(*(np.shape(c) for c in conds), *(np.shape(x) for x in nums))
            num = np.empty(shape, dtype=np.int64)
            num[...] = nums[-1]
            for c, x in zip(conds, nums):  # in order: a later condition overwrites
                np.copyto(num, x, where=np.asarray(c, dtype=bool))
            bound = max(v._nbound * k for v, k in zip(vals, steps))
            return Q._make(np.asarray(num, dtype=np.int64), np.asarray(common, dtype=np.int64), bound)._settle()
    out = vals[-1]
    for c, v in zip(conds, vals):
        out = where(c, v, out)
    return out


def minimum(a, b) -> Q:
    """Elementwise minimum (exact)."""
    a, b = Q.of(a), Q.of(b)
    return where(a <= b, a, b)


def maximum(a, b) -> Q:
    """Elementwise maximum (exact)."""
    a, b = Q.of(a), Q.of(b)
    return where(a >= b, a, b)


def total(x) -> Q:
    """Sum of a column, as a scalar Q (exact)."""
    x = Q.of(x)
    if x.shape == ():
        return x
    if x.den.ndim == 0:
        s = x.num.sum() if x.num.dtype != object else sum(int(v) for v in x.num)
        if x.num.dtype != object and x._nbound * max(len(x.num), 1) >= _LIMIT \
                and _maxabs(x.num) * max(len(x.num), 1) >= _LIMIT:
            s = sum(int(v) for v in x.num)
        return Q(int(s), x.den).reduced()
    acc = Fraction(0)
    dens = np.broadcast_to(x.den, x.shape)
    nums = np.broadcast_to(x.num, x.shape)
    for d in np.unique(dens):
        m = dens == d
        acc += Fraction(sum(int(v) for v in nums[m]) if nums.dtype == object else int(nums[m].sum()), int(d))
    return Q.of(acc)


def mean(x) -> Q:
    """Arithmetic mean of a column, as a scalar Q (exact).

    Raises:
        ZeroDivisionError: on an empty column.
    """
    x = Q.of(x)
    n = len(x) if x.shape else 1
    if n == 0:
        raise ZeroDivisionError("mean of an empty population")
    return total(x) / n


def count(mask) -> Q:
    """Number of rows where ``mask`` is true."""
    return Q(int(np.count_nonzero(np.asarray(mask, dtype=bool))))


def round_fraction(value: Fraction, scale: int, rounding: str = "half_up") -> int:
    """Round one exact value to an integer count of ``1/scale`` units."""
    n = value.numerator * scale
    d = value.denominator
    sign = -1 if n < 0 else 1
    n = abs(n)
    if rounding == "half_up":
        return sign * ((2 * n + d) // (2 * d))
    if rounding == "down":
        return sign * (n // d)
    raise ValueError(f"unknown rounding mode {rounding!r}; expected one of {ROUNDING_MODES}")


def allocate_largest_remainder(shares: list[Fraction], total_units: int | None = None) -> list[int]:
    """Split exact amounts into integer units (e.g. cents) that add up exactly.

    Each share gets ``floor(share)`` units; the units left over up to
    ``total_units`` (default ``floor(sum(shares))``) go one each to the largest
    fractional parts, ties to the earlier share.

    Args:
        shares: exact amounts in units (e.g. cents as Fractions), each ≥ 0.
        total_units: the integer total to reach.
    Returns:
        list of ints, same order, summing to ``total_units``.
    """
    floors = [s.numerator // s.denominator for s in shares]
    target = (sum(shares, Fraction(0)).__floor__()) if total_units is None else total_units
    left = target - sum(floors)
    if left < 0 or left > len(shares):
        raise ValueError("largest remainder: target not reachable from the shares")
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def decimal_from_units(units: int, scale_digits: int) -> Decimal:
    """``units / 10**scale_digits`` as a Decimal with exactly ``scale_digits`` places."""
    return Decimal(int(units)).scaleb(-scale_digits).quantize(Decimal(1).scaleb(-scale_digits))
