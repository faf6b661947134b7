"""The one place that pushes to Socket.IO clients.

Views call ``publish(contest_id, events)`` after their commit; nothing else emits. Board changes
are coalesced: ``publish`` only marks the contest dirty and wakes a background task, which after
a short window (``LIVE_COALESCE_MS``) brings the contest's feed up to the log and sends one delta
per room — so a burst of 50 marks costs each big screen one message, not 50. Messages that one
person must see at once (a panel's spread breached, to that panel's referees) are not delayed.

Every emit goes through ``socketio.emit`` with a room. With ``JX_MESSAGE_QUEUE`` set, several
server processes share Redis, and two kinds of message travel differently. Messages that carry a
log position (deltas, sheets) come from the feed of the process the client is connected to, and
go to that process's own clients only (``ignore_queue``): each process follows the log itself,
noticing other processes' appends by looking at the log head every ``LIVE_POLL_MS``, so a client
always hears one consistent sequence of positions, the one it joined at. Messages without a
position (the contest's state changed, a panel notice, a matching event) go through Redis to
whichever process holds the room. Rooms:
``staff:<id>`` staff (always live), ``contest:<id>`` whole-contest screens, ``site:<id>`` one
site's screens, ``contestant:<id>`` that contestant's tablet, ``referee:<id>`` that referee's
tablet. While the public board is frozen, ``contest:`` and ``site:`` rooms get no deltas: joining
them gives the board as it stood at the freeze; on thaw they are told to catch up.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Iterable

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import select

from competition import readmodel
from competition.livefeed import ContestFeed, Delta, RosterEntry, load_roster, own_row
from competition.models import Contest, ContestEvent, Contestant, DisplayLink, Panel, PanelMember, Referee
from competition.projections import ContestProjection
from competition.readmodel import ProjectionCache
from matching.models import Need

NAMESPACE = "/live"


def server_time_ms() -> int:
    return int(time.time() * 1000)


class Publisher:
    """Feeds per contest, coalesced delta pushes, and the snapshots and history clients resume from."""

    def __init__(self, app: Flask, socketio: SocketIO, projections: ProjectionCache):
        self.app = app
        self.socketio = socketio
        self.projections = projections
        self.window_s = app.config.get("LIVE_COALESCE_MS", 100) / 1000
        self.poll_s = app.config.get("LIVE_POLL_MS", 0) / 1000
        self.background = app.config.get("LIVE_BACKGROUND", True)
        self._feeds: dict[int, ContestFeed] = {}
        self._rosters: dict[int, dict[int, RosterEntry]] = {}
        self._roster_checked: dict[int, int] = {}  # contest → projection entries when the roster was checked
        self._dirty: set[int] = set()
        self._frozen: dict[tuple, tuple[ContestProjection, ContestFeed]] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._task = None
        self.sent = 0  # messages emitted, for the benchmark

    # --- called by views, after commit -------------------------------------------------------
    def publish(self, contest_id: int, events: Iterable[ContestEvent], *, contest_changed: bool = False) -> None:
        """Hand over what a view committed. ``contest_changed``: the contest's state moved (start,
        end, freeze, thaw, finalize), so screens are told at once, not after the window."""
        events = list(events)
        if contest_changed:
            # Screens re-join on this (with their seq): after a thaw they catch up at once.
            message = {"contest_id": contest_id, "kinds": [e.kind for e in events],
                       "seq": max((e.seq for e in events), default=None)}
            feed = self._feeds.get(contest_id)
            rooms = [f"staff:{contest_id}", f"contest:{contest_id}"] + [f"site:{s}" for s in (feed.sites() if feed else ())]
            for room in rooms:
                self.socketio.emit("contest", message, namespace=NAMESPACE, to=room)
        for event in events:
            if event.kind == "panel_spread_breached":
                self._notify_panel(contest_id, event)
            elif event.kind == "panel_assigned":
                self._notify_panel_change(contest_id, event)
        with self._lock:
            self._dirty.add(contest_id)
        if self.background:
            self._ensure_task()
            self._wake.set()

    def publish_matching(self, events: Iterable) -> None:
        """Tell the parties of each matching event at once (an inbox is small; nothing to coalesce):
        the team it concerns (``team:<id>``), the enterprise whose need it is (``enterprise:<id>``)
        and the staff console (``matching:staff``). Clients re-read what they show on a message."""
        events = list(events)
        if not events:
            return
        need_ids = {e.need_id for e in events if e.need_id is not None}
        enterprise_of = {}
        if need_ids:
            with self.app.app_context(), self._reader() as session:
                enterprise_of = dict(session.execute(select(Need.id, Need.enterprise_id)
                                                     .where(Need.id.in_(need_ids))).all())
        for event in events:
            message = {"kind": event.kind, "event_id": event.id, "need_id": event.need_id, "team_id": event.team_id,
                       "round_id": event.round_id, "bounty_id": event.bounty_id, "server_time": server_time_ms()}
            rooms = ["matching:staff"]
            if event.team_id is not None:
                rooms.append(f"team:{event.team_id}")
            if event.need_id in enterprise_of:
                rooms.append(f"enterprise:{enterprise_of[event.need_id]}")
            for room in rooms:
                self.socketio.emit("matching", message, namespace=NAMESPACE, to=room)
            self.sent += len(rooms)

    # --- the coalescing loop ------------------------------------------------------------------
    def _ensure_task(self) -> None:
        with self._lock:
            if self._task is None:
                self._task = self.socketio.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            if self._wake.wait(self.poll_s or None):
                # Let the burst gather: everything published within the window goes out together.
                self.socketio.sleep(self.window_s)
                self._wake.clear()
            try:
                if self.poll_s:
                    self._notice_appends()
                    self._notice_revocations()
                self.flush()
            except Exception:  # a failed push must not stop the loop; the next flush catches up
                self.app.logger.exception("live: flush failed")

    def _notice_revocations(self) -> None:
        """Disconnect this process's screens whose display link was revoked, wherever the
        revocation was handled (the database says; one query per poll while screens are on)."""
        live = self.app.extensions.get("jx_live")
        links = live.display_links() if live is not None else set()
        if not links:
            return
        with self.app.app_context(), self._reader() as session:
            revoked = session.scalars(select(DisplayLink.id).where(DisplayLink.id.in_(links),
                                                                   DisplayLink.revoked_at.is_not(None))).all()
        for link_id in revoked:
            live.drop_display(link_id)

    def _notice_appends(self) -> None:
        """Mark dirty every followed contest whose log head moved past its feed: events another
        server process appended (one small query per poll for all of them)."""
        with self._lock:
            positions = {contest_id: feed.seq for contest_id, feed in self._feeds.items()}
        if not positions:
            return
        with self.app.app_context(), self._reader() as session:
            heads = session.execute(select(Contest.id, Contest.last_seq).where(Contest.id.in_(positions))).all()
        moved = {contest_id for contest_id, head in heads if head > positions[contest_id]}
        if moved:
            with self._lock:
                self._dirty |= moved

    def flush(self) -> int:
        """Bring every dirty contest's feed up to its log and push the deltas; return messages sent."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        sent = 0
        for contest_id in sorted(dirty):
            with self.app.app_context(), self._reader() as session:
                with self._lock:
                    delta, frozen = self._advance(session, contest_id)
            if delta is not None:
                sent += self._push(contest_id, delta, public=not frozen)
        self.sent += sent
        return sent

    def _advance(self, session, contest_id: int) -> tuple[Delta | None, bool]:
        """Bring the feed to the log; return its delta and whether the public board is frozen
        (as of the same position)."""
        with self.projections.reading(session, contest_id) as projection:
            return self._advance_feed(session, contest_id, projection), projection.board_state.frozen

    def _advance_feed(self, session, contest_id: int, projection) -> Delta | None:
        roster = self._rosters.get(contest_id)
        # Entries only ever join a projection: look for ones the roster lacks only when they did.
        if roster is None or (len(projection.entries) != self._roster_checked.get(contest_id)
                              and not projection.entries.keys() <= roster.keys()):
            roster = self._rosters[contest_id] = load_roster(session, contest_id)
        self._roster_checked[contest_id] = len(projection.entries)
        feed = self._feeds.get(contest_id)
        if feed is None:
            feed = self._feeds[contest_id] = ContestFeed(contest_id)
            feed.advance(projection, roster)
            return None
        return feed.advance(projection, roster)

    def _push(self, contest_id: int, delta: Delta, *, public: bool) -> int:
        stamp = server_time_ms()
        whole = {"contest_id": contest_id, "scope": "contest", "server_time": stamp, **delta.as_json()}
        self._emit_local("delta", whole, f"staff:{contest_id}")
        sent = 1
        # A tablet hears when its contestant's own result changed (not when others' marks move
        # its rank: ranks are the public board's, which a freeze hides).
        for row in delta.rows:
            self._emit_local("sheet", {"contest_id": contest_id, "contestant_id": row["id"], "seq": delta.seq,
                                       "row": own_row(row)}, f"contestant:{row['id']}")
            sent += 1
        if not public:
            return sent  # frozen: the public rooms keep the board as it stood
        self._emit_local("delta", whole, f"contest:{contest_id}")
        sent += 1
        # Every site room gets every delta, empty or not, so its sequence numbers stay contiguous.
        for site_id in self._feeds[contest_id].sites():
            part = delta.for_site(site_id)
            self._emit_local("delta", {"contest_id": contest_id, "scope": "site", "site_id": site_id,
                                       "server_time": stamp, **part.as_json()}, f"site:{site_id}")
            sent += 1
        return sent

    def _emit_local(self, event: str, message: dict, room: str) -> None:
        """A message carrying this process's feed positions, to this process's clients in the room
        (the other processes tell theirs, from their own feeds)."""
        self.socketio.emit(event, message, namespace=NAMESPACE, to=room, ignore_queue=True)

    def _reader(self):
        """A read-only session: everything the publisher reads may be read under its lock."""
        return self.app.extensions["jx_db"].read_session_factory()

    def _notify_panel(self, contest_id: int, event: ContestEvent) -> None:
        """Tell the panel's referees at once that their scores are too far apart."""
        with self.app.app_context():
            session = self._reader()
            try:
                contestant = session.get(Contestant, event.contestant_id)
                members = session.scalars(
                    select(PanelMember.referee_id).join(Panel, Panel.id == PanelMember.panel_id)
                    .where(Panel.contest_id == contest_id, Panel.site_id == contestant.site_id,
                           Panel.aspect_code == event.aspect_code)).all()
                notice = {"contest_id": contest_id, "kind": "panel_spread_breached", "seq": event.seq,
                          "contestant_id": contestant.id, "ticket_no": contestant.ticket_no,
                          "aspect_code": event.aspect_code, "payload": json.loads(event.payload)}
            finally:
                session.close()
        for referee_id in members:
            self.socketio.emit("notice", notice, namespace=NAMESPACE, to=f"referee:{referee_id}")
        self.sent += len(members)

    def _notify_panel_change(self, contest_id: int, event: ContestEvent) -> None:
        """Tell the referees who joined or left a panel at once: their tablets reload assignments."""
        payload = json.loads(event.payload)
        with self.app.app_context():
            session = self._reader()
            try:
                referees = session.scalars(select(Referee.id).where(
                    Referee.contest_id == contest_id,
                    Referee.code.in_(set(payload["before"]) | set(payload["after"])))).all()
            finally:
                session.close()
        notice = {"contest_id": contest_id, "kind": "panel_assigned", "seq": event.seq,
                  "aspect_code": event.aspect_code, "payload": payload}
        for referee_id in referees:
            self.socketio.emit("notice", notice, namespace=NAMESPACE, to=f"referee:{referee_id}")
        self.sent += len(referees)

    # --- what joining and resuming clients get -------------------------------------------------
    def feed(self, contest_id: int) -> ContestFeed:
        """Return the contest's live feed, brought up to the log (a joining client sees the latest)."""
        if self.background and self.poll_s > 0:
            self._ensure_task()  # this process now follows the contest: appends elsewhere reach it
        with self._reader() as session:
            with self._lock:
                delta, frozen = self._advance(session, contest_id)
                feed = self._feeds[contest_id]
            if delta is not None:
                # Others in the rooms move to the same position.
                self._push(contest_id, delta, public=not frozen)
        return feed

    def public_feed(self, contest_id: int) -> tuple[ContestFeed, bool]:
        """Return the feed public screens see, and whether it is frozen (then as of the freeze)."""
        live = self.feed(contest_id)
        frozen = self.frozen_projection(contest_id)
        if frozen is None:
            return live, False
        return frozen[1], True

    def frozen_projection(self, contest_id: int) -> tuple[ContestProjection, ContestFeed] | None:
        """The board as it stood at the freeze (rebuilt once per freeze), or None when not frozen."""
        with self._reader() as session:
            with self.projections.reading(session, contest_id) as projection:
                state = projection.board_state  # kept by the projection: no search of the log per join
            if not state.frozen:
                return None
            key = (contest_id, state.frozen_at_seq, state.revealed)
            with self._lock:
                frozen = self._frozen.get(key)
                if frozen is None:
                    projection = readmodel.rebuild(session, contest_id, until_seq=state.frozen_at_seq,
                                                   revealed=frozenset(state.revealed))
                    feed = ContestFeed(contest_id)
                    feed.advance(projection, self._rosters.get(contest_id) or load_roster(session, contest_id))
                    frozen = self._frozen[key] = (projection, feed)
        return frozen
