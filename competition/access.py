"""Who may do what in a contest: sign-in of referees, contestants and big screens, and scopes.

Each sign-in returns the principal string (``referee:7``, ``contestant:42``, ``display:3``) that
``profiles.accounts`` issues tokens for and that the log records as the actor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from profiles.accounts import check_secret, hash_secret, parse_principal
from profiles.db import utcnow
from profiles.models import Worker

from .errors import ContestNotFound, NotFound
from .models import Contest, Contestant, DisplayLink, Panel, PanelMember, Referee, RuleSetVersion


@dataclass(frozen=True)
class Scope:
    """What a signed-in principal is: its role, its row id and the contest and site it belongs to.

    ``contest_id`` is None for staff (every contest); ``site_id`` is None for a chief referee, a
    whole-contest screen, or staff.
    """

    principal: str
    role: str
    ident: int
    name: str
    contest_id: int | None = None
    site_id: int | None = None
    is_chief: bool = False
    enterprise_id: int | None = None  # an enterprise's HR: only that enterprise
    service_team_id: int | None = None  # a service team's account: only that team's inbox

    def may_read_contest(self, contest_id: int) -> bool:
        return self.role == "admin" or self.contest_id == contest_id

    def may_read_site(self, contest_id: int, site_id: int) -> bool:
        return self.may_read_contest(contest_id) and (self.site_id is None or self.site_id == site_id)


class ContestRecord(NamedTuple):
    """What a command on a sheet needs of its contest: plain columns, read without the ORM."""

    id: int
    code: str
    rule_set_digest: str


class ContestantRecord(NamedTuple):
    """What a command needs of a contestant (the services take this or a ``Contestant`` row)."""

    id: int
    contest_id: int
    ticket_no: str
    site_id: int
    enterprise_id: int | None


class RefereeRecord(NamedTuple):
    """What a command needs of a referee (the services take this or a ``Referee`` row)."""

    id: int
    contest_id: int
    code: str
    name: str
    site_id: int | None
    enterprise_id: int | None
    is_chief: bool


# Every mark resolves its signed-in referee, its contest and its contestant. Plain columns: an ORM
# entity costs about four times the statement itself, and these three are read on every command.
_CONTESTS, _CONTESTANTS, _REFEREES = Contest.__table__, Contestant.__table__, Referee.__table__
_CONTESTANT_COLUMNS = (_CONTESTANTS.c.id, _CONTESTANTS.c.contest_id, _CONTESTANTS.c.ticket_no, _CONTESTANTS.c.site_id,
                       _CONTESTANTS.c.enterprise_id)
_CONTEST_COLUMNS = (_CONTESTS.c.id, _CONTESTS.c.code, RuleSetVersion.__table__.c.digest)
_CONTEST_RECORD = (select(*_CONTEST_COLUMNS).join_from(_CONTESTS, RuleSetVersion.__table__)
                   .where(_CONTESTS.c.code == bindparam("code")))
_SHEET_TARGET = (select(*_CONTEST_COLUMNS, *_CONTESTANT_COLUMNS)
                 .join_from(_CONTESTS, RuleSetVersion.__table__)
                 .join(_CONTESTANTS, _CONTESTANTS.c.contest_id == _CONTESTS.c.id)
                 .where(_CONTESTS.c.code == bindparam("code"), _CONTESTANTS.c.ticket_no == bindparam("ticket_no")))
_REFEREE_RECORD = select(_REFEREES.c.id, _REFEREES.c.contest_id, _REFEREES.c.code, _REFEREES.c.name,
                         _REFEREES.c.site_id, _REFEREES.c.enterprise_id,
                         _REFEREES.c.is_chief).where(_REFEREES.c.id == bindparam("id"))
_CONTESTANT_RECORD = (select(*_CONTESTANT_COLUMNS, Worker.__table__.c.name)
                      .join(Worker.__table__, Worker.__table__.c.id == _CONTESTANTS.c.worker_id)
                      .where(_CONTESTANTS.c.id == bindparam("id")))
_CONTEST_BY_CODE = select(Contest).where(Contest.code == bindparam("code"))
_CONTESTANT_BY_TICKET = select(Contestant).where(Contestant.contest_id == bindparam("contest_id"),
                                                 Contestant.ticket_no == bindparam("ticket_no"))


def contest_record(session: Session, code: str) -> ContestRecord:
    row = session.connection().execute(_CONTEST_RECORD, {"code": code}).first()
    if row is None:
        raise ContestNotFound(code)
    return ContestRecord(*row)


def sheet_target(session: Session, code: str, ticket_no: str) -> tuple[ContestRecord, ContestantRecord]:
    """The contest and the contestant a sheet command names, in one statement."""
    row = session.connection().execute(_SHEET_TARGET, {"code": code, "ticket_no": ticket_no}).first()
    if row is None:
        contest = contest_record(session, code)  # which of the two is missing: raises if the contest
        raise NotFound(f"no contestant with ticket {ticket_no!r} in {contest.code}", field="ticket_no")
    return ContestRecord(*row[:3]), ContestantRecord(*row[3:])


def referee_record(session: Session, referee_id: int) -> RefereeRecord | None:
    row = session.connection().execute(_REFEREE_RECORD, {"id": referee_id}).first()
    return RefereeRecord(*row) if row is not None else None


def contestant_record(session: Session, contestant_id: int) -> ContestantRecord | None:
    named = _named_contestant(session, contestant_id)
    return named[0] if named is not None else None


def _named_contestant(session: Session, contestant_id: int) -> tuple[ContestantRecord, str] | None:
    row = session.connection().execute(_CONTESTANT_RECORD, {"id": contestant_id}).first()
    return (ContestantRecord(*row[:5]), row.name) if row is not None else None


def contest_by_code(session: Session, code: str) -> Contest:
    contest = session.scalar(_CONTEST_BY_CODE, {"code": code})
    if contest is None:
        raise ContestNotFound(code)
    return contest


def set_pin(target: Referee | Contestant, pin: str) -> None:
    """Set a referee's or contestant's tablet PIN (4–12 digits)."""
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("a PIN is 4–12 digits")
    target.pin_hash = hash_secret(pin)


def authenticate_referee(session: Session, contest_code: str, referee_code: str, pin: str) -> Referee | None:
    referee = session.scalar(select(Referee).join(Contest, Contest.id == Referee.contest_id)
                             .where(Contest.code == contest_code, Referee.code == referee_code))
    return referee if referee is not None and check_secret(referee.pin_hash, pin) else None


def authenticate_contestant(session: Session, contest_code: str, ticket_no: str, pin: str) -> Contestant | None:
    contestant = session.scalar(select(Contestant).join(Contest, Contest.id == Contestant.contest_id)
                                .where(Contest.code == contest_code, Contestant.ticket_no == ticket_no))
    return contestant if contestant is not None and check_secret(contestant.pin_hash, pin) else None


def create_display_link(session: Session, contest: Contest, *, site_id: int | None = None,
                        label: str = "") -> DisplayLink:
    link = DisplayLink(contest_id=contest.id, site_id=site_id, label=label, token=secrets.token_urlsafe(24))
    session.add(link)
    session.flush()
    return link


def revoke_display_link(session: Session, contest: Contest, link_id: int, *, now=None) -> DisplayLink:
    """Revoke a big-screen link of this contest (a leaked link, a screen taken down): its page and
    its live connection are refused from now on. Revoking twice keeps the first time."""
    link = session.get(DisplayLink, link_id)
    if link is None or link.contest_id != contest.id:
        raise NotFound(f"no display link {link_id} in {contest.code}", field="link_id")
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
    return link


def display_link(session: Session, token: str) -> DisplayLink | None:
    if not token or len(token) > 64:
        return None
    link = session.scalar(select(DisplayLink).where(DisplayLink.token == token))
    return link if link is not None and link.revoked_at is None else None


def scope_of(session: Session, principal: str, keep=None) -> Scope | None:
    """Resolve a principal string to its scope; None when the row is gone.

    Staff accounts live in ``profiles``; this resolves the contest roles and leaves ``admin`` to
    the caller, which knows the staff account. ``keep(record)``, if given, receives the referee's
    or contestant's record read (every API request resolves its principal: plain columns).
    """
    parsed = parse_principal(principal)
    if parsed is None:
        return None
    role, ident = parsed
    if role == "referee":
        referee = referee_record(session, ident)
        if referee is None:
            return None
        if keep:
            keep(referee)
        return Scope(principal, role, ident, referee.name, referee.contest_id, referee.site_id, referee.is_chief)
    if role == "contestant":
        named = _named_contestant(session, ident)
        if named is None:
            return None
        contestant, name = named
        if keep:
            keep(contestant)
        return Scope(principal, role, ident, name, contestant.contest_id, contestant.site_id)
    if role == "display":
        link = session.get(DisplayLink, ident)
        if link is None or link.revoked_at is not None:
            return None
        return Scope(principal, role, ident, link.label or "大屏 Screen", link.contest_id, link.site_id)
    return None


def contestant_by_ticket(session: Session, contest: Contest, ticket_no: str) -> Contestant:
    contestant = session.scalar(_CONTESTANT_BY_TICKET, {"contest_id": contest.id, "ticket_no": ticket_no})
    if contestant is None:
        raise NotFound(f"no contestant with ticket {ticket_no!r} in {contest.code}", field="ticket_no")
    return contestant


def referee_by_code(session: Session, contest: Contest | ContestRecord, code: str) -> Referee:
    referee = session.scalar(select(Referee).where(Referee.contest_id == contest.id, Referee.code == code))
    if referee is None:
        raise NotFound(f"no referee {code!r} in {contest.code}", field="referee")
    return referee


def assigned_aspects(session: Session, referee: Referee) -> list[str]:
    """Return the aspect codes a referee marks at their site (every aspect for the chief)."""
    return list(session.scalars(
        select(Panel.aspect_code).join(PanelMember, PanelMember.panel_id == Panel.id)
        .where(Panel.contest_id == referee.contest_id, PanelMember.referee_id == referee.id)
        .order_by(Panel.aspect_code)))


def site_contestants(session: Session, contest_id: int, site_id: int | None) -> list[Contestant]:
    query = select(Contestant).where(Contestant.contest_id == contest_id)
    if site_id is not None:
        query = query.where(Contestant.site_id == site_id)
    return list(session.scalars(query.order_by(Contestant.ticket_no)))
