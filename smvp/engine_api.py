"""The only place the edges call the engine (docs/design.md, "Engine API").

Engine modules are imported lazily so that ``smvp validate`` works without
the pipeline, and tests can replace these functions with fakes.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any


def chambers_dir() -> Path:
    """``$SMVP_CHAMBERS_DIR``, else the repository's ``chambers/`` next to the package."""
    env = os.environ.get("SMVP_CHAMBERS_DIR")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1] / "chambers"


def engine_version() -> str:
    import engine

    return str(getattr(engine, "__version__", "unknown"))


def load_profile(path: Path) -> Any:
    """Parsed and validated profile (raises engine.errors.ProfileErrors)."""
    from engine.profile import load_profile as _load

    return _load(path)


def load_dataset(path: Path, *, profile: Any = None, year: int | None = None) -> Any:
    """A year's dataset (raises engine.errors.DatasetErrors).

    Passes ``profile``/``year`` only when the engine's loader accepts them
    (the contract documents ``load_dataset(path)``).
    """
    from engine.dataset import load_dataset as _load

    try:
        params = inspect.signature(_load).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        params = {}
    kwargs: dict[str, Any] = {}
    if "profile" in params and profile is not None:
        kwargs["profile"] = profile
    if "year" in params and year is not None:
        kwargs["year"] = year
    return _load(path, **kwargs)


def evaluate(profile: Any, dataset: Any, *, year: int) -> Any:
    from engine.pipeline import evaluate as _evaluate

    return _evaluate(profile, dataset, year=year)


def profile_warnings(profile: Any) -> list[str]:
    return [str(w) for w in (getattr(profile, "warnings", None) or [])]


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
