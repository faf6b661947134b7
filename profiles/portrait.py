"""Ability portrait (能力画像): one score per dimension of a trade, each with its uncertainty.

Two kinds of evidence, each turned into an estimate on the same population scale, then combined:

1. **Contest results.** A contest's rule set says which dimension each aspect feeds; a worker's
   share of a dimension's marks (0..1) becomes ``y = logit(share)``. Contests differ in
   difficulty, so shares are not comparable as they stand: we fit the two-way model
   ``y[w, c] = ability[w] + ease[c] + noise`` over every result in the dimension (an additive
   item-response model: a contest is an item whose ease is estimated from everyone who took
   it, which links contests through the workers they share). Abilities have a normal population
   prior whose spread is estimated from the data, so a worker seen once is pulled towards the
   middle by as much as one contest can be trusted; the posterior standard error says how much.
2. **Assessment quizzes** (岗位技能测评 on a phone): right/wrong answers to items of a
   dimension, fitted with the Rasch model ``P(right) = logistic(ability - difficulty)``: item
   difficulties from everyone's answers, each worker's ability as the posterior mode under the
   same kind of population prior, with the standard error from the test information.

Each source's abilities are divided by that source's population spread, so both say "standard
deviations above the average worker". Where a worker has both, the two estimates are combined by
their precisions (inverse variances). Shown on a 0–100 scale: the percentile in the population
(``100·Φ(z)``), with the interval ``z ± 1.96·se`` mapped the same way. A dimension whose standard
error exceeds ``INSUFFICIENT_SE`` (the 95% interval would span more than ±1 population SD) is
shown as "evidence insufficient" (证据不足), not as a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from scipy.stats import norm

SHARE_CLIP = 0.02          # a 0% or 100% share would have an infinite logit
INSUFFICIENT_SE = 0.5      # in population SDs
Z95 = 1.959964


@dataclass(frozen=True)
class Estimate:
    """Abilities of a source's workers, in population SDs, with standard errors."""

    z: np.ndarray
    se: np.ndarray
    spread: float  # the population SD in the source's own units


def contest_abilities(worker: np.ndarray, contest: np.ndarray, share: np.ndarray, workers: int,
                      *, iterations: int = 200, tolerance: float = 1e-8) -> tuple[Estimate, np.ndarray]:
    """Fit the two-way model of one dimension; return the abilities and each contest's ease.

    ``worker``/``contest`` are index arrays (0-based), ``share`` the share of the dimension's
    marks, one entry per result. Workers without a result get z = 0 with an infinite se.
    """
    y = np.log(np.clip(share, SHARE_CLIP, 1 - SHARE_CLIP) / (1 - np.clip(share, SHARE_CLIP, 1 - SHARE_CLIP)))
    contests = int(contest.max()) + 1 if len(contest) else 0
    n_worker = np.bincount(worker, minlength=workers).astype(float)
    n_contest = np.bincount(contest, minlength=contests).astype(float)
    seen = n_worker > 0
    ability = np.zeros(workers)
    noise_var, prior_var = max(np.var(y), 1e-6) / 2, max(np.var(y), 1e-6) / 2
    for _ in range(iterations):
        ease = np.bincount(contest, weights=y - ability[worker], minlength=contests) / np.maximum(n_contest, 1)
        residual_sum = np.bincount(worker, weights=y - ease[contest], minlength=workers)
        shrink = noise_var / prior_var
        new_ability = residual_sum / (n_worker + shrink)
        posterior_var = noise_var / (n_worker + shrink)
        # The population mean is not identified apart from the contests' ease: centre it.
        new_ability[seen] -= new_ability[seen].mean()
        residual = y - new_ability[worker] - ease[contest]
        dof = max(len(y) - contests - seen.sum(), 1)
        noise_var = max(np.sum(residual**2) / dof, 1e-6) if dof > 1 else noise_var
        # Method of moments: spread of the estimates plus their average posterior variance.
        prior_var = max(np.var(new_ability[seen]) + posterior_var[seen].mean(), 1e-6)
        moved = np.max(np.abs(new_ability - ability)) if workers else 0.0
        ability = new_ability
        if moved < tolerance:
            break
    spread = np.sqrt(prior_var)
    se = np.where(seen, np.sqrt(noise_var / (n_worker + noise_var / prior_var)) / spread, np.inf)
    return Estimate(np.where(seen, ability / spread, 0.0), se, spread), ease


