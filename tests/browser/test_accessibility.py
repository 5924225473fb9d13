"""axe-core's WCAG checks on every page a viewer or a marshal sees, in Chromium."""

import time

import pytest

from live.models import Source
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import assert_no_axe_violations, assert_video_plays, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def page(new_context):
    return new_context(bypass_csp=True, viewport={"width": 375, "height": 720}).new_page()


def open_viewer(page, live_server, event, token):
    return page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")


def test_the_login_page(live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_no_axe_violations(page)


def test_the_viewer_page_waiting_for_the_camera(live_server, page, event):
    broadcast, _ = start_broadcast(event, Source.RTMP, "test")
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    open_viewer(page, live_server, event, token)
    page.get_by_text("The broadcast has not started yet").wait_for()
    assert_no_axe_violations(page)


def test_the_viewer_page_playing_and_ended(live_server, page, event, fast_polling):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    open_viewer(page, live_server, event, token)
    assert_video_plays(page)
    assert_no_axe_violations(page)

    stop_broadcast(event, "test")
    page.get_by_text("This broadcast has ended").wait_for()
    assert_no_axe_violations(page)


def test_the_viewer_page_of_an_expired_link(live_server, page, event):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    token, claims, _ = mint_viewer_link(broadcast, 1, "test")
    time.sleep(max(0.0, claims.expires - time.time()) + 1)
    assert open_viewer(page, live_server, event, token).status == 410
    assert_no_axe_violations(page)


def test_the_host_page_idle_and_live(live_server, new_context, event, staff_user):
    page = new_context(bypass_csp=True).new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Start Main camera").click()
    page.get_by_text("Main camera is live.").wait_for()
    page.locator("video.preview").wait_for()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Create viewer link").click()
    page.locator("#viewer-link").wait_for()
    page.locator("#camera-main summary", has_text="Camera settings").click()
    assert_no_axe_violations(page)  # with the links table and an open settings panel

    page.check('#camera-main form[action$="/live-host/stop"] input[name=confirm]')
    page.get_by_role("button", name="Stop Main camera").click()
    page.locator("#camera-main").get_by_role("button", name="Play the recording").click()
    page.locator("#camera-main .recording-player video").wait_for()
    assert_no_axe_violations(page)  # the recordings list playing one, the clip form


def test_the_control_room_and_a_card_opened_from_it(live_server, new_context, event, staff_user):
    from live.services.cameras import create_camera, note_refused_publish

    tees = [create_camera(event, f"tee-{n}", f"Tee {n}") for n in range(2, 6)]
    start_broadcast(tees[0], Source.MOCK, "test")
    start_broadcast(tees[1], Source.RTMP, "test")
    note_refused_publish(tees[2].ingest_name, "203.0.113.9", "wrong stream key")
    for width in (375, 1280):
        page = new_context(bypass_csp=True, viewport={"width": width, "height": 800}).new_page()
        log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
        page.get_by_test_id("tile").first.wait_for()
        assert_no_axe_violations(page)
    page.locator("#tile-tee-4 .tile-name a").click()
    page.locator("#camera-tee-4").wait_for()
    assert_no_axe_violations(page)
