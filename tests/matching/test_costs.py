"""The cost model: taxonomy coverage, road distances, the documented weights, dense = pairs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from matching.costs import CostModel, NeedTable, TeamTable, Weights
from matching.errors import MatchingError
from matching.places import bundled_geography, load_geography
from matching.taxonomy import FLOOR, bundled_taxonomy, load_taxonomy


def test_a_neighbouring_field_covers_part_of_a_need_and_a_distant_one_nothing():
    taxonomy = bundled_taxonomy()
    sim = lambda a, b: taxonomy.similarity[taxonomy.index[a], taxonomy.index[b]]  # noqa: E731
    assert sim("welding", "welding") == 1.0
    assert sim("robotics", "automation") == pytest.approx(0.8)
    assert sim("robotics", "electrical") == pytest.approx(0.8 * 0.6)  # best path, closeness multiplied
    assert sim("textile", "satellite-comm") == 0.0
    assert np.allclose(taxonomy.similarity, taxonomy.similarity.T)
    assert ((taxonomy.similarity == 0) | (taxonomy.similarity >= FLOOR)).all()


def test_road_distances_are_networkx_shortest_paths():
    geography = bundled_geography()
    lengths = dict(nx.all_pairs_dijkstra_path_length(geography.graph, weight="km"))
    for a, i in geography.index.items():
        for b, j in geography.index.items():
            assert geography.km[i, j] == pytest.approx(lengths[a][b])


def test_bad_taxonomy_and_place_files_name_the_entry(tmp_path):
    bad = tmp_path / "skills.toml"
    bad.write_text('[[field]]\ncode = "a"\nname = "甲"\n[[link]]\na = "a"\nb = "zz"\ncloseness = 0.5\n')
    with pytest.raises(MatchingError, match=r"link\[0\].b: unknown field zz"):
        load_taxonomy(bad)
    bad.write_text('[[place]]\ncode = "a"\nname = "甲"\n[[place]]\ncode = "b"\nname = "乙"\n'
                   '[[road]]\na = "a"\nb = "b"\nkm = -3\n')
    with pytest.raises(MatchingError, match=r"road\[0\].km"):
        load_geography(bad)


def tables(rng, needs=40, teams=15):
    taxonomy, geography = bundled_taxonomy(), bundled_geography()
    fields, places = len(taxonomy.fields), len(geography.places)
    need = NeedTable([list(rng.choice(fields, rng.integers(1, 4), replace=False)) for _ in range(needs)],
                     rng.integers(0, places, needs), rng.integers(1, 4, needs))
    team = TeamTable([list(rng.choice(fields, rng.integers(1, 4), replace=False)) for _ in range(teams)],
                     rng.integers(0, places, teams), rng.integers(1, 5, teams), rng.integers(0, 3, teams),
                     rng.integers(0, 40, teams).astype(float), rng.integers(0, 10, teams).astype(float))
    return CostModel(taxonomy, geography.km), need, team


def test_dense_matrix_and_candidate_pairs_give_the_same_costs_and_eligibility():
    model, needs, teams = tables(np.random.default_rng(3))
    dense, u = model.dense(needs, teams)
    rows, cols = np.divmod(np.arange(len(needs) * len(teams)), len(teams))
    cost, eligible = model.pairs(needs, teams, rows, cols)
    expected = np.where(eligible, np.minimum(cost, u[rows]), u[rows])
    assert dense.ravel() == pytest.approx(expected)
    assert 0 < eligible.mean() < 1  # the instance has both kinds of pair


def test_the_reasons_add_up_to_the_cost_the_solver_used():
    model, needs, teams = tables(np.random.default_rng(5))
    taxonomy = model.taxonomy
    dense, u = model.dense(needs, teams)
    i, j = np.unravel_index(np.argmin(dense), dense.shape)
    parts = model.parts([taxonomy.fields[f].code for f in needs.fields[i]], int(needs.place[i]),
                        [taxonomy.fields[f].code for f in teams.fields[j]], int(teams.place[j]),
                        int(teams.load[j]), int(teams.capacity[j]), float(teams.rating_sum[j]),
                        int(teams.rating_count[j]))
    assert parts["cost"] == pytest.approx(dense[i, j], abs=1e-3)
    assert sum(parts["terms"].values()) == pytest.approx(parts["cost"], abs=1e-3)


def test_weights_are_documented_and_an_urgent_need_accepts_a_weaker_fit():
    w = Weights()
    assert w.coverage + w.distance + w.load + w.rating == pytest.approx(1.0)
    model, needs, teams = tables(np.random.default_rng(1))
    u = model.unmatched_cost(needs)
    assert u[needs.urgency == 3].min() > u[needs.urgency == 1].max()
    assert math.isclose(u[needs.urgency == 1][0], w.unmatched)
