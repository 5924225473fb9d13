"""The host console: each camera card's context, the staff check, and rendering the
console (the HTMX partial, or the whole page without JavaScript)."""

import functools
import hashlib
import time
from dataclasses import replace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from live.forms import (
    CameraEditForm,
    CameraForm,
    RotateKeyForm,
    StartForm,
    StopForm,
    ViewerLinkForm,
)
from live.http import no_store
from live.services.cameras import (
    UnknownCamera,
    get_camera,
)
from live.services.clips import clip_marks
from live.services.health import health_of
from live.services.lifecycle import uptime_seconds
from live.services.media import PLAYLIST, MediaPath, sign_media_path
from live.services.media_hosts import media_base, media_url
from live.services.sources import (
    facts_of,
    ingest_for,
)
from live.services.viewer_links import links_of
from live.services.overview import overview_of
from live.views.publish import allow_whip, publish_panel
from live.views.room import console_params, mode_from, room_context

# What the encoder-setup fields are called on the page, and whether they hold the secret
# (masked, with Show and Copy).
INGEST_FIELDS = {
    "url": ("Server URL", False),
    "streamKey": ("Stream key", True),
    "publishUrl": ("Full publish URL", True),
    "passphrase": ("SRT passphrase", True),
    "whipUrl": ("WHIP URL", False),
    "bearerToken": ("Bearer token", True),
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


def clock(seconds):
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def camera_status(camera, broadcast, overview):
    """What the card's polled part shows: state (the one source of truth), health, numbers.

    ``overview``: the event's cameras read in bulk (live/services/overview.py), so a
    poll costs the same whatever the number of cameras.
    """
    last = None if broadcast else overview.last_of(camera)
    state = overview.state(camera, broadcast)
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
        "uptime": clock(uptime_seconds(broadcast)) if broadcast else None,
        # With several media hosts: which one serves it now (it moves when one dies).
        "media_host": media_base(broadcast),
        "viewer_count": overview.watching.get(broadcast.pk, 0) if broadcast else 0,
        # Unique viewers and peak of the live broadcast, else of the last one (kept after Stop).
        "audience": overview.audience(shown),
        "series": overview.series_of(shown),
        # A refused encoder, said in the status line with what to do.
        "refusal": overview.refusal_news(camera, broadcast, state),
    }


def camera_card(camera, broadcast, forms, overview, clip_mark=""):
    """One camera's card: its status, preview, ingest and the forms that act on it.
    ``clip_mark``: its clips' and recordings' mark (services/clips.py clip_marks)."""
    source = broadcast.source if broadcast else camera.source
    status = camera_status(camera, broadcast, overview)
    preview_url = None
    if broadcast is not None:
        preview_url = media_url(
            status["media_host"],
            sign_media_path(
                MediaPath(broadcast.stream_name, PLAYLIST), int(time.time()) + PREVIEW_URL_TTL
            ),
        )
    mine = forms.get("camera") == camera.slug

    def form(name, make):
        return forms[name] if mine and name in forms else make()

    return {
        **status,
        "clip_mark": clip_mark,
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
        "publish": publish_panel(camera, broadcast),
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


def links_context(event_id):
    """The event's links, and a signature of what the table shows (the poll swaps it only
    when that changes, so a keyboard user's focus in the table is not thrown away)."""
    links = list(links_of(event_id))
    now = timezone.now()
    rows = [(link.pk, bool(link.revoked_at), link.expires_at < now, link.watching_now,
             link.viewers_so_far) for link in links]  # fmt: skip
    signature = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    return {"links": links, "links_shown": signature, "now": now}


def host_context(event, params=None, **extra):
    """The console: every camera's card, or (control room) the tiles and the open card.

    ``params``: the page's query (view, camera, sort; ``mode_from``)."""
    overview = overview_of(event.pk)
    pairs = overview.pairs
    mode = mode_from(params or {}, len(pairs))
    if mode.room and extra.get("camera"):
        mode = replace(mode, open=extra["camera"])  # an action opens its camera's card
    marks = clip_marks(event.pk)
    shown = [pair for pair in pairs if not mode.room or pair[0].slug == mode.open]
    context = {
        "event": event,
        "mode": mode,
        "cards": [
            camera_card(camera, broadcast, extra, overview, clip_mark=marks.get(camera.pk, ""))
            for camera, broadcast in shown
        ],
        **(room_context(event, overview, mode) if mode.room else {}),
        **links_context(event.pk),
        "camera_form": CameraForm(),
        "link_form": ViewerLinkForm(cameras=[camera for camera, _ in pairs]),
        "poll_seconds": settings.LIVE_HOST_POLL_SECONDS,
    }
    context.update(extra)
    return context


def render_console(request, event, status=200, params=None, **extra):
    """The console partial for HTMX, the whole page otherwise (JavaScript off), in the
    view (cards or control room) of the page the action came from."""
    params = console_params(request) if params is None else params
    context = host_context(event, params=params, **extra)
    template = "live/_host_console.html" if request.htmx else "live/host.html"
    response = render(request, template, context, status=status)
    if request.htmx:
        trigger_client_event(response, "live-changed")
    return no_store(allow_whip(response))


def posted_camera_form(request, event, form_class, name):
    """The posted form acting on one camera, checked, and that camera.

    (form, camera, None), or (form, None, the rendered refusal): 400 with the form's
    errors, 404 for a camera the event does not have.
    """
    form = form_class(request.POST)
    if not form.is_valid():
        return form, None, refuse_form(request, event, name, form)
    try:
        return form, get_camera(event.pk, form.cleaned_data["camera"]), None
    except UnknownCamera as exc:
        return form, None, render_console(request, event, status=404, error=str(exc))


def form_errors(form):
    messages = [message for errors in form.errors.values() for message in errors]
    return messages[0] if messages else "The form was not filled in correctly."


def refuse_form(request, event, name, form):
    """400 with the form's errors on the camera's card; at the top when the camera field
    itself is wrong, since no card then matches it."""
    camera = form.data.get("camera") or "main"
    top = {"error": form_errors(form)} if "camera" in form.errors else {}
    return render_console(
        request,
        event,
        status=400,
        camera=camera,
        camera_error=form_errors(form),
        focus="error",
        **top,
        **{name: form},
    )
