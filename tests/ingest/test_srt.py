"""SRT push to the packager's ffmpeg listener, with the broadcast's passphrase."""

import subprocess
import time
from pathlib import Path

import pytest

from live.models import Broadcast
from tests.browser.conftest import assert_video_plays
from tests.processes import wait_for
from tests.ingest.support import (
    marked_pids,
    paths_under,
    probe_codecs,
    segment_files,
    wait_exit,
    wait_for_playable_segments,
)

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def _start_srt(api, event):
    started = api.start(event.pk, "srt")
    assert started.status == 201, started.text
    answer = started.json()
    return answer, Broadcast.objects.get(pk=answer["broadcastId"])


@pytest.mark.browser
def test_srt_push_with_the_passphrase_plays_and_a_wrong_one_is_rejected(
    api, event, start_packager, camera, data_dir, srt_ports, new_context, live_server
):
    start_packager()
    answer, broadcast = _start_srt(api, event)
    ingest = answer["ingest"]
    assert broadcast.ingest_port in srt_ports
    assert ingest["url"].startswith(f"srt://127.0.0.1:{broadcast.ingest_port}?mode=caller")
    assert f"passphrase={broadcast.ingest_secret}" in ingest["url"]
    folder = data_dir / "hls" / broadcast.stream_name
    wait_for(lambda: marked_pids(broadcast.pk), 10, "the packager's SRT listener")

    wrong = ingest["url"].replace(broadcast.ingest_secret, "not-the-passphrase-0123")
    refused = camera(wrong, "mpegts", name="wrong-passphrase-camera", seconds=5)
    assert wait_exit(refused, 15) != 0
    assert segment_files(folder) == []

    camera(ingest["url"], "mpegts")
    names = wait_for_playable_segments(folder, count=2, timeout=20)
    assert probe_codecs(folder / names[-1]) == {"video": "h264", "audio": "aac"}
    assert not [path for path in paths_under(data_dir) if broadcast.ingest_secret in path]
    wait_for(lambda: api.status(event.pk).json()["health"] == "receiving", 10, "health receiving")

    minted = api.token(event.pk).json()
    seen = api.status(event.pk, minted["token"]).json()
    assert broadcast.ingest_secret not in str(seen)
    page = new_context().new_page()
    page.goto(f"{live_server.url}{minted['viewerUrl']}")
    assert_video_plays(page)


def test_stop_ends_the_broadcasts_ffmpeg_within_two_seconds(
    api, event, start_packager, camera, data_dir
):
    start_packager()
    answer, broadcast = _start_srt(api, event)
    camera(answer["ingest"]["url"], "mpegts")
    wait_for_playable_segments(data_dir / "hls" / broadcast.stream_name, count=1, timeout=20)
    assert len(marked_pids(broadcast.pk)) == 1

    assert api.stop(event.pk).status == 200
    wait_for(lambda: not marked_pids(broadcast.pk), 2.0, "no ffmpeg of the stopped broadcast")
    time.sleep(1.0)  # a few packager passes: nothing is started again
    assert marked_pids(broadcast.pk) == []
    assert Broadcast.objects.get(pk=broadcast.pk).stopped_at is not None


def test_an_hevc_camera_is_transcoded_to_h264(api, event, start_packager, camera, data_dir):
    """The copy run refuses HEVC before writing a segment (its H.264-only bitstream filter
    fails), which drops the camera; the packager restarts in transcode mode and the camera
    reconnects, as SRT encoders do. Every segment in the playlist is then H.264."""
    encoders = subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=10
    ).stdout
    codec = "libx265" if " libx265 " in encoders else "mpeg2video"
    start_packager()
    answer, broadcast = _start_srt(api, event)
    camera(answer["ingest"]["url"], "mpegts", video=codec, reconnect=True)
    folder = data_dir / "hls" / broadcast.stream_name
    names = wait_for_playable_segments(folder, count=3, timeout=30)
    for name in names:
        assert probe_codecs(folder / name) == {"video": "h264", "audio": "aac"}, name
    [child] = marked_pids(broadcast.pk)
    assert b"libx264" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
