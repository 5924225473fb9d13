"""nginx with the rendered config serves signed HLS from disk and proxies the rest to Django."""

import re
import subprocess
import time
from urllib.parse import quote

import pytest
from django.conf import settings

from live.models import ViewerLink
from live.services.media import parse_media_path, sign_media_path
from tests.browser.conftest import assert_video_plays
from tests.processes import Api, request, wait_for
from tests.live.support import changed_middle_character, segment_uris, sibling, with_part

pytestmark = [pytest.mark.delivery, pytest.mark.django_db(transaction=True)]

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp2t"
MPEG_TS_SYNC = 0x47
FIXTURE_DIR = settings.LIVE_SAMPLES_HLS_DIR / "tee"
FIXTURE_SEGMENTS = sorted(path.name for path in FIXTURE_DIR.glob("*.ts"))
# Markers of files outside the media folders that traversal might reach.
SECRET_MARKERS = [b"root:", b"DJANGO_SETTINGS_MODULE", b"LIVE_VIEWER_SIGN_KEY", b"secure_link"]


def get(port, path, **headers):
    return request(port, "GET", path, headers=headers)


def signed(path, ttl=600, expires=None):
    """The signed URL Django issues for an /hls/<stream>/<file> path."""
    return sign_media_path(parse_media_path(path), expires or int(time.time()) + ttl)


def max_age(cache_control):
    match = re.search(r"max-age=(\d+)", cache_control or "")
    return int(match[1]) if match else 0


def served_by_nginx_from_disk(answer):
    # Django's answers carry its security headers; nginx's file answers do not,
    # and carry a file ETag and Last-Modified instead.
    return "x-frame-options" not in answer.headers and "last-modified" in answer.headers


def start_mock(api, event):
    started = api.start(event.pk)
    assert started.status == 201, started.text
    token = api.token(event.pk).json()["token"]
    status = api.status(event.pk, token)
    assert status.status == 200, status.text
    return status.json()


# The fixture stream, served from disk -----------------------------------------------------


def test_the_fixture_playlist_and_segments_come_from_disk_with_types_and_caching(nginx):
    playlist_url = signed("/hls/tee/index.m3u8")

    playlist = get(nginx.port, playlist_url)

    assert playlist.status == 200
    assert playlist.headers["content-type"] == PLAYLIST_TYPE
    assert playlist.headers["cache-control"] == "no-cache"
    assert playlist.body == (FIXTURE_DIR / "index.m3u8").read_bytes()
    assert served_by_nginx_from_disk(playlist)
    listed = segment_uris(playlist.text)
    assert listed == FIXTURE_SEGMENTS
    for name in listed:
        segment = get(nginx.port, sibling(playlist_url, name))
        assert segment.status == 200, name
        assert segment.headers["content-type"] == SEGMENT_TYPE
        assert max_age(segment.headers["cache-control"]) >= 86400
        assert segment.body == (FIXTURE_DIR / name).read_bytes()
        assert served_by_nginx_from_disk(segment)


def test_a_signed_path_to_a_missing_file_is_404(nginx):
    assert get(nginx.port, signed("/hls/tee/seg999.ts")).status == 404
    assert get(nginx.port, signed("/hls/no-such-stream/index.m3u8")).status == 404


# A live mock broadcast: the playlist is computed by Django ---------------------------------


def test_a_live_mock_broadcast_plays_through_nginx(nginx, api, event):
    hls_path = start_mock(api, event)["hlsPath"]

    playlist = get(nginx.port, hls_path)

    assert playlist.status == 200
    assert playlist.headers["content-type"] == PLAYLIST_TYPE
    assert playlist.headers["cache-control"] == "no-cache"
    assert "#EXT-X-MEDIA-SEQUENCE:" in playlist.text
    assert "#EXT-X-ENDLIST" not in playlist.text
    assert not served_by_nginx_from_disk(playlist), "the mock's playlist is Django's"
    listed = segment_uris(playlist.text)
    assert len(listed) >= 3
    for name in set(listed):
        segment = get(nginx.port, sibling(hls_path, name))
        assert segment.status == 200, name
        assert segment.headers["content-type"] == SEGMENT_TYPE
        assert max_age(segment.headers["cache-control"]) >= 86400
        assert segment.body == (FIXTURE_DIR / name).read_bytes()
        assert segment.body[0] == MPEG_TS_SYNC and segment.body[188] == MPEG_TS_SYNC


