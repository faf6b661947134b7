"""In real Chromium: a big screen opened with ?lang=en labels everything its scripts draw in English."""

from __future__ import annotations

import re
import sqlite3

import pytest

from .conftest import display_token
from .test_contest_pages import SHOTS

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

# What the page's own scripts say for each connection state, from live.js's indicator.
INDICATOR_LABELS = """async () => {
  const { indicator } = await import("/static/js/live.js");
  const element = document.createElement("span"), show = indicator(element), labels = {};
  for (const state of ["live", "reconnecting", "catching-up"]) { show(state); labels[state] = element.textContent; }
  return labels;
}"""

PROGRESS_CHART = """() => {
  const option = echarts.getInstanceByDom(document.getElementById("progress")).getOption();
  return { title: option.title[0].text, series: option.series.map((s) => s.name), columns: option.xAxis[0].data };
}"""


def data_values(server) -> list[str]:
    """Names stored in the database (shown as they are in either language), longest first."""
    with sqlite3.connect(server.database) as db:
        values = {value for query in ("SELECT name FROM contests", "SELECT name FROM sites", "SELECT name FROM workers",
                                      "SELECT name FROM enterprises", "SELECT name FROM stages")
                  for (value,) in db.execute(query) if value}
    return sorted(values, key=len, reverse=True)


def test_the_big_screen_in_english(live_server, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    screen = context.new_page()
    try:
        screen.goto(f"{live_server}/screen/{display_token(live_server, 'DEMO-ES')}?lang=en")
        screen.wait_for_selector("#connection[data-state=live]")
        screen.wait_for_selector("#board tbody tr")
        assert screen.evaluate("document.documentElement.lang") == "en"

        assert screen.locator("#connection").inner_text() == "● Live"
        assert screen.evaluate(INDICATOR_LABELS) == {"live": "● Live", "reconnecting": "○ Reconnecting",
                                                     "catching-up": "◐ Catching up"}
        assert screen.locator("header p").inner_text() == "Overall ranking, all sites"
        assert screen.locator("#unofficial").inner_text() == "Unofficial until finalized"
        assert screen.locator("#frozen").text_content() == "Board frozen"
        assert screen.locator("#board thead th").all_inner_texts() == ["Rank", "Name", "Enterprise", "Site", "Stage", "Total"]

        chart = screen.evaluate(PROGRESS_CHART)
        assert chart["title"] == "Level progress"
        assert chart["series"] and set(chart["series"]) <= {"In progress", "Not started", "Failed", "Cleared", "All cleared"}
        assert chart["columns"][-1] == "Done"

        # Everything drawn as text, once the names from the database are taken out, is English.
        shown = screen.evaluate("document.title + '\\n' + document.body.innerText")
        for value in data_values(live_server):
            shown = shown.replace(value, " ")
        assert not CJK.findall(shown), [line for line in shown.splitlines() if CJK.search(line)]

        SHOTS.mkdir(parents=True, exist_ok=True)
        screen.screenshot(path=str(SHOTS / "screen-en.png"))
    finally:
        context.close()
