"""The append-only, hash-chained event log of a contest.

Appends are serialised per contest by the database: the first statement of an append is an
``UPDATE`` of the contest row, which holds PostgreSQL's row lock (and SQLite's write lock)
until the transaction ends. The sequence number and previous hash are read under that lock,
so several server processes can append to one contest and the chain stays linear.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator, NamedTuple

from sqlalchemy import bindparam, insert, literal, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from profiles.db import utcnow

from .errors import ContestNotFound
from .models import GENESIS_HASH, Contest, ContestEvent, RuleSetVersion

KINDS = frozenset({
    "contest_started", "mark_recorded", "mark_corrected", "item_answered", "deduction_applied",
    "stage_started", "stage_cleared", "stage_failed", "panel_spread_breached",
    "panel_spread_resolved", "signed_off",
    "contest_ended", "board_frozen", "board_thawed", "contest_finalized",
    "contest_paused", "contest_resumed", "time_extended", "results_revealed", "panel_assigned",
})


class LoggedEvent(NamedTuple):
    """An event as projections see it: plain data, whether it came from the ORM or a bulk read.

    A named tuple, not a dataclass: a replay creates hundreds of thousands of these.
    ``recorded_at`` is ``None`` on bulk reads (projections time stages from the payload).
    """

    seq: int
    kind: str
    contestant_id: int | None
    aspect_code: str | None
    actor: str
    payload: dict
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class NewEvent:
    """An event a service wants appended; the log gives it its number and hash."""

    kind: str
    payload: dict
    contestant_id: int | None = None
    aspect_code: str | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in an event")


def canonical_json(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def event_hash(prev_hash: str, contest_id: int, seq: int, kind: str, contestant_id: int | None,
               aspect_code: str | None, actor: str, payload: str, command_key: str, command_index: int,
               recorded_at: datetime) -> str:
    """Return the SHA-256 that chains an event to ``prev_hash``; every stored field is covered."""
    parts = [prev_hash, str(contest_id), str(seq), kind, "" if contestant_id is None else str(contestant_id),
             aspect_code or "", actor, payload, command_key, str(command_index),
             recorded_at.isoformat(timespec="microseconds")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# Table-level statements: the ORM's bulk paths cost more than the database work itself.
_INSERT = insert(ContestEvent.__table__)
_MOVE_HEAD = (update(Contest.__table__).where(Contest.__table__.c.id == bindparam("contest_id"))
              .values(last_seq=bindparam("last_seq"), last_hash=bindparam("last_hash")))
_STORED = ("contest_id", "seq", "kind", "contestant_id", "aspect_code", "actor", "payload", "command_key",
           "command_index", "recorded_at", "prev_hash", "hash")

_BY_COMMAND = (select(*(getattr(ContestEvent, column) for column in ("id",) + _STORED))
               .where(ContestEvent.contest_id == bindparam("contest_id"),
                      ContestEvent.command_key == bindparam("command_key"))
               .order_by(ContestEvent.seq))


def find_command(session: Session, contest_id: int, command_key: str) -> list[ContestEvent]:
    """Return the events an earlier command with this key appended (empty if none), as detached
    records like ``append`` returns. Every command asks (almost always: none), so plain columns."""
    rows = session.connection().execute(_BY_COMMAND, {"contest_id": contest_id, "command_key": command_key})
    return [ContestEvent(**row._mapping) for row in rows]


class Head(NamedTuple):
    """The log head under this transaction's lock, and the contest read with it: its status, its
    code and its rule set's digest (so a command needs no other read of the contest)."""

    last_seq: int
    last_hash: str
    status: str
    code: str
    rule_set_digest: str


_CONTESTS = Contest.__table__
_VERSIONS = RuleSetVersion.__table__
_LOCK_HEAD = (
    update(_CONTESTS).where(_CONTESTS.c.id == bindparam("contest_id"))
    .values(last_seq=_CONTESTS.c.last_seq)
    .returning(_CONTESTS.c.last_seq, _CONTESTS.c.last_hash, _CONTESTS.c.status, _CONTESTS.c.code,
               select(_VERSIONS.c.digest).where(_VERSIONS.c.id == _CONTESTS.c.rule_set_version_id).scalar_subquery())
)


