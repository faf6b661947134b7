"""Shared kernel: enterprises and the workers who compete, referee and serve, with what their
skill resume (技能简历) lists, and the projections profiles derive from contests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, utcnow

# 国家职业资格 / 职业技能等级: the five vocational skill levels, lowest first.
SKILL_LEVELS = {1: ("初级工", "Junior"), 2: ("中级工", "Intermediate"), 3: ("高级工", "Senior"),
                4: ("技师", "Technician"), 5: ("高级技师", "Senior technician")}


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # 统一社会信用代码: the 18-character national registration code, when known.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    district: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str] = mapped_column(String(100), default="", server_default="")  # city, for 匠星排行 by region

    workers: Mapped[list[Worker]] = relationship(back_populates="enterprise")

    def __repr__(self) -> str:
        return f"<Enterprise {self.id} {self.name}>"


class Workshop(Base):
    """车间: a workshop of an enterprise."""

    __tablename__ = "workshops"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class Team(Base):
    """班组: a team within a workshop."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workshop_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))


class Post(Base):
    """岗位: a post of an enterprise in one trade, which a competency standard describes."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    trade: Mapped[str] = mapped_column(String(100))


class PostStandard(Base):
    """岗位能力标准: the level a post requires in one dimension of its trade, on the portrait's
    0–100 scale."""

    __tablename__ = "post_standards"
    __table_args__ = (UniqueConstraint("post_id", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(100))
    required: Mapped[float] = mapped_column(Float)


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    trade: Mapped[str] = mapped_column(String(100), default="")
    # 工号 or another number the enterprise knows the worker by; imports match on it.
    staff_no: Mapped[str | None] = mapped_column(String(40))
    skill_level: Mapped[int | None] = mapped_column(Integer)  # 1..5, SKILL_LEVELS
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="workers")

    def __repr__(self) -> str:
        return f"<Worker {self.id} {self.name}>"


class Certificate(Base):
    """A vocational skill certificate (职业技能等级证书) or another qualification."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("issuer", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    trade: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)  # SKILL_LEVELS
    number: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)


class Achievement(Base):
    """An entry of the resume that is not a contest: an honour (劳模, 技术能手 …), an innovation
    result (专利, 工法, QC 成果), a job contribution, a completed service order."""

    __tablename__ = "achievements"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # honour | patent | method | qc | contribution | service
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(20), default="")  # national | provincial | city | enterprise
    year: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class Pairing(Base):
    """师带徒: a master-apprentice pairing."""

    __tablename__ = "pairings"
    __table_args__ = (UniqueConstraint("master_id", "apprentice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    master_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    apprentice_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    since: Mapped[date] = mapped_column(Date)


class ContestOutcome(Base):
    """One worker's result in one finalized contest: what profiles learn from a contest log.

    Written when a contest is finalized (or imported for contests held before the platform);
    no foreign key to ``contests``, which only holds contests run here.
    """

    __tablename__ = "contest_outcomes"
    __table_args__ = (UniqueConstraint("contest_key", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_key: Mapped[str] = mapped_column(String(60), index=True)  # the contest's code
    contest_name: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    trade: Mapped[str] = mapped_column(String(100))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    entrants: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)  # competition rank: tied entrants share it
    total: Mapped[str] = mapped_column(String(20))  # exact decimal, as the rule set rounded it
    max_total: Mapped[str] = mapped_column(String(20))
    # dimension → share of its marks earned, 0..1 (what the portrait places on a common scale)
    dimensions: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QuizResponse(Base):
    """One answer of a post skill assessment (岗位技能测评) taken on a phone: right or wrong.
    Item difficulties are calibrated from all responses (an item-response model)."""

    __tablename__ = "quiz_responses"
    __table_args__ = (Index("ix_quiz_responses_item", "trade", "dimension", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    trade: Mapped[str] = mapped_column(String(100))
    dimension: Mapped[str] = mapped_column(String(100))
    item: Mapped[str] = mapped_column(String(60))
    correct: Mapped[bool] = mapped_column()
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StarRating(Base):
    """匠星 rating of a worker in a trade: a Plackett-Luce skill estimate (mu) with its
    uncertainty (sigma), updated from each finalized contest's order."""

    __tablename__ = "star_ratings"
    __table_args__ = (
        UniqueConstraint("trade", "worker_id"),
        # The ranking page: the top of one trade by estimate.
        Index("ix_star_ratings_trade_mu", "trade", "mu"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trade: Mapped[str] = mapped_column(String(100))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    mu: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    contests: Mapped[int] = mapped_column(Integer, default=0)
    last_contest_on: Mapped[date | None] = mapped_column(Date)


# --- craftsman selection (工匠遴选) ----------------------------------------------------------------

class SelectionRound(Base):
    """A selection round: applications scored by a points model frozen at opening, reviewed by
    every department the model names, closed with a ranked result."""

    __tablename__ = "selection_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)  # evidence counts back from this year
    model_code: Mapped[str] = mapped_column(String(60))
    model_text: Mapped[str] = mapped_column(Text)  # the points model as published, frozen
    model_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class SelectionApplication(Base):
    """One worker's application to a round. ``submission`` counts resubmissions after a return;
    reviews apply to the current submission."""

    __tablename__ = "selection_applications"
    __table_args__ = (UniqueConstraint("round_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("selection_rounds.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), index=True)
    statement: Mapped[str] = mapped_column(Text, default="")  # 申报材料: the applicant's own account
    status: Mapped[str] = mapped_column(String(20))  # submitted | returned | approved
    submission: Mapped[int] = mapped_column(Integer, default=1)
    total: Mapped[str] = mapped_column(String(20))  # exact decimal points total at (re)submission
    breakdown: Mapped[dict] = mapped_column(JSON)  # per criterion: points, score, counted items
    result: Mapped[str | None] = mapped_column(String(20))  # selected | not_selected, when closed
    result_rank: Mapped[int | None] = mapped_column(Integer)
    result_reason: Mapped[str | None] = mapped_column(Text)


class SelectionDecision(Base):
    """Append-only log of every step of an application: submit, approve, return, result."""

    __tablename__ = "selection_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("selection_applications.id"), index=True)
    submission: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # submit | approve | return | result
    department: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
