"""Shared pieces of the benchmarks: a synthetic rule set and a synthetic log."""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from competition.eventlog import LoggedEvent  # noqa: E402
from competition.projections import Entry  # noqa: E402
from scoring_rules import load_ruleset  # noqa: E402

AT = datetime(2026, 5, 1, 9, 0, 0)


def judgement_ruleset(aspects: int = 100):
    """A rule set of ``aspects`` judgement aspects (panel of 3, 0–3, max 1 mark each)."""
    return load_ruleset(judgement_ruleset_text(aspects))


def judgement_ruleset_text(aspects: int = 100) -> str:
    lines = ['[ruleset]', 'code = "bench"', 'name = "基准"', 'version = "1"', f"total = {aspects}",
             '[[criteria]]', 'code = "A"', 'name = "A"']
    for sub in range(aspects // 10):
        lines += ['[[criteria.sub_criteria]]', f'code = "A{sub}"', f'name = "A{sub}"']
        for i in range(10):
            lines += ['[[criteria.sub_criteria.aspects]]', f'code = "J{sub * 10 + i}"', 'name = "j"',
                      'kind = "judgement"', 'max = 1', 'max_spread = 1',
                      'descriptors = ["0", "1", "2", "3"]']
    return "\n".join(lines)


def synthetic_log(contestants: int, aspects: int, sites: int = 20, seed: int = 1):
    """Return (entries, events): every contestant marked by 3 referees on every aspect."""
    rng = random.Random(seed)
    entries = [Entry(c, c % sites) for c in range(1, contestants + 1)]
    events, seq = [], 0
    for c in range(1, contestants + 1):
        base = rng.randint(0, 3)
        for a in range(aspects):
            for referee in (1, 2, 3):
                seq += 1
                score = min(3, max(0, base + rng.choice((0, 0, 1)) - (1 if base == 3 else 0)))
                events.append(LoggedEvent(seq, "mark_recorded", c, f"J{a}", f"referee:{referee}",
                                          {"referee_id": referee, "value": score}, AT))
    return entries, events


def timed(fn, repeat: int):
    """Run ``fn`` ``repeat`` times; return (median seconds, all timings, last result)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


@contextmanager
def postgres_schema(url: str):
    """Yield a URL into a fresh schema of the PostgreSQL at ``url`` (None if it does not answer)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    schema = f"jx_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        print(f"PostgreSQL at {url} not reachable, skipped: {str(exc).splitlines()[0]}")
        yield None
        return
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
