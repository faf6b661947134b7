"""The event log: gap-free sequence numbers, idempotent commands, a chain that shows tampering."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from competition import eventlog, marking
from competition.models import Contest, ContestEvent
from tests.factories import build_world, key


def _mark(session, world, value=2, contestant=0, seat=0, command_key=None):
    contestant = world.contestants[contestant]
    return marking.record_mark(session, referee=world.referees[0][seat], contestant=contestant,
                               aspect_code="J1", value=value, command_key=command_key or key())


def _start(session, world, contestant=0):
    marking.start_stage(session, contestant=world.contestants[contestant], stage_code="S1", actor="staff:t",
                        command_key=key())


def test_sequence_numbers_are_gap_free_and_per_contest(session):
    one, two = build_world(session), build_world(session)
    _start(session, one)
    _start(session, two)
    _mark(session, one)
    _mark(session, one, seat=1)
    seqs = session.scalars(select(ContestEvent.seq).where(ContestEvent.contest_id == one.contest.id)
                           .order_by(ContestEvent.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))
    assert session.get(Contest, one.contest.id).last_seq == len(seqs)
    assert session.scalars(select(ContestEvent.seq).where(ContestEvent.contest_id == two.contest.id)
                           .order_by(ContestEvent.seq)).all() == [1, 2]


def test_reading_in_batches_gives_every_event_once_in_order(session):
    """Replays read ranges of sequence numbers: every boundary must be seamless."""
    world = build_world(session)
    for contestant in range(3):
        _start(session, world, contestant)
        for seat in range(3):
            _mark(session, world, contestant=contestant, seat=seat)
    last = session.get(Contest, world.contest.id).last_seq
    assert last >= 12  # the world starts the contest, then 3 stages and 9 marks
    for batch in (1, 5, 12, 50):
        seqs = [e.seq for e in eventlog.iter_events(session, world.contest.id, batch=batch)]
        assert seqs == list(range(1, last + 1)), batch
        assert [e.seq for e in eventlog.iter_events(session, world.contest.id, after_seq=4, batch=batch)] == \
            list(range(5, last + 1))
        assert [e.seq for e in eventlog.iter_events(session, world.contest.id, after_seq=4, to_seq=9,
                                                    batch=batch)] == [5, 6, 7, 8, 9]
    assert list(eventlog.iter_events(session, world.contest.id, after_seq=last)) == []


def test_a_retried_command_is_accepted_once(session):
    world = build_world(session)
    _start(session, world)
    first = _mark(session, world, command_key="tablet-7-0001")
    again = _mark(session, world, command_key="tablet-7-0001")
    assert not first.duplicate and again.duplicate
    assert [e.seq for e in again.events] == [e.seq for e in first.events]
    assert len(eventlog.find_command(session, world.contest.id, "tablet-7-0001")) == 1


def test_a_retry_with_a_different_value_still_has_no_second_effect(session):
    """The key identifies the command: a resend that differs (a client bug) changes nothing."""
    world = build_world(session)
    _start(session, world)
    _mark(session, world, value=2, command_key="k-1")
    before = session.get(Contest, world.contest.id).last_seq
    assert _mark(session, world, value=3, command_key="k-1").duplicate
    assert session.get(Contest, world.contest.id).last_seq == before


def test_events_carry_actor_time_and_a_hash_linked_to_the_previous_one(session):
    world = build_world(session)
    _start(session, world)
    event = _mark(session, world).events[0]
    previous = session.scalar(select(ContestEvent).where(ContestEvent.contest_id == world.contest.id,
                                                         ContestEvent.seq == event.seq - 1))
    assert event.actor == f"referee:{world.referees[0][0].id}" and event.recorded_at is not None
    assert event.prev_hash == previous.hash and len(event.hash) == 64


def test_untouched_chain_verifies(session):
    world = build_world(session)
    _start(session, world)
    for seat in range(3):
        _mark(session, world, seat=seat)
    report = eventlog.verify_chain(session, world.contest.id)
    assert report.ok and report.events == session.get(Contest, world.contest.id).last_seq


def stored(event) -> tuple:
    """Where an appended event lies in the log (appended events come back without a row id)."""
    return ContestEvent.contest_id == event.contest_id, ContestEvent.seq == event.seq


def test_an_altered_mark_is_detected(session):
    world = build_world(session)
    _start(session, world)
    event = _mark(session, world, value=1).events[0]
    session.execute(update(ContestEvent).where(*stored(event))
                    .values(payload=event.payload.replace('"value":1', '"value":3')))
    report = eventlog.verify_chain(session, world.contest.id)
    assert not report.ok
    assert report.problems == (f"seq {event.seq}: content does not match its hash (altered after it was written)",)


def test_a_removed_event_is_detected(session):
    world = build_world(session)
    _start(session, world)
    middle = _mark(session, world).events[0]
    _mark(session, world, seat=1)
    session.execute(delete(ContestEvent).where(*stored(middle)))
    report = eventlog.verify_chain(session, world.contest.id)
    assert not report.ok and any(f"seq {middle.seq}: missing" in p for p in report.problems)


def test_a_removed_last_event_is_detected_by_the_head(session):
    world = build_world(session)
    _start(session, world)
    last = _mark(session, world).events[-1]
    session.execute(delete(ContestEvent).where(*stored(last)))
    assert not eventlog.verify_chain(session, world.contest.id).ok


def test_a_rewritten_chain_is_caught_by_recomputing_from_the_start(session):
    """Someone who edits an event and recomputes its hash breaks the next event's link."""
    world = build_world(session)
    _start(session, world)
    first = _mark(session, world, value=1).events[0]
    _mark(session, world, seat=1)
    payload = first.payload.replace('"value":1', '"value":3')
    forged = eventlog.event_hash(first.prev_hash, first.contest_id, first.seq, first.kind, first.contestant_id,
                                 first.aspect_code, first.actor, payload, first.command_key, first.command_index,
                                 first.recorded_at)
    session.execute(update(ContestEvent).where(*stored(first)).values(payload=payload, hash=forged))
    report = eventlog.verify_chain(session, world.contest.id)
    assert any(f"seq {first.seq + 1}: prev_hash" in p for p in report.problems)
