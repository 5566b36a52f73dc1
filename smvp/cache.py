"""What one smvp process keeps for the next: a small JSON file in the user's cache folder.

Two results of the engine that do not change between runs and are costly to get
at start-up (benchmarks/STARTUP.md):

* the profiles that passed the JSON Schema (``smvp_engine.profile.SCHEMA_PASSED``:
  sha256 of jsonschema's version, the schema and the profile as JSON) — a profile
  with an error is checked again every time, so validation is exactly as strict;
* the holiday tables of ``holidays.Italy`` per year and subdivision
  (``smvp_engine.deadlines.LIBRARY_DAYS``, keyed by the library's version).

With both known, ``smvp evaluate`` imports neither jsonschema nor holidays.

Where: ``$SMVP_HOME/cache/engine.json`` when ``SMVP_HOME`` is set, else
``engine.json`` in the platform's user cache folder (platformdirs; on Linux
``~/.cache/smvp/``). ``SMVP_NO_CACHE=1`` turns it off. A missing, unreadable or
damaged file is the same as an empty one; deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMAT = 1
#: at most this many entries of each kind are kept (the newest)
LIMIT = 200

_state: dict[str, Any] = {"loaded": False, "saved": None, "order": []}


def cache_path() -> Path | None:
    """The cache file, or None when caching is off (``SMVP_NO_CACHE``)."""
    if os.environ.get("SMVP_NO_CACHE", "").strip() not in ("", "0"):
        return None
    home = os.environ.get("SMVP_HOME")
    if home:
        return Path(home).expanduser() / "cache" / "engine.json"
    from platformdirs import user_cache_path

    return user_cache_path("smvp", appauthor=False) / "engine.json"


def _engine_tables() -> tuple[set[str], dict[str, Any]]:
    from smvp_engine import deadlines, profile

    return profile.SCHEMA_PASSED, deadlines.LIBRARY_DAYS


def _snapshot() -> tuple[int, int]:
    passed, days = _engine_tables()
    return len(passed), len(days)


def load() -> None:
    """Fill the engine's tables from the cache file (once per process)."""
    if _state["loaded"]:
        return
    _state["loaded"] = True
    path = cache_path()
    doc: Any = None
    if path is not None:
        with contextlib.suppress(OSError, ValueError):
            doc = json.loads(path.read_text(encoding="utf-8"))
    passed, days = _engine_tables()
    if isinstance(doc, dict) and doc.get("format") == FORMAT:
        keys = doc.get("schema_passed")
        if isinstance(keys, list):
            _state["order"] = [k for k in keys if isinstance(k, str)]
            passed.update(_state["order"])
        tables = doc.get("library_days")
        if isinstance(tables, dict):
            for k, v in tables.items():
                if isinstance(k, str) and isinstance(v, dict):
                    days.setdefault(k, v)
    _state["saved"] = _snapshot()


def save() -> None:
    """Write the engine's tables back when they grew (atomically; errors are ignored:
    a cache that cannot be written only means the next start is slower)."""
    if not _state["loaded"] or _snapshot() == _state["saved"]:
        return
    path = cache_path()
    if path is None:
        return
    passed, days = _engine_tables()
    known = set(_state["order"])
    order = [k for k in _state["order"] if k in passed] + sorted(passed - known)  # newest last
    doc = {"format": FORMAT, "schema_passed": order[-LIMIT:],
           "library_days": dict(list(days.items())[-LIMIT:])}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        _state["order"] = order[-LIMIT:]
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    _state["saved"] = _snapshot()


@contextlib.contextmanager
def engine_cache() -> Iterator[None]:
    """Around engine work: the cache read before (once), written after if it grew."""
    load()
    try:
        yield
    finally:
        save()
