"""Ending, freezing, thawing and finalizing a contest; the finalize gate lists what is outstanding."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competition import control, eventlog, marking
from competition.errors import InvalidMark, InvalidState, NotFound
from profiles.db import utcnow
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


def test_after_the_end_referees_still_correct_and_resolve_so_a_blocked_panel_can_be_finalized(session, world):
    judge(session, world, 0, 0)
    judge(session, world, 1, 3)
    judge(session, world, 2, 3)  # blocked when the whistle blows
    control.end_contest(session, world.contest, actor="admin:1", command_key=key())
    contestant = world.contestants[0]
    marking.correct_mark(session, referee=world.referees[0][0], contestant=contestant, aspect_code="J1", value=2,
                         reason="复核录像后更正", command_key=key())  # the re-mark clears the breach (spread 1)
    assert control.outstanding(session, world.contest) == [
        f"{contestant.ticket_no}: referee {r.code} has not signed off" for r in world.referees[0]]
    sign_all(session, world)
    control.finalize_contest(session, world.contest, actor="admin:1", command_key=key())
    with pytest.raises(InvalidState, match="finalized: its marks are closed"):
        marking.correct_mark(session, referee=world.referees[0][0], contestant=contestant, aspect_code="J1",
                             value=3, reason="定榜后", command_key=key())
    with pytest.raises(InvalidState, match="finalized: its marks are closed"):
        marking.sign_off(session, referee=world.referees[0][0], contestant=contestant, command_key=key())


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


T0 = utcnow().replace(microsecond=0) - timedelta(hours=1)


def run_s1(session, world, contestant, finish_after: int):
    """Start S1 at T0; finish it ``finish_after`` seconds later; return the seconds it counted as used."""
    marking.start_stage(session, contestant=contestant, stage_code="S1", actor="staff:t", command_key=key(), now=T0)
    done = marking.finish_stage(session, contestant=contestant, stage_code="S1", actor="staff:t", command_key=key(),
                                now=T0 + timedelta(seconds=finish_after))
    return eventlog.decode_payload(done.events[0].payload)["elapsed_s"]


def pause(session, world, start: int, end: int | None, site=None):
    control.pause_contest(session, world.contest, actor="admin:1", command_key=key(),
                          site_id=site.id if site else None, now=T0 + timedelta(seconds=start))
    if end is not None:
        control.resume_contest(session, world.contest, actor="admin:1", command_key=key(),
                               site_id=site.id if site else None, now=T0 + timedelta(seconds=end))


def test_time_a_site_stood_paused_is_given_back(session, world):
    pause(session, world, 100, 160, site=world.sites[1])   # another site: no effect here
    pause(session, world, 200, 260, site=world.sites[0])
    assert run_s1(session, world, world.contestants[1], finish_after=400) == 340


def test_overlapping_pauses_of_every_site_and_one_site_count_once(session, world):
    pause(session, world, 100, 200, site=world.sites[0])
    pause(session, world, 150, 250)                       # every site, overlapping
    assert run_s1(session, world, world.contestants[1], finish_after=400) == 250


def test_extra_time_goes_to_whom_it_was_granted(session, world):
    one, other = world.contestants[1], world.contestants[2]
    control.extend_time(session, world.contest, actor="admin:1", command_key=key(), stage="S1", seconds=90,
                        reason="设备故障", contestant=one)
    control.extend_time(session, world.contest, actor="admin:1", command_key=key(), stage="S1", seconds=30,
                        reason="停电", site_id=world.sites[1].id)
    assert run_s1(session, world, one, finish_after=400) == 310
    assert run_s1(session, world, other, finish_after=400) == 400


def test_answers_wait_while_the_site_is_paused_and_pauses_do_not_stack(session, world):
    pause(session, world, 10, None, site=world.sites[0])
    with pytest.raises(InvalidState, match="already paused"):
        pause(session, world, 20, None, site=world.sites[0])
    with pytest.raises(InvalidState, match="not paused"):
        control.resume_contest(session, world.contest, actor="admin:1", command_key=key())
    with pytest.raises(InvalidState, match="paused"):
        marking.answer_item(session, contestant=world.contestants[0], aspect_code="Q1", answer="B", command_key=key())


def test_extra_time_needs_a_known_stage_and_a_reason(session, world):
    with pytest.raises(NotFound):
        control.extend_time(session, world.contest, actor="admin:1", command_key=key(), stage="S9", seconds=60,
                            reason="x")
    with pytest.raises(InvalidMark, match="reason"):
        control.extend_time(session, world.contest, actor="admin:1", command_key=key(), stage="S1", seconds=60,
                            reason=" ")


def test_the_frozen_board_is_revealed_bottom_up_one_contestant_at_a_time(session, world):
    from competition.readmodel import rebuild

    def shown_board():
        state = control.board_state(session, world.contest.id)
        return state, rebuild(session, world.contest.id, until_seq=state.frozen_at_seq,
                              revealed=frozenset(state.revealed))

    control.freeze_board(session, world.contest, actor="admin:1", command_key=key())
    # After the freeze, the contestant who started S1 earns marks the frozen board does not show.
    for seat in range(3):
        judge(session, world, seat, 3)
    live = rebuild(session, world.contest.id)
    revealed = []
    for _ in world.contestants:
        state, before = shown_board()
        expected = [row.contestant_id for row in before.board() if row.contestant_id not in state.revealed][-1]
        event = control.reveal_next(session, world.contest, actor="admin:1", command_key=key())[0]
        assert event.contestant_id == expected  # the lowest-placed of those still frozen
        revealed.append(event.contestant_id)
        _, after = shown_board()
        assert after.results[expected].total == live.results[expected].total  # now shows the final result
    assert sorted(revealed) == sorted(c.id for c in world.contestants)
    assert shown_board()[1].snapshot()["overall"] == live.snapshot()["overall"]  # all revealed = the live board
    with pytest.raises(InvalidState, match="every result is revealed"):
        control.reveal_next(session, world.contest, actor="admin:1", command_key=key())
