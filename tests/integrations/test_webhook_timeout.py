"""LIVE_WEBHOOK_TIMEOUT_SECONDS bounds a whole attempt: a real receiver that drips its
answer a byte at a time (each read well inside the timeout) fails the attempt, and
the delivery is retried later, against a real ``manage.py deliverwebhooks``."""

import pytest

from live.models import WebhookAttempt, WebhookDelivery
from live.services.lifecycle import start_broadcast
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dripping_receiver_fails_the_attempt_and_the_delivery_is_retried(
    endpoint, receiver, start_worker, event
):
    # 45 bytes at 0.4 s each: 18 s if only each read were bounded (1 s each).
    receiver.drip(1, every=0.4)
    start_worker(LIVE_WEBHOOK_TIMEOUT_SECONDS=1, LIVE_WEBHOOK_RETRY_SECONDS="0.2")
    start_broadcast(event, "mock", "staff:marshal")

    delivered = WebhookDelivery.objects.filter(delivered_at__isnull=False)
    wait_for(delivered.exists, 30, "the delivery to succeed on a later attempt")
    first, *later = WebhookAttempt.objects.order_by("id")
    assert first.status_code is None
    assert "timed out: the attempt took longer than 1 s" in first.error
    assert later[-1].status_code == 204
    assert delivered.get().attempts == len(later) + 1
    ids = {headers["webhook-id"] for headers, _, _ in receiver.messages()}
    assert len(receiver.messages()) >= 2 and len(ids) == 1  # the same message, retried
