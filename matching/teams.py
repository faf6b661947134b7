"""Service teams' own settings: whether they take new orders, how many at once, and a period when
they cannot serve (members away at a contest, on a project). Rounds honour all three.

Dates are service days in China (UTC+8, no daylight saving): a need's time window and a team's
away period are calendar days there, whatever the server's clock zone.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from . import lifecycle
from .errors import MatchingError
from .models import MatchingEvent, Need, ServiceTeam
from .orders import get_team, service_day  # noqa: F401  (service_day: rounds reads it from here)

MAX_CAPACITY = 20
UNCHANGED = object()


def update_team(session: Session, team_id: int, *, actor: str, available=UNCHANGED, capacity=UNCHANGED,
                away=UNCHANGED) -> list[MatchingEvent]:
    """Change what the team takes on. ``away`` is ``(from, until)`` or ``None`` to clear it.

    Lowering the capacity below the orders the team holds is allowed (it gets no new offers until
    it is below the limit again); nothing already offered or accepted is taken away."""
    team = get_team(session, team_id)
    changes: dict = {}
    if available is not UNCHANGED:
        if not isinstance(available, bool):
            raise MatchingError("true or false", "available")
        changes["available"] = available
    if capacity is not UNCHANGED:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise MatchingError(f"1 to {MAX_CAPACITY} concurrent orders", "capacity")
        changes["capacity"] = capacity
    if away is not UNCHANGED:
        start, end = away if away is not None else (None, None)
        if (start is None) != (end is None):
            raise MatchingError("give both away_from and away_until, or neither", "away_until")
        if start is not None and end < start:
            raise MatchingError("before away_from", "away_until")
        changes["away_from"], changes["away_until"] = start, end
    before = {name: getattr(team, name) for name in changes}
    changed = {name: value for name, value in changes.items() if before[name] != value}
    if not changed:
        return []
    for name, value in changed.items():
        setattr(team, name, value)
    return [lifecycle.record(session, "team_updated", actor=actor, team_id=team.id,
                             **{name: _plain(value) for name, value in changed.items()},
                             before={name: _plain(before[name]) for name in changed})]


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def window_passed(need: Need, today: date) -> bool:
    return need.window_end is not None and need.window_end < today


def away_for_window(needs: list[Need], teams: list[ServiceTeam], today: date) -> np.ndarray:
    """needs × teams: True where the team is away for the whole of the need's remaining window.

    A need's window runs from ``window_start`` (or today, whichever is later) to ``window_end``
    (open-ended when unset), so a team away for a while can still take a need without an end
    date: it serves after it is back."""
    mask = np.zeros((len(needs), len(teams)), dtype=bool)
    away = [(k, t.away_from.toordinal(), t.away_until.toordinal()) for k, t in enumerate(teams)
            if t.away_until is not None and t.away_until >= today]
    if not away or not needs:
        return mask
    first = today.toordinal()
    start = np.array([max(n.window_start.toordinal(), first) if n.window_start else first for n in needs])
    end = np.array([n.window_end.toordinal() if n.window_end else date.max.toordinal() for n in needs])
    for k, away_from, away_until in away:
        mask[:, k] = (start >= away_from) & (end <= away_until)
    return mask
