"""Watching now in Chromium: a playing page counts, and stops counting when it goes.

The window and heartbeat are short here (6 s and 2 s) so the test proves the
window without waiting the default 60 s.
"""

import time

import pytest

from live.models import Viewer
from live.services.audience import audience_of
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import assert_video_plays
from tests.processes import PATIENCE

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = 6
HEARTBEAT = 2


@pytest.fixture
def short_window(settings):
    settings.LIVE_WATCHING_WINDOW_SECONDS = WINDOW
    settings.LIVE_VIEWER_HEARTBEAT_SECONDS = HEARTBEAT


@pytest.fixture
def playing(live_server, new_context, event, short_window):
    """A broadcast and a Chromium page playing it through a viewer link; the count is 1."""
    broadcast, _ = start_broadcast(event, "mock", "test")
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    page = new_context().new_page()
    heartbeats = []
    page.on("request", lambda r: "/live-view/heartbeat" in r.url and heartbeats.append(r))
    page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert_video_plays(page)
    assert wait_for(lambda: watching(broadcast) == 1, 5) is not None
    return broadcast, page, heartbeats


def watching(broadcast):
    return audience_of(broadcast)["watchingNow"]


def wait_for(condition, seconds):
    """Seconds until the condition held, or None if it did not within ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds * PATIENCE:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def test_heartbeats_keep_a_playing_page_watching_past_the_window(playing):
    broadcast, page, heartbeats = playing

    page.wait_for_timeout((WINDOW + 2) * 1000)  # Playwright's events arrive meanwhile

    assert watching(broadcast) == 1
    assert len(heartbeats) >= 3, [r.url for r in heartbeats]
    assert audience_of(broadcast) == {"watchingNow": 1, "uniqueViewers": 1, "peakWatching": 1}


def test_a_page_that_goes_away_drops_out_at_once_with_its_leave_beacon(playing):
    broadcast, page, _ = playing

    page.goto("about:blank")  # pagehide: the leave beacon goes out

    dropped_after = wait_for(lambda: watching(broadcast) == 0, 3)
    assert dropped_after is not None, "the leave beacon did not drop the viewer"
    assert Viewer.objects.get().last_seen_at is None  # the leave, not the window
    assert audience_of(broadcast) == {"watchingNow": 0, "uniqueViewers": 1, "peakWatching": 1}


def test_a_page_killed_without_pagehide_drops_out_within_the_window(playing):
    broadcast, page, _ = playing

    # Nothing reaches the server any more, as when a phone kills the tab or loses its
    # network: the leave beacon and the heartbeats go nowhere, then the page closes.
    page.evaluate(
        "() => { navigator.sendBeacon = () => true;"
        " window.fetch = () => new Promise(() => {}); }"
    )
    page.close(run_before_unload=False)
    killed = time.monotonic()

    assert watching(broadcast) == 1  # nothing told the server yet
    dropped_after = wait_for(lambda: watching(broadcast) == 0, WINDOW + HEARTBEAT + 3)
    assert dropped_after is not None, "the viewer never dropped out"
    gone = time.monotonic() - killed
    # Last heartbeat at most HEARTBEAT s before the kill, then the window ran out.
    assert WINDOW - HEARTBEAT - 1 <= gone <= WINDOW + 2, gone
    assert Viewer.objects.get().last_seen_at is not None  # no leave reached the server
    assert audience_of(broadcast)["uniqueViewers"] == 1
