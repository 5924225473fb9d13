"""The host page: every camera of an event, its state, its controls and the event's links."""

import functools
import hashlib
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
from live.services.audience import audience_of, series_of
from live.services.health import health_of
from live.services.states import last_broadcast, state_of
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

# What the encoder-setup fields are called on the page, and whether they hold the secret
# (masked, with Show and Copy).
INGEST_FIELDS = {
    "url": ("Server URL", False),
    "streamKey": ("Stream key", True),
    "publishUrl": ("Full publish URL", True),
    "passphrase": ("SRT passphrase", True),
    "whipUrl": ("WHIP URL", False),
    "cameraUrl": ("Camera (pulled)", False),
}

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


def _camera_status(camera, broadcast, last=None):
    """What the card's polled part shows: state (the one source of truth), health, numbers."""
    if broadcast is None and last is None:
        last = last_broadcast(camera)
    state = state_of(broadcast, last)
    shown = broadcast or last
    return {
        "camera": camera,
        "broadcast": broadcast,
        "last": last,
        "state": state,
        # What the page shows now; the poll re-renders the whole card when it changes.
        "shown": f"{camera.slug}:{state.code}:{shown.pk if shown else 0}",
        "facts": facts_of(broadcast.source if broadcast else camera.source),
        "health": health_of(broadcast),
        "uptime": _clock(uptime_seconds(broadcast)) if broadcast else None,
        "viewer_count": viewer_count(broadcast),
        # Unique viewers and peak of the live broadcast, else of the last one (kept after Stop).
        "audience": audience_of(shown),
        "series": series_of(shown),
    }


def _camera_card(camera, broadcast, forms, last=None):
    """One camera's card: its status, preview, ingest and the forms that act on it."""
    source = broadcast.source if broadcast else camera.source
    preview_url = None
    if broadcast is not None:
        preview_url = sign_media_path(
            MediaPath(broadcast.stream_name, PLAYLIST), int(time.time()) + PREVIEW_URL_TTL
        )
    mine = forms.get("camera") == camera.slug

    def form(name, make):
        return forms[name] if mine and name in forms else make()

    return {
        **_camera_status(camera, broadcast, last),
        "preview_url": preview_url,
        "ingest": [
            {
                "key": key,
                "label": INGEST_FIELDS[key][0],
                # An SRT URL carries the passphrase in it.
                "secret": INGEST_FIELDS[key][1] or "passphrase=" in value,
                "value": value,
            }
            for key, value in (ingest_for(camera, source) or {}).items()
        ],
        "start_form": form(
            "start_form",
            lambda: StartForm(initial={"camera": camera.slug, "source": camera.source}),
        ),
        "stop_form": form("stop_form", lambda: StopForm(initial={"camera": camera.slug})),
        "rotate_form": form("rotate_form", lambda: RotateKeyForm(initial={"camera": camera.slug})),
        "edit_form": form(
            "edit_form",
            lambda: CameraEditForm(
                initial={
                    "camera": camera.slug,
                    "name": camera.name,
                    "source": camera.source,
                    "auto_start": camera.auto_start,
                }
            ),
        ),
        "error": forms.get("camera_error") if mine else None,
        "focus": forms.get("focus") if mine else None,
    }


def _links_context(event_id):
    """The event's links, and a signature of what the table shows (the poll swaps it only
    when that changes, so a keyboard user's focus in the table is not thrown away)."""
    links = list(links_of(event_id))
    now = timezone.now()
    rows = [(link.pk, bool(link.revoked_at), link.expires_at < now, link.viewer_count)
            for link in links]  # fmt: skip
    signature = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    return {"links": links, "links_shown": signature, "now": now}


def _host_context(event, **extra):
    pairs = list(cameras_of(event.pk))
    cameras = [camera for camera, _ in pairs]
    context = {
        "event": event,
        "cards": [_camera_card(camera, broadcast, extra) for camera, broadcast in pairs],
        **_links_context(event.pk),
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
        request,
        event,
        status=400,
        camera=camera,
        camera_error=_form_errors(form),
        focus="error",
        **{name: form},
    )


@staff_required
@require_GET
def host(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    return no_store(render(request, "live/host.html", _host_context(event)))


@staff_required
@require_GET
def host_status(request, event_id):
    """The host page's one poll: per camera, its numbers, or the whole card when its state
    changed (and a line for screen readers); the links table. Out-of-band swaps only."""
    event = get_object_or_404(Event, pk=event_id)
    shown = set(request.GET.getlist("shown")[:100])
    pairs = list(cameras_of(event.pk))
    if {value.split(":", 1)[0] for value in shown} != {camera.slug for camera, _ in pairs}:
        # A camera was added, removed or renamed elsewhere: redraw the console.
        response = _render_console(request, event)
        response["HX-Retarget"] = "#host-console"
        response["HX-Reswap"] = "innerHTML"
        return response
    cards, announcements = [], []
    for camera, broadcast in pairs:
        status = _camera_status(camera, broadcast)
        if status["shown"] in shown:
            cards.append({"status_only": True, **status})
        else:
            cards.append({"status_only": False, **_camera_card(camera, broadcast, {})})
            announcements.append(f"{camera.name}: {status['state'].label}.")
    links = _links_context(event.pk)
    context = {
        "event": event,
        "cards": cards,
        "announcement": " ".join(announcements),
        "links_changed": links["links_shown"] != request.GET.get("shown_links"),
        **links,
    }
    return no_store(render(request, "live/_host_poll.html", context))


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
        broadcast, _ = start_broadcast(
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
    if state_of(broadcast).code == "waiting":
        notice = f"{camera.name} has started: waiting for the camera to send a picture."
    else:
        notice = f"{camera.name} is live."
    return _render_console(request, event, notice=notice, camera=camera.slug, focus="card")


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
    return _render_console(request, event, notice=notice, camera=camera.slug, focus="card")


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
        camera=camera.slug,
        focus="ingest",
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
            return _render_console(
                request,
                event,
                notice=f"Added the camera {camera.name}.",
                camera=camera.slug,
                focus="card",
            )
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
    return _render_console(
        request, event, notice=f"Saved the camera {camera.name}.", camera=camera.slug, focus="card"
    )


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
    return _render_console(request, event, camera=camera.slug, focus="card")


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
    context = {"event": event, **_links_context(event.pk)}
    return no_store(render(request, "live/_host_links.html", context))


@staff_required
@require_POST
def host_revoke_link(request, event_id, link_id):
    event = get_object_or_404(Event, pk=event_id)
    link = ViewerLink.objects.filter(pk=link_id, event=event).first()
    if link is None:
        return _render_console(request, event, status=404, error="No such viewer link.")
    if request.POST.get("confirm") != "yes":
        # Two steps, with or without JavaScript: the first asks, the second revokes.
        return _render_console(request, event, confirm_revoke=link.pk)
    revoked = revoke_viewer_link(link, actor_of(request))
    notice = "The viewer link is revoked." if revoked else "The link was already revoked."
    return _render_console(request, event, notice=notice)
