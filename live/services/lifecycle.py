"""Starting and stopping an event's broadcast; at most one is live per event."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from live.models import Broadcast, Viewer
from live.services import telemetry
from live.services.prepared import PreparedLookup
from live.services.sources import ingest_fields, require_source
from live.signals import broadcast_started, broadcast_stopped


class SourceConflict(Exception):
    def __init__(self, broadcast):
        super().__init__(
            f"The event is already live with the {broadcast.source!r} source; "
            "stop it before starting another source."
        )
        self.broadcast = broadcast


_LIVE_BROADCAST = PreparedLookup(
    lambda event_id: Broadcast.objects.filter(event_id=event_id, stopped_at__isnull=True)[:1]
)


def live_broadcast(event_id):
    """The event's live broadcast or None: one indexed query, compiled once (status polls)."""
    return _LIVE_BROADCAST.first(event_id)


def _new_stream_name(event_id):
    return f"{event_id[:40]}-{secrets.token_hex(8)}"


def start_broadcast(event, source, actor, camera_url=""):
    """Returns (broadcast, created). The same source twice is idempotent."""
    require_source(source)
    try:
        with transaction.atomic():
            # The row lock queues concurrent starts on PostgreSQL; SQLite's
            # IMMEDIATE transactions already serialise writers.
            type(event).objects.select_for_update().filter(pk=event.pk).first()
            current = live_broadcast(event.pk)
            if current is None:
                current = Broadcast.objects.create(
                    event=event,
                    source=source,
                    stream_name=_new_stream_name(event.pk),
                    started_at=timezone.now(),
                    started_by=actor,
                    **ingest_fields(source, camera_url),
                )
                broadcast_started.send(Broadcast, broadcast=current, actor=actor)
                created = True
            else:
                created = False
    except IntegrityError:
        # The partial unique index refused a second live broadcast that slipped
        # past the lock (e.g. an event row created in the same instant).
        current, created = live_broadcast(event.pk), False
        if current is None:
            raise
    if current.source != source:
        raise SourceConflict(current)
    if created:
        telemetry.emit(
            "live.start",
            eventId=event.pk,
            broadcastId=current.pk,
            source=source,
            actor=actor,
        )
    return current, created


def stop_broadcast(event, actor):
    """Stops the live broadcast, if any, and returns it (None when idle)."""
    with transaction.atomic():
        type(event).objects.select_for_update().filter(pk=event.pk).first()
        current = live_broadcast(event.pk)
        if current is None:
            return None
        current.stopped_at = timezone.now()
        current.stopped_by = actor
        current.save(update_fields=["stopped_at", "stopped_by"])
        Viewer.objects.filter(broadcast=current).delete()
        broadcast_stopped.send(Broadcast, broadcast=current, actor=actor)
    telemetry.emit(
        "live.stop",
        eventId=event.pk,
        broadcastId=current.pk,
        source=current.source,
        actor=actor,
    )
    return current


def uptime_seconds(broadcast, now=None):
    end = broadcast.stopped_at or now or timezone.now()
    return max(0, int((end - broadcast.started_at).total_seconds()))
