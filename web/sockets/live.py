"""The ``/live`` namespace: join a room, get a snapshot or the missed deltas. See docs/live-protocol.md.

Clients only listen here; every write goes through the REST API, so one set of checks guards it.
Each event checks the connection's principal against the room it asks for.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, join_room, leave_room

from competition.access import display_link
from competition.livefeed import own_row
from competition.errors import ContestNotFound
from competition.models import Contest, Contestant, Site
from profiles.accounts import principal_of_token

from ..auth import Principal, load_principal
from ..extensions import db
from ..realtime import NAMESPACE, server_time_ms

SCOPES = ("contest", "site", "contestant", "referee")
MATCHING_SCOPES = ("team", "enterprise", "matching")


def _refuse(error: str, message: str) -> dict:
    return {"ok": False, "error": error, "message": message}


class LiveNamespace(Namespace):
    def __init__(self):
        super().__init__(NAMESPACE)
        self.principals: dict[str, Principal] = {}

    # --- connection ------------------------------------------------------------------------
    def on_connect(self, auth=None):
        principal = self._authenticate(auth if isinstance(auth, dict) else {})
        db().session.close()
        if principal is None:
            raise ConnectionRefusedError("unauthorized: sign in, or pass auth {token} or {display}")
        self.principals[request.sid] = principal
        if principal.role == "display":
            join_room(f"display-link:{principal.ident}")  # so that revoking the link can cut it off

    def display_links(self) -> set[int]:
        """The display links this process's screens are signed in with."""
        return {p.ident for p in list(self.principals.values()) if p.role == "display"}

    def drop_display(self, link_id: int) -> None:
        """Disconnect this process's screens signed in with a revoked link (they cannot reconnect:
        the link is refused at connect). Other processes find the revocation in the database when
        they next look at the log (``Publisher``'s poll) and drop theirs."""
        manager = self.socketio.server.manager
        for sid, _ in list(manager.get_participants(NAMESPACE, f"display-link:{link_id}")):
            self.socketio.server.disconnect(sid, namespace=NAMESPACE)

    def on_disconnect(self, reason=None):
        self.principals.pop(request.sid, None)

    def _authenticate(self, auth: dict) -> Principal | None:
        session = db().session
        if isinstance(auth.get("display"), str):
            link = display_link(session, auth["display"])
            return load_principal(f"display:{link.id}", via_token=True) if link else None
        if isinstance(auth.get("token"), str):
            principal = principal_of_token(session, auth["token"])
            return load_principal(principal, via_token=True) if principal else None
        return current_user if getattr(current_user, "is_authenticated", False) else None

    # --- events ----------------------------------------------------------------------------
    def on_time(self, _data=None):
        """Return the server clock (ms since the epoch), for a tablet to correct its own clock."""
        return {"ok": True, "server_time": server_time_ms()}

    def on_join(self, data):
        """Join a room; answer with a snapshot, or with the deltas after ``since``, or a resync."""
        try:
            return self._join(data)
        finally:
            db().session.close()

    def on_leave(self, data):
        found = self._room_for(data) if isinstance(data, dict) else None
        if found is None or isinstance(found, dict):
            return _refuse("bad_request", "leave needs the same contest and scope as join")
        leave_room(found[0])
        return {"ok": True}

    # --- helpers -----------------------------------------------------------------------------
    def _join(self, data):
        if not isinstance(data, dict):
            return _refuse("bad_request", "join takes an object: {contest, scope, site?, contestant?, since?}")
        if data.get("scope") in MATCHING_SCOPES:
            return self._join_matching(data)
        since = data.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            return _refuse("bad_request", "since: a sequence number (integer ≥ 0)")
        found = self._room_for(data)
        if isinstance(found, dict):
            return found
        room, (contest, scope, target) = found
        join_room(room)
        publisher = current_app.extensions["jx_publisher"]
        if room.startswith(("contest:", "site:")):
            feed, frozen = publisher.public_feed(contest.id)
        else:
            feed, frozen = publisher.feed(contest.id), False
        answer = {"ok": True, "contest_id": contest.id, "scope": scope, "room": room, "seq": feed.seq,
                  "frozen": frozen, "server_time": server_time_ms()}
        if scope == "referee":
            return answer
        if scope == "contestant":
            answer.update(kind="snapshot", row=own_row(feed.rows.get(target)))
            return answer
        site_id = target if scope == "site" else None
        if since is not None:
            missed = feed.since(since, site_id)
            if missed is not None:
                answer.update(kind="deltas", deltas=[d.as_json() for d in missed])
                return answer
            answer.update(kind="resync", snapshot=feed.snapshot(site_id))
            return answer
        answer.update(kind="snapshot", snapshot=feed.snapshot(site_id))
        return answer

    def _join_matching(self, data: dict):
        """Matching rooms: a team its inbox, an enterprise's HR its needs, staff the console. The
        messages say what changed; clients re-read it over the REST API."""
        principal = self.principals.get(request.sid)
        if principal is None:
            return _refuse("unauthorized", "not signed in")
        who, scope = principal.scope, data["scope"]
        ident = data.get("id")
        if scope == "matching" and who.role == "admin":
            room = "matching:staff"
        elif scope == "team" and (who.role == "admin" or (who.role == "team" and who.service_team_id == ident)):
            room = f"team:{ident}" if isinstance(ident, int) and not isinstance(ident, bool) else None
        elif scope == "enterprise" and (who.role == "admin" or (who.role == "hr" and who.enterprise_id == ident)):
            room = f"enterprise:{ident}" if isinstance(ident, int) and not isinstance(ident, bool) else None
        else:
            return _refuse("forbidden", f"{who.role} may not follow {scope} {ident}")
        if room is None:
            return _refuse("bad_request", "id: the team's or enterprise's id (an integer)")
        join_room(room)
        return {"ok": True, "scope": scope, "room": room, "server_time": server_time_ms()}

    def _room_for(self, data: dict):
        """Return ``(room, (contest, scope, target id))`` the principal may join, or a refusal."""
        principal = self.principals.get(request.sid)
        if principal is None:
            return _refuse("unauthorized", "not signed in")
        scope = data.get("scope")
        if scope not in SCOPES:
            return _refuse("bad_request", f"scope: one of {', '.join(SCOPES)}")
        session = db().session
        code = data.get("contest")
        contest = session.query(Contest).filter_by(code=code).one_or_none() if isinstance(code, str) else None
        if contest is None:
            return _refuse("not_found", str(ContestNotFound(code)))
        who = principal.scope
        if not who.may_read_contest(contest.id):
            return _refuse("forbidden", "this sign-in belongs to another contest")
        if scope == "contest":
            if who.role == "admin":
                return f"staff:{contest.id}", (contest, scope, contest.id)  # staff always see it live
            if who.role in ("display", "referee") and who.site_id is None:
                return f"contest:{contest.id}", (contest, scope, contest.id)
            return _refuse("forbidden", f"{who.role} may not watch the whole contest")
        if scope == "site":
            site_id = data.get("site")
            site = session.get(Site, site_id) if isinstance(site_id, int) and not isinstance(site_id, bool) else None
            if site is None or site.contest_id != contest.id:
                return _refuse("not_found", "site: no such site in this contest")
            if who.role in ("admin", "display", "referee") and who.may_read_site(contest.id, site.id):
                return f"site:{site.id}", (contest, scope, site.id)
            return _refuse("forbidden", f"{who.role} may not watch site {site.code}")
        if scope == "contestant":
            ident = data.get("contestant")
            contestant = session.get(Contestant, ident) if isinstance(ident, int) and not isinstance(ident, bool) else None
            if contestant is None or contestant.contest_id != contest.id:
                return _refuse("not_found", "contestant: no such contestant in this contest")
            if who.role == "admin" or (who.role == "contestant" and who.ident == contestant.id):
                return f"contestant:{contestant.id}", (contest, scope, contestant.id)
            return _refuse("forbidden", "only the contestant themself (or staff) may follow a contestant's sheet")
        if who.role == "referee":
            return f"referee:{who.ident}", (contest, scope, who.ident)
        return _refuse("forbidden", "only a referee has a referee room")
