"""Clips: up to LIVE_CLIP_MAX_SECONDS of a recording (or a live one's kept segments)
as an MP4, cut by stream copy (``-c copy -movflags +faststart``), no encode.

``create_clip`` checks the range and saves a pending clip; the packager's loop
(or ``manage.py cutclips``) cuts it (live/workers/clip_cutter.py): ffmpeg's concat
demuxer over the segments that cover the range, which also carries the mock's looped
timestamps across each wrap. A clip gets its own media folder, ``<data>/hls/clip-<hex>/clip.mp4``,
signed like any stream.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from live.models import Clip, ClipState, Recording, Source
from live.services import mock_source
from live.services.paths import output_dir_for
from live.services.media import MediaPath, sign_media_path
from live.services.recording_playlists import RECORDING_PLAYLIST, read_playlist
from live.services.recordings import PLAYABLE

logger = logging.getLogger("live.clips")

CLIP_FILE = "clip.mp4"
# Segment times are to the millisecond, segment ends to a keyframe: this much slack.
EDGE_SLACK_SECONDS = 0.5


class ClipRangeError(ValueError):
    """The range is not a clip of a recording; ``field`` names the input at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Piece:
    path: Path
    start: datetime
    duration: float

    @property
    def end(self):
        return self.start + timedelta(seconds=self.duration)


def pieces_of(recording):
    """The recording's segments with their wall-clock start, oldest first."""
    broadcast = recording.broadcast
    if broadcast.source == Source.MOCK:
        started = broadcast.started_at
        first, _ = mock_source.recording_range(started, started)
        _, last = mock_source.recording_range(started, broadcast.stopped_at or timezone.now())
        folder = mock_source.fixture_dir()
        return [
            Piece(folder / segment.uri, when, segment.duration)
            for _, segment, when in mock_source.timeline(started, first, last)
        ]
    folder = output_dir_for(broadcast)
    playlist = read_playlist(folder / RECORDING_PLAYLIST)
    pieces, clock = [], recording.started_at
    for entry in playlist.entries if playlist else []:
        start = entry.program_time or clock
        pieces.append(Piece(folder / entry.uri, start, entry.duration))
        clock = start + timedelta(seconds=entry.duration)
    return pieces


# ffmpeg's program date-time counts from when it began writing, after probing its
# input: 1.4 s behind the camera on the packager's 1 s SRT probe (measured with the
# strike camera of tests/ingest/strikes.py). A segment's file is finished when the
# next one begins, so its time on disk is when its end arrived: the least (file time
# − listed end) over the pieces around a range is the listed clock's error.
CLOCK_SAMPLE_SECONDS = 30
MAX_CLOCK_ERROR_SECONDS = 5


def on_arrival_clock(recording, pieces, start, end):
    """``pieces`` moved onto the clock their files arrived by (see above), judged from
    those within CLOCK_SAMPLE_SECONDS of ``start``–``end``; the mock's, and any whose
    files say nothing sensible, as they are."""
    if recording.broadcast.source == Source.MOCK or not pieces:
        return pieces
    margin = timedelta(seconds=CLOCK_SAMPLE_SECONDS)
    errors = []
    for piece in pieces:
        if piece.end < start - margin or piece.start > end + margin:
            continue
        try:
            written = piece.path.stat().st_mtime
        except OSError:
            continue
        errors.append(written - piece.end.timestamp())
    if not errors or abs(min(errors)) > MAX_CLOCK_ERROR_SECONDS:
        return pieces
    shift = timedelta(seconds=min(errors))
    return [Piece(piece.path, piece.start + shift, piece.duration) for piece in pieces]


def _recording_at(camera, start):
    return (
        Recording.objects.filter(
            broadcast__camera=camera, state__in=PLAYABLE, started_at__lte=start
        )
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=start))
        .select_related("broadcast")
        .order_by("-started_at")
        .first()
    )


def create_clip(camera, start, duration, actor):
    """A pending clip of ``duration`` seconds from ``start``; ClipRangeError otherwise."""
    if duration <= 0:
        raise ClipRangeError("duration", "Must be more than 0 seconds.")
    if duration > settings.LIVE_CLIP_MAX_SECONDS:
        raise ClipRangeError(
            "duration", f"A clip is at most {settings.LIVE_CLIP_MAX_SECONDS} seconds."
        )
    # The mock's stream begins a little before its start: look a window back.
    recording = _recording_at(camera, start) or _recording_at(
        camera, start + timedelta(seconds=12)
    )
    pieces = pieces_of(recording) if recording is not None else []
    if not pieces:
        raise ClipRangeError("start", "No recording of this camera covers that time.")
    slack = timedelta(seconds=EDGE_SLACK_SECONDS)
    end = start + timedelta(seconds=duration)
    if start < pieces[0].start - slack or end > pieces[-1].end + slack:
        raise ClipRangeError(
            "start",
            "The range is outside the recording, which runs from "
            f"{pieces[0].start.isoformat()} to {pieces[-1].end.isoformat()}.",
        )
    return Clip.objects.create(
        camera=camera,
        recording=recording,
        stream_name=f"clip-{secrets.token_hex(10)}",
        start=start,
        duration=duration,
        created_by=actor,
    )


def clip_url(clip, ttl=None):
    """(signed URL path, expiry) of a ready clip's MP4, else (None, None)."""
    if clip.state != ClipState.READY:
        return None, None
    expires = int(time.time()) + (ttl or settings.LIVE_MEDIA_URL_TTL)
    return sign_media_path(MediaPath(clip.stream_name, CLIP_FILE), expires), expires


def clips_of(camera, limit=20):
    """The camera's newest clips, each with ``url`` set when it is ready (host page)."""
    clips = list(Clip.objects.filter(camera=camera).order_by("-created_at", "-pk")[:limit])
    for clip in clips:
        clip.url, _ = clip_url(clip)
    return clips


def find_clip(event_id, clip_id):
    return (
        Clip.objects.filter(camera__event_id=event_id, pk=clip_id).select_related("camera").first()
    )
