"""Inclusion tags for the recordings partials, so the host and viewer templates need one
line each and their views nothing: ``{% load recordings %}`` then
``{% replay_player event_id camera token %}`` or ``{% camera_clips card %}``."""

from django import template

from live.models import Recording, RecordingState
from live.services.clips import CLIP_LENGTHS, clips_of, export_prefix
from live.services.media import MediaPath, sign_media_path
from live.services.recording_access import replay_expiry, signed_replay
from live.services.recording_playlists import RECORDING_PLAYLIST
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


@register.inclusion_tag("live/_clips.html", takes_context=True)
def camera_clips(context, card, oob=False):
    """A camera card's recordings (each plays) and clips (each downloads once cut), the
    clip form (of the live camera, or of its newest recording after Stop) and why it is
    not recording. ``card``: the host page's card of the camera."""
    camera, broadcast = card["camera"], card["broadcast"]
    recordings = list(
        Recording.objects.filter(broadcast__camera=camera)
        .exclude(state=RecordingState.DELETED)
        .select_related("broadcast")
        .order_by("-broadcast__started_at")[:5]
    )
    # A broadcast whose camera never sent a picture is not a failed recording: it is
    # listed apart, folded away (it leaves nothing to play).
    no_picture = [recording for recording in recordings if never_received(recording)]
    recordings = [recording for recording in recordings if recording not in no_picture]
    for recording in recordings:
        recording.src = None
        if recording.state == RecordingState.READY and not recording.broadcast.is_live:
            recording.src = sign_media_path(
                MediaPath(recording.broadcast.stream_name, RECORDING_PLAYLIST),
                replay_expiry(recording),
            )
    clips = clips_of(camera)
    for recording in recordings:
        # Its MP4, once asked for: the newest clip that holds the whole recording.
        prefix = export_prefix(recording)
        recording.mp4 = next((c for c in clips if c.stream_name.startswith(prefix)), None)
    newest = recordings[0] if recordings else None
    return {
        "camera": camera,
        "csrf_token": context.get("csrf_token"),
        "oob": oob,
        "mark": card.get("clip_mark", ""),
        "recordings": recordings,
        "no_picture": no_picture,
        "clips": clips,
        # Clips come from the live broadcast's recording, or the end of the newest one.
        "clip_live": broadcast is not None and card["state"].on_air and camera.record,
        "clip_recording": broadcast is None and newest is not None and newest.src is not None,
        "clip_lengths": CLIP_LENGTHS,
        "recording_problem": recording_problem(broadcast) if broadcast is not None else None,
        # Uploads failing now (object storage): the files wait on the media host's disk.
        "storage_problem": next((r.storage_problem for r in recordings if r.storage_problem), ""),
    }
