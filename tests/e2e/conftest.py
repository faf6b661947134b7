"""A real server (the README's run steps) and a real Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer(str):
    """The server's base URL (a str), with the path of its SQLite database."""

    database: Path


def serve_demo(directory: Path, *, gevent: bool = False):
    """Migrate a fresh SQLite database in ``directory``, load the demo and serve it, as
    `make run` does (``gevent``: as `make serve` does); yield the server's URL."""
    database = directory / "live.sqlite"
    env = dict(os.environ, JX_DATABASE_URL=f"sqlite:///{database}", JX_SECRET_KEY="browser-test")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in (["db", "upgrade"], ["seed-demo", "--if-empty"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    if gevent:
        env["JX_SOCKETIO_ASYNC_MODE"] = "gevent"
        command = [sys.executable, "wsgi.py", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = flask + ["run", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = LiveServer(f"http://127.0.0.1:{port}")
    url.database = database
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                server.wait()
                pytest.fail(f"server did not start: {server.stderr.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.2)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    yield from serve_demo(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def gevent_server(tmp_path_factory):
    """The production server (`make serve`): gevent, one greenlet per connection."""
    yield from serve_demo(tmp_path_factory.mktemp("gevent"), gevent=True)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def api(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    """Call the JSON API like any client; return (status, body)."""
    import json
    import urllib.error

    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def sign_in(base: str, role: str, login: str, secret: str, contest: str | None = "DEMO-EA") -> str:
    body = {"role": role, "login": login, "secret": secret, **({"contest": contest} if contest else {})}
    status, answer = api(base, "POST", "/api/v1/auth/token", body)
    assert status == 201, answer
    return answer["token"]


def display_token(server: LiveServer, contest: str, site: str | None = None) -> str:
    import sqlite3

    with sqlite3.connect(server.database) as db:
        query = ("SELECT d.token FROM display_links d JOIN contests c ON c.id = d.contest_id "
                 "LEFT JOIN sites s ON s.id = d.site_id WHERE c.code = ? AND ")
        if site is None:
            return db.execute(query + "d.site_id IS NULL", (contest,)).fetchone()[0]
        return db.execute(query + "s.code = ?", (contest, site)).fetchone()[0]


def apply_delta(state: dict, delta: dict) -> None:
    """What a big screen does with a delta (``web/static/js/live.js``): only at its ``from_seq``;
    rows not sent move by the runs of old ranks, rows sent replace their old selves."""
    if delta["from_seq"] != state["seq"]:
        return  # not made for this position: a resume catches up
    sent = {row["id"] for row in delta["rows"]}
    for ident, row in list(state["rows"].items()):
        if ident not in sent:
            rank = next((row["rank"] + by for first, last, by in delta["shifts"] if first <= row["rank"] <= last),
                        row["rank"])
            state["rows"][ident] = {**row, "rank": rank}
    for row in delta["rows"]:
        state["rows"][row["id"]] = row
    state["seq"] = delta["seq"]
