"""Errors raised by the edges (CLI, store, exports); the engine raises smvp_engine.errors.

Exit codes (see docs/cli.md): 0 ok, 1 a problem in the user's files or
environment, 2 a usage error (bad option or argument), 3 a bug in smvp.
"""

from __future__ import annotations


class EdgeError(Exception):
    """A problem the user can fix, found by the edges. ``exit_code`` says how to exit."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f". {self.hint}" if self.hint else "")


class UsageProblem(EdgeError):
    """A bad option or argument: exit 2."""

    exit_code = 2


class StoreProblem(EdgeError):
    """The database cannot be opened or written: exit 1."""

    exit_code = 1


class ExportProblem(EdgeError):
    """An export file cannot be written: exit 1."""

    exit_code = 1
