"""The mock source: the HLS fixture looped into a live sliding-window playlist."""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.conf import settings

from live.services import mock_source

STARTED = datetime(2026, 7, 16, 6, 35, tzinfo=dt_timezone.utc)
FIXTURE = settings.LIVE_SAMPLES_HLS_DIR / "tee"


@dataclass
class Segment:
    sequence: int
    uri: str
    duration: float
    program_time: str
    discontinuity: int  # the discontinuity number the playlist gives this segment
    after_discontinuity_tag: bool


@dataclass
class Playlist:
    tags: dict = field(default_factory=dict)
    segments: list = field(default_factory=list)
    lines: list = field(default_factory=list)


def parse(text):
    """A small reader of a media playlist, enough to check the HLS rules below."""
    playlist = Playlist(lines=text.splitlines())
    sequence = discontinuity = None
    pending_tag = False
    program_time = duration = None
    for line in playlist.lines:
        if line.startswith("#EXT-X-") and ":" in line:
            name, _, value = line.partition(":")
            playlist.tags.setdefault(name, value)
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            discontinuity = int(line.split(":", 1)[1])
        elif line == "#EXT-X-DISCONTINUITY":
            pending_tag = True
            discontinuity += 1
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            program_time = line.split(":", 1)[1]
        elif line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#"):
            playlist.segments.append(
                Segment(sequence, line, duration, program_time, discontinuity, pending_tag)
            )
            sequence += 1
            pending_tag = False
    return playlist


def playlist_at(seconds):
    return mock_source.live_playlist(STARTED, STARTED + timedelta(seconds=seconds))


def first_sequence(seconds):
    return parse(playlist_at(seconds)).segments[0].sequence


FIXTURE_URIS = [segment.uri for segment in mock_source.fixture_segments()]
TIMES = [0, 0.5, 1.999, 2, 3, 7.9, 8, 9, 15, 16, 100, 3600, 86400 + 0.25]


def test_the_fixture_lists_four_two_second_segments():
    segments = mock_source.fixture_segments()

    assert [s.uri for s in segments] == ["seg000.ts", "seg001.ts", "seg002.ts", "seg003.ts"]
    assert {s.duration for s in segments} == {2.0}


def test_the_media_sequence_rises_with_the_clock():
    sequences = [first_sequence(t / 2) for t in range(0, 200)]

    assert sequences == sorted(sequences)
    assert sequences[0] == 0
    assert first_sequence(2) == 1
    assert first_sequence(3600) == 1800


def test_the_playlist_does_not_change_within_one_segment_duration():
    assert playlist_at(10.0) == playlist_at(11.99)
    assert playlist_at(10.0) != playlist_at(12.0)


@pytest.mark.parametrize("seconds", TIMES)
def test_the_window_holds_five_consecutive_segments(seconds):
    segments = parse(playlist_at(seconds)).segments

    assert len(segments) == mock_source.WINDOW_SEGMENTS == 5
    numbers = [segment.sequence for segment in segments]
    assert numbers == list(range(numbers[0], numbers[0] + 5))


@pytest.mark.parametrize("seconds", TIMES)
def test_segments_play_the_fixture_in_order_looping(seconds):
    for segment in parse(playlist_at(seconds)).segments:
        assert segment.uri == FIXTURE_URIS[segment.sequence % len(FIXTURE_URIS)]


@pytest.mark.parametrize("seconds", TIMES)
def test_a_discontinuity_tag_stands_exactly_where_the_fixture_wraps(seconds):
    segments = parse(playlist_at(seconds)).segments

    for index, segment in enumerate(segments):
        wraps = segment.uri == FIXTURE_URIS[0] and index > 0
        assert segment.after_discontinuity_tag == wraps, (seconds, index)


def test_each_segment_keeps_its_discontinuity_number_and_time_in_every_playlist():
    # HLS: a segment's discontinuity sequence number and timestamp may not change
    # between reloads, or players resync or stall.
    seen = {}
    for step in range(0, 400):
        for segment in parse(playlist_at(step / 4)).segments:
            known = seen.setdefault(
                segment.sequence, (segment.discontinuity, segment.program_time, segment.uri)
            )
            assert known == (segment.discontinuity, segment.program_time, segment.uri)
    assert len(seen) > 50


@pytest.mark.parametrize("seconds", TIMES)
def test_the_discontinuity_sequence_counts_the_wraps_before_the_window(seconds):
    playlist = parse(playlist_at(seconds))
    first = playlist.segments[0].sequence

    assert int(playlist.tags["#EXT-X-MEDIA-SEQUENCE"]) == first
    assert int(playlist.tags["#EXT-X-DISCONTINUITY-SEQUENCE"]) == first // len(FIXTURE_URIS)


@pytest.mark.parametrize("seconds", TIMES)
def test_it_is_a_live_playlist_with_a_two_second_target_duration(seconds):
    text = playlist_at(seconds)
    playlist = parse(text)

    assert playlist.lines[0] == "#EXTM3U"
    assert "#EXT-X-ENDLIST" not in text
    assert "#EXT-X-PLAYLIST-TYPE" not in text
    assert playlist.tags["#EXT-X-TARGETDURATION"] == "2"
    assert all(segment.duration <= 2 for segment in playlist.segments)
    assert text.endswith("\n")


def test_program_date_times_advance_by_the_segment_duration():
    segments = parse(playlist_at(30)).segments
    times = [datetime.fromisoformat(s.program_time.replace("Z", "+00:00")) for s in segments]

    assert [b - a for a, b in zip(times, times[1:])] == [timedelta(seconds=2)] * 4
    assert all(re.fullmatch(r".+\.\d{3}Z", s.program_time) for s in segments)


def test_a_player_arriving_at_the_start_finds_a_full_window_ending_now():
    segments = parse(playlist_at(0)).segments
    last_time = datetime.fromisoformat(segments[-1].program_time.replace("Z", "+00:00"))

    assert len(segments) == 5
    assert last_time + timedelta(seconds=segments[-1].duration) == STARTED


def test_a_clock_behind_the_start_time_gives_the_first_window():
    assert mock_source.live_playlist(STARTED, STARTED - timedelta(seconds=30)) == playlist_at(0)


def test_only_files_the_fixture_lists_are_served():
    assert mock_source.fixture_file("seg002.ts") == FIXTURE / "seg002.ts"
    for name in ("index.m3u8", "make_fixture.sh", "../tee/seg000.ts", "seg004.ts"):
        assert mock_source.fixture_file(name) is None


# The fixture is real media, not placeholder bytes.


def ffprobe_streams(path):
    ffprobe = shutil.which("ffprobe")
    assert ffprobe, "ffprobe is missing: scripts/setup.sh installs ffmpeg"
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)["streams"]


@pytest.mark.parametrize("name", FIXTURE_URIS)
def test_each_fixture_segment_exists_and_holds_h264_video_and_aac_audio(name):
    path = FIXTURE / name
    assert path.is_file()

    streams = ffprobe_streams(path)

    codecs = {(stream["codec_type"], stream["codec_name"]) for stream in streams}
    assert ("video", "h264") in codecs
    assert ("audio", "aac") in codecs
    video = next(stream for stream in streams if stream["codec_type"] == "video")
    assert int(video["width"]) > 0 and int(video["height"]) > 0


def test_a_fixture_that_lists_no_segments_is_a_clear_error(tmp_path, settings):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "index.m3u8").write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    settings.LIVE_SAMPLES_HLS_DIR = tmp_path
    settings.LIVE_MOCK_FIXTURE = "empty"

    with pytest.raises(RuntimeError, match="lists no segments"):
        mock_source.fixture_segments()
