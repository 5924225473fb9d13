"""The adaptive ladder's pure parts: rung choice, sizes, playlists, the master, masterPath."""

import subprocess

import pytest

from live.models import Broadcast
from live.services.media_playlist import parse_playlist, render_playlist
from live.workers.rung_encoder import encoder_command, first_pts
from live.workers.ladder import (
    master_text,
    rung_run,
    rung_kbps,
    rung_width,
    rungs_for,
)
from tests.live.support import mint, start, status_url

SOURCE = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-DISCONTINUITY-SEQUENCE:2
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-11-30T02:00:00.000+0000
#EXTINF:1.000000,
s41.ts
#EXT-X-PROGRAM-DATE-TIME:2026-11-30T02:00:01.000+0000
#EXTINF:1.000000,
s42.ts
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-11-30T02:00:05.000+0000
#EXTINF:0.967,
s43.ts
"""


def test_only_rungs_below_the_source_are_offered(settings):
    settings.LIVE_LADDER_RUNGS = [480, 240]
    assert rungs_for(720) == [480, 240]
    assert rungs_for(480) == [240]
    assert rungs_for(360) == [240]
    assert rungs_for(240) == []


def test_rungs_keep_the_aspect_ratio_with_even_widths():
    assert rung_width(1280, 720, 480) == 854
    assert rung_width(1280, 720, 240) == 426
    assert rung_width(640, 360, 240) == 426
    assert rung_width(1440, 1080, 480) == 640


def test_rung_bitrates_fall_with_height():
    assert rung_kbps(480) == 1050
    assert rung_kbps(240) == 250
    assert rung_kbps(100) == 100


def test_a_playlist_keeps_each_segments_numbers_and_tags():
    playlist = parse_playlist(SOURCE)

    assert [entry.sequence for entry in playlist.entries] == [41, 42, 43]
    assert [entry.discontinuity for entry in playlist.entries] == [2, 2, 3]
    assert playlist.newest.uri == "s43.ts"
    assert playlist.newest.duration == pytest.approx(0.967)
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in playlist.header


def test_a_rung_window_starting_after_a_discontinuity_numbers_it_in_the_header():
    playlist = parse_playlist(SOURCE)
    text = render_playlist(playlist.header, playlist.entries[2:])

    assert "#EXT-X-MEDIA-SEQUENCE:43" in text
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:3" in text
    assert "#EXT-X-DISCONTINUITY\n" not in text
    assert parse_playlist(text).entries[0].discontinuity == 3


def test_the_whole_window_renders_back_to_the_same_entries():
    playlist = parse_playlist(SOURCE)
    again = parse_playlist(render_playlist(playlist.header, playlist.entries))

    def numbers(entries):
        return [(entry.sequence, entry.uri, entry.discontinuity) for entry in entries]

    assert numbers(again.entries) == numbers(playlist.entries)
    assert again.entries[1:] == playlist.entries[1:]


def test_nginx_rtmp_playlists_without_dates_parse():
    text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-TARGETDURATION:1\n"
    text += "#EXTINF:1.000,\n7.ts\n#EXTINF:1.000,\n8.ts\n"
    playlist = parse_playlist(text)

    assert [(entry.sequence, entry.uri) for entry in playlist.entries] == [
        (7, "7.ts"),
        (8, "8.ts"),
    ]


def test_the_master_lists_the_source_first_then_each_rung(settings):
    text = master_text((1280, 720), 3000, [480, 240])

    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720",
        "index.m3u8",
        "#EXT-X-STREAM-INF:BANDWIDTH=1388000,RESOLUTION=854x480",
        "480p/index.m3u8",
        "#EXT-X-STREAM-INF:BANDWIDTH=428000,RESOLUTION=426x240",
        "240p/index.m3u8",
    ]


def test_the_rung_encoder_decodes_once_and_cuts_each_rung_where_the_source_has_keyframes(
    tmp_path,
):
    command = encoder_command(tmp_path, [480, 240], (1280, 720))

    assert command.count("-i") == 1 and command[command.index("-i") + 1] == "pipe:0"
    assert "-copyts" in command
    graph = command[command.index("-filter_complex") + 1]
    assert graph.startswith("[0:v:0]scale=854:480")
    assert "scale=426:240" in graph  # from the 480p picture, not the source
    assert command.count("libx264") == 2 and command.count("zerolatency") == 2
    assert command.count("source") == 2  # -force_key_frames source, per rung
    assert command.count("passthrough") == 2  # the source's frames and timestamps
    assert command.count("copy") == 2  # AAC as it came, into each rung
    assert str(tmp_path / "240p" / ".pieces.csv") in command


def test_first_pts_reads_a_segments_first_video_timestamp(tmp_path):
    segment = tmp_path / "s1.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=30",
         "-t", "1", "-c:v", "libx264", "-output_ts_offset", "12.5", "-f", "mpegts", str(segment)],
        check=True, timeout=60,
    )  # fmt: skip
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=pts_time", "-of", "csv=p=0", str(segment)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip

    assert first_pts(segment) == pytest.approx(float(probed[0].split(",")[0]), abs=1e-4)
    assert first_pts(tmp_path / "missing.ts") is None


@pytest.mark.django_db
def test_status_adds_master_path_only_when_the_ladder_exists(
    admin_api, client_api, event, data_dir
):
    assert start(admin_api, event.pk).status_code == 201
    broadcast = Broadcast.objects.get()
    token = mint(admin_api, event.pk).json()["token"]

    answer = client_api.get(status_url(event.pk), {"token": token}).json()
    assert "masterPath" not in answer

    folder = data_dir / "hls" / broadcast.stream_name
    folder.mkdir(parents=True)
    (folder / "master.m3u8").write_text("#EXTM3U\n")
    answer = client_api.get(status_url(event.pk), {"token": token}).json()
    assert answer["masterPath"] == answer["hlsPath"].replace("index.m3u8", "master.m3u8")
    assert "masterPath" not in client_api.get(status_url(event.pk)).json()


@pytest.mark.django_db
def test_the_viewer_poll_hands_the_player_the_master_path_beside_the_playlist(
    admin_api, event, data_dir
):
    import json

    from django.test import Client

    assert start(admin_api, event.pk).status_code == 201
    broadcast = Broadcast.objects.get()
    token = mint(admin_api, event.pk).json()["token"]

    def paths():
        answer = Client().get(
            f"/events/{event.pk}/live-view/state", {"token": token, "shown": "live"}
        )
        assert answer.status_code == 204
        return json.loads(answer["HX-Trigger"])["teecam:hls-path"]

    assert set(paths()) == {"path"}
    folder = data_dir / "hls" / broadcast.stream_name
    folder.mkdir(parents=True)
    (folder / "master.m3u8").write_text("#EXTM3U\n")
    found = paths()
    assert found["masterPath"] == found["path"].replace("index.m3u8", "master.m3u8")


def test_a_rung_lists_its_unbroken_run_while_the_newest_source_segments_are_in_flight():
    text = "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:10\n" + "".join(
        f"#EXTINF:1.000,\ns{number}.ts\n" for number in range(10, 16)
    )
    entries = parse_playlist(text).entries

    def listed(*numbers):
        names = {f"s{number}.ts" for number in numbers}
        return [entry.uri for entry in rung_run(entries, lambda uri: uri in names)]

    assert listed(10, 11, 12, 13, 14) == ["s10.ts", "s11.ts", "s12.ts", "s13.ts", "s14.ts"]
    assert listed(11, 12) == ["s11.ts", "s12.ts"]  # three newer still in flight
    # After a hole only what follows it, so a player never skips a segment unknowingly.
    assert listed(10, 12, 13, 14) == ["s12.ts", "s13.ts", "s14.ts"]
    assert listed(10, 11) == []  # four behind: the rung has stalled
    assert listed() == []
