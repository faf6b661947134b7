"""Staff set a contest up over the API: create it, add sites, import the roster, assign panels, run it."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from sqlalchemy import func, select

from competition.demo import DEMO_ADMIN, DEMO_REFEREE_PIN
from competition.models import Contest, ContestEvent
from scoring_rules import bundled_ruleset_path
from tests.competition.test_roster import workbook

from .conftest import bearer, token_for

EA = "/api/v1/contests/DEMO-EA"


@pytest.fixture
def admin(demo_app, client):
    return bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))


def contest_count(app) -> int:
    with app.app_context():
        return app.extensions["jx_db"].session.scalar(select(func.count()).select_from(Contest))


def logged(app, kind: str) -> list[ContestEvent]:
    with app.app_context():
        session = app.extensions["jx_db"].session
        return session.scalars(select(ContestEvent).where(ContestEvent.kind == kind)).all()


def put_panel(client, headers, contest: str, site: str, aspect: str, referees: list[str], reason: str = "",
              key: str | None = None):
    return client.put(f"/api/v1/contests/{contest}/panels", headers=headers, json={
        "site": site, "aspect": aspect, "referees": referees, "reason": reason,
        "idempotency_key": key or f"panel-{site}-{aspect}-{'-'.join(referees)}-{reason}"})


def test_staff_set_up_a_contest_from_nothing_and_a_referee_marks_in_it(demo_app, client, admin):
    shipped = client.get("/api/v1/rulesets").get_json()
    assert {"electrical-assembly", "electrician-stages", "claims-adjuster"} <= {r["code"] for r in shipped}

    created = client.post("/api/v1/contests", headers=admin, json={
        "code": "NB-2026", "name": "宁波市电气装配工技能竞赛", "ruleset": "electrical-assembly"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "draft" and created.get_json()["ruleset"]["code"] == "electrical-assembly"
    base = "/api/v1/contests/NB-2026"
    for code, name in (("BL", "北仑赛点"), ("YZ", "鄞州赛点")):
        site = client.post(f"{base}/sites", headers=admin, json={"code": code, "name": name, "city": "宁波"})
        assert site.status_code == 201, site.get_json()

    roster = workbook([["BL001", "王建", "宁波电力", "BL", "01", "1111"], ["YZ001", "李明", "宁波电力", "YZ", "01", "2222"]],
                      [["BL-R1", "陈裁", "杭州检测", "BL", "否", "9999"], ["BL-R2", "周裁", "宁波电力", "BL", "否", "9999"],
                       ["BL-R3", "吴裁", "温州检测", "BL", "否", "9999"], ["BL-R4", "郑裁", "台州检测", "BL", "否", "9999"]])
    imported = client.post(f"{base}/roster", headers=admin, data={"file": (BytesIO(roster), "名单.xlsx")},
                           content_type="multipart/form-data")
    assert imported.status_code == 201, imported.get_json()

    panels = client.get(f"{base}/panels", headers=admin).get_json()
    bl = next(s for s in panels["sites"] if s["code"] == "BL")
    assert [r["code"] for r in bl["referees"]] == ["BL-R1", "BL-R2", "BL-R3", "BL-R4"]
    a13 = next(p for p in bl["panels"] if p["aspect"] == "A1.3")
    assert a13["seats"] == 3 and a13["referees"] == []
    # BL-R2 is from 宁波电力, whose worker competes at BL: the listing says so before anyone tries.
    assert set(a13["blocked"]) == {"BL-R2"}
    assert not any(p["aspect"].startswith("E") for p in bl["panels"]), "objective items have no panel"

    assert put_panel(client, admin, "NB-2026", "BL", "A1.3", ["BL-R1", "BL-R3", "BL-R4"]).status_code == 200
    fill = client.post(f"{base}/panels/fill", headers=admin, json={"site": "BL", "idempotency_key": "fill-bl"})
    assert fill.status_code == 200, fill.get_json()
    bl = next(s for s in client.get(f"{base}/panels", headers=admin).get_json()["sites"] if s["code"] == "BL")
    too_big = {p["aspect"] for p in bl["panels"] if p["seats"] > 3}  # three referees may mark at BL
    assert too_big and set(fill.get_json()["unfilled"]) == too_big, fill.get_json()
    assert "A1.3" not in fill.get_json()["filled"]
    seats = {code: 0 for code in ("BL-R1", "BL-R2", "BL-R3", "BL-R4")}
    for panel in bl["panels"]:
        if panel["aspect"] in too_big:
            assert panel["referees"] == [], "never half a panel"
            continue
        assert len(panel["referees"]) == panel["seats"] and "BL-R2" not in panel["referees"], panel
        for code in panel["referees"]:
            seats[code] += 1
    assert seats["BL-R2"] == 0 and max(seats.values()) - min(v for k, v in seats.items() if k != "BL-R2") <= 1
    # YZ has no referees: nothing can be filled there, and each aspect says why.
    empty = client.post(f"{base}/panels/fill", headers=admin, json={"site": "YZ", "idempotency_key": "fill-yz"})
    assert empty.get_json()["filled"] == [] and "A1.3" in empty.get_json()["unfilled"]
    assert logged(demo_app, "panel_assigned") == [], "set-up before the start leaves no event"
    assert client.post(f"{base}/start", headers=admin, json={"idempotency_key": "nb-start"}).status_code == 200

    referee = bearer(token_for(client, "referee", "BL-R3", "9999", contest="NB-2026"))
    assignments = client.get(f"{base}/assignments", headers=referee).get_json()
    assert "A1.3" in [a["code"] for a in assignments["aspects"]]
    assert [c["ticket_no"] for c in assignments["contestants"]] == ["BL001"]
    mark = client.post(f"{base}/marks", headers=referee,
                       json={"contestant": "BL001", "aspect": "A1.3", "value": 2, "idempotency_key": "nb-m1"})
    assert mark.status_code == 201, mark.get_json()

    link = client.post(f"{base}/display-links", headers=admin, json={"site": "BL"})
    assert link.status_code == 201 and link.get_json()["site"] == "BL"
    screen = client.get(link.get_json()["url"].removeprefix("http://localhost"))
    assert screen.status_code == 200 and "北仑赛点" in screen.get_data(as_text=True)
    assert client.post(f"{base}/display-links", headers=admin, json={"site": "MARS"}).status_code == 404


def test_a_broken_rule_set_is_refused_naming_the_field_and_nothing_is_created(demo_app, client, admin):
    text = bundled_ruleset_path("electrical-assembly").read_text(encoding="utf-8")
    broken = text.replace("panel_size = 3", "panel_size = 0", 1)
    before = contest_count(demo_app)
    answer = client.post("/api/v1/contests", headers=admin, json={"code": "BAD", "name": "坏规则", "ruleset_text": broken})
    body = answer.get_json()
    assert answer.status_code == 422 and body["field"] == "ruleset_text"
    assert "panel_size" in body["message"] and "criteria" in body["message"], body["message"]
    assert contest_count(demo_app) == before


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"code": "DEMO-EA", "name": "重名", "ruleset": "electrical-assembly"}, 409, "code"),
    ({"code": "有 空格", "name": "x", "ruleset": "electrical-assembly"}, 422, "code"),
    ({"code": "X1", "name": "x", "ruleset": "no-such-rules"}, 404, "ruleset"),
    ({"code": "X1", "name": "x"}, 422, "ruleset"),
    ({"code": "X1", "name": "x", "ruleset": "electrical-assembly", "ruleset_text": "code = 1"}, 422, "ruleset"),
])
def test_bad_contest_requests_name_the_field(demo_app, client, admin, body, status, field):
    before = contest_count(demo_app)
    answer = client.post("/api/v1/contests", headers=admin, json=body)
    assert answer.status_code == status and answer.get_json()["field"] == field, answer.get_json()
    assert contest_count(demo_app) == before


@pytest.mark.parametrize(("site", "aspect", "referees", "status", "field"), [
    ("WZ", "A1.3", ["WZ-R1", "WZ-R2", "WZ-R3", "WZ-R4"], 422, "referees"),   # a panel of three
    ("WZ", "A1.3", ["WZ-R1", "JX-R1", "WZ-R3"], 422, "referees"),            # works at another site
    ("WZ", "A1.3", ["WZ-R1", "WZ-R1", "WZ-R3"], 422, "referees"),            # one seat each
    ("WZ", "A1.3", ["WZ-R1", "NOBODY", "WZ-R3"], 404, "referees"),
    ("WZ", "E1.1", ["WZ-R1"], 422, "aspect"),                                # objective: no panel
    ("WZ", "Z9", ["WZ-R1"], 404, "aspect"),
    ("MARS", "A1.3", ["WZ-R1"], 404, "site"),
])
def test_a_panel_that_cannot_be_is_refused_and_the_panel_stays(demo_app, client, admin, site, aspect, referees,
                                                                status, field):
    before = client.get(f"{EA}/panels", headers=admin).get_json()
    answer = put_panel(client, admin, "DEMO-EA", site, aspect, referees, reason="调整")
    assert answer.status_code == status and answer.get_json()["field"] == field, answer.get_json()
    assert client.get(f"{EA}/panels", headers=admin).get_json() == before


def test_a_referee_from_a_contestants_enterprise_cannot_sit_on_that_sites_panel(demo_app, client, admin):
    create = client.post("/api/v1/contests", headers=admin, json={"code": "HZ", "name": "回避", "ruleset": "electrical-assembly"})
    assert create.status_code == 201
    client.post("/api/v1/contests/HZ/sites", headers=admin, json={"code": "S1", "name": "一号赛点"})
    roster = workbook([["S1001", "甲", "杭州电力", "S1", "01", None]], [["R1", "乙", "杭州电力", "S1", "否", None]])
    client.post("/api/v1/contests/HZ/roster", headers=admin, data={"file": (BytesIO(roster), "名单.xlsx")},
                content_type="multipart/form-data")
    answer = put_panel(client, admin, "HZ", "S1", "A1.3", ["R1"])
    assert answer.status_code == 403 and answer.get_json()["error"] == "conflict_of_interest", answer.get_json()


def test_replacing_a_referee_mid_contest_needs_a_reason_is_logged_and_moves_the_marking(demo_app, client, admin):
    panel = next(p for p in next(s for s in client.get(f"{EA}/panels", headers=admin).get_json()["sites"]
                                 if s["code"] == "WZ")["panels"] if p["aspect"] == "A1.3")
    assert panel["referees"] == ["WZ-R1", "WZ-R2", "WZ-R3"]
    no_reason = put_panel(client, admin, "DEMO-EA", "WZ", "A1.3", ["WZ-R1", "WZ-R2", "WZ-R5"])
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    assert logged(demo_app, "panel_assigned") == []

    changed = put_panel(client, admin, "DEMO-EA", "WZ", "A1.3", ["WZ-R1", "WZ-R2", "WZ-R5"], reason="WZ-R3 身体不适")
    assert changed.status_code == 200 and [e["kind"] for e in changed.get_json()["events"]] == ["panel_assigned"]
    [event] = logged(demo_app, "panel_assigned")
    assert json.loads(event.payload) == {"site": "WZ", "aspect": "A1.3", "before": ["WZ-R1", "WZ-R2", "WZ-R3"],
                                         "after": ["WZ-R1", "WZ-R2", "WZ-R5"], "reason": "WZ-R3 身体不适"}
    again = put_panel(client, admin, "DEMO-EA", "WZ", "A1.3", ["WZ-R1", "WZ-R2", "WZ-R5"], reason="重复提交",
                      key="another-key")
    assert again.status_code == 200 and again.get_json()["events"] == [], "the same panel again changes nothing"

    replaced = bearer(token_for(client, "referee", "WZ-R3", DEMO_REFEREE_PIN))
    newcomer = bearer(token_for(client, "referee", "WZ-R5", DEMO_REFEREE_PIN))
    assert "A1.3" in [a["code"] for a in client.get(f"{EA}/assignments", headers=newcomer).get_json()["aspects"]]
    sheets = client.get(f"{EA}/assignments", headers=newcomer).get_json()["contestants"]
    # The demo marks some contestants fully (their panel has its three scores) and leaves others part-marked.
    full = next(c["ticket_no"] for c in sheets if c["total"] != "0" and "A1.3" not in c["my_marks"]
                and client.get(f"{EA}/sheets/{c['ticket_no']}", headers=admin).get_json()["aspects"][2]["status"] == "scored")
    refused_old = client.post(f"{EA}/marks", headers=replaced, json={
        "contestant": full, "aspect": "A1.3", "value": 2, "idempotency_key": "old-referee"})
    assert refused_old.status_code == 403 and refused_old.get_json()["error"] == "not_assigned"
    fourth = client.post(f"{EA}/marks", headers=newcomer, json={
        "contestant": full, "aspect": "A1.3", "value": 2, "idempotency_key": "fourth-mark"})
    assert fourth.status_code == 422 and fourth.get_json()["field"] == "aspect", fourth.get_json()


def test_panels_and_sites_are_fixed_when_they_must_be(demo_app, client, admin):
    assert client.post(f"{EA}/sites", headers=admin, json={"code": "NB", "name": "宁波"}).status_code == 409
    client.post(f"{EA}/end", headers=admin, json={"idempotency_key": "end-ea"})
    late = put_panel(client, admin, "DEMO-EA", "WZ", "A1.3", ["WZ-R1", "WZ-R2", "WZ-R5"], reason="赛后")
    assert late.status_code == 409 and late.get_json()["error"] == "invalid_state"


@pytest.mark.parametrize("who", ["anonymous", "referee", "contestant"])
def test_only_staff_set_contests_up(demo_app, client, who):
    headers = {}
    if who == "referee":
        headers = bearer(token_for(client, "referee", "WZ-R1", DEMO_REFEREE_PIN))
    elif who == "contestant":
        headers = bearer(token_for(client, "contestant", "WZ008", "0000"))
    expected = 401 if who == "anonymous" else 403
    before = contest_count(demo_app)
    assert client.post("/api/v1/contests", headers=headers, json={
        "code": "X", "name": "x", "ruleset": "electrical-assembly"}).status_code == expected
    assert client.post(f"{EA}/sites", headers=headers, json={"code": "X", "name": "x"}).status_code == expected
    assert client.get(f"{EA}/panels", headers=headers).status_code == expected
    assert put_panel(client, headers, "DEMO-EA", "WZ", "A1.3", []).status_code == expected
    assert client.post(f"{EA}/display-links", headers=headers, json={}).status_code == expected
    assert client.post(f"{EA}/panels/fill", headers=headers, json={"site": "WZ", "idempotency_key": "f"}).status_code == expected
    assert contest_count(demo_app) == before
