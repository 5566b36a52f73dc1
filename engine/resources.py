"""Package data shipped with smvp: the JSON Schemas, bundled profiles and samples.

The repository keeps ``schema/`` and ``chambers/`` at its top level; the wheel
installs them as the packages ``smvp_engine.schema`` and
``smvp_engine.chambers`` (pyproject.toml, ``[tool.setuptools.package-dir]``).
Both are read here through :mod:`importlib.resources`, never through paths
relative to a source file, so an installed smvp works from any directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import SmvpError


class ResourceMissing(SmvpError):
    """A file that ships with smvp cannot be read: the installation is broken."""


def _package_dir(package: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:  # pragma: no cover - broken install
        raise ResourceMissing(
            f"the package data {package!r} is not installed ({exc})",
            hint="reinstall smvp (python -m pip install --force-reinstall smvp)") from None
    path = Path(str(root))
    if not path.is_dir():  # pragma: no cover - zipped installs are not supported
        raise ResourceMissing(f"the package data {package!r} is not a folder on disk ({root})",
                              hint="install smvp unzipped (pip does)")
    return path


def schema_path(name: str = "profile.schema.json") -> Path:
    """Path of a bundled JSON Schema (``profile.schema.json``, ``results.schema.json``).

    Raises :class:`ResourceMissing` when the installation lacks it.
    """
    path = _package_dir("smvp_engine.schema") / name
    if not path.is_file():
        raise ResourceMissing(f"the schema {name} is missing from the installation ({path})",
                              hint="reinstall smvp (python -m pip install --force-reinstall smvp)")
    return path


def bundled_chambers() -> Path:
    """Folder of the bundled profiles (``<chamber>.yaml``) and samples (``data/<chamber>/<year>``)."""
    return _package_dir("smvp_engine.chambers")


def national_layer(name: str = "national/italia") -> Path:
    """Path of a bundled layer of rules (``national/italia``: the national rules that chamber
    profiles ``extends``). Raises :class:`ResourceMissing` when the installation lacks it."""
    path = bundled_chambers().joinpath(*name.split("/")).with_suffix(".yaml")
    if not path.is_file():
        raise ResourceMissing(f"the layer {name} is missing from the installation ({path})",
                              hint="reinstall smvp (python -m pip install --force-reinstall smvp)")
    return path
