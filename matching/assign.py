"""The one assignment entry point: needs (rows) to teams (columns), with capacities and the option
of leaving a need unmatched.

``assign(costs, capacity=None, unmatched_cost=None)`` chooses the route itself:

- **dense** (a NumPy array): ``scipy.optimize.linear_sum_assignment`` on the matrix with each
  team's column repeated ``capacity`` times. With ``unmatched_cost`` ``u``, a need is better left
  unmatched than given a team costing ``u[i]`` or more, so every cost becomes ``min(c - u[i], 0)``:
  any full assignment of that matrix is worth exactly the partial one made of its negative pairs
  (plus ``Σu``), so both have the same optimum, and ineligible pairs are simply 0 (no ``inf``).
- **sparse** (a SciPy sparse matrix of eligible pairs; absent = not eligible):
  ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` on the eligible pairs only, columns
  repeated by capacity, plus one private "unmatched" column per need when ``unmatched_cost`` is
  given. That function treats a stored zero as a missing edge, and a full matching of the needs
  has the same number of pairs whatever it is, so every cost is shifted by one constant to make it
  positive; the shift changes every full matching's total by the same amount.

Without ``unmatched_cost`` every need must be matched; a problem where that is impossible raises
``InfeasibleAssignment`` saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching


class InfeasibleAssignment(ValueError):
    """No assignment matches every need (and no unmatched cost allows leaving one out)."""


@dataclass(frozen=True)
class Assignment:
    pairs: list[tuple[int, int]]  # (need, team), by need
    unmatched: list[int]  # needs left without a team
    total_cost: float  # Σ cost of the pairs + Σ unmatched cost of the unmatched needs
    route: str  # "dense" | "sparse"


def _capacity(capacity, teams: int) -> np.ndarray:
    if capacity is None:
        return np.ones(teams, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    if capacity.shape != (teams,):
        raise ValueError(f"capacity has {capacity.shape} entries for {teams} teams")
    if (capacity < 0).any():
        raise ValueError("a team's capacity is 0 or more")
    return capacity


def _unmatched(unmatched_cost, needs: int) -> np.ndarray | None:
    if unmatched_cost is None:
        return None
    u = np.broadcast_to(np.asarray(unmatched_cost, dtype=float), (needs,)).astype(float)
    if not np.isfinite(u).all():
        raise ValueError("unmatched_cost must be finite (leave it out to require every need matched)")
    return u


def assign(costs, *, capacity=None, unmatched_cost=None) -> Assignment:
    """Minimum-cost assignment of needs (rows) to teams (columns); see the module docstring."""
    if sparse.issparse(costs):
        return _assign_sparse(sparse.csr_array(costs), capacity, unmatched_cost)
    matrix = np.asarray(costs, dtype=float)
    if matrix.ndim != 2:
        raise ValueError("costs is a 2-D array: needs × teams")
    if np.isnan(matrix).any():
        raise ValueError("costs contain NaN; mark an ineligible pair with inf or use a sparse matrix")
    finite = np.isfinite(matrix)
    if not finite.all() and finite.mean() < 0.2:
        # Mostly ineligible: the sparse route never materialises the forbidden pairs.
        rows, cols = np.nonzero(finite)
        eligible = sparse.csr_array((matrix[rows, cols], (rows, cols)), shape=matrix.shape)
        return _assign_sparse(eligible, capacity, unmatched_cost)
    return _assign_dense(matrix, capacity, unmatched_cost)


def _assign_dense(matrix: np.ndarray, capacity, unmatched_cost) -> Assignment:
    needs, teams = matrix.shape
    cap = _capacity(capacity, teams)
    u = _unmatched(unmatched_cost, needs)
    if u is None and needs > int(cap.sum()):
        raise InfeasibleAssignment(f"{needs} needs but only {int(cap.sum())} team places (sum of capacities)")
    if u is not None:
        # Work on needs × teams before repeating columns: the repeat is the big matrix.
        gain = matrix - u[:, None]
        if not np.isfinite(gain).all():
            gain = np.where(np.isfinite(gain), gain, 0.0)
        np.minimum(gain, 0.0, out=gain)
        # A team never uses more places than the needs it beats leaving unmatched: fewer columns.
        cap = np.minimum(cap, np.count_nonzero(gain < 0, axis=0))
        slot_team = np.repeat(np.arange(teams), cap)
        rows, cols = linear_sum_assignment(gain[:, slot_team])
        keep = gain[rows, slot_team[cols]] < 0
        rows, cols = rows[keep], cols[keep]
    else:
        cap = np.minimum(cap, needs)
        slot_team = np.repeat(np.arange(teams), cap)
        try:
            rows, cols = linear_sum_assignment(matrix[:, slot_team])
        except ValueError as exc:  # scipy: "cost matrix is infeasible"
            raise InfeasibleAssignment(f"no assignment matches every need with an eligible team ({exc})") from None
    teams_matched = slot_team[cols]
    return _result(rows, teams_matched, matrix[rows, teams_matched], needs, u, "dense")


def _assign_sparse(eligible: sparse.csr_array, capacity, unmatched_cost) -> Assignment:
    needs, teams = eligible.shape
    cap = _capacity(capacity, teams)
    u = _unmatched(unmatched_cost, needs)
    eligible = eligible.tocoo()
    # A stored zero is an eligible pair of cost 0 (the shift in _solve_block keeps it in the graph).
    rows, cols, values = eligible.row.astype(np.int64), eligible.col.astype(np.int64), eligible.data.astype(float)
    keep = np.isfinite(values) & (cap[cols] > 0)
    if u is not None:
        keep &= values < u[rows]  # a pair no better than leaving the need unmatched never helps
    rows, cols, values = rows[keep], cols[keep], values[keep]
    if u is None and needs > int(cap.sum()):
        raise InfeasibleAssignment(f"{needs} needs but only {int(cap.sum())} team places (sum of capacities)")
    if needs == 0:
        return Assignment([], [], 0.0, "sparse")
    matched_needs, matched_teams, matched_costs = [], [], []
    order, batches = _batches(rows, cols, needs, teams)
    rows, cols, values = rows[order], cols[order], values[order]
    for batch_needs, lo, hi in batches:
        r, c, v = rows[lo:hi], cols[lo:hi], values[lo:hi]
        local_teams, c_local = np.unique(c, return_inverse=True)
        r_local = np.searchsorted(batch_needs, r)
        # A team can never use more places than it has eligible needs: fewer slot columns, same optimum.
        local_cap = np.minimum(cap[local_teams], np.bincount(c_local, minlength=len(local_teams)))
        got_rows, got_teams, got_costs = _solve_block(
            r_local, c_local, v, len(batch_needs), local_cap, None if u is None else u[batch_needs])
        matched_needs.append(batch_needs[got_rows])
        matched_teams.append(local_teams[got_teams])
        matched_costs.append(got_costs)
    return _result(np.concatenate(matched_needs), np.concatenate(matched_teams), np.concatenate(matched_costs),
                   needs, u, "sparse")


# scipy's LAPJVsp pays an O(n²) set-up beyond its sparse work, so solve a few hundred needs at a
# time (bench/matching.py: the national round's assign takes 2.0 s at 256, 3.1 s at 2,048).
BATCH_NEEDS = 256


def _batches(rows: np.ndarray, cols: np.ndarray, needs: int, teams: int):
    """Split the problem into independent pieces: the connected components of the eligibility graph
    (needs and teams as nodes), packed into batches of at most ``BATCH_NEEDS`` needs (a larger
    component stays whole). No pair crosses a component, so solving each batch exactly solves the
    whole. Returns (an order that groups the pairs by batch, [(the batch's needs sorted, first pair,
    end pair)])."""
    graph = sparse.csr_array((np.ones(len(rows), dtype=np.int8), (rows, needs + cols)), shape=(needs + teams,) * 2)
    count, label = connected_components(graph, directed=False)
    need_label = label[:needs]
    sizes = np.bincount(need_label, minlength=count)
    # First-fit in label order: consecutive components fill a batch up to BATCH_NEEDS needs.
    starts = np.flatnonzero(sizes)
    batch_of_label = np.zeros(count, dtype=np.int64)
    batch, filled = 0, 0
    for lab, size in zip(starts.tolist(), sizes[starts].tolist()):
        if filled and filled + size > BATCH_NEEDS:
            batch, filled = batch + 1, 0
        batch_of_label[lab] = batch
        filled += size
    need_batch = batch_of_label[need_label]
    order = np.argsort(need_batch[rows], kind="stable")
    pair_bounds = np.searchsorted(need_batch[rows][order], np.arange(batch + 2))
    need_order = np.argsort(need_batch, kind="stable")  # stable: each batch's needs stay sorted
    need_bounds = np.searchsorted(need_batch[need_order], np.arange(batch + 2))
    return order, [(need_order[need_bounds[b]:need_bounds[b + 1]], pair_bounds[b], pair_bounds[b + 1])
                   for b in range(batch + 1)]


def _solve_block(rows, cols, values, needs: int, cap: np.ndarray, u: np.ndarray | None):
    """One independent block: columns repeated by capacity, one private unmatched column per need
    when ``u`` is given, costs shifted positive. Returns (matched rows, their teams, pair costs)."""
    teams = len(cap)
    slots = int(cap.sum())
    if u is None and needs > slots:
        raise InfeasibleAssignment(f"{needs} needs compete for only {slots} places of the teams they may have")
    # Columns repeated by capacity: slot s of team j is column offsets[j] + s.
    offsets = np.r_[0, np.cumsum(cap)[:-1]]
    per_pair = cap[cols]
    pair_rows = np.repeat(rows, per_pair)
    pair_cols = np.repeat(offsets[cols], per_pair) + _ranges(per_pair)
    pair_values = np.repeat(values, per_pair)
    width = slots
    if u is not None:
        pair_rows = np.r_[pair_rows, np.arange(needs)]
        pair_cols = np.r_[pair_cols, slots + np.arange(needs)]
        pair_values = np.r_[pair_values, u]
        width += needs
    shift = 1.0 - min(0.0, float(pair_values.min())) if len(pair_values) else 1.0
    graph = sparse.csr_array((pair_values + shift, (pair_rows, pair_cols)), shape=(needs, width))
    try:
        matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    except ValueError as exc:  # scipy: "no full matching exists"
        raise InfeasibleAssignment(f"no assignment matches every need with an eligible team ({exc})") from None
    slot_team = np.repeat(np.arange(teams), cap)
    real = matched_cols < slots
    # The matched edges' own costs, read back from the graph (no lookup table of every pair).
    picked = graph[matched_rows[real], matched_cols[real]]
    pair_costs = (picked.toarray() if sparse.issparse(picked) else np.asarray(picked)).ravel() - shift
    return matched_rows[real], slot_team[matched_cols[real]], pair_costs


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0..k-1 for each k in ``lengths``, concatenated."""
    if not len(lengths):
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(ends[-1]) - np.repeat(ends - lengths, lengths)


def _result(needs_matched: np.ndarray, teams_matched: np.ndarray, pair_costs: np.ndarray, needs: int,
            u: np.ndarray | None, route: str) -> Assignment:
    pairs = sorted(zip(needs_matched.tolist(), teams_matched.tolist()))
    left = np.ones(needs, dtype=bool)
    left[needs_matched] = False
    unmatched = np.flatnonzero(left).tolist()
    total = float(np.sum(pair_costs))
    if u is not None:
        total += float(u[left].sum())
    return Assignment(pairs, unmatched, total, route)
