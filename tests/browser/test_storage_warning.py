"""The host card's object-storage warning in Chromium: readable on a phone and a desktop,
announced as a status, no axe violation, no secret. SCREENSHOTS=<folder> keeps the
pictures (375 px and 1280 px)."""

import os
from pathlib import Path

import pytest

from live.models import Recording, Source
from live.services.lifecycle import start_broadcast
from tests.browser.conftest import assert_no_axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROBLEM = "EndpointConnectionError"


@pytest.mark.parametrize("width", [375, 1280])
def test_the_storage_warning_is_on_the_host_card_at_every_width(
    live_server, new_context, event, staff_user, settings, width, tmp_path
):
    settings.LIVE_RECORDINGS_STORAGE = "s3"
    broadcast, _ = start_broadcast(event, Source.RTMP, "test")
    Recording.objects.filter(broadcast=broadcast).update(storage_problem=PROBLEM)
    context = new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")

    warning = page.get_by_test_id("storage-problem")
    warning.wait_for()
    assert warning.get_attribute("role") == "status"
    assert "not reaching object storage (EndpointConnectionError)" in warning.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_no_axe_violations(page)
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    warning.scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"storage-warning-{width}.png"))
