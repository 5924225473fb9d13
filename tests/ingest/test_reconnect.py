"""A camera that drops and comes back inside the reconnect window continues its broadcast."""

import pytest

from live.models import Broadcast
from tests.ingest.support import (
    fetch,
    marked_pids,
    playlist_segments,
    probe_codecs,
    stop_process,
    wait_for,
    wait_for_playable_segments,
)

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def _status(api, event_id, token=None):
    status, answer = api.status(event_id, token)
    assert status == 200, answer
    return answer


def _unsigned(hls_path):
    """/hls/<sig>/<expiry>/<stream>/<file> -> <stream>/<file>."""
    return hls_path.split("/", 4)[4]


def _drop_and_return(api, event, folder, token, bring_back):
    """Kill the camera's feed, see it stall, bring it back, see it resume. Returns the
    playlist text after the return."""
    before = _status(api, event.pk, token)
    wait_for(lambda: _status(api, event.pk)["health"] == "receiving", 10, "health receiving first")
    old_segments = set(playlist_segments(folder))

    stalled = wait_for(
        lambda: (lambda s: s if s["health"] == "stalled" else None)(_status(api, event.pk)),
        15,
        "health stalled after the camera dropped",
    )
    assert stalled["reconnecting"] is True
    assert stalled["running"] is True

    bring_back()
    wait_for(
        lambda: len(set(playlist_segments(folder)) - old_segments) >= 2,
        30,
        "new segments after the camera came back",
    )
    back = wait_for(
        lambda: (lambda s: s if s["health"] == "receiving" else None)(_status(api, event.pk)),
        10,
        "health receiving again",
    )
    assert back["reconnecting"] is False
    after = _status(api, event.pk, token)
    assert after["broadcastId"] == before["broadcastId"]
    # Viewers keep their link and their playlist URL: the same stream folder (the
    # signature is re-issued in 30 s steps), and the URL they hold still serves it.
    assert _unsigned(after["hlsPath"]) == _unsigned(before["hlsPath"])
    code, body = fetch(f"{api.base_url}{before['hlsPath']}")
    assert code == 200 and sorted(set(playlist_segments(folder)) - old_segments)[-1] in str(body)
    new_segment = sorted(set(playlist_segments(folder)) - old_segments)[-1]
    assert probe_codecs(folder / new_segment) == {"video": "h264", "audio": "aac"}
    return (folder / "index.m3u8").read_text()


def test_an_srt_camera_that_drops_and_returns_continues_the_broadcast(
    api, event, start_packager, camera, data_dir
):
    start_packager()
    status, answer = api.start(event.pk, "srt")
    assert status == 201, answer
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    token = api.token(event.pk)[1]["token"]

    first = camera(answer["ingest"]["url"], "mpegts")
    wait_for_playable_segments(folder, count=2, timeout=20)
    listener = marked_pids(broadcast.pk)
    first.kill()  # the camera vanishes without a goodbye

    def bring_back():
        # An encoder retries until the packager's new listener accepts it.
        camera(answer["ingest"]["url"], "mpegts", name="camera-again", reconnect=True)

    playlist = _drop_and_return(api, event, folder, token, bring_back)
    assert "#EXT-X-DISCONTINUITY" in playlist
    assert marked_pids(broadcast.pk) != listener  # a fresh listener took the camera back
    assert Broadcast.objects.filter(event=event).count() == 1


def test_an_rtmp_camera_that_drops_and_returns_continues_the_broadcast(
    api, event, nginx, start_packager, camera, data_dir
):
    start_packager()
    status, answer = api.start(event.pk, "rtmp")
    assert status == 201, answer
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    token = api.token(event.pk)[1]["token"]

    first = camera(answer["ingest"]["publishUrl"], "flv")
    wait_for_playable_segments(folder, count=2, timeout=20)
    first.kill()
    stop_process(first)

    def bring_back():
        camera(answer["ingest"]["publishUrl"], "flv", name="camera-again")

    playlist = _drop_and_return(api, event, folder, token, bring_back)
    assert "#EXT-X-DISCONTINUITY" in playlist
    assert Broadcast.objects.filter(event=event).count() == 1
