"""The viewer page: one camera of the event at a time, a switcher for event links, one poll."""

import secrets

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from live.forms import JoinForm
from live.http import json_error, no_store, token_in_url
from live.models import Event
from live.services import rate_limits
from live.services.access import check_viewer_access, read_token
from live.services.rate_limits import RateLimited
from live.services.schedules import countdown_key
from live.services.recording_access import dvr_fields
from live.services.snapshots import event_state
from live.services.states import state_of
from live.services.viewers import heartbeat, join_viewer, leave
from live.views.shots import shots_view

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
    "wrong_camera": (
        403,
        "This link is for another camera",
        "Open the link exactly as it was sent to you.",
    ),
    "unknown_camera": (404, "No such camera", "This event has no camera by that name."),
}


def _choose(pairs, token_camera_id, requested):
    """(camera, broadcast, problem): the camera asked for, the link's own, or the first live."""
    if requested:
        chosen = next((pair for pair in pairs if pair[0].slug == requested), None)
        if chosen is None:
            return pairs[0][0], pairs[0][1], "unknown_camera"
        return chosen[0], chosen[1], None
    if token_camera_id is not None:
        chosen = next((pair for pair in pairs if pair[0].pk == token_camera_id), None)
        if chosen is not None:
            return chosen[0], chosen[1], None
    chosen = next((pair for pair in pairs if pair[1] is not None), pairs[0])
    return chosen[0], chosen[1], None


def viewer_context(event_id, raw_token, requested, viewer_id):
    """Everything the page and its poll show, from the event's snapshot (snapshots.py):
    no query on the poll's hot path, whatever the number of cameras or links."""
    snapshot = event_state(event_id)
    pairs = snapshot.cameras
    if not pairs:
        raise Http404(f"No event with id {event_id!r}.")
    # Read once: the camera a camera link is for (None otherwise) decides which camera.
    read = read_token(event_id, raw_token)
    token_camera_id = read[0].camera_id if read[0] else None
    camera, broadcast, problem = _choose(pairs, token_camera_id, requested)
    access = check_viewer_access(
        event_id,
        raw_token,
        broadcast,
        camera_id=camera.pk,
        viewer_id=viewer_id,
        revoked=snapshot.revoked,
        read=read,
    )
    problem = problem or access.problem
    camera_state = None
    if problem is None:
        # The camera's state, the same as the host page and the API show (live/states.py).
        camera_state = state_of(broadcast, None if broadcast else snapshot.last_of(camera))
    state = problem or camera_state.code
    switcher = []
    if problem is None and token_camera_id is None and len(pairs) > 1:
        switcher = [
            {
                "camera": other,
                "broadcast": other_broadcast,  # for its thumbnail ({% thumbnail_url %})
                "live": other_broadcast is not None,
                "current": other == camera,
            }
            for other, other_broadcast in pairs
        ]
    return {
        "event_id": event_id,
        "access": access,
        "camera": camera,
        "camera_state": camera_state,
        # The rewind playlist of a recorded live broadcast; asked only when the player is drawn.
        "dvr_path": lambda: dvr_fields(access).get("dvrPath"),
        "state": state,
        "switcher": switcher,
        # What the poll compares to learn that nothing changed (a 204): the state,
        # and with several cameras which one is shown and which are live.
        "shown": (
            f"{state}.{camera.slug}." + "".join("1" if other[1] else "0" for other in pairs)
            if len(pairs) > 1
            else state
        )
        + countdown_key(camera, state),
        "problem": VIEWER_PROBLEMS.get(problem) if problem else None,
        # A playing viewer polls only to learn that the broadcast ended.
        "poll_seconds": (
            settings.LIVE_VIEWER_PLAYING_POLL_SECONDS
            if state == "live" and not switcher
            else settings.LIVE_VIEWER_POLL_SECONDS
        ),
    }


