"""Running a contest as a whole: pause and resume, extra time, end, freeze and thaw the public
board, finalize the results.

These are contest-level events in the same log (no contestant): the board a screen shows and
the moment results became final are as auditable as any mark. Finalizing is gated: it is refused
while any panel is blocked by its spread rule or any referee has not signed off a contestant they
marked, and the refusal lists what is outstanding.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles import outcomes
from profiles.db import utcnow

from . import eventlog, readmodel
from .clock import load_clock
from .errors import InvalidMark, InvalidState, NotFound
from .eventlog import NewEvent
from .models import Contest, ContestEvent, Contestant, Referee, Site
from .projections import BOARD_KINDS, BoardState
from .setup import ruleset_of
from .sheets import SheetState


def board_state(session: Session, contest_id: int) -> BoardState:
    """Fold the contest's freeze and thaw events (few, contest-level) into the board's state
    (projections keep the same state as they go: ``ContestProjection.board_state``)."""
    state = BoardState(None)
    rows = session.execute(select(ContestEvent.kind, ContestEvent.payload, ContestEvent.contestant_id).where(
        ContestEvent.contest_id == contest_id, ContestEvent.kind.in_(BOARD_KINDS)).order_by(ContestEvent.seq))
    for kind, payload, contestant_id in rows:
        state = state.after(kind, eventlog.decode_payload(payload), contestant_id)
    return state


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
    events = eventlog.append(session, contest.id, [NewEvent("contest_finalized", {})], actor=actor,
                             command_key=command_key, head=head)
    # Profiles learn the final order now, in the same transaction: a finalized contest is never
    # missing from resumes, portraits and the star ranking, nor counted twice on a retry.
    outcomes.record_contest(session, contest_results(session, contest))
    return events


def contest_results(session: Session, contest: Contest) -> outcomes.ContestResults:
    """A contest's final order and per-dimension shares, as profiles take them."""
    projection = readmodel.rebuild(session, contest.id)
    ruleset = projection.ruleset
    workers = dict(session.execute(select(Contestant.id, Contestant.worker_id)
                                   .where(Contestant.contest_id == contest.id)).all())
    entrants = []
    for row in projection.board():
        result = row.result
        shares = {d.name: float(result.dimensions[d.code].marks / result.dimensions[d.code].max)
                  for d in ruleset.dimensions if result.dimensions[d.code].max}
        entrants.append(outcomes.EntrantResult(workers[row.contestant_id], row.rank, str(result.total), shares))
    held = contest.started_at or utcnow()
    return outcomes.ContestResults(contest.code, contest.name, held.date(), ruleset.trade, str(ruleset.total),
                                   tuple(entrants))


def pause_contest(session: Session, contest: Contest, *, actor: str, command_key: str, site_id: int | None = None,
                  reason: str = "", now: datetime | None = None) -> list[ContestEvent]:
    """Stop the clock at every site, or at one (``site_id``); the time is given back on resume."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    if contest.status != "running":
        raise InvalidState(f"contest {contest.code} is {contest.status}, not running")
    _check_site(session, contest, site_id)
    clock = load_clock(session, contest.id)
    if clock.is_paused(None) or (site_id is not None and clock.is_paused(site_id)):
        raise InvalidState("already paused" + ("" if site_id is None else " at this site"))
    payload = {"site_id": site_id, "reason": reason, "at": (now or utcnow()).isoformat(timespec="microseconds")}
    return eventlog.append(session, contest.id, [NewEvent("contest_paused", payload)], actor=actor,
                           command_key=command_key, head=head)


def resume_contest(session: Session, contest: Contest, *, actor: str, command_key: str, site_id: int | None = None,
                   now: datetime | None = None) -> list[ContestEvent]:
    """Restart the clock that ``pause_contest`` stopped (the same scope: every site, or that site)."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    _check_site(session, contest, site_id)
    intervals = load_clock(session, contest.id).pauses.get(site_id)
    if not intervals or intervals[-1][1] is not None:
        raise InvalidState("not paused" + ("" if site_id is None else " at this site (a pause of every site "
                                                                       "is resumed for every site)"))
    payload = {"site_id": site_id, "at": (now or utcnow()).isoformat(timespec="microseconds")}
    return eventlog.append(session, contest.id, [NewEvent("contest_resumed", payload)], actor=actor,
                           command_key=command_key, head=head)


def extend_time(session: Session, contest: Contest, *, actor: str, command_key: str, stage: str, seconds: int,
                reason: str, site_id: int | None = None, contestant: Contestant | None = None) -> list[ContestEvent]:
    """Grant extra time on a stage to one contestant, one site, or everyone (with a reason)."""
    head, done = _command(session, contest, command_key)
    if done:
        return done
    if contest.status != "running":
        raise InvalidState(f"contest {contest.code} is {contest.status}, not running")
    try:
        ruleset_of(contest).stage_index(stage)
    except KeyError:
        raise NotFound(f"{stage!r} is not a stage of this contest", field="stage") from None
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= 4 * 3600:
        raise InvalidMark("seconds: a whole number from 1 to 14400", field="seconds")
    if not reason.strip():
        raise InvalidMark("extra time needs a reason", field="reason")
    _check_site(session, contest, site_id)
    if contestant is not None and contestant.contest_id != contest.id:
        raise NotFound("no such contestant in this contest", field="contestant")
    payload = {"stage": stage, "seconds": seconds, "reason": reason.strip(),
               "site_id": None if contestant is not None else site_id}
    return eventlog.append(session, contest.id, [NewEvent("time_extended", payload,
                                                          contestant.id if contestant else None)],
                           actor=actor, command_key=command_key, head=head)


def _check_site(session: Session, contest: Contest, site_id: int | None) -> None:
    if site_id is not None and session.scalar(select(Site.id).where(Site.id == site_id,
                                                                    Site.contest_id == contest.id)) is None:
        raise NotFound("no such site in this contest", field="site")


def reveal_next(session: Session, contest: Contest, *, actor: str, command_key: str) -> list[ContestEvent]:
    """滚榜: show the final result of the lowest-placed contestant still shown as frozen.

    At the ceremony the frozen board is revealed from the bottom up, one contestant at a time;
    each reveal moves that contestant to their final place. Thawing reveals everyone at once.
    """
    from .readmodel import rebuild

    head, done = _command(session, contest, command_key)
    if done:
        return done
    state = board_state(session, contest.id)
    if not state.frozen:
        raise InvalidState(f"the board of {contest.code} is not frozen: there is nothing to reveal")
    shown = rebuild(session, contest.id, until_seq=state.frozen_at_seq, revealed=frozenset(state.revealed))
    waiting = [row.contestant_id for row in shown.board() if row.contestant_id not in state.revealed]
    if not waiting:
        raise InvalidState("every result is revealed: thaw the board to end the ceremony")
    return eventlog.append(session, contest.id, [NewEvent("results_revealed", {"ordinal": len(state.revealed) + 1},
                                                          waiting[-1])],
                           actor=actor, command_key=command_key, head=head)
