"""The app's long-lived objects: database, Socket.IO, migrations, projection cache."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, g
from flask_migrate import Migrate
from flask_socketio import SocketIO
from sqlalchemy.orm import Session

from competition.projections import ContestProjection
from competition.readmodel import ProjectionCache
from profiles.db import Base, make_engine, make_session_factory

socketio = SocketIO()
migrate = Migrate()


class Database:
    """Engine and session factory for one app; ``session`` is one Session per request."""

    def __init__(self, app: Flask):
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session_factory = make_session_factory(self.engine)
        # Reads done under a Python lock go through here (see make_engine's read_only).
        self.read_engine = make_engine(app.config["DATABASE_URL"], read_only=True)
        self.read_session_factory = make_session_factory(self.read_engine)
        self.metadata = Base.metadata
        app.extensions["jx_db"] = self
        app.teardown_appcontext(self._close)

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.session_factory()
        return g.db_session

    @staticmethod
    def _close(_exc) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def db() -> Database:
    from flask import current_app

    return current_app.extensions["jx_db"]


def projections() -> ProjectionCache:
    from flask import current_app

    return current_app.extensions["jx_projections"]


@contextmanager
def read_projection(contest_id: int) -> Iterator[ContestProjection]:
    """Hold a contest's current projection for reading, caught up through a read-only session.

    Never read a projection with the request's session: on SQLite it holds the write lock, and
    waiting for the cache's lock while holding it can deadlock against the publisher.
    """
    with db().read_session_factory() as session, projections().reading(session, contest_id) as projection:
        yield projection


def off_the_loop(function, *args, **kwargs):
    """Run CPU-bound work (a severity fit) where it does not stall every other connection: under
    gevent one greenlet computing for a second stops every push to every screen, so the work goes
    to the hub's thread pool, where numpy's array work releases the GIL; other async modes serve
    each request on its own thread already. The work must not touch the request's session."""
    from flask import current_app

    if current_app.config.get("SOCKETIO_ASYNC_MODE") == "gevent":
        import gevent

        def outcome():  # a refusal is an answer, not a crash for gevent's pool to log
            try:
                return True, function(*args, **kwargs)
            except Exception as error:
                return False, error

        done, value = gevent.get_hub().threadpool.apply(outcome)
        if not done:
            raise value
        return value
    return function(*args, **kwargs)
