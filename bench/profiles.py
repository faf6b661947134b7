"""Profiles benchmarks (issue 4): the star-rating update, the batch recompute, the ranking query.

Prints, each with a baseline measured in the same run and the ratio to it:
  1. online rating update of one finalized contest of 50 entrants (target: over 1,000 contests/s);
     baseline: the sort and prefix sum any Plackett-Luce update of 50 entrants must do;
     also the same update recorded in SQLite (outcomes + ratings, as finalize does);
  2. batch recompute of the rating history for 1,000,000 results (target: under 10 s);
     baseline: one lexsort of the results (the fit's first step); also the online replay of the
     same history and the rank agreement of the two;
  3. ranking page query, top 100 of one trade among 1,000,000 rated workers, on SQLite and
     PostgreSQL (target: under 50 ms median); baseline: the bare indexed scan of star_ratings
     without joins; and the same query without the (trade, mu) index, once, to show what it buys.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from common import postgres_schema, timed
from scipy.stats import spearmanr

from profiles import outcomes, rating

TRADES = 10


def ranks_with_ties(rng: np.random.Generator, n: int) -> np.ndarray:
    """Competition ranks of ``n`` entrants with occasional ties, as a contest produces them."""
    scores = np.round(rng.normal(70, 10, n), 0)
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(n, dtype=int)
    position = 1
    for i, idx in enumerate(order):
        if i and scores[idx] == scores[order[i - 1]]:
            ranks[idx] = ranks[order[i - 1]]
        else:
            ranks[idx] = position
        position += 1
    return ranks


def bench_update(args) -> None:
    rng = np.random.default_rng(1)
    n = args.entrants
    fields = [(rng.normal(0, 1, n), rng.uniform(0.2, 0.8, n), ranks_with_ties(rng, n)) for _ in range(200)]

    def online():
        for mu, sigma, ranks in fields:
            rating.update(mu, sigma, ranks)

    def baseline():
        for mu, _, ranks in fields:
            order = np.argsort(ranks, kind="stable")
            np.cumsum(np.exp(mu[order])[::-1])

    base, _, _ = timed(baseline, args.repeat)
    ours, runs, _ = timed(online, args.repeat)
    per_second = len(fields) / ours
    print(f"1. rating update, one contest of {n} entrants")
    print(f"   sort + prefix sum (baseline)      median {base / len(fields) * 1e6:8.1f} µs/contest")
    print(f"   Plackett-Luce update              median {ours / len(fields) * 1e6:8.1f} µs/contest "
          f"= {per_second:,.0f} contests/s  ratio to baseline {ours / base:4.1f}×  "
          f"target >1,000/s {'MET' if per_second > 1000 else 'MISSED'}")

    # The same, recorded as finalize records it: outcomes and star ratings in one SQLite file.
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from profiles.db import Base, make_engine
    from profiles.models import Worker

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'update.sqlite'}")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.execute(insert(Worker), [{"id": i, "name": f"w{i}", "trade": "T"} for i in range(1, 2001)])
            session.commit()
            timings = []
            for c in range(args.stored):
                ids = rng.choice(np.arange(1, 2001), n, replace=False)
                results = outcomes.ContestResults(
                    f"B{c}", "基准赛", date(2026, 1, 1), "T", "100",
                    tuple(outcomes.EntrantResult(int(w), int(r), "50", {"d": 0.5})
                          for w, r in zip(ids, ranks_with_ties(rng, n))))
                start = time.perf_counter()
                outcomes.record_contest(session, results)
                session.commit()
                timings.append(time.perf_counter() - start)
        engine.dispose()
    stored = statistics.median(timings)
    print(f"   recorded in SQLite (outcomes + ratings, committed) median {stored * 1000:6.2f} ms/contest "
          f"= {1 / stored:,.0f} contests/s")


def synthetic_history(results: int, entrants: int, seed: int = 2):
    """``results`` results in contests of ``entrants`` among results/20 workers of known strength."""
    rng = np.random.default_rng(seed)
    workers = max(entrants * 2, results // 20)
    truth = rng.normal(0, 1, workers)
    contests = results // entrants
    worker = np.concatenate([rng.choice(workers, entrants, replace=False) for _ in range(contests)])
    contest = np.repeat(np.arange(contests), entrants)
    # Gumbel noise on log-strengths draws a Plackett-Luce order.
    performance = truth[worker] + rng.gumbel(size=len(worker))
    rank = np.empty(len(worker), dtype=int)
    for c in range(contests):
        block = slice(c * entrants, (c + 1) * entrants)
        rank[block] = np.argsort(np.argsort(-performance[block])) + 1
    return contest, worker, rank, workers, truth


def bench_batch(args) -> None:
    contest, worker, rank, workers, truth = synthetic_history(args.results, args.entrants)
    print(f"2. batch recompute: {len(contest):,} results, {contest.max() + 1:,} contests, {workers:,} workers")
    base, _, _ = timed(lambda: np.lexsort((rank, contest)), args.repeat)
    fit_time, runs, fit = timed(lambda: rating.fit_history(contest, worker, rank, workers), max(1, args.repeat // 2))
    print(f"   lexsort of the results (baseline) median {base:8.3f} s")
    print(f"   MM batch fit (MAP, to 1e-6)       median {fit_time:8.3f} s  ({fit.iterations} iterations, "
          f"converged {fit.converged})  ratio to baseline {fit_time / base:5.1f}×  "
          f"target <10 s {'MET' if fit_time < 10 else 'MISSED'}")

    def replay():
        mu = np.full(workers, rating.MU0)
        sigma = np.full(workers, rating.SIGMA0)
        starts = np.flatnonzero(np.r_[True, contest[1:] != contest[:-1]])
        ends = np.r_[starts[1:], len(contest)]
        for s, e in zip(starts, ends):
            ids = worker[s:e]
            mu[ids], sigma[ids] = rating.update(mu[ids], sigma[ids], rank[s:e])
        return mu

    replay_time, _, online = timed(replay, 1)
    seen = np.bincount(worker, minlength=workers) > 0
    agreement = spearmanr(online[seen], fit.strength[seen]).statistic
    print(f"   online replay of the same history        {replay_time:8.3f} s")
    print(f"   Spearman online vs batch {agreement:.3f}; with the truth: online "
          f"{spearmanr(online[seen], truth[seen]).statistic:.3f}, batch "
          f"{spearmanr(fit.strength[seen], truth[seen]).statistic:.3f}")


def populate(engine, workers: int) -> None:
    """``workers`` rated workers spread over TRADES trades and 200 enterprises, loaded in bulk."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from profiles.db import Base
    from profiles.models import Enterprise, StarRating

    Base.metadata.create_all(engine)
    rng = np.random.default_rng(3)
    mu = rng.normal(0, 1, workers)
    sigma = rng.uniform(0.15, 0.8, workers)
    with Session(engine) as session:
        session.execute(insert(Enterprise), [{"id": i, "name": f"企业{i}", "region": f"城市{i % 12}"}
                                             for i in range(1, 201)])
        session.commit()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        worker_rows = ((i, f"职工{i}", 1 + i % 200, f"工种{i % TRADES}") for i in range(1, workers + 1))
        rating_rows = ((i, f"工种{i % TRADES}", i, float(mu[i - 1]), float(sigma[i - 1]), 5) for i in range(1, workers + 1))
        if engine.dialect.name == "postgresql":
            with cursor.copy("COPY workers (id, name, enterprise_id, trade) FROM STDIN") as copy:
                for row in worker_rows:
                    copy.write_row(row)
            with cursor.copy("COPY star_ratings (id, trade, worker_id, mu, sigma, contests) FROM STDIN") as copy:
                for row in rating_rows:
                    copy.write_row(row)
        else:
            cursor.execute("BEGIN")  # the driver autocommits (see profiles.db): one transaction, not a million
            cursor.executemany("INSERT INTO workers (id, name, enterprise_id, trade) VALUES (?, ?, ?, ?)", worker_rows)
            cursor.executemany("INSERT INTO star_ratings (id, trade, worker_id, mu, sigma, contests) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rating_rows)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    assert StarRating  # the table the ranking reads


def bench_ranking(args) -> dict[str, float]:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from profiles import queries
    from profiles.db import make_engine

    figures = {}

    def measure(label: str, url: str) -> None:
        engine = make_engine(url)
        start = time.perf_counter()
        populate(engine, args.workers)
        loaded = time.perf_counter() - start
        trade = "工种3"
        bare_sql = text("SELECT worker_id, mu, sigma FROM star_ratings WHERE trade = :trade ORDER BY mu DESC LIMIT 100")
        with Session(engine) as session:
            session.execute(bare_sql, {"trade": trade}).all()  # warm the cache, as a running server has it
            base, _, _ = timed(lambda: session.execute(bare_sql, {"trade": trade}).all(), args.queries)
            ours, runs, rows = timed(lambda: queries.star_ranking(session, trade, limit=100), args.queries)
            assert len(rows) == min(100, args.workers // TRADES)
            session.execute(text("DROP INDEX ix_star_ratings_trade_mu"))
            start = time.perf_counter()
            queries.star_ranking(session, trade, limit=100)
            unindexed = time.perf_counter() - start
            session.rollback()  # PostgreSQL: the DROP was transactional; SQLite: the file is discarded
        engine.dispose()
        figures[label] = ours
        print(f"   {label}: {args.workers:,} workers loaded in {loaded:.1f} s")
        print(f"     bare indexed scan (baseline)    median {base * 1000:7.2f} ms")
        print(f"     star_ranking top 100            median {ours * 1000:7.2f} ms  ratio to baseline "
              f"{ours / base:4.1f}×  target <50 ms {'MET' if ours < 0.05 else 'MISSED'}")
        print(f"     without the (trade, mu) index   once   {unindexed * 1000:7.2f} ms")

    print(f"3. ranking query: top 100 of one trade of {TRADES} among {args.workers:,} rated workers "
          f"({args.queries} queries)")
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{Path(tmp) / 'ranking.sqlite'}")
    if args.postgres:
        with postgres_schema(args.postgres) as url:
            if url:
                measure("PostgreSQL", url)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entrants", type=int, default=50)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stored", type=int, default=50, help="contests recorded in SQLite")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="also measure the ranking query on this PostgreSQL ('' to skip)")
    args = parser.parse_args()
    bench_update(args)
    bench_batch(args)
    bench_ranking(args)


if __name__ == "__main__":
    main()
