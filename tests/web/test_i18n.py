"""Page language: Chinese with English beside it by default, English alone with ``?lang=en``.

The English-mode check reads what a visitor sees (text outside scripts, the title, and the
attributes a browser shows or reads aloud), removes the data values stored in the database
(contest, site, city, person, enterprise and stage names), and expects no Chinese character to be
left: a label left untranslated in a template fails it. The same check over the Chinese page must
find Chinese left, so the removal of data values cannot be what makes the English pages pass.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import text

from competition.demo import DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN

# CJK ideographs, CJK punctuation (、。「」) and full-width forms (（）：，).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """Text a visitor sees or hears: no <script>/<style> bodies, and not the link to the other
    language, which names it in its own language (``<a lang="zh-CN">中文</a>``)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping: list[str] = []   # open elements whose text is not label text

    def handle_starttag(self, tag, attrs):
        other_language = tag != "html" and (dict(attrs).get("lang") or "").startswith("zh")
        if self.skipping or tag in ("script", "style") or other_language:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        self.chunks += [value for name, value in attrs if name in SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if self.skipping and tag not in VOID:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.chunks.append(data.strip())


def data_values(app) -> list[str]:
    """Every name stored in the database that a page may show as it is, longest first."""
    queries = ["SELECT name FROM contests", "SELECT name FROM sites", "SELECT city FROM sites",
               "SELECT name FROM workers", "SELECT name FROM enterprises", "SELECT name FROM referees",
               "SELECT name FROM stages"]
    with app.extensions["jx_db"].session_factory() as session:
        values = {value for query in queries for (value,) in session.execute(text(query)) if value}
    return sorted(values, key=len, reverse=True)


def chinese_labels(page: str, values: list[str]) -> list[str]:
    """The pieces of visible text that still hold Chinese once the data values are taken out."""
    parser = VisibleText()
    parser.feed(page)
    left = []
    for chunk in parser.chunks:
        for value in values:
            chunk = chunk.replace(value, " ")
        if CJK.search(chunk):
            left.append(chunk)
    return left


def csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def sign_in(client, role: str, login: str, secret: str, contest: str = "DEMO-EA"):
    form = client.get(f"/login?role={role}").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf(form), "role": role, "login": login,
                                       "secret": secret, "contest": contest})


def screen_tokens(app) -> list[str]:
    with app.extensions["jx_db"].session_factory() as session:
        return [token for (token,) in session.execute(text(
            "SELECT d.token FROM display_links d JOIN contests c ON c.id = d.contest_id "
            "WHERE c.code = 'DEMO-ES' ORDER BY d.site_id IS NOT NULL, d.id"))][:2]


def test_pages_are_chinese_with_english_beside_by_default(demo_app, client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert '竞赛 <span class="en">Contests</span>' in page and "进行中 Running" in page
    assert "jx_lang" not in response.headers.get("Set-Cookie", "")


def test_lang_en_is_remembered_in_a_cookie(demo_app, client):
    response = client.get("/?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page and "<h1>Contests</h1>" in page
    assert "jx_lang=en" in response.headers["Set-Cookie"]
    later = client.get("/contests/DEMO-EA").get_data(as_text=True)   # no ?lang: the cookie decides
    assert '<html lang="en">' in later and "Overall ranking" in later and "总排名" not in later
    back = client.get("/?lang=zh").get_data(as_text=True)
    assert '<html lang="zh-CN">' in back and client.get("/").get_data(as_text=True).count("竞赛") >= 1


@pytest.mark.parametrize("asked", ["fr", "EN", "", "en-US"])
def test_an_unknown_language_falls_back_to_chinese(demo_app, client, asked):
    response = client.get(f"/?lang={asked}")
    assert '<html lang="zh-CN">' in response.get_data(as_text=True)
    assert "jx_lang" not in response.headers.get("Set-Cookie", "")
    client.set_cookie("jx_lang", asked)
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


PUBLIC_PAGES = ["/", "/login", "/login?role=contestant", "/login?role=admin", "/contests/DEMO-EA", "/contests/DEMO-ES"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_in_english_have_no_chinese_labels(demo_app, client, path):
    client.get("/?lang=en")
    page = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert chinese_labels(page, data_values(demo_app)) == []


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_check_finds_the_chinese_labels_of_the_chinese_pages(demo_app, client, path):
    page = client.get(path).get_data(as_text=True)
    assert len(chinese_labels(page, data_values(demo_app))) >= 3


def test_a_refused_sign_in_is_explained_in_english(demo_app, client):
    client.get("/?lang=en")
    refused = sign_in(client, "referee", "HZ-R1", "9999")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401 and "Wrong login or password/PIN" in page
    assert chinese_labels(page, data_values(demo_app)) == []


def test_the_english_board_names_rule_set_and_dimensions_in_english(demo_app, client):
    page = client.get("/contests/DEMO-ES?lang=en").get_data(as_text=True)
    assert "Electrician cross-regional level-clearing contest" in page and "Safe working practice" in page
    assert "Level progress" in page and "Unofficial until finalized" in page


@pytest.mark.parametrize("role, login, secret, path, labels", [
    ("referee", "HZ-R1", DEMO_REFEREE_PIN, "/referee", ["All synced", "Catching up", "Pick a contestant"]),
    ("referee", "CHIEF", DEMO_REFEREE_PIN, "/referee", ["All synced", "CHIEF · Chief referee ·"]),
    ("contestant", "WZ001", DEMO_CONTESTANT_PIN, "/tablet", ["Time left", "My total", "Rank", "Loading…"]),
])
def test_tablets_in_english_have_no_chinese_labels(demo_app, client, role, login, secret, path, labels):
    client.get("/?lang=en")
    assert sign_in(client, role, login, secret).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in page and all(label in page for label in labels)
    assert chinese_labels(page, data_values(demo_app)) == []
    chinese = client.get(path + "?lang=zh").get_data(as_text=True)
    assert "已同步 <span" in chinese and len(chinese_labels(chinese, data_values(demo_app))) >= 3


def test_big_screens_in_english_have_no_chinese_labels(demo_app, client):
    overall, one_site = screen_tokens(demo_app)
    for token, heading in ((overall, "Overall ranking, all sites"), (one_site, "Site ranking")):
        page = client.get(f"/screen/{token}?lang=en").get_data(as_text=True)
        assert '<html lang="en">' in page and heading in page and "Unofficial until finalized" in page
        assert chinese_labels(page, data_values(demo_app)) == []
        chinese = client.get(f"/screen/{token}?lang=zh").get_data(as_text=True)
        assert '<html lang="zh-CN">' in chinese and "非正式成绩 · " in chinese
        assert len(chinese_labels(chinese, data_values(demo_app))) >= 3
