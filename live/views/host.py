"""The host page: every camera of an event, its state, start and stop, and the one poll."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from live.forms import (
    StartForm,
    StopForm,
)
from live.http import actor_of, no_store
from live.models import Event
from live.services.cameras import (
    cameras_of,
)
from live.services.clips import clip_marks
from live.services.states import state_of
from live.services.lifecycle import SourceConflict, start_broadcast, stop_broadcast
from live.services.sources import (
    InvalidCameraUrl,
    SourceUnavailable,
)
from live.views.console import (
    camera_card,
    posted_camera_form,
    camera_status,
    host_context,
    links_context,
    refuse_form,
    render_console,
    staff_required,
)
from live.views.publish import allow_whip


@staff_required
@require_GET
def host(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    return no_store(allow_whip(render(request, "live/host.html", host_context(event))))


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
        response = render_console(request, event)
        response["HX-Retarget"] = "#host-console"
        response["HX-Reswap"] = "innerHTML"
        return response
    # The clips lists are redrawn apart from the numbers, when their mark changes: a clip
    # turns ready within one poll, without redrawing the card (and its preview).
    marks = clip_marks(event.pk)
    shown_clips = set(request.GET.getlist("shown_clips")[:100])
    cards, announcements = [], []
    for camera, broadcast in pairs:
        status = camera_status(camera, broadcast)
        mark = marks.get(camera.pk, "")
        if status["shown"] in shown:
            cards.append(
                {
                    "status_only": True,
                    "clip_mark": mark,
                    "clips_changed": f"{camera.slug}:{mark}" not in shown_clips,
                    **status,
                }
            )
        else:
            card = camera_card(camera, broadcast, {}, clip_mark=mark)
            cards.append({"status_only": False, **card})
            announcements.append(f"{camera.name}: {status['state'].label}.")
    links = links_context(event.pk)
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
    form, camera, refusal = posted_camera_form(request, event, StartForm, "start_form")
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
        return refuse_form(request, event, "start_form", form)
    except (SourceUnavailable, SourceConflict) as exc:
        return render_console(
            request, event, status=409, camera=camera.slug, camera_error=str(exc)
        )
    if state_of(broadcast).code == "waiting":
        notice = f"{camera.name} has started: waiting for the camera to send a picture."
    else:
        notice = f"{camera.name} is live."
    return render_console(request, event, notice=notice, camera=camera.slug, focus="card")


@staff_required
@require_POST
def host_stop(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, StopForm, "stop_form")
    if refusal:
        return refusal
    stopped = stop_broadcast(camera, actor_of(request))
    notice = (
        f"{camera.name}: the broadcast has ended."
        if stopped
        else f"{camera.name}: the broadcast was not live."
    )
    return render_console(request, event, notice=notice, camera=camera.slug, focus="card")
