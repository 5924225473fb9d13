"""Live thumbnails: ``thumb.jpg`` in each live camera's stream folder, for posters.

The packager makes it from the first frame of the newest finished segment every
``LIVE_THUMBNAIL_SECONDS``: that frame is a keyframe, so ffmpeg decodes one
frame, not the stream (about 0.1 CPU-second at 720p, measured in
bench/ladder.py). It is written to a temporary name and renamed, so nginx never
serves half a JPEG. The mock's is made once from the fixture and committed
(``samples/hls/tee/thumb.jpg``, see make_fixture.sh). Served signed like the
media, ``/hls/<sig>/<exp>/<stream>/thumb.jpg``, with a short cache lifetime.
"""

import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from live.models import Source
from live.services import mock_source
from live.services.delivery import THUMBNAIL_CACHE  # noqa: F401  (the one value)
from live.services.hls_output import output_dir_for
from live.services.media_hosts import media_base, media_url
from live.services.media import MediaPath, sign_media_path
from live.services.media_jobs import Job

THUMBNAIL = "thumb.jpg"
MAX_HEIGHT = 360  # a poster; the player's first frame replaces it


def thumbnail_command(source_path, output_path):
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-i", str(source_path), "-map", "0:v:0", "-frames:v", "1",
        "-vf", f"scale=-2:'min({MAX_HEIGHT},ih)'", "-q:v", "5",
        "-f", "image2", "-update", "1", str(output_path),
    ]  # fmt: skip


def thumbnail_file(broadcast):
    """Where the broadcast's thumbnail is on disk (it may not exist yet)."""
    if broadcast.source == Source.MOCK:
        return mock_source.fixture_dir() / THUMBNAIL
    return output_dir_for(broadcast) / THUMBNAIL


def thumbnail_path(broadcast, expires):
    """The signed path of a live broadcast's thumbnail, or None while it has none."""
    if broadcast is None or not broadcast.is_live:
        return None
    base = media_base(broadcast)
    # On another media host the file cannot be looked at from here; its packager
    # makes the first one within a few seconds of the first segment.
    if not base and not thumbnail_file(broadcast).is_file():
        return None
    return media_url(
        base, sign_media_path(MediaPath(broadcast.stream_name, THUMBNAIL), int(expires))
    )


def default_expires():
    """For staff pages: as long as /media/sign's URLs."""
    return int(timezone.now().timestamp()) + settings.LIVE_MEDIA_URL_TTL


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
