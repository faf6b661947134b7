"""Services that write marks: every call appends events to the contest's log, or refuses.

Each service locks the contest's log head first, then answers a retried command (same
``command_key``) with the events it appended the first time, so a resent mark has no second
effect. Checks run against the contestant's state folded from the log under that lock, so
two servers cannot both accept conflicting marks. A refused command appends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from profiles.db import utcnow
from scoring_rules import MarkError, StageRun, score_aspect
from scoring_rules.engine import assemble, panel_scores, score_aspects, to_decimal
from scoring_rules.model import JudgementAspect, ObjectiveAspect, RuleSet

from . import eventlog
from .errors import ConflictOfInterest, ContestError, InvalidMark, InvalidState, NotAssigned, NotFound, SignedOff
from .eventlog import NewEvent
from .access import ContestantRecord, RefereeRecord
from .models import ContestEvent, Contestant, Panel, PanelMember, Referee
from .setup import ruleset_by_digest
from .clock import load_clock
from .sheets import SheetState


@dataclass(frozen=True)
class Outcome:
    """What a command did: the events it appended, or (``duplicate``) appended the first time."""

    events: list[ContestEvent]
    duplicate: bool = False


class _Command:
    """Common preamble of a marking command: lock, idempotency, contest state, sheet state.

    The contest itself is read with the lock (its head row): a command loads no contest entity.
    """

    def __init__(self, session: Session, contestant: Contestant | ContestantRecord, command_key: str):
        if not command_key or len(command_key) > 100:
            raise ContestError("a command needs an idempotency key of 1–100 characters", field="idempotency_key")
        self.session = session
        self.contestant = contestant
        self.contest_id = contestant.contest_id
        self.head = eventlog.lock_head(session, self.contest_id)
        self._events, seen = eventlog.sheet_events_and_command(session, self.contest_id, contestant.id, command_key)
        self.done = eventlog.find_command(session, self.contest_id, command_key) if seen else []
        self.command_key = command_key
        self.ruleset: RuleSet = ruleset_by_digest(session, self.head.rule_set_digest)
        self._state: SheetState | None = None

    @property
    def state(self) -> SheetState:
        """The contestant's sheet folded from their events, read under the lock."""
        if self._state is None:
            self._state = SheetState()
            for event in self._events:
                self._state.apply(self.ruleset, event)
        return self._state

    def require_running(self) -> None:
        if self.head.status != "running":  # read under the log lock, so current
            raise InvalidState(f"contest {self.head.code} is {self.head.status}, not running")

    def require_under_review(self) -> None:
        """Corrections, spread resolutions and sign-offs go on after the end, until finalize:
        the end stops new work, not the referees' review of it."""
        if self.head.status not in ("running", "ended"):
            raise InvalidState(f"contest {self.head.code} is {self.head.status}: its marks are closed")

    def aspect(self, code: str):
        if code not in self.ruleset.aspects:
            raise NotFound(f"{code!r} is not an aspect of this contest", field="aspect_code")
        return self.ruleset.aspects[code]

    def require_stage_open(self, stage_code: str | None) -> None:
        """Marks for a stage are taken once the contestant has started it."""
        if stage_code is not None and stage_code not in self.state.stages:
            raise InvalidState(f"stage {stage_code} has not started for contestant {self.contestant.ticket_no}")

    def append(self, events: list[NewEvent], actor: str) -> Outcome:
        return Outcome(eventlog.append(self.session, self.contest_id, events, actor=actor,
                                       command_key=self.command_key, head=self.head))


_PANEL_SEAT = select(PanelMember.seat).join(Panel).where(
    Panel.contest_id == bindparam("contest_id"), Panel.site_id == bindparam("site_id"),
    Panel.aspect_code == bindparam("aspect_code"), PanelMember.referee_id == bindparam("referee_id"))


