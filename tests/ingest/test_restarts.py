"""Restarts that drop no viewer: with cameras live and a viewer playing, each process
is stopped with SIGTERM and started again, as ``systemctl restart`` does.

Real processes throughout: gunicorn on a socket held by the test (as systemd holds
teecam-web.socket), nginx, the packager with an SRT camera, runwhip with an aiortc
publisher, the scheduler, the webhook worker and a webhook receiver. The viewer is a
thread playing as hls.js does (the status poll for the signed playlist, the
playlist, each new segment) through nginx; every answer it gets is kept.
"""

import os
import socket
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, CameraSchedule, WebhookDelivery
from live.services.cameras import default_camera
from live.services.nginx_config import NginxOptions, write_nginx_config
from live.services.paths import output_dir_for
from live.services.webhooks import create_endpoint
from live.models import Event
from tests.ingest.support import free_udp_ports, playlist_entries, wait_for_playable_segments
from tests.ingest.whip_client import PublisherThread, WhipError, WhipPublisher
from tests.integrations.receiver import Receiver
from tests.processes import (
    GUNICORN,
    NGINX,
    PYTHON,
    Api,
    BASE_DIR,
    free_tcp_port,
    request,
    stop_process,
    tcp_open,
    wait_for,
)

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

WINDOW_SECONDS = 60  # the reconnect window: a restart must fit well inside it


class HeldSocket:
    """gunicorn's listening socket, held here as systemd holds teecam-web.socket."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(1024)
        self.port = self.socket.getsockname()[1]

    def start_gunicorn(self, procs, env):
        """gunicorn given the socket as fd 3 with LISTEN_FDS and LISTEN_PID, as systemd does."""
        fd = self.socket.fileno()
        log_path = procs.log_dir / f"{len(procs.started):02d}-gunicorn.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                ["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh",
                 GUNICORN, "-c", "deploy/gunicorn.conf.py", "teecam.wsgi"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, cwd=BASE_DIR, pass_fds=(3,),
                preexec_fn=lambda: os.dup2(fd, 3),
            )  # fmt: skip
        procs.started.append(("gunicorn", process, log_path))
        wait_for(
            lambda: process.poll() is not None or "Booting worker" in procs.log_of(process),
            30,
            "gunicorn's workers",
        )
        assert process.poll() is None, procs.log_of(process)
        return process


class Viewer(threading.Thread):
    """Plays one event's live stream through nginx, keeping every answer."""

    def __init__(self, port, api_key, event_id, token):
        super().__init__(daemon=True)
        self.port, self.event_id, self.token = port, event_id, token
        self.api = Api(port, api_key, timeout=60)
        self.answers = []  # (monotonic time, what, status)
        self.played = []  # (monotonic time, segment media sequence)
        self.newest = -1
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.5):
            status = self.api.status(self.event_id, self.token)
            self.answers.append((time.monotonic(), "status", status.status))
            if status.status != 200 or not status.json().get("hlsPath"):
                continue
            path = status.json()["hlsPath"]
            playlist = request(self.port, "GET", path, timeout=60)
            self.answers.append((time.monotonic(), "playlist", playlist.status))
            if playlist.status != 200:
                continue
            base = path.rsplit("/", 1)[0]
            for sequence, uri, _ in playlist_entries(playlist.text):
                if sequence <= self.newest:
                    continue
                self.newest = sequence
                segment = request(self.port, "GET", f"{base}/{uri}", timeout=60)
                self.answers.append((time.monotonic(), "segment", segment.status))
                if segment.status == 200 and segment.body:
                    self.played.append((time.monotonic(), sequence))

    def played_since(self, moment):
        return [sequence for at, sequence in self.played if at > moment]

    def failures(self):
        return [answer for answer in self.answers if answer[2] != 200]


class Hammer(threading.Thread):
    """API calls and page loads through nginx, back to back, while the web restarts."""

    def __init__(self, port, api_key, event_id):
        super().__init__(daemon=True)
        self.port, self.event_id = port, event_id
        self.api = Api(port, api_key, timeout=60)
        self.answers = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.answers.append(("status", self.api.status(self.event_id).status))
            page = request(self.port, "GET", "/healthz", timeout=60)
            self.answers.append(("healthz", page.status))
            time.sleep(0.05)


def _sigterm_and_wait(process, timeout=45):
    process.terminate()
    return process.wait(timeout=timeout)


def _newest_sequence(folder):
    try:
        entries = playlist_entries((folder / "index.m3u8").read_text())
    except FileNotFoundError:
        return -1
    return max((sequence for sequence, _, _ in entries), default=-1)


