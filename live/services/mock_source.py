"""The mock source: the HLS fixture looped into a live sliding-window playlist.

The playlist is a pure function of the broadcast's start time and the clock, so
every web process answers the same playlist without any shared state. The
stream behaves as if it had begun a window before ``started_at`` so a player
that arrives at once finds a full window. Each loop of the fixture restarts
its timestamps, hence a discontinuity where it wraps.
"""

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings

WINDOW_SEGMENTS = 5


@dataclass(frozen=True)
class FixtureSegment:
    uri: str
    duration: float


def fixture_dir() -> Path:
    return Path(settings.LIVE_SAMPLES_HLS_DIR) / settings.LIVE_MOCK_FIXTURE


@lru_cache(maxsize=4)
def _read_fixture(folder: str):
    segments, duration = [], None
    for line in (Path(folder) / "index.m3u8").read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#"):
            segments.append(FixtureSegment(line, duration))
    if not segments:
        raise RuntimeError(f"the HLS fixture in {folder} lists no segments")
    return tuple(segments)


def fixture_segments():
    return _read_fixture(str(fixture_dir()))


def fixture_file(name: str):
    """The fixture file a mock stream URL names, or None."""
    if name not in {segment.uri for segment in fixture_segments()}:
        return None
    return fixture_dir() / name


def live_playlist(started_at, now) -> str:
    segments = fixture_segments()
    count = len(segments)
    # Loop on the longest duration so sequence numbers map to wall time simply.
    step = max(segment.duration for segment in segments)
    elapsed = max(0.0, (now - started_at).total_seconds())
    last = int(elapsed // step) + WINDOW_SEGMENTS - 1
    first = last - WINDOW_SEGMENTS + 1
    stream_epoch = started_at - timedelta(seconds=step * WINDOW_SEGMENTS)

    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(step)}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first // count}",
    ]
    for sequence in range(first, last + 1):
        segment = segments[sequence % count]
        if sequence % count == 0 and sequence != first:
            lines.append("#EXT-X-DISCONTINUITY")
        program_time = stream_epoch + timedelta(seconds=step * sequence)
        lines.append(
            "#EXT-X-PROGRAM-DATE-TIME:"
            + program_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(segment.uri)
    return "\n".join(lines) + "\n"


def _sequences(started_at, until):
    """(first recorded, last) sequence numbers: the live edge at ``started_at`` and at
    ``until``, numbered as ``live_playlist`` numbers them."""
    step = max(segment.duration for segment in fixture_segments())
    elapsed = max(0.0, (until - started_at).total_seconds())
    return WINDOW_SEGMENTS - 1, int(elapsed // step) + WINDOW_SEGMENTS - 1


def timeline(started_at, first, last):
    """[(sequence, fixture segment, program time)] for sequences first..last."""
    segments = fixture_segments()
    step = max(segment.duration for segment in segments)
    epoch = started_at - timedelta(seconds=step * WINDOW_SEGMENTS)
    return [
        (sequence, segments[sequence % len(segments)], epoch + timedelta(seconds=step * sequence))
        for sequence in range(first, last + 1)
    ]


def _window_playlist(started_at, first, last, ended, kind=None):
    count = len(fixture_segments())
    step = max(segment.duration for segment in fixture_segments())
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{math.ceil(step)}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first // count}",
    ]
    if kind:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{kind}")
    for sequence, segment, program_time in timeline(started_at, first, last):
        if sequence % count == 0 and sequence != first:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(
            "#EXT-X-PROGRAM-DATE-TIME:"
            + program_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        lines.append(f"#EXTINF:{segment.duration:.3f},")
        lines.append(segment.uri)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def recording_range(started_at, stopped_at):
    return _sequences(started_at, stopped_at)


def recording_playlist(started_at, stopped_at) -> str:
    """The mock's recording: the looped fixture for the broadcast's duration, ended."""
    first, last = _sequences(started_at, stopped_at)
    return _window_playlist(started_at, first, last, ended=True, kind="VOD")


def dvr_range(started_at, now):
    step = max(segment.duration for segment in fixture_segments())
    _, last = _sequences(started_at, now)
    return max(0, last - max(1, math.ceil(settings.LIVE_DVR_SECONDS / step)) + 1), last


def dvr_playlist(started_at, now) -> str:
    """The rewind window: up to LIVE_DVR_SECONDS ending at the live playlist's edge."""
    first, last = dvr_range(started_at, now)
    return _window_playlist(started_at, first, last, ended=False)
