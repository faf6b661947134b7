"""Read side of profiles: the skill resume, the ability portrait and the craftsman-star ranking."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from . import portrait, rating
from .models import (SKILL_LEVELS, Achievement, Certificate, ContestOutcome, Enterprise, Pairing, Post, PostStandard,
                     QuizResponse, StarRating, Team, Worker, Workshop)


class WorkerNotFound(LookupError):
    pass


# --- the ranking --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RankingRow:
    shown_rank: int
    tied: bool
    worker_id: int
    name: str
    enterprise: str
    region: str
    mu: float
    sigma: float
    low: float
    high: float
    contests: int
    provisional: bool


def star_ranking(session: Session, trade: str, *, region: str | None = None, enterprise_id: int | None = None,
                 limit: int = 100) -> list[RankingRow]:
    """The top of one trade by estimate (index ``ix_star_ratings_trade_mu``), ranked so that
    entries whose intervals overlap share a place."""
    query = (select(StarRating.worker_id, Worker.name, Enterprise.name, Enterprise.region, StarRating.mu,
                    StarRating.sigma, StarRating.contests)
             .join(Worker, Worker.id == StarRating.worker_id)
             .outerjoin(Enterprise, Enterprise.id == Worker.enterprise_id)
             .where(StarRating.trade == trade)
             .order_by(StarRating.mu.desc(), StarRating.worker_id)
             .limit(limit))
    if region:
        query = query.where(Enterprise.region == region)
    if enterprise_id is not None:
        query = query.where(Worker.enterprise_id == enterprise_id)
    rows = session.execute(query).all()
    lows = [mu - rating.INTERVAL_Z * sigma for *_, mu, sigma, _ in rows]
    highs = [mu + rating.INTERVAL_Z * sigma for *_, mu, sigma, _ in rows]
    ranks = rating.shown_ranks(lows, highs)
    counts: dict[int, int] = {}
    for r in ranks:
        counts[r] = counts.get(r, 0) + 1
    return [RankingRow(rank, counts[rank] > 1, worker_id, name, enterprise or "", region_ or "", mu, sigma, low, high,
                       contests, contests < rating.PROVISIONAL_BELOW)
            for rank, low, high, (worker_id, name, enterprise, region_, mu, sigma, contests)
            in zip(ranks, lows, highs, rows)]


def trades(session: Session) -> list[str]:
    return list(session.scalars(select(StarRating.trade).distinct().order_by(StarRating.trade)))


# --- the portrait ---------------------------------------------------------------------------------

class _TradePortraits:
    """Fitted portraits of every worker of a trade, refitted when the trade's evidence changes
    (the fit links contests through shared workers, so it is done for the whole trade)."""

    def __init__(self):
        self._cache: dict[str, tuple[tuple, dict]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, trade: str) -> tuple[list[str], dict[int, list[portrait.DimensionScore]]]:
        version = (
            session.execute(select(func.count(ContestOutcome.id), func.max(ContestOutcome.id))
                            .where(ContestOutcome.trade == trade)).one(),
            session.execute(select(func.count(QuizResponse.id), func.max(QuizResponse.id))
                            .where(QuizResponse.trade == trade)).one(),
        )
        key = tuple(tuple(v) for v in version)
        with self._lock:
            cached = self._cache.get(trade)
            if cached is None or cached[0] != key:
                cached = self._cache[trade] = (key, _fit_trade(session, trade))
            return cached[1]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


trade_portraits = _TradePortraits()


def _fit_trade(session: Session, trade: str) -> tuple[list[str], dict[int, list[portrait.DimensionScore]]]:
    outcomes = session.execute(select(ContestOutcome.worker_id, ContestOutcome.contest_key, ContestOutcome.dimensions)
                               .where(ContestOutcome.trade == trade).order_by(ContestOutcome.id)).all()
    answers = session.execute(select(QuizResponse.worker_id, QuizResponse.dimension, QuizResponse.item,
                                     QuizResponse.correct).where(QuizResponse.trade == trade)).all()
    dimensions: list[str] = []
    for _, _, shares in outcomes:
        dimensions += [d for d in shares if d not in dimensions]
    dimensions += sorted({d for _, d, _, _ in answers} - set(dimensions))
    workers = sorted({w for w, _, _ in outcomes} | {w for w, _, _, _ in answers})
    index = {w: i for i, w in enumerate(workers)}
    scores: dict[int, list[portrait.DimensionScore]] = {w: [] for w in workers}
    for dimension in dimensions:
        sources = []
        results = [(index[w], c, shares[dimension]) for w, c, shares in outcomes if dimension in shares]
        if results:
            contests = {c: i for i, c in enumerate(dict.fromkeys(c for _, c, _ in results))}
            estimate, _ = portrait.contest_abilities(np.array([r[0] for r in results]),
                                                     np.array([contests[r[1]] for r in results]),
                                                     np.array([float(r[2]) for r in results]), len(workers))
            sources.append(estimate)
        quiz = [(index[w], item, right) for w, d, item, right in answers if d == dimension]
        if quiz:
            items = {i: n for n, i in enumerate(dict.fromkeys(item for _, item, _ in quiz))}
            estimate, _ = portrait.rasch_abilities(np.array([q[0] for q in quiz]), np.array([items[q[1]] for q in quiz]),
                                                   np.array([bool(q[2]) for q in quiz]), len(workers))
            sources.append(estimate)
        combined = portrait.combine(*sources)
        for worker_id, i in index.items():
            scores[worker_id].append(portrait.to_display(dimension, combined.z[i], combined.se[i]))
    return dimensions, scores


@dataclass(frozen=True)
class Portrait:
    worker_id: int
    trade: str
    dimensions: list[portrait.DimensionScore]
    post: str | None
    gaps: list[portrait.Gap]


def portrait_of(session: Session, worker_id: int) -> Portrait:
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise WorkerNotFound(worker_id)
    names, fitted = trade_portraits.get(session, worker.trade)
    mine = fitted.get(worker_id) or [portrait.to_display(d, 0.0, float("inf")) for d in names]
    post = session.get(Post, worker.post_id) if worker.post_id else None
    gaps: list[portrait.Gap] = []
    if post is not None:
        required = dict(session.execute(select(PostStandard.dimension, PostStandard.required)
                                        .where(PostStandard.post_id == post.id)).all())
        gaps = portrait.gaps_against(mine, required)
    return Portrait(worker_id, worker.trade, mine, post.name if post else None, gaps)


# --- the resume ---------------------------------------------------------------------------------

def resume(session: Session, worker_id: int) -> dict:
    """Everything the skill resume (技能简历) lists, as plain data."""
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise WorkerNotFound(worker_id)
    enterprise = session.get(Enterprise, worker.enterprise_id) if worker.enterprise_id else None
    post = session.get(Post, worker.post_id) if worker.post_id else None
    team = session.get(Team, worker.team_id) if worker.team_id else None
    workshop = session.get(Workshop, team.workshop_id) if team else None
    level = SKILL_LEVELS.get(worker.skill_level or 0)
    star = session.scalar(select(StarRating).where(StarRating.worker_id == worker_id, StarRating.trade == worker.trade))
    contests = session.scalars(select(ContestOutcome).where(ContestOutcome.worker_id == worker_id)
                               .order_by(ContestOutcome.held_on.desc(), ContestOutcome.id.desc())).all()
    certificates = session.scalars(select(Certificate).where(Certificate.worker_id == worker_id)
                                   .order_by(Certificate.issued_on.desc())).all()
    achievements = session.scalars(select(Achievement).where(Achievement.worker_id == worker_id)
                                   .order_by(Achievement.year.desc(), Achievement.id)).all()
    pairings = session.execute(
        select(Pairing, Worker.name).join(Worker, or_(
            (Pairing.master_id == worker_id) & (Worker.id == Pairing.apprentice_id),
            (Pairing.apprentice_id == worker_id) & (Worker.id == Pairing.master_id)))
        .where(or_(Pairing.master_id == worker_id, Pairing.apprentice_id == worker_id))).all()
    by_kind: dict[str, list[dict]] = {}
    for a in achievements:
        by_kind.setdefault(a.kind, []).append({"title": a.title, "level": a.level, "year": a.year, "detail": a.detail})
    return {
        "id": worker.id, "name": worker.name, "trade": worker.trade, "staff_no": worker.staff_no,
        "enterprise": enterprise.name if enterprise else None, "region": enterprise.region if enterprise else None,
        "workshop": workshop.name if workshop else None, "team": team.name if team else None,
        "post": post.name if post else None,
        "skill_level": None if level is None else {"level": worker.skill_level, "name": level[0], "name_en": level[1]},
        "certificates": [{"trade": c.trade, "level": c.level, "level_name": SKILL_LEVELS.get(c.level, ("", ""))[0],
                          "number": c.number, "issuer": c.issuer, "issued_on": c.issued_on.isoformat()}
                         for c in certificates],
        "contests": [{"contest": o.contest_key, "name": o.contest_name, "held_on": o.held_on.isoformat(), "trade": o.trade,
                      "rank": o.rank, "entrants": o.entrants, "total": o.total, "max_total": o.max_total,
                      "dimensions": o.dimensions} for o in contests],
        "honours": by_kind.get("honour", []),
        "innovations": by_kind.get("patent", []) + by_kind.get("method", []) + by_kind.get("qc", []),
        "contributions": by_kind.get("contribution", []),
        "services": by_kind.get("service", []),
        "pairings": [{"role": "master" if p.master_id == worker_id else "apprentice", "with": name,
                      "since": p.since.isoformat()} for p, name in pairings],
        "star": None if star is None else {
            "mu": round(star.mu, 2), "sigma": round(star.sigma, 2), "contests": star.contests,
            "provisional": star.contests < rating.PROVISIONAL_BELOW},
    }
