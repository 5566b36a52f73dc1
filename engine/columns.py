"""Categorical text columns and id → index mapping.

Text id columns (role, unit_id, person_id, factor…) may be object arrays of
``str`` or :class:`Categorical` (integer codes into a list of categories). The
engine maps them to integer indexes once and then works on integers only, so
the evaluation of a large population never loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

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
    """
    if isinstance(col, Categorical):
        if col.categories is keys:
            return col.codes
        remap = index_of(col.categories, keys)
        out = np.where(col.codes >= 0, remap[np.maximum(col.codes, 0)] if len(remap) else -1, -1)
        return out.astype(np.int64)
    if isinstance(keys, Categorical):
        keys = keys.to_objects()
    lookup = {k: i for i, k in enumerate(keys)}
    get = lookup.get
    return np.fromiter((get(v, -1) for v in col), dtype=np.int64, count=len(col))
