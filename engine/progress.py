"""Progress of long engine work (loading a large dataset), reported to whoever listens.

The engine stays pure: it only calls :func:`report`; a caller that shows progress (smvp's
command line draws a rich bar on a terminal) installs a callback with :func:`reporting`.
Without one, :func:`report` does nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

_HOOK: ContextVar[Callable[[int, int], None] | None] = ContextVar("smvp_engine_progress", default=None)


def report(done: int, total: int) -> None:
    """``done`` of ``total`` units of the running work (units chosen by the work: bytes when
    loading a folder of files); ``done`` never decreases and ends equal to ``total``."""
    hook = _HOOK.get()
    if hook is not None:
        hook(done, total)


@contextlib.contextmanager
def reporting(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Send the :func:`report` calls made inside the block to ``callback(done, total)``."""
    token = _HOOK.set(callback)
    try:
        yield
    finally:
        _HOOK.reset(token)


def active() -> bool:
    """Whether a callback listens (work may skip measuring its progress otherwise)."""
    return _HOOK.get() is not None
