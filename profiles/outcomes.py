"""What profiles learn from a finalized contest: each entrant's outcome, and the star ratings.

Competition calls ``record_contest`` when a contest is finalized (its results are plain data
here: profiles do not know about contest logs). Outcomes of contests held before the platform
can be imported the same way. Recording is idempotent per contest: a second call changes
nothing, so a retried finalize cannot move anyone's rating twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import rating
from .models import ContestOutcome, StarRating


@dataclass(frozen=True)
class EntrantResult:
    worker_id: int
    rank: int  # competition rank: tied entrants share it
    total: str
    dimensions: dict[str, float] = field(default_factory=dict)  # dimension name → share of its marks, 0..1


@dataclass(frozen=True)
class ContestResults:
    contest_key: str
    contest_name: str
    held_on: date
    trade: str
    max_total: str
    entrants: tuple[EntrantResult, ...]


def record_contest(session: Session, results: ContestResults) -> list[ContestOutcome]:
    """Store every entrant's outcome and move the trade's star ratings; return the new rows
    (empty when this contest was recorded before)."""
    recorded = session.scalar(select(ContestOutcome.id).where(ContestOutcome.contest_key == results.contest_key).limit(1))
    if recorded is not None or not results.entrants:
        return []
    rows = [ContestOutcome(contest_key=results.contest_key, contest_name=results.contest_name, held_on=results.held_on,
                           trade=results.trade, worker_id=e.worker_id, entrants=len(results.entrants), rank=e.rank,
                           total=e.total, max_total=results.max_total, dimensions=dict(e.dimensions))
             for e in results.entrants]
    session.add_all(rows)
    apply_ratings(session, results.trade, results.held_on, [e.worker_id for e in results.entrants],
                  [e.rank for e in results.entrants])
    session.flush()
    return rows


def apply_ratings(session: Session, trade: str, held_on: date, worker_ids: list[int], ranks: list[int]) -> None:
    """One contest's finishing order moves its entrants' ratings in ``trade``."""
    existing = {r.worker_id: r for r in session.scalars(
        select(StarRating).where(StarRating.trade == trade, StarRating.worker_id.in_(worker_ids)))}
    current = []
    for worker_id in worker_ids:
        row = existing.get(worker_id)
        if row is None:
            row = existing[worker_id] = StarRating(trade=trade, worker_id=worker_id, mu=rating.MU0,
                                                   sigma=rating.SIGMA0, contests=0)
            session.add(row)
        current.append(row)
    mu, sigma = rating.update(np.array([r.mu for r in current]), np.array([r.sigma for r in current]),
                              np.array(ranks))
    for row, new_mu, new_sigma in zip(current, mu, sigma):
        row.mu, row.sigma = float(new_mu), float(new_sigma)
        row.contests = (row.contests or 0) + 1
        row.last_contest_on = held_on


def rebuild_ratings(session: Session, trade: str) -> int:
    """Recompute a trade's star ratings from every stored outcome, oldest contest first (the
    projection rebuilt from its source); return how many contests were replayed."""
    session.execute(delete(StarRating).where(StarRating.trade == trade))
    rows = session.execute(
        select(ContestOutcome.contest_key, ContestOutcome.held_on, ContestOutcome.worker_id, ContestOutcome.rank)
        .where(ContestOutcome.trade == trade)
        .order_by(ContestOutcome.held_on, ContestOutcome.contest_key, ContestOutcome.id)).all()
    ratings: dict[int, list] = {}  # worker → [mu, sigma, contests, last]
    contests = 0
    start = 0
    while start < len(rows):
        key = rows[start][0]
        end = start
        while end < len(rows) and rows[end][0] == key:
            end += 1
        chunk = rows[start:end]
        ids = [r[2] for r in chunk]
        state = [ratings.setdefault(i, [rating.MU0, rating.SIGMA0, 0, None]) for i in ids]
        mu, sigma = rating.update(np.array([s[0] for s in state]), np.array([s[1] for s in state]),
                                  np.array([r[3] for r in chunk]))
        for s, m, g in zip(state, mu, sigma):
            s[0], s[1], s[2], s[3] = float(m), float(g), s[2] + 1, chunk[0][1]
        contests += 1
        start = end
    session.add_all(StarRating(trade=trade, worker_id=w, mu=s[0], sigma=s[1], contests=s[2], last_contest_on=s[3])
                    for w, s in ratings.items())
    session.flush()
    return contests
