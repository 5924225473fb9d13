"""Upkeep of the HLS output on disk: trimming old segments, removing stale folders.

Run by the packager on each pass; the layout itself is ``live/services/paths.py``.
"""

import os
import shutil
import time
from pathlib import Path

from live.services.media import PLAYLIST
from live.services.paths import LOG_SUFFIX, live_output_dir


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
