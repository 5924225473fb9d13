from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast
from live.services.lifecycle import start_broadcast, stop_broadcast


@pytest.fixture
def ended_mock(event):
    """A 10-second mock broadcast that has ended (recorded: cameras record by default)."""
    broadcast, _ = start_broadcast(event, "mock", "test")
    Broadcast.objects.filter(pk=broadcast.pk).update(
        started_at=timezone.now() - timedelta(seconds=10)
    )
    broadcast.recording.started_at = timezone.now() - timedelta(seconds=10)
    broadcast.recording.save()
    stop_broadcast(event, "test")
    broadcast.refresh_from_db()
    return broadcast


@pytest.fixture
def live_mock(event):
    broadcast, _ = start_broadcast(event, "mock", "test")
    Broadcast.objects.filter(pk=broadcast.pk).update(
        started_at=timezone.now() - timedelta(seconds=30)
    )
    broadcast.recording.started_at = timezone.now() - timedelta(seconds=30)
    broadcast.recording.save()
    broadcast.refresh_from_db()
    return broadcast


from tests.s3_server import s3, s3_server  # noqa: E402,F401  (moto's S3 server, a bucket)
