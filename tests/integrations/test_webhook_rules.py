"""The outbox, the order, retries, giving up and disabling, without a network."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from live.models import Broadcast, Source, WebhookAttempt, WebhookDelivery
from live.services.paths import output_dir_for
from live.workers.ingest_health import write_health
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link, revoke_viewer_link
from live.workers.webhook_delivery import Outcome, claim, due_heads, record, retry_delay
from live.services.webhooks import (
    UnknownEventType,
    create_endpoint,
    emit_webhook,
    sign,
    signed_headers,
)

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hook"


def types_queued():
    return list(WebhookDelivery.objects.order_by("id").values_list("type", flat=True))


def test_the_signature_is_what_the_standard_webhooks_package_makes(event):
    endpoint = create_endpoint(URL)
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) >= 6 + 32
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=dt_timezone.utc)
    body = b'{"type":"live.start"}'
    theirs = Webhook(endpoint.secret).sign("msg_1", moment, body.decode())
    assert sign(endpoint.secret, "msg_1", moment.timestamp(), body) == theirs


def test_a_start_and_stop_queue_one_delivery_per_endpoint_that_wants_them(event, other_event):
    every = create_endpoint(URL)
    this_event = create_endpoint(URL, event_id=event.pk)
    other = create_endpoint(URL, event_id=other_event.pk)
    stops_only = create_endpoint(URL, types="live.stop")
    start_broadcast(event, Source.MOCK, "staff:marshal")
    stop_broadcast(event, "staff:marshal")
    queued = {
        endpoint.pk: list(endpoint.deliveries.values_list("type", flat=True))
        for endpoint in (every, this_event, other, stops_only)
    }
    assert queued == {
        every.pk: ["live.start", "live.stop"],
        this_event.pk: ["live.start", "live.stop"],
        other.pk: [],
        stops_only.pk: ["live.stop"],
    }


def test_a_rolled_back_change_queues_nothing(event):
    create_endpoint(URL)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            start_broadcast(event, Source.MOCK, "staff:marshal")
            raise RuntimeError("the request failed after the start")
    assert not Broadcast.objects.exists() and types_queued() == []


def test_disabled_endpoints_get_nothing_and_unknown_types_are_refused(event):
    endpoint = create_endpoint(URL)
    endpoint.enabled = False
    endpoint.save()
    assert emit_webhook("recording.ready", event.pk, {"recordingId": 1}) == 0
    with pytest.raises(UnknownEventType):
        emit_webhook("live.started", event.pk, {})


def test_recordings_can_emit_their_types(event):
    create_endpoint(URL, types="recording.ready,clip.ready")
    assert emit_webhook("clip.ready", event.pk, {"clipId": 7}) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["type"] == "clip.ready"
    assert delivery.payload["data"] == {"eventId": event.pk, "clipId": 7}


def test_revoking_a_link_queues_link_revoked_once(event):
    create_endpoint(URL, types="link.revoked")
    broadcast, _ = start_broadcast(event, Source.MOCK, "staff:marshal")
    _, _, link = mint_viewer_link(broadcast, 900, "staff:marshal")
    assert revoke_viewer_link(link, "staff:marshal") is True
    assert revoke_viewer_link(link, "staff:marshal") is False
    delivery = WebhookDelivery.objects.get()
    assert delivery.type == "link.revoked" and delivery.payload["data"]["linkId"] == link.pk


def test_camera_health_changes_queue_connected_and_disconnected(event, settings):
    settings.LIVE_SEGMENT_SECONDS = 1
    create_endpoint(URL, types="camera.connected,camera.disconnected")
    broadcast, _ = start_broadcast(event, Source.RTMP, "staff:marshal")
    now = timezone.now()
    write_health(Broadcast.objects.get(pk=broadcast.pk), now)  # no picture yet: waiting
    assert types_queued() == []
    folder = output_dir_for(broadcast)
    folder.mkdir(parents=True)
    (folder / "seg0.ts").write_bytes(b"\0" * 188)
    (folder / "index.m3u8").write_text("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1,\nseg0.ts\n")
    write_health(Broadcast.objects.get(pk=broadcast.pk), timezone.now())
    assert types_queued() == ["camera.connected"]
    write_health(Broadcast.objects.get(pk=broadcast.pk), timezone.now() + timedelta(seconds=10))
    assert types_queued() == ["camera.connected", "camera.disconnected"]
    data = WebhookDelivery.objects.last().payload["data"]
    assert data == {"eventId": event.pk, "camera": "main", "broadcastId": broadcast.pk,
                    "health": "stalled"}  # fmt: skip


def test_only_each_endpoints_oldest_pending_delivery_is_due(event):
    first, second = create_endpoint(URL), create_endpoint(URL)
    for index in range(3):
        emit_webhook("clip.ready", event.pk, {"clipId": index})
    now = timezone.now()
    heads = due_heads(now)
    assert sorted(d.payload["data"]["clipId"] for d in heads) == [0, 0]
    head = next(d for d in heads if d.endpoint_id == first.pk)
    assert claim(head, now) and not claim(head, now)  # a second worker cannot take it
    assert [d.endpoint_id for d in due_heads(now)] == [second.pk]  # the rest wait behind it
    record(head, Outcome(204, 3))
    assert {d.payload["data"]["clipId"] for d in due_heads(timezone.now())} == {0, 1}


def test_failures_back_off_on_the_schedule_then_give_up(event, settings):
    settings.LIVE_WEBHOOK_RETRY_SECONDS = [5.0, 30.0, 120.0]
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [5, 30, 120, 120, 120]
    create_endpoint(URL)
    emit_webhook("clip.ready", event.pk, {})
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    record(delivery, Outcome(500, 12, excerpt="oops"), now)
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.next_attempt_at == now + timedelta(seconds=5)
    assert delivery.outcome == "pending"
    later = delivery.created_at + timedelta(hours=settings.LIVE_WEBHOOK_RETRY_HOURS)
    record(delivery, Outcome(None, 10_000, error="TimeoutError: timed out"), later)
    delivery.refresh_from_db()
    assert delivery.outcome == "failed" and delivery.attempts == 2
    assert list(WebhookAttempt.objects.values_list("status_code", "error")) == [
        (500, ""),
        (None, "TimeoutError: timed out"),
    ]


def test_an_endpoint_failing_for_days_is_disabled_and_says_why(event, settings):
    settings.LIVE_WEBHOOK_DISABLE_AFTER_HOURS = 72
    endpoint = create_endpoint(URL)
    emit_webhook("clip.ready", event.pk, {})
    delivery = WebhookDelivery.objects.get()
    start = timezone.now()
    record(delivery, Outcome(503, 5), start)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since == start
    record(delivery, Outcome(503, 5), start + timedelta(hours=71))
    endpoint.refresh_from_db()
    assert endpoint.enabled
    record(delivery, Outcome(None, 5, error="ConnectionRefusedError"), start + timedelta(hours=72))
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "over 72 h" in endpoint.disabled_reason
    assert "ConnectionRefusedError" in endpoint.disabled_reason
    assert due_heads(start + timedelta(hours=73)) == []


def test_a_success_resets_the_failure_clock(event):
    endpoint = create_endpoint(URL)
    emit_webhook("clip.ready", event.pk, {})
    delivery = WebhookDelivery.objects.get()
    record(delivery, Outcome(500, 5))
    record(delivery, Outcome(200, 5))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_the_headers_carry_the_id_timestamp_and_a_verifiable_signature(event):
    endpoint = create_endpoint(URL)
    emit_webhook("clip.ready", event.pk, {"clipId": 1})
    delivery = WebhookDelivery.objects.get()
    body, headers = signed_headers(delivery, endpoint.secret, timezone.now().timestamp())
    assert Webhook(endpoint.secret).verify(body, headers)["data"]["clipId"] == 1