def render_viewer_page(request, event_id, template, with_shots=True):
    """(event, response): the viewer page or the embed, under one token rule and status;
    with the Shots view (live/views/shots.py) where the link may see shots."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise Http404(f"No event with id {event_id!r}.")
    raw_token = request.GET.get("token", "")
    context = viewer_context(event.pk, raw_token, request.GET.get("camera", ""), None)
    context["event"] = event
    context["token"] = raw_token
    context["viewer_id"] = secrets.token_hex(12)
    context["heartbeat_seconds"] = settings.LIVE_VIEWER_HEARTBEAT_SECONDS
    context["shots_view"] = shots_view(event, raw_token, request.GET) if with_shots else None
    status = context["problem"][0] if context["problem"] else 200
    return event, token_in_url(render(request, template, context, status=status))


@require_GET
def viewer(request, event_id):
    return render_viewer_page(request, event_id, "live/viewer.html")[1]


@require_GET
def viewer_state(request, event_id):
    """The polled partial. 204 while nothing changed; 286 stops polling at the end.

    On the hot path (nothing changed) it asks no query, whatever the number of cameras
    or links: the event's snapshot (snapshots.py) holds what it reads. What it costs is
    in docs/performance.md (the profile: Django's routing and middleware, the token's
    check, the signing).
    """
    raw_token = request.GET.get("token", "")
    viewer_id = request.GET.get("viewer", "")
    context = viewer_context(event_id, raw_token, request.GET.get("camera", ""), viewer_id)
    context["token"] = raw_token
    context["viewer_id"] = viewer_id
    access = context["access"]
    if request.GET.get("shown") == context["shown"]:
        response = HttpResponse(status=204)
        if access.can_play:
            # The player swaps in freshly signed media URLs (static/live/player.js).
            fields = access.live_fields()
            paths = {"path": fields["hlsUrl"]}
            if "masterUrl" in fields:
                paths["masterPath"] = fields["masterUrl"]  # the adaptive ladder
            trigger_client_event(response, "teecam:hls-path", paths)
        return token_in_url(response)
    response = render(request, "live/_viewer_state.html", context)
    if context["problem"]:
        response.status_code = HttpResponseStopPolling.status_code
    return token_in_url(response)


def _throttled(exc):
    response = json_error(429, "throttled", str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


def _viewer_report(request, event_id, scope, admit_watching):
    """The checks every report from a playing page passes: (access, form, None) or (.., error).

    The same form, rate limit (``scope``: per link for joins, per page for
    heartbeats) and access rules as the page's own poll. ``admit_watching``: a
    page already watching may go on past its link's expiry (heartbeats, leave).
    """
    if not Event.objects.filter(pk=event_id).exists():
        raise Http404(f"No event with id {event_id!r}.")
    form = JoinForm(request.POST)
    if not form.is_valid():
        return None, None, json_error(400, "validation_error", form.errors.get_json_data())
    data = form.cleaned_data
    try:
        rate_limits.hit(scope, data["token"] if scope == "join" else data["viewer"])
    except RateLimited as exc:
        return None, None, _throttled(exc)
    viewer_id = data["viewer"] if admit_watching else None
    context = viewer_context(event_id, data["token"], data["camera"], viewer_id)
    access = context["access"]
    if context["problem"]:
        status, heading = context["problem"][0], context["problem"][1]
        return None, None, json_error(status, context["state"], heading)
    if not access.can_play:
        return None, None, json_error(409, "not_live", "The camera is not live.")
    return access, data, None


@csrf_exempt  # authenticated by the viewer token in the body, not by a session
@require_POST
def viewer_join(request, event_id):
    access, data, error = _viewer_report(request, event_id, "join", admit_watching=False)
    if error:
        return error
    added = join_viewer(
        access.broadcast, data["viewer"], request.headers.get("User-Agent", ""), link=access.link
    )
    return no_store(JsonResponse({"joined": added}))


@csrf_exempt  # authenticated by the viewer token in the body, not by a session
@require_POST
def viewer_heartbeat(request, event_id):
    """The page still plays and is visible: it counts as watching for another window."""
    access, data, error = _viewer_report(request, event_id, "heartbeat", admit_watching=True)
    if error:
        return error
    if heartbeat(access.broadcast, data["viewer"]):
        return no_store(JsonResponse({"watching": True, "joined": False}))
    # Its join was lost (a network error, or the link's join budget): join now,
    # under the same per-link budget as a join.
    try:
        rate_limits.hit("join", data["token"])
    except RateLimited as exc:
        return _throttled(exc)
    added = join_viewer(
        access.broadcast, data["viewer"], request.headers.get("User-Agent", ""), link=access.link
    )
    return no_store(JsonResponse({"watching": True, "joined": added}))


@csrf_exempt  # authenticated by the viewer token in the body, not by a session
@require_POST
def viewer_leave(request, event_id):
    """Sent by navigator.sendBeacon on pagehide: the page stops counting at once."""
    access, data, error = _viewer_report(request, event_id, "heartbeat", admit_watching=True)
    if error:
        return error
    return no_store(JsonResponse({"left": leave(access.broadcast, data["viewer"])}))
