"""Stable matching with capacities: checked against the definition by brute force (hypothesis)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.stable import blocking_pairs, stable_match


@st.composite
def markets(draw):
    needs = draw(st.integers(1, 5))
    teams = draw(st.integers(1, 3))
    need_prefs = [draw(st.permutations(range(teams)).map(lambda p, k=draw(st.integers(0, teams)): list(p)[:k]))
                  for _ in range(needs)]
    team_prefs = [draw(st.permutations(range(needs)).map(lambda p, k=draw(st.integers(0, needs)): list(p)[:k]))
                  for _ in range(teams)]
    capacity = [draw(st.integers(0, 2)) for _ in range(teams)]
    return need_prefs, team_prefs, capacity


def brute_blocking(team_of, need_prefs, team_prefs, capacity):
    """The definition, written out independently of matching.stable."""
    pairs = []
    for i, prefs in enumerate(need_prefs):
        for j in prefs:
            if i not in team_prefs[j]:
                continue
            need_wants = team_of[i] == -1 or prefs.index(j) < prefs.index(team_of[i])
            held = [k for k, t in enumerate(team_of) if t == j]
            team_wants = len(held) < capacity[j] or any(team_prefs[j].index(i) < team_prefs[j].index(k) for k in held)
            if need_wants and team_wants:
                pairs.append((i, j))
    return pairs


def all_matchings(need_prefs, team_prefs, capacity):
    options = [[-1] + [j for j in prefs if i in team_prefs[j]] for i, prefs in enumerate(need_prefs)]
    for team_of in itertools.product(*options):
        if all(team_of.count(j) <= capacity[j] for j in range(len(capacity))):
            yield list(team_of)


def rank(prefs, team):
    return len(prefs) if team == -1 else prefs.index(team)


@settings(max_examples=400, deadline=None)
@given(markets())
def test_both_directions_are_stable_and_optimal_for_the_proposing_side(market):
    need_prefs, team_prefs, capacity = market
    stable = [m for m in all_matchings(need_prefs, team_prefs, capacity)
              if not brute_blocking(m, need_prefs, team_prefs, capacity)]
    assert stable  # a stable matching always exists
    by_needs = stable_match(need_prefs, team_prefs, capacity, proposing="needs").team_of
    by_teams = stable_match(need_prefs, team_prefs, capacity, proposing="teams").team_of
    for found in (by_needs, by_teams):
        assert found in stable
        assert blocking_pairs(found, need_prefs, team_prefs, capacity) == []
    for i, prefs in enumerate(need_prefs):
        ranks = [rank(prefs, m[i]) for m in stable]
        assert rank(prefs, by_needs[i]) == min(ranks)  # need-optimal
        assert rank(prefs, by_teams[i]) == max(ranks)  # need-pessimal: the teams' best


@settings(max_examples=300, deadline=None)
@given(markets(), st.data())
def test_blocking_pairs_finds_exactly_the_pairs_the_definition_names(market, data):
    need_prefs, team_prefs, capacity = market
    matching = data.draw(st.sampled_from(list(all_matchings(need_prefs, team_prefs, capacity))))
    assert sorted(blocking_pairs(matching, need_prefs, team_prefs, capacity)) == \
        sorted(brute_blocking(matching, need_prefs, team_prefs, capacity))


def test_a_matching_that_breaks_capacity_or_acceptability_is_refused():
    with pytest.raises(ValueError, match="over capacity"):
        blocking_pairs([0, 0], [[0], [0]], [[0, 1]], [1])
    with pytest.raises(ValueError, match="not a mutually acceptable pair"):
        blocking_pairs([0], [[0]], [[]], [1])
    with pytest.raises(ValueError, match="lists a team twice"):
        stable_match([[0, 0]], [[0]], [1])
