"""The one declarative base every package's models share, and engine/session helpers.

Nothing here knows about Flask: the web layer builds its engine with ``make_engine`` and
tests build theirs the same way, so both see the same SQLite pragmas.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

# Named constraints so Alembic migrations are deterministic and work on SQLite batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (stored the same on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def make_engine(url: str, *, read_only: bool = False, **kwargs) -> Engine:
    """Create an engine; on SQLite, enforce foreign keys and wait for locks instead of failing.

    ``read_only``: on SQLite, transactions open DEFERRED instead of IMMEDIATE. Under WAL a reader
    then never waits for a writer, so code that holds a Python lock (the projection cache, the
    live publisher) may read through it without risking a deadlock against a writer that waits
    for the same Python lock. Never write through such an engine.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Let SQLAlchemy, not the driver, open transactions (pysqlite's own handling
            # breaks SAVEPOINT), so we can open them as BEGIN IMMEDIATE below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not url.endswith(":memory:") and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # IMMEDIATE takes the write lock at BEGIN: a transaction that reads the log head
            # and then appends can never find its snapshot stale (SQLITE_BUSY_SNAPSHOT), so
            # SQLite serialises appends as PostgreSQL's row lock does.
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)
