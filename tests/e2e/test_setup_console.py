"""In real Chromium: staff create a contest in the console, add sites, import the roster, assign a
panel, start it, pause one site and grant extra time; refusals show by the field at fault."""

from __future__ import annotations

import pytest

from competition.demo import DEMO_ADMIN
from tests.competition.test_roster import workbook

from .conftest import api, sign_in
from .test_contest_pages import SHOTS

pytestmark = pytest.mark.browser


def logged(server, contest: str, kind: str) -> int:
    import sqlite3

    with sqlite3.connect(server.database) as db:
        return db.execute("SELECT count(*) FROM contest_events e JOIN contests c ON c.id = e.contest_id "
                          "WHERE c.code = ? AND e.kind = ?", (contest, kind)).fetchone()[0]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sign_in_to_console(page, server) -> None:
    page.goto(f"{server}/login?role=admin")
    page.fill("input[name=login]", DEMO_ADMIN[0])
    page.fill("input[name=secret]", DEMO_ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/console")


def test_staff_set_up_and_run_a_contest_from_the_console(live_server, page):
    page.on("dialog", lambda dialog: dialog.accept("设备故障 equipment failure") if dialog.type == "prompt"
            else dialog.accept())
    sign_in_to_console(page, live_server)

    page.click("details.new-contest summary")
    form = page.locator("details.new-contest form")
    form.locator("input[name=code]").fill("E2E-ES")
    form.locator("input[name=name]").fill("浏览器测试闯关赛")
    form.locator("select[name=ruleset]").select_option("electrician-stages")
    form.locator("button[type=submit]").click()
    section = page.locator("section.contest[data-contest='E2E-ES']")
    section.wait_for()
    assert "筹备中" in section.locator("h2").inner_text()

    for attempt in range(2):  # the second time the code is taken: the error names the field
        sites = section.locator("form[data-url$='/sites']")
        sites.locator("input[name=code]").fill("S1")
        sites.locator("input[name=name]").fill("一号赛点")
        sites.locator("button[type=submit]").click()
        if attempt == 0:
            section.locator("table.sites tr[data-site='S1']").wait_for()
    page.wait_for_function("document.querySelector(\"section[data-contest='E2E-ES'] form[data-url$='/sites'] .form-error\")"
                           ".textContent.includes('already exists')")
    assert section.locator("form[data-url$='/sites'] input[name=code]").get_attribute("aria-invalid") == "true"
    assert section.locator("table.sites tbody tr").count() == 1

    roster = workbook([["S1001", "赵工", "测试电力", "S1", "01", "1357"]],
                      [["S1-R1", "钱裁", "测试检测", "S1", "否", "2468"]])
    section.locator("form.roster input[type=file]").set_input_files(
        {"name": "名单.xlsx", "mimeType": XLSX, "buffer": roster})
    section.locator("form.roster button[type=submit]").click()
    page.wait_for_function("document.querySelector(\"section[data-contest='E2E-ES'] h2\").textContent.includes('referees 1')")

    page.goto(f"{live_server}/console/E2E-ES/panels")
    row = page.locator("tr[data-site='S1']").first
    aspect = row.get_attribute("data-aspect")
    row.locator("input[value='S1-R1']").check()
    row.locator("button.save").click()
    page.wait_for_function("document.getElementById('console-message').textContent.includes('已保存')")
    page.locator(f"tr[data-aspect='{aspect}'] input[value='S1-R1']:checked").wait_for()
    page.click("button.fill[data-site='S1']")  # one referee: every one-seat panel is filled, judged ones cannot be
    page.wait_for_function("document.querySelector(\".fill-result[data-site='S1']\").textContent.includes('未能补齐')")
    judged = page.locator("tr[data-seats='3']").first
    assert judged.locator("input:checked").count() == 0
    assert page.locator("tr[data-seats='1'] input:checked").count() == page.locator("tr[data-seats='1']").count()
    page.screenshot(path=str(SHOTS / "panels.png"), full_page=True)
    token = sign_in(live_server, "admin", *DEMO_ADMIN, contest=None)
    status, panels = api(live_server, "GET", "/api/v1/contests/E2E-ES/panels", token=token)
    assert status == 200 and next(p for p in panels["sites"][0]["panels"] if p["aspect"] == aspect)["referees"] == ["S1-R1"]

    page.goto(f"{live_server}/console")
    section.locator("button[data-action=start]").click()
    section.locator("button[data-action=pause][data-site='S1']").click()
    section.locator("tr[data-site='S1'] .clock-state .flag").wait_for()
    assert "暂停中" in section.locator("tr[data-site='S1'] .clock-state").inner_text()

    extra = section.locator("form[data-url$='/extra-time']")
    extra.locator("input[name=contestant]").fill("NOBODY")
    extra.locator("input[name=reason]").fill("设备故障")
    extra.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector(\"section[data-contest='E2E-ES'] form[data-url$='/extra-time'] .form-error\")"
                           ".textContent.length > 0")
    assert extra.locator("input[name=contestant]").get_attribute("aria-invalid") == "true"
    extra.locator("input[name=contestant]").fill("S1001")
    extra.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector(\"section[data-contest='E2E-ES'] form[data-url$='/extra-time'] "
                           "input[name=contestant]\").value === ''")  # the page reloaded after the grant
    assert logged(live_server, "E2E-ES", "time_extended") == 1
    section.locator("button[data-action=resume][data-site='S1']").click()
    section.locator("button[data-action=pause][data-site='S1']").wait_for()
    status, log = api(live_server, "GET", "/api/v1/contests/E2E-ES", token=token)
    assert status == 200 and log["status"] == "running"
    page.screenshot(path=str(SHOTS / "console-setup.png"), full_page=True)


def test_staff_read_referee_severity_and_fair_scores_from_the_console(live_server, page):
    """The demo's sites share no referee: the page says why it cannot compare them and offers the
    assumption; with it, referees are ranked harshest first and every contestant has a fair score."""
    sign_in_to_console(page, live_server)
    page.click("section.contest[data-contest='DEMO-EA'] a:has-text('裁判宽严')")
    refusal = page.locator("#severity-refusal")
    refusal.wait_for()
    assert "无法直接比较各赛点" in refusal.inner_text() and "site HZ" in refusal.inner_text()
    page.click("text=按各赛点选手水平相当计算")
    page.locator("#severity-referees").wait_for()
    assert page.locator("#severity-assumed .tag").count() == 3  # one group per site
    severities = [float(cell) for cell in page.locator("#severity-referees tbody td:nth-child(3)").all_inner_texts()]
    assert severities == sorted(severities, reverse=True) and severities[0] > 0 > severities[-1]
    rows = page.locator("#severity-contestants tbody tr")
    assert rows.count() > 0
    fair = [float(cell) for cell in page.locator("#severity-contestants tbody td:nth-child(5)").all_inner_texts()]
    assert fair == sorted(fair, reverse=True) and all(0 <= value <= 3 for value in fair)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "referee-severity.png"))