def _live(pk):
    return Broadcast.objects.get(pk=pk).stopped_at is None


def test_each_process_restarts_without_dropping_the_viewer_a_broadcast_or_a_webhook(
    procs, packager_env, admin_key, data_dir, camera, settings, tmp_path
):
    settings.LIVE_RECONNECT_WINDOW_SECONDS = WINDOW_SECONDS
    settings.LIVE_WEBHOOK_ALLOW_PRIVATE = True
    settings.LIVEKIT_WHIP_URL = ""
    whip_port, udp = free_tcp_port(), free_udp_ports(6)
    env = {
        **packager_env,
        "LIVE_RECONNECT_WINDOW_SECONDS": str(WINDOW_SECONDS),
        "LIVE_WEBHOOK_ALLOW_PRIVATE": "1",
        "LIVEKIT_WHIP_URL": "",
        "LIVE_WHIP_LISTEN": f"127.0.0.1:{whip_port}",
        "LIVE_WHIP_UDP_PORTS": f"{udp[0]}-{udp[-1]}",
        "LIVE_WHIP_ICE_ADDRESS": "127.0.0.1",
        "LIVE_TRUSTED_PROXIES": "127.0.0.1",
        "LIVE_HEARTBEAT_SECONDS": "2",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    receiver = Receiver().start()
    create_endpoint(receiver.url)

    # Web: gunicorn on the held socket, nginx in front (as teecam-web and teecam-nginx).
    held = HeldSocket()
    web = held.start_gunicorn(procs, env)
    http_port = free_tcp_port()
    prefix = tmp_path / "nginx"
    config = write_nginx_config(
        NginxOptions(
            listen=f"127.0.0.1:{http_port}",
            upstream=f"127.0.0.1:{held.port}",
            prefix=str(prefix),
            rtmp=False,
            workers="1",
            whip_upstream=f"127.0.0.1:{whip_port}",
        ),
        prefix / "nginx.conf",
    )
    nginx = procs.start(
        "nginx", [NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"]
    )
    wait_for(lambda: nginx.poll() is not None or tcp_open(http_port), 10, "nginx to listen")
    api = Api(http_port, admin_key, timeout=60)

    workers = {
        "packager": [PYTHON, "manage.py", "livepackager", "--poll", "0.25"],
        "whip": [PYTHON, "manage.py", "runwhip"],
        "scheduler": [PYTHON, "manage.py", "runscheduler", "--poll", "0.25"],
        "webhooks": [PYTHON, "manage.py", "deliverwebhooks", "--poll", "0.1"],
    }
    running = {name: procs.start(name, command, env=env) for name, command in workers.items()}
    wait_for(lambda: tcp_open(whip_port), 60, "runwhip to listen")

    # An SRT camera on one event, a WHIP publisher on another, a viewer on the first.
    srt_event = Event.objects.create(pk="srt-open", name="SRT tee")
    whip_event = Event.objects.create(pk="whip-open", name="WHIP tee")
    started = api.start(srt_event.pk, "srt")
    assert started.status == 201, started.text
    srt = Broadcast.objects.get(pk=started.json()["broadcastId"])
    camera(started.json()["ingest"]["url"], "mpegts", reconnect=True)
    whip_camera = default_camera(whip_event.pk)
    whip_camera.source = "livekit"
    whip_camera.save()
    started = api.start(whip_event.pk, "livekit")
    assert started.status == 201, started.text
    whip = Broadcast.objects.get(pk=started.json()["broadcastId"])
    sender = PublisherThread()
    whip_url = f"http://127.0.0.1:{http_port}/whip/{whip_camera.ingest_name}"
    publishers = [WhipPublisher(whip_url, whip_camera.stream_key, codec="H264")]
    sender.publish(publishers[0])
    srt_folder, whip_folder = output_dir_for(srt), output_dir_for(whip)
    wait_for_playable_segments(srt_folder, count=2, timeout=30)
    wait_for_playable_segments(whip_folder, count=2, timeout=30)

    token = api.token(srt_event.pk).json()["token"]
    viewer = Viewer(http_port, admin_key, srt_event.pk, token)
    viewer.start()
    try:
        wait_for(lambda: len(viewer.played) >= 2, 30, "the viewer to play")

        # 1. Web: requests during the restart wait in the socket's queue; none fails.
        hammer = Hammer(http_port, admin_key, srt_event.pk)
        hammer.start()
        wait_for(lambda: len(hammer.answers) >= 10, 30, "requests before the restart")
        assert _sigterm_and_wait(web) == 0, procs.log_of(web)
        during = len(hammer.answers)
        web = held.start_gunicorn(procs, env)
        wait_for(lambda: len(hammer.answers) >= during + 20, 60, "requests after the restart")
        hammer.stopping.set()
        hammer.join(60)
        assert [a for a in hammer.answers if a[1] != 200] == [], hammer.answers

        # 2. Packager: the SRT camera reconnects to the new listener; the broadcast goes on.
        restarted = time.monotonic()
        before = _newest_sequence(srt_folder)
        assert _sigterm_and_wait(running["packager"]) == 0
        running["packager"] = procs.start("packager", workers["packager"], env=env)
        wait_for(lambda: _newest_sequence(srt_folder) >= before + 3, 60, "SRT segments again")
        wait_for(lambda: len(viewer.played_since(restarted)) >= 2, 30, "the viewer to play on")

        # 3. runwhip: every session ends; the publisher publishes again to the new one.
        before = _newest_sequence(whip_folder)
        assert _sigterm_and_wait(running["whip"]) == 0
        running["whip"] = procs.start("whip", workers["whip"], env=env)

        def republished():
            try:
                publishers.append(WhipPublisher(whip_url, whip_camera.stream_key, codec="H264"))
                sender.publish(publishers[-1])
                return True
            except WhipError as error:  # 502 while runwhip starts, as OBS sees it
                assert error.status in (502, 503), error
                return False

        wait_for(republished, 60, "the publisher to publish again", interval=1)
        wait_for(lambda: _newest_sequence(whip_folder) >= before + 3, 60, "WHIP segments again")

        # 4. Scheduler: stopped just as a schedule comes due; the new one fires it once.
        tee = default_camera(Event.objects.create(pk="tee-10", name="10th tee").pk)
        assert _sigterm_and_wait(running["scheduler"]) == 0
        now = timezone.now()
        CameraSchedule.objects.create(
            camera=tee, start_at=now, stop_at=now + timedelta(seconds=20), source="mock"
        )
        running["scheduler"] = procs.start("scheduler", workers["scheduler"], env=env)
        fired = CameraSchedule.objects.filter(camera=tee)
        wait_for(lambda: fired.filter(started_at__isnull=False).exists(), 60, "the start")

        # 5. Webhook worker: stopped while deliveries are in flight; each arrives once.
        receiver.delay = 1.0
        sent = WebhookDelivery.objects.count()
        other = Event.objects.create(pk="tee-11", name="11th tee")
        started = api.start(other.pk, "mock")  # broadcast.started, then .stopped
        assert started.status == 201, started.text
        assert api.stop(other.pk).status == 200
        wait_for(lambda: WebhookDelivery.objects.count() >= sent + 2, 10, "the new deliveries")
        wait_for(lambda: receiver.in_flight > 0, 30, "a delivery in flight")
        assert _sigterm_and_wait(running["webhooks"]) == 0
        running["webhooks"] = procs.start("webhooks", workers["webhooks"], env=env)
        receiver.delay = 0
        # Meanwhile the schedule's stop came due: fired once too.
        wait_for(lambda: fired.filter(stopped_at__isnull=False).exists(), 60, "the stop")
        assert Broadcast.objects.filter(camera=tee).count() == 1
        wait_for(
            lambda: not WebhookDelivery.objects.filter(delivered_at__isnull=True).exists(),
            60,
            "every delivery to be delivered",
        )
        ids = [headers["webhook-id"] for headers, _, _ in receiver.messages()]
        assert sorted(ids) == sorted(WebhookDelivery.objects.values_list("webhook_id", flat=True))

        # Through it all: the viewer played on, and no broadcast ended.
        last_restart = time.monotonic()
        wait_for(lambda: len(viewer.played_since(last_restart)) >= 2, 30, "the viewer at the end")
        assert viewer.failures() == [], viewer.failures()
        # Every worker's heartbeat is fresh again after its restart.
        status = subprocess.run(
            [PYTHON, "manage.py", "status"], env=env, cwd=BASE_DIR,
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.count(" ok") == 6, status.stdout  # database, cache, 4 workers
        assert _live(srt.pk) and _live(whip.pk)
        assert Broadcast.objects.filter(camera__event__in=[srt_event, whip_event]).count() == 2
    finally:
        viewer.stopping.set()
        viewer.join(60)
        sender.call(publishers[-1].close(send_delete=False))
        sender.close()
        receiver.stop()
        for process in running.values():
            stop_process(process)
