"""Compiled profiles cached by content hash (the national run: thousands of profiles).

Loading a profile — strict YAML, JSON Schema, the national layer it extends,
semantic checks — takes 10–30 ms. A national run loads one per body; run
again (after a data correction, the next month, in each worker process), most
profiles are unchanged. :class:`ProfileCache` keys a loaded profile by the
SHA-256 of what it was compiled from:

- the profile's exact text,
- the text of the layer it ``extends`` (``national/italia``), if any,
- the smvp version (a new engine may compile differently).

A hit in memory costs nothing; a hit in the cache folder (``folder``, one
pickle per key, written atomically; without the profile's text and its layer,
which the key covers and the reader has) is read instead of compiling. A profile
that does not load is never cached: its errors are raised every time, located
in its own file. The cache never changes a result: the key covers every input
of the compilation, and the path reported in messages is the file given.

Only smvp writes and reads the folder: like any pickle, a file there is code
to the process that loads it, so the folder must not be writable by others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

from smvp import engine_api

_EXTENDS = re.compile(r"(?m)^extends:\s*['\"]?([A-Za-z0-9_/.-]+)")


class ProfileCache:
    """Load profiles through an in-memory and, optionally, an on-disk cache.

    Attributes:
        hits, disk_hits, misses: counts of the loads served from memory, from the
            folder, and compiled.
    """

    def __init__(self, folder: Path | None = None, memory_limit: int = 4096):
        self.folder = Path(folder) if folder is not None else None
        self.memory: dict[str, Any] = {}
        self.memory_limit = memory_limit
        self.hits = self.disk_hits = self.misses = 0

    def key(self, path: Path, text: str) -> str:
        """SHA-256 (hex) of the profile's text, its layer's text and the smvp version."""
        h = hashlib.sha256()
        h.update(engine_api.engine_version().encode())
        h.update(b"\0")
        h.update(text.encode("utf-8"))
        m = _EXTENDS.search(text)
        if m:
            from smvp_engine.profile import find_layer

            layer = find_layer(m.group(1), str(path))
            h.update(b"\0layer\0")
            h.update(layer.read_bytes() if layer is not None else b"missing")
        return h.hexdigest()

    def load(self, path: Path) -> Any:
        """The profile at ``path`` (raises the engine's ProfileErrors, as ``load_profile``)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return engine_api.load_profile(path)  # the engine's located message
        key = self.key(path, text)
        profile = self.memory.get(key)
        if profile is not None:
            self.hits += 1
            return _at(profile, path)
        profile = self._read(key, text, path)
        if profile is not None:
            self.disk_hits += 1
        else:
            self.misses += 1
            profile = engine_api.load_profile(path)
            self._write(key, profile)
        if len(self.memory) >= self.memory_limit:
            self.memory.clear()
        self.memory[key] = profile
        return _at(profile, path)

    # ------------------------------------------------------------------ the folder

    def _file(self, key: str) -> Path | None:
        return self.folder / key[:2] / f"{key}.pickle" if self.folder is not None else None

    def _read(self, key: str, text: str, path: Path) -> Any:
        f = self._file(key)
        if f is None or not f.is_file():
            return None
        try:
            with open(f, "rb") as fh:
                profile = pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged or foreign file: compile instead
            return None
        if getattr(profile, "sha256", None) != hashlib.sha256(text.encode("utf-8")).hexdigest():
            return None
        profile.text = text  # not stored: the caller has it
        name = profile.data.get("extends") if isinstance(profile.data, dict) else None
        if name is not None and profile.base is None:
            # the layer is not stored either: the key covers its text, so the layer found for
            # ``path`` now is the one compiled with (loaded once per process, as when compiling)
            from smvp_engine.profile import _load_layer, find_layer

            try:
                found = find_layer(str(name), str(path))
                profile.base = _load_layer(found) if found is not None else None
            except Exception:  # noqa: BLE001 - the layer changed or broke meanwhile: compile instead
                return None
            if profile.base is None:
                return None
        return profile

    def _write(self, key: str, profile: Any) -> None:
        f = self._file(key)
        if f is None:
            return
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            # neither the text (the caller has it) nor the layer it extends (shared by every
            # profile of a roll-out; restored on reading): a third of the file otherwise
            lean = dataclasses.replace(profile, text="", base=None)
            fd, tmp = tempfile.mkstemp(dir=f.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(lean, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, f)
        except OSError:  # a cache that cannot be written is no cache, not an error
            pass


def _at(profile: Any, path: Path) -> Any:
    """The cached profile as read from ``path`` (messages name the file given)."""
    if str(profile.path) == str(path):
        return profile
    return dataclasses.replace(profile, path=str(path))
