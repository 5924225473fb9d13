"""The embed page inside an iframe: it plays on a site the event lists, and Chromium
refuses to frame it on any other (CSP frame-ancestors)."""

import functools
import http.server
import threading

import pytest

from live.models import Source
from live.services.cameras import create_camera
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link
from tests.browser.conftest import assert_video_plays
from tests.processes import free_tcp_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parent_site(tmp_path):
    """parent_site(html) -> the URL of a page served from another origin (own port)."""
    servers = []

    def serve(html):
        folder = tmp_path / f"site-{len(servers)}"
        folder.mkdir()
        (folder / "index.html").write_text(html)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_tcp_port()), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/index.html"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _embed_url(live_server, event):
    broadcast, _ = start_broadcast(event, Source.MOCK, "staff:marshal")
    token, _, _ = mint_viewer_link(broadcast, 900, "staff:marshal")
    return f"{live_server.url}/events/{event.pk}/embed?token={token}"


def _page_with_iframe(src):
    return (
        "<!doctype html><title>Club site</title><h1>Club site</h1>"
        f'<iframe src="{src}" width="640" height="360" allow="autoplay; fullscreen"></iframe>'
    )


# The README's frame, a phone-width one, and a wide one.
FRAMES = [(640, 360), (375, 211), (1280, 720)]

# Where the embed's parts are inside its frame, and whether anything scrolls.
LAYOUT_JS = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; };
  const onTop = (el) => { const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !el.hidden && r.width > 0 && (hit === el || el.contains(hit)); };
  const root = document.scrollingElement;
  return {
    frame: [innerWidth, innerHeight],
    scroll: [root.scrollWidth, root.scrollHeight, root.clientWidth, root.clientHeight],
    video: box(document.querySelector('video')),
    unmute: box(document.querySelector('[data-unmute]')),
    badge: box(document.querySelector('[data-live-badge]')),
    switcher: box(document.querySelector('.switcher')),
    reachable: onTop(document.querySelector('[data-unmute]'))
      && onTop(document.querySelector('[data-live-badge]')),
  };
}"""


def _within(inner, outer):
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[2] <= outer[2] + 0.5
        and inner[3] <= outer[3] + 0.5
    )


def test_the_embed_fills_frames_of_every_size(live_server, event, parent_site, new_context):
    """An event link (so the camera switcher shows too) in three frames on another site:
    each plays, the picture is the largest 16:9 box the frame holds, Live and Unmute sit
    on the picture, and nothing scrolls."""
    create_camera(event, "tee-2", "2nd tee")
    src = _embed_url(live_server, event)
    frames = "".join(
        f'<iframe src="{src}" width="{w}" height="{h}" style="border:0;display:block" '
        f'allow="autoplay; fullscreen"></iframe>'
        for w, h in FRAMES
    )
    url = parent_site(f"<!doctype html><title>Club site</title>{frames}")
    event.embed_origins = [url.rsplit("/", 1)[0]]
    event.save()
    page = new_context(viewport={"width": 1300, "height": 1320}).new_page()
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('iframe').length === {len(FRAMES)}")
    embeds = [frame for frame in page.frames if "/embed" in frame.url]
    assert len(embeds) == len(FRAMES)
    for frame in embeds:
        assert_video_plays(frame)
        assert frame.evaluate("document.querySelector('.site-header')") is None
        # In a phone-sized frame the controls rest after 3 s untouched (player_fade.js):
        # a touch on the picture brings them back, as a visitor's would.
        frame.evaluate(
            "document.querySelector('video')"
            ".dispatchEvent(new PointerEvent('pointermove', {bubbles: true}))"
        )
        layout = frame.evaluate(LAYOUT_JS)
        width, height = layout["frame"]
        scroll_width, scroll_height, client_width, client_height = layout["scroll"]
        assert scroll_height <= client_height and scroll_width <= client_width, layout
        left, top, right, bottom = layout["video"]
        assert abs((right - left) / (bottom - top) - 16 / 9) < 0.02, layout
        strip = layout["switcher"][3]
        # As large as the frame allows under the switcher: full width or full height.
        assert right - left >= width - 1 or bottom - top >= height - strip - 1, layout
        assert _within(layout["video"], [0, strip, width, height]), layout
        assert _within(layout["unmute"], layout["video"]), layout
        assert _within(layout["badge"], layout["video"]), layout
        assert layout["reachable"], layout


def test_another_origin_is_refused_framing(live_server, event, parent_site, browser):
    src = _embed_url(live_server, event)
    event.embed_origins = ["http://club.example.com"]
    event.save()
    url = parent_site(_page_with_iframe(src))
    context = browser.new_context()
    try:
        page = context.new_page()
        refusals = []
        page.on(
            "console",
            lambda message: "frame-ancestors" in message.text and refusals.append(message.text),
        )
        page.goto(url)
        page.wait_for_timeout(3000)
        frame = next((frame for frame in page.frames if frame is not page.main_frame), None)
        played = False
        if frame is not None:
            try:
                played = frame.evaluate("document.querySelector('#viewer') !== null")
            except Exception:
                played = False
        assert not played
        assert refusals, "Chromium did not report the CSP refusal"
    finally:
        context.close()
