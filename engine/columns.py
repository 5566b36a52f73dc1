"""Categorical text columns, decimal columns with their numerators, and id → index mapping.

Text id columns (role, unit_id, person_id, factor…) may be object arrays of
``str`` or :class:`Categorical` (integer codes into a list of categories). The
engine maps them to integer indexes once and then works on integers only, so
the evaluation of a large population never loops over rows in Python.

Decimal columns (weights, targets, actuals, attested percents) are object arrays of
``Decimal``; those of the objectives and indicators are typed as :class:`Decimals`, which
read the same and also hold the values as int64 numerators over a power of ten, so that
the organisational stage works on integers without converting a Decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np


@dataclass(frozen=True, eq=False)
class Categorical:
    """A text column as ``codes`` (int64, -1 = blank) into ``categories`` (object array of str).

    Like the dataset's other columns it is not changed once made: :meth:`in_order` remembers
    its answer."""

    codes: np.ndarray
    categories: np.ndarray
    _in_order: list = field(default_factory=list, init=False, repr=False, compare=False)

    def in_order(self) -> bool:
        """Whether the codes are 0, 1, 2, … and name every category once, in order (e.g. the
        staff's person ids, the vocabulary of the other tables' person ids): looked at on the
        first call only (a million codes: about 0.4 ms), the answer kept for the next ones."""
        if not self._in_order:
            self._in_order.append(len(self.codes) == len(self.categories) and _is_identity(self.codes))
        return self._in_order[0]

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            c = int(self.codes[i])
            return None if c < 0 else self.categories[c]
        return Categorical(self.codes[i], self.categories)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the values it stands for (text: object), as an object array's."""
        return np.dtype(object)

    def __eq__(self, other):  # elementwise, as an object array of the values
        if other is None:
            return self.codes < 0
        if isinstance(other, str):
            hit = np.flatnonzero(self.categories == other)
            return np.isin(self.codes, hit)
        return self.to_objects() == (other.to_objects() if isinstance(other, Categorical) else other)

    def __ne__(self, other):
        return ~np.asarray(self.__eq__(other), dtype=bool)

    __hash__ = object.__hash__

    def __iter__(self):
        return iter(self.to_objects())

    def tolist(self) -> list:
        """The values as a list of str/None (for small tables and tests)."""
        return self.to_objects().tolist()

    def to_objects(self) -> np.ndarray:
        out = np.empty(len(self.codes), dtype=object)
        ok = self.codes >= 0
        out[ok] = self.categories[self.codes[ok]]
        out[~ok] = None
        return out

    @classmethod
    def from_values(cls, values: Sequence) -> "Categorical":
        index: dict = {}
        codes = np.fromiter((-1 if v is None else index.setdefault(v, len(index)) for v in values),
                            dtype=np.int64, count=len(values))
        cats = np.empty(len(index), dtype=object)
        cats[:] = list(index)
        return cls(codes, cats)


def as_objects(col) -> np.ndarray:
    """Any text column as an object array of str/None."""
    if isinstance(col, Categorical):
        return col.to_objects()
    return np.asarray(col, dtype=object)


def index_of(col, keys: Sequence[str] | np.ndarray) -> np.ndarray:
    """Map each value of ``col`` to its position in ``keys`` (-1 when absent or blank).

    Args:
        col: object array of str/None, or a :class:`Categorical`.
        keys: the reference ids (e.g. the profile's role ids, staff person ids).
    Returns:
        int64 array, one index per row.

    A Categorical column whose categories are the very object ``keys`` (or
    ``keys.categories`` when ``keys`` is a Categorical too) is mapped without
    looking at any text: that is the path for large tables sharing one id
    vocabulary (behaviours and absences against staff). Otherwise the text of
    the categories used is looked up once, not once per row.
    """
    if isinstance(col, Categorical):
        if col.categories is keys:
            return col.codes
        if isinstance(keys, Categorical) and keys.categories is col.categories:
            if keys.in_order():
                return col.codes  # the keys are the vocabulary in order (e.g. staff person ids)
            return _positions(keys.codes, len(keys.categories))[col.codes]
        codes = col.codes
        if len(codes) * 4 < len(col.categories):  # few rows of a large vocabulary: look up only those used
            used, codes = np.unique(codes, return_inverse=True)
            ext = np.full(len(used), -1, dtype=np.int64)
            ok = used >= 0
            ext[ok] = index_of(col.categories[used[ok]], keys)
            return ext[codes.reshape(-1)].astype(np.int64, copy=False)
        remap = index_of(col.categories, keys)
        # one slot more for blank cells: code -1 takes the last entry, -1
        return np.take(np.append(remap.astype(np.int64, copy=False), -1), codes)  # take: no bounds pass
    if isinstance(keys, Categorical):
        keys = keys.to_objects()
    return index_with(col, {k: i for i, k in enumerate(keys)})


def index_with(col, lookup: dict) -> np.ndarray:
    """:func:`index_of` with the key → position dict already built (several columns, one key set)."""
    if isinstance(col, Categorical):
        remap = index_with(col.categories, lookup)
        return np.append(remap.astype(np.int64, copy=False), -1)[col.codes]
    get = lookup.get
    return np.fromiter((get(v, -1) for v in col), dtype=np.int64, count=len(col))


