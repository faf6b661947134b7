"""Keep each contest's projection current by tailing its log in the database.

A process holds projections only as a cache: ``current`` reads the events after the last one
it applied, so every server process converges on the same boards from the same log, whoever
appended the events.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from . import eventlog
from .errors import ContestNotFound
from .eventlog import LoggedEvent
from .models import Contest, Contestant, RuleSetVersion
from .projections import ContestProjection, Entry
from .setup import ruleset_of


def load_entries(session: Session, contest_id: int, ids: set[int] | None = None) -> list[Entry]:
    query = select(Contestant.id, Contestant.site_id).where(Contestant.contest_id == contest_id)
    if ids is not None:
        query = query.where(Contestant.id.in_(ids))
    return [Entry(ident, site) for ident, site in session.execute(query.order_by(Contestant.id))]


def rebuild(session: Session, contest_id: int, until_seq: int | None = None,
            revealed: frozenset[int] = frozenset()) -> ContestProjection:
    """Build a contest's projection from its whole log, or as a frozen board shows it: the events
    up to ``until_seq``, plus every event of the ``revealed`` contestants (滚榜)."""
    contest = session.get(Contest, contest_id)
    if contest is None:
        raise ContestNotFound(contest_id)
    events = eventlog.iter_events(session, contest_id)
    if until_seq is not None:
        events = (event for event in events if event.seq <= until_seq or event.contestant_id in revealed)
    return ContestProjection.rebuild(ruleset_of(contest), load_entries(session, contest_id), events)


_HEAD = (
    select(Contest.last_seq, RuleSetVersion.digest,
           select(func.max(Contestant.id)).where(Contestant.contest_id == Contest.id).scalar_subquery())
    .join(RuleSetVersion, RuleSetVersion.id == Contest.rule_set_version_id)
    .where(Contest.id == bindparam("contest_id"))
)


class ProjectionCache:
    """Per-process cache of projections, each brought up to date from the log on every read."""

    def __init__(self):
        self._projections: dict[tuple[int, str], ContestProjection] = {}
        self._lock = threading.RLock()

    def current(self, session: Session, contest_id: int) -> ContestProjection:
        # One round trip tells whether anything is new: the log head, the rule set (a draft whose
        # rule set changed starts afresh) and the newest contestant (late registrations).
        head = session.execute(_HEAD, {"contest_id": contest_id}).first()
        if head is None:
            raise ContestNotFound(contest_id)
        last_seq, digest, newest_id = head
        key = (contest_id, digest)
        with self._lock:
            projection = self._projections.get(key)
            if projection is None:
                projection = self._projections[key] = rebuild(session, contest_id)
                return projection
            # Ids only grow, so a newest id we do not know means new entries.
            if newest_id is not None and newest_id not in projection.entries:
                known = set(projection.entries)
                for entry in load_entries(session, contest_id):
                    if entry.contestant_id not in known:
                        projection.add_entry(entry)
            if last_seq > projection.seq:
                for event in eventlog.iter_events(session, contest_id, after_seq=projection.seq, to_seq=last_seq):
                    projection.apply(event)
            return projection

    @contextmanager
    def reading(self, session: Session, contest_id: int) -> Iterator[ContestProjection]:
        """Hold the cache's lock while the caller reads a current projection.

        Another thread may be applying events to the same projection; boards must not be read
        half-updated (nor a sorted list iterated while it changes).
        """
        with self._lock:
            yield self.current(session, contest_id)

    @contextmanager
    def reading_after(self, contest_id: int, digest: str, events: list[LoggedEvent]) -> Iterator[ContestProjection | None]:
        """Apply events this process has just committed and hold the projection for reading, when
        the cached projection stands right before them: the same as reading them back from the
        log, without the round trips. Yields None when it does not (never built, behind, or a
        contestant it does not know yet); the caller then reads through ``reading``."""
        with self._lock:
            projection = self._projections.get((contest_id, digest))
            if (projection is None or not events or projection.seq != events[0].seq - 1
                    or any(e.contestant_id is not None and e.contestant_id not in projection.entries for e in events)):
                yield None
                return
            for event in events:
                projection.apply(event)
            yield projection

    def clear(self) -> None:
        with self._lock:
            self._projections.clear()
