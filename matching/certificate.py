"""Prove an assignment optimal: dual potentials on its residual graph (no negative cycle).

Read the assignment as a flow: each need sends one unit to a team (at the pair's cost) or, when
``unmatched_cost`` is given, straight to the sink (at that cost); team ``j`` passes at most
``capacity[j]`` units on to the sink. A flow of fixed value is of minimum cost exactly when its
residual graph has no negative cycle (the min-cost-flow optimality condition), and that holds
exactly when there are potentials ``d`` with ``w(u, v) + d[u] - d[v] >= 0`` on every residual
edge. ``certify`` finds such potentials by Bellman–Ford from a virtual source joined to every node
(vectorised over edges: one pass is one NumPy reduction), then checks every reduced cost itself,
so the answer does not rest on the solver that produced the assignment.

Residual edges: an unused eligible pair i → j (cost c), a used pair j → i (−c); team → sink (0)
while it has a free place, sink → team (0) while it holds a need; with unmatched costs, a matched
need → sink (u) and sink → an unmatched need (−u).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class Certificate:
    optimal: bool
    passes: int  # Bellman–Ford passes until the potentials settled (or the cap, when not optimal)
    worst_reduced_cost: float  # ≥ −tolerance when optimal
    edges: int


def certify(costs, pairs: list[tuple[int, int]] | np.ndarray, *, capacity=None, unmatched_cost=None,
            tolerance: float = 1e-7, max_passes: int | None = None) -> Certificate:
    eligible = sparse.coo_array(costs) if sparse.issparse(costs) else None
    if eligible is None:
        matrix = np.asarray(costs, dtype=float)
        rows, cols = np.nonzero(np.isfinite(matrix))
        values = matrix[rows, cols]
        needs, teams = matrix.shape
    else:
        rows, cols, values = eligible.row.astype(np.int64), eligible.col.astype(np.int64), eligible.data.astype(float)
        needs, teams = eligible.shape
    cap = np.ones(teams, dtype=np.int64) if capacity is None else np.asarray(capacity, dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    sink = needs + teams
    # Which eligible pairs are used: match (need, team) keys.
    key = rows * teams + cols
    used_key = pairs[:, 0] * teams + pairs[:, 1]
    used = np.isin(key, used_key)
    if used.sum() != len(pairs):
        raise ValueError("the assignment uses a pair that is not eligible (or uses one twice)")
    load = np.bincount(pairs[:, 1], minlength=teams)
    matched = np.zeros(needs, dtype=bool)
    matched[pairs[:, 0]] = True
    team_nodes = needs + np.arange(teams)
    src = [np.where(used, needs + cols, rows), team_nodes[load < cap], np.full(int((load > 0).sum()), sink)]
    dst = [np.where(used, rows, needs + cols), np.full(int((load < cap).sum()), sink), team_nodes[load > 0]]
    weight = [np.where(used, -values, values), np.zeros(int((load < cap).sum())), np.zeros(int((load > 0).sum()))]
    if unmatched_cost is not None:
        u = np.broadcast_to(np.asarray(unmatched_cost, dtype=float), (needs,))
        src += [np.flatnonzero(matched), np.full(int((~matched).sum()), sink)]
        dst += [np.full(int(matched.sum()), sink), np.flatnonzero(~matched)]
        weight += [u[matched], -u[~matched]]
    src, dst, weight = np.concatenate(src), np.concatenate(dst), np.concatenate(weight)
    order = np.argsort(dst, kind="stable")
    src, dst, weight = src[order], dst[order], weight[order]
    targets, starts = np.unique(dst, return_index=True)
    nodes = sink + 1
    potential = np.zeros(nodes)
    passes, cap_passes = 0, max_passes or nodes
    while passes < cap_passes:
        passes += 1
        best = np.minimum.reduceat(potential[src] + weight, starts)
        improved = best < potential[targets] - tolerance
        if not improved.any():
            break
        potential[targets[improved]] = best[improved]
    reduced = weight + potential[src] - potential[dst]
    worst = float(reduced.min()) if len(reduced) else 0.0
    return Certificate(worst >= -tolerance * 10, passes, worst, len(weight))
