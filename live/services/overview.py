"""Every camera of an event at once, in a fixed number of queries: what the host poll and
the control room show.

The host poll used to ask each camera for its last broadcast, its audience and its
chart: 17 queries with 4 cameras, 71 with 18 (measured with the test below). Here
each of those is one query for all the cameras together, so a poll costs 11 queries
with 4 cameras or 18 (tests/live/pages/test_control_room.py counts them).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from live.models import Broadcast, BroadcastSample, Recording, Viewer
from live.services.audience import SERIES_POINTS, Series, watching_cutoff
from live.services.cameras import cameras_of, last_refusal
from live.services.recordings import recording_problem_of
from live.services.states import state_of

# A refused publish stays news for this long (unless pictures arrive after it).
REFUSAL_NEWS = timedelta(minutes=10)


@dataclass
class Overview:
    """The event's cameras in display order with their live broadcasts, and, by id, what
    the cards and tiles show about them."""

    pairs: list
    last: dict = field(default_factory=dict)  # camera id → its latest broadcast
    watching: dict = field(default_factory=dict)  # live broadcast id → watching now
    unique: dict = field(default_factory=dict)  # broadcast id → unique viewers
    series: dict = field(default_factory=dict)  # broadcast id → Series
    recordings: dict = field(default_factory=dict)  # live broadcast id → Recording
    now: object = None

    def last_of(self, camera):
        return self.last.get(camera.pk)

    def audience(self, broadcast):
        """``audience_of`` from what was read in bulk."""
        if broadcast is None:
            return {"watchingNow": 0, "uniqueViewers": 0, "peakWatching": 0}
        watching = self.watching.get(broadcast.pk, 0)
        return {
            "watchingNow": watching,
            "uniqueViewers": self.unique.get(broadcast.pk, 0),
            "peakWatching": max(broadcast.peak_watching, watching),
        }

    def series_of(self, broadcast):
        return self.series.get(broadcast.pk, Series()) if broadcast else Series()

    def recording_problem(self, broadcast):
        if broadcast is None:
            return None
        return recording_problem_of(broadcast, self.recordings.get(broadcast.pk))

    def state(self, camera, broadcast):
        return state_of(broadcast, None if broadcast else self.last_of(camera), self.now)

    def refusal_news(self, camera, broadcast, state):
        """The camera's last refused publish while it still matters: recent, not followed
        by pictures, and not older than the broadcast running now; else None."""
        refusal = last_refusal(camera)
        if refusal is None or state.code == "live" or self.now - refusal.at > REFUSAL_NEWS:
            return None
        if broadcast is not None and refusal.at < broadcast.started_at:
            return None
        return refusal

    def trouble(self, camera, broadcast, state):
        """What is wrong with the camera, in words (empty: nothing): what makes a
        control-room tile stand out and sort first."""
        words = []
        if state.code == "waiting" and state.since is not None:
            waited = (self.now - state.since).total_seconds()
            if waited > settings.LIVE_WAITING_ALERT_SECONDS:
                words.append(f"no picture for {int(waited // 60) or 1} min")
        if state.code == "reconnecting":
            words.append(state.label.lower())
        if self.refusal_news(camera, broadcast, state) is not None:
            words.append("encoder refused")
        if broadcast is not None and camera.record and self.recording_problem(broadcast):
            words.append("recording stopped")
        return words


def overview_of(event_id, with_series=True, now=None):
    """Six queries (five without the charts) whatever the number of cameras."""
    now = now or timezone.now()
    pairs = list(cameras_of(event_id))
    overview = Overview(pairs, now=now)
    live_ids = [broadcast.pk for _, broadcast in pairs if broadcast is not None]
    idle = [camera.pk for camera, broadcast in pairs if broadcast is None]
    if idle:
        newest = Window(
            RowNumber(),
            partition_by=[F("camera_id")],
            order_by=[F("started_at").desc(), F("pk").desc()],
        )
        latest = Broadcast.objects.filter(camera_id__in=idle).annotate(rank=newest).filter(rank=1)
        overview.last = {broadcast.camera_id: broadcast for broadcast in latest}
    shown = live_ids + [broadcast.pk for broadcast in overview.last.values()]
    if live_ids:
        rows = (
            Viewer.objects.filter(
                broadcast_id__in=live_ids, last_seen_at__gte=watching_cutoff(now)
            )
            .values("broadcast_id")
            .annotate(n=Count("pk"))
        )
        overview.watching = {row["broadcast_id"]: row["n"] for row in rows}
        overview.recordings = {
            recording.broadcast_id: recording
            for recording in Recording.objects.filter(broadcast_id__in=live_ids)
        }
    if shown:
        rows = (
            Viewer.objects.filter(broadcast_id__in=shown)
            .values("broadcast_id")
            .annotate(n=Count("pk"))
        )
        overview.unique = {row["broadcast_id"]: row["n"] for row in rows}
    if shown and with_series:
        overview.series = _series(shown)
    return overview


def _series(broadcast_ids, points=SERIES_POINTS):
    """The newest ``points`` samples of each broadcast, oldest first: one query."""
    newest = Window(RowNumber(), partition_by=[F("broadcast_id")], order_by=F("at").desc())
    rows = (
        BroadcastSample.objects.filter(broadcast_id__in=broadcast_ids)
        .annotate(rank=newest)
        .filter(rank__lte=points)
        .order_by("broadcast_id", "at")
        .values_list("broadcast_id", "at", "watching", "bitrate_kbps", "fps")
    )
    series = {}
    for broadcast_id, at, watching, bitrate, fps in rows:
        one = series.setdefault(broadcast_id, Series())
        one.at.append(at)
        one.watching.append(watching)
        one.bitrate_kbps.append(bitrate)
        one.fps.append(fps)
    return series
