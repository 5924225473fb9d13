"""Rewind during live in Chromium: the viewer goes back into the recorded window (dvr.m3u8)
and comes back to the live edge (index.m3u8) with one Go live tap."""

from datetime import timedelta

import pytest

from live.models import Broadcast, Source
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import assert_video_plays

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEHIND_JS = (
    "() => { const v = document.querySelector('video'); const h = v._hls;"
    " return h && h.liveSyncPosition != null ? h.liveSyncPosition - v.currentTime : null; }"
)


def test_back_30_s_then_go_live(live_server, new_context, event):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    # The mock's recording began a minute ago, so there are 60 s to go back into.
    Broadcast.objects.filter(pk=broadcast.pk).update(
        started_at=broadcast.started_at - timedelta(seconds=60)
    )
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    page = new_context().new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url.rsplit("/", 1)[-1]))
    page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert_video_plays(page)
    assert "dvr.m3u8" not in requests  # at the edge, only the short playlist

    page.get_by_role("button", name="Back 30 s").click()
    page.wait_for_function(f"() => {{ const b = ({BEHIND_JS})(); return b !== null && b > 20; }}")
    assert "dvr.m3u8" in requests
    page.get_by_text("Behind live").wait_for()

    page.get_by_role("button", name="Go live").click()
    page.wait_for_function(f"() => {{ const b = ({BEHIND_JS})(); return b !== null && b < 3; }}")
    assert_video_plays(page)
