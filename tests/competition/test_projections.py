"""Projections: applying events one by one gives exactly what a replay of the whole log gives."""

from __future__ import annotations

import random
from datetime import datetime

from hypothesis import given, settings, strategies as st

from competition import eventlog, marking, readmodel
from competition.errors import ContestError
from competition.eventlog import LoggedEvent
from competition.projections import ContestProjection, Entry
from scoring_rules import load_ruleset
from tests.factories import SMALL_RULESET, build_world, key

RULESET = load_ruleset(SMALL_RULESET)
ENTRIES = [Entry(1, 10), Entry(2, 10), Entry(3, 20), Entry(4, 20)]
AT = datetime(2026, 5, 1, 9, 0, 0)

contestant = st.sampled_from([1, 2, 3, 4])
event_spec = st.one_of(
    st.tuples(st.just("mark_recorded"), contestant, st.just("J1"), st.sampled_from([7, 8, 9]), st.integers(0, 3)),
    st.tuples(st.just("mark_corrected"), contestant, st.just("M1"), st.just(7),
              st.sampled_from(["23.2", "23.9", "24", "24.4", "25"])),
    st.tuples(st.just("mark_recorded"), contestant, st.just("P1"), st.just(7), st.booleans()),
    st.tuples(st.just("item_answered"), contestant, st.just("Q1"), st.none(), st.sampled_from(["A", "B", "C"])),
    st.tuples(st.just("deduction_applied"), contestant, st.none(), st.none(), st.sampled_from(["SAFETY", "DQ"])),
    st.tuples(st.just("stage_started"), contestant, st.none(), st.none(), st.sampled_from(["S1", "S2"])),
    st.tuples(st.sampled_from(["stage_cleared", "stage_failed"]), contestant, st.none(), st.none(),
              st.tuples(st.sampled_from(["S1", "S2"]), st.integers(0, 1000))),
    st.tuples(st.just("panel_spread_breached"), contestant, st.just("J1"), st.none(), st.none()),
    st.tuples(st.just("panel_spread_resolved"), contestant, st.just("J1"), st.none(),
              st.sampled_from([None, 0, 1, 2, 3])),
)


def to_event(seq: int, spec) -> LoggedEvent:
    kind, ident, aspect, referee, value = spec
    payload: dict = {}
    if kind in ("mark_recorded", "mark_corrected"):
        payload = {"referee_id": referee, "value": value}
    elif kind == "item_answered":
        payload = {"answer": value}
    elif kind == "deduction_applied":
        payload = {"deduction": value, "count": 1}
    elif kind == "stage_started":
        payload = {"stage": value, "at": AT.isoformat()}
    elif kind in ("stage_cleared", "stage_failed"):
        payload = {"stage": value[0], "elapsed_s": value[1]}
    elif kind == "panel_spread_resolved":
        payload = {"by": "override", "reason": "复核", "score": value}
    return LoggedEvent(seq, kind, ident, aspect, "test", payload, AT)


@settings(max_examples=150, deadline=None)
@given(st.lists(event_spec, max_size=60))
def test_incremental_projection_equals_a_replay_of_the_same_log(specs):
    events = [to_event(seq, spec) for seq, spec in enumerate(specs, start=1)]
    live = ContestProjection(RULESET, ENTRIES)
    for event in events:
        live.apply(event)
    replayed = ContestProjection.rebuild(RULESET, ENTRIES, events)
    assert live.snapshot() == replayed.snapshot()


@settings(max_examples=50, deadline=None)
@given(st.lists(event_spec, min_size=1, max_size=40))
def test_boards_are_sorted_by_rank_key_and_every_contestant_appears_once(specs):
    projection = ContestProjection(RULESET, ENTRIES)
    for seq, spec in enumerate(specs, start=1):
        projection.apply(to_event(seq, spec))
    board = projection.board()
    assert sorted(r.contestant_id for r in board) == [1, 2, 3, 4]
    keys = [r.result.rank_key for r in board]
    assert keys == sorted(keys)
    for site in (10, 20):
        assert {r.contestant_id for r in projection.board(site)} == {e.contestant_id for e in ENTRIES
                                                                     if e.site_id == site}
    counts = projection.level_progress()
    assert sum(n for site in counts.values() for stage in site.values() for n in stage.values()) == 4


def test_applying_an_event_twice_changes_nothing():
    events = [to_event(1, ("item_answered", 1, "Q1", None, "B")),
              to_event(2, ("deduction_applied", 1, None, None, "SAFETY"))]
    projection = ContestProjection(RULESET, ENTRIES)
    for event in events + events:
        projection.apply(event)
    assert projection.results[1].deductions == 1


def test_ties_share_a_rank_on_the_board():
    projection = ContestProjection(RULESET, ENTRIES)
    assert [r.rank for r in projection.board()] == [1, 1, 1, 1]


