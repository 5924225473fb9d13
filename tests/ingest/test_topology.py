"""The scale-out topology of docs/scaling.md, every part real, on loopback.

Two app servers (gunicorn), two media hosts (a packager and an origin nginx each,
with their own disks and LIVE_MEDIA_HOST_URL=/media/a and /media/b), two edges
(rendernginx --role edge) in front of them all, one PostgreSQL, RTSP cameras
(GStreamer) pulled by whichever packager holds each broadcast's lease. Chromium
watches through each edge; then media host a dies (packager, its ffmpeg and nginx
killed) and its camera moves to host b while the viewer's page plays on.
"""

import hashlib
import os
import signal
import subprocess
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from live.models import Broadcast, Event, PackagerLease
from live.services.apikeys import create_api_key
from live.services.cameras import create_camera
from live.workers.child_processes import find_marked_processes
from live.services.media import MediaPath, sign_media_path
from tests.processes import PATIENCE
from tests.ingest.support import RTSP_SERVER_SCRIPT, SYSTEM_PYTHON
from tests.processes import (
    GUNICORN,
    NGINX,
    PYTHON,
    Api,
    app_env,
    free_tcp_port,
    postgres_only,
    request,
    tcp_open,
    wait_for,
)

pytestmark = [
    pytest.mark.ingest,
    pytest.mark.delivery,
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    postgres_only(
        "needs PostgreSQL: seven processes share one database; scripts/check.sh "
        "runs this file with DATABASE_URL=postgres://…",
    ),
]

LEASE_SECONDS = 4  # how soon a dead host's cameras move (10 s by default)
HOSTS = ("a", "b")


def ports(count):
    chosen = set()
    while len(chosen) < count:
        chosen.add(free_tcp_port())
    return list(chosen)


def serve(procs, name, command, env, port):
    process = procs.start(name, command, env=env)
    wait_for(lambda: process.poll() is not None or tcp_open(port), 30, f"{name} on {port}")
    assert process.poll() is None, procs.log_of(process)
    return process


