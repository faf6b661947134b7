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

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.models import Enterprise, Worker

from .models import Contestant, Site
from .projections import ChangeLog, ContestProjection, RankedBoard, progress_position


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


OWN_FIELDS = ("id", "ticket_no", "name", "enterprise", "site_id", "total", "complete", "flags", "stage", "stage_status")


def own_row(row: dict | None) -> dict | None:
    """A contestant's own row as their tablet shows it: their result, not where others' marks put
    them (ranks are on the public board, which honours the freeze)."""
    return None if row is None else {name: row[name] for name in OWN_FIELDS}


def _own(ident: int, site_id: int, result, person: RosterEntry | None) -> dict:
    """A contestant's row without its ranks: what follows from their own result alone."""
    stage, status = progress_position(result) if result.stages else ("", "")
    return {
        "id": ident,
        "ticket_no": person.ticket_no if person else "",
        "name": person.name if person else "",
        "enterprise": person.enterprise if person else "",
        "site_id": site_id,
        "total": str(result.total),
        "complete": result.complete,
        "flags": list(result.flags),
        "stage": stage,
        "stage_status": status,
    }


def _ranked(row: dict, rank: int, site_rank: int) -> dict:
    # Key order as a screen shows a row: who, then where they stand, then what they scored.
    return {"id": row["id"], "ticket_no": row["ticket_no"], "name": row["name"], "enterprise": row["enterprise"],
            "site_id": row["site_id"], "rank": rank, "site_rank": site_rank, **row}


def _site_ranks(projection: ContestProjection) -> dict[int, int]:
    return {ident: rank for site_id in projection.by_site for rank, ident in projection.ranks(site_id)}


def board_rows(projection: ContestProjection, roster: dict[int, RosterEntry]) -> dict[int, dict]:
    """Return every contestant's shown row, keyed by contestant id, straight from the projection's
    boards (a site's ranks from its own board: the independent path the feed is checked against)."""
    site_ranks = _site_ranks(projection)
    return {row.contestant_id: _ranked(_own(row.contestant_id, row.site_id, row.result, roster.get(row.contestant_id)),
                                       row.rank, site_ranks[row.contestant_id])
            for row in projection.board()}


def rank_runs(board: RankedBoard, moves: list[tuple[tuple | None, tuple | None]]) -> tuple[tuple[int, int, int], ...]:
    """The rank moves of a board's unchanged rows when some rows' keys change, as runs of their
    ranks before (``first``, ``last``, ``by``), from the board as it stood before.

    ``moves`` holds each changed row's key before and after (None: not on the board). An unchanged
    row with key k gains one place for every changed row now better than k that was not before,
    and loses one for the reverse; that count only changes at the changed keys, so the runs are
    the stretches of the board between consecutive changed keys: O(changes · log n), however far
    a contestant climbs. A run may span a changed row's old rank: a client skips rows sent whole.
    """
    points = sorted({key for pair in moves for key in pair if key is not None})
    before = sorted(old for old, _ in moves if old is not None)
    after = sorted(new for _, new in moves if new is not None)
    runs, n_before, n_after, size = [], 0, 0, len(board)
    for index, point in enumerate(points):
        while n_before < len(before) and before[n_before] <= point:
            n_before += 1
        while n_after < len(after) and after[n_after] <= point:
            n_after += 1
        by = n_after - n_before  # for keys after this point, up to the next one
        if not by:
            continue
        low = board.count_to(point)
        high = (board.count_to(points[index + 1]) if index + 1 < len(points) else size) - 1
        # The changed rows in the stretch are sent whole: no run when they are all it holds.
        changed_here = (bisect_right(before, points[index + 1]) if index + 1 < len(points) else len(before)) - n_before
        if high - low + 1 > changed_here:
            runs.append((board.rank_at(low), board.rank_at(high), by))
    return tuple(runs)