def lock_head(session: Session, contest_id: int) -> Head:
    """Lock the contest's log head for this transaction; return it with the contest's status
    (current: nobody changes it while we hold the lock)."""
    session.flush()  # what session.execute would autoflush: pending changes precede the head's read
    row = session.connection().execute(_LOCK_HEAD, {"contest_id": contest_id}).first()
    if row is None:
        raise ContestNotFound(contest_id)
    return Head(*row)


def append(session: Session, contest_id: int, new_events: Iterable[NewEvent], *, actor: str,
           command_key: str, head: Head) -> list[ContestEvent]:
    """Append events after ``head`` (from ``lock_head`` in this transaction); return them as detached
    records (no ``id``: an event is named by its contest and ``seq``).

    The caller must have checked ``find_command`` under the same lock, so a retried command is
    never appended twice; the unique constraint on ``command_key`` is the last guard.
    """
    last_seq, last_hash = head.last_seq, head.last_hash
    rows = []
    recorded_at = utcnow()
    for index, new in enumerate(new_events):
        if new.kind not in KINDS:
            raise ValueError(f"unknown event kind {new.kind!r}")
        payload = canonical_json(new.payload)
        seq = last_seq + 1
        digest = event_hash(last_hash, contest_id, seq, new.kind, new.contestant_id, new.aspect_code, actor,
                            payload, command_key, index, recorded_at)
        rows.append(ContestEvent(contest_id=contest_id, seq=seq, kind=new.kind, contestant_id=new.contestant_id,
                                 aspect_code=new.aspect_code, actor=actor, payload=payload, command_key=command_key,
                                 command_index=index, recorded_at=recorded_at, prev_hash=last_hash, hash=digest))
        last_seq, last_hash = seq, digest
    if rows:
        # A plain INSERT of the rows (they are returned as detached records, never changed again):
        # the ORM's unit of work cost more than the rest of a mark's database work together.
        session.flush()  # pending changes (a status set with the event) go first, as an autoflush would
        connection = session.connection()
        connection.execute(_INSERT, [{column: getattr(row, column) for column in _STORED} for row in rows])
        connection.execute(_MOVE_HEAD, {"contest_id": contest_id, "last_seq": last_seq, "last_hash": last_hash})
        # A contest this session holds must not keep the old head (a command loads none).
        contest = session.identity_map.get(identity_key(Contest, contest_id))
        if contest is not None:
            session.expire(contest, ["last_seq", "last_hash"])
    return rows


def logged_event(row: ContestEvent) -> LoggedEvent:
    """An appended row as projections see it: what reading it back from the log would give."""
    return LoggedEvent(row.seq, row.kind, row.contestant_id, row.aspect_code, row.actor, json.loads(row.payload), None)


def _fetch_plain(session: Session, statement, params: dict | None = None) -> list[tuple]:
    """Run a select of plain columns and return the driver's own tuples.

    A replay reads hundreds of thousands of rows; building SQLAlchemy ``Row`` objects for them
    costs more than the driver's fetch itself, and these columns need no type processing.
    """
    result = session.connection().execute(statement, params)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def decode_payload(payload: str) -> dict:
    return json.loads(payload)


def _decode(rows) -> list[LoggedEvent]:
    # One json.loads per batch, not per row: the per-call overhead is most of the cost.
    # tuple.__new__ skips the named tuple's Python-level constructor: a third of a replay's read.
    payloads = json.loads("[" + ",".join(row[5] for row in rows) + "]")
    make = tuple.__new__
    return [make(LoggedEvent, (seq, kind, contestant_id, aspect_code, actor, payload, None))
            for (seq, kind, contestant_id, aspect_code, actor, _), payload in zip(rows, payloads, strict=True)]


# recorded_at is left out: parsing 300k timestamps doubles a replay, and no projection uses it.
_COLUMNS = (ContestEvent.seq, ContestEvent.kind, ContestEvent.contestant_id, ContestEvent.aspect_code,
            ContestEvent.actor, ContestEvent.payload)


