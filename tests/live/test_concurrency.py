"""Many simultaneous starts and stops still leave at most one live broadcast per event.

Real threads with their own database connections, so these tests commit for real
(``transaction=True``); they must pass on SQLite and on PostgreSQL alike.
"""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from live.models import Broadcast
from tests.live.support import audit_lines, start_url, stop_url

THREADS = 16

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(admin_key, actions):
    """Runs one request per action at the same instant; returns (action, status) pairs."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)
    errors = []

    def worker(index, action):
        try:
            api = APIClient()
            api.credentials(HTTP_X_API_KEY=admin_key)
            barrier.wait(timeout=30)
            if action == "start":
                response = api.post(start_url("open-2026"), {"source": "mock"}, format="json")
            else:
                response = api.post(stop_url("open-2026"))
            results[index] = (action, response.status_code)
        except Exception as exc:  # reported below, with the thread's own traceback lost
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, action))
        for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert errors == []
    return results


def test_simultaneous_starts_make_exactly_one_broadcast(admin_key, event, data_dir):
    results = run_together(admin_key, ["start"] * THREADS)

    statuses = Counter(status for _, status in results)
    assert set(statuses) <= {200, 201}, statuses
    assert statuses[201] == 1
    assert statuses[200] == THREADS - 1
    assert Broadcast.objects.count() == 1
    assert Broadcast.objects.get().is_live
    assert [line["action"] for line in audit_lines(data_dir)] == ["start"]


def test_interleaved_starts_and_stops_never_leave_two_live_broadcasts(
    admin_api, admin_key, event, data_dir
):
    assert (
        admin_api.post(start_url(event.pk), {"source": "mock"}, format="json").status_code == 201
    )

    for _ in range(3):
        results = run_together(admin_key, ["start", "stop"] * (THREADS // 2))

        assert all(status in (200, 201) for _, status in results), results
        assert Broadcast.objects.filter(stopped_at__isnull=True).count() <= 1

    broadcasts = list(Broadcast.objects.order_by("started_at"))
    for earlier, later in zip(broadcasts, broadcasts[1:]):
        # Each broadcast ended before the next one began.
        assert earlier.stopped_at is not None
        assert earlier.stopped_at <= later.started_at
    for broadcast in broadcasts:
        assert broadcast.stopped_at is None or broadcast.stopped_at >= broadcast.started_at

    lines = audit_lines(data_dir)
    actions = Counter(line["action"] for line in lines)
    assert actions["start"] == len(broadcasts)
    assert actions["stop"] == sum(1 for broadcast in broadcasts if not broadcast.is_live)
    assert len({line["seq"] for line in lines}) == len(lines)
    for broadcast in broadcasts:
        own = [line["action"] for line in lines if line["broadcast"] == broadcast.pk]
        assert own == (["start"] if broadcast.is_live else ["start", "stop"])
