"""匠星 rating: the online Plackett-Luce update, the batch fit, and what they recover."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import spearmanr

from profiles import rating


def log_likelihood(theta, ranks):
    """A contest's Plackett-Luce log-likelihood with Breslow ties, written out stage by stage."""
    total = 0.0
    levels = sorted(set(ranks))
    for level in levels[:-1]:
        risk = [i for i, r in enumerate(ranks) if r >= level]
        chosen = [i for i, r in enumerate(ranks) if r == level]
        total += sum(theta[i] for i in chosen) - len(chosen) * math.log(sum(math.exp(theta[i]) for i in risk))
    return total


@pytest.mark.parametrize("ranks", [[1, 2, 3, 4, 5], [3, 1, 2, 5, 4], [1, 1, 3, 4, 4], [2, 2, 2, 1, 5]])
def test_the_update_is_one_newton_step_from_the_prior_on_the_likelihood(ranks):
    """Checked against numerical derivatives of the likelihood written out stage by stage."""
    rng = np.random.default_rng(sum(ranks))
    mu = rng.normal(0, 0.7, len(ranks))
    sigma = rng.uniform(0.2, 0.9, len(ranks))
    new_mu, new_sigma = rating.update(mu, sigma, np.array(ranks))
    h = 1e-4
    for i in range(len(ranks)):
        bump = np.zeros(len(ranks))
        bump[i] = h
        up, mid, down = (log_likelihood(mu + bump, ranks), log_likelihood(mu, ranks), log_likelihood(mu - bump, ranks))
        gradient, information = (up - down) / (2 * h), -(up - 2 * mid + down) / h**2
        precision = 1 / (sigma[i] ** 2 + rating.TAU**2) + information
        assert new_mu[i] == pytest.approx(mu[i] + gradient / precision, rel=1e-5, abs=1e-7)
        assert new_sigma[i] == pytest.approx(1 / math.sqrt(precision), rel=1e-5)


def test_winners_rise_losers_fall_ties_move_together_and_certainty_grows():
    mu = np.full(4, rating.MU0)
    sigma = np.full(4, rating.SIGMA0)
    new_mu, new_sigma = rating.update(mu, sigma, np.array([1, 2, 2, 4]))
    assert new_mu[1] == pytest.approx(new_mu[2])
    assert new_mu[0] > new_mu[1] > new_mu[3]
    assert new_mu[0] > rating.MU0 > new_mu[3]
    assert np.all(new_sigma < rating.SIGMA0)
    # An upset moves the favourite further than an expected result would.
    strong, weak = 1.0, -1.0
    upset, _ = rating.update(np.array([strong, weak]), np.array([0.5, 0.5]), np.array([2, 1]))
    expected, _ = rating.update(np.array([strong, weak]), np.array([0.5, 0.5]), np.array([1, 2]))
    assert strong - upset[0] > expected[0] - strong > 0


def test_the_batch_fit_is_the_maximum_of_the_posterior():
    """Checked against a general-purpose optimiser on the same log posterior."""
    contests = [([0, 1, 2, 3], [1, 2, 3, 4]), ([1, 2, 4], [1, 1, 3]), ([3, 4, 0], [1, 2, 3]),
                ([2, 0, 4, 1], [1, 2, 2, 4]), ([0, 3], [2, 1])]
    contest = np.concatenate([[k] * len(w) for k, (w, _) in enumerate(contests)])
    worker = np.concatenate([w for w, _ in contests])
    rank = np.concatenate([r for _, r in contests])
    fit = rating.fit_history(contest, worker, rank, 5, tolerance=1e-10, max_iterations=20000)
    assert fit.converged

    def negative_log_posterior(theta):
        total = np.sum(theta) - np.sum(np.exp(theta))  # Gamma(2, 1) prior on exp(theta), in theta
        for workers, ranks in contests:
            levels = sorted(set(ranks))
            for level in levels[:-1]:
                risk = [w for w, r in zip(workers, ranks) if r >= level]
                chosen = [w for w, r in zip(workers, ranks) if r == level]
                total += sum(theta[w] for w in chosen) - len(chosen) * np.log(np.sum(np.exp(theta[risk])))
        return -total

    best = minimize(negative_log_posterior, np.zeros(5), method="BFGS", options={"gtol": 1e-10})
    assert np.allclose(fit.strength, best.x, atol=1e-4)
    # The standard errors are the inverse square roots of the curvature there.
    step = 1e-4
    for i in range(5):
        bump = np.zeros(5)
        bump[i] = step
        curvature = (negative_log_posterior(best.x + bump) - 2 * best.fun + negative_log_posterior(best.x - bump)) / step**2
        assert fit.se[i] == pytest.approx(1 / math.sqrt(curvature), rel=1e-3)


def simulate_history(workers=400, contests=900, size=(8, 30), seed=7):
    """Contests among workers of known strength; finishing orders drawn from Plackett-Luce
    exactly (strength plus Gumbel noise, sorted), with ties where rounded performances meet."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(0.0, 1.0, workers)
    contest, worker, rank = [], [], []
    for k in range(contests):
        entrants = rng.choice(workers, size=rng.integers(*size), replace=False)
        performance = np.round(truth[entrants] + rng.gumbel(size=len(entrants)), 1)
        ranks = 1 + np.array([np.sum(performance > p) for p in performance])  # competition ranks
        contest += [k] * len(entrants)
        worker += list(entrants)
        rank += list(ranks)
    return truth, np.array(contest), np.array(worker), np.array(rank)


def replay_online(contest, worker, rank, workers):
    mu = np.full(workers, rating.MU0)
    sigma = np.full(workers, rating.SIGMA0)
    played = np.zeros(workers, dtype=int)
    for k in np.unique(contest):
        at = contest == k
        entrants = worker[at]
        mu[entrants], sigma[entrants] = rating.update(mu[entrants], sigma[entrants], rank[at])
        played[entrants] += 1
    return mu, sigma, played


def test_a_simulated_history_is_recovered_and_online_and_batch_agree():
    truth, contest, worker, rank = simulate_history()
    fit = rating.fit_history(contest, worker, rank, len(truth))
    mu, sigma, played = replay_online(contest, worker, rank, len(truth))
    settled = played >= rating.PROVISIONAL_BELOW
    assert settled.mean() > 0.9
    assert spearmanr(fit.strength[settled], truth[settled]).statistic >= 0.95
    assert spearmanr(mu[settled], truth[settled]).statistic >= 0.95
    # The documented tolerance between the nightly batch and the online ranking.
    assert spearmanr(mu[settled], fit.strength[settled]).statistic >= 0.95
    # The batch's 95% intervals cover the truth close to 95% of the time (strengths are known
    # only up to a common shift, so both are centred first).
    centred = fit.strength - fit.strength.mean()
    covered = np.abs(centred - (truth - truth.mean())) <= 1.96 * fit.se
    assert 0.90 <= covered.mean() <= 0.99
    # So do the online ratings' intervals, the ones the ranking page shows.
    online = np.abs((mu - mu.mean()) - (truth - truth.mean())) <= rating.INTERVAL_Z * sigma
    assert 0.90 <= online[settled].mean() <= 0.99


def test_overlapping_intervals_share_a_place_and_separated_ones_do_not():
    # best first by estimate: A and B overlap, C is clearly below both, D overlaps C only
    lows, highs = [20.0, 19.0, 10.0, 9.0], [30.0, 29.0, 18.0, 17.0]
    assert rating.shown_ranks(lows, highs) == [1, 1, 3, 3]
    assert rating.shown_ranks([5.0, 1.0], [6.0, 2.0]) == [1, 2]
