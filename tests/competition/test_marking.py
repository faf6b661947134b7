"""Marking services: who may mark what, panel spread rules, corrections, stages, sign-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from competition import marking, setup
from competition.errors import ConflictOfInterest, InvalidMark, InvalidState, NotAssigned, SignedOff
from competition.models import Contest, ContestEvent
from profiles.db import utcnow
from profiles.models import Worker
from tests.factories import SMALL_RULESET, build_world, key


def head(session, world) -> int:
    return session.scalar(select(func.max(ContestEvent.seq)).where(ContestEvent.contest_id == world.contest.id))


def start_s1(session, world, contestant):
    marking.start_stage(session, contestant=contestant, stage_code="S1", actor="staff:t", command_key=key())


def judge(session, world, contestant, seat, value, aspect="J1"):
    site = world.sites.index(next(s for s in world.sites if s.id == contestant.site_id))
    return marking.record_mark(session, referee=world.referees[site][seat], contestant=contestant,
                               aspect_code=aspect, value=value, command_key=key())


@pytest.fixture
def world(session):
    world = build_world(session)
    start_s1(session, world, world.contestants[0])
    return world


def test_marks_are_refused_before_the_contest_starts(session):
    world = build_world(session, start=False)
    with pytest.raises(InvalidState, match="draft"):
        judge(session, world, world.contestants[0], 0, 2)


def test_the_rule_set_is_frozen_once_the_contest_starts(session, world):
    with pytest.raises(InvalidState, match="frozen"):
        setup.replace_ruleset(session, world.contest, SMALL_RULESET.replace('version = "1"', 'version = "2"'))


def test_a_draft_contest_may_change_its_rule_set(session):
    world = build_world(session, start=False)
    setup.replace_ruleset(session, world.contest, SMALL_RULESET.replace('version = "1"', 'version = "2"'))
    assert world.contest.rule_set_version.version == "2"


def test_a_referee_off_the_panel_is_refused(session, world):
    outsider = world.referees[1][0]  # works at the other site
    with pytest.raises(NotAssigned, match="another site"):
        marking.record_mark(session, referee=outsider, contestant=world.contestants[0], aspect_code="J1",
                            value=2, command_key=key())
    seat_two = world.referees[0][1]  # at the site, but M1's panel is seat one only
    with pytest.raises(NotAssigned, match="not on the panel for M1"):
        marking.record_mark(session, referee=seat_two, contestant=world.contestants[0], aspect_code="M1",
                            value="24", command_key=key())


def test_a_referee_may_not_mark_a_contestant_from_their_own_enterprise(session, world):
    contestant = world.contestants[0]
    colleague = setup.add_referee(session, world.contest, code=f"COL{contestant.id}", name="同厂裁判",
                                  enterprise_id=contestant.enterprise_id, site=world.sites[1])
    with pytest.raises(ConflictOfInterest, match="same enterprise"):
        marking.record_mark(session, referee=colleague, contestant=contestant, aspect_code="J1", value=2,
                            command_key=key())


def test_panel_assignment_refuses_a_referee_whose_enterprise_competes_at_that_site(session, world):
    contestant = world.contestants[0]
    colleague = setup.add_referee(session, world.contest, code=f"COL2-{contestant.id}", name="同厂裁判",
                                  enterprise_id=contestant.enterprise_id, site=world.sites[0])
    with pytest.raises(ConflictOfInterest, match=contestant.ticket_no):
        setup.assign_panel(session, world.contest, site=world.sites[0], aspect_code="J1", referees=[colleague])


def test_a_contestant_registered_later_is_still_protected_at_mark_time(session, world):
    referee = world.referees[0][0]
    worker = Worker(name="后报名", enterprise_id=referee.enterprise_id)
    session.add(worker)
    session.flush()
    late = setup.register_contestant(session, world.contest, worker=worker, site=world.sites[0], ticket_no=f"L{key()}")
    start_s1(session, world, late)
    with pytest.raises(ConflictOfInterest):
        marking.record_mark(session, referee=referee, contestant=late, aspect_code="J1", value=2, command_key=key())


def test_a_rejected_mark_appends_nothing(session, world):
    before = head(session, world)
    for bad in (4, -1, "很好", 1.5):
        with pytest.raises(InvalidMark):
            judge(session, world, world.contestants[0], 0, bad)
    with pytest.raises(InvalidMark, match="expected a number"):
        marking.record_mark(session, referee=world.referees[0][0], contestant=world.contestants[0],
                            aspect_code="M1", value="二十四", command_key=key())
    assert head(session, world) == before


def test_a_stage_not_started_takes_no_marks(session, world):
    with pytest.raises(InvalidState, match="has not started"):
        judge(session, world, world.contestants[1], 0, 2)


def test_spread_breach_is_logged_and_a_re_mark_resolves_it(session, world):
    contestant = world.contestants[0]
    judge(session, world, contestant, 0, 1)
    judge(session, world, contestant, 1, 3)
    third = judge(session, world, contestant, 2, 2)
    assert [e.kind for e in third.events] == ["mark_recorded", "panel_spread_breached"]
    fixed = marking.correct_mark(session, referee=world.referees[0][1], contestant=contestant, aspect_code="J1",
                                 value=2, reason="复核后调整", command_key=key())
    assert [e.kind for e in fixed.events] == ["mark_corrected", "panel_spread_resolved"]
    assert '"by":"re-mark"' in fixed.events[1].payload


def test_only_the_chief_referee_overrides_a_blocked_panel_and_only_with_a_reason(session, world):
    contestant = world.contestants[0]
    for seat, value in enumerate([0, 3, 2]):
        judge(session, world, contestant, seat, value)
    with pytest.raises(NotAssigned):
        marking.resolve_spread(session, chief=world.referees[0][0], contestant=contestant, aspect_code="J1",
                               reason="x", command_key=key())
    with pytest.raises(InvalidMark, match="reason"):
        marking.resolve_spread(session, chief=world.chief, contestant=contestant, aspect_code="J1", reason=" ",
                               command_key=key())
    done = marking.resolve_spread(session, chief=world.chief, contestant=contestant, aspect_code="J1",
                                  reason="录像复核，按2分计", score=2, command_key=key())
    assert done.events[0].kind == "panel_spread_resolved"
    with pytest.raises(InvalidState, match="not blocked"):
        marking.resolve_spread(session, chief=world.chief, contestant=contestant, aspect_code="J1", reason="again",
                               command_key=key())


def test_a_correction_needs_a_reason_and_keeps_the_previous_value(session, world):
    contestant = world.contestants[0]
    referee = world.referees[0][0]
    marking.record_mark(session, referee=referee, contestant=contestant, aspect_code="M1", value="24.6",
                        command_key=key())
    with pytest.raises(InvalidMark, match="already marked"):
        marking.record_mark(session, referee=referee, contestant=contestant, aspect_code="M1", value="24.1",
                            command_key=key())
    with pytest.raises(InvalidMark, match="reason"):
        marking.correct_mark(session, referee=referee, contestant=contestant, aspect_code="M1", value="24.1",
                             reason="", command_key=key())
    event = marking.correct_mark(session, referee=referee, contestant=contestant, aspect_code="M1",
                                 value="24.1", reason="读数看错", command_key=key()).events[0]
    assert '"previous":"24.6"' in event.payload and '"reason":"读数看错"' in event.payload


def test_sign_off_locks_a_referees_marks_except_for_the_chief(session, world):
    contestant = world.contestants[0]
    referee = world.referees[0][0]
    judge(session, world, contestant, 0, 2)
    marking.sign_off(session, referee=referee, contestant=contestant, command_key=key())
    with pytest.raises(SignedOff):
        marking.correct_mark(session, referee=referee, contestant=contestant, aspect_code="J1", value=3,
                             reason="改", command_key=key())
    with pytest.raises(SignedOff):
        marking.record_mark(session, referee=referee, contestant=contestant, aspect_code="M1", value="24",
                            command_key=key())
    chief_fix = marking.correct_mark(session, referee=world.chief, contestant=contestant, aspect_code="J1", value=3,
                                     reason="裁判长更正", on_behalf_of=referee, command_key=key())
    assert chief_fix.events[0].actor == f"referee:{world.chief.id}"


def test_objective_items_are_answered_by_the_contestant_not_marked(session, world):
    with pytest.raises(InvalidMark, match="contestant answers"):
        marking.record_mark(session, referee=world.referees[0][0], contestant=world.contestants[0],
                            aspect_code="Q1", value="B", command_key=key())


def clear_s1(session, world, contestant, elapsed=300):
    now = utcnow()
    marking.record_mark(session, referee=world.referees[0][0], contestant=contestant, aspect_code="M1",
                        value="24", command_key=key())
    for seat in range(3):
        judge(session, world, contestant, seat, 3)
    return marking.finish_stage(session, contestant=contestant, stage_code="S1", actor="staff:t",
                                command_key=key(), now=now + timedelta(seconds=elapsed))


def test_stages_unlock_in_order_and_clear_on_the_server_clock(session, world):
    contestant = world.contestants[0]
    with pytest.raises(InvalidState, match="locked until stage S1"):
        marking.start_stage(session, contestant=contestant, stage_code="S2", actor="staff:t", command_key=key())
    cleared = clear_s1(session, world, contestant)
    assert cleared.events[0].kind == "stage_cleared"
    marking.start_stage(session, contestant=contestant, stage_code="S2", actor="staff:t", command_key=key())
    answered = marking.answer_item(session, contestant=contestant, aspect_code="Q1", answer="B", command_key=key())
    assert answered.events[0].actor == f"contestant:{contestant.id}"


def test_a_stage_below_its_pass_mark_fails_and_keeps_the_next_locked(session, world):
    contestant = world.contestants[0]
    judge(session, world, contestant, 0, 0)
    failed = marking.finish_stage(session, contestant=contestant, stage_code="S1", actor="staff:t", command_key=key())
    assert failed.events[0].kind == "stage_failed"
    with pytest.raises(InvalidState, match="locked"):
        marking.start_stage(session, contestant=contestant, stage_code="S2", actor="staff:t", command_key=key())


def test_answers_close_when_the_stage_is_finished(session, world):
    contestant = world.contestants[0]
    clear_s1(session, world, contestant)
    marking.start_stage(session, contestant=contestant, stage_code="S2", actor="staff:t", command_key=key())
    marking.finish_stage(session, contestant=contestant, stage_code="S2", actor="staff:t", command_key=key())
    with pytest.raises(InvalidState, match="answers are closed"):
        marking.answer_item(session, contestant=contestant, aspect_code="Q1", answer="B", command_key=key())


def test_deductions_need_a_known_code_and_a_positive_count(session, world):
    contestant = world.contestants[0]
    referee = world.referees[0][0]
    with pytest.raises(Exception, match="not a deduction"):
        marking.apply_deduction(session, referee=referee, contestant=contestant, deduction_code="LATE",
                                command_key=key())
    with pytest.raises(InvalidMark, match="count"):
        marking.apply_deduction(session, referee=referee, contestant=contestant, deduction_code="SAFETY", count=0,
                                command_key=key())
    done = marking.apply_deduction(session, referee=referee, contestant=contestant, deduction_code="SAFETY",
                                   count=2, note="未戴护目镜", command_key=key())
    assert done.events[0].kind == "deduction_applied"


def test_starting_twice_is_refused(session, world):
    with pytest.raises(InvalidState, match="already running"):
        setup.start_contest(session, session.get(Contest, world.contest.id), actor="staff:t", command_key=key())
