"""Cutting a clip from the host page: "Clip the last 30 s" of a live camera, or of the
end of its newest recording once it stopped; a whole recording as one MP4."""

from django import forms
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from live.forms import CameraField
from live.http import actor_of
from live.models import Event, Recording
from live.services.clips import (
    CLIP_LENGTHS,
    ClipRangeError,
    NoSpace,
    create_recent_clip,
    export_recording,
)
from live.services.rate_limits import RateLimited
from live.views.console import posted_camera_form, render_console, staff_required


class ClipForm(forms.Form):
    camera = CameraField()
    seconds = forms.TypedChoiceField(choices=CLIP_LENGTHS, coerce=int, label="Clip the last")


# The host page's answer to each refusal of a clip: the API's statuses, on the card.
REFUSAL_STATUS = {ClipRangeError: 400, RateLimited: 429, NoSpace: 507}


def _refused(request, event, camera, exc):
    response = render_console(
        request,
        event,
        status=REFUSAL_STATUS[type(exc)],
        camera=camera.slug,
        camera_error=str(exc),
        focus="error",
    )
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


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
    except (ClipRangeError, RateLimited, NoSpace) as exc:
        return _refused(request, event, camera, exc)
    return render_console(
        request,
        event,
        notice=f"{camera.name}: cutting a clip of the last {seconds} s; it is listed below "
        "when ready.",
        camera=camera.slug,
        focus="card",
    )


class RecordingMp4Form(forms.Form):
    camera = CameraField()
    recording = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)


@staff_required
@require_POST
def host_recording_mp4(request, event_id):
    """Saves one of the camera's recordings as an MP4: cut like a clip, listed with them."""
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, RecordingMp4Form, "mp4_form")
    if refusal:
        return refusal
    recording = (
        Recording.objects.filter(broadcast__camera=camera, pk=form.cleaned_data["recording"])
        .select_related("broadcast__camera")
        .first()
    )
    try:
        if recording is None:
            raise ClipRangeError("recording", "This camera has no such recording.")
        export_recording(recording, actor_of(request))
    except (ClipRangeError, RateLimited, NoSpace) as exc:
        return _refused(request, event, camera, exc)
    return render_console(
        request,
        event,
        notice=f"{camera.name}: making an MP4 of the recording; its download link shows "
        "in the list when ready.",
        camera=camera.slug,
        focus="card",
    )
