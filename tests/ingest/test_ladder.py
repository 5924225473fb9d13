"""The adaptive ladder and live thumbnails, with real cameras, nginx-rtmp, the packager
and Chromium: master.m3u8 offers the camera's picture and the rungs below it, hls.js
plays it and steps down on a slow network, and thumb.jpg appears within 12 s."""

import json
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from live.models import Broadcast, Camera
from tests.processes import PATIENCE
from tests.processes import wait_for
from tests.ingest.support import fetch, playlist_segments, wait_for_playable_segments

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

HLS_JS = Path(settings.BASE_DIR) / "static" / "vendor" / "hls-1.6.19.min.js"
JPEG_MAGIC = b"\xff\xd8\xff"


def probe_size(path):
    """(width, height) of a file's first video stream, read by ffprobe."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=width,height", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stream = json.loads(result.stdout)["streams"][0]
    return stream["width"], stream["height"]


def master_variants(text):
    """[(RESOLUTION, uri)] of a master playlist."""
    lines = text.splitlines()
    return [
        (line.split("RESOLUTION=")[1].split(",")[0], lines[index + 1])
        for index, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    ]


def assert_thumbnail_within(folder, since, seconds=12):
    thumb = folder / "thumb.jpg"
    wait_for(thumb.is_file, since + seconds - time.monotonic(), "thumb.jpg")
    assert thumb.read_bytes()[:3] == JPEG_MAGIC
    assert probe_size(thumb) == (640, 360)


def assert_ladder_of_a_360p_camera(folder):
    """The camera's own picture and one 240p rung (480p is not below 360p)."""
    wait_for(lambda: (folder / "master.m3u8").is_file(), 25, "master.m3u8")
    variants = master_variants((folder / "master.m3u8").read_text())
    assert variants == [("640x360", "index.m3u8"), ("426x240", "240p/index.m3u8")]
    assert not (folder / "480p").exists()
    rung = wait_for_playable_segments(folder / "240p", count=2, timeout=10)
    assert probe_size(folder / "240p" / rung[-1]) == (426, 240)
    source = wait_for_playable_segments(folder, count=2, timeout=10)
    assert probe_size(folder / source[-1]) == (640, 360)
    # The rung's segments are the source's, under the same names.
    assert set(rung) <= {path.name for path in folder.glob("*.ts")}


# Seen by the page: which rendition hls.js is on (levels are sorted by bitrate).
LEVEL_HEIGHT_JS = "() => window.hls && window.hls.currentLevel >= 0 ? window.hls.levels[window.hls.currentLevel].height : 0"  # noqa: E501


def _play_master(page, url):
    page.set_content(
        '<video id="v" muted autoplay playsinline style="width:640px;height:360px"></video>'
    )
    page.add_script_tag(path=str(HLS_JS))
    page.evaluate(
        """(url) => {
            const video = document.getElementById('v');
            const hls = new Hls({capLevelToPlayerSize: true, startLevel: -1});
            window.hls = hls;
            hls.on(Hls.Events.MANIFEST_PARSED, () => {
                // Start on the camera's own picture, to see ABR leave it.
                hls.startLevel = hls.levels.length - 1;
            });
            hls.loadSource(url);
            hls.attachMedia(video);
        }""",
        url,
    )


@pytest.mark.browser
def test_an_rtmp_camera_gets_a_ladder_that_plays_and_steps_down_and_a_thumbnail(
    api, event, nginx, start_packager, camera, data_dir, new_context
):
    start_packager()
    started = api.start(event.pk, "rtmp")
    assert started.status == 201, started.text
    broadcast = Broadcast.objects.get(pk=started.json()["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    since = time.monotonic()
    camera(started.json()["ingest"]["publishUrl"], "flv", size="640x360")

    assert_thumbnail_within(folder, since)
    assert_ladder_of_a_360p_camera(folder)

    token = api.token(event.pk).json()["token"]
    status = api.status(event.pk, token).json()
    assert status["masterPath"].endswith(f"/{broadcast.stream_name}/master.m3u8")
    assert status["masterPath"].rsplit("/", 1)[0] == status["hlsPath"].rsplit("/", 1)[0]
    # Signed afresh for the length of the test (a viewer's path lasts a minute).
    signed = api.call("GET", f"/media/sign?path={quote(status['masterPath'])}").json()["url"]
    base = signed.rsplit("/", 1)[0]
    for name in ("master.m3u8", "240p/index.m3u8", "thumb.jpg"):
        code, body = fetch(f"{nginx.url}{base}/{name}")
        assert code == 200, (name, body[:200])
    assert fetch(f"{nginx.url}{base}/thumb.jpg")[1][:3] == JPEG_MAGIC

    page = new_context().new_page()
    _play_master(page, f"{nginx.url}{signed}")
    page.wait_for_function(f"({LEVEL_HEIGHT_JS})() === 360", timeout=20_000 * PATIENCE)
    page.wait_for_function(
        "document.getElementById('v').videoWidth > 0", timeout=20_000 * PATIENCE
    )
    first = page.evaluate("document.getElementById('v').currentTime")
    page.wait_for_timeout(2000)
    assert page.evaluate("document.getElementById('v').currentTime") > first

    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 100,
            "downloadThroughput": 600 * 1024 / 8,
            "uploadThroughput": 600 * 1024 / 8,
        },
    )
    # hls.js steps down once it has fetched a few of the rung's segments: wait while the
    # rung keeps making them (a busy box makes them slowly), fail only if hls.js stays up
    # while eight new ones appear.
    rung = folder / "240p"
    first_seen = set(playlist_segments(rung))

    def stepped_down():
        if page.evaluate(f"({LEVEL_HEIGHT_JS})()") == 240:
            return True
        new = set(playlist_segments(rung)) - first_seen
        assert len(new) < 8, f"hls.js stayed above 240p over {len(new)} new rung segments"
        return False

    wait_for(stepped_down, 120, "hls.js to step down to 240p", interval=0.5)


def test_an_srt_camera_gets_a_ladder_until_its_camera_turns_it_off(
    api, event, start_packager, camera, data_dir
):
    start_packager()
    started = api.start(event.pk, "srt")
    assert started.status == 201, started.text
    broadcast = Broadcast.objects.get(pk=started.json()["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    since = time.monotonic()
    camera(started.json()["ingest"]["url"], "mpegts", size="640x360")

    assert_thumbnail_within(folder, since)
    assert_ladder_of_a_360p_camera(folder)
    token = api.token(event.pk).json()["token"]
    assert "masterPath" in api.status(event.pk, token).json()

    Camera.objects.filter(pk=broadcast.camera_id).update(ladder=False)
    wait_for(lambda: not (folder / "master.m3u8").exists(), 5, "master.m3u8 removed")
    status = api.status(event.pk, token).json()
    assert "masterPath" not in status and status["hlsPath"]
