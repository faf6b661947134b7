"""Two server processes over PostgreSQL and a Redis message queue, as a contest across cities is
served: a big screen connected to one process sees a mark another process accepted, at positions
of its own process's feed; the contest's state changing on one process reaches the other's screen
through Redis; revoking the screen's link on the other process disconnects it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import pytest
import socketio
from sqlalchemy import text

from competition.demo import DEMO_ADMIN, DEMO_REFEREE_PIN
from profiles.db import make_engine
from tests.conftest import REDIS_URL, fresh_postgres_schema, redis_or_skip

from .conftest import ROOT, _free_port, api, apply_delta, sign_in
from .test_live_pages import open_measurement


class Processes(NamedTuple):
    screen_url: str  # process A
    marking_url: str  # process B
    link_id: int
    display: str
    servers: list  # the two Popen objects, A then B
    database_url: str


def _start(env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "wsgi.py", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"server did not start: {server.stderr.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.2)


@pytest.fixture
def two_processes():
    redis_or_skip()
    with fresh_postgres_schema() as url:
        env = dict(os.environ, JX_DATABASE_URL=url, JX_SECRET_KEY="two-processes", JX_SOCKETIO_ASYNC_MODE="gevent",
                   JX_MESSAGE_QUEUE=REDIS_URL, JX_MESSAGE_QUEUE_CHANNEL=f"jx-test-{uuid.uuid4().hex[:8]}")
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for step in (["db", "upgrade"], ["seed-demo", "--if-empty"]):
            subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
        engine = make_engine(url)
        with engine.connect() as connection:
            display = connection.execute(text(
                "SELECT d.id, d.token FROM display_links d JOIN contests c ON c.id = d.contest_id "
                "WHERE c.code = 'DEMO-EA' AND d.site_id IS NULL")).one()
        engine.dispose()
        servers = [_start(env), _start(env)]
        try:
            yield Processes(servers[0][1], servers[1][1], display[0], display[1], [s for s, _ in servers], url)
        finally:
            for server, _ in servers:
                server.terminate()
                server.wait(timeout=10)
                server.stderr.close()


def test_a_screen_on_one_process_follows_marks_and_commands_accepted_by_another(two_processes):
    screen_url, marking_url, link_id, display = two_processes[:4]
    deltas, contest_messages, arrived = [], [], threading.Event()
    screen = socketio.Client(reconnection=False)
    screen.on("delta", lambda message: (deltas.append(message), arrived.set()), namespace="/live")
    screen.on("contest", lambda message: (contest_messages.append(message), arrived.set()), namespace="/live")
    screen.connect(screen_url, namespaces=["/live"], auth={"display": display}, transports=["websocket"])
    try:
        joined = screen.call("join", {"contest": "DEMO-EA", "scope": "contest"}, namespace="/live", timeout=30)
        assert joined["ok"] and joined["kind"] == "snapshot"
        position = joined["seq"]

        token = sign_in(marking_url, "referee", "HZ-R1", DEMO_REFEREE_PIN)
        ticket, aspect, value = open_measurement(marking_url, token)
        status, answer = api(marking_url, "POST", "/api/v1/contests/DEMO-EA/marks",
                             {"contestant": ticket, "aspect": aspect, "value": value, "idempotency_key": "two-1"}, token)
        assert status == 201, answer
        deadline = time.monotonic() + 10
        row = None
        while row is None and time.monotonic() < deadline:
            arrived.wait(0.5)
            arrived.clear()
            row = next((r for d in deltas for r in d["rows"] if r["ticket_no"] == ticket), None)
        assert row is not None, f"the screen on the other process heard nothing of the mark: {deltas}"
        assert row["total"] == answer["sheet"]["total"]
        # Positions are the screen's own process's: the first delta starts where its snapshot stood.
        assert deltas[0]["from_seq"] == position and deltas[-1]["seq"] >= answer["seq"]

        admin = sign_in(marking_url, "admin", *DEMO_ADMIN, contest=None)
        status, paused = api(marking_url, "POST", "/api/v1/contests/DEMO-EA/pause",
                             {"site": "HZ", "reason": "停电 power cut", "idempotency_key": "two-pause"}, admin)
        assert status == 200 and not paused["duplicate"], paused
        deadline = time.monotonic() + 10
        while not contest_messages and time.monotonic() < deadline:
            arrived.wait(0.5)
        assert contest_messages and "contest_paused" in contest_messages[0]["kinds"]

        status, _ = api(marking_url, "DELETE", f"/api/v1/contests/DEMO-EA/display-links/{link_id}", None, admin)
        assert status == 200
        deadline = time.monotonic() + 10
        while screen.connected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not screen.connected, "the revoked screen on the other process stayed connected"
    finally:
        if screen.connected:
            screen.disconnect()


def test_a_process_killed_mid_burst_loses_no_acknowledged_mark_and_the_other_serves_on(two_processes):
    """Four tablets send a burst of deductions to process B, which is killed (SIGKILL) mid-burst with
    requests in flight. Their outboxes resend what got no answer to process A with the same keys. Every acknowledged command
    is in the log exactly once, every resent one landed once, and a screen on A shows exactly
    A's board."""
    screen_url, marking_url, _, display, servers, database_url = two_processes
    state = {"seq": None, "rows": {}}

    def apply(delta):
        apply_delta(state, delta)

    screen = socketio.Client(reconnection=False)
    screen.on("delta", apply, namespace="/live")
    screen.connect(screen_url, namespaces=["/live"], auth={"display": display}, transports=["websocket"])
    joined = screen.call("join", {"contest": "DEMO-EA", "scope": "contest"}, namespace="/live", timeout=30)
    state["seq"], state["rows"] = joined["seq"], {row["id"]: row for row in joined["snapshot"]["rows"]}

    token = sign_in(marking_url, "referee", "HZ-R2", DEMO_REFEREE_PIN)
    prefix = f"kill-{uuid.uuid4().hex[:8]}"
    keys = [f"{prefix}-{n}" for n in range(40)]
    bodies = [{"contestant": "HZ004", "deduction": "SAFETY", "note": f"第{n}次", "idempotency_key": key}
              for n, key in enumerate(keys)]
    acknowledged, unanswered, lock = set(), [], threading.Lock()

    def send(body):
        try:
            status, _ = api(marking_url, "POST", "/api/v1/contests/DEMO-EA/deductions", body, token)
        except OSError:
            status = None  # the connection died with the process: no answer
        with lock:
            if status == 201:
                acknowledged.add(body["idempotency_key"])
                if len(acknowledged) == 15:
                    servers[1].kill()  # SIGKILL while the other tablets' requests are in flight
            else:
                unanswered.append(body)

    with ThreadPoolExecutor(4) as tablets:  # four tablets marking at once
        list(tablets.map(send, bodies))
    assert len(acknowledged) >= 15 and unanswered, (len(acknowledged), len(unanswered))
    assert acknowledged.isdisjoint(body["idempotency_key"] for body in unanswered)

    other = sign_in(screen_url, "referee", "HZ-R2", DEMO_REFEREE_PIN)
    for body in unanswered:  # the outbox, now talking to the process that is left
        status, answer = api(screen_url, "POST", "/api/v1/contests/DEMO-EA/deductions", body, other)
        assert status in (200, 201), answer

    engine = make_engine(database_url)
    with engine.connect() as connection:
        counts = dict(connection.execute(
            text("SELECT command_key, COUNT(*) FROM contest_events WHERE command_key LIKE :prefix GROUP BY command_key"),
            {"prefix": prefix + "-%"}).all())
    engine.dispose()
    assert acknowledged <= set(counts) and set(counts) == set(keys)
    assert all(count == 1 for count in counts.values())

    deadline = time.monotonic() + 10
    while True:
        _, board = api(screen_url, "GET", "/api/v1/contests/DEMO-EA/board")
        if state["seq"] == board["seq"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    screen.disconnect()
    assert state["seq"] == board["seq"], "the screen did not follow the resent marks on its own process"
    shown = {row["ticket_no"]: (row["rank"], row["total"]) for row in state["rows"].values()}
    assert shown == {row["ticket_no"]: (row["rank"], row["total"]) for row in board["rows"]}
