"""``manage.py deliverwebhooks``: POSTs the webhook outbox, in order per endpoint.

Each pass takes, for every enabled endpoint, its oldest pending delivery; if
that one is due it is claimed (its ``next_attempt_at`` moved past the timeout,
with a conditional update, so two workers never send it at once and a worker
killed mid-attempt leaves it to be retried) and POSTed in a thread; later
deliveries for the same endpoint wait behind it, so a receiver sees events in
the order they happened. Only the main thread touches the database.

Anything but 2xx (a 3xx included: redirects are not followed) is retried
after ``LIVE_WEBHOOK_RETRY_SECONDS`` (the last step repeats), for
``LIVE_WEBHOOK_RETRY_HOURS`` after the message was made; then it is marked
failed and the next one goes. An endpoint whose attempts have all failed for
``LIVE_WEBHOOK_DISABLE_AFTER_HOURS`` is disabled, with the reason, until
someone enables it again in the admin. Every attempt is a ``WebhookAttempt``.
"""

import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Min
from django.utils import timezone

from live.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WorkerKind
from live.services.egress import AttemptBound
from live.services.heartbeats import Heartbeat
from live.services.webhook_urls import InvalidWebhookUrl, connection_for
from live.services.webhooks import signed_headers

logger = logging.getLogger("live.webhooks")

EXCERPT_CHARS = 500
READ_BYTES = 4096


@dataclass
class Outcome:
    status: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


def post(delivery, url, secret, timeout):
    """One signed POST; never raises. Runs in a worker thread: no database here.

    ``timeout`` bounds the whole attempt (connect, send, status line, headers and
    the excerpt read), not each socket read: a receiver dripping a byte every few
    seconds is cut off at the bound and the attempt fails, to be retried later.
    """
    started = time.monotonic()
    connection = bound = None
    try:
        connection, path = connection_for(url, timeout)
        body, headers = signed_headers(delivery, secret, time.time())
        with AttemptBound(connection, timeout) as bound:
            connection.connect()
            if bound.expired:
                raise TimeoutError("connecting took the whole attempt")
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read(READ_BYTES).decode("utf-8", "replace")
            status, error = response.status, ""
        if bound.expired:
            raise TimeoutError("cut off at the bound")
    except InvalidWebhookUrl as exc:
        status, text, error = None, "", f"refused: {exc}"
    except Exception as exc:  # a receiver's failure is data, not a crash
        status, text, error = None, "", f"{type(exc).__name__}: {exc}"
    finally:
        if connection is not None:
            connection.close()
    if bound is not None and bound.expired:
        status, text = None, ""
        error = (
            f"timed out: the attempt took longer than {timeout} s "
            "(LIVE_WEBHOOK_TIMEOUT_SECONDS bounds the whole attempt)"
        )
    duration = int((time.monotonic() - started) * 1000)
    # Nothing of ours is secret in a reply, but a receiver may echo what it got.
    excerpt = text.replace(secret, "***")[:EXCERPT_CHARS]
    return Outcome(status, duration, excerpt, error.replace(secret, "***")[:EXCERPT_CHARS])


def retry_delay(failed_attempts):
    steps = settings.LIVE_WEBHOOK_RETRY_SECONDS
    return timedelta(seconds=steps[min(failed_attempts, len(steps)) - 1])


def due_heads(now, busy_endpoints=()):
    """Each enabled endpoint's oldest pending delivery, where it is due now."""
    heads = (
        WebhookDelivery.objects.filter(
            delivered_at__isnull=True, failed_at__isnull=True, endpoint__enabled=True
        )
        .values("endpoint_id")
        .annotate(head=Min("id"))
        .values("head")
    )
    return list(
        WebhookDelivery.objects.filter(pk__in=heads, next_attempt_at__lte=now)
        .exclude(endpoint_id__in=list(busy_endpoints))
        .select_related("endpoint")
    )


