"""The edge tier with real nginx: two media hosts (`--role origin`, each over its own data
folder) and one edge (`--role edge`) in front of them and of Django (the live server).

Which requests reached an origin is read from the origin's access log. nginx writes a
line when a request ends; each origin runs one worker, so once a later request of ours
has its line (`settled`), every earlier one has its own too.
"""

import shutil
import threading
import time
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import override_settings

from live.services.media import parse_media_path, sign_media_path
from live.services.nginx_config import NginxOptions, Origin
from tests.delivery.conftest import Nginx
from tests.live.support import changed_middle_character, segment_uris, sibling, with_part
from tests.processes import Api, request, stop_process, wait_for

pytestmark = [pytest.mark.delivery, pytest.mark.django_db(transaction=True)]

FIXTURE_DIR = settings.LIVE_SAMPLES_HLS_DIR / "tee"
# Playlists are cached at the edge for the clock window they were fetched in.
WINDOW = NginxOptions().playlist_window_ms / 1000


@dataclass
class Topology:
    edge: Nginx
    a: Nginx
    b: Nginx


def put_stream(data_dir, stream):
    """A packager's output: the committed fixture's playlist and segments."""
    folder = data_dir / "hls" / stream
    folder.mkdir(parents=True, exist_ok=True)
    for path in FIXTURE_DIR.iterdir():
        if path.suffix in (".m3u8", ".ts"):
            shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def topology(start_nginx, data_dir, tmp_path):
    a = start_nginx(role="origin", access_log=True)
    put_stream(data_dir, "cam-a")
    b_data = tmp_path / "media-b"
    with override_settings(LIVE_STREAM_DATA_DIR=b_data):
        b = start_nginx(role="origin", access_log=True)
    put_stream(b_data, "cam-b")
    edge = start_nginx(
        role="edge",
        origins=[Origin("a", f"127.0.0.1:{a.port}"), Origin("b", f"127.0.0.1:{b.port}")],
        apps=[f"127.0.0.1:{a.app_port}"],
    )
    return Topology(edge, a, b)


def signed(path, expires=None):
    return sign_media_path(parse_media_path(path), expires or int(time.time()) + 600)


def get(port, path, **headers):
    return request(port, "GET", path, headers=headers)


def origin_requests(origin, stream, file=""):
    """Access-log lines of `origin` for /hls/…/<stream>/<file> (the log redacts signatures)."""
    log = origin.prefix / "access.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line for line in lines if f"/hls/-/-/{stream}/{file}" in line]


def settled(origin):
    """Waits until every request the origin answered so far is in its log."""
    before = len(origin_requests(origin, "tee"))
    assert get(origin.port, signed("/hls/tee/index.m3u8")).status == 200
    wait_for(lambda: len(origin_requests(origin, "tee")) > before, 5, "the origin's log")


