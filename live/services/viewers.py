"""The viewer registry: which pages play which broadcast, and which of them still do.

One ``Viewer`` row per page view and broadcast, from the page's first
``playing`` (join) or heartbeat; rows are kept after the stop (unique viewers).
Heartbeats move ``last_seen_at``; a leave report clears it, so the page stops
counting as watching at once (live/services/audience.py).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from live.models import Viewer
from live.services import telemetry
from live.services.audience import raise_peak, watching_cutoff, watching_now


def join_viewer(broadcast, viewer_id, user_agent="", link=None, now=None):
    """Registers a viewer once per page view and broadcast; returns True if newly added.

    A page that joins again (the same broadcast) counts as a heartbeat.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            Viewer.objects.create(
                broadcast=broadcast,
                viewer_id=viewer_id,
                user_agent=user_agent[:300],
                link=link,
                last_seen_at=now,
            )
    except IntegrityError:
        heartbeat(broadcast, viewer_id, now)
        return False
    raise_peak(broadcast, now)
    telemetry.emit(
        "live.viewer_join",
        eventId=broadcast.event_id,
        broadcastId=broadcast.pk,
        viewerId=viewer_id,
    )
    return True


def heartbeat(broadcast, viewer_id, now=None):
    """The page still plays: True if the viewer is known, False if it never joined.

    The watching count can only rise when a viewer comes (back) into the window,
    so only then is it counted for the peak: a steady heartbeat is one UPDATE.
    """
    now = now or timezone.now()
    mine = Viewer.objects.filter(broadcast=broadcast, viewer_id=viewer_id)
    if mine.filter(last_seen_at__gte=watching_cutoff(now)).update(last_seen_at=now):
        return True
    if mine.update(last_seen_at=now):
        raise_peak(broadcast, now)
        return True
    return False


def leave(broadcast, viewer_id):
    """The page is going away: it no longer counts as watching. True if it was known."""
    return bool(
        Viewer.objects.filter(broadcast=broadcast, viewer_id=viewer_id).update(last_seen_at=None)
    )


def viewer_count(broadcast):
    """The host page's count: viewers watching the live broadcast now."""
    return watching_now(broadcast)
