"""Flask fixtures in the flaskr style: ``app`` (migrated database), ``client``, ``runner``."""

from __future__ import annotations

import shutil

import pytest
from flask_migrate import upgrade

from web import create_app


def make_app(url: str):
    # No background pusher: socket tests call the publisher's flush() when they want deltas.
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "LIVE_BACKGROUND": False})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """A migrated SQLite file with the demo loaded once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = make_app(f"sqlite:///{path}")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    app.extensions["jx_db"].engine.dispose()
    return path


@pytest.fixture
def app(request, tmp_path):
    path = tmp_path / "web.sqlite"
    if "demo_app" in request.fixturenames:
        shutil.copyfile(request.getfixturevalue("demo_database"), path)
    app = make_app(f"sqlite:///{path}")
    yield app
    app.extensions["jx_db"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo_app(app):
    """The app over a copy of the demo database (two running contests, three sites each)."""
    return app


def token_for(client, role: str, login: str, secret: str, contest: str | None = "DEMO-EA") -> str:
    body = {"role": role, "login": login, "secret": secret}
    if contest is not None:
        body["contest"] = contest
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
