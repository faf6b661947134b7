"""The /live protocol over Flask-SocketIO's test client: join, deltas, resume, rooms, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN
from competition.models import Contest, DisplayLink, Site
from web.extensions import socketio

from .conftest import bearer, token_for

EA = "/api/v1/contests/DEMO-EA"


def links(app) -> dict:
    """Display-link tokens of DEMO-EA: 'contest' for the whole contest, else the site code."""
    with app.app_context():
        session = app.extensions["jx_db"].session
        rows = session.execute(select(DisplayLink.token, Site.code).join(Contest, Contest.id == DisplayLink.contest_id)
                               .outerjoin(Site, Site.id == DisplayLink.site_id).where(Contest.code == "DEMO-EA"))
        return {code or "contest": token for token, code in rows}


def site_id(app, code: str) -> int:
    with app.app_context():
        session = app.extensions["jx_db"].session
        return session.scalar(select(Site.id).join(Contest).where(Contest.code == "DEMO-EA", Site.code == code))


def connect(app, **auth):
    return socketio.test_client(app, namespace="/live", auth=auth or None)


def join(client, **request):
    return client.emit("join", {"contest": "DEMO-EA", **request}, namespace="/live", callback=True)


def deltas(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received("/live") if m["name"] == "delta"]


def mark(client, token, ticket, aspect, value, key):
    response = client.post(f"{EA}/marks", headers=bearer(token),
                           json={"contestant": ticket, "aspect": aspect, "value": value, "idempotency_key": key})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_aspects(http, token, ticket):
    data = http.get(f"{EA}/assignments", headers=bearer(token)).get_json()
    contestant = next(c for c in data["contestants"] if c["ticket_no"] == ticket)
    return [a["code"] for a in data["aspects"] if a["kind"] == "judgement" and a["code"] not in contestant["my_marks"]]


def open_panels(http, tokens):
    """``(ticket, [aspects])`` pairs at WZ where the whole panel has yet to mark (the demo leaves some)."""
    data = http.get(f"{EA}/assignments", headers=bearer(tokens[0])).get_json()
    found = [(c["ticket_no"], open_aspects(http, tokens[0], c["ticket_no"])) for c in data["contestants"]]
    return [(ticket, aspects) for ticket, aspects in found if aspects]


def panel_tokens(client):
    return [token_for(client, "referee", f"WZ-R{n}", DEMO_REFEREE_PIN) for n in (1, 2, 3)]


def mark_panel(client, tokens, ticket, aspect, value, key):
    """All three judges score one aspect: only then does the contestant's total move."""
    for n, token in enumerate(tokens):
        mark(client, token, ticket, aspect, value, f"{key}-{n}")


def test_a_connection_without_credentials_is_refused(demo_app):
    assert not connect(demo_app).is_connected("/live")
    assert not connect(demo_app, display="not-a-link").is_connected("/live")


