"""The only Flask layer: pages, API, Socket.IO and CLI over the domain packages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, send_from_directory

import competition.models  # noqa: F401  (tables on the shared metadata, for migrations)
import profiles.accounts  # noqa: F401
from competition.readmodel import ProjectionCache

from . import config
from .extensions import Database, migrate, socketio
from .wire import JsonPacket

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
# The browser files we serve from npm packages; nothing else under node_modules is reachable.
VENDOR_FILES = {
    "socket.io-client": {"dist/socket.io.min.js", "dist/socket.io.min.js.map"},
    "echarts": {"dist/echarts.min.js"},
    "swagger-ui-dist": {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
                        "favicon-32x32.png", "favicon-16x16.png"},
}


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
    projections = app.extensions["jx_projections"] = ProjectionCache()
    socketio.init_app(app, async_mode=app.config["SOCKETIO_ASYNC_MODE"],
                      message_queue=app.config["MESSAGE_QUEUE"],
                      channel=app.config.get("MESSAGE_QUEUE_CHANNEL", "jiangxing"), serializer=JsonPacket)

    from . import api, auth, cli, i18n
    from matching.places import bundled_geography
    from matching.rounds import Engine
    from matching.taxonomy import bundled_taxonomy

    from .realtime import Publisher
    from .sockets.live import LiveNamespace
    from .views import bp as views_bp

    auth.init_app(app)
    i18n.init_app(app)
    api.init_app(app)
    app.extensions["jx_publisher"] = Publisher(app, socketio, projections)
    app.extensions["jx_matching"] = Engine(bundled_taxonomy(), bundled_geography())
    live = app.extensions["jx_live"] = LiveNamespace()
    socketio.on_namespace(live)
    app.register_blueprint(views_bp)
    app.add_url_rule("/vendor/<package>/<path:filename>", "vendor", _vendor_file)
    cli.register(app)
    return app


def _vendor_file(package: str, filename: str):
    """Serve an allow-listed file of an npm package installed by ``npm ci``."""
    if filename not in VENDOR_FILES.get(package, ()):
        abort(404)
    return send_from_directory(NODE_MODULES / package, filename, max_age=3600)
