"""``manage.py runscheduler``: fires each due schedule's start and stop, once.

Two or more schedulers may run: each firing is a conditional update of the
schedule row, so exactly one of them fires it. The rules of a schedule (what may
be set, the countdown) are ``live/services/schedules.py``.
"""

import logging
import time

from django.db import close_old_connections, transaction
from django.utils import timezone

from live.models import Camera, CameraSchedule, WorkerKind
from live.services.heartbeats import Heartbeat
from live.services.lifecycle import (
    SourceConflict,
    live_broadcast_of,
    start_broadcast,
    stop_broadcast,
)
from live.services.schedules import actor_for
from live.services.sources import InvalidCameraUrl, SourceUnavailable

logger = logging.getLogger("live.scheduler")


def run(poll, once=False, max_seconds=None, stopping=(), report=lambda line: None):
    """Passes every ``poll`` seconds until ``stopping`` is truthy (a signal handler
    fills it), after one pass with ``once``, or after ``max_seconds``."""
    deadline = time.monotonic() + max_seconds if max_seconds else None
    heartbeat = Heartbeat(WorkerKind.SCHEDULER)
    while not stopping:
        close_old_connections()
        heartbeat.beat()
        try:
            for action, camera in fire_due():
                report(f"schedule: {action} {camera}")
        except Exception:  # a bad pass must not stop every later schedule
            logger.exception("scheduler pass failed; retrying")
        if once or (deadline is not None and time.monotonic() >= deadline):
            break
        time.sleep(poll)


def fire_due(now=None):
    """Fires every start and stop that is due; returns [(action, camera slug)]."""
    now = now or timezone.now()
    fired = []
    due_starts = CameraSchedule.objects.filter(
        started_at__isnull=True, start_at__lte=now, stop_at__gt=now
    ).select_related("camera")
    for schedule in due_starts:
        if _fire_start(schedule, now):
            fired.append(("start", schedule.camera.slug))
    # Only a broadcast the schedule started is stopped: a missed window, a camera that
    # was already live, or a broadcast started by hand later is never ended by it.
    due_stops = CameraSchedule.objects.filter(
        started_at__isnull=False,
        broadcast__isnull=False,
        stopped_at__isnull=True,
        stop_at__lte=now,
    ).select_related("camera")
    for schedule in due_stops:
        if _fire_stop(schedule, now):
            fired.append(("stop", schedule.camera.slug))
    return fired


def _claim(schedule, field, now):
    """The conditional update: 1 for the one scheduler that fires, 0 for any other."""
    return CameraSchedule.objects.filter(
        pk=schedule.pk, updated_at=schedule.updated_at, **{f"{field}__isnull": True}
    ).update(**{field: now})


def _lock(camera):
    """The camera's row lock: no start or stop by hand between our look and our act."""
    Camera.objects.select_for_update().filter(pk=camera.pk).first()


def _fire_start(schedule, now):
    camera = schedule.camera
    with transaction.atomic():
        if not _claim(schedule, "started_at", now):
            return False
        _lock(camera)
        if live_broadcast_of(camera) is not None:
            # Started by hand before the tee time: not ours to adopt, nor to stop.
            CameraSchedule.objects.filter(pk=schedule.pk).update(already_live=True)
            logger.info(
                "schedule of %s/%s: already live at the start time; left alone",
                camera.event_id,
                camera.slug,
            )
            return False
        try:
            broadcast, _ = start_broadcast(
                camera, schedule.source or camera.source, actor_for(camera)
            )
        except (SourceConflict, SourceUnavailable, InvalidCameraUrl) as exc:
            # Fired all the same: the error is kept for the host page, not retried twice a second.
            CameraSchedule.objects.filter(pk=schedule.pk).update(last_error=str(exc)[:300])
            logger.warning(
                "schedule of %s/%s: start refused: %s", camera.event_id, camera.slug, exc
            )
            return False
        CameraSchedule.objects.filter(pk=schedule.pk).update(broadcast=broadcast)
    logger.info("schedule of %s/%s: started", camera.event_id, camera.slug)
    return True


def _fire_stop(schedule, now):
    camera = schedule.camera
    with transaction.atomic():
        if not _claim(schedule, "stopped_at", now):
            return False
        _lock(camera)
        current = live_broadcast_of(camera)
        if current is None or current.pk != schedule.broadcast_id:
            logger.info(
                "schedule of %s/%s: its broadcast already ended; the camera is left alone",
                camera.event_id,
                camera.slug,
            )
            return False
        stop_broadcast(camera, actor_for(camera))
    logger.info("schedule of %s/%s: stopped", camera.event_id, camera.slug)
    return True
