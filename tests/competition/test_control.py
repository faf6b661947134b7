"""Ending, freezing, thawing and finalizing a contest; the finalize gate lists what is outstanding."""

from __future__ import annotations

import pytest

from competition import control, eventlog, marking
from competition.errors import InvalidState
from tests.factories import build_world, key


@pytest.fixture
def world(session):
    world = build_world(session)
    marking.start_stage(session, contestant=world.contestants[0], stage_code="S1", actor="staff:t", command_key=key())
    return world


def judge(session, world, seat, value, contestant=None):
    return marking.record_mark(session, referee=world.referees[0][seat], contestant=contestant or world.contestants[0],
                               aspect_code="J1", value=value, command_key=key())


def sign_all(session, world, contestant=None):
    for referee in world.referees[0]:
        marking.sign_off(session, referee=referee, contestant=contestant or world.contestants[0], command_key=key())


def test_an_ended_contest_takes_no_marks_but_still_takes_sign_offs(session, world):
    judge(session, world, 0, 2)
    control.end_contest(session, world.contest, actor="admin:1", command_key=key())
    with pytest.raises(InvalidState, match="ended, not running"):
        judge(session, world, 1, 2)
    marking.sign_off(session, referee=world.referees[0][0], contestant=world.contestants[0], command_key=key())


def test_freezing_records_the_log_position_and_thawing_clears_it(session, world):
    head = world.contest.last_seq
    assert not control.board_state(session, world.contest.id).frozen
    control.freeze_board(session, world.contest, actor="admin:1", command_key=key())
    assert control.board_state(session, world.contest.id).frozen_at_seq == head
    with pytest.raises(InvalidState, match="frozen already"):
        control.freeze_board(session, world.contest, actor="admin:1", command_key=key())
    control.thaw_board(session, world.contest, actor="admin:1", command_key=key())
    assert not control.board_state(session, world.contest.id).frozen
    with pytest.raises(InvalidState, match="not frozen"):
        control.thaw_board(session, world.contest, actor="admin:1", command_key=key())


def test_finalize_is_refused_until_the_contest_has_ended(session, world):
    with pytest.raises(InvalidState, match="end it before finalizing"):
        control.finalize_contest(session, world.contest, actor="admin:1", command_key=key())


def test_finalize_is_refused_while_a_mark_is_unsigned_or_a_panel_is_blocked(session, world):
    judge(session, world, 0, 0)
    judge(session, world, 1, 3)
    judge(session, world, 2, 3)  # spread 3 > 1: the panel is blocked
    control.end_contest(session, world.contest, actor="admin:1", command_key=key())
    before = world.contest.last_seq
    with pytest.raises(InvalidState) as refused:
        control.finalize_contest(session, world.contest, actor="admin:1", command_key=key())
    message = str(refused.value)
    ticket = world.contestants[0].ticket_no
    assert f"{ticket} J1: panel spread not resolved" in message
    assert all(f"referee {r.code} has not signed off" in message for r in world.referees[0])
    assert world.contest.last_seq == before and world.contest.status == "ended"


def test_finalize_succeeds_once_everything_is_signed_and_resolved(session, world):
    for seat in range(3):
        judge(session, world, seat, 2)
    sign_all(session, world)
    control.end_contest(session, world.contest, actor="admin:1", command_key=key())
    events = control.finalize_contest(session, world.contest, actor="admin:1", command_key=key())
    assert [e.kind for e in events] == ["contest_finalized"] and world.contest.status == "finalized"
    assert eventlog.verify_chain(session, world.contest.id).ok


def test_a_retried_lifecycle_command_has_no_second_effect(session, world):
    command = key()
    first = control.end_contest(session, world.contest, actor="admin:1", command_key=command)
    again = control.end_contest(session, world.contest, actor="admin:1", command_key=command)
    assert [e.seq for e in again] == [e.seq for e in first]
