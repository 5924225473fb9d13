"""/events/<id>/embed: the player alone, framable only by the event's embed origins."""

import pytest
from django.test import Client

from live.services.embeds import embed_snippet, snippet_from_viewer_link
from live.services.viewer_links import mint_viewer_link

pytestmark = pytest.mark.django_db

PAGE = "/events/open-2026/embed"


def frame_ancestors(response):
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if "frame-ancestors" in part)


def test_with_no_origins_listed_nobody_may_frame_it(event, on_air):
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal")
    response = Client().get(PAGE, {"token": token})
    assert response.status_code == 200
    assert frame_ancestors(response) == "frame-ancestors 'none'"
    html = response.content.decode()
    assert 'id="viewer"' in html and "data-hls-src" in html
    assert "site-header" not in html


def test_the_listed_origins_may_frame_it(event, on_air):
    event.embed_origins = ["https://club.example.com", "http://127.0.0.1:8123"]
    event.save()
    token, _, _ = mint_viewer_link(on_air, 900, "staff:marshal")
    response = Client().get(PAGE, {"token": token})
    assert frame_ancestors(response) == (
        "frame-ancestors https://club.example.com http://127.0.0.1:8123"
    )
    assert "X-Frame-Options" not in response
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_it_keeps_the_viewer_pages_token_rules(event, on_air):
    response = Client().get(PAGE, {"token": "not-a-token"})
    assert response.status_code in (400, 403)
    assert "data-hls-src" not in response.content.decode()


def test_the_snippet_is_an_iframe_on_the_embed_page(event):
    snippet = embed_snippet(event, "tok&en", "tee-1", "https://tee.example.com")
    assert snippet.startswith(
        '<div style="position:relative;width:100%;max-width:640px;'
        'aspect-ratio:16/9"><iframe src="https://tee.example.com/'
        "events/open-2026/embed?"
    )
    assert snippet.endswith("</iframe></div>")
    assert "token=tok%26en&amp;camera=tee-1" in snippet
    assert 'allow="autoplay; fullscreen"' in snippet
    link = "http://127.0.0.1:8000/events/open-2026/live-view?token=abc&camera=main"
    assert 'src="http://127.0.0.1:8000/events/open-2026/embed?token=abc&amp;camera=main"' in (
        snippet_from_viewer_link(event, link)
    )
