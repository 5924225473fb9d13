"""Cutting a clip from the host page: "Clip the last 30 s" of a live camera."""

from datetime import timedelta

from django import forms
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_POST

from live.forms import CameraField
from live.http import actor_of
from live.models import Event
from live.services.clips import ClipRangeError, NoSpace, create_clip
from live.services.rate_limits import RateLimited
from live.views.console import posted_camera_form, render_console, staff_required

CLIP_LENGTHS = [(15, "15 s"), (30, "30 s"), (60, "1 min"), (120, "2 min")]
# The newest segment is still being written: end the clip a little before now.
EDGE_SECONDS = 2


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
    start = timezone.now() - timedelta(seconds=seconds + EDGE_SECONDS)
    try:
        create_clip(camera, start, seconds, actor_of(request))
    except ClipRangeError as exc:
        return render_console(
            request, event, status=400, camera=camera.slug, camera_error=str(exc), focus="error"
        )
    except RateLimited as exc:
        response = render_console(
            request, event, status=429, camera=camera.slug, camera_error=str(exc), focus="error"
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    except NoSpace as exc:
        return render_console(
            request, event, status=507, camera=camera.slug, camera_error=str(exc), focus="error"
        )
    return render_console(
        request,
        event,
        notice=f"{camera.name}: cutting a clip of the last {seconds} s; it is listed below "
        "when ready.",
        camera=camera.slug,
        focus="card",
    )
