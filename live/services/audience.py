"""The audience of a broadcast: watching now, unique viewers, peak, and chart series.

A viewer page sends a heartbeat while its video plays and the page is visible
(every LIVE_VIEWER_HEARTBEAT_SECONDS, static/live/heartbeat.js). "Watching now"
is the number of the live broadcast's viewers heard from within
LIVE_WATCHING_WINDOW_SECONDS, so a page that closes, crashes or loses its
network drops out after the window even if it never says goodbye; one that
does say goodbye (``pagehide``) drops out at once. Unique viewers (the
broadcast's ``Viewer`` rows) and the peak stay after the stop.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from live.models import Broadcast, BroadcastSample, Viewer

# The chart window: an hour of samples at the default LIVE_SAMPLE_SECONDS.
SERIES_POINTS = 360


def watching_cutoff(now=None):
    """Viewers last seen before this are no longer watching."""
    now = now or timezone.now()
    return now - timedelta(seconds=settings.LIVE_WATCHING_WINDOW_SECONDS)


def watching_filter(prefix="", now=None):
    """A Q for viewers watching now (``prefix``: the path to Viewer, e.g. ``"viewers__"``)."""
    return Q(
        **{
            f"{prefix}last_seen_at__gte": watching_cutoff(now),
            f"{prefix}broadcast__stopped_at__isnull": True,
        }
    )


def watching_now(broadcast, now=None):
    """How many viewers watch the broadcast now: 0 when it is not live (or None)."""
    if broadcast is None or not broadcast.is_live:
        return 0
    return Viewer.objects.filter(
        broadcast=broadcast, last_seen_at__gte=watching_cutoff(now)
    ).count()


def unique_viewers(broadcast):
    """Page views that played the broadcast, kept after the stop."""
    return Viewer.objects.filter(broadcast=broadcast).count() if broadcast else 0


def raise_peak(broadcast, now=None):
    """Records the watching count as the broadcast's peak if it is higher; returns the count.

    A conditional UPDATE, so concurrent heartbeats can only raise it.
    """
    count = watching_now(broadcast, now)
    if count:
        Broadcast.objects.filter(pk=broadcast.pk, peak_watching__lt=count).update(
            peak_watching=count
        )
    return count


def audience_of(broadcast, now=None):
    """``{watchingNow, uniqueViewers, peakWatching}``; zeros for None (never broadcast)."""
    if broadcast is None:
        return {"watchingNow": 0, "uniqueViewers": 0, "peakWatching": 0}
    watching = watching_now(broadcast, now)
    peak = (
        Broadcast.objects.filter(pk=broadcast.pk).values_list("peak_watching", flat=True).first()
    )
    return {
        "watchingNow": watching,
        "uniqueViewers": unique_viewers(broadcast),
        # A peak lower than now can only be a heartbeat racing this read.
        "peakWatching": max(peak or 0, watching),
    }


def watching_by_link(event_id, now=None):
    """{link id: viewers watching now through it} for the event's links, one query."""
    rows = (
        Viewer.objects.filter(watching_filter(now=now), link__event_id=event_id)
        .values("link_id")
        .annotate(watching=Count("pk"))
    )
    return {row["link_id"]: row["watching"] for row in rows}


@dataclass
class Series:
    """A broadcast's samples as parallel lists, oldest first; None where not measured."""

    at: list = field(default_factory=list)
    watching: list = field(default_factory=list)
    bitrate_kbps: list = field(default_factory=list)
    fps: list = field(default_factory=list)

    def __len__(self):
        return len(self.at)


def series_of(broadcast, points=SERIES_POINTS):
    """The newest ``points`` samples of the broadcast, for charts (``{% sparkline %}``)."""
    series = Series()
    if broadcast is None:
        return series
    rows = (
        BroadcastSample.objects.filter(broadcast=broadcast)
        .order_by("-at")
        .values_list("at", "watching", "bitrate_kbps", "fps")[:points]
    )
    for at, watching, bitrate, fps in reversed(list(rows)):
        series.at.append(at)
        series.watching.append(watching)
        series.bitrate_kbps.append(bitrate)
        series.fps.append(fps)
    return series
