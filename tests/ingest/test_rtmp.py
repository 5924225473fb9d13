"""RTMP push through nginx-rtmp, admitted by Django's on_publish hook, to a playing viewer."""

import os
import time

import pytest

from live.models import Broadcast
from tests.browser.conftest import assert_video_plays
from tests.processes import wait_for
from tests.ingest.support import (
    fetch,
    paths_under,
    playlist_segments,
    probe_codecs,
    wait_exit,
    wait_for_playable_segments,
)

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def _health(api, event_id):
    return api.status(event_id).json()["health"]


@pytest.fixture
def other_folders(data_dir):
    """Folders that nginx-rtmp must leave alone, made before nginx starts (its hls_cleanup,
    now off, ran at once and deleted them): an SRT listener's, still empty, and one whose
    camera is away, with a playlist older than the playlist length."""
    hls = data_dir / "hls"
    (hls / "open-2026-waiting-listener").mkdir(parents=True)
    (hls / "open-2026-camera-away").mkdir()
    (hls / "open-2026-camera-away" / "index.m3u8").write_text("#EXTM3U\n")
    os.utime(hls / "open-2026-camera-away" / "index.m3u8", (time.time() - 30,) * 2)
    return hls


@pytest.mark.browser
def test_rtmp_push_with_the_right_key_plays_and_a_wrong_key_is_refused(
    api, event, other_folders, nginx, start_packager, camera, data_dir, new_context, live_server
):
    hls = data_dir / "hls"
    start_packager()
    started = api.start(event.pk, "rtmp")
    assert started.status == 201, started.text
    answer = started.json()
    ingest = answer["ingest"]
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    secret = broadcast.ingest_secret
    assert ingest["url"] == f"rtmp://127.0.0.1:{nginx.rtmp_port}/live"
    assert ingest["publishUrl"] == f"{ingest['url']}/{ingest['streamKey']}"
    folder = data_dir / "hls" / broadcast.stream_name
    assert _health(api, event.pk) == "waiting"

    # Wrong key, no key, and the secret used as the stream name: all refused.
    for bad in (
        ingest["publishUrl"].replace(secret, ("A" if secret[0] != "A" else "B") + secret[1:]),
        f"{ingest['url']}/{broadcast.stream_name}",
        f"{ingest['url']}/{secret}",
    ):
        refused = camera(bad, "flv", name="wrong-key-camera", seconds=5)
        assert wait_exit(refused, 15) != 0, bad
    assert not (hls / broadcast.stream_name).exists()

    camera(ingest["publishUrl"], "flv")
    names = wait_for_playable_segments(folder, count=2, timeout=20)
    assert probe_codecs(folder / names[-1]) == {"video": "h264", "audio": "aac"}
    assert not [path for path in paths_under(data_dir) if secret in path]
    assert wait_for(lambda: _health(api, event.pk) == "receiving", 10, "health receiving")

    minted_answer = api.token(event.pk)
    assert minted_answer.status == 200, minted_answer.text
    minted = minted_answer.json()
    seen = api.status(event.pk, minted["token"]).json()
    assert f"/{broadcast.stream_name}/index.m3u8" in seen["hlsPath"]
    assert secret not in seen["hlsPath"] and "ingest" not in seen
    assert secret not in str(seen)

    # nginx serves the same signed URL straight from the data dir.
    code, body = fetch(f"{nginx.url}{seen['hlsPath']}")
    assert code == 200 and body.startswith(b"#EXTM3U")
    segment_path = seen["hlsPath"].replace("index.m3u8", playlist_segments(folder)[-1])
    code, body = fetch(f"{nginx.url}{segment_path}")
    assert code == 200 and body[:1] == b"\x47"  # MPEG-TS sync byte

    # The viewer page plays it through Django's /hls/.
    page = new_context().new_page()
    page.goto(f"{live_server.url}{minted['viewerUrl']}")
    assert_video_plays(page)

    assert (hls / "open-2026-waiting-listener").is_dir()
    assert (hls / "open-2026-camera-away" / "index.m3u8").is_file()


def test_stop_drops_the_rtmp_camera_and_a_stopped_broadcast_refuses_it(
    api, event, nginx, camera, data_dir
):
    """nginx-rtmp asks Django again every 2 s (on_update): after stop it is told no."""
    started = api.start(event.pk, "rtmp")
    assert started.status == 201, started.text
    answer = started.json()
    folder = data_dir / "hls" / Broadcast.objects.get(pk=answer["broadcastId"]).stream_name
    pushing = camera(answer["ingest"]["publishUrl"], "flv")
    wait_for_playable_segments(folder, count=1, timeout=20)

    assert api.stop(event.pk).status == 200
    assert wait_exit(pushing, 5) != 0  # dropped by nginx
    again = camera(answer["ingest"]["publishUrl"], "flv", name="camera-again", seconds=5)
    assert wait_exit(again, 15) != 0  # refused at publish
