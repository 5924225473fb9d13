"""Simulcast across events, through real nginx-rtmp and a real packager.

The attack: an admin key of one event adds a simulcast target
``rtmp://127.0.0.1:<rtmp port>/hls`` with another event's live media name as the
key, and its picture replaces the victim's live stream. Closed twice: the hls
application admits only the relay that carries the broadcast's relay secret
(never a publisher by address alone), and simulcast targets obey the egress rule
(live/services/egress.py), checked when each push connects, with ffmpeg given the
address that was checked. A failed push's lastError no longer tells an open port
from a closed one.
"""

import socket
import ssl
import subprocess
import threading

import pytest

from live.models import Broadcast, SimulcastTarget
from tests.ingest.support import wait_exit, wait_for_playable_segments
from tests.ingest.test_simulcast import STREAM_KEY, push_pids, start_target
from tests.processes import PYTHON, free_tcp_port, stop_process, wait_for
from tests.resolver_stub import install, write_answers

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

NAME = "target.rebind.test"
PUBLIC = "93.184.215.14"


def add_target(api, event, url, key=STREAM_KEY):
    return api.call(
        "POST",
        f"/events/{event.pk}/cameras/main/simulcast",
        {"name": "Target", "url": url, "streamKey": key},
    )


def test_only_the_relay_with_the_broadcasts_secret_may_publish_into_the_hls_application(
    api, event, nginx, camera, data_dir
):
    started = api.start(event.pk, "rtmp")
    assert started.status == 201, started.text
    victim = Broadcast.objects.get(pk=started.json()["broadcastId"])
    folder = data_dir / "hls" / victim.stream_name
    hls = f"rtmp://127.0.0.1:{nginx.rtmp_port}/hls/{victim.stream_name}"

    # From 127.0.0.1 (as the packager's pushes are), knowing the live media name, with
    # no relay secret or a made-up one: refused before a single segment is written.
    for attempt, url in enumerate([hls, f"{hls}?relay={'0' * 40}"]):
        intruder = camera(url, "flv", name=f"intruder-{attempt}", seconds=6)
        assert wait_exit(intruder, 20) != 0, url
    assert not folder.exists()

    # The camera's own feed: admitted by its key, relayed with the secret, written.
    camera(started.json()["ingest"]["publishUrl"], "flv")
    wait_for_playable_segments(folder, count=2, timeout=30)


@pytest.fixture
def answers(tmp_path):
    """The stubbed resolver's answers: the target's name is public in this process."""
    path = tmp_path / "resolver.json"
    write_answers(path, {NAME: [[PUBLIC]]})
    uninstall = install(path)
    yield path
    uninstall()


def start_stubbed_packager(procs, packager_env, answers, allow_private, **env):
    return procs.start(
        "packager",
        [PYTHON, "-m", "tests.resolver_stub", "livepackager", "--poll", "0.25"],
        env={
            **packager_env,
            "TEST_RESOLVER_FILE": str(answers),
            "LIVE_EGRESS_ALLOW_PRIVATE": "1" if allow_private else "0",
            "LIVE_WEBHOOK_ALLOW_PRIVATE": "0",
            **env,
        },
    )


