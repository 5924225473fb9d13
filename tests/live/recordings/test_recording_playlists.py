"""recording.m3u8 and dvr.m3u8 built from a live playlist that slides (nginx-rtmp, ffmpeg)."""

from live.services import recording_playlists as rp


def write_live(folder, first, count, duration=1.0):
    """A live window of ``count`` segments from sequence ``first``, files included."""
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:1", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
    for number in range(first, first + count):
        (folder / f"{number}.ts").write_bytes(b"x" * 100)
        lines += [f"#EXTINF:{duration:.3f},", f"{number}.ts"]
    (folder / "index.m3u8").write_text("\n".join(lines) + "\n")


def test_every_segment_the_window_ever_listed_is_appended_once(tmp_path):
    for first in range(0, 10):
        write_live(tmp_path, first, 3)
        rp.append_segments(tmp_path)

    playlist = rp.read_playlist(tmp_path / "recording.m3u8")
    assert [entry.uri for entry in playlist.entries] == [f"{n}.ts" for n in range(12)]
    assert not playlist.ended
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in (tmp_path / "recording.m3u8").read_text()


def test_finishing_writes_endlist_once_and_nothing_is_appended_after(tmp_path):
    write_live(tmp_path, 0, 3)
    rp.append_segments(tmp_path)
    write_live(tmp_path, 2, 3)
    rp.append_segments(tmp_path, finish=True)
    write_live(tmp_path, 5, 3)
    rp.append_segments(tmp_path)

    text = (tmp_path / "recording.m3u8").read_text()
    assert text.count("#EXT-X-ENDLIST") == 1 and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert len(rp.read_playlist(tmp_path / "recording.m3u8").entries) == 5
    assert (tmp_path / rp.READY_MARKER).read_text() == text
    assert rp.totals(tmp_path) == (500, 5.0)


def test_a_gap_in_the_numbering_becomes_a_discontinuity(tmp_path):
    write_live(tmp_path, 0, 3)
    rp.append_segments(tmp_path)
    write_live(tmp_path, 10, 3)  # the packager was away while 3..9 slid past
    rp.forget(tmp_path)  # a new packager process
    rp.append_segments(tmp_path)

    entries = rp.read_playlist(tmp_path / "recording.m3u8").entries
    assert [entry.discontinuity for entry in entries] == [False] * 3 + [True, False, False]


def test_the_rewind_playlist_is_the_last_dvr_seconds(tmp_path, settings):
    settings.LIVE_DVR_SECONDS = 5
    for first in range(0, 20):
        write_live(tmp_path, first, 3)
        rp.append_segments(tmp_path)

    dvr = rp.read_playlist(tmp_path / "dvr.m3u8")
    assert [entry.uri for entry in dvr.entries] == [f"{n}.ts" for n in range(17, 22)]
    assert dvr.media_sequence == 17 and not dvr.ended
    assert len((tmp_path / "index.m3u8").read_text()) < 200  # the live edge stays short


def test_a_longer_segment_raises_the_target_duration(tmp_path):
    write_live(tmp_path, 0, 2)
    rp.append_segments(tmp_path)
    write_live(tmp_path, 2, 1, duration=3.4)
    rp.append_segments(tmp_path)

    playlist = rp.read_playlist(tmp_path / "recording.m3u8")
    assert playlist.target == 4 and len(playlist.entries) == 3
