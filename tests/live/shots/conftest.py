from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast
from live.services.lifecycle import start_broadcast
from live.services.webhooks import create_endpoint
from live.services.tokens import mint_viewer_token, scope_for


@pytest.fixture
def live_mock(event):
    """A recorded mock broadcast that went live a minute ago."""
    broadcast, _ = start_broadcast(event, "mock", "test")
    began = timezone.now() - timedelta(seconds=60)
    Broadcast.objects.filter(pk=broadcast.pk).update(started_at=began)
    broadcast.recording.started_at = began
    broadcast.recording.save()
    broadcast.refresh_from_db()
    return broadcast


@pytest.fixture
def event_token(event, live_mock):
    """An event link's token (every camera)."""
    return mint_viewer_token(event.pk, live_mock.pk, 3600, scope=scope_for(None))[0]


@pytest.fixture
def shot_hook(settings):
    """An endpoint that wants shot.ready (on loopback, which tests allow)."""
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = True
    return create_endpoint("http://127.0.0.1:9/hook", types="shot.ready")
