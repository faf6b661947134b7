"""Matching over HTTP: who may do what, bad input by field, and the pages render for their roles."""

from __future__ import annotations

from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN
from matching.demo import DEMO_TEAM
from profiles.demo import DEMO_HR

from .conftest import bearer, token_for


def tokens(client):
    return {"admin": bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None)),
            "hr": bearer(token_for(client, "admin", *DEMO_HR, contest=None)),
            "team": bearer(token_for(client, "admin", *DEMO_TEAM, contest=None)),
            "contestant": bearer(token_for(client, "contestant", "WZ008", DEMO_CONTESTANT_PIN))}


NEED = {"kind": "problem", "title": "接口测试需求", "fields": ["welding"], "place": "zhili", "urgency": 2}


def test_roles_each_reach_only_their_own_part_of_matching(demo_app, client):
    who = tokens(client)
    assert client.post("/api/v1/needs", json=NEED, headers=who["contestant"]).status_code == 403
    assert client.post("/api/v1/needs", json=NEED, headers=who["team"]).status_code == 403
    posted = client.post("/api/v1/needs", json=NEED, headers=who["hr"])
    assert posted.status_code == 201 and posted.get_json()["status"] == "posted"
    need_id = posted.get_json()["id"]
    assert client.post("/api/v1/matching/rounds", json={}, headers=who["hr"]).status_code == 403
    me = client.get("/api/v1/auth/me", headers=who["team"]).get_json()
    assert me["role"] == "team" and me["service_team_id"]
    other = me["service_team_id"] + 1
    assert client.get(f"/api/v1/teams/{other}/inbox", headers=who["team"]).status_code == 403
    assert client.get(f"/api/v1/teams/{me['service_team_id']}/inbox", headers=who["team"]).status_code == 200
    # Another enterprise's need is not HR's to touch; a staff-posted need must name its enterprise.
    staff_need = client.post("/api/v1/needs", json={**NEED, "enterprise_id": 2}, headers=who["admin"]).get_json()
    assert client.post(f"/api/v1/needs/{staff_need['id']}/withdraw", headers=who["hr"]).status_code == 403
    assert client.post("/api/v1/needs", json=NEED, headers=who["admin"]).get_json()["field"] == "enterprise_id"
    assert client.post(f"/api/v1/needs/{need_id}/withdraw", headers=who["hr"]).get_json()["status"] == "withdrawn"


def test_a_round_sent_puts_an_offer_in_the_inbox_and_a_bad_reply_changes_nothing(demo_app, client):
    who = tokens(client)
    team_id = client.get("/api/v1/auth/me", headers=who["team"]).get_json()["service_team_id"]
    need = client.post("/api/v1/needs", json=NEED, headers=who["hr"]).get_json()
    assert client.post("/api/v1/matching/rules", json={"need_id": need["id"], "team_id": team_id, "kind": "pin"},
                       headers=who["admin"]).status_code == 201
    round_ = client.post("/api/v1/matching/rounds", json={"method": "optimal"}, headers=who["admin"]).get_json()
    pair = next(p for p in round_["pairs"] if p["need_id"] == need["id"])
    assert pair["team_id"] == team_id and pair["pinned"] and pair["reasons"]["terms"]
    client.post(f"/api/v1/matching/rounds/{round_['id']}/send", json={"hours": 24}, headers=who["admin"])
    inbox = client.get(f"/api/v1/teams/{team_id}/inbox", headers=who["team"]).get_json()
    offer = next(o for o in inbox["pending"] if o["need_id"] == need["id"])
    refused = client.post(f"/api/v1/offers/{offer['id']}/decline", json={"reason": ""}, headers=who["team"])
    assert refused.status_code == 422 and refused.get_json()["field"] == "reason"
    assert client.get(f"/api/v1/needs/{need['id']}", headers=who["hr"]).get_json()["status"] == "offered"
    client.post(f"/api/v1/offers/{offer['id']}/decline", json={"reason": "本周人手不足"}, headers=who["team"])
    after = client.get(f"/api/v1/needs/{need['id']}", headers=who["hr"]).get_json()
    assert after["status"] == "posted" and after["history"][-1]["kind"] == "offer_declined"


def test_bad_need_input_names_the_field(demo_app, client):
    who = tokens(client)
    for body, field in (({**NEED, "fields": ["nonsense"]}, "fields"), ({**NEED, "place": "atlantis"}, "place"),
                        ({**NEED, "urgency": 9}, "urgency"), ({**NEED, "fields": []}, "fields")):
        answer = client.post("/api/v1/needs", json=body, headers=who["hr"])
        assert answer.status_code == 422 and answer.get_json()["field"] == field, answer.get_json()


def sign_in_page(app, login):
    client = app.test_client()
    page = client.get("/login?role=admin").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login?role=admin", data={"login": login[0], "secret": login[1], "csrf_token": token})
    return client


def test_matching_pages_render_for_their_roles(demo_app, client):
    assert client.get("/bounties").status_code == 200
    assert client.get("/matching").status_code in (302, 401)
    for login, pages in ((DEMO_ADMIN, ["/matching", "/needs", "/teams/1", "/teams/1/inbox", "/bounties"]),
                         (DEMO_HR, ["/needs", "/teams/1", "/bounties"]),
                         (DEMO_TEAM, ["/teams/1", "/teams/1/inbox", "/bounties"])):
        signed = sign_in_page(demo_app, login)
        for path in pages:
            assert signed.get(path).status_code == 200, (login[0], path)
    assert sign_in_page(demo_app, DEMO_HR).get("/matching").status_code == 403
    assert sign_in_page(demo_app, DEMO_TEAM).get("/teams/2/inbox").status_code == 403
