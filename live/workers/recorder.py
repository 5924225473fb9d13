"""The packager's recording upkeep: each pass appends new segments to a live
broadcast's recording (or trims the live window), ends a recording for space, and
finishes recordings whose stop was not finished at stop time.

The rules of a recording (what is kept, what plays, what a stop does) are
``live/services/recordings.py``; this is the part only the packager runs.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from live.models import Clip, ClipState, Recording, RecordingState
from live.services import recording_playlists, storage
from live.services.paths import output_dir_for, segments_kept_seconds
from live.services.recording_playlists import DVR_PLAYLIST
from live.services.recordings import ACTIVE, NOTHING_RECORDED, finish_recording, recording_of
from live.workers.hls_output import trim_segments

logger = logging.getLogger("live.recordings")

# Past the lease, this long after a stop, no packager finished a recording: none has it.
ABSENT_GRACE_SECONDS = 5


def keep_or_trim(broadcast, disk_trouble):
    """Per live ingest broadcast and packager pass: append to the recording, or
    trim the live window as before (keeping what a stopped recording lists)."""
    folder = output_dir_for(broadcast)
    recording = recording_of(broadcast)
    if recording is not None and recording.state == RecordingState.RECORDING:
        if disk_trouble is None:
            recording_playlists.append_segments(folder)
            return
        stop_for_space(recording, folder, disk_trouble)
    trim_segments(folder, segments_kept_seconds(), keep=recording_playlists.recorded_uris(folder))


def stop_for_space(recording, folder, reason):
    recording_playlists.append_segments(folder, finish=True)
    (folder / DVR_PLAYLIST).unlink(missing_ok=True)  # it would no longer move
    size, seconds = recording_playlists.totals(folder)
    Recording.objects.filter(pk=recording.pk, state=RecordingState.RECORDING).update(
        state=RecordingState.READY if seconds > 0 else RecordingState.FAILED,
        problem=reason,
        bytes=size,
        duration_seconds=seconds,
        stopped_at=timezone.now(),
    )
    recording.refresh_from_db()
    logger.warning("broadcast %s: %s", recording.broadcast_id, reason)


def finish_stopped(finish_absent=None):
    """Recordings whose broadcast stopped but that were not finished at stop time.

    One whose folder is on no disk here, still unfinished a while after its stop (the
    packager holding it would have finished it within a pass), goes to
    ``finish_absent(recording)``: from the bucket with object storage
    (``storage_sync``), else it failed: nothing reached any disk that is still here.
    """
    pending = Recording.objects.filter(
        state__in=ACTIVE, broadcast__stopped_at__isnull=False
    ).select_related("broadcast")
    grace = timedelta(seconds=settings.LIVE_PACKAGER_LEASE_SECONDS + ABSENT_GRACE_SECONDS)
    for recording in list(pending):
        finished = finish_recording(recording.broadcast_id)
        if finished is None and recording.broadcast.stopped_at < timezone.now() - grace:
            (finish_absent or fail_absent)(recording)


def fail_absent(recording):
    Recording.objects.filter(pk=recording.pk, state__in=ACTIVE).update(
        state=RecordingState.FAILED,
        problem=NOTHING_RECORDED,
        stopped_at=recording.broadcast.stopped_at,
    )


def kept_stream_names(names):
    """Of these folder names, those of recordings and clips that are not deleted (nor,
    with object storage, already stored)."""
    names = list(names)
    if not names:
        return set()
    recordings = Recording.objects.filter(broadcast__stream_name__in=names).exclude(
        state=RecordingState.DELETED
    )
    clips = Clip.objects.filter(stream_name__in=names).exclude(state=ClipState.FAILED)
    if storage.enabled():
        # What is in the bucket leaves this disk: the app servers serve it from there.
        recordings = recordings.filter(stored_at__isnull=True)
        clips = clips.filter(stored_at__isnull=True)
    kept = set(recordings.values_list("broadcast__stream_name", flat=True))
    return kept | set(clips.values_list("stream_name", flat=True))