def nginx(procs, tmp_path, name, port, env, *options):
    prefix = tmp_path / name
    config = prefix / "nginx.conf"
    rendered = subprocess.run(
        [PYTHON, "manage.py", "rendernginx", "--out", str(config), "--prefix", str(prefix)]
        + ["--listen", f"127.0.0.1:{port}", "--workers", "1", *options],
        env=env,
        capture_output=True,
        text=True,
    )
    assert rendered.returncode == 0, rendered.stderr
    command = [NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"]
    return serve(procs, f"nginx-{name}", command, env, port)


@pytest.fixture
def topology(procs, tmp_path, run_id):
    app_ports, origin_ports, edge_ports = ports(2), ports(2), ports(2)
    apps = [f"http://127.0.0.1:{port}" for port in app_ports]
    app_data = tmp_path / "app-data"
    for index, port in enumerate(app_ports):
        command = [GUNICORN, "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]
        serve(procs, f"app-{index}", command + ["-w", "2", "teecam.wsgi"], app_env(app_data), port)
    hosts = {}
    for name, port in zip(HOSTS, origin_ports):
        env = app_env(
            tmp_path / f"media-{name}",
            LIVE_MEDIA_HOST_URL=f"/media/{name}",
            TEECAM_TEST_RUN=run_id,
        )
        packager = procs.start(
            f"packager-{name}",
            [PYTHON, "manage.py", "livepackager", "--poll", "0.25"]
            + ["--lease-seconds", str(LEASE_SECONDS)],
            env=env,
        )
        origin = nginx(procs, tmp_path, f"origin-{name}", port, env, "--role", "origin")
        # The scope marking the ffmpegs this host's packager runs (child_processes.py).
        output = str((tmp_path / f"media-{name}" / "hls").resolve())
        scope = hashlib.sha256(output.encode()).hexdigest()[:16]
        hosts[name] = {"packager": packager, "nginx": origin, "port": port, "scope": scope}
    # Both packagers polling before a camera starts: a new camera goes to an idle host
    # only if that host's packager is already up (on a busy box, Django's start-up took
    # long enough for the other host to take both cameras).
    for host in hosts.values():
        packager = host["packager"]
        wait_for(lambda p=packager: "starting" in procs.log_of(p), 60, "a packager to start")
    origins = [f"--origin={name}=http://127.0.0.1:{host['port']}" for name, host in hosts.items()]
    edge_env = app_env(tmp_path / "edge-data")
    for index, port in enumerate(edge_ports):
        app_options = [f"--app={app}" for app in apps]
        nginx(
            procs,
            tmp_path,
            f"edge-{index}",
            port,
            edge_env,
            "--role",
            "edge",
            *origins,
            *app_options,
        )
    return {"apps": app_ports, "edges": edge_ports, "hosts": hosts}


@pytest.fixture
def rtsp_url(procs):
    port = free_tcp_port()
    server = procs.start(
        "rtsp-camera", [SYSTEM_PYTHON, str(RTSP_SERVER_SCRIPT), "--port", str(port)]
    )
    wait_for(lambda: server.poll() is not None or tcp_open(port), 15, "the RTSP camera")
    assert server.poll() is None, procs.log_of(server)
    return f"rtsp://127.0.0.1:{port}/tee"


def lease_host(broadcast):
    lease = PackagerLease.objects.filter(broadcast=broadcast).first()
    return lease.media_host if lease else None


VIDEO_STATE = """() => { const v = document.querySelector('#live-video');
  if (!v) return {video: null, url: location.href};
  return {url: location.href, hls: v._hls ? v._hls.url : null, src: v.currentSrc,
          readyState: v.readyState, networkState: v.networkState, paused: v.paused,
          currentTime: v.currentTime, videoWidth: v.videoWidth,
          error: v.error && v.error.message, live: v.dataset.hlsSrc}; }"""


def playing(page, timeout=30):
    """Waits until the page's video shows pictures and its time moves on; if it does
    not, says what the video and the page's console were doing."""
    console = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.wait_for_function(
            "() => { const v = document.querySelector('#live-video');"
            " return v && v.videoWidth > 0 && v.currentTime > 0.5; }",
            timeout=timeout * 1000 * PATIENCE,
        )
        # The poll may swap the player in for a new one meanwhile: null-safe.
        before = page.evaluate(
            "() => { const v = document.querySelector('#live-video');"
            " return v ? v.currentTime : 0; }"
        )
        page.wait_for_function(
            "(before) => { const v = document.querySelector('#live-video');"
            " return !!v && v.currentTime > before + 1; }",
            arg=before,
            timeout=timeout * 1000 * PATIENCE,
        )
    except PlaywrightTimeout as error:
        raise AssertionError(
            f"not playing: {page.evaluate(VIDEO_STATE)}; console: {console[-20:]}"
        ) from error


def loaded_from(page):
    return page.evaluate(
        "(() => { const v = document.querySelector('#live-video');"
        " return v._hls ? v._hls.url : v.currentSrc; })()"
    )


def test_two_cameras_on_two_media_hosts_through_two_edges_and_a_host_dies(
    topology, rtsp_url, new_context
):
    event = Event.objects.create(pk="open-2026", name="The Open 2026")
    create_camera(event, "tee-2", "2nd tee")
    _, admin_key = create_api_key("ops", is_admin=True)
    api = Api(topology["apps"][0], admin_key, timeout=20)

    # Camera main first; when host x has it, tee-2 goes to the other, idle host.
    for slug in ("main", "tee-2"):
        started = api.call(
            "POST", f"/events/{event.pk}/cameras/{slug}/live/start",
            {"source": "rtsp", "cameraUrl": rtsp_url},
        )  # fmt: skip
        assert started.status == 201, started.text
        broadcast = Broadcast.objects.get(camera__slug=slug, stopped_at__isnull=True)
        wait_for(lambda: lease_host(broadcast), 15, f"a packager to take {slug}")
    broadcasts = {b.camera.slug: b for b in Broadcast.objects.select_related("camera")}
    where = {slug: lease_host(b) for slug, b in broadcasts.items()}
    assert sorted(where.values()) == ["/media/a", "/media/b"], where

    # The API on the other app server points at the host holding each camera.
    other = Api(topology["apps"][1], admin_key, timeout=20)
    token = other.call("POST", f"/events/{event.pk}/live/token", {"ttl": 900}).json()["token"]
    for slug, base in where.items():
        status = other.call("GET", f"/events/{event.pk}/cameras/{slug}/live/status?token={token}")
        assert status.json()["hlsUrl"] == base + status.json()["hlsPath"]

    # Bad URLs stop at the edge: the origins' logs see none of them.
    edge = topology["edges"][0]
    good = status.json()["hlsUrl"]
    sig_at = good.index("/hls/") + len("/hls/")
    tampered = good[:sig_at] + ("A" if good[sig_at] != "A" else "B") + good[sig_at + 1 :]
    assert request(edge, "GET", tampered).status == 403
    stream = broadcasts["main"].stream_name
    expired = sign_media_path(MediaPath(stream, "index.m3u8"), int(time.time()) - 10)
    assert request(edge, "GET", where["main"] + expired).status == 410
    assert request(edge, "GET", f"/media/zz/hls/{stream}/index.m3u8").status == 403

    context = new_context()
    pages = {}
    for index, edge in enumerate(topology["edges"]):
        for slug in ("main", "tee-2"):
            page = context.new_page()
            page.goto(
                f"http://127.0.0.1:{edge}/events/{event.pk}/live-view?token={token}&camera={slug}"
            )
            playing(page)
            assert f"/media/{where[slug][-1]}/hls/" in loaded_from(page)
            pages[(index, slug)] = page

    # Media host a dies: its packager, the ffmpeg it ran and its nginx.
    dead_slug = next(slug for slug, base in where.items() if base == "/media/a")
    host = topology["hosts"]["a"]
    host["packager"].send_signal(signal.SIGKILL)
    for pid, _ in find_marked_processes(scope=host["scope"]):
        os.kill(pid, signal.SIGKILL)
    host["nginx"].send_signal(signal.SIGKILL)
    died = time.monotonic()

    watcher = pages[(1, dead_slug)]
    wait_for(lambda: lease_host(broadcasts[dead_slug]) == "/media/b", 30, "host b to take over")
    watcher.wait_for_function(
        "() => { const v = document.querySelector('#live-video');"
        " return !!(v && v._hls && v._hls.url.includes('/media/b/hls/')); }",
        timeout=30_000 * PATIENCE,
    )
    playing(watcher)
    print(f"failover: the viewer played from host b {time.monotonic() - died:.1f} s after a died")
    # The camera that was on host b never stopped.
    playing(pages[(0, "tee-2" if dead_slug == "main" else "main")], timeout=10)
