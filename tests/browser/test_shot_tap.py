"""The marshal's one tap on a phone (375 px): "Broadcast from this device" goes live
(against a WHIP answerer played by a second page, as in test_publish_panel.py), the
panel's big Shot button appears, and a tap makes a marshal shot a second before it,
with the player and hole typed, which the page remembers after a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Shot, Source
from live.services.cameras import create_camera
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.browser.test_publish_panel import ANSWER_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_phone_panels_shot_button_makes_a_shot_and_remembers_player_and_hole(
    live_server, camera_context, event, staff_user, settings
):
    settings.LIVEKIT_WHIP_URL = ""
    settings.LIVE_WHIP_PUBLIC_URL = f"{live_server.url}/whip"
    tee = create_camera(event, "tee-1", "1st tee", source=Source.LIVEKIT)
    make, _ = camera_context
    context = make(viewport={"width": 375, "height": 812}, bypass_csp=True)
    answerer = context.new_page()
    answerer.goto(f"{live_server.url}/accounts/login/")

    def whip(route, request):
        if request.method == "POST":
            sdp = answerer.evaluate(ANSWER_JS, request.post_data)
            location = f"/whip/{tee.ingest_name}/s1"
            headers = {"Location": location, "Content-Type": "application/sdp"}
            route.fulfill(status=201, headers=headers, body=sdp)
        else:
            route.fulfill(status=200, body="")

    page = context.new_page()
    page.route("**/whip/**", whip)
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    panel = page.locator("#publish-tee-1")
    shot_button = panel.get_by_role("button", name="Shot on 1st tee")
    panel.get_by_role("button", name="Go live from this device as 1st tee").click()
    panel.get_by_text("Live from this device.").wait_for()
    shot_button.wait_for()
    # The card's own Shot button gives way to the panel's while this device sends.
    assert page.locator("#camera-tee-1 .shot-form-card").is_hidden()

    panel.get_by_label("Player").fill("Ana Lopez")
    panel.get_by_label("Hole").fill("7")
    before = timezone.now()
    shot_button.click()
    panel.get_by_text("saved").wait_for()
    shot = Shot.objects.get()
    assert (shot.source, shot.player, shot.hole) == ("marshal", "Ana Lopez", 7)
    assert shot.camera_id == tee.pk
    second = timedelta(seconds=1)  # LIVE_SHOT_TAP_LAG_SECONDS
    assert before - second <= shot.at <= timezone.now() - second
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_no_axe_violations(page)

    page.reload()
    card = page.locator("#camera-tee-1")
    assert card.locator("[data-shot-player]").first.input_value() == "Ana Lopez"
    assert card.locator("[data-shot-hole]").first.input_value() == "7"
