"""Marking over the API: who may do what, idempotent retries, and errors that name the field."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN
from competition.models import Contest, ContestEvent, DisplayLink

from .conftest import bearer, token_for

EA = "/api/v1/contests/DEMO-EA"
ES = "/api/v1/contests/DEMO-ES"


@pytest.fixture
def tokens(demo_app, client):
    """Bearer tokens of one principal per role (display: its link token, which is not a bearer token)."""
    with demo_app.app_context():
        session = demo_app.extensions["jx_db"].session
        display = session.scalar(select(DisplayLink.token).join(Contest).where(Contest.code == "DEMO-EA"))
    return {
        "anonymous": None,
        "display": display,
        "admin": token_for(client, "admin", *DEMO_ADMIN, contest=None),
        "referee": token_for(client, "referee", "WZ-R1", DEMO_REFEREE_PIN),
        "contestant": token_for(client, "contestant", "WZ008", DEMO_CONTESTANT_PIN),
        "chief": token_for(client, "referee", "CHIEF", DEMO_REFEREE_PIN),
        "other_site": token_for(client, "referee", "JX-R1", DEMO_REFEREE_PIN),
        "off_panel": token_for(client, "referee", "WZ-R5", DEMO_REFEREE_PIN),
    }


def event_count(app) -> int:
    with app.app_context():
        return app.extensions["jx_db"].session.scalar(select(func.count()).select_from(ContestEvent))


def unmarked_judgement(client, token):
    """A contestant and judgement aspect this referee has not marked yet (the demo leaves some)."""
    data = client.get(f"{EA}/assignments", headers=bearer(token)).get_json()
    for contestant in data["contestants"]:
        for aspect in data["aspects"]:
            if aspect["kind"] == "judgement" and aspect["code"] not in contestant["my_marks"]:
                return contestant["ticket_no"], aspect["code"]
    raise AssertionError("the demo left nothing unmarked for this referee")


# Every write endpoint with a body that would be valid for its intended role.
WRITES = {
    "marks": (f"{EA}/marks", {"contestant": "WZ008", "aspect": "A1.3", "value": 2}),
    "corrections": (f"{EA}/corrections", {"contestant": "WZ001", "aspect": "A1.3", "value": 2, "reason": "复核"}),
    "deductions": (f"{EA}/deductions", {"contestant": "WZ008", "deduction": "SAFETY", "note": "未戴手套"}),
    "sign-offs": (f"{EA}/sign-offs", {"contestant": "WZ008"}),
    "resolutions": (f"{EA}/resolutions", {"contestant": "WZ002", "aspect": "A2.2", "reason": "复核录像"}),
    "answers": (f"{ES}/answers", {"aspect": "A1.1", "answer": "A"}),
    "start": (f"{EA}/start", {}),
    "preview": (f"{EA}/preview", {"aspect": "A1.2", "value": "55"}),
}
ALLOWED = {"marks": {"referee", "chief", "other_site", "off_panel"}, "corrections": {"referee", "chief", "other_site", "off_panel"},
           "deductions": {"referee", "chief", "other_site", "off_panel"}, "sign-offs": {"referee", "chief", "other_site", "off_panel"},
           "resolutions": {"referee", "chief", "other_site", "off_panel"}, "answers": {"contestant"},
           "start": {"admin"}, "preview": {"referee", "chief", "other_site", "off_panel", "admin"}}


REFUSED = [(endpoint, who) for endpoint in sorted(WRITES)
           for who in ("anonymous", "display", "admin", "contestant", "referee") if who not in ALLOWED[endpoint]]


@pytest.mark.parametrize(("endpoint", "who"), REFUSED)
def test_every_write_endpoint_refuses_roles_it_is_not_for(demo_app, client, tokens, endpoint, who):
    """Allowed roles are covered by the behaviour tests below."""
    url, body = WRITES[endpoint]
    before = event_count(demo_app)
    headers = bearer(tokens[who]) if tokens[who] else {}
    response = client.post(url, json={**body, "idempotency_key": f"role-{endpoint}-{who}"}, headers=headers)
    # A display link is not a bearer token, so it signs nobody in: 401 like no credentials.
    expected = 401 if who in ("anonymous", "display") else 403
    assert response.status_code == expected, response.get_json()
    assert response.get_json()["message"]
    assert event_count(demo_app) == before


def test_a_referee_marks_an_assigned_contestant_and_sees_the_running_total(demo_app, client, tokens):
    ticket, aspect = unmarked_judgement(client, tokens["referee"])
    response = client.post(f"{EA}/marks", headers=bearer(tokens["referee"]),
                           json={"contestant": ticket, "aspect": aspect, "value": 3, "idempotency_key": "m-1"})
    body = response.get_json()
    assert response.status_code == 201 and body["duplicate"] is False
    assert body["events"][0]["kind"] == "mark_recorded" and body["sheet"]["contestant"]["ticket_no"] == ticket
    assert body["sheet"]["total"]


def test_a_retried_mark_is_accepted_once(demo_app, client, tokens):
    ticket, aspect = unmarked_judgement(client, tokens["referee"])
    body = {"contestant": ticket, "aspect": aspect, "value": 2, "idempotency_key": "retry-1"}
    first = client.post(f"{EA}/marks", headers=bearer(tokens["referee"]), json=body)
    count = event_count(demo_app)
    second = client.post(f"{EA}/marks", headers=bearer(tokens["referee"]), json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert second.get_json()["duplicate"] is True and second.get_json()["seq"] == first.get_json()["seq"]
    assert event_count(demo_app) == count


def test_a_referee_cannot_mark_a_contestant_at_another_site(demo_app, client, tokens):
    before = event_count(demo_app)
    response = client.post(f"{EA}/marks", headers=bearer(tokens["other_site"]),
                           json={"contestant": "WZ008", "aspect": "A1.3", "value": 1, "idempotency_key": "x-site"})
    assert response.status_code == 403 and response.get_json()["error"] == "not_assigned"
    assert "another site" in response.get_json()["message"] and event_count(demo_app) == before


def test_a_referee_cannot_mark_an_aspect_outside_their_panel(demo_app, client, tokens):
    response = client.post(f"{EA}/marks", headers=bearer(tokens["off_panel"]),
                           json={"contestant": "WZ008", "aspect": "A1.3", "value": 1, "idempotency_key": "x-panel"})
    assert response.status_code == 403 and "not on the panel" in response.get_json()["message"]


def test_a_referee_of_one_contest_cannot_mark_in_another(demo_app, client, tokens):
    response = client.post(f"{ES}/marks", headers=bearer(tokens["referee"]),
                           json={"contestant": "WZ001", "aspect": "B1.4", "value": 1, "idempotency_key": "x-contest"})
    assert response.status_code == 403 and "another contest" in response.get_json()["message"]
    # Nor learn whether a ticket exists there: an unknown one is refused the same way.
    unknown = client.post(f"{ES}/marks", headers=bearer(tokens["referee"]),
                          json={"contestant": "NO-SUCH", "aspect": "B1.4", "value": 1, "idempotency_key": "x-ticket"})
    assert unknown.status_code == 403 and "another contest" in unknown.get_json()["message"]
    # A referee of this contest is told the ticket is unknown, naming the field.
    own = client.post(f"{EA}/marks", headers=bearer(tokens["referee"]),
                      json={"contestant": "NO-SUCH", "aspect": "A1.3", "value": 1, "idempotency_key": "x-ticket"})
    assert own.status_code == 404 and "NO-SUCH" in own.get_json()["message"]


def test_a_contestant_answers_only_for_themself(demo_app, client):
    token = token_for(client, "contestant", "WZ008", DEMO_CONTESTANT_PIN, contest="DEMO-ES")
    items = client.get(f"{ES}/items", headers=bearer(token)).get_json()["items"]
    assert items, "WZ008 has started the first stage in the demo"
    sheet = client.get(f"{ES}/sheets/WZ001", headers=bearer(token))
    assert sheet.status_code == 403 and "own" in sheet.get_json()["message"]
    assert client.get(f"{ES}/sheets/WZ008", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"value": 7}, "value"),
    ({"aspect": "NOPE", "value": 1}, "aspect"),
    ({"contestant": "NOBODY", "value": 1}, "contestant"),
    ({}, "value"),
    ({"value": 1, "colour": "red"}, "colour"),
    ({"value": 1, "idempotency_key": ""}, "idempotency_key"),
])
def test_invalid_input_is_a_4xx_naming_the_field_and_changes_nothing(demo_app, client, tokens, body, field):
    ticket, aspect = unmarked_judgement(client, tokens["referee"])
    before = event_count(demo_app)
    response = client.post(f"{EA}/marks", headers=bearer(tokens["referee"]),
                           json={"idempotency_key": "bad", "contestant": ticket, "aspect": aspect, **body})
    payload = response.get_json()
    assert 400 <= response.status_code < 500, payload
    assert payload["field"] == field and field in str(payload["errors"]) and field in payload["message"]
    assert event_count(demo_app) == before


def test_preview_shows_the_marks_a_reading_yields_without_writing(demo_app, client, tokens):
    before = event_count(demo_app)
    response = client.post(f"{EA}/preview", headers=bearer(tokens["referee"]), json={"aspect": "A1.2", "value": "55"})
    assert response.status_code == 200 and response.get_json()["status"] == "scored"
    assert event_count(demo_app) == before


def test_the_openapi_document_lists_every_endpoint_and_the_docs_page_works_offline(demo_app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/contests/{code}/marks", "/api/v1/auth/token", "/api/v1/contests/{code}/board"):
        assert path in spec["paths"]
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs and "//cdn" not in docs
    with client.get("/vendor/swagger-ui-dist/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
    assert client.get("/vendor/swagger-ui-dist/package.json").status_code == 404


def test_staff_import_a_roster_and_a_bad_file_names_row_and_column(demo_app, client, tokens):
    from io import BytesIO

    from tests.competition.test_roster import workbook

    good = workbook([["WZ101", "新选手", "温州正泰电气", "WZ", "09", "4321"]])
    bad = workbook([["WZ102", None, "温州正泰电气", "火星", "10", None]])
    headers = bearer(tokens["admin"])
    refused = client.post(f"{EA}/roster", headers=headers, data={"file": (BytesIO(bad), "名单.xlsx")},
                          content_type="multipart/form-data")
    body = refused.get_json()
    assert refused.status_code == 422 and {(r["row"], r["column"]) for r in body["rows"]} == {(2, "姓名"), (2, "赛点")}
    assert client.get(f"{EA}/board").get_json()["rows"].__len__() == 24
    not_staff = client.post(f"{EA}/roster", headers=bearer(tokens["referee"]),
                            data={"file": (BytesIO(good), "名单.xlsx")}, content_type="multipart/form-data")
    assert not_staff.status_code == 403
    done = client.post(f"{EA}/roster", headers=headers, data={"file": (BytesIO(good), "名单.xlsx")},
                       content_type="multipart/form-data")
    assert done.status_code == 201 and done.get_json()["contestants"] == 1
    assert token_for(client, "contestant", "WZ101", "4321")
    assert len(client.get(f"{EA}/board").get_json()["rows"]) == 25


def test_staff_export_the_results_to_excel_in_board_order(demo_app, client, tokens):
    from io import BytesIO

    from openpyxl import load_workbook

    assert client.get(f"{EA}/results.xlsx", headers=bearer(tokens["referee"])).status_code == 403
    response = client.get(f"{EA}/results.xlsx", headers=bearer(tokens["admin"]))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = [c.value for c in sheet[2]]
    board = client.get(f"{EA}/board").get_json()["rows"]
    assert len(rows) == 24 and [r[2] for r in rows] == [b["ticket_no"] for b in board]
    assert [r[header.index("总分")] for r in rows] == [float(b["total"]) for b in board]


def test_a_retried_contest_command_says_it_is_a_retry_and_changes_nothing(demo_app, client, tokens):
    body = {"reason": "断电", "idempotency_key": "pause-once"}
    first = client.post(f"{EA}/pause", headers=bearer(tokens["admin"]), json=body)
    count = event_count(demo_app)
    second = client.post(f"{EA}/pause", headers=bearer(tokens["admin"]), json=body)
    assert first.get_json()["duplicate"] is False and second.get_json()["duplicate"] is True
    assert second.get_json()["events"] == first.get_json()["events"] and event_count(demo_app) == count
