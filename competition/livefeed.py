"""What live screens are sent: board rows, their changes between two log positions, and history.

A ``ContestFeed`` turns a contest's projection into rows a screen shows (rank, site rank, total,
where the contestant stands in the 闯关 stages) and, each time it advances, into a ``Delta``: the
rows whose own results changed between two sequence numbers, with the rank moves of everyone else
as runs relative to the first position. A client applies a delta when it stands exactly at
``from_seq`` and asks to resume otherwise.

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
    """The changes between two log positions.

    ``rows``: the whole rows of contestants whose own result changed. Everyone else keeps their
    row, but others' marks may move their ranks; those moves are sent as runs, ``shifts``
    (overall rank) and ``site_shifts`` (per site): ``(first, last, by)`` means every row not in
    ``rows`` whose rank was between ``first`` and ``last`` moves by ``by``. One mark that lifts a
    contestant past a hundred others is one row and one run, not a hundred and one rows.
    """

    contest_id: int
    from_seq: int
    seq: int
    rows: tuple[dict, ...]
    progress: dict | None = None  # level progress per site, when it changed
    shifts: tuple[tuple[int, int, int], ...] = ()
    site_shifts: dict[int, tuple[tuple[int, int, int], ...]] = field(default_factory=dict)

    def for_site(self, site_id: int) -> Delta:
        return Delta(self.contest_id, self.from_seq, self.seq,
                     tuple(r for r in self.rows if r["site_id"] == site_id),
                     None if self.progress is None else {site_id: self.progress.get(site_id, {})},
                     self.shifts, {site_id: self.site_shifts[site_id]} if site_id in self.site_shifts else {})

    def as_json(self) -> dict:
        out = {"from_seq": self.from_seq, "seq": self.seq, "rows": list(self.rows),
               "shifts": [list(run) for run in self.shifts],
               "site_shifts": {str(site): [list(run) for run in runs] for site, runs in self.site_shifts.items()}}
        if self.progress is not None:
            out["progress"] = {str(site): counts for site, counts in self.progress.items()}
        return out


class _Runs:
    """Rank moves of the rows whose result stayed, walked in board order (so their old ranks never
    decrease): consecutive rows that move by the same amount make one run."""

    def __init__(self):
        self.runs: list[list[int]] = []

    def add(self, old: int, by: int) -> None:
        if self.runs and self.runs[-1][2] == by:
            self.runs[-1][1] = old
        else:
            self.runs.append([old, old, by])

    def moves(self) -> tuple[tuple[int, int, int], ...]:
        return tuple((first, last, by) for first, last, by in self.runs if by)


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
    return {ident: rank for site_id in projection.by_site for rank, ident in projection.ranks(site_id)}


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
        # One walk over the board in rank order. A row whose result object is new (results are
        # replaced, never mutated) is rebuilt and sent whole; every other row keeps its rank key, so
        # the rows keep their order and their rank moves compress into runs.
        changed, overall, by_site = [], _Runs(), {}
        results, shown_before = projection.results, self._shown
        for rank, site_rank, ident, site_id in projection.ranks_with_sites():
            result = results[ident]
            old = shown_before.get(ident)
            if old is None or old[2] is not result or old[1] is None:
                shown_before[ident] = (rank, site_rank, result)
                # Sent even when it looks the same: a client moves every row not sent by the runs.
                shown = self.rows[ident] = _row(ident, site_id, rank, site_rank, result, roster.get(ident))
                changed.append(shown)
                continue
            site_runs = by_site.get(site_id)
            if old[0] == rank and old[1] == site_rank:  # stayed: it only ends the runs around it
                overall.add(rank, 0)
                if site_runs is not None:  # (a site's runs start at its first move)
                    site_runs.add(site_rank, 0)
                continue
            overall.add(old[0], rank - old[0])
            if site_runs is None:
                site_runs = by_site[site_id] = _Runs()
            site_runs.add(old[1], site_rank - old[1])
            shown_before[ident] = (rank, site_rank, result)
            # A new dict: deltas in the history keep the rows they were sent with.
            self.rows[ident] = {**self.rows[ident], "rank": rank, "site_rank": site_rank}
        site_shifts = {site: runs.moves() for site, runs in by_site.items()}
        delta = Delta(self.contest_id, self.seq, projection.seq, tuple(changed),
                      progress if progress != self.progress else None, overall.moves(),
                      {site: moves for site, moves in site_shifts.items() if moves})
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
        missed = [d for d in self.deltas if d.seq > seq]
        if not missed or missed[0].from_seq != seq:
            return None  # history does not reach it, or it is not a position this feed stood at
        return [d.for_site(site_id) for d in missed] if site_id is not None else missed
