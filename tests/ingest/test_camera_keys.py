"""A camera's stream key, set up once, through real nginx-rtmp and ffmpeg: it opens every
broadcast of the camera, each under a new media path, until staff rotate it."""

import pytest

from live.models import Broadcast, Camera
from live.services.cameras import rotate_stream_key
from live.services.sources import ingest_for
from tests.ingest.support import (
    paths_under,
    playlist_segments,
    wait_exit,
    wait_for_playable_segments,
)
from tests.processes import wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def test_one_stream_key_opens_successive_broadcasts_until_it_is_rotated(
    api, event, nginx, camera, data_dir
):
    first = api.start(event.pk, "rtmp")
    assert first.status == 201, first.text
    publish_url = first.json()["ingest"]["publishUrl"]
    one = Broadcast.objects.get(pk=first.json()["broadcastId"])

    pushing = camera(publish_url, "flv", name="obs-1")
    wait_for_playable_segments(data_dir / "hls" / one.stream_name, count=1, timeout=20)

    # A break: stop (nginx drops the feed), then start again with the same encoder settings.
    assert api.stop(event.pk).status == 200
    assert wait_exit(pushing, 8) != 0
    second = api.start(event.pk, "rtmp")
    assert second.status == 201, second.text
    assert second.json()["ingest"]["publishUrl"] == publish_url
    two = Broadcast.objects.get(pk=second.json()["broadcastId"])
    assert two.stream_name != one.stream_name

    pushing = camera(publish_url, "flv", name="obs-2")
    wait_for_playable_segments(data_dir / "hls" / two.stream_name, count=1, timeout=20)
    camera_row = Camera.objects.get(pk=two.camera_id)
    assert not [p for p in paths_under(data_dir) if camera_row.stream_key in p]
    assert not [p for p in paths_under(data_dir) if camera_row.ingest_name in p]

    # Rotation: the feed on the old key is dropped (on_update) and a reconnect refused.
    rotate_stream_key(camera_row, "test")
    assert wait_exit(pushing, 8) != 0
    refused = camera(publish_url, "flv", name="obs-old-key", seconds=5)
    assert wait_exit(refused, 15) != 0
    new_url = ingest_for(Camera.objects.get(pk=two.camera_id), "rtmp")["publishUrl"]
    assert new_url != publish_url
    folder = data_dir / "hls" / two.stream_name
    before = set(playlist_segments(folder))
    camera(new_url, "flv", name="obs-new-key")
    wait_for(lambda: set(playlist_segments(folder)) - before, 20, "segments from the new key")
