"""Bench: what a viewer page costs the server with four cameras compared with one.

    .venv/bin/python bench/cameras.py
    .venv/bin/python bench/cameras.py --db postgres --seconds 3 --rounds 1

One gunicorn (deploy/gunicorn.conf.py, 2 sync workers, telemetry off) serves the
viewer page's poll (`/events/<id>/live-view/state`, the 204 "nothing changed"
path) for two events side by side: one with a single live camera, one with four
cameras (all live) and an event link, so the page shows the camera switcher.
wrk -t2 -c64 hits each in turn, `--rounds` times for `--seconds` each. A page polls
once per interval whatever the number of cameras; with a switcher it polls every
LIVE_VIEWER_POLL_SECONDS (so the badges follow the cameras), with one camera every
LIVE_VIEWER_PLAYING_POLL_SECONDS. The table gives both the cost per poll and the
cost per page per minute (polls per minute / polls per second of one worker pair).
"""

import argparse

from harness import EVENT_ID, World, compare, http, machine_note, markdown_table

FOUR = "bench-four-tees"


def _setup_four_cameras():
    """The four-camera event, live, and event links for both events (in this process)."""
    from django.conf import settings
    from django.db import connections

    from live.models import Event, Source
    from live.services.cameras import create_camera, default_camera
    from live.services.lifecycle import start_broadcast
    from live.services.viewer_links import mint_viewer_link

    one = Event.objects.get(pk=EVENT_ID)
    four = Event.objects.create(pk=FOUR, name="Four tees")
    for number in range(1, 4):
        create_camera(four, f"tee-{number}", f"Tee {number}")
    links = {}
    for event in (one, four):
        live = [start_broadcast(camera, Source.MOCK, "bench")[0] for camera in event.cameras.all()]
        links[event.pk] = mint_viewer_link(live, 86400, "bench")[0]
    cameras = {event.pk: event.cameras.count() for event in (one, four)}
    default_camera(EVENT_ID)
    intervals = (settings.LIVE_VIEWER_PLAYING_POLL_SECONDS, settings.LIVE_VIEWER_POLL_SECONDS)
    connections.close_all()
    return links, cameras, intervals


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=2, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    with World(args.db) as world:
        world.setup_django()
        links, cameras, (playing_poll, switcher_poll) = _setup_four_cameras()
        port = world.gunicorn(workers=2)
        shown = {EVENT_ID: "live", FOUR: "live.main.1111"}
        paths = {
            event: f"/events/{event}/live-view/state?token={links[event]}&camera=main"
            f"&shown={shown[event]}"
            for event in (EVENT_ID, FOUR)
        }
        for event, path in paths.items():
            status, _, _ = http(port, "GET", path)
            if status != 204:
                raise SystemExit(f"the poll of {event} answered {status}, not 204")
        base = f"http://127.0.0.1:{port}"
        results = compare(
            {event: (f"{base}{path}", {}) for event, path in paths.items()},
            rounds=args.rounds,
            seconds=args.seconds,
            connections=args.connections,
        )
    one, four = results[EVENT_ID], results[FOUR]
    rows = []
    for label, result, count, interval in (
        ("1 camera", one, cameras[EVENT_ID], playing_poll),
        ("4 cameras (switcher)", four, cameras[FOUR], switcher_poll),
    ):
        per_minute = 60 / interval
        # Server time per page per minute: polls per minute x time per poll (2 workers busy).
        ms_per_poll = 2 * 1000 / result.ok_per_second
        rows.append(
            [
                label,
                count,
                f"{result.ok_per_second:,.0f}",
                f"{result.latency_p99_ms:.1f}",
                f"{per_minute:.0f}",
                f"{per_minute * ms_per_poll:.1f}",
                result.non_2xx_3xx + result.errors,
            ]
        )
    print(
        f"\n### viewer poll, 4 cameras vs 1 ({args.db}, gunicorn 2 sync workers, wrk -t2 "
        f"-c{args.connections}, {args.rounds}x{args.seconds}s each)\n"
    )
    print(
        markdown_table(
            ["page", "cameras", "polls/s", "p99 ms", "polls/min/page", "worker ms/min/page",
             "errors"],  # fmt: skip
            rows,
        )
    )
    print(f"\nper poll, 4 cameras / 1: {one.ok_per_second / four.ok_per_second:.2f}x the cost")
    print(f"\n{machine_note()}")


if __name__ == "__main__":
    main()
