"""Bench: `GET /events/<id>/live/status?token=` against a bare Django JSON view.

    .venv/bin/python bench/status.py                 # SQLite, telemetry off and on
    .venv/bin/python bench/status.py --db postgres   # a temporary PostgreSQL database
    .venv/bin/python bench/status.py --seconds 3 --rounds 1 --telemetry off

One gunicorn (deploy/gunicorn.conf.py, 2 sync workers, DATABASE_CONN_MAX_AGE=60)
serves both: the bare view (`/bench/bare`, mounted by LIVE_BENCH_BARE_VIEW=1) and
status of an event with 4 cameras (2 live mock broadcasts) for its main camera,
with a valid event link and a client key
(`X-API-Key`), so the token is verified and hlsPath signed on every request.
wrk -t2 -c64 hits each in turn, `--rounds` times for `--seconds` each (10 s in
all by default), on loopback. LIVE_TELEMETRY_LEVEL is read when Django starts,
so "on" (INFO: a JSON line per poll, to gunicorn's log file) and "off"
(WARNING) each get their own server. Goal (issue 21): status / bare >= 0.8.
"""

import argparse

from harness import (
    EVENT_ID,
    World,
    compare,
    machine_note,
    markdown_table,
    ratio_rows,
    telemetry_servers,
)

GOAL = 0.8


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--telemetry", choices=["off", "on", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=2, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    rows = []
    with World(args.db) as world:
        world.setup_django()
        for telemetry, port, name, token in telemetry_servers(world, args.telemetry):
            base = f"http://127.0.0.1:{port}"
            results = compare(
                {
                    "bare": (f"{base}/bench/bare", {}),
                    "status": (
                        f"{base}/events/{EVENT_ID}/live/status?token={token}",
                        {"X-API-Key": world.client_key},
                    ),
                },
                rounds=args.rounds,
                seconds=args.seconds,
                connections=args.connections,
                cpu_pid=world.pid(name),
            )
            rows += ratio_rows(telemetry, results["bare"], "status?token=", results["status"])
    print(
        f"\n### status vs bare ({args.db}, gunicorn 2 sync workers, wrk -t2 "
        f"-c{args.connections}, {args.rounds}x{args.seconds}s each; goal ratio >= {GOAL})\n"
    )
    print(
        markdown_table(
            ["endpoint", "telemetry", "requests/s", "p99 ms", "errors", "gunicorn CPU µs/request",
             "ratio", "CPU ratio (bare/status)"],
            rows,
        )  # fmt: skip
    )
    print(f"\n{machine_note()}")


if __name__ == "__main__":
    main()
