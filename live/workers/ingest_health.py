"""Ingest health written back by the packager from the age of a broadcast's newest segment.

Waiting until the first segment, receiving while segments keep coming, stalled
when they stop; a broadcast stalled for longer than the reconnect window is ended.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from live.models import Broadcast, Health
from live.services import webhooks
from live.services.paths import newest_segment_time, output_dir_for
from live.services.lifecycle import stop_broadcast

logger = logging.getLogger("live.packager")


def write_health(broadcast, now):
    last = newest_segment_time(output_dir_for(broadcast), since=broadcast.started_at)
    # Taken over from a dead media host, this host's folder starts empty: the camera
    # was received there, so it is reconnecting, not waiting, and the reconnect
    # window counts from the other host's last segment.
    last = max(filter(None, (last, broadcast.last_segment_at)), default=None)
    stall_after = timedelta(seconds=3 * settings.LIVE_SEGMENT_SECONDS)
    if last is None:
        health, stalled_since = Health.WAITING, None
    elif now - last <= stall_after:
        health, stalled_since = Health.RECEIVING, None
    else:
        health = Health.STALLED
        stalled_since = broadcast.stalled_since or last + stall_after
        window = timedelta(seconds=settings.LIVE_RECONNECT_WINDOW_SECONDS)
        if settings.LIVE_RECONNECT_WINDOW_SECONDS > 0 and now - stalled_since > window:
            logger.warning(
                "broadcast %s: no picture for over %s s, ending it",
                broadcast.pk,
                settings.LIVE_RECONNECT_WINDOW_SECONDS,
            )
            stop_broadcast(broadcast.camera, "packager:camera-lost")
            return
    changed = (broadcast.health, broadcast.last_segment_at, broadcast.stalled_since) != (
        health,
        last,
        stalled_since,
    )
    if changed:
        with transaction.atomic():
            if Broadcast.objects.filter(pk=broadcast.pk, stopped_at__isnull=True).update(
                health=health, last_segment_at=last, stalled_since=stalled_since
            ):
                webhooks.health_changed(broadcast, health)  # camera.connected/disconnected
