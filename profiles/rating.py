"""匠星 rating: a Plackett-Luce skill estimate per worker and trade, from contests' finishing orders.

Two computations over the same history of finishing orders (ties allowed):

- ``update`` — after each finalized contest, the Weng-Lin Bayesian approximation of the
  Plackett-Luce model (Weng & Lin 2011, "A Bayesian Approximation Method for Online Ranking",
  JMLR 12, algorithm 4): every entrant's ``(mu, sigma)`` moves by how far their place beat what the
  model expected. Vectorised and O(n) per contest: the sums over "everyone placed at or above me"
  are prefix sums over the rank groups.
- ``fit_history`` — the nightly batch: the maximum a posteriori Plackett-Luce strengths of the
  whole history at once (Hunter's 2004 MM algorithm, ties by Breslow's approximation, a
  Gamma(2, 1) prior so that an unbeaten worker still has a finite strength), with standard
  errors from the observed information. Order-independent, so it checks the online estimates.

The online rating is what pages show; the batch fit is the audit: on a simulated history
(``tests/profiles/test_rating.py``) the two orders of workers with 3+ contests agree with a
Spearman correlation of at least 0.95, the tolerance the README documents.

Ties: entrants with the same rank form a group. In the online update a tied group shares the
credit (Weng & Lin's ``A_q``); in the batch fit each member of a group is "chosen" from the same
set of those not yet placed. The last group of a contest carries no information (its members
were the only ones left) and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MU0 = 25.0            # a newcomer's estimate
SIGMA0 = MU0 / 3      # and its uncertainty: ±3 sigma spans the scale
BETA = SIGMA0 / 2     # performance noise within one contest
TAU = SIGMA0 / 100    # added uncertainty per contest: skills drift, estimates must stay movable
KAPPA = 1e-4          # floor of the variance shrink factor
PROVISIONAL_BELOW = 3  # contests before a rating stops being provisional (新人)
INTERVAL_Z = 1.96     # the shown interval: mu ± 1.96 sigma


@dataclass(frozen=True)
class Rating:
    mu: float = MU0
    sigma: float = SIGMA0
    contests: int = 0

    @property
    def low(self) -> float:
        return self.mu - INTERVAL_Z * self.sigma

    @property
    def high(self) -> float:
        return self.mu + INTERVAL_Z * self.sigma

    @property
    def provisional(self) -> bool:
        return self.contests < PROVISIONAL_BELOW


def _groups(ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by rank; return (order, group index of each sorted entrant, group sizes)."""
    order = np.argsort(ranks, kind="stable")
    sorted_ranks = ranks[order]
    starts = np.flatnonzero(np.r_[True, sorted_ranks[1:] != sorted_ranks[:-1]])
    sizes = np.diff(np.r_[starts, len(ranks)])
    group = np.repeat(np.arange(len(starts)), sizes)
    return order, group, sizes


def update(mu: np.ndarray, sigma: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return new ``(mu, sigma)`` of a contest's entrants given their ranks (1 = first; equal
    ranks are ties). Arrays in, arrays out, in the entrants' order."""
    mu = np.asarray(mu, dtype=float)
    n = len(mu)
    if n < 2:
        return mu.copy(), np.asarray(sigma, dtype=float).copy()
    variance = np.asarray(sigma, dtype=float) ** 2 + TAU**2
    order, group, sizes = _groups(np.asarray(ranks))
    c = np.sqrt(np.sum(variance + BETA**2))
    m = mu[order] / c
    e = np.exp(m - m.max())  # common factor cancels in every ratio below
    # S_g: the strength of everyone placed in group g or below it.
    suffix = np.cumsum(e[::-1])[::-1]
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    s = suffix[starts]
    # Over the groups at or above mine: sum of 1/S and of 1/S^2 (see the module docstring).
    inv_sum = np.cumsum(1.0 / s)[group]
    inv_sq_sum = np.cumsum(1.0 / s**2)[group]
    var_sorted = variance[order]
    omega = var_sorted / c * (1.0 / sizes[group] - e * inv_sum)
    gamma = np.sqrt(var_sorted) / c
    delta = gamma * var_sorted / c**2 * (e * inv_sum - e**2 * inv_sq_sum)
    new_mu = np.empty(n)
    new_var = np.empty(n)
    new_mu[order] = mu[order] + omega
    new_var[order] = var_sorted * np.maximum(1.0 - delta, KAPPA)
    return new_mu, np.sqrt(new_var)


