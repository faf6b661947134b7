"""In real Chromium: a referee's tablet moves the big screen; a screen survives a cut; clocks."""

from __future__ import annotations

import calendar
import time
from urllib.parse import urlparse

import pytest

from competition.demo import DEMO_ADMIN, DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN

from .conftest import api, display_token, sign_in
from .proxy import CuttableProxy
from .test_contest_pages import SHOTS

pytestmark = pytest.mark.browser

CANDIDATES = ["0", "55", "2.0", "24", "1500", "0.80", "1"]


def board_row(server, ticket: str, contest: str = "DEMO-EA") -> dict:
    status, board = api(server, "GET", f"/api/v1/contests/{contest}/board")
    assert status == 200
    return next(row for row in board["rows"] if row["ticket_no"] == ticket)


def open_measurement(server, token: str):
    """A contestant, numeric measurement aspect and the best reading of a few candidates for it."""
    status, data = api(server, "GET", "/api/v1/contests/DEMO-EA/assignments", token=token)
    assert status == 200
    numeric = [a for a in data["aspects"] if a["kind"] == "measurement" and not a["options"]]
    for contestant in data["contestants"]:
        for aspect in numeric:
            if aspect["code"] in contestant["my_marks"]:
                continue
            best = None
            for value in CANDIDATES:
                status, preview = api(server, "POST", "/api/v1/contests/DEMO-EA/preview",
                                      {"aspect": aspect["code"], "value": value}, token)
                if status == 200 and preview["marks"] is not None and (best is None or
                                                                        float(preview["marks"]) > float(best[1])):
                    best = (value, preview["marks"])
            if best and float(best[1]) > 0:
                return contestant["ticket_no"], aspect["code"], best[0]
    pytest.fail("the demo left no numeric measurement open for this referee")


def sign_in_page(page, base: str, role: str, login: str, secret: str, contest: str = "DEMO-EA") -> None:
    page.goto(f"{base}/login?role={role}&contest={contest}")
    page.select_option("select[name=contest]", contest)
    page.fill("input[name=login]", login)
    page.fill("input[name=secret]", secret)
    page.click("button[type=submit]")


