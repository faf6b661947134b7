"""Fixtures shared by every test: database engines for SQLite and PostgreSQL.

Tests that take ``session`` run once per backend. PostgreSQL tests use a schema of their own
in the database named by ``TEST_POSTGRES_URL`` (default: the local ``test`` database); when
that server is absent they skip with the reason, unless ``REQUIRE_SERVICES=1`` (CI), where
an absent server is a failure.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

# Cheap password hashing for the suite (before profiles.accounts reads it); see accounts._SCRYPT.
os.environ.setdefault("JX_SCRYPT_N", "1024")

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session

from profiles.db import Base, make_engine

import competition.models  # noqa: F401  (registers the tables on Base.metadata)
import matching.models  # noqa: F401

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def postgres_or_skip(url: str = POSTGRES_URL) -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) when PostgreSQL does not answer at ``url``."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {plain}: {exc}".strip()
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (REQUIRE_SERVICES=1: a skip would hide missing work)")
        pytest.skip(reason)


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip(url: str = REDIS_URL) -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) when Redis does not answer at ``url``."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {url}: {exc}".strip()
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (REQUIRE_SERVICES=1: a skip would hide missing work)")
        pytest.skip(reason)


@contextmanager
def fresh_postgres_schema():
    """Yield a PostgreSQL URL whose search_path is a new empty schema, dropped afterwards."""
    postgres_or_skip()
    schema = f"jx_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_schema_url():
    """A schema shared by the session's PostgreSQL tests (tables created once)."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def empty_postgres_url():
    """A schema of this test's own, with no tables (for migrations)."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()
