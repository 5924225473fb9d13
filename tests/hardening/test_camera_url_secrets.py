"""Credentials in a camera URL's path or query never leave the server (issue 10, item 10).

Cameras take them as ``user:password@``, but also as path parts
(``/user=admin_password=…_channel=1``) and query values (``?token=…``). Each URL
below starts a real RTSP broadcast through the API; the secret must be in none of
the start answer, status, the host page, the packager's log line or the copy of
ffmpeg's own log (a real ffmpeg, refused by a closed port, prints the URL).
"""

import logging

import pytest
from django.test import Client

from live.models import Broadcast
from live.workers.child_processes import secrets_of
from live.workers.packager import Packager
from live.services.sources import camera_url_secrets, redact_camera_url
from tests.live.support import start_url, status_url, stop_url
from tests.processes import free_tcp_port

pytestmark = pytest.mark.django_db

SECRET = "S3cretValue-4711"
URLS = [
    "rtsp://{host}/user=admin_password={secret}_channel=1",
    "rtsp://{host}/stream?token={secret}",
    "rtsp://{host}/stream?channel=1&password={secret}",
    "rtsp://{host}/stream?pwd={secret}",
    "rtsp://{host}/stream?key={secret}",
    "rtsp://{host}/stream?auth={secret}",
    "rtsp://{host}/live/{secret}Token/ch1",
    "rtsp://admin:{secret}@{host}/stream",
]


@pytest.fixture
def closed_camera():
    """A camera address nothing listens on: ffmpeg fails at once and says why."""
    return f"127.0.0.1:{free_tcp_port()}"


@pytest.mark.parametrize("template", URLS, ids=lambda url: url.split("}", 1)[1][:30])
def test_a_camera_urls_secret_appears_nowhere(
    template, admin_api, client_api, staff_user, event, closed_camera, caplog
):
    camera_url = template.format(host=closed_camera, secret=SECRET)

    started = admin_api.post(
        start_url(event.pk), {"source": "rtsp", "cameraUrl": camera_url}, format="json"
    )
    assert started.status_code == 201, started.json()
    assert SECRET not in started.content.decode()
    assert started.json()["ingest"]["cameraUrl"] == redact_camera_url(camera_url)
    assert SECRET not in client_api.get(status_url(event.pk)).content.decode()
    staff = Client()
    staff.force_login(staff_user)
    host_page = staff.get(f"/events/{event.pk}/live-host")
    assert host_page.status_code == 200
    assert SECRET not in host_page.content.decode()

    broadcast = Broadcast.objects.get(pk=started.json()["broadcastId"])
    assert broadcast.camera_url == camera_url  # whole, for ffmpeg
    packager = Packager(owner="test")
    with caplog.at_level(logging.INFO, logger="live.packager"):
        packager.start_child(broadcast, transcode=False)
    child = packager.children[broadcast.pk]
    child.process.wait(timeout=30)
    child.log_pump.join(timeout=30)
    ffmpeg_log = child.log_path.read_text()
    assert "***" in ffmpeg_log, ffmpeg_log  # ffmpeg did print the URL, blanked
    assert SECRET not in ffmpeg_log
    assert "started for" in caplog.text and SECRET not in caplog.text
    packager.stop_child(broadcast.pk)
    admin_api.post(stop_url(event.pk))


@pytest.mark.parametrize(
    "url, shown",
    [
        ("rtsp://cam/user=admin_password=x_channel=1", "rtsp://cam/***"),
        ("rtsp://cam/stream?token=abc", "rtsp://cam/stream?token=***"),
        ("rtsp://cam/s?channel=1&PassWord=abc", "rtsp://cam/s?channel=***&PassWord=***"),
        ("rtsp://cam/s?just-a-secret", "rtsp://cam/s?***"),
        ("rtsp://cam/Streaming/Channels/101", "rtsp://cam/Streaming/Channels/101"),
        ("rtsp://cam/a/MY-AUTH-abc/b", "rtsp://cam/a/***/b"),
        ("rtsp://u:p@cam:554/live#frag", "rtsp://***@cam:554/live"),
    ],
)
def test_redaction_keeps_what_the_operator_recognises(url, shown):
    assert redact_camera_url(url) == shown


def test_the_log_blanks_the_same_secrets_raw_and_decoded():
    url = "rtsp://cam/user=admin_pwd=p%40ss-word/x?token=t%2Bk-123&channel=1"

    secrets = camera_url_secrets(url)

    assert {"user=admin_pwd=p%40ss-word", "user=admin_pwd=p@ss-word"} <= secrets
    assert {"t%2Bk-123", "t+k-123", "token=t%2Bk-123&channel=1"} <= secrets
    assert "1" not in secrets  # short values would blank every digit of the log

    class Rtsp:
        ingest_secret = ""
        camera_url = url

    blanked = secrets_of(Rtsp())
    assert blanked == sorted(blanked, key=len, reverse=True)