def test_a_mark_on_the_referee_tablet_moves_the_big_screen(live_server, browser):
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
    screen.goto(f"{live_server}/screen/{display_token(live_server, 'DEMO-EA')}")
    screen.wait_for_selector("#connection[data-state=live]")

    token = sign_in(live_server, "referee", "HZ-R1", DEMO_REFEREE_PIN)
    ticket, aspect, value = open_measurement(live_server, token)
    before = board_row(live_server, ticket)

    tablet = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", has_touch=True).new_page()
    sign_in_page(tablet, live_server, "referee", "HZ-R1", DEMO_REFEREE_PIN)
    tablet.wait_for_selector("#connection[data-state=live]")
    tablet.click(f"button.pick[data-ticket='{ticket}']")
    form = tablet.locator(f"form.measure[data-aspect='{aspect}']")
    form.locator("input[name=value]").fill(value)
    tablet.wait_for_function(
        f"document.querySelector(\"form.measure[data-aspect='{aspect}'] .preview\").textContent.includes('得分')")
    form.locator("button[type=submit]").click()
    tablet.wait_for_selector(f".card.aspect[data-aspect='{aspect}'] .tag.ok")
    tablet.wait_for_selector("#outbox[data-pending='0']")

    after = board_row(live_server, ticket)
    assert after["total"] != before["total"]
    cell = f"#board tr[data-ticket='{ticket}']"
    screen.wait_for_function(
        f"(() => {{ const r = document.querySelector(\"{cell}\"); return r && r.querySelector('td.total').textContent === '{after['total']}'; }})()",
        timeout=10000)
    assert screen.locator(f"{cell} td.rank").inner_text() == str(after["rank"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    tablet.screenshot(path=str(SHOTS / "referee-tablet.png"))
    screen.screenshot(path=str(SHOTS / "big-screen.png"))
    screen.context.close()
    tablet.context.close()


def test_a_big_screen_whose_connection_is_cut_catches_up_without_reload(live_server, browser):
    proxy = CuttableProxy(urlparse(live_server).port)
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
    try:
        screen.goto(f"{proxy.url}/screen/{display_token(live_server, 'DEMO-EA', 'JX')}")
        screen.wait_for_selector("#connection[data-state=live]")
        screen.evaluate("window.__loadedOnce = true")
        seq_before = int(screen.locator("#seq").get_attribute("data-seq"))

        proxy.cut()
        screen.wait_for_selector("#connection[data-state=reconnecting]", timeout=15000)
        token = sign_in(live_server, "referee", "JX-R1", DEMO_REFEREE_PIN)
        status, answer = api(live_server, "POST", "/api/v1/contests/DEMO-EA/deductions",
                             {"contestant": "JX003", "deduction": "SAFETY", "note": "断线期间扣分",
                              "idempotency_key": "cut-1"}, token)
        assert status == 201
        expected = board_row(live_server, "JX003")
        time.sleep(1)  # the server pushes while the screen is away; it must not matter
        proxy.restore()

        screen.wait_for_selector("#connection[data-state=live]", timeout=15000)
        screen.wait_for_function(
            f"document.querySelector(\"#board tr[data-ticket='JX003'] td.total\").textContent === '{expected['total']}'",
            timeout=10000)
        assert screen.evaluate("window.__loadedOnce") is True  # caught up in place: no reload
        assert int(screen.locator("#seq").get_attribute("data-seq")) > seq_before
        assert screen.locator("#board tr[data-ticket='JX003'] td.rank").inner_text() == str(expected["site_rank"])
    finally:
        screen.context.close()
        proxy.close()


SKEW_MS = 2 * 3600 * 1000  # the tablet's clock is two hours fast
SKEWED_CLOCK = """
(() => {
  const RealDate = Date, skew = %d;
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(RealDate.now() + skew); else super(...args); }
    static now() { return RealDate.now() + skew; }
  }
  globalThis.Date = SkewedDate;
})();
""" % SKEW_MS


def test_the_countdown_follows_the_server_clock_on_a_tablet_with_a_wrong_clock(live_server, browser):
    admin = sign_in(live_server, "admin", *DEMO_ADMIN, contest=None)
    ticket = sheet = None
    for site in ("WZ", "JX", "HZ"):
        for n in range(1, 9):
            status, candidate = api(live_server, "GET", f"/api/v1/contests/DEMO-ES/sheets/{site}{n:03d}", token=admin)
            if status == 200 and any(s["status"] == "in_progress" for s in candidate["stages"]):
                ticket, sheet = f"{site}{n:03d}", candidate
                break
        if ticket:
            break
    assert ticket, "the demo leaves some contestants mid-stage"
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", has_touch=True)
    context.add_init_script(SKEWED_CLOCK)
    tablet = context.new_page()
    try:
        sign_in_page(tablet, live_server, "contestant", ticket, DEMO_CONTESTANT_PIN, contest="DEMO-ES")
        tablet.wait_for_function("document.querySelector('#countdown').dataset.remaining !== ''", timeout=10000)
        device_skew = tablet.evaluate("Date.now()") - time.time() * 1000
        assert abs(device_skew - SKEW_MS) < 5000  # the tablet's clock really is wrong
        shown = int(tablet.locator("#countdown").get_attribute("data-remaining"))
        stage = next(s for s in sheet["stages"] if s["status"] == "in_progress")
        _, now = api(live_server, "GET", "/api/v1/time")
        deadline = calendar.timegm(time.strptime(stage["deadline"][:19], "%Y-%m-%dT%H:%M:%S"))
        expected = deadline - now["server_time"] / 1000
        assert abs(shown - expected) <= 3, (shown, expected)
        SHOTS.mkdir(parents=True, exist_ok=True)
        tablet.screenshot(path=str(SHOTS / "contestant-tablet.png"))
    finally:
        context.close()


def test_the_staff_console_lists_contests_and_screen_links(live_server, page):
    sign_in_page_admin = page.goto(f"{live_server}/login?role=admin")
    assert sign_in_page_admin.status == 200
    page.fill("input[name=login]", DEMO_ADMIN[0])
    page.fill("input[name=secret]", DEMO_ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/console")
    for code in ("DEMO-EA", "DEMO-ES"):  # other browser tests may add contests of their own
        assert page.locator(f"section.contest[data-contest='{code}'] ul.links a").count() == 4
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "console.png"), full_page=True)


def test_a_refused_reading_shows_the_servers_reason_and_a_good_one_replaces_it(live_server, browser):
    token = sign_in(live_server, "referee", "JX-R1", DEMO_REFEREE_PIN)
    ticket, aspect, value = open_measurement(live_server, token)
    before = board_row(live_server, ticket)
    tablet = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", has_touch=True).new_page()
    try:
        sign_in_page(tablet, live_server, "referee", "JX-R1", DEMO_REFEREE_PIN)
        tablet.wait_for_selector("#connection[data-state=live]")
        tablet.click(f"button.pick[data-ticket='{ticket}']")
        card = f".card.aspect[data-aspect='{aspect}']"
        tablet.fill(f"{card} input[name=value]", "abc")
        tablet.click(f"{card} button[type=submit]")
        tablet.wait_for_selector(f"{card} .tag.warn")
        assert "value: expected a number" in tablet.locator(f"{card} .tag.warn").inner_text()
        assert "被拒" in tablet.locator("#outbox").inner_text()
        assert board_row(live_server, ticket)["total"] == before["total"]  # a refused mark leaves the board as it was
        tablet.click("#outbox")  # the list says why, and the refused entry can be dismissed
        assert "value: expected a number" in tablet.locator(".outbox-list li.rejected").inner_text()
        tablet.click(".outbox-list button[data-dismiss]")
        tablet.wait_for_selector("#outbox[data-rejected='0']")
        assert tablet.locator(f"{card} .tag.warn").count() == 0
        tablet.fill(f"{card} input[name=value]", value)
        tablet.click(f"{card} button[type=submit]")
        tablet.wait_for_selector(f"{card} .tag.ok")
        tablet.wait_for_selector("#outbox[data-pending='0']")
        assert tablet.locator(f"{card} .tag.warn").count() == 0 and "已同步" in tablet.locator("#outbox").inner_text()
    finally:
        tablet.context.close()
