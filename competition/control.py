"""Running a contest as a whole: end it, freeze and thaw the public board, finalize the results.

These are contest-level events in the same log (no contestant): the board a screen shows and
the moment results became final are as auditable as any mark. Finalizing is gated: it is refused
while any panel is blocked by its spread rule or any referee has not signed off a contestant they
marked, and the refusal lists what is outstanding.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import eventlog
from .errors import InvalidState
from .eventlog import NewEvent
from .models import Contest, ContestEvent, Contestant, Referee
from .setup import ruleset_of
from .sheets import SheetState


@dataclass(frozen=True)
class BoardState:
    """Whether the public board is frozen, and at which log position."""

    frozen_at_seq: int | None

    @property
    def frozen(self) -> bool:
        return self.frozen_at_seq is not None


def board_state(session: Session, contest_id: int) -> BoardState:
    """Fold the contest's freeze and thaw events (few, contest-level) into the board's state."""
    frozen = None
    rows = session.execute(select(ContestEvent.kind, ContestEvent.payload).where(
        ContestEvent.contest_id == contest_id, ContestEvent.contestant_id.is_(None),
        ContestEvent.kind.in_(("board_frozen", "board_thawed"))).order_by(ContestEvent.seq))
    for kind, payload in rows:
        frozen = eventlog.decode_payload(payload)["at_seq"] if kind == "board_frozen" else None
    return BoardState(frozen)


def _command(session: Session, contest: Contest, command_key: str):
    if not command_key or len(command_key) > 100:
        raise InvalidState("a command needs an idempotency key of 1–100 characters")
    head = eventlog.lock_head(session, contest.id)
    session.refresh(contest, ["status"])
    return head, eventlog.find_command(session, contest.id, command_key)


def end_contest(session: Session, contest: Contest, *, actor: str, command_key: str) -> list[ContestEvent]:
    """End a running contest at every site: no more marks or answers; sign-offs still go in."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    if contest.status != "running":
        raise InvalidState(f"contest {contest.code} is {contest.status}, not running")
    contest.status = "ended"
    return eventlog.append(session, contest.id, [NewEvent("contest_ended", {})], actor=actor,
                           command_key=command_key, head=head)


def freeze_board(session: Session, contest: Contest, *, actor: str, command_key: str) -> list[ContestEvent]:
    """Freeze the public board at the current log position (staff keep seeing the live one)."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    if contest.status not in ("running", "ended"):
        raise InvalidState(f"contest {contest.code} is {contest.status}: only a running or ended contest freezes")
    if board_state(session, contest.id).frozen:
        raise InvalidState(f"the board of {contest.code} is frozen already")
    return eventlog.append(session, contest.id, [NewEvent("board_frozen", {"at_seq": head[0]})], actor=actor,
                           command_key=command_key, head=head)


def thaw_board(session: Session, contest: Contest, *, actor: str, command_key: str) -> list[ContestEvent]:
    """Publish everything the frozen board held back."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    if not board_state(session, contest.id).frozen:
        raise InvalidState(f"the board of {contest.code} is not frozen")
    return eventlog.append(session, contest.id, [NewEvent("board_thawed", {})], actor=actor,
                           command_key=command_key, head=head)


def outstanding(session: Session, contest: Contest) -> list[str]:
    """Return what blocks finalizing: blocked panels and marks whose referee has not signed off."""
    ruleset = ruleset_of(contest)
    states: dict[int, SheetState] = {}
    for event in eventlog.iter_events(session, contest.id):
        if event.contestant_id is not None:
            states.setdefault(event.contestant_id, SheetState()).apply(ruleset, event)
    tickets = dict(session.execute(select(Contestant.id, Contestant.ticket_no)
                                   .where(Contestant.contest_id == contest.id)).all())
    codes = dict(session.execute(select(Referee.id, Referee.code).where(Referee.contest_id == contest.id)).all())
    problems = []
    for ident, state in sorted(states.items(), key=lambda item: tickets[item[0]]):
        for aspect in sorted(state.breached):
            problems.append(f"{tickets[ident]} {aspect}: panel spread not resolved")
        markers = set().union(*state.marked_by.values()) if state.marked_by else set()
        for referee in sorted(markers - state.signed_off, key=lambda r: codes.get(r, "")):
            problems.append(f"{tickets[ident]}: referee {codes.get(referee, referee)} has not signed off")
    return problems


def finalize_contest(session: Session, contest: Contest, *, actor: str, command_key: str) -> list[ContestEvent]:
    """Make an ended contest's results final; refused while anything is outstanding."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    if contest.status != "ended":
        raise InvalidState(f"contest {contest.code} is {contest.status}: end it before finalizing")
    problems = outstanding(session, contest)
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise InvalidState(f"cannot finalize {contest.code}: {len(problems)} outstanding: {shown}")
    contest.status = "finalized"
    return eventlog.append(session, contest.id, [NewEvent("contest_finalized", {})], actor=actor,
                           command_key=command_key, head=head)
