"""Cutting a clip from the host page: "Clip the last 30 s" of a live camera, or of the
end of its newest recording once it stopped."""

from django import forms
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from live.forms import CameraField
from live.http import actor_of
from live.models import Event
from live.services.clips import CLIP_LENGTHS, ClipRangeError, create_recent_clip
from live.views.console import posted_camera_form, render_console, staff_required


class ClipForm(forms.Form):
    camera = CameraField()
    seconds = forms.TypedChoiceField(choices=CLIP_LENGTHS, coerce=int, label="Clip the last")


@staff_required
@require_POST
def host_clip(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, ClipForm, "clip_form")
    if refusal:
        return refusal
    seconds = form.cleaned_data["seconds"]
    try:
        create_recent_clip(camera, seconds, actor_of(request))
    except ClipRangeError as exc:
        return render_console(
            request, event, status=400, camera=camera.slug, camera_error=str(exc), focus="error"
        )
    return render_console(
        request,
        event,
        notice=f"{camera.name}: cutting a clip of the last {seconds} s; it is listed below "
        "when ready.",
        camera=camera.slug,
        focus="card",
    )
