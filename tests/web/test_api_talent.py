"""Profiles over the API, on the demo population: ranking, resume and portrait access, enterprise
analysis for staff and HR, post standards, and a selection round end to end."""

from __future__ import annotations

from sqlalchemy import select

from competition.demo import DEMO_ADMIN
from profiles.accounts import StaffAccount
from profiles.demo import DEMO_HR, DEMO_SELECTION
from profiles.models import Post, SelectionApplication, Worker

from .conftest import bearer, token_for


def staff(client):
    return bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))


def hr(client):
    return bearer(token_for(client, "admin", *DEMO_HR, contest=None))


def ids(app):
    """(HR's enterprise, another enterprise, a worker of each, a post of the HR's enterprise)."""
    with app.app_context():
        session = app.extensions["jx_db"].session
        own = session.scalar(select(StaffAccount.enterprise_id).where(StaffAccount.username == DEMO_HR[0]))
        other = session.scalar(select(Post.enterprise_id).where(Post.enterprise_id != own).order_by(Post.id))
        mine = session.scalar(select(Worker.id).where(Worker.enterprise_id == own).order_by(Worker.id))
        theirs = session.scalar(select(Worker.id).where(Worker.enterprise_id == other).order_by(Worker.id))
        post = session.scalar(select(Post.id).where(Post.enterprise_id == own).order_by(Post.id))
        return own, other, mine, theirs, post


def test_hr_signs_in_as_its_enterprise_and_sees_only_its_own(demo_app, client):
    own, other, mine, theirs, _ = ids(demo_app)
    answer = client.post("/api/v1/auth/token", json={"role": "admin", "login": DEMO_HR[0], "secret": DEMO_HR[1]})
    assert answer.status_code == 201 and answer.get_json()["role"] == "hr"
    me = client.get("/api/v1/auth/me", headers=bearer(answer.get_json()["token"])).get_json()
    assert me["role"] == "hr" and me["enterprise_id"] == own
    headers = hr(client)
    assert client.get(f"/api/v1/workers/{mine}/portrait", headers=headers).status_code == 200
    assert client.get(f"/api/v1/workers/{theirs}/resume", headers=headers).status_code == 403
    assert client.get(f"/api/v1/enterprises/{own}/workforce?by=team", headers=headers).status_code == 200
    assert client.get(f"/api/v1/enterprises/{other}/workforce", headers=headers).status_code == 403
    # HR is not staff: no contest commands, no selection reviews.
    assert client.post("/api/v1/contests/DEMO-EA/pause", headers=headers, json={"idempotency_key": "x"}).status_code == 403


def test_workforce_and_report_are_consistent(demo_app, client):
    own, *_ = ids(demo_app)
    headers = staff(client)
    groups = client.get(f"/api/v1/enterprises/{own}/workforce?by=workshop", headers=headers).get_json()
    report = client.get(f"/api/v1/enterprises/{own}/report", headers=headers).get_json()
    assert sum(g["headcount"] for g in groups) == report["headcount"] > 0
    assert report["suggestions"]
    assert client.get(f"/api/v1/enterprises/{own}/workforce?by=floor", headers=headers).status_code == 422
    assert client.get("/api/v1/enterprises/99999/report", headers=headers).status_code == 404


def test_a_standard_is_set_by_hr_and_a_bad_one_names_its_field(demo_app, client):
    own, other, _, _, post = ids(demo_app)
    headers = hr(client)
    with demo_app.app_context():
        post_name = demo_app.extensions["jx_db"].session.get(Post, post).name
    group = next(g for g in client.get(f"/api/v1/enterprises/{own}/workforce", headers=headers).get_json()
                 if g["name"] == post_name)
    portrait_dims = [d["dimension"] for d in group["dimensions"]]
    bad = client.put(f"/api/v1/posts/{post}/standard", headers=headers, json={"required": {"飞行": 50}})
    assert bad.status_code == 422 and bad.get_json()["field"] == "required.飞行"
    high = client.put(f"/api/v1/posts/{post}/standard", headers=headers, json={"required": {portrait_dims[0]: 101}})
    assert high.status_code == 422 and "0–100" in high.get_json()["message"]
    with demo_app.app_context():
        session = demo_app.extensions["jx_db"].session
        foreign_post = session.scalar(select(Post.id).where(Post.enterprise_id == other))
    assert client.put(f"/api/v1/posts/{foreign_post}/standard", headers=headers,
                      json={"required": {}}).status_code == 404
    good = client.put(f"/api/v1/posts/{post}/standard", headers=headers, json={"required": {portrait_dims[0]: 80}})
    assert good.status_code == 200 and good.get_json()["required"] == {portrait_dims[0]: 80.0}


