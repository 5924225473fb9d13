"""The HLS output on disk: folders, trimming, the newest segment's age, stale output.

The packager's ffmpeg writes ``<data dir>/hls/<stream name>/`` and logs to
``<data dir>/hls/.<stream name>.ffmpeg.log`` beside it; nginx-rtmp writes the
same layout for RTMP broadcasts.
"""

import os
import shutil
import time
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.conf import settings

from live.services.delivery import live_output_dir
from live.services.media import PLAYLIST

LOG_SUFFIX = ".ffmpeg.log"  # <data>/hls/.<stream name>.ffmpeg.log, beside its folder


def output_dir_for(broadcast) -> Path:
    return live_output_dir() / broadcast.stream_name


def segments_kept_seconds():
    """How long a segment stays after it leaves the playlist (nginx-rtmp's own rule)."""
    return 2 * settings.LIVE_SEGMENT_SECONDS * settings.LIVE_PLAYLIST_SEGMENTS


def trim_segments(folder: Path, keep_seconds, keep=frozenset()):
    """Delete segments the playlist no longer lists, once older than keep_seconds
    (never those in ``keep``: a recording's).

    For nginx-rtmp's output: its own cleanup (hls_cleanup) is off because it
    walks the whole HLS folder, deleting the packager's empty folders (a listener
    waiting for its camera then fails) and every playlist not rewritten for a
    playlist's length (a camera's outage then breaks the reconnect).
    """
    try:
        text = (folder / PLAYLIST).read_text(errors="replace")
    except FileNotFoundError:
        text = ""
    listed = {line.strip() for line in text.splitlines() if line and not line.startswith("#")}
    cutoff = time.time() - keep_seconds
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.endswith(".ts") and entry.name not in listed and entry.name not in keep:
            try:
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except FileNotFoundError:
                pass


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


def remove_stale_output(live, kept=lambda names: set()):
    """Delete HLS folders (and ffmpeg logs) of broadcasts no longer live, a minute
    after their last write; ``kept(names)`` names the folders to keep anyway
    (recordings, clips)."""
    root = live_output_dir()
    if not root.is_dir():
        return
    keep = {broadcast.stream_name for broadcast in live}
    cutoff = time.time() - 60
    entries = list(root.iterdir())
    stale = set()
    for entry in entries:
        try:
            if entry.is_dir() and entry.name not in keep and entry.stat().st_mtime < cutoff:
                stale.add(entry.name)
        except FileNotFoundError:
            pass
    keep |= kept(stale) if stale else set()
    for entry in entries:
        try:
            if entry.is_dir():
                if entry.name in stale and entry.name not in keep:
                    shutil.rmtree(entry, ignore_errors=True)
            elif entry.name.startswith(".") and entry.name.endswith(LOG_SUFFIX):
                name = entry.name[1 : -len(LOG_SUFFIX)]
                if name not in keep and entry.stat().st_mtime < cutoff:
                    entry.unlink()
        except FileNotFoundError:  # another packager got there first
            pass
