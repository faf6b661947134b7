"""Craftsman selection rounds: submit → review by every department → result, every step kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from profiles import selection
from profiles.models import Achievement, ContestOutcome, Enterprise, Worker

DEPARTMENTS = ("总工会", "人社局", "科技局")


@pytest.fixture
def applicants(session):
    firm = Enterprise(name="遴选测试有限公司", region="台州")
    session.add(firm)
    session.flush()
    workers = [Worker(name=f"申报人{i}", enterprise_id=firm.id, trade="电工", skill_level=level)
               for i, level in enumerate((5, 4, 3, 2))]
    session.add_all(workers)
    session.flush()
    session.add_all([
        Achievement(worker_id=workers[0].id, kind="honour", title="全国技术能手", level="national", year=2025),
        Achievement(worker_id=workers[0].id, kind="patent", title="一种检测装置", level="enterprise", year=2024),
        Achievement(worker_id=workers[1].id, kind="honour", title="市劳动模范", level="city", year=2023),
        # Outside the five-year window of a 2026 round: not counted.
        Achievement(worker_id=workers[2].id, kind="honour", title="省技术能手", level="provincial", year=2019),
        ContestOutcome(contest_key="C1", contest_name="2025年电工竞赛", held_on=date(2025, 5, 1), trade="电工",
                       worker_id=workers[2].id, entrants=30, rank=1, total="95", max_total="100", dimensions={}),
    ])
    session.flush()
    return workers


def approve_all(session, application, actor="admin:1"):
    for department in DEPARTMENTS:
        selection.review(session, application.id, department=department, approve=True, reason="", actor=actor)


def test_an_application_is_scored_from_the_record_and_approved_by_every_department(session, applicants):
    round_ = selection.open_round(session, code="TZ-2026", name="2026年度台州工匠遴选", year=2026)
    first = selection.submit(session, round_.id, applicants[0].id, statement="申报材料", actor="admin:1")
    assert first.status == "submitted"
    # skill 5 → 100; honour national 100 → contest 100; patent 40; contribution 0.
    assert Decimal(first.total) == Decimal("0.25") * 100 + Decimal("0.35") * 100 + Decimal("0.25") * 40
    assert first.breakdown["contest"]["items"] == [["荣誉：全国技术能手（国家级，2025）", "100"]]

    old = selection.submit(session, round_.id, applicants[2].id, statement="", actor="admin:1")
    assert old.breakdown["contest"]["items"] == [["2025年电工竞赛 第1名", "30"]]  # the 2019 honour is too old

    selection.review(session, first.id, department="总工会", approve=True, reason="", actor="admin:1")
    selection.review(session, first.id, department="人社局", approve=True, reason="证书核验无误", actor="admin:2")
    assert first.status == "submitted"  # 科技局 still to decide
    selection.review(session, first.id, department="科技局", approve=True, reason="", actor="admin:3")
    assert first.status == "approved"
    kinds = [(d.kind, d.department, d.actor) for d in selection.history(session, first.id)]
    assert kinds == [("submit", None, "admin:1"), ("approve", "总工会", "admin:1"), ("approve", "人社局", "admin:2"),
                     ("approve", "科技局", "admin:3")]


def test_a_returned_application_is_resubmitted_and_reviewed_afresh(session, applicants):
    round_ = selection.open_round(session, code="TZ-R", name="退回测试", year=2026)
    application = selection.submit(session, round_.id, applicants[1].id, statement="第一次", actor="hr:5")
    selection.review(session, application.id, department="总工会", approve=True, reason="", actor="admin:1")
    with pytest.raises(selection.SelectionError) as caught:
        selection.review(session, application.id, department="人社局", approve=False, reason="  ", actor="admin:2")
    assert caught.value.field == "reason"
    selection.review(session, application.id, department="人社局", approve=False, reason="缺少技师证书扫描件",
                     actor="admin:2")
    assert application.status == "returned"
    with pytest.raises(selection.SelectionError, match="not awaiting review"):
        selection.review(session, application.id, department="科技局", approve=True, reason="", actor="admin:3")

    selection.submit(session, round_.id, applicants[1].id, statement="补充证书", actor="hr:5")
    assert application.status == "submitted" and application.submission == 2
    # Every department decides again on the new submission, including the one that approved.
    assert selection.pending_departments(session, application, selection.model_of(round_)) == list(DEPARTMENTS)
    approve_all(session, application)
    assert application.status == "approved"
    log = [(d.submission, d.kind, d.department, d.reason) for d in selection.history(session, application.id)]
    assert log[:4] == [(1, "submit", None, "第一次"), (1, "approve", "总工会", ""),
                       (1, "return", "人社局", "缺少技师证书扫描件"), (2, "submit", None, "补充证书")]
    assert len(log) == 7


@pytest.mark.parametrize("department, approve, reason, field", [
    ("财政局", True, "", "department"),
    ("总工会", True, "", "department"),  # already decided
])
def test_a_wrong_review_is_refused_and_changes_nothing(session, applicants, department, approve, reason, field):
    round_ = selection.open_round(session, code=f"TZ-{department}", name="错误审核", year=2026)
    application = selection.submit(session, round_.id, applicants[0].id, statement="", actor="admin:1")
    selection.review(session, application.id, department="总工会", approve=True, reason="", actor="admin:1")
    before = len(selection.history(session, application.id))
    with pytest.raises(selection.SelectionError) as caught:
        selection.review(session, application.id, department=department, approve=approve, reason=reason,
                         actor="admin:1")
    assert caught.value.field == field
    assert len(selection.history(session, application.id)) == before and application.status == "submitted"


def test_closing_ranks_the_approved_and_gives_every_applicant_a_reason(session, applicants):
    round_ = selection.open_round(session, code="TZ-C", name="结果测试", year=2026)
    apps = [selection.submit(session, round_.id, w.id, statement="", actor="admin:1") for w in applicants]
    approve_all(session, apps[0])
    approve_all(session, apps[1])
    selection.review(session, apps[2].id, department="科技局", approve=False, reason="成果证明不全", actor="admin:1")
    # apps[3] is left half-reviewed.
    selection.review(session, apps[3].id, department="总工会", approve=True, reason="", actor="admin:1")

    standings, stability = selection.standings(session, round_.id)
    assert [s.worker.id for s in standings][-1] == applicants[2].id and standings[-1].rank is None
    assert stability.weightings == 81 and standings[0].best == 1

    selection.close_round(session, round_.id, actor="admin:9")
    assert round_.status == "closed"
    assert (apps[0].result, apps[0].result_rank) == ("selected", 1)
    assert (apps[1].result, apps[1].result_rank) == ("selected", 2)
    assert apps[2].result == "not_selected" and "科技局" in apps[2].result_reason and "成果证明不全" in apps[2].result_reason
    assert apps[3].result == "not_selected" and "人社局、科技局" in apps[3].result_reason
    assert all(selection.history(session, a.id)[-1].kind == "result" for a in apps)
    with pytest.raises(selection.SelectionError, match="closed"):
        selection.submit(session, round_.id, applicants[2].id, statement="", actor="admin:1")


def test_a_round_freezes_its_model_and_refuses_an_unknown_one(session):
    round_ = selection.open_round(session, code="TZ-F", name="冻结", year=2026)
    assert "weight = 0.35" in round_.model_text and len(round_.model_digest) == 64
    with pytest.raises(selection.SelectionError) as caught:
        selection.open_round(session, code="TZ-X", name="x", year=2026, model_code="no-such-model")
    assert caught.value.field == "model"
    with pytest.raises(selection.SelectionError) as caught:
        selection.open_round(session, code="TZ-F", name="重复", year=2026)
    assert caught.value.field == "code"
