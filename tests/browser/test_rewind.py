"""Rewind during live in Chromium: each Back 30 s goes 30 s further back into the recorded
window (dvr.m3u8), measured from what the video can seek, and one Go live tap comes back
to the live edge (index.m3u8)."""

from datetime import timedelta

import pytest

from live.models import Broadcast, Source
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How far behind the end of its seekable range the picture is, once it plays steadily.
BEHIND_JS = (
    "() => { const v = document.querySelector('video'); const s = v.seekable;"
    " return s.length && !v.seeking && v.readyState >= 3"
    " ? s.end(s.length - 1) - v.currentTime : null; }"
)

# Presses Back 30 s and answers [behind just before, behind when the seek it caused is
# done], both from video.seekable: the time a seek takes under load is not counted.
PRESS_JS = """() => new Promise((resolve) => {
  const v = document.querySelector('video');
  const behind = () => { const s = v.seekable; return s.end(s.length - 1) - v.currentTime; };
  const before = behind();
  const check = () => {
    if (!v.seekable.length || behind() < before + 15) return;
    v.removeEventListener('seeked', check);
    resolve([before, behind()]);
  };
  v.addEventListener('seeked', check);
  // A press that never goes back answers too (after 30 s), so that the test fails.
  setTimeout(() => resolve([before, behind()]), 30000);
  document.querySelector('[data-rewind]').click();
})"""


def press_back_30(page):
    page.wait_for_function(f"() => ({BEHIND_JS})() !== null", timeout=30_000 * PATIENCE)
    return page.evaluate(PRESS_JS)


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

    at_edge, first = press_back_30(page)
    assert "dvr.m3u8" in requests
    assert abs(first - at_edge - 30) <= 2, (at_edge, first)
    page.get_by_text("Behind live").wait_for()

    before, second = press_back_30(page)
    assert abs(second - before - 30) <= 2, (before, second)

    page.get_by_role("button", name="Go live").click()
    page.wait_for_function(
        f"() => {{ const b = ({BEHIND_JS})(); return b !== null && b < 4; }}", timeout=30_000
    )
    assert_video_plays(page)
