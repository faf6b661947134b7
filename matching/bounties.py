"""揭榜挂帅: an open problem board. An enterprise posts a problem with a reward; service teams or
individual craftsmen claim it (揭榜) with a proposal; the enterprise chooses one; the payment is
recorded when the work is done. Every step is an event in the matching log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.db import utcnow
from profiles.models import Enterprise, Worker

from . import lifecycle
from .errors import MatchingError, NotFound
from .models import Bounty, BountyClaim, MatchingEvent, ServiceTeam
from .orders import amount
from .taxonomy import Taxonomy


def get_bounty(session: Session, bounty_id: int) -> Bounty:
    bounty = session.get(Bounty, bounty_id)
    if bounty is None:
        raise NotFound("bounty", bounty_id, "bounty_id")
    return bounty


def post_bounty(session: Session, taxonomy: Taxonomy, *, enterprise_id: int, title: str, description: str,
                fields: list[str], reward_yuan, deadline: date, actor: str,
                today: date | None = None) -> tuple[Bounty, list[MatchingEvent]]:
    if session.get(Enterprise, enterprise_id) is None:
        raise NotFound("enterprise", enterprise_id, "enterprise_id")
    if not title.strip():
        raise MatchingError("必填 · required", "title")
    taxonomy.codes(fields)
    reward = amount(reward_yuan, "reward_yuan")
    if deadline < (today or utcnow().date()):
        raise MatchingError("already past", "deadline")
    bounty = Bounty(enterprise_id=enterprise_id, title=title.strip(), description=description, fields=list(fields),
                    reward_yuan=str(reward), deadline=deadline, status="open")
    session.add(bounty)
    session.flush()
    return bounty, [lifecycle.record(session, "bounty_posted", actor=actor, bounty_id=bounty.id, reward_yuan=str(reward))]


def claim(session: Session, bounty_id: int, *, proposal: str, actor: str, team_id: int | None = None,
          worker_id: int | None = None, today: date | None = None) -> tuple[BountyClaim, list[MatchingEvent]]:
    """A team or one craftsman claims the problem (揭榜), saying how they would solve it."""
    bounty = get_bounty(session, bounty_id)
    if bounty.status != "open":
        raise MatchingError(f"bounty {bounty_id} is {bounty.status}: claims are closed", "bounty_id", 409)
    if bounty.deadline < (today or utcnow().date()):
        raise MatchingError(f"bounty {bounty_id} closed on {bounty.deadline}", "bounty_id", 409)
    if (team_id is None) == (worker_id is None):
        raise MatchingError("claim as a team (team_id) or as one craftsman (worker_id), not both", "team_id")
    if team_id is not None and session.get(ServiceTeam, team_id) is None:
        raise NotFound("service team", team_id, "team_id")
    if worker_id is not None and session.get(Worker, worker_id) is None:
        raise NotFound("worker", worker_id, "worker_id")
    if not proposal.strip():
        raise MatchingError("say how you would solve it (必填 · required)", "proposal")
    same = select(BountyClaim).where(BountyClaim.bounty_id == bounty_id,
                                     BountyClaim.team_id == team_id if team_id is not None
                                     else BountyClaim.worker_id == worker_id)
    if session.scalar(same) is not None:
        raise MatchingError("claimed already", "bounty_id", 409)
    entry = BountyClaim(bounty_id=bounty_id, team_id=team_id, worker_id=worker_id, proposal=proposal.strip())
    session.add(entry)
    session.flush()
    return entry, [lifecycle.record(session, "bounty_claimed", actor=actor, bounty_id=bounty_id, team_id=team_id,
                                    claim_id=entry.id, worker_id=worker_id)]


def choose(session: Session, bounty_id: int, claim_id: int, *, actor: str) -> list[MatchingEvent]:
    """The enterprise picks one claim; the others are told they were not chosen."""
    bounty = get_bounty(session, bounty_id)
    if bounty.status != "open":
        raise MatchingError(f"bounty {bounty_id} is {bounty.status}", "bounty_id", 409)
    claims = session.scalars(select(BountyClaim).where(BountyClaim.bounty_id == bounty_id)).all()
    if claim_id not in {c.id for c in claims}:
        raise NotFound("claim on this bounty", claim_id, "claim_id")
    for c in claims:
        c.status = "chosen" if c.id == claim_id else "not_chosen"
    bounty.status, bounty.chosen_claim_id = "awarded", claim_id
    return [lifecycle.record(session, "bounty_awarded", actor=actor, bounty_id=bounty_id, claim_id=claim_id)]


def pay(session: Session, bounty_id: int, *, paid_yuan, actor: str, now: datetime | None = None) -> list[MatchingEvent]:
    """Record the payment on completion (按约兑现)."""
    bounty = get_bounty(session, bounty_id)
    if bounty.status != "awarded":
        raise MatchingError(f"bounty {bounty_id} is {bounty.status}: pay an awarded bounty", "bounty_id", 409)
    paid = amount(paid_yuan, "paid_yuan")
    bounty.status, bounty.paid_yuan, bounty.paid_at = "paid", str(paid), now or utcnow()
    return [lifecycle.record(session, "bounty_paid", actor=actor, bounty_id=bounty_id, paid_yuan=str(paid),
                             reward_yuan=bounty.reward_yuan)]
