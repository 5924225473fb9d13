"""Bench: webhook latency, from the API call that makes an event to its receipt.

    .venv/bin/python bench/webhooks.py
    .venv/bin/python bench/webhooks.py --db postgres --events 200 --polls 0.2,0.05

One gunicorn (deploy/gunicorn.conf.py, 2 sync workers) takes start and stop
calls for the bench event, paced `--interval` apart; `manage.py
deliverwebhooks` (a subprocess, `--poll` each of `--polls` in turn) POSTs the
resulting live.start/live.stop deliveries to a receiver (http.server in a thread of
this process). Latency = receipt time - the moment the API call was sent; every
message is verified with the standardwebhooks package and must arrive once, in
order. The worker polls the outbox, so the poll interval bounds the wait; the
rest is the API call's commit and one loopback POST.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from harness import EVENT_ID, PYTHON, World, http, machine_note, markdown_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integrations.receiver import Receiver  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(world, port, receiver, endpoint, poll, events, interval):
    from standardwebhooks import Webhook

    already = len(receiver.messages())
    worker = world.start(
        f"deliverwebhooks-{poll}",
        [PYTHON, "manage.py", "deliverwebhooks", "--poll", str(poll)],
    )
    time.sleep(1)  # the worker is up
    sent = []
    for index in range(events):
        action = "start" if index % 2 == 0 else "stop"
        body = {"source": "mock"} if action == "start" else None
        sent.append(time.monotonic())
        path = f"/events/{EVENT_ID}/live/{action}"
        status, _, _ = http(port, "POST", path, {"X-API-Key": world.admin_key}, body)
        assert status in (200, 201), status
        time.sleep(interval)
    messages = receiver.wait_for(already + events, 60)[already:]
    world.stop(f"deliverwebhooks-{poll}")
    assert worker.poll() is not None
    webhook = Webhook(endpoint.secret)
    types = [webhook.verify(body, headers)["type"] for headers, body, _ in messages]
    assert types == ["live.start", "live.stop"] * (events // 2), "out of order or missing"
    assert len({headers["webhook-id"] for headers, _, _ in messages}) == events
    return [(received - at) * 1000 for (_, _, received), at in zip(messages, sent)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=200, help="even: start/stop pairs")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between calls")
    parser.add_argument("--polls", default="0.2,0.05", help="worker --poll values to compare")
    args = parser.parse_args()
    events = args.events + args.events % 2

    receiver = Receiver().start()
    with World(args.db) as world:
        world.env["LIVE_WEBHOOK_ALLOW_PRIVATE"] = "1"
        world.setup_django()
        from live.services.webhooks import create_endpoint

        endpoint = create_endpoint(receiver.url)
        from django.db import connections

        connections.close_all()
        port = world.gunicorn(workers=2)
        rows = []
        for poll in [float(value) for value in args.polls.split(",")]:
            latencies = run(world, port, receiver, endpoint, poll, events, args.interval)
            rows.append([
                f"{poll:g} s", len(latencies),
                f"{statistics.median(latencies):.1f}", f"{percentile(latencies, 0.99):.1f}",
                f"{max(latencies):.1f}",
            ])  # fmt: skip
    receiver.stop()
    print(f"\nWebhook latency, API call → receipt ({args.db}, calls {args.interval:g} s apart)\n")
    print(markdown_table(["worker --poll", "events", "p50 ms", "p99 ms", "max ms"], rows))
    print(f"\n{machine_note()}")


if __name__ == "__main__":
    main()