def test_targets_obey_the_egress_rule_when_saved_and_when_each_push_connects(
    api, event, nginx, procs, packager_env, answers, tmp_path, settings
):
    settings.LIVE_EGRESS_ALLOW_PRIVATE = False
    assert api.start(event.pk, "mock").status == 201
    victim_name = Broadcast.objects.get().stream_name

    # Saved: the victim's hls application (loopback) and other private hosts are refused.
    for url in (
        f"rtmp://127.0.0.1:{nginx.rtmp_port}/hls",
        "rtmp://10.0.0.8/live",
        "rtmp://[2002:7f00:1::]/live",
        "rtmp://169.254.169.254:1935/live",
    ):
        refused = add_target(api, event, url, key=victim_name)
        assert refused.status == 400, (url, refused.text)
        assert list(refused.json()["detail"]) == ["url"]
    assert not SimulcastTarget.objects.exists()

    # Saved while its name was public; by the time the packager pushes, it is 127.0.0.1.
    port = free_tcp_port()
    _, record = start_target(procs, tmp_path, port)
    added = add_target(api, event, f"rtmp://{NAME}:{port}/target")
    assert added.status == 201, added.text
    target_id = added.json()["id"]
    write_answers(answers, {NAME: [["127.0.0.1"]]})
    packager = start_stubbed_packager(procs, packager_env, answers, allow_private=False)

    target = SimulcastTarget.objects.filter(pk=target_id)
    wait_for(lambda: target.get().last_error.startswith("Refused"), 30, "the push refused")
    assert target.get().state == "retrying"
    shown = api.call("GET", f"/events/{event.pk}/cameras/main/simulcast").json()
    assert shown[0]["lastError"].startswith("Refused: The URL's host is not a public address")
    assert "127.0.0.1" not in shown[0]["lastError"]
    assert not push_pids(target_id) and not list(record.iterdir())

    # The control: private targets allowed (the demo), the same stubbed name leads to
    # the target. Real DNS cannot resolve it: ffmpeg was given the checked address.
    stop_process(packager)
    start_stubbed_packager(procs, packager_env, answers, allow_private=True)
    recorded = record / f"{STREAM_KEY}.flv"
    wait_for(lambda: recorded.exists() and recorded.stat().st_size > 50_000, 30, "recording")
    assert target.get().state == "sending"


class SilentPort:
    """An open TCP port that is no RTMP server: it takes a connection and hangs up."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            connection.close()

    def close(self):
        self.sock.close()


def test_last_error_tells_no_open_port_from_a_closed_one(api, event, start_packager):
    open_port = SilentPort()
    closed_port = free_tcp_port()
    try:
        assert api.start(event.pk, "mock").status == 201
        ids = [
            add_target(api, event, f"rtmp://127.0.0.1:{port}/live").json()["id"]
            for port in (open_port.port, closed_port)
        ]
        start_packager()

        def failed():
            targets = list(SimulcastTarget.objects.filter(pk__in=ids))
            return all(t.state == "retrying" and t.last_error for t in targets) and targets

        errors = {target.last_error for target in wait_for(failed, 30, "both pushes to fail")}
        assert len(errors) == 1, errors
        [error] = errors
        assert not any(word in error.lower() for word in ("refused", "reset", "errno")), error
    finally:
        open_port.close()


class TlsFront:
    """An RTMPS server for the test: TLS with a certificate for NAME in front of the
    target nginx-rtmp; it records the TLS server name (SNI) each client sent."""

    def __init__(self, tmp_path, backend_port):
        self.cert, key = tmp_path / "front.crt", tmp_path / "front.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", str(key), "-out", str(self.cert), "-subj", f"/CN={NAME}",
             "-addext", f"subjectAltName=DNS:{NAME}"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert, key)
        self.names = []
        self.context.sni_callback = lambda sock, name, context: self.names.append(name)
        self.backend_port = backend_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except OSError:
            return client.close()
        backend = socket.create_connection(("127.0.0.1", self.backend_port))
        threading.Thread(target=_pump, args=(backend, tls), daemon=True).start()
        _pump(tls, backend)

    def close(self):
        self.sock.close()


def _pump(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        source.close()
        sink.close()


def test_an_rtmps_push_goes_to_the_checked_address_with_the_hosts_name_for_tls(
    api, event, procs, packager_env, answers, tmp_path
):
    port = free_tcp_port()
    _, record = start_target(procs, tmp_path, port)
    front = TlsFront(tmp_path, port)
    try:
        assert api.start(event.pk, "mock").status == 201
        added = add_target(api, event, f"rtmps://{NAME}:{front.port}/target")
        assert added.status == 201, added.text
        write_answers(answers, {NAME: [["127.0.0.1"]]})
        start_stubbed_packager(
            procs, packager_env, answers, allow_private=True, LIVE_SIMULCAST_CA_FILE=front.cert
        )
        recorded = record / f"{STREAM_KEY}.flv"
        wait_for(lambda: recorded.exists() and recorded.stat().st_size > 50_000, 30, "recording")
        # Real DNS cannot resolve NAME: the socket went to the checked address, and the
        # TLS server name (and the certificate check) was still the host's.
        assert front.names and set(front.names) == {NAME}
    finally:
        front.close()
