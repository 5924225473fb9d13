"""The host page: every camera of an event, its state, start and stop, and the one poll."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from live.forms import (
    StartForm,
    StopForm,
)
from live.http import actor_of, no_store
from live.models import Event
from live.services.overview import overview_of
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
from live.views.room import mode_from, room_context


@staff_required
@require_GET
def host(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    extra = {}
    if request.htmx and request.GET.get("camera"):
        # A control-room tile opened its card: the card's heading takes the focus.
        extra = {"camera": request.GET["camera"], "focus": "card"}
    context = host_context(event, params=request.GET, **extra)
    return no_store(allow_whip(render(request, "live/host.html", context)))


@staff_required
@require_GET
def host_status(request, event_id):
    """The host page's one poll: per camera card, its numbers, or the whole card when its
    state changed; per control-room tile, the tile when it changed (the grid when the
    order did); a line for screen readers; the links table. Out-of-band swaps only.

    A fixed number of queries whatever the number of cameras (overview.py): the
    cameras are read in bulk, and only a card whose state changed is drawn whole.
    """
    event = get_object_or_404(Event, pk=event_id)
    overview = overview_of(event.pk)
    mode = mode_from(request.GET, len(overview.pairs))
    slugs = {camera.slug for camera, _ in overview.pairs}
    shown = set(request.GET.getlist("shown")[:100])
    tiles_shown = dict(
        value.split(":", 1) for value in request.GET.getlist("tile")[:200] if ":" in value
    )
    card_slugs = {value.split(":", 1)[0] for value in shown}
    if mode.room:
        expected = {mode.open} & slugs
        unchanged = set(tiles_shown) == slugs and card_slugs == expected
    else:
        unchanged = card_slugs == slugs
    if not unchanged:
        # A camera was added, removed or renamed elsewhere: redraw the console.
        response = render_console(request, event, params=request.GET)
        response["HX-Retarget"] = "#host-console"
        response["HX-Reswap"] = "innerHTML"
        return response
    # The clips lists are redrawn apart from the numbers, when their mark changes: a clip
    # turns ready within one poll, without redrawing the card (and its preview).
    marks = clip_marks(event.pk)
    shown_clips = set(request.GET.getlist("shown_clips")[:100])
    cards, announcements = [], []
    for camera, broadcast in overview.pairs:
        if mode.room and camera.slug != mode.open:
            continue
        status = camera_status(camera, broadcast, overview)
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
            card = camera_card(camera, broadcast, {}, overview, clip_mark=mark)
            cards.append({"status_only": False, **card})
            announcements.append(f"{camera.name}: {status['state'].label}.")
    context = {"event": event, "mode": mode, "cards": cards}
    if mode.room:
        room = room_context(event, overview, mode)
        whole_grid = room["tiles_order"] != request.GET.get("tiles_order")
        for tile in room["tiles"]:
            before = tiles_shown.get(tile["camera"].slug, "")
            tile["changed"] = whole_grid or f"{tile['camera'].slug}:{before}" != tile["shown"]
            if before.split(":", 1)[0] != tile["state"].code and not any(
                card["camera"] == tile["camera"] for card in cards
            ):
                announcements.append(f"{tile['camera'].name}: {tile['state'].label}.")
        context.update(room, whole_grid=whole_grid)
    links = links_context(event.pk)
    context.update(
        announcement=" ".join(announcements),
        links_changed=links["links_shown"] != request.GET.get("shown_links"),
        **links,
    )
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
