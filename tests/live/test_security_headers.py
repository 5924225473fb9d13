"""Browser security: CSP on every page, framing rules, and secrets kept out of logs."""

import io
import logging

import pytest

from live.log_filters import RedactSecrets, redact
from live.services.lifecycle import start_broadcast
from live.services.viewer_links import mint_viewer_link

pytestmark = pytest.mark.django_db


def _directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}


@pytest.fixture
def viewer_url(event):
    broadcast, _ = start_broadcast(event, "mock", "test")
    token, _, _ = mint_viewer_link(broadcast, 600, "test")
    return f"/events/{event.pk}/live-view?token={token}"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/api/docs/"])
def test_every_page_has_a_csp_without_inline_scripts(client, path):
    directives = _directives(client.get(path))

    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_the_host_and_viewer_pages_have_the_csp(client, staff_user, event, viewer_url):
    client.force_login(staff_user)
    for path in (f"/events/{event.pk}/live-host", viewer_url):
        response = client.get(path)
        assert response.status_code == 200
        assert "'unsafe-inline'" not in _directives(response)["script-src"]
        assert "<script>" not in response.content.decode()


def test_the_api_docs_load_no_script_from_a_cdn(client):
    page = client.get("/api/docs/").content.decode()

    assert "cdn" not in page.lower() and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/" in page


def test_the_viewer_page_may_be_framed_by_configured_sites(client, viewer_url, settings):
    settings.LIVE_VIEWER_FRAME_ANCESTORS = ["https://event.example.com"]

    response = client.get(viewer_url)

    assert _directives(response)["frame-ancestors"] == ["https://event.example.com"]
    assert "X-Frame-Options" not in response


def test_by_default_nothing_may_frame_the_viewer_page(client, viewer_url):
    response = client.get(viewer_url)

    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_host_page_may_never_be_framed(client, staff_user, event, settings):
    settings.LIVE_VIEWER_FRAME_ANCESTORS = ["https://event.example.com"]
    client.force_login(staff_user)

    response = client.get(f"/events/{event.pk}/live-host")

    assert _directives(response)["frame-ancestors"] == ["'none'"]


def test_tokens_signatures_and_keys_are_redacted():
    line = (
        '"GET /events/x/live-view?token=1.2.abc.def&shown=live HTTP/1.1" '
        "/hls/AbCdEfGhIjKlMnOpQrStUv/1795609307/tee/seg000.ts "
        "tc_0123456789ab_SECRETSECRETSECRETSECRETSECRETSE srt://h:9000?passphrase=p4ss&x=1"
    )

    cleaned = redact(line)

    for secret in ("1.2.abc.def", "AbCdEfGhIjKlMnOpQrStUv", "SECRETSECRET", "p4ss"):
        assert secret not in cleaned
    assert "token=[redacted]&shown=live" in cleaned
    assert "/hls/[sig]/[exp]/tee/seg000.ts" in cleaned


def test_the_request_log_filter_redacts_arguments():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /x?token=abc HTTP/1.1", 200),
        None,
    )

    RedactSecrets().filter(record)

    assert "abc" not in record.getMessage()


def test_runserver_request_lines_reach_the_log_redacted(viewer_url):
    handler = logging.getLogger("django.server").handlers[0]
    stream = io.StringIO()
    original = handler.setStream(stream)
    try:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET {viewer_url} HTTP/1.1", 200, 1)
    finally:
        handler.setStream(original)

    token = viewer_url.split("token=")[1]
    assert "live-view?token=[redacted]" in stream.getvalue()
    assert token not in stream.getvalue()
