"""Cameras in Chromium: links that outlive a break, two cameras at once, the switcher, and a
viewer who keeps watching when a short link expires."""

import time

import pytest

from live.models import Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import assert_video_plays

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def viewer_url(live_server, event, token, camera=None):
    url = f"{live_server.url}/events/{event.pk}/live-view?token={token}"
    return f"{url}&camera={camera}" if camera else url


def test_a_link_from_one_broadcast_plays_the_next_after_a_break_by_itself(
    live_server, new_context, event, fast_polling
):
    first, _ = start_broadcast(event, Source.MOCK, "test")
    token, _, _ = mint_viewer_link(first, 600, "test")
    page = new_context().new_page()
    page.goto(viewer_url(live_server, event, token))
    assert_video_plays(page)
    page.evaluate("window.sameDocument = true")

    stop_broadcast(event, "test")
    page.get_by_text("This broadcast has ended").wait_for()
    assert page.locator("#live-video").count() == 0  # only the replay of broadcast 1

    second, _ = start_broadcast(event, Source.MOCK, "test")
    assert_video_plays(page)
    assert second.stream_name in page.evaluate("document.querySelector('video').dataset.hlsSrc")
    assert page.evaluate("window.sameDocument") is True  # no reload


def test_two_cameras_play_at_once_and_the_switcher_changes_camera_in_place(
    live_server, new_context, event, fast_polling
):
    tee = create_camera(event, "tee-10", "10th tee")
    main, _ = start_broadcast(event, Source.MOCK, "test")
    ten, _ = start_broadcast(tee, Source.MOCK, "test")
    camera_link, _, _ = mint_viewer_link(ten, 600, "test", camera=tee)
    event_link, _, _ = mint_viewer_link([main, ten], 600, "test")

    own = new_context().new_page()
    own.goto(viewer_url(live_server, event, camera_link))
    other = new_context().new_page()
    other.goto(viewer_url(live_server, event, event_link, camera="main"))
    assert_video_plays(own)
    assert_video_plays(other)
    assert ten.stream_name in own.evaluate("document.querySelector('video').dataset.hlsSrc")
    assert main.stream_name in other.evaluate("document.querySelector('video').dataset.hlsSrc")

    other.evaluate("window.sameDocument = true")
    other.get_by_role("link", name="10th tee").click()
    other.wait_for_url("**camera=tee-10")
    other.wait_for_function(
        f"() => (document.querySelector('video') || {{dataset: {{}}}}).dataset.hlsSrc"
        f"?.includes('{ten.stream_name}')"
    )
    assert_video_plays(other)
    assert other.evaluate("window.sameDocument") is True

    # The camera link is refused on the other camera.
    refused = new_context().new_page()
    response = refused.goto(viewer_url(live_server, event, camera_link, camera="main"))
    assert response.status == 403
    assert refused.get_by_text("This link is for another camera").is_visible()


def test_a_viewer_playing_when_a_short_link_expires_keeps_playing(
    live_server, new_context, event, fast_polling
):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    token, claims, _ = mint_viewer_link(broadcast, 8, "test")
    page = new_context().new_page()
    page.goto(viewer_url(live_server, event, token))
    assert_video_plays(page)
    page.wait_for_function("() => document.getElementById('viewer').dataset.joined")

    time.sleep(max(0.0, claims.expires - time.time()) + 3)  # past the expiry, a few polls on
    assert_video_plays(page)
    assert page.locator("video").count() == 1

    fresh = new_context().new_page()
    assert fresh.goto(viewer_url(live_server, event, token)).status == 410
    assert fresh.get_by_text("This link has expired").is_visible()
