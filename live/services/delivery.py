"""Finding the bytes behind a verified media path (Django's fallback to nginx).

With object storage on, a stored recording or clip is read from the bucket
(live/services/storage.py), so any app server serves it, whichever media host made
it and whether that host is still there.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from live.models import Broadcast, Clip, ClipState, Recording, RecordingState, Source
from live.services import mock_source, storage
from live.services.media import CONTENT_TYPES, PLAYLIST
from live.services.prepared import PreparedLookup
from live.services.recording_playlists import DVR_PLAYLIST, READY_MARKER, RECORDING_PLAYLIST
from live.services.paths import live_output_dir

PLAYLIST_CACHE = "no-cache"
SEGMENT_CACHE = "public, max-age=86400, immutable"
LIVE_SEGMENT_CACHE = "public, max-age=60"
# A live thumbnail is replaced every LIVE_THUMBNAIL_SECONDS (thumbnails.THUMBNAIL_CACHE).
THUMBNAIL_CACHE = "public, max-age=5"


@dataclass(frozen=True)
class MediaFile:
    content_type: str
    cache_control: str
    path: Path | None = None
    text: str | None = None
    body: object = None  # a stored object's streaming body, ``length`` bytes
    length: int = 0


def _within(folder: Path, relative: str):
    candidate = (folder / relative).resolve()
    if folder.resolve() not in candidate.parents or not candidate.is_file():
        return None
    return candidate


# Asked on every media request Django serves; every mock playlist poll is one of them.
_MOCK = PreparedLookup(
    lambda stream: Broadcast.objects.filter(stream_name=stream, source=Source.MOCK).order_by("pk")[
        :1
    ]
)


def _mock_media(mock, media_path, content_type, now):
    """The mock's computed playlists (live, rewind, recording) and its fixture segments."""
    recording = Recording.objects.filter(broadcast=mock).first()
    recorded = recording is not None and recording.state != RecordingState.DELETED
    if mock.is_live:
        now = now or timezone.now()
        if media_path.file == PLAYLIST:
            text = mock_source.live_playlist(mock.started_at, now)
        elif media_path.file == DVR_PLAYLIST and recorded:
            text = mock_source.dvr_playlist(mock.started_at, now)
        else:
            text = None
        if text is not None:
            return MediaFile(content_type, PLAYLIST_CACHE, text=text)
    elif media_path.file == PLAYLIST and mock.stopped_at is not None:
        # As the packager leaves it (omit_endlist): the last window, no longer growing.
        text = mock_source.live_playlist(mock.started_at, mock.stopped_at)
        return MediaFile(content_type, PLAYLIST_CACHE, text=text)
    elif media_path.file == RECORDING_PLAYLIST and recorded:
        if recording.state != RecordingState.READY:
            return None
        text = mock_source.recording_playlist(mock.started_at, mock.stopped_at)
        return MediaFile(content_type, SEGMENT_CACHE, text=text)
    if not (mock.is_live or recorded):
        return None
    path = mock_source.fixture_file(media_path.file)
    return MediaFile(content_type, SEGMENT_CACHE, path=path) if path else None


def _cache_of(folder: Path, file, is_playlist):
    """Playlists revalidate, live segments briefly; a finished recording (its playlist
    and segments) and a clip never change."""
    if file.endswith(".mp4") or (folder / READY_MARKER).exists():
        if not is_playlist or file == RECORDING_PLAYLIST:
            return SEGMENT_CACHE
    return PLAYLIST_CACHE if is_playlist else LIVE_SEGMENT_CACHE


def find_media(media_path, now=None):
    """The MediaFile for a verified path, or None when nothing is there."""
    suffix = Path(media_path.file).suffix
    content_type = CONTENT_TYPES.get(suffix)
    if content_type is None:
        return None
    is_playlist = suffix == ".m3u8"
    if suffix == ".jpg":
        return _thumbnail(media_path)

    mock = _MOCK.first(media_path.stream)
    if mock is not None:
        return _mock_media(mock, media_path, content_type, now)
    if storage.enabled() and is_stored(media_path.stream):
        return _stored_media(media_path, content_type, is_playlist)

    folder = live_output_dir() / media_path.stream
    live_path = _within(folder, media_path.file)
    if live_path is not None:
        cache = _cache_of(folder, media_path.file, is_playlist)
        return MediaFile(content_type, cache, path=live_path)

    fixture_path = _within(
        Path(settings.LIVE_SAMPLES_HLS_DIR) / media_path.stream, media_path.file
    )
    if fixture_path is not None:
        cache = PLAYLIST_CACHE if is_playlist else SEGMENT_CACHE
        return MediaFile(content_type, cache, path=fixture_path)
    return None


def is_stored(stream):
    """Whether ``stream`` is a ready recording or clip that is in the bucket."""
    ready = RecordingState.READY
    return (
        Recording.objects.filter(
            broadcast__stream_name=stream, state=ready, stored_at__isnull=False
        ).exists()
        or Clip.objects.filter(
            stream_name=stream, state=ClipState.READY, stored_at__isnull=False
        ).exists()
    )


def _stored_media(media_path, content_type, is_playlist):
    """A stored recording's or clip's file from the bucket (StorageUnavailable if it
    does not answer). Nothing of it changes once stored: cached as immutable."""
    if is_playlist:
        text = storage.stored_playlist(media_path.stream, media_path.file)
        return None if text is None else MediaFile(content_type, SEGMENT_CACHE, text=text)
    found = storage.open_object(media_path.stream, media_path.file)
    if found is None:
        return None
    body, length = found
    return MediaFile(content_type, SEGMENT_CACHE, body=body, length=length)


def _thumbnail(media_path):
    """thumb.jpg: a live camera's, the mock's (the fixture's), a fixture's own, or a
    stored recording's last one."""
    if media_path.file != "thumb.jpg":
        return None
    if storage.enabled() and is_stored(media_path.stream):
        return _stored_media(media_path, "image/jpeg", False)
    folders = [live_output_dir() / media_path.stream]
    mock = _MOCK.first(media_path.stream)
    if mock is not None and mock.is_live:
        folders = [mock_source.fixture_dir()]
    folders.append(Path(settings.LIVE_SAMPLES_HLS_DIR) / media_path.stream)
    for folder in folders:
        path = _within(folder, media_path.file)
        if path is not None:
            return MediaFile("image/jpeg", THUMBNAIL_CACHE, path=path)
    return None
