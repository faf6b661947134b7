"""The only Flask layer: pages, API, Socket.IO and CLI over the domain packages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

import competition.models  # noqa: F401  (tables on the shared metadata, for migrations)
from competition.readmodel import ProjectionCache

from . import config
from .extensions import Database, migrate, socketio


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by ``test_config``."""
    app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    database = Database(app)
    migrate.init_app(app, database, directory=str(Path(__file__).parent / "migrations"))
    app.extensions["jx_projections"] = ProjectionCache()
    socketio.init_app(app, async_mode=app.config["SOCKETIO_ASYNC_MODE"],
                      message_queue=app.config["MESSAGE_QUEUE"])

    from . import cli
    from .api import bp as api_bp
    from .views import bp as views_bp

    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    cli.register(app)
    return app
