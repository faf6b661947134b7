"""Needs, service teams, offers, matching rounds, bounties and the matching event log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from profiles.accounts import StaffAccount  # noqa: F401  (ServiceTeam.account_id refers to it)
from profiles.db import Base, utcnow

NEED_KINDS = {"problem": ("技术攻关", "Problem-solving"), "transfer": ("技能传承", "Skill transfer"),
              "training": ("人才培养", "Training"), "innovation": ("集智创新", "Joint innovation")}


class ServiceTeam(Base):
    """劳模工匠服务队: craftsmen who serve enterprises, from a home place, in some fields, with a
    capacity of concurrent orders."""

    __tablename__ = "service_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    place: Mapped[str] = mapped_column(String(60))  # home township code (matching.places)
    fields: Mapped[list] = mapped_column(JSON)  # skill field codes (matching.taxonomy)
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    available: Mapped[bool] = mapped_column(Boolean, default=True)  # takes new orders at all
    away_from: Mapped[date | None] = mapped_column(Date)  # a period the team cannot serve (both or neither)
    away_until: Mapped[date | None] = mapped_column(Date)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), unique=True)  # the team's sign-in
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ServiceTeamMember(Base):
    __tablename__ = "service_team_members"
    __table_args__ = (UniqueConstraint("team_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_teams.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)


class Need(Base):
    """需求: what an enterprise asks for, and where its order stands (``matching.lifecycle``)."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # NEED_KINDS
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list] = mapped_column(JSON)
    urgency: Mapped[int] = mapped_column(Integer, default=1)  # 1 normal, 2 soon, 3 urgent
    place: Mapped[str] = mapped_column(String(60))
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="posted", index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id"), index=True)  # proposed/offered/serving
    posted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    benefit_yuan: Mapped[str | None] = mapped_column(String(20))  # exact decimal
    hours: Mapped[str | None] = mapped_column(String(20))
    rating: Mapped[int | None] = mapped_column(Integer)  # 1..5
    rating_comment: Mapped[str | None] = mapped_column(Text)


class Offer(Base):
    """An order offered to a team: it accepts (接单) or declines before the deadline, or it expires."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_teams.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("match_rounds.id"))
    status: Mapped[str] = mapped_column(String(20), default="offered")  # offered | accepted | declined | expired | withdrawn
    deadline: Mapped[datetime] = mapped_column(DateTime)
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)
    reply: Mapped[str] = mapped_column(Text, default="")  # the team's reason for declining
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class MatchRound(Base):
    """One run of the engine over the open needs: what it proposed, with what weights and why."""

    __tablename__ = "match_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))  # optimal | stable-needs | stable-teams
    status: Mapped[str] = mapped_column(String(20), default="proposed")  # proposed | sent | superseded
    actor: Mapped[str] = mapped_column(String(60))
    run_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    weights: Mapped[dict] = mapped_column(JSON)
    route: Mapped[str] = mapped_column(String(20), default="")
    total_cost: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class RoundPair(Base):
    """A need in a round: the team proposed (with reasons), or none and why."""

    __tablename__ = "round_pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("match_rounds.id"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id"))
    cost: Mapped[float | None] = mapped_column(Float)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)


class PairRule(Base):
    """Staff's decision on one pair: pin it (always proposed) or forbid it (never), until lifted."""

    __tablename__ = "pair_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_teams.id"))
    kind: Mapped[str] = mapped_column(String(10))  # pin | forbid
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime)


class Preference(Base):
    """双向选择: an enterprise's rank of a team for its need (side ``need``), or a team's rank of a
    need (side ``team``); 1 is the first choice. A pair unranked by either side is not acceptable."""

    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("side", "need_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(String(10))
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_teams.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)


class Bounty(Base):
    """揭榜挂帅: a problem posted openly with a reward; teams or craftsmen claim it; one is chosen."""

    __tablename__ = "bounties"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list] = mapped_column(JSON)
    reward_yuan: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | awarded | paid | withdrawn
    chosen_claim_id: Mapped[int | None] = mapped_column(Integer)
    paid_yuan: Mapped[str | None] = mapped_column(String(20))
    posted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)


class BountyClaim(Base):
    """A claim (揭榜) by a service team or one craftsman, with how they would solve it."""

    __tablename__ = "bounty_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    bounty_id: Mapped[int] = mapped_column(ForeignKey("bounties.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    proposal: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="claimed")  # claimed | chosen | not_chosen
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MatchingEvent(Base):
    """Append-only log of every step of every need, offer, round and bounty (留痕)."""

    __tablename__ = "matching_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("match_rounds.id"))
    bounty_id: Mapped[int | None] = mapped_column(ForeignKey("bounties.id"), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
