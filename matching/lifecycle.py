"""The order lifecycle of a need, as explicit states, allowed transitions and an event for each.

::

    posted ──propose──▶ proposed ──offer──▶ offered ──accept──▶ accepted ──start──▶ in_service
      ▲                    │                   │ decline / expire                      │ complete
      └────── unpropose ───┘◀──────────────────┘ (back to matching without that team)  ▼
                                                                        rated ◀──rate── completed

``withdraw`` (by the enterprise) is allowed from posted, proposed and offered. Every transition
goes through ``move``, which refuses one the table does not allow and appends its event to the
log; nothing else changes ``Need.status``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .errors import InvalidTransition
from .models import MatchingEvent, Need

# state → {action: (next state, event kind)}
TRANSITIONS: dict[str, dict[str, tuple[str, str]]] = {
    "posted": {"propose": ("proposed", "need_proposed"), "withdraw": ("withdrawn", "need_withdrawn")},
    "proposed": {"offer": ("offered", "offer_sent"), "unpropose": ("posted", "need_unproposed"),
                 "withdraw": ("withdrawn", "need_withdrawn")},
    "offered": {"accept": ("accepted", "offer_accepted"), "decline": ("posted", "offer_declined"),
                "expire": ("posted", "offer_expired"), "withdraw": ("withdrawn", "need_withdrawn")},
    "accepted": {"start": ("in_service", "service_started")},
    "in_service": {"complete": ("completed", "service_completed")},
    "completed": {"rate": ("rated", "service_rated")},
    "rated": {},
    "withdrawn": {},
}
STATES = tuple(TRANSITIONS)
STATE_NAMES = {"posted": "待匹配 Posted", "proposed": "已推荐 Proposed", "offered": "待接单 Offered",
               "accepted": "已接单 Accepted", "in_service": "服务中 In service", "completed": "已完成 Completed",
               "rated": "已评价 Rated", "withdrawn": "已撤回 Withdrawn"}
OPEN = ("posted", "proposed")  # what a matching round works on
ACTIVE = ("offered", "accepted", "in_service")  # what counts against a team's capacity


def allowed(state: str) -> list[str]:
    return list(TRANSITIONS[state])


def move(session: Session, need: Need, action: str, /, *, actor: str, team_id: int | None = None,
         round_id: int | None = None, **payload) -> MatchingEvent:
    """Apply ``action`` to the need (or refuse it) and append the event; return the event."""
    step = TRANSITIONS[need.status].get(action)
    if step is None:
        raise InvalidTransition(f"need {need.id}", need.status, action)
    before = need.status
    need.status, kind = step
    return record(session, kind, actor=actor, need_id=need.id, team_id=team_id if team_id is not None else need.team_id,
                  round_id=round_id, before=before, after=need.status, **payload)


def record(session: Session, kind: str, /, *, actor: str, need_id: int | None = None, team_id: int | None = None,
           round_id: int | None = None, bounty_id: int | None = None, **payload) -> MatchingEvent:
    """Append one event to the matching log (flushed, so it has its id)."""
    event = MatchingEvent(kind=kind, need_id=need_id, team_id=team_id, round_id=round_id, bounty_id=bounty_id,
                          payload=payload, actor=actor)
    session.add(event)
    session.flush()
    return event