def claim(delivery, now):
    """True if this worker now owns the attempt (no other worker will start it)."""
    hold = now + timedelta(seconds=settings.LIVE_WEBHOOK_TIMEOUT_SECONDS + 30)
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery.pk,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            delivered_at__isnull=True,
            failed_at__isnull=True,
        ).update(next_attempt_at=hold)
    )


def record(delivery, outcome, now=None):
    """Logs the attempt and moves the delivery and its endpoint on."""
    now = now or timezone.now()
    endpoint = delivery.endpoint
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=outcome.status,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        attempts = delivery.attempts + 1
        rows = WebhookDelivery.objects.filter(pk=delivery.pk)
        if outcome.ok:
            rows.update(attempts=F("attempts") + 1, delivered_at=now)
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
                failing_since=None
            )
            return
        give_up = now - delivery.created_at >= timedelta(hours=settings.LIVE_WEBHOOK_RETRY_HOURS)
        if give_up:
            rows.update(attempts=F("attempts") + 1, failed_at=now)
        else:
            rows.update(attempts=F("attempts") + 1, next_attempt_at=now + retry_delay(attempts))
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
        endpoint.refresh_from_db(fields=["failing_since", "enabled"])
        limit = timedelta(hours=settings.LIVE_WEBHOOK_DISABLE_AFTER_HOURS)
        if endpoint.enabled and now - endpoint.failing_since >= limit:
            last = f"HTTP {outcome.status}" if outcome.status else outcome.error
            reason = (
                f"Disabled at {now:%Y-%m-%d %H:%M} UTC: every attempt failed since "
                f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC (over "
                f"{settings.LIVE_WEBHOOK_DISABLE_AFTER_HOURS} h); last: {last}"
            )[:500]
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                enabled=False, disabled_reason=reason
            )
            logger.warning("webhook endpoint #%s disabled: %s", endpoint.pk, reason)


class WebhookWorker:
    def __init__(self, poll_seconds=0.5, threads=8):
        self.poll_seconds = poll_seconds
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook")
        self.in_flight = {}  # endpoint id -> (delivery, future)
        self.stopping = False

    def start_due(self):
        now = timezone.now()
        started = 0
        for delivery in due_heads(now, self.in_flight):
            if not claim(delivery, now):
                continue
            endpoint = delivery.endpoint
            future = self.pool.submit(
                post,
                delivery,
                endpoint.url,
                endpoint.secret,
                settings.LIVE_WEBHOOK_TIMEOUT_SECONDS,
            )
            self.in_flight[endpoint.pk] = (delivery, future)
            started += 1
        return started

    def finish_done(self, wait=False):
        finished = 0
        for endpoint_id, (delivery, future) in list(self.in_flight.items()):
            if not (wait or future.done()):
                continue
            outcome = future.result()
            del self.in_flight[endpoint_id]
            record(delivery, outcome)
            finished += 1
            logger.info(
                "%s %s → endpoint #%s: %s in %d ms (attempt %d)",
                delivery.webhook_id,
                delivery.type,
                endpoint_id,
                outcome.status or outcome.error,
                outcome.duration_ms,
                delivery.attempts + 1,
            )
        return finished

    def run_once(self):
        """Every delivery due now, in order, until none is; returns how many attempts."""
        total = 0
        while True:
            close_old_connections()
            started = self.start_due()
            total += self.finish_done(wait=True)
            if not started:
                return total

    def run(self, max_seconds=None):
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        logger.info("webhook worker starting (poll %.2f s)", self.poll_seconds)
        heartbeat = Heartbeat(WorkerKind.WEBHOOKS)
        while not self.stopping and (deadline is None or time.monotonic() < deadline):
            close_old_connections()
            heartbeat.beat()
            busy = self.finish_done() + self.start_due()
            if not busy:
                time.sleep(self.poll_seconds if not self.in_flight else 0.02)
        self.finish_done(wait=True)
        self.pool.shutdown(wait=True)

    def _stop(self, signum, frame):
        self.stopping = True
