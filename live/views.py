import functools
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import (
    HttpResponseClientRedirect,
    HttpResponseStopPolling,
    trigger_client_event,
)

from live.api.errors import json_error
from live.api.views import viewer_path
from live.forms import JoinForm, StartForm, StopForm, ViewerLinkForm
from live.models import Event, ViewerLink
from live.models import Health
from live.services.audit import actor_of
from live.services.access import check_viewer_access
from live.services.lifecycle import (
    SourceConflict,
    live_broadcast,
    start_broadcast,
    stop_broadcast,
    uptime_seconds,
)
from live.services.media import PLAYLIST, MediaPath, sign_media_path
from live.services.health import health_of
from live.services.sources import (
    INGEST_SOURCES,
    InvalidCameraUrl,
    SourceUnavailable,
    ingest_for,
)
from live.services import rate_limits
from live.services.rate_limits import RateLimited
from live.services.viewer_links import links_of, mint_viewer_link, revoke_viewer_link
from live.services.viewers import join_viewer, viewer_count

# How long the staff preview's signed URL lives; it is re-signed on each render.
PREVIEW_URL_TTL = 4 * 3600

VIEWER_PROBLEMS = {
    # problem: (HTTP status, heading, explanation)
    "missing": (
        400,
        "This link is incomplete",
        "The viewer link has no token. Ask the organiser for the full link.",
    ),
    "malformed": (
        400,
        "This link is not valid",
        "The viewer link is damaged. Copy the whole link and try again.",
    ),
    "invalid": (403, "This link is not valid", "The viewer link is not valid for this event."),
    "expired": (410, "This link has expired", "Ask the organiser for a new viewer link."),
    "ended": (410, "This broadcast has ended", "Thanks for watching."),
    "revoked": (403, "This link has been revoked", "Ask the organiser for a new viewer link."),
}


def no_store(response):
    """Pages showing tokens or signed URLs must not be cached."""
    patch_cache_control(response, no_store=True, private=True)
    return response


def token_in_url(response):
    """The viewer page's URL carries its token: keep it out of caches and Referer.

    Not for the host page: with no-referrer, Chromium sends ``Origin: null`` on
    form posts, which Django's CSRF check rightly refuses. The viewer page is
    the one page that may be framed, by the sites in LIVE_VIEWER_FRAME_ANCESTORS.
    """
    response["Referrer-Policy"] = "no-referrer"
    if settings.LIVE_VIEWER_FRAME_ANCESTORS:
        response._csp_replace = {"frame-ancestors": settings.LIVE_VIEWER_FRAME_ANCESTORS}
        response.xframe_options_exempt = True
    return no_store(response)


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


@require_GET
def home(request):
    events = Event.objects.all() if request.user.is_authenticated else []
    return render(request, "live/home.html", {"events": events})


def _host_context(event, **extra):
    broadcast = live_broadcast(event.pk)
    preview_url = None
    if broadcast is not None:
        preview_url = sign_media_path(
            MediaPath(broadcast.stream_name, PLAYLIST), int(time.time()) + PREVIEW_URL_TTL
        )
    context = {
        "event": event,
        "preview_url": preview_url,
        "ingest": ingest_for(broadcast) if broadcast else None,
        "links": links_of(broadcast),
        "now": timezone.now(),
        "start_form": StartForm(),
        "stop_form": StopForm(),
        "link_form": ViewerLinkForm(),
        "poll_seconds": settings.LIVE_HOST_POLL_SECONDS,
        **_status_context(broadcast),
    }
    context.update(extra)
    return context


def _status_context(broadcast):
    return {
        "broadcast": broadcast,
        "health": health_of(broadcast),
        "uptime": _clock(uptime_seconds(broadcast)) if broadcast else None,
        "viewer_count": viewer_count(broadcast),
    }


def _clock(seconds):
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _render_console(request, event, status=200, **extra):
    """The console partial for HTMX, the whole page otherwise (JavaScript off)."""
    context = _host_context(event, **extra)
    template = "live/_host_console.html" if request.htmx else "live/host.html"
    response = render(request, template, context, status=status)
    if request.htmx:
        trigger_client_event(response, "live-changed")
    return no_store(response)


def _refuse_form(request, event, name, form, shown_while_live):
    """400 with the form's errors; at the top of the console when the form is not on it.

    The start form shows only while idle and the stop form only while live: a stale
    page (another tab, another staff member) can post either in the other state.
    """
    extra = {name: form}
    if (live_broadcast(event.pk) is not None) != shown_while_live:
        messages = [message for errors in form.errors.values() for message in errors]
        extra["error"] = messages[0] if messages else "The form was not filled in correctly."
    return _render_console(request, event, status=400, **extra)


