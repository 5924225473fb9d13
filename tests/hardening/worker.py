"""A separate process for the hardening tests: ``python -m tests.hardening.worker MODE …``.

Each worker is its own Django process on the test database (DATABASE_URL) and data
folder (LIVE_STREAM_DATA_DIR) that the test hands it in its environment.

- ``transitions INDEX COUNT EVENTS GO_FILE``: waits until GO_FILE exists, then makes
  COUNT start or stop transitions, round robin over the events ``w<INDEX>-e<n>``
  (which the test created); prints one JSON line with what it did.
- ``crash-after-append EVENTS``: starts EVENTS broadcasts in one transaction, then
  dies by SIGKILL right after their lines reach the audit log, before the rows are
  marked appended: the crash the audit log must survive without doubling lines.
"""

import json
import os
import signal
import sys
import time


def transitions(index, count, events, go_file):
    from django.db import connection

    from live.models import Event
    from live.services.lifecycle import start_broadcast, stop_broadcast

    actor = f"worker:{index}"
    own = [Event.objects.get(pk=f"w{index}-e{n}") for n in range(events)]
    live = set()
    if connection.vendor == "postgresql":
        # This test is about concurrency, not about PostgreSQL's own durability:
        # commits need not wait for the server's WAL flush (two per transition).
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    while not os.path.exists(go_file):
        time.sleep(0.01)
    started = stopped = 0
    began = time.monotonic()
    for step in range(count):
        event = own[step % len(own)]
        if event.pk in live:
            assert stop_broadcast(event, actor) is not None
            live.discard(event.pk)
            stopped += 1
        else:
            assert start_broadcast(event, "mock", actor)[1]
            live.add(event.pk)
            started += 1
    seconds = time.monotonic() - began
    print(json.dumps({"worker": index, "started": started, "stopped": stopped, "s": seconds}))


def crash_after_append(events):
    from django.db import transaction

    from live.models import Event
    from live.services.lifecycle import start_broadcast

    real_fsync = os.fsync

    def fsync_then_die(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGKILL)

    os.fsync = fsync_then_die  # the audit log's write is the only fsync in Python
    with transaction.atomic():
        for n in range(events):
            event = Event.objects.create(pk=f"crash-{n}", name=f"Crash {n}")
            start_broadcast(event, "mock", "worker:crash")
    raise AssertionError("the worker should have died after the append")


def main(argv):
    import django

    django.setup()
    mode, args = argv[0], argv[1:]
    if mode == "transitions":
        transitions(int(args[0]), int(args[1]), int(args[2]), args[3])
    elif mode == "crash-after-append":
        crash_after_append(int(args[0]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
