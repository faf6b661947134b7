"""Fitting judge severity for a whole 20-city contest.

A simulated contest: ``--sites`` sites, each with a panel of three referees who mark only their
own site's contestants on ``--aspects`` judgement aspects (0–3), and one roving chief who also
marks a few contestants at every site (the link). Severities differ by site. Times
``scoring_rules.mfrm.fit`` (median of ``--repeat``) and prints how well it recovered the
severities. The baseline, in the same run, is the least any severity report does: one pass over
the ratings for each referee's mean score (``numpy.bincount``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import common  # noqa: F401  (puts the repository on the path)
from scoring_rules import mfrm


def simulated(sites: int, per_site: int, aspects: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    tau = np.array([-2.0, 0.0, 2.0])
    difficulty = rng.normal(0, 0.5, aspects)
    severity = {f"S{s}-R{k}": rng.normal(0.0, 0.5) + (s % 3 - 1) * 0.4 for s in range(sites) for k in range(3)}
    severity["CHIEF"] = 0.0
    persons, referees, codes, scores = [], [], [], []
    for s in range(sites):
        for n in range(per_site):
            ability = rng.normal(0.5, 1.0)
            judges = [f"S{s}-R{k}" for k in range(3)] + (["CHIEF"] if n < 3 else [])
            for judge in judges:
                eta = ability - difficulty - severity[judge]
                logits = np.concatenate((np.zeros((aspects, 1)), np.cumsum(eta[:, None] - tau[None, :], axis=1)), axis=1)
                p = np.exp(logits - logits.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                draws = (rng.random(aspects)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
                persons += [f"S{s}-{n}"] * aspects
                referees += [judge] * aspects
                codes += [f"J{a}" for a in range(aspects)]
                scores += draws.tolist()
    return persons, referees, codes, scores, severity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--per-site", type=int, default=50, help="contestants per site")
    parser.add_argument("--aspects", type=int, default=10, help="judgement aspects per contestant")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    persons, referees, codes, scores, severity = simulated(args.sites, args.per_site, args.aspects)
    print(f"contest: {args.sites} sites × {args.per_site} contestants × {args.aspects} judgement aspects, "
          f"{len(severity)} referees, {len(scores):,} ratings")
    fits, fit = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        fit = mfrm.fit(persons, {"referee": referees, "aspect": codes}, scores, max_score=3, severity_facet="referee")
        fits.append(time.perf_counter() - start)
    coded = {name: code for code, name in enumerate(sorted(severity))}
    referee_codes, score_array = np.array([coded[r] for r in referees]), np.array(scores, dtype=float)
    baselines = []
    for _ in range(max(args.repeat, 5)):
        start = time.perf_counter()
        np.bincount(referee_codes, weights=score_array) / np.bincount(referee_codes)
        baselines.append(time.perf_counter() - start)
    names = sorted(severity)
    estimated = np.array([fit.facets["referee"][n].estimate for n in names])
    truth = np.array([severity[n] for n in names])
    median, baseline = statistics.median(fits), statistics.median(baselines)
    print(f"MFRM fit (marginal ML, {fit.iterations} iterations)  median {median * 1000:.0f} ms over {args.repeat}")
    print(f"baseline: each referee's mean score (bincount)  median {baseline * 1000:.2f} ms "
          f"(the fit costs {median / baseline:.0f}× that)")
    print(f"severity recovered: correlation with the truth {np.corrcoef(estimated, truth)[0, 1]:.3f}, "
          f"largest error after centring {np.abs((estimated - estimated.mean()) - (truth - truth.mean())).max():.2f} logit")


if __name__ == "__main__":
    main()