def _check_referee(session: Session, cmd: _Command, referee: Referee | RefereeRecord, aspect_code: str | None) -> None:
    contestant = cmd.contestant
    if referee.contest_id != contestant.contest_id:
        raise NotAssigned(f"referee {referee.code} does not referee this contest")
    if referee.enterprise_id is not None and referee.enterprise_id == contestant.enterprise_id:
        raise ConflictOfInterest(
            f"referee {referee.code} may not mark contestant {contestant.ticket_no}: same enterprise")
    if referee.is_chief:
        return
    if referee.site_id != contestant.site_id:
        raise NotAssigned(f"referee {referee.code} works at another site than contestant {contestant.ticket_no}")
    if aspect_code is None:
        return
    member = session.connection().execute(_PANEL_SEAT, {  # plain columns: no ORM pass (it runs on every mark)
        "contest_id": contestant.contest_id, "site_id": contestant.site_id, "aspect_code": aspect_code,
        "referee_id": referee.id}).scalar()
    if member is None:
        raise NotAssigned(f"referee {referee.code} is not on the panel for {aspect_code} at this site")


def _validate_value(ruleset: RuleSet, aspect, value: Any) -> Any:
    """Return the value as it is stored (Decimals as strings); raise ``InvalidMark`` if unusable."""
    try:
        if isinstance(aspect, JudgementAspect):
            return panel_scores(aspect, [value])[0]
        score_aspect(ruleset, aspect, value)
    except MarkError as exc:
        raise InvalidMark(exc.reason, field="value") from None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(to_decimal(aspect.code, value))
    return value


def _panel_events(cmd: _Command, aspect: JudgementAspect, referee_id: int, score: int) -> list[NewEvent]:
    """Return breach/resolution events the panel's state calls for once this score is in."""
    scores = dict(cmd.state.panels.get(aspect.code, {}))
    scores[referee_id] = score
    if aspect.max_spread is None or len(scores) < aspect.panel_size:
        return []
    spread = max(scores.values()) - min(scores.values())
    breached = aspect.code in cmd.state.breached
    ident = cmd.contestant.id
    if spread > aspect.max_spread and not breached:
        return [NewEvent("panel_spread_breached", {"spread": spread, "max_spread": aspect.max_spread,
                                                   "scores": scores}, ident, aspect.code)]
    if spread <= aspect.max_spread and breached:
        return [NewEvent("panel_spread_resolved", {"by": "re-mark", "spread": spread, "scores": scores},
                         ident, aspect.code)]
    return []


def record_mark(session: Session, *, referee: Referee | RefereeRecord, contestant: Contestant | ContestantRecord, aspect_code: str, value: Any,
                command_key: str) -> Outcome:
    """Record a referee's first mark for one aspect of one contestant.

    A judgement score is this referee's seat on the panel; a measurement is the reading. Refused
    when the referee is not on the panel at the contestant's site, is from the contestant's
    enterprise, has signed off this contestant, or already marked this aspect (correct it instead).
    """
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_running()
    aspect = cmd.aspect(aspect_code)
    if isinstance(aspect, ObjectiveAspect):
        raise InvalidMark(f"{aspect_code} is an objective item: the contestant answers it", field="aspect_code")
    _check_referee(session, cmd, referee, aspect_code)
    if referee.id in cmd.state.signed_off:
        raise SignedOff(f"referee {referee.code} has signed off contestant {contestant.ticket_no}")
    cmd.require_stage_open(aspect.stage)
    if referee.id in cmd.state.marked_by.get(aspect_code, ()):
        raise InvalidMark(f"referee {referee.code} already marked {aspect_code}; correct it with a reason",
                          field="aspect_code")
    others = set(cmd.state.marked_by.get(aspect_code, ())) - {referee.id}
    seats = aspect.panel_size if isinstance(aspect, JudgementAspect) else 1
    if len(others) >= seats:
        # A panel whose referee was replaced mid-contest: the marks given stand (correct them instead).
        raise InvalidMark(f"{aspect_code} of {contestant.ticket_no} already has its {seats} mark(s) from other "
                          "referees; a mark is changed by a correction with a reason", field="aspect_code")
    stored = _validate_value(cmd.ruleset, aspect, value)
    events = [NewEvent("mark_recorded", {"referee_id": referee.id, "value": stored}, contestant.id, aspect_code)]
    if isinstance(aspect, JudgementAspect):
        events += _panel_events(cmd, aspect, referee.id, stored)
    return cmd.append(events, f"referee:{referee.id}")


