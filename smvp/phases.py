"""Timing of a command's phases (load, evaluate, build output, store, write).

``smvp evaluate`` runs its phases through :func:`phase`; the timings are kept in
:data:`TIMES` and, when the environment variable ``SMVP_PHASES`` names a file,
written there as JSON at the end of the command (``benchmarks/bench_cli.py``
reads them). A spinner on stderr shows the phase while it runs, only on a
terminal.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from rich.console import Console

#: phase name -> seconds, in the order the phases ran
TIMES: dict[str, float] = {}


def reset() -> None:
    TIMES.clear()


@contextlib.contextmanager
def phase(name: str, err: Console | None = None, message: str | None = None,
          quiet: bool = False) -> Iterator[None]:
    """Time the block as phase ``name``; a spinner with ``message`` on a terminal stderr."""
    start = time.perf_counter()
    try:
        if quiet or err is None or message is None or not err.is_terminal:
            yield
        else:
            with err.status(message, spinner="dots"):
                yield
    finally:
        TIMES[name] = TIMES.get(name, 0.0) + time.perf_counter() - start


#: people from which a phase that reports its progress shows a bar instead of a spinner
BAR_MIN = 200_000

_TICK: ContextVar[Callable[[int, int], None] | None] = ContextVar("smvp_progress", default=None)


def listening() -> bool:
    """Whether a bar is running (work may skip measuring its progress otherwise)."""
    return _TICK.get() is not None


def tick(done: int, total: int) -> None:
    """Report ``done`` of ``total`` units (people) to the bar of the running phase, if any."""
    advance = _TICK.get()
    if advance is not None:
        advance(done, total)


@contextlib.contextmanager
def bar(name: str, err: Console | None, message: str, quiet: bool = False,
        percent: bool = False) -> Iterator[None]:
    """Time the block as phase ``name`` with a progress bar on a terminal stderr (rich, removed
    when done), advanced by :func:`tick` from the writers (and, through
    :mod:`smvp_engine.progress`, from the loader); nothing shown when ``quiet`` or when stderr
    is not a terminal. ``percent``: the bar's figure is a percentage (units that mean nothing
    to a reader, e.g. bytes), else done/total (people)."""
    with phase(name):
        if quiet or err is None or not err.is_terminal:
            yield
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        figure = TaskProgressColumn() if percent else MofNCompleteColumn()
        with Progress(TextColumn("{task.description}"), BarColumn(), figure,
                      TimeElapsedColumn(), console=err, transient=True,
                      redirect_stdout=False, redirect_stderr=False) as progress:  # stdout stays the data's
            task = progress.add_task(message, total=None)
            token = _TICK.set(lambda done, total: progress.update(task, completed=done, total=total))
            try:
                yield
            finally:
                _TICK.reset(token)


def dump() -> None:
    """Write :data:`TIMES` to ``$SMVP_PHASES`` (JSON) when it is set."""
    target = os.environ.get("SMVP_PHASES")
    if target:
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(TIMES, fh)
