"""Bench: the viewer page's HTMX poll (the 204 path) against a bare Django JSON view.

    .venv/bin/python bench/viewer_poll.py
    .venv/bin/python bench/viewer_poll.py --db postgres --seconds 3 --rounds 1

One gunicorn (deploy/gunicorn.conf.py, 2 sync workers, DATABASE_CONN_MAX_AGE=60,
telemetry off) serves `/bench/bare` (LIVE_BENCH_BARE_VIEW=1) and
`/events/<id>/live-view/state?token=…&shown=live` for a live mock broadcast and a
valid viewer link: the poll a playing viewer's page sends, answered 204 because
nothing changed. wrk -t2 -c64 hits each in turn, `--rounds` times for
`--seconds` each (10 s in all by default), on loopback. Goal: poll / bare >= 0.5.
"""

import argparse

from harness import (
    EVENT_ID,
    World,
    compare,
    http,
    machine_note,
    markdown_table,
    start_mock_broadcast,
)

GOAL = 0.5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=2, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    with World(args.db) as world:
        world.setup_django()
        port = world.gunicorn(workers=2)
        token, _ = start_mock_broadcast(port, world.admin_key)
        poll_path = f"/events/{EVENT_ID}/live-view/state?token={token}&shown=live"
        status, _, _ = http(port, "GET", poll_path)
        if status != 204:
            raise SystemExit(f"the poll answered {status}, not 204")
        base = f"http://127.0.0.1:{port}"
        results = compare(
            {"bare": (f"{base}/bench/bare", {}), "poll": (f"{base}{poll_path}", {})},
            rounds=args.rounds,
            seconds=args.seconds,
            connections=args.connections,
        )
    bare, poll = results["bare"], results["poll"]
    ratio = poll.ok_per_second / bare.ok_per_second
    rows = [
        [label, f"{r.ok_per_second:,.0f}", f"{r.latency_p99_ms:.1f}", r.non_2xx_3xx + r.errors]
        for label, r in (("bare JSON view", bare), ("live-view/state (204)", poll))
    ]
    rows[1].append(f"**{ratio:.2f}**")
    rows[0].append("")
    print(
        f"\n### viewer poll vs bare ({args.db}, gunicorn 2 sync workers, wrk -t2 "
        f"-c{args.connections}, {args.rounds}x{args.seconds}s each; goal ratio >= {GOAL})\n"
    )
    print(markdown_table(["endpoint", "requests/s", "p99 ms", "errors", "ratio"], rows))
    print(f"\n{machine_note()}")


if __name__ == "__main__":
    main()
