"""The host page: every camera of an event, its state, its controls and the event's links."""

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from live.forms import (
    CameraEditForm,
    CameraForm,
    MoveCameraForm,
    RotateKeyForm,
    StartForm,
    StopForm,
    ViewerLinkForm,
)
from live.http import actor_of, no_store, viewer_path
from live.models import Event, ViewerLink
from live.services.cameras import (
    InvalidCamera,
    UnknownCamera,
    cameras_of,
    create_camera,
    get_camera,
    move_camera,
    rotate_stream_key,
    update_camera,
)
from live.services.health import health_of
from live.services.lifecycle import SourceConflict, start_broadcast, stop_broadcast, uptime_seconds
from live.services.media import PLAYLIST, MediaPath, sign_media_path
from live.services.rate_limits import RateLimited
from live.services.sources import (
    InvalidCameraUrl,
    SourceUnavailable,
    facts_of,
    ingest_for,
)
from live.services.viewer_links import NotLive, links_of, mint_viewer_link, revoke_viewer_link
from live.services.viewers import viewer_count

# How long the staff preview's signed URL lives; it is re-signed on each render.
PREVIEW_URL_TTL = 4 * 3600


def staff_required(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.htmx:
                # A lapsed session reloads the page at the login form instead
                # of swapping the login page into a panel.
                page = request.htmx.current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(
                    f"{settings.LOGIN_URL}?{urlencode({'next': page})}"
                )
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("The host page is for staff only.")
        return view(request, *args, **kwargs)

    return wrapped


def _clock(seconds):
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _camera_status(camera, broadcast):
    return {
        "camera": camera,
        "broadcast": broadcast,
        "facts": facts_of(broadcast.source if broadcast else camera.source),
        "health": health_of(broadcast),
        "uptime": _clock(uptime_seconds(broadcast)) if broadcast else None,
        "viewer_count": viewer_count(broadcast),
    }


def _camera_card(camera, broadcast, forms):
    """One camera's card: its status, preview, ingest and the forms that act on it."""
    source = broadcast.source if broadcast else camera.source
    preview_url = None
    if broadcast is not None:
        preview_url = sign_media_path(
            MediaPath(broadcast.stream_name, PLAYLIST), int(time.time()) + PREVIEW_URL_TTL
        )
    mine = forms.get("camera") == camera.slug
    initial = {"camera": camera.slug, "source": camera.source, "camera_url": ""}
    return {
        **_camera_status(camera, broadcast),
        "preview_url": preview_url,
        "ingest": ingest_for(camera, source),
        "start_form": (
            forms["start_form"] if mine and "start_form" in forms else StartForm(initial=initial)
        ),
        "stop_form": (
            forms["stop_form"]
            if mine and "stop_form" in forms
            else StopForm(initial={"camera": camera.slug})
        ),
        "rotate_form": (
            forms["rotate_form"]
            if mine and "rotate_form" in forms
            else RotateKeyForm(initial={"camera": camera.slug})
        ),
        "edit_form": (
            forms["edit_form"]
            if mine and "edit_form" in forms
            else CameraEditForm(
                initial={
                    "camera": camera.slug,
                    "name": camera.name,
                    "source": camera.source,
                    "auto_start": camera.auto_start,
                }
            )
        ),
        "error": forms.get("camera_error") if mine else None,
    }


def _host_context(event, **extra):
    pairs = list(cameras_of(event.pk))
    cameras = [camera for camera, _ in pairs]
    context = {
        "event": event,
        "cards": [_camera_card(camera, broadcast, extra) for camera, broadcast in pairs],
        "statuses": [_camera_status(camera, broadcast) for camera, broadcast in pairs],
        "links": links_of(event.pk),
        "now": timezone.now(),
        "camera_form": CameraForm(),
        "link_form": ViewerLinkForm(cameras=cameras),
        "poll_seconds": settings.LIVE_HOST_POLL_SECONDS,
    }
    context.update(extra)
    return context


def _render_console(request, event, status=200, **extra):
    """The console partial for HTMX, the whole page otherwise (JavaScript off)."""
    context = _host_context(event, **extra)
    template = "live/_host_console.html" if request.htmx else "live/host.html"
    response = render(request, template, context, status=status)
    if request.htmx:
        trigger_client_event(response, "live-changed")
    return no_store(response)


def _camera_for(request, event, form, form_name):
    """The camera a valid form names, or a rendered refusal."""
    try:
        return get_camera(event.pk, form.cleaned_data["camera"]), None
    except UnknownCamera as exc:
        return None, _render_console(request, event, status=404, error=str(exc))


def _form_errors(form):
    messages = [message for errors in form.errors.values() for message in errors]
    return messages[0] if messages else "The form was not filled in correctly."


def _refuse(request, event, name, form):
    """400 with the form's errors on the camera's card (and at the top when it is elsewhere)."""
    camera = form.data.get("camera") or "main"
    return _render_console(
        request, event, status=400, camera=camera, camera_error=_form_errors(form), **{name: form}
    )


@staff_required
@require_GET
def host(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    return no_store(render(request, "live/host.html", _host_context(event)))


@staff_required
@require_GET
def host_status(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    statuses = [_camera_status(camera, broadcast) for camera, broadcast in cameras_of(event.pk)]
    context = {"event": event, "statuses": statuses}
    return no_store(render(request, "live/_host_status.html", context))


@staff_required
@require_POST
def host_start(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = StartForm(request.POST)
    if not form.is_valid():
        return _refuse(request, event, "start_form", form)
    camera, refusal = _camera_for(request, event, form, "start_form")
    if refusal:
        return refusal
    try:
        start_broadcast(
            camera,
            form.cleaned_data["source"],
            actor_of(request),
            camera_url=form.cleaned_data["camera_url"],
        )
    except InvalidCameraUrl as exc:
        form.add_error("camera_url", str(exc))
        return _refuse(request, event, "start_form", form)
    except (SourceUnavailable, SourceConflict) as exc:
        return _render_console(
            request, event, status=409, camera=camera.slug, camera_error=str(exc)
        )
    return _render_console(request, event, notice=f"{camera.name} is live.")


@staff_required
@require_POST
def host_stop(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = StopForm(request.POST)
    if not form.is_valid():
        return _refuse(request, event, "stop_form", form)
    camera, refusal = _camera_for(request, event, form, "stop_form")
    if refusal:
        return refusal
    stopped = stop_broadcast(camera, actor_of(request))
    notice = (
        f"{camera.name}: the broadcast has ended."
        if stopped
        else f"{camera.name}: the broadcast was not live."
    )
    return _render_console(request, event, notice=notice)


@staff_required
@require_POST
def host_rotate_key(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = RotateKeyForm(request.POST)
    if not form.is_valid():
        return _refuse(request, event, "rotate_form", form)
    camera, refusal = _camera_for(request, event, form, "rotate_form")
    if refusal:
        return refusal
    rotate_stream_key(camera, actor_of(request))
    return _render_console(
        request,
        event,
        notice=f"{camera.name}: new stream key. The old one is refused from now on; "
        "put the new one in the encoder.",
    )


@staff_required
@require_POST
def host_add_camera(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = CameraForm(request.POST)
    if form.is_valid():
        try:
            camera = create_camera(
                event,
                form.cleaned_data["slug"],
                form.cleaned_data["name"],
                form.cleaned_data["source"],
                actor=actor_of(request),
            )
        except InvalidCamera as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except SourceUnavailable as exc:
            form.add_error("source", str(exc))
        else:
            return _render_console(request, event, notice=f"Added the camera {camera.name}.")
    return _render_console(request, event, status=400, camera_form=form)


@staff_required
@require_POST
def host_edit_camera(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = CameraEditForm(request.POST)
    if not form.is_valid():
        return _refuse(request, event, "edit_form", form)
    camera, refusal = _camera_for(request, event, form, "edit_form")
    if refusal:
        return refusal
    data = form.cleaned_data
    try:
        update_camera(
            camera,
            name=data["name"],
            source=data["source"],
            # Left empty, the stored URL (and its password) stays.
            camera_url=data["camera_url"] or None,
            auto_start=data["auto_start"],
        )
    except InvalidCamera as exc:
        form.add_error("camera_url" if exc.field == "cameraUrl" else exc.field, str(exc))
        return _refuse(request, event, "edit_form", form)
    except SourceUnavailable as exc:
        form.add_error("source", str(exc))
        return _refuse(request, event, "edit_form", form)
    return _render_console(request, event, notice=f"Saved the camera {camera.name}.")


@staff_required
@require_POST
def host_move_camera(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = MoveCameraForm(request.POST)
    if not form.is_valid():
        return _render_console(request, event, status=400, error=_form_errors(form))
    camera, refusal = _camera_for(request, event, form, "move_form")
    if refusal:
        return refusal
    move_camera(camera, form.cleaned_data["step"])
    return _render_console(request, event)


@staff_required
@require_POST
def host_link(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    pairs = list(cameras_of(event.pk))
    form = ViewerLinkForm(request.POST, cameras=[camera for camera, _ in pairs])
    if not form.is_valid():
        return _render_console(request, event, status=400, link_form=form)
    slug = form.cleaned_data["scope"]
    camera = next((camera for camera, _ in pairs if camera.slug == slug), None)
    try:
        token, claims, _ = mint_viewer_link(
            [broadcast for _, broadcast in pairs],
            form.cleaned_data["ttl"],
            actor_of(request),
            camera=camera,
        )
    except NotLive as exc:
        return _render_console(request, event, status=409, link_form=form, link_error=str(exc))
    except RateLimited as exc:
        response = _render_console(request, event, status=429, error=str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    link = request.build_absolute_uri(viewer_path(event.pk, token, slug or None))
    return _render_console(
        request,
        event,
        viewer_link=link,
        viewer_link_expires=claims.expires_at,
        viewer_link_scope=camera.name if camera else "every camera",
        link_form=form,
    )


@staff_required
@require_GET
def host_links(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    context = {"event": event, "links": links_of(event.pk), "now": timezone.now()}
    return no_store(render(request, "live/_host_links.html", context))


@staff_required
@require_POST
def host_revoke_link(request, event_id, link_id):
    event = get_object_or_404(Event, pk=event_id)
    link = ViewerLink.objects.filter(pk=link_id, event=event).first()
    if link is None:
        return _render_console(request, event, status=404, error="No such viewer link.")
    revoked = revoke_viewer_link(link, actor_of(request))
    notice = "The viewer link is revoked." if revoked else "The link was already revoked."
    return _render_console(request, event, notice=notice)
