from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from django.http import HttpResponseRedirect

from live.models import (
    ApiKey,
    AuditEntry,
    Broadcast,
    Camera,
    Event,
    Source,
    Viewer,
    ViewerLink,
    WorkerHeartbeat,
)
from live.http import actor_of
from live.admin_forms import ApiKeyForm, CameraAdminForm, EventAdminForm
from live.services.apikeys import create_api_key, revoke_api_key, rotate_api_key
from live.services.cameras import (
    InvalidCamera,
    create_camera,
    default_camera,
    rotate_stream_key,
)
from live.services.lifecycle import (
    SourceConflict,
    live_broadcast,
    live_broadcast_of,
    start_broadcast,
    stop_broadcast,
)
from live.services.sources import SourceUnavailable
from live.services.heartbeats import late_after_seconds
from live.services.viewer_links import revoke_viewer_link


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the services write: listed and opened, never added or edited here.

    Editing them by hand would skip what the services do with them (the audit
    line, telemetry, clearing viewers); the actions call those services instead.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CameraInline(admin.TabularInline):
    model = Camera
    extra = 0
    fields = ["slug", "name", "position", "source", "auto_start", "record"]
    readonly_fields = ["slug"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # through the Camera admin or the host page, which make the credentials


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    form = EventAdminForm
    list_display = ["id", "name", "live_state", "host_page"]
    search_fields = ["id", "name"]
    actions = ["start_mock_stream", "stop_stream"]
    inlines = [CameraInline]

    @admin.display(description="Main camera")
    def live_state(self, event):
        broadcast = live_broadcast(event.pk)
        return f"live ({broadcast.source})" if broadcast else "idle"

    @admin.display(description="Host page")
    def host_page(self, event):
        return format_html(
            '<a href="{}">Open host page</a>', reverse("live:host", args=[event.pk])
        )

    @admin.action(description="Start the main camera (mock source)")
    def start_mock_stream(self, request, queryset):
        for event in queryset:
            try:
                _, created = start_broadcast(
                    default_camera(event.pk), Source.MOCK, actor_of(request)
                )
            except (SourceConflict, SourceUnavailable) as exc:
                self.message_user(request, f"{event.pk}: {exc}", messages.ERROR)
                continue
            state = "started" if created else "was already live"
            self.message_user(request, f"{event.pk}: {state}.", messages.SUCCESS)

    @admin.action(description="Stop the main camera")
    def stop_stream(self, request, queryset):
        for event in queryset:
            stopped = stop_broadcast(default_camera(event.pk), actor_of(request))
            state = "stopped" if stopped else "was not live"
            self.message_user(request, f"{event.pk}: {state}.", messages.SUCCESS)


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraAdminForm
    list_display = [
        "slug", "name", "event", "position", "source", "auto_start", "ladder", "record",
        "auto_shots", "srt_port",
    ]  # fmt: skip
    list_filter = ["event", "source"]
    search_fields = ["slug", "name", "event__id"]
    readonly_fields = ["ingest_name", "stream_key_hint", "srt_port", "key_rotated_at"]
    actions = ["rotate_keys"]

    def get_fields(self, request, obj=None):
        editable = [
            "name", "position", "source", "auto_start", "record", "auto_shots",
            "auto_shots_threshold",
        ]  # fmt: skip
        if obj is None:
            return ["event", "slug", *editable, "camera_url"]
        # The adaptive ladder (renditions.py) is switched per camera once it exists.
        return [*editable, "ladder", *self.readonly_fields]

    @admin.display(description="Stream key")
    def stream_key_hint(self, camera):
        # Never in full here: the host page shows it to the camera operator.
        return f"{camera.stream_key[:4]}… (see the host page)"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            made = create_camera(
                obj.event,
                obj.slug,
                obj.name,
                obj.source,
                form.cleaned_data.get("camera_url", ""),
                actor=actor_of(request),
            )
        except InvalidCamera as exc:
            # Past the form's checks only by a race: the same id added at that instant.
            self.message_user(request, str(exc), messages.ERROR)
            return
        except SourceUnavailable as exc:
            # Every SRT port taken: the camera exists, without a port until one frees.
            self.message_user(request, str(exc), messages.ERROR)
            made = Camera.objects.get(event=obj.event, slug=obj.slug)
        Camera.objects.filter(pk=made.pk).update(
            position=obj.position,
            auto_start=obj.auto_start,
            record=obj.record,
            auto_shots=obj.auto_shots,
            auto_shots_threshold=obj.auto_shots_threshold,
        )
        obj.pk = made.pk

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:  # create_camera refused it: the message says why
            return HttpResponseRedirect(reverse("admin:live_camera_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def has_delete_permission(self, request, obj=None):
        # A live camera is stopped first (host page, or the broadcast action), so
        # its broadcast ends through the lifecycle, not by a cascade.
        if obj is not None and live_broadcast_of(obj) is not None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Rotate the stream key (the old one is refused at once)")
    def rotate_keys(self, request, queryset):
        for camera in queryset:
            rotate_stream_key(camera, actor_of(request))
        self.message_user(request, f"Rotated {queryset.count()} stream key(s).", messages.SUCCESS)


class ViewerInline(admin.TabularInline):
    model = Viewer
    extra = 0
    can_delete = False
    fields = readonly_fields = ["viewer_id", "link", "joined_at", "user_agent"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "event",
        "camera",
        "source",
        "started_at",
        "started_by",
        "stopped_at",
        "stopped_by",
    ]
    list_filter = ["source", "event"]
    exclude = ["camera_url"]  # credentials included: the packager's, not the admin's
    inlines = [ViewerInline]
    actions = ["stop_broadcasts"]

    def has_delete_permission(self, request, obj=None):
        # An ended broadcast may go; a live one is stopped first, by the action.
        if obj is not None and obj.is_live:
            return False
        return request.user.has_perm("live.delete_broadcast")

    def has_stop_permission(self, request):
        return request.user.has_perm("live.change_broadcast")

    @admin.action(description="Stop the selected broadcasts", permissions=["stop"])
    def stop_broadcasts(self, request, queryset):
        stopped = 0
        for broadcast in queryset.filter(stopped_at__isnull=True).select_related("camera"):
            stopped += stop_broadcast(broadcast.camera, actor_of(request)) is not None
        self.message_user(request, f"Stopped {stopped} broadcast(s).", messages.SUCCESS)


@admin.register(Viewer)
class ViewerAdmin(ReadOnlyAdmin):
    list_display = ["viewer_id", "broadcast", "link", "joined_at", "user_agent"]


@admin.register(ViewerLink)
class ViewerLinkAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "event", "camera", "minted_by", "created_at", "expires_at"]
    list_display += ["revoked_at", "revoked_by"]
    list_filter = ["event"]
    exclude = ["fingerprint"]
    actions = ["revoke_links"]

    def has_revoke_permission(self, request):
        return request.user.has_perm("live.change_viewerlink")

    @admin.action(description="Revoke the selected links", permissions=["revoke"])
    def revoke_links(self, request, queryset):
        actor = actor_of(request)
        revoked = sum(revoke_viewer_link(link, actor) for link in queryset)
        self.message_user(request, f"Revoked {revoked} viewer link(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "name",
        "prefix",
        "is_admin",
        "is_active",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["is_admin", "is_active"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at", "replaces"]
    fields = [
        "name",
        "is_admin",
        "is_active",
        "events",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
        "replaces",
    ]
    filter_horizontal = ["events"]
    actions = ["revoke_keys", "rotate_keys"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.revoked_at is not None:
            # Revocation is final: a revoked key cannot be switched back on.
            readonly.append("is_active")
        return readonly

    @admin.action(description="Revoke the selected keys")
    def revoke_keys(self, request, queryset):
        revoked = sum(revoke_api_key(key) for key in queryset)
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)

    @admin.action(description="Rotate the selected keys (new key, old one revoked)")
    def rotate_keys(self, request, queryset):
        # The new key goes into a message: MESSAGE_STORAGE keeps messages in the
        # server-side session, never in a cookie.
        for key in queryset.filter(is_active=True, revoked_at__isnull=True):
            new_key, raw = rotate_api_key(key)
            self.message_user(
                request,
                f"{key.name}: new key (copy it now, it will not be shown again): {raw}",
                messages.WARNING,
            )

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = create_api_key(obj.name, is_admin=obj.is_admin)
        obj.pk, obj.prefix, obj.key_hash = key.pk, key.prefix, key.key_hash
        # The row exists now: the form saves its events onto it (save_related).
        obj._state.adding, obj._state.db = False, key._state.db
        obj.is_active = key.is_active = form.cleaned_data.get("is_active", True)
        key.save(update_fields=["is_active"])
        self.message_user(
            request,
            f"API key created. Copy it now, it will not be shown again: {raw}",
            messages.WARNING,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "__str__", "created_at", "appended_at"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """Each worker's last sign of life: what `manage.py status` shows."""

    list_display = ["kind", "host", "pid", "started_at", "beat_at", "state"]

    @admin.display(description="state")
    def state(self, obj):
        age = (timezone.now() - obj.beat_at).total_seconds()
        state = "late" if age > late_after_seconds() else "ok"
        return f"{state}: last beat {age:.0f} s ago"


from live import webhook_admin  # noqa: E402,F401  (issue 13: webhook endpoints and deliveries)
