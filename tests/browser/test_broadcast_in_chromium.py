"""The whole broadcast, staff and viewer, in Debian's real Chromium."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from live.models import Broadcast, Viewer
from live.services.tokens import mint_viewer_token
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_start_mint_copy_and_a_viewer_watches_until_stop(
    live_server, new_context, event, staff_user, fast_polling
):
    base = live_server.url
    host_path = f"/events/{event.pk}/live-host"
    staff = new_context(permissions=["clipboard-read", "clipboard-write"])
    host = staff.new_page()
    log_in(host, base, "marshal", "pw-marshal-123", host_path)

    host.select_option("#source-main", "mock")
    host.get_by_role("button", name="Start Main camera").click()
    host.get_by_text("Main camera is live.").wait_for()
    assert Broadcast.objects.filter(event=event, stopped_at__isnull=True).count() == 1

    host.select_option("#id_ttl", "3600")
    host.get_by_role("button", name="Create viewer link").click()
    link = host.input_value("#viewer-link")
    assert link.startswith(f"{base}/events/{event.pk}/live-view?token=")
    host.get_by_role("button", name="Copy link").click()
    host.get_by_text("Copied to the clipboard.").wait_for()
    assert host.evaluate("navigator.clipboard.readText()") == link

    viewer = new_context(viewport={"width": 375, "height": 740}).new_page()
    response = viewer.goto(link)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    assert_video_plays(viewer)
    uses_hlsjs = viewer.evaluate("!!document.querySelector('video')._hls")
    assert uses_hlsjs, "Chromium must play through hls.js (MSE), tested before native HLS"
    viewer.get_by_role("button", name="Unmute").click()
    assert viewer.evaluate("document.querySelector('video').muted") is False

    host.wait_for_function(
        "() => document.querySelector('[data-testid=viewer-count]').textContent.trim() === '1'"
    )
    assert Viewer.objects.count() == 1

    host.check("input[name=confirm]")
    host.get_by_role("button", name="Stop Main camera").click()
    host.get_by_text("The broadcast has ended.").wait_for()

    viewer.get_by_text("This broadcast has ended").wait_for(timeout=5_000 * PATIENCE)
    assert viewer.locator("#live-video").count() == 0  # the live player is gone…
    viewer.get_by_text("Watch the replay").wait_for()  # …and the recording is offered
    assert Viewer.objects.count() == 1  # kept after the stop: unique viewers (issue 11)


def test_the_staff_preview_plays(live_server, new_context, event, staff_user):
    host = new_context().new_page()
    log_in(host, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    host.get_by_role("button", name="Start Main camera").click()
    host.locator("video.preview").wait_for()
    assert_video_plays(host)


def _live_token(event, ttl=600, now=None):
    from live.services.lifecycle import start_broadcast

    broadcast, _ = start_broadcast(event, "mock", "test")
    token, _ = mint_viewer_token(event.pk, broadcast.pk, ttl, now=now)
    return token


def test_an_expired_link_says_so_and_plays_nothing(live_server, new_context, event):
    token = _live_token(event, ttl=60, now=1_000_000)
    page = new_context().new_page()
    response = page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}")
    assert response.status == 410
    page.get_by_text("This link has expired").wait_for()
    assert page.locator("video").count() == 0


def test_a_tampered_link_says_so_and_plays_nothing(live_server, new_context, event):
    token = _live_token(event)
    middle = len(token) - 20
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    page = new_context().new_page()
    response = page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={tampered}")
    assert response.status == 403
    page.get_by_text("This link is not valid").wait_for()
    assert page.locator("video").count() == 0
    assert "Traceback" not in page.content()


def test_a_non_staff_user_gets_403_on_the_host_page(live_server, new_context, event, plain_user):
    page = new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/events/{event.pk}/live-host")
    page.fill("#id_username", "fan")
    page.fill("#id_password", "pw-fan-123456")
    with page.expect_response(re.compile(r".*/live-host$")) as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 403
    page.get_by_text("The host page is for staff only.").wait_for()


def test_start_and_stop_work_with_javascript_disabled(live_server, new_context, event, staff_user):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    page.get_by_role("button", name="Start Main camera").click()
    page.get_by_text("Main camera is live.").wait_for()
    assert Broadcast.objects.get(event=event).is_live

    page.get_by_role("button", name="Create viewer link").click()
    link = page.input_value("#viewer-link")
    token = parse_qs(urlparse(link).query)["token"][0]
    assert token.startswith(f"{Broadcast.objects.get(event=event).pk}e.")  # an event link

    page.check("input[name=confirm]")
    page.get_by_role("button", name="Stop Main camera").click()
    page.get_by_text("The broadcast has ended.").wait_for()
    assert not Broadcast.objects.get(event=event).is_live
