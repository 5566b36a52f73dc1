"""Package data shipped with smvp: the JSON Schemas, bundled profiles and samples.

The repository keeps ``schema/`` and ``chambers/`` at its top level; the wheel
installs them as the packages ``smvp_engine.schema`` and
``smvp_engine.chambers`` (pyproject.toml, ``[tool.setuptools.package-dir]``).
Both are read here through :mod:`importlib.resources`, never through paths
relative to a source file, so an installed smvp works from any directory.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

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


_REINSTALL = "reinstall smvp (python -m pip install --force-reinstall smvp)"


def read_text(path: Path) -> str:
    """The UTF-8 text of an installed file; :class:`ResourceMissing` (what to do) when
    it cannot be read (permissions, a folder in its place, damaged bytes)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ResourceMissing(f"the installed file {path} is damaged (not UTF-8 text: {exc.reason} "
                              f"at byte {exc.start})", hint=_REINSTALL) from None
    except OSError as exc:
        raise ResourceMissing(f"cannot read the installed file {path}: {exc.strerror or exc}",
                              hint="check its permissions, or " + _REINSTALL) from None


def load_schema(name: str = "profile.schema.json") -> dict[str, Any]:
    """A bundled JSON Schema, parsed. Raises :class:`ResourceMissing` when it is missing,
    unreadable or not valid JSON (a broken installation: the message says what to do)."""
    path = schema_path(name)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ResourceMissing(f"the installed schema {path} is damaged (not JSON: {exc.msg} at "
                              f"line {exc.lineno})", hint=_REINSTALL) from None
    if not isinstance(data, dict):
        raise ResourceMissing(f"the installed schema {path} is damaged (not a JSON object)",
                              hint=_REINSTALL)
    return data


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