def take_by_value(table: np.ndarray, values: np.ndarray, lo: int) -> np.ndarray:
    """``table[values - lo]``: ``table`` holds one entry per integer ``lo … hi`` (e.g. a curve or
    a judgement read once per value of a column's range), ``values`` (int64) lie in that range.

    When ``0 < lo`` and ``hi`` is below the number of values, the table is padded in front to
    start at 0 and the values index it as they are: no column of differences (one pass and one
    fresh column fewer). Returns an array of ``table``'s dtype, one entry per value."""
    if 0 < lo and lo + len(table) - 1 < len(values):
        padded = np.empty(lo + len(table), dtype=table.dtype)
        padded[:lo] = table[0]  # never read: the values are at least lo
        padded[lo:] = table
        return np.take(padded, values)
    return np.take(table, values - lo if lo else values)


def _is_identity(codes: np.ndarray) -> bool:
    """codes == 0, 1, 2, … (checked without an index array: first, step and last, then all steps)."""
    if not len(codes):
        return True
    if codes[0] != 0 or codes[-1] != len(codes) - 1:
        return False
    step = np.arange(min(len(codes), _IDENTITY_BLOCK), dtype=codes.dtype)
    for start in range(0, len(codes), _IDENTITY_BLOCK):  # by blocks: no temporary as long as the column
        part = codes[start:start + _IDENTITY_BLOCK]
        if part[0] != start or not np.array_equal(part - start, step[:len(part)]):
            return False
    return True


_IDENTITY_BLOCK = 1 << 16


def _positions(key_codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Category code → position of its (last) occurrence among ``key_codes``; -1 absent.

    One slot more at the end (-1) so that blank codes (-1) map to -1.
    """
    pos = np.full(n_categories + 1, -1, dtype=np.int64)
    ok = key_codes >= 0
    where = np.flatnonzero(ok)
    codes = key_codes[where]
    pos[codes] = where
    if not np.array_equal(pos[codes], where):  # repeated keys: the last occurrence wins, as in a dict
        np.maximum.at(pos, codes, where)
    return pos


class Decimals(np.ndarray):
    """A column of exact numbers as the dataset gives them: an object array of
    ``decimal.Decimal`` (``None``: a blank cell), which is what every reader reads, that also
    holds the same values as int64 ``numerators`` over ``10**digits`` (blank cells 0; ``blank``
    their mask, or None when there is none). Made once when the column is typed
    (:func:`decimals`), so that the engine's integer paths (engine/organisational.py) read the
    numerators instead of converting every Decimal on every evaluation.

    Anything made from it (a slice, a copy, an operation's result) is a plain object array of
    the values, without numerators."""

    numerators: np.ndarray | None
    digits: int
    blank: np.ndarray | None

    def __new__(cls, values: np.ndarray, numerators: np.ndarray, digits: int, blank: np.ndarray | None = None):
        obj = np.asarray(values, dtype=object).view(cls)
        obj.numerators, obj.digits, obj.blank = numerators, digits, blank
        return obj

    def __array_finalize__(self, obj) -> None:
        self.numerators, self.digits, self.blank = None, 0, None

    def __array_wrap__(self, array, context=None, return_scalar=False):
        out = np.asarray(array)  # results are plain values, not this column
        return out[()] if return_scalar else out

    def __reduce__(self):  # pickled as the plain object array it reads as
        return np.asarray(self).__reduce__()


def decimals(values: np.ndarray, distinct: Sequence | None = None, codes: np.ndarray | None = None) -> np.ndarray:
    """An object array of exact numbers (Decimal or int, None blank) as :class:`Decimals`;
    the array itself when its numbers do not fit (:func:`scaled_numbers` gives None).

    ``distinct``, ``codes``: the column as codes into its distinct values (``values`` is
    ``distinct[codes]``, code -1 the last value), to convert each distinct value once."""
    if distinct is None:
        distinct, codes = values.tolist(), None
    held = scaled_numbers(distinct)
    if held is None:
        return values
    nums, digits = held
    is_blank = np.fromiter((v is None for v in distinct), dtype=bool, count=len(distinct))
    if codes is not None:
        nums, is_blank = nums[codes], is_blank[codes]
    nums.flags.writeable = False
    blank = is_blank if is_blank.any() else None
    if blank is not None:
        blank.flags.writeable = False
    return Decimals(values, nums, digits, blank)


def scaled_numbers(values: Sequence) -> tuple[np.ndarray, int] | None:
    """Exact numbers (Decimal or int; None counts 0) as int64 numerators over the least common
    power of ten: (numerators, digits). None when a value is anything else (a float, NaN, text),
    needs more than 18 decimals, or a numerator would reach 2**62."""
    nums: list[int] = []
    dens: set[int] = set()
    pairs = []
    for v in values:
        if v is None:
            pairs.append((0, 1))
            continue
        if type(v) is int:
            pairs.append((v, 1))
            continue
        if not isinstance(v, Decimal) or not v.is_finite():
            return None
        pairs.append(v.as_integer_ratio())
    for _, q in pairs:
        dens.add(q)
    digits = 0
    for q in dens:
        twos = (q & -q).bit_length() - 1
        rest, fives = q >> twos, 0
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        if rest != 1:
            return None
        digits = max(digits, twos, fives)
    if digits > 18:
        return None
    one = 10 ** digits
    nums = [p * (one // q) for p, q in pairs]
    if nums and max(abs(min(nums)), abs(max(nums))) >= _SCALED_LIMIT:
        return None
    return np.array(nums, dtype=np.int64), digits


_SCALED_LIMIT = 1 << 62