def correct_mark(session: Session, *, referee: Referee | RefereeRecord, contestant: Contestant | ContestantRecord, aspect_code: str, value: Any,
                 reason: str, command_key: str, on_behalf_of: Referee | RefereeRecord | None = None) -> Outcome:
    """Replace a mark, keeping the old one in the log with the reason for the change.

    A referee corrects their own mark until they sign off; after that only the chief referee
    may correct it, naming whose mark (``on_behalf_of``) is being replaced.
    """
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_under_review()
    if not reason or not reason.strip():
        raise InvalidMark("a correction needs a reason", field="reason")
    aspect = cmd.aspect(aspect_code)
    author = on_behalf_of or referee
    if on_behalf_of is not None and not referee.is_chief:
        raise NotAssigned("only the chief referee corrects another referee's mark")
    _check_referee(session, cmd, referee, None if referee.is_chief else aspect_code)
    if author.id in cmd.state.signed_off and not referee.is_chief:
        raise SignedOff(f"referee {author.code} has signed off contestant {contestant.ticket_no}; "
                        "ask the chief referee to correct it")
    if author.id not in cmd.state.marked_by.get(aspect_code, ()):
        raise InvalidMark(f"referee {author.code} has no mark for {aspect_code} to correct", field="aspect_code")
    stored = _validate_value(cmd.ruleset, aspect, value)
    if isinstance(aspect, JudgementAspect):
        previous = cmd.state.panels.get(aspect_code, {}).get(author.id)
    else:
        previous = cmd.state.values.get(aspect_code)
    events = [NewEvent("mark_corrected", {"referee_id": author.id, "value": stored, "previous": previous,
                                          "reason": reason.strip()}, contestant.id, aspect_code)]
    if isinstance(aspect, JudgementAspect):
        events += _panel_events(cmd, aspect, author.id, stored)
    return cmd.append(events, f"referee:{referee.id}")


def answer_item(session: Session, *, contestant: Contestant | ContestantRecord, aspect_code: str, answer: Any,
                command_key: str) -> Outcome:
    """Record a contestant's answer to an objective item; it is scored at once.

    A later answer replaces an earlier one while the item's stage is open.
    """
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_running()
    aspect = cmd.aspect(aspect_code)
    if not isinstance(aspect, ObjectiveAspect):
        raise InvalidMark(f"{aspect_code} is marked by referees, not answered", field="aspect_code")
    if load_clock(session, cmd.contest_id).is_paused(contestant.site_id):
        raise InvalidState("比赛暂停中 · the contest is paused at this site: answers wait until it resumes")
    cmd.require_stage_open(aspect.stage)
    if aspect.stage is not None and cmd.state.stages[aspect.stage].finished:
        raise InvalidState(f"stage {aspect.stage} is finished: answers are closed")
    stored = _validate_value(cmd.ruleset, aspect, answer)
    return cmd.append([NewEvent("item_answered", {"answer": stored}, contestant.id, aspect_code)],
                      f"contestant:{contestant.id}")


def apply_deduction(session: Session, *, referee: Referee | RefereeRecord, contestant: Contestant | ContestantRecord, deduction_code: str,
                    count: int = 1, note: str = "", command_key: str) -> Outcome:
    """Record occurrences of a deduction (e.g. a safety breach) with the referee's note."""
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_running()
    deduction = cmd.ruleset.deductions_by_code.get(deduction_code)
    if deduction is None:
        raise NotFound(f"{deduction_code!r} is not a deduction of this contest", field="deduction")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidMark("count is a whole number of occurrences, 1 or more", field="count")
    _check_referee(session, cmd, referee, None)
    return cmd.append([NewEvent("deduction_applied", {"deduction": deduction_code, "count": count,
                                                      "note": note, "referee_id": referee.id},
                                contestant.id)], f"referee:{referee.id}")


