"""The viewer's player in Chromium: controls, phones on their side, buffering, Go live,
a camera whose first segment comes after the page, and focus across swaps."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from live.models import Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.processes import PATIENCE
from tests.browser.conftest import assert_video_plays, log_in

pytestmark = pytest.mark.django_db(transaction=True)

LANDSCAPE_PHONE = {
    "viewport": {"width": 812, "height": 375},
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def playing_link(live_server, event):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    return f"{live_server.url}/events/{event.pk}/live-view?token={token}"


def test_the_video_has_native_controls_with_fullscreen(new_context, playing_link):
    page = new_context().new_page()
    page.goto(playing_link)
    assert_video_plays(page)
    assert page.evaluate("document.querySelector('video').controls") is True
    assert page.evaluate("document.fullscreenEnabled") is True
    assert page.evaluate("document.querySelector('video').disablePictureInPicture") is False


def test_a_phone_on_its_side_shows_the_whole_video_and_the_unmute_button(
    new_context, playing_link
):
    page = new_context(**LANDSCAPE_PHONE).new_page()
    page.goto(playing_link)
    assert_video_plays(page)
    assert page.evaluate("window.scrollY") == 0
    for locator in (page.locator("video"), page.get_by_role("button", name="Unmute")):
        box = locator.bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= 812 and box["y"] + box["height"] <= 375, box

    page.get_by_role("button", name="Unmute").click()
    assert page.evaluate("document.querySelector('video').muted") is False
    assert (
        page.get_by_role("button", name="Unmute").count() == 0
        or not page.get_by_role("button", name="Unmute").is_visible()
    )


def test_the_buffering_indicator_shows_while_waiting(new_context, playing_link):
    page = new_context().new_page()
    page.goto(playing_link)
    assert_video_plays(page)
    status = page.locator(".player [role=status]")
    assert not status.is_visible()

    page.evaluate("document.querySelector('video').dispatchEvent(new Event('waiting'))")
    status.wait_for(state="visible")
    assert status.inner_text() == "Buffering…"

    page.evaluate("document.querySelector('video').dispatchEvent(new Event('playing'))")
    status.wait_for(state="hidden")


def test_go_live_brings_a_video_that_fell_behind_back_to_the_live_edge(new_context, playing_link):
    page = new_context().new_page()
    page.goto(playing_link)
    assert_video_plays(page)
    page.wait_for_function("() => document.querySelector('video')._hls.liveSyncPosition > 8")
    page.evaluate("""() => { const video = document.querySelector('video');
                   video.pause(); video.currentTime = video._hls.liveSyncPosition - 7; }""")
    page.get_by_text("Behind live").wait_for()

    page.get_by_role("button", name="Go live").click()
    page.wait_for_function("""() => { const video = document.querySelector('video');
                   return !video.paused &&
                          Math.abs(video._hls.liveSyncPosition - video.currentTime) < 3; }""")
    page.wait_for_function(
        "() => document.querySelector('[data-live-badge]').textContent.trim() === 'Live'"
    )
    assert not page.get_by_role("button", name="Go live").is_visible()


def _write_live_hls(folder: Path):
    """The sample segments under a live playlist (no end), as a packager writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = Path(settings.LIVE_SAMPLES_HLS_DIR) / "tee"
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for segment in sorted(sample.glob("seg*.ts")):
        shutil.copy(segment, folder / segment.name)
        lines += ["#EXTINF:2.000000,", segment.name]
    (folder / "index.m3u8").write_text("\n".join(lines) + "\n")


def test_the_preview_starts_by_itself_when_the_first_segment_appears(
    live_server, new_context, event, staff_user
):
    broadcast, _ = start_broadcast(event, Source.RTMP, "test")
    page = new_context().new_page()
    missing = []
    page.on("response", lambda r: "index.m3u8" in r.url and r.status == 404 and missing.append(r))
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    page.locator("video.preview").wait_for()
    page.wait_for_timeout(2000)
    assert len(missing) >= 2, "the player must ask again for a playlist that is not there yet"

    _write_live_hls(Path(settings.LIVE_STREAM_DATA_DIR) / "hls" / broadcast.stream_name)
    page.wait_for_function(
        "() => document.querySelector('video.preview').videoWidth > 0", timeout=20_000 * PATIENCE
    )
    page.wait_for_function("() => document.querySelector('video.preview').currentTime > 0")


def test_focus_stays_in_the_viewer_when_the_camera_changes(
    live_server, new_context, event, fast_polling
):
    tee = create_camera(event, "tee-10", "10th tee")
    main, _ = start_broadcast(event, Source.MOCK, "test")
    ten, _ = start_broadcast(tee, Source.MOCK, "test")
    token, _, _ = mint_viewer_link([main, ten], 600, "test")
    page = new_context().new_page()
    page.goto(f"{live_server.url}/events/{event.pk}/live-view?token={token}&camera=main")
    assert_video_plays(page)

    page.get_by_role("link", name="10th tee").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**camera=tee-10")
    page.wait_for_function("() => document.activeElement !== document.body")
    assert page.evaluate("document.activeElement.id") == "viewer-heading"
    assert page.evaluate("document.activeElement.textContent.trim()") == "10th tee"
    assert_video_plays(page)
