"""Webhook endpoints, their outbox of deliveries, and the log of every attempt.

Kept beside ``live/models.py`` (which imports them) so the integrations stay in
modules of their own; their app is ``live`` all the same.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class WebhookEndpoint(models.Model):
    """Where events are POSTed, signed with the endpoint's own secret."""

    url = models.CharField(max_length=2000)
    # Null: every event.
    event = models.ForeignKey(
        "live.Event",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
    )
    # Comma-separated event types; empty: every type.
    types = models.CharField(max_length=500, blank=True)
    # ``whsec_<base64>``: shown once, when the endpoint is made.
    secret = models.CharField(max_length=100, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    # The first failed attempt since the last success: disabling counts from here.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.url}"

    @property
    def type_list(self):
        return [item.strip() for item in self.types.split(",") if item.strip()]

    def wants(self, event_type, event_id):
        if self.event_id is not None and self.event_id != event_id:
            return False
        wanted = self.type_list
        return not wanted or event_type in wanted


class WebhookDelivery(models.Model):
    """One message for one endpoint: an outbox row, written with the change it reports."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_id = models.CharField(max_length=40, unique=True)  # msg_…, the same on retries
    type = models.CharField(max_length=40)
    payload = models.JSONField()  # {"type", "timestamp", "data"}: the body, as sent
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The worker's question, every pass: each endpoint's oldest pending row.
            models.Index(
                fields=["endpoint", "id"],
                condition=Q(delivered_at__isnull=True, failed_at__isnull=True),
                name="webhook_delivery_pending",
            )
        ]

    def __str__(self):
        return f"{self.webhook_id} {self.type} → {self.endpoint_id}"

    @property
    def outcome(self):
        if self.delivered_at:
            return "delivered"
        return "failed" if self.failed_at else "pending"


class WebhookAttempt(models.Model):
    """One POST of a delivery, as it went."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return (
            f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
        )
