"""师带徒: pair apprentices with masters by how well a master's strengths cover an apprentice's gaps.

An apprentice's gap in a dimension is how far their portrait score falls short of the post's
standard (or of ``TARGET`` where the post sets none); a dimension without enough evidence is left
out. A master covers ``min(gap, master score − apprentice score)`` of it. The fit of a pair is the
share of the apprentice's total gap the master covers (0–1), and its cost ``1 − fit``. Masters
teach at most ``capacity`` apprentices at once (minus those they already have); a pair must be of
the same trade; a pair that covers nothing is never proposed. The assignment is
``matching.assign`` like every other matching here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from profiles.models import Pairing, Worker
from profiles.queries import portrait_of

from . import lifecycle
from .assign import assign
from .errors import MatchingError, NotFound
from .models import MatchingEvent

TARGET = 75.0


@dataclass(frozen=True)
class PairingProposal:
    master_id: int
    apprentice_id: int
    fit: float
    dimensions: list[dict]  # per dimension: gap, master's and apprentice's scores, covered


def _scores(session: Session, worker_id: int) -> tuple[dict[str, float], dict[str, float]]:
    """(score per dimension with enough evidence, required level per dimension)."""
    portrait = portrait_of(session, worker_id)
    scores = {d.dimension: d.score for d in portrait.dimensions if d.sufficient}
    required = {g.dimension: g.required for g in portrait.gaps}
    return scores, required


def propose_pairings(session: Session, *, apprentice_ids: list[int], master_ids: list[int],
                     capacity: int = 2) -> list[PairingProposal]:
    if not 1 <= capacity <= 10:
        raise MatchingError("1 to 10 apprentices per master", "capacity")
    workers = {w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(apprentice_ids + master_ids)))}
    for field, ids in (("apprentice_ids", apprentice_ids), ("master_ids", master_ids)):
        missing = [i for i in ids if i not in workers]
        if missing:
            raise NotFound("worker", missing[0], field)
    apprentices = [_scores(session, i) for i in apprentice_ids]
    masters = [_scores(session, i)[0] for i in master_ids]
    cost = np.ones((len(apprentice_ids), len(master_ids)))
    detail: dict[tuple[int, int], list[dict]] = {}
    for a, (a_id, (mine, required)) in enumerate(zip(apprentice_ids, apprentices)):
        gaps = {d: max((required.get(d, TARGET)) - s, 0.0) for d, s in mine.items()}
        total = sum(gaps.values())
        if total <= 0:
            continue
        for m, (m_id, theirs) in enumerate(zip(master_ids, masters)):
            if m_id == a_id or workers[m_id].trade != workers[a_id].trade:
                continue
            rows = [{"dimension": d, "gap": round(g, 1), "apprentice": round(mine[d], 1),
                     "master": round(theirs[d], 1) if d in theirs else None,
                     "covered": round(min(g, max(theirs.get(d, 0.0) - mine[d], 0.0)), 1)}
                    for d, g in gaps.items() if g > 0]
            covered = sum(r["covered"] for r in rows)
            cost[a, m] = 1 - covered / total
            detail[(a, m)] = rows
    taken = dict(session.execute(select(Pairing.master_id, func.count()).where(Pairing.master_id.in_(master_ids))
                                 .group_by(Pairing.master_id)).all())
    left = np.array([max(capacity - taken.get(m, 0), 0) for m in master_ids])
    result = assign(cost, capacity=left, unmatched_cost=1.0)
    return [PairingProposal(master_ids[m], apprentice_ids[a], round(1 - float(cost[a, m]), 3), detail[(a, m)])
            for a, m in result.pairs]


def record_pairing(session: Session, *, master_id: int, apprentice_id: int, actor: str,
                   since: date | None = None) -> tuple[Pairing, list[MatchingEvent]]:
    """Sign a pairing (师徒结对) of two workers of one trade: it appears on both resumes."""
    master, apprentice = session.get(Worker, master_id), session.get(Worker, apprentice_id)
    for field, ident, worker in (("master_id", master_id, master), ("apprentice_id", apprentice_id, apprentice)):
        if worker is None:
            raise NotFound("worker", ident, field)
    if master_id == apprentice_id:
        raise MatchingError("a master cannot be their own apprentice", "apprentice_id")
    if master.trade != apprentice.trade:
        raise MatchingError(f"of another trade ({apprentice.trade}) than the master ({master.trade})", "apprentice_id")
    if session.scalar(select(Pairing).where(Pairing.master_id == master_id, Pairing.apprentice_id == apprentice_id)):
        raise MatchingError("paired already", "apprentice_id", 409)
    pairing = Pairing(master_id=master_id, apprentice_id=apprentice_id, since=since or date.today())
    session.add(pairing)
    session.flush()
    return pairing, [lifecycle.record(session, "pairing_recorded", actor=actor, master_id=master_id,
                                      apprentice_id=apprentice_id)]
