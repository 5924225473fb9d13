"""Shots on pages: the marshal's tap (host page), the viewer page's Shots view and its
poll, and a shot's own page (a viewer link's, or public) with Open Graph tags."""

from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from live.forms import CameraField
from live.http import absolute_url, no_store, token_in_url, viewer_path
from live.models import Event, ShotSource
from live.services.shot_access import shot_access, shot_media, shots_for
from live.services.shots import HOLE_RANGE, PLAYER_MAX, ShotError, record_shot
from live.views.console import posted_camera_form, render_console, staff_required

NEW_SHOTS_MAX = 20  # one poll adds at most this many; a reload shows the rest
LIST_MAX = 60


class ShotForm(forms.Form):
    camera = CameraField()
    player = forms.CharField(required=False, max_length=PLAYER_MAX)
    hole = forms.IntegerField(required=False, min_value=HOLE_RANGE[0], max_value=HOLE_RANGE[1])


class ShotFilterForm(forms.Form):
    player = forms.CharField(required=False, max_length=PLAYER_MAX)
    hole = forms.IntegerField(required=False, min_value=HOLE_RANGE[0], max_value=HOLE_RANGE[1])
    after = forms.RegexField(regex=r"\A[0-9]{1,20}\Z", required=False)


def event_zone(event):
    """The event's own zone once events have one (issue 22), else the site's."""
    try:
        return ZoneInfo(getattr(event, "time_zone", "") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def describe(shot, event):
    parts = [timezone.localtime(shot.at, event_zone(event)).strftime("%H:%M:%S")]
    if shot.player:
        parts.append(shot.player)
    if shot.hole:
        parts.append(f"hole {shot.hole}")
    if shot.source == ShotSource.AUDIO:  # a tap that named the shot the microphone made
        parts[0] += " (heard by the microphone)"
    return " · ".join(parts)


# The marshal's tap -----------------------------------------------------------------------


def _tapped(request, status, error="", said=""):
    context = {"error": error, "said": said, "ready_in": settings.LIVE_SHOT_POST_SECONDS + 2}
    return no_store(render(request, "live/_shot_tapped.html", context, status=status))


@staff_required
@require_POST
def host_shot(request, event_id):
    """A tap: a shot at the tap less LIVE_SHOT_TAP_LAG_SECONDS (the marshal taps after
    the strike). HTMX gets one line for the button's status; otherwise the console."""
    tapped = timezone.now()
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, ShotForm, "shot_form")
    if refusal is not None:
        if not request.htmx:
            return refusal
        messages = [message for errors in form.errors.values() for message in errors]
        return _tapped(request, 400, error=messages[0] if messages else "No such camera.")
    try:
        shot = record_shot(
            camera,
            tapped - timedelta(seconds=settings.LIVE_SHOT_TAP_LAG_SECONDS),
            source=ShotSource.MARSHAL,
            player=form.cleaned_data["player"],
            hole=form.cleaned_data["hole"],
            actor=f"staff:{request.user.get_username()}",
        )
    except ShotError as exc:
        if request.htmx:
            return _tapped(request, 400, error=str(exc))
        return render_console(
            request, event, status=400, camera=camera.slug, camera_error=str(exc), focus="error"
        )
    if request.htmx:
        return _tapped(request, 201, said=describe(shot, event))
    return render_console(
        request, event, notice=f"{camera.name}: shot {describe(shot, event)} saved.",
        camera=camera.slug,
    )  # fmt: skip


# The viewer page's Shots view ------------------------------------------------------------


def _with_media(shots, access, event):
    zone = event_zone(event)
    for shot in shots:
        shot.url, shot.thumbnail_url, _ = shot_media(shot, access.expires)
        # Formatted here: templates would show an aware time in the site's zone.
        local = timezone.localtime(shot.at, zone)
        shot.local_time = local.strftime("%H:%M:%S %Z")
        shot.local_when = f"{local.day} {local:%b %Y, %H:%M:%S %Z}"
    return shots


def _newest(shots):
    """The newest ``ready_at`` of ``shots``, or None. Taken first, and what is shown is
    held to it: a shot ready a moment later is the next poll's."""
    return shots.order_by("-ready_at").values_list("ready_at", flat=True).first()


def _marker(newest):
    """The poll's "after": ``_newest`` of every shot the link sees (the filter's choices
    change with any of them), µs since the epoch."""
    return str(int(newest.timestamp() * 1_000_000)) if newest else "0"


