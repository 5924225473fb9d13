"""Clips: up to LIVE_CLIP_MAX_SECONDS of a recording (or a live one's kept segments)
as an MP4, cut by stream copy (``-c copy -movflags +faststart``), no encode.

``create_clip`` checks the range and saves a pending clip; the packager's loop
(or ``manage.py cutclips``) cuts it (live/workers/clip_cutter.py): ffmpeg's concat
demuxer over the segments that cover the range, which also carries the mock's looped
timestamps across each wrap. A clip gets its own media folder, ``<data>/hls/clip-<hex>/clip.mp4``,
signed like any stream.
"""

import logging
import re
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from live.models import Clip, ClipState, Recording, RecordingState, Source
from live.services import mock_source, rate_limits, storage
from live.services.times import zone_of
from live.services.lifecycle import live_broadcast_of
from live.services.media import MediaPath, sign_media_path
from live.services.paths import live_output_dir, output_dir_for
from live.services.recording_playlists import RECORDING_PLAYLIST, parse_playlist, read_playlist
from live.services.recordings import PLAYABLE, free_bytes

logger = logging.getLogger("live.clips")

CLIP_FILE = "clip.mp4"
# Segment times are to the millisecond, segment ends to a keyframe: this much slack.
EDGE_SLACK_SECONDS = 0.5
# "Clip the last 30 s" of a live camera: its newest segment is still being written, so
# the clip ends a little before now.
LIVE_EDGE_SECONDS = 2
# What the host page offers: "Clip the last 30 s".
CLIP_LENGTHS = [(15, "15 s"), (30, "30 s"), (60, "1 min"), (120, "2 min")]


class NoSpace(Exception):
    """The data disk is under LIVE_MIN_FREE_BYTES: no new clip is cut (507)."""


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
    # In the bucket as <stream>/<key> when not on this disk (object storage).
    stream: str = ""
    key: str = ""

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
    if playlist is None and recording.stored_at is not None and storage.enabled():
        # Not on this disk (another media host made it, or it left after upload).
        text = storage.stored_playlist(broadcast.stream_name, RECORDING_PLAYLIST)
        playlist = parse_playlist(text) if text else None
    pieces, clock = [], recording.started_at
    for entry in playlist.entries if playlist else []:
        start = entry.program_time or clock
        pieces.append(
            Piece(folder / entry.uri, start, entry.duration, broadcast.stream_name, entry.uri)
        )
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
    # replace(): a piece keeps whatever else it carries (where it is stored, say).
    return [replace(piece, start=piece.start + shift) for piece in pieces]


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
    """(clip, reused): a pending clip of ``duration`` seconds from ``start``, or the
    camera's clip of that very range when one is ready or being cut.

    Raises RateLimited (``clip-key`` per actor, an API key or a staff user;
    ``clip-camera`` per camera), ClipRangeError, or NoSpace when the data disk is
    under LIVE_MIN_FREE_BYTES: 200 posts of 60 s clips in 23 s once made 200 cuts.
    """
    _spend_budget(camera, actor)
    recording, start, duration = _checked_range(camera, start, duration)
    reused = _same_range(camera, start, duration)
    if reused is not None:
        return reused, True
    _check_space()
    return new_clip(camera, recording, start, duration, actor), False


def new_clip(camera, recording, start, duration, actor, name=None):
    """A pending clip with a media folder of its own (``clip-<20 hex>`` unless named):
    every clip, shot and recording MP4 is made here."""
    return Clip.objects.create(
        camera=camera,
        recording=recording,
        stream_name=name or f"clip-{secrets.token_hex(10)}",
        start=start,
        duration=duration,
        created_by=actor,
    )


def _spend_budget(camera, actor):
    rate_limits.check("clip-key", actor)
    rate_limits.check("clip-camera", camera.pk)
    rate_limits.hit("clip-key", actor)
    rate_limits.hit("clip-camera", camera.pk)


def _check_space():
    free = free_bytes()
    if free < settings.LIVE_MIN_FREE_BYTES:
        raise NoSpace(
            f"No new clips: {free // 2**20} MiB free on the data disk, under "
            f"LIVE_MIN_FREE_BYTES ({settings.LIVE_MIN_FREE_BYTES // 2**20} MiB)."
        )


def _checked_range(camera, start, duration):
    """(recording, start, duration) of a range inside a recording; ClipRangeError otherwise."""
    if duration <= 0:
        raise ClipRangeError("duration", "Must be more than 0 seconds.")
    if duration > settings.LIVE_CLIP_MAX_SECONDS:
        raise ClipRangeError(
            "duration", f"A clip is at most {settings.LIVE_CLIP_MAX_SECONDS} seconds."
        )
    try:
        # The mock's stream begins a little before its start: look a window back.
        recording = _recording_at(camera, start) or _recording_at(
            camera, start + timedelta(seconds=12)
        )
        end = start + timedelta(seconds=duration)
    except OverflowError:  # 9999-12-31T23:59:59Z and the like: no recording is there
        raise ClipRangeError("start", "No recording of this camera covers that time.")
    pieces = pieces_of(recording) if recording is not None else []
    if not pieces:
        raise ClipRangeError("start", "No recording of this camera covers that time.")
    slack = timedelta(seconds=EDGE_SLACK_SECONDS)
    if start < pieces[0].start - slack or end > pieces[-1].end + slack:
        raise ClipRangeError(
            "start",
            "The range is outside the recording, which runs from "
            f"{pieces[0].start.isoformat()} to {pieces[-1].end.isoformat()}.",
        )
    return recording, start, duration


