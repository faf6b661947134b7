"""Stable matching with capacities (双向选择): needs rank teams, teams rank needs.

Each need takes at most one team; team ``j`` takes at most ``capacity[j]`` needs. A pair is
acceptable only when each side ranks the other. A matching is **stable** when no acceptable pair
(i, j) *blocks* it: i would rather have j than its team (or than none), and j has a free place or
holds a need it ranks below i.

Deferred acceptance finds one (Gale–Shapley, extended to capacities as in the hospitals/residents
problem): ``proposing="needs"`` gives every need its best team among all stable matchings,
``proposing="teams"`` gives the teams theirs (and every need its worst). ``blocking_pairs`` checks
any matching against the definition directly, so a result is proven, not trusted.

Preferences come as lists, best first: ``need_prefs[i]`` team indices, ``team_prefs[j]`` need
indices. The rank lookups are built with NumPy (a sort over all listed pairs), so 100,000 needs
with 20 choices each take a few seconds of plain Python in the proposal loop and nothing more.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StableMatching:
    team_of: list[int]  # per need: its team, or -1
    proposing: str

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return [(i, j) for i, j in enumerate(self.team_of) if j >= 0]


def _pair_arrays(prefs: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(p) for p in prefs), dtype=np.int64, count=len(prefs))
    owner = np.repeat(np.arange(len(prefs)), lengths)
    other = np.fromiter((x for p in prefs for x in p), dtype=np.int64, count=int(lengths.sum()))
    rank = np.arange(len(other)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, other, rank


def _ranks(need_prefs: list[list[int]], team_prefs: list[list[int]], teams: int):
    """Keep only mutually acceptable pairs. Returns, per need, its acceptable teams in its order and,
    aligned, the rank each of those teams gives the need."""
    needs = len(need_prefs)
    n_owner, n_team, _ = _pair_arrays(need_prefs)
    t_owner, t_need, t_rank = _pair_arrays(team_prefs)
    for name, values, bound in (("need_prefs", n_team, teams), ("team_prefs", t_need, needs)):
        if len(values) and (values.min() < 0 or values.max() >= bound):
            raise ValueError(f"{name} names an index outside 0..{bound - 1}")
    key_team = t_owner * needs + t_need  # (team, need) as one integer
    order = np.argsort(key_team, kind="stable")
    sorted_keys = key_team[order]
    if len(sorted_keys) > 1 and (np.diff(sorted_keys) == 0).any():
        raise ValueError("team_prefs lists a need twice for one team")
    wanted = n_team * needs + n_owner
    at = np.searchsorted(sorted_keys, wanted)
    found = at < len(sorted_keys)
    found[found] = sorted_keys[at[found]] == wanted[found]
    team_rank = np.where(found, t_rank[order[np.minimum(at, len(order) - 1)]] if len(order) else 0, -1)
    keep = team_rank >= 0
    counts = np.bincount(n_owner[keep], minlength=needs)
    bounds = np.r_[0, np.cumsum(counts)]
    teams_kept, ranks_kept = n_team[keep].tolist(), team_rank[keep].tolist()
    return ([teams_kept[bounds[i]:bounds[i + 1]] for i in range(needs)],
            [ranks_kept[bounds[i]:bounds[i + 1]] for i in range(needs)])


def stable_match(need_prefs: list[list[int]], team_prefs: list[list[int]], capacity=None, *,
                 proposing: str = "needs") -> StableMatching:
    teams = len(team_prefs)
    cap = [1] * teams if capacity is None else [int(c) for c in capacity]
    if len(cap) != teams or min(cap, default=0) < 0:
        raise ValueError("capacity: one count ≥ 0 per team")
    for i, prefs in enumerate(need_prefs):
        if len(set(prefs)) != len(prefs):
            raise ValueError(f"need_prefs[{i}] lists a team twice")
    choices, team_rank = _ranks(need_prefs, team_prefs, teams)
    if proposing == "needs":
        return StableMatching(_needs_propose(choices, team_rank, cap, teams), proposing)
    if proposing == "teams":
        return StableMatching(_teams_propose(choices, team_rank, cap, teams, len(need_prefs)), proposing)
    raise ValueError("proposing: needs or teams")


def _needs_propose(choices, team_rank, cap, teams) -> list[int]:
    held: list[list[tuple[int, int]]] = [[] for _ in range(teams)]  # per team: heap of (-rank, need)
    team_of = [-1] * len(choices)
    next_choice = [0] * len(choices)
    free = list(range(len(choices) - 1, -1, -1))
    while free:
        i = free.pop()
        k = next_choice[i]
        mine, ranks = choices[i], team_rank[i]
        while k < len(mine):
            j, r = mine[k], ranks[k]
            k += 1
            heap = held[j]
            if len(heap) < cap[j]:
                heapq.heappush(heap, (-r, i))
                team_of[i] = j
                break
            if heap and -heap[0][0] > r:  # j prefers i to the worst need it holds
                _, out = heapq.heapreplace(heap, (-r, i))
                team_of[i], team_of[out] = j, -1
                free.append(out)
                break
        next_choice[i] = k
    return team_of


def _teams_propose(choices, team_rank, cap, teams, needs) -> list[int]:
    # Per team, the mutually acceptable needs in its order, each with the rank that need gives it.
    proposals: list[list[tuple[int, int, int]]] = [[] for _ in range(teams)]
    for i in range(needs):
        for k, (j, r) in enumerate(zip(choices[i], team_rank[i])):
            proposals[j].append((r, i, k))
    for p in proposals:
        p.sort()
    team_of = [-1] * needs
    held_rank = [len(c) for c in choices]  # the rank the need gives the team it holds (worse than any)
    load = [0] * teams
    next_choice = [0] * teams
    free = [j for j in range(teams - 1, -1, -1) if cap[j] > 0]
    while free:
        j = free.pop()
        plist = proposals[j]
        k = next_choice[j]
        while load[j] < cap[j] and k < len(plist):
            _, i, mine = plist[k]
            k += 1
            if mine < held_rank[i]:  # i prefers j to what it holds
                current = team_of[i]
                if current != -1:
                    load[current] -= 1
                    free.append(current)
                team_of[i], held_rank[i] = j, mine
                load[j] += 1
        next_choice[j] = k
    return team_of


def blocking_pairs(team_of: list[int], need_prefs: list[list[int]], team_prefs: list[list[int]],
                   capacity=None) -> list[tuple[int, int]]:
    """Every acceptable pair that blocks the matching (empty: the matching is stable). Also refuses
    a matching that is not one: an unacceptable pair or a team over capacity."""
    teams = len(team_prefs)
    cap = [1] * teams if capacity is None else list(capacity)
    rank_by_team = [{i: r for r, i in enumerate(p)} for p in team_prefs]
    load = [0] * teams
    worst = [-1] * teams  # the worst rank each team holds
    for i, j in enumerate(team_of):
        if j < 0:
            continue
        if j not in need_prefs[i] or i not in rank_by_team[j]:
            raise ValueError(f"need {i} holds team {j}, not a mutually acceptable pair")
        load[j] += 1
        worst[j] = max(worst[j], rank_by_team[j][i])
    over = [j for j in range(teams) if load[j] > cap[j]]
    if over:
        raise ValueError(f"teams over capacity: {over}")
    blocking = []
    for i, prefs in enumerate(need_prefs):
        for j in prefs:
            if j == team_of[i]:
                break  # every team after this one is worse for i
            r = rank_by_team[j].get(i)
            if r is not None and (load[j] < cap[j] or r < worst[j]):
                blocking.append((i, j))
    return blocking