def test_a_stopped_unrecorded_mock_broadcast_serves_no_segments(nginx, api, event):
    event.cameras.update(record=False)
    hls_path = start_mock(api, event)["hlsPath"]
    assert api.stop(event.pk).status == 200

    # Its live playlist stays as it was at Stop (as the packager leaves its own), its
    # segments are gone.
    assert b"#EXT-X-ENDLIST" not in get(nginx.port, hls_path).body
    assert get(nginx.port, sibling(hls_path, "seg000.ts")).status == 404


def test_a_stopped_recorded_mock_broadcast_serves_its_replay(nginx, api, event):
    hls_path = start_mock(api, event)["hlsPath"]
    assert api.stop(event.pk).status == 200

    replay = get(nginx.port, sibling(hls_path, "recording.m3u8"))
    assert replay.status == 200 and b"#EXT-X-ENDLIST" in replay.body
    assert "immutable" in replay.headers["cache-control"]
    assert get(nginx.port, sibling(hls_path, "seg000.ts")).status == 200


def test_status_hlspath_signed_again_through_nginx_plays(nginx, api, event):
    """The original contract: status → hlsPath → /media/sign → url → playlist → segment."""
    hls_path = start_mock(api, event)["hlsPath"]

    signed_again = api.call("GET", f"/media/sign?path={quote(hls_path, safe='')}")

    assert signed_again.status == 200, signed_again.text
    url = signed_again.json()["url"]
    playlist = get(nginx.port, url)
    assert playlist.status == 200
    name = segment_uris(playlist.text)[-1]
    segment = get(nginx.port, sibling(url, name))
    assert segment.status == 200
    assert segment.body[0] == MPEG_TS_SYNC


# Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("file", ["index.m3u8", "seg001.ts"])
def test_a_tampered_signature_is_403(nginx, file):
    url = signed(f"/hls/tee/{file}")
    signature = url.split("/")[2]

    answer = get(nginx.port, with_part(url, 2, changed_middle_character(signature)))

    assert answer.status == 403


@pytest.mark.parametrize("file", ["index.m3u8", "seg001.ts"])
def test_an_expired_url_is_410(nginx, file):
    url = signed(f"/hls/tee/{file}", expires=int(time.time()) - 5)

    assert get(nginx.port, url).status == 410


def test_an_expired_url_with_a_wrong_signature_is_403(nginx):
    url = signed("/hls/tee/index.m3u8", expires=int(time.time()) - 5)
    signature = url.split("/")[2]

    assert get(nginx.port, with_part(url, 2, changed_middle_character(signature))).status == 403


def test_a_changed_expiry_is_403(nginx):
    url = signed("/hls/tee/index.m3u8")
    later = str(int(url.split("/")[3]) + 3600)

    assert get(nginx.port, with_part(url, 3, later)).status == 403


@pytest.mark.parametrize(
    "path", ["/hls/tee/index.m3u8", "/hls/tee/seg000.ts", "/hls/", "/hls/tee/"]
)
def test_unsigned_paths_are_403(nginx, path):
    assert get(nginx.port, path).status == 403


def test_the_signature_of_one_stream_does_not_open_another(nginx, api, event):
    live_path = start_mock(api, event)["hlsPath"]
    fixture_url = signed("/hls/tee/index.m3u8")

    # The live stream's signature on the fixture, and the fixture's on the live stream.
    assert get(nginx.port, with_part(live_path, 4, "tee")).status == 403
    live_stream = live_path.split("/")[4]
    assert get(nginx.port, with_part(fixture_url, 4, live_stream)).status == 403


