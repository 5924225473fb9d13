"""What ``/metrics`` reports from the database and the HLS output, read at scrape time.

These gauges come from the source of truth, not from counters kept in one
process, so every gunicorn worker answers a scrape with the same numbers.
The per-request counters live in ``live/metrics.py`` (the middleware).
"""

import re

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily

from live.models import Broadcast, Health, Source, Viewer, WebhookDelivery, WebhookEndpoint
from live.services.health import health_of
from live.services.hls_output import output_dir_for
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
    """Viewers per live broadcast, from the viewer registry.

    The registry holds one row per viewer who reported playing the broadcast
    (``POST …/live-view/join``); a stop clears it. So this is who started
    watching and has not seen the broadcast end, the same number the host page
    shows as "viewers".
    """
    rows = (
        Viewer.objects.filter(broadcast_id__in=live_ids)
        .values("broadcast_id")
        .annotate(count=Count("id"))
    )
    return {row["broadcast_id"]: row["count"] for row in rows}


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
        viewers = watching_counts([broadcast.pk for broadcast in live])
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
        yield watching
        yield health
        yield segments
        yield from webhook_metrics()


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
