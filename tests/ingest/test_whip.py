"""WHIP ingest end to end: ``manage.py runwhip`` as a real process, a Python aiortc
publisher, real ffmpeg, and the packager watching health.

One broadcast's whole life: a wrong key is refused, the right one publishes
H.264 that becomes playable HLS (copied, with AAC from the Opus), the publisher
leaves and the camera shows reconnecting, comes back inside the window and the
same broadcast continues (same folder, a discontinuity, sequence numbers going
on), leaves again and, after the window, the camera is stopped as lost. The
stream key appears in no log line of the WHIP process or its ffmpeg.
"""

import pytest
from django.conf import settings

from live.models import Broadcast
from live.services.cameras import default_camera
from live.services.paths import output_dir_for
from live.services.lifecycle import start_broadcast
from live.services.states import CAMERA_LOST, state_of
from tests.ingest.support import (
    free_udp_ports,
    playlist_entries,
    playlist_segments,
    probe_codecs,
    wait_for_playable_segments,
)
from tests.ingest.whip_client import PublisherThread, WhipError, WhipPublisher
from tests.processes import PYTHON, free_tcp_port, tcp_open, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

WINDOW_SECONDS = 6


@pytest.fixture
def short_window(settings):
    settings.LIVE_RECONNECT_WINDOW_SECONDS = WINDOW_SECONDS
    settings.LIVEKIT_WHIP_URL = ""


@pytest.fixture
def runwhip(short_window, procs, packager_env, settings):
    """The WHIP process on a free port, ICE on loopback within a free UDP range."""
    port = free_tcp_port()
    settings.LIVE_WHIP_LISTEN = f"127.0.0.1:{port}"  # where the rendered nginx sends /whip/
    udp = free_udp_ports(6)
    env = {
        **packager_env,
        "LIVEKIT_WHIP_URL": "",
        "LIVE_WHIP_LISTEN": f"127.0.0.1:{port}",
        "LIVE_WHIP_UDP_PORTS": f"{udp[0]}-{udp[-1]}",
        "LIVE_WHIP_ICE_ADDRESS": "127.0.0.1",
        "LIVE_WHIP_MEDIA_TIMEOUT_SECONDS": "3",
    }
    process = procs.start("runwhip", [PYTHON, "manage.py", "runwhip"], env=env)
    wait_for(lambda: process.poll() is not None or tcp_open(port), 20, "runwhip to listen")
    assert process.poll() is None, procs.log_of(process)
    yield f"http://127.0.0.1:{port}", process


@pytest.fixture
def sender():
    thread = PublisherThread()
    yield thread
    thread.close()


def _broadcast(pk):
    return Broadcast.objects.select_related("camera").get(pk=pk)


def _state(pk):
    return state_of(_broadcast(pk)).code


def test_a_whip_publisher_goes_live_reconnects_into_the_same_broadcast_and_is_lost_after_the_window(  # noqa: E501
    short_window, event, runwhip, nginx, start_packager, procs, sender
):
    base, whip_process = runwhip
    camera = default_camera(event.pk)
    camera.source = "livekit"
    camera.save()
    broadcast, _ = start_broadcast(camera, "livekit", "staff:marshal")
    start_packager()
    url = f"{base}/whip/{camera.ingest_name}"
    # The first publish goes through the rendered nginx, as in production.
    proxied = f"{nginx.url}/whip/{camera.ingest_name}"
    folder = output_dir_for(broadcast)

    with pytest.raises(WhipError) as wrong:
        sender.publish(WhipPublisher(proxied, "not-the-stream-key"))
    assert wrong.value.status == 401

    first = WhipPublisher(proxied, camera.stream_key, codec="H264")
    sender.publish(first)
    names = wait_for_playable_segments(folder, count=2, timeout=20)
    assert probe_codecs(folder / names[-1]) == {"video": "h264", "audio": "aac"}
    wait_for(lambda: _state(broadcast.pk) == "live", 10, "the camera to show live")

    # The publisher leaves (DELETE): the broadcast stays, reconnecting.
    assert sender.call(first.close()) == 200
    wait_for(lambda: _state(broadcast.pk) == "reconnecting", 15, "reconnecting")
    old = {uri: sequence for sequence, uri, _ in playlist_entries(_playlist(folder))}

    # Back inside the window: the same broadcast goes on.
    second = WhipPublisher(url, camera.stream_key, codec="H264")
    sender.publish(second)
    wait_for(
        lambda: len(set(playlist_segments(folder)) - set(old)) >= 2,
        20,
        "new segments after the publisher came back",
    )
    wait_for(lambda: _state(broadcast.pk) == "live", 10, "live again")
    entries = playlist_entries(_playlist(folder))
    first_new = next(entry for entry in entries if entry[1] not in old)
    assert first_new[2] is True, entries  # EXT-X-DISCONTINUITY where it came back
    assert first_new[0] > max(old.values()), entries
    assert _broadcast(broadcast.pk).stopped_at is None
    assert Broadcast.objects.filter(camera=camera).count() == 1

    # It leaves without a DELETE (a closed tab): the no-media watchdog ends the
    # session, and after the window the camera is stopped as lost.
    sender.call(second.close(send_delete=False))
    wait_for(
        lambda: _broadcast(broadcast.pk).stopped_at is not None,
        3 * settings.LIVE_SEGMENT_SECONDS + WINDOW_SECONDS + 15,
        "the camera to be stopped after the reconnect window",
    )
    assert _broadcast(broadcast.pk).stopped_by == CAMERA_LOST

    logs = procs.log_of(whip_process) + "".join(
        path.read_text(errors="replace") for path in folder.parent.glob(".*.ffmpeg.log")
    )
    assert "WHIP session" in logs and "started" in logs
    assert camera.stream_key not in logs


def _playlist(folder):
    return (folder / "index.m3u8").read_text()
