"""Categorical text columns and id → index mapping.

Text id columns (role, unit_id, person_id, factor…) may be object arrays of
``str`` or :class:`Categorical` (integer codes into a list of categories). The
engine maps them to integer indexes once and then works on integers only, so
the evaluation of a large population never loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Categorical:
    """A text column as ``codes`` (int64, -1 = blank) into ``categories`` (object array of str)."""

    codes: np.ndarray
    categories: np.ndarray

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
            if len(keys.codes) == len(keys.categories) and _is_identity(keys.codes):
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
        return np.append(remap.astype(np.int64, copy=False), -1)[codes]
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
