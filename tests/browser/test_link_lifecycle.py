"""Short-lived media URLs are re-signed while a link is valid; revoking a link bites."""

import re

import pytest

from live.services import access as access_module
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_media_urls(settings, monkeypatch):
    settings.LIVE_VIEWER_MEDIA_TTL = 3
    monkeypatch.setattr(access_module, "MEDIA_EXPIRY_STEP", 1)


def test_playback_outlives_its_first_signed_url(
    live_server, new_context, event, fast_polling, short_media_urls
):
    broadcast, _ = start_broadcast(event, "mock", "test")
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    page = new_context().new_page()
    signatures = set()
    page.on(
        "request",
        lambda request: signatures.update(re.findall(r"/hls/([^/]+)/[0-9]+/", request.url)),
    )
    refused = []
    page.on("response", lambda response: response.status >= 400 and refused.append(response))

    page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert_video_plays(page)
    page.wait_for_timeout(6000)  # twice the media URL lifetime
    assert_video_plays(page)

    assert len(signatures) >= 3, signatures
    assert refused == []


def test_a_revoked_link_stops_on_the_viewer_page(
    live_server, new_context, event, staff_user, fast_polling
):
    host = new_context().new_page()
    log_in(host, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    host.get_by_role("button", name="Start Main camera").click()
    host.get_by_text("Main camera is live.").wait_for()
    host.get_by_role("button", name="Create viewer link").click()
    link = host.input_value("#viewer-link")

    viewer = new_context().new_page()
    viewer.goto(link)
    assert_video_plays(viewer)
    host.wait_for_function(
        "() => document.querySelector('#host-links').textContent.includes('In use')"
    )

    host.get_by_role("button", name=re.compile(r"Revoke link #\d+")).click()
    confirm = host.get_by_role("button", name=re.compile(r"Yes, revoke #\d+"))
    confirm.wait_for()
    # The confirmation has keyboard focus (once the swap has settled), so Enter confirms.
    host.wait_for_function(
        "() => (document.activeElement.textContent || '').startsWith('Yes, revoke')"
    )
    confirm.click()
    host.get_by_text("The viewer link is revoked.").wait_for()
    assert "Revoked" in host.inner_text("#host-links")

    viewer.get_by_text("This link has been revoked").wait_for(timeout=5_000 * PATIENCE)
    assert viewer.locator("video").count() == 0
    assert viewer.goto(link).status == 403
