"""GET /media/sign?path=/hls/<stream>/<file>: a signed URL for any key."""

import re
import time
from datetime import datetime, timezone as dt_timezone

import pytest

from tests.live.support import SIGN_URL, parse_time

pytestmark = pytest.mark.django_db

SIGNED = re.compile(
    r"\A/hls/(?P<sig>[A-Za-z0-9_-]{22})/(?P<exp>[0-9]+)/(?P<stream>[^/]+)/(?P<file>.+)\Z"
)


def test_it_signs_a_playlist_path(client_api, settings):
    before = int(time.time())

    response = client_api.get(SIGN_URL, {"path": "/hls/tee/index.m3u8"})

    assert response.status_code == 200
    body = response.json()
    match = SIGNED.match(body["url"])
    assert match, body["url"]
    assert match["stream"] == "tee"
    assert match["file"] == "index.m3u8"
    expires = int(match["exp"])
    assert before + settings.LIVE_MEDIA_URL_TTL <= expires <= time.time() + 3600 + 1
    assert parse_time(body["expiresAt"]) == datetime.fromtimestamp(expires, dt_timezone.utc)


def test_it_signs_a_segment_path_in_a_sub_folder(client_api):
    response = client_api.get(SIGN_URL, {"path": "/hls/tee/720p/seg000.ts"})

    assert response.status_code == 200
    match = SIGNED.match(response.json()["url"])
    assert (match["stream"], match["file"]) == ("tee", "720p/seg000.ts")


def test_it_honours_the_configured_lifetime(client_api, settings):
    settings.LIVE_MEDIA_URL_TTL = 60

    response = client_api.get(SIGN_URL, {"path": "/hls/tee/index.m3u8"})

    expires = int(SIGNED.match(response.json()["url"])["exp"])
    assert abs(expires - (time.time() + 60)) <= 2


def test_an_admin_key_may_sign_too(admin_api):
    assert admin_api.get(SIGN_URL, {"path": "/hls/tee/index.m3u8"}).status_code == 200


def test_no_key_is_401(anonymous_api):
    response = anonymous_api.get(SIGN_URL, {"path": "/hls/tee/index.m3u8"})

    assert response.status_code == 401
    assert "url" not in response.json()


def test_a_missing_path_is_400_naming_path(client_api):
    response = client_api.get(SIGN_URL)

    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["path"]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("", id="empty"),
        pytest.param("/static/tee/index.m3u8", id="not-under-hls"),
        pytest.param("hls/tee/index.m3u8", id="relative"),
        pytest.param("/HLS/tee/index.m3u8", id="upper-case-prefix"),
        pytest.param("/hls/tee/../../etc/passwd", id="dot-dot"),
        pytest.param("/hls/../etc/passwd", id="dot-dot-stream"),
        pytest.param("/hls/tee/%2e%2e/%2e%2e/etc/passwd", id="percent-encoded-dot-dot"),
        pytest.param("/hls/tee/%252e%252e/%252e%252e/etc/passwd", id="double-encoded-dot-dot"),
        pytest.param("/hls/tee/%2E%2E/secret.ts", id="upper-case-encoded-dot-dot"),
        pytest.param("/hls/tee\\..\\..\\etc\\passwd", id="backslash"),
        pytest.param("/hls/tee/seg%00.ts", id="encoded-nul"),
        pytest.param("/hls/tee/" + "a" * 600 + ".ts", id="too-long"),
        pytest.param("/hls/tee", id="stream-without-file"),
        pytest.param("/hls/tee/", id="stream-with-empty-file"),
        pytest.param("/hls/", id="nothing-under-hls"),
        pytest.param("/hls/te e/index.m3u8", id="space-in-stream"),
        pytest.param("/hls/tee/index.m3u8?x=1", id="query-in-path"),
        pytest.param("/hls/tee//index.m3u8", id="empty-part"),
        pytest.param("/hls/tee/./index.m3u8", id="dot-part"),
    ],
)
def test_a_bad_path_is_400_naming_path(client_api, path):
    response = client_api.get(SIGN_URL, {"path": path})

    assert response.status_code == 400, response.json()
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["detail"]) == ["path"]
