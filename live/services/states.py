"""A camera's state: the one source of truth the host page, the viewer page, status and
the API all show.

``idle``: never broadcast (or nothing since the camera was set up); ``waiting``: live,
but the camera has not sent a picture yet; ``live``: pictures arriving (the mock always);
``reconnecting``: the camera stopped sending and the reconnect window is still open;
``ended``: the last broadcast is over, with why.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from live.models import Broadcast, Health
from live.services.health import is_reconnecting
from live.services.sources import facts_of

CAMERA_LOST = "packager:camera-lost"


@dataclass(frozen=True)
class CameraState:
    code: str  # idle, waiting, live, reconnecting, ended
    label: str  # what a person reads: "Live", "Waiting for the camera", …
    reason: str = ""  # for ended: why, in words
    since: datetime | None = None

    @property
    def on_air(self):
        """A broadcast is running (whether or not pictures arrive)."""
        return self.code in ("waiting", "live", "reconnecting")


def ended_reason(broadcast):
    """Why a broadcast ended, in words people read."""
    actor = broadcast.stopped_by or ""
    if actor == CAMERA_LOST:
        seconds = settings.LIVE_RECONNECT_WINDOW_SECONDS
        return f"The camera stopped sending and did not come back within {seconds} s."
    if actor.startswith("schedule"):
        return "Stopped on schedule."
    return f"Stopped by {actor_label(actor)}."


def actor_label(actor):
    """``staff:marshal`` → "marshal (staff)", ``key:ops#ab12`` → "API key “ops”", …"""
    kind, _, who = (actor or "").partition(":")
    if kind == "staff":
        return f"{who} (staff)"
    if kind == "key":
        name = who.split("#", 1)[0]
        return f"API key “{name}”"
    if kind == "camera":
        return "the camera connecting"
    if kind == "packager":
        return "teecam (camera lost)"
    if kind == "command":
        return "a server command"
    if kind == "schedule":
        return "the schedule"
    return actor or "unknown"


def state_of(broadcast, last=None, now=None):
    """The state of a camera whose live broadcast is ``broadcast`` (None when idle);
    ``last``: its most recent broadcast, for the ended state (looked up when not given)."""
    if broadcast is not None and broadcast.stopped_at is None:
        facts = facts_of(broadcast.source)
        if facts.simulated or not facts.ingest:
            return CameraState("live", "Live", since=broadcast.started_at)
        if broadcast.health in ("", Health.WAITING):
            return CameraState("waiting", "Waiting for the camera", since=broadcast.started_at)
        if broadcast.health == Health.STALLED:
            if is_reconnecting(broadcast, now) or settings.LIVE_RECONNECT_WINDOW_SECONDS == 0:
                return CameraState("reconnecting", "Reconnecting", since=broadcast.stalled_since)
            return CameraState("reconnecting", "Camera lost", since=broadcast.stalled_since)
        return CameraState("live", "Live", since=broadcast.started_at)
    if last is None or last.stopped_at is None:
        return CameraState("idle", "Idle")
    return CameraState("ended", "Ended", reason=ended_reason(last), since=last.stopped_at)


def last_broadcast(camera):
    return Broadcast.objects.filter(camera=camera).order_by("-started_at", "-pk").first()
