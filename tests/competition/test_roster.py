"""Roster import from .xlsx: Chinese headers, errors by row and column, all or nothing."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from competition import roster
from competition.access import authenticate_contestant, authenticate_referee
from competition.models import Contestant, Referee
from tests.factories import build_world


def workbook(contestants: list[list], referees: list[list] | None = None,
             contestant_header=("准考证号", "姓名", "单位", "赛点", "工位", "PIN"),
             referee_header=("裁判编号", "姓名", "单位", "赛点", "裁判长", "PIN")) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "选手"
    sheet.append(list(contestant_header))
    for row in contestants:
        sheet.append(row)
    if referees is not None:
        judges = book.create_sheet("裁判")
        judges.append(list(referee_header))
        for row in referees:
            judges.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def world(session):
    return build_world(session, start=False, contestants_per_site=0)


def count(session, model, contest) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.contest_id == contest.id))


def test_a_clean_workbook_registers_contestants_and_referees_who_can_sign_in(session, world):
    data = workbook([["A001", "王建国", "温州正泰电气", "S0", "01", "2468"],
                     ["A002", "李海峰", "新企业甲", "赛点1", "02", None]],
                    [["J01", "赵立新", "新企业乙", "S0", "否", "1357"], ["CH", "周裁判长", None, None, "是", "9999"]])
    summary = roster.import_roster(session, world.contest, data)
    assert (summary.contestants, summary.referees) == (2, 2) and summary.enterprises_created == 3
    assert authenticate_contestant(session, world.contest.code, "A001", "2468") is not None
    assert authenticate_contestant(session, world.contest.code, "A002", "0000") is None  # no PIN given
    chief = authenticate_referee(session, world.contest.code, "CH", "9999")
    assert chief is not None and chief.is_chief and chief.site_id is None
    second = session.scalar(select(Contestant).where(Contestant.ticket_no == "A002"))
    assert second.site_id == world.sites[1].id  # a site may be named by code or by name


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(session, world):
    data = workbook([["A001", "王建国", "企业", "S0", "01", "2468"],
                     ["A002", None, "企业", "S0", "02", "12"],        # row 3: no name, short PIN
                     ["A003", "张三", "企业", "火星", "03", None],      # row 4: no such site
                     ["A001", "李四", "企业", "S1", "04", None]],       # row 5: ticket used twice
                    [["J01", "赵立新", None, None, "否", None]])         # 裁判 row 2: no site
    referees_before = count(session, Referee, world.contest)
    with pytest.raises(roster.RosterError) as refused:
        roster.import_roster(session, world.contest, data)
    found = {(e.sheet, e.row, e.column) for e in refused.value.errors}
    assert found == {("选手", 3, "姓名"), ("选手", 3, "PIN"), ("选手", 4, "赛点"), ("选手", 5, "准考证号"),
                     ("裁判", 2, "赛点")}
    assert "选手 第3行 「姓名」" in str(refused.value) and "nothing imported" in str(refused.value)
    assert count(session, Contestant, world.contest) == 0
    assert count(session, Referee, world.contest) == referees_before


def test_a_staff_number_links_the_contestant_to_the_worker_s_profile(session, world):
    from profiles.models import Enterprise, Worker
    firm = Enterprise(name="工号测试公司")
    session.add(firm)
    session.flush()
    veteran = Worker(name="老将", enterprise_id=firm.id, trade="电工", staff_no="G7")
    session.add(veteran)
    session.flush()
    header = ("准考证号", "姓名", "单位", "赛点", "工号")
    bad = workbook([["B001", "别人", "工号测试公司", "S0", "G7"],   # row 2: G7 is 老将, not 别人
                    ["B002", "新人", None, "S0", "G8"]],            # row 3: a staff number without enterprise
                   contestant_header=header)
    with pytest.raises(roster.RosterError) as refused:
        roster.import_roster(session, world.contest, bad)
    assert {(e.row, e.column) for e in refused.value.errors} == {(2, "工号"), (3, "单位")}
    workers_before = session.scalar(select(func.count()).select_from(Worker))
    roster.import_roster(session, world.contest, workbook([["B001", "老将", "工号测试公司", "S0", "G7"],
                                                           ["B002", "新人", "工号测试公司", "S0", "G9"]],
                                                          contestant_header=header))
    linked = session.scalar(select(Contestant).where(Contestant.ticket_no == "B001"))
    assert linked.worker_id == veteran.id  # the same profile, not a duplicate
    fresh = session.scalar(select(Contestant).where(Contestant.ticket_no == "B002"))
    assert session.get(Worker, fresh.worker_id).staff_no == "G9"
    assert session.scalar(select(func.count()).select_from(Worker)) == workers_before + 1


def test_unknown_and_missing_columns_are_named(session, world):
    data = workbook([["A001", "王", "S0"]], contestant_header=("准考证号", "名字", "赛点"))
    with pytest.raises(roster.RosterError) as refused:
        roster.import_roster(session, world.contest, data)
    assert {(e.row, e.column) for e in refused.value.errors} == {(1, "名字"), (1, "姓名")}


def test_a_file_that_is_not_a_workbook_is_refused_plainly(session, world):
    with pytest.raises(roster.RosterError, match="not a readable .xlsx"):
        roster.import_roster(session, world.contest, b"name,ticket\n")
