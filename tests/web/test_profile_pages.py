"""Profile pages over the demo: ranking, worker profile, enterprise analysis, report, selection."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from competition.demo import DEMO_ADMIN
from profiles.accounts import StaffAccount
from profiles.demo import DEMO_HR, DEMO_SELECTION
from profiles.models import Post, Worker


def sign_in(client, login, password):
    page = client.get("/login?role=admin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"role": "admin", "login": login, "secret": password, "csrf_token": csrf})


def hr_enterprise(app) -> tuple[int, int, int]:
    """(HR's enterprise, one of its workers, a worker of another enterprise)."""
    with app.app_context():
        session = app.extensions["jx_db"].session
        own = session.scalar(select(StaffAccount.enterprise_id).where(StaffAccount.username == DEMO_HR[0]))
        mine = session.scalar(select(Worker.id).where(Worker.enterprise_id == own).order_by(Worker.id))
        other = session.scalar(select(Worker.id).where(Worker.enterprise_id != own, Worker.post_id.is_not(None)))
        return own, mine, other


def test_the_ranking_page_shows_ties_intervals_and_the_selection_stability(demo_app, client):
    page = client.get("/rankings?trade=电工").get_data(as_text=True)
    assert "匠星排行" in page and 'id="ranking"' in page
    assert page.count("<tr data-worker=") == 100
    assert "并列" in page  # overlapping intervals share a place
    assert "<svg" in page and "μ ± 1.96σ" in page
    stability = page[page.index('id="selection-stability"'):]
    assert "±10%" in stability and "81" in stability and "名次范围" in stability
    assert 'href="/workers/' not in page  # names link to profiles for staff only
    by_region = client.get("/rankings?trade=电工&region=沈阳").get_data(as_text=True)
    table = by_region[by_region.index('id="ranking"'):by_region.index("</table>")]
    assert table.count("<tr data-worker=") > 0 and "沈阳" in table and "温州" not in table


def test_a_profile_needs_sign_in_and_shows_resume_radar_and_verdicts(demo_app, client):
    own, mine, other = hr_enterprise(demo_app)
    assert client.get(f"/workers/{mine}").status_code == 302  # to the sign-in page
    sign_in(client, *DEMO_HR)
    assert client.get(f"/workers/{other}").status_code == 403
    page = client.get(f"/workers/{mine}").get_data(as_text=True)
    assert "技能简历" in page and "能力画像" in page and "证书" in page
    data = json.loads(re.search(r'data-portrait="([^"]+)"', page).group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert len(data["dimensions"]) == 5
    for d in data["dimensions"]:
        if d["sufficient"]:
            assert f'<td class="num">{d["score"]}</td>' in page
    assert page.count("<tr data-dimension=") == 5
    assert client.get(f"/enterprises/{own}").status_code == 200
    assert client.get(f"/enterprises/{own + 1}").status_code == 403
    assert client.get("/my/enterprise").headers["Location"].endswith(f"/enterprises/{own}")


def test_enterprise_analysis_and_report_for_staff(demo_app, client):
    own, _, _ = hr_enterprise(demo_app)
    sign_in(client, *DEMO_ADMIN)
    for by in ("post", "team", "workshop"):
        page = client.get(f"/enterprises/{own}?by={by}").get_data(as_text=True)
        assert page.count('class="card group"') >= 1 and "岗位能力标准" in page
    with demo_app.app_context():
        posts = demo_app.extensions["jx_db"].session.scalars(select(Post).where(Post.enterprise_id == own)).all()
    page = client.get(f"/enterprises/{own}").get_data(as_text=True)
    assert page.count("data-standard") == len(posts)
    report = client.get(f"/enterprises/{own}/report").get_data(as_text=True)
    for heading in ("一、概况", "二、优势", "三、短板", "四、建议"):
        assert heading in report
    assert re.search(r'<ol id="suggestions"><li>.+</li>', report)


def test_the_selection_page_shows_reviews_to_staff_only(demo_app, client):
    public = client.get(f"/selection/{DEMO_SELECTION}").get_data(as_text=True)
    assert "2026年度工匠遴选" in public and "名次范围" in public and "data-review" not in public
    assert "已退回" in public and "审核通过" in public
    sign_in(client, *DEMO_ADMIN)
    staff = client.get(f"/selection/{DEMO_SELECTION}").get_data(as_text=True)
    assert 'data-review="approve"' in staff and 'data-review="return"' in staff and "data-close-round" in staff
    assert "技师证书编号" in staff  # the return's reason is in the log
    listing = client.get("/selection").get_data(as_text=True)
    assert DEMO_SELECTION in listing and "发起遴选" in listing


def test_profile_pages_in_english(demo_app, client):
    page = client.get("/rankings?trade=电工&lang=en").get_data(as_text=True)
    assert "Craftsman-star ranking" in page and "匠星排行" not in page and "tied" in page
