"""Needs and their orders: post, offer replies (接单 or decline), expiry, service, outcome, rating.

Services take a session, refuse with a ``MatchingError`` naming the field, return the events they
appended and never commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from profiles.db import utcnow
from profiles.models import Achievement, Enterprise

from . import lifecycle
from .errors import InvalidTransition, MatchingError, NotFound
from .models import NEED_KINDS, MatchingEvent, Need, Offer, ServiceTeam, ServiceTeamMember
from .places import Geography
from .taxonomy import Taxonomy


CHINA = timedelta(hours=8)  # service days (needs' windows, teams' away periods) are calendar days in China


def service_day(now: datetime) -> date:
    """The calendar day in China at ``now`` (naive UTC, as every stored time)."""
    return (now + CHINA).date()


def get_need(session: Session, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound("need", need_id, "need_id")
    return need


def get_team(session: Session, team_id: int) -> ServiceTeam:
    team = session.get(ServiceTeam, team_id)
    if team is None:
        raise NotFound("service team", team_id, "team_id")
    return team


def post_need(session: Session, taxonomy: Taxonomy, geography: Geography, *, enterprise_id: int, kind: str,
              title: str, fields: list[str], place: str, actor: str, description: str = "", urgency: int = 1,
              window_start: date | None = None, window_end: date | None = None,
              now: datetime | None = None) -> tuple[Need, list[MatchingEvent]]:
    """Post a need (需求): it waits for the next matching round."""
    if session.get(Enterprise, enterprise_id) is None:
        raise NotFound("enterprise", enterprise_id, "enterprise_id")
    if kind not in NEED_KINDS:
        raise MatchingError(f"one of {', '.join(NEED_KINDS)}", "kind")
    if not title.strip():
        raise MatchingError("必填 · required", "title")
    if not fields:
        raise MatchingError("name at least one skill field", "fields")
    taxonomy.codes(fields)
    geography.at(place)
    if urgency not in (1, 2, 3):
        raise MatchingError("1 (normal), 2 (soon) or 3 (urgent)", "urgency")
    if window_start and window_end and window_end < window_start:
        raise MatchingError("before window_start", "window_end")
    if window_end and window_end < service_day(now or utcnow()):
        raise MatchingError("already past: the window must end today or later", "window_end")
    need = Need(enterprise_id=enterprise_id, kind=kind, title=title.strip(), description=description,
                fields=list(dict.fromkeys(fields)), urgency=urgency, place=place,
                window_start=window_start, window_end=window_end, status="posted", posted_at=now or utcnow())
    session.add(need)
    session.flush()
    return need, [lifecycle.record(session, "need_posted", actor=actor, need_id=need.id, after="posted",
                                   fields=need.fields, place=place, kind=kind)]


def withdraw(session: Session, need_id: int, *, actor: str, now: datetime | None = None) -> list[MatchingEvent]:
    need = get_need(session, need_id)
    offer = _open_offer(session, need.id)
    if offer is not None:
        offer.status, offer.decided_at = "withdrawn", now or utcnow()
    event = lifecycle.move(session, need, "withdraw", actor=actor)
    need.team_id = None
    return [event]


def _open_offer(session: Session, need_id: int) -> Offer | None:
    return session.scalar(select(Offer).where(Offer.need_id == need_id, Offer.status == "offered"))


def _team_offer(session: Session, offer_id: int, team_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.team_id != team_id:
        raise NotFound("offer", offer_id, "offer_id")  # another team's offer is not this team's business
    if offer.status != "offered":
        raise InvalidTransition(f"offer {offer_id}", offer.status, "reply")
    return offer


def accept(session: Session, offer_id: int, *, team_id: int, actor: str,
           now: datetime | None = None) -> list[MatchingEvent]:
    """The team takes the order (接单) before the deadline."""
    now = now or utcnow()
    offer = _team_offer(session, offer_id, team_id)
    if now > offer.deadline:
        raise MatchingError(f"offer {offer_id} expired at {offer.deadline:%Y-%m-%d %H:%M} UTC", "offer_id", 409)
    offer.status, offer.decided_at = "accepted", now
    return [lifecycle.move(session, get_need(session, offer.need_id), "accept", actor=actor, offer_id=offer.id)]


def decline(session: Session, offer_id: int, *, team_id: int, reason: str, actor: str,
            now: datetime | None = None) -> list[MatchingEvent]:
    """The team declines, saying why; the need goes back to matching without this team."""
    if not reason.strip():
        raise MatchingError("say why the team declines (必填 · required)", "reason")
    offer = _team_offer(session, offer_id, team_id)
    offer.status, offer.decided_at, offer.reply = "declined", now or utcnow(), reason.strip()
    need = get_need(session, offer.need_id)
    event = lifecycle.move(session, need, "decline", actor=actor, offer_id=offer.id, reason=offer.reply)
    need.team_id = None
    return [event]


def expire_due(session: Session, *, now: datetime | None = None) -> list[MatchingEvent]:
    """Expire every offer past its deadline: its need goes back to matching without that team."""
    now = now or utcnow()
    events = []
    for offer in session.scalars(select(Offer).where(Offer.status == "offered", Offer.deadline < now)
                                 .order_by(Offer.id)).all():
        offer.status, offer.decided_at = "expired", now
        need = get_need(session, offer.need_id)
        events.append(lifecycle.move(session, need, "expire", actor="system", team_id=offer.team_id,
                                     offer_id=offer.id))
        need.team_id = None
    return events


def start(session: Session, need_id: int, *, actor: str) -> list[MatchingEvent]:
    """The enterprise confirms the team that accepted: service begins."""
    need = get_need(session, need_id)
    return [lifecycle.move(session, need, "start", actor=actor)]


def amount(value, field: str) -> Decimal:
    """An exact, finite, non-negative decimal (yuan, hours), refused by ``field`` otherwise."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise MatchingError("a number", field) from None
    if not number.is_finite() or number < 0:
        raise MatchingError("0 or more", field)
    return number


