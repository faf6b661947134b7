"""Full recompute of a contest from its log: 1,000 contestants × 100 aspects × 3 referees.

Prints the median over several runs of
  - the projection rebuilt from the events in memory (fold + score + boards),
  - the same from the database (SQLite file: read 300k rows, then rebuild),
  - the baseline: a plain-Python sum of the same 300k marks per contestant,
and the ratios. Target (issue 2): the rebuild under 1 s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import judgement_ruleset, judgement_ruleset_text, postgres_schema, synthetic_log, timed

from competition.projections import ContestProjection


def plain_sum(events):
    totals: dict[int, int] = {}
    for event in events:
        totals[event.contestant_id] = totals.get(event.contestant_id, 0) + event.payload["value"]
    return totals


def store_log(url: str, events, entries, aspects: int):
    """Write a contest and its events straight into a database; return (contest id, engine)."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from competition import setup
    from competition.eventlog import canonical_json
    from competition.models import ContestEvent, Contestant
    from profiles.db import Base, make_engine
    from profiles.models import Worker

    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        contest = setup.create_contest(session, code="BENCH", name="基准", ruleset_text=judgement_ruleset_text(aspects))
        sites = [setup.add_site(session, contest, code=f"S{i}", name=f"S{i}") for i in range(20)]
        session.execute(insert(Worker), [{"id": e.contestant_id, "name": "w"} for e in entries])
        session.execute(insert(Contestant), [
            {"id": e.contestant_id, "contest_id": contest.id, "worker_id": e.contestant_id,
             "site_id": sites[e.site_id].id, "ticket_no": str(e.contestant_id)} for e in entries])
        session.execute(insert(ContestEvent), [
            {"contest_id": contest.id, "seq": ev.seq, "kind": ev.kind, "contestant_id": ev.contestant_id,
             "aspect_code": ev.aspect_code, "actor": ev.actor, "payload": canonical_json(ev.payload),
             "command_key": f"k{ev.seq}", "command_index": 0, "recorded_at": ev.recorded_at,
             "prev_hash": "0" * 64, "hash": "0" * 64} for ev in events])
        contest.last_seq = events[-1].seq  # the log head, as appends keep it
        session.commit()
        return contest.id, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contestants", type=int, default=1000)
    parser.add_argument("--aspects", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="also measure on this PostgreSQL ('' to skip)")
    args = parser.parse_args()

    ruleset = judgement_ruleset(args.aspects)
    entries, events = synthetic_log(args.contestants, args.aspects)
    print(f"log: {len(entries)} contestants × {args.aspects} aspects × 3 referees = {len(events):,} marks")

    base, _, sums = timed(lambda: plain_sum(events), args.repeat)
    memory, runs, projection = timed(lambda: ContestProjection.rebuild(ruleset, entries, events), args.repeat)
    assert len(projection.board()) == args.contestants and len(sums) == args.contestants
    print(f"plain-Python sum of the marks (baseline) median {base * 1000:8.1f} ms")
    print(f"rebuild from events in memory             median {memory * 1000:8.1f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in runs)})  ratio to baseline {memory / base:5.1f}×")

    from competition import readmodel
    from sqlalchemy.orm import Session

    def measure(label: str, url: str) -> float:
        contest_id, engine = store_log(url, events, entries, args.aspects)
        def from_db():
            with Session(engine) as session:
                return readmodel.rebuild(session, contest_id)
        stored, runs, rebuilt = timed(from_db, args.repeat)
        engine.dispose()
        assert rebuilt.snapshot()["overall"] == projection.snapshot()["overall"]
        print(f"rebuild from the {label} log (read + fold)".ljust(42) + f" median {stored * 1000:8.1f} ms "
              f"(runs: {', '.join(f'{t * 1000:.0f}' for t in runs)})  ratio to baseline {stored / base:5.1f}×")
        return stored

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["SQLite"] = measure("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
    if args.postgres:
        with postgres_schema(args.postgres) as url:
            if url:
                figures["PostgreSQL"] = measure("PostgreSQL", url)
    verdicts = ", ".join(f"from {name} {'MET' if t < 1 else 'MISSED'}" for name, t in figures.items())
    print(f"target: rebuild under 1000 ms — in memory {'MET' if memory < 1 else 'MISSED'}, {verdicts}")


if __name__ == "__main__":
    main()
