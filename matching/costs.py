"""The cost of giving a need to a service team, with documented weights, and why.

A pair's cost is a weighted sum of four parts, each on 0 (best) to 1 (worst):

====================  ===========================================================  =======
part                  what it measures                                             weight
====================  ===========================================================  =======
field coverage        1 − coverage of the need's fields by the team's (taxonomy)   0.50
travel distance       shortest road km between the need's and the team's places,   0.20
                      over ``reach_km`` (capped at 1)
current load          orders the team is already serving / its capacity            0.15
past ratings          (5 − mean rating) / 4, the mean shrunk towards 4.0 by three  0.15
                      pseudo-ratings, so one early 5 or 1 does not decide
====================  ===========================================================  =======

A pair is **eligible** only if the coverage is at least ``min_coverage`` and the team is within
``reach_km``; staff may also forbid a pair. A need is better left unmatched than given a pair
costing ``unmatched`` or more; an urgent need (urgency 2 or 3) accepts a weaker fit, ``urgency_bonus``
more per level. In a dense matrix an ineligible pair costs exactly the need's unmatched cost, so
the solver never picks it and no ``inf`` is needed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .taxonomy import Taxonomy

RATING_PRIOR = 4.0
RATING_PRIOR_WEIGHT = 3.0


@dataclass(frozen=True)
class Weights:
    coverage: float = 0.50
    distance: float = 0.20
    load: float = 0.15
    rating: float = 0.15
    reach_km: float = 60.0
    min_coverage: float = 0.4
    unmatched: float = 0.55
    urgency_bonus: float = 0.10

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class NeedTable:
    """Needs as arrays: field indices per need, place index, urgency 1–3."""

    fields: list[list[int]]
    place: np.ndarray
    urgency: np.ndarray

    def __len__(self) -> int:
        return len(self.fields)


@dataclass
class TeamTable:
    """Teams as arrays: field indices, home place, capacity, active orders, rating sum and count."""

    fields: list[list[int]]
    place: np.ndarray
    capacity: np.ndarray
    load: np.ndarray
    rating_sum: np.ndarray
    rating_count: np.ndarray

    def __len__(self) -> int:
        return len(self.fields)

    def rating_mean(self) -> np.ndarray:
        return (self.rating_sum + RATING_PRIOR * RATING_PRIOR_WEIGHT) / (self.rating_count + RATING_PRIOR_WEIGHT)


class CostModel:
    def __init__(self, taxonomy: Taxonomy, km: np.ndarray, weights: Weights = Weights()):
        self.taxonomy = taxonomy
        self.km = km  # place × place travel distance
        self.weights = weights

    def unmatched_cost(self, needs: NeedTable) -> np.ndarray:
        return self.weights.unmatched + self.weights.urgency_bonus * (np.asarray(needs.urgency, dtype=float) - 1)

    def _team_parts(self, teams: TeamTable) -> tuple[np.ndarray, np.ndarray]:
        """Per team: the load part plus the rating part (weighted), and its best cover per field."""
        w = self.weights
        capacity = np.maximum(np.asarray(teams.capacity, dtype=float), 1.0)
        team_cost = (w.load * np.minimum(np.asarray(teams.load, dtype=float) / capacity, 1.0)
                     + w.rating * (5.0 - teams.rating_mean()) / 4.0)
        return team_cost, self.taxonomy.best_cover(teams.fields)

    def dense(self, needs: NeedTable, teams: TeamTable, forbidden: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (needs × teams cost matrix, unmatched cost per need); ineligible pairs cost the
        need's unmatched cost. ``forbidden``: a boolean needs × teams mask of pairs staff forbade."""
        w = self.weights
        team_cost, best = self._team_parts(teams)
        hot = np.zeros((len(needs), best.shape[1]))
        for i, codes in enumerate(needs.fields):
            hot[i, codes] = 1.0 / max(len(codes), 1)
        coverage = hot @ best.T
        km = self.km[np.ix_(needs.place, teams.place)]
        cost = w.coverage * (1 - coverage) + w.distance * np.minimum(km / w.reach_km, 1.0) + team_cost
        u = self.unmatched_cost(needs)
        ineligible = (coverage < w.min_coverage) | ~(km <= w.reach_km)
        if forbidden is not None:
            ineligible |= forbidden
        return np.where(ineligible, u[:, None], np.minimum(cost, u[:, None])), u

    def pairs(self, needs: NeedTable, teams: TeamTable, rows: np.ndarray, cols: np.ndarray,
              km: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Cost of the candidate pairs ``(rows[k], cols[k])`` only (nothing else is materialised).
        ``km`` per pair when the caller measured it (else looked up between places). Returns
        (cost per pair, eligible mask per pair)."""
        w = self.weights
        team_cost, best = self._team_parts(teams)
        width = max((len(f) for f in needs.fields), default=1) or 1
        padded = np.full((len(needs), width), -1, dtype=np.int64)
        for i, codes in enumerate(needs.fields):
            padded[i, :len(codes)] = codes
        fields = padded[rows]
        present = fields >= 0
        covered = np.where(present, best[cols[:, None], np.maximum(fields, 0)], 0.0)
        coverage = covered.sum(axis=1) / np.maximum(present.sum(axis=1), 1)
        if km is None:
            km = self.km[needs.place[rows], teams.place[cols]]
        cost = w.coverage * (1 - coverage) + w.distance * np.minimum(km / w.reach_km, 1.0) + team_cost[cols]
        eligible = (coverage >= w.min_coverage) & (km <= w.reach_km)
        return cost, eligible

    def parts(self, need_fields: list[str], need_place: int, team_fields: list[str], team_place: int,
              load: int, capacity: int, rating_sum: float, rating_count: int) -> dict:
        """The reasons for one pair: each part's value, its share of the cost, and the detail."""
        w = self.weights
        cover = self.taxonomy.explain(need_fields, team_fields)
        coverage = sum(c["coverage"] for c in cover) / max(len(cover), 1)
        km = float(self.km[need_place, team_place])
        mean = (rating_sum + RATING_PRIOR * RATING_PRIOR_WEIGHT) / (rating_count + RATING_PRIOR_WEIGHT)
        terms = {"coverage": w.coverage * (1 - coverage),
                 "distance": w.distance * min(km / w.reach_km, 1.0),
                 "load": w.load * min(load / max(capacity, 1), 1.0),
                 "rating": w.rating * (5.0 - mean) / 4.0}
        return {"cost": round(sum(terms.values()), 4), "terms": {k: round(v, 4) for k, v in terms.items()},
                "coverage": round(coverage, 3), "fields": cover, "km": round(km, 1),
                "load": load, "capacity": capacity, "rating_mean": round(mean, 2), "ratings": rating_count}
