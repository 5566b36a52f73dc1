"""Run use cases: evaluate a dataset with a profile, store the run, list stored runs.

Shared by ``smvp evaluate`` / ``smvp runs`` and the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smvp import engine_api
from smvp.errors import UsageProblem
from smvp.report import Outcome

if TYPE_CHECKING:  # the store (sqlalchemy, sqlmodel) is imported when a run is stored, not to evaluate
    from sqlalchemy.engine import Engine


def evaluate(profile: Any, dataset: Any, *, year: int | None = None,
             source: str = "the dataset") -> Outcome:
    """Evaluate ``dataset`` with ``profile`` for ``year`` (default: the dataset's year).

    Raises the engine's ``SmvpErrors`` (located problems) and UsageProblem when no
    year is known. Nothing is stored.
    """
    year = year if year is not None else getattr(dataset, "year", None)
    if year is None:
        raise UsageProblem(f"no year: {source} does not say which year it is",
                           hint="give --year")
    ev = engine_api.evaluate(profile, dataset, year=int(year))
    return outcome(profile, dataset, ev, year=int(year))


def outcome(profile: Any, dataset: Any, evaluation: Any, *, year: int) -> Outcome:
    """The evaluation gathered as rows, funds and totals (``smvp.report.Outcome``)."""
    return Outcome.from_evaluation(profile, dataset, evaluation, year=year,
                                   engine_version=engine_api.engine_version())


def store_run(engine: Engine, profile: Any, dataset: Any, outcome: Outcome) -> int:
    """Store the run in one transaction (nothing stored on failure); returns its id."""
    from smvp import store

    return store.save_run(engine, profile, dataset, outcome)
