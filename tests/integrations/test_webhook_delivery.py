"""Webhooks end to end: the API changes state, `manage.py deliverwebhooks` (a real
process) POSTs to a real receiver, and the independent `standardwebhooks`
package verifies every message."""

import json
import time

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from live.models import WebhookAttempt, WebhookDelivery
from tests.processes import wait_for
from tests.processes import PATIENCE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(admin_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=admin_key)
    return client


def verified(endpoint, message):
    headers, body, _ = message
    return Webhook(endpoint.secret).verify(body, headers)


def test_live_start_and_stop_arrive_signed_and_in_order(
    api, event, endpoint, receiver, start_worker
):
    # Each arrives within the worker's next pass or two (5 s, stretched on a busy box:
    # receiver.wait_for); how fast on a quiet one is bench/webhooks.py's to say.
    start_worker()
    assert (
        api.post(f"/events/{event.pk}/live/start", {"source": "mock"}, format="json").status_code
        == 201
    )
    receiver.wait_for(1, 5)
    assert api.post(f"/events/{event.pk}/live/stop").status_code == 200
    messages = receiver.wait_for(2, 5)

    start, stop = (verified(endpoint, message) for message in messages)
    assert [start["type"], stop["type"]] == ["live.start", "live.stop"]
    assert start["data"]["eventId"] == event.pk and start["data"]["camera"] == "main"
    assert start["data"]["source"] == "mock" and start["data"]["actor"].startswith("key:ops#")
    assert (
        stop["data"]["broadcastId"] == start["data"]["broadcastId"] and stop["data"]["stoppedAt"]
    )
    headers = messages[0][0]
    assert headers["webhook-id"].startswith("msg_")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 10
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    delivered = WebhookDelivery.objects.filter(delivered_at__isnull=False)
    wait_for(lambda: delivered.count() == 2, 5, "both deliveries to be marked delivered")


def test_a_tampered_message_fails_verification(api, event, endpoint, receiver, start_worker):
    start_worker()
    api.post(f"/events/{event.pk}/live/start", {"source": "mock"}, format="json")
    headers, body, _ = receiver.wait_for(1, 5)[0]
    webhook = Webhook(endpoint.secret)
    webhook.verify(body, headers)
    tampered_body = body.replace(b'"mock"', b'"rtmp"')
    with pytest.raises(WebhookVerificationError):
        webhook.verify(tampered_body, headers)
    signature = headers["webhook-signature"]
    # A middle character: the last ones before "=" carry padding bits, where A and B
    # can decode to the same bytes.
    middle = len(signature) // 2
    flipped = (
        signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    )
    with pytest.raises(WebhookVerificationError):
        webhook.verify(body, {**headers, "webhook-signature": flipped})
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 8).verify(body, headers)  # another endpoint's secret


def test_a_receiver_down_for_a_minute_loses_nothing_and_keeps_the_order(
    api, event, endpoint, receiver, start_worker
):
    """The default schedule (5 s, 30 s, …) scaled down 50 times: down for "a minute"."""
    receiver.stop()
    start_worker(LIVE_WEBHOOK_RETRY_SECONDS="0.1,0.6,2.4")
    for _ in range(3):
        api.post(f"/events/{event.pk}/live/start", {"source": "mock"}, format="json")
        api.post(f"/events/{event.pk}/live/stop")
    deadline = time.monotonic() + 5 * PATIENCE
    while not WebhookAttempt.objects.filter(error__contains="Refused").count() >= 2:
        assert time.monotonic() < deadline, "the worker made no attempts"
        time.sleep(0.05)
    time.sleep(1.2)
    # Only the oldest message was tried: the others wait behind it.
    assert set(WebhookAttempt.objects.values_list("delivery__type", flat=True)) == {"live.start"}
    receiver.start()
    messages = receiver.wait_for(6, 10)
    time.sleep(0.5)  # nothing else arrives
    assert len(receiver.messages()) == 6
    ids = [headers["webhook-id"] for headers, _, _ in messages]
    assert len(set(ids)) == 6
    expected = list(WebhookDelivery.objects.order_by("id").values_list("webhook_id", flat=True))
    assert ids == expected
    types = [verified(endpoint, message)["type"] for message in messages]
    assert types == ["live.start", "live.stop"] * 3
    pending = WebhookDelivery.objects.filter(delivered_at__isnull=True)
    wait_for(lambda: not pending.exists(), 5, "every delivery to be marked delivered")
    first = WebhookDelivery.objects.order_by("id").first()
    assert first.attempts >= 3 and first.delivered_at is not None
    log = list(first.attempt_log.all())
    assert all(attempt.status_code is None for attempt in log[:-1])
    assert log[-1].status_code == 204
    assert (
        json.loads(messages[0][1])["data"]["broadcastId"] == first.payload["data"]["broadcastId"]
    )


def test_deliverwebhooks_once_sends_what_is_due_and_exits(event, endpoint, receiver, data_dir):
    from django.core.management import call_command

    from live.services.webhooks import emit_webhook

    for clip in range(3):
        emit_webhook("clip.ready", event.pk, {"clipId": clip})
    call_command("deliverwebhooks", "--once")
    clips = [json.loads(body)["data"]["clipId"] for _, body, _ in receiver.messages()]
    assert clips == [0, 1, 2]
    assert WebhookAttempt.objects.filter(status_code=204).count() == 3


def test_the_admin_lists_deliveries_and_their_attempts(client, event, endpoint, receiver):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from live.services.webhooks import emit_webhook

    client.force_login(get_user_model().objects.create_superuser("root", password="pw-r00t-x"))
    emit_webhook("clip.ready", event.pk, {"clipId": 1})
    call_command("deliverwebhooks", "--once")
    delivery = WebhookDelivery.objects.get()
    listing = client.get("/admin/live/webhookdelivery/").content.decode()
    assert delivery.webhook_id in listing and "retry_now" in listing
    page = client.get(f"/admin/live/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "204" in page and endpoint.secret not in page
