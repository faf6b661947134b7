"""Contests, sites, stages, contestants, referees, panels and the mark event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from profiles.db import Base, utcnow
from profiles.models import Enterprise, Worker

GENESIS_HASH = "0" * 64


class RuleSetVersion(Base):
    """The exact text of a rule set a contest scores against, identified by its digest."""

    __tablename__ = "rule_set_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only when a rule set is compiled
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contest(Base):
    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # draft → running → ended → finalized; the rule set is frozen from "running" on.
    status: Mapped[str] = mapped_column(String(20), default="draft")
    rule_set_version_id: Mapped[int] = mapped_column(ForeignKey("rule_set_versions.id"))
    # The head of the event log: the database serialises appends on this row.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]

    # Joined: a command needs the version (its digest names the compiled rule set) with every contest it loads.
    rule_set_version: Mapped[RuleSetVersion] = relationship(lazy="joined")
    sites: Mapped[list[Site]] = relationship(back_populates="contest", order_by="Site.id")
    stages: Mapped[list[Stage]] = relationship(back_populates="contest", order_by="Stage.position")


class Site(Base):
    """赛点: one city's venue of a contest run at several sites at once."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("contest_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")

    contest: Mapped[Contest] = relationship(back_populates="sites")


class Stage(Base):
    """闯关: a contest's copy of a rule-set stage, so events and boards can refer to it."""

    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("contest_id", "code"), UniqueConstraint("contest_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    time_limit_s: Mapped[int] = mapped_column(Integer)

    contest: Mapped[Contest] = relationship(back_populates="stages")


class Contestant(Base):
    __tablename__ = "contestants"
    __table_args__ = (UniqueConstraint("contest_id", "ticket_no"), UniqueConstraint("contest_id", "worker_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    # The enterprise at entry time: a later job change must not rewrite conflict checks.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    station: Mapped[str] = mapped_column(String(20), default="")
    ticket_no: Mapped[str] = mapped_column(String(50))
    # The contestant signs in on the tablet with ticket number + PIN (scrypt hash, never the PIN).
    pin_hash: Mapped[str | None] = mapped_column(String(200))

    worker: Mapped[Worker] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    site: Mapped[Site] = relationship()


class Referee(Base):
    __tablename__ = "referees"
    __table_args__ = (UniqueConstraint("contest_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    # A chief referee has no site: they resolve panels and sign off at every site.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    is_chief: Mapped[bool] = mapped_column(Boolean, default=False)
    pin_hash: Mapped[str | None] = mapped_column(String(200))

    enterprise: Mapped[Enterprise | None] = relationship()
    site: Mapped[Site | None] = relationship()


class DisplayLink(Base):
    """A read-only link for a big screen: the whole contest, or one site's board.

    The token is kept in clear, unlike passwords: it grants reading what the public board shows,
    staff must be able to show it again to set up each city's screen, and it can be revoked.
    """

    __tablename__ = "display_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    label: Mapped[str] = mapped_column(String(100), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    site: Mapped[Site | None] = relationship()


class Panel(Base):
    """The referees who mark one aspect for every contestant at one site."""

    __tablename__ = "panels"
    __table_args__ = (UniqueConstraint("contest_id", "site_id", "aspect_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    aspect_code: Mapped[str] = mapped_column(String(50))

    members: Mapped[list[PanelMember]] = relationship(back_populates="panel", order_by="PanelMember.seat")


class PanelMember(Base):
    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "seat"),)

    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), primary_key=True)
    referee_id: Mapped[int] = mapped_column(ForeignKey("referees.id"), primary_key=True)
    seat: Mapped[int] = mapped_column(Integer)

    panel: Mapped[Panel] = relationship(back_populates="members")
    referee: Mapped[Referee] = relationship()


class ContestEvent(Base):
    """One immutable entry of a contest's log (留痕).

    ``seq`` is gap-free per contest; ``hash`` chains each entry to the one before, so a changed
    or deleted row is detected by ``verify_chain``. One command (one client request, one
    ``command_key``) may append several events, numbered by ``command_index``.
    """

    __tablename__ = "contest_events"
    __table_args__ = (
        UniqueConstraint("contest_id", "seq"),
        UniqueConstraint("contest_id", "command_key", "command_index"),
        Index("ix_contest_events_contestant", "contest_id", "contestant_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    contestant_id: Mapped[int | None] = mapped_column(ForeignKey("contestants.id"))
    aspect_code: Mapped[str | None] = mapped_column(String(50))
    actor: Mapped[str] = mapped_column(String(100))
    # Canonical JSON text (sorted keys, Decimals as strings): hashed exactly as stored.
    payload: Mapped[str] = mapped_column(Text)
    command_key: Mapped[str] = mapped_column(String(100))
    command_index: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<ContestEvent {self.contest_id}#{self.seq} {self.kind}>"
