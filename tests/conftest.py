"""Every test runs with its own SMVP_HOME and none of the user's smvp settings."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SMVP_HOME", str(tmp_path / "home"))
    for var in ("SMVP_DATABASE_URL", "SMVP_LANG", "SMVP_CHAMBERS_DIR", "SMVP_TODAY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "250")


# --------------------------------------------------------------------------- databases
# Store and service tests run on SQLite and on a real PostgreSQL server: the `pgserver`
# package (test extra) bundles the server binaries; ONE server is started per test
# session, each test gets a fresh database on it.

import uuid  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for this test session (started from pgserver's binaries).

    Its data folder is a fresh folder of the system's temp dir, not pytest's: run as
    root, pgserver starts postgres as an unprivileged user, who cannot enter pytest's
    private (0700) temp folders.
    """
    import shutil
    import tempfile

    import pgserver

    data = tempfile.mkdtemp(prefix="smvp-pg-")
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def new_pg_database(server) -> str:
    """A fresh, empty database on ``server``: its SQLAlchemy URL (psycopg 3)."""
    from sqlalchemy.engine import make_url

    name = f"smvp_t{uuid.uuid4().hex[:16]}"
    server.psql(f"CREATE DATABASE {name};")
    url = make_url(server.get_uri(name))
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'smvp.db'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium per test module (the web pages' tests)."""
    from documents_support import chromium

    with chromium(tmp_path_factory.mktemp("chromium")) as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where a web test module saves its screenshots (docs/web/ with SMVP_SCREENSHOTS=1)."""
    from web_support import screenshot_dir

    return screenshot_dir(tmp_path_factory.mktemp("shots"))
