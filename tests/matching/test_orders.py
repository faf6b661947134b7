"""Needs through their whole lifecycle, matching rounds with pins and forbids, two-way selection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matching import lifecycle, orders, rounds
from matching.errors import InvalidTransition, MatchingError
from matching.models import MatchingEvent, Offer, RoundPair, ServiceTeam, ServiceTeamMember
from matching.places import bundled_geography
from matching.taxonomy import bundled_taxonomy
from profiles.db import utcnow
from profiles.models import Achievement, Enterprise, Worker

STAFF = "admin:1"


@pytest.fixture
def engine_():
    return rounds.Engine(bundled_taxonomy(), bundled_geography())


@pytest.fixture
def world(session):
    firm = Enterprise(name="织里测试机械有限公司", district="吴兴区")
    session.add(firm)
    session.flush()
    welders = ServiceTeam(name="焊接服务队", place="zhili", fields=["welding", "sheet-metal"], capacity=1)
    sparks = ServiceTeam(name="电气服务队", place="yuehe", fields=["electrical", "automation"], capacity=2)
    far = ServiceTeam(name="南浔焊接队", place="nanxun", fields=["welding"], capacity=1)
    session.add_all([welders, sparks, far])
    session.flush()
    worker = Worker(name="王师傅", enterprise_id=firm.id, trade="焊工")
    session.add(worker)
    session.flush()
    session.add(ServiceTeamMember(team_id=welders.id, worker_id=worker.id, leader=True))
    session.flush()
    return firm, welders, sparks, far, worker


def post(session, firm, fields, place="zhili", **kw):
    need, _ = orders.post_need(session, bundled_taxonomy(), bundled_geography(), enterprise_id=firm.id,
                               kind=kw.pop("kind", "problem"), title=kw.pop("title", "焊缝开裂"), fields=fields,
                               place=place, actor="hr:1", **kw)
    return need


def test_a_need_goes_from_posted_to_rated_and_every_step_is_an_event(session, world, engine_):
    firm, welders, sparks, far, worker = world
    need = post(session, firm, ["welding"])
    round_, _ = rounds.run_round(session, engine_, actor=STAFF)
    assert need.status == "proposed" and need.team_id == welders.id
    rounds.send_offers(session, round_.id, actor=STAFF)
    offer = session.scalar(select(Offer).where(Offer.need_id == need.id))
    assert need.status == "offered" and offer.deadline > utcnow()
    orders.accept(session, offer.id, team_id=welders.id, actor="team:9")
    orders.start(session, need.id, actor="hr:1")
    orders.complete(session, need.id, solved=True, benefit_yuan="120000.50", hours="36", actor="hr:1")
    orders.rate(session, need.id, rating=5, comment="及时专业", actor="hr:1")
    assert need.status == "rated" and need.benefit_yuan == "120000.50"
    kinds = session.scalars(select(MatchingEvent.kind).where(MatchingEvent.need_id == need.id)
                            .order_by(MatchingEvent.id)).all()
    assert kinds == ["need_posted", "need_proposed", "offer_sent", "offer_accepted", "service_started",
                     "service_completed", "service_rated"]
    assert orders.team_ratings(session)[welders.id] == (5, 1)
    service = session.scalars(select(Achievement).where(Achievement.worker_id == worker.id,
                                                        Achievement.kind == "service")).all()
    assert [a.title for a in service] == [f"{firm.name}：焊缝开裂"]


def test_a_transition_the_table_does_not_allow_is_refused_and_changes_nothing(session, world):
    firm = world[0]
    need = post(session, firm, ["welding"])
    with pytest.raises(InvalidTransition, match="posted: cannot rate"):
        orders.rate(session, need.id, rating=4, comment="", actor="hr:1")
    assert need.status == "posted" and need.rating is None
    assert set(lifecycle.allowed("offered")) == {"accept", "decline", "expire", "withdraw"}


def test_a_decline_sends_the_need_back_to_matching_without_that_team(session, world, engine_):
    firm, welders, sparks, far, _ = world
    need = post(session, firm, ["welding"])
    round_, _ = rounds.run_round(session, engine_, actor=STAFF)
    rounds.send_offers(session, round_.id, actor=STAFF)
    offer = session.scalar(select(Offer).where(Offer.need_id == need.id))
    with pytest.raises(MatchingError, match="say why") as caught:
        orders.decline(session, offer.id, team_id=welders.id, reason=" ", actor="team:9")
    assert caught.value.field == "reason" and need.status == "offered"
    orders.decline(session, offer.id, team_id=welders.id, reason="设备检修，本月无人手", actor="team:9")
    assert need.status == "posted" and need.team_id is None
    rounds.run_round(session, engine_, actor=STAFF)
    assert need.team_id == far.id  # the next welder, farther away


def test_an_offer_past_its_deadline_expires_and_the_team_is_not_offered_it_again(session, world, engine_):
    firm, welders, sparks, far, _ = world
    need = post(session, firm, ["welding"])
    round_, _ = rounds.run_round(session, engine_, actor=STAFF)
    rounds.send_offers(session, round_.id, actor=STAFF, hours=1)
    offer = session.scalar(select(Offer).where(Offer.need_id == need.id))
    later = utcnow() + timedelta(hours=2)
    with pytest.raises(MatchingError, match="expired"):
        orders.accept(session, offer.id, team_id=welders.id, actor="team:9", now=later)
    rounds.run_round(session, engine_, actor=STAFF, now=later)
    assert offer.status == "expired" and need.team_id == far.id


def test_a_team_cannot_reply_to_another_teams_offer(session, world, engine_):
    firm, welders, sparks, *_ = world
    need = post(session, firm, ["welding"])
    round_, _ = rounds.run_round(session, engine_, actor=STAFF)
    rounds.send_offers(session, round_.id, actor=STAFF)
    offer = session.scalar(select(Offer).where(Offer.need_id == need.id))
    with pytest.raises(MatchingError, match="no offer"):
        orders.accept(session, offer.id, team_id=sparks.id, actor="team:8")
    assert offer.status == "offered"


def test_capacity_holds_and_the_need_left_out_says_why(session, world, engine_):
    firm, welders, sparks, far, _ = world
    near = post(session, firm, ["welding"], title="近处")
    near2 = post(session, firm, ["welding"], title="也在近处")
    robots = post(session, firm, ["satellite-comm"], title="卫星天线")
    round_, _ = rounds.run_round(session, engine_, actor=STAFF)
    teams = sorted([near.team_id, near2.team_id])
    assert teams == sorted([welders.id, far.id])  # each welding team has one place
    why = session.scalar(select(RoundPair.reasons).where(RoundPair.need_id == robots.id))
    assert robots.status == "posted" and why["unmatched"] == "no_eligible_team"
    pair = session.scalar(select(RoundPair).where(RoundPair.need_id == near.id))
    assert set(pair.reasons["terms"]) == {"coverage", "distance", "load", "rating"}
    assert pair.reasons["fields"][0]["covered_by"] == "welding"


def test_pin_and_forbid_steer_the_next_round_and_are_recorded(session, world, engine_):
    firm, welders, sparks, far, _ = world
    need = post(session, firm, ["welding"])
    rounds.run_round(session, engine_, actor=STAFF)
    assert need.team_id == welders.id
    rule, _ = rounds.add_rule(session, need_id=need.id, team_id=welders.id, kind="forbid", reason="利益相关",
                              actor=STAFF)
    rounds.run_round(session, engine_, actor=STAFF)
    assert need.team_id == far.id
    rounds.lift_rule(session, rule.id, actor=STAFF)
    rounds.add_rule(session, need_id=need.id, team_id=sparks.id, kind="pin", reason="企业点名", actor=STAFF)
    round_, _ = rounds.run_round(session, engine_, actor=STAFF)
    assert need.team_id == sparks.id
    assert session.scalar(select(RoundPair.pinned).where(RoundPair.round_id == round_.id))
    kinds = session.scalars(select(MatchingEvent.kind).where(MatchingEvent.need_id == need.id)).all()
    assert {"pair_forbidden", "pair_rule_lifted", "pair_pinned"} <= set(kinds)


def test_a_rerun_supersedes_the_unsent_round_which_can_no_longer_be_sent(session, world, engine_):
    firm = world[0]
    post(session, firm, ["welding"])
    first, _ = rounds.run_round(session, engine_, actor=STAFF)
    second, _ = rounds.run_round(session, engine_, actor=STAFF)
    assert first.status == "superseded"
    with pytest.raises(MatchingError, match="superseded"):
        rounds.send_offers(session, first.id, actor=STAFF)
    rounds.send_offers(session, second.id, actor=STAFF)


def test_two_way_selection_follows_both_sides_rankings_and_has_no_blocking_pair(session, world, engine_):
    firm, welders, sparks, far, _ = world
    a = post(session, firm, ["welding"], title="甲")
    b = post(session, firm, ["welding"], title="乙")
    rounds.set_preferences(session, side="need", owner_id=a.id, ranked=[welders.id, far.id], actor="hr:1")
    rounds.set_preferences(session, side="need", owner_id=b.id, ranked=[welders.id, far.id], actor="hr:1")
    rounds.set_preferences(session, side="team", owner_id=welders.id, ranked=[b.id, a.id], actor="team:1")
    rounds.set_preferences(session, side="team", owner_id=far.id, ranked=[a.id, b.id], actor="team:2")
    round_, _ = rounds.run_round(session, engine_, actor=STAFF, method="stable-needs")
    assert (a.team_id, b.team_id) == (far.id, welders.id)
    assert round_.summary["blocking_pairs"] == 0


def test_a_need_with_an_unknown_field_or_place_is_refused_by_name(session, world):
    firm = world[0]
    with pytest.raises(MatchingError, match="unknown skill field underwater-basket") as caught:
        post(session, firm, ["underwater-basket"])
    assert caught.value.field == "fields"
    with pytest.raises(MatchingError, match="unknown place") as caught:
        post(session, firm, ["welding"], place="atlantis")
    assert caught.value.field == "place"
