"""Where the database is, and which schema revision smvp expects: no SQLAlchemy here, so
that the command line can find (and, with ``smvp.store.direct``, write) an SQLite store
without importing it.

Database URL, first found:
  1. ``--db URL`` on the command line;
  2. ``$SMVP_DATABASE_URL``;
  3. ``sqlite:///$SMVP_HOME/smvp.db`` when ``$SMVP_HOME`` is set;
  4. ``smvp.db`` in the platform's user data folder (platformdirs): on Linux
     ``$XDG_DATA_HOME/smvp/`` (``~/.local/share/smvp/``), on macOS
     ``~/Library/Application Support/smvp/``, on Windows ``%LOCALAPPDATA%\\smvp\\``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

#: the newest migration in smvp/store/migrations/versions (tests/test_store_direct.py checks it)
HEAD = "0008"

#: tenants the command line creates on its first run of a bundled chamber: their names
DEFAULT_NAMES = {
    "cuneo": "Camera di commercio di Cuneo",
    "cremona": "Camera di commercio di Cremona",
    "brescia": "Camera di commercio di Brescia",
    "lucca": "Camera di commercio di Lucca",
}


def default_database_path() -> Path:
    """``$SMVP_HOME/smvp.db``, else ``smvp.db`` in the platform's user data folder."""
    home = os.environ.get("SMVP_HOME")
    if home:
        return Path(home).expanduser() / "smvp.db"
    from platformdirs import user_data_path

    return user_data_path("smvp", appauthor=False) / "smvp.db"


def database_url(url: str | None = None) -> str:
    """``url``, else ``$SMVP_DATABASE_URL``, else SQLite in the user data dir."""
    if url:
        return url
    env = os.environ.get("SMVP_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{default_database_path()}"


# A file path as SQLAlchemy's make_url reads it from ``sqlite:///<path>`` unchanged: no query
# string, no %-escapes, no in-memory database (tests/test_store_direct.py compares the two).
_PLAIN_SQLITE = re.compile(r"sqlite:///(?!:memory:)([^?#%]+)")


def plain_sqlite_file(url: str) -> Path | None:
    """The database file of a plain ``sqlite:///<path>`` URL, or None for any other URL
    (another database, a driver name, query options, an in-memory database)."""
    m = _PLAIN_SQLITE.fullmatch(url)
    return Path(m.group(1)) if m else None  # as given: pysqlite does not expand ~ either


def display_sqlite_file(path: Path) -> str:
    """The URL of a database file as ``smvp.store.display_url`` shows it (SQLAlchemy's
    rendering: the path %-escaped but for spaces, ``+`` and ``/``)."""
    return "sqlite:///" + quote(str(path), safe=" +/")
