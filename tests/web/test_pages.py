"""Pages and the read API over a migrated database with the demo loaded."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from competition.models import ContestEvent


def test_index_lists_the_demo_contest(demo_app, client):
    page = client.get("/").get_data(as_text=True)
    assert "长三角电气装配工技能邀请赛（演示）" in page and "DEMO-EA" in page and "进行中 Running" in page


def test_index_without_contests_says_how_to_load_the_demo(client):
    page = client.get("/").get_data(as_text=True)
    assert "seed-demo" in page


def test_board_page_ranks_contestants_with_their_dimensions(demo_app, client):
    page = client.get("/contests/DEMO-EA").get_data(as_text=True)
    assert "总排名" in page and "出光排障" in page and "温州赛点" in page
    assert "非最终成绩" in page  # unofficial until finalized
    assert page.count('<td class="num rank">') == 24


def test_board_api_lists_every_contestant_best_first(demo_app, client):
    board = client.get("/api/v1/contests/DEMO-EA/board").get_json()
    totals = [float(row["total"]) for row in board["rows"]]
    assert len(totals) == 24 and totals == sorted(totals, reverse=True)
    assert board["rows"][0]["rank"] == 1 and board["seq"] > 0


def test_unknown_contest_is_a_404_with_a_message(client):
    response = client.get("/api/v1/contests/NOPE/board")
    assert response.status_code == 404 and "NOPE" in response.get_json()["message"]
    assert client.get("/contests/NOPE").status_code == 404


def test_seed_demo_if_empty_loads_once(app, runner):
    assert "DEMO-EA" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert "nothing loaded" in runner.invoke(args=["seed-demo", "--if-empty"]).output


def test_verify_chain_command_passes_then_catches_tampering(demo_app, runner):
    ok = runner.invoke(args=["verify-chain", "DEMO-EA"])
    assert ok.exit_code == 0 and "chain intact" in ok.output
    database = demo_app.extensions["jx_db"]
    with database.session_factory() as session:
        event = session.scalar(select(ContestEvent).where(ContestEvent.kind == "mark_recorded").limit(1))
        session.execute(update(ContestEvent).where(ContestEvent.id == event.id)
                        .values(actor="referee:999"))
        session.commit()
    broken = runner.invoke(args=["verify-chain", "DEMO-EA"])
    assert broken.exit_code == 1 and f"seq {event.seq}" in broken.output


def test_replay_command_prints_the_top_of_the_board(demo_app, runner):
    out = runner.invoke(args=["replay", "DEMO-EA", "--top", "3"]).output
    assert "replayed" in out and len(out.strip().splitlines()) == 4


def test_stage_contest_board_shows_level_progress_per_site(demo_app, client):
    page = client.get("/contests/DEMO-ES").get_data(as_text=True)
    progress = page[page.index('id="progress"'):page.index('id="board"')]
    assert "第一关" in progress and "通关" in progress
    rows = re.findall(r"<tr><td>(\S+赛点)</td>(.*?)</tr>", progress, re.S)
    assert [site for site, _ in rows] == ["温州赛点", "嘉兴赛点", "湖州赛点"]
    for _, cells in rows:  # every contestant stands at exactly one stage (or has cleared all)
        assert sum(int(n) for n in re.findall(r'<td class="num">(\d+)</td>', cells)) == 8