def test_a_selection_round_runs_through_the_api(demo_app, client):
    own, other, mine, theirs, _ = ids(demo_app)
    admin, headers_hr = staff(client), hr(client)
    created = client.post("/api/v1/selection/rounds", headers=admin,
                          json={"code": "T-2026", "name": "测试遴选", "year": 2026})
    assert created.status_code == 201 and created.get_json()["departments"] == ["总工会", "人社局", "科技局"]
    assert client.post("/api/v1/selection/rounds", headers=headers_hr,
                       json={"code": "T-X", "name": "x", "year": 2026}).status_code == 403
    # HR recommends its own worker, not another enterprise's.
    assert client.post("/api/v1/selection/rounds/T-2026/applications", headers=headers_hr,
                       json={"worker_id": theirs}).status_code == 403
    applied = client.post("/api/v1/selection/rounds/T-2026/applications", headers=headers_hr,
                          json={"worker_id": mine, "statement": "单位推荐"})
    assert applied.status_code == 201
    application = applied.get_json()
    assert application["pending"] == ["总工会", "人社局", "科技局"]
    again = client.post("/api/v1/selection/rounds/T-2026/applications", headers=headers_hr, json={"worker_id": mine})
    assert again.status_code == 409 and again.get_json()["field"] == "worker"
    url = f"/api/v1/selection/applications/{application['id']}/reviews"
    no_reason = client.post(url, headers=admin, json={"department": "人社局", "decision": "return"})
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    assert client.post(url, headers=headers_hr, json={"department": "总工会", "decision": "approve"}).status_code == 403
    for department in ("总工会", "人社局", "科技局"):
        answer = client.post(url, headers=admin, json={"department": department, "decision": "approve"})
        assert answer.status_code == 201
    assert answer.get_json()["status"] == "approved"
    standings = client.get("/api/v1/selection/rounds/T-2026").get_json()  # public
    assert standings["standings"][0]["worker_id"] == mine and standings["weightings"] == 81
    closed = client.post("/api/v1/selection/rounds/T-2026/close", headers=admin).get_json()
    assert closed["round"]["status"] == "closed" and closed["standings"][0]["result"] == "selected"
    detail = client.get(f"/api/v1/selection/applications/{application['id']}", headers=headers_hr).get_json()
    assert [h["kind"] for h in detail["history"]] == ["submit", "approve", "approve", "approve", "result"]
    assert "排名第 1" in detail["result_reason"]


def test_the_demo_round_shows_stability_and_a_returned_application(demo_app, client):
    standings = client.get(f"/api/v1/selection/rounds/{DEMO_SELECTION}").get_json()
    statuses = [s["status"] for s in standings["standings"]]
    assert "returned" in statuses and "approved" in statuses and "submitted" in statuses
    ranked = [s for s in standings["standings"] if s["rank"] is not None]
    assert all(s["best"] <= s["rank"] <= s["worst"] for s in ranked)
    assert 0 <= standings["same_top_set"] <= 1
    with demo_app.app_context():
        session = demo_app.extensions["jx_db"].session
        returned = session.scalar(select(SelectionApplication).where(SelectionApplication.status == "returned"))
    detail = client.get(f"/api/v1/selection/applications/{returned.id}", headers=staff(client)).get_json()
    assert detail["history"][-1]["kind"] == "return" and "证书" in detail["history"][-1]["reason"]


def test_hr_imports_workers_and_a_bad_file_names_its_cells(demo_app, client):
    from io import BytesIO

    from tests.profiles.test_imports import book

    own, *_ = ids(demo_app)
    headers = hr(client)
    good = book([["N001", "新员工", None, "电工", "中级工", "一车间", "甲班组", "电工岗"]],
                [["N001", None, "ZN-1", "鉴定中心", "电工", "中级工", "2025-06-01"]])
    answer = client.post("/api/v1/workers/import", headers=headers,
                         data={"file": (BytesIO(good), "职工.xlsx")}, content_type="multipart/form-data")
    assert answer.status_code == 201 and answer.get_json() == {"workers_created": 1, "workers_updated": 0,
                                                               "certificates": 1}
    bad = book([["N002", "外人", "别的公司", "电工"]], worker_header=("工号", "姓名", "单位", "工种"))
    refused = client.post("/api/v1/workers/import", headers=headers,
                          data={"file": (BytesIO(bad), "职工.xlsx")}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert refused.get_json()["rows"] == [{"sheet": "职工", "row": 2, "column": "单位",
                                           "message": refused.get_json()["rows"][0]["message"]}]
    with demo_app.app_context():
        session = demo_app.extensions["jx_db"].session
        assert session.scalar(select(Worker.enterprise_id).where(Worker.staff_no == "N001")) == own
        assert session.scalar(select(Worker.id).where(Worker.staff_no == "N002")) is None
