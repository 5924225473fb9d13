"""Setting cameras up from the host page: add, edit, reorder, rotate the stream key."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from live.forms import (
    CameraEditForm,
    CameraForm,
    MoveCameraForm,
    RotateKeyForm,
)
from live.http import actor_of
from live.models import Event
from live.services.cameras import (
    InvalidCamera,
    create_camera,
    move_camera,
    rotate_stream_key,
    update_camera,
)
from live.services.sources import (
    SourceUnavailable,
)
from live.views.console import (
    posted_camera_form,
    refuse_form,
    render_console,
    staff_required,
)


@staff_required
@require_POST
def host_rotate_key(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, RotateKeyForm, "rotate_form")
    if refusal:
        return refusal
    rotate_stream_key(camera, actor_of(request))
    return render_console(
        request,
        event,
        notice=f"{camera.name}: new stream key. The old one is refused from now on; "
        "put the new one in the encoder.",
        camera=camera.slug,
        focus="ingest",
    )


@staff_required
@require_POST
def host_add_camera(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form = CameraForm(request.POST)
    if form.is_valid():
        try:
            camera = create_camera(
                event,
                form.cleaned_data["slug"],
                form.cleaned_data["name"],
                form.cleaned_data["source"],
                actor=actor_of(request),
            )
        except InvalidCamera as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except SourceUnavailable as exc:
            form.add_error("source", str(exc))
        else:
            return render_console(
                request,
                event,
                notice=f"Added the camera {camera.name}.",
                camera=camera.slug,
                focus="card",
            )
    return render_console(request, event, status=400, camera_form=form)


@staff_required
@require_POST
def host_edit_camera(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, CameraEditForm, "edit_form")
    if refusal:
        return refusal
    data = form.cleaned_data
    try:
        update_camera(
            camera,
            name=data["name"],
            source=data["source"],
            # Left empty, the stored URL (and its password) stays.
            camera_url=data["camera_url"] or None,
            auto_start=data["auto_start"],
            auto_shots=data["auto_shots"],
            # Left empty, the stored threshold stays.
            auto_shots_threshold=data["auto_shots_threshold"],
        )
    except InvalidCamera as exc:
        form.add_error("camera_url" if exc.field == "cameraUrl" else exc.field, str(exc))
        return refuse_form(request, event, "edit_form", form)
    except SourceUnavailable as exc:
        form.add_error("source", str(exc))
        return refuse_form(request, event, "edit_form", form)
    return render_console(
        request, event, notice=f"Saved the camera {camera.name}.", camera=camera.slug, focus="card"
    )


@staff_required
@require_POST
def host_move_camera(request, event_id):
    event = get_object_or_404(Event, pk=event_id)
    form, camera, refusal = posted_camera_form(request, event, MoveCameraForm, "move_form")
    if refusal:
        return refusal
    move_camera(camera, form.cleaned_data["step"])
    return render_console(request, event, camera=camera.slug, focus="card")
