"""Bench: the viewer page's HTMX poll (the 204 path) against a bare Django JSON view.

    .venv/bin/python bench/viewer_poll.py
    .venv/bin/python bench/viewer_poll.py --db postgres --seconds 3 --rounds 1

One gunicorn (deploy/gunicorn.conf.py, 2 sync workers, DATABASE_CONN_MAX_AGE=60)
serves `/bench/bare` (LIVE_BENCH_BARE_VIEW=1) and
the poll a viewer's page sends (`/events/<id>/live-view/state?token=…&camera=main&
viewer=…&shown=…`, the URL the partial itself names) for an event of 4 cameras (2
live mock broadcasts) and a valid event link (so the page has the camera
switcher), answered 204 because nothing changed. wrk -t2 -c64 hits each in turn,
`--rounds` times for `--seconds` each (10 s in all by default), on loopback.
LIVE_TELEMETRY_LEVEL is read when Django starts, so telemetry "off" (WARNING) and
"on" (INFO) each get their own server, as in bench/status.py.
Goal (issue 21): poll / bare >= 0.8, telemetry on and off.
"""

import argparse
import re

from harness import (
    EVENT_ID,
    World,
    compare,
    http,
    machine_note,
    markdown_table,
    ratio_rows,
    telemetry_servers,
)

GOAL = 0.8


def poll_path_of(port, token):
    """What the page would send: the partial names its own next poll."""
    first = f"/events/{EVENT_ID}/live-view/state?token={token}&camera=main&shown=new"
    status, _, body = http(port, "GET", first)
    found = re.search(rb'hx-get="([^"]+)"', body)
    if status != 200 or not found:
        raise SystemExit(f"the first poll answered {status} without a next poll")
    poll_path = found[1].decode().replace("&amp;", "&")
    status, _, _ = http(port, "GET", poll_path)
    if status != 204:
        raise SystemExit(f"the poll answered {status}, not 204")
    return poll_path


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
            poll_url = f"{base}{poll_path_of(port, token)}"
            results = compare(
                {"bare": (f"{base}/bench/bare", {}), "poll": (poll_url, {})},
                rounds=args.rounds,
                seconds=args.seconds,
                connections=args.connections,
                cpu_pid=world.pid(name),
            )
            rows += ratio_rows(
                telemetry, results["bare"], "live-view/state (204)", results["poll"]
            )
    print(
        f"\n### viewer poll vs bare ({args.db}, gunicorn 2 sync workers, wrk -t2 "
        f"-c{args.connections}, {args.rounds}x{args.seconds}s each; goal ratio >= {GOAL})\n"
    )
    print(
        markdown_table(
            ["endpoint", "telemetry", "requests/s", "p99 ms", "errors", "gunicorn CPU µs/request",
             "ratio", "CPU ratio (bare/poll)"],
            rows,
        )  # fmt: skip
    )
    print(f"\n{machine_note()}")


if __name__ == "__main__":
    main()
