"""In real Chromium: the demo contest is listed and its board opens, in Chinese."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("JX_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "instance" / "screenshots"))


def test_home_lists_the_demo_contest_and_opens_its_board(live_server, page):
    page.goto(live_server + "/")
    row = page.locator("#contests tbody tr", has_text="DEMO-EA")
    assert row.count() == 1
    row.get_by_role("link").click()
    page.wait_for_url("**/contests/DEMO-EA")
    assert page.locator("h1").inner_text().startswith("长三角电气装配工技能邀请赛")
    ranks = page.locator("#board tbody td.rank").all_inner_texts()
    assert len(ranks) == 24 and ranks[0] == "1"
    totals = [float(t) for t in page.locator("#board tbody td.total").all_inner_texts()]
    assert totals == sorted(totals, reverse=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "board.png"), full_page=True)

