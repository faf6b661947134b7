"""One incremental board update on a 10,000-contestant contest.

Builds the projection of a 10,000-contestant contest (100 judgement aspects, every aspect
marked by a full panel), then applies single marks to random contestants one at a time and
times each ``apply`` (fold the event, rescore the aspect, reassemble the sheet, move the
contestant on the overall and site boards). The baseline, measured in the same run, is the
naive alternative: re-sorting the whole board after a mark. Target (issue 2): median under 1 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from common import AT, judgement_ruleset, synthetic_log

from competition.eventlog import LoggedEvent
from competition.projections import ContestProjection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contestants", type=int, default=10_000)
    parser.add_argument("--aspects", type=int, default=100)
    parser.add_argument("--updates", type=int, default=2000)
    args = parser.parse_args()

    ruleset = judgement_ruleset(args.aspects)
    entries, events = synthetic_log(args.contestants, args.aspects)
    start = time.perf_counter()
    projection = ContestProjection.rebuild(ruleset, entries, events)
    print(f"contest: {args.contestants:,} contestants × {args.aspects} aspects, {len(events):,} marks "
          f"(built in {time.perf_counter() - start:.1f} s)")

    rng = random.Random(3)
    seq = events[-1].seq
    update_times, resort_times = [], []
    for _ in range(args.updates):
        seq += 1
        event = LoggedEvent(seq, "mark_corrected", rng.randint(1, args.contestants), f"J{rng.randrange(args.aspects)}",
                            "referee:1", {"referee_id": rng.choice((1, 2, 3)), "value": rng.randint(0, 3)}, AT)
        t0 = time.perf_counter()
        projection.apply(event)
        t1 = time.perf_counter()
        update_times.append(t1 - t0)
        if len(resort_times) < 50:  # the naive way: sort every result after each mark
            t2 = time.perf_counter()
            sorted(projection.results.items(), key=lambda kv: kv[1].rank_key)
            resort_times.append(time.perf_counter() - t2)
    update_times.sort()
    median = statistics.median(update_times)
    p95 = update_times[int(0.95 * len(update_times))]
    resort = statistics.median(resort_times)
    print(f"incremental update (fold + rescore + re-rank)  median {median * 1000:.3f} ms  p95 {p95 * 1000:.3f} ms "
          f"over {args.updates} marks")
    print(f"baseline: re-sort the whole board per mark      median {resort * 1000:.3f} ms  "
          f"(incremental is {resort / median:.0f}× faster)")
    print(f"target: median under 1 ms — {'MET' if median < 0.001 else 'MISSED'}")


if __name__ == "__main__":
    main()
