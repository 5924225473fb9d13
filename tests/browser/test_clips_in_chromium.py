"""Clips on the host page in Chromium: a cut clip turns ready in the card by itself (the
one host poll, no reload), downloads as <event>-<camera>-<local time>.mp4; after Stop the
recording plays from the card, its end can still be clipped and the whole of it
downloads as one MP4."""

from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, Clip, ClipState, Recording, Source
from live.services.clips import download_name
from live.services.lifecycle import start_broadcast
from live.workers.clip_cutter import cut_pending_clips
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = "#camera-main"


def cut_when_pending(page, count):
    """Waits for the card to list ``count`` clips, the newest being cut, then cuts it as the
    packager would (real ffmpeg)."""
    page.locator(f"{CARD} .clip-list li").nth(count - 1).wait_for()
    page.get_by_text("being cut…").wait_for()
    assert cut_pending_clips() == 1
    return Clip.objects.order_by("-pk").first()


def downloaded_name(page, clip):
    link = page.locator(f'{CARD} li[data-clip="{clip.pk}"] a', has_text="Download MP4")
    with page.expect_download() as download:
        link.click()
    return download.value.suggested_filename


def test_a_clip_turns_ready_by_itself_downloads_named_and_after_stop(
    live_server, new_context, event, staff_user, fast_polling
):
    broadcast, _ = start_broadcast(event, Source.MOCK, "test")
    started = timezone.now() - timedelta(seconds=60)
    Broadcast.objects.filter(pk=broadcast.pk).update(started_at=started)
    Recording.objects.filter(broadcast=broadcast).update(started_at=started)
    page = new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    log_in(page, live_server.url, "marshal", "pw-marshal-123", f"/events/{event.pk}/live-host")
    page.evaluate("window.sameDocument = true")

    page.locator(CARD).get_by_role("button", name="Cut a clip").click()
    page.get_by_text("being cut…").wait_for()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    clip = cut_when_pending(page, 1)
    assert clip.state == ClipState.READY
    # Ready in the card with no reload: only the host poll asked in between.
    page.locator(f'{CARD} li[data-clip="{clip.pk}"] a', has_text="Download MP4").wait_for()
    assert page.evaluate("window.sameDocument")
    # The preview plays on (its media, its blob: URLs); every other request is the poll.
    pages = [url for url in asked if "/hls/" not in url and not url.startswith("blob:")]
    assert pages and all("/live-host/status?" in url for url in pages), pages
    assert downloaded_name(page, clip) == download_name(clip)
    assert download_name(clip).startswith(f"{event.pk}-main-")

    page.check(f'{CARD} form[action$="/live-host/stop"] input[name=confirm]')
    page.get_by_role("button", name="Stop Main camera").click()
    page.locator(f"{CARD} [data-testid=state]", has_text="Ended").wait_for()

    # The recording plays from the card (its signed playlist) ...
    page.locator(CARD).get_by_role("button", name="Play the recording").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('#camera-main .recording-player video');"
        " return v && !v.paused && v.currentTime > 1 && v.videoWidth > 0; }",
        timeout=20_000,
    )
    # ... and its end can still be clipped.
    page.locator(CARD).get_by_label("Clip the end of the last recording").select_option("15")
    page.locator(CARD).get_by_role("button", name="Cut a clip").click()
    last = cut_when_pending(page, 2)
    assert last.state == ClipState.READY and last.duration == pytest.approx(15, abs=0.5)
    recording = Recording.objects.get(broadcast=broadcast)
    assert last.recording_id == recording.pk
    assert downloaded_name(page, last) == download_name(last)

    # The whole recording downloads as one MP4, made when asked for.
    page.locator(CARD).get_by_role("button", name="Make an MP4").click()
    whole = cut_when_pending(page, 3)
    assert whole.state == ClipState.READY and whole.duration > 60
    mp4 = page.locator(f'{CARD} li[data-recording="{recording.pk}"] a', has_text="Download MP4")
    with page.expect_download() as download:
        mp4.click()
    assert download.value.suggested_filename == download_name(whole)
    assert page.evaluate("window.sameDocument")
