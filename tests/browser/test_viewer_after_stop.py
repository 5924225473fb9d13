"""After Stop in Chromium: the viewer page says the broadcast ended within seconds (the
player's stall or the playlist's end asks the page's poll at once), then offers the
replay under the next tee time's countdown and plays it only when asked, through the
poll's redraws."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, Source
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.schedules import set_schedule
from live.services.viewer_links import mint_viewer_link
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPLAY_PLAYS_JS = (
    "() => { const v = document.querySelector('[data-testid=replay] video');"
    " return v && !v.paused && v.currentTime > 1 && v.videoWidth > 0; }"
)


def test_ended_within_5_s_then_the_replay_is_offered_under_the_countdown(
    live_server, new_context, event, settings
):
    # The page's own poll while playing is slower than the 5 s allowed: only the player's
    # prompt can make it.
    settings.LIVE_VIEWER_PLAYING_POLL_SECONDS = 30
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    Broadcast.objects.filter(pk=broadcast.pk).update(
        started_at=broadcast.started_at - timedelta(seconds=30)
    )
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    page = new_context(viewport={"width": 375, "height": 720}).new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url.split("?")[0]))
    page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert_video_plays(page)

    # A break: the next tee time is in two hours.
    camera = broadcast.camera
    start_at = timezone.now() + timedelta(hours=2)
    set_schedule(camera, start_at, start_at + timedelta(hours=1), actor="test")
    stopped = time.monotonic()
    stop_broadcast(event, "test")
    page.get_by_text("This broadcast has ended").wait_for(timeout=30_000 * PATIENCE)
    took = time.monotonic() - stopped
    print(f"ended shown {took:.1f} s after Stop")
    assert took <= 5, f"the page said it ended {took:.1f} s after Stop"

    # The countdown first, then the replay: offered, not playing.
    countdown = page.get_by_test_id("schedule-countdown")
    offer = page.get_by_role("button", name="Play the replay")
    assert countdown.bounding_box()["y"] < offer.bounding_box()["y"]
    replay = page.locator("[data-testid=replay] video")
    assert replay.evaluate("v => v.paused && !v.currentSrc")
    assert not [url for url in requests if url.endswith("/recording.m3u8")]

    offer.click()
    page.wait_for_function(REPLAY_PLAYS_JS, timeout=20_000 * PATIENCE)
    assert replay.evaluate("v => !v.muted")  # asked for: with sound
    assert [url for url in requests if url.endswith("/recording.m3u8")]

    # The poll redraws the message when the countdown changes: the replay plays on.
    replay.evaluate("v => { window.playingReplay = v; }")
    start_at = timezone.now() + timedelta(hours=5)
    set_schedule(camera, start_at, start_at + timedelta(hours=1), actor="test")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=schedule-countdown]')"
        ".textContent.includes('5 h') || document.querySelector"
        "('[data-testid=schedule-countdown]').textContent.includes('4 h')",
        timeout=30_000,
    )
    assert replay.evaluate("v => v === window.playingReplay && !v.paused")
    page.wait_for_function(REPLAY_PLAYS_JS)
