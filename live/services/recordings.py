"""Recordings: every broadcast of a camera with ``record`` on keeps its segments.

A ``Recording`` is made with its broadcast and goes ``recording`` → ``ready``
(or ``failed`` when nothing was recorded) when the broadcast stops: at stop time
(after the commit), or by the next packager pass if that did not happen (a web
process that cannot reach the media folder). The playlist work is in
``recording_playlists``; the mock's recording is computed (``mock_source``).

Space: under ``LIVE_MIN_FREE_BYTES`` of free disk the packager ends the
recording where it is (it stays playable, ``problem`` says why) and trimming
resumes, so the live stream goes on.
"""

import logging
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from live.models import Broadcast, Recording, RecordingState, Source
from live.services import mock_source, recording_playlists, storage
from live.services.paths import output_dir_for
from live.services.media import PLAYLIST, MediaPath
from live.services.prepared import PreparedLookup
from live.services.recording_playlists import RECORDING_PLAYLIST
from live.signals import broadcast_started, broadcast_stopped

logger = logging.getLogger("live.recordings")

ACTIVE = (RecordingState.RECORDING, RecordingState.FINISHING)
PLAYABLE = (RecordingState.RECORDING, RecordingState.FINISHING, RecordingState.READY)
NOTHING_RECORDED = "Nothing was recorded: the camera sent no picture."


class RecordingBusy(Exception):
    """The recording's broadcast is still live."""


