"""The contest clock: pauses (all sites or one) and extra time, folded from the log.

A stage's time used is the wall-clock time since it started, less the time its site was paused
and less any extra time granted for it (to the contestant, their site or everyone): lost time is
given back. Times are the server clock's, carried in each pause's payload (``at``), as stage
starts carry theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import eventlog
from .models import ContestEvent

CLOCK_KINDS = ("contest_paused", "contest_resumed", "time_extended")


@dataclass
class ContestClock:
    # site id (None: every site) → [start, end or None while paused]
    pauses: dict[int | None, list[list]] = field(default_factory=dict)
    # (site id or None, contestant id or None, stage code, seconds)
    extensions: list[tuple[int | None, int | None, str, int]] = field(default_factory=list)

    def apply(self, kind: str, payload: dict, contestant_id: int | None) -> None:
        at = datetime.fromisoformat(payload["at"]) if "at" in payload else None
        if kind == "contest_paused":
            self.pauses.setdefault(payload.get("site_id"), []).append([at, None])
        elif kind == "contest_resumed":
            intervals = self.pauses.get(payload.get("site_id"))
            if intervals and intervals[-1][1] is None:
                intervals[-1][1] = at
        elif kind == "time_extended":
            self.extensions.append((payload.get("site_id"), contestant_id, payload["stage"], int(payload["seconds"])))

    def is_paused(self, site_id: int | None) -> bool:
        """Whether ``site_id`` is paused (by a pause of its own or of every site); None asks about all."""
        scopes = (None,) if site_id is None else (None, site_id)
        return any(self.pauses.get(scope) and self.pauses[scope][-1][1] is None for scope in scopes)

    def paused_seconds(self, site_id: int, start: datetime, end: datetime) -> float:
        """Seconds of ``[start, end]`` during which the site stood still (overlapping pauses counted once)."""
        spans = sorted((max(s, start), min(e or end, end)) for scope in (None, site_id)
                       for s, e in self.pauses.get(scope, ()) if (e or end) > start and s < end)
        total, reach = 0.0, start
        for s, e in spans:
            if e <= reach:
                continue
            total += (e - max(s, reach)).total_seconds()
            reach = e
        return total

    def extra_seconds(self, site_id: int, contestant_id: int, stage: str) -> int:
        return sum(seconds for site, contestant, code, seconds in self.extensions
                   if code == stage and (contestant == contestant_id or
                                         (contestant is None and site in (None, site_id))))

    def paused_since(self, site_id: int) -> datetime | None:
        """When the pause now holding ``site_id`` began (the earliest open one), or None."""
        open_starts = [self.pauses[scope][-1][0] for scope in (None, site_id)
                       if self.pauses.get(scope) and self.pauses[scope][-1][1] is None]
        return min(open_starts) if open_starts else None


def load_clock(session: Session, contest_id: int) -> ContestClock:
    clock = ContestClock()
    rows = session.execute(select(ContestEvent.kind, ContestEvent.payload, ContestEvent.contestant_id)
                           .where(ContestEvent.contest_id == contest_id, ContestEvent.kind.in_(CLOCK_KINDS))
                           .order_by(ContestEvent.seq))
    for kind, payload, contestant_id in rows:
        clock.apply(kind, eventlog.decode_payload(payload), contestant_id)
    return clock