# Built once: the hot path (every mark and every catch-up) skips statement construction.
_EVENTS_BETWEEN = (select(*_COLUMNS).where(ContestEvent.contest_id == bindparam("contest_id"),
                                           ContestEvent.seq > bindparam("after_seq"),
                                           ContestEvent.seq <= bindparam("to_seq"))
                   .order_by(ContestEvent.seq))
_LAST_SEQ = select(Contest.last_seq).where(Contest.id == bindparam("contest_id"))
# Every sheet command reads its contestant's events and asks whether its key was seen: one round
# trip, each branch on its own index (an OR across the two would scan the contest's log).
_EVENTS = ContestEvent.__table__
_SHEET_AND_COMMAND = union_all(
    select(literal(False).label("by_command"), *(_EVENTS.c[c.key] for c in _COLUMNS))
    .where(_EVENTS.c.contest_id == bindparam("contest_id"), _EVENTS.c.contestant_id == bindparam("contestant_id")),
    select(literal(True), *(_EVENTS.c[c.key] for c in _COLUMNS))
    .where(_EVENTS.c.contest_id == bindparam("contest_id"), _EVENTS.c.command_key == bindparam("command_key")),
)


def sheet_events_and_command(session: Session, contest_id: int, contestant_id: int,
                             command_key: str) -> tuple[list[LoggedEvent], bool]:
    """Return one contestant's events in order, and whether a command with ``command_key`` has
    appended any event (then ``find_command`` reads them whole: only a retry pays for that)."""
    rows = _fetch_plain(session, _SHEET_AND_COMMAND, {"contest_id": contest_id, "contestant_id": contestant_id,
                                                      "command_key": command_key})
    seen = any(row[0] for row in rows)
    return _decode(sorted(row[1:] for row in rows if not row[0])), seen


def iter_events(session: Session, contest_id: int, after_seq: int = 0, *, to_seq: int | None = None,
                batch: int = 20000) -> Iterator[LoggedEvent]:
    """Yield a contest's events after ``after_seq`` up to ``to_seq`` (default: the log head now),
    in order, reading plain rows in batches.

    Batches are ranges of sequence numbers (they are dense), not ``LIMIT`` pages: a page query
    lets PostgreSQL, before it has statistics on a freshly loaded log, sort the whole remainder
    for every page (0.9 s instead of 0.25 s for 300k events).
    """
    if to_seq is None:
        to_seq = session.execute(_LAST_SEQ, {"contest_id": contest_id}).scalar_one_or_none() or 0
    while after_seq < to_seq:
        upper = min(after_seq + batch, to_seq)
        # Core rows through the session's connection: the ORM's row handling costs more than SQLite.
        rows = _fetch_plain(session, _EVENTS_BETWEEN, {"contest_id": contest_id, "after_seq": after_seq, "to_seq": upper})
        yield from _decode(rows)
        after_seq = upper


@dataclass(frozen=True)
class ChainReport:
    contest_id: int
    events: int
    ok: bool
    problems: tuple[str, ...]


def verify_chain(session: Session, contest_id: int) -> ChainReport:
    """Recompute every hash of a contest's log; report gaps, broken links and altered rows."""
    contest = session.get(Contest, contest_id)
    if contest is None:
        raise ContestNotFound(contest_id)
    problems: list[str] = []
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    rows = session.scalars(
        select(ContestEvent).where(ContestEvent.contest_id == contest_id).order_by(ContestEvent.seq)
    )
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            problems.append(f"seq {expected_seq}: missing (next stored is {row.seq})")
        if row.prev_hash != expected_prev:
            problems.append(f"seq {row.seq}: prev_hash does not match the hash of the event before")
        recomputed = event_hash(row.prev_hash, row.contest_id, row.seq, row.kind, row.contestant_id,
                                row.aspect_code, row.actor, row.payload, row.command_key, row.command_index,
                                row.recorded_at)
        if recomputed != row.hash:
            problems.append(f"seq {row.seq}: content does not match its hash (altered after it was written)")
        expected_prev, expected_seq = row.hash, row.seq + 1
    if contest.last_seq != expected_seq - 1 or contest.last_hash != expected_prev:
        problems.append(f"log head says seq {contest.last_seq}, the log ends at {expected_seq - 1}"
                        " (events removed from the end, or head altered)")
    return ChainReport(contest_id, count, not problems, tuple(problems))