def _choices(everything, wanted):
    """The filter's players and holes (those of the shots the link sees), and the chosen."""
    choices = list(everything.order_by().values_list("player", "hole").distinct()[:500])
    return {
        "players": sorted({player for player, _ in choices if player}, key=str.casefold),
        "holes": sorted({hole for _, hole in choices if hole}),
        "player": wanted.get("player") or "",
        "hole": wanted.get("hole") or "",
    }


def _filtered(shots, wanted):
    if wanted.get("player"):
        shots = shots.filter(player__iexact=" ".join(wanted["player"].split()))
    if wanted.get("hole"):
        shots = shots.filter(hole=wanted["hole"])
    return shots


def shots_view(event, raw_token, query, access=None):
    """The Shots view's context: the list (filtered by player and hole), the filter's
    choices and the poll's marker; None when the link may not see shots."""
    access = access or shot_access(event, raw_token)
    if not access.ok:
        return None
    form = ShotFilterForm(query)
    wanted = form.cleaned_data if form.is_valid() else {}
    everything = shots_for(event.pk, access)
    newest = _newest(everything)
    shown = _filtered(everything.filter(ready_at__lte=newest), wanted) if newest else []
    shots = _with_media(list(shown[:LIST_MAX]), access, event)
    return {
        "event": event,
        "token": "" if access.public else raw_token,
        "shots": shots,
        "after": _marker(newest),
        **_choices(everything, wanted),
        "poll_seconds": settings.LIVE_SHOTS_POLL_SECONDS,
    }


def _event_access(request, event_id):
    """(event, the request's token, what that token may see of its shots); 404 without
    the event."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise Http404(f"No event with id {event_id!r}.")
    raw_token = request.GET.get("token", "")
    return event, raw_token, shot_access(event, raw_token)


@require_GET
def viewer_shots(request, event_id):
    """The Shots view's poll and filter. With ``after``: only shots ready since, to put on
    top, and 204 when there are none (the steady state: the token's link and one indexed
    query); without: the whole list, for the filter. 286 stops a void link's poll."""
    event, raw_token, access = _event_access(request, event_id)
    if not access.ok:
        return token_in_url(HttpResponse(status=HttpResponseStopPolling.status_code))
    form = ShotFilterForm(request.GET)
    if not form.is_valid():
        return token_in_url(HttpResponse(status=400))
    after = form.cleaned_data["after"]
    if not after:
        view = shots_view(event, raw_token, request.GET, access)
        return token_in_url(render(request, "live/_shot_list.html", {"view": view}))
    since = datetime.fromtimestamp(int(after) / 1_000_000, tz=dt_timezone.utc)
    everything = shots_for(event.pk, access)
    newest = _newest(everything.filter(ready_at__gt=since))
    if newest is None:
        return token_in_url(HttpResponse(status=204))
    # Something is new: the shots that match the filter go on top (perhaps none), and
    # the filter's choices are sent again, since a new shot may name a new player.
    wanted = form.cleaned_data
    new = _filtered(everything.filter(ready_at__gt=since, ready_at__lte=newest), wanted)
    new = list(new.order_by("-ready_at", "-pk")[:NEW_SHOTS_MAX])
    new.sort(key=lambda shot: (shot.at, shot.pk), reverse=True)
    view = {
        "event": event,
        "token": "" if access.public else raw_token,
        "shots": _with_media(new, access, event),
        "after": _marker(newest),
        **_choices(everything, wanted),
    }
    return token_in_url(render(request, "live/_shot_items.html", {"view": view}))


# A shot's own page -----------------------------------------------------------------------


def shot_page(request, event_id, shot_id):
    """``/events/<id>/shots/<shot>?token=…``: one shot under the viewer link's rules, or
    public, with Open Graph tags for message apps' previews, when the event allows it."""
    event, raw_token, access = _event_access(request, event_id)
    if not access.ok:
        page = render(request, "live/shot.html", {"event": event, "problem": True}, status=403)
        return token_in_url(page)
    shot = None
    if shot_id.isascii() and shot_id.isdigit() and len(shot_id) <= 9:
        shot = shots_for(event.pk, access).filter(pk=int(shot_id)).first()
    if shot is None:
        raise Http404(f"No shot {shot_id} in this event.")
    _with_media([shot], access, event)
    context = {"event": event, "shot": shot, "public": access.public}
    if access.public:
        context.update(
            page_url=absolute_url(request, request.path),
            video_url=absolute_url(request, shot.url),
            image_url=absolute_url(request, shot.thumbnail_url),
        )
        return render(request, "live/shot.html", context)
    context["live_url"] = viewer_path(event.pk, raw_token)
    return token_in_url(render(request, "live/shot.html", context))
