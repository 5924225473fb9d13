"""Shots on a live SRT camera, with the real chain: the camera's audio carries a strike
every 20 s; the packager records and cuts; a viewer waits on the page in Chromium.

One test for the whole path (it is the slow part of issue 24's tests): an API shot at
a strike is cut as soon as the recording holds its end, its MP4 lasts 12 s and sounds
the strike 4 s in (± 0.5 s, ffprobe and ffmpeg on the file), its thumbnail is there,
``shot.ready`` is queued, and a viewer page opened before the shot shows it without a
reload at 375 px (its filter learning the shot's player and hole) and plays it inline.
"""

import json
import subprocess
import time
from datetime import datetime, timezone as dt_timezone

import pytest

from live.models import Shot, WebhookDelivery
from live.services.webhooks import create_endpoint
from tests.processes import PATIENCE
from tests.ingest.strikes import first_strike_in
from tests.ingest.support import start_strike_camera
from tests.processes import wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_STRIKE, EVERY = 12.0, 20.0


def ffprobe_duration(path):
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    return float(json.loads(probe.stdout)["format"]["duration"])


def test_a_shot_at_a_strike_is_cut_around_it_and_appears_on_a_waiting_viewers_page(
    api, event, start_packager, procs, data_dir, new_context, live_server, settings
):
    settings.LIVE_SHOTS_POLL_SECONDS = 1
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = True
    create_endpoint("http://127.0.0.1:9/hook", types="shot.ready")
    start_packager()
    clock, origin = start_strike_camera(api, event, procs, EVERY, FIRST_STRIKE)
    minted = api.token(event.pk).json()
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"{live_server.url}{minted['viewerUrl']}")
    page.locator("#shots").wait_for()

    strike = origin + FIRST_STRIKE
    wait_for(lambda: time.time() > strike + 0.5, FIRST_STRIKE + 5, "the strike")
    clock.stop()
    at = datetime.fromtimestamp(strike, tz=dt_timezone.utc).isoformat()
    body = {"at": at, "player": "Ana Lopez", "hole": 3}
    made = api.call("POST", f"/events/{event.pk}/cameras/main/shots", body)
    assert made.status == 202, made.text
    shot = Shot.objects.get(pk=made.json()["id"])

    ready = Shot.objects.filter(pk=shot.pk, ready_at__isnull=False)
    wait_for(ready.exists, 60, "the shot's clip to be ready")
    clip = shot.clip
    clip.refresh_from_db()
    mp4 = data_dir / "hls" / clip.stream_name / "clip.mp4"
    assert abs(ffprobe_duration(mp4) - 12.0) <= 0.5
    heard = first_strike_in(mp4)
    assert heard is not None and abs(heard - 4.0) <= 0.5, heard
    assert (data_dir / "hls" / clip.stream_name / "thumb.jpg").stat().st_size > 1000
    assert WebhookDelivery.objects.filter(type="shot.ready").count() == 1

    row = page.locator(f"#shot-{shot.pk}")
    row.wait_for(timeout=30_000 * PATIENCE)  # by the page's own poll: no reload
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The filter learnt the new player and hole from the same poll (out of band).
    options = page.locator("#shots-player option").all_inner_texts()
    assert options == ["Everyone", "Ana Lopez"], options
    assert page.locator("#shots-hole option").all_inner_texts() == ["All", "3"]
    # ...and kept what the viewer had chosen (everyone): the new options choose nothing.
    assert page.locator("#shots-player").input_value() == ""
    assert page.locator("#shots-hole").input_value() == ""
    video = row.locator("video")
    video.evaluate("(v) => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        f"() => document.querySelector('#shot-{shot.pk} video').currentTime > 1.0",
        timeout=20_000,
    )
    assert page.evaluate("document.fullscreenElement") is None  # inline
