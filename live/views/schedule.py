"""The host page's schedule form: plan a camera's start and stop (a tee time), or clear it.

A plain form POST that htmx enhances: with htmx the answer is the form's partial
(``live/_camera_schedule.html``), errors next to their fields; without JavaScript a
saved schedule goes back to the host page and a refused one gets a small page
holding the same partial.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from live.forms import ScheduleForm
from live.http import actor_of, no_store
from live.models import Event
from live.services.cameras import UnknownCamera, get_camera
from live.services.schedules import InvalidSchedule, clear_schedule, set_schedule
from live.services.times import zone_of
from live.views.console import staff_required

FORM_FIELDS = {"startAt": "start_at", "stopAt": "stop_at", "source": "source"}


def _answer(request, event, camera_slug, form, status=200, notice=""):
    context = {"event": event, "schedule_form": form, "schedule_notice": notice}
    camera = get_camera(event.pk, camera_slug)
    context["camera"] = camera
    if request.htmx:
        return no_store(render(request, "live/_camera_schedule.html", context, status=status))
    if status == 200:
        return redirect(f"{reverse('live:host', args=[event.pk])}#schedule-{camera.slug}")
    return no_store(render(request, "live/schedule_page.html", context, status=status))


@staff_required
@require_POST
def host_schedule(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = ScheduleForm(request.POST)
    # The times are typed in the event's own zone: the form reads them in it.
    with timezone.override(zone_of(event)):
        valid = form.is_valid()
    slug = form.cleaned_data.get("camera") if "camera" in form.cleaned_data else None
    try:
        camera = get_camera(event.pk, slug or "")
    except UnknownCamera as exc:
        return render(
            request, "live/schedule_page.html", {"event": event, "error": str(exc)}, status=404
        )
    if not valid:
        return _answer(request, event, camera.slug, form, status=400)
    data = form.cleaned_data
    if data["action"] == "clear":
        clear_schedule(camera, actor_of(request))
        return _answer(request, event, camera.slug, ScheduleForm(), notice="Schedule cleared.")
    try:
        set_schedule(
            camera, data["start_at"], data["stop_at"], data["source"], actor=actor_of(request)
        )
    except InvalidSchedule as exc:
        form.add_error(FORM_FIELDS.get(exc.field), str(exc))
        return _answer(request, event, camera.slug, form, status=400)
    return _answer(request, event, camera.slug, ScheduleForm(), notice="Schedule saved.")
