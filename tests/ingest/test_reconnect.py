"""A camera that drops and comes back inside the reconnect window continues its broadcast."""

import time

import pytest

from live.models import Broadcast
from tests.browser.conftest import PLAYS_JS, assert_video_plays
from tests.processes import request, stop_process, wait_for
from tests.ingest.support import (
    marked_pids,
    playlist_entries,
    playlist_segments,
    probe_codecs,
    wait_for_playable_segments,
)

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def _status(api, event_id, token=None):
    answer = api.status(event_id, token)
    assert answer.status == 200, answer.text
    return answer.json()


def _unsigned(hls_path):
    """/hls/<sig>/<expiry>/<stream>/<file> -> <stream>/<file>."""
    return hls_path.split("/", 4)[4]


def _entries(folder):
    return playlist_entries((folder / "index.m3u8").read_text())


def _drop_and_return(api, event, folder, token, drop, bring_back, ready=lambda: True):
    """Drop the camera, see health go stalled, bring it back, see it resume."""
    before = _status(api, event.pk, token)
    wait_for(lambda: _status(api, event.pk)["health"] == "receiving", 10, "health receiving")
    drop()
    stalled = wait_for(
        lambda: (lambda s: s if s["health"] == "stalled" else None)(_status(api, event.pk)),
        15,
        "health stalled after the camera dropped",
    )
    assert stalled["reconnecting"] is True and stalled["running"] is True
    wait_for(ready, 15, "the ingest to take a camera again")
    old = _entries(folder)
    old_sequence = {uri: sequence for sequence, uri, _ in old}

    bring_back()
    wait_for(
        lambda: len(set(playlist_segments(folder)) - set(old_sequence)) >= 2,
        30,
        "new segments after the camera came back",
    )
    back = wait_for(
        lambda: (lambda s: s if s["health"] == "receiving" else None)(_status(api, event.pk)),
        10,
        "health receiving again",
    )
    assert back["reconnecting"] is False

    # The playlist goes on: segments already listed keep their sequence numbers,
    # the new ones follow them, and a discontinuity marks where the camera came back.
    entries = _entries(folder)
    kept = [(sequence, uri) for sequence, uri, _ in entries if uri in old_sequence]
    assert kept and all(old_sequence[uri] == sequence for sequence, uri in kept), (old, entries)
    first_new = next(entry for entry in entries if entry[1] not in old_sequence)
    assert first_new[2] is True, entries  # EXT-X-DISCONTINUITY right before it
    assert first_new[0] == kept[-1][0] + 1, entries
    assert probe_codecs(folder / entries[-1][1]) == {"video": "h264", "audio": "aac"}

    after = _status(api, event.pk, token)
    assert after["broadcastId"] == before["broadcastId"]
    # Viewers keep their link and their playlist URL: the same stream folder (the
    # signature is re-issued in 30 s steps), and the URL they hold still serves it.
    assert _unsigned(after["hlsPath"]) == _unsigned(before["hlsPath"])
    held = request(api.port, "GET", before["hlsPath"])
    assert held.status == 200 and entries[-1][1].encode() in held.body


@pytest.mark.browser
def test_an_srt_camera_that_drops_and_returns_continues_the_broadcast(
    api, event, nginx, start_packager, camera, data_dir, new_context, live_server
):
    """nginx (with its RTMP module) runs too, on the same data dir, as in production."""
    start_packager()
    started = api.start(event.pk, "srt")
    assert started.status == 201, started.text
    answer = started.json()
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    minted = api.token(event.pk).json()

    first = camera(answer["ingest"]["url"], "mpegts")
    wait_for_playable_segments(folder, count=2, timeout=20)
    page = new_context().new_page()
    page.goto(f"{live_server.url}{minted['viewerUrl']}")
    assert_video_plays(page)
    listener = marked_pids(broadcast.pk)

    def new_listener():
        # The old listener notices the silence (SRT's peer idle timeout, 5 s),
        # exits, and the packager starts another on the same port.
        return marked_pids(broadcast.pk) not in ([], listener)

    def bring_back():
        # An encoder retries until a listener accepts it.
        camera(answer["ingest"]["url"], "mpegts", name="camera-again", reconnect=True)

    _drop_and_return(
        api, event, folder, minted["token"], first.kill, bring_back, ready=new_listener
    )
    assert Broadcast.objects.filter(event=event).count() == 1

    # The player that was watching carries on by itself.
    resumed_at = page.evaluate("document.querySelector('video').currentTime")
    wait_for(
        lambda: page.evaluate("document.querySelector('video').currentTime") > resumed_at + 1.5,
        20,
        "the viewer's player to play on after the reconnect",
        interval=0.25,
    )
    assert page.evaluate(PLAYS_JS)


def test_an_rtmp_camera_that_drops_and_returns_continues_the_broadcast(
    api, event, nginx, start_packager, camera, data_dir
):
    start_packager()
    started = api.start(event.pk, "rtmp")
    assert started.status == 201, started.text
    answer = started.json()
    broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
    folder = data_dir / "hls" / broadcast.stream_name
    token = api.token(event.pk).json()["token"]

    first = camera(answer["ingest"]["publishUrl"], "flv")
    wait_for_playable_segments(folder, count=2, timeout=20)

    dropped = []

    def drop():
        first.kill()
        stop_process(first)
        dropped.append(time.monotonic())

    def away_longer_than_the_playlist():
        # nginx-rtmp would delete a playlist not rewritten for 6 s (hls_cleanup).
        time.sleep(max(0, dropped[0] + 8 - time.monotonic()))
        return True

    def bring_back():
        camera(answer["ingest"]["publishUrl"], "flv", name="camera-again")

    _drop_and_return(
        api, event, folder, token, drop, bring_back, ready=away_longer_than_the_playlist
    )
    assert Broadcast.objects.filter(event=event).count() == 1
