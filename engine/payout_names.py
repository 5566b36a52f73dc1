"""The per-person quantities the payout's formulas may read (``total``, ``presence_days``,
``part_time``…), as exact columns (:class:`~engine.exact.Q`) made for the rows a formula applies
to and only for the names it uses: shared by the premiums (engine/payout.py) and the
maggiorazioni (engine/maggiorazione.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import formula
from .exact import Q
from .stages import Individual

CP = 100  # centipoints per point
FRACTION_SCALE = 1_000_000  # millionths per unit (part_time, time_coefficient)
ALL = slice(None)  # every row


def person_names(staff, ind: Individual, effective_days: np.ndarray) -> dict[str, Any]:
    """The per-person quantities formulas may use: name → rows → Q over those rows."""
    return {
        "total": lambda r: Q(take_rows(ind.total, r), CP), "results": lambda r: Q(take_rows(ind.results, r), CP),
        "behaviour": lambda r: Q(take_rows(ind.behaviour, r), CP),
        "presence_days": lambda r: Q.scaled(take_rows(effective_days, r), 100),
        "part_time": lambda r: Q.scaled(take_rows(staff["part_time"], r), FRACTION_SCALE),
        "time_coefficient": lambda r: Q.scaled(take_rows(staff["time_coefficient"], r), FRACTION_SCALE),
        "tie_breaker": lambda r: Q(np.asarray(take_rows(staff["tie_breaker"], r), dtype=np.int64), CP),
    }


def take_rows(column: np.ndarray, rows) -> np.ndarray:
    """The values of ``column`` at ``rows`` (an int64 array of row numbers, or ``ALL``: the
    column itself): ``np.take``, a gather without fancy indexing's separate bounds pass."""
    return column if isinstance(rows, slice) else np.take(column, rows)


class Columns:
    """Named Q columns, built for the rows a formula applies to and only for the names it uses."""

    def __init__(self, makers: dict[str, Any]):
        self._makers = dict(makers)

    def add(self, name: str, maker) -> None:
        self._makers[name] = maker

    def column(self, name: str, rows: np.ndarray) -> Q:
        return self._makers[name](rows)

    def take(self, exprs, rows, extra: tuple[str, ...] = ()) -> dict[str, Any]:
        wanted = set(extra)
        for e in exprs:
            wanted |= formula.names_in(e)
        return {k: self._makers[k](rows) for k in self._makers if k in wanted}
