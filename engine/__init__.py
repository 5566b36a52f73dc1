"""smvp rules engine: pure evaluation of an SMVP profile over a year's dataset.

No CLI, rendering or database code lives here (see docs/design.md). Installed
as ``smvp_engine`` (built from the repository's ``engine/`` folder).

``smvp_engine.__version__`` is the installed distribution's version
(``pyproject.toml``, read with :mod:`importlib.metadata` on first use: reading
package metadata costs start-up time that most commands do not need).
"""

from __future__ import annotations

from functools import cache


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("smvp")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