@dataclass(frozen=True)
class BatchFit:
    """Log-strengths (natural log of the Plackett-Luce worth) and their standard errors."""

    strength: np.ndarray
    se: np.ndarray
    iterations: int
    converged: bool


def fit_history(contest: np.ndarray, worker: np.ndarray, rank: np.ndarray, workers: int, *,
                prior_shape: float = 2.0, prior_rate: float = 1.0, tolerance: float = 1e-6,
                max_iterations: int = 500) -> BatchFit:
    """MAP Plackett-Luce strengths of ``workers`` workers from every result at once.

    ``contest``, ``worker`` and ``rank`` are parallel arrays, one entry per result (worker
    indices 0..workers-1). Stops when no log-strength moves by more than ``tolerance``.
    """
    order = np.lexsort((rank, contest))
    contest, worker, rank = contest[order], worker[order], rank[order]
    n = len(contest)
    new_contest = np.r_[True, contest[1:] != contest[:-1]]
    new_group = new_contest | np.r_[True, rank[1:] != rank[:-1]]
    group_start = np.flatnonzero(new_group)
    group_of = np.cumsum(new_group) - 1
    sizes = np.diff(np.r_[group_start, n])
    contest_start = np.flatnonzero(new_contest)
    contest_end = np.r_[contest_start[1:], n]  # one past each contest's last result
    contest_of_group = np.cumsum(new_contest)[group_start] - 1
    # A contest's last group was the only one left: it carries no information.
    terminal = np.r_[contest_of_group[1:] != contest_of_group[:-1], True]
    informative = ~terminal
    wins = np.bincount(worker[informative[group_of]], minlength=workers).astype(float)
    group_contest_first = np.r_[True, contest_of_group[1:] != contest_of_group[:-1]]
    end_of_result = np.repeat(contest_end, np.diff(np.r_[contest_start, n]))

    def within_contest_prefix(values: np.ndarray) -> np.ndarray:
        """Cumulative sums of per-group values restarting at each contest."""
        total = np.cumsum(values)
        offset = np.where(group_contest_first, total - values, 0.0)
        return total - np.maximum.accumulate(offset)

    def group_sums(gamma: np.ndarray) -> np.ndarray:
        g = gamma[worker]
        cs = np.r_[np.cumsum(g[::-1])[::-1], 0.0]
        suffix = cs[:n] - cs[end_of_result]
        return suffix[group_start]

    gamma = np.ones(workers)
    converged, iteration = False, 0
    for iteration in range(1, max_iterations + 1):
        s = group_sums(gamma)
        # Each of a group's members was chosen from its risk set: a_g / S_g for everyone in it.
        inv = np.where(informative, sizes / s, 0.0)
        denominator = np.bincount(worker, weights=within_contest_prefix(inv)[group_of], minlength=workers)
        updated = (wins + prior_shape - 1.0) / (denominator + prior_rate)
        step = np.max(np.abs(np.log(updated) - np.log(gamma)))
        gamma = updated
        if step < tolerance:
            converged = True
            break
    s = group_sums(gamma)
    inv = np.where(informative, sizes / s, 0.0)
    inv_sq = np.where(informative, sizes / s**2, 0.0)
    first = np.bincount(worker, weights=within_contest_prefix(inv)[group_of], minlength=workers)
    second = np.bincount(worker, weights=within_contest_prefix(inv_sq)[group_of], minlength=workers)
    information = gamma * first - gamma**2 * second + prior_rate * gamma
    return BatchFit(np.log(gamma), 1.0 / np.sqrt(information), iteration, converged)


def shown_ranks(lows: list[float], highs: list[float]) -> list[int]:
    """Rank entries so that none is placed above another it cannot be told apart from.

    An entry's rank is 1 + the number of entries whose interval lies wholly above its own:
    entries whose intervals overlap share a place (shown as 并列) instead of a false order.
    Entries are given best first (by estimate).
    """
    ordered_lows = sorted(lows)
    from bisect import bisect_right

    return [1 + len(ordered_lows) - bisect_right(ordered_lows, high) for high in highs]
