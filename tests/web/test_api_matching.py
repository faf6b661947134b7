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


def test_a_team_sets_its_own_availability_and_staff_see_it_but_not_another_team(demo_app, client):
    who = tokens(client)
    team_id = client.get("/api/v1/auth/me", headers=who["team"]).get_json()["service_team_id"]
    changed = client.patch(f"/api/v1/teams/{team_id}", json={"capacity": 5, "away_from": "2030-01-01",
                                                               "away_until": "2030-01-15"}, headers=who["team"])
    assert changed.status_code == 200, changed.get_json()
    seen = client.get(f"/api/v1/teams/{team_id}", headers=who["admin"]).get_json()
    assert (seen["capacity"], seen["away_from"], seen["away_until"]) == (5, "2030-01-01", "2030-01-15")
    assert client.patch(f"/api/v1/teams/{team_id + 1}", json={"available": False},
                        headers=who["team"]).status_code == 403
    for role in ("hr", "contestant"):
        assert client.patch(f"/api/v1/teams/{team_id}", json={"available": False},
                            headers=who[role]).status_code == 403
    # Bad settings are refused by field and change nothing.
    for body, field in (({"capacity": 0}, "capacity"), ({"away_from": "2030-02-01"}, "away_until"),
                        ({"away_from": "2030-02-05", "away_until": "2030-02-01"}, "away_until"),
                        ({"available": "sometimes"}, "available")):
        refused = client.patch(f"/api/v1/teams/{team_id}", json=body, headers=who["team"])
        assert refused.status_code == 422 and refused.get_json()["field"] == field, (body, refused.get_json())
    assert client.get(f"/api/v1/teams/{team_id}", headers=who["admin"]).get_json()["capacity"] == 5
    cleared = client.patch(f"/api/v1/teams/{team_id}", json={"away_from": None, "away_until": None, "available": False},
                           headers=who["admin"]).get_json()
    assert (cleared["away_from"], cleared["available"]) == (None, False)


def test_a_team_not_taking_orders_is_left_out_of_the_next_round(demo_app, client):
    who = tokens(client)
    team_id = client.get("/api/v1/auth/me", headers=who["team"]).get_json()["service_team_id"]
    need = client.post("/api/v1/needs", json=NEED, headers=who["hr"]).get_json()
    client.post("/api/v1/matching/rules", json={"need_id": need["id"], "team_id": team_id, "kind": "pin"},
                headers=who["admin"])
    client.patch(f"/api/v1/teams/{team_id}", json={"available": False}, headers=who["team"])
    round_ = client.post("/api/v1/matching/rounds", json={}, headers=who["admin"]).get_json()
    assert all(p["team_id"] != team_id for p in round_["pairs"])  # not even the pin holds


def test_both_sides_rank_and_the_answers_carry_the_ranking(demo_app, client):
    who = tokens(client)
    team_id = client.get("/api/v1/auth/me", headers=who["team"]).get_json()["service_team_id"]
    need = client.post("/api/v1/needs", json=NEED, headers=who["hr"]).get_json()
    ranked = client.put(f"/api/v1/needs/{need['id']}/preferences", json={"ranked": [team_id, 2]}, headers=who["hr"])
    assert ranked.status_code == 200 and ranked.get_json()["preferences"] == [team_id, 2]
    mine = client.put(f"/api/v1/teams/{team_id}/preferences", json={"ranked": [need["id"]]}, headers=who["team"])
    assert mine.get_json()["preferences"] == [need["id"]]
    twice = client.put(f"/api/v1/needs/{need['id']}/preferences", json={"ranked": [2, 2]}, headers=who["hr"])
    assert twice.status_code == 422 and twice.get_json()["field"] == "ranked"
    assert client.put(f"/api/v1/needs/{need['id']}/preferences", json={"ranked": [team_id]},
                      headers=who["team"]).status_code == 403
    round_ = client.post("/api/v1/matching/rounds", json={"method": "stable-needs"}, headers=who["admin"]).get_json()
    pair = next(p for p in round_["pairs"] if p["need_id"] == need["id"])
    assert pair["team_id"] == team_id and round_["summary"]["blocking_pairs"] == 0


