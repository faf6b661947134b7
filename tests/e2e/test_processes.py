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

import pytest
import socketio
from sqlalchemy import text

from competition.demo import DEMO_ADMIN, DEMO_REFEREE_PIN
from profiles.db import make_engine
from tests.conftest import REDIS_URL, fresh_postgres_schema, redis_or_skip

from .conftest import ROOT, _free_port, api, sign_in
from .test_live_pages import open_measurement


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
            yield servers[0][1], servers[1][1], display
        finally:
            for server, _ in servers:
                server.terminate()
                server.wait(timeout=10)
                server.stderr.close()


def test_a_screen_on_one_process_follows_marks_and_commands_accepted_by_another(two_processes):
    screen_url, marking_url, (link_id, display) = two_processes
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
