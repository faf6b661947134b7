"""Sign-in over the API: tokens per role, refusals, revocation, expiry, CSRF on cookie sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN
from profiles.accounts import issue_token, principal_of_token
from profiles.db import utcnow

from .conftest import bearer, token_for


@pytest.mark.parametrize(("role", "login", "secret", "contest", "principal_role"), [
    ("admin", DEMO_ADMIN[0], DEMO_ADMIN[1], None, "admin"),
    ("referee", "WZ-R1", DEMO_REFEREE_PIN, "DEMO-EA", "referee"),
    ("contestant", "WZ001", DEMO_CONTESTANT_PIN, "DEMO-EA", "contestant"),
])
def test_each_role_signs_in_for_a_token_that_names_it(demo_app, client, role, login, secret, contest, principal_role):
    token = token_for(client, role, login, secret, contest)
    me = client.get("/api/v1/auth/me", headers=bearer(token)).get_json()
    assert me["role"] == principal_role and me["principal"].startswith(principal_role + ":")


@pytest.mark.parametrize(("body", "status"), [
    ({"role": "referee", "contest": "DEMO-EA", "login": "WZ-R1", "secret": "9999"}, 401),
    ({"role": "referee", "contest": "DEMO-ES", "login": "NOBODY", "secret": "1234"}, 401),
    ({"role": "contestant", "contest": "DEMO-EA", "login": "WZ001", "secret": "1234"}, 401),
    ({"role": "admin", "login": "admin", "secret": "wrong-password"}, 401),
])
def test_wrong_credentials_get_401_and_no_token(demo_app, client, body, status):
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == status and "token" not in response.get_json()


def test_a_contest_role_without_a_contest_is_a_422_naming_the_field(demo_app, client):
    response = client.post("/api/v1/auth/token", json={"role": "referee", "login": "WZ-R1", "secret": "1234"})
    body = response.get_json()
    assert response.status_code == 422 and body["field"] == "contest" and "contest" in body["message"]


def test_display_is_not_a_role_one_signs_in_as(demo_app, client):
    response = client.post("/api/v1/auth/token", json={"role": "display", "login": "x", "secret": "y"})
    assert response.status_code == 422 and response.get_json()["field"] == "role"


def test_a_revoked_token_no_longer_signs_in(demo_app, client):
    token = token_for(client, "referee", "WZ-R1", DEMO_REFEREE_PIN)
    assert client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 204
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.get_json()["message"]


def test_an_expired_token_is_refused(demo_app):
    with demo_app.app_context():
        session = demo_app.extensions["jx_db"].session
        token, _ = issue_token(session, "referee:1", now=utcnow() - timedelta(days=2))
        session.commit()
        assert principal_of_token(session, token) is None
        fresh, _ = issue_token(session, "referee:1")
        assert principal_of_token(session, fresh) == "referee:1"


def test_an_unknown_bearer_token_gets_401(demo_app, client):
    response = client.get("/api/v1/auth/me", headers=bearer("not-a-token"))
    assert response.status_code == 401


def test_a_cookie_session_must_send_the_csrf_token_on_writes(demo_app, client):
    with client.session_transaction() as session:
        session["_user_id"] = "admin:1"
        session["_fresh"] = True
    refused = client.post("/api/v1/contests/DEMO-EA/start", json={"idempotency_key": "s1"})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]
    page = client.get("/console").get_data(as_text=True)
    csrf = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    allowed = client.post("/api/v1/contests/DEMO-EA/start", json={"idempotency_key": "s1"},
                          headers={"X-CSRFToken": csrf})
    # Past CSRF, the service answers: the demo contest is running already.
    assert allowed.status_code == 409 and "running" in allowed.get_json()["message"]
