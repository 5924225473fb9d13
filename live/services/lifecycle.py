"""Starting and stopping a camera's broadcast; at most one is live per camera."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from live.models import DEFAULT_CAMERA, Broadcast, Camera, Event
from live.services import telemetry
from live.services.cameras import default_camera
from live.services.prepared import PreparedLookup
from live.services.sources import ingest_fields, require_source
from live.signals import broadcast_started, broadcast_stopped


class SourceConflict(Exception):
    def __init__(self, broadcast):
        super().__init__(
            f"The camera is already live with the {broadcast.source!r} source; "
            "stop it before starting another source."
        )
        self.broadcast = broadcast


_LIVE_BY_SLUG = PreparedLookup(
    lambda event_id, slug: Broadcast.objects.filter(
        event_id=event_id, camera__slug=slug, stopped_at__isnull=True
    )[:1]
)


def live_broadcast(event_id, camera_slug=DEFAULT_CAMERA):
    """The camera's live broadcast or None: one indexed query, compiled once (status polls)."""
    return _LIVE_BY_SLUG.first(event_id, camera_slug)


def live_broadcast_of(camera):
    return Broadcast.objects.filter(camera=camera, stopped_at__isnull=True).first()


def _new_stream_name(camera):
    # New and unguessable for every broadcast: the camera's fixed names never reach viewers.
    return f"{camera.event_id[:30]}-{camera.slug[:20]}-{secrets.token_hex(8)}"


def _camera(target):
    """An event stands for its default camera, as the event routes do."""
    return default_camera(target.pk) if isinstance(target, Event) else target


def start_broadcast(camera, source, actor, camera_url=""):
    """Returns (broadcast, created). The same source twice is idempotent."""
    camera = _camera(camera)
    require_source(source)
    try:
        with transaction.atomic():
            # The row lock queues concurrent starts on PostgreSQL; SQLite's
            # IMMEDIATE transactions already serialise writers.
            Camera.objects.select_for_update().filter(pk=camera.pk).first()
            current = live_broadcast_of(camera)
            if current is None:
                current = Broadcast.objects.create(
                    event_id=camera.event_id,
                    camera=camera,
                    source=source,
                    stream_name=_new_stream_name(camera),
                    started_at=timezone.now(),
                    started_by=actor,
                    **ingest_fields(camera, source, camera_url),
                )
                broadcast_started.send(Broadcast, broadcast=current, actor=actor)
                created = True
            else:
                created = False
    except IntegrityError:
        # The partial unique index refused a second live broadcast that slipped
        # past the lock (e.g. a camera row created in the same instant).
        current, created = live_broadcast_of(camera), False
        if current is None:
            raise
    if current.source != source:
        raise SourceConflict(current)
    current.camera = camera
    if created:
        telemetry.emit(
            "live.start",
            eventId=camera.event_id,
            camera=camera.slug,
            broadcastId=current.pk,
            source=source,
            actor=actor,
        )
    return current, created


def stop_broadcast(camera, actor):
    """Stops the camera's live broadcast, if any, and returns it (None when idle)."""
    camera = _camera(camera)
    with transaction.atomic():
        Camera.objects.select_for_update().filter(pk=camera.pk).first()
        current = live_broadcast_of(camera)
        if current is None:
            return None
        current.stopped_at = timezone.now()
        current.stopped_by = actor
        current.save(update_fields=["stopped_at", "stopped_by"])
        # Viewer rows stay: unique viewers and the peak are kept after the stop,
        # and nobody counts as watching an ended broadcast (audience.py).
        broadcast_stopped.send(Broadcast, broadcast=current, actor=actor)
    current.camera = camera
    telemetry.emit(
        "live.stop",
        eventId=camera.event_id,
        camera=camera.slug,
        broadcastId=current.pk,
        source=current.source,
        actor=actor,
    )
    return current


def uptime_seconds(broadcast, now=None):
    end = broadcast.stopped_at or now or timezone.now()
    return max(0, int((end - broadcast.started_at).total_seconds()))
