"""Rewind during live in Chromium: each Back 30 s goes 30 s further back into the recorded
window (dvr.m3u8), measured from what the video can seek, and one Go live tap comes back
to the live edge (index.m3u8)."""

from datetime import timedelta

import pytest

from live.models import Broadcast, Source
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import assert_video_plays

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How far behind the end of its seekable range the picture is, while it plays.
BEHIND_JS = (
    "() => { const v = document.querySelector('video'); const s = v.seekable;"
    " return s.length && !v.seeking && v.readyState >= 3"
    " ? s.end(s.length - 1) - v.currentTime : null; }"
)


def behind_after(page, condition):
    """The distance behind once it satisfies ``condition`` (a JS expression on b)."""
    page.wait_for_function(
        f"() => {{ const b = ({BEHIND_JS})(); return b !== null && ({condition}); }}",
        timeout=30_000,
    )
    return page.evaluate(f"({BEHIND_JS})()")


def test_each_back_30_s_goes_30_s_further_then_go_live(live_server, new_context, event):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    # The mock's recording began two minutes ago: room for two presses.
    Broadcast.objects.filter(pk=broadcast.pk).update(
        started_at=broadcast.started_at - timedelta(seconds=120)
    )
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    page = new_context().new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url.rsplit("/", 1)[-1]))
    page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert_video_plays(page)
    assert "dvr.m3u8" not in requests  # at the edge, only the short playlist

    at_edge = behind_after(page, "true")
    page.get_by_role("button", name="Back 30 s").click()
    first = behind_after(page, f"b > {at_edge} + 15")
    assert "dvr.m3u8" in requests
    assert abs(first - at_edge - 30) <= 2, (at_edge, first)
    page.get_by_text("Behind live").wait_for()

    page.get_by_role("button", name="Back 30 s").click()
    second = behind_after(page, f"b > {first} + 15")
    assert abs(second - first - 30) <= 2, (first, second)

    page.get_by_role("button", name="Go live").click()
    behind_after(page, "b < 4")
    assert_video_plays(page)
