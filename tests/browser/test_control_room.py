"""Experience II in Chromium: times in the event's own zone on every page, a link minted
while nothing is live that plays once the camera goes live, and the control room with
18 cameras on one screen (1280×800) with a Shot button on each live tile, as a list on
a phone, polled once per interval."""

import os
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from live.models import Broadcast, Camera, Health, Recording, Shot, Source
from live.services.cameras import create_camera, default_camera, note_refused_publish
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.schedules import set_schedule
from tests.browser.conftest import assert_video_plays, log_in
from tests.processes import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# TEECAM_SCREENSHOTS=1 writes the README's control-room screenshots; otherwise they go to
# the test's temporary folder (taken all the same: a page that cannot be drawn fails).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Not the event's zone, so a time shown in the browser's own zone would be caught.
BROWSER_ZONE = "Pacific/Auckland"


def test_times_in_the_event_zone_and_a_link_sent_ahead_plays_once_live(
    live_server, new_context, event, staff_user, fast_polling
):
    event.time_zone = "Asia/Kolkata"  # IST, UTC+05:30 all year
    event.save()
    camera = default_camera(event.pk)
    start = timezone.now() + timedelta(hours=3)
    set_schedule(camera, start, start + timedelta(hours=1))
    tee_time = f"{start.astimezone(ZoneInfo('Asia/Kolkata')):%H:%M} IST"

    host = new_context(timezone_id=BROWSER_ZONE).new_page()
    log_in(host, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    host.locator("#camera-main summary", has_text="Schedule").click()
    assert tee_time in host.get_by_test_id("schedule-summary").inner_text()
    assert "(Asia/Kolkata, IST)" in host.locator("label[for=schedule-start-main]").inner_text()

    # Nothing is live: the link is minted all the same, to send ahead of the tee time.
    host.get_by_role("button", name="Create viewer link").click()
    link = host.locator("#viewer-link").input_value()
    assert " IST" in host.locator("label[for=viewer-link]").inner_text()
    row = host.locator("table.links tbody tr").first
    assert " IST" in row.inner_text()
    token = re.search(r"token=([^&]+)", link)[1]

    viewer = new_context(
        timezone_id=BROWSER_ZONE, viewport={"width": 375, "height": 700}
    ).new_page()
    viewer.goto(link)
    assert tee_time in viewer.get_by_test_id("schedule-countdown").inner_text()
    embed = new_context(timezone_id=BROWSER_ZONE).new_page()
    embed.goto(f"{live_server.url}/events/{event.pk}/embed?token={token}")
    assert tee_time in embed.get_by_test_id("schedule-countdown").inner_text()

    viewer.evaluate("window.sameDocument = true")
    start_broadcast(camera, Source.MOCK, "test")
    assert_video_plays(viewer)  # by itself, no reload
    assert viewer.evaluate("window.sameDocument") is True
    # On a phone the controls over the picture fade when left alone, and come back.
    viewer.locator(".player.controls-idle").wait_for()
    opacity = "getComputedStyle(document.querySelector('.player-top')).opacity"
    viewer.wait_for_function(f"() => {opacity} === '0'")
    viewer.mouse.move(100, 150)
    viewer.mouse.move(120, 160)
    viewer.locator(".player:not(.controls-idle)").wait_for()

    host.reload()
    started = host.locator("#camera-main-status dd").nth(1).inner_text()
    assert re.match(r"\d\d:\d\d IST by ", started), started


def make_eighteen(event):
    """The main camera and 17 tees in every state, five of them in trouble."""
    cameras = [default_camera(event.pk)] + [
        create_camera(event, f"tee-{n}", f"Tee {n}") for n in range(2, 19)
    ]
    long_ago = timezone.now() - timedelta(minutes=5)
    for number, camera in enumerate(cameras, start=1):
        if number % 3 == 1:
            start_broadcast(camera, Source.MOCK, "test")
        elif number in (2, 8):  # waiting for a picture for five minutes
            start_broadcast(camera, Source.RTMP, "test")
            Broadcast.objects.filter(camera=camera).update(started_at=long_ago)
        elif number == 5:  # the camera dropped and has not come back
            broadcast, _ = start_broadcast(camera, Source.RTMP, "test")
            Broadcast.objects.filter(pk=broadcast.pk).update(
                health=Health.STALLED, stalled_since=timezone.now(), last_segment_at=long_ago
            )
        elif number == 11:  # an encoder with an old key
            note_refused_publish(camera.ingest_name, "203.0.113.9", "wrong stream key")
        elif number == 14:  # recording stopped (low disk)
            broadcast, _ = start_broadcast(camera, Source.MOCK, "test")
            Recording.objects.filter(broadcast=broadcast).update(
                problem="Recording stopped: the disk is nearly full."
            )
        elif number % 3 == 0:
            start_broadcast(camera, Source.MOCK, "test")
            stop_broadcast(camera, "test")
    return cameras


def test_eighteen_cameras_fit_one_screen_and_the_poll_is_one_request(
    live_server, new_context, event, staff_user, fast_polling, tmp_path
):
    shots = SCREENSHOTS if os.environ.get("TEECAM_SCREENSHOTS") else tmp_path
    make_eighteen(event)
    assert Camera.objects.filter(event=event).count() == 18
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    polls = []
    page.on(
        "request",
        lambda request: "/live-host/" in request.url
        and request.resource_type in ("xhr", "fetch")
        and polls.append(request.url),
    )
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")

    tiles = page.get_by_test_id("tile")
    assert tiles.count() == 18  # 18 cameras: the host page opens as the control room
    # Read in one go: the poll may swap a tile (a new thumbnail) between two reads.
    bottoms = page.evaluate("""() => [...document.querySelectorAll('[data-testid=tile-state]')]
            .map((badge) => badge.getBoundingClientRect().bottom)""")
    assert len(bottoms) == 18 and max(bottoms) <= 800, bottoms  # no scrolling to see any
    assert "5 need attention" in page.get_by_test_id("room-summary").inner_text()
    page.wait_for_function("() => [...document.images].every((img) => img.complete)")
    page.screenshot(path=str(shots / "control-room.png"))

    # One request per poll, whatever the number of cameras.
    polls.clear()
    page.wait_for_timeout(3500)
    assert 2 <= len(polls) <= 5, polls
    assert all("/live-host/status?" in url for url in polls), polls

    # Trouble first, then the card opens from its tile.
    page.get_by_test_id("sort-toggle").click()
    first = [tiles.nth(index).get_attribute("data-camera") for index in range(5)]
    assert sorted(first) == ["tee-11", "tee-14", "tee-2", "tee-5", "tee-8"]
    page.locator("#tile-tee-11 .tile-name a").click()
    page.locator("#camera-tee-11").wait_for()
    # Focus moves once htmx settles the swap (20 ms after the card appears).
    page.wait_for_function("() => document.activeElement.id === 'camera-tee-11-name'")
    assert "Check the stream key" in page.get_by_test_id("refusal").inner_text()

    # A live tile's own Shot button: above the link that opens its card, no taller tile.
    page.locator("#tile-tee-4").get_by_role("button", name="Shot on Tee 4").click()
    wait_for(lambda: Shot.objects.filter(camera__slug="tee-4").exists(), 10, "the tile's shot")
    assert Shot.objects.get().source == "marshal"
    assert "camera=tee-4" not in page.url  # the tap did not open tee 4's card

    phone = new_context(viewport={"width": 375, "height": 812}).new_page()
    log_in(phone, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    lefts = {
        round(box["x"]) for box in (t.bounding_box() for t in phone.get_by_test_id("tile").all())
    }
    assert len(lefts) == 1  # one column: a list of tiles
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(shots / "control-room-phone.png"))
