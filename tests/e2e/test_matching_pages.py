"""In real Chromium: an enterprise posts a need, staff run a round, the team's inbox shows the offer
without a reload, the team accepts, the enterprise completes and rates it, and the rating appears
in the team's record."""

from __future__ import annotations

import pytest

from competition.demo import DEMO_ADMIN
from matching.demo import DEMO_TEAM
from profiles.demo import DEMO_HR

from .test_contest_pages import SHOTS

pytestmark = pytest.mark.browser
TITLE = "端到端：焊缝气孔攻关"


def ready(page) -> None:
    """Wait until the page's script has wired its forms and buttons (after every load)."""
    page.wait_for_selector("body[data-wired='1']", state="attached")


def signed_in(browser, base: str, login: str, password: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login?role=admin")
    page.fill("input[name=login]", login)
    page.fill("input[name=secret]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_a_need_goes_from_posting_through_a_live_offer_to_a_rating_in_the_teams_record(browser, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    hr_context, hr = signed_in(browser, live_server, *DEMO_HR)
    team_context, team = signed_in(browser, live_server, *DEMO_TEAM)
    staff_context, staff = signed_in(browser, live_server, *DEMO_ADMIN)
    for page in (hr, staff):
        page.on("dialog", lambda dialog: dialog.accept("企业点名"))
    try:
        # The enterprise posts a need (a wrong form first: no field chosen is refused by name).
        hr.goto(f"{live_server}/needs")
        ready(hr)
        hr.fill("#post-need input[name=title]", TITLE)
        hr.select_option("#post-need select[name=place]", "zhili")
        hr.select_option("#post-need select[name=urgency]", "3")
        hr.evaluate("document.querySelector('#post-need select[name=fields]').required = false")
        hr.click("#post-need button[type=submit]")
        hr.locator("#post-need .form-error:has-text('fields')").wait_for()  # refused by name, nothing posted
        hr.select_option("#post-need select[name=fields]", ["welding"])
        hr.click("#post-need button[type=submit]")
        hr.wait_for_selector(f"#needs tr:has-text('{TITLE}') .status:has-text('待匹配')")

        # The team's inbox is open before anything is offered; it must update by itself.
        team.wait_for_url("**/teams/*/inbox")
        team.wait_for_selector("#live[data-state=live]")
        team.evaluate("window.__notReloaded = true")
        assert TITLE not in team.locator("#pending").inner_text()

        # Staff run a round, pin the new need to the 织里镇 team, run again and send the offers.
        staff.goto(f"{live_server}/matching")
        ready(staff)
        staff.click("#run-round button[type=submit]")
        row = staff.locator(f"#pairs tr:has-text('{TITLE}')")
        row.wait_for()
        ready(staff)
        row.locator("select.pin-team").select_option(label="织里镇劳模工匠服务队")
        staff.wait_for_selector("#rules li:has-text('织里镇劳模工匠服务队')")
        ready(staff)
        staff.click("#run-round button[type=submit]")
        staff.wait_for_selector(f"#pairs tr:has-text('{TITLE}'):has-text('📌')")
        ready(staff)
        assert "领域覆盖" in staff.locator(f"#pairs tr:has-text('{TITLE}') .reasons").inner_text()
        staff.screenshot(path=str(SHOTS / "matching-console.png"), full_page=True)
        staff.click("#send-offers button[type=submit]")

        # The offer reaches the inbox without a reload; the team takes the order (接单).
        offer = team.locator(f"article.offer:has-text('{TITLE}')")
        offer.wait_for(timeout=15000)
        assert team.evaluate("window.__notReloaded") is True
        team.screenshot(path=str(SHOTS / "team-inbox.png"), full_page=True)
        offer.locator("button.accept").click()
        team.wait_for_selector(f"#serving li:has-text('{TITLE}')")

        # The enterprise confirms, records the outcome and rates the service.
        hr.goto(f"{live_server}/needs")
        ready(hr)
        mine = hr.locator(f"#needs tr:has-text('{TITLE}')")
        mine.locator(".status:has-text('已接单')").wait_for()
        mine.locator("button.act:has-text('确认服务队')").click()
        mine.locator(".status:has-text('服务中')").wait_for()
        ready(hr)
        mine.locator("input[name=benefit_yuan]").fill("86000.50")
        mine.locator("input[name=hours]").fill("40")
        mine.locator("form.complete button[type=submit]").click()
        mine.locator(".status:has-text('已完成')").wait_for()
        ready(hr)
        mine.locator("select[name=rating]").select_option("5")
        mine.locator("input[name=comment]").fill("一次解决，专业高效")
        mine.locator("form.rate button[type=submit]").click()
        mine.locator(".status:has-text('已评价')").wait_for()
        hr.screenshot(path=str(SHOTS / "enterprise-needs.png"), full_page=True)

        # The rating is in the team's record.
        team.goto(team.url.replace("/inbox", ""))
        team.screenshot(path=str(SHOTS / "team-record.png"), full_page=True)
        record = team.locator(f"#orders tr:has-text('{TITLE}')")
        assert "5/5" in record.locator(".rating").inner_text() and "一次解决" in record.inner_text()
        assert "86000.50" in record.inner_text()
        team.screenshot(path=str(SHOTS / "team-record.png"), full_page=True)
    finally:
        for context in (hr_context, team_context, staff_context):
            context.close()


def save_settings(team, **values) -> None:
    """Fill the team's 接单设置 form and save it; return once the page has reloaded what was saved."""
    for name, value in values.items():
        team.fill(f"#team-settings input[name={name}]", value)
    with team.expect_navigation():
        team.click("#team-settings button[type=submit]")
    ready(team)


def test_two_way_selection_and_a_teams_availability_are_set_on_the_pages(browser, live_server):
    from .conftest import api, sign_in

    need_title = "端到端：双向选择的钣金需求"
    hr_token = sign_in(live_server, "admin", *DEMO_HR, contest=None)
    team_id = api(live_server, "GET", "/api/v1/auth/me", token=sign_in(live_server, "admin", *DEMO_TEAM,
                                                                        contest=None))[1]["service_team_id"]
    status, need = api(live_server, "POST", "/api/v1/needs", {"kind": "problem", "title": need_title,
                                                              "fields": ["sheet-metal"], "place": "zhili"}, hr_token)
    assert status == 201, need
    hr_context, hr = signed_in(browser, live_server, *DEMO_HR)
    team_context, team = signed_in(browser, live_server, *DEMO_TEAM)
    staff_context, staff = signed_in(browser, live_server, *DEMO_ADMIN)
    try:
        # The enterprise ranks the 织里镇 team first for its need.
        hr.goto(f"{live_server}/needs")
        ready(hr)
        row = hr.locator(f"#needs tr[data-need='{need['id']}']")
        row.locator("details.ranking summary").click()
        row.locator("form.rank select[name=ranked]").first.select_option(str(team_id))
        row.locator("form.rank button[type=submit]").click()
        hr.wait_for_selector(f"#needs tr[data-need='{need['id']}'] details.ranking summary:has-text('(1)')")

        # The team ranks that need first, and sets an away period (a reversed one is refused by name).
        team.wait_for_url("**/teams/*/inbox")
        ready(team)
        team.locator("#team-ranking select[name=ranked]").first.select_option(str(need["id"]))
        with team.expect_navigation():  # saved, then the page reloads what the server holds
            team.click("#team-ranking button[type=submit]")
        ready(team)
        assert team.locator("#team-ranking select[name=ranked]").first.input_value() == str(need["id"])
        team.fill("#team-settings input[name=away_from]", "2031-05-10")
        team.fill("#team-settings input[name=away_until]", "2031-05-01")
        team.click("#team-settings button[type=submit]")
        team.locator("#team-settings .form-error:has-text('away_from')").wait_for()
        assert team.locator("#team-settings input[name=away_until]").get_attribute("aria-invalid") == "true"
        save_settings(team, away_until="2031-05-20", capacity="4")
        assert team.locator("#team-settings input[name=away_until]").input_value() == "2031-05-20"
        assert team.locator("#team-settings input[name=capacity]").input_value() == "4"
        team.screenshot(path=str(SHOTS / "team-inbox-settings.png"), full_page=True)

        # Staff run two-way selection: the pair both sides ranked first is matched, with no blocking pair.
        staff.goto(f"{live_server}/matching")
        ready(staff)
        staff.select_option("#run-round select[name=method]", "stable-needs")
        staff.click("#run-round button[type=submit]")
        staff.wait_for_selector("#round h2:has-text('stable-needs')")
        assert "织里镇劳模工匠服务队" in staff.locator(f"#pairs tr[data-need='{need['id']}']").inner_text()
        assert "阻塞对 Blocking pairs 0" in " ".join(staff.locator("#round p").first.inner_text().split())

        # Clearing the away period (both dates empty) is saved as none.
        save_settings(team, away_from="", away_until="")
        assert team.locator("#team-settings input[name=away_from]").input_value() == ""
        assert api(live_server, "GET", f"/api/v1/teams/{team_id}", token=hr_token)[1]["away_from"] is None
    finally:
        for context in (hr_context, team_context, staff_context):
            context.close()


def test_an_enterprise_pairs_apprentices_with_masters_from_their_portraits(browser, live_server):
    hr_context, hr = signed_in(browser, live_server, *DEMO_HR)
    try:
        hr.goto(f"{live_server}/pairings")
        ready(hr)
        before = hr.locator("#signed tbody tr").count()
        hr.click("#propose-pairings button[type=submit]")
        proposal = hr.locator("#proposals tbody tr").first
        proposal.wait_for(timeout=20000)
        apprentice = proposal.locator("td").first.inner_text()
        assert "%" in proposal.locator("td").nth(2).inner_text()
        proposal.locator("button.sign").click()
        hr.wait_for_selector("#proposals tr[data-signed='1']")
        assert hr.locator("#signed tbody tr").first.locator("td").nth(1).inner_text() == apprentice
        hr.screenshot(path=str(SHOTS / "pairings.png"), full_page=True)
        hr.reload()
        ready(hr)
        assert hr.locator("#signed tbody tr").count() == before + 1  # signed for good, not just on the page
    finally:
        hr_context.close()
