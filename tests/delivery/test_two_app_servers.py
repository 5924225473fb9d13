"""Two gunicorn servers on one PostgreSQL: they share state only through the database.

The servers are real processes (deploy/gunicorn.conf.py, two sync workers each)
on the pytest-django test database, so the rows a test writes must be committed
(transaction=True) and the servers are stopped before the database is flushed.
"""

import json
import os
import threading
from collections import Counter

import pytest
from django.conf import settings

from live.models import Broadcast, Event
from live.services.apikeys import create_api_key
from tests.processes import (
    GUNICORN,
    Api,
    database_url,
    free_tcp_port,
    postgres_only,
    tcp_open,
    wait_for,
)

pytestmark = [
    pytest.mark.delivery,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    postgres_only(
        "needs PostgreSQL: two server processes share one database; "
        "scripts/check.sh runs the suite again with DATABASE_URL=postgres://…",
    ),
]

CONCURRENT_STARTS = 16


@pytest.fixture
def app_servers(procs, data_dir, tmp_path):
    """Two gunicorns (2 workers each) on different ports; returns their ports."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LIVE_VIEWER_SIGN_KEY": settings.LIVE_VIEWER_SIGN_KEY,
        "LIVE_STREAM_DATA_DIR": str(data_dir),
        "LIVE_TELEMETRY_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    ports = [free_tcp_port(), free_tcp_port()]
    while ports[1] == ports[0]:
        ports[1] = free_tcp_port()
    processes = [
        procs.start(
            f"gunicorn-{index}",
            [GUNICORN, "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "-w", "2",
             "teecam.wsgi"],
            env=env,
        )  # fmt: skip
        for index, port in enumerate(ports)
    ]
    for process, port in zip(processes, ports):
        wait_for(lambda: process.poll() is not None or tcp_open(port), 30, f"gunicorn on {port}")
        assert process.poll() is None, procs.log_of(process)
    return ports


@pytest.fixture
def shared(app_servers, data_dir):
    """An event and an admin key, committed; an API client for each server."""
    event = Event.objects.create(pk="two-servers", name="Two servers")
    raw_key = create_api_key("two-servers-ops", is_admin=True)[1]
    return event, Api(app_servers[0], raw_key), Api(app_servers[1], raw_key)


def audit_actions(data_dir):
    path = data_dir / "streams.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["action"] for line in path.read_text().splitlines()]


def test_start_on_one_server_is_seen_on_the_other_and_so_is_stop(shared, data_dir):
    event, a, b = shared
    assert b.status(event.pk).json()["running"] is False

    started = a.start(event.pk)
    assert started.status == 201, started.text

    # Each server keeps an event's state for LIVE_STATE_CACHE_SECONDS (services/snapshots.py):
    # the other one sees the start within that time.
    on_b = wait_for(
        lambda: (answer := b.status(event.pk)).json()["running"] and answer, 5, "b to see it"
    )
    assert on_b.status == 200
    assert on_b.json()["broadcastId"] == started.json()["broadcastId"]

    token = a.token(event.pk).json()["token"]
    # Every worker of b keeps its own snapshot: the one answering may not have seen it yet.
    with_token = wait_for(
        lambda: "hlsPath" in (answer := b.status(event.pk, token).json()) and answer,
        5,
        "b to sign the playlist",
    )
    assert with_token["hlsPath"].startswith("/hls/")
    # The signed playlist it names plays from either server.
    for server in (a, b):
        playlist = server.call("GET", with_token["hlsPath"])
        assert playlist.status == 200
        assert playlist.text.startswith("#EXTM3U")

    stopped = b.stop(event.pk)
    assert stopped.status == 200
    assert stopped.json()["running"] is False

    on_a = wait_for(
        lambda: (answer := a.status(event.pk, token)).json()["running"] is False and answer,
        5,
        "a to see the stop",
    )
    assert "hlsPath" not in on_a.json()
    assert audit_actions(data_dir) == ["start", "stop"]


def test_concurrent_starts_split_across_both_servers_make_one_broadcast(shared, data_dir):
    event, a, b = shared
    barrier = threading.Barrier(CONCURRENT_STARTS)
    results, errors = [], []

    def start(server):
        try:
            barrier.wait(timeout=30)
            answer = server.start(event.pk)
            results.append((answer.status, answer.json().get("broadcastId")))
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [
        threading.Thread(target=start, args=((a, b)[index % 2],))
        for index in range(CONCURRENT_STARTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads), "a start hung"
    assert errors == []
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 200: CONCURRENT_STARTS - 1}, statuses
    assert len({broadcast_id for _, broadcast_id in results}) == 1
    assert Broadcast.objects.filter(event=event).count() == 1
    assert audit_actions(data_dir) == ["start"]
