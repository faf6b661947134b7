"""What live screens are sent: board rows, their changes between two log positions, and history.

A ``ContestFeed`` turns a contest's projection into rows a screen shows (rank, site rank, total,
where the contestant stands in the 闯关 stages) and, each time it advances, into a ``Delta``: the
rows whose shown values changed between two sequence numbers. Rows carry absolute values, never
increments, so applying a delta twice or applying a wider delta over a narrower one is harmless;
a client applies a delta when ``from_seq <= its seq < delta.seq`` and asks to resume otherwise.

The feed keeps the last deltas so a reconnecting screen gets only what it missed; when its
position is older than the history, it must resync from a snapshot. No Flask here: the web
layer decides who receives what.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.models import Enterprise, Worker

from .models import Contestant, Site
from .projections import ContestProjection, progress_position


@dataclass(frozen=True)
class RosterEntry:
    ticket_no: str
    name: str
    enterprise: str
    site_id: int


def load_roster(session: Session, contest_id: int) -> dict[int, RosterEntry]:
    rows = session.execute(
        select(Contestant.id, Contestant.ticket_no, Worker.name, Enterprise.name, Contestant.site_id)
        .join(Worker, Worker.id == Contestant.worker_id)
        .outerjoin(Enterprise, Enterprise.id == Contestant.enterprise_id)
        .where(Contestant.contest_id == contest_id))
    return {ident: RosterEntry(ticket, name, enterprise or "", site) for ident, ticket, name, enterprise, site in rows}


def load_sites(session: Session, contest_id: int) -> dict[int, dict]:
    return {s.id: {"id": s.id, "code": s.code, "name": s.name, "city": s.city}
            for s in session.scalars(select(Site).where(Site.contest_id == contest_id).order_by(Site.id))}


@dataclass(frozen=True)
class Delta:
    """The changes between two log positions: whole ``rows`` for contestants whose own result
    changed, and ``ranks`` — (id, site id, rank, site rank) — for those who only moved because
    others scored. A mark that lifts one contestant past a hundred tied ones is one row and a
    hundred small triples, not a hundred and one rows."""

    contest_id: int
    from_seq: int
    seq: int
    rows: tuple[dict, ...]
    progress: dict | None = None  # level progress per site, when it changed
    ranks: tuple[tuple[int, int, int, int | None], ...] = ()

    def for_site(self, site_id: int) -> Delta:
        return Delta(self.contest_id, self.from_seq, self.seq,
                     tuple(r for r in self.rows if r["site_id"] == site_id),
                     None if self.progress is None else {site_id: self.progress.get(site_id, {})},
                     tuple(r for r in self.ranks if r[1] == site_id))

    def as_json(self) -> dict:
        out = {"from_seq": self.from_seq, "seq": self.seq, "rows": list(self.rows),
               "ranks": [[ident, rank, site_rank] for ident, _, rank, site_rank in self.ranks]}
        if self.progress is not None:
            out["progress"] = {str(site): counts for site, counts in self.progress.items()}
        return out


OWN_FIELDS = ("id", "ticket_no", "name", "enterprise", "site_id", "total", "complete", "flags", "stage", "stage_status")


def own_row(row: dict | None) -> dict | None:
    """A contestant's own row as their tablet shows it: their result, not where others' marks put
    them (ranks are on the public board, which honours the freeze)."""
    return None if row is None else {name: row[name] for name in OWN_FIELDS}


def _row(ident: int, site_id: int, rank: int, site_rank: int | None, result, person: RosterEntry | None) -> dict:
    stage, status = progress_position(result) if result.stages else ("", "")
    return {
        "id": ident,
        "ticket_no": person.ticket_no if person else "",
        "name": person.name if person else "",
        "enterprise": person.enterprise if person else "",
        "site_id": site_id,
        "rank": rank,
        "site_rank": site_rank,
        "total": str(result.total),
        "complete": result.complete,
        "flags": list(result.flags),
        "stage": stage,
        "stage_status": status,
    }


def _site_ranks(projection: ContestProjection) -> dict[int, int]:
    return {row.contestant_id: row.rank for site_id in projection.by_site for row in projection.board(site_id)}


def board_rows(projection: ContestProjection, roster: dict[int, RosterEntry]) -> dict[int, dict]:
    """Return every contestant's shown row, keyed by contestant id."""
    site_ranks = _site_ranks(projection)
    return {row.contestant_id: _row(row.contestant_id, row.site_id, row.rank, site_ranks.get(row.contestant_id),
                                    row.result, roster.get(row.contestant_id))
            for row in projection.board()}


