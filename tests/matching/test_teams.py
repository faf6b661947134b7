"""A team's own settings (taking orders, capacity, away period) and needs' time windows steer rounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from matching import rounds, teams
from matching.errors import MatchingError
from matching.models import MatchingEvent, RoundPair
from tests.matching.test_orders import STAFF, engine_, post, world  # noqa: F401  (fixtures)

# 2026-03-02 10:00 in China; the service day there is the 2nd.
NOW = datetime(2026, 3, 2, 2, 0)
TODAY = date(2026, 3, 2)


def proposed(session, round_, need):
    return session.scalar(select(RoundPair).where(RoundPair.round_id == round_.id, RoundPair.need_id == need.id))


def test_the_service_day_is_the_day_in_china_not_the_servers():
    assert teams.service_day(datetime(2026, 3, 1, 15, 59)) == date(2026, 3, 1)
    assert teams.service_day(datetime(2026, 3, 1, 16, 0)) == date(2026, 3, 2)  # midnight in Beijing


def test_a_team_that_stops_taking_orders_gets_none_until_it_takes_them_again(session, world, engine_):
    firm, welders, sparks, far, worker = world
    need = post(session, firm, ["welding"])
    events = teams.update_team(session, welders.id, actor="team:1", available=False)
    assert [(e.kind, e.team_id, e.payload["available"], e.payload["before"]) for e in events] == \
        [("team_updated", welders.id, False, {"available": True})]
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert need.team_id == far.id  # the next best welder
    teams.update_team(session, welders.id, actor="team:1", available=True)
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert need.team_id == welders.id


def test_a_higher_capacity_lets_a_team_take_more_needs_at_once(session, world, engine_):
    firm, welders, sparks, far, worker = world
    needs = [post(session, firm, ["welding"], title=f"焊接{i}") for i in range(3)]
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert sum(n.team_id == welders.id for n in needs) == 1
    teams.update_team(session, welders.id, actor=STAFF, capacity=3)
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert sum(n.team_id == welders.id for n in needs) == 3


def test_an_unchanged_setting_records_nothing(session, world):
    welders = world[1]
    assert teams.update_team(session, welders.id, actor=STAFF, capacity=welders.capacity, available=True) == []
    assert session.scalar(select(MatchingEvent).where(MatchingEvent.kind == "team_updated")) is None


@pytest.mark.parametrize(("settings", "field", "message"), [
    ({"capacity": 0}, "capacity", "1 to 20"),
    ({"capacity": 21}, "capacity", "1 to 20"),
    ({"capacity": True}, "capacity", "1 to 20"),
    ({"available": "yes"}, "available", "true or false"),
    ({"away": (date(2026, 3, 5), None)}, "away_until", "both"),
    ({"away": (date(2026, 3, 5), date(2026, 3, 4))}, "away_until", "before away_from"),
])
def test_bad_settings_are_refused_by_field_and_change_nothing(session, world, settings, field, message):
    welders = world[1]
    with pytest.raises(MatchingError, match=message) as refused:
        teams.update_team(session, welders.id, actor=STAFF, **settings)
    assert refused.value.field == field
    assert (welders.capacity, welders.available, welders.away_from, welders.away_until) == (1, True, None, None)


def test_a_team_away_for_the_whole_window_is_not_proposed_but_one_away_for_part_of_it_is(session, world, engine_):
    firm, welders, sparks, far, worker = world
    inside = post(session, firm, ["welding"], title="窗口内", window_start=TODAY + timedelta(days=3),
                  window_end=TODAY + timedelta(days=6), now=NOW)
    teams.update_team(session, welders.id, actor=STAFF, capacity=3,
                      away=(TODAY + timedelta(days=1), TODAY + timedelta(days=10)))
    overlapping = post(session, firm, ["welding"], title="部分重叠", window_start=TODAY + timedelta(days=5),
                       window_end=TODAY + timedelta(days=20), now=NOW)
    open_ended = post(session, firm, ["welding"], title="不限时间")
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert inside.team_id == far.id
    assert overlapping.team_id == welders.id and open_ended.team_id == welders.id


def test_an_away_period_already_over_or_cleared_no_longer_counts(session, world, engine_):
    firm, welders, sparks, far, worker = world
    need = post(session, firm, ["welding"], window_start=TODAY, window_end=TODAY + timedelta(days=2), now=NOW)
    teams.update_team(session, welders.id, actor=STAFF, away=(TODAY - timedelta(days=9), TODAY - timedelta(days=1)))
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert need.team_id == welders.id  # back already
    teams.update_team(session, welders.id, actor=STAFF, away=(TODAY, TODAY + timedelta(days=30)))
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert need.team_id == far.id
    teams.update_team(session, welders.id, actor=STAFF, away=None)
    rounds.run_round(session, engine_, actor=STAFF, now=NOW)
    assert need.team_id == welders.id and welders.away_from is None


def test_a_need_whose_window_has_passed_gets_no_team_and_says_why(session, world, engine_):
    firm, welders, sparks, far, worker = world
    need = post(session, firm, ["welding"], window_start=TODAY, window_end=TODAY + timedelta(days=1), now=NOW)
    round_, _ = rounds.run_round(session, engine_, actor=STAFF, now=NOW + timedelta(days=2))
    assert need.status == "posted" and need.team_id is None
    assert proposed(session, round_, need).reasons["unmatched"] == "window_passed"


def test_a_need_cannot_be_posted_with_a_window_already_over(session, world):
    firm = world[0]
    with pytest.raises(MatchingError, match="already past") as refused:
        post(session, firm, ["welding"], window_start=TODAY - timedelta(days=3), window_end=TODAY - timedelta(days=1),
             now=NOW)
    post(session, firm, ["welding"], window_start=TODAY - timedelta(days=3), window_end=TODAY, now=NOW)  # ends today
    assert refused.value.field == "window_end"


def test_the_choices_offered_for_two_way_selection_are_the_pairs_a_round_could_propose(session, world, engine_):
    firm, welders, sparks, far, worker = world
    need = post(session, firm, ["welding"], window_start=TODAY, window_end=TODAY + timedelta(days=2), now=NOW)
    choices = rounds.candidates(session, engine_, [need], now=NOW)[need.id]
    # Best fit first; the electricians only through welding robots (automation → robotics → welding).
    assert [team for team, _ in choices] == [welders.id, far.id, sparks.id]
    assert choices[0][1] < choices[1][1] < choices[2][1]
    teams.update_team(session, welders.id, actor=STAFF, away=(TODAY, TODAY + timedelta(days=5)))
    teams.update_team(session, sparks.id, actor=STAFF, available=False)
    assert [team for team, _ in rounds.candidates(session, engine_, [need], now=NOW)[need.id]] == [far.id]
    assert rounds.candidates(session, engine_, [need], now=NOW + timedelta(days=3))[need.id] == []  # window over
    assert rounds.candidates(session, engine_, [need], team_id=far.id, now=NOW)[need.id] == choices[1:2]
    assert rounds.candidates(session, engine_, [need], team_id=sparks.id, now=NOW)[need.id] == []  # not taking orders
