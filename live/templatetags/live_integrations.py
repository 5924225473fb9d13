"""Tags behind the integration partials, so each partial needs only ``camera`` (or
``event`` and the viewer link) from the page that includes it."""

from django import template

from live.forms import ScheduleForm
from live.services.embeds import snippet_from_viewer_link
from live.services.schedules import countdown as countdown_text, next_start, schedule_of
from live.services.simulcast_targets import simulcast_health
from live.services.times import form_value

register = template.Library()


@register.simple_tag(takes_context=True)
def schedule_form_for(context, camera):
    """The schedule form of this camera: the one just refused (with its errors), or a
    fresh one filled with the camera's schedule."""
    form = context.get("schedule_form")
    if form is None or not form.is_bound or form.data.get("camera", "main") != camera.slug:
        schedule = schedule_of(camera)
        initial = {"camera": camera.slug}
        if schedule is not None:
            initial.update(
                # Typed and shown in the event's own zone (times.py).
                start_at=form_value(schedule.start_at, camera),
                stop_at=form_value(schedule.stop_at, camera),
                source=schedule.source,
            )
        form = ScheduleForm(initial=initial)
    return form


@register.simple_tag
def schedule_for(camera):
    return schedule_of(camera)


@register.simple_tag
def next_start_of(camera):
    return next_start(camera)


@register.filter
def countdown(start_at):
    return countdown_text(start_at)


@register.simple_tag
def simulcast_of(camera):
    return simulcast_health(camera)


@register.simple_tag
def embed_snippet_for(event, viewer_link):
    return snippet_from_viewer_link(event, viewer_link)
