"""RTSP pull: the packager reads an IP camera, here GStreamer's RTSP server with a test pattern.

ffmpeg cannot serve RTSP to a puller, so the camera is tests/ingest/rtsp_server.py
(GstRtspServer, run by Debian's /usr/bin/python3) with Basic authentication, which
also proves that the credentials in cameraUrl reach the camera.
"""

import json
import subprocess
from pathlib import Path

import pytest

from live.models import Broadcast
from tests.processes import free_tcp_port, tcp_open, wait_for
from tests.ingest.support import (
    RTSP_SERVER_SCRIPT,
    SYSTEM_PYTHON,
    probe_codecs,
    wait_for_playable_segments,
)

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tee!pass-4d2e"  # in the URL: Tee%21pass-4d2e
URL_PASSWORD = "Tee%21pass-4d2e"


@pytest.fixture
def rtsp_camera(procs):
    """rtsp://tee:PASSWORD@127.0.0.1:<port>/tee served by GStreamer; returns the port."""
    probe = "import gi; gi.require_version('GstRtspServer', '1.0')"
    if subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode != 0:
        pytest.fail("GStreamer's RTSP server is missing: scripts/setup.sh --media installs it")
    port = free_tcp_port()
    server = procs.start(
        "rtsp-server",
        [SYSTEM_PYTHON, str(RTSP_SERVER_SCRIPT), "--port", str(port)]
        + ["--user", "tee", "--password", PASSWORD],
    )
    wait_for(lambda: server.poll() is not None or tcp_open(port), 15, "the RTSP server")
    assert server.poll() is None, procs.log_of(server)
    return port


def test_the_packager_pulls_an_rtsp_camera_and_never_shows_its_password(
    api, event, start_packager, rtsp_camera, data_dir, procs
):
    packager = start_packager()
    camera_url = f"rtsp://tee:{URL_PASSWORD}@127.0.0.1:{rtsp_camera}/tee"
    started = api.start(event.pk, "rtsp", cameraUrl=camera_url)
    assert started.status == 201, started.text
    answer = started.json()
    assert answer["ingest"] == {"cameraUrl": f"rtsp://***@127.0.0.1:{rtsp_camera}/tee"}
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    assert broadcast.camera_url == camera_url  # stored whole, for the packager

    folder = data_dir / "hls" / broadcast.stream_name
    names = wait_for_playable_segments(folder, count=2, timeout=25)
    assert probe_codecs(folder / names[-1]) == {"video": "h264", "audio": "aac"}
    wait_for(lambda: api.status(event.pk).json()["health"] == "receiving", 10, "health receiving")

    token = api.token(event.pk).json()["token"]
    shown = [answer, api.status(event.pk).json(), api.status(event.pk, token).json()]
    # Repeating start answers 200 with the same body: still redacted.
    repeated = api.start(event.pk, "rtsp", cameraUrl=camera_url)
    assert repeated.status == 200
    again = repeated.json()
    shown.append(again)
    text_files = [
        path for path in Path(data_dir).rglob("*") if path.is_file() and path.suffix != ".ts"
    ]
    written = [path.read_text(errors="replace") for path in text_files]
    # ffmpeg names its input in its log: the packager blanked the password out.
    assert [text for text in written if f"tee:***@127.0.0.1:{rtsp_camera}" in text]
    written.append(procs.log_of(packager))
    for secret in (PASSWORD, URL_PASSWORD):
        assert secret not in json.dumps(shown)
        assert not [text for text in written if secret in text]
