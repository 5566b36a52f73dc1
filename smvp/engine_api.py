"""The only place the edges call the engine (docs/design.md, "Engine API").

Engine modules are imported lazily so that ``smvp validate`` works without
the pipeline, and tests can replace these functions with fakes.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smvp_engine.errors import Msg

PROFILE_RULE = Msg("--profile PATH, else $SMVP_CHAMBERS_DIR/<camera>.yaml, else ./chambers/<camera>.yaml "
                   "in the working directory, else the profiles bundled with smvp")  # a catalogue message


def chamber_sources() -> list[tuple[str, Path]]:
    """Where chamber profiles are looked up, in order: ``[(origin, folder), ...]``.

    ``origin`` is ``"SMVP_CHAMBERS_DIR"``, ``"./chambers"`` or ``"bundled"``.
    The first folder holding ``<chamber>.yaml`` wins (:data:`PROFILE_RULE`).
    """
    from smvp_engine.resources import bundled_chambers

    found: list[tuple[str, Path]] = []
    env = os.environ.get("SMVP_CHAMBERS_DIR")
    if env:
        found.append(("SMVP_CHAMBERS_DIR", Path(env).expanduser()))
    local = Path.cwd() / "chambers"
    if local.is_dir():
        found.append(("./chambers", local))
    bundled = bundled_chambers()
    if all(bundled.resolve() != p.resolve() for _, p in found if p.is_dir()):
        found.append(("bundled", bundled))
    return found


def find_chamber(chamber: str) -> tuple[str, Path] | None:
    """``(origin, path of <chamber>.yaml)`` by :data:`PROFILE_RULE`, or None."""
    for origin, folder in chamber_sources():
        path = folder / f"{chamber}.yaml"
        if path.is_file():
            return origin, path
    return None


def known_chambers() -> dict[str, tuple[str, Path]]:
    """Every chamber id that resolves, with the origin and path it resolves to."""
    known: dict[str, tuple[str, Path]] = {}
    for origin, folder in chamber_sources():
        if folder.is_dir():
            for p in sorted(folder.glob("*.yaml")):
                known.setdefault(p.stem, (origin, p))
    return known


def chambers_dir() -> Path:
    """Folder where new profiles are written (``smvp init``): ``$SMVP_CHAMBERS_DIR``, else ``./chambers``."""
    env = os.environ.get("SMVP_CHAMBERS_DIR")
    if env:
        return Path(env).expanduser()
    return Path.cwd() / "chambers"


def sample_dir(chamber: str) -> Path:
    """Folder of a chamber's sample years: ``data/<chamber>`` beside the profile that resolves."""
    hit = find_chamber(chamber)
    base = hit[1].parent if hit else chamber_sources()[-1][1]
    return base / "data" / chamber


def engine_version() -> str:
    """The installed smvp version (one definition: pyproject.toml, read by importlib.metadata)."""
    import smvp_engine as engine

    return str(getattr(engine, "__version__", "unknown"))


def load_profile(path: Path) -> Any:
    """Parsed and validated profile (raises smvp_engine.errors.ProfileErrors)."""
    from smvp.cache import engine_cache
    from smvp_engine.profile import load_profile as _load

    with engine_cache():  # schema passes and holiday tables kept between processes
        return _load(path)


def load_dataset(path: Path, *, profile: Any = None, year: int | None = None) -> Any:
    """A year's dataset (raises smvp_engine.errors.DatasetErrors).

    Passes ``profile``/``year`` only when the engine's loader accepts them
    (the contract documents ``load_dataset(path)``).
    """
    from smvp_engine.dataset import load_dataset as _load

    params: Mapping[str, Any]
    try:
        params = inspect.signature(_load).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        params = {}
    kwargs: dict[str, Any] = {}
    if "profile" in params and profile is not None:
        kwargs["profile"] = profile
    if "year" in params and year is not None:
        kwargs["year"] = year
    from smvp import phases
    from smvp.cache import engine_cache
    from smvp_engine.progress import reporting

    with engine_cache():
        if not phases.listening():  # no bar (e.g. each body of a national run): nothing measured
            return _load(path, **kwargs)
        with reporting(phases.tick):  # the loader's progress to the running bar
            return _load(path, **kwargs)


def evaluate(profile: Any, dataset: Any, *, year: int) -> Any:
    from smvp.cache import engine_cache
    from smvp_engine.pipeline import evaluate as _evaluate

    with engine_cache():
        return _evaluate(profile, dataset, year=year)


def profile_warnings(profile: Any) -> list[str]:
    # a warning is a str (an engine Msg keeps its catalogue id: smvp.i18n.say says it in a language)
    return [w if isinstance(w, str) else str(w) for w in (getattr(profile, "warnings", None) or [])]


def profile_validity(profile: Any) -> tuple[int | None, int | None]:
    """(first year, last year or None) the profile governs.

    Uses ``profile.valid_from``/``valid_until`` or ``profile.validity`` when the
    engine provides them, else reads ``chamber.validity`` from the profile text.
    """
    start = getattr(profile, "valid_from", None)
    end = getattr(profile, "valid_until", getattr(profile, "valid_to", None))
    if start is not None:
        return _year(start), _year(end)
    validity = getattr(profile, "validity", None)
    if validity is not None:
        if isinstance(validity, dict):
            return _year(validity.get("from")), _year(validity.get("until", validity.get("to")))
        if isinstance(validity, (tuple, list)) and validity:
            return _year(validity[0]), _year(validity[1] if len(validity) > 1 else None)
        return _year(getattr(validity, "from_", getattr(validity, "start", None))), \
            _year(getattr(validity, "to", getattr(validity, "end", None)))
    data = getattr(profile, "data", None) or getattr(profile, "raw", None)
    if not isinstance(data, dict):
        import yaml

        try:
            data = yaml.safe_load(getattr(profile, "text", "") or "")
        except yaml.YAMLError:
            data = None
    if isinstance(data, dict):
        v = ((data.get("chamber") or {}).get("validity") or {})
        if isinstance(v, dict):
            return _year(v.get("from")), _year(v.get("until", v.get("to")))
    return None, None


def _year(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