def free_bytes():
    """Free space on the data disk (recordings, clips, live HLS)."""
    folder = Path(settings.LIVE_STREAM_DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(folder).free


def disk_problem():
    """Why recording must stop for space now, or None."""
    free = free_bytes()
    if free < settings.LIVE_MIN_FREE_BYTES:
        return (
            f"Recording stopped: {free // 2**20} MiB free on the data disk, under "
            f"LIVE_MIN_FREE_BYTES ({settings.LIVE_MIN_FREE_BYTES // 2**20} MiB)."
        )
    return None


def recording_of(broadcast):
    try:
        return broadcast.recording
    except Recording.DoesNotExist:
        return None


def never_received(recording):
    """The broadcast ended without the camera sending a picture: nothing was recorded."""
    return recording.state == RecordingState.FAILED and recording.problem == NOTHING_RECORDED


def recording_problem(broadcast):
    """Why the broadcast is not (or no longer) being recorded, in words; None if it is."""
    if broadcast is None:
        return None
    return recording_problem_of(broadcast, recording_of(broadcast))


def recording_problem_of(broadcast, recording):
    """``recording_problem`` with the broadcast's recording (or None) already read."""
    if recording is None:
        return "Recording is off for this camera." if not broadcast.camera.record else None
    if recording.problem:
        return recording.problem
    if recording.state == RecordingState.RECORDING and broadcast.is_live:
        return disk_problem()
    return None


def keeps_segments(broadcast):
    """Whether the broadcast's segments are kept now (the packager's ffmpeg then
    does not delete them)."""
    if broadcast._state.adding:  # not saved: no recording
        return False
    recording = recording_of(broadcast)
    return recording is not None and recording.state == RecordingState.RECORDING


# Lifecycle ------------------------------------------------------------------


@receiver(broadcast_started)
def _record_new_broadcast(sender, broadcast, **kwargs):
    if broadcast.camera.record:
        Recording.objects.create(broadcast=broadcast, started_at=broadcast.started_at)


@receiver(broadcast_stopped)
def _finish_at_stop(sender, broadcast, **kwargs):
    updated = Recording.objects.filter(broadcast=broadcast, state__in=ACTIVE).update(
        state=RecordingState.FINISHING, stopped_at=broadcast.stopped_at
    )
    if updated and broadcast.source == Source.MOCK:
        finish_recording(broadcast.pk)  # computed, no files: at once, in the transaction
    elif updated:
        transaction.on_commit(lambda: _finish_quietly(broadcast.pk))


def _finish_quietly(broadcast_id):
    try:
        finish_recording(broadcast_id)
    except OSError:  # the packager's next pass finishes it
        logger.exception("finishing the recording of broadcast %s failed", broadcast_id)


def finish_recording(broadcast_id):
    """Ends a stopped broadcast's recording: ENDLIST written, then ``ready``.

    None (left as it is) when its folder is not on this disk: an app server without the
    media disk, or a media host that died; a packager finishes it (live/workers/recorder.py).
    """
    recording = (
        Recording.objects.select_related("broadcast")
        .filter(broadcast_id=broadcast_id, state__in=ACTIVE)
        .first()
    )
    if recording is None:
        return None
    broadcast = recording.broadcast
    stopped_at = broadcast.stopped_at or timezone.now()
    if broadcast.source == Source.MOCK:
        size, seconds = _mock_totals(broadcast.started_at, stopped_at)
    else:
        folder = output_dir_for(broadcast)
        if not ((folder / PLAYLIST).exists() or (folder / RECORDING_PLAYLIST).exists()):
            return None
        recording_playlists.append_segments(folder, finish=True)
        recording_playlists.forget(folder)
        size, seconds = recording_playlists.totals(folder)
    state, problem = RecordingState.READY, recording.problem
    if seconds <= 0:
        state, problem = RecordingState.FAILED, NOTHING_RECORDED
    Recording.objects.filter(pk=recording.pk, state__in=ACTIVE).update(
        state=state, bytes=size, duration_seconds=seconds, stopped_at=stopped_at, problem=problem
    )
    recording.refresh_from_db()
    return recording


def _mock_totals(started_at, stopped_at):
    first, last = mock_source.recording_range(started_at, stopped_at)
    size = seconds = 0
    for _, segment, _ in mock_source.timeline(started_at, first, last):
        size += (mock_source.fixture_dir() / segment.uri).stat().st_size
        seconds += segment.duration
    return size, seconds


# Replay, listing, deleting ------------------------------------------------------


def ready_recording(broadcast):
    recording = recording_of(broadcast) if broadcast is not None else None
    if recording is None or recording.state != RecordingState.READY:
        return None
    return recording


def replay_media(broadcast):
    """The recording playlist of an ended broadcast, when it is ready."""
    if broadcast is None or broadcast.is_live or ready_recording(broadcast) is None:
        return None
    return MediaPath(broadcast.stream_name, RECORDING_PLAYLIST)


def recordings_of(event_id):
    return Recording.objects.filter(broadcast__event_id=event_id).select_related(
        "broadcast__camera"
    )


def delete_recording(recording):
    """Deletes the recording's files, from the bucket first (StorageUnavailable: nothing
    changed), then from this disk; it stays listed as deleted."""
    if recording.broadcast.is_live:
        raise RecordingBusy("The broadcast is still live: stop it before deleting its recording.")
    if recording.broadcast.source != Source.MOCK and storage.enabled():
        storage.delete_stream(recording.broadcast.stream_name)
    if recording.broadcast.source != Source.MOCK:
        folder = output_dir_for(recording.broadcast)
        recording_playlists.forget(folder)
        shutil.rmtree(folder, ignore_errors=True)
    recording.state = RecordingState.DELETED
    recording.save(update_fields=["state"])
    return recording


def purge_recordings(older_than_days, now=None):
    """Deletes finished recordings that stopped more than ``older_than_days`` ago, from
    the bucket too (``LIVE_RECORDING_RETENTION_DAYS`` runs this from the packager)."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    old = Recording.objects.filter(
        state__in=(RecordingState.READY, RecordingState.FAILED), stopped_at__lt=cutoff
    ).select_related("broadcast")
    return [delete_recording(recording) for recording in old]


# Asked by every status poll with a valid token (dvrPath): compiled once, like the
# other lookups on that path (live/services/prepared.py).
_RECORDING_NOW = PreparedLookup(
    lambda stream: Recording.objects.filter(
        broadcast__stream_name=stream, state=RecordingState.RECORDING
    )[:1]
)


def is_recording(broadcast: Broadcast):
    """The live broadcast is being recorded now (so its rewind playlist moves)."""
    return _RECORDING_NOW.first(broadcast.stream_name) is not None
