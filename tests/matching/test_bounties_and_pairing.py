"""揭榜挂帅 (bounty board) and 师带徒 (master-apprentice pairing through the same engine)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matching import bounties, pairing
from matching.errors import MatchingError
from matching.models import BountyClaim, MatchingEvent, ServiceTeam
from matching.taxonomy import bundled_taxonomy
from profiles.models import Enterprise, Worker
from tests.factories import demo_population

TODAY = date(2026, 11, 21)


@pytest.fixture
def firm_and_team(session):
    firm = Enterprise(name="沈阳示例重工有限公司", district="铁西区")
    team = ServiceTeam(name="揭榜攻关队", place="yuehe", fields=["welding"], capacity=2)
    session.add_all([firm, team])
    session.flush()
    worker = Worker(name="李工", enterprise_id=firm.id, trade="焊工")
    session.add(worker)
    session.flush()
    return firm, team, worker


def test_a_bounty_is_claimed_awarded_to_one_and_paid(session, firm_and_team):
    firm, team, worker = firm_and_team
    bounty, _ = bounties.post_bounty(session, bundled_taxonomy(), enterprise_id=firm.id, title="大型焊件变形难题",
                                     description="", fields=["welding"], reward_yuan="50000", actor="hr:1",
                                     deadline=TODAY + timedelta(days=30), today=TODAY)
    by_team, _ = bounties.claim(session, bounty.id, proposal="分段焊接加反变形", team_id=team.id, actor="team:1",
                                today=TODAY)
    by_worker, _ = bounties.claim(session, bounty.id, proposal="改进工装", worker_id=worker.id, actor="admin:1",
                                  today=TODAY)
    with pytest.raises(MatchingError, match="claimed already"):
        bounties.claim(session, bounty.id, proposal="再来一次", team_id=team.id, actor="team:1", today=TODAY)
    with pytest.raises(MatchingError, match="pay an awarded bounty"):
        bounties.pay(session, bounty.id, paid_yuan="50000", actor="hr:1")
    bounties.choose(session, bounty.id, by_team.id, actor="hr:1")
    assert (by_team.status, by_worker.status, bounty.status) == ("chosen", "not_chosen", "awarded")
    with pytest.raises(MatchingError, match="claims are closed"):
        bounties.claim(session, bounty.id, proposal="迟到", worker_id=worker.id, actor="admin:1", today=TODAY)
    bounties.pay(session, bounty.id, paid_yuan="50000.00", actor="hr:1")
    assert bounty.status == "paid" and bounty.paid_yuan == "50000.00"
    kinds = session.scalars(select(MatchingEvent.kind).where(MatchingEvent.bounty_id == bounty.id)
                            .order_by(MatchingEvent.id)).all()
    assert kinds == ["bounty_posted", "bounty_claimed", "bounty_claimed", "bounty_awarded", "bounty_paid"]


def test_a_bad_bounty_or_claim_is_refused_by_field_and_changes_nothing(session, firm_and_team):
    firm, team, _ = firm_and_team
    with pytest.raises(MatchingError) as caught:
        bounties.post_bounty(session, bundled_taxonomy(), enterprise_id=firm.id, title="x", description="",
                             fields=["welding"], reward_yuan="-5", actor="hr:1", deadline=TODAY, today=TODAY)
    assert caught.value.field == "reward_yuan"
    bounty, _ = bounties.post_bounty(session, bundled_taxonomy(), enterprise_id=firm.id, title="x", description="",
                                     fields=["welding"], reward_yuan="5", actor="hr:1", deadline=TODAY, today=TODAY)
    with pytest.raises(MatchingError) as caught:
        bounties.claim(session, bounty.id, proposal="p", team_id=team.id, worker_id=1, actor="admin:1", today=TODAY)
    assert caught.value.field == "team_id"
    assert session.scalars(select(BountyClaim).where(BountyClaim.bounty_id == bounty.id)).all() == []


def test_pairing_gives_each_apprentice_the_master_who_covers_most_of_their_gaps(session, monkeypatch):
    people = [Worker(name=n, trade="电工") for n in ("徒甲", "徒乙", "师A", "师B")] + [Worker(name="外行", trade="焊工")]
    session.add_all(people)
    session.flush()
    a1, a2, m1, m2, other = (p.id for p in people)
    portraits = {a1: ({"安全": 40.0, "接线": 70.0}, {}), a2: ({"安全": 70.0, "接线": 40.0}, {}),
                 m1: ({"安全": 95.0, "接线": 60.0}, {}), m2: ({"安全": 60.0, "接线": 95.0}, {}),
                 other: ({"安全": 99.0, "接线": 99.0}, {})}
    monkeypatch.setattr(pairing, "_scores", lambda _session, worker_id: portraits[worker_id])
    proposals = pairing.propose_pairings(session, apprentice_ids=[a1, a2], master_ids=[m1, m2, other], capacity=1)
    got = {p.apprentice_id: p.master_id for p in proposals}
    assert got == {a1: m1, a2: m2}  # never the welder, however strong: another trade
    first = next(p for p in proposals if p.apprentice_id == a1)
    assert first.fit == pytest.approx((35 + 0) / (35 + 5))  # 安全 gap 35 fully covered; 接线 gap 5, master below
    pairing.record_pairing(session, master_id=m1, apprentice_id=a1, actor="admin:1")
    # m1 now has no place left at capacity 1: a1's next best is m2.
    again = pairing.propose_pairings(session, apprentice_ids=[a1], master_ids=[m1, m2], capacity=1)
    assert [(p.apprentice_id, p.master_id) for p in again] == [(a1, m2)]
    with pytest.raises(MatchingError, match="paired already"):
        pairing.record_pairing(session, master_id=m1, apprentice_id=a1, actor="admin:1")


@pytest.fixture(scope="module")
def population(engine):
    with demo_population(engine, workers=150, contests_per_trade=6, seed=5) as session:
        yield session


def test_pairing_reads_real_portraits_and_pairs_within_a_trade(population):
    session = population
    trade = session.scalar(select(Worker.trade).where(Worker.trade != "").limit(1))
    ranked = session.scalars(select(Worker).where(Worker.trade == trade).order_by(Worker.skill_level.desc(),
                                                                                  Worker.id)).all()
    masters, apprentices = ranked[:3], ranked[-8:]
    proposals = pairing.propose_pairings(session, apprentice_ids=[w.id for w in apprentices],
                                         master_ids=[w.id for w in masters], capacity=2)
    assert proposals, "some apprentice has a gap a master covers"
    per_master = {}
    for p in proposals:
        per_master[p.master_id] = per_master.get(p.master_id, 0) + 1
        assert 0 < p.fit <= 1 and any(d["covered"] > 0 for d in p.dimensions)
    assert max(per_master.values()) <= 2
