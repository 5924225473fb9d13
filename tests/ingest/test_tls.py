"""HTTPS from the rendered nginx (rendernginx --tls-cert/--tls-key/--acme-webroot) with
a self-signed certificate made by openssl: pages, the API, a signed segment and a
WHIP publish over TLS, verified against that certificate; plain HTTP redirects
everywhere but the ACME challenge path; RTMP still listens."""

import http.client
import json
import ssl
import subprocess
from urllib.parse import urlsplit

import pytest

from live.services.cameras import default_camera
from live.services.nginx_config import NginxOptions, write_nginx_config
from live.services.paths import output_dir_for
from live.models import Broadcast
from tests.ingest.support import free_udp_ports, playlist_entries, wait_for_playable_segments
from tests.ingest.whip_client import PublisherThread, WhipError, WhipPublisher
from tests.processes import NGINX, PYTHON, free_tcp_port, request, tcp_open, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]


def _self_signed(folder):
    cert, key = folder / "tee.crt", folder / "tee.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


class Https:
    """Requests over TLS that trust only the test's certificate."""

    def __init__(self, port, cert):
        self.port = port
        self.context = ssl.create_default_context(cafile=str(cert))

    def get(self, path, headers=None, method="GET", body=None):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=20
        )
        try:
            data = json.dumps(body).encode() if body is not None else None
            sent = {**(headers or {}), **({"Content-Type": "application/json"} if data else {})}
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


@pytest.fixture
def whip_port(procs, packager_env, settings):
    port, udp = free_tcp_port(), free_udp_ports(6)
    settings.LIVEKIT_WHIP_URL = ""
    env = {
        **packager_env,
        "LIVEKIT_WHIP_URL": "",
        "LIVE_WHIP_LISTEN": f"127.0.0.1:{port}",
        "LIVE_WHIP_UDP_PORTS": f"{udp[0]}-{udp[-1]}",
        "LIVE_WHIP_ICE_ADDRESS": "127.0.0.1",
    }
    process = procs.start("runwhip", [PYTHON, "manage.py", "runwhip"], env=env)
    wait_for(lambda: process.poll() is not None or tcp_open(port), 60, "runwhip to listen")
    assert process.poll() is None, procs.log_of(process)
    return port


def test_https_serves_pages_api_signed_media_and_whip_and_http_redirects(
    procs, live_server, tmp_path, admin_key, event, other_event, whip_port, settings, camera
):
    cert, key = _self_signed(tmp_path)
    webroot = tmp_path / "acme"
    (webroot / ".well-known" / "acme-challenge").mkdir(parents=True)
    (webroot / ".well-known" / "acme-challenge" / "t0k3n").write_text("t0k3n.thumbprint")
    http_port, https_port, rtmp_port = free_tcp_port(), free_tcp_port(), free_tcp_port()
    settings.LIVE_RTMP_PORT = rtmp_port
    prefix = tmp_path / "nginx"
    config = write_nginx_config(
        NginxOptions(
            listen=f"127.0.0.1:{http_port}",
            tls_listen=f"127.0.0.1:{https_port}",
            tls_cert=str(cert),
            tls_key=str(key),
            acme_webroot=str(webroot),
            upstream=f"127.0.0.1:{urlsplit(live_server.url).port}",
            prefix=str(prefix),
            rtmp_listen=f"127.0.0.1:{rtmp_port}",
            workers="1",
            whip_upstream=f"127.0.0.1:{whip_port}",
        ),
        prefix / "nginx.conf",
    )
    nginx = procs.start(
        "nginx", [NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"]
    )
    wait_for(
        lambda: nginx.poll() is not None or all(map(tcp_open, (http_port, https_port, rtmp_port))),
        10,
        "nginx to listen",
    )
    assert nginx.poll() is None, procs.log_of(nginx)
    https = Https(https_port, cert)

    # Plain HTTP: a redirect to the same path over HTTPS, but certbot's challenge.
    moved = request(http_port, "GET", "/events/open-2026/live-view?token=x")
    assert moved.status == 301
    assert moved.headers["location"] == (
        f"https://127.0.0.1:{https_port}/events/open-2026/live-view?token=x"
    )
    challenge = request(http_port, "GET", "/.well-known/acme-challenge/t0k3n")
    assert (challenge.status, challenge.text) == (200, "t0k3n.thumbprint")

    # Pages and the API over HTTPS, with HSTS.
    status, headers, body = https.get("/")
    assert status == 200 and b"<html" in body.lower()
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    whip_camera = default_camera(event.pk)
    whip_camera.source = "livekit"
    whip_camera.save()
    api_key = {"X-API-Key": admin_key}
    status, _, body = https.get(
        f"/events/{event.pk}/live/start", api_key, "POST", {"source": "livekit"}
    )
    assert status == 201, body
    broadcast = Broadcast.objects.get(pk=json.loads(body)["broadcastId"])

    # WHIP over HTTPS, the publisher checking the certificate.
    sender = PublisherThread()
    try:
        url = f"https://127.0.0.1:{https_port}/whip/{whip_camera.ingest_name}"
        with pytest.raises(WhipError) as refused:
            sender.publish(WhipPublisher(url, "wrong-key", ssl_context=https.context))
        assert refused.value.status == 401
        publisher = WhipPublisher(
            url, whip_camera.stream_key, codec="H264", ssl_context=https.context
        )
        sender.publish(publisher)
        names = wait_for_playable_segments(output_dir_for(broadcast), count=2, timeout=30)

        # A viewer link's signed playlist and segment, served by nginx over HTTPS.
        status, _, body = https.get(
            f"/events/{event.pk}/live/token", api_key, "POST", {"ttl": 600}
        )
        token = json.loads(body)["token"]
        status, _, body = https.get(f"/events/{event.pk}/live/status?token={token}", api_key)
        hls_path = json.loads(body)["hlsPath"]
        status, headers, playlist = https.get(hls_path)
        assert status == 200, playlist
        uris = [uri for _, uri, _ in playlist_entries(playlist.decode())]
        assert set(uris) & set(names) or uris
        status, headers, segment = https.get(hls_path.rsplit("/", 1)[0] + "/" + uris[-1])
        assert status == 200 and headers["Content-Type"] == "video/mp2t" and segment[:1] == b"G"
        status, _, _ = https.get(hls_path.replace("/hls/", "/hls/x", 1))
        assert status == 403
        assert sender.call(publisher.close()) == 200  # the DELETE, over HTTPS too

        # RTMP, beside the HTTPS server: a camera started over HTTPS publishes.
        status, _, body = https.get(
            f"/events/{other_event.pk}/live/start", api_key, "POST", {"source": "rtmp"}
        )
        assert status == 201, body
        answer = json.loads(body)
        camera(answer["ingest"]["publishUrl"], "flv", seconds=6)
        rtmp_broadcast = Broadcast.objects.get(pk=answer["broadcastId"])
        wait_for_playable_segments(output_dir_for(rtmp_broadcast), count=1, timeout=30)
    finally:
        sender.close()