def test_cache_following_real_services_matches_a_fresh_replay(session):
    """Random commands through the services; the cached projection, caught up after each
    command, equals a projection rebuilt from the stored log."""
    world = build_world(session, contestants_per_site=4)
    cache = readmodel.ProjectionCache()
    rng = random.Random(7)
    for contestant in world.contestants:
        marking.start_stage(session, contestant=contestant, stage_code="S1", actor="staff:t", command_key=key())
    for _ in range(120):
        contestant = rng.choice(world.contestants)
        site = next(i for i, s in enumerate(world.sites) if s.id == contestant.site_id)
        referee = rng.choice(world.referees[site])
        action = rng.random()
        try:
            if action < 0.5:
                marking.record_mark(session, referee=referee, contestant=contestant, aspect_code="J1",
                                    value=rng.randint(0, 3), command_key=key())
            elif action < 0.65:
                marking.correct_mark(session, referee=referee, contestant=contestant, aspect_code="J1",
                                     value=rng.randint(0, 3), reason="更正", command_key=key())
            elif action < 0.8:
                marking.record_mark(session, referee=world.referees[site][0], contestant=contestant,
                                    aspect_code="M1", value=str(24 + rng.choice([-1, 0, 0.3])), command_key=key())
            elif action < 0.9:
                marking.finish_stage(session, contestant=contestant, stage_code="S1", actor="staff:t",
                                     command_key=key())
            else:
                marking.resolve_spread(session, chief=world.chief, contestant=contestant, aspect_code="J1",
                                       reason="裁判长裁定", score=rng.randint(0, 3), command_key=key())
        except ContestError:
            pass  # refused commands are part of real traffic: they must leave no trace
        cache.current(session, world.contest.id)
    assert cache.current(session, world.contest.id).snapshot() == readmodel.rebuild(session, world.contest.id).snapshot()


def test_a_process_applies_its_own_committed_events_only_right_after_what_the_cache_holds(session):
    """What the mark endpoint does after its commit: the events it appended go into the cached
    projection as they are when it stands right before them; the result equals a replay."""
    world = build_world(session)
    cache = readmodel.ProjectionCache()
    contest_id, digest = world.contest.id, world.contest.rule_set_version.digest
    start = marking.start_stage(session, contestant=world.contestants[0], stage_code="S1", actor="staff:t",
                                command_key=key())
    cache.current(session, contest_id)

    def mark(seat: int) -> list:
        outcome = marking.record_mark(session, referee=world.referees[0][seat], contestant=world.contestants[0],
                                      aspect_code="J1", value=2, command_key=key())
        return [eventlog.logged_event(e) for e in outcome.events]

    with cache.reading_after(contest_id, digest, mark(0)) as projection:
        assert projection is not None and projection.seq == cache.current(session, contest_id).seq
    assert cache.current(session, contest_id).snapshot() == readmodel.rebuild(session, contest_id).snapshot()
    mark(1)  # appended by "another process": the cache has not seen it
    with cache.reading_after(contest_id, digest, mark(2)) as projection:
        assert projection is None  # behind: the caller reads through the log instead
    assert cache.current(session, contest_id).snapshot() == readmodel.rebuild(session, contest_id).snapshot()
    assert start.events[0].seq < cache.current(session, contest_id).seq


def test_the_projection_keeps_the_boards_freeze_and_reveals_as_the_log_does(session):
    """The live flush reads the board's state from the projection; it must match the log's fold."""
    from competition import control

    world = build_world(session)
    cache = readmodel.ProjectionCache()
    contest_id = world.contest.id
    states = []
    for step in (lambda: control.freeze_board(session, world.contest, actor="staff:t", command_key=key()),
                 lambda: control.end_contest(session, world.contest, actor="staff:t", command_key=key()),
                 lambda: control.reveal_next(session, world.contest, actor="staff:t", command_key=key()),
                 lambda: control.reveal_next(session, world.contest, actor="staff:t", command_key=key()),
                 lambda: control.thaw_board(session, world.contest, actor="staff:t", command_key=key())):
        step()
        live = cache.current(session, contest_id).board_state
        assert live == control.board_state(session, contest_id) == readmodel.rebuild(session, contest_id).board_state
        states.append(live)
    assert states[0].frozen and len(states[3].revealed) == 2 and not states[-1].frozen


@settings(max_examples=60, deadline=None)
@given(st.lists(event_spec, max_size=40))
def test_the_one_pass_ranks_equal_the_overall_and_site_boards(specs):
    projection = ContestProjection(RULESET, ENTRIES)
    for seq, spec in enumerate(specs, start=1):
        projection.apply(to_event(seq, spec))
    site_ranks = {row.contestant_id: row.rank for site in (10, 20) for row in projection.board(site)}
    assert [(rank, site_rank, ident, site) for rank, site_rank, ident, site in projection.ranks_with_sites()] == \
        [(row.rank, site_ranks[row.contestant_id], row.contestant_id, row.site_id) for row in projection.board()]
