"""CPU per mark request inside the app: what one referee's mark costs the server.

Builds the live bench's contest (``bench/live.py``: 900 contestants, 40 aspects), then posts
``--marks`` marks through Flask's test client with a referee's bearer token, timing each request
with the thread's CPU clock (no sockets, no other load). With ``--gap-ms`` each request waits that
long after the last, as marks arriving 20 ms apart do in the live bench: the caches go cold in
between, and a request costs more than back to back. The baseline, in the same run and the same
way, is the cheapest authenticated request the API has (``GET /api/v1/time`` with the same token):
the framework's floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marks", type=int, default=1000)
    parser.add_argument("--gap-ms", type=float, default=0.0, help="pause before each request")
    parser.add_argument("--tablets", type=int, default=900, help="contestants in the contest")
    args = parser.parse_args()

    from live import prepare

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "marks.sqlite"
        tokens = prepare(database, args.tablets)
        os.environ.update(JX_DATABASE_URL=f"sqlite:///{database}", JX_SECRET_KEY="bench")
        from web import create_app

        app = create_app({"LIVE_BACKGROUND": False})  # no pushes: the request alone
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens['referee']}"}

        def timed(request) -> float:
            if args.gap_ms:
                time.sleep(args.gap_ms / 1000)
            start = time.thread_time()
            response = request()
            spent = time.thread_time() - start
            assert response.status_code in (200, 201), response.get_json()
            return spent

        marks, floor = [], []
        for n in range(args.marks):
            ident, aspect = 1 + n % args.tablets, (n // args.tablets) % 40
            body = {"contestant": f"T{ident:04d}", "aspect": f"M{aspect}", "value": True, "idempotency_key": f"m{n}"}
            marks.append(timed(lambda: client.post("/api/v1/contests/LIVE/marks", json=body, headers=headers)))
            floor.append(timed(lambda: client.get("/api/v1/time", headers=headers)))
        app.extensions["jx_db"].engine.dispose()
        app.extensions["jx_db"].read_engine.dispose()
    mark, base = statistics.median(marks), statistics.median(floor)
    print(f"{args.marks} marks, {args.gap_ms:g} ms apart, {args.tablets} contestants")
    print(f"POST /marks (auth, lookups, lock, append, commit, answer with the sheet)  median {mark * 1000:.2f} ms "
          f"p95 {sorted(marks)[int(0.95 * len(marks))] * 1000:.2f} ms CPU")
    print(f"baseline: GET /api/v1/time with the same token                          median {base * 1000:.2f} ms "
          f"CPU (a mark costs {mark / base:.1f}× the framework's floor)")


if __name__ == "__main__":
    main()
