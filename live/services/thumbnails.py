"""Live thumbnails: ``thumb.jpg`` in each live camera's stream folder, for posters.

The packager makes it (live/workers/thumbnailer.py) from the first frame of the
newest finished segment every ``LIVE_THUMBNAIL_SECONDS``: that frame is a keyframe,
so ffmpeg decodes one frame, not the stream (about 0.1 CPU-second at 720p, measured in
bench/ladder.py). It is written to a temporary name and renamed, so nginx never
serves half a JPEG. The mock's is made once from the fixture and committed
(``samples/hls/tee/thumb.jpg``, see make_fixture.sh). Served signed like the
media, ``/hls/<sig>/<exp>/<stream>/thumb.jpg``, with a short cache lifetime.
"""

from django.conf import settings
from django.utils import timezone

from live.models import Source
from live.services import mock_source
from live.services.delivery import THUMBNAIL_CACHE  # noqa: F401  (the one value)
from live.services.paths import output_dir_for
from live.services.media_hosts import media_base, media_url
from live.services.media import MediaPath, sign_media_path

THUMBNAIL = "thumb.jpg"


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
