"""Live projections of a contest's log: results, the overall board, per-site and per-stage
boards, and level progress (闯关进度).

A projection is a cache: everything in it follows from the events it has applied, in order,
and ``ContestProjection.rebuild`` from the whole log gives exactly what applying the events
one by one gives (``snapshot()`` compares them). Nothing here touches the database.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from sortedcontainers import SortedList

from scoring_rules import SheetResult
from scoring_rules.engine import assemble, score_aspect, score_aspects
from scoring_rules.model import RuleSet

from .clock import CLOCK_KINDS, ContestClock
from .eventlog import LoggedEvent
from .sheets import SheetState

NO_TIME = 10**9  # sorts an unfinished stage after every finished one


@dataclass(frozen=True)
class Entry:
    """A contestant as boards know them: where they compete."""

    contestant_id: int
    site_id: int


BOARD_KINDS = ("board_frozen", "board_thawed", "results_revealed")


@dataclass(frozen=True)
class BoardState:
    """Whether the public board is frozen, at which log position, and whose final results the
    ceremony has revealed since (滚榜), in order."""

    frozen_at_seq: int | None
    revealed: tuple[int, ...] = ()

    @property
    def frozen(self) -> bool:
        return self.frozen_at_seq is not None

    def after(self, kind: str, payload: dict, contestant_id: int | None) -> BoardState:
        """The state after one of ``BOARD_KINDS``: a freeze or a thaw starts the reveals afresh."""
        if kind == "results_revealed":
            return BoardState(self.frozen_at_seq, self.revealed + (contestant_id,))
        return BoardState(payload["at_seq"] if kind == "board_frozen" else None)


class ChangeLog:
    """The contestants whose result was replaced, in order, for a reader that follows a projection
    change by change (the live feed) instead of walking every contestant.

    A cursor counts the changes seen. Only the last ``keep`` are kept: a reader further behind,
    or holding the cursor of another projection (a rebuilt one has its own log), walks them all.
    """

    def __init__(self, keep: int = 4096):
        self.keep = keep
        self._idents: list[int] = []
        self._dropped = 0

    @property
    def cursor(self) -> int:
        return self._dropped + len(self._idents)

    def add(self, ident: int) -> None:
        self._idents.append(ident)
        if len(self._idents) > 2 * self.keep:
            drop = len(self._idents) - self.keep
            del self._idents[:drop]
            self._dropped += drop

    def since(self, cursor: int) -> set[int] | None:
        """The contestants changed after ``cursor``, or None when the log no longer reaches it."""
        if not self._dropped <= cursor <= self.cursor:
            return None
        return set(self._idents[cursor - self._dropped:])


@dataclass(frozen=True)
class BoardRow:
    rank: int
    contestant_id: int
    site_id: int
    result: SheetResult


_AFTER_EVERY_ID = float("inf")  # (key, this) sorts after every (key, contestant_id)


class RankedBoard:
    """A sorted board of ``(key, contestant_id)`` with competition ranks (ties share a place)."""

    def __init__(self, items: Iterable[tuple[tuple, int]] = ()):
        self._list = SortedList(items)
        self._keys: dict[int, tuple] = {ident: key for key, ident in self._list}

    def put(self, ident: int, key: tuple) -> None:
        old = self._keys.get(ident)
        if old == key:
            return
        if old is not None:
            self._list.remove((old, ident))
        self._list.add((key, ident))
        self._keys[ident] = key

    def remove(self, ident: int) -> None:
        self._list.remove((self._keys.pop(ident), ident))

    def key(self, ident: int) -> tuple | None:
        return self._keys.get(ident)

    def rank(self, ident: int) -> int:
        return self._list.bisect_left((self._keys[ident],)) + 1

    def count_to(self, key: tuple) -> int:
        """How many rows have a key at or before ``key`` (the position just after them)."""
        return self._list.bisect_right((key, _AFTER_EVERY_ID))

    def rank_at(self, position: int) -> int:
        """The competition rank of the row at ``position`` (0-based): one more than the rows before it
        with a better key."""
        return self._list.bisect_left((self._list[position][0],)) + 1

    def ranks_with_sites(self, site_of: dict[int, int]) -> Iterator[tuple[int, int, int, int]]:
        """``(rank, site rank, contestant_id, site_id)`` best first, in one pass: a contestant's site
        rank counts the better contestants of their site seen so far (the same competition ranking
        as a board per site, without walking each site's board)."""
        seen: dict[int, list] = {}  # site → [contestants seen, last key, its rank]
        previous, rank = None, 0
        for position, (key, ident) in enumerate(self._list, start=1):
            if key != previous:
                rank, previous = position, key
            site_id = site_of[ident]
            state = seen.get(site_id)
            if state is None:
                state = seen[site_id] = [0, None, 0]
            state[0] += 1
            if key != state[1]:
                state[1], state[2] = key, state[0]
            yield rank, state[2], ident, site_id

    def rows(self, limit: int | None = None) -> list[tuple[int, int]]:
        """Return ``(rank, contestant_id)`` best first."""
        out, previous, rank = [], None, 0
        for position, (key, ident) in enumerate(self._list[:limit] if limit else self._list, start=1):
            if key != previous:
                rank, previous = position, key
            out.append((rank, ident))
        return out

    def __len__(self) -> int:
        return len(self._list)


def stage_key(result: SheetResult, index: int) -> tuple:
    """Order a stage board: cleared first, then higher stage score, then less time used."""
    stage = result.stages[index]
    return (0 if stage.status == "cleared" else 1, -stage.score,
            stage.elapsed_s if stage.elapsed_s is not None else NO_TIME)


def progress_position(result: SheetResult) -> tuple[str, str]:
    """Return ``(stage code, status)`` of where a contestant stands: their first uncleared stage."""
    for stage in result.stages:
        if stage.status != "cleared":
            return stage.code, stage.status
    return "", "finished"


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for a bulk build.

    A replay allocates hundreds of thousands of small objects that all stay alive; each
    generational pass re-walks them for nothing (a third of a 300k-event rebuild). They hold
    no cycles, so reference counting alone frees whatever is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ContestProjection:
    """Results, boards and progress for one contest, updated one event at a time."""

    def __init__(self, ruleset: RuleSet, entries: Iterable[Entry] = ()):
        self.ruleset = ruleset
        self.seq = 0
        self.entries: dict[int, Entry] = {}
        self.states: dict[int, SheetState] = {}
        self._aspects: dict[int, dict] = {}  # contestant → per-aspect results before locking
        self.results: dict[int, SheetResult] = {}
        self._empty_aspects = score_aspects(ruleset, SheetState().sheet())
        self._empty = assemble(ruleset, SheetState().sheet(), self._empty_aspects)
        self.overall = RankedBoard()
        self.by_site: dict[int, RankedBoard] = {}
        self.by_stage: list[RankedBoard] = [RankedBoard() for _ in ruleset.stages]
        self.progress: dict[int, dict[tuple[str, str], int]] = {}
        self.clock = ContestClock()  # pauses and extra time, for stage deadlines
        # Freeze, thaw and reveals, kept here so a live flush need not look them up in the log.
        self.board_state = BoardState(None)
        self.changes = ChangeLog()
        for entry in entries:
            self.add_entry(entry)

    # --- building -------------------------------------------------------------------------
    def add_entry(self, entry: Entry) -> None:
        if entry.contestant_id in self.entries:
            return
        self.entries[entry.contestant_id] = entry
        self.results[entry.contestant_id] = self._empty
        self._place(entry, None, self._empty)
        self.changes.add(entry.contestant_id)

    @classmethod
    def rebuild(cls, ruleset: RuleSet, entries: Iterable[Entry], events: Iterable[LoggedEvent]) -> ContestProjection:
        """Build from a whole log: fold every event, then score each contestant once."""
        with gc_paused():
            return cls._rebuild(ruleset, list(entries), events)

    @classmethod
    def _rebuild(cls, ruleset: RuleSet, entries: list[Entry], events: Iterable[LoggedEvent]) -> ContestProjection:
        projection = cls(ruleset)
        projection.entries = {e.contestant_id: e for e in entries}
        states: dict[int, SheetState] = {}
        clock, known, fold = projection.clock, projection.entries, SheetState.apply
        event = None
        # The loop runs once per mark (300k for a full contest): locals only, one call per event.
        for event in events:
            ident = event.contestant_id
            if ident in known:
                state = states.get(ident)
                if state is None:
                    state = states[ident] = SheetState()
                fold(state, ruleset, event)
            if event.kind in CLOCK_KINDS:  # per-ticket extra time has a contestant too
                clock.apply(event.kind, event.payload, ident)
            elif event.kind in BOARD_KINDS:
                projection.board_state = projection.board_state.after(event.kind, event.payload, ident)
        if event is not None:
            projection.seq = event.seq
        projection.states = states
        for ident, state in states.items():
            sheet = state.sheet()
            projection._aspects[ident] = aspects = score_aspects(ruleset, sheet)
            projection.results[ident] = assemble(ruleset, sheet, aspects)
        for entry in entries:
            projection.results.setdefault(entry.contestant_id, projection._empty)
        results = projection.results
        projection.overall = RankedBoard((results[e.contestant_id].rank_key, e.contestant_id) for e in entries)
        sites: dict[int, list] = {}
        for e in entries:
            sites.setdefault(e.site_id, []).append((results[e.contestant_id].rank_key, e.contestant_id))
        projection.by_site = {site: RankedBoard(items) for site, items in sites.items()}
        projection.by_stage = [
            RankedBoard((stage_key(results[e.contestant_id], i), e.contestant_id) for e in entries)
            for i in range(len(ruleset.stages))
        ]
        for e in entries:
            projection._count_progress(e.site_id, results[e.contestant_id], +1)
        return projection

    # --- applying -------------------------------------------------------------------------
    def apply(self, event: LoggedEvent) -> int | None:
        """Apply one event (in sequence order); return the contestant whose result changed."""
        if event.seq <= self.seq:
            return None  # already applied: catching up twice is harmless
        self.seq = event.seq
        if event.kind in CLOCK_KINDS:
            self.clock.apply(event.kind, event.payload, event.contestant_id)
        elif event.kind in BOARD_KINDS:
            self.board_state = self.board_state.after(event.kind, event.payload, event.contestant_id)
        ident = event.contestant_id
        if ident is None or ident not in self.entries:
            return None
        state = self.states.get(ident)
        if state is None:
            state = self.states[ident] = SheetState()
        changed = state.apply(self.ruleset, event)
        aspects = self._aspects.get(ident)
        if aspects is None:
            aspects = self._aspects[ident] = dict(self._empty_aspects)
        sheet = state.sheet()
        for code in changed:
            aspects[code] = score_aspect(self.ruleset, self.ruleset.aspects[code], sheet.aspects.get(code),
                                         sheet.overrides.get(code))
        old = self.results[ident]
        new = self.results[ident] = assemble(self.ruleset, sheet, aspects)
        self._place(self.entries[ident], old, new)
        self.changes.add(ident)
        return ident

    def _place(self, entry: Entry, old: SheetResult | None, new: SheetResult) -> None:
        ident = entry.contestant_id
        self.overall.put(ident, new.rank_key)
        self.by_site.setdefault(entry.site_id, RankedBoard()).put(ident, new.rank_key)
        for index, board in enumerate(self.by_stage):
            board.put(ident, stage_key(new, index))
        if old is not None:
            self._count_progress(entry.site_id, old, -1)
        self._count_progress(entry.site_id, new, +1)

    def _count_progress(self, site_id: int, result: SheetResult, delta: int) -> None:
        if not self.ruleset.stages:
            return
        counts = self.progress.setdefault(site_id, {})
        position = progress_position(result)
        counts[position] = counts.get(position, 0) + delta
        if counts[position] == 0:
            del counts[position]

    # --- reading --------------------------------------------------------------------------
    def board(self, site_id: int | None = None, limit: int | None = None) -> list[BoardRow]:
        ranked = self.overall if site_id is None else self.by_site.get(site_id, RankedBoard())
        return [BoardRow(rank, ident, self.entries[ident].site_id, self.results[ident])
                for rank, ident in ranked.rows(limit)]

    def ranks(self, site_id: int | None = None) -> list[tuple[int, int]]:
        """``(rank, contestant_id)`` best first: the board without building a row per contestant
        (the live feed walks it on every flush)."""
        return (self.overall if site_id is None else self.by_site.get(site_id, RankedBoard())).rows()

    def ranks_with_sites(self) -> Iterator[tuple[int, int, int, int]]:
        """``(rank, site rank, contestant_id, site_id)`` best first, in one pass over the overall
        board (the same competition ranking as ``by_site``)."""
        return self.overall.ranks_with_sites({ident: entry.site_id for ident, entry in self.entries.items()})

    def stage_board(self, stage_code: str, limit: int | None = None) -> list[BoardRow]:
        ranked = self.by_stage[self.ruleset.stage_index(stage_code)]
        return [BoardRow(rank, ident, self.entries[ident].site_id, self.results[ident])
                for rank, ident in ranked.rows(limit)]

    def rank(self, contestant_id: int, site_id: int | None = None) -> int:
        return (self.overall if site_id is None else self.by_site[site_id]).rank(contestant_id)

    def level_progress(self) -> dict[int, dict[str, dict[str, int]]]:
        """Return, per site, how many contestants stand at each stage in each status."""
        out: dict[int, dict[str, dict[str, int]]] = {}
        for site, counts in self.progress.items():
            for (stage, status), count in counts.items():
                out.setdefault(site, {}).setdefault(stage or "finished", {})[status] = count
        return out

    def snapshot(self) -> dict:
        """Return everything the projection shows, as plain data (the replay test compares this)."""
        def rows(board):
            return [(r.rank, r.contestant_id) for r in board]
        return {
            "seq": self.seq,
            "results": {ident: r.as_json() for ident, r in sorted(self.results.items())},
            "overall": rows(self.board()),
            "sites": {site: rows(self.board(site)) for site in sorted(self.by_site)},
            "stages": {s.code: rows(self.stage_board(s.code)) for s in self.ruleset.stages},
            "progress": self.level_progress(),
        }
