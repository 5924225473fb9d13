"""kill -9 of the app server: mid-broadcast, and at random moments during starts.

gunicorn runs as in production (deploy/gunicorn.conf.py) on the test database, in a
process group of its own; ``kill -9`` goes to the whole group, master and workers at
once. Then it is started again and the state is checked. SQLite by default; the same
tests run on PostgreSQL with DATABASE_URL.
"""

import http.client
import random
import threading
import time
from collections import Counter

import pytest

from live.models import AuditEntry, Broadcast, Event
from live.services.apikeys import create_api_key
from tests.hardening.support import AppServer, manage
from tests.hardening.test_audit_log import assert_log_matches_the_outbox
from tests.processes import postgres_only
from live.services.audit import audit_log_path

pytestmark = pytest.mark.django_db(transaction=True)

KILLS = 12  # kill -9 during starts, each followed by a restart
CLIENTS = 4  # threads sending start (and stop) requests while the server is killed


@pytest.fixture
def servers(tmp_path, data_dir):
    """Makes AppServers on the test database; stops them before it is flushed."""
    made = []

    def make(name, workers=2):
        server = AppServer(name, data_dir, tmp_path / "logs", workers=workers)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def admin_key_raw(db):
    return create_api_key("crash-ops", is_admin=True)[1]


def test_kill_9_mid_broadcast_keeps_it_live_with_the_same_tokens(servers, admin_key_raw, tally):
    event = Event.objects.create(pk="crash-open", name="Crash Open")
    server = servers("app").start()
    started = server.call(
        "POST", f"/events/{event.pk}/live/start", admin_key_raw, {"source": "mock"}
    )
    assert started.status == 201, started.text
    token = server.call("POST", f"/events/{event.pk}/live/token", admin_key_raw, {"ttl": 900})
    token = token.json()["token"]
    before = server.call("GET", f"/events/{event.pk}/live/status?token={token}", admin_key_raw)
    assert before.json()["hlsPath"]

    server.kill()
    assert not server.ready()
    server.start()
    tally("crash: kill -9 mid-broadcast", 1)

    after = server.call("GET", f"/events/{event.pk}/live/status?token={token}", admin_key_raw)
    assert after.status == 200
    body = after.json()
    assert body["running"] is True
    assert body["broadcastId"] == started.json()["broadcastId"]
    assert body["hlsPath"].startswith("/hls/")
    # The playlist signed after the restart and the one signed before it both play.
    for path in (body["hlsPath"], before.json()["hlsPath"]):
        playlist = server.call("GET", path)
        assert playlist.status == 200, playlist.text
        assert playlist.text.startswith("#EXTM3U")
        assert "#EXT-X-ENDLIST" not in playlist.text  # still live
    segment = next(line for line in playlist.text.splitlines() if line.endswith(".ts"))
    assert server.call("GET", path.rsplit("/", 1)[0] + "/" + segment).status == 200
    # The viewer page with the same link plays too.
    page = server.call("GET", f"/events/{event.pk}/live-view?token={token}")
    assert page.status == 200
    assert Broadcast.objects.get().is_live
    assert [entry.record["action"] for entry in AuditEntry.objects.all()] == ["start"]


def check_no_half_state(events):
    """Every broadcast fully started (with its start entry) or absent; one live per event."""
    broadcasts = {broadcast.pk: broadcast for broadcast in Broadcast.objects.all()}
    entries = Counter(
        (entry.record["broadcast"], entry.record["action"]) for entry in AuditEntry.objects.all()
    )
    for pk, broadcast in broadcasts.items():
        assert entries[(pk, "start")] == 1, f"broadcast {pk} has no single start entry"
        assert entries[(pk, "stop")] == (0 if broadcast.is_live else 1), pk
    assert {pk for pk, _ in entries} <= set(broadcasts), "an entry names no broadcast"
    for event in events:
        assert Broadcast.objects.filter(event=event, stopped_at__isnull=True).count() <= 1


@postgres_only(
    "runs on PostgreSQL (scripts/check.sh), the production database, whose "
    "transactions a kill -9 interrupts; CI's 20 minutes have no room for both",
)
def test_kill_9_at_random_moments_during_starts_leaves_all_or_nothing(
    servers, admin_key_raw, data_dir, tally
):
    events = [Event.objects.create(pk=f"kill-{n}", name=f"Kill {n}") for n in range(3)]
    server = servers("app").start()
    rng = random.Random(20261125)
    answered = Counter()

    def client(killed, seed):
        pick = random.Random(seed)
        while not killed.is_set():
            event = pick.choice(events)
            action = "start" if pick.random() < 0.7 else "stop"
            body = {"source": "mock"} if action == "start" else None
            try:
                answer = server.call(
                    "POST", f"/events/{event.pk}/live/{action}", admin_key_raw, body, timeout=5
                )
                answered[answer.status] += 1
                assert answer.status in (200, 201), answer.text
            except (OSError, http.client.HTTPException):
                answered["cut off by the kill"] += 1
                return

    for iteration in range(KILLS):
        killed = threading.Event()
        threads = [
            threading.Thread(target=client, args=(killed, iteration * CLIENTS + n))
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.05, 0.5))
        server.kill()
        killed.set()
        for thread in threads:
            thread.join(timeout=10)
        check_no_half_state(events)
        server.start()

    tally("crash: kill -9 during starts (restarts)", KILLS)
    tally("crash: requests answered between the kills", answered[200] + answered[201])
    tally("crash: requests cut off by a kill", answered["cut off by the kill"])
    print(f"\n{KILLS} kills; answers: {dict(answered)}; broadcasts: {Broadcast.objects.count()}")
    assert answered[201] > 0 and answered["cut off by the kill"] > 0

    # After the last restart everything still works, and the log catches up.
    answer = server.call("POST", f"/events/{events[0].pk}/live/stop", admin_key_raw)
    assert answer.status == 200
    check_no_half_state(events)
    result = manage("flushaudit", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    lines = assert_log_matches_the_outbox(audit_log_path())
    assert len(lines) == AuditEntry.objects.count()
