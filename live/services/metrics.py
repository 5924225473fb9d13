"""What ``/metrics`` reports from the database and the HLS output, read at scrape time.

These gauges come from the source of truth, not from counters kept in one
process, so every gunicorn worker answers a scrape with the same numbers.
The per-request counters live in ``live/views/metrics.py`` (the middleware).
"""

import re

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily

from live.models import (
    Broadcast,
    BroadcastSample,
    Health,
    Recording,
    RecordingState,
    Source,
    Viewer,
    WebhookDelivery,
    WebhookEndpoint,
    WorkerHeartbeat,
)
from live.services import storage
from live.services.audience import watching_filter
from live.services.health import health_of
from live.services.paths import output_dir_for
from live.services.media import PLAYLIST
from live.services.sources import facts_of

HEALTH_VALUES = {Health.WAITING: 0, Health.RECEIVING: 1, Health.STALLED: 2}
MEDIA_SEQUENCE = re.compile(r"^#EXT-X-MEDIA-SEQUENCE:(\d+)", re.MULTILINE)


def segments_written(broadcast):
    """The newest listed segment's media sequence number plus one, or None.

    The packager and nginx-rtmp number segments from 0 for each broadcast, so
    this is how many segments the broadcast has written, read from the playlist
    alone (a few hundred bytes) rather than by listing the folder.
    """
    try:
        text = (output_dir_for(broadcast) / PLAYLIST).read_text(errors="replace")
    except OSError:
        return None
    match = MEDIA_SEQUENCE.search(text)
    listed = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    if match is None and not listed:
        return None
    return (int(match.group(1)) if match else 0) + listed


def watching_counts(live_ids):
    """Viewers watching each live broadcast now: pages seen within the watching window
    (heartbeats, live/services/audience.py), the number the host page shows."""
    rows = (
        Viewer.objects.filter(broadcast_id__in=live_ids)
        .filter(watching_filter())
        .values("broadcast_id")
        .annotate(count=Count("id"))
    )
    return {row["broadcast_id"]: row["count"] for row in rows}


def latest_samples(live_ids):
    """The newest chart sample (ingest bitrate and frame rate) of each live broadcast."""
    newest = {}
    rows = BroadcastSample.objects.filter(broadcast_id__in=live_ids).order_by(
        "broadcast_id", "-at"
    )
    for sample in rows.only("broadcast_id", "bitrate_kbps", "fps", "at"):
        newest.setdefault(sample.broadcast_id, sample)
    return newest


class DatabaseCollector:
    """A prometheus-client collector: registered in each scrape's own registry."""

    def collect(self):
        live = list(Broadcast.objects.filter(stopped_at__isnull=True).select_related("camera"))
        by_source = GaugeMetricFamily(
            "teecam_live_broadcasts", "Broadcasts live now, by source.", labels=["source"]
        )
        counts = {source: 0 for source in Source.values}
        for broadcast in live:
            counts[broadcast.source] = counts.get(broadcast.source, 0) + 1
        for source, count in counts.items():
            by_source.add_metric([source], count)
        yield by_source

        watching = GaugeMetricFamily(
            "teecam_watching_now",
            "Viewers watching a live broadcast now (the viewer registry), by camera.",
            labels=["event", "camera"],
        )
        health = GaugeMetricFamily(
            "teecam_packager_health",
            "A live camera's ingest health: 0 waiting, 1 receiving, 2 stalled.",
            labels=["event", "camera", "source"],
        )
        segments = GaugeMetricFamily(
            "teecam_segments_written",
            "Segments a live ingest broadcast has written (its newest media sequence + 1); "
            "it only grows while the broadcast lasts.",
            labels=["event", "camera"],
        )
        bitrate = GaugeMetricFamily(
            "teecam_ingest_bitrate_kbps",
            "A live camera's ingest bitrate, from its newest segment (kb/s).",
            labels=["event", "camera"],
        )
        frame_rate = GaugeMetricFamily(
            "teecam_ingest_fps",
            "A live camera's frame rate, from its newest segment.",
            labels=["event", "camera"],
        )
        viewers = watching_counts([broadcast.pk for broadcast in live])
        samples = latest_samples([broadcast.pk for broadcast in live])
        for broadcast in live:
            labels = [broadcast.event_id, broadcast.camera.slug]
            watching.add_metric(labels, viewers.get(broadcast.pk, 0))
            state = health_of(broadcast)["health"]
            if state in HEALTH_VALUES:
                health.add_metric(labels + [broadcast.source], HEALTH_VALUES[state])
            if not facts_of(broadcast.source).simulated:
                written = segments_written(broadcast)
                if written is not None:
                    segments.add_metric(labels, written)
            sample = samples.get(broadcast.pk)
            if sample is not None and sample.bitrate_kbps is not None:
                bitrate.add_metric(labels, sample.bitrate_kbps)
            if sample is not None and sample.fps is not None:
                frame_rate.add_metric(labels, sample.fps)
        yield bitrate
        yield frame_rate
        yield watching
        yield health
        yield segments
        yield from webhook_metrics()
        yield from storage_metrics()
        yield from heartbeat_metrics()


def webhook_metrics():
    deliveries = GaugeMetricFamily(
        "teecam_webhook_deliveries",
        "Webhook deliveries in the outbox, by outcome (delivered, failed, pending).",
        labels=["outcome"],
    )
    totals = WebhookDelivery.objects.aggregate(
        delivered=Count("id", filter=Q(delivered_at__isnull=False)),
        failed=Count("id", filter=Q(failed_at__isnull=False)),
        pending=Count("id", filter=Q(delivered_at__isnull=True, failed_at__isnull=True)),
    )
    for outcome, count in totals.items():
        deliveries.add_metric([outcome], count)
    yield deliveries
    endpoints = GaugeMetricFamily(
        "teecam_webhook_endpoints", "Webhook endpoints, by state.", labels=["state"]
    )
    states = WebhookEndpoint.objects.aggregate(
        on=Count("id", filter=Q(enabled=True)), off=Count("id", filter=Q(enabled=False))
    )
    endpoints.add_metric(["enabled"], states["on"])
    endpoints.add_metric(["disabled"], states["off"])
    yield endpoints


def storage_metrics():
    """Recordings waiting for object storage, and those whose uploads fail now."""
    if not storage.enabled():
        return
    waiting = GaugeMetricFamily(
        "teecam_recordings_not_stored",
        "Recordings (recording or ready) not yet wholly in object storage.",
    )
    failing = GaugeMetricFamily(
        "teecam_recording_uploads_failing",
        "Recordings whose uploads to object storage fail now (the host card says why).",
    )
    totals = Recording.objects.filter(
        state__in=(RecordingState.RECORDING, RecordingState.FINISHING, RecordingState.READY),
        stored_at__isnull=True,
    ).aggregate(
        waiting=Count("id"),
        failing=Count("id", filter=~Q(storage_problem="")),
    )
    waiting.add_metric([], totals["waiting"])
    failing.add_metric([], totals["failing"])
    yield waiting
    yield failing


def heartbeat_metrics():
    """Each worker's last heartbeat (a Unix time): alert when it falls behind ``time()``."""
    beats = GaugeMetricFamily(
        "teecam_worker_last_heartbeat_seconds",
        "When each worker (packager, whip, scheduler, webhooks) last wrote its heartbeat, "
        "by kind and host (Unix time).",
        labels=["kind", "host"],
    )
    for row in WorkerHeartbeat.objects.order_by("kind", "host"):
        beats.add_metric([row.kind, row.host], row.beat_at.timestamp())
    yield beats
