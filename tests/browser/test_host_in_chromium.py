"""The host page in Chromium: a phone's width in every state, focus after actions."""

import re

import pytest

from live.models import Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH_JS = "document.documentElement.scrollWidth"


def focus_on(page, element_id):
    """htmx moves focus once the swap has settled: wait for it (fails after the timeout)."""
    page.wait_for_function(
        f"() => document.activeElement && document.activeElement.id === '{element_id}'"
    )


def phone_host(new_context, live_server, event):
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    return page


def test_the_host_page_fits_a_phone_in_every_state(live_server, new_context, event, staff_user):
    tee = create_camera(event, "tee-10", "10th tee, the long par 5", source=Source.RTMP)
    page = phone_host(new_context, live_server, event)
    widths = {"idle": page.evaluate(WIDTH_JS)}

    page.get_by_role("button", name="Start Main camera").click()
    page.get_by_text("Main camera is live.").wait_for()
    page.get_by_role("button", name="Create viewer link").click()
    page.locator("#viewer-link").wait_for()
    widths["live, with a link"] = page.evaluate(WIDTH_JS)

    start_broadcast(tee, Source.RTMP, "test")  # waiting for its camera, started elsewhere
    page.goto(page.url)
    page.locator("#camera-tee-10 [data-testid=state]", has_text="Waiting").wait_for()
    widths["waiting"] = page.evaluate(WIDTH_JS)

    page.locator("#camera-tee-10 summary", has_text="Encoder setup").click()
    page.get_by_role("button", name="Show the stream key of 10th tee, the long par 5").click()
    widths["stream key shown"] = page.evaluate(WIDTH_JS)

    page.get_by_role("button", name=re.compile(r"Revoke link #\d+")).click()
    page.get_by_role("button", name=re.compile(r"Yes, revoke #\d+")).wait_for()
    widths["confirming a revoke"] = page.evaluate(WIDTH_JS)

    page.fill("#id_name", "The 18th green, behind the grandstand")
    page.fill("#id_slug", "Not A Valid Id With Spaces")
    page.get_by_role("button", name="Add camera").click()
    page.locator("#slug-error").wait_for()
    focus_on(page, "slug-error")
    assert page.get_attribute("#id_slug", "aria-invalid") == "true"
    widths["an error"] = page.evaluate(WIDTH_JS)

    stop_broadcast(event, "packager:camera-lost")
    page.locator("#camera-main [data-testid=state]", has_text="Ended").wait_for()
    widths["ended"] = page.evaluate(WIDTH_JS)

    assert max(widths.values()) <= 375, widths


def test_focus_lands_on_the_new_state_after_start_and_on_the_link_after_minting(
    live_server, new_context, event, staff_user
):
    page = phone_host(new_context, live_server, event)

    page.get_by_role("button", name="Start Main camera").click()
    page.get_by_text("Main camera is live.").wait_for()
    focus_on(page, "camera-main-name")

    page.get_by_role("button", name="Create viewer link").click()
    page.locator("#viewer-link").wait_for()
    focus_on(page, "viewer-link")


def test_a_change_elsewhere_redraws_the_card_and_is_announced_once(
    live_server, new_context, event, staff_user, fast_polling
):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    mint_viewer_link(broadcast, 600, "test")
    page = phone_host(new_context, live_server, event)
    page.locator("#camera-main video.preview").wait_for()
    page.locator("#camera-main .stop-form button").focus()

    stop_broadcast(event, "key:ops#abcd")

    page.locator("#host-announce", has_text="Main camera: Ended.").wait_for()
    card = page.locator("#camera-main")
    card.get_by_role("button", name="Start Main camera").wait_for()
    assert card.locator("video.preview").count() == 0  # the live preview (not the publisher's)
    assert "Stopped by API key “ops”" in card.inner_text()
    # Focus was on the Stop button, which is gone: it moved to the card, not to <body>.
    focus_on(page, "camera-main-name")
    page.wait_for_timeout(2500)  # more polls, nothing new: the announcement is not repeated
    assert page.locator("#host-announce").inner_text() == "Main camera: Ended."