def test_pairings_are_signed_by_staff_or_the_enterprise_and_listed(demo_app, client):
    from sqlalchemy import select

    from profiles.models import Worker

    who = tokens(client)
    me = client.get("/api/v1/auth/me", headers=who["hr"]).get_json()
    with demo_app.app_context():
        session = demo_app.extensions["jx_db"].session
        mine = session.scalars(select(Worker).where(Worker.enterprise_id == me["enterprise_id"])).all()
        trade = mine[0].trade
        own = [w.id for w in mine if w.trade == trade][:2]
        elsewhere = next(w.id for w in mine if w.trade != trade)
        other = session.scalar(select(Worker.id).where(Worker.enterprise_id != me["enterprise_id"],
                                                       Worker.trade == trade).limit(1))
    before = client.get("/api/v1/pairings", headers=who["hr"]).get_json()
    signed = client.post("/api/v1/pairings", json={"master_id": own[0], "apprentice_id": own[1]}, headers=who["hr"])
    assert signed.status_code == 201, signed.get_json()
    assert signed.get_json()["master_id"] == own[0] and signed.get_json()["apprentice"]
    after = client.get("/api/v1/pairings", headers=who["hr"]).get_json()
    assert len(after) == len(before) + 1 and after[0]["id"] == signed.get_json()["id"]
    again = client.post("/api/v1/pairings", json={"master_id": own[0], "apprentice_id": own[1]}, headers=who["hr"])
    assert again.status_code == 409
    assert client.post("/api/v1/pairings", json={"master_id": other, "apprentice_id": own[1]},
                       headers=who["hr"]).status_code == 403
    self_pair = client.post("/api/v1/pairings", json={"master_id": own[0], "apprentice_id": own[0]},
                            headers=who["admin"])
    assert self_pair.status_code == 422 and self_pair.get_json()["field"] == "apprentice_id"
    other_trade = client.post("/api/v1/pairings", json={"master_id": own[0], "apprentice_id": elsewhere},
                              headers=who["hr"])
    assert other_trade.status_code == 422 and "trade" in other_trade.get_json()["message"]
    missing = client.post("/api/v1/pairings", json={"master_id": 10**6, "apprentice_id": own[1]}, headers=who["admin"])
    assert missing.status_code == 404 and missing.get_json()["field"] == "master_id"
    for role in ("team", "contestant"):
        assert client.get("/api/v1/pairings", headers=who[role]).status_code == 403
    resume = client.get(f"/api/v1/workers/{own[1]}/resume", headers=who["hr"]).get_json()
    assert {"role": "apprentice", "with": signed.get_json()["master"]} in [
        {"role": p["role"], "with": p["with"]} for p in resume["pairings"]]


def test_a_team_sees_its_members_names_without_links_it_may_not_open(demo_app, client):
    staff, team = sign_in_page(demo_app, DEMO_ADMIN), sign_in_page(demo_app, DEMO_TEAM)
    assert 'href="/workers/' in staff.get("/teams/1").get_data(as_text=True)
    page = team.get("/teams/1").get_data(as_text=True)
    assert 'href="/workers/' not in page and "队员" in page
    for path in ("/pairings", "/teams/1/inbox"):
        assert staff.get(path).status_code == 200
    assert sign_in_page(demo_app, DEMO_HR).get("/pairings").status_code == 200
    assert team.get("/pairings").status_code == 403


def test_a_bounty_is_claimed_by_a_team_and_by_craftsmen_then_chosen_and_paid(demo_app, client):
    who = tokens(client)
    bounty = client.post("/api/v1/bounties", json={"title": "揭榜：激光焊缝跟踪", "fields": ["welding"],
                                                   "reward_yuan": "50000", "deadline": "2099-12-31"}, headers=who["hr"])
    assert bounty.status_code == 201, bounty.get_json()
    url = f"/api/v1/bounties/{bounty.get_json()['id']}"
    by_team = client.post(f"{url}/claims", json={"proposal": "三周内给出方案"}, headers=who["team"])
    assert by_team.status_code == 201
    # A craftsman signed in on a tablet claims as themself, never for someone else.
    assert client.post(f"{url}/claims", json={"proposal": "我来", "worker_id": 1},
                       headers=who["contestant"]).status_code == 403
    by_worker = client.post(f"{url}/claims", json={"proposal": "个人揭榜：改进焊枪摆动"}, headers=who["contestant"])
    assert by_worker.status_code == 201, by_worker.get_json()
    mine = by_worker.get_json()["claims"][-1]
    assert mine["worker_id"] is not None and mine["team_id"] is None
    again = client.post(f"{url}/claims", json={"proposal": "再来一次"}, headers=who["contestant"])
    assert again.status_code == 409
    by_staff = client.post(f"{url}/claims", json={"proposal": "代录", "worker_id": 2}, headers=who["admin"])
    assert by_staff.status_code == 201 and by_staff.get_json()["claims"][-1]["worker_id"] == 2
    assert client.post(f"{url}/claims", json={"proposal": "x"}, headers=who["hr"]).status_code == 403
    chosen = client.post(f"{url}/choose", json={"claim_id": mine["id"]}, headers=who["hr"]).get_json()
    assert chosen["status"] == "awarded" and chosen["chosen_claim_id"] == mine["id"]
    late = client.post(f"{url}/claims", json={"proposal": "晚了", "worker_id": 3}, headers=who["admin"])
    assert late.status_code == 409 and "closed" in late.get_json()["message"]
    paid = client.post(f"{url}/payment", json={"paid_yuan": "50000.00"}, headers=who["hr"]).get_json()
    assert paid["status"] == "paid" and paid["paid_yuan"] == "50000.00"
