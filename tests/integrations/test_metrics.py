"""/metrics: off by default, a bearer token or an address list, and what it reports."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from live.models import Source
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewers import join_viewer
from live.services.webhooks import create_endpoint, emit_webhook

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"


def samples(text):
    """{(name, frozenset(labels)): value} of every sample in a scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped, name, **labels):
    return sum(
        number
        for (sample_name, sample_labels), number in scraped.items()
        if sample_name == name and set(labels.items()) <= sample_labels
    )


@pytest.fixture
def scrape(client, settings):
    settings.LIVE_METRICS_TOKEN = TOKEN

    def scrape():
        answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert answer.status_code == 200, answer.content
        assert answer["Content-Type"].startswith("text/plain")
        return samples(answer.content.decode())

    return scrape


def test_metrics_are_off_without_a_token_or_addresses(client, settings):
    settings.LIVE_METRICS_TOKEN, settings.LIVE_METRICS_ADDRESSES = "", []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_metrics_want_the_token(client, settings):
    settings.LIVE_METRICS_TOKEN = TOKEN
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_answer_listed_addresses_only(client, settings):
    settings.LIVE_METRICS_TOKEN, settings.LIVE_METRICS_ADDRESSES = "", ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403
    settings.LIVE_METRICS_ADDRESSES = ["10.0.0.0/8", "127.0.0.1"]
    assert client.get("/metrics").status_code == 200


def test_the_live_gauge_and_watching_now_rise_and_fall(scrape, event):
    before = scrape()
    assert value(before, "teecam_live_broadcasts") == 0
    assert ("teecam_live_broadcasts", frozenset({("source", "rtmp")})) in before
    broadcast, _ = start_broadcast(event, Source.MOCK, "staff:marshal")
    live = scrape()
    assert value(live, "teecam_live_broadcasts", source="mock") == 1
    assert value(live, "teecam_watching_now", event=event.pk, camera="main") == 0
    assert value(live, "teecam_packager_health", camera="main") == 1  # the mock is receiving
    join_viewer(broadcast, "viewer-1")
    join_viewer(broadcast, "viewer-2")
    assert value(scrape(), "teecam_watching_now", event=event.pk, camera="main") == 2
    stop_broadcast(event, "staff:marshal")
    after = scrape()
    assert value(after, "teecam_live_broadcasts") == 0 and value(after, "teecam_watching_now") == 0


def test_ingest_health_and_segments_written_come_from_the_output(scrape, event, settings):
    broadcast, _ = start_broadcast(event, Source.RTMP, "staff:marshal")
    assert value(scrape(), "teecam_packager_health", camera="main", source="rtmp") == 0
    from live.services.paths import output_dir_for

    folder = output_dir_for(broadcast)
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:41\n#EXTINF:1,\n41.ts\n#EXTINF:1,\n42.ts\n"
    )
    broadcast.health = "stalled"
    broadcast.save(update_fields=["health"])
    scraped = scrape()
    assert value(scraped, "teecam_segments_written", camera="main") == 43
    assert value(scraped, "teecam_packager_health", camera="main") == 2


def test_webhook_deliveries_by_outcome(scrape, event, settings):
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = True
    create_endpoint("http://127.0.0.1:9/x")
    emit_webhook("clip.ready", event.pk, {})
    scraped = scrape()
    assert value(scraped, "teecam_webhook_deliveries", outcome="pending") == 1
    assert value(scraped, "teecam_webhook_deliveries", outcome="delivered") == 0
    assert value(scraped, "teecam_webhook_endpoints", state="enabled") == 1


def test_requests_are_counted_by_route_not_by_path(scrape, client, event):
    route = "/events/<slug:event_id>/live/status"
    before = value(scrape(), "teecam_http_requests_total", route=route, status="401")
    for _ in range(3):
        client.get(f"/events/{event.pk}/live/status?token=secret-token")
    scraped = scrape()
    assert value(scraped, "teecam_http_requests_total", route=route, status="401") == before + 3
    assert value(scraped, "teecam_http_request_duration_seconds_count", route=route) >= 3
    assert not any("secret-token" in str(labels) for _, labels in scraped)


def test_ingest_bitrate_and_frame_rate_come_from_the_newest_sample(scrape, event):
    from django.utils import timezone

    from live.models import BroadcastSample

    broadcast, _ = start_broadcast(event, Source.RTMP, "test")
    now = timezone.now()
    BroadcastSample.objects.create(broadcast=broadcast, at=now, watching=0, bitrate_kbps=900,
                                   fps=25)  # fmt: skip
    BroadcastSample.objects.create(
        broadcast=broadcast, at=now + timezone.timedelta(seconds=10), watching=0,
        bitrate_kbps=2400, fps=30,
    )  # fmt: skip

    scraped = scrape()

    labels = {"event": event.pk, "camera": "main"}
    assert value(scraped, "teecam_ingest_bitrate_kbps", **labels) == 2400
    assert value(scraped, "teecam_ingest_fps", **labels) == 30