def test_a_segment_goes_to_its_origin_once_however_many_viewers_ask(topology):
    edge, a = topology.edge, topology.a
    now = int(time.time())
    # Viewers who polled at different times hold different expiries: one entry still.
    urls = [f"/media/a{signed('/hls/cam-a/seg001.ts', now + 600 + 30 * i)}" for i in range(4)]
    answers = []

    def fetch(url):
        answers.append(get(edge.port, url))

    threads = [threading.Thread(target=fetch, args=(urls[i % 4],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    later = [get(edge.port, url) for url in urls]

    expected = (FIXTURE_DIR / "seg001.ts").read_bytes()
    assert len(answers) == 12
    assert all(answer.status == 200 and answer.body == expected for answer in answers)
    assert all(answer.headers["x-teecam-edge-cache"] == "HIT" for answer in later)
    assert "max-age=60" in later[0].headers["cache-control"]  # the origin's, for players
    settled(a)
    assert len(origin_requests(a, "cam-a", "seg001.ts")) == 1
    assert origin_requests(topology.b, "cam-a") == []


def test_a_playlist_is_fetched_again_in_every_window(topology, data_dir):
    edge, a = topology.edge, topology.a
    url = f"/media/a{signed('/hls/cam-a/index.m3u8')}"
    playlist = data_dir / "hls" / "cam-a" / "index.m3u8"
    first = get(edge.port, url)
    assert first.status == 200 and first.body == playlist.read_bytes()

    playlist.write_text(playlist.read_text() + "#EXTINF:2.0,\nseg003.ts\n")
    # The next window's first request cannot be answered from an older entry.
    time.sleep(WINDOW - time.time() % WINDOW + 0.02)
    fresh = get(edge.port, url)

    assert fresh.status == 200
    assert fresh.body == playlist.read_bytes()
    assert fresh.headers["cache-control"] == "no-cache"  # players revalidate every time
    # A burst: the origin sees at most one request per window it spans.
    began = time.time()
    burst = [get(edge.port, url) for _ in range(20)]
    spanned = int(time.time() / WINDOW) - int(began / WINDOW) + 1
    assert all(answer.status == 200 for answer in burst)
    assert any(answer.headers["x-teecam-edge-cache"] == "HIT" for answer in burst)
    settled(a)
    assert 2 <= len(origin_requests(a, "cam-a", "index.m3u8")) <= 2 + spanned


def test_media_urls_go_to_the_origin_they_name(topology):
    edge, a, b = topology.edge, topology.a, topology.b
    on_b = f"/media/b{signed('/hls/cam-b/index.m3u8')}"

    playlist = get(edge.port, on_b)
    segment = get(edge.port, sibling(on_b, segment_uris(playlist.text)[0]))
    plain = get(edge.port, signed("/hls/cam-a/seg002.ts"))  # no /media/NAME: the first

    assert playlist.status == 200 and playlist.body == (FIXTURE_DIR / "index.m3u8").read_bytes()
    assert segment.status == 200 and segment.body == (FIXTURE_DIR / "seg000.ts").read_bytes()
    assert plain.status == 200 and plain.body == (FIXTURE_DIR / "seg002.ts").read_bytes()
    settled(a)
    settled(b)
    assert len(origin_requests(b, "cam-b")) == 2 and origin_requests(a, "cam-b") == []
    assert on_b.split("/")[4] not in (b.prefix / "access.log").read_text()  # the signature
    assert len(origin_requests(a, "cam-a", "seg002.ts")) == 1


def test_bad_urls_are_refused_at_the_edge_without_an_origin_request(topology):
    edge, a, b = topology.edge, topology.a, topology.b
    good = signed("/hls/cam-a/seg000.ts")
    signature, expiry = good.split("/")[2], good.split("/")[3]
    expired = signed("/hls/cam-a/seg000.ts", expires=int(time.time()) - 5)
    cases = {
        "tampered": (with_part(good, 2, changed_middle_character(signature)), 403),
        "changed expiry": (with_part(good, 3, str(int(expiry) + 3600)), 403),
        "other stream": (with_part(good, 4, "cam-b"), 403),
        "expired": (expired, 410),
        "expired and tampered": (
            with_part(expired, 2, changed_middle_character(expired.split("/")[2])),
            403,
        ),
        "unsigned": ("/hls/cam-a/seg000.ts", 403),
        "short signature": (with_part(good, 2, signature[:-1]), 403),
        "unknown origin": (f"/media/zz{good}", 404),
    }
    for via in ("", "/media/a", "/media/b"):
        for name, (path, status) in cases.items():
            if name == "unknown origin" and via:
                continue
            answer = get(edge.port, via + path)
            assert answer.status == status, (via, name, answer.status)
    assert get(edge.port, "/media/a/hls/cam-a/seg000.ts").status == 403

    settled(a)
    settled(b)
    assert origin_requests(a, "cam-a") == origin_requests(b, "cam-a") == []
    assert origin_requests(a, "cam-b") == origin_requests(b, "cam-b") == []


def test_pages_the_api_and_the_mocks_playlist_come_through_the_edge(
    topology, admin_key_raw, event
):
    edge = topology.edge
    api = Api(edge.port, admin_key_raw)
    assert api.start(event.pk).status == 201
    token = api.token(event.pk).json()["token"]
    hls_path = api.status(event.pk, token).json()["hlsPath"]

    # Through the first origin, which finds no file and asks Django.
    playlist = get(edge.port, hls_path)
    segment = get(edge.port, sibling(hls_path, segment_uris(playlist.text)[-1]))
    login = get(edge.port, "/accounts/login/")
    viewer = get(edge.port, f"/events/{event.pk}/live-view?token={token}")

    assert playlist.status == 200 and "#EXT-X-MEDIA-SEQUENCE:" in playlist.text
    assert segment.status == 200 and segment.body[0] == 0x47
    assert login.status == 200 and "x-frame-options" in login.headers
    assert viewer.status == 200
    signed_again = api.call("GET", f"/media/sign?path={hls_path}")
    assert signed_again.status == 200 and signed_again.json()["url"].startswith("/hls/")
    assert get(edge.port, "/ingest/rtmp/publish").status == 404


def test_a_dead_origin_answers_502_and_the_other_still_plays(topology):
    edge = topology.edge
    stop_process(topology.b.process)

    dead = get(edge.port, f"/media/b{signed('/hls/cam-b/index.m3u8')}")
    alive = get(edge.port, f"/media/a{signed('/hls/cam-a/index.m3u8')}")

    assert dead.status == 502
    assert alive.status == 200
