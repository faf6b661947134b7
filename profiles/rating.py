"""匠星 rating: a Plackett-Luce skill estimate per worker and trade, from contests' finishing orders.

Skills are log-strengths ``theta``: in the Plackett-Luce model, of the entrants not yet placed,
each takes the next place with probability proportional to ``exp(theta)``. Two computations over
the same history of finishing orders (ties allowed):

- ``update`` — after each finalized contest, an online Gaussian (Laplace) update: every entrant
  holds ``N(mu, sigma^2)``; one Newton step of the contest's Plackett-Luce log-likelihood in
  their own skill (the others at their means), from that prior, gives the new mean and the new
  variance (the inverse of prior precision plus observed information). This is the diagonal
  assumed-density filter for Plackett-Luce, in the spirit of Weng & Lin (2011, JMLR 12); unlike
  their algorithm 4 its uncertainty is on the model's own scale, so a 30-entrant contest
  narrows an interval as much as it really informs. O(n) per contest: the sums over "everyone
  placed at or above me" are prefix sums over the rank groups.
- ``fit_history`` — the nightly batch: the maximum a posteriori strengths of the whole history at
  once (Hunter's 2004 MM algorithm, a Gamma(2, 1) prior on ``exp(theta)``), with standard
  errors from the observed information. Order-independent, so it audits the online estimates.

The online rating is what pages show; the batch fit is the audit: on a simulated history
(``tests/profiles/test_rating.py``) the two orders of workers with 3+ contests agree with a
Spearman correlation of at least 0.95, the tolerance the README documents.

Ties follow Breslow's approximation: entrants with the same rank form a group, each member
"chosen" from the same set of those not yet placed. The last group of a contest carries no
information (its members were the only ones left) and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MU0 = 0.0             # a newcomer's estimate: the average worker
SIGMA0 = 0.8          # its uncertainty: the population spread of log-strengths (the batch prior's)
TAU = 0.03            # added uncertainty per contest: skills drift, estimates must stay movable
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
    m = mu[order]
    e = np.exp(m - m.max())  # a common factor cancels in every ratio below
    # S_g: the strength of everyone placed in group g or below it (g's risk set).
    suffix = np.cumsum(e[::-1])[::-1]
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    s = suffix[starts]
    informative = np.ones(len(sizes), dtype=bool)
    informative[-1] = False
    # Over the informative groups at or above mine: sum of a_g/S_g and of a_g/S_g^2.
    first = np.cumsum(np.where(informative, sizes / s, 0.0))[group]
    second = np.cumsum(np.where(informative, sizes / s**2, 0.0))[group]
    gradient = informative[group] - e * first
    information = e * first - e**2 * second
    precision = 1.0 / variance[order] + information
    new_mu = np.empty(n)
    new_sigma = np.empty(n)
    new_mu[order] = m + gradient / precision
    new_sigma[order] = 1.0 / np.sqrt(precision)
    return new_mu, new_sigma


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
