"""Bench: how fast a tee shot becomes a clip a viewer can watch (issue 24, item 5).

``bench/shots.py detection [--seed 2]`` measures the strike detector instead, on
labelled synthetic tee-box audio (``bench/shot_detection.py``; no processes).

    .venv/bin/python bench/shots.py [--strikes 20] [--every 20] [--sources marshal,api]
                                    [--db sqlite|postgres]

A live SRT test camera (ffmpeg: testsrc2 720p30 H.264 + AAC whose audio carries a
strike, a 40 ms burst of noise, every ``--every`` seconds) sends to the packager
(``manage.py livepackager``, its default pass of 0.5 s, which also cuts clips) behind
gunicorn. Each strike is told by one source in turn:

- ``marshal``: a staff session taps the card's Shot button (``POST
  /events/<id>/live-host/shot``, as the page's HTMX does) 1 s after the strike, the
  default LIVE_SHOT_TAP_LAG_SECONDS, so the shot's ``at`` is the strike;
- ``api``: an admin key POSTs ``/events/<id>/cameras/main/shots {"at": <strike>}``
  0.5 s after it;
- ``audio``: the camera's own ``auto_shots`` detector (another issue's part) makes the
  shot; this bench only switches it on (when the Camera model has the field) and finds
  the shot with source ``audio`` within 2 s of the strike.

A waiting viewer (Chromium, 375 px, the event link's viewer page with its Shots view)
notes, with a MutationObserver, when each shot's row appears. Per source: strike →
clip ``ready`` (the server's ``readyAt``) and strike → shown on the page, p50/p95/max.
Goals with the default 8 s after the strike: ready p95 ≤ 10 s, shown p95 ≤ 12 s.

The strike's wall-clock time comes from the camera's own progress reports (the least
delayed of ``now − out_time``), so the figures include the SRT hop and the packager.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import datetime, timezone as dt_timezone
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BASE_DIR, EVENT_ID, PYTHON, World, http  # noqa: E402

sys.path.insert(0, str(BASE_DIR))
from tests.ingest.strikes import CameraClock, strike_camera_command  # noqa: E402

STAFF = ("bench-marshal", "bench-marshal-password-0123")
CHROMIUM = "/usr/bin/chromium"


def staff_session(port):
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/accounts/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = urlencode({"username": STAFF[0], "password": STAFF[1], "csrfmiddlewaretoken": csrf})
    opener.open(Request(f"{base}/accounts/login/", form.encode(), {"Referer": base + "/"}))
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    return opener, token


def tap(opener, csrf, port):
    base = f"http://127.0.0.1:{port}"
    request = Request(
        f"{base}/events/{EVENT_ID}/live-host/shot",
        urlencode({"camera": "main", "player": "Bench", "hole": "1"}).encode(),
        {"X-CSRFToken": csrf, "HX-Request": "true", "Referer": base + "/"},
    )
    with opener.open(request) as answer:
        assert answer.status == 201, answer.status


def post_api(port, key, strike):
    at = datetime.fromtimestamp(strike, tz=dt_timezone.utc).isoformat()
    status, _, body = http(
        port, "POST", f"/events/{EVENT_ID}/cameras/main/shots", {"X-API-Key": key},
        {"at": at, "player": "Bench", "hole": 1},
    )  # fmt: skip
    assert status == 202, (status, body[:300])


def shots_now(port, key):
    status, _, body = http(port, "GET", f"/events/{EVENT_ID}/shots", {"X-API-Key": key})
    assert status == 200, status
    return json.loads(body)


WATCH_JS = """() => {
  const seen = window.shotSeen = {};
  const note = () => document.querySelectorAll('li.shot').forEach((li) => {
    if (!(li.dataset.shot in seen)) seen[li.dataset.shot] = Date.now() / 1000;
  });
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
  note();
}"""


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1) + 0.4999)))
    return ordered[index]


def report(name, values):
    if not values:
        return f"| {name} | 0 | – | – | – |"
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.2f} | "
        f"{percentile(values, 0.95):.2f} | {max(values):.2f} |"
    )


def cut_delays(shots):
    """Per ready shot: from the moment the segment holding its clip's end was on disk to
    ready (the packager's pass, the cut and the thumbnail), read from this world's files."""
    from live.models import Clip
    from live.workers.clip_cutter import clip_pieces

    delays = []
    for shot in shots:
        if not shot["readyAt"]:
            continue
        clip = Clip.objects.select_related("recording__broadcast").get(pk=shot["clipId"])
        end = clip.start.timestamp() + clip.duration
        last = next((p for p in clip_pieces(clip) if p.end.timestamp() >= end), None)
        if last is not None:
            written = last.path.stat().st_mtime
            delays.append(datetime.fromisoformat(shot["readyAt"]).timestamp() - written)
    return delays


def main():
    if sys.argv[1:2] == ["detection"]:  # the detector on synthetic audio (shot_detection.py)
        from shot_detection import main as detection

        sys.argv.pop(1)
        return detection()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strikes", type=int, default=20)
    parser.add_argument("--every", type=float, default=20.0)
    parser.add_argument("--sources", default="marshal,api")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", default="640x360")
    parser.add_argument(
        "--ladder", action="store_true", help="keep the camera's adaptive ladder (more encodes)"
    )
    options = parser.parse_args()
    sources = [name.strip() for name in options.sources.split(",") if name.strip()]
    unknown = set(sources) - {"marshal", "api", "audio"}
    if unknown:
        raise SystemExit(f"unknown sources: {', '.join(sorted(unknown))}")

    with World(database=options.db) as world:
        world.env["LIVE_SRT_PORTS"] = "9700-9709"
        world.setup_django()
        from django.contrib.auth import get_user_model

        from live.models import Camera

        get_user_model().objects.create_user(STAFF[0], password=STAFF[1], is_staff=True)
        if "audio" in sources:
            if not any(f.name == "auto_shots" for f in Camera._meta.get_fields()):
                raise SystemExit("source audio: this build has no Camera.auto_shots detector")
            Camera.objects.filter(event_id=EVENT_ID).update(auto_shots=True)
        Camera.objects.filter(event_id=EVENT_ID).update(ladder=options.ladder)
        port = world.gunicorn(workers=2)
        world.start("packager", [PYTHON, "manage.py", "livepackager"])
        key = world.admin_key
        status, _, body = http(
            port, "POST", f"/events/{EVENT_ID}/live/start", {"X-API-Key": key}, {"source": "srt"}
        )
        assert status == 201, (status, body[:300])
        ingest = json.loads(body)["ingest"]["url"]
        status, _, body = http(
            port, "POST", f"/events/{EVENT_ID}/live/token", {"X-API-Key": key}, {"ttl": 86400}
        )
        viewer_url = json.loads(body)["viewerUrl"]
        opener, csrf = staff_session(port)

        first = 8.0  # room for the packager to start and the first segments
        command = strike_camera_command(
            ingest, options.every, first, size=options.size, bitrate="1200k"
        )
        world.start("camera", command)
        clock = CameraClock(world.root / "camera.log")
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--mute-audio"]
        )
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812})
            page.goto(f"http://127.0.0.1:{port}{viewer_url}")
            page.wait_for_selector("#shots")
            page.evaluate(WATCH_JS)
            clock.wait()
            # The camera's strikes from the first one still ahead of us.
            skip = max(0, int((time.time() + 2 - clock.origin - first) // options.every) + 1)
            told = []  # (source, strike wall time)
            for index in range(options.strikes):
                source = sources[index % len(sources)]
                strike = clock.origin + first + (skip + index) * options.every
                if source == "marshal":
                    time.sleep(max(0.0, strike + 1.0 - time.time()))
                    tap(opener, csrf, port)
                elif source == "api":
                    time.sleep(max(0.0, strike + 0.5 - time.time()))
                    post_api(port, key, strike)
                else:  # audio: the camera's own detector tells it; keep to the strikes' pace
                    time.sleep(max(0.0, strike + 0.5 - time.time()))
                told.append((source, strike))
                print(f"strike {index + 1}/{options.strikes}: {source}", file=sys.stderr)
            # The last clip is cut and shown: a whole interval after the last strike.
            time.sleep(max(0.0, told[-1][1] + options.every - time.time()))
            shots = shots_now(port, key)
            seen = page.evaluate("window.shotSeen")
        finally:
            browser.close()
            playwright.stop()
            clock.stop()
            world.stop("camera")

        load = os.getloadavg()
        cutting = cut_delays(shots)
        if clock.behind > 0.5:
            print(
                f"warning: the camera fell {clock.behind:.1f} s behind real time: the "
                "machine is too busy for these figures",
                file=sys.stderr,
            )
        ready, shown, missed = {}, {}, []
        for source, strike in told:
            wanted = {"marshal": "marshal", "api": "api", "audio": "audio"}[source]
            match = [
                shot for shot in shots
                if shot["source"] == wanted
                and abs(datetime.fromisoformat(shot["at"]).timestamp() - strike) < 2.0
            ]  # fmt: skip
            if not match or not match[0]["readyAt"]:
                missed.append((source, strike))
                continue
            shot = match[0]
            ready.setdefault(source, []).append(
                datetime.fromisoformat(shot["readyAt"]).timestamp() - strike
            )
            if str(shot["id"]) in seen:
                shown.setdefault(source, []).append(seen[str(shot["id"])] - strike)
            else:
                missed.append((source, strike))
        print(
            f"\n### strike → shot (seconds; {options.strikes} strikes every {options.every:g} s, "
            f"{options.size} SRT, {options.db}; load average {load[0]:.1f} {load[1]:.1f})\n"
        )
        print("| source: to | n | p50 | p95 | max |\n|---|---|---|---|---|")
        for source in sources:
            print(report(f"{source}: clip ready", ready.get(source, [])))
            print(report(f"{source}: shown on a waiting viewer's page", shown.get(source, [])))
        print(report("its last segment on disk → clip ready (cut, thumbnail)", cutting))
        if missed:
            print(f"\nmissed: {len(missed)} ({', '.join(s for s, _ in missed)})")
            for shot in shots:
                print(
                    f"  shot {shot['id']} {shot['source']} at {shot['at']} {shot['state']}"
                    f" ready {shot['readyAt']}",
                    file=sys.stderr,
                )
            for source, strike in missed:
                print(f"  missed {source} strike at {strike}", file=sys.stderr)


if __name__ == "__main__":
    main()