def complete(session: Session, need_id: int, *, solved: bool, benefit_yuan, hours, actor: str) -> list[MatchingEvent]:
    """Record the outcome: solved or not, the benefit in yuan and the hours spent (exact decimals)."""
    benefit, spent = amount(benefit_yuan, "benefit_yuan"), amount(hours, "hours")
    need = get_need(session, need_id)
    event = lifecycle.move(session, need, "complete", actor=actor, solved=solved, benefit_yuan=str(benefit),
                           hours=str(spent))
    need.solved, need.benefit_yuan, need.hours = solved, str(benefit), str(spent)
    return [event]


def rate(session: Session, need_id: int, *, rating: int, comment: str, actor: str) -> list[MatchingEvent]:
    """Rate the service 1–5. The rating enters the team's record and each member's skill resume."""
    if rating not in (1, 2, 3, 4, 5):
        raise MatchingError("1 to 5", "rating")
    need = get_need(session, need_id)
    event = lifecycle.move(session, need, "rate", actor=actor, rating=rating, comment=comment)
    need.rating, need.rating_comment = rating, comment
    enterprise = session.get(Enterprise, need.enterprise_id)
    for worker_id in session.scalars(select(ServiceTeamMember.worker_id).where(ServiceTeamMember.team_id == need.team_id)):
        session.add(Achievement(worker_id=worker_id, kind="service", title=f"{enterprise.name}：{need.title}",
                                level="", year=utcnow().year,
                                detail=f"{NEED_KINDS[need.kind][0]} · 评价 {rating}/5"
                                       + (" · 已解决" if need.solved else "")))
    return [event]


def team_ratings(session: Session) -> dict[int, tuple[int, int]]:
    """Per team: (sum of ratings, number of ratings)."""
    rows = session.execute(select(Need.team_id, func.sum(Need.rating), func.count(Need.rating))
                           .where(Need.status == "rated").group_by(Need.team_id)).all()
    return {team: (int(total or 0), int(count)) for team, total, count in rows}


def team_loads(session: Session) -> dict[int, int]:
    """Per team: orders counting against its capacity (offered, accepted, in service)."""
    rows = session.execute(select(Need.team_id, func.count()).where(Need.status.in_(lifecycle.ACTIVE))
                           .group_by(Need.team_id)).all()
    return {team: int(count) for team, count in rows}
