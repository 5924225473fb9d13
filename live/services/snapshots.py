"""What every poll asks and seldom changes, kept per process for ``LIVE_STATE_CACHE_SECONDS``.

Why (cProfile, 1,000 polls in one process, an event of 4 cameras with 2 live, SQLite,
2026-12-07): Django building and compiling SQL was most of both hot paths. The viewer
poll spent 63 % of its time in ``cameras_of``'s two querysets (2.4 ms of 2.9 ms per
poll, against 0.5 ms for a bare view through the same test client); status ran six
queries (its key, the key's scope, the live broadcast, the link, the lease, the
recording): 1.0 of its 1.2 ms were those. What they read is the same for every viewer
of the event (which cameras exist and are live, where their media is served, which
links are revoked), so one snapshot per event answers them all for a second.

The price is staleness, bounded: another process's start, stop, revocation or health
change shows within ``LIVE_STATE_CACHE_SECONDS`` (1 s by default, as nginx's poll
micro-cache already allows); this process's own writes through the services drop the
snapshots at once (``forget_all``, on save and delete of the models read here, and
after the services' bulk updates). API keys are not kept: a revoked key stops on the
next request in every process (tests/hardening/test_key_revocation.py).
"""

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from live.models import (
    Broadcast,
    Camera,
    CameraSchedule,
    Event,
    PackagerLease,
    Recording,
    ViewerLink,
)
from live.services.recordings import is_recording
from live.services.states import last_broadcast

_ALL = []
_LOCK = threading.Lock()
_clock = time.monotonic  # tests move it on instead of waiting


class Snapshot:
    """``build(*key)`` memoised per process for ``LIVE_STATE_CACHE_SECONDS`` (0: off)."""

    def __init__(self, build, limit=2048):
        self.build, self.limit = build, limit
        self.entries = {}
        _ALL.append(self)

    def get(self, *key):
        seconds = settings.LIVE_STATE_CACHE_SECONDS
        if seconds <= 0:
            return self.build(*key)
        now = _clock()
        found = self.entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = self.build(*key)
        with _LOCK:
            if len(self.entries) >= self.limit:
                self.entries.clear()  # many events at once: start afresh, never grow
            self.entries[key] = (now + seconds, value)
        return value

    def forget(self):
        self.entries.clear()


def forget_all(**_):
    """Drop every snapshot of this process (after a write through the services)."""
    for snapshot in _ALL:
        snapshot.forget()


@dataclass
class EventState:
    """One event as its polls see it: cameras in display order, each with its live
    broadcast (lease loaded: where its media is served) or None; the fingerprints of
    its revoked links; and, asked lazily, a camera's last broadcast and whether a live
    broadcast is being recorded."""

    event_id: str
    cameras: tuple  # ((camera, live broadcast or None), ...)
    revoked: frozenset
    _last: dict = field(default_factory=dict)
    _recording: dict = field(default_factory=dict)

    def camera(self, slug):
        return next((camera for camera, _ in self.cameras if camera.slug == slug), None)

    def live(self, slug):
        return next((live for camera, live in self.cameras if camera.slug == slug), None)

    def last_of(self, camera):
        if camera.pk not in self._last:
            self._last[camera.pk] = last_broadcast(camera)
        return self._last[camera.pk]

    def is_recording(self, broadcast):
        if broadcast.pk not in self._recording:
            self._recording[broadcast.pk] = is_recording(broadcast)
        return self._recording[broadcast.pk]


def _build_event_state(event_id):
    cameras = list(Camera.objects.filter(event_id=event_id))
    live = {
        broadcast.camera_id: broadcast
        for broadcast in Broadcast.objects.filter(
            event_id=event_id, stopped_at__isnull=True
        ).select_related("lease")
    }
    pairs = []
    for camera in cameras:
        broadcast = live.get(camera.pk)
        if broadcast is not None:
            broadcast.camera = camera  # no extra query for broadcast.camera
        pairs.append((camera, broadcast))
    revoked = ViewerLink.objects.filter(event_id=event_id, revoked_at__isnull=False)
    return EventState(
        event_id, tuple(pairs), frozenset(revoked.values_list("fingerprint", flat=True))
    )


_EVENT_STATES = Snapshot(_build_event_state)


def event_state(event_id) -> EventState:
    """The event's cameras, live broadcasts and revoked links: a few queries a second
    per process, whatever the number of viewers (an event without cameras: no event)."""
    return _EVENT_STATES.get(event_id)


for _model in (Event, Camera, CameraSchedule, Broadcast, PackagerLease, Recording, ViewerLink):
    post_save.connect(forget_all, sender=_model, dispatch_uid=f"snapshots-save-{_model.__name__}")
    post_delete.connect(
        forget_all, sender=_model, dispatch_uid=f"snapshots-delete-{_model.__name__}"
    )
m2m_changed.connect(forget_all, dispatch_uid="snapshots-m2m")
