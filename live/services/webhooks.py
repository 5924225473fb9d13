"""Webhooks in the Standard Webhooks format (https://www.standardwebhooks.com).

Each message is an outbox row (``WebhookDelivery``) per endpoint that wants
it, written in the same transaction as the change it reports, exactly like
the audit log's ``AuditEntry``: a start that committed always has its
``live.start`` deliveries, and a rolled-back one never does. ``manage.py
deliverwebhooks`` (``live/workers/webhook_delivery.py``) POSTs them after the
commit, in order per endpoint, and retries until the receiver takes them.

The body is ``{"type", "timestamp", "data"}``; the headers ``webhook-id``
(``msg_…``, the same on every retry, for the receiver to drop duplicates),
``webhook-timestamp`` (unix seconds of the attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`` under the secret's
bytes: the base64 part after ``whsec_``).

Other features report through ``emit_webhook(type, event_id, data)`` inside
their own transaction (recordings: ``recording.ready``, ``clip.ready``).
"""

import base64
import hashlib
import hmac
import json
import secrets

from django.dispatch import receiver
from django.utils import timezone

from live.models import Event, Health, WebhookDelivery, WebhookEndpoint
from live.services.webhook_urls import validate_webhook_url
from live.signals import broadcast_started, broadcast_stopped

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32

EVENT_TYPES = {
    "live.start": "a camera went live",
    "live.stop": "a camera's broadcast ended",
    "camera.connected": "a live camera's picture arrives (waiting or stalled → receiving)",
    "camera.disconnected": "a live camera's picture stopped (receiving → stalled)",
    "link.revoked": "a viewer link was revoked",
    "recording.ready": "a broadcast's recording can be watched",
    "clip.ready": "a clip can be watched",
    "shot.ready": "a shot's clip can be watched (live/services/shots.py)",
}


class UnknownEventType(ValueError):
    pass


class InvalidEndpoint(ValueError):
    pass


def new_secret():
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_hint(secret):
    """What the admin shows of a secret: enough to tell two apart, never enough to sign."""
    return f"{secret[: len(SECRET_PREFIX) + 4]}…"


def secret_bytes(secret):
    return base64.b64decode(
        secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    )


def sign(secret, webhook_id, timestamp, body: bytes):
    """The ``webhook-signature`` header's value for one attempt."""
    signed = b"%s.%d.%s" % (webhook_id.encode(), int(timestamp), body)
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def body_of(delivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(delivery, secret, timestamp):
    body = body_of(delivery)
    return body, {
        "content-type": "application/json",
        "user-agent": "teecam-webhooks/1",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sign(secret, delivery.webhook_id, timestamp, body),
    }


def parse_types(types):
    """A list of known types from "a,b" or a list; UnknownEventType names any other."""
    if isinstance(types, str):
        types = types.split(",")
    wanted = list(dict.fromkeys(item.strip() for item in types or [] if item.strip()))
    unknown = [item for item in wanted if item not in EVENT_TYPES]
    if unknown:
        raise UnknownEventType(
            f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}."
        )
    return wanted


def create_endpoint(url, event_id=None, types=()):
    """A new enabled endpoint with a new secret; InvalidWebhookUrl, UnknownEventType or
    InvalidEndpoint (unknown event) otherwise."""
    url = validate_webhook_url(url)
    wanted = parse_types(types)
    if event_id is not None and not Event.objects.filter(pk=event_id).exists():
        raise InvalidEndpoint(f"unknown event {event_id!r}.")
    return WebhookEndpoint.objects.create(
        url=url, event_id=event_id, types=",".join(wanted), secret=new_secret()
    )


def emit_webhook(type, event_id, data):
    """Queue a ``type`` message about ``event_id`` for every endpoint that wants it.

    Call it inside the transaction that makes the change: the rows commit or roll
    back with it. ``data`` is JSON-serialisable (camelCase keys, like the API);
    ``eventId`` is added. Returns how many deliveries were queued.
    """
    if type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown webhook type {type!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(enabled=True)
        if endpoint.wants(type, event_id)
    ]
    if not endpoints:
        return 0
    now = timezone.now()
    payload = json.loads(
        json.dumps(
            {"type": type, "timestamp": now.isoformat(), "data": {"eventId": event_id, **data}},
            default=str,
        )
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            webhook_id=f"msg_{secrets.token_hex(12)}",
            type=type,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    return len(endpoints)


def _broadcast_data(broadcast, actor):
    return {
        "camera": broadcast.camera.slug,
        "broadcastId": broadcast.pk,
        "source": broadcast.source,
        "startedAt": broadcast.started_at.isoformat(),
        "actor": actor,
    }


@receiver(broadcast_started)
def _on_started(sender, broadcast, actor, **kwargs):
    emit_webhook("live.start", broadcast.event_id, _broadcast_data(broadcast, actor))


@receiver(broadcast_stopped)
def _on_stopped(sender, broadcast, actor, **kwargs):
    data = {**_broadcast_data(broadcast, actor), "stoppedAt": broadcast.stopped_at.isoformat()}
    emit_webhook("live.stop", broadcast.event_id, data)


def link_revoked(link, actor):
    """From ``revoke_viewer_link``, inside its transaction."""
    emit_webhook(
        "link.revoked",
        link.event_id,
        {
            "linkId": link.pk,
            "camera": link.camera.slug if link.camera_id else None,
            "actor": actor,
        },
    )


def health_changed(broadcast, health):
    """From ``write_health``, in the transaction that writes the new health.

    ``broadcast.health`` still holds the old value: receiving after waiting,
    stalled or nothing is a connection; stalled after receiving a disconnection.
    """
    before = broadcast.health or Health.WAITING
    if health == before:
        return
    data = {"camera": broadcast.camera.slug, "broadcastId": broadcast.pk, "health": health}
    if health == Health.RECEIVING:
        emit_webhook("camera.connected", broadcast.event_id, data)
    elif before == Health.RECEIVING and health == Health.STALLED:
        emit_webhook("camera.disconnected", broadcast.event_id, data)
