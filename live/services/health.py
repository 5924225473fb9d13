"""A broadcast's health as viewers and staff see it."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from live.models import Health
from live.services.sources import facts_of


def health_of(broadcast, now=None):
    """``{health, lastSegmentAt, reconnecting}``: for the status API and the host page."""
    if broadcast is None:
        return {"health": None, "lastSegmentAt": None, "reconnecting": False}
    if facts_of(broadcast.source).simulated:
        return {"health": Health.RECEIVING, "lastSegmentAt": None, "reconnecting": False}
    return {
        "health": broadcast.health or None,
        "lastSegmentAt": broadcast.last_segment_at,
        "reconnecting": is_reconnecting(broadcast, now),
    }


def is_reconnecting(broadcast, now=None):
    """Stalled after receiving, and still inside the reconnect window."""
    if broadcast.health != Health.STALLED or broadcast.stalled_since is None:
        return False
    window = timedelta(seconds=settings.LIVE_RECONNECT_WINDOW_SECONDS)
    return (now or timezone.now()) - broadcast.stalled_since <= window
