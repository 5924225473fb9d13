"""Starting and stopping: at most one live broadcast per event, enforced by the database."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from live.models import Broadcast
from live.services import lifecycle
from live.services.lifecycle import live_broadcast, start_broadcast, stop_broadcast, uptime_seconds

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_live_broadcast_for_an_event(event):
    start_broadcast(event, "mock", "key:ops")

    with pytest.raises(IntegrityError), transaction.atomic():
        Broadcast.objects.create(
            event=event,
            source="mock",
            stream_name="second",
            started_at=live_broadcast(event.pk).started_at,
            started_by="key:ops",
        )


def test_a_start_that_slips_past_the_lock_falls_back_to_the_live_broadcast(event, monkeypatch):
    existing, _ = start_broadcast(event, "mock", "key:ops")
    real_live_broadcast = lifecycle.live_broadcast_of
    calls = []

    def blind_first_look(camera):
        # The first look misses the live broadcast, as a racing start would.
        calls.append(camera)
        return None if len(calls) == 1 else real_live_broadcast(camera)

    monkeypatch.setattr(lifecycle, "live_broadcast_of", blind_first_look)

    broadcast, created = start_broadcast(event, "mock", "key:other")

    assert (broadcast, created) == (existing, False)
    assert Broadcast.objects.count() == 1
    assert len(calls) == 2


def test_an_integrity_error_with_no_live_broadcast_is_not_swallowed(event, monkeypatch):
    def refuse(**kwargs):
        raise IntegrityError("something else")

    monkeypatch.setattr(Broadcast.objects, "create", refuse)

    with pytest.raises(IntegrityError):
        start_broadcast(event, "mock", "key:ops")


def test_a_conflicting_source_after_the_fallback_is_still_a_conflict(event, monkeypatch, settings):
    settings.LIVEKIT_WHIP_URL = "https://livekit.example.test/whip"
    start_broadcast(event, "mock", "key:ops")
    real_live_broadcast = lifecycle.live_broadcast
    calls = []

    def blind_first_look(event_id):
        calls.append(event_id)
        return None if len(calls) == 1 else real_live_broadcast(event_id)

    monkeypatch.setattr(lifecycle, "live_broadcast", blind_first_look)

    with pytest.raises(lifecycle.SourceConflict):
        start_broadcast(event, "livekit", "key:ops")


def test_uptime_counts_from_start_to_now_and_never_goes_negative(event):
    broadcast, _ = start_broadcast(event, "mock", "key:ops")
    started = broadcast.started_at

    assert uptime_seconds(broadcast, now=started + timedelta(seconds=90.9)) == 90
    assert uptime_seconds(broadcast, now=started - timedelta(seconds=5)) == 0


def test_uptime_of_a_stopped_broadcast_ends_at_the_stop(event):
    start_broadcast(event, "mock", "key:ops")
    stopped = stop_broadcast(event, "key:ops")

    assert uptime_seconds(stopped, now=stopped.stopped_at + timedelta(days=1)) == int(
        (stopped.stopped_at - stopped.started_at).total_seconds()
    )
