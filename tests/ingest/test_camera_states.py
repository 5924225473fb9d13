"""The camera's state on the host and viewer pages with a real camera (nginx-rtmp, ffmpeg,
the packager, Chromium): waiting is not live, live follows the first segment, an outage
shows "reconnecting" and playback comes back."""

import pytest

from live.models import Broadcast
from live.services.viewer_links import mint_viewer_link
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays, log_in
from tests.ingest.support import playlist_segments, wait_exit
from tests.processes import stop_process, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BADGE = "#camera-main [data-testid=state]"


def test_waiting_is_not_live_and_live_follows_the_first_segment(
    api, event, nginx, start_packager, camera, data_dir, new_context, live_server, staff_user,
    fast_polling,
):  # fmt: skip
    start_packager()
    host = new_context().new_page()
    log_in(host, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    host.select_option("#source-main", "rtmp")
    host.get_by_role("button", name="Start Main camera").click()
    host.get_by_text("Main camera has started: waiting for the camera").wait_for()
    broadcast = Broadcast.objects.get(stopped_at=None)
    host.wait_for_timeout(2500)  # a few polls: still waiting, never "Live"
    assert "Waiting" in host.inner_text(BADGE)
    assert api.status(event.pk).json()["state"] == "waiting"

    ingest = api.start(event.pk, "rtmp").json()["ingest"]
    camera(ingest["publishUrl"], "flv")
    folder = data_dir / "hls" / broadcast.stream_name
    wait_for(lambda: playlist_segments(folder), 20, "a segment")

    # By the host page's own poll, without a reload.
    host.locator(BADGE, has_text="Live").wait_for(timeout=40_000 * PATIENCE)
    # The preview appears with the new state and plays by itself, no reload.
    host.wait_for_function(
        "() => { const v = document.querySelector('#camera-main video.preview');"
        " return v && v.videoWidth > 0 && v.currentTime > 0; }",
        timeout=20_000 * PATIENCE,
    )


def test_an_outage_shows_reconnecting_to_the_viewer_and_playback_comes_back(
    api, event, nginx, start_packager, camera, data_dir, new_context, live_server, fast_polling,
    settings,
):  # fmt: skip
    start_packager()
    started = api.start(event.pk, "rtmp").json()
    broadcast = Broadcast.objects.get(pk=started["broadcastId"])
    pushing = camera(started["ingest"]["publishUrl"], "flv", name="camera-1")
    wait_for(lambda: len(playlist_segments(data_dir / "hls" / broadcast.stream_name)) >= 2, 20,
             "segments")  # fmt: skip
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    viewer = new_context().new_page()
    viewer.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert_video_plays(viewer)

    stop_process(pushing)
    wait_exit(pushing, 5)
    viewer.get_by_text("Camera reconnecting…").wait_for(timeout=15_000 * PATIENCE)
    assert api.status(event.pk).json()["state"] == "reconnecting"
    viewer.wait_for_timeout(4000)  # the outage lasts about 10 s in all

    camera(started["ingest"]["publishUrl"], "flv", name="camera-2")
    viewer.locator("video").wait_for(timeout=20_000 * PATIENCE)
    assert_video_plays(viewer)
    assert api.status(event.pk).json()["broadcastId"] == broadcast.pk
