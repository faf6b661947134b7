"""Flask fixtures in the flaskr style: ``app`` (migrated database), ``client``, ``runner``."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from web import create_app


def make_app(url: str):
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'web.sqlite'}")
    yield app
    app.extensions["jx_db"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app