@dataclass
class ContestFeed:
    """The published state of one contest's board and the recent deltas that led to it.

    The feed keeps its own boards, as last sent: the projection runs ahead of it (events applied
    since the last flush), and a delta is the difference between the two. It follows the
    projection's change log, so a flush costs the contestants that changed, not the whole board.
    """

    contest_id: int
    history: int = 500
    seq: int = 0
    rows: dict[int, dict] = field(default_factory=dict)  # id → own row (no ranks) as last sent
    progress: dict = field(default_factory=dict)
    deltas: deque = field(default_factory=deque)
    started: bool = False
    _board: RankedBoard = field(default_factory=RankedBoard, repr=False)
    _site_boards: dict[int, RankedBoard] = field(default_factory=dict, repr=False)
    _site_of: dict[int, int] = field(default_factory=dict, repr=False)
    _results: dict = field(default_factory=dict, repr=False)  # id → the result object last sent
    _changes: ChangeLog | None = field(default=None, repr=False)
    _cursor: int = 0

    def advance(self, projection: ContestProjection, roster: dict[int, RosterEntry]) -> Delta | None:
        """Bring the feed to the projection's position; return the delta, or None if nothing moved."""
        log = projection.changes
        following = self.started and log is self._changes
        if following and projection.seq <= self.seq and log.cursor == self._cursor:
            return None
        candidates = log.since(self._cursor) if following else None
        if candidates is None:  # a first look, a rebuilt projection, or too far behind: every row
            candidates = projection.entries.keys() | self._results.keys()
        self._changes, self._cursor = log, log.cursor
        progress = projection.level_progress()
        changed = self._apply(projection, roster, candidates)
        if not self.started:
            self.progress, self.seq, self.started = progress, projection.seq, True
            return None
        delta = Delta(self.contest_id, self.seq, projection.seq, tuple(changed[0]),
                      progress if progress != self.progress else None, changed[1], changed[2])
        self.progress, self.seq = progress, projection.seq
        self.deltas.append(delta)
        while len(self.deltas) > self.history:
            self.deltas.popleft()
        return delta

    def _apply(self, projection: ContestProjection, roster: dict[int, RosterEntry], candidates) -> tuple:
        """Move the feed's boards to the projection's results for ``candidates``; return the rows
        sent whole (best first), the overall runs and the runs per site."""
        results, entries = projection.results, projection.entries
        moved = []  # (id, old key, new key, old site, new site)
        for ident in candidates:
            entry, result = entries.get(ident), results.get(ident)
            site = entry.site_id if entry is not None else None
            if result is not None and result is self._results.get(ident) and site == self._site_of.get(ident):
                continue  # a result is replaced, never mutated: the same object is the same row
            moved.append((ident, self._board.key(ident), result.rank_key if result is not None else None,
                          self._site_of.get(ident), site))
        if not moved:
            return [], (), {}
        shifts = rank_runs(self._board, [(old, new) for _, old, new, _, _ in moved])
        site_moves: dict[int, list] = {}
        for _, old, new, old_site, new_site in moved:
            if old_site == new_site:
                site_moves.setdefault(new_site, []).append((old, new))
                continue
            if old_site is not None:
                site_moves.setdefault(old_site, []).append((old, None))
            if new_site is not None:
                site_moves.setdefault(new_site, []).append((None, new))
        site_shifts = {}
        for site, moves in site_moves.items():
            runs = rank_runs(self._site_boards.get(site, RankedBoard()), moves)
            if runs:
                site_shifts[site] = runs
        for ident, _, new, old_site, new_site in moved:
            if old_site is not None and old_site != new_site:
                self._site_boards[old_site].remove(ident)
            if new is None:  # gone from the roster: off every board
                self._board.remove(ident)
                self.rows.pop(ident, None)
                self._results.pop(ident, None)
                self._site_of.pop(ident, None)
                continue
            self._board.put(ident, new)
            self._site_boards.setdefault(new_site, RankedBoard()).put(ident, new)
            self._site_of[ident] = new_site
            self._results[ident] = results[ident]
            self.rows[ident] = _own(ident, new_site, results[ident], roster.get(ident))
        # Sent even when it looks the same: a client moves every row not sent by the runs.
        sent = sorted(((self._board.rank(ident), self._site_boards[site].rank(ident), ident, site)
                       for ident, _, new, _, site in moved if new is not None), key=lambda r: (r[0], r[2]))
        return [_ranked(self.rows[ident], rank, site_rank) for rank, site_rank, ident, _ in sent], shifts, site_shifts

    def ranked_rows(self) -> dict[int, dict]:
        """Every contestant's row with the ranks the feed last sent, keyed by id."""
        return {ident: _ranked(self.rows[ident], rank, site_rank)
                for rank, site_rank, ident, _ in self._board.ranks_with_sites(self._site_of)}

    def sites(self) -> list[int]:
        return sorted(self._site_boards)

    def snapshot(self, site_id: int | None = None) -> dict:
        rows = sorted(self.ranked_rows().values(), key=lambda r: (r["rank"], r["ticket_no"]))
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
