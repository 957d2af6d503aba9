"""The class's database: embedded SQLite (WAL) in the data folder by default, so that ``streamlit run app.py``
needs nothing else; PostgreSQL (psycopg 3) where ``CNNVIZ_DATABASE_URL`` names one, which replicas share.

    CNNVIZ_DATABASE_URL=postgresql://user:password@host/cnnviz   (postgresql+psycopg:// is meant either way)
    CNNVIZ_DATA_DIR=/path/to/folder                               (SQLite's file, default ~/.local/share/cnnviz)

The tables are brought up to date with Alembic (``migrations``) the first time a process uses the store; replicas
starting together take turns (a PostgreSQL advisory lock, a file lock beside the SQLite file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_FILE = "class.sqlite3"
_MIGRATION_LOCK = 72_417_030  # the PostgreSQL advisory lock's number: any fixed one of this app's own
_WRITE = "cnnviz_write"


class StoreUnavailable(RuntimeError):
    """The database cannot be reached (a restart, a network break): the pages say "reconnecting" and try again."""


def data_dir() -> Path:
    configured = os.environ.get("CNNVIZ_DATA_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "cnnviz"


def database_url() -> str:
    configured = os.environ.get("CNNVIZ_DATABASE_URL", "").strip()
    if not configured:
        return f"sqlite:///{data_dir() / SQLITE_FILE}"
    url = make_url(configured)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        raise ValueError(f"CNNVIZ_DATABASE_URL must name a PostgreSQL or SQLite database, not {url.drivername}")
    return url.render_as_string(hide_password=False)


def make_engine(url: str | None = None) -> Engine:
    """An engine on ``url`` (default: ``database_url()``) with its tables migrated to the newest version."""
    url = url or database_url()
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(url)
    else:
        # Short waits: a page that cannot reach the database says so and tries again at its next refresh.
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=5,
                               connect_args={"connect_timeout": 3})
    migrate(engine)
    return engine


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False}, pool_size=10,
                           max_overflow=20)

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the transactions are begun below, as each one needs
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # A write takes the lock at its start: a read that turned into a write could not wait for it.
        write = connection.get_execution_options().get(_WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def migrate(engine: Engine) -> None:
    """Alembic's upgrade to the newest revision, one process at a time."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _migration_lock(engine), engine.connect() as connection:
        connection = connection.execution_options(**{_WRITE: True})
        with connection.begin():
            _upgrade(connection, config, command)


def _upgrade(connection, config, command) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _MIGRATION_LOCK})
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@contextlib.contextmanager
def _migration_lock(engine: Engine):
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """This process's engine on the configured database, made (and migrated) on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                _engine = make_engine()
            except Exception as error:  # noqa: BLE001 — unreachable, or refused: tried again on the next use
                if _is_connection_error(error):
                    raise StoreUnavailable(str(error).splitlines()[0]) from error
                raise
        return _engine


def use_engine(new: Engine | None) -> None:
    """Make ``new`` the process's engine (tests, benchmarks)."""
    global _engine
    with _engine_lock:
        _engine = new


@contextlib.contextmanager
def reading(on: Engine | None = None):
    """A connection in a read transaction."""
    with _translated():
        with (on or engine()).connect() as connection, connection.begin():
            yield connection


@contextlib.contextmanager
def writing(on: Engine | None = None):
    """A connection in a write transaction, committed at the end (rolled back on an exception)."""
    with _translated():
        with (on or engine()).connect() as connection:
            connection = connection.execution_options(**{_WRITE: True})
            with connection.begin():
                yield connection


def _is_connection_error(error: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeout

    if isinstance(error, (OperationalError, PoolTimeout)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@contextlib.contextmanager
def _translated():
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as error:
        if _is_connection_error(error):
            raise StoreUnavailable(str(error).splitlines()[0]) from error
        raise


