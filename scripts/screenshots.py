"""Takes the README's screenshots with the same Chromium the browser tests drive.

Runs the demo on a throw-away database and data folder on a loopback port:
    .venv/bin/python scripts/screenshots.py
"""

import functools
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def api(path, key, body=None):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def club_site(html):
    """(server, origin) of a page on another origin, as a club's site would frame the embed."""
    folder = Path(tempfile.mkdtemp(prefix="teecam-club-"))
    (folder / "index.html").write_text(html)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def embed_in_frame(browser, python, env, link):
    """The embed in the README's 640x360 frame on a club's page."""
    embed = link.replace("/live-view?", "/embed?")
    server, origin = club_site(
        '<!doctype html><title>Club site</title><body style="margin:0;background:#fff">'
        f'<iframe src="{embed}" width="640" height="360" style="border:0;display:block" '
        'allow="autoplay; fullscreen"></iframe>'
    )
    subprocess.run(
        [python, "manage.py", "shell", "-c",
         "from live.models import Event; "
         f"Event.objects.filter(pk='demo-open').update(embed_origins=['{origin}'])"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    context = browser.new_context(viewport={"width": 640, "height": 360})
    page = context.new_page()
    page.goto(f"{origin}/index.html")
    page.wait_for_function("() => document.querySelector('iframe') !== null")
    frame = next(frame for frame in page.frames if "/embed" in frame.url)
    frame.wait_for_function("() => document.querySelector('video').currentTime > 0")
    page.wait_for_timeout(2000)
    page.locator("iframe").screenshot(path=OUT / "embed-640x360.png")
    context.close()
    server.shutdown()


def main():
    work = Path(tempfile.mkdtemp(prefix="teecam-shots-"))
    env = {
        **os.environ,
        "LIVE_VIEWER_SIGN_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "LIVE_STREAM_DATA_DIR": str(work / "live"),
        "LIVE_VIEWER_POLL_SECONDS": "1",
        "LIVE_HOST_POLL_SECONDS": "1",
        # Chart samples every 2 s (the packager takes them), so the charts have a line.
        "LIVE_SAMPLE_SECONDS": "2",
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    demo = subprocess.run(
        [python, "manage.py", "demo", "--base-url", BASE],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    password = re.search(r"staff / (\S+)", demo)[1]
    admin_key = re.search(r"Admin API key: (\S+)", demo)[1]
    server = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    packager = subprocess.Popen(
        [python, "manage.py", "livepackager"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(BASE + "/accounts/login/")
                break
            except OSError:
                time.sleep(0.2)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            host = browser.new_context(viewport={"width": 1200, "height": 860}).new_page()
            host.goto(f"{BASE}/accounts/login/?next=/events/demo-open/live-host")
            host.fill("#id_username", "staff")
            host.fill("#id_password", password)
            host.click("button[type=submit]")
            host.get_by_role("button", name="Start Main camera").click()
            host.select_option("#id_ttl", "3600")
            host.get_by_role("button", name="Create viewer link").click()
            link = host.input_value("#viewer-link")

            phone = browser.new_context(viewport={"width": 375, "height": 720}).new_page()
            phone.goto(link)
            phone.wait_for_function("() => document.querySelector('video').currentTime > 0")
            phone.wait_for_timeout(2500)
            phone.screenshot(path=OUT / "viewer-playing.png")

            for name, size in (("viewer-landscape", (812, 375)), ("viewer-desktop", (1280, 800))):
                other = browser.new_context(viewport=dict(zip(("width", "height"), size)))
                page = other.new_page()
                page.goto(link)
                page.wait_for_function("() => document.querySelector('video').currentTime > 0")
                page.wait_for_timeout(2000)
                page.screenshot(path=OUT / f"{name}.png")
                other.close()

            host.wait_for_function(
                "() => document.querySelector('[data-testid=viewer-count]')"
                ".textContent.trim()==='1'"
            )
            host.wait_for_function("() => document.querySelector('video.preview').currentTime > 0")
            # A few chart samples (every 2 s here), so the charts draw a line.
            host.wait_for_function(
                "() => document.querySelectorAll('#camera-main svg.sparkline polyline')"
                ".length >= 2",
                timeout=60_000,
            )
            host.wait_for_timeout(6000)
            host.screenshot(path=OUT / "host-live.png", full_page=True)

            pocket = browser.new_context(viewport={"width": 375, "height": 812}).new_page()
            pocket.goto(f"{BASE}/accounts/login/?next=/events/demo-open/live-host")
            pocket.fill("#id_username", "staff")
            pocket.fill("#id_password", password)
            pocket.click("button[type=submit]")
            pocket.wait_for_function(
                "() => document.querySelector('video.preview').currentTime > 0"
            )
            pocket.wait_for_timeout(1000)
            pocket.screenshot(path=OUT / "host-phone.png", full_page=True)
            width = pocket.evaluate("document.documentElement.scrollWidth")
            print(f"host page at 375 px: scrollWidth {width}")
            if width > 375:
                wide = pocket.evaluate(
                    "() => [...document.querySelectorAll('body *')]"
                    ".filter(e => e.getBoundingClientRect().right > 376)"
                    ".slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '"
                    " + Math.round(e.getBoundingClientRect().right))"
                )
                print("wider than the screen:", wide)

            # After the host's shots: the embed's player counts as a viewer too.
            embed_in_frame(browser, python, env, link)

            short = api("/events/demo-open/live/token", admin_key, {"ttl": 1})
            time.sleep(2)
            expired = browser.new_context(viewport={"width": 375, "height": 500}).new_page()
            expired.goto(BASE + short["viewerUrl"])
            expired.screenshot(path=OUT / "viewer-expired.png")

            host.check('#camera-main form[action$="/live-host/stop"] input[name=confirm]')
            host.get_by_role("button", name="Stop Main camera").click()
            phone.get_by_text("This broadcast has ended").wait_for()
            phone.screenshot(path=OUT / "viewer-ended.png")
            browser.close()
    finally:
        for process in (server, packager):
            process.terminate()
            process.wait()
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
