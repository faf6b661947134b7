"""In real Chromium: a worker who wins a contest sees their resume, portrait and star ranking
change once staff finalize it."""

from __future__ import annotations

import json
import sqlite3
from io import BytesIO

import pytest

from competition.demo import DEMO_ADMIN

from .conftest import api, sign_in
from .test_contest_pages import SHOTS

pytestmark = pytest.mark.browser

# One single-seat measurement per dimension of the demo's 电气装配工 portraits: the same trade and
# dimension names, so the contest feeds the profiles the demo population already has.
DIMENSIONS = [("fault", "出光排障"), ("power", "通电及装软件"), ("air", "气路风门装调"), ("wiring", "识图焊接接线"),
              ("theory", "电气基础知识")]
RULESET = """
[ruleset]
code = "e2e-assembly"
name = "电气装配工快赛"
version = "1"
trade = "电气装配工"
total = 50
tie_break = ["total"]
""" + "".join(f"""
[[dimensions]]
code = "{code}"
name = "{name}"
weight = 0.2
""" for code, name in DIMENSIONS) + """
[[criteria]]
code = "A"
name = "实操"
  [[criteria.sub_criteria]]
  code = "A1"
  name = "测量"
""" + "".join(f"""
    [[criteria.sub_criteria.aspects]]
    code = "M{i}"
    name = "测量{i}"
    kind = "measurement"
    method = "tolerance"
    target = 24
    bands = [ {{ within = 0.5, marks = 10 }}, {{ within = 2, marks = 5 }} ]
    max = 10
    dimension = "{code}"
""" for i, (code, _) in enumerate(DIMENSIONS, start=1))


def roster(people) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "选手"
    sheet.append(["准考证号", "姓名", "单位", "赛点", "工号", "PIN"])
    for ticket, (name, enterprise, staff_no) in people.items():
        sheet.append([ticket, name, enterprise, "S1", staff_no, "2580"])
    judges = book.create_sheet("裁判")
    judges.append(["裁判编号", "姓名", "单位", "赛点", "裁判长", "PIN"])
    judges.append(["R1", "孙裁判", "测试检测中心", "S1", "否", "3690"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(base: str, path: str, data: bytes, token: str):
    import requests
    answer = requests.post(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                           files={"file": ("名单.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    return answer.status_code, answer.json()


def regulars(server) -> list[tuple]:
    """Two 电气装配工 regulars of one demo enterprise: (worker id, name, enterprise, staff no)."""
    with sqlite3.connect(server.database) as db:
        return db.execute(
            "SELECT w.id, w.name, e.name, w.staff_no FROM workers w JOIN enterprises e ON e.id = w.enterprise_id "
            "JOIN star_ratings s ON s.worker_id = w.id WHERE w.trade = '电气装配工' AND w.staff_no IS NOT NULL "
            "AND s.contests >= 5 ORDER BY s.mu LIMIT 2").fetchall()


def shown_profile(page) -> dict:
    """What the profile page shows: its contests, star line, and the portrait data behind the radar."""
    return {"contests": page.locator("#contests tbody tr[data-contest]").evaluate_all("rows => rows.map(r => r.dataset.contest)"),
            "first": page.locator("#contests tbody tr").first.inner_text(),
            "star": page.locator("#star").inner_text(),
            "portrait": json.loads(page.locator("#radar").get_attribute("data-portrait"))}


def test_a_winner_sees_resume_portrait_and_ranking_change_after_finalize(live_server, browser):
    (winner_id, winner, enterprise, winner_no), (_, runner_up, enterprise_2, runner_no) = regulars(live_server)
    admin = sign_in(live_server, "admin", *DEMO_ADMIN, contest=None)
    code = "E2E-WIN"
    assert api(live_server, "POST", "/api/v1/contests", {"code": code, "name": "电气装配工快赛", "ruleset_text": RULESET},
               token=admin)[0] == 201
    assert api(live_server, "POST", f"/api/v1/contests/{code}/sites", {"code": "S1", "name": "温州赛点", "city": "温州"},
               token=admin)[0] == 201
    status, answer = upload(live_server, f"/api/v1/contests/{code}/roster",
                            roster({"W1": (winner, enterprise, winner_no), "W2": (runner_up, enterprise_2, runner_no)}), admin)
    assert status == 201, answer
    assert api(live_server, "POST", f"/api/v1/contests/{code}/panels/fill", {"site": "S1", "idempotency_key": "fill"},
               token=admin)[0] == 200
    assert api(live_server, "POST", f"/api/v1/contests/{code}/start", {"idempotency_key": "go"}, token=admin)[0] == 200

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login?role=contestant&contest={code}")
        page.select_option("select[name=contest]", code)
        page.fill("input[name=login]", "W1")
        page.fill("input[name=secret]", "2580")
        page.click("button[type=submit]")
        page.click("#my-profile")  # from the contestant tablet to their own profile
        page.wait_for_url(f"**/workers/{winner_id}")
        before = shown_profile(page)
        assert code not in before["contests"]
        ranking_url = f"{live_server}/rankings?trade=电气装配工&enterprise="
        with sqlite3.connect(live_server.database) as db:
            enterprise_id = db.execute("SELECT enterprise_id FROM workers WHERE id = ?", (winner_id,)).fetchone()[0]
        page.goto(ranking_url + str(enterprise_id))
        mu_before = float(page.locator(f"tr[data-worker='{winner_id}'] td.interval small").inner_text())

        # The contest: the winner on target everywhere, the runner-up off by 5 (no marks); signed; ended; finalized.
        referee = sign_in(live_server, "referee", "R1", "3690", contest=code)
        for ticket, reading in (("W1", 24), ("W2", 29)):
            for i in range(1, 6):
                status, answer = api(live_server, "POST", f"/api/v1/contests/{code}/marks",
                                     {"contestant": ticket, "aspect": f"M{i}", "value": reading,
                                      "idempotency_key": f"{ticket}-M{i}"}, token=referee)
                assert status == 201, answer
            assert api(live_server, "POST", f"/api/v1/contests/{code}/sign-offs",
                       {"contestant": ticket, "idempotency_key": f"sign-{ticket}"}, token=referee)[0] == 201
        for action in ("end", "finalize"):
            status, answer = api(live_server, "POST", f"/api/v1/contests/{code}/{action}",
                                 {"idempotency_key": action}, token=admin)
            assert status == 200, answer

        page.goto(f"{live_server}/workers/{winner_id}")
        after = shown_profile(page)
        assert after["contests"][0] == code and "1 / 2" in after["first"] and "50.00 / 50" in after["first"]
        assert len(after["contests"]) == len(before["contests"]) + 1
        assert after["star"] != before["star"]
        rises = [(b["z"], a["z"]) for b, a in zip(before["portrait"]["dimensions"], after["portrait"]["dimensions"])]
        assert all(a > b for b, a in rises), rises  # full marks in every dimension lifts every estimate
        shown = page.locator("#dimensions tbody tr td.num").first.inner_text()
        assert shown  # the table shows the new figures (or says the evidence is insufficient)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "profile-after-win.png"), full_page=True)

        page.goto(ranking_url + str(enterprise_id))
        mu_after = float(page.locator(f"tr[data-worker='{winner_id}'] td.interval small").inner_text())
        assert mu_after > mu_before
    finally:
        context.close()