def start_stage(session: Session, *, contestant: Contestant | ContestantRecord, stage_code: str, actor: str, command_key: str,
                now: datetime | None = None) -> Outcome:
    """Start a contestant's stage; the one before must be cleared (闯关: one level unlocks the next)."""
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_running()
    index = _stage_index(cmd, stage_code)
    if stage_code in cmd.state.stages:
        raise InvalidState(f"stage {stage_code} has already started for {contestant.ticket_no}")
    if index > 0:
        previous = cmd.ruleset.stages[index - 1].code
        if _current_result(cmd).stages[index - 1].status != "cleared":
            raise InvalidState(f"stage {stage_code} is locked until stage {previous} is cleared")
    at = (now or utcnow()).isoformat(timespec="microseconds")
    return cmd.append([NewEvent("stage_started", {"stage": stage_code, "at": at}, contestant.id)], actor)


def finish_stage(session: Session, *, contestant: Contestant | ContestantRecord, stage_code: str, actor: str, command_key: str,
                 now: datetime | None = None) -> Outcome:
    """Finish a stage on the server clock: ``stage_cleared`` if it passes, else ``stage_failed``."""
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_running()
    index = _stage_index(cmd, stage_code)
    run = cmd.state.stages.get(stage_code)
    if run is None:
        raise InvalidState(f"stage {stage_code} has not started for {contestant.ticket_no}")
    if run.finished:
        raise InvalidState(f"stage {stage_code} is already finished for {contestant.ticket_no}")
    # Time used on the server clock, less the time the site stood paused and any extra time granted.
    end = now or utcnow()
    started = cmd.state.stage_started[stage_code]
    clock = load_clock(session, cmd.contest_id)
    lost = clock.paused_seconds(contestant.site_id, started, end) + clock.extra_seconds(
        contestant.site_id, contestant.id, stage_code)
    elapsed = max(0, int((end - started).total_seconds() - lost))
    cmd.state.stages[stage_code] = StageRun(elapsed, True)
    result = _current_result(cmd).stages[index]
    kind = "stage_cleared" if result.status == "cleared" else "stage_failed"
    payload = {"stage": stage_code, "elapsed_s": elapsed, "score": result.score}
    return cmd.append([NewEvent(kind, payload, contestant.id)], actor)


def resolve_spread(session: Session, *, chief: Referee | RefereeRecord, contestant: Contestant | ContestantRecord | ContestantRecord, aspect_code: str, reason: str,
                   score: Any = None, command_key: str) -> Outcome:
    """Unblock a panel whose spread broke the rule: accept its marks, or set the panel score."""
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_under_review()
    if not chief.is_chief or chief.contest_id != contestant.contest_id:
        raise NotAssigned("only the chief referee resolves a panel's spread")
    if not reason or not reason.strip():
        raise InvalidMark("an override needs a reason", field="reason")
    aspect = cmd.aspect(aspect_code)
    if aspect_code not in cmd.state.breached:
        raise InvalidState(f"the panel for {aspect_code} is not blocked for {contestant.ticket_no}")
    if score is not None:
        score = _validate_value(cmd.ruleset, aspect, score)
    payload = {"by": "override", "reason": reason.strip(), "score": score}
    return cmd.append([NewEvent("panel_spread_resolved", payload, contestant.id, aspect_code)],
                      f"referee:{chief.id}")


def sign_off(session: Session, *, referee: Referee | RefereeRecord, contestant: Contestant | ContestantRecord, command_key: str) -> Outcome:
    """Sign off a referee's marks for one contestant; after this only the chief may change them."""
    cmd = _Command(session, contestant, command_key)
    if cmd.done:
        return Outcome(cmd.done, duplicate=True)
    cmd.require_under_review()
    _check_referee(session, cmd, referee, None)
    if referee.id in cmd.state.signed_off:
        raise SignedOff(f"referee {referee.code} has already signed off {contestant.ticket_no}")
    return cmd.append([NewEvent("signed_off", {"referee_id": referee.id}, contestant.id)],
                      f"referee:{referee.id}")


def _stage_index(cmd: _Command, stage_code: str) -> int:
    try:
        return cmd.ruleset.stage_index(stage_code)
    except KeyError:
        raise NotFound(f"{stage_code!r} is not a stage of this contest", field="stage") from None


def _current_result(cmd: _Command):
    sheet = cmd.state.sheet()
    return assemble(cmd.ruleset, sheet, score_aspects(cmd.ruleset, sheet))