def _same_range(camera, start, duration):
    """The camera's clip of exactly this range, ready (its file still there) or on its way."""
    for clip in Clip.objects.filter(
        camera=camera,
        start=start,
        duration=duration,
        state__in=[ClipState.READY, ClipState.PENDING, ClipState.CUTTING],
    ).order_by("-pk"):
        if (
            clip.state != ClipState.READY
            or (live_output_dir() / clip.stream_name / CLIP_FILE).exists()
        ):
            return clip
    return None


# The names a download may be given (?download=): nginx's map in http.conf is the same.
DOWNLOAD_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.mp4\Z")


def download_name(clip):
    """What the clip's MP4 is saved as: ``<event>-<camera>-<local time>.mp4``."""
    local = timezone.localtime(clip.start, zone_of(clip.camera))
    return f"{clip.camera.event_id}-{clip.camera.slug}-{local:%Y-%m-%d_%H-%M-%S}.mp4"


def content_disposition(name):
    """The Content-Disposition for ``?download=<name>``, or None for any other name."""
    if not name or not DOWNLOAD_NAME_RE.match(name):
        return None
    return f'attachment; filename="{name}"'


def create_recent_clip(camera, seconds, actor, now=None):
    """The last ``seconds`` of the camera: of its live broadcast, else of the end of its
    newest ready recording (after Stop). ClipRangeError when there is nothing to clip."""
    if live_broadcast_of(camera) is not None:
        start = (now or timezone.now()) - timedelta(seconds=seconds + LIVE_EDGE_SECONDS)
        return create_clip(camera, start, seconds, actor)
    recording = (
        Recording.objects.filter(broadcast__camera=camera, state=RecordingState.READY)
        .select_related("broadcast")
        .order_by("-started_at")
        .first()
    )
    pieces = pieces_of(recording) if recording is not None else []
    if not pieces:
        raise ClipRangeError("seconds", "This camera has no finished recording to clip.")
    end = pieces[-1].end
    start = max(pieces[0].start, end - timedelta(seconds=seconds))
    return create_clip(camera, start, (end - start).total_seconds(), actor)


def export_prefix(recording):
    """The stream-name prefix of the clips that hold a whole recording as one MP4."""
    return f"clip-rec{recording.pk}-"


def export_recording(recording, actor):
    """A pending clip of the whole ready ``recording`` (no length cap): how a recording
    is downloaded as one MP4; the one already made (or being cut) when there is one.
    ClipRangeError when it is not ready or holds nothing; RateLimited and NoSpace as
    for any clip."""
    camera = recording.broadcast.camera
    existing = (
        Clip.objects.filter(camera=camera, stream_name__startswith=export_prefix(recording))
        .exclude(state=ClipState.FAILED)
        .first()
    )
    if existing is not None:
        return existing
    _spend_budget(camera, actor)
    if recording.state != RecordingState.READY:
        raise ClipRangeError("recording", "Only a finished recording can be saved as an MP4.")
    pieces = pieces_of(recording)
    if not pieces:
        raise ClipRangeError("recording", "The recording holds no segments.")
    _check_space()
    return new_clip(
        camera,
        recording,
        pieces[0].start,
        (pieces[-1].end - pieces[0].start).total_seconds(),
        actor,
        name=f"{export_prefix(recording)}{secrets.token_hex(8)}",
    )


def clip_marks(event_id):
    """{camera id: mark} of what each camera's clips and recordings lists show; a mark
    changes when a clip or recording is added or changes state. Two queries, whatever
    the number of cameras (the host page's poll asks it every time)."""
    clips = (
        Clip.objects.filter(camera__event_id=event_id)
        .values("camera_id")
        .annotate(
            last=Max("pk"),
            ready=Count("pk", filter=Q(state=ClipState.READY)),
            failed=Count("pk", filter=Q(state=ClipState.FAILED)),
        )
        .order_by()
    )
    recordings = (
        Recording.objects.filter(broadcast__camera__event_id=event_id)
        .values("broadcast__camera_id")
        .annotate(
            last=Max("pk"),
            **{
                state: Count("pk", filter=Q(state=state))
                for state in RecordingState.values
                if state != RecordingState.RECORDING
            },
        )
        .order_by()
    )
    marks = {}
    for row in clips:
        marks[row["camera_id"]] = f"c{row['last']}.{row['ready']}.{row['failed']}"
    for row in recordings:
        camera_id = row.pop("broadcast__camera_id")
        counts = ".".join(str(row[key]) for key in sorted(row))
        marks[camera_id] = f"{marks.get(camera_id, '')}r{counts}"
    return marks


def clip_url(clip, ttl=None, download=False):
    """(signed URL path, expiry) of a ready clip's MP4, else (None, None). ``download``:
    the URL saves the file under ``download_name`` (Content-Disposition) instead."""
    if clip.state != ClipState.READY:
        return None, None
    expires = int(time.time()) + (ttl or settings.LIVE_MEDIA_URL_TTL)
    url = sign_media_path(MediaPath(clip.stream_name, CLIP_FILE), expires)
    if download:
        url += f"?download={download_name(clip)}"
    return url, expires


def clips_of(camera, limit=20):
    """The camera's newest clips, each with ``url`` (to save it) set when it is ready."""
    clips = list(
        Clip.objects.filter(camera=camera)
        .select_related("camera__event")
        .order_by("-created_at", "-pk")[:limit]
    )
    for clip in clips:
        clip.url, _ = clip_url(clip, download=True)
    return clips


def find_clip(event_id, clip_id):
    return (
        Clip.objects.filter(camera__event_id=event_id, pk=clip_id).select_related("camera").first()
    )