def test_joining_gives_a_snapshot_with_the_sequence_number_it_reflects(demo_app):
    screen = connect(demo_app, display=links(demo_app)["contest"])
    answer = join(screen, scope="contest")
    assert answer["ok"] and answer["kind"] == "snapshot"
    rows = answer["snapshot"]["rows"]
    assert len(rows) == 24 and [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    with demo_app.app_context():
        last = demo_app.extensions["jx_db"].session.scalar(select(Contest.last_seq).where(Contest.code == "DEMO-EA"))
    assert answer["seq"] == last


def test_a_burst_of_marks_reaches_a_screen_as_one_delta(demo_app, client):
    screen = connect(demo_app, display=links(demo_app)["contest"])
    start = join(screen, scope="contest")["seq"]
    tokens = panel_tokens(client)
    ticket, aspects = open_panels(client, tokens)[0]
    for n, aspect in enumerate(aspects):
        mark_panel(client, tokens, ticket, aspect, 3, f"burst-{n}")
    screen.get_received("/live")
    demo_app.extensions["jx_publisher"].flush()
    received = deltas(screen)
    assert len(received) == 1  # one message for the whole burst
    delta = received[0]
    assert delta["from_seq"] == start and delta["seq"] >= start + 3 * len(aspects)
    assert any(row["ticket_no"] == ticket for row in delta["rows"])


def test_a_site_screen_gets_only_its_sites_rows_and_a_contiguous_sequence(demo_app, client):
    wz, jx = connect(demo_app, display=links(demo_app)["WZ"]), connect(demo_app, display=links(demo_app)["JX"])
    join(wz, scope="site", site=site_id(demo_app, "WZ"))
    jx_start = join(jx, scope="site", site=site_id(demo_app, "JX"))["seq"]
    tokens = panel_tokens(client)
    ticket, aspects = open_panels(client, tokens)[0]
    mark_panel(client, tokens, ticket, aspects[0], 2, "site-1")
    demo_app.extensions["jx_publisher"].flush()
    wz_rows = [row for d in deltas(wz) for row in d["rows"]]
    jx_deltas = deltas(jx)
    assert wz_rows and all(row["ticket_no"].startswith("WZ") for row in wz_rows)
    # JX's screen hears that the log moved (so its next delta is contiguous), with no WZ rows
    # (JX rows may come, when a WZ contestant's move shifted their overall rank).
    assert len(jx_deltas) == 1 and jx_deltas[0]["from_seq"] == jx_start
    assert all(row["ticket_no"].startswith("JX") for row in jx_deltas[0]["rows"])


def test_a_reconnecting_screen_gets_exactly_the_deltas_it_missed(demo_app, client):
    link = links(demo_app)["contest"]
    screen = connect(demo_app, display=link)
    seen = join(screen, scope="contest")["seq"]
    screen.disconnect("/live")
    tokens = panel_tokens(client)
    ticket, aspects = open_panels(client, tokens)[0]
    for n, aspect in enumerate(aspects[:2]):
        mark_panel(client, tokens, ticket, aspect, 1, f"missed-{n}")
        demo_app.extensions["jx_publisher"].flush()  # two separate pushes while the screen is away
    back = connect(demo_app, display=link)
    answer = join(back, scope="contest", since=seen)
    assert answer["kind"] == "deltas" and len(answer["deltas"]) == 2
    assert answer["deltas"][0]["from_seq"] == seen and answer["deltas"][-1]["seq"] == answer["seq"]


def test_a_screen_too_far_behind_is_told_to_resync(demo_app):
    screen = connect(demo_app, display=links(demo_app)["contest"])
    answer = join(screen, scope="contest", since=1)
    assert answer["kind"] == "resync" and len(answer["snapshot"]["rows"]) == 24


@pytest.mark.parametrize(("who", "request_", "allowed"), [
    ("site-link", {"scope": "contest"}, False),
    ("site-link", {"scope": "site", "site": "JX"}, False),
    ("site-link", {"scope": "site", "site": "WZ"}, True),
    ("contest-link", {"scope": "site", "site": "JX"}, True),
    ("contest-link", {"scope": "contestant", "contestant": 1}, False),
    ("contest-link", {"scope": "referee"}, False),
    ("referee", {"scope": "contest"}, False),
    ("referee", {"scope": "site", "site": "JX"}, False),
    ("referee", {"scope": "site", "site": "WZ"}, True),
    ("referee", {"scope": "referee"}, True),
    ("contestant", {"scope": "contestant", "contestant": "self"}, True),
    ("contestant", {"scope": "contestant", "contestant": "other"}, False),
    ("contestant", {"scope": "site", "site": "WZ"}, False),
    ("admin", {"scope": "contest"}, True),
])
def test_every_room_admits_only_who_may_see_it(demo_app, client, who, request_, allowed):
    if who in ("site-link", "contest-link"):
        conn = connect(demo_app, display=links(demo_app)["WZ" if who == "site-link" else "contest"])
    else:
        login = {"referee": ("referee", "WZ-R1", DEMO_REFEREE_PIN), "contestant": ("contestant", "WZ001", DEMO_CONTESTANT_PIN),
                 "admin": ("admin", *DEMO_ADMIN)}[who]
        token = token_for(client, *login, contest=None if who == "admin" else "DEMO-EA")
        conn = connect(demo_app, token=token)
    request_ = dict(request_)
    if "site" in request_:
        request_["site"] = site_id(demo_app, request_["site"])
    if request_.get("contestant") in ("self", "other"):
        me = client.get("/api/v1/auth/me", headers=bearer(token)).get_json()
        own = int(me["principal"].split(":")[1])
        request_["contestant"] = own if request_["contestant"] == "self" else own + 1
    answer = join(conn, **request_)
    assert answer["ok"] is allowed, answer
    if not allowed:
        assert answer["error"] in ("forbidden", "not_found") and answer["message"]


def test_a_contestant_hears_only_their_own_sheet(demo_app, client):
    tokens = panel_tokens(client)
    ticket, aspects = open_panels(client, tokens)[0]
    mine = token_for(client, "contestant", ticket, DEMO_CONTESTANT_PIN)
    me = int(client.get("/api/v1/auth/me", headers=bearer(mine)).get_json()["principal"].split(":")[1])
    tablet = connect(demo_app, token=mine)
    assert join(tablet, scope="contestant", contestant=me)["ok"]
    other = "WZ001" if ticket != "WZ001" else "WZ002"
    deducted = client.post(f"{EA}/deductions", headers=bearer(tokens[0]),
                           json={"contestant": other, "deduction": "SAFETY", "note": "未戴手套", "idempotency_key": "d-1"})
    assert deducted.status_code == 201
    demo_app.extensions["jx_publisher"].flush()
    assert [m for m in tablet.get_received("/live") if m["name"] == "sheet"] == []
    mark_panel(client, tokens, ticket, aspects[0], 2, "own-1")
    demo_app.extensions["jx_publisher"].flush()
    sheets = [m["args"][0] for m in tablet.get_received("/live") if m["name"] == "sheet"]
    assert len(sheets) == 1 and sheets[0]["row"]["ticket_no"] == ticket


def test_a_panel_hears_at_once_when_its_spread_is_breached(demo_app, client):
    tablets = {}
    for code in ("WZ-R1", "WZ-R2", "WZ-R4"):
        token = token_for(client, "referee", code, DEMO_REFEREE_PIN)
        tablets[code] = (token, connect(demo_app, token=token))
        assert join(tablets[code][1], scope="referee")["ok"]
    ticket, aspects = open_panels(client, [tablets["WZ-R1"][0]])[0]
    aspect = aspects[0]
    mark(client, tablets["WZ-R1"][0], ticket, aspect, 0, "spread-1")
    mark(client, tablets["WZ-R2"][0], ticket, aspect, 3, "spread-2")
    token3 = token_for(client, "referee", "WZ-R3", DEMO_REFEREE_PIN)
    mark(client, token3, ticket, aspect, 3, "spread-3")  # no flush: notices are not coalesced
    notices = {code: [m["args"][0] for m in conn.get_received("/live") if m["name"] == "notice"]
               for code, (_, conn) in tablets.items()}
    assert [n["aspect_code"] for n in notices["WZ-R1"]] == [aspect] and len(notices["WZ-R2"]) == 1
    assert notices["WZ-R4"] == []  # not on that panel


def test_referees_who_join_or_leave_a_panel_hear_it_at_once(demo_app, client):
    tablets = {}
    for code in ("WZ-R1", "WZ-R3", "WZ-R4", "JX-R1"):
        token = token_for(client, "referee", code, DEMO_REFEREE_PIN)
        tablets[code] = connect(demo_app, token=token)
        assert join(tablets[code], scope="referee")["ok"]
    admin = token_for(client, "admin", *DEMO_ADMIN, contest=None)
    changed = client.put(f"{EA}/panels", headers=bearer(admin), json={
        "site": "WZ", "aspect": "A1.3", "referees": ["WZ-R1", "WZ-R2", "WZ-R4"], "reason": "WZ-R3 请假",
        "idempotency_key": "swap-r3"})
    assert changed.status_code == 200, changed.get_json()
    notices = {code: [m["args"][0] for m in conn.get_received("/live") if m["name"] == "notice"]
               for code, conn in tablets.items()}
    for code in ("WZ-R1", "WZ-R3", "WZ-R4"):  # stayed, left, joined
        [notice] = notices[code]
        assert notice["kind"] == "panel_assigned" and notice["aspect_code"] == "A1.3"
        assert notice["payload"]["after"] == ["WZ-R1", "WZ-R2", "WZ-R4"] and notice["payload"]["reason"] == "WZ-R3 请假"
    assert notices["JX-R1"] == []  # another site's referee hears nothing


def control_command(client, token, action, key):
    return client.post(f"{EA}/{action}", headers=bearer(token), json={"idempotency_key": key})


def test_a_frozen_board_holds_still_for_screens_while_staff_see_it_live(demo_app, client):
    admin = token_for(client, "admin", *DEMO_ADMIN, contest=None)
    assert control_command(client, admin, "freeze", "freeze-1").status_code == 200
    screen = connect(demo_app, display=links(demo_app)["contest"])
    staff = connect(demo_app, token=admin)
    public = join(screen, scope="contest")
    assert public["frozen"] is True and join(staff, scope="contest")["frozen"] is False
    frozen_seq = public["seq"]

    tokens = panel_tokens(client)
    ticket, aspects = open_panels(client, tokens)[0]
    mark_panel(client, tokens, ticket, aspects[0], 3, "while-frozen")
    demo_app.extensions["jx_publisher"].flush()
    assert deltas(screen) == [] and len(deltas(staff)) == 1
    board = client.get(f"{EA}/board").get_json()
    assert board["frozen"] is True and board["seq"] == frozen_seq
    assert client.get(f"{EA}/board", headers=bearer(admin)).get_json()["seq"] > frozen_seq

    assert control_command(client, admin, "thaw", "thaw-1").status_code == 200
    told = [m for m in screen.get_received("/live") if m["name"] == "contest"]
    assert told and "board_thawed" in told[0]["args"][0]["kinds"]
    caught_up = join(screen, scope="contest", since=frozen_seq)
    # The missed deltas, or a fresh snapshot when this process's history starts after the freeze.
    assert caught_up["frozen"] is False and caught_up["kind"] in ("deltas", "resync")
    rows = ([row for d in caught_up["deltas"] for row in d["rows"]] if caught_up["kind"] == "deltas"
            else caught_up["snapshot"]["rows"])
    live = next(r for r in client.get(f"{EA}/board", headers=bearer(admin)).get_json()["rows"] if r["ticket_no"] == ticket)
    assert next(r for r in rows if r["ticket_no"] == ticket)["total"] == live["total"]


def test_finalize_over_the_api_lists_what_is_outstanding(demo_app, client):
    admin = token_for(client, "admin", *DEMO_ADMIN, contest=None)
    early = control_command(client, admin, "finalize", "fin-early")
    assert early.status_code == 409 and "end it before finalizing" in early.get_json()["message"]
    assert control_command(client, admin, "end", "end-1").status_code == 200
    refused = control_command(client, admin, "finalize", "fin-1")
    assert refused.status_code == 409 and "has not signed off" in refused.get_json()["message"]
    referee = token_for(client, "referee", "WZ-R1", DEMO_REFEREE_PIN)
    late = client.post(f"{EA}/marks", headers=bearer(referee),
                       json={"contestant": "WZ008", "aspect": "A1.3", "value": 1, "idempotency_key": "late"})
    assert late.status_code == 409 and "ended" in late.get_json()["message"]


def test_a_pause_stops_the_countdown_and_gives_the_time_back(demo_app, client):
    admin = token_for(client, "admin", *DEMO_ADMIN, contest=None)
    es = "/api/v1/contests/DEMO-ES"
    running = None
    for ticket in ("WZ005", "WZ006", "WZ007", "WZ008", "JX005", "JX006", "JX007", "JX008"):
        sheet = client.get(f"{es}/sheets/{ticket}", headers=bearer(admin)).get_json()
        running = next((s for s in sheet["stages"] if s["status"] == "in_progress"), None)
        if running:
            break
    assert running and running["deadline"] and running["paused"] is False
    site = ticket[:2]
    paused = client.post(f"{es}/pause", headers=bearer(admin), json={"site": site, "reason": "停电", "idempotency_key": "p1"})
    assert paused.status_code == 200
    during = next(s for s in client.get(f"{es}/sheets/{ticket}", headers=bearer(admin)).get_json()["stages"]
                  if s["code"] == running["code"])
    assert during["paused"] is True and during["deadline"] is None and isinstance(during["remaining_s"], int)
    extra = client.post(f"{es}/extra-time", headers=bearer(admin),
                        json={"stage": running["code"], "seconds": 120, "reason": "设备故障", "contestant": ticket,
                              "idempotency_key": "x1"})
    assert extra.status_code == 200
    assert client.post(f"{es}/resume", headers=bearer(admin), json={"site": site, "idempotency_key": "r1"}).status_code == 200
    after = next(s for s in client.get(f"{es}/sheets/{ticket}", headers=bearer(admin)).get_json()["stages"]
                 if s["code"] == running["code"])
    from datetime import datetime
    moved = (datetime.fromisoformat(after["deadline"][:-1]) - datetime.fromisoformat(running["deadline"][:-1])).total_seconds()
    assert 120 <= moved < 180  # the extra two minutes plus the seconds the pause lasted
    contestant = token_for(client, "contestant", ticket, DEMO_CONTESTANT_PIN, contest="DEMO-ES")
    assert client.post(f"{es}/pause", headers=bearer(contestant), json={"idempotency_key": "p2"}).status_code == 403


def test_the_ceremony_reveals_the_frozen_board_bottom_up_on_every_screen(demo_app, client):
    admin = token_for(client, "admin", *DEMO_ADMIN, contest=None)
    assert control_command(client, admin, "reveal", "too-early").status_code == 409  # nothing frozen
    assert control_command(client, admin, "freeze", "freeze-r").status_code == 200
    tokens = panel_tokens(client)
    ticket, aspects = open_panels(client, tokens)[0]
    mark_panel(client, tokens, ticket, aspects[0], 3, "after-freeze")
    final = next(r for r in client.get(f"{EA}/board", headers=bearer(admin)).get_json()["rows"] if r["ticket_no"] == ticket)
    screen = connect(demo_app, display=links(demo_app)["contest"])
    join(screen, scope="contest")
    shown = {r["ticket_no"]: r for r in client.get(f"{EA}/board").get_json()["rows"]}
    assert shown[ticket]["total"] != final["total"]  # held back by the freeze
    revealed = 0
    for step in range(30):  # one reveal per contestant, then a refusal
        response = control_command(client, admin, "reveal", f"reveal-{step}")
        if response.status_code == 409:
            assert "every result is revealed" in response.get_json()["message"]
            break
        assert response.status_code == 200
        revealed += 1
    assert revealed == 24
    public = {r["ticket_no"]: r for r in client.get(f"{EA}/board").get_json()["rows"]}
    assert public[ticket]["total"] == final["total"]
    assert any(m["name"] == "contest" for m in screen.get_received("/live"))  # screens were told to re-join
    again = join(screen, scope="contest")
    assert next(r for r in again["snapshot"]["rows"] if r["ticket_no"] == ticket)["total"] == final["total"]


def test_a_revoked_screen_link_is_cut_off_at_once_and_refused_after(demo_app, client):
    staff = bearer(token_for(client, "admin", *DEMO_ADMIN, contest=None))
    listed = client.get(f"{EA}/display-links", headers=staff).get_json()
    link = next(entry for entry in listed if entry["site"] is None and entry["revoked_at"] is None)
    screen = connect(demo_app, display=link["token"])
    assert join(screen, scope="contest")["ok"] and screen.is_connected("/live")
    other = next(entry for entry in listed if entry["id"] != link["id"])
    kept = connect(demo_app, display=other["token"])
    referee = bearer(token_for(client, "referee", "WZ-R1", DEMO_REFEREE_PIN))
    assert client.delete(f"{EA}/display-links/{link['id']}", headers=referee).status_code == 403
    assert screen.is_connected("/live")  # a refused revoke changes nothing

    revoked = client.delete(f"{EA}/display-links/{link['id']}", headers=staff)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert not screen.is_connected("/live") and kept.is_connected("/live")  # only that link's screens
    assert client.get(f"/screen/{link['token']}").status_code == 404
    assert not connect(demo_app, display=link["token"]).is_connected("/live")  # refused at connect
    again = client.delete(f"{EA}/display-links/{link['id']}", headers=staff).get_json()
    assert again["revoked_at"] == revoked.get_json()["revoked_at"]  # revoking twice keeps the first time
    missing = client.delete("/api/v1/contests/DEMO-ES/display-links/" + str(link["id"]), headers=staff)
    assert missing.status_code == 404 and missing.get_json()["field"] == "link_id"  # not that contest's link
