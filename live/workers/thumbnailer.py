"""Making each live broadcast's thumbnail: one short ffmpeg job per new segment,
at most every ``LIVE_THUMBNAIL_SECONDS`` (see ``live/services/thumbnails.py``).
"""

import time
from pathlib import Path

from django.conf import settings

from live.services.thumbnails import THUMBNAIL
from live.workers.ffmpeg_job import Job

MAX_HEIGHT = 360  # a poster; the player's first frame replaces it


def thumbnail_command(source_path, output_path):
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-i", str(source_path), "-map", "0:v:0", "-frames:v", "1",
        "-vf", f"scale=-2:'min({MAX_HEIGHT},ih)'", "-q:v", "5",
        "-f", "image2", "-update", "1", str(output_path),
    ]  # fmt: skip


class Thumbnailer:
    """One broadcast's thumbnail: the packager ticks it every pass."""

    def __init__(self, folder: Path, broadcast_id):
        self.folder, self.broadcast_id = folder, broadcast_id
        self.job = None
        self.made_from = None  # the segment the current thumbnail shows

    def tick(self, playlist):
        if self.job is not None and self.job.poll() is not None:
            self.job = None
        if self.job is not None or playlist is None or playlist.newest is None:
            return
        newest = playlist.newest
        if newest.uri == self.made_from or not self._due():
            return
        final = self.folder / THUMBNAIL
        temporary = self.folder / f".{THUMBNAIL}.tmp.jpg"
        self.made_from = newest.uri
        self.job = Job(
            thumbnail_command(self.folder / newest.uri, temporary),
            [(temporary, final)],
            timeout=10,
            label=f"broadcast {self.broadcast_id}: thumbnail",
        )

    def _due(self):
        try:
            age = time.time() - (self.folder / THUMBNAIL).stat().st_mtime
        except FileNotFoundError:
            return True
        # A pass or two early, so a thumbnail is never older than the setting.
        return age >= max(1, settings.LIVE_THUMBNAIL_SECONDS - 1)

    def cancel(self):
        if self.job is not None:
            self.job.cancel()
            self.job = None
