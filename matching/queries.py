"""What the matching pages and API read: needs with their history, a team's inbox and record, a
round's proposals, the bounty board. Plain data, no Flask."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from profiles.models import Enterprise, Pairing, Worker

from .lifecycle import ACTIVE, STATE_NAMES
from .models import (NEED_KINDS, Bounty, BountyClaim, MatchingEvent, MatchRound, Need, Offer, PairRule, Preference,
                     RoundPair, ServiceTeam, ServiceTeamMember)


def latest_offers(session: Session, need_ids) -> dict[int, Offer]:
    """The newest offer of each need, in one query."""
    newest = (select(func.max(Offer.id)).where(Offer.need_id.in_(list(need_ids))).group_by(Offer.need_id)
              .scalar_subquery())
    return {o.need_id: o for o in session.scalars(select(Offer).where(Offer.id.in_(newest)))}


def needs_json(session: Session, needs) -> list[dict]:
    """Several needs at once: their latest offers are read in one query, not one per need."""
    needs = list(needs)
    offers = latest_offers(session, [n.id for n in needs])
    return [need_json(session, n, offer=offers.get(n.id)) for n in needs]


def need_json(session: Session, need: Need, *, history: bool = False, offer: Offer | None | bool = True) -> dict:
    """One need as plain data. ``offer``: its latest offer when the caller read it already (None for
    none); left at True, it is looked up here."""
    enterprise = session.get(Enterprise, need.enterprise_id)
    team = session.get(ServiceTeam, need.team_id) if need.team_id else None
    if offer is True:
        offer = latest_offers(session, [need.id]).get(need.id)
    out = {"id": need.id, "enterprise_id": need.enterprise_id, "enterprise": enterprise.name, "kind": need.kind,
           "kind_name": NEED_KINDS[need.kind][0], "title": need.title, "description": need.description,
           "fields": need.fields, "urgency": need.urgency, "place": need.place,
           "window_start": need.window_start, "window_end": need.window_end,
           "status": need.status, "status_name": STATE_NAMES[need.status],
           "team_id": need.team_id, "team": team.name if team else None, "posted_at": need.posted_at,
           "offer": offer_json(session, offer) if offer else None,
           "solved": need.solved, "benefit_yuan": need.benefit_yuan, "hours": need.hours,
           "rating": need.rating, "rating_comment": need.rating_comment}
    if history:
        out["history"] = [{"kind": e.kind, "actor": e.actor, "at": e.at, "team_id": e.team_id, "payload": e.payload}
                          for e in session.scalars(select(MatchingEvent).where(MatchingEvent.need_id == need.id)
                                                   .order_by(MatchingEvent.id))]
    return out


def offer_json(session: Session, offer: Offer) -> dict:
    team = session.get(ServiceTeam, offer.team_id)
    return {"id": offer.id, "need_id": offer.need_id, "team_id": offer.team_id, "team": team.name,
            "status": offer.status, "deadline": offer.deadline, "sent_at": offer.sent_at,
            "decided_at": offer.decided_at, "reply": offer.reply, "reasons": offer.reasons}


def inbox(session: Session, team_id: int) -> dict:
    """A team's inbox: offers awaiting its reply, the orders it serves, its recent replies."""
    offers = session.scalars(select(Offer).where(Offer.team_id == team_id).order_by(Offer.id.desc()).limit(50)).all()
    pending = [o for o in offers if o.status == "offered"]
    serving = session.scalars(select(Need).where(Need.team_id == team_id, Need.status.in_(ACTIVE[1:]))
                              .order_by(Need.id)).all()
    pending_needs = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_([o.need_id for o in pending])))}
    return {"team": team_json(session, session.get(ServiceTeam, team_id)),
            "pending": [dict(offer_json(session, o), need=need_json(session, pending_needs[o.need_id], offer=o))
                        for o in pending],
            "serving": needs_json(session, serving),
            "replied": [offer_json(session, o) for o in offers if o.status != "offered"][:20]}


def team_json(session: Session, team: ServiceTeam, *, record: bool = False) -> dict:
    members = session.execute(select(Worker.id, Worker.name, ServiceTeamMember.leader)
                              .join(ServiceTeamMember, ServiceTeamMember.worker_id == Worker.id)
                              .where(ServiceTeamMember.team_id == team.id).order_by(ServiceTeamMember.id)).all()
    rated = session.execute(select(func.count(Need.rating), func.avg(Need.rating))
                            .where(Need.team_id == team.id, Need.status == "rated")).one()
    load = session.scalar(select(func.count()).where(Need.team_id == team.id, Need.status.in_(ACTIVE)))
    out = {"id": team.id, "name": team.name, "place": team.place, "fields": team.fields, "capacity": team.capacity,
           "available": team.available, "away_from": team.away_from, "away_until": team.away_until, "load": load,
           "members": [{"worker_id": m.id, "name": m.name, "leader": m.leader} for m in members],
           "ratings": rated[0], "rating_mean": round(float(rated[1]), 2) if rated[1] is not None else None}
    if record:
        done = session.scalars(select(Need).where(Need.team_id == team.id, Need.status.in_(("completed", "rated")))
                               .order_by(Need.id.desc())).all()
        out["orders"] = needs_json(session, done)
        out["solved"] = sum(1 for n in done if n.solved)
    return out


