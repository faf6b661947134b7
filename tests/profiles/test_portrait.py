"""Ability portraits: simulated workers of known ability are recovered, with honest uncertainty."""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from scipy.stats import spearmanr

from profiles import portrait


def simulate(workers=600, contests=90, per_contest=40, items=40, quizzed=0.6, seed=11):
    """True abilities (population SD 1). Contests of varying ease and discrimination-free noise
    give shares; quizzes give Rasch answers. Returns truth and both sources' observations."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, 1, workers)
    scale = 0.8  # a contest's logit share moves 0.8 per SD of ability: unknown to the fit
    ease = rng.normal(0, 1.0, contests)
    worker, contest, share = [], [], []
    for c in range(contests):
        entrants = rng.choice(workers, per_contest, replace=False)
        y = scale * truth[entrants] + ease[c] + rng.normal(0, 0.5, per_contest)
        worker += list(entrants)
        contest += [c] * per_contest
        share += list(expit(y))
    difficulty = rng.normal(0, 1, items)
    q_worker, q_item, q_right = [], [], []
    for w in np.flatnonzero(rng.random(workers) < quizzed):
        for i in rng.choice(items, 20, replace=False):
            q_worker.append(w)
            q_item.append(i)
            q_right.append(rng.random() < expit(truth[w] - difficulty[i]))
    simulate.difficulty = difficulty
    return truth, (np.array(worker), np.array(contest), np.array(share)), \
        (np.array(q_worker), np.array(q_item), np.array(q_right))


def coverage(estimate, truth, mask):
    return float(np.mean(np.abs(estimate.z[mask] - truth[mask]) <= 1.96 * estimate.se[mask]))


def test_contests_of_different_difficulty_are_placed_on_one_scale():
    truth, (worker, contest, share), _ = simulate()
    estimate, ease = portrait.contest_abilities(worker, contest, share, len(truth))
    seen = np.isfinite(estimate.se)
    assert seen.sum() > 0.9 * len(truth)
    # Raw shares mix ability with the luck of an easy contest; the fitted abilities do not.
    raw = np.bincount(worker, weights=share, minlength=len(truth)) / np.maximum(np.bincount(worker, minlength=len(truth)), 1)
    fitted_rho = spearmanr(estimate.z[seen], truth[seen]).statistic
    assert fitted_rho > spearmanr(raw[seen], truth[seen]).statistic
    several = np.bincount(worker, minlength=len(truth)) >= 4
    assert spearmanr(estimate.z[several], truth[several]).statistic >= 0.95
    assert 0.90 <= coverage(estimate, truth, seen) <= 0.99


def test_quizzes_fit_the_rasch_model_and_recover_item_difficulty():
    truth, _, (worker, item, right) = simulate()
    estimate, difficulty = portrait.rasch_abilities(worker, item, right, len(truth))
    answered = np.isfinite(estimate.se)
    assert spearmanr(estimate.z[answered], truth[answered]).statistic >= 0.8  # 20 items each
    assert 0.90 <= coverage(estimate, truth, answered) <= 0.99
    true_difficulty = simulate.difficulty - simulate.difficulty.mean()  # centred, as the fit is
    assert np.corrcoef(difficulty, true_difficulty)[0, 1] >= 0.95


def test_both_sources_combined_recover_the_ranking_and_cover_the_truth_at_the_nominal_rate():
    truth, contests, quizzes = simulate()
    from_contests, _ = portrait.contest_abilities(*contests, len(truth))
    from_quizzes, _ = portrait.rasch_abilities(*quizzes, len(truth))
    combined = portrait.combine(from_contests, from_quizzes)
    both = np.isfinite(from_contests.se) & np.isfinite(from_quizzes.se)
    assert np.all(combined.se[both] < np.minimum(from_contests.se[both], from_quizzes.se[both]))
    sufficient = combined.se <= portrait.INSUFFICIENT_SE
    assert sufficient.mean() > 0.8
    assert spearmanr(combined.z[sufficient], truth[sufficient]).statistic >= 0.95
    assert 0.90 <= coverage(combined, truth, sufficient) <= 0.99


def test_too_little_evidence_is_shown_as_such_and_gaps_need_the_whole_interval_below():
    assert not portrait.to_display("识图焊接接线", 1.0, 0.9).sufficient
    assert not portrait.to_display("识图焊接接线", 0.0, float("inf")).sufficient
    strong = portrait.to_display("出光排障", 1.5, 0.2)
    middling = portrait.to_display("通电及装软件", 0.0, 0.3)
    weak = portrait.to_display("气路风门装调", -1.5, 0.2)
    unknown = portrait.to_display("电气基础知识", 0.0, 2.0)
    assert strong.low < strong.score < strong.high and 90 < strong.score < 95
    verdicts = {g.dimension: g.verdict for g in portrait.gaps_against(
        [strong, middling, weak, unknown], {"出光排障": 60, "通电及装软件": 50, "气路风门装调": 40, "电气基础知识": 50})}
    assert verdicts == {"出光排障": "strength", "通电及装软件": "meets", "气路风门装调": "gap", "电气基础知识": "unknown"}
