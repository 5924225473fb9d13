"""The viewer registry: who is watching the current broadcast."""

from django.db import IntegrityError, transaction

from live.models import Viewer
from live.services import telemetry


def join_viewer(broadcast, viewer_id, user_agent="", link=None):
    """Registers a viewer once per page view; returns True if newly added."""
    try:
        with transaction.atomic():
            Viewer.objects.create(
                broadcast=broadcast, viewer_id=viewer_id, user_agent=user_agent[:300], link=link
            )
    except IntegrityError:
        return False
    telemetry.emit(
        "live.viewer_join",
        eventId=broadcast.event_id,
        broadcastId=broadcast.pk,
        viewerId=viewer_id,
    )
    return True


def viewer_count(broadcast):
    return Viewer.objects.filter(broadcast=broadcast).count() if broadcast else 0