def rankings(session: Session, side: str, owner_ids) -> dict[int, list[int]]:
    """双向选择 as stated so far, in one query: per need its teams best first (side ``need``), or per
    team its needs best first (side ``team``)."""
    owner, other = ((Preference.need_id, Preference.team_id) if side == "need"
                    else (Preference.team_id, Preference.need_id))
    out: dict[int, list[int]] = {}
    for who, choice in session.execute(select(owner, other).where(Preference.side == side, owner.in_(list(owner_ids)))
                                       .order_by(owner, Preference.rank)):
        out.setdefault(who, []).append(choice)
    return out


def pairings(session: Session, *, enterprise_id: int | None = None, pairing_id: int | None = None) -> list[dict]:
    """师带徒 pairs signed so far, newest first (of one enterprise's apprentices, or one pair, when given)."""
    master, apprentice = aliased(Worker), aliased(Worker)
    statement = (select(Pairing.id, Pairing.since, master.id, master.name, apprentice.id, apprentice.name, master.trade)
                 .join(master, master.id == Pairing.master_id).join(apprentice, apprentice.id == Pairing.apprentice_id)
                 .order_by(Pairing.id.desc()))
    if enterprise_id is not None:
        statement = statement.where(apprentice.enterprise_id == enterprise_id)
    if pairing_id is not None:
        statement = statement.where(Pairing.id == pairing_id)
    return [{"id": i, "since": since, "master_id": m, "master": m_name, "apprentice_id": a, "apprentice": a_name,
             "trade": trade} for i, since, m, m_name, a, a_name, trade in session.execute(statement)]


def round_json(session: Session, round_: MatchRound) -> dict:
    pairs = session.scalars(select(RoundPair).where(RoundPair.round_id == round_.id).order_by(RoundPair.id)).all()
    needs = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_([p.need_id for p in pairs])))}
    teams = {t.id: t.name for t in session.scalars(select(ServiceTeam))}
    enterprises = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                       .where(Enterprise.id.in_({n.enterprise_id for n in needs.values()}))).all())
    return {"id": round_.id, "method": round_.method, "status": round_.status, "actor": round_.actor,
            "run_at": round_.run_at, "weights": round_.weights, "route": round_.route,
            "total_cost": round_.total_cost, "summary": round_.summary,
            "pairs": [{"need_id": p.need_id, "need": needs[p.need_id].title,
                       "enterprise": enterprises.get(needs[p.need_id].enterprise_id),
                       "need_status": needs[p.need_id].status, "window_start": needs[p.need_id].window_start,
                       "window_end": needs[p.need_id].window_end, "team_id": p.team_id,
                       "team": teams.get(p.team_id), "cost": p.cost, "pinned": p.pinned, "reasons": p.reasons}
                      for p in pairs]}


def rules(session: Session) -> list[dict]:
    teams = {t.id: t.name for t in session.scalars(select(ServiceTeam))}
    return [{"id": r.id, "need_id": r.need_id, "team_id": r.team_id, "team": teams.get(r.team_id), "kind": r.kind,
             "reason": r.reason, "actor": r.actor, "at": r.at}
            for r in session.scalars(select(PairRule).where(PairRule.lifted_at.is_(None)).order_by(PairRule.id))]


def bounty_json(session: Session, bounty: Bounty) -> dict:
    enterprise = session.get(Enterprise, bounty.enterprise_id)
    claims = session.scalars(select(BountyClaim).where(BountyClaim.bounty_id == bounty.id)
                             .order_by(BountyClaim.id)).all()
    teams = {t.id: t.name for t in session.scalars(select(ServiceTeam).where(
        ServiceTeam.id.in_([c.team_id for c in claims if c.team_id])))}
    workers = {w.id: w.name for w in session.scalars(select(Worker).where(
        Worker.id.in_([c.worker_id for c in claims if c.worker_id])))}
    return {"id": bounty.id, "enterprise_id": bounty.enterprise_id, "enterprise": enterprise.name,
            "title": bounty.title, "description": bounty.description, "fields": bounty.fields,
            "reward_yuan": bounty.reward_yuan, "deadline": bounty.deadline, "status": bounty.status,
            "chosen_claim_id": bounty.chosen_claim_id, "paid_yuan": bounty.paid_yuan, "paid_at": bounty.paid_at,
            "claims": [{"id": c.id, "team_id": c.team_id, "worker_id": c.worker_id,
                        "by": teams.get(c.team_id) or workers.get(c.worker_id), "proposal": c.proposal,
                        "status": c.status, "at": c.at} for c in claims]}
