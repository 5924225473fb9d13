"""A stored replay through an edge whose media host is gone: real nginx (`--role edge`),
Django (the live server) and moto's S3 server on a loopback port (tests/s3_server.py: a
real S3 API over HTTP, since no S3 server is installable here)."""

import time
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from live.models import Recording, RecordingState
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.media import MediaPath, sign_media_path
from live.services.nginx_config import Origin
from tests.processes import free_tcp_port, request
from tests.s3_server import PREFIX, s3, s3_server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.delivery, pytest.mark.django_db(transaction=True)]

PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\np1/0.ts\n#EXT-X-ENDLIST\n"


def test_a_stored_replay_plays_through_an_edge_whose_media_host_is_gone(
    start_nginx, event, s3, live_server  # noqa: F811
):
    live_server_port = urlsplit(live_server.url).port
    broadcast, _ = start_broadcast(event, "rtmp", "test")
    stop_broadcast(event, "test")
    Recording.objects.filter(broadcast=broadcast).update(
        state=RecordingState.READY, stored_at=timezone.now(), duration_seconds=2
    )
    stream = broadcast.stream_name
    for key, body in (("recording.m3u8", PLAYLIST.encode()), ("p1/0.ts", b"\x47" * 188)):
        s3.client.put_object(Bucket=s3.name, Key=f"{PREFIX}/{stream}/{key}", Body=body)
    dead_host = Origin("a", f"127.0.0.1:{free_tcp_port()}")  # nothing listens there
    edge = start_nginx(role="edge", origins=[dead_host], apps=[f"127.0.0.1:{live_server_port}"])

    def get(file, expires=None, base=""):
        path = sign_media_path(MediaPath(stream, file), expires or int(time.time()) + 600)
        return request(edge.port, "GET", f"{base}{path}")

    replay = get("recording.m3u8")
    assert replay.status == 200 and replay.text == PLAYLIST
    segment = get("p1/0.ts")
    assert segment.status == 200 and segment.body == b"\x47" * 188
    assert get("recording.m3u8", expires=int(time.time()) - 5).status == 410  # at the edge
    # A named media host's (live) URL still answers 502: the next poll moves on.
    assert get("recording.m3u8", base="/media/a").status == 502
