"""matching.assign: the published OR-Library optima, a min-cost-flow oracle, capacities,
unmatched needs, forbidden pairs and infeasibility."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from matching import InfeasibleAssignment, assign

ORLIB = Path(__file__).resolve().parents[3] / "shared" / "data" / "orlib-assign"


def published_optima() -> dict[str, int]:
    optima = {}
    for line in (ORLIB / "assignopt.txt").read_text().splitlines()[1:]:
        if line.split():
            name, value = line.split()
            optima[name] = int(value)
    return optima


def read_instance(name: str):
    tokens = (ORLIB / f"{name}.txt").read_text().split()
    n = int(tokens[0])
    if name.startswith("assignp"):
        triples = np.array(tokens[1:], dtype=np.int64).reshape(-1, 3)
        return sparse.csr_array((triples[:, 2].astype(float), (triples[:, 0] - 1, triples[:, 1] - 1)), shape=(n, n))
    return np.array(tokens[1:1 + n * n], dtype=float).reshape(n, n)


def orlib_names():
    if not (ORLIB / "assignopt.txt").exists():
        return []
    return sorted(published_optima(), key=lambda n: (n.startswith("assignp"), int("".join(filter(str.isdigit, n)))))


@pytest.mark.parametrize("name", orlib_names() or ["absent"])
def test_reaches_each_published_or_library_optimum(name):
    if name == "absent":
        pytest.skip(f"OR-Library instances not found at {ORLIB} (they are read from ../shared, never copied)")
    costs = read_instance(name)
    result = assign(costs)
    assert result.total_cost == published_optima()[name]
    assert result.route == ("sparse" if name.startswith("assignp") else "dense")
    n = costs.shape[0]
    assert sorted(i for i, _ in result.pairs) == list(range(n)) and len({j for _, j in result.pairs}) == n
    if sparse.issparse(costs):
        eligible = set(zip(*costs.nonzero()))
        assert all(pair in eligible for pair in result.pairs)  # only allowed pairs


def flow_oracle(costs: np.ndarray, eligible: np.ndarray, capacity, unmatched) -> float | None:
    """The optimum by networkx min-cost flow (None if infeasible)."""
    needs, teams = costs.shape
    graph = nx.DiGraph()
    graph.add_node("s", demand=-needs)
    graph.add_node("t", demand=needs)
    for i in range(needs):
        graph.add_edge("s", ("n", i), capacity=1, weight=0)
        if unmatched is not None:
            graph.add_edge(("n", i), "t", capacity=1, weight=int(unmatched[i]))
        for j in range(teams):
            if eligible[i, j]:
                graph.add_edge(("n", i), ("m", j), capacity=1, weight=int(costs[i, j]))
    for j in range(teams):
        graph.add_edge(("m", j), "t", capacity=int(capacity[j]), weight=0)
    try:
        return float(nx.min_cost_flow_cost(graph))
    except nx.NetworkXUnfeasible:
        return None


@st.composite
def problems(draw):
    needs = draw(st.integers(1, 9))
    teams = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    costs = rng.integers(0, 30, (needs, teams)).astype(float)
    eligible = rng.random((needs, teams)) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    capacity = rng.integers(0, 4, teams)
    unmatched = rng.integers(5, 40, needs).astype(float) if draw(st.booleans()) else None
    return costs, eligible, capacity, unmatched, draw(st.sampled_from(["dense", "sparse"]))


@settings(max_examples=300, deadline=None)
@given(problems())
def test_agrees_with_min_cost_flow_on_random_problems(problem):
    costs, eligible, capacity, unmatched, form = problem
    expected = flow_oracle(costs, eligible, capacity, unmatched)
    if form == "dense":
        given_costs = np.where(eligible, costs, np.inf)
    else:
        rows, cols = np.nonzero(eligible)
        given_costs = sparse.csr_array((costs[rows, cols], (rows, cols)), shape=costs.shape)
    if expected is None:
        with pytest.raises(InfeasibleAssignment):
            assign(given_costs, capacity=capacity, unmatched_cost=unmatched)
        return
    result = assign(given_costs, capacity=capacity, unmatched_cost=unmatched)
    assert result.total_cost == pytest.approx(expected)
    loads = np.bincount([j for _, j in result.pairs], minlength=costs.shape[1])
    assert (loads <= capacity).all()
    assert all(eligible[i, j] for i, j in result.pairs)
    assert sorted([i for i, _ in result.pairs] + result.unmatched) == list(range(costs.shape[0]))
    if unmatched is None:
        assert result.unmatched == []


def test_infeasible_problems_say_why():
    with pytest.raises(InfeasibleAssignment, match="3 needs but only 2 team places"):
        assign(np.ones((3, 2)))
    forbidden = np.array([[1.0, np.inf], [2.0, np.inf]])
    with pytest.raises(InfeasibleAssignment, match="no assignment matches every need"):
        assign(forbidden)
    # With an unmatched cost, the second need is simply left out.
    result = assign(forbidden, unmatched_cost=10)
    assert result.pairs == [(0, 0)] and result.unmatched == [1] and result.total_cost == 11


def test_capacity_lets_one_team_serve_several_needs_and_bad_arguments_are_refused():
    costs = np.array([[1.0, 9.0], [1.0, 9.0], [1.0, 9.0]])
    shared = assign(costs, capacity=[2, 1])
    assert sorted(j for _, j in shared.pairs) == [0, 0, 1] and shared.total_cost == 11
    assert assign(costs, capacity=[3, 0]).total_cost == 3
    with pytest.raises(ValueError, match="capacity"):
        assign(costs, capacity=[1, 1, 1])
    with pytest.raises(ValueError, match="NaN"):
        assign(np.array([[np.nan]]))


@settings(max_examples=150, deadline=None)
@given(problems(), st.integers(1, 4), st.integers(1, 3))
def test_splitting_into_components_and_small_batches_keeps_the_optimum(problem, blocks, batch):
    """Block-diagonal eligibility (several components), solved a few needs at a time."""
    import importlib
    from unittest.mock import patch

    assign_module = importlib.import_module("matching.assign")  # the module; matching.assign is the function

    costs, eligible, capacity, unmatched, _ = problem
    needs, teams = costs.shape
    block_of_need = np.arange(needs) % blocks
    block_of_team = np.arange(teams) % blocks
    eligible = eligible & (block_of_need[:, None] == block_of_team[None, :])
    expected = flow_oracle(costs, eligible, capacity, unmatched)
    rows, cols = np.nonzero(eligible)
    given_costs = sparse.csr_array((costs[rows, cols], (rows, cols)), shape=costs.shape)
    with patch.object(assign_module, "BATCH_NEEDS", batch):
        if expected is None:
            with pytest.raises(InfeasibleAssignment):
                assign(given_costs, capacity=capacity, unmatched_cost=unmatched)
            return
        result = assign(given_costs, capacity=capacity, unmatched_cost=unmatched)
    assert result.total_cost == pytest.approx(expected)
    assert all(eligible[i, j] for i, j in result.pairs)
    assert (np.bincount([j for _, j in result.pairs], minlength=teams) <= capacity).all()


@settings(max_examples=150, deadline=None)
@given(problems())
def test_every_assignment_found_carries_an_optimality_certificate(problem):
    from matching.certificate import certify

    costs, eligible, capacity, unmatched, _ = problem
    rows, cols = np.nonzero(eligible)
    given_costs = sparse.csr_array((costs[rows, cols], (rows, cols)), shape=costs.shape)
    try:
        result = assign(given_costs, capacity=capacity, unmatched_cost=unmatched)
    except InfeasibleAssignment:
        return
    assert certify(given_costs, result.pairs, capacity=capacity, unmatched_cost=unmatched).optimal


def test_a_worse_assignment_is_refuted_by_the_certificate():
    from matching.certificate import certify

    costs = np.array([[1.0, 5.0], [5.0, 1.0]])
    assert certify(costs, [(0, 0), (1, 1)]).optimal
    refuted = certify(costs, [(0, 1), (1, 0)])
    assert not refuted.optimal and refuted.worst_reduced_cost < 0
    # Leaving a need out when a pair cheaper than its unmatched cost is free is not optimal either.
    assert not certify(costs, [(0, 0)], unmatched_cost=[3, 3]).optimal
    assert certify(costs, [(0, 0), (1, 1)], unmatched_cost=[3, 3]).optimal
