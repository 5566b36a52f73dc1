"""smvp rules engine: pure evaluation of an SMVP profile over a year's dataset.

No CLI, rendering or database code lives here (see docs/design.md). Installed
as ``smvp_engine`` (built from the repository's ``engine/`` folder).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("smvp")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"
