"""The embed page inside an iframe: it plays on a site the event lists, and Chromium
refuses to frame it on any other (CSP frame-ancestors)."""

import functools
import http.server
import threading

import pytest

from live.models import Source
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


def test_the_embed_plays_inside_an_iframe_on_an_allowed_origin(
    live_server, event, parent_site, new_context
):
    src = _embed_url(live_server, event)
    url = parent_site(_page_with_iframe(src))
    event.embed_origins = [url.rsplit("/", 1)[0]]
    event.save()
    page = new_context().new_page()
    page.goto(url)
    page.wait_for_function("document.querySelector('iframe') !== null")
    frame = next(frame for frame in page.frames if "/embed" in frame.url)
    assert_video_plays(frame)
    assert frame.evaluate("document.querySelector('.site-header')") is None


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