def rasch_abilities(worker: np.ndarray, item: np.ndarray, correct: np.ndarray, workers: int,
                    *, iterations: int = 100, tolerance: float = 1e-7) -> tuple[Estimate, np.ndarray]:
    """Fit the Rasch model to right/wrong answers; return abilities and item difficulties.

    Joint estimation with a normal prior on abilities (its variance re-estimated each round),
    which keeps all-right and all-wrong workers finite; difficulties are centred on zero.
    """
    items = int(item.max()) + 1 if len(item) else 0
    right = correct.astype(float)
    answered = np.bincount(worker, minlength=workers) > 0
    ability = np.zeros(workers)
    difficulty = np.zeros(items)
    prior_var = 1.0
    for _ in range(iterations):
        p = expit(ability[worker] - difficulty[item])
        info_w = np.bincount(worker, weights=p * (1 - p), minlength=workers) + 1 / prior_var
        grad_w = np.bincount(worker, weights=right - p, minlength=workers) - ability / prior_var
        step_w = np.clip(grad_w / info_w, -1, 1)
        ability = ability + step_w
        p = expit(ability[worker] - difficulty[item])
        info_i = np.bincount(item, weights=p * (1 - p), minlength=items) + 1e-3
        grad_i = -np.bincount(item, weights=right - p, minlength=items)
        step_i = np.clip(grad_i / info_i, -1, 1)
        difficulty = difficulty + step_i
        difficulty -= difficulty.mean()
        posterior_var = 1 / info_w
        prior_var = max(np.var(ability[answered]) + posterior_var[answered].mean(), 1e-3)
        if max(np.max(np.abs(step_w)), np.max(np.abs(step_i)) if items else 0.0) < tolerance:
            break
    p = expit(ability[worker] - difficulty[item])
    information = np.bincount(worker, weights=p * (1 - p), minlength=workers) + 1 / prior_var
    spread = np.sqrt(prior_var)
    se = np.where(answered, 1 / np.sqrt(information) / spread, np.inf)
    return Estimate(np.where(answered, ability / spread, 0.0), se, spread), difficulty


def combine(*estimates: Estimate) -> Estimate:
    """Precision-weighted combination of several sources' estimates of the same workers."""
    precision = sum(np.where(np.isfinite(e.se), 1 / np.square(e.se), 0.0) for e in estimates)
    weighted = sum(np.where(np.isfinite(e.se), e.z / np.square(e.se), 0.0) for e in estimates)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(precision > 0, weighted / precision, 0.0)
        se = np.where(precision > 0, 1 / np.sqrt(precision), np.inf)
    return Estimate(z, se, 1.0)


@dataclass(frozen=True)
class DimensionScore:
    """What the radar chart shows for one dimension: a 0–100 score and its 95% interval, or
    ``None`` where the evidence is insufficient."""

    dimension: str
    score: float | None
    low: float | None
    high: float | None
    z: float
    se: float

    @property
    def sufficient(self) -> bool:
        return self.score is not None


def to_display(dimension: str, z: float, se: float) -> DimensionScore:
    if not np.isfinite(se) or se > INSUFFICIENT_SE:
        return DimensionScore(dimension, None, None, None, float(z), float(se))
    return DimensionScore(dimension, round(100 * float(norm.cdf(z)), 1), round(100 * float(norm.cdf(z - Z95 * se)), 1),
                          round(100 * float(norm.cdf(z + Z95 * se)), 1), float(z), float(se))


@dataclass(frozen=True)
class Gap:
    dimension: str
    required: float
    score: float | None
    verdict: str  # "strength" | "meets" | "gap" | "unknown"


def gaps_against(scores: list[DimensionScore], required: dict[str, float]) -> list[Gap]:
    """Compare a portrait with a post's standard: a gap only where even the interval's top
    falls short, a strength only where its bottom clears the requirement."""
    out = []
    for score in scores:
        if score.dimension not in required:
            continue
        need = required[score.dimension]
        if not score.sufficient:
            verdict = "unknown"
        elif score.high < need:
            verdict = "gap"
        elif score.low > need:
            verdict = "strength"
        else:
            verdict = "meets"
        out.append(Gap(score.dimension, need, score.score, verdict))
    return out