@staff_required
@require_GET
def host(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    return no_store(render(request, "live/host.html", _host_context(event)))


@staff_required
@require_GET
def host_status(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    context = {"event": event, **_status_context(live_broadcast(event.pk))}
    return no_store(render(request, "live/_host_status.html", context))


@staff_required
@require_POST
def host_start(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = StartForm(request.POST)
    if not form.is_valid():
        return _refuse_form(request, event, "start_form", form, shown_while_live=False)
    try:
        start_broadcast(
            event,
            form.cleaned_data["source"],
            actor_of(request),
            camera_url=form.cleaned_data["camera_url"],
        )
    except InvalidCameraUrl as exc:
        form.add_error("camera_url", str(exc))
        return _render_console(request, event, status=400, start_form=form)
    except (SourceUnavailable, SourceConflict) as exc:
        return _render_console(request, event, status=409, error=str(exc))
    return _render_console(request, event, notice="The broadcast is live.")


@staff_required
@require_POST
def host_stop(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = StopForm(request.POST)
    if not form.is_valid():
        return _refuse_form(request, event, "stop_form", form, shown_while_live=True)
    stopped = stop_broadcast(event, actor_of(request))
    notice = "The broadcast has ended." if stopped else "The broadcast was not live."
    return _render_console(request, event, notice=notice)


@staff_required
@require_POST
def host_link(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = ViewerLinkForm(request.POST)
    if not form.is_valid():
        return _render_console(request, event, status=400, link_form=form)
    broadcast = live_broadcast(event.pk)
    if broadcast is None:
        return _render_console(
            request,
            event,
            status=409,
            error="The event is not live: start the broadcast before minting a viewer link.",
        )
    try:
        token, claims, _ = mint_viewer_link(broadcast, form.cleaned_data["ttl"], actor_of(request))
    except RateLimited as exc:
        response = _render_console(request, event, status=429, error=str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    link = request.build_absolute_uri(viewer_path(event.pk, token))
    return _render_console(
        request, event, viewer_link=link, viewer_link_expires=claims.expires_at, link_form=form
    )


@staff_required
@require_GET
def host_links(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    context = {
        "event": event,
        "links": links_of(live_broadcast(event.pk)),
        "now": timezone.now(),
    }
    return no_store(render(request, "live/_host_links.html", context))


@staff_required
@require_POST
def host_revoke_link(request, event_id, link_id):
    event = get_object_or_404(Event, pk=event_id)
    link = ViewerLink.objects.filter(pk=link_id, broadcast__event=event).first()
    if link is None:
        return _render_console(request, event, status=404, error="No such viewer link.")
    revoked = revoke_viewer_link(link, actor_of(request))
    notice = "The viewer link is revoked." if revoked else "The link was already revoked."
    return _render_console(request, event, notice=notice)


def _viewer_state(access):
    if access.problem:
        return access.problem
    if access.broadcast.source in INGEST_SOURCES and access.broadcast.health == Health.WAITING:
        return "waiting"
    return "live"


def _viewer_context(event_id, access):
    state = _viewer_state(access)
    return {
        "event_id": event_id,
        "access": access,
        "state": state,
        "problem": VIEWER_PROBLEMS.get(access.problem),
        # A playing viewer polls only to learn that the broadcast ended.
        "poll_seconds": (
            settings.LIVE_VIEWER_PLAYING_POLL_SECONDS
            if state == "live"
            else settings.LIVE_VIEWER_POLL_SECONDS
        ),
    }


def _viewer_access(event_id, raw_token):
    """Access for this token; 404 for an unknown event, checked only when nothing is live."""
    broadcast = live_broadcast(event_id)
    if broadcast is None:
        get_object_or_404(Event, pk=event_id)
    return check_viewer_access(event_id, raw_token, broadcast)


@require_GET
def viewer(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    raw_token = request.GET.get("token", "")
    access = check_viewer_access(event.pk, raw_token, live_broadcast(event.pk))
    context = _viewer_context(event.pk, access)
    context["event"] = event
    context["token"] = raw_token
    context["viewer_id"] = secrets.token_hex(12)
    status = context["problem"][0] if context["problem"] else 200
    return token_in_url(render(request, "live/viewer.html", context, status=status))


@require_GET
def viewer_state(request, event_id):
    """The polled partial. 204 while nothing changed; 286 stops polling at the end.

    On the hot path (a live broadcast, nothing changed) this is two indexed queries: the
    live broadcast, and the token's link (has it been revoked?).
    """
    raw_token = request.GET.get("token", "")
    access = _viewer_access(event_id, raw_token)
    context = _viewer_context(event_id, access)
    context["token"] = raw_token
    if request.GET.get("shown") == context["state"]:
        response = HttpResponse(status=204)
        if access.token is not None:
            # The player swaps in freshly signed media URLs (static/live/player.js).
            trigger_client_event(response, "teecam:hls-path", {"path": access.hls_path})
        return token_in_url(response)
    response = render(request, "live/_viewer_state.html", context)
    if context["problem"]:
        response.status_code = HttpResponseStopPolling.status_code
    return token_in_url(response)


@csrf_exempt  # authenticated by the viewer token in the body, not by a session
@require_POST
def viewer_join(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = JoinForm(request.POST)
    if not form.is_valid():
        return json_error(400, "validation_error", form.errors.get_json_data())
    try:
        rate_limits.hit("join", form.cleaned_data["token"])
    except RateLimited as exc:
        response = json_error(429, "throttled", str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    access = check_viewer_access(event.pk, form.cleaned_data["token"], live_broadcast(event.pk))
    if access.token is None:
        status = VIEWER_PROBLEMS[access.problem][0]
        return json_error(status, access.problem, VIEWER_PROBLEMS[access.problem][1])
    added = join_viewer(
        access.broadcast,
        form.cleaned_data["viewer"],
        request.headers.get("User-Agent", ""),
        link=access.link,
    )
    return no_store(JsonResponse({"joined": added}))
