"""Tee-time schedules: a camera's planned start and stop, fired by ``runscheduler``
(live/workers/scheduler.py).

Each schedule fires its start and its stop at most once, whatever the number of
schedulers: the firing is a conditional UPDATE (``started_at IS NULL``) in the
same transaction as ``start_broadcast``, so a second scheduler's update matches
no row (PostgreSQL re-checks the condition after the first one's row lock; SQLite
serialises writers), and a crash between the two leaves neither.
"""

from datetime import timedelta

from django.utils import timezone

from live.models import CameraSchedule, Source
from live.services import telemetry

MAX_AHEAD = timedelta(days=366)
MAX_LENGTH = timedelta(hours=24)


class InvalidSchedule(ValueError):
    """A schedule that cannot be kept; ``field`` names it (API name) for the form or API."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def actor_for(camera):
    """Who the audit log says started or stopped the camera."""
    return f"schedule:{camera.slug}"


def schedule_of(camera):
    return CameraSchedule.objects.filter(camera=camera).first()


def set_schedule(camera, start_at, stop_at, source="", actor="", now=None):
    """Plans the camera's start and stop (replacing any plan); raises InvalidSchedule."""
    now = now or timezone.now()
    if start_at is None or timezone.is_naive(start_at):
        raise InvalidSchedule("startAt", "Give the start as a date and time with a time zone.")
    if stop_at is None or timezone.is_naive(stop_at):
        raise InvalidSchedule("stopAt", "Give the stop as a date and time with a time zone.")
    if start_at <= now:
        raise InvalidSchedule("startAt", "The start is in the past; pick a time from now on.")
    if start_at > now + MAX_AHEAD:
        raise InvalidSchedule("startAt", "The start must be within a year from now.")
    if stop_at <= start_at:
        raise InvalidSchedule("stopAt", "The stop must come after the start.")
    if stop_at - start_at > MAX_LENGTH:
        raise InvalidSchedule("stopAt", "A scheduled broadcast lasts at most 24 hours.")
    if source:
        try:
            source = Source(source).value
        except ValueError:
            raise InvalidSchedule(
                "source", f"Unknown source; choose one of {', '.join(Source.values)}."
            )
    schedule, _ = CameraSchedule.objects.update_or_create(
        camera=camera,
        defaults={
            "start_at": start_at,
            "stop_at": stop_at,
            "source": source or "",
            "set_by": actor[:150],
            "started_at": None,
            "stopped_at": None,
            "last_error": "",
            "broadcast": None,
            "already_live": False,
        },
    )
    telemetry.emit(
        "live.schedule_set",
        eventId=camera.event_id,
        camera=camera.slug,
        startAt=start_at.isoformat(),
        stopAt=stop_at.isoformat(),
        actor=actor,
    )
    return schedule


def clear_schedule(camera, actor=""):
    deleted, _ = CameraSchedule.objects.filter(camera=camera).delete()
    if deleted:
        telemetry.emit(
            "live.schedule_cleared", eventId=camera.event_id, camera=camera.slug, actor=actor
        )
    return bool(deleted)


def next_start(camera, now=None):
    """When the camera is planned to start next (not yet fired, still ahead), or None.

    One query per camera object (kept on it), however often a page asks.
    """
    now = now or timezone.now()
    if not hasattr(camera, "_schedule_seen"):
        camera._schedule_seen = schedule_of(camera)
    schedule = camera._schedule_seen
    if schedule is None or schedule.started_at is not None or schedule.start_at <= now:
        return None
    return schedule.start_at


def countdown_key(camera, state, now=None):
    """What the viewer poll adds to its "nothing changed" signature while a camera waits
    for its scheduled start: the countdown is redrawn each minute, not answered 204."""
    if state not in ("idle", "ended"):
        return ""
    start = next_start(camera, now)
    if start is None:
        return ""
    return f".s{int(start.timestamp())}.{countdown(start, now)}"


def countdown(start_at, now=None):
    """ "in 4 min", "in 2 h 5 min", "in less than a minute": for the viewer's countdown."""
    seconds = int((start_at - (now or timezone.now())).total_seconds())
    if seconds < 60:
        return "in less than a minute"
    minutes = (seconds + 59) // 60
    if minutes < 60:
        return f"in {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if minutes else f"in {hours} h"
