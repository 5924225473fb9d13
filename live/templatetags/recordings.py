"""Inclusion tags for the recordings partials, so the host and viewer templates need one
line each and their views nothing: ``{% load recordings %}`` then
``{% replay_player event_id camera token %}`` or ``{% camera_clips camera broadcast %}``."""

from django import template

from live.models import Recording, RecordingState
from live.services.clips import clips_of
from live.services.recording_access import signed_replay
from live.services.recordings import never_received, recording_problem, ready_recording
from live.services.states import last_broadcast

register = template.Library()


@register.inclusion_tag("live/_replay.html")
def replay_player(event_id, camera, token):
    """The replay of the camera's last broadcast, for a link valid for that camera."""
    last = last_broadcast(camera)
    replay = None
    if last is not None and not last.is_live:
        src, _ = signed_replay(event_id, token, last, camera_id=camera.pk)
        if src is not None:
            replay = {"src": src, "recording": ready_recording(last), "broadcast": last}
    return {"replay": replay, "camera": camera}


@register.inclusion_tag("live/_clips.html")
def camera_clips(camera, broadcast=None):
    """The camera's newest clips (download links once cut) and why it is not recording."""
    recordings = (
        Recording.objects.filter(broadcast__camera=camera)
        .exclude(state=RecordingState.DELETED)
        .select_related("broadcast")
        .order_by("-broadcast__started_at")[:5]
    )
    recordings = list(recordings)
    # A broadcast whose camera never sent a picture is not a failed recording: it is
    # listed apart, folded away (it leaves nothing to play).
    no_picture = [recording for recording in recordings if never_received(recording)]
    return {
        "camera": camera,
        "recordings": [recording for recording in recordings if recording not in no_picture],
        "no_picture": no_picture,
        "clips": clips_of(camera),
        "recording_problem": recording_problem(broadcast) if broadcast is not None else None,
        # Uploads failing now (object storage): the files wait on the media host's disk.
        "storage_problem": next((r.storage_problem for r in recordings if r.storage_problem), ""),
    }
