"""Finalizing a contest feeds profiles: outcomes, star ratings, resume, portrait, ranking."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from competition import control, marking
from profiles import outcomes, queries, rating
from profiles.models import ContestOutcome, StarRating, Worker
from tests.factories import build_world, key


def finalize_with_a_winner(session):
    world = build_world(session)
    winner = world.contestants[0]
    marking.start_stage(session, contestant=winner, stage_code="S1", actor="staff:t", command_key=key())
    for seat in range(3):
        marking.record_mark(session, referee=world.referees[0][seat], contestant=winner, aspect_code="J1", value=3,
                            command_key=key())
    for referee in world.referees[0]:
        marking.sign_off(session, referee=referee, contestant=winner, command_key=key())
    control.end_contest(session, world.contest, actor="admin:1", command_key=key())
    command = key()
    control.finalize_contest(session, world.contest, actor="admin:1", command_key=command)
    return world, winner, command


def test_finalize_records_every_entrant_and_moves_the_star_ratings_once(session):
    world, winner, command = finalize_with_a_winner(session)
    stored = session.scalars(select(ContestOutcome).where(ContestOutcome.contest_key == world.contest.code)).all()
    assert len(stored) == len(world.contestants)
    by_worker = {o.worker_id: o for o in stored}
    assert by_worker[winner.worker_id].rank == 1
    assert {o.rank for w, o in by_worker.items() if w != winner.worker_id} == {2}  # the rest tie
    assert by_worker[winner.worker_id].dimensions  # per-dimension shares, by dimension name
    assert all(0.0 <= share <= 1.0 for o in stored for share in o.dimensions.values())

    trade = stored[0].trade
    ratings = {r.worker_id: r for r in session.scalars(select(StarRating).where(StarRating.trade == trade))}
    assert ratings[winner.worker_id].mu > rating.MU0
    others = [r.mu for w, r in ratings.items() if w != winner.worker_id]
    assert max(others) == pytest.approx(min(others)) and others[0] < rating.MU0
    before = {w: (r.mu, r.sigma, r.contests) for w, r in ratings.items()}

    # A retried finalize, and a second recording of the same contest, change nothing.
    control.finalize_contest(session, world.contest, actor="admin:1", command_key=command)
    assert outcomes.record_contest(session, control.contest_results(session, world.contest)) == []
    session.expire_all()
    after = {r.worker_id: (r.mu, r.sigma, r.contests) for r in
             session.scalars(select(StarRating).where(StarRating.trade == trade))}
    assert after == before


def test_rebuilding_ratings_from_outcomes_gives_what_the_updates_gave(session):
    world, _, _ = finalize_with_a_winner(session)
    trade = session.scalar(select(ContestOutcome.trade).where(ContestOutcome.contest_key == world.contest.code))
    # A second contest of the same trade, recorded as an import from before the platform.
    workers = [c.worker_id for c in world.contestants]
    outcomes.record_contest(session, outcomes.ContestResults(
        "HIST-1", "往届赛", date(2025, 5, 1), trade, "100",
        tuple(outcomes.EntrantResult(w, rank, "50", {}) for w, rank in zip(workers, [3, 1, 2, 2, 5, 6]))))
    live = {r.worker_id: (r.mu, r.sigma) for r in session.scalars(select(StarRating).where(StarRating.trade == trade))}
    assert outcomes.rebuild_ratings(session, trade) == 2
    rebuilt = {r.worker_id: (r.mu, r.sigma) for r in session.scalars(select(StarRating).where(StarRating.trade == trade))}
    assert rebuilt.keys() == live.keys()
    # The live updates ran in finalize order (today's contest, then the 2025 import); the
    # rebuild runs oldest first, as a nightly batch does. Order matters to an online rating,
    # but not much: everyone stays within a fraction of their uncertainty.
    for worker_id, (mu, sigma) in rebuilt.items():
        assert abs(mu - live[worker_id][0]) < sigma


def test_the_resume_portrait_and_ranking_show_the_finalized_contest(session):
    world, winner, _ = finalize_with_a_winner(session)
    resume = queries.resume(session, winner.worker_id)
    assert resume["contests"][0]["contest"] == world.contest.code and resume["contests"][0]["rank"] == 1
    assert resume["star"]["contests"] == 1 and resume["star"]["provisional"]

    worker = session.get(Worker, winner.worker_id)
    trade = session.scalar(select(ContestOutcome.trade).where(ContestOutcome.contest_key == world.contest.code))
    worker.trade = trade
    shown = queries.portrait_of(session, winner.worker_id)
    assert shown.dimensions and not any(d.sufficient for d in shown.dimensions)  # one contest is not enough

    ranking = queries.star_ranking(session, trade)
    assert ranking[0].worker_id == winner.worker_id and ranking[0].provisional
    # Six newcomers after one contest: nobody's interval clears anybody else's, so all share first place.
    assert {row.shown_rank for row in ranking} == {1} and all(row.tied for row in ranking)
