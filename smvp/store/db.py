"""Opening the database (where it is: ``smvp.store.location``), its schema (Alembic
migrations) and SQL helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlmodel import create_engine

from smvp.errors import StoreProblem, UsageProblem
from smvp.store.location import HEAD, database_url, default_database_path
from smvp_engine.errors import Msg

__all__ = ["HEAD", "database_url", "default_database_path", "display_url", "open_engine",
           "ensure_schema", "migrate", "upgrade_existing", "schema_revision", "dialect_insert",
           "short_error", "alembic_config"]

# --------------------------------------------------------------------------- location


def display_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine for ``database_url(url)`` with the tables created."""
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise UsageProblem(Msg("invalid database URL {url!r}", url=resolved),
                           hint=Msg("use e.g. sqlite:///path/to/smvp.db")) from exc
    db_path = None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db_path = Path(parsed.database).expanduser()
        if create:
            try:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreProblem(Msg("cannot create the database folder {path}: {why}", path=str(db_path.parent),
                                       why=exc.strerror or str(exc))) from exc
    try:
        engine = create_engine(resolved)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise UsageProblem(Msg("cannot use database URL {url!r}: {why}", url=display_url(resolved), why=str(exc))) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    try:
        if create:
            ensure_schema(engine)
        elif db_path is None or db_path.exists():  # a read never makes a database file
            upgrade_existing(engine)  # but upgrades one made by an older smvp
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreProblem(Msg("cannot open the database {url}: {why}", url=display_url(resolved),
                               why=short_error(exc))) from exc
    return engine


# Any constant: the PostgreSQL advisory lock held while the schema is created.
_SCHEMA_LOCK_KEY = 0x736D7670  # "smvp"


def schema_revision(conn: Any) -> str | None:
    """The database's Alembic revision; "0001" for an smvp.db made before migrations
    (it has the run table but no alembic_version); None for an empty database."""
    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return "0001" if "run" in names else None


def alembic_config(connection: Any = None) -> Any:
    from importlib.resources import files

    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("smvp.store") / "migrations"))
    cfg.attributes["connection"] = connection
    return cfg


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest schema with the Alembic migrations, safely when
    several processes start on a fresh database.

    Nothing is done when the database is at :data:`HEAD`. Otherwise the migrations
    run in ONE transaction that first takes the database's schema lock (SQLite:
    ``BEGIN IMMEDIATE``, the write lock, waited for up to the driver's busy timeout;
    PostgreSQL: a transaction-scoped advisory lock); the revision is read again under
    the lock, so a process that waited finds the schema made by the one before it and
    does nothing. An smvp.db made before migrations is upgraded in place from "0001".
    Raises SQLAlchemyError.
    """
    with engine.connect() as conn:
        if schema_revision(conn) == HEAD:
            return
    from alembic import command

    with _schema_lock(engine) as conn:
        current = schema_revision(conn)
        if current != HEAD:
            cfg = alembic_config(conn)
            if current == "0001" and "alembic_version" not in inspect(conn).get_table_names():
                command.stamp(cfg, "0001")
            command.upgrade(cfg, "head")


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the schema lock for one transaction, committed on leaving:
    SQLite's write lock (``BEGIN IMMEDIATE``) with foreign keys off while tables are rebuilt,
    PostgreSQL's advisory lock. An exception leaves the transaction uncommitted."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # foreign keys off while tables are rebuilt (only takes effect outside a transaction)
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        yield conn
        conn.commit()
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def migrate(engine: Engine, revision: str) -> None:
    """Upgrade or downgrade the database to ``revision`` ("head", "base", "0003", …) with
    the Alembic migrations, in ONE transaction (nothing changes when a step fails), with
    SQLite's foreign keys off while tables are rebuilt. Going down drops what the newer
    revisions added (the service's accounts, scores…): see each migration's downgrade.
    Raises SQLAlchemyError, or RuntimeError when a downgrade refuses."""
    from alembic import command
    from alembic.script import ScriptDirectory

    with _schema_lock(engine) as conn:
        cfg = alembic_config(conn)
        current = schema_revision(conn)
        if current == "0001" and "alembic_version" not in inspect(conn).get_table_names():
            command.stamp(cfg, "0001")
        order = [None] + [r.revision for r in
                          reversed(list(ScriptDirectory.from_config(cfg).walk_revisions()))]
        wanted = {"base": None, "head": order[-1]}.get(revision, revision)
        if wanted not in order:
            raise ValueError(Msg("no migration {revision!r} (expected base, head or one of {known})",
                                 revision=revision, known=", ".join(str(r) for r in order[1:])))
        if order.index(wanted) < order.index(current):
            command.downgrade(cfg, revision)
        elif order.index(wanted) > order.index(current):
            command.upgrade(cfg, revision)


def upgrade_existing(engine: Engine) -> None:
    """Bring a database made by an older smvp to the newest schema (:func:`ensure_schema`);
    an empty database is left empty. So that a read (``smvp verify``, ``explain``, ``diff``)
    of an smvp.db made before the tenants, for example, finds the columns it reads."""
    with engine.connect() as conn:
        revision = schema_revision(conn)
    if revision is not None and revision != HEAD:
        ensure_schema(engine)


def dialect_insert(name: str) -> Any:
    """``insert`` of the SQL dialect ``name`` ("sqlite" or "postgresql": the INSERT with
    ``ON CONFLICT``), imported when first needed: the PostgreSQL dialect (with its asyncpg
    and asyncio) costs tens of ms to import, which a SQLite store never needs."""
    import importlib

    return importlib.import_module(f"sqlalchemy.dialects.{name}").insert


def short_error(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0]