@dataclass
class ContestFeed:
    """The published state of one contest's board and the recent deltas that led to it."""

    contest_id: int
    history: int = 500
    seq: int = 0
    rows: dict[int, dict] = field(default_factory=dict)
    progress: dict = field(default_factory=dict)
    deltas: deque = field(default_factory=deque)
    started: bool = False
    _shown: dict = field(default_factory=dict, repr=False)  # id → (rank, site rank, result) last shown

    def advance(self, projection: ContestProjection, roster: dict[int, RosterEntry]) -> Delta | None:
        """Bring the feed to the projection's position; return the delta, or None if nothing moved."""
        if self.started and projection.seq <= self.seq and len(projection.entries) == len(self.rows):
            return None
        progress = projection.level_progress()
        if not self.started:
            self.rows, self.progress, self.seq, self.started = board_rows(projection, roster), progress, projection.seq, True
            self._shown = {ident: (row["rank"], row["site_rank"], projection.results[ident])
                           for ident, row in self.rows.items()}
            return None
        # Only rows whose rank, site rank or result object moved are rebuilt and compared: a flush
        # costs a walk over the ranks, not a dict per contestant (results are replaced, never mutated).
        site_ranks = _site_ranks(projection)
        changed, moved = [], []
        for row in projection.board():
            ident = row.contestant_id
            key = (row.rank, site_ranks.get(ident), row.result)
            old = self._shown.get(ident)
            if old is not None and old[0] == key[0] and old[1] == key[1] and old[2] is key[2]:
                continue
            self._shown[ident] = key
            before = self.rows.get(ident)
            if old is not None and old[2] is key[2] and before is not None:
                # Moved by others' marks only: a new dict (deltas in the history keep the old one).
                self.rows[ident] = {**before, "rank": key[0], "site_rank": key[1]}
                moved.append((ident, row.site_id, key[0], key[1]))
                continue
            shown = _row(ident, row.site_id, key[0], key[1], row.result, roster.get(ident))
            if before == shown:
                continue
            self.rows[ident] = shown
            if before is not None and own_row(before) == own_row(shown):
                moved.append((ident, row.site_id, key[0], key[1]))
            else:
                changed.append(shown)
        delta = Delta(self.contest_id, self.seq, projection.seq, tuple(changed),
                      progress if progress != self.progress else None, tuple(moved))
        self.progress, self.seq = progress, projection.seq
        self.deltas.append(delta)
        while len(self.deltas) > self.history:
            self.deltas.popleft()
        return delta

    def sites(self) -> list[int]:
        return sorted({row["site_id"] for row in self.rows.values()})

    def snapshot(self, site_id: int | None = None) -> dict:
        rows = sorted(self.rows.values(), key=lambda r: (r["rank"], r["ticket_no"]))
        progress = self.progress
        if site_id is not None:
            rows = sorted((r for r in rows if r["site_id"] == site_id), key=lambda r: (r["site_rank"], r["ticket_no"]))
            progress = {site_id: progress.get(site_id, {})}
        return {"seq": self.seq, "rows": rows, "progress": {str(s): c for s, c in progress.items()}}

    def since(self, seq: int, site_id: int | None = None) -> list[Delta] | None:
        """Return the deltas after ``seq`` (empty if current), or None when history no longer reaches it."""
        if seq == self.seq:
            return []
        if seq > self.seq:
            return None  # a client ahead of us saw another process's newer state: resync
        if not self.deltas or self.deltas[0].from_seq > seq:
            return None
        missed = [d for d in self.deltas if d.seq > seq]
        return [d.for_site(site_id) for d in missed] if site_id is not None else missed
