"""Where things live on disk: the data folder's HLS root and each broadcast's folder.

Every process agrees on this layout: the packager's ffmpeg and nginx-rtmp write
``<data dir>/hls/<stream name>/`` (and the ffmpeg log ``<data dir>/hls/.<stream
name>.ffmpeg.log`` beside it); recordings, clips and thumbnails live in that folder; the
fallback file server and nginx read it.
"""

import os
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.conf import settings

from live.services.media import PLAYLIST

LOG_SUFFIX = ".ffmpeg.log"  # <data>/hls/.<stream name>.ffmpeg.log, beside its folder


HLS_FOLDER = "hls"


def live_output_dir() -> Path:
    return Path(settings.LIVE_STREAM_DATA_DIR) / HLS_FOLDER


def output_dir_for(broadcast) -> Path:
    return live_output_dir() / broadcast.stream_name


def output_file_name(broadcast, name) -> str:
    """``output_dir_for(broadcast) / name`` as a string: status and the viewer poll ask
    for the ladder's master on every request, and building the Path was most of it."""
    return os.path.join(settings.LIVE_STREAM_DATA_DIR, HLS_FOLDER, broadcast.stream_name, name)


def segments_kept_seconds():
    """How long a segment stays after it leaves the playlist (nginx-rtmp's own rule)."""
    return 2 * settings.LIVE_SEGMENT_SECONDS * settings.LIVE_PLAYLIST_SEGMENTS


def newest_segment_time(folder: Path, since=None):
    """When the newest segment the playlist lists was written, or None.

    Only listed segments count: nginx-rtmp creates a fragment's file when it starts
    writing it and lists it when it is done, so an unlisted file would call a camera
    "receiving" a second before anything can be played.
    """
    try:
        text = (folder / PLAYLIST).read_text(errors="replace")
    except FileNotFoundError:
        return None
    times = []
    for line in text.splitlines():
        if line and not line.startswith("#") and line.endswith(".ts") and "/" not in line:
            try:
                times.append((folder / line).stat().st_mtime)
            except FileNotFoundError:
                pass
    if not times:
        return None
    newest = datetime.fromtimestamp(max(times), tz=dt_timezone.utc)
    if since is not None and newest < since:
        return None
    return newest
