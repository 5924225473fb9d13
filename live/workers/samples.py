"""Chart samples: every LIVE_SAMPLE_SECONDS, one ``BroadcastSample`` per live broadcast.

The packager calls ``take_samples`` on each pass (live/workers/packager.py);
a sample holds the watching count and, where the segments are on this disk,
the ingest bitrate and frame rate of the newest finished segment:

- bitrate = the segment's size × 8 / its ``#EXTINF`` duration;
- frame rate = its video packets (``ffprobe -count_packets``) / that duration.

ffprobe reads a whole segment (some 40 ms for 1 s of 720p), so each segment is
probed once and remembered by its path; a sample probes at most one new segment
per broadcast. For the mock source the newest segment is the fixture file the
computed playlist ends with, so its four files are probed once per process.
"""

import logging
import subprocess
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from live.models import Broadcast, BroadcastSample
from live.services import mock_source
from live.services.audience import raise_peak
from live.services.paths import output_dir_for
from live.services.media import PLAYLIST
from live.services.sources import facts_of

logger = logging.getLogger("live.packager")

FFPROBE_TIMEOUT_SECONDS = 5
_FRAMES_CACHE_SIZE = 512
# Segment path -> its video packet count (None: not measurable), oldest first.
_frames_by_segment: OrderedDict = OrderedDict()


def take_samples(now=None):
    """Writes a sample for each live broadcast whose last one is LIVE_SAMPLE_SECONDS old.

    Returns the samples written. Several packagers may call this: the check is
    against the database, so they share the rhythm (two racing in the same
    instant can each write one).
    """
    now = now or timezone.now()
    due_before = now - timedelta(seconds=settings.LIVE_SAMPLE_SECONDS)
    live = Broadcast.objects.filter(stopped_at__isnull=True).annotate(
        last_sample_at=Max("samples__at")
    )
    written = []
    for broadcast in live:
        if broadcast.last_sample_at is not None and broadcast.last_sample_at > due_before:
            continue
        bitrate, fps = measure(broadcast, now)
        written.append(
            BroadcastSample.objects.create(
                broadcast=broadcast,
                at=now,
                watching=raise_peak(broadcast, now),
                bitrate_kbps=bitrate,
                fps=fps,
            )
        )
    return written


def take_samples_safely(now=None):
    """For the packager's loop: sampling must never stop the packaging."""
    try:
        return take_samples(now)
    except Exception:
        logger.exception("taking chart samples failed; going on")
        return []


def measure(broadcast, now):
    """(bitrate in kb/s, frames per second) of the newest finished segment, or Nones."""
    facts = facts_of(broadcast.source)
    if facts.ingest:
        folder = output_dir_for(broadcast)
        try:
            playlist = (folder / PLAYLIST).read_text(errors="replace")
        except OSError:
            return None, None
        resolve = folder.joinpath
    elif facts.simulated:
        playlist = mock_source.live_playlist(broadcast.started_at, now)
        resolve = mock_source.fixture_file
    else:
        return None, None
    newest = newest_segment(playlist)
    if newest is None:
        return None, None
    uri, duration = newest
    path = resolve(uri) if "/" not in uri else None
    return segment_rates(path, duration)


def newest_segment(playlist_text):
    """(uri, duration) of the last segment a playlist lists, or None."""
    duration, newest = None, None
    for line in playlist_text.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            try:
                duration = float(line[len("#EXTINF:") :].split(",")[0])
            except ValueError:
                duration = None
        elif line and not line.startswith("#"):
            if duration:
                newest = (line, duration)
            duration = None
    return newest


def segment_rates(path, duration):
    if path is None or not duration or duration <= 0:
        return None, None
    try:
        size = Path(path).stat().st_size
    except OSError:
        return None, None
    bitrate = round(size * 8 / duration / 1000, 1)
    frames = video_frames(path)
    fps = round(frames / duration, 2) if frames else None
    return bitrate, fps


def video_frames(path):
    """The segment's video packet count, probed once per path (None: not measurable)."""
    key = str(path)
    if key in _frames_by_segment:
        _frames_by_segment.move_to_end(key)
        return _frames_by_segment[key]
    frames = _probe_frames(key)
    _frames_by_segment[key] = frames
    while len(_frames_by_segment) > _FRAMES_CACHE_SIZE:
        _frames_by_segment.popitem(last=False)
    return frames


def _probe_frames(path):
    command = [
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-count_packets",
        "-show_entries",
        "stream=nb_read_packets",
        "-of",
        "csv=p=0",
        path,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=FFPROBE_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.warning("ffprobe of %s failed: %s", Path(path).name, exc)
        return None
    try:
        return int(result.stdout.strip().splitlines()[0].strip(","))
    except (IndexError, ValueError):
        return None
