"""The admin's webhook pages: endpoints (secret shown once), deliveries, attempts."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from live.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from live.services.webhook_urls import InvalidWebhookUrl, validate_webhook_url
from live.services.webhooks import (
    EVENT_TYPES,
    UnknownEventType,
    new_secret,
    parse_types,
    secret_hint,
)


class WebhookEndpointForm(forms.ModelForm):
    """Checks what ``create_endpoint`` checks, so a refused URL is a form error."""

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "event", "types", "enabled"]
        help_texts = {
            "url": "http or https, on a public address; no user:password@.",
            "event": "Empty: every event.",
            "types": "Comma-separated; empty: every type. Known: " + ", ".join(EVENT_TYPES),
        }

    def clean_url(self):
        try:
            return validate_webhook_url(self.cleaned_data.get("url", ""))
        except InvalidWebhookUrl as exc:
            raise forms.ValidationError(f"Refused: {exc}", code="invalid_webhook_url")

    def clean_types(self):
        try:
            return ",".join(parse_types(self.cleaned_data.get("types", "")))
        except UnknownEventType as exc:
            raise forms.ValidationError(str(exc), code="unknown_type")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["id", "url", "event", "types", "enabled", "disabled_reason", "created_at"]
    list_filter = ["enabled"]
    readonly_fields = ["secret_prefix", "disabled_reason", "failing_since", "created_at"]
    actions = ["rotate_secrets"]

    def get_fields(self, request, obj=None):
        fields = ["url", "event", "types", "enabled"]
        return fields if obj is None else fields + list(self.readonly_fields)

    @admin.display(description="Secret")
    def secret_prefix(self, endpoint):
        return secret_hint(endpoint.secret) if endpoint.secret else "-"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = new_secret()
            super().save_model(request, obj, form, change)
            # MESSAGE_STORAGE keeps messages in the server-side session, never in a cookie.
            self.message_user(
                request,
                f"Webhook endpoint created. Its signing secret (copy it now, it will not "
                f"be shown again): {obj.secret}",
                messages.WARNING,
            )
            return
        if obj.enabled and "enabled" in form.changed_data:
            # Enabled again by hand: the failures start counting afresh.
            obj.disabled_reason, obj.failing_since = "", None
        super().save_model(request, obj, form, change)

    @admin.action(description="Rotate the signing secret of the selected endpoints")
    def rotate_secrets(self, request, queryset):
        for endpoint in queryset:
            endpoint.secret = new_secret()
            endpoint.save(update_fields=["secret"])
            self.message_user(
                request,
                f"#{endpoint.pk} {endpoint.url}: new secret (copy it now, it will not be "
                f"shown again; the old one stops at once): {endpoint.secret}",
                messages.WARNING,
            )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ["at", "status_code", "duration_ms", "response_excerpt", "error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Written only by the outbox and the worker; read here, retried by an action."""

    list_display = ["webhook_id", "type", "endpoint", "outcome", "attempts", "created_at",
                    "next_attempt_at"]  # fmt: skip
    list_filter = ["type", "endpoint"]
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Attempt the selected pending deliveries now")
    def retry_now(self, request, queryset):
        count = queryset.filter(delivered_at__isnull=True, failed_at__isnull=True).update(
            next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{count} pending delivery(ies) due now.", messages.SUCCESS)