TRAVERSALS = [
    "tee/../../../etc/passwd",
    "tee/../../../../../../../../etc/passwd",
    "tee/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "tee/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
    "tee/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "tee%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "tee/%252e%252e/%252e%252e/etc/passwd",
    "tee/..%252f..%252f..%252fetc%252fpasswd",
    "tee/..\\..\\..\\etc\\passwd",
    "tee/%5c..%5c..%5c..%5cetc%5cpasswd",
    "tee/....//....//....//etc/passwd",
    "tee/../../../manage.py",
    "tee/../../../teecam/settings.py",
    "tee/../../nginx/nginx.conf",
    "tee/%00/../../../etc/passwd",
    "tee/index.m3u8%00.ts",
    "../../../../etc/passwd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("tail", TRAVERSALS)
def test_path_traversal_is_never_served(nginx, tail):
    prefix = signed("/hls/tee/index.m3u8").rsplit("/", 2)[0]  # /hls/<sig>/<exp>

    for path in (f"{prefix}/{tail}", f"/hls/{tail}", f"/static/{tail}"):
        answer = get(nginx.port, path)
        assert answer.status != 200, (path, answer.status)
        # nginx passes what resolves outside /static/ on to Django as it came; in
        # tests that is the live server's static handler, which answers 500.
        refused = (400, 403, 404, 500) if path.startswith("/static/") else (400, 403, 404)
        assert answer.status in refused, (path, answer.status)
        for marker in SECRET_MARKERS:
            assert marker not in answer.body, (path, marker)


def test_the_signer_refuses_traversal_so_no_signature_for_it_exists():
    """Signing "/hls/tee/../x" is refused, so nginx never sees a valid one."""
    with pytest.raises(ValueError):
        signed("/hls/tee/../../etc/passwd")
    with pytest.raises(ValueError):
        signed("/hls/tee/%2e%2e/passwd")


# nginx and Django agree --------------------------------------------------------------------


def test_nginx_and_django_answer_the_same_for_the_same_urls(nginx, api, event):
    live_path = start_mock(api, event)["hlsPath"]
    now = int(time.time())
    good = signed("/hls/tee/index.m3u8")
    expired = signed("/hls/tee/seg000.ts", expires=now - 5)
    signature = good.split("/")[2]
    cases = {
        "fixture playlist": (good, 200),
        "fixture segment": (sibling(good, "seg002.ts"), 200),
        "live playlist": (live_path, 200),
        "live segment": (sibling(live_path, "seg001.ts"), 200),
        "tampered": (with_part(good, 2, changed_middle_character(signature)), 403),
        "tampered live": (
            with_part(live_path, 2, changed_middle_character(live_path.split("/")[2])),
            403,
        ),
        "changed expiry": (with_part(good, 3, str(now + 99999)), 403),
        "other stream": (with_part(good, 4, live_path.split("/")[4]), 403),
        "expired": (expired, 410),
        "expired and tampered": (
            with_part(expired, 2, changed_middle_character(expired.split("/")[2])),
            403,
        ),
        "short signature": (with_part(good, 2, signature[:-1]), 403),
        "signed, missing file": (sibling(good, "seg999.ts"), 404),
    }
    for name, (path, expected) in cases.items():
        through_nginx = get(nginx.port, path).status
        from_django = get(nginx.app_port, path).status
        assert (through_nginx, from_django) == (expected, expected), name


def test_a_clip_downloads_under_the_name_asked_for_from_nginx_and_django(nginx, data_dir):
    folder = data_dir / "hls" / "clip-0123456789abcdef0123"
    folder.mkdir(parents=True)
    (folder / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + bytes(64))
    (folder / "clip.mp4").chmod(0o644)
    path = signed("/hls/clip-0123456789abcdef0123/clip.mp4")
    name = "open-2026-main-2026-12-07_10-47-05.mp4"
    for port in (nginx.port, nginx.app_port):
        named = get(port, f"{path}?download={name}")
        assert named.status == 200
        assert named.headers["content-disposition"] == f'attachment; filename="{name}"'
        for other in ("", "?download=x.ts", '?download=a"b.mp4', "?download=..%2Fa.mp4"):
            answer = get(port, f"{path}{other}")
            disposition = answer.headers.get("content-disposition", "")
            assert answer.status == 200 and "attachment" not in disposition, other


# Everything else is proxied to Django, or served as static files ---------------------------


def test_the_api_and_pages_are_proxied_to_django(nginx, api, event):
    idle = api.status(event.pk)
    assert idle.status == 200
    assert idle.json()["running"] is False
    assert api.call("GET", "/events/no-such-event/live/status").status == 404
    assert request(nginx.port, "GET", f"/events/{event.pk}/live/status").status == 401

    start_mock(api, event)
    # The idle answer may come from the default 1-s poll cache for up to 2 s.
    live = wait_for(
        lambda: (answer := api.status(event.pk)).json()["running"] and answer, 3, "the start"
    )
    assert live.status == 200
    assert live.headers["content-type"].startswith("application/json")

    login = get(nginx.port, "/accounts/login/")
    assert login.status == 200
    assert "x-frame-options" in login.headers
    assert get(nginx.port, "/api/schema/").status == 200


def test_conditional_status_polls_get_304_through_nginx(nginx, api, event):
    start_mock(api, event)
    first = api.status(event.pk)
    etag = first.headers.get("etag")
    assert etag

    again = request(
        nginx.port,
        "GET",
        f"/events/{event.pk}/live/status",
        headers={"X-API-Key": api.key, "If-None-Match": etag},
    )

    assert again.status == 304
    assert again.body == b""


def test_a_form_post_through_nginx_passes_djangos_csrf_origin_check(nginx, staff_user):
    """nginx forwards the Host with its port, which the Origin header names."""
    login = get(nginx.port, "/accounts/login/")
    cookie = re.search(r"csrftoken=([^;]+)", login.headers["set-cookie"])[1]
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
    body = (
        f"csrfmiddlewaretoken={quote(form_token)}&username=marshal&password=pw-marshal-123"
        "&next=/"
    )
    headers = {
        "Origin": f"http://127.0.0.1:{nginx.port}",
        "Referer": f"http://127.0.0.1:{nginx.port}/accounts/login/",
        "Cookie": f"csrftoken={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    answer = request(nginx.port, "POST", "/accounts/login/", headers=headers, body=body.encode())

    assert answer.status == 302, answer.text[:500]
    assert answer.headers["location"] == "/"


def test_static_files_are_served_by_nginx(nginx, static_root):
    path = "/static/vendor/hls-1.6.19.min.js"

    answer = get(nginx.port, path)

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/javascript"
    assert answer.body == (static_root / "vendor" / "hls-1.6.19.min.js").read_bytes()
    assert served_by_nginx_from_disk(answer)
    assert "max-age=" in answer.headers["cache-control"]
    assert get(nginx.port, "/static/live/teecam.css").headers["content-type"] == "text/css"
    assert get(nginx.port, "/static/no-such-file.js").status == 404


def test_static_files_are_compressed_for_clients_that_ask(nginx):
    answer = get(nginx.port, "/static/vendor/hls-1.6.19.min.js", **{"Accept-Encoding": "gzip"})

    assert answer.status == 200
    assert answer.headers.get("content-encoding") == "gzip"


def test_the_rendered_config_holds_the_media_secret_but_not_the_signing_key(nginx):
    from live.services.media import media_secret

    text = nginx.config.read_text()
    assert media_secret() in text
    assert settings.LIVE_VIEWER_SIGN_KEY not in text
    assert nginx.config.stat().st_mode & 0o777 == 0o600


# The viewer page, in Chromium, through nginx -----------------------------------------------


@pytest.mark.browser
def test_the_viewer_page_plays_through_nginx_in_chromium(nginx, api, event, new_context):
    start_mock(api, event)
    token = api.token(event.pk, ttl=600).json()["token"]
    media = []
    page = new_context().new_page()
    page.on(
        "response",
        lambda response: (
            media.append((response.url, response.status)) if "/hls/" in response.url else None
        ),
    )

    answer = page.goto(f"{nginx.url}/events/{event.pk}/live-view?token={token}")

    assert answer.status == 200
    assert_video_plays(page)
    segments = [(url, status) for url, status in media if url.endswith(".ts")]
    assert segments, media
    assert all(url.startswith(f"{nginx.url}/hls/") for url, _ in media)
    assert all(status == 200 for _, status in segments), segments


# The poll micro-cache (on by default; rendernginx --poll-cache-seconds 0 turns it off) ------


@pytest.fixture
def cached(nginx):
    assert "proxy_cache teecam_poll;" in nginx.config.read_text(), "on by default"
    return nginx


def test_the_poll_cache_answers_repeated_status_polls_from_nginx(cached, admin_key_raw, event):
    api = Api(cached.port, admin_key_raw)
    start_mock(api, event)
    token = api.token(event.pk).json()["token"]

    first, second = api.status(event.pk, token), api.status(event.pk, token)

    assert first.status == second.status == 200
    assert first.headers["x-teecam-cache"] in ("MISS", "EXPIRED")
    assert second.headers["x-teecam-cache"] == "HIT"
    assert second.body == first.body
    assert "no-cache" in second.headers["cache-control"]  # clients still revalidate
    assert second.json()["hlsPath"]


def test_the_poll_cache_never_answers_a_caller_without_that_api_key(cached, admin_key_raw, event):
    api = Api(cached.port, admin_key_raw)
    start_mock(api, event)
    path = f"/events/{event.pk}/live/status"
    assert api.call("GET", path).status == 200
    assert api.call("GET", path).headers["x-teecam-cache"] == "HIT"

    anonymous = get(cached.port, path)
    last = "y" if admin_key_raw.endswith("x") else "x"  # one character off
    wrong_key = get(cached.port, path, **{"X-API-Key": admin_key_raw[:-1] + last})

    assert anonymous.status == 401
    assert wrong_key.status == 401
    assert anonymous.headers.get("x-teecam-cache") != "HIT"


def test_with_the_poll_cache_a_stop_shows_within_the_cache_time(cached, admin_key_raw, event):
    api = Api(cached.port, admin_key_raw)
    start_mock(api, event)
    assert api.status(event.pk).json()["running"] is True
    assert api.stop(event.pk).status == 200

    # Only the cache (1 s, counted by nginx in whole seconds) may still say "running":
    # every such answer after the stop is a HIT, never Django's own.
    def stop_shown():
        answer = api.call("GET", f"/events/{event.pk}/live/status")
        if answer.json()["running"] is False:
            return True
        assert answer.headers["x-teecam-cache"] == "HIT", answer.headers
        return False

    wait_for(stop_shown, 3, "the stop to show")


def test_with_the_poll_cache_a_revoked_link_shows_within_the_cache_time(
    cached, admin_key_raw, event
):
    api = Api(cached.port, admin_key_raw)
    start_mock(api, event)
    token = api.token(event.pk).json()["token"]
    link = ViewerLink.objects.latest("pk")
    viewer_poll = f"/events/{event.pk}/live-view/state?token={quote(token)}&shown=live"
    assert "hlsPath" in api.status(event.pk, token).json()
    assert get(cached.port, viewer_poll).status == 204
    assert get(cached.port, viewer_poll).headers["x-teecam-cache"] == "HIT"

    revoked = api.call("POST", f"/events/{event.pk}/links/{link.pk}/revoke")
    assert revoked.status == 200, revoked.text

    # Until the revocation shows, every answer that still admits the link is the cache's.
    def revoked_in_status():
        answer = api.call("GET", f"/events/{event.pk}/live/status?token={quote(token)}")
        if "hlsPath" not in answer.json():
            return True
        assert answer.headers["x-teecam-cache"] == "HIT", answer.headers
        return False

    def revoked_in_page():
        answer = get(cached.port, viewer_poll)
        if answer.status == 286:
            return True
        assert answer.headers["x-teecam-cache"] == "HIT", answer.headers
        return False

    wait_for(revoked_in_status, 3, "status")
    wait_for(revoked_in_page, 3, "the viewer page")


def test_the_poll_cache_is_off_with_zero_seconds(start_nginx, admin_key_raw, event):
    uncached = start_nginx(poll_cache_seconds=0)
    api = Api(uncached.port, admin_key_raw)
    start_mock(api, event)

    answers = [api.status(event.pk) for _ in range(2)]

    assert [answer.status for answer in answers] == [200, 200]
    assert all("x-teecam-cache" not in answer.headers for answer in answers)
    assert "teecam_poll" not in uncached.config.read_text()


def test_the_poll_cache_answers_repeated_viewer_polls_from_nginx(cached, admin_key_raw, event):
    api = Api(cached.port, admin_key_raw)
    start_mock(api, event)
    token = api.token(event.pk).json()["token"]
    path = f"/events/{event.pk}/live-view/state?token={quote(token)}&shown=live"

    first, second = get(cached.port, path), get(cached.port, path)

    assert first.status == second.status == 204
    assert second.headers["x-teecam-cache"] == "HIT"
    assert "no-store" in second.headers["cache-control"]


def test_the_poll_cache_keeps_api_keys_and_tokens_out_of_its_files(cached, admin_key_raw, event):
    api = Api(cached.port, admin_key_raw)
    start_mock(api, event)
    token = api.token(event.pk).json()["token"]
    viewer_poll = f"/events/{event.pk}/live-view/state?token={quote(token)}&shown=live"

    def hit(ask):
        """A second ask within the cache's second is a HIT; a loaded box may take longer."""
        return any(ask() and ask().headers["x-teecam-cache"] == "HIT" for _ in range(20))

    assert api.status(event.pk).status == 200
    assert hit(lambda: api.status(event.pk, token))
    assert hit(lambda: get(cached.port, viewer_poll))

    cache_dir = cached.prefix / "tmp" / "poll-cache"
    files = [path for path in cache_dir.rglob("*") if path.is_file()]
    assert len(files) >= 3, files  # status with and without a token, the viewer poll
    secret_part = token.rsplit(".", 1)[-1]
    key_secret = admin_key_raw.rsplit("_", 1)[-1]
    for needle in (admin_key_raw, key_secret, token, quote(token), secret_part):
        found = subprocess.run(
            ["grep", "-rlF", "-e", needle, str(cache_dir)], capture_output=True, text=True
        )
        assert found.returncode == 1, (needle, found.stdout)  # 1: no file matches


def test_the_public_server_does_not_proxy_the_rtmp_hooks(nginx, event):
    from live.models import Source
    from live.services.ingest_hook import hook_query
    from live.services.lifecycle import start_broadcast

    broadcast = start_broadcast(event, Source.RTMP, "test")[0]
    form = f"call=publish&name={broadcast.stream_name}&key={broadcast.ingest_secret}".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for path in (
        "/ingest/rtmp/publish",
        "/ingest/rtmp/publish" + hook_query(),  # even with the secret, were it leaked
        "/ingest/rtmp/publish-done",
        "/ingest/%72tmp/publish",
    ):
        answer = request(nginx.port, "POST", path, headers=headers, body=form)
        assert answer.status == 404, (path, answer.status)
