"""Judge severity over the API: staff only; a demo whose sites share no referee is refused with the
groups named, and fitted when staff accept equally able sites; a referee who marks at every site
links them."""

from __future__ import annotations

from competition.demo import DEMO_ADMIN, DEMO_REFEREE_PIN
from tests.web.conftest import bearer, token_for

EA = "/api/v1/contests/DEMO-EA"


def test_severity_is_for_staff_only(demo_app, client):
    assert client.get(f"{EA}/severity").status_code == 401
    referee = token_for(client, "referee", "HZ-R1", DEMO_REFEREE_PIN)
    assert client.get(f"{EA}/severity", headers=bearer(referee)).status_code == 403


def test_sites_with_their_own_panels_are_refused_naming_the_groups_then_fitted_when_assumed_equal(demo_app, client):
    admin = bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))
    refused = client.get(f"{EA}/severity", headers=admin)
    assert refused.status_code == 409
    message = refused.get_json()["message"]
    assert "groups that never rated the same contestant" in message and "site HZ" in message
    assert "assume_equal_sites" in message
    fitted = client.get(f"{EA}/severity?assume_equal_sites=true", headers=admin)
    assert fitted.status_code == 200, fitted.get_json()
    report = fitted.get_json()
    assert report["ratings"] > 0 and len(report["assumed_equal_groups"]) >= 2
    assert abs(sum(r["severity"] for r in report["referees"])) < 1e-6  # measured against the average referee
    assert [r["severity"] for r in report["referees"]] == sorted((r["severity"] for r in report["referees"]),
                                                                 reverse=True)
    for row in report["contestants"]:
        assert 0 <= row["observed"] <= 3 and 0 <= row["fair"] <= 3 and row["ratings"] >= 1
    # A contestant judged by harsher-than-average referees gets a fair score above what they were given.
    severity = {r["id"]: r["severity"] for r in report["referees"]}
    assert any(row["fair"] > row["observed"] for row in report["contestants"])
    assert severity and all(r["se"] > 0 for r in report["referees"])


def test_a_bad_query_names_the_field(demo_app, client):
    admin = bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))
    response = client.get(f"{EA}/severity?assume_equal_sites=maybe", headers=admin)
    assert response.status_code == 422 and "assume_equal_sites" in str(response.get_json())


def test_a_chief_referee_who_marks_at_every_site_links_them(demo_app, client):
    """The chief marks one judgement aspect of one contestant per site where a panel seat is free:
    every site's referees then share a rated contestant with the chief, and no assumption is needed."""
    admin = bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))
    chief = bearer(token_for(client, "referee", "CHIEF", DEMO_REFEREE_PIN))
    judged = [a["code"] for a in client.get(f"{EA}/assignments", headers=chief).get_json()["aspects"]
              if a["kind"] == "judgement"]
    linked = set()
    for person in client.get(f"{EA}/assignments", headers=chief).get_json()["contestants"]:
        site = person["ticket_no"][:2]
        if site in linked:
            continue
        sheet = client.get(f"{EA}/sheets/{person['ticket_no']}", headers=admin).get_json()
        marked = {a["code"] for a in sheet["aspects"] if a["marks"] is not None}
        if not marked & set(judged):
            continue  # link through a contestant the site's panel has judged
        for code in judged:
            if code in marked:
                continue  # the chief adds a rating only where the panel has not marked yet
            answer = client.post(f"{EA}/marks", headers=chief, json={
                "contestant": person["ticket_no"], "aspect": code, "value": 2, "idempotency_key": f"link-{site}"})
            if answer.status_code == 201:
                linked.add(site)
                break
    assert len(linked) == 3, f"the demo left a free panel seat at only {sorted(linked)}"
    report = client.get(f"{EA}/severity", headers=admin)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert body["assumed_equal_groups"] == [] and "CHIEF" in {r["code"] for r in body["referees"]}


def test_a_fit_runs_in_gevents_thread_pool_and_its_refusal_comes_back_as_raised(app):
    """Under gevent a second of fitting on the hub would stall every screen's push."""
    import threading

    import pytest

    from competition.errors import InvalidState
    from web.extensions import off_the_loop

    app.config["SOCKETIO_ASYNC_MODE"] = "gevent"
    with app.app_context():
        assert off_the_loop(threading.get_ident) != threading.get_ident()  # another thread did the work

        def refuse():
            raise InvalidState("no judgement marks yet")

        with pytest.raises(InvalidState, match="no judgement marks"):
            off_the_loop(refuse)
    app.config["SOCKETIO_ASYNC_MODE"] = "threading"
    with app.app_context():
        assert off_the_loop(threading.get_ident) == threading.get_ident()


def test_a_report_is_kept_until_the_log_moves(demo_app, client, monkeypatch):
    from scoring_rules import mfrm

    fits = []
    real = mfrm.fit
    monkeypatch.setattr(mfrm, "fit", lambda *args, **kwargs: fits.append(1) or real(*args, **kwargs))
    admin = bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))
    first = client.get(f"{EA}/severity?assume_equal_sites=true", headers=admin).get_json()
    again = client.get(f"{EA}/severity?assume_equal_sites=true", headers=admin).get_json()
    assert first == again and len(fits) == 1
    referee = bearer(token_for(client, "referee", "HZ-R2", DEMO_REFEREE_PIN))
    deduction = client.post(f"{EA}/deductions", headers=referee, json={
        "contestant": "HZ004", "deduction": "SAFETY", "note": "", "idempotency_key": "moves-the-log"})
    assert deduction.status_code == 201
    client.get(f"{EA}/severity?assume_equal_sites=true", headers=admin)
    assert len(fits) == 2
