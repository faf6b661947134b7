"""Connections die mid-burst: no acknowledged command is lost and none is counted twice."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from urllib.parse import urlparse

import pytest
import socketio

from competition.demo import DEMO_REFEREE_PIN

from .conftest import api, apply_delta, display_token, sign_in


def raw_post(base: str, path: str, body: dict, token: str, *, read: bool) -> int | None:
    """POST over a bare socket; with ``read=False`` hang up right after sending (a killed tablet)."""
    url = urlparse(base)
    payload = json.dumps(body).encode()
    request = (f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
               ).encode() + payload
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(request)
        if not read:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return None  # closed with RST: the answer, if any, is lost
        status_line = sock.makefile("rb").readline().decode()
        return int(status_line.split()[1])


@pytest.mark.parametrize("server", ["live_server", "gevent_server"])
def test_killed_connections_mid_burst_lose_no_acknowledged_deduction_and_count_none_twice(server, request):
    live_server = request.getfixturevalue(server)
    token = sign_in(live_server, "referee", "HZ-R2", DEMO_REFEREE_PIN)
    ticket = "HZ004"

    # A big screen follows the burst, loses its connection in the middle, and resumes.
    screen = socketio.Client(reconnection=False)
    state = {"seq": None, "rows": {}}

    def apply(delta):
        apply_delta(state, delta)

    screen.on("delta", apply, namespace="/live")
    screen.connect(live_server, namespaces=["/live"], auth={"display": display_token(live_server, "DEMO-EA")},
                   transports=["websocket"])
    joined = screen.call("join", {"contest": "DEMO-EA", "scope": "contest"}, namespace="/live")
    state["seq"] = joined["seq"]
    state["rows"] = {row["id"]: row for row in joined["snapshot"]["rows"]}

    keys = [f"burst-{time.time_ns()}-{n}" for n in range(24)]
    acknowledged, unanswered = set(), []
    for n, key in enumerate(keys):
        body = {"contestant": ticket, "deduction": "SAFETY", "note": f"第{n}次", "idempotency_key": key}
        if n == 12:
            screen.disconnect()  # the screen's network drops mid-burst
        if n % 3 == 0:
            raw_post(live_server, "/api/v1/contests/DEMO-EA/deductions", body, token, read=False)
            unanswered.append(body)
        else:
            status = raw_post(live_server, "/api/v1/contests/DEMO-EA/deductions", body, token, read=True)
            assert status == 201
            acknowledged.add(key)

    # The tablet's outbox resends whatever got no answer, with the same keys.
    for body in unanswered:
        status, answer = api(live_server, "POST", "/api/v1/contests/DEMO-EA/deductions", body, token)
        assert status in (200, 201), answer

    with sqlite3.connect(live_server.database) as db:
        stored = db.execute(
            f"SELECT command_key, COUNT(*) FROM contest_events WHERE command_key IN ({','.join('?' * len(keys))}) "
            "GROUP BY command_key", keys).fetchall()
    counts = dict(stored)
    assert acknowledged <= set(counts)                      # nothing acknowledged is lost
    assert set(counts) == set(keys)                          # every resent command landed
    assert all(count == 1 for count in counts.values())      # and none twice

    # The screen resumes from its last position and ends where the server's board is.
    screen = socketio.Client(reconnection=False)
    screen.on("delta", apply, namespace="/live")
    screen.connect(live_server, namespaces=["/live"], auth={"display": display_token(live_server, "DEMO-EA")},
                   transports=["websocket"])
    deadline = time.monotonic() + 10
    while True:
        resumed = screen.call("join", {"contest": "DEMO-EA", "scope": "contest", "since": state["seq"]},
                              namespace="/live")
        if resumed["kind"] == "deltas":
            for delta in resumed["deltas"]:
                apply(delta)
        else:
            state["rows"] = {row["id"]: row for row in resumed["snapshot"]["rows"]}
            state["seq"] = resumed["seq"]
        _, board = api(live_server, "GET", "/api/v1/contests/DEMO-EA/board")
        if state["seq"] == board["seq"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)  # the coalescing window has not closed yet
    screen.disconnect()
    assert state["seq"] == board["seq"]
    shown = {row["ticket_no"]: (row["rank"], row["total"]) for row in state["rows"].values()}
    assert shown == {row["ticket_no"]: (row["rank"], row["total"]) for row in board["rows"]}
