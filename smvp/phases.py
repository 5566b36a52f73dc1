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
from collections.abc import Iterator

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


def dump() -> None:
    """Write :data:`TIMES` to ``$SMVP_PHASES`` (JSON) when it is set."""
    target = os.environ.get("SMVP_PHASES")
    if target:
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(TIMES, fh)
